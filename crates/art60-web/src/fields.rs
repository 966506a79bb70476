//! The posted fields of the request form, whether urlencoded (no file chosen, htmx fragments)
//! or multipart (the form with attachments).

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Form, http::StatusCode};

/// A chosen file: its name as sent by the browser and its bytes.
pub type Upload = (String, Vec<u8>);

pub struct Fields {
    pub pairs: Vec<(String, String)>,
    /// Files of the `files` input (empty selections are dropped).
    pub files: Vec<Upload>,
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, st: &S) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, st)
                .await
                .map_err(IntoResponse::into_response)?;
            return Ok(Fields {
                pairs,
                files: Vec::new(),
            });
        }
        let mut m = Multipart::from_request(req, st)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut pairs = Vec::new();
        let mut files = Vec::new();
        loop {
            let field = match m.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => return Err((StatusCode::BAD_REQUEST, e.body_text()).into_response()),
            };
            let name = field.name().unwrap_or("").to_owned();
            if let Some(file_name) = field.file_name().map(str::to_owned) {
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| (StatusCode::BAD_REQUEST, e.body_text()).into_response())?;
                if name == "files" && !file_name.is_empty() && !bytes.is_empty() {
                    files.push((file_name, bytes.to_vec()));
                }
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|e| (StatusCode::BAD_REQUEST, e.body_text()).into_response())?;
                pairs.push((name, text));
            }
        }
        Ok(Fields { pairs, files })
    }
}
