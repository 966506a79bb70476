//! Policy options: the legal points no source settles (SPEC §5). Each has a documented
//! default (the first choice in SPEC), and every result records the options it used.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuarterCapMethod {
    /// At most 78 per calendar quarter, all jobs together (CSC practice, method P).
    #[default]
    PerQuarter,
    /// At most 78 × the number of quarters, plus a per-job cap at its R6 days (AM art. 7
    /// "on average", method A). The ONEM conversion-bonus table is unknown: bonus 0.
    Average,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusMinJobLength {
    /// CSC and FGTB: the last job of at least one week fixes the status.
    #[default]
    OneWeek,
    /// DOCKERS FAQ: at least four weeks.
    FourWeeks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriorAdmissionKinds {
    /// Only admissions under art. 30 / 33 (and art. 32, a variant of art. 30) cut off.
    #[default]
    #[serde(rename = "art30_33_only")]
    Art30_33Only,
    PlusArt42,
    PlusArt42bis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriorAdmissionScope {
    /// Admissions before 2026-03-01 and under art. 32 cut off too (longer, safer contract).
    #[default]
    IncludePre2026AndArt32,
    ExcludeArt32,
    ExcludePre2026,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriorAdmissionAnchor {
    /// Art. 114 §1 starts the right on the DA.
    #[default]
    ApplicationDate,
    FirstPaidDay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceStartMonthEnd {
    /// DA − N months on a missing day goes to the month's last day (longer window).
    #[default]
    ClampToMonthEnd,
    FirstOfNextMonth,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionUnit {
    /// "The number of days" of the event moves the start back by as many calendar days.
    #[default]
    CalendarDays,
    /// The event's length in years, months and days (date to date) moves the start back.
    YearsMonths,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// Parts keep 4 decimals; only the total is rounded up (ONEM schemes 2B/2E, CSC).
    #[default]
    TotalOnly,
    /// Each part-time quotient is rounded up (literal AM art. 7).
    PerPartCeiling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenChoice {
    #[default]
    Count,
    /// Counted only when paid with the unemployment contribution (5°).
    CountIfPaidWithUnemploymentContribution,
    Exclude,
    ManualReview,
}

/// Treatment of the DmfA codes the new art. 38 list leaves open (Q6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenAssimilations {
    /// Code 51 (mostly maternity rest, 6°).
    pub code_51: OpenChoice,
    /// Codes 5 and 13 (educational leave, social promotion).
    pub codes_5_13: OpenChoice,
    /// Codes 23, 4 and 73 (waiting day, first bad-weather day, youth/senior holiday).
    pub codes_23_4_73: OpenChoice,
}

impl Default for OpenAssimilations {
    fn default() -> Self {
        OpenAssimilations {
            code_51: OpenChoice::Count,
            codes_5_13: OpenChoice::CountIfPaidWithUnemploymentContribution,
            codes_23_4_73: OpenChoice::Exclude,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Art33DurationUnits {
    #[default]
    #[serde(rename = "half_days_as_days_capped_312")]
    HalfDaysAsDaysCapped312,
    HalfDaysRaw,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Art60ContributionCheck {
    /// No special rule: the worker's unemployment contribution is withheld.
    #[default]
    AssumeWithheld,
    /// Flag the result for manual review until a C4 or DmfA proves it.
    RequireEvidence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ForeignFollowup6Months {
    #[default]
    ApplyForTnBaMkMe,
    ThreeMonthsAll,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MoroccoConvention {
    /// Work in Morocco is not counted automatically; the officer decides.
    #[default]
    ManualReview,
    #[serde(rename = "convention_3_months")]
    Convention3Months,
    None,
}

/// Old regime, declared quarters: ONEM's scheme 3 completes the days of a job's span that
/// were not declared at all as unpaid absence, less a tolerance, within the yearly cap (AM
/// art. 7 scheme 3; EX15, EX16). Off by default (SPEC §3.6, §5 Q10): the confirmed examples
/// EX11 and EX13 come out right only without it, and the research dates the procedure's end
/// around 2015 [I]; `complete` reproduces EX15/EX16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UndeclaredCompletion {
    /// No completion: only declared days count.
    #[default]
    Off,
    /// Scheme 3: undeclared days of the job's span count as unpaid absence (EX15, EX16).
    Complete,
}

/// All policy options. `Options::default()` is the documented default of SPEC §5.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Options {
    pub quarter_cap_method: QuarterCapMethod,
    pub status_min_job_length: StatusMinJobLength,
    pub prior_admission_kinds: PriorAdmissionKinds,
    pub prior_admission_scope: PriorAdmissionScope,
    pub prior_admission_anchor: PriorAdmissionAnchor,
    pub reference_start_month_end: ReferenceStartMonthEnd,
    pub extension_unit: ExtensionUnit,
    pub rounding_mode: RoundingMode,
    pub open_assimilations: OpenAssimilations,
    pub art33_duration_units: Art33DurationUnits,
    pub art60_contribution_check: Art60ContributionCheck,
    /// Whether the art. 60 job is a re-employment programme extending old art. 42's 3 years.
    pub art60_is_reemployment_programme: bool,
    pub foreign_followup_6_months: ForeignFollowup6Months,
    pub morocco_convention: MoroccoConvention,
    pub undeclared_completion: UndeclaredCompletion,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    #[error("option must be written name=value, got {0:?}")]
    Syntax(String),
    #[error("unknown option {0:?}")]
    Unknown(String),
    #[error("option {name}: {reason}")]
    BadValue { name: String, reason: String },
}

impl Options {
    /// Sets one option from `name=value` (nested names with a dot, e.g.
    /// `open_assimilations.code_51=exclude`).
    pub fn set(&mut self, assignment: &str) -> Result<(), OptionError> {
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| OptionError::Syntax(assignment.to_string()))?;
        let (name, value) = (name.trim(), value.trim());
        let mut doc = serde_json::to_value(&*self).map_err(|e| OptionError::BadValue {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
        let mut slot = &mut doc;
        for part in name.split('.') {
            slot = slot
                .get_mut(part)
                .ok_or_else(|| OptionError::Unknown(name.to_string()))?;
        }
        *slot = match value {
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            v => serde_json::Value::String(v.to_string()),
        };
        *self = serde_json::from_value(doc).map_err(|e| OptionError::BadValue {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every choice spelled as in SPEC §5 is accepted.
    #[test]
    fn spec_spellings() {
        let mut o = Options::default();
        for a in [
            "quarter_cap_method=per_quarter",
            "quarter_cap_method=average",
            "status_min_job_length=one_week",
            "status_min_job_length=four_weeks",
            "prior_admission_kinds=art30_33_only",
            "prior_admission_kinds=plus_art42",
            "prior_admission_kinds=plus_art42bis",
            "prior_admission_scope=include_pre2026_and_art32",
            "prior_admission_scope=exclude_art32",
            "prior_admission_scope=exclude_pre2026",
            "prior_admission_anchor=application_date",
            "prior_admission_anchor=first_paid_day",
            "reference_start_month_end=clamp_to_month_end",
            "reference_start_month_end=first_of_next_month",
            "extension_unit=calendar_days",
            "extension_unit=years_months",
            "rounding_mode=total_only",
            "rounding_mode=per_part_ceiling",
            "open_assimilations.code_51=count",
            "open_assimilations.codes_5_13=count_if_paid_with_unemployment_contribution",
            "open_assimilations.codes_23_4_73=exclude",
            "art33_duration_units=half_days_as_days_capped_312",
            "art33_duration_units=half_days_raw",
            "art60_contribution_check=assume_withheld",
            "art60_contribution_check=require_evidence",
            "art60_is_reemployment_programme=false",
            "foreign_followup_6_months=apply_for_tn_ba_mk_me",
            "foreign_followup_6_months=three_months_all",
            "morocco_convention=manual_review",
            "morocco_convention=convention_3_months",
            "morocco_convention=none",
            "undeclared_completion=complete",
            "undeclared_completion=off",
        ] {
            o.set(a).unwrap_or_else(|e| panic!("{a}: {e}"));
        }
    }

    /// SPEC §3.6 and §5 Q10: scheme 3's completion is off unless asked for (issue 12 part C).
    #[test]
    fn undeclared_completion_is_off_by_default() {
        assert_eq!(
            Options::default().undeclared_completion,
            UndeclaredCompletion::Off
        );
        let json = serde_json::to_value(Options::default()).unwrap();
        assert_eq!(json["undeclared_completion"], "off");
        let o: Options = serde_json::from_str("{}").unwrap();
        assert_eq!(o.undeclared_completion, UndeclaredCompletion::Off);
    }

    #[test]
    fn set_by_name() {
        let mut o = Options::default();
        o.set("quarter_cap_method=average").unwrap();
        assert_eq!(o.quarter_cap_method, QuarterCapMethod::Average);
        o.set("open_assimilations.code_51=exclude").unwrap();
        assert_eq!(o.open_assimilations.code_51, OpenChoice::Exclude);
        o.set("art60_is_reemployment_programme=true").unwrap();
        assert!(o.art60_is_reemployment_programme);
        assert!(matches!(o.set("nope=1"), Err(OptionError::Unknown(_))));
        assert!(matches!(
            o.set("quarter_cap_method=sometimes"),
            Err(OptionError::BadValue { .. })
        ));
        assert!(matches!(
            o.set("quarter_cap_method"),
            Err(OptionError::Syntax(_))
        ));
    }
}
