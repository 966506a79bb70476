//! The service-code table (ONSS Annex 8) and the mapping parameters, both data files embedded at
//! compile time. The tables are parsed once; a malformed table is a build-time mistake caught by the
//! tests below, so loading reports it as a [`TableError`] instead of panicking.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use art60_rules::input::{DayCategory, Quarter};
use chrono::NaiveDate;
use serde::Deserialize;

const SERVICE_CODES_TOML: &str = include_str!("../data/service_codes.toml");
const MAPPING_TOML: &str = include_str!("../data/mapping.toml");

/// A broken embedded table (only possible if a data file was edited badly).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("embedded table {file}: {reason}")]
pub struct TableError {
    pub file: &'static str,
    pub reason: String,
}

/// One Annex 8 service code and the SPEC §3.6 category it maps to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceCodeInfo {
    pub code: u16,
    pub label: String,
    /// Allowed in the DmfA (some codes exist only in the former DmfAPPL).
    pub dmfa: bool,
    pub valid_from: Quarter,
    #[serde(default)]
    pub valid_to: Option<Quarter>,
    pub category: DayCategory,
    /// Legal text or SPEC row behind the category.
    pub reference: String,
}

impl ServiceCodeInfo {
    pub fn valid_in(&self, q: Quarter) -> bool {
        self.dmfa && self.valid_from <= q && self.valid_to.is_none_or(|to| q <= to)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceCodeFile {
    #[allow(dead_code)] // kept in the file for the reader; checked to exist by deny_unknown_fields
    source: String,
    code: Vec<ServiceCodeInfo>,
}

/// Why a service code cannot be used in a given quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    /// Not in Annex 8 at all.
    Unknown,
    /// In Annex 8 but only for the DmfAPPL.
    NotForDmfa,
    /// In Annex 8 but not valid in that quarter.
    NotValidIn,
}

/// The Annex 8 table, indexed by code.
#[derive(Debug)]
pub struct ServiceCodes {
    by_code: BTreeMap<u16, ServiceCodeInfo>,
}

impl ServiceCodes {
    pub fn parse(text: &str) -> Result<ServiceCodes, TableError> {
        let err = |reason: String| TableError {
            file: "data/service_codes.toml",
            reason,
        };
        let file: ServiceCodeFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut by_code = BTreeMap::new();
        for info in file.code {
            if info.reference.trim().is_empty() {
                return Err(err(format!("code {} has no legal reference", info.code)));
            }
            if let Some(to) = info.valid_to
                && to < info.valid_from
            {
                return Err(err(format!("code {} ends before it starts", info.code)));
            }
            let code = info.code;
            if by_code.insert(code, info).is_some() {
                return Err(err(format!("code {code} is listed twice")));
            }
        }
        Ok(ServiceCodes { by_code })
    }

    /// The table compiled into the crate.
    pub fn embedded() -> Result<&'static ServiceCodes, TableError> {
        static TABLE: OnceLock<Result<ServiceCodes, TableError>> = OnceLock::new();
        TABLE
            .get_or_init(|| ServiceCodes::parse(SERVICE_CODES_TOML))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn get(&self, code: u16) -> Option<&ServiceCodeInfo> {
        self.by_code.get(&code)
    }

    pub fn iter(&self) -> impl Iterator<Item = &ServiceCodeInfo> {
        self.by_code.values()
    }

    /// Checks that a code may appear in a DmfA for quarter `q`.
    pub fn check(&self, code: u16, q: Quarter) -> Result<&ServiceCodeInfo, CodeProblem> {
        let info = self.by_code.get(&code).ok_or(CodeProblem::Unknown)?;
        if !info.dmfa {
            return Err(CodeProblem::NotForDmfa);
        }
        if !info.valid_in(q) {
            return Err(CodeProblem::NotValidIn);
        }
        Ok(info)
    }

