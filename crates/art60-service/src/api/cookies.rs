//! The `Secure` cookie attribute when the service is served behind TLS: a browser then sends
//! the session, CSRF and language cookies over HTTPS only. Applied as one outer layer so every
//! cookie the API or the portal sets gets it, whoever wrote the `Set-Cookie` line.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;

/// Adds `; Secure` to every `Set-Cookie` of `app`'s responses.
pub fn secure(app: Router) -> Router {
    app.layer(middleware::from_fn(mark_secure))
}

async fn mark_secure(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let headers = resp.headers_mut();
    if !headers.contains_key(header::SET_COOKIE) {
        return resp;
    }
    let cookies: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();
    headers.remove(header::SET_COOKIE);
    for c in cookies {
        headers.append(header::SET_COOKIE, with_secure(c));
    }
    resp
}

fn with_secure(c: HeaderValue) -> HeaderValue {
    let Ok(text) = c.to_str() else {
        return c;
    };
    let already = text
        .split(';')
        .any(|a| a.trim().eq_ignore_ascii_case("secure"));
    if already {
        return c;
    }
    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(c)
}

/// The default of `art60 serve`: cookies are `Secure` unless the service listens on a loopback
/// address only (the demo on http://localhost, or a TLS proxy on the same host that the
/// operator then names with `--secure-cookies true`).
pub fn default_for(bind: std::net::SocketAddr) -> bool {
    !bind.ip().is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_is_added_once() {
        let v = with_secure(HeaderValue::from_static("a=1; Path=/; HttpOnly"));
        assert_eq!(v, "a=1; Path=/; HttpOnly; Secure");
        let v = with_secure(HeaderValue::from_static("a=1; Secure; Path=/"));
        assert_eq!(v, "a=1; Secure; Path=/");
    }

    #[test]
    fn loopback_binds_default_to_plain_http() {
        assert!(!default_for("127.0.0.1:8060".parse().unwrap()));
        assert!(!default_for("[::1]:8060".parse().unwrap()));
        assert!(default_for("0.0.0.0:8060".parse().unwrap()));
    }
}
