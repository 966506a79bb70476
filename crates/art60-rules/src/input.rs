//! The engine's input: a person, an article 60 contract, a history of periods and the facts of
//! previous admissions. Everything here is plain data that (de)serialises to JSON; a request
//! becomes usable only through [`CalcRequest::parse`] / [`CalcRequest::check`], which reject
//! nonsense with the JSON path of the faulty field.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Weekday};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::Niss;
use crate::units::Hundredths;

/// What the caller asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// CPAS question: the earliest contract end date that makes the person admissible.
    Plan,
    /// ONEM question: is the person admissible on a given benefit application date?
    Assess,
}

/// One calculation request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalcRequest {
    pub mode: Mode,
    /// The day the calculation is made (Europe/Brussels). Declared data for later quarters
    /// cannot exist yet; it only marks results as provisional, it never moves a date.
    #[serde(deserialize_with = "crate::serde_date::required")]
    pub today: NaiveDate,
    pub person: Person,
    /// The art. 60 §7 contract. Required for `plan`; for `assess` it is the last job if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<Contract>,
    /// The benefit application date (DA). Required for `assess`; ignored by `plan`.
    #[serde(
        default,
        deserialize_with = "crate::serde_date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub application_date: Option<NaiveDate>,
    /// Past periods: work in Belgium or abroad, insured periods, periods that extend the
    /// reference period.
    #[serde(default)]
    pub history: Vec<HistoryItem>,
    /// Earlier admissions to full unemployment benefits (new regime cut-off, SPEC §3.5.3).
    #[serde(default)]
    pub previous_admissions: Vec<PreviousAdmission>,
    /// Last day paid as full unemployment or income-guarantee allowance (old art. 42).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_paid_unemployment: Option<LastPaid>,
    /// End of the right currently running (new art. 42).
    #[serde(
        default,
        deserialize_with = "crate::serde_date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_right_until: Option<NaiveDate>,
    /// Career history for the duration of the right (new regime). When absent the engine
    /// counts the history it was given, which may be shorter than the real career.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub career: Option<Career>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Person {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub niss: Option<Niss>,
    #[serde(deserialize_with = "crate::serde_date::required")]
    pub birth_date: NaiveDate,
    /// Recognised dock worker or sea fisherman (unlimited right, AR art. 114 §2).
    #[serde(default, skip_serializing_if = "is_false")]
    pub dock_worker_or_fisher: bool,
    /// The day the person's working career began. Art. 32's past-career variant: a career
    /// begun inside the ten years before the window halves the working days from this day to
    /// the end of those ten years (SPEC §3.11). Absent: not known (the career is older).
    #[serde(
        default,
        deserialize_with = "crate::serde_date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub career_start_date: Option<NaiveDate>,
    /// A foreign national whose work in Belgium needs a work permit (AR art. 43; SPEC
    /// §3.9.6): only permitted work counts. EU, EEA and Swiss nationals need no permit and
    /// leave this false.
    #[serde(default, skip_serializing_if = "is_false")]
    pub foreign_national: bool,
    /// The person's work permits (single permits, work authorisations), for a foreign
    /// national. Work that resumes more than `permit_gap_days` after a permit lapsed needs
    /// art. 30/33 to be met again (AR art. 43 §2): the officer reviews it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub work_permits: Vec<WorkPermit>,
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Person")
            .field("niss", &self.niss)
            .field("birth_date", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A work permit's validity. `end` is absent for a permit without an end date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkPermit {
    #[serde(deserialize_with = "crate::serde_date::required")]
    pub start: NaiveDate,
    #[serde(
        default,
        deserialize_with = "crate::serde_date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub end: Option<NaiveDate>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// R when the days per week are unknown: 5 (AM art. 7; SPEC §3.7 rule 2, §4 `default_r`).
/// The same number as the `counting` parameter's `default_days_per_week` in every entry
/// (tested): a request is read before its date, and so before its parameters, are known.
pub const DEFAULT_DAYS_PER_WEEK: Hundredths = Hundredths::whole(5);
/// S when the reference person's hours are unknown: 38 (SPEC §3.7 rule 3, §4 `default_s`).
pub const DEFAULT_REFERENCE_HOURS: Hundredths = Hundredths::whole(38);

/// The most days a week a typed work regime may have: the portal's form and the API agree on
/// it (issue 13 §4). A week has six R6 days and a regime of more is a typing error for the
/// contract and for a typed past job.
pub const MAX_DAYS_PER_WEEK: Hundredths = Hundredths::whole(6);
/// A DmfA occupation declares WorkingDaysSystem up to 7.00 (dmfa.md, zone 00047; the official
/// sample has one), and conversion A × 6 / R (SPEC §3.7) reads it as declared: periods whose
/// `source` is `dmfa`, or that carry declared quarters, keep that range.
pub const MAX_DAYS_PER_WEEK_DMFA: Hundredths = Hundredths::whole(7);

fn default_days_per_week() -> Hundredths {
    DEFAULT_DAYS_PER_WEEK
}
fn default_reference_hours() -> Hundredths {
    DEFAULT_REFERENCE_HOURS
}

/// Days per week R (1 to 6, two decimals for variable cycles such as 2.25; up to 7 for a
/// period from the DmfA, see [`MAX_DAYS_PER_WEEK_DMFA`]), weekly hours Q and the reference
/// person's weekly hours S (Q ≤ S). SPEC §3.7 gives defaults for R (5) and
/// S (38) only: Q has none, and a regime without it is refused on its `weekly_hours` field
/// rather than read as a full-time job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkRegime {
    #[serde(default = "default_days_per_week")]
    pub days_per_week: Hundredths,
    pub weekly_hours: Hundredths,
    #[serde(default = "default_reference_hours")]
    pub reference_hours: Hundredths,
}

impl WorkRegime {
    pub fn full_time_5() -> Self {
        WorkRegime {
            days_per_week: DEFAULT_DAYS_PER_WEEK,
            weekly_hours: DEFAULT_REFERENCE_HOURS,
            reference_hours: DEFAULT_REFERENCE_HOURS,
        }
    }
    pub fn is_full_time(&self) -> bool {
        self.weekly_hours >= self.reference_hours
    }
    /// `max_days`: [`MAX_DAYS_PER_WEEK`], or [`MAX_DAYS_PER_WEEK_DMFA`] for a DmfA period.
    fn check(&self, path: &Path<'_>, max_days: Hundredths) -> Result<(), InputError> {
        if self.days_per_week < Hundredths::whole(1) || self.days_per_week > max_days {
            return Err(InputError::coded(
                InputCode::DaysPerWeekOutOfRange,
                path.field("days_per_week").to_string(),
                format!("R must be between 1 and {max_days} days per week"),
            ));
        }
        if self.reference_hours.raw() <= 0 || self.reference_hours.raw() > 60_00 {
            return Err(InputError::coded(
                InputCode::ReferenceHoursOutOfRange,
                path.field("reference_hours").to_string(),
                "S must be above 0 and at most 60 hours",
            ));
        }
        if self.weekly_hours.raw() <= 0 {
            return Err(InputError::coded(
                InputCode::HoursNotPositive,
                path.field("weekly_hours").to_string(),
                "Q must be above 0",
            ));
        }
        if self.weekly_hours > self.reference_hours {
            return Err(InputError::coded(
                InputCode::HoursAboveReference,
                path.field("weekly_hours").to_string(),
                "Q cannot exceed S (the reference person's hours)",
            ));
        }
        Ok(())
    }
}

/// The days of the week worked; `None` means the first R days from Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
    pub fn of(w: Weekday) -> Day {
        [
            Day::Mon,
            Day::Tue,
            Day::Wed,
            Day::Thu,
            Day::Fri,
            Day::Sat,
            Day::Sun,
        ][w.num_days_from_monday() as usize]
    }
}

/// Gross pay of a job: the assimilated full-time status (AR art. 28 §2) and the RMMMG check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Pay {
    /// Gross monthly pay in euros.
    Monthly(Hundredths),
    /// Gross hourly pay in euros.
    Hourly(Hundredths),
}

