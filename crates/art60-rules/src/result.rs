//! The engine's answer: numbers, windows, per-quarter breakdown, flags, the options and
//! parameter versions used, and an ordered explanation trace with stable keys.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::input::{Mode, Quarter};
use crate::options::{Options, QuarterCapMethod};
use crate::params::{ParamUse, RegimeId};
use crate::units::Fixed4;

/// Version of the engine code, stored with every calculation.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Art. 28 §1: Q = S.
    FullTime,
    /// Art. 28 §2: part-time schedule, pay at least the reference wage.
    AssimilatedFullTime,
    /// Art. 29 §4: counted in half-days under art. 33.
    VoluntaryPartTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Days,
    HalfDays,
}

/// One way of meeting the stage: an article, an age band, a unit and a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OptionEval {
    /// Stable id, e.g. `art30_band36`, `art33_band0`, `art32_band36`.
    pub id: String,
    pub article: String,
    pub unit: Unit,
    pub required: i64,
    /// Exact total (4 decimals).
    pub counted_exact: Fixed4,
    /// Total rounded up.
    pub counted: i64,
    pub met: bool,
    pub window: Window,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub art32: Option<Art32Eval>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quarters: Vec<QuarterRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Art32Eval {
    pub past_start: NaiveDate,
    pub past_end: NaiveDate,
    pub past_days: i64,
    pub past_required: i64,
    pub condition: String,
}

/// A reference period: base months back from the DA, extended, possibly cut off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Window {
    pub months: u32,
    pub base_start: NaiveDate,
    pub start: NaiveDate,
    pub end: NaiveDate,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<AppliedExtension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutoff: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppliedExtension {
    /// Where the event comes from (`history[i]`, `contract.absences[i]`, `contract`).
    pub event: String,
    pub kind: crate::params::ExtensionKind,
    pub event_start: NaiveDate,
    /// Last day taken into account (after the age limit and the cap).
    pub event_end: NaiveDate,
    pub length_days: i64,
    pub start_before: NaiveDate,
    pub start_after: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartSource {
    Declared,
    NoInterruptionRule,
    Projected,
    Assimilated,
    Foreign,
    Contract,
    UnpaidWithinCap,
}

/// One job in one quarter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PartRow {
    /// `contract` or `history[i]`.
    pub job: String,
    pub source: PartSource,
    /// The formula applied: `78` (a whole quarter), `A×6/R`, `A×Q/R×6/S`, `H×6/S`, `R6`,
    /// `R6×Q/S`, `C×Q/7×6/S`, `≤ 12` (unpaid, yearly cap). A = days in the worker's regime,
    /// H = hours, R6 = Monday–Saturday days, C = calendar days.
    pub formula: String,
    pub value: Fixed4,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QuarterRow {
    pub quarter: Quarter,
    pub parts: Vec<PartRow>,
    pub raw: Fixed4,
    /// The cap applied, if any (78, or the start-quarter Mon–Sat days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Fixed4>,
    pub result: Fixed4,
}

/// What the calculation concluded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// Plan: the contract may end on `end_date`; benefits may be applied for from
    /// `first_benefit_date` (= DA = end + 1).
    Planned {
        end_date: NaiveDate,
        first_benefit_date: NaiveDate,
        /// Scheduled working days of the contract from its start to the end date.
        days_to_work: u32,
        /// The contract's contribution to the winning option (rounded up).
        contract_contribution: i64,
    },
    /// Plan: the person is admissible without a stage (re-admission).
    NoStageRequired { first_benefit_date: NaiveDate },
    /// Assess: admissible or not on the DA.
    Assessed {
        application_date: NaiveDate,
        admissible: bool,
    },
    /// Plan: no end date within the scan horizon meets any option.
    Unreachable {
        best_counted: i64,
        required: i64,
        reason: String,
        scanned_until: NaiveDate,
    },
}

