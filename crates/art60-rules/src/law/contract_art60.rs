//! # Projecting the art. 60 contract
//!
//! SPEC §3.12 [I/D]; L. 08/07/1976 art. 60 §7. From its start to the candidate end date the
//! contract counts its scheduled days, paid holidays and public holidays included. Absences
//! count by their category (§3.6): guaranteed pay counts; insurer-paid sickness counts in the
//! old regime and extends in the new; unpaid leave counts only in the old regime within the
//! yearly cap. A full-time quarter wholly covered with no non-counted absence counts 78;
//! otherwise days × 6/R, part time days × Q/R × 6/S. Tested by EX24–EX32.

use chrono::NaiveDate;

use crate::calendar::weekdays_in;
use crate::input::Quarter;
use crate::units::Fixed4;

use super::categories_art38::{Effective, absence_category, effective};
use super::counting_am7::{Counter, scheduled_value};

/// The contract's part of a quarter.
pub(crate) struct ContractPart {
    pub counted: Fixed4,
    /// Unpaid leave, counted within the yearly cap.
    pub unpaid: Fixed4,
    pub formula: &'static str,
}

impl Counter<'_, '_> {
    /// The contract in `[qa, qb]` of quarter `q`, projected up to `contract_end`.
    pub(super) fn contract_part(
        &self,
        q: Quarter,
        (qa, qb): (NaiveDate, NaiveDate),
        contract_end: Option<NaiveDate>,
    ) -> Option<ContractPart> {
        let (ci, ce) = (self.facts.contract.as_ref()?, contract_end?);
        let a = qa.max(ci.c.start);
        let b = qb.min(ce);
        if a > b {
            return None;
        }
        let whole = self.per_quarter() && a == q.start() && b == q.end();
        let mut removed = 0i64;
        let mut unpaid = 0i64;
        for ab in &ci.c.absences {
            let s = ab.start.max(a);
            let e = ab.end.min(b);
            if e < s {
                continue;
            }
            let n = weekdays_in(s, e, ci.mask);
            match effective(
                self.ctx.treatment(absence_category(ab.kind)),
                self.facts.opts,
            ) {
                Effective::Count => {}
                Effective::Unpaid => unpaid += n,
                Effective::No | Effective::Review => removed += n,
            }
        }
        let r = &ci.c.regime;
        if whole && r.is_full_time() && removed == 0 && unpaid == 0 {
            return Some(ContractPart {
                counted: self.full_quarter(),
                unpaid: Fixed4::ZERO,
                formula: "78",
            });
        }
        // Counted only past the whole quarter's 78, which needs no day count.
        let sched = weekdays_in(a, b, ci.mask);
        let counted = self.round_part(
            scheduled_value(sched - removed - unpaid, r),
            !r.is_full_time(),
        );
        Some(ContractPart {
            counted,
            unpaid: scheduled_value(unpaid, r),
            formula: if r.is_full_time() {
                "A×6/R"
            } else {
                "A×Q/R×6/S"
            },
        })
    }
}