/// The art. 60 §7 contract to plan (or the last job, for `assess`).
// Read through `ContractIn`, which names the regime's fields itself: serde reads a flattened
// struct from a buffer of the whole object (a fifth of a request's parse), and its errors
// there named only `contract`, not the field.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    #[serde(deserialize_with = "crate::serde_date::required")]
    pub start: NaiveDate,
    #[serde(flatten)]
    pub regime: WorkRegime,
    /// Weekdays worked; defaults to the first R days from Monday.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekdays: Option<Vec<Day>>,
    /// Gross pay: the assimilated full-time status (AR art. 28 §2) and the minimum-pay check
    /// against the RMMMG (AR art. 37 §1; SPEC §3.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay: Option<Pay>,
    /// Planned or actual absences during the contract (what-if or `event_impact`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absences: Vec<Absence>,
    /// For `assess`: the last day of the contract (defaults to DA − 1).
    #[serde(
        default,
        deserialize_with = "crate::serde_date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub end: Option<NaiveDate>,
}

/// [`Contract`] as a request writes it: the regime's three fields beside the others (its
/// schema is [`Contract`]'s).
#[derive(Deserialize)]
#[serde(rename = "Contract", deny_unknown_fields)]
struct ContractIn {
    #[serde(deserialize_with = "crate::serde_date::required")]
    start: NaiveDate,
    #[serde(default = "default_days_per_week")]
    days_per_week: Hundredths,
    weekly_hours: Hundredths,
    #[serde(default = "default_reference_hours")]
    reference_hours: Hundredths,
    #[serde(default)]
    weekdays: Option<Vec<Day>>,
    #[serde(default)]
    pay: Option<Pay>,
    #[serde(default)]
    absences: Vec<Absence>,
    #[serde(default, deserialize_with = "crate::serde_date::optional")]
    end: Option<NaiveDate>,
}

impl<'de> Deserialize<'de> for Contract {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let c = ContractIn::deserialize(d)?;
        Ok(Contract {
            start: c.start,
            regime: WorkRegime {
                days_per_week: c.days_per_week,
                weekly_hours: c.weekly_hours,
                reference_hours: c.reference_hours,
            },
            weekdays: c.weekdays,
            pay: c.pay,
            absences: c.absences,
            end: c.end,
        })
    }
}

/// Kinds of absence during a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceKind {
    /// Sickness paid by the employer (guaranteed pay): counts.
    GuaranteedPaySickness,
    /// Sickness paid by the health insurer: counts in the old regime; extends in the new.
    InsuredSickness,
    WorkAccident,
    OccupationalDisease,
    /// Maternity rest or prohibition, paternity or adoption leave: counts (new art. 38 6°).
    Maternity,
    /// Unpaid leave: old regime within 12 R6 days a year, new regime not counted.
    UnpaidLeave,
    /// Temporary unemployment with allowance: counts (new art. 38 10°).
    TemporaryUnemployment,
    /// Strike or lock-out: counts (new art. 38 7°).
    Strike,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Absence {
    pub kind: AbsenceKind,
    #[serde(deserialize_with = "crate::serde_date::required")]
    pub start: NaiveDate,
    #[serde(deserialize_with = "crate::serde_date::required")]
    pub end: NaiveDate,
}

/// A calendar quarter, written `2024Q3` (or `20243` as in the DmfA).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    pub q: u8,
}

impl Quarter {
    pub fn of(d: NaiveDate) -> Quarter {
        Quarter {
            year: d.year(),
            q: (d.month0() / 3 + 1) as u8,
        }
    }
    pub fn start(self) -> NaiveDate {
        crate::calendar::quarter_bounds(self.year, self.q).0
    }
    pub fn end(self) -> NaiveDate {
        crate::calendar::quarter_bounds(self.year, self.q).1
    }
    pub fn next(self) -> Quarter {
        if self.q == 4 {
            Quarter {
                year: self.year + 1,
                q: 1,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q + 1,
            }
        }
    }
    pub fn prev(self) -> Quarter {
        if self.q == 1 {
            Quarter {
                year: self.year - 1,
                q: 4,
            }
        } else {
            Quarter {
                year: self.year,
                q: self.q - 1,
            }
        }
    }
    /// A monotone index, for arithmetic on quarters.
    pub fn index(self) -> i32 {
        self.year * 4 + i32::from(self.q) - 1
    }
    /// The first quarter whose DmfA cannot exist yet on `today` (SPEC §7: the current
    /// quarter, and the previous one until the end of the current quarter's first month).
    /// Only these may be filled by the "no interruption" rule (§3.10).
    pub fn first_pending_on(today: NaiveDate) -> Quarter {
        let q = Quarter::of(today);
        if today.month0().is_multiple_of(3) {
            q.prev()
        } else {
            q
        }
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.q)
    }
}
impl fmt::Debug for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl FromStr for Quarter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (y, q) = if let Some((y, q)) = s.split_once(['Q', 'q', '/', '-']) {
            (y, q)
        } else if s.len() == 5 {
            s.split_at(4)
        } else {
            return Err(format!("quarter must look like 2024Q3, got {s:?}"));
        };
        let year: i32 = y
            .parse()
            .map_err(|_| format!("bad quarter year in {s:?}"))?;
        let q: u8 = q
            .parse()
            .map_err(|_| format!("bad quarter number in {s:?}"))?;
        if !(1..=4).contains(&q) || !(1950..=2200).contains(&year) {
            return Err(format!("quarter out of range: {s:?}"));
        }
        Ok(Quarter { year, q })
    }
}

impl Serialize for Quarter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for Quarter {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
impl JsonSchema for Quarter {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quarter".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "pattern": "^[0-9]{4}Q?[1-4]$", "examples": ["2024Q3"]})
    }
}

/// Categories of declared days (SPEC §3.6). Whether a category counts, counts within a cap,
/// extends the window or does not count depends on the regime: that is parameter data.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DayCategory {
    EffectiveWork,
    HolidayPay,
    PaidPublicHoliday,
    GuaranteedPay,
    CompensatoryRest,
    OtherPaidMinimum,
    Maternity,
    /// DmfA code 51 (mostly maternity rest; option `open_assimilations`).
    MaternityProtection,
    Strike,
    SocialJudgeOrFosterCare,
    TemporaryUnemployment,
    InsuredSickness,
    UnpaidAbsence,
    /// DmfA codes 5 and 13 (educational leave, social promotion; option `open_assimilations`).
    EducationalLeave,
    /// DmfA codes 23, 4, 73 (waiting day, first bad-weather day, youth/senior holiday).
    WaitingOrBadWeather,
    OvertimeWithoutContribution,
    /// Full-unemployment allowance, vocational training, frost days without temporary
    /// unemployment (old regime: assimilated [P]).
    FullUnemployment,
    /// Anything the engine cannot classify: counted as zero and flagged for manual review.
    Unknown,
}

/// Every category, for completeness checks of parameter tables.
pub const ALL_CATEGORIES: &[DayCategory] = &[
    DayCategory::EffectiveWork,
    DayCategory::HolidayPay,
    DayCategory::PaidPublicHoliday,
    DayCategory::GuaranteedPay,
    DayCategory::CompensatoryRest,
    DayCategory::OtherPaidMinimum,
    DayCategory::Maternity,
    DayCategory::MaternityProtection,
    DayCategory::Strike,
    DayCategory::SocialJudgeOrFosterCare,
    DayCategory::TemporaryUnemployment,
    DayCategory::InsuredSickness,
    DayCategory::UnpaidAbsence,
    DayCategory::EducationalLeave,
    DayCategory::WaitingOrBadWeather,
    DayCategory::OvertimeWithoutContribution,
    DayCategory::FullUnemployment,
    DayCategory::Unknown,
];

