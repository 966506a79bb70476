//! The one place where the case service calls the rules engine. Sending a request runs it and
//! stores the whole result (outcome, trace, options, parameter versions, engine version).

use art60_rules::input::HistoryItem;
use art60_rules::options::Options;
use art60_rules::params::ParamSet;
use art60_rules::{CalcError, CalcRequest};
use chrono::NaiveDate;

/// What is kept of one engine run: the whole result as JSON, and the columns queried on.
#[derive(Debug, Clone)]
pub struct Stored {
    pub result: serde_json::Value,
    pub engine_version: String,
    pub end_date: Option<NaiveDate>,
    pub first_benefit_date: Option<NaiveDate>,
    pub days_to_work: Option<u32>,
    pub provisional: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The input was refused; `path` is the field inside the engine request.
    #[error("{path}: {reason}")]
    Input {
        path: String,
        code: art60_rules::input::InputCode,
        reason: String,
    },
    #[error("no rule in force on {date}")]
    NoRuleInForce { date: NaiveDate },
}

/// The engine input of a sent request: the typed periods as in the form, and beside them the
/// person's DmfA periods (each keeps its source; conflicts are shown by `dmfa::for_request`,
/// never merged here). Quarters not declared yet are the engine's to fill ("no interruption"
/// rule, provisional result with the reason).
pub fn with_dmfa(mut req: CalcRequest, dmfa: Vec<HistoryItem>) -> CalcRequest {
    req.history.extend(dmfa);
    req
}

/// Runs the engine with the default policy options and the embedded parameter set.
pub fn run(req: &CalcRequest) -> Result<Stored, EngineError> {
    let options = Options::default();
    stored(art60_rules::calculate(req, &options, ParamSet::embedded()))
}

/// Runs the engine under another parameter set (the demo's answers sized before the 2026
/// reform was published; a reform impact's proposal).
pub fn run_under(req: &CalcRequest, params: &ParamSet) -> Result<Stored, EngineError> {
    stored(art60_rules::calculate(req, &Options::default(), params))
}

/// The engine at the end date ONEM set (an override): the DA, the days to work and whether
/// the person is admissible then, with the explanation.
/// `options` are those the computed result was made with, so both answers apply one policy.
pub fn run_fixed_end(
    req: &CalcRequest,
    end: NaiveDate,
    options: &Options,
) -> Result<Stored, EngineError> {
    stored(art60_rules::calculate_fixed_end(
        req,
        end,
        options,
        ParamSet::embedded(),
    ))
}

fn stored(computed: Result<art60_rules::CalcResult, CalcError>) -> Result<Stored, EngineError> {
    let result = computed.map_err(|e| match e {
        CalcError::InvalidInput(i) => EngineError::Input {
            path: i.path,
            code: i.code,
            reason: i.reason,
        },
        CalcError::NoRuleInForce(n) => EngineError::NoRuleInForce { date: n.date },
    })?;
    let json = serde_json::to_value(&result).map_err(|e| EngineError::Input {
        path: "$".into(),
        code: art60_rules::input::InputCode::Invalid,
        reason: format!("result not serialisable: {e}"),
    })?;
    Ok(Stored {
        engine_version: result.engine_version.to_string(),
        end_date: result.end_date(),
        first_benefit_date: result.first_benefit_date(),
        days_to_work: result.days_to_work(),
        provisional: result.is_provisional(),
        result: json,
    })
}
