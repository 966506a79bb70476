//! `art60 calc`: run the engine on JSON requests.

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct CalcArgs {
    /// Request file (JSON), or - for standard input.
    pub file: Option<String>,
}

pub fn run(_args: CalcArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("not implemented yet")
}