/// Days and/or hours declared in one category for a quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredLine {
    pub category: DayCategory,
    /// Days in the worker's own regime (DmfA ServiceNbrDays / 100).
    #[serde(default)]
    pub days: Hundredths,
    /// Hours (DmfA ServiceNbrHours / 100); required for part-timers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<Hundredths>,
    /// The DmfA service code it came from, for the explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_code: Option<u16>,
    /// Educational leave and social promotion (DmfA codes 5 and 13, category
    /// `educational_leave`) count in the new regime only when paid with the unemployment
    /// contribution (new art. 38 §1 5°; option `open_assimilations`, SPEC §5 Q6). Absent
    /// means `unknown`, which the officer reviews. Only for `educational_leave` lines.
    #[serde(default, skip_serializing_if = "ContributionPaid::is_unknown")]
    pub paid_with_unemployment_contribution: ContributionPaid,
}

/// Whether days were paid with the unemployment contribution withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContributionPaid {
    Yes,
    No,
    #[default]
    Unknown,
}

impl ContributionPaid {
    pub fn is_unknown(&self) -> bool {
        *self == ContributionPaid::Unknown
    }
}

/// The declared data of one job for one quarter (one DmfA occupation line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuarterDeclaration {
    pub quarter: Quarter,
    pub lines: Vec<DeclaredLine>,
}

/// Where a period comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    #[default]
    Manual,
    Dmfa,
    C4,
}

/// Work abroad details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Abroad {
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Frontier worker: no Belgian follow-up needed.
    #[serde(default)]
    pub frontier_worker: bool,
    /// Posted worker on the Belgian ONSS: counts as Belgian work.
    #[serde(default)]
    pub posted: bool,
    /// Overseas social security (SSOM): one day of Belgian work is enough.
    #[serde(default)]
    pub ssom: bool,
    /// The officer's decision whether this period counts, which depends on the person's
    /// nationality under the convention (SPEC §3.9.1; evidence: form U1). Absent: not
    /// decided yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer_decision: Option<ForeignDecision>,
}

/// The officer's decision on a foreign period (SPEC §3.9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ForeignDecision {
    /// The convention covers the person: the period counts (after the follow-up).
    Counts,
    /// It does not: the period does not count (it may still extend the window as
    /// uncountable foreign work).
    DoesNotCount,
}

/// A period of the person's past.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryItem {
    pub kind: PeriodKind,
    #[serde(deserialize_with = "crate::serde_date::required")]
    pub start: NaiveDate,
    #[serde(deserialize_with = "crate::serde_date::required")]
    pub end: NaiveDate,
    /// For work: R, Q, S. For an insured period: the regime of the job it interrupted
    /// (assimilated days count in the same proportion, SPEC §3.6). Within a regime, R and S
    /// default to 5 and 38 and Q is required (SPEC §3.7). A period without any regime is
    /// read as full time R5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regime: Option<WorkRegime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekdays: Option<Vec<Day>>,
    /// For work in Belgium: the declared quarters. Quarters of the period without a
    /// declaration use the "no interruption" rule and make the result provisional.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quarters: Vec<QuarterDeclaration>,
    /// For work abroad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abroad: Option<Abroad>,
    /// For child raising: the child's birth date and whether the child is disabled.
    #[serde(
        default,
        deserialize_with = "crate::serde_date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub child_birth_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub child_disabled: bool,
    /// Employer name or number: consecutive periods with the same employer form one job
    /// (art. 33 average hours), and the explanation names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer: Option<String>,
    /// Gross pay: for the determining job (assimilated full-time status, AR art. 28 §2) and
    /// for the minimum-pay check against the RMMMG (AR art. 37 §1; SPEC §3.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay: Option<Pay>,
    #[serde(default)]
    pub source: Source,
    /// Data still to be confirmed (for example a C4 without DmfA).
    #[serde(default, skip_serializing_if = "is_false")]
    pub provisional: bool,
    /// For work: jobs whose days AM art. 7 does not convert (teachers, piece-rate and home
    /// workers, sports professionals) go to the officer (SPEC §3.8.4).
    #[serde(default, skip_serializing_if = "JobCategory::is_ordinary")]
    pub job_category: JobCategory,
}

/// Kinds of job with their own conversion rules, which the engine does not implement
/// (SPEC §3.8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobCategory {
    /// Days and hours convert under AM art. 7.
    #[default]
    Ordinary,
    /// Teaching staff (AM art. 9).
    Teacher,
    /// Piece-rate workers such as lumberjacks, and home workers (AM art. 11-12).
    PieceRate,
    /// Paid sports professionals (26 days a month).
    Sports,
}

impl JobCategory {
    pub fn is_ordinary(&self) -> bool {
        *self == JobCategory::Ordinary
    }
}

/// Kinds of past periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// Salaried work in Belgium under the unemployment branch.
    #[default]
    Work,
    /// Salaried work abroad (needs `abroad`).
    ForeignWork,
    InsuredSickness,
    WorkAccident,
    OccupationalDisease,
    Maternity,
    TemporaryUnemployment,
    UnpaidLeave,
    /// Full unemployment with allowance.
    FullUnemployment,
    SelfEmployment,
    /// Work outside the unemployment branch (statutory staff, non-ONSS).
    NonOnssWork,
    /// Career break or time credit with allowance.
    CareerBreak,
    /// Pre-trial detention or imprisonment.
    Detention,
    MilitaryService,
    ForceMajeure,
    /// Unpaid study or training (old regime 11°).
    UnpaidStudy,
    /// Not working to raise a child (needs `child_birth_date`).
    ChildRaising,
    /// Any other situation: the officer decides (manual review).
    Other,
}

impl PeriodKind {
    pub fn is_work(self) -> bool {
        matches!(self, PeriodKind::Work | PeriodKind::ForeignWork)
    }
}

