//! What the importer keeps of a DmfA declaration: per natural person, the worker records, their
//! occupations, service lines and remuneration codes. Values are checked against the XSD ranges
//! by the reader. The types (de)serialise to JSON so the case service can store what it imported
//! and rebuild the history later; identifiers (NISS, KBO, joint committee) are re-checked when read
//! back. Serialised JSON holds the full NISS: it is for storage, never for logs (`Debug` redacts).

use std::fmt;

use art60_rules::input::Quarter;
use art60_rules::units::Hundredths;
use art60_rules::{Kbo, Niss};
use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// The declaring employer: ONSS registration number (0..=199999934) and, if given, the
/// enterprise number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Employer {
    pub noss: u32,
    pub company: Option<Kbo>,
}

impl fmt::Display for Employer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.noss, self.company) {
            (0, Some(k)) => write!(f, "KBO {k}"),
            (n, Some(k)) => write!(f, "ONSS {n} (KBO {k})"),
            (n, None) => write!(f, "ONSS {n}"),
        }
    }
}

/// Everything one form declares for one natural person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonDeclaration {
    /// 1-based position of the `Form` in the file.
    pub form: u32,
    /// When the form was created (FormCreationDate and FormCreationHour): the order of two
    /// declarations of the same employer and quarter. `None` in data stored before it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_created: Option<NaiveDateTime>,
    /// Worker records and service or remuneration lines of this person the reader refused
    /// (each listed as a rejected record): the declaration is incomplete.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub refused_parts: u32,
    pub quarter: Quarter,
    pub employer: Employer,
    pub niss: Niss,
    /// NaturalPersonSequenceNbr (1..=9999999).
    pub sequence: u32,
    pub worker_records: Vec<WorkerRecord>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One "ligne travailleur": an employer class and worker code for the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerRecord {
    pub employer_class: u16,
    pub worker_code: u16,
    pub quarter_start: NaiveDate,
    pub quarter_end: NaiveDate,
    pub occupations: Vec<Occupation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractType {
    FullTime,
    PartTime,
}

/// Joint committee number as written (`\d{3}`, `\d{3}.\d{2}` or `\d{3}.\d{2}.\d{2}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JointCommittee(String);

impl TryFrom<String> for JointCommittee {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        JointCommittee::parse(&s)
            .ok_or_else(|| format!("joint committee {s:?}: expected NNN, NNN.NN or NNN.NN.NN"))
    }
}

impl From<JointCommittee> for String {
    fn from(j: JointCommittee) -> String {
        j.0
    }
}

impl JointCommittee {
    pub fn parse(s: &str) -> Option<JointCommittee> {
        let b = s.as_bytes();
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        let ok = match b.len() {
            3 => digits(b),
            6 => digits(&b[..3]) && b[3] == b'.' && digits(&b[4..]),
            9 => {
                digits(&b[..3])
                    && b[3] == b'.'
                    && digits(&b[4..6])
                    && b[6] == b'.'
                    && digits(&b[7..])
            }
            _ => false,
        };
        ok.then(|| JointCommittee(s.to_string()))
    }
    /// `999`: no joint committee.
    pub fn none() -> JointCommittee {
        JointCommittee("999".to_string())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One occupation line of a worker record for the quarter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occupation {
    /// OccupationSequenceNbr (1..=99).
    pub sequence: u8,
    pub start: Option<NaiveDate>,
    /// Absent while the occupation continues into the next quarter.
    pub end: Option<NaiveDate>,
    pub joint_committee: JointCommittee,
    /// WorkingDaysSystem: days per week in hundredths (0..=700; 0 = complete career break).
    pub days_per_week: Hundredths,
    pub contract_type: ContractType,
    /// RefMeanWorkingHours, S (1..=6000 hundredths).
    pub reference_hours: Option<Hundredths>,
    /// WorkerStatus (Annex 21), e.g. `TW` = art. 60 §7 in the Flemish Region.
    pub worker_status: Option<String>,
    /// MeanWorkingHours, Q (0..=6000 hundredths).
    pub mean_hours: Option<Hundredths>,
    /// DaysJustification (1..=8).
    pub days_justification: Option<u8>,
    pub services: Vec<Service>,
    pub remunerations: Vec<Remuneration>,
}

/// Days (and hours) declared under one service code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub sequence: u8,
    /// Annex 8 code, checked to be valid for the quarter.
    pub code: u16,
    /// ServiceNbrDays, in the worker's own regime (1..=36600 hundredths).
    pub days: Hundredths,
    /// ServiceNbrHours (1..=9999999 hundredths).
    pub hours: Option<Hundredths>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remuneration {
    pub sequence: u8,
    pub code: u16,
    /// Euro cents (0..=99999999999).
    pub amount_cents: u64,
}
