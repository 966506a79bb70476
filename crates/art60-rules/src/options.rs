//! Policy options: the legal points no source settles (SPEC §5). Each has a documented
//! default (the first choice in SPEC), and every result records the options it used.

use std::fmt;

use schemars::JsonSchema;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// Declares the choices of one policy option. Each choice is written out exactly as named
/// (the names results have always recorded) and read back case-insensitively, so SPEC §5's
/// spellings (`apply_for_TN_BA_MK_ME`) and any capitalisation are accepted wherever options
/// are read: JSON, `--option name=value`, [`Options::set`].
macro_rules! choices {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every choice, in SPEC §5 order (the first is the default).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The written names, in the order of [`Self::ALL`].
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The name results record.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let i = d.deserialize_str(ChoiceVisitor(Self::NAMES))?;
                Self::ALL
                    .get(i)
                    .copied()
                    .ok_or_else(|| de::Error::custom("choice index out of range"))
            }
        }
    };
}

/// Finds a choice by name, ignoring ASCII case; yields its index in the names.
struct ChoiceVisitor(&'static [&'static str]);

impl Visitor<'_> for ChoiceVisitor {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "one of {}", self.0.join(", "))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        self.0
            .iter()
            .position(|n| n.eq_ignore_ascii_case(v))
            .ok_or_else(|| E::unknown_variant(v, self.0))
    }
}

choices! {
    pub enum QuarterCapMethod {
        /// At most 78 per calendar quarter, all jobs together (CSC practice, method P).
        #[default]
        PerQuarter = "per_quarter",
        /// At most 78 × the number of quarters, plus a per-job cap at its R6 days (AM art. 7
        /// "on average", method A). The ONEM conversion-bonus table is unknown: bonus 0.
        Average = "average",
    }
}

choices! {
    pub enum StatusMinJobLength {
        /// CSC and FGTB: the last job of at least one week fixes the status.
        #[default]
        OneWeek = "one_week",
        /// DOCKERS FAQ: at least four weeks.
        FourWeeks = "four_weeks",
    }
}

choices! {
    pub enum PriorAdmissionKinds {
        /// Only admissions under art. 30 / 33 (and art. 32, a variant of art. 30) cut off.
        #[default]
        Art30_33Only = "art30_33_only",
        PlusArt42 = "plus_art42",
        PlusArt42bis = "plus_art42bis",
    }
}

choices! {
    pub enum PriorAdmissionScope {
        /// Admissions before 2026-03-01 and under art. 32 cut off too (longer, safer contract).
        #[default]
        IncludePre2026AndArt32 = "include_pre2026_and_art32",
        ExcludeArt32 = "exclude_art32",
        ExcludePre2026 = "exclude_pre2026",
    }
}

choices! {
    pub enum PriorAdmissionAnchor {
        /// Art. 114 §1 starts the right on the DA.
        #[default]
        ApplicationDate = "application_date",
        FirstPaidDay = "first_paid_day",
    }
}

choices! {
    pub enum ReferenceStartMonthEnd {
        /// DA − N months on a missing day goes to the month's last day (longer window).
        #[default]
        ClampToMonthEnd = "clamp_to_month_end",
        FirstOfNextMonth = "first_of_next_month",
    }
}

choices! {
    pub enum ExtensionUnit {
        /// "The number of days" of the event moves the start back by as many calendar days.
        #[default]
        CalendarDays = "calendar_days",
        /// The event's length in years, months and days (date to date) moves the start back.
        YearsMonths = "years_months",
    }
}

choices! {
    pub enum RoundingMode {
        /// Parts keep 4 decimals; only the total is rounded up (ONEM schemes 2B/2E, CSC).
        #[default]
        TotalOnly = "total_only",
        /// Each part-time quotient is rounded up (literal AM art. 7).
        PerPartCeiling = "per_part_ceiling",
    }
}