    /// The §3.6 category; codes the table does not know map to `Unknown` (manual review).
    pub fn category(&self, code: u16) -> DayCategory {
        self.by_code
            .get(&code)
            .map_or(DayCategory::Unknown, |i| i.category)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param<T> {
    pub value: T,
    pub valid_from: NaiveDate,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParam {
    pub values: Vec<u16>,
    pub valid_from: NaiveDate,
    pub reference: String,
}

/// Numbers of the mapping that come from the law (data/mapping.toml).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingParams {
    /// S in hundredths of hours when the declaration does not give it.
    pub reference_hours_if_unknown: Param<i64>,
    /// R in hundredths of days when the declared one is below one day a week.
    pub days_per_week_if_wrong: Param<i64>,
    pub student_worker_codes: ListParam,
    pub notice_indemnity_remun_codes: ListParam,
}

impl MappingParams {
    pub fn parse(text: &str) -> Result<MappingParams, TableError> {
        let err = |reason: String| TableError {
            file: "data/mapping.toml",
            reason,
        };
        let p: MappingParams = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        if !(1..=6000).contains(&p.reference_hours_if_unknown.value) {
            return Err(err("reference_hours_if_unknown out of 0.01..60 h".into()));
        }
        if !(100..=700).contains(&p.days_per_week_if_wrong.value) {
            return Err(err("days_per_week_if_wrong out of 1..7".into()));
        }
        for (name, r) in [
            (
                "reference_hours_if_unknown",
                &p.reference_hours_if_unknown.reference,
            ),
            (
                "days_per_week_if_wrong",
                &p.days_per_week_if_wrong.reference,
            ),
            ("student_worker_codes", &p.student_worker_codes.reference),
            (
                "notice_indemnity_remun_codes",
                &p.notice_indemnity_remun_codes.reference,
            ),
        ] {
            if r.trim().is_empty() {
                return Err(err(format!("{name} has no legal reference")));
            }
        }
        Ok(p)
    }

    pub fn embedded() -> Result<&'static MappingParams, TableError> {
        static PARAMS: OnceLock<Result<MappingParams, TableError>> = OnceLock::new();
        PARAMS
            .get_or_init(|| MappingParams::parse(MAPPING_TOML))
            .as_ref()
            .map_err(Clone::clone)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quarter {
        s.parse().unwrap()
    }

    #[test]
    fn embedded_table_loads_with_all_44_annex8_codes() {
        let t = ServiceCodes::embedded().unwrap();
        assert_eq!(t.iter().count(), 44);
        assert!(t.iter().all(|i| !i.reference.is_empty()));
    }

    /// The SPEC §3.6 / §7 classification, row by row, against the data file.
    #[test]
    fn categories_follow_spec_3_6() {
        use DayCategory::*;
        let t = ServiceCodes::embedded().unwrap();
        let expect: &[(&[u16], DayCategory)] = &[
            (&[1], EffectiveWork),
            (&[2, 3, 12, 14], HolidayPay),
            (&[10, 11], GuaranteedPay),
            (&[20], CompensatoryRest),
            (&[5, 13], EducationalLeave),
            (&[51], MaternityProtection),
            (&[52], Maternity),
            (&[21], Strike),
            (&[75], SocialJudgeOrFosterCare),
            (&[70, 71, 72, 76, 77], TemporaryUnemployment),
            (&[50, 60, 61], InsuredSickness),
            (&[22, 24, 25, 26, 30], UnpaidAbsence),
            (&[4, 23, 73], WaitingOrBadWeather),
            (&[80], OvertimeWithoutContribution),
            (
                &[15, 31, 32, 33, 41, 42, 43, 53, 74, 101, 102, 110, 301],
                Unknown,
            ),
        ];
        let mut seen = 0;
        for (codes, cat) in expect {
            for c in *codes {
                assert_eq!(t.category(*c), *cat, "code {c}");
                seen += 1;
            }
        }
        assert_eq!(seen, 44, "every Annex 8 code is classified exactly once");
        assert_eq!(t.category(999), Unknown);
    }

    #[test]
    fn validity_by_quarter_and_message() {
        let t = ServiceCodes::embedded().unwrap();
        assert!(t.check(1, q("2003Q1")).is_ok());
        assert_eq!(t.check(999, q("2022Q3")).err(), Some(CodeProblem::Unknown));
        assert_eq!(
            t.check(301, q("2010Q1")).err(),
            Some(CodeProblem::NotForDmfa)
        );
        // Code 77 (force majeure Corona/floods/Ukraine) ran from 2020Q2 to 2022Q2.
        assert!(t.check(77, q("2022Q2")).is_ok());
        assert_eq!(
            t.check(77, q("2022Q3")).err(),
            Some(CodeProblem::NotValidIn)
        );
        assert_eq!(
            t.check(77, q("2020Q1")).err(),
            Some(CodeProblem::NotValidIn)
        );
        // Code 14 starts in 2012Q2.
        assert_eq!(
            t.check(14, q("2012Q1")).err(),
            Some(CodeProblem::NotValidIn)
        );
        assert!(t.check(14, q("2012Q2")).is_ok());
    }

    #[test]
    fn table_errors_are_reported_not_panicked() {
        let dup = r#"source = "x"
[[code]]
code = 1
label = "a"
dmfa = true
valid_from = "2003Q1"
category = "effective_work"
reference = "r"
[[code]]
code = 1
label = "b"
dmfa = true
valid_from = "2003Q1"
category = "effective_work"
reference = "r"
"#;
        assert!(
            ServiceCodes::parse(dup)
                .unwrap_err()
                .reason
                .contains("twice")
        );
        let no_ref = dup.replacen("reference = \"r\"", "reference = \" \"", 1);
        assert!(
            ServiceCodes::parse(&no_ref)
                .unwrap_err()
                .reason
                .contains("no legal reference")
        );
    }

    #[test]
    fn mapping_params_load() {
        let p = MappingParams::embedded().unwrap();
        assert_eq!(p.reference_hours_if_unknown.value, 3800);
        assert_eq!(p.student_worker_codes.values, vec![840, 841]);
        assert_eq!(p.notice_indemnity_remun_codes.values, vec![3]);
        let bad = MAPPING_TOML.replace("value = 3800", "value = 0");
        assert!(MappingParams::parse(&bad).is_err());
    }
}
