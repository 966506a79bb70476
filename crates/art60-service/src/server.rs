//! Running the service: connect, migrate, optionally seed the demo, serve until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusBuilder;

use crate::api::{self, AppState};
use crate::attachments::Store;
use crate::auth::PasswordCost;
use crate::clock::{Clock, SystemClock};
use crate::db::Db;
use crate::demo;

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    pub demo: bool,
    pub attachment_dir: Option<PathBuf>,
    pub db_pool: u32,
    /// Mark every cookie `Secure` (served behind TLS); see [`api::cookies::default_for`].
    pub secure_cookies: bool,
    /// The notification scheduler; `None`: not started in this process.
    pub notify: Option<NotifySettings>,
    /// The portal's public address (see [`api::Settings::public_url`]).
    pub public_url: Option<String>,
    /// See [`api::Settings::trust_forwarded_for`].
    pub trust_forwarded_for: bool,
    /// Serve `/metrics` on this separate address (without a token) instead of the main one.
    pub metrics_bind: Option<SocketAddr>,
    /// Serve `/metrics` on the main address behind this bearer token.
    pub metrics_token: Option<String>,
    /// DmfA uploads read at once (see [`crate::dmfa::ImportSlots`]).
    pub dmfa_imports: usize,
    /// Sign a checkpoint of the audit chain at start and then periodically.
    pub audit_checkpoints: Option<CheckpointSettings>,
    /// Retention (SPEC §9): whether this process runs the purge job, and whether it may start
    /// without a retention setting in force.
    pub retention: RetentionMode,
    /// Refuse password sign-in (see [`api::Settings::passwords_off`]).
    pub passwords_off: bool,
    /// Sign-in through the organisations' identity provider.
    pub oidc: Option<crate::oidc::OidcConfig>,
}

/// `art60 serve`'s retention settings. There is no silent default: unless `--demo` (which
/// records one) or `--no-retention` (keep everything, said out loud), the server refuses to
/// start while no retention setting is in force.
#[derive(Debug, Clone)]
pub enum RetentionMode {
    /// Run the purge every `every` in this process (safe in several processes at once).
    Run { every: std::time::Duration },
    /// A setting must be in force, but another process runs the purge.
    RequireOnly,
    /// Start without a setting and purge nothing: everything is kept.
    Disabled,
}

/// `art60 serve --audit-key-file`: the periodic signed checkpoints of the audit chain.
#[derive(Debug, Clone)]
pub struct CheckpointSettings {
    pub key: Arc<crate::audit_checkpoint::CheckpointKey>,
    pub every: std::time::Duration,
    /// Also append each checkpoint to this file (outside the database).
    pub file: Option<PathBuf>,
}

/// `art60 serve`'s notification settings.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// How often the scheduler scans and delivers.
    pub interval: std::time::Duration,
    /// `None`: no e-mails (portal notifications only; e-mail rows wait for a server).
    pub smtp: Option<crate::notify::SmtpConfig>,
    /// The portal's public address, for links in mails.
    pub base_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("demo data: {0}")]
    Demo(#[from] crate::error::ServiceError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
    #[error("metrics recorder: {0}")]
    Metrics(String),
    #[error("mail: {0}")]
    Mail(#[from] crate::notify::MailError),
    #[error(
        "no retention setting is in force: the controller must fix one first \
         (`art60 retention set --valid-from DATE --case-months N --audit-months M`), \
         or start with --no-retention to keep all case content"
    )]
    RetentionNotSet,
    #[error("{0}")]
    Oidc(#[from] crate::oidc::OidcError),
}

/// What a start seeds: the demonstration data (`--demo`; on a seeded database it only
/// resets the demo passwords), or else SPEC §1.5's offices in an empty directory. One
/// process seeds at a time ([`Db::start_lock`]), so processes starting together on one empty
/// PostgreSQL database do not both insert.
pub async fn seed_on_start(
    db: &Db,
    demo: bool,
    now: chrono::DateTime<chrono::Utc>,
    cost: PasswordCost,
) -> Result<Vec<demo::Credential>, ServerError> {
    let lock = db.start_lock().await?;
    let creds = if demo {
        match demo::seed(db, now, cost).await {
            Ok(c) => demo_retention(db, now).await.map(|()| c),
            Err(e) => Err(e),
        }
    } else {
        let operator = crate::audit::Who {
            org: Some("operator".into()),
            ..Default::default()
        };
        crate::directory::seed_offices(db, now, &operator)
            .await
            .map(|_| vec![])
    };
    lock.release().await?;
    Ok(creds?)
}

/// The demo's retention, recorded once (a controller fixes the real one): five years after the
/// last activity, audit entries ten.
async fn demo_retention(
    db: &Db,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), crate::error::ServiceError> {
    if !crate::retention::list(&db.reads).await?.is_empty() {
        return Ok(());
    }
    let operator = crate::audit::Who {
        org: Some("operator".into()),
        ..Default::default()
    };
    let from = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    crate::retention::set(
        db,
        now,
        &operator,
        crate::retention::NewSetting {
            valid_from: from,
            case_months: 60,
            audit_months: 120,
            note: Some("demo (art60 serve --demo)".into()),
        },
    )
    .await
    .map(|_| ())
}

/// Serves until Ctrl-C / SIGTERM. `announce` receives the demo credentials (if any) and the
/// bound address before the first request is accepted.
pub async fn run(
    cfg: Config,
    announce: impl FnOnce(&[demo::Credential], SocketAddr),
) -> Result<(), ServerError> {
    run_with(cfg, api::router, announce).await
}

