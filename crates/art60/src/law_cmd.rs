//! `art60 law`: the law book (issue 12 part E). Prints, article by article in the order of
//! the engine's `law/` modules, what the engine applies to a benefit application on a date:
//! the rule, the parameters in force with their values, validity and legal reference, the
//! policy options with their default, and the worked examples that test it.

use std::process::ExitCode;

use anyhow::Context;
use art60_rules::ParamSet;
use art60_rules::explain::Lang;
use art60_rules::lawbook;
use chrono::NaiveDate;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(clap::Args)]
pub struct LawArgs {
    /// The benefit application date the book is written for (YYYY-MM-DD); today by default.
    #[arg(long, value_name = "DATE")]
    pub at: Option<NaiveDate>,
    /// Language: en, fr, nl, de.
    #[arg(long, default_value = "en")]
    pub lang: String,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Use this parameter file instead of the embedded one.
    #[arg(long, value_name = "FILE")]
    pub params: Option<String>,
}

pub fn run(args: LawArgs) -> anyhow::Result<ExitCode> {
    let lang = Lang::parse(&args.lang)
        .ok_or_else(|| anyhow::anyhow!("--lang: expected en, fr, nl or de"))?;
    let owned;
    let params: &ParamSet = match &args.params {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {p}"))?;
            owned = ParamSet::from_toml(&text).with_context(|| format!("parameter file {p}"))?;
            &owned
        }
        None => ParamSet::embedded(),
    };
    // The book is about a date of the law, not about a person: the machine's date is enough.
    let at = args.at.unwrap_or_else(|| chrono::Local::now().date_naive());
    let book = lawbook::book(params, at, lang)?;
    let out = match args.format {
        Format::Text => lawbook::render_text(&book),
        Format::Markdown => lawbook::render_markdown(&book),
        Format::Json => serde_json::to_string_pretty(&book)?,
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
