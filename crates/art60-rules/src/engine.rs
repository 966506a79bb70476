//! The engine's entry points: a request, options and parameters in, a result out. The law at
//! one date is in [`crate::law`], the search for the end date in [`crate::search`], the
//! explanation in [`crate::explain`].

use crate::input::{CalcRequest, InputError, Mode};
use crate::law::facts::Facts;
use crate::options::Options;
use crate::params::{NoRuleInForce, ParamSet};
use crate::result::CalcResult;
use crate::search::Search;

/// Why a calculation could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalcError {
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InputError),
    #[error(transparent)]
    NoRuleInForce(#[from] NoRuleInForce),
}

/// Runs one calculation. Pure: the same request, options and parameters give the same result.
pub fn calculate(
    req: &CalcRequest,
    options: &Options,
    params: &ParamSet,
) -> Result<CalcResult, CalcError> {
    calculate_with(req, options, params, Detail::Full)
}

/// How much of the result to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Everything: the explanation trace and the end date under the other quarter-cap method.
    #[default]
    Full,
    /// The decision only, for bulk runs: the same outcome, regime, status, options, flags and
    /// parameter versions as `Full`, but an empty `trace`, no `alternative` (the second scan
    /// under the other cap method is skipped) and no quarter rows in the winning option.
    Summary,
}

/// [`calculate`] with a choice of how much of the result to build.
pub fn calculate_with(
    req: &CalcRequest,
    options: &Options,
    params: &ParamSet,
    detail: Detail,
) -> Result<CalcResult, CalcError> {
    req.check()?;
    let search = Search::new(Facts::new(req, options, params), detail == Detail::Full);
    match req.mode {
        Mode::Plan => search.plan(),
        Mode::Assess => search.assess(),
    }
}