/// Half-allowances a week for a voluntary part-timer (information only, SPEC §3.3.6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HalfAllowances {
    /// Q × 12 / S before rounding.
    pub exact: Fixed4,
    pub per_week: i64,
    /// Monday to Saturday.
    pub by_day: [i64; 6],
}

impl HalfAllowances {
    /// N = Q × `full_week` / S rounded half up, one a day from Monday, the rest again from
    /// Monday (EX22).
    pub fn compute(q_hundredths: i64, s_hundredths: i64, full_week: i64) -> HalfAllowances {
        let exact = Fixed4::ratio(
            i128::from(q_hundredths) * i128::from(full_week),
            i128::from(s_hundredths.max(1)),
        );
        // Rounded half up in integers: (2qk + s) div 2s.
        let s = s_hundredths.max(1);
        let n = (2 * q_hundredths * full_week + s) / (2 * s);
        let base = n / 6;
        let extra = n % 6;
        let mut by_day = [base; 6];
        for d in by_day.iter_mut().take(extra as usize) {
            *d += 1;
        }
        HalfAllowances {
            exact,
            per_week: n,
            by_day,
        }
    }
}

/// Duration of the right (new regime; information only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RightDuration {
    pub career_days: i64,
    pub available_days: i64,
    pub extra_months: i64,
    pub months: i64,
    pub from: NaiveDate,
    /// `None` for an unlimited right.
    pub until: Option<NaiveDate>,
    pub unlimited: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Flag {
    /// Stable key, e.g. `provisional.no_dmfa`, `manual_review.category`: the meaning, to be
    /// translated.
    pub key: String,
    /// Where: the period (`history[2]`, `contract`), the quarter, the category or the
    /// country concerned; no prose, so that it reads in every language.
    pub detail: String,
}

/// A step of the explanation: a stable key (for translation), the article it rests on and
/// the values it uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    pub values: serde_json::Map<String, serde_json::Value>,
}

/// The date with the other cap method (SPEC §3.14.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Alternative {
    pub method: QuarterCapMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    /// The later of both dates: safe whichever method ONEM applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safe_end_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ParamVersions {
    pub set_id: String,
    pub version: String,
    pub used: Vec<ParamUse>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CalcResult {
    pub mode: Mode,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regime: Option<RegimeId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<i32>,
    /// The option that was met (or the closest one when none was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub winning_option: Option<OptionEval>,
    /// Every option evaluated at the answer's DA (without the quarter detail).
    pub options_evaluated: Vec<OptionEval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<Alternative>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<RightDuration>,
    /// For a voluntary part-timer: half-allowances a week (information only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_allowances: Option<HalfAllowances>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_stage_required: Option<String>,
    pub provisional: Vec<Flag>,
    pub manual_review: Vec<Flag>,
    pub options: Options,
    pub parameters: ParamVersions,
    pub engine_version: String,
    pub trace: Vec<Step>,
}

impl CalcResult {
    pub fn end_date(&self) -> Option<NaiveDate> {
        match self.outcome {
            Outcome::Planned { end_date, .. } => Some(end_date),
            _ => None,
        }
    }
    pub fn first_benefit_date(&self) -> Option<NaiveDate> {
        match self.outcome {
            Outcome::Planned {
                first_benefit_date, ..
            }
            | Outcome::NoStageRequired { first_benefit_date } => Some(first_benefit_date),
            Outcome::Assessed {
                application_date,
                admissible: true,
            } => Some(application_date),
            _ => None,
        }
    }
    pub fn days_to_work(&self) -> Option<u32> {
        match self.outcome {
            Outcome::Planned { days_to_work, .. } => Some(days_to_work),
            Outcome::NoStageRequired { .. } => Some(0),
            _ => None,
        }
    }
    pub fn is_provisional(&self) -> bool {
        !self.provisional.is_empty()
    }
    pub fn needs_manual_review(&self) -> bool {
        !self.manual_review.is_empty()
    }
}