/// Which article an earlier admission was granted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdmissionArticle {
    Art30,
    Art32,
    Art33,
    Art42,
    Art42bis,
    /// Insertion allowances: no cut-off.
    Insertion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviousAdmission {
    /// The application date (DA) of that admission.
    #[serde(deserialize_with = "crate::serde_date::required")]
    pub application_date: NaiveDate,
    /// The first day paid, if known (option `prior_admission_anchor`).
    #[serde(
        default,
        deserialize_with = "crate::serde_date::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_paid_day: Option<NaiveDate>,
    pub article: AdmissionArticle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum LastPaid {
    /// Last day paid as full unemployment.
    Day(NaiveDate),
    /// Income-guarantee allowance (AGR) paid up to this month (any day of it): the last
    /// non-Sunday of that month counts.
    AgrMonth(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Career {
    /// Work and assimilated days over the whole career up to the admission.
    pub days: u32,
    /// Days already used to extend an earlier right or to gain an advantage (SPEC §3.13.3).
    #[serde(default)]
    pub used_days: u32,
    /// A full transition allowance was received (adds two career years for art. 114 §2).
    #[serde(default)]
    pub full_transition_allowance: bool,
}

/// Why an input was refused, as a stable machine code (serialised snake_case) that a user
/// interface translates; [`InputError::reason`] keeps the English sentence for logs and the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputCode {
    /// Not the expected JSON: unknown field, wrong type, unparsable value.
    Malformed,
    DateOutOfRange,
    EndBeforeStart,
    BeforeBirth,
    BirthDateMismatch,
    /// A required field is missing: one every request needs (a period's `start`, a regime's
    /// `weekly_hours`...), or one the mode needs (contract in plan mode, DA in assess mode).
    Required,
    DaysPerWeekOutOfRange,
    ReferenceHoursOutOfRange,
    HoursNotPositive,
    HoursAboveReference,
    WeekdayTwice,
    NoWeekday,
    WeekdaysNotMatchingDays,
    WeekdaysWithoutRegime,
    AbsenceBeforeContract,
    /// Two periods (or absences) that may not overlap do.
    Overlap,
    /// Two periods that cannot be true on the same day (work during detention...).
    Contradiction,
    HistoryNotBeforeReferenceEnd,
    CountryRequired,
    ChildBirthDateRequired,
    AbroadOnlyForForeignWork,
    CountryCode,
    BelgiumNotAbroad,
    QuartersOnlyForWork,
    QuarterOutsidePeriod,
    QuarterTwice,
    HoursRequiredPartTime,
    /// `paid_with_unemployment_contribution` on a line that is not `educational_leave`.
    ContributionOnlyForEducationalLeave,
    /// `job_category` on a period that is not work.
    JobCategoryOnlyForWork,
    /// `work_permits` for a person who is not a `foreign_national`.
    PermitsOnlyForForeignNational,
    /// `career_start_date` after work the request lists (or not before the DA).
    CareerStartTooLate,
    /// Any other refusal (the reason says which).
    Invalid,
}

impl InputCode {
    /// Every code, for catalogs that must translate each one.
    pub const ALL: [InputCode; 32] = [
        InputCode::Malformed,
        InputCode::DateOutOfRange,
        InputCode::EndBeforeStart,
        InputCode::BeforeBirth,
        InputCode::BirthDateMismatch,
        InputCode::Required,
        InputCode::DaysPerWeekOutOfRange,
        InputCode::ReferenceHoursOutOfRange,
        InputCode::HoursNotPositive,
        InputCode::HoursAboveReference,
        InputCode::WeekdayTwice,
        InputCode::NoWeekday,
        InputCode::WeekdaysNotMatchingDays,
        InputCode::WeekdaysWithoutRegime,
        InputCode::AbsenceBeforeContract,
        InputCode::Overlap,
        InputCode::Contradiction,
        InputCode::HistoryNotBeforeReferenceEnd,
        InputCode::CountryRequired,
        InputCode::ChildBirthDateRequired,
        InputCode::AbroadOnlyForForeignWork,
        InputCode::CountryCode,
        InputCode::BelgiumNotAbroad,
        InputCode::QuartersOnlyForWork,
        InputCode::QuarterOutsidePeriod,
        InputCode::QuarterTwice,
        InputCode::HoursRequiredPartTime,
        InputCode::ContributionOnlyForEducationalLeave,
        InputCode::JobCategoryOnlyForWork,
        InputCode::PermitsOnlyForForeignNational,
        InputCode::CareerStartTooLate,
        InputCode::Invalid,
    ];

    /// The serialised name (`end_before_start`).
    pub fn as_str(self) -> &'static str {
        match self {
            InputCode::Malformed => "malformed",
            InputCode::DateOutOfRange => "date_out_of_range",
            InputCode::EndBeforeStart => "end_before_start",
            InputCode::BeforeBirth => "before_birth",
            InputCode::BirthDateMismatch => "birth_date_mismatch",
            InputCode::Required => "required",
            InputCode::DaysPerWeekOutOfRange => "days_per_week_out_of_range",
            InputCode::ReferenceHoursOutOfRange => "reference_hours_out_of_range",
            InputCode::HoursNotPositive => "hours_not_positive",
            InputCode::HoursAboveReference => "hours_above_reference",
            InputCode::WeekdayTwice => "weekday_twice",
            InputCode::NoWeekday => "no_weekday",
            InputCode::WeekdaysNotMatchingDays => "weekdays_not_matching_days",
            InputCode::WeekdaysWithoutRegime => "weekdays_without_regime",
            InputCode::AbsenceBeforeContract => "absence_before_contract",
            InputCode::Overlap => "overlap",
            InputCode::Contradiction => "contradiction",
            InputCode::HistoryNotBeforeReferenceEnd => "history_not_before_reference_end",
            InputCode::CountryRequired => "country_required",
            InputCode::ChildBirthDateRequired => "child_birth_date_required",
            InputCode::AbroadOnlyForForeignWork => "abroad_only_for_foreign_work",
            InputCode::CountryCode => "country_code",
            InputCode::BelgiumNotAbroad => "belgium_not_abroad",
            InputCode::QuartersOnlyForWork => "quarters_only_for_work",
            InputCode::QuarterOutsidePeriod => "quarter_outside_period",
            InputCode::QuarterTwice => "quarter_twice",
            InputCode::HoursRequiredPartTime => "hours_required_part_time",
            InputCode::ContributionOnlyForEducationalLeave => {
                "contribution_only_for_educational_leave"
            }
            InputCode::JobCategoryOnlyForWork => "job_category_only_for_work",
            InputCode::PermitsOnlyForForeignNational => "permits_only_for_foreign_national",
            InputCode::CareerStartTooLate => "career_start_too_late",
            InputCode::Invalid => "invalid",
        }
    }
}

impl fmt::Display for InputCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refused input: the JSON path of the field, a machine code and the English reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{path}: {reason}")]
pub struct InputError {
    pub path: String,
    pub code: InputCode,
    pub reason: String,
}

impl InputError {
    /// A refusal without a more specific code ([`InputCode::Invalid`]).
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::coded(InputCode::Invalid, path, reason)
    }

    pub fn coded(code: InputCode, path: impl Into<String>, reason: impl Into<String>) -> Self {
        InputError {
            path: path.into(),
            code,
            reason: reason.into(),
        }
    }
}

/// Earliest and latest dates the engine accepts anywhere in a request.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2150, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// A JSON path (`history[2].regime`) that is only written out when an error needs it: checking
/// a valid request formats nothing.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: &'a str,
    index: Option<usize>,
}

