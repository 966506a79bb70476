//! `art60 backup --out FILE`: a consistent online copy of a SQLite database, checked before
//! it is reported (integrity check and the audit chain). PostgreSQL: `pg_dump`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use art60_service::Db;

#[derive(clap::Args)]
pub struct BackupArgs {
    /// SQLite file of the running (or stopped) service.
    #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
    database_url: String,
    /// The copy to write (must not exist).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: BackupArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let db = Db::connect(&args.database_url)
            .await
            .context("opening the database")?;
        db.backup_to(&args.out).await.context("backup")?;
        let entries = Db::check_sqlite_copy(&args.out)
            .await
            .context("checking the copy")?;
        println!(
            "backup written to {} (integrity ok, audit trail intact: {} entries)",
            args.out.display(),
            entries
        );
        Ok(ExitCode::SUCCESS)
    })
}
