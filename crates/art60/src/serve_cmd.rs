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
    /// Database connections kept open (per process), plus half as many for the reads run
    /// outside a transaction.
    #[arg(long, env = "ART60_DB_POOL", default_value_t = art60_service::db::DEFAULT_POOL)]
    db_pool: u32,
    /// Mark the session, CSRF and language cookies `Secure` (HTTPS only). Default: on, unless
    /// `--bind` is a loopback address (the demo on http://localhost); set it to `true` behind a
    /// TLS proxy on the same host.
    #[arg(long, env = "ART60_SECURE_COOKIES")]
    secure_cookies: Option<bool>,
    /// Seconds between two rounds of the notification scheduler (deadlines, windows, e-mails).
    #[arg(long, env = "ART60_NOTIFY_INTERVAL", default_value_t = 60)]
    notify_interval: u64,
    /// Do not run the notification scheduler in this process (another process runs it).
    #[arg(long, env = "ART60_NO_SCHEDULER")]
    no_scheduler: bool,
    /// SMTP server for notification e-mails; without it only portal notifications are made.
    #[arg(long, env = "ART60_SMTP_HOST")]
    smtp_host: Option<String>,
    #[arg(long, env = "ART60_SMTP_PORT", default_value_t = 587)]
    smtp_port: u16,
    /// none, starttls or tls.
    #[arg(long, env = "ART60_SMTP_TLS", default_value = "starttls")]
    smtp_tls: art60_service::notify::TlsMode,
    #[arg(long, env = "ART60_SMTP_USERNAME")]
    smtp_username: Option<String>,
    /// The password comes from the environment only (never the command line).
    #[arg(skip = std::env::var("ART60_SMTP_PASSWORD").ok())]
    smtp_password: Option<String>,
    /// Sender of notification e-mails.
    #[arg(
        long,
        env = "ART60_SMTP_FROM",
        default_value = "\"CPAS@ONEM\" <noreply@art60.invalid>"
    )]
    smtp_from: String,
    /// The portal's public address (`https://...`), for links in e-mails and the verification
    /// address printed on letters. Without it, mails link to the bind address and letters
    /// print the `Host` of a loopback request only.
    #[arg(long, env = "ART60_BASE_URL")]
    base_url: Option<String>,
    /// Behind a reverse proxy that appends the client's address to `X-Forwarded-For`: take
    /// it from there for sign-in throttling (otherwise every client looks like the proxy).
    #[arg(long, env = "ART60_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,
    /// Serve Prometheus `/metrics` on this separate address (for the monitoring network),
    /// without a token; the main address then has no `/metrics`.
    #[arg(long, env = "ART60_METRICS_BIND")]
    metrics_bind: Option<SocketAddr>,
    /// Serve `/metrics` on the main address to requests with `Authorization: Bearer TOKEN`
    /// (from the environment only). Without this or `--metrics-bind`, no `/metrics`.
    #[arg(skip = std::env::var("ART60_METRICS_TOKEN").ok().filter(|t| !t.is_empty()))]
    metrics_token: Option<String>,
    /// Sign a checkpoint of the audit chain with this ed25519 key (`art60 audit keygen`) at
    /// start and every `--checkpoint-interval` seconds; or the key itself in ART60_AUDIT_KEY.
    #[arg(long, env = "ART60_AUDIT_KEY_FILE")]
    audit_key_file: Option<PathBuf>,
    #[arg(long, env = "ART60_CHECKPOINT_INTERVAL", default_value_t = 300)]
    checkpoint_interval: u64,
    /// Also append each checkpoint to this file, kept outside the database.
    #[arg(long, env = "ART60_CHECKPOINT_FILE")]
    checkpoint_file: Option<PathBuf>,
    /// Start without a retention setting and purge nothing (all case content is kept). Without
    /// this flag (or --demo, which records a setting) `serve` refuses to start until the
    /// controller has fixed one with `art60 retention set`.
    #[arg(long, env = "ART60_NO_RETENTION")]
    no_retention: bool,
    /// Seconds between two retention runs (purge of expired case content) in this process.
    #[arg(long, env = "ART60_RETENTION_INTERVAL", default_value_t = 3600)]
    retention_interval: u64,
    /// Do not run the retention job in this process (another process or a cron job runs
    /// `art60 retention run`); a setting must still be in force.
    #[arg(long, env = "ART60_NO_RETENTION_JOB")]
    no_retention_job: bool,
    /// Refuse sign-in with a local password (accounts sign in through the identity provider
    /// configured with `--oidc-issuer`; API tokens keep working). Shown to administrators.
    #[arg(long, env = "ART60_NO_LOCAL_PASSWORDS")]
    no_local_passwords: bool,
    /// OpenID Connect provider (issuer address) of the organisations' access management,
    /// e.g. the social-security portal: enables "Sign in through your organisation".
    #[arg(long, env = "ART60_OIDC_ISSUER")]
    oidc_issuer: Option<String>,
    /// This service's client id at the provider.
    #[arg(long, env = "ART60_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    oidc_client_id: Option<String>,
    /// The client secret comes from the environment only (never the command line); without
    /// it the client is public (PKCE only).
    #[arg(skip = std::env::var("ART60_OIDC_CLIENT_SECRET").ok().filter(|s| !s.is_empty()))]
    oidc_client_secret: Option<String>,
    /// The claim carrying the organisation's KBO/BCE number.
    #[arg(long, env = "ART60_OIDC_ORG_CLAIM", default_value = "kbo")]
    oidc_org_claim: String,
    /// The claim carrying the art60 role(s) granted: `cpas_worker`, `access_manager` (CPAS);
    /// `onem_officer`, `onem_spoc` (ONEM); `federation_spoc` (a federation);
    /// `administrator`, `dpo` (the operator). See `art60 organisation`.
    #[arg(long, env = "ART60_OIDC_ROLE_CLAIM", default_value = "roles")]
    oidc_role_claim: String,
    /// The claim carrying an ONEM officer's office, as the directory's office code (ONEM has
    /// one KBO number for all its offices).
    #[arg(long, env = "ART60_OIDC_OFFICE_CLAIM", default_value = "onem_office")]
    oidc_office_claim: String,
    /// Scopes asked for besides `openid` (comma-separated), e.g. the ones that release the
    /// organisation and role claims.
    #[arg(
        long,
        env = "ART60_OIDC_SCOPES",
        value_delimiter = ',',
        default_value = "profile"
    )]
    oidc_scopes: Vec<String>,
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long)]
    log_json: bool,
    /// DmfA uploads read at once; over it an upload is answered 503 with Retry-After.
    #[arg(long, env = "ART60_DMFA_IMPORTS", default_value_t = art60_service::dmfa::DEFAULT_CONCURRENT_IMPORTS)]
    dmfa_imports: usize,
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
    let audit_key = crate::audit_cmd::load_key(args.audit_key_file.as_deref())?;
    let public = args
        .base_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", args.bind));
    let oidc = match (args.oidc_issuer, args.oidc_client_id) {
        (Some(issuer), Some(client_id)) => Some(art60_service::oidc::OidcConfig {
            issuer,
            client_id,
            client_secret: args.oidc_client_secret,
            // Registered at the provider; behind a proxy `--base-url` gives the public address.
            redirect_url: format!("{}/auth/oidc/callback", public.trim_end_matches('/')),
            // Signing out at the provider brings the browser back to the sign-in page (to be
            // registered at the provider as a post-logout redirect address).
            post_logout_redirect_url: Some(format!("{}/login", public.trim_end_matches('/'))),
            claims: art60_service::oidc::ClaimNames {
                organisation: args.oidc_org_claim,
                role: args.oidc_role_claim,
                office: args.oidc_office_claim,
            },
            scopes: args
                .oidc_scopes
                .into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        }),
        (Some(_), None) => anyhow::bail!("--oidc-issuer needs --oidc-client-id"),
        _ => None,
    };
    if args.no_local_passwords && oidc.is_none() {
        // Not an error: API tokens still work; but nobody could sign in to the portal.
        eprintln!(
            "warning: --no-local-passwords without --oidc-issuer: nobody can sign in to the portal"
        );
    }
    let cfg = Config {
        database_url: args.database_url,
        bind: args.bind,
        demo: args.demo,
        attachment_dir: args.attachment_dir,
        db_pool: args.db_pool,
        secure_cookies: args
            .secure_cookies
            .unwrap_or_else(|| art60_service::api::cookies::default_for(args.bind)),
        notify: (!args.no_scheduler).then(|| server::NotifySettings {
            interval: std::time::Duration::from_secs(args.notify_interval.max(1)),
            smtp: args
                .smtp_host
                .map(|host| art60_service::notify::SmtpConfig {
                    host,
                    port: args.smtp_port,
                    tls: args.smtp_tls,
                    username: args.smtp_username,
                    password: args.smtp_password,
                    from: args.smtp_from,
                    timeout: std::time::Duration::from_secs(20),
                }),
            base_url: args
                .base_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", args.bind)),
        }),
        public_url: args.base_url,
        trust_forwarded_for: args.trust_forwarded_for,
        metrics_bind: args.metrics_bind,
        dmfa_imports: args.dmfa_imports,
        metrics_token: args.metrics_token,
        audit_checkpoints: audit_key.map(|key| server::CheckpointSettings {
            key: std::sync::Arc::new(key),
            every: std::time::Duration::from_secs(args.checkpoint_interval.max(1)),
            file: args.checkpoint_file,
        }),
        retention: if args.no_retention {
            server::RetentionMode::Disabled
        } else if args.no_retention_job {
            server::RetentionMode::RequireOnly
        } else {
            server::RetentionMode::Run {
                every: std::time::Duration::from_secs(args.retention_interval.max(60)),
            }
        },
        passwords_off: args.no_local_passwords,
        oidc,
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
