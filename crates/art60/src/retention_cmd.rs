//! `art60 retention`: the controller's retention setting (SPEC §9) and a purge run by hand,
//! besides the background job of `art60 serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use art60_service::attachments::Store;
use art60_service::audit::Who;
use art60_service::retention::{self, NewSetting, RunOptions};
use art60_service::{Clock, Db, SystemClock};
use chrono::NaiveDate;

#[derive(clap::Args)]
pub struct RetentionArgs {
    #[command(subcommand)]
    command: RetentionCommand,
}

#[derive(clap::Subcommand)]
enum RetentionCommand {
    /// Record a retention setting, in force from `--valid-from` (audited).
    Set {
        #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
        database_url: String,
        /// First day (Europe/Brussels) the setting applies, e.g. 2027-01-01.
        #[arg(long)]
        valid_from: NaiveDate,
        /// Months case content is kept after the person's last case activity.
        #[arg(long)]
        case_months: i32,
        /// Months audit entries are kept (at least --case-months).
        #[arg(long)]
        audit_months: i32,
        /// Where the decision is recorded (e.g. the processing register's entry).
        #[arg(long)]
        note: Option<String>,
    },
    /// List the settings and the one in force today.
    Show {
        #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
        database_url: String,
    },
    /// Purge the case content whose retention has expired, and report what went (audited).
    Run {
        #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
        database_url: String,
        /// Report what would be purged; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// The report as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// The attachment directory of `art60 serve --attachment-dir`, so purged files go too.
        #[arg(long, env = "ART60_ATTACHMENT_DIR")]
        attachment_dir: Option<PathBuf>,
    },
}

fn operator() -> Who {
    Who {
        org: Some("operator".into()),
        ..Default::default()
    }
}

pub fn run(args: RetentionArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        match args.command {
            RetentionCommand::Set {
                database_url,
                valid_from,
                case_months,
                audit_months,
                note,
            } => {
                let db = Db::connect(&database_url).await.context("database")?;
                let s = retention::set(
                    &db,
                    SystemClock.now(),
                    &operator(),
                    NewSetting {
                        valid_from,
                        case_months,
                        audit_months,
                        note,
                    },
                )
                .await
                .map_err(describe)?;
                println!(
                    "retention setting {} recorded: from {}, case content {} months after the last activity, audit entries {} months",
                    s.id, s.valid_from, s.case_months, s.audit_months
                );
                Ok(ExitCode::SUCCESS)
            }
            RetentionCommand::Show { database_url } => {
                let db = Db::connect(&database_url).await.context("database")?;
                let all = retention::list(&db.reads).await?;
                let now = retention::in_force(&db.reads, SystemClock.today_brussels()).await?;
                if all.is_empty() {
                    println!("no retention setting: `art60 serve` refuses to start without one (or --no-retention)");
                }
                for s in &all {
                    let mark = if now.as_ref().is_some_and(|n| n.id == s.id) {
                        " (in force)"
                    } else {
                        ""
                    };
                    println!(
                        "{:>4}  from {}  case {:>4} months  audit {:>4} months  {}{mark}",
                        s.id,
                        s.valid_from,
                        s.case_months,
                        s.audit_months,
                        s.note.as_deref().unwrap_or("")
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            RetentionCommand::Run {
                database_url,
                dry_run,
                json,
                attachment_dir,
            } => {
                let db = Db::connect(&database_url).await.context("database")?;
                let store = attachment_dir.map(Store::Directory).unwrap_or_default();
                let report = retention::run(
                    &db,
                    &store,
                    SystemClock.now(),
                    &operator(),
                    &RunOptions {
                        dry_run,
                        ..Default::default()
                    },
                )
                .await
                .map_err(describe)?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    print!("{}", report.text());
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// Field errors name their field on the command line.
pub(crate) fn describe(e: art60_service::ServiceError) -> anyhow::Error {
    match e {
        art60_service::ServiceError::Invalid(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|f| format!("--{}: {}", f.field.replace('_', "-"), f.reason))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        art60_service::ServiceError::Refused { reason, .. } => anyhow::anyhow!("{reason}"),
        other => anyhow::Error::new(other),
    }
}