choices! {
    pub enum OpenChoice {
        #[default]
        Count = "count",
        /// Counted only when paid with the unemployment contribution (5°).
        CountIfPaidWithUnemploymentContribution = "count_if_paid_with_unemployment_contribution",
        Exclude = "exclude",
        ManualReview = "manual_review",
    }
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

choices! {
    pub enum Art33DurationUnits {
        #[default]
        HalfDaysAsDaysCapped312 = "half_days_as_days_capped_312",
        HalfDaysRaw = "half_days_raw",
    }
}

choices! {
    pub enum Art60ContributionCheck {
        /// No special rule: the worker's unemployment contribution is withheld.
        #[default]
        AssumeWithheld = "assume_withheld",
        /// Flag the result for manual review until a C4 or DmfA proves it.
        RequireEvidence = "require_evidence",
    }
}

choices! {
    /// SPEC §5 writes the first choice `apply_for_TN_BA_MK_ME`; it is recorded in lower case.
    pub enum ForeignFollowup6Months {
        #[default]
        ApplyForTnBaMkMe = "apply_for_tn_ba_mk_me",
        ThreeMonthsAll = "three_months_all",
    }
}

choices! {
    pub enum MoroccoConvention {
        /// Work in Morocco is not counted automatically; the officer decides.
        #[default]
        ManualReview = "manual_review",
        Convention3Months = "convention_3_months",
        None = "none",
    }
}

choices! {
    /// Old regime, declared quarters: ONEM's scheme 3 completes the days of a job's span that
    /// were not declared at all as unpaid absence, less a tolerance, within the yearly cap (AM
    /// art. 7 scheme 3; EX15, EX16). Off by default (SPEC §3.6, §5 Q10): the confirmed examples
    /// EX11 and EX13 come out right only without it, and the research dates the procedure's end
    /// around 2015 [I]; `complete` reproduces EX15/EX16.
    pub enum UndeclaredCompletion {
        /// No completion: only declared days count.
        #[default]
        Off = "off",
        /// Scheme 3: undeclared days of the job's span count as unpaid absence (EX15, EX16).
        Complete = "complete",
    }
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
        // Booleans are read like the choices, whatever their capitalisation.
        *slot = match value {
            v if v.eq_ignore_ascii_case("true") => serde_json::Value::Bool(true),
            v if v.eq_ignore_ascii_case("false") => serde_json::Value::Bool(false),
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
            "foreign_followup_6_months=apply_for_TN_BA_MK_ME",
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

    /// Issue 12 part B: option values as SPEC spells them, in any capitalisation, through
    /// `--option` ([`Options::set`]) and through JSON alike; the recorded name stays lower case.
    #[test]
    fn values_are_read_case_insensitively() {
        for spelling in [
            "apply_for_TN_BA_MK_ME",
            "APPLY_FOR_tn_ba_mk_me",
            "apply_for_tn_ba_mk_me",
        ] {
            let mut o = Options {
                foreign_followup_6_months: ForeignFollowup6Months::ThreeMonthsAll,
                ..Options::default()
            };
            o.set(&format!("foreign_followup_6_months={spelling}"))
                .unwrap();
            assert_eq!(
                o.foreign_followup_6_months,
                ForeignFollowup6Months::ApplyForTnBaMkMe
            );
            let json = format!(r#"{{"foreign_followup_6_months": "{spelling}"}}"#);
            let o: Options = serde_json::from_str(&json).unwrap();
            assert_eq!(
                o.foreign_followup_6_months,
                ForeignFollowup6Months::ApplyForTnBaMkMe
            );
            assert_eq!(
                serde_json::to_value(&o).unwrap()["foreign_followup_6_months"],
                "apply_for_tn_ba_mk_me"
            );
        }
        let mut o = Options::default();
        o.set("Quarter_Cap_Method=AVERAGE").unwrap_err();
        o.set("quarter_cap_method=AVERAGE").unwrap();
        o.set("open_assimilations.codes_5_13=Manual_Review")
            .unwrap();
        o.set("undeclared_completion=Complete").unwrap();
        o.set("art60_is_reemployment_programme=TRUE").unwrap();
        assert_eq!(o.quarter_cap_method, QuarterCapMethod::Average);
        assert_eq!(o.open_assimilations.codes_5_13, OpenChoice::ManualReview);
        assert_eq!(o.undeclared_completion, UndeclaredCompletion::Complete);
        assert!(o.art60_is_reemployment_programme);
        // A name that is not a choice is still refused, and the message lists the choices.
        let e = o.set("morocco_convention=maybe").unwrap_err().to_string();
        assert!(
            e.contains("manual_review") && e.contains("convention_3_months"),
            "{e}"
        );
    }

    /// The names a choice is read by are the names it is written with.
    #[test]
    fn names_are_the_serialised_names() {
        fn check<T: Serialize + Copy + std::fmt::Debug>(all: &[T], names: &[&str]) {
            assert_eq!(all.len(), names.len());
            for (c, n) in all.iter().zip(names) {
                assert_eq!(serde_json::to_value(c).unwrap(), *n, "{c:?}");
            }
        }
        check(QuarterCapMethod::ALL, QuarterCapMethod::NAMES);
        check(StatusMinJobLength::ALL, StatusMinJobLength::NAMES);
        check(PriorAdmissionKinds::ALL, PriorAdmissionKinds::NAMES);
        check(PriorAdmissionScope::ALL, PriorAdmissionScope::NAMES);
        check(PriorAdmissionAnchor::ALL, PriorAdmissionAnchor::NAMES);
        check(ReferenceStartMonthEnd::ALL, ReferenceStartMonthEnd::NAMES);
        check(ExtensionUnit::ALL, ExtensionUnit::NAMES);
        check(RoundingMode::ALL, RoundingMode::NAMES);
        check(OpenChoice::ALL, OpenChoice::NAMES);
        check(Art33DurationUnits::ALL, Art33DurationUnits::NAMES);
        check(Art60ContributionCheck::ALL, Art60ContributionCheck::NAMES);
        check(ForeignFollowup6Months::ALL, ForeignFollowup6Months::NAMES);
        check(MoroccoConvention::ALL, MoroccoConvention::NAMES);
        check(UndeclaredCompletion::ALL, UndeclaredCompletion::NAMES);
        assert_eq!(
            MoroccoConvention::Convention3Months.as_str(),
            "convention_3_months"
        );
        // The first choice is the default (SPEC §5).
        assert_eq!(QuarterCapMethod::ALL[0], QuarterCapMethod::default());
        assert_eq!(
            UndeclaredCompletion::ALL[0],
            UndeclaredCompletion::default()
        );
        assert_eq!(MoroccoConvention::ALL[0], MoroccoConvention::default());
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

    /// The serialised form is the one results have always recorded (stored results and
    /// snapshots depend on it): lower-case snake_case, whatever spelling was read.
    #[test]
    fn serialisation_is_unchanged() {
        let json = serde_json::to_string(&Options::default()).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"{"quarter_cap_method":"per_quarter","status_min_job_length":"one_week","#,
                r#""prior_admission_kinds":"art30_33_only","#,
                r#""prior_admission_scope":"include_pre2026_and_art32","#,
                r#""prior_admission_anchor":"application_date","#,
                r#""reference_start_month_end":"clamp_to_month_end","#,
                r#""extension_unit":"calendar_days","rounding_mode":"total_only","#,
                r#""open_assimilations":{"code_51":"count","#,
                r#""codes_5_13":"count_if_paid_with_unemployment_contribution","#,
                r#""codes_23_4_73":"exclude"},"#,
                r#""art33_duration_units":"half_days_as_days_capped_312","#,
                r#""art60_contribution_check":"assume_withheld","#,
                r#""art60_is_reemployment_programme":false,"#,
                r#""foreign_followup_6_months":"apply_for_tn_ba_mk_me","#,
                r#""morocco_convention":"manual_review","undeclared_completion":"off"}"#
            )
        );
        let mut o = Options::default();
        for a in [
            "quarter_cap_method=average",
            "prior_admission_kinds=plus_art42bis",
            "art33_duration_units=half_days_raw",
            "foreign_followup_6_months=three_months_all",
            "morocco_convention=convention_3_months",
            "undeclared_completion=complete",
        ] {
            o.set(a).unwrap();
        }
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(v["quarter_cap_method"], "average");
        assert_eq!(v["prior_admission_kinds"], "plus_art42bis");
        assert_eq!(v["art33_duration_units"], "half_days_raw");
        assert_eq!(v["foreign_followup_6_months"], "three_months_all");
        assert_eq!(v["morocco_convention"], "convention_3_months");
        assert_eq!(v["undeclared_completion"], "complete");
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
