//! The engine's entry points: a request, options and parameters in, a result out. The law at
//! one date is in [`crate::law`], the search for the end date in [`crate::search`], the
//! explanation in [`crate::explain`].

use crate::input::{CalcRequest, InputError, Mode};
use crate::law::facts::Facts;
use crate::options::Options;
use crate::params::{NoRuleInForce, ParamSet};
use crate::result::{CalcResult, Flag, Outcome, Status};
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

/// The answer when ONEM fixes the contract's end date itself (an override of the planned end):
/// the same law, evaluated at `end` (DA = `end` + 1), gives the days to work the contract then
/// holds and says whether the person is admissible on that DA, with the whole explanation.
/// The request must be a plan (it has the contract); `end` may not precede the contract start.
pub fn calculate_fixed_end(
    req: &CalcRequest,
    end: chrono::NaiveDate,
    options: &Options,
    params: &ParamSet,
) -> Result<CalcResult, CalcError> {
    run_with(req, options, params, Detail::Full, Some(end))
}

/// How much of the result to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// Everything: the explanation trace and the end date under the other quarter-cap method.
    #[default]
    Full,
    /// The decision only, for bulk runs: the same outcome, regime, status, options, flags and
    /// parameter versions as `Full`, but an empty `trace`, no `alternative` (the second scan
    /// under the other cap method is skipped), no quarter rows in the winning option and no
    /// `right` (the right's duration, information that decides nothing: its career count
    /// reads the whole history).
    Summary,
}

/// [`calculate`] with a choice of how much of the result to build.
pub fn calculate_with(
    req: &CalcRequest,
    options: &Options,
    params: &ParamSet,
    detail: Detail,
) -> Result<CalcResult, CalcError> {
    run_with(req, options, params, detail, None)
}

fn run_with(
    req: &CalcRequest,
    options: &Options,
    params: &ParamSet,
    detail: Detail,
    fixed_end: Option<chrono::NaiveDate>,
) -> Result<CalcResult, CalcError> {
    req.check()?;
    let run = |assume: Option<Status>| {
        let mut facts = Facts::new(req, options, params);
        facts.wage_unknown_as = assume;
        let search = Search::new(facts, detail == Detail::Full);
        match (req.mode, fixed_end) {
            (Mode::Plan, Some(end)) => search.fixed(end),
            (Mode::Assess, Some(_)) => Err(CalcError::InvalidInput(InputError::coded(
                crate::input::InputCode::Invalid,
                "mode",
                "an end date fixed by ONEM needs a plan request (with its contract)",
            ))),
            (Mode::Plan, None) => search.plan(),
            (Mode::Assess, None) => search.assess(),
        }
    };
    match run(None) {
        Err(CalcError::NoRuleInForce(e)) if e.parameter == "reference_wage" => {
            // AR art. 28 §2 with no reference wage in force: both statuses, the safer kept.
            let a = run(Some(Status::AssimilatedFullTime))?;
            let b = run(Some(Status::VoluntaryPartTime))?;
            let mut kept = if safety(&b) > safety(&a) { b } else { a };
            let flag = Flag {
                key: "manual_review.reference_wage_unknown".into(),
                detail: format!("AR art. 28 §2: {}", e.date),
            };
            if !kept.trace.is_empty() {
                kept.trace.push(crate::explain::trace::step(
                    "flag.manual_review",
                    None,
                    values!("key": &flag.key, "detail": &flag.detail),
                ));
            }
            kept.manual_review.push(flag);
            kept.manual_review.sort();
            kept.manual_review.dedup();
            Ok(kept)
        }
        other => other,
    }
}

/// How safe an answer is for the person (a later end date is safer: the contract does not
/// end before the person is admissible; not admissible is safer than admissible).
fn safety(r: &CalcResult) -> (u8, Option<chrono::NaiveDate>) {
    match &r.outcome {
        Outcome::Unreachable { .. } => (3, None),
        Outcome::Planned { end_date, .. } => (2, Some(*end_date)),
        Outcome::NoStageRequired { .. } => (1, None),
        Outcome::Assessed { admissible, .. } => (u8::from(!admissible), None),
        Outcome::Fixed {
            end_date,
            admissible,
            ..
        } => (u8::from(!admissible) + 1, Some(*end_date)),
    }
}
