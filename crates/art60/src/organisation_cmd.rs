//! `art60 organisation`: the KBO/BCE numbers of the organisations other than the CPAS whose
//! people sign in through the identity provider (ONEM, the federations, the operator), so a
//! first federated sign-in can create their accounts (issue 14 §4). Audited as the operator.

use std::process::ExitCode;

use anyhow::Context;
use art60_service::audit::Who;
use art60_service::db::{Federation, OrgKind};
use art60_service::organisations::{self, NewOrganisation};
use art60_service::{Clock, Db, SystemClock};

#[derive(clap::Args)]
pub struct OrganisationArgs {
    #[command(subcommand)]
    command: OrganisationCommand,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Kind {
    /// ONEM: officers (their office from the office claim) and ONEM SPOCs.
    Onem,
    /// A federation: its SPOCs (give --federation).
    Federation,
    /// The operator of the service: administrators and the DPO.
    Operator,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Fed {
    Vvsg,
    Brulocalis,
    Uvcw,
}

#[derive(clap::Subcommand)]
enum OrganisationCommand {
    /// Register an organisation's KBO/BCE number (audited).
    Add {
        #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
        database_url: String,
        /// The number, with or without dots (ONEM: 0206.737.484).
        #[arg(long)]
        kbo: String,
        #[arg(long, value_enum)]
        kind: Kind,
        /// For --kind federation: which one.
        #[arg(long, value_enum)]
        federation: Option<Fed>,
        #[arg(long)]
        name: String,
    },
    /// Withdraw a registration (audited): no new account for its people, and their
    /// accounts are refused at the next federated sign-in.
    Remove {
        #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
        database_url: String,
        #[arg(long)]
        kbo: String,
    },
    /// List the registered organisations.
    List {
        #[arg(long, env = "ART60_DATABASE_URL", default_value = art60_service::db::DEFAULT_URL)]
        database_url: String,
    },
}

fn operator() -> Who {
    Who {
        org: Some("operator".into()),
        ..Default::default()
    }
}

pub fn run(args: OrganisationArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        match args.command {
            OrganisationCommand::Add {
                database_url,
                kbo,
                kind,
                federation,
                name,
            } => {
                let db = Db::connect(&database_url).await.context("database")?;
                let m = organisations::register(
                    &db,
                    SystemClock.now(),
                    &operator(),
                    NewOrganisation {
                        kbo,
                        kind: match kind {
                            Kind::Onem => OrgKind::Onem,
                            Kind::Federation => OrgKind::Federation,
                            Kind::Operator => OrgKind::Operator,
                        },
                        federation: federation.map(|f| match f {
                            Fed::Vvsg => Federation::Vvsg,
                            Fed::Brulocalis => Federation::Brulocalis,
                            Fed::Uvcw => Federation::Uvcw,
                        }),
                        name,
                    },
                )
                .await
                .map_err(crate::retention_cmd::describe)?;
                println!("organisation {} registered: {} ({})", m.kbo, m.name, m.kind);
                Ok(ExitCode::SUCCESS)
            }
            OrganisationCommand::Remove { database_url, kbo } => {
                let db = Db::connect(&database_url).await.context("database")?;
                organisations::remove(&db, SystemClock.now(), &operator(), &kbo)
                    .await
                    .map_err(crate::retention_cmd::describe)?;
                println!("organisation {kbo} removed");
                Ok(ExitCode::SUCCESS)
            }
            OrganisationCommand::List { database_url } => {
                let db = Db::connect(&database_url).await.context("database")?;
                let all = organisations::list(&db).await?;
                if all.is_empty() {
                    println!("no organisation registered: only CPAS users can sign in through the identity provider");
                }
                for m in &all {
                    println!(
                        "{}  {:<10}  {:<10}  {}",
                        m.kbo,
                        m.kind.as_str(),
                        m.federation.map(|f| f.as_str()).unwrap_or(""),
                        m.name
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}
