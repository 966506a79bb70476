//! # Cut-off at an earlier admission (new regime)
//!
//! SPEC §3.5.3; AR art. 30 al. 2 and art. 33 (Loi-programme 2025-07-18): days before an
//! earlier art. 30/33 admission do not count. After extension, the window starts at the
//! latest earlier admission when that is later. Which admissions cut off and from which day
//! are the options `prior_admission_kinds`, `prior_admission_scope` and
//! `prior_admission_anchor`; insertion-allowance admissions never do.
//! Tested by EX21, EX22 and `new-regime-previous-admission`.

use chrono::NaiveDate;

use crate::input::AdmissionArticle;
use crate::options::{PriorAdmissionAnchor, PriorAdmissionKinds, PriorAdmissionScope};

use super::facts::Facts;
use super::regime::Ctx;

impl Facts<'_> {
    /// The day from which days count, when an earlier admission cuts the window off.
    pub fn cutoff(&self, ctx: &Ctx<'_>) -> Option<NaiveDate> {
        if !ctx.stage.value.prior_admission_cutoff {
            return None;
        }
        let o = self.opts;
        self.req
            .previous_admissions
            .iter()
            .filter(|a| a.application_date < ctx.da)
            .filter(|a| match a.article {
                AdmissionArticle::Art30 | AdmissionArticle::Art33 => true,
                AdmissionArticle::Art32 => {
                    o.prior_admission_scope != PriorAdmissionScope::ExcludeArt32
                }
                AdmissionArticle::Art42 => {
                    o.prior_admission_kinds != PriorAdmissionKinds::Art30_33Only
                }
                AdmissionArticle::Art42bis => {
                    o.prior_admission_kinds == PriorAdmissionKinds::PlusArt42bis
                }
                AdmissionArticle::Insertion => false,
            })
            .filter(|a| {
                o.prior_admission_scope != PriorAdmissionScope::ExcludePre2026
                    || a.application_date >= ctx.stage.from
            })
            .map(|a| match o.prior_admission_anchor {
                PriorAdmissionAnchor::ApplicationDate => a.application_date,
                PriorAdmissionAnchor::FirstPaidDay => {
                    a.first_paid_day.unwrap_or(a.application_date)
                }
            })
            .max()
    }
}
