//! # art60-rules
//!
//! The calculation engine of art60: how many days a person must work under an article 60 §7
//! contract to become admissible to full unemployment benefits, when the contract may end,
//! and why. Pure: no I/O, no clock, no async. Every number of the law comes from the dated
//! parameter set ([`params`]); unsettled legal points are named [`options`].
//!
//! The law at one application date is in `law/`, one file per article in the order of SPEC
//! §3; the search for the first feasible end date in `search/`; the explanation in
//! [`explain`].
//!
//! ## The law book
//!
//! [`lawbook`] says, article by article in the order of the engine's `law/` modules, what the
//! engine applies to a benefit application on a date: the rule in plain words, the parameters
//! in force with their values, validity and legal reference ([`ParamSet::entries_at`]), the
//! options that touch it with their default, and the worked examples and tests that check it.
//! Texts in English, French, Dutch and German (`lawbook/*.toml`); rendered as text or Markdown
//! here, as HTML by the portal (`/law`), and printed by `art60 law [--at DATE] [--lang fr]`.
//!
//! ```
//! use art60_rules::{ParamSet, explain::Lang, lawbook};
//! let date = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
//! let book = lawbook::book(ParamSet::embedded(), date, Lang::Fr).unwrap();
//! assert_eq!(book.articles[0].key, "facts");
//! assert!(lawbook::render_text(&book).contains("312 jours en 36 mois"));
//! ```
//!
//! A new article file in `src/law/` needs an entry in [`lawbook::ARTICLES`] and in each
//! `lawbook/*.toml`; a new parameter key needs a place in an article's `params`. The tests in
//! `tests/lawbook.rs` fail until both are done.

/// The values of an explanation step, written like a JSON object: `values!("age": age)`.
macro_rules! values {
    ($($k:literal : $v:expr),* $(,)?) => {
        $crate::result::StepValues(vec![$((std::borrow::Cow::Borrowed($k), $crate::result::StepValue::from($v))),*])
    };
}

pub mod calendar;
pub mod ids;
pub mod input;
pub mod serde_date;
pub mod units;

pub use ids::{IdError, Kbo, Niss};
pub use input::{CalcRequest, InputError, Mode};
pub mod engine;
pub mod explain;
mod law;
pub mod options;
pub mod params;
pub mod proposal;
pub mod result;
mod search;

pub use engine::{CalcError, Detail, calculate, calculate_fixed_end, calculate_with};
pub use options::Options;
pub use params::ParamSet;
pub use result::CalcResult;
pub mod lawbook;
