//! `art60 audit`: checks the hash chain of the audit trail against its signed checkpoints,
//! writes a checkpoint on demand, makes a checkpoint key.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use art60_service::Db;
use art60_service::audit_checkpoint::{self, CheckpointCheck, CheckpointKey};

#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    /// Check every entry's hash and link, then the chain against the latest checkpoint signed
    /// by the public key; report the first broken entry or a cut tail (exit code 2).
    Verify {
        /// SQLite file or PostgreSQL URL.
        #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
        database_url: String,
        /// Base64 public key of the checkpoint key (`art60 audit keygen` prints it). Without
        /// it the checkpoints are not checked, and a cut tail with a rewritten head passes.
        #[arg(long, env = "ART60_AUDIT_PUBLIC_KEY")]
        public_key: Option<String>,
        /// A checkpoint file kept outside the database (`--checkpoint-file` of `serve` and
        /// `audit checkpoint`): its checkpoints count too.
        #[arg(long, env = "ART60_CHECKPOINT_FILE")]
        checkpoint_file: Option<PathBuf>,
    },
    /// Sign the chain's current head and store the checkpoint.
    Checkpoint {
        #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
        database_url: String,
        /// The key file (`art60 audit keygen --out`); or the key itself in ART60_AUDIT_KEY.
        #[arg(long, env = "ART60_AUDIT_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// Also append the checkpoint to this file (outside the database).
        #[arg(long, env = "ART60_CHECKPOINT_FILE")]
        checkpoint_file: Option<PathBuf>,
    },
    /// Make a new checkpoint key: the secret goes to FILE (readable by its owner only), the
    /// public key is printed.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
}

/// The checkpoint key from a file or from ART60_AUDIT_KEY (never the command line).
pub fn load_key(key_file: Option<&std::path::Path>) -> anyhow::Result<Option<CheckpointKey>> {
    if let Some(p) = key_file {
        return Ok(Some(CheckpointKey::from_file(p)?));
    }
    match std::env::var("ART60_AUDIT_KEY") {
        Ok(t) if !t.trim().is_empty() => Ok(Some(
            CheckpointKey::from_text(&t).context("ART60_AUDIT_KEY")?,
        )),
        _ => Ok(None),
    }
}

pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match args.command {
        AuditCommand::Verify {
            database_url,
            public_key,
            checkpoint_file,
        } => rt.block_on(verify(database_url, public_key, checkpoint_file)),
        AuditCommand::Checkpoint {
            database_url,
            key_file,
            checkpoint_file,
        } => {
            let key = load_key(key_file.as_deref())?
                .context("no checkpoint key: give --key-file or set ART60_AUDIT_KEY")?;
            let written = rt.block_on(async {
                let db = Db::connect(&database_url)
                    .await
                    .context("opening the database")?;
                audit_checkpoint::write(&db, chrono::Utc::now(), &key, checkpoint_file.as_deref())
                    .await
                    .context("writing the checkpoint")
            })?;
            match written {
                Some(cp) => println!("checkpoint signed: {} entries, head {}", cp.seq, cp.hash),
                None => println!("the head has not moved since the latest checkpoint"),
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Keygen { out } => {
            let key = CheckpointKey::generate();
            write_secret(&out, &key.to_text())?;
            println!("{}", key.public_key());
            eprintln!(
                "secret key written to {}; give `art60 audit verify --public-key` the line above",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Creates FILE (refusing to overwrite one) readable by its owner only.
fn write_secret(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    writeln!(f, "{text}").with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

async fn verify(
    database_url: String,
    public_key: Option<String>,
    checkpoint_file: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let db = Db::connect(&database_url)
        .await
        .context("opening the database")?;
    // Committed entries still waiting for the chain (a process stopped between a commit and
    // its chaining) are chained first: they are part of the trail.
    db.chain
        .chain_pending()
        .await
        .context("chaining the entries of committed transactions")?;
    let v = art60_service::audit::verify(&db.conn)
        .await
        .context("reading the audit trail")?;
    // Entries past the audit period may have been removed from the start (retention).
    let start = v.base.as_ref().map_or_else(String::new, |b| {
        format!(
            " after entry {} (the earlier ones were removed past the audit period)",
            b.seq
        )
    });
    if let Some((seq, why)) = v.first_broken {
        println!(
            "audit trail BROKEN at entry {seq}: {why} ({} entries verified before it)",
            v.entries
        );
        return Ok(ExitCode::from(2));
    }
    let Some(pk) = public_key else {
        println!(
            "audit trail intact: {} entries{start} (checkpoints not checked: no --public-key)",
            v.entries
        );
        return Ok(ExitCode::SUCCESS);
    };
    let from_file = match &checkpoint_file {
        Some(f) => audit_checkpoint::read_file(f)?,
        None => vec![],
    };
    if let Some(base) = &v.base
        && !audit_checkpoint::base_vouched(&db, pk.trim(), &from_file, base)
            .await
            .context("reading the checkpoints")?
    {
        println!(
            "audit trail BROKEN at its start: entries up to {} are gone and no checkpoint signed by this key names entry {} with that hash",
            base.seq, base.seq
        );
        return Ok(ExitCode::from(2));
    }
    let check = audit_checkpoint::check_stored(&db, pk.trim(), from_file, v.last_seq())
        .await
        .context("reading the checkpoints")?;
    match check {
        CheckpointCheck::Holds(cp) => {
            println!(
                "audit trail intact: {} entries{start}; the checkpoint of {} ({} entries) holds",
                v.entries,
                cp.signed_at.format("%Y-%m-%d %H:%M:%S UTC"),
                cp.seq
            );
            Ok(ExitCode::SUCCESS)
        }
        CheckpointCheck::TailCut {
            checkpoint,
            entries,
        } => {
            println!(
                "audit trail BROKEN: tail cut; the checkpoint of {} signed {} entries, the chain has {entries}",
                checkpoint.signed_at.format("%Y-%m-%d %H:%M:%S UTC"),
                checkpoint.seq
            );
            Ok(ExitCode::from(2))
        }
        CheckpointCheck::Rewritten(cp) => {
            println!(
                "audit trail BROKEN at entry {}: its hash differs from the checkpoint of {}",
                cp.seq,
                cp.signed_at.format("%Y-%m-%d %H:%M:%S UTC")
            );
            Ok(ExitCode::from(2))
        }
        CheckpointCheck::ForeignKey(cp) => {
            println!(
                "audit trail NOT VERIFIED: the latest checkpoint ({} entries) is signed by another key ({})",
                cp.seq, cp.public_key
            );
            Ok(ExitCode::from(2))
        }
        CheckpointCheck::NoCheckpoint => {
            println!(
                "audit trail NOT VERIFIED: {} entries, but no checkpoint signed by this key (deleted, or never written)",
                v.entries
            );
            Ok(ExitCode::from(2))
        }
    }
}
