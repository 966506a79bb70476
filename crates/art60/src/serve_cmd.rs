//! `art60 serve`: the case service: the portal (HTML), the JSON API, OpenAPI and Swagger UI.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use art60_service::server::{self, Config};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// SQLite file (created on first start) or PostgreSQL URL.
    #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
    database_url: String,
    /// Address to listen on.
    #[arg(long, env = "ART60_BIND", default_value = "127.0.0.1:8060")]
    bind: SocketAddr,
    /// Seed demonstration data (offices, CPAS, one account per role, requests in every status)
    /// and print the accounts' passwords.
    #[arg(long)]
    demo: bool,
    /// Store attachments in this directory instead of the database.
    #[arg(long, env = "ART60_ATTACHMENT_DIR")]
    attachment_dir: Option<PathBuf>,
    /// Database connections kept open (per process).
    #[arg(long, env = "ART60_DB_POOL", default_value_t = art60_service::db::DEFAULT_POOL)]
    db_pool: u32,
    /// Mark the session, CSRF and language cookies `Secure` (HTTPS only). Default: on, unless
    /// `--bind` is a loopback address (the demo on http://localhost); set it to `true` behind a
    /// TLS proxy on the same host.
    #[arg(long, env = "ART60_SECURE_COOKIES")]
    secure_cookies: Option<bool>,
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long)]
    log_json: bool,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if args.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let cfg = Config {
        database_url: args.database_url,
        bind: args.bind,
        demo: args.demo,
        attachment_dir: args.attachment_dir,
        db_pool: args.db_pool,
        secure_cookies: args
            .secure_cookies
            .unwrap_or_else(|| art60_service::api::cookies::default_for(args.bind)),
    };
    rt.block_on(server::run_with(cfg, art60_web::app, |creds, addr| {
        println!("art60 portal on http://{addr}/  (API docs: http://{addr}/api/docs/)");
        if !creds.is_empty() {
            println!("Demo accounts (passwords change at every --demo start):");
            for c in creds {
                println!(
                    "  {:<16} {:<16} {}",
                    c.role.as_str(),
                    c.username,
                    c.password
                );
            }
        }
    }))
    .context("art60 serve")?;
    Ok(ExitCode::SUCCESS)
}
