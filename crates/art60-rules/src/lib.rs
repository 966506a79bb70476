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

/// The values of an explanation step, written like a JSON object: `values!("age": age)`.
macro_rules! values {
    ($($k:literal : $v:expr),* $(,)?) => {
        $crate::result::StepValues(vec![$((std::borrow::Cow::Borrowed($k), $crate::result::StepValue::from($v))),*])
    };
}

pub mod calendar;
pub mod ids;
pub mod input;
pub mod units;

pub use ids::{IdError, Kbo, Niss};
pub use input::{CalcRequest, InputError, Mode};
pub mod engine;
pub mod explain;
mod law;
pub mod options;
pub mod params;
pub mod result;
mod search;

pub use engine::{CalcError, Detail, calculate, calculate_with};
pub use options::Options;
pub use params::ParamSet;
pub use result::CalcResult;