/// Like [`run`], with the application built by `make_app` from the shared state: the binary
/// passes the portal (which depends on this crate, so this crate cannot name it).
pub async fn run_with(
    cfg: Config,
    make_app: impl FnOnce(AppState) -> axum::Router,
    announce: impl FnOnce(&[demo::Credential], SocketAddr),
) -> Result<(), ServerError> {
    // A wrong issuer or callback address stops the start, before anyone is sent there.
    let oidc = cfg
        .oidc
        .clone()
        .map(crate::oidc::Provider::new)
        .transpose()?
        .map(Arc::new);
    let db = Db::connect_pool(&cfg.database_url, None, cfg.db_pool).await?;
    // Entries committed just before a crash wait for a chaining transaction: chain them now
    // rather than at the next write.
    let recovered = db.chain.chain_pending().await?;
    if recovered > 0 {
        tracing::info!(entries = recovered, "audit entries chained after a restart");
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let cost = PasswordCost::default();
    let creds = seed_on_start(&db, cfg.demo, clock.now(), cost).await?;
    if !matches!(cfg.retention, RetentionMode::Disabled)
        && crate::retention::in_force(&db.reads, clock.today_brussels())
            .await?
            .is_none()
    {
        return Err(ServerError::RetentionNotSet);
    }
    let (stop_scheduler, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler = match &cfg.notify {
        Some(n) => {
            let mailer = n
                .smtp
                .as_ref()
                .map(crate::notify::Mailer::new)
                .transpose()?;
            let delivery = crate::notify::DeliveryConfig {
                worker: format!("{}-{}", cfg.bind, std::process::id()),
                base_url: n.base_url.trim_end_matches('/').to_owned(),
                ..Default::default()
            };
            Some(
                crate::notify::scheduler::Scheduler {
                    db: db.clone(),
                    clock: clock.clone(),
                    mailer,
                    cfg: crate::notify::scheduler::SchedulerConfig {
                        interval: n.interval,
                        delivery,
                    },
                }
                .spawn(stop_rx),
            )
        }
        None => None,
    };
    let metrics = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| ServerError::Metrics(e.to_string()))?;
    let metrics_server = match cfg.metrics_bind {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|source| ServerError::Bind { addr, source })?;
            tracing::info!(%addr, "metrics listening");
            let app = api::metrics_router(metrics.clone());
            Some(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::warn!(error = %e, "metrics server stopped");
                }
            }))
        }
        None => None,
    };
    let state = AppState {
        db,
        clock,
        store: cfg.attachment_dir.map(Store::Directory).unwrap_or_default(),
        password_cost: cost,
        metrics: Some(metrics),
        settings: api::Settings {
            public_url: cfg
                .public_url
                .as_deref()
                .map(|u| u.trim_end_matches('/').to_owned()),
            trust_forwarded_for: cfg.trust_forwarded_for,
            // With a separate metrics address the main one has no /metrics at all.
            metrics_token: cfg
                .metrics_token
                .clone()
                .filter(|_| cfg.metrics_bind.is_none()),
            dmfa_imports: crate::dmfa::ImportSlots::new(cfg.dmfa_imports),
            passwords_off: cfg.passwords_off,
            oidc,
        },
    };
    let checkpointer = cfg.audit_checkpoints.clone().map(|c| {
        let (db, clock) = (state.db.clone(), state.clock.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(c.every);
            loop {
                tick.tick().await;
                if let Err(e) =
                    crate::audit_checkpoint::write(&db, clock.now(), &c.key, c.file.as_deref())
                        .await
                {
                    tracing::warn!(error = %e, "signing an audit checkpoint failed");
                }
            }
        })
    });
    let sweeper = {
        let (db, clock) = (state.db.clone(), state.clock.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
            loop {
                tick.tick().await;
                if let Err(e) = db.sweep(clock.now()).await {
                    tracing::warn!(error = %e, "sweeping expired rows failed");
                }
            }
        })
    };
    let retention = match cfg.retention {
        RetentionMode::Run { every } => {
            let (db, clock, store) = (state.db.clone(), state.clock.clone(), state.store.clone());
            Some(tokio::spawn(async move {
                let who = crate::audit::Who {
                    org: Some("operator".into()),
                    ..Default::default()
                };
                let opts = crate::retention::RunOptions {
                    audit_empty: false,
                    ..Default::default()
                };
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    match crate::retention::run(&db, &store, clock.now(), &who, &opts).await {
                        Ok(r) if r.persons > 0 => {
                            tracing::info!(
                                persons = r.persons,
                                requests = r.requests,
                                audit_seq = r.audit_seq,
                                "retention purged expired case content"
                            );
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "retention run failed"),
                    }
                }
            }))
        }
        RetentionMode::RequireOnly | RetentionMode::Disabled => None,
    };
    let app = make_app(state);
    let app = if cfg.secure_cookies {
        api::cookies::secure(app)
    } else {
        app
    };
    let listener = tokio::net::TcpListener::bind(cfg.bind)
        .await
        .map_err(|source| ServerError::Bind {
            addr: cfg.bind,
            source,
        })?;
    let addr = listener.local_addr()?;
    announce(&creds, addr);
    tracing::info!(%addr, "listening");
    // The peer address feeds sign-in throttling (`api::extract::ClientSource`).
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await?;
    sweeper.abort();
    if let Some(r) = retention {
        r.abort();
    }
    if let Some(c) = checkpointer {
        c.abort();
    }
    if let Some(m) = metrics_server {
        m.abort();
    }
    // Let a round in progress finish: its claimed rows are released or marked sent.
    let _ = stop_scheduler.send(true);
    if let Some(h) = scheduler {
        let _ = h.await;
    }
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
