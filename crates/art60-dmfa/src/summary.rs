//! A streaming summary of a declaration file (`art60 dmfa inspect`): counts per employer, quarter
//! and service code. Holds only counters, never the persons, so it stays small for any file size.

use std::collections::{BTreeMap, BTreeSet};

use art60_rules::input::Quarter;
use art60_rules::units::Hundredths;
use serde::Serialize;

use crate::model::{Employer, PersonDeclaration};
use crate::parser::RecordError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CodeTotals {
    pub lines: u64,
    /// Sum of ServiceNbrDays, each in the worker's own regime.
    pub days: Hundredths,
    /// Sum of ServiceNbrHours where declared.
    pub hours: Hundredths,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Distinct employers (ONSS number / KBO).
    pub employers: BTreeSet<String>,
    /// Natural persons imported, per quarter.
    pub persons_per_quarter: BTreeMap<Quarter, u64>,
    pub persons: u64,
    pub worker_records: u64,
    pub occupations: u64,
    pub service_lines: u64,
    pub days_per_code: BTreeMap<u16, CodeTotals>,
    /// Rejected blocks (each listed separately by the reader).
    pub rejected: u64,
    #[serde(skip)]
    seen_employers: BTreeSet<Employer>,
}

impl Summary {
    pub fn add_person(&mut self, p: &PersonDeclaration) {
        if self.seen_employers.insert(p.employer) {
            self.employers.insert(p.employer.to_string());
        }
        *self.persons_per_quarter.entry(p.quarter).or_default() += 1;
        self.persons += 1;
        for wr in &p.worker_records {
            self.worker_records += 1;
            for occ in &wr.occupations {
                self.occupations += 1;
                for s in &occ.services {
                    self.service_lines += 1;
                    let t = self.days_per_code.entry(s.code).or_default();
                    t.lines += 1;
                    t.days = Hundredths(t.days.raw() + s.days.raw());
                    if let Some(h) = s.hours {
                        t.hours = Hundredths(t.hours.raw() + h.raw());
                    }
                }
            }
        }
    }

    pub fn add_rejected(&mut self, _e: &RecordError) {
        self.rejected += 1;
    }
}