impl<'a> Path<'a> {
    const fn root(segment: &'a str) -> Path<'a> {
        Path {
            parent: None,
            segment,
            index: None,
        }
    }
    fn indexed(segment: &'a str, index: usize) -> Path<'a> {
        Path {
            parent: None,
            segment,
            index: Some(index),
        }
    }
    /// `self` followed by `.name`.
    fn field(&'a self, name: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: name,
            index: None,
        }
    }
    /// `self` followed by `.name[index]`.
    fn item(&'a self, name: &'a str, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: name,
            index: Some(index),
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.parent {
            write!(f, "{p}.")?;
        }
        f.write_str(self.segment)?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        Ok(())
    }
}

fn check_date(path: &Path<'_>, d: NaiveDate) -> Result<(), InputError> {
    if d < MIN_DATE || d > MAX_DATE {
        return Err(InputError::coded(
            InputCode::DateOutOfRange,
            path.to_string(),
            "date out of range (1900-01-01..2150-12-31)",
        ));
    }
    Ok(())
}

fn check_range(path: &Path<'_>, start: NaiveDate, end: NaiveDate) -> Result<(), InputError> {
    check_date(&path.field("start"), start)?;
    check_date(&path.field("end"), end)?;
    if end < start {
        return Err(InputError::coded(
            InputCode::EndBeforeStart,
            path.field("end").to_string(),
            "end is before start",
        ));
    }
    Ok(())
}

fn check_weekdays(
    path: &Path<'_>,
    days: &Option<Vec<Day>>,
    regime: &WorkRegime,
) -> Result<(), InputError> {
    if let Some(days) = days {
        let mut mask = 0u8;
        for d in days {
            if mask & d.bit() != 0 {
                return Err(InputError::coded(
                    InputCode::WeekdayTwice,
                    path.to_string(),
                    "a weekday is listed twice",
                ));
            }
            mask |= d.bit();
        }
        if mask == 0 {
            return Err(InputError::coded(
                InputCode::NoWeekday,
                path.to_string(),
                "at least one weekday",
            ));
        }
        // A whole-days pattern must match R; a variable cycle (R with decimals) may not.
        let r = regime.days_per_week.raw();
        if r % 100 == 0 && i64::from(mask.count_ones()) != r / 100 {
            return Err(InputError::coded(
                InputCode::WeekdaysNotMatchingDays,
                path.to_string(),
                "the number of weekdays must equal days_per_week",
            ));
        }
    }
    Ok(())
}

impl CalcRequest {
    /// Parses JSON and checks it; errors carry the JSON path of the field.
    pub fn parse(json: &str) -> Result<CalcRequest, InputError> {
        // Most requests are valid: the path is only tracked again to explain a failure.
        if let Ok(req) = serde_json::from_str::<CalcRequest>(json) {
            req.check()?;
            return Ok(req);
        }
        let de = &mut serde_json::Deserializer::from_str(json);
        let req: CalcRequest = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.inner().to_string();
            // serde reports a missing field on the object that lacks it: name the field.
            if let Some(field) = missing_field(&msg) {
                let path = if path == "." {
                    field.to_string()
                } else {
                    format!("{path}.{field}")
                };
                let reason = if field == "weekly_hours" {
                    "Q (weekly hours) is required: only R (5 days) and S (38 hours) have defaults (SPEC §3.7)".to_string()
                } else {
                    format!("{field} is required")
                };
                return InputError::coded(InputCode::Required, path, reason);
            }
            InputError::coded(
                InputCode::Malformed,
                if path == "." { "$".to_string() } else { path },
                msg,
            )
        })?;
        req.check()?;
        Ok(req)
    }

    /// Cross-field checks that serde cannot express.
    pub fn check(&self) -> Result<(), InputError> {
        check_date(&Path::root("today"), self.today)?;
        check_date(&Path::root("person.birth_date"), self.person.birth_date)?;
        if let Some(niss) = &self.person.niss
            && let Some(bd) = niss.birth_date()
            && bd != self.person.birth_date
        {
            return Err(InputError::coded(
                InputCode::BirthDateMismatch,
                "person.birth_date",
                "does not match the birth date encoded in the NISS",
            ));
        }
        match self.mode {
            Mode::Plan => {
                if self.contract.is_none() {
                    return Err(InputError::coded(
                        InputCode::Required,
                        "contract",
                        "required in plan mode",
                    ));
                }
            }
            Mode::Assess => {
                if self.application_date.is_none() {
                    return Err(InputError::coded(
                        InputCode::Required,
                        "application_date",
                        "required in assess mode",
                    ));
                }
            }
        }
        if let Some(da) = self.application_date {
            check_date(&Path::root("application_date"), da)?;
            if da <= self.person.birth_date {
                return Err(InputError::coded(
                    InputCode::BeforeBirth,
                    "application_date",
                    "before the person's birth",
                ));
            }
        }
        if let Some(c) = &self.contract {
            check_date(&Path::root("contract.start"), c.start)?;
            if c.start <= self.person.birth_date {
                return Err(InputError::coded(
                    InputCode::BeforeBirth,
                    "contract.start",
                    "before the person's birth",
                ));
            }
            c.regime.check(&Path::root("contract"), MAX_DAYS_PER_WEEK)?;
            check_weekdays(&Path::root("contract.weekdays"), &c.weekdays, &c.regime)?;
            if let Some(end) = c.end {
                check_range(&Path::root("contract"), c.start, end)?;
            }
            for (i, a) in c.absences.iter().enumerate() {
                let p = Path::indexed("contract.absences", i);
                check_range(&p, a.start, a.end)?;
                if a.start < c.start {
                    return Err(InputError::coded(
                        InputCode::AbsenceBeforeContract,
                        p.field("start").to_string(),
                        "absence before the contract start",
                    ));
                }
                for (j, b) in c.absences.iter().enumerate().take(i) {
                    if a.start <= b.end && b.start <= a.end {
                        return Err(InputError::coded(
                            InputCode::Overlap,
                            p.field("start").to_string(),
                            format!("overlaps contract.absences[{j}]"),
                        ));
                    }
                }
            }
        }
        for (i, h) in self.history.iter().enumerate() {
            let p = Path::indexed("history", i);
            check_range(&p, h.start, h.end)?;
            if let Some(r) = &h.regime {
                // DmfA data: an imported period, or one that carries declared quarters.
                let max_days = if h.source == Source::Dmfa || !h.quarters.is_empty() {
                    MAX_DAYS_PER_WEEK_DMFA
                } else {
                    MAX_DAYS_PER_WEEK
                };
                r.check(&p.field("regime"), max_days)?;
                check_weekdays(&p.field("weekdays"), &h.weekdays, r)?;
            } else if h.weekdays.is_some() {
                return Err(InputError::coded(
                    InputCode::WeekdaysWithoutRegime,
                    p.field("weekdays").to_string(),
                    "weekdays need a regime",
                ));
            }
            if h.end >= self.reference_end_bound() {
                return Err(InputError::coded(
                    InputCode::HistoryNotBeforeReferenceEnd,
                    p.field("end").to_string(),
                    match self.mode {
                        Mode::Plan => {
                            "history must end before the contract start; put absences during the contract in contract.absences"
                        }
                        Mode::Assess => "history must end before the application date",
                    },
                ));
            }
            match h.kind {
                PeriodKind::ForeignWork if h.abroad.is_none() => {
                    return Err(InputError::coded(
                        InputCode::CountryRequired,
                        p.field("abroad").to_string(),
                        "work abroad needs the country",
                    ));
                }
                PeriodKind::ChildRaising if h.child_birth_date.is_none() => {
                    return Err(InputError::coded(
                        InputCode::ChildBirthDateRequired,
                        p.field("child_birth_date").to_string(),
                        "child raising needs the child's birth date",
                    ));
                }
                _ => {}
            }
            if let Some(a) = &h.abroad {
                if h.kind != PeriodKind::ForeignWork {
                    return Err(InputError::coded(
                        InputCode::AbroadOnlyForForeignWork,
                        p.field("abroad").to_string(),
                        "only for foreign_work",
                    ));
                }
                let c = &a.country;
                if c.len() != 2 || !c.chars().all(|x| x.is_ascii_uppercase()) {
                    return Err(InputError::coded(
                        InputCode::CountryCode,
                        p.field("abroad").field("country").to_string(),
                        "ISO 3166-1 alpha-2 code in capitals, e.g. FR",
                    ));
                }
                if c == "BE" {
                    return Err(InputError::coded(
                        InputCode::BelgiumNotAbroad,
                        p.field("abroad").field("country").to_string(),
                        "Belgium is not abroad: use kind work",
                    ));
                }
            }
            if !h.job_category.is_ordinary() && !h.kind.is_work() {
                return Err(InputError::coded(
                    InputCode::JobCategoryOnlyForWork,
                    p.field("job_category").to_string(),
                    "only for work or foreign_work",
                ));
            }
            if !h.quarters.is_empty() && h.kind != PeriodKind::Work {
                return Err(InputError::coded(
                    InputCode::QuartersOnlyForWork,
                    p.field("quarters").to_string(),
                    "declared quarters only for work in Belgium",
                ));
            }
            for (k, q) in h.quarters.iter().enumerate() {
                let qp = p.item("quarters", k);
                if q.quarter.end() < h.start || q.quarter.start() > h.end {
                    return Err(InputError::coded(
                        InputCode::QuarterOutsidePeriod,
                        qp.field("quarter").to_string(),
                        "quarter outside the period",
                    ));
                }
                if h.quarters[..k].iter().any(|o| o.quarter == q.quarter) {
                    return Err(InputError::coded(
                        InputCode::QuarterTwice,
                        qp.field("quarter").to_string(),
                        "quarter declared twice for the same job",
                    ));
                }
                let part_time = h.regime.is_some_and(|r| !r.is_full_time());
                for (l, line) in q.lines.iter().enumerate() {
                    if part_time && line.hours.is_none() && line.days.raw() > 0 {
                        return Err(InputError::coded(
                            InputCode::HoursRequiredPartTime,
                            qp.item("lines", l).field("hours").to_string(),
                            "hours are mandatory for part-time work",
                        ));
                    }
                    if !line.paid_with_unemployment_contribution.is_unknown()
                        && line.category != DayCategory::EducationalLeave
                    {
                        return Err(InputError::coded(
                            InputCode::ContributionOnlyForEducationalLeave,
                            qp.item("lines", l)
                                .field("paid_with_unemployment_contribution")
                                .to_string(),
                            "only for educational_leave lines (DmfA codes 5 and 13)",
                        ));
                    }
                }
            }
            // Two periods of the same exclusive kind cannot overlap (a person is not twice in
            // detention); work may overlap work (concurrent jobs) but not detention or
            // military service.
            for (j, o) in self.history.iter().enumerate().take(i) {
                let overlap = h.start <= o.end && o.start <= h.end;
                if overlap && !h.kind.is_work() && h.kind == o.kind {
                    return Err(InputError::coded(
                        InputCode::Overlap,
                        p.field("start").to_string(),
                        format!("overlaps history[{j}] of the same kind"),
                    ));
                }
                if overlap && contradictory(h.kind, o.kind) {
                    return Err(InputError::coded(
                        InputCode::Contradiction,
                        p.field("start").to_string(),
                        format!(
                            "contradicts history[{j}]: {:?} and {:?} at the same time",
                            h.kind, o.kind
                        ),
                    ));
                }
            }
        }
        self.check_career_start()?;
        self.check_work_permits()?;
        for (i, a) in self.previous_admissions.iter().enumerate() {
            check_date(
                &Path::indexed("previous_admissions", i).field("application_date"),
                a.application_date,
            )?;
        }
        Ok(())
    }

    /// The career cannot begin after work the request lists, nor on or after the DA.
    fn check_career_start(&self) -> Result<(), InputError> {
        let Some(cs) = self.person.career_start_date else {
            return Ok(());
        };
        let path = "person.career_start_date";
        check_date(&Path::root(path), cs)?;
        if cs <= self.person.birth_date {
            return Err(InputError::coded(
                InputCode::BeforeBirth,
                path,
                "before the person's birth",
            ));
        }
        let too_late = |what: String| {
            Err(InputError::coded(
                InputCode::CareerStartTooLate,
                path,
                format!("the career cannot begin after {what}"),
            ))
        };
        if let Some(c) = &self.contract
            && cs > c.start
        {
            return too_late("the contract start".into());
        }
        if let Some(da) = self.application_date
            && cs >= da
        {
            return too_late("the day before the application date".into());
        }
        if let Some((i, _)) = self
            .history
            .iter()
            .enumerate()
            .find(|(_, h)| h.kind.is_work() && h.start < cs)
        {
            return too_late(format!("the start of history[{i}] (work)"));
        }
        Ok(())
    }

    fn check_work_permits(&self) -> Result<(), InputError> {
        let person = &self.person;
        if !person.work_permits.is_empty() && !person.foreign_national {
            return Err(InputError::coded(
                InputCode::PermitsOnlyForForeignNational,
                "person.work_permits",
                "work permits only for a foreign_national",
            ));
        }
        for (i, w) in person.work_permits.iter().enumerate() {
            let p = Path::indexed("person.work_permits", i);
            match w.end {
                Some(end) => check_range(&p, w.start, end)?,
                None => check_date(&p.field("start"), w.start)?,
            }
        }
        Ok(())
    }

    /// History must end before this day: the contract start (plan) or the DA (assess).
    fn reference_end_bound(&self) -> NaiveDate {
        match self.mode {
            Mode::Plan => self.contract.as_ref().map_or(MAX_DATE, |c| c.start),
            Mode::Assess => {
                let da = self.application_date.unwrap_or(MAX_DATE);
                self.contract.as_ref().map_or(da, |c| c.start.min(da))
            }
        }
    }
}

