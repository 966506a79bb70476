//! `art60`: the command line of the art60 project. Each subcommand lives in its own module
//! with a clap `Args` struct and a `run` function; this file only dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The engine allocates small, short-lived values by the hundred per calculation; mimalloc
// serves them in a fraction of the system allocator's time (BENCHMARKS.md, engine section).
#[global_allocator]
static ALLOCATOR: art60_alloc::MiMalloc = art60_alloc::MiMalloc;

mod audit_cmd;
mod backup_cmd;
mod calc_cmd;
mod dmfa_cmd;
mod impact_cmd;
mod law_cmd;
mod openapi_cmd;
mod organisation_cmd;
mod retention_cmd;
mod serve_cmd;

#[derive(Parser)]
#[command(
    name = "art60",
    version,
    about = "CPAS@ONEM: article 60 §7 duration calculations"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute the art. 60 contract end (plan) or admissibility on a date (assess).
    Calc(calc_cmd::CalcArgs),
    /// Read DmfA declarations (inspect, to-calc, import) or write a synthetic one.
    Dmfa(dmfa_cmd::DmfaArgs),
    /// Run the case service (JSON API under /api/v1, OpenAPI, Swagger UI).
    Serve(Box<serve_cmd::ServeArgs>),
    /// Audit trail tools (verify the chain and its signed checkpoints, sign a checkpoint).
    Audit(audit_cmd::AuditArgs),
    /// A consistent online copy of the SQLite database (PostgreSQL: pg_dump).
    Backup(backup_cmd::BackupArgs),
    /// Print the case service's OpenAPI 3.1 document (as served on /api/openapi.json).
    Openapi(openapi_cmd::OpenapiArgs),
    /// The law book: what the engine applies on a date, article by article.
    Law(law_cmd::LawArgs),
    /// Reform impact: recompute the stored requests under today's rules, a proposal or other
    /// options, and report which contracts end earlier or later (read-only, audited).
    Impact(Box<impact_cmd::ImpactArgs>),
    /// Retention (GDPR): the controller's setting, and a purge run with its report.
    Retention(retention_cmd::RetentionArgs),
    /// The organisations besides the CPAS whose people sign in through the identity
    /// provider (ONEM, federations, the operator), by KBO/BCE number.
    Organisation(organisation_cmd::OrganisationArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Calc(args) => calc_cmd::run(args),
        Command::Dmfa(args) => dmfa_cmd::run(args),
        Command::Serve(args) => serve_cmd::run(*args),
        Command::Audit(args) => audit_cmd::run(args),
        Command::Backup(args) => backup_cmd::run(args),
        Command::Law(args) => law_cmd::run(args),
        Command::Openapi(args) => openapi_cmd::run(args),
        Command::Impact(args) => impact_cmd::run(*args),
        Command::Retention(args) => retention_cmd::run(args),
        Command::Organisation(args) => organisation_cmd::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
