//! The dated law parameters (SPEC §4), loaded from `params/belgium.toml`. Each entry has a
//! validity range and a legal reference; lookups by date fail with [`NoRuleInForce`] when no
//! entry covers the date.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::input::DayCategory;
use crate::units::Hundredths;

/// No parameter entry covers the date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("no rule in force for {parameter} on {date}")]
pub struct NoRuleInForce {
    pub parameter: &'static str,
    pub date: NaiveDate,
}

#[derive(Debug, thiserror::Error)]
pub enum ParamError {
    #[error("parameter file does not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("parameter {key}: {reason}")]
    Invalid { key: String, reason: String },
}

/// A value with its validity range (closed; `to = None` is open-ended) and legal reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dated<T> {
    pub from: NaiveDate,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// Shared with every result that records the entry ([`ParamUse`]): a count, not a copy.
    pub reference: std::sync::Arc<str>,
    #[serde(flatten)]
    pub value: T,
}

impl<T> Dated<T> {
    pub fn covers(&self, d: NaiveDate) -> bool {
        d >= self.from && self.to.is_none_or(|t| d <= t)
    }
}

/// Which parameter entry was used: recorded in every result.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct ParamUse {
    /// The parameter table's name (static text: no copy a result).
    pub key: std::borrow::Cow<'static, str>,
    pub from: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    /// The entry's legal reference, shared with the parameter set.
    pub reference: std::sync::Arc<str>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RegimeId {
    Old,
    New,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegimeDef {
    pub id: RegimeId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Band {
    pub min_age: i32,
    pub days: i64,
    pub months: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Art32 {
    pub reference: String,
    pub min_age: i32,
    pub past_years: u32,
    pub past_days_half: i64,
    pub missing_day_multiplier: i64,
    pub half: [i64; 2],
    pub two_thirds: [i64; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub older_bands_allowed: bool,
    pub art33_extra_months: u32,
    #[serde(default)]
    pub fulltime_art33_fraction: Option<[i64; 2]>,
    pub bands: Vec<Band>,
    #[serde(default)]
    pub art32: Option<Art32>,
    #[serde(default)]
    pub prior_admission_cutoff: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Art33Access {
    pub min_hours: i64,
    pub reference_fraction: [i64; 2],
    pub min_job_days: i64,
    pub lookback_months: u32,
    pub half_allowances_full_week: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Counting {
    pub full_quarter: i64,
    pub half_day_factor: i64,
    pub default_days_per_week: i64,
    pub default_reference_hours: i64,
    pub status_job_days_one_week: i64,
    pub status_job_days_four_weeks: i64,
    pub max_scan_months: u32,
}

impl Counting {
    /// R when the days per week are unknown or wrong (SPEC §3.7 rule 2, §4 `default_r`).
    pub fn default_r(&self) -> Hundredths {
        Hundredths::whole(self.default_days_per_week)
    }
    /// S when the reference person's hours are unknown (SPEC §3.7 rule 3, §4 `default_s`).
    pub fn default_s(&self) -> Hundredths {
        Hundredths::whole(self.default_reference_hours)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnpaidCap {
    pub r6_days_per_year: i64,
    /// AM art. 7 scheme 3: undeclared days of a declared job are completed as unpaid
    /// absence, less this many days (old regime only; `None` where the rule is not in force).
    #[serde(default)]
    pub completion_tolerance_days: Option<i64>,
}

/// How a category of declared days is treated under a regime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    Count,
    /// Counted within the yearly unpaid-absence cap.
    CappedUnpaid,
    /// Not counted; the period extends the reference period.
    Extends,
    NotCounted,
    #[serde(rename = "open_51")]
    Open51,
    #[serde(rename = "open_5_13")]
    Open5_13,
    #[serde(rename = "open_23_4_73")]
    Open23_4_73,
    ManualReview,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Categories {
    pub table: BTreeMap<DayCategory, Treatment>,
}

/// Kinds of events that may extend a window.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionKind {
    InsuredSickness,
    WorkAccident,
    OccupationalDisease,
    SelfEmployment,
    NonOnssWork,
    UncountableForeignWork,
    CareerBreak,
    Detention,
    MilitaryService,
    ForceMajeure,
    UnpaidStudy,
    ChildRaising,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRule {
    pub kinds: Vec<ExtensionKind>,
    #[serde(default)]
    pub min_months: u32,
    #[serde(default)]
    pub max_years: Option<u32>,
    #[serde(default)]
    pub child_age_limit: Option<u32>,
    #[serde(default)]
    pub child_age_limit_disabled: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extensions {
    pub events: Vec<EventRule>,
}

impl Extensions {
    pub fn rule(&self, kind: ExtensionKind) -> Option<&EventRule> {
        self.events.iter().find(|e| e.kinds.contains(&kind))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Art42 {
    pub window_years: u32,
    pub events: Vec<EventRule>,
    /// Old art. 42: a re-employment programme extends the 3 years only when it lasts less
    /// than this many months (SPEC §3.2, §4 `art42_window`: "programmes < 24 m"; ONEM T39).
    /// `None` where old art. 42 is not in force.
    #[serde(default)]
    pub programme_max_months: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Foreign {
    pub followup_r6_days: i64,
    pub followup_months: u32,
    pub long_followup_r6_days: i64,
    pub long_followup_months: u32,
    pub long_followup_countries: Vec<String>,
    pub ssom_r6_days: i64,
    pub convention_countries: Vec<String>,
    pub option_countries: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceWage {
    /// Euros a month.
    pub monthly: f64,
    pub hourly_to_monthly: [i64; 2],
}

impl ReferenceWage {
    pub fn monthly_cents(&self) -> i64 {
        (self.monthly * 100.0).round() as i64
    }
}

/// The guaranteed average minimum monthly income (RMMMG / GMMMI): a day is a work day only
/// when its pay reaches the legal or collective-agreement minimum (AR art. 37 §1; SPEC §3.6,
/// §4 `rmmmg`). The amount is for a full-time worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rmmmg {
    /// Euros a month, full time.
    pub monthly: f64,
}

impl Rmmmg {
    pub fn monthly_cents(&self) -> i64 {
        (self.monthly * 100.0).round() as i64
    }
}

/// The interruption that ends a right: at least this many consecutive days, after which
/// meeting art. 30/33 again opens a fresh right (AR art. 116 §4, 138; AM art. 91; SPEC
/// §3.13.6, §4 `interruption_days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterruptionDays {
    pub days: i64,
}

/// Foreign nationals (AR art. 43 §2; SPEC §3.9.6, §4 `permit_gap_days`): when work resumes
/// more than this many days after a work permit lapsed, art. 30/33 must be met again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermitGap {
    pub days: i64,
}

/// The COVID extension of AR 2021-06-09: 12 more months for some applications (SPEC §3.4,
/// §4 `covid_2021_extension`). Its window is unknown, so the entry is present but disabled:
/// the law book shows it, and the engine must not apply it while `enabled` is false.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Covid2021Extension {
    pub months: u32,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CareerYears {
    pub admission_year: i32,
    pub years: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unlimited {
    pub reference: String,
    pub min_age: i32,
    pub year_days: i64,
    pub remainder_adds_year: i64,
    pub transition_allowance_years: i64,
    pub career_years: Vec<CareerYears>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Right {
    pub base_months: u32,
    pub base_days: i64,
    pub days_per_extra_month: i64,
    pub remainder_adds_month: i64,
    pub max_extra_months: i64,
    pub half_days_cap_per_year: i64,
    pub unlimited: Unlimited,
}

/// The CPAS@ONEM procedure figures used by the case service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Procedure {
    pub from: NaiveDate,
    pub reference: String,
    /// The answer is due on this working day after the receipt date.
    pub processing_working_days: u32,
    /// A second calculation may be asked from this many days before the contract end...
    pub second_calc_window_start_days: u32,
    /// ...until this many days before it.
    pub second_calc_window_end_days: u32,
    /// Calculations per employment without a derogation.
    pub max_calculations: u32,
}

/// The whole parameter set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamSet {
    /// Shared with every result that names the set ([`crate::result::ParamVersions`]).
    pub id: std::sync::Arc<str>,
    pub version: std::sync::Arc<str>,
    pub regime: Vec<Dated<RegimeDef>>,
    pub stage: Vec<Dated<Stage>>,
    pub art33_access: Vec<Dated<Art33Access>>,
    pub counting: Vec<Dated<Counting>>,
    pub unpaid_cap: Vec<Dated<UnpaidCap>>,
    pub categories: Vec<Dated<Categories>>,
    pub extensions: Vec<Dated<Extensions>>,
    pub art42: Vec<Dated<Art42>>,
    pub foreign: Vec<Dated<Foreign>>,
    pub reference_wage: Vec<Dated<ReferenceWage>>,
    pub rmmmg: Vec<Dated<Rmmmg>>,
    pub right: Vec<Dated<Right>>,
    pub interruption_days: Vec<Dated<InterruptionDays>>,
    pub permit_gap_days: Vec<Dated<PermitGap>>,
    pub covid_2021_extension: Vec<Dated<Covid2021Extension>>,
    pub procedure: Procedure,
}

const EMBEDDED: &str = include_str!("../params/belgium.toml");

fn pick<'a, T>(
    list: &'a [Dated<T>],
    key: &'static str,
    d: NaiveDate,
) -> Result<&'a Dated<T>, NoRuleInForce> {
    list.iter().find(|x| x.covers(d)).ok_or(NoRuleInForce {
        parameter: key,
        date: d,
    })
}

fn check_list<T>(key: &str, list: &[Dated<T>]) -> Result<(), ParamError> {
    let bad = |reason: String| ParamError::Invalid {
        key: key.to_string(),
        reason,
    };
    if list.is_empty() {
        return Err(bad("no entry".into()));
    }
    for (i, e) in list.iter().enumerate() {
        if e.to.is_some_and(|t| t < e.from) {
            return Err(bad(format!("entry {i} ends before it starts")));
        }
        if e.reference.trim().is_empty() {
            return Err(bad(format!("entry {i} has no legal reference")));
        }
        for o in &list[..i] {
            let overlap = e.to.is_none_or(|t| t >= o.from) && o.to.is_none_or(|t| t >= e.from);
            if overlap {
                return Err(bad(format!("entry {i} overlaps an earlier entry")));
            }
        }
    }
    Ok(())
}

impl ParamSet {
    /// Parses and checks a parameter file.
    pub fn from_toml(text: &str) -> Result<ParamSet, ParamError> {
        let p: ParamSet = toml::from_str(text)?;
        p.check()?;
        Ok(p)
    }

    /// The parameter set shipped with the engine. It is checked by the test suite
    /// (`embedded_parameters_are_valid`), so failing here would be a build defect.
    pub fn embedded() -> &'static ParamSet {
        static SET: OnceLock<ParamSet> = OnceLock::new();
        SET.get_or_init(|| match ParamSet::from_toml(EMBEDDED) {
            Ok(p) => p,
            // Infallible in a tested build: the embedded file is validated by a unit test.
            Err(e) => panic!("embedded parameter file is invalid: {e}"),
        })
    }

    /// The checks every set passes (no overlap, a legal reference on every entry...).
    pub fn check(&self) -> Result<(), ParamError> {
        check_list("regime", &self.regime)?;
        check_list("stage", &self.stage)?;
        check_list("art33_access", &self.art33_access)?;
        check_list("counting", &self.counting)?;
        check_list("unpaid_cap", &self.unpaid_cap)?;
        check_list("categories", &self.categories)?;
        check_list("extensions", &self.extensions)?;
        check_list("art42", &self.art42)?;
        check_list("foreign", &self.foreign)?;
        check_list("reference_wage", &self.reference_wage)?;
        check_list("rmmmg", &self.rmmmg)?;
        check_list("right", &self.right)?;
        check_list("interruption_days", &self.interruption_days)?;
        check_list("permit_gap_days", &self.permit_gap_days)?;
        check_list("covid_2021_extension", &self.covid_2021_extension)?;
        for a in &self.art42 {
            // Old art. 42 (a window of years) names the programme limit; new art. 42 has none.
            if a.value.window_years > 0 && a.value.programme_max_months.is_none() {
                return Err(ParamError::Invalid {
                    key: "art42.programme_max_months".into(),
                    reason: format!("missing in the entry from {}", a.from),
                });
            }
        }
        let positive = |key: &str, v: i64| {
            if v > 0 {
                Ok(())
            } else {
                Err(ParamError::Invalid {
                    key: key.into(),
                    reason: "must be positive".into(),
                })
            }
        };
        for r in &self.rmmmg {
            positive("rmmmg.monthly", r.value.monthly_cents())?;
        }
        for i in &self.interruption_days {
            positive("interruption_days.days", i.value.days)?;
        }
        for g in &self.permit_gap_days {
            positive("permit_gap_days.days", g.value.days)?;
        }
        for s in &self.stage {
            if s.value.bands.is_empty() || s.value.bands[0].min_age != 0 {
                return Err(ParamError::Invalid {
                    key: "stage.bands".into(),
                    reason: "bands must start at age 0".into(),
                });
            }
            if s.value
                .bands
                .windows(2)
                .any(|w| w[0].min_age >= w[1].min_age)
            {
                return Err(ParamError::Invalid {
                    key: "stage.bands".into(),
                    reason: "bands must be in increasing age order".into(),
                });
            }
        }
        for c in &self.categories {
            for cat in crate::input::ALL_CATEGORIES {
                if !c.value.table.contains_key(cat) {
                    return Err(ParamError::Invalid {
                        key: "categories.table".into(),
                        reason: format!("category {cat:?} has no treatment from {}", c.from),
                    });
                }
            }
        }
        for c in &self.counting {
            if c.value.full_quarter <= 0 || c.value.default_days_per_week <= 0 {
                return Err(ParamError::Invalid {
                    key: "counting".into(),
                    reason: "full_quarter and default_days_per_week must be positive".into(),
                });
            }
        }
        Ok(())
    }

    pub fn regime_at(&self, d: NaiveDate) -> Result<&Dated<RegimeDef>, NoRuleInForce> {
        pick(&self.regime, "regime", d)
    }
    pub fn stage_at(&self, d: NaiveDate) -> Result<&Dated<Stage>, NoRuleInForce> {
        pick(&self.stage, "stage", d)
    }
    pub fn art33_access_at(&self, d: NaiveDate) -> Result<&Dated<Art33Access>, NoRuleInForce> {
        pick(&self.art33_access, "art33_access", d)
    }
    pub fn counting_at(&self, d: NaiveDate) -> Result<&Dated<Counting>, NoRuleInForce> {
        pick(&self.counting, "counting", d)
    }
    pub fn unpaid_cap_at(&self, d: NaiveDate) -> Result<&Dated<UnpaidCap>, NoRuleInForce> {
        pick(&self.unpaid_cap, "unpaid_cap", d)
    }
    pub fn categories_at(&self, d: NaiveDate) -> Result<&Dated<Categories>, NoRuleInForce> {
        pick(&self.categories, "categories", d)
    }
    pub fn extensions_at(&self, d: NaiveDate) -> Result<&Dated<Extensions>, NoRuleInForce> {
        pick(&self.extensions, "extensions", d)
    }
    pub fn art42_at(&self, d: NaiveDate) -> Result<&Dated<Art42>, NoRuleInForce> {
        pick(&self.art42, "art42", d)
    }
    pub fn foreign_at(&self, d: NaiveDate) -> Result<&Dated<Foreign>, NoRuleInForce> {
        pick(&self.foreign, "foreign", d)
    }
    pub fn reference_wage_at(&self, d: NaiveDate) -> Result<&Dated<ReferenceWage>, NoRuleInForce> {
        pick(&self.reference_wage, "reference_wage", d)
    }
    pub fn right_at(&self, d: NaiveDate) -> Result<&Dated<Right>, NoRuleInForce> {
        pick(&self.right, "right", d)
    }
    /// The RMMMG in force on `d`. Only one dated value is known (2024-04-01): an earlier date
    /// has no rule in force, and the caller decides what an unknown minimum means.
    pub fn rmmmg_at(&self, d: NaiveDate) -> Result<&Dated<Rmmmg>, NoRuleInForce> {
        pick(&self.rmmmg, "rmmmg", d)
    }
    pub fn interruption_days_at(
        &self,
        d: NaiveDate,
    ) -> Result<&Dated<InterruptionDays>, NoRuleInForce> {
        pick(&self.interruption_days, "interruption_days", d)
    }
    /// AR art. 43 §2's gap, in force in the new regime only (SPEC §4).
    pub fn permit_gap_days_at(&self, d: NaiveDate) -> Result<&Dated<PermitGap>, NoRuleInForce> {
        pick(&self.permit_gap_days, "permit_gap_days", d)
    }
    /// The (disabled) COVID extension; check `enabled` before applying it.
    pub fn covid_2021_extension_at(
        &self,
        d: NaiveDate,
    ) -> Result<&Dated<Covid2021Extension>, NoRuleInForce> {
        pick(&self.covid_2021_extension, "covid_2021_extension", d)
    }
}

/// One top-level parameter key at a date, for readers (the law book): the entry in force,
/// or `None` when no entry covers the date (shown as "no rule in force", not an error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamEntry {
    pub key: String,
    pub in_force: Option<EntryInForce>,
}

/// The entry of a parameter in force at a date, its values flattened to `name = value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryInForce {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub reference: String,
    pub values: Vec<(String, String)>,
}

/// Reads one dated entry (`from`, `to`, `reference` and its values) from its JSON form.
fn entry_of(obj: &serde_json::Map<String, serde_json::Value>) -> Option<EntryInForce> {
    let date = |k: &str| obj.get(k)?.as_str()?.parse::<NaiveDate>().ok();
    let mut values = Vec::new();
    for (k, v) in obj {
        if !matches!(k.as_str(), "from" | "to" | "reference") {
            flatten(k, v, &mut values);
        }
    }
    Some(EntryInForce {
        from: date("from")?,
        to: date("to"),
        reference: obj.get("reference")?.as_str()?.to_string(),
        values,
    })
}

/// Nested tables become dotted names (`art32.min_age`); a list of tables gives one line per
/// element, numbered from 1 (`bands[2]`), read as `field: value; field: value`.
fn flatten(name: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                flatten(&format!("{name}.{k}"), x, out);
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            for (i, x) in items.iter().enumerate() {
                out.push((format!("{name}[{}]", i + 1), value_text(x)));
            }
        }
        x => out.push((name.to_string(), value_text(x))),
    }
}

/// A value as a reader writes it, in no particular language: a missing value is a dash, a
/// pair of whole numbers is a fraction (every such pair in the parameter file is one:
/// `half`, `reference_fraction`, `hourly_to_monthly`...), a list is comma-separated.
fn value_text(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "—".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => match items.as_slice() {
            [] => "—".to_string(),
            [Value::Number(a), Value::Number(b)] if a.is_i64() && b.is_i64() => {
                format!("{a}/{b}")
            }
            _ => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        },
        Value::Object(m) => m
            .iter()
            .filter(|(_, x)| !x.is_null())
            .map(|(k, x)| format!("{k}: {}", value_text(x)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

// The keys and a value's fields come through serde_json's map, sorted by name (serde_json
// without `preserve_order`): the order readers see is alphabetical, whatever the file's.
impl ParamSet {
    /// Every top-level dated parameter key with its entry in force at `d` (the set's `id` and
    /// `version` are not parameters). Read through serde, so a key added to the file appears
    /// here without code: the law book's tests then ask for it to be placed in an article.
    pub fn entries_at(&self, d: NaiveDate) -> Result<Vec<ParamEntry>, ParamError> {
        let mut out: Vec<ParamEntry> = Vec::new();
        for (key, e) in self.all_entries()? {
            let covers = d >= e.from && e.to.is_none_or(|t| d <= t);
            match out.last_mut() {
                Some(last) if last.key == key => {
                    if covers {
                        last.in_force = Some(e);
                    }
                }
                _ => out.push(ParamEntry {
                    key,
                    in_force: covers.then_some(e),
                }),
            }
        }
        Ok(out)
    }

    /// Every dated entry of every key (for tests and readers who want the whole history).
    pub fn all_entries(&self) -> Result<Vec<(String, EntryInForce)>, ParamError> {
        use serde_json::Value;
        let doc = serde_json::to_value(self).map_err(|e| ParamError::Invalid {
            key: "*".into(),
            reason: e.to_string(),
        })?;
        let Value::Object(top) = doc else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (key, v) in &top {
            let list: Vec<&serde_json::Map<String, Value>> = match v {
                Value::Array(list) => list.iter().filter_map(Value::as_object).collect(),
                Value::Object(m) => vec![m],
                _ => continue,
            };
            out.extend(
                list.into_iter()
                    .filter_map(entry_of)
                    .map(|e| (key.clone(), e)),
            );
        }
        Ok(out)
    }
}

/// Records a parameter use for the result.
pub fn used<T>(key: &'static str, d: &Dated<T>) -> ParamUse {
    ParamUse {
        key: key.into(),
        from: d.from,
        to: d.to,
        reference: d.reference.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn embedded_parameters_are_valid() {
        let p = ParamSet::from_toml(EMBEDDED).unwrap();
        assert_eq!(
            p.regime_at(d("2026-02-28")).unwrap().value.id,
            RegimeId::Old
        );
        assert_eq!(
            p.regime_at(d("2026-03-01")).unwrap().value.id,
            RegimeId::New
        );
        assert_eq!(p.procedure.processing_working_days, 5);
    }

    /// Every dated key at a date, the entry in force or none (SPEC §4: a date outside every
    /// validity range has no rule, which the law book shows rather than refuses).
    #[test]
    fn entries_at_a_date() {
        let p = ParamSet::embedded();
        let at = p.entries_at(d("2025-06-01")).unwrap();
        let get = |k: &str| at.iter().find(|e| e.key == k).unwrap();
        assert!(at.iter().all(|e| e.key != "id" && e.key != "version"));
        assert!(get("right").in_force.is_none());
        let regime = get("regime").in_force.as_ref().unwrap();
        assert_eq!(regime.to, Some(d("2026-02-28")));
        assert_eq!(regime.values, [("id".to_string(), "old".to_string())]);
        let wage = get("reference_wage").in_force.as_ref().unwrap();
        assert_eq!(wage.from, d("2023-11-01"));
        assert!(
            wage.values
                .contains(&("hourly_to_monthly".into(), "13/3".into()))
        );
        let procedure = get("procedure").in_force.as_ref().unwrap();
        assert_eq!(procedure.from, d("2023-10-02"));
        // Before the first entry of the procedure: no rule in force, still listed.
        let early = p.entries_at(d("2020-01-01")).unwrap();
        assert!(
            early
                .iter()
                .any(|e| e.key == "procedure" && e.in_force.is_none())
        );
        assert_eq!(early.len(), at.len());
    }

    /// Issue 12 part B, SPEC §4: the numbers the engine wrote as literals or lacked are dated
    /// parameters with a legal reference.
    #[test]
    fn spec_4_parameters_are_dated() {
        let p = ParamSet::embedded();
        // Old art. 42: "programmes < 24 m" (SPEC §3.2); new art. 42 has no such limit.
        let old = p.art42_at(d("2026-02-28")).unwrap();
        assert_eq!(old.value.programme_max_months, Some(24));
        assert_eq!(
            p.art42_at(d("2026-03-01"))
                .unwrap()
                .value
                .programme_max_months,
            None
        );
        // Default R and S (SPEC §3.7, §4 default_r / default_s), in both regimes.
        for day in ["2012-11-01", "2026-03-01"] {
            let c = &p.counting_at(d(day)).unwrap().value;
            assert_eq!(c.default_r(), Hundredths::whole(5));
            assert_eq!(c.default_s(), Hundredths(3800));
        }
        // RMMMG: one dated value; before it no rule is in force.
        let r = p.rmmmg_at(d("2024-04-01")).unwrap();
        assert_eq!(r.value.monthly_cents(), 202_988);
        assert!(r.reference.contains("art. 37"));
        assert_eq!(p.rmmmg_at(d("2026-12-01")).unwrap().from, d("2024-04-01"));
        let e = p.rmmmg_at(d("2024-03-31")).unwrap_err();
        assert_eq!((e.parameter, e.date), ("rmmmg", d("2024-03-31")));
        // 28 days of interruption, both regimes.
        for day in ["2012-11-01", "2026-02-28", "2026-03-01"] {
            let i = p.interruption_days_at(d(day)).unwrap();
            assert_eq!(i.value.days, 28);
            assert!(i.reference.contains("art. 116 §4"));
        }
        assert_eq!(
            p.interruption_days_at(d("2012-10-31"))
                .unwrap_err()
                .parameter,
            "interruption_days"
        );
        // Art. 43 §2: 90 days, new regime only (SPEC §4).
        assert_eq!(
            p.permit_gap_days_at(d("2026-03-01")).unwrap().value.days,
            90
        );
        assert_eq!(
            p.permit_gap_days_at(d("2026-02-28")).unwrap_err().parameter,
            "permit_gap_days"
        );
        // COVID 2021: present, 12 months, disabled; nothing outside 2021.
        let c = p.covid_2021_extension_at(d("2021-06-09")).unwrap();
        assert_eq!(c.value.months, 12);
        assert!(!c.value.enabled);
        assert!(c.reference.contains("2021-06-09"));
        assert!(p.covid_2021_extension_at(d("2022-01-01")).is_err());
    }

    #[test]
    fn old_art42_without_programme_limit_is_refused() {
        let text = EMBEDDED.replacen("programme_max_months = 24\n", "", 1);
        assert_ne!(text, EMBEDDED);
        let e = ParamSet::from_toml(&text).unwrap_err();
        assert!(e.to_string().contains("programme_max_months"), "{e}");
    }

    #[test]
    fn new_parameters_must_be_positive() {
        let text = EMBEDDED.replacen("\ndays = 28", "\ndays = 0", 1);
        assert_ne!(text, EMBEDDED);
        let e = ParamSet::from_toml(&text).unwrap_err();
        assert!(e.to_string().contains("interruption_days"), "{e}");
        let text = EMBEDDED.replacen("\ndays = 90", "\ndays = -1", 1);
        assert_ne!(text, EMBEDDED);
        let e = ParamSet::from_toml(&text).unwrap_err();
        assert!(e.to_string().contains("permit_gap_days"), "{e}");
        let text = EMBEDDED.replacen("[[rmmmg]]", "[[rmmmgx]]", 1);
        assert!(ParamSet::from_toml(&text).is_err());
    }

    #[test]
    fn no_rule_before_2012_11() {
        let p = ParamSet::embedded();
        let e = p.regime_at(d("2012-10-31")).unwrap_err();
        assert_eq!(e.parameter, "regime");
    }

    #[test]
    fn overlapping_entries_are_refused() {
        let text = EMBEDDED.replace(
            "to = \"2026-02-28\"\nreference = \"AR 25/11/1991 as amended by AR 23/07/2012 art. 1\"",
            "to = \"2026-03-05\"\nreference = \"x\"",
        );
        let e = ParamSet::from_toml(&text).unwrap_err();
        assert!(e.to_string().contains("overlaps"), "{e}");
    }

    #[test]
    fn missing_reference_is_refused() {
        let text = EMBEDDED.replacen(
            "reference = \"AR 25/11/1991 as amended by AR 23/07/2012 art. 1\"",
            "reference = \" \"",
            1,
        );
        assert!(ParamSet::from_toml(&text).is_err());
    }
}
