//! `art60 openapi`: prints the service's OpenAPI document (what `/api/openapi.json` serves),
//! for client generators and the validator CI runs.

use std::process::ExitCode;

use anyhow::Context;

#[derive(clap::Args)]
pub struct OpenapiArgs {}

pub fn run(_: OpenapiArgs) -> anyhow::Result<ExitCode> {
    let doc = serde_json::to_string_pretty(&art60_service::api::openapi())
        .context("serialising the OpenAPI document")?;
    println!("{doc}");
    Ok(ExitCode::SUCCESS)
}
