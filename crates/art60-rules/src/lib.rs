//! # art60-rules
//!
//! The calculation engine of art60: how many days a person must work under an article 60 §7
//! contract to become admissible to full unemployment benefits, when the contract may end,
//! and why. Pure: no I/O, no clock, no async. Every number of the law comes from the dated
//! parameter set ([`params`]); unsettled legal points are named [`options`]. The
//! [`lawbook`] says, article by article, what the engine applies at a date, in four languages.

pub mod calendar;
pub mod ids;
pub mod input;
pub mod units;

pub use ids::{IdError, Kbo, Niss};
pub use input::{CalcRequest, InputError, Mode};
pub mod engine;
pub mod options;
pub mod params;
pub mod result;

pub use engine::{CalcError, Detail, calculate, calculate_with};
pub use options::Options;
pub use params::ParamSet;
pub use result::CalcResult;
pub mod explain;
pub mod lawbook;
