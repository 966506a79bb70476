//! The engine's answer: numbers, windows, per-quarter breakdown, flags, the options and
//! parameter versions used, and an ordered explanation trace with stable keys.

use std::borrow::Cow;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::input::{Mode, Quarter};
use crate::options::{Options, QuarterCapMethod};
use crate::params::{ParamUse, RegimeId};
use crate::units::{Fixed4, Hundredths};

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
    pub article: Cow<'static, str>,
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
    pub job: Cow<'static, str>,
    pub source: PartSource,
    /// The formula applied: `78` (a whole quarter), `A×6/R`, `A×Q/R×6/S`, `H×6/S`, `R6`,
    /// `R6×Q/S`, `C×Q/7×6/S`, `≤ 12` (unpaid, yearly cap). A = days in the worker's regime,
    /// H = hours, R6 = Monday–Saturday days, C = calendar days.
    pub formula: Cow<'static, str>,
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
        #[serde(serialize_with = "crate::serde_date::serialize")]
        end_date: NaiveDate,
        #[serde(serialize_with = "crate::serde_date::serialize")]
        first_benefit_date: NaiveDate,
        /// Scheduled working days of the contract from its start to the end date.
        days_to_work: u32,
        /// The contract's contribution to the winning option (rounded up).
        contract_contribution: i64,
    },
    /// ONEM fixed the end date itself (an override): the same law evaluated at that end gives
    /// the DA and the days to work, and says whether the person is admissible on that DA.
    Fixed {
        #[serde(serialize_with = "crate::serde_date::serialize")]
        end_date: NaiveDate,
        #[serde(serialize_with = "crate::serde_date::serialize")]
        first_benefit_date: NaiveDate,
        days_to_work: u32,
        contract_contribution: i64,
        admissible: bool,
    },
    /// Plan: the person is admissible without a stage (re-admission).
    NoStageRequired {
        #[serde(serialize_with = "crate::serde_date::serialize")]
        first_benefit_date: NaiveDate,
    },
    /// Assess: admissible or not on the DA.
    Assessed {
        #[serde(serialize_with = "crate::serde_date::serialize")]
        application_date: NaiveDate,
        admissible: bool,
    },
    /// Plan: no end date within the scan horizon meets any option.
    Unreachable {
        /// The option that came closest (count less requirement) on the dates the search
        /// assessed: its count and requirement. The search skips dates its bounds prove
        /// unfeasible, so another date may have come as close or closer.
        best_counted: i64,
        required: i64,
        reason: String,
        #[serde(serialize_with = "crate::serde_date::serialize")]
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
    pub key: Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<Cow<'static, str>>,
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub values: StepValues,
}

/// A value of an explanation step, kept typed until it is written out: building a trace
/// formats no date and allocates no JSON tree. It serialises exactly as the JSON value it
/// stands for (a date as `"2026-05-04"`, an amount as a number, an enum as its snake_case
/// name).
#[derive(Debug, Clone)]
pub enum StepValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Fixed(Fixed4),
    Hours(Hundredths),
    Date(NaiveDate),
    Quarter(Quarter),
    Text(Cow<'static, str>),
    /// Any other JSON value, as read back from a stored result.
    Json(serde_json::Value),
}

impl StepValue {
    /// The JSON value this stands for.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Equal when they stand for the same JSON value: a stored result read back holds its dates
/// as text, yet it is the same result.
impl PartialEq for StepValue {
    fn eq(&self, other: &Self) -> bool {
        self.to_json() == other.to_json()
    }
}

impl Serialize for StepValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StepValue::Null => s.serialize_unit(),
            StepValue::Bool(b) => s.serialize_bool(*b),
            StepValue::Int(i) => s.serialize_i64(*i),
            StepValue::Float(f) => s.serialize_f64(*f),
            StepValue::Fixed(f) => f.serialize(s),
            StepValue::Hours(h) => h.serialize(s),
            StepValue::Date(d) => d.serialize(s),
            StepValue::Quarter(q) => q.serialize(s),
            StepValue::Text(t) => s.serialize_str(t),
            StepValue::Json(v) => v.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for StepValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match serde_json::Value::deserialize(d)? {
            serde_json::Value::Null => StepValue::Null,
            serde_json::Value::Bool(b) => StepValue::Bool(b),
            serde_json::Value::String(t) => StepValue::Text(Cow::Owned(t)),
            serde_json::Value::Number(n) if n.is_i64() => {
                StepValue::Int(n.as_i64().unwrap_or_default())
            }
            v => StepValue::Json(v),
        })
    }
}

/// The conversions of the values a step holds.
macro_rules! step_value_from {
    ($($t:ty => |$v:ident| $e:expr),* $(,)?) => {$(
        impl From<$t> for StepValue {
            fn from($v: $t) -> Self {
                $e
            }
        }
    )*};
}
step_value_from!(
    bool => |v| StepValue::Bool(v),
    i64 => |v| StepValue::Int(v),
    i32 => |v| StepValue::Int(i64::from(v)),
    u32 => |v| StepValue::Int(i64::from(v)),
    usize => |v| StepValue::Int(i64::try_from(v).unwrap_or(i64::MAX)),
    f64 => |v| StepValue::Float(v),
    Fixed4 => |v| StepValue::Fixed(v),
    Hundredths => |v| StepValue::Hours(v),
    NaiveDate => |v| StepValue::Date(v),
    Quarter => |v| StepValue::Quarter(v),
    &str => |v| StepValue::Text(Cow::Owned(v.to_string())),
    String => |v| StepValue::Text(Cow::Owned(v)),
    &String => |v| StepValue::Text(Cow::Owned(v.clone())),
    // A label the engine keeps borrowed stays borrowed.
    &Cow<'static, str> => |v| StepValue::Text(v.clone()),
);

