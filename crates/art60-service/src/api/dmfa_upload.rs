//! `POST /api/v1/dmfa`: the upload is streamed to an anonymous temporary file (hashed on the
//! way) and read from there by the streaming reader, so neither the file nor a whole-file
//! structure is ever held in memory; at most [`crate::dmfa::ImportSlots`] uploads are read at
//! once, the others are refused at once with 503 and `Retry-After` (issue 14: one 60 MB upload
//! raised the server's memory by 257 MB, four at once reached 976 MB).

use std::io::{Seek, SeekFrom};

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::problem::{ApiError, Problem};
use crate::dmfa::MAX_UPLOAD_BYTES;

/// Seconds a refused upload is told to wait: about what a large import takes.
pub const RETRY_AFTER_SECS: u64 = 5;

/// A received upload: an unnamed temporary file (gone when dropped) and its SHA-256.
pub struct Upload {
    pub file: std::fs::File,
    pub sha256: String,
}

fn too_large() -> ApiError {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "Request body too large",
    )
    .detail(format!(
        "a DmfA declaration is at most {MAX_UPLOAD_BYTES} bytes through the API (the CLI `art60 dmfa import` reads any size)"
    ))
    .into()
}

fn storage(e: std::io::Error) -> ApiError {
    crate::error::ServiceError::Storage(format!("temporary file for the upload: {e}")).into()
}

pub fn busy(slots: usize) -> ApiError {
    let mut p = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "dmfa_import_busy",
        "Too many DmfA imports at once",
    )
    .detail(format!(
        "at most {slots} declarations are read at once; retry after {RETRY_AFTER_SECS} seconds"
    ));
    p.retry_after = Some(RETRY_AFTER_SECS);
    p.into()
}

/// Streams the body into a temporary file, refusing more than `limit` bytes (413), whether
/// announced by `Content-Length` or found while reading.
pub async fn receive(headers: &HeaderMap, body: Body, limit: u64) -> Result<Upload, ApiError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let file = tempfile::tempfile().map_err(storage)?;
    let mut out = tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(file));
    let mut hash = Sha256::new();
    let mut len: u64 = 0;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            ApiError::from(
                Problem::new(StatusCode::BAD_REQUEST, "bad_request", "Bad Request")
                    .detail(format!("the upload stopped: {e}")),
            )
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        len += data.len() as u64;
        if len > limit {
            return Err(too_large());
        }
        hash.update(&data);
        out.write_all(&data).await.map_err(storage)?;
    }
    out.flush().await.map_err(storage)?;
    let mut file = out.into_inner().into_std().await;
    file.seek(SeekFrom::Start(0)).map_err(storage)?;
    Ok(Upload {
        file,
        sha256: hex::encode(hash.finalize()),
    })
}
