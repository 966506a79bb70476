//! `art60 audit verify`: checks the hash chain of the audit trail.

use std::process::ExitCode;

use anyhow::Context;
use art60_service::Db;

#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    /// Check every entry's hash and link; report the first broken entry (exit code 2).
    Verify {
        /// SQLite file or PostgreSQL URL.
        #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
        database_url: String,
    },
}

pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify { database_url } = args.command;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let v = rt.block_on(async {
        let db = Db::connect(&database_url)
            .await
            .context("opening the database")?;
        art60_service::audit::verify(&db.conn)
            .await
            .context("reading the audit trail")
    })?;
    match v.first_broken {
        None => {
            println!("audit trail intact: {} entries", v.entries);
            Ok(ExitCode::SUCCESS)
        }
        Some((seq, why)) => {
            println!(
                "audit trail BROKEN at entry {seq}: {why} ({} entries verified before it)",
                v.entries
            );
            Ok(ExitCode::from(2))
        }
    }
}