/// The field named by serde's "missing field `name`" message.
fn missing_field(msg: &str) -> Option<&str> {
    msg.strip_prefix("missing field `")?
        .split_once('`')
        .map(|(field, _)| field)
}

/// Periods that cannot be true on the same day.
fn contradictory(a: PeriodKind, b: PeriodKind) -> bool {
    let excludes_work =
        |k: PeriodKind| matches!(k, PeriodKind::Detention | PeriodKind::MilitaryService);
    (a.is_work() && excludes_work(b)) || (b.is_work() && excludes_work(a))
}

/// The weekday mask of a job: explicit weekdays, or the first R whole days from Monday.
pub fn weekday_mask(days: &Option<Vec<Day>>, regime: &WorkRegime) -> u8 {
    if let Some(days) = days {
        return days.iter().fold(0u8, |m, d| m | d.bit());
    }
    let r = ((regime.days_per_week.raw() + 99) / 100).clamp(1, 7);
    ((1u16 << r) - 1) as u8
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod code_tests {
    use super::*;

    #[test]
    fn serialised_names_are_the_stable_names() {
        for c in InputCode::ALL {
            let json = serde_json::to_value(c).unwrap();
            assert_eq!(json, serde_json::Value::from(c.as_str()));
            let back: InputCode = serde_json::from_value(json).unwrap();
            assert_eq!(back, c);
        }
        let mut names: Vec<_> = InputCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), InputCode::ALL.len(), "a code is listed twice");
    }

    fn refusal(patch: serde_json::Value) -> InputError {
        let mut doc = serde_json::json!({
            "mode": "plan",
            "today": "2024-01-10",
            "person": {"birth_date": "1990-05-01"},
            "contract": {"start": "2024-02-01",
                "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38}
        });
        for (k, v) in patch.as_object().unwrap() {
            doc[k] = v.clone();
        }
        CalcRequest::parse(&doc.to_string()).unwrap_err()
    }

    fn parsed(patch: serde_json::Value) -> CalcRequest {
        let mut doc = serde_json::json!({
            "mode": "plan",
            "today": "2024-01-10",
            "person": {"birth_date": "1990-05-01"},
            "contract": {"start": "2024-02-01",
                "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38}
        });
        for (k, v) in patch.as_object().unwrap() {
            doc[k] = v.clone();
        }
        CalcRequest::parse(&doc.to_string()).unwrap()
    }

    /// Issue 12 part B, SPEC §3.7: R and S have defaults (5, 38), Q has none. A past job's
    /// regime without Q is refused on its field instead of becoming a full-time job.
    #[test]
    fn a_regime_needs_its_weekly_hours() {
        let e = refusal(serde_json::json!({"history": [
            {"kind": "detention", "start": "2019-01-01", "end": "2019-02-01"},
            {"kind": "work", "start": "2020-01-01", "end": "2020-03-01"},
            {"kind": "work", "start": "2020-05-01", "end": "2020-06-30",
             "regime": {"days_per_week": 5, "reference_hours": 38}}]}));
        assert_eq!(e.code, InputCode::Required);
        assert_eq!(e.path, "history[2].regime.weekly_hours");
        assert!(e.reason.contains("SPEC §3.7"), "{}", e.reason);
        let e = refusal(serde_json::json!({"contract": {"start": "2024-02-01",
            "days_per_week": 5, "reference_hours": 38}}));
        assert_eq!(
            (e.code, e.path.as_str()),
            (InputCode::Required, "contract.weekly_hours")
        );
        // Any other missing field is named the same way.
        let e = refusal(serde_json::json!({"history": [{"kind": "work", "end": "2020-03-01"}]}));
        assert_eq!(
            (e.code, e.path.as_str(), e.reason.as_str()),
            (InputCode::Required, "history[0].start", "start is required")
        );
        let e = refusal(serde_json::json!({"person": {}}));
        assert_eq!(
            (e.code, e.path.as_str()),
            (InputCode::Required, "person.birth_date")
        );
        // A wrong type is still malformed, on the field itself.
        let e = refusal(serde_json::json!({"history": [{"kind": "work",
            "start": "2020-01-01", "end": "2020-03-01", "regime": {"weekly_hours": "x"}}]}));
        assert_eq!(e.code, InputCode::Malformed);
        assert_eq!(e.path, "history[0].regime.weekly_hours");
    }

    /// Issue 13 §4: a typed regime has 1 to 6 days a week, as in the portal's form; a DmfA
    /// period keeps the DmfA's range (WorkingDaysSystem up to 7.00).
    #[test]
    fn days_per_week_are_1_to_6_unless_declared_in_the_dmfa() {
        let contract = |r: f64| {
            serde_json::json!({"contract": {"start": "2024-02-01",
                "days_per_week": r, "weekly_hours": 38, "reference_hours": 38}})
        };
        for bad in [7.0, 6.01, 0.99, 0.0] {
            let e = refusal(contract(bad));
            assert_eq!(
                (e.code, e.path.as_str()),
                (InputCode::DaysPerWeekOutOfRange, "contract.days_per_week"),
                "{bad}"
            );
            assert!(e.reason.contains("between 1 and 6"), "{}", e.reason);
        }
        for good in [1.0, 2.25, 6.0] {
            parsed(contract(good));
        }
        let past = |source: &str, r: u32| {
            serde_json::json!({"history": [{"kind": "work", "start": "2020-01-01",
                "end": "2020-03-31", "source": source,
                "regime": {"days_per_week": r, "weekly_hours": 38}}]})
        };
        let e = refusal(past("manual", 7));
        assert_eq!(
            (e.code, e.path.as_str()),
            (
                InputCode::DaysPerWeekOutOfRange,
                "history[0].regime.days_per_week"
            )
        );
        assert_eq!(
            refusal(past("c4", 7)).code,
            InputCode::DaysPerWeekOutOfRange
        );
        let req = parsed(past("dmfa", 7));
        assert_eq!(
            req.history[0].regime.map(|r| r.days_per_week),
            Some(Hundredths::whole(7))
        );
        let e = refusal(past("dmfa", 8));
        assert!(e.reason.contains("between 1 and 7"), "{}", e.reason);
        // Declared quarters are DmfA data too (a 7-day weekend team's declaration).
        let mut declared = past("manual", 7);
        declared["history"][0]["quarters"] = serde_json::json!([{"quarter": "2020Q1",
            "lines": [{"category": "effective_work", "days": 60}]}]);
        parsed(declared);
    }

    #[test]
    fn r_and_s_default_to_5_and_38() {
        let req = parsed(serde_json::json!({"history": [
            {"kind": "work", "start": "2020-01-01", "end": "2020-03-01",
             "regime": {"weekly_hours": 19}}],
            "contract": {"start": "2024-02-01", "weekly_hours": 30}}));
        let r = req.history[0].regime.unwrap();
        assert_eq!(
            (r.days_per_week, r.weekly_hours, r.reference_hours),
            (
                Hundredths::whole(5),
                Hundredths::whole(19),
                Hundredths::whole(38)
            )
        );
        let c = req.contract.as_ref().unwrap().regime;
        assert_eq!(
            (c.days_per_week, c.reference_hours),
            (Hundredths::whole(5), Hundredths::whole(38))
        );
        // The defaults are written out: the stored request says what was computed.
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(json["history"][0]["regime"]["days_per_week"], 5);
        assert_eq!(json["history"][0]["regime"]["reference_hours"], 38);
        // A work period without any regime is still read (as full time R5, by the engine):
        // the portal's form sends past jobs without hours.
        let req = parsed(serde_json::json!({"history": [
            {"kind": "work", "start": "2020-01-01", "end": "2020-03-01"}]}));
        assert_eq!(req.history[0].regime, None);
    }

    /// The input's defaults are the `counting` parameter's, in every entry.
    #[test]
    fn default_r_and_s_are_the_parameters() {
        for c in &crate::ParamSet::embedded().counting {
            assert_eq!(c.value.default_r(), DEFAULT_DAYS_PER_WEEK);
            assert_eq!(c.value.default_s(), DEFAULT_REFERENCE_HOURS);
        }
    }

    fn educational_leave(paid: Option<&str>, category: &str) -> serde_json::Value {
        let mut line = serde_json::json!({"category": category, "days": 2});
        if let Some(p) = paid {
            line["paid_with_unemployment_contribution"] = p.into();
        }
        serde_json::json!({"history": [
            {"kind": "work", "start": "2023-01-01", "end": "2023-12-31",
             "regime": {"weekly_hours": 38},
             "quarters": [{"quarter": "2023Q1", "lines": [
                {"category": "effective_work", "days": 60}, line]}]}]})
    }

    /// SPEC §5 `open_assimilations`: codes 5 and 13 count only when paid with the
    /// unemployment contribution; the declared line says yes, no or (absent) unknown.
    #[test]
    fn declared_lines_say_whether_the_contribution_was_paid() {
        for (given, want) in [
            (Some("yes"), ContributionPaid::Yes),
            (Some("no"), ContributionPaid::No),
            (Some("unknown"), ContributionPaid::Unknown),
            (None, ContributionPaid::Unknown),
        ] {
            let req = parsed(educational_leave(given, "educational_leave"));
            let line = req.history[0].quarters[0].lines[1];
            assert_eq!(line.paid_with_unemployment_contribution, want, "{given:?}");
            let json = serde_json::to_value(line).unwrap();
            assert_eq!(
                json.get("paid_with_unemployment_contribution").is_some(),
                want != ContributionPaid::Unknown
            );
        }
        let e = refusal(educational_leave(Some("yes"), "holiday_pay"));
        assert_eq!(e.code, InputCode::ContributionOnlyForEducationalLeave);
        assert_eq!(
            e.path,
            "history[0].quarters[0].lines[1].paid_with_unemployment_contribution"
        );
        let e = refusal(educational_leave(Some("maybe"), "educational_leave"));
        assert_eq!(e.code, InputCode::Malformed);
        assert_eq!(
            e.path,
            "history[0].quarters[0].lines[1].paid_with_unemployment_contribution"
        );
    }

    /// SPEC §3.11: art. 32's variant needs the day the career began.
    #[test]
    fn career_start_date() {
        let work = |start: &str| {
            serde_json::json!([{"kind": "work", "start": start, "end": "2023-12-31",
                "regime": {"weekly_hours": 38}}])
        };
        let req = parsed(serde_json::json!({
            "person": {"birth_date": "1990-05-01", "career_start_date": "2015-09-01"},
            "history": work("2015-09-01")}));
        assert_eq!(
            req.person.career_start_date,
            Some(NaiveDate::from_ymd_opt(2015, 9, 1).unwrap())
        );
        let e = refusal(serde_json::json!({
            "person": {"birth_date": "1990-05-01", "career_start_date": "2016-01-04"},
            "history": work("2015-09-01")}));
        assert_eq!(
            (e.code, e.path.as_str()),
            (InputCode::CareerStartTooLate, "person.career_start_date")
        );
        assert!(e.reason.contains("history[0]"), "{}", e.reason);
        let e = refusal(serde_json::json!({
            "person": {"birth_date": "1990-05-01", "career_start_date": "2024-02-02"}}));
        assert_eq!(e.code, InputCode::CareerStartTooLate);
        assert!(e.reason.contains("contract start"), "{}", e.reason);
        let e = refusal(serde_json::json!({
            "person": {"birth_date": "1990-05-01", "career_start_date": "1990-05-01"}}));
        assert_eq!(
            (e.code, e.path.as_str()),
            (InputCode::BeforeBirth, "person.career_start_date")
        );
        // Assess: the career begins before the DA.
        let e = CalcRequest::parse(
            &serde_json::json!({"mode": "assess", "today": "2024-01-10",
                "application_date": "2024-01-10",
                "person": {"birth_date": "1990-05-01", "career_start_date": "2024-01-10"}})
            .to_string(),
        )
        .unwrap_err();
        assert_eq!(e.code, InputCode::CareerStartTooLate);
    }

    /// SPEC §3.9.6, AR art. 43: a foreign national's work permits.
    #[test]
    fn foreign_nationals_and_their_permits() {
        let req = parsed(serde_json::json!({"person": {"birth_date": "1990-05-01",
            "foreign_national": true,
            "work_permits": [{"start": "2019-01-01", "end": "2020-12-31"},
                             {"start": "2021-06-01"}]}}));
        assert!(req.person.foreign_national);
        assert_eq!(req.person.work_permits.len(), 2);
        assert_eq!(req.person.work_permits[1].end, None);
        let e = refusal(serde_json::json!({"person": {"birth_date": "1990-05-01",
            "work_permits": [{"start": "2019-01-01"}]}}));
        assert_eq!(
            (e.code, e.path.as_str()),
            (
                InputCode::PermitsOnlyForForeignNational,
                "person.work_permits"
            )
        );
        let e = refusal(serde_json::json!({"person": {"birth_date": "1990-05-01",
            "foreign_national": true,
            "work_permits": [{"start": "2019-01-01"}, {"start": "2021-01-01", "end": "2020-01-01"}]}}));
        assert_eq!(
            (e.code, e.path.as_str()),
            (InputCode::EndBeforeStart, "person.work_permits[1].end")
        );
        let e = refusal(serde_json::json!({"person": {"birth_date": "1990-05-01",
            "foreign_national": true, "work_permits": [{"end": "2020-01-01"}]}}));
        assert_eq!(
            (e.code, e.path.as_str()),
            (InputCode::Required, "person.work_permits[0].start")
        );
        // The officer's decision on a foreign period (SPEC §3.9.1).
        let req = parsed(serde_json::json!({"history": [{"kind": "foreign_work",
            "start": "2020-01-01", "end": "2020-12-31", "regime": {"weekly_hours": 38},
            "abroad": {"country": "TN", "officer_decision": "does_not_count"}}]}));
        let a = req.history[0].abroad.as_ref().unwrap();
        assert_eq!(a.officer_decision, Some(ForeignDecision::DoesNotCount));
    }

    /// SPEC §3.8.4: teachers, piece-rate and sports workers.
    #[test]
    fn job_category() {
        let req = parsed(serde_json::json!({"history": [{"kind": "work",
            "start": "2020-01-01", "end": "2020-12-31", "job_category": "piece_rate"}]}));
        assert_eq!(req.history[0].job_category, JobCategory::PieceRate);
        let req = parsed(serde_json::json!({"history": [{"kind": "work",
            "start": "2020-01-01", "end": "2020-12-31"}]}));
        assert_eq!(req.history[0].job_category, JobCategory::Ordinary);
        let json = serde_json::to_value(&req.history[0]).unwrap();
        assert!(json.get("job_category").is_none());
        let e = refusal(serde_json::json!({"history": [{"kind": "detention",
            "start": "2020-01-01", "end": "2020-12-31", "job_category": "teacher"}]}));
        assert_eq!(
            (e.code, e.path.as_str()),
            (InputCode::JobCategoryOnlyForWork, "history[0].job_category")
        );
    }

    /// The new fields are optional: a request without them reads and writes as before.
    #[test]
    fn requests_without_the_new_fields_are_unchanged() {
        let req = parsed(serde_json::json!({"history": [{"kind": "work",
            "start": "2020-01-01", "end": "2020-12-31",
            "regime": {"days_per_week": 5, "weekly_hours": 38, "reference_hours": 38},
            "quarters": [{"quarter": "2020Q1", "lines": [{"category": "effective_work", "days": 60}]}]}]}));
        let text = serde_json::to_string(&req).unwrap();
        for new in [
            "career_start_date",
            "foreign_national",
            "work_permits",
            "paid_with_unemployment_contribution",
            "job_category",
            "officer_decision",
        ] {
            assert!(!text.contains(new), "{new} in {text}");
        }
        assert_eq!(CalcRequest::parse(&text).unwrap(), req);
    }

    /// The JSON Schema (`art60 calc --schema`) shows the new fields, and Q as the only
    /// required figure of a regime.
    #[test]
    fn schema_shows_the_new_fields() {
        let schema = serde_json::to_value(schemars::schema_for!(CalcRequest)).unwrap();
        let defs = &schema["$defs"];
        let person = &defs["Person"]["properties"];
        for f in ["career_start_date", "foreign_national", "work_permits"] {
            assert!(person[f].is_object(), "Person.{f}");
        }
        assert_eq!(
            defs["WorkRegime"]["required"],
            serde_json::json!(["weekly_hours"])
        );
        assert_eq!(
            defs["WorkRegime"]["properties"]["days_per_week"]["default"],
            5
        );
        assert_eq!(
            defs["WorkRegime"]["properties"]["reference_hours"]["default"],
            38
        );
        assert!(
            defs["DeclaredLine"]["properties"]["paid_with_unemployment_contribution"].is_object()
        );
        assert!(defs["HistoryItem"]["properties"]["job_category"].is_object());
        assert!(defs["Abroad"]["properties"]["officer_decision"].is_object());
        assert!(
            defs["WorkPermit"]["required"]
                .as_array()
                .unwrap()
                .contains(&"start".into())
        );
    }

    /// The contract's regime fields are read beside its others: a wrong value there is named
    /// down to its field (it was named `contract` only, when the regime was a flattened
    /// struct), and a contract reads back from its own JSON.
    #[test]
    fn contract_refusals_name_the_regime_field() {
        let contract = |c: serde_json::Value| refusal(serde_json::json!({ "contract": c }));
        let cases = [
            (
                serde_json::json!({"start": "2024-02-01", "days_per_week": "5", "weekly_hours": 38}),
                "contract.days_per_week",
                "invalid type",
            ),
            (
                serde_json::json!({"start": "2024-02-01", "weekly_hours": 38.123}),
                "contract.weekly_hours",
                "at most two decimals",
            ),
            (
                serde_json::json!({"start": "2024-02-01", "weekly_hours": null}),
                "contract.weekly_hours",
                "invalid type: null",
            ),
            (
                serde_json::json!({"start": "2024-02-01", "weekly_hours": 38, "reference_hours": -1}),
                "contract.reference_hours",
                "non-negative",
            ),
            (
                serde_json::json!({"start": "2024-02-01", "weekly_hours": 38, "surprise": 1}),
                "contract.surprise",
                "unknown field `surprise`",
            ),
        ];
        for (c, path, reason) in cases {
            let e = contract(c.clone());
            assert_eq!(
                (e.code, e.path.as_str()),
                (InputCode::Malformed, path),
                "{c}"
            );
            assert!(e.reason.contains(reason), "{c}: {}", e.reason);
        }
        // Missing fields and the defaults of R and S are as before.
        let e = contract(serde_json::json!({"start": "2024-02-01", "days_per_week": 5}));
        assert_eq!(
            (e.code, e.path.as_str()),
            (InputCode::Required, "contract.weekly_hours")
        );
        let r = parsed(serde_json::json!({"contract": {"start": "2024-02-01",
            "weekly_hours": 19, "days_per_week": 2, "weekdays": ["mon", "thu"],
            "pay": {"monthly": 1500}, "end": "2024-06-30",
            "absences": [{"kind": "strike", "start": "2024-03-05", "end": "2024-03-06"}]}}));
        let c = r.contract.as_ref().unwrap();
        assert_eq!(c.regime.reference_hours, DEFAULT_REFERENCE_HOURS);
        assert_eq!(c.regime.weekly_hours, Hundredths::whole(19));
        let again: Contract = serde_json::from_value(serde_json::to_value(c).unwrap()).unwrap();
        assert_eq!(&again, c);
        let plain =
            parsed(serde_json::json!({"contract": {"start": "2024-02-01", "weekly_hours": 38}}));
        assert_eq!(
            plain.contract.unwrap().regime.days_per_week,
            DEFAULT_DAYS_PER_WEEK
        );
    }

    #[test]
    fn refusals_carry_their_code_and_keep_path_and_reason() {
        let e = refusal(serde_json::json!({"history": [
            {"kind": "work", "start": "2020-05-01", "end": "2020-04-01"}]}));
        assert_eq!(
            (e.code, e.path.as_str(), e.reason.as_str()),
            (
                InputCode::EndBeforeStart,
                "history[0].end",
                "end is before start"
            )
        );
        let e = refusal(serde_json::json!({"contract": {"start": "2024-02-01",
            "days_per_week": 5, "weekly_hours": 40, "reference_hours": 38}}));
        assert_eq!(e.code, InputCode::HoursAboveReference);
        assert_eq!(e.path, "contract.weekly_hours");
        let e = refusal(serde_json::json!({"history": [
            {"kind": "detention", "start": "2020-01-01", "end": "2020-03-01"},
            {"kind": "detention", "start": "2020-02-01", "end": "2020-04-01"}]}));
        assert_eq!(e.code, InputCode::Overlap);
        let e = refusal(serde_json::json!({"history": [
            {"kind": "work", "start": "2020-01-01", "end": "2020-03-01"},
            {"kind": "detention", "start": "2020-02-01", "end": "2020-04-01"}]}));
        assert_eq!(e.code, InputCode::Contradiction);
        let e = refusal(serde_json::json!({"surprise": 1}));
        assert_eq!(e.code, InputCode::Malformed);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "malformed");
        assert_eq!(InputError::new("x", "y").code, InputCode::Invalid);
    }
}