/// Values read through a reference (`match &outcome { .. }`).
macro_rules! step_value_by_ref {
    ($($t:ty),*) => {$(
        impl From<&$t> for StepValue {
            fn from(v: &$t) -> Self {
                StepValue::from(*v)
            }
        }
    )*};
}
step_value_by_ref!(bool, i64, i32, u32, Fixed4, Hundredths, NaiveDate, Quarter);

impl<T: Into<StepValue>> From<Option<T>> for StepValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(StepValue::Null, Into::into)
    }
}

/// The snake_case name of a unit enum variant, as serde writes it (`RegimeId::Old` is
/// `"old"`), without building a JSON value. `None` for anything that is not a unit variant.
pub fn variant_name<T: Serialize + ?Sized>(v: &T) -> Option<&'static str> {
    v.serialize(VariantName).ok()
}

/// Enum values of the engine (regimes, units, extension kinds, methods) in a step.
macro_rules! step_value_enum {
    ($($t:ty),*) => {$(
        impl From<$t> for StepValue {
            fn from(v: $t) -> Self {
                variant_name(&v).map_or(StepValue::Null, |n| StepValue::Text(Cow::Borrowed(n)))
            }
        }
    )*};
}
step_value_enum!(
    crate::params::RegimeId,
    crate::params::ExtensionKind,
    Unit,
    QuarterCapMethod
);

/// The values of a step, in the order the engine wrote them. Written out as a JSON object
/// whose keys are sorted (as they always were), read back from any JSON object.
#[derive(Debug, Clone, Default)]
pub struct StepValues(pub Vec<(Cow<'static, str>, StepValue)>);

/// The same names with the same values, in any order (as a JSON object).
impl PartialEq for StepValues {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.0.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl StepValues {
    pub fn get(&self, name: &str) -> Option<&StepValue> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for StepValues {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut sorted: Vec<&(Cow<'static, str>, StepValue)> = self.0.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut m = s.serialize_map(Some(sorted.len()))?;
        for (k, v) in sorted {
            m.serialize_entry(k.as_ref(), v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for StepValues {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        m.into_iter()
            .map(|(k, v)| {
                StepValue::deserialize(v)
                    .map(|v| (Cow::Owned(k), v))
                    .map_err(serde::de::Error::custom)
            })
            .collect::<Result<Vec<_>, _>>()
            .map(StepValues)
    }
}

/// A serializer that only answers the name of a unit variant.
struct VariantName;

#[derive(Debug)]
struct NotAVariant;

impl std::fmt::Display for NotAVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a unit variant")
    }
}
impl std::error::Error for NotAVariant {}
impl serde::ser::Error for NotAVariant {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        NotAVariant
    }
}

macro_rules! not_a_variant {
    ($($name:ident($($arg:ty),*)),* $(,)?) => {$(
        fn $name(self, $(_: $arg),*) -> Result<Self::Ok, NotAVariant> {
            Err(NotAVariant)
        }
    )*};
}

impl serde::Serializer for VariantName {
    type Ok = &'static str;
    type Error = NotAVariant;
    type SerializeSeq = serde::ser::Impossible<&'static str, NotAVariant>;
    type SerializeTuple = serde::ser::Impossible<&'static str, NotAVariant>;
    type SerializeTupleStruct = serde::ser::Impossible<&'static str, NotAVariant>;
    type SerializeTupleVariant = serde::ser::Impossible<&'static str, NotAVariant>;
    type SerializeMap = serde::ser::Impossible<&'static str, NotAVariant>;
    type SerializeStruct = serde::ser::Impossible<&'static str, NotAVariant>;
    type SerializeStructVariant = serde::ser::Impossible<&'static str, NotAVariant>;

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<&'static str, NotAVariant> {
        Ok(variant)
    }

    not_a_variant!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
    );

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<&'static str, NotAVariant> {
        Err(NotAVariant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<&'static str, NotAVariant> {
        Err(NotAVariant)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<&'static str, NotAVariant> {
        Err(NotAVariant)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, NotAVariant> {
        Err(NotAVariant)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, NotAVariant> {
        Err(NotAVariant)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, NotAVariant> {
        Err(NotAVariant)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NotAVariant> {
        Err(NotAVariant)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, NotAVariant> {
        Err(NotAVariant)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, NotAVariant> {
        Err(NotAVariant)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, NotAVariant> {
        Err(NotAVariant)
    }
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
    /// The parameter set's, shared.
    pub set_id: std::sync::Arc<str>,
    pub version: std::sync::Arc<str>,
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
    /// The right's duration (new regime, admissible; information only). Not in a summary
    /// ([`crate::Detail::Summary`]).
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
    /// [`ENGINE_VERSION`] for a calculation of this engine (no copy a result).
    pub engine_version: Cow<'static, str>,
    pub trace: Vec<Step>,
}

impl CalcResult {
    pub fn end_date(&self) -> Option<NaiveDate> {
        match self.outcome {
            Outcome::Planned { end_date, .. } | Outcome::Fixed { end_date, .. } => Some(end_date),
            _ => None,
        }
    }
    pub fn first_benefit_date(&self) -> Option<NaiveDate> {
        match self.outcome {
            Outcome::Planned {
                first_benefit_date, ..
            }
            | Outcome::Fixed {
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
            Outcome::Planned { days_to_work, .. } | Outcome::Fixed { days_to_work, .. } => {
                Some(days_to_work)
            }
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
