//! One gate for every text a client sends: control characters (`\u0000`, ESC, DEL, C1...) are
//! refused before any handler runs, with a 422 problem naming the field. PostgreSQL cannot
//! store NUL in text at all, and no field of this service has a use for the others; tab, line
//! feed and carriage return stay allowed (messages and justifications have lines).
//!
//! Checked: the path, the query string, JSON bodies (every string value and key, named by its
//! JSON path as the JSON extractor names fields), `application/x-www-form-urlencoded` forms and
//! the text fields and file names of `multipart/form-data` bodies. Other bodies (a DmfA file, an
//! attachment's bytes) are not text fields and pass untouched.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Query, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::Problem;
use crate::error::{FieldError, ServiceError};

/// The largest body buffered for the check: an attachment or message upload with its
/// multipart framing. Routes keep their own, usually smaller, limits.
const MAX_CHECKED_BODY: usize = crate::attachments::MAX_BYTES + 128 * 1024;

pub const CODE: &str = "control_character";

/// Whether `c` is refused in a text field.
pub fn forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

pub fn has_forbidden(s: &str) -> bool {
    s.chars().any(forbidden)
}

fn refusal(field: impl Into<String>) -> FieldError {
    FieldError::coded(
        field,
        CODE,
        "control characters are not allowed (only tab, line feed and carriage return)",
    )
}

/// The middleware. Layer it on every router that reads client text.
pub async fn reject_control_chars(req: Request, next: Next) -> Response {
    let mut errors = vec![];
    if has_forbidden(&percent_decode_lossy(req.uri().path())) {
        errors.push(refusal("$path"));
    }
    if req.uri().query().is_some() {
        match Query::<Vec<(String, String)>>::try_from_uri(req.uri()) {
            Ok(Query(pairs)) => {
                for (k, v) in pairs {
                    if has_forbidden(&k) || has_forbidden(&v) {
                        errors.push(refusal(k));
                    }
                }
            }
            // Not a form-encoded query: the raw text decides.
            Err(_) => {
                if has_forbidden(&percent_decode_lossy(req.uri().query().unwrap_or_default())) {
                    errors.push(refusal("$query"));
                }
            }
        }
    }
    let kind = body_kind(&req);
    let req = if let Some(kind) = kind {
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, MAX_CHECKED_BODY).await {
            Ok(b) => b,
            Err(_) => {
                return Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "Request body too large",
                )
                .into_response();
            }
        };
        match kind {
            Kind::Json => {
                // A body that is not JSON is the extractor's to refuse, with its own error.
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                    walk_json(&v, String::new(), &mut errors);
                }
            }
            Kind::Form => {
                if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) {
                    for (k, v) in pairs {
                        if has_forbidden(&k) || has_forbidden(&v) {
                            errors.push(refusal(k));
                        }
                    }
                } else if has_forbidden(&String::from_utf8_lossy(&bytes)) {
                    errors.push(refusal("$body"));
                }
            }
            Kind::Multipart => {
                check_multipart(&parts, bytes.clone(), &mut errors).await;
            }
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    if !errors.is_empty() {
        errors.dedup_by(|a, b| a.field == b.field);
        return super::problem::ApiError::from(ServiceError::Invalid(errors)).into_response();
    }
    next.run(req).await
}

enum Kind {
    Json,
    Form,
    Multipart,
}

fn body_kind(req: &Request) -> Option<Kind> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)?
        .to_str()
        .ok()?
        .to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or_default().trim().to_owned();
    if essence == "application/json" || essence.ends_with("+json") {
        Some(Kind::Json)
    } else if essence == "application/x-www-form-urlencoded" {
        Some(Kind::Form)
    } else if essence == "multipart/form-data" {
        Some(Kind::Multipart)
    } else {
        None
    }
}

fn walk_json(v: &serde_json::Value, path: String, errors: &mut Vec<FieldError>) {
    use serde_json::Value;
    match v {
        Value::String(s) if has_forbidden(s) => {
            errors.push(refusal(if path.is_empty() {
                "$".to_owned()
            } else {
                path
            }));
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_json(item, format!("{path}[{i}]"), errors);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if has_forbidden(k) {
                    errors.push(refusal(p.clone()));
                }
                walk_json(item, p, errors);
            }
        }
        _ => {}
    }
}

async fn check_multipart(
    parts: &axum::http::request::Parts,
    bytes: Bytes,
    errors: &mut Vec<FieldError>,
) {
    let mut b = Request::builder()
        .method(parts.method.clone())
        .uri(parts.uri.clone());
    if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    let Ok(req) = b.body(Body::from(bytes)) else {
        return;
    };
    let Ok(mut mp) = Multipart::from_request(req, &()).await else {
        return;
    };
    // A malformed body is the handler's to refuse; stop at the first error.
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("$part").to_owned();
        if has_forbidden(&name) {
            errors.push(refusal(name.clone()));
        }
        if let Some(file_name) = field.file_name() {
            if has_forbidden(file_name) {
                errors.push(refusal(name));
            }
            // File contents are bytes, not text.
            continue;
        }
        match field.bytes().await {
            Ok(b) => {
                if has_forbidden(&String::from_utf8_lossy(&b)) {
                    errors.push(refusal(name));
                }
            }
            Err(_) => break,
        }
    }
}

/// Decodes `%XX` escapes; invalid UTF-8 becomes U+FFFD (not a control character).
fn percent_decode_lossy(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters() {
        assert!(has_forbidden("a\u{0}b"));
        assert!(has_forbidden("\u{1b}[31m"));
        assert!(has_forbidden("\u{7f}"));
        assert!(has_forbidden("\u{85}"));
        assert!(!has_forbidden("line\r\nnext\tcol é ８"));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode_lossy("/a%00b"), "/a\u{0}b");
        assert_eq!(percent_decode_lossy("/a%2"), "/a%2");
        assert_eq!(percent_decode_lossy("%41%"), "A%");
        assert!(!has_forbidden(&percent_decode_lossy("/x%ff")));
    }
}
