//! A standalone portal for the browser tests and screenshots: a fresh SQLite database in a
//! temporary directory, seeded with the demonstration data, served on 127.0.0.1.
//!
//! `cargo run -p art60-web --example portal -- <port>` prints one JSON line with the address
//! and the demo accounts' passwords, then serves until stdin closes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use art60_service::api::AppState;
use art60_service::attachments::Store;
use art60_service::auth::PasswordCost;
use art60_service::{Clock, Db, SystemClock};
use tokio::io::AsyncReadExt;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("portal.db").display()
    );
    let db = Db::connect(&url).await.expect("database");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let cost = PasswordCost::minimal_for_tests();
    let creds = art60_service::demo::seed(&db, clock.now(), cost)
        .await
        .expect("demo data");
    let state = AppState {
        db,
        clock,
        store: Store::Database,
        password_cost: cost,
        metrics: None,
        settings: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let accounts: serde_json::Map<String, serde_json::Value> = creds
        .iter()
        .map(|c| (c.username.clone(), serde_json::json!(c.password)))
        .collect();
    println!(
        "{}",
        serde_json::json!({"url": format!("http://{addr}"), "accounts": accounts})
    );
    let app = art60_web::app(state);
    // Stops when the test runner closes our stdin (or dies): no stray server is left behind.
    let stop = async {
        let mut buf = [0u8; 64];
        let mut stdin = tokio::io::stdin();
        while let Ok(n) = stdin.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
        .expect("serve");
    drop(dir);
}
