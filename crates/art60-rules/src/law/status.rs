//! # Status: full time, assimilated full time, voluntary part time
//!
//! SPEC §3.3 1–4, 6; AR art. 28 §1 and §2, art. 29 §4; AM art. 5 (reference wage, parameter
//! `reference_wage`). The determining job is the last job before the DA lasting at least
//! `status_min_job_length` (normally the art. 60 contract). Q = S: full time. Otherwise an
//! average monthly pay at least the reference wage in force on the DA (hourly pay × Q × 13/3)
//! makes an assimilated full-timer; else a voluntary part-timer (art. 33 route). Information
//! only: half-allowances a week N = Q × 12/S. Tested by EX29, EX30 and `part-time`.

use chrono::NaiveDate;

use crate::calendar::days_between;
use crate::explain::trace::{art, step};
use crate::input::{Pay, WorkRegime};
use crate::options::StatusMinJobLength;
use crate::params::NoRuleInForce;
use crate::result::{Status, Step};

use super::facts::{Facts, JobClass};
use super::regime::Ctx;

/// The job that determines the status.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Determining<'a> {
    pub job: &'a str,
    pub regime: WorkRegime,
    pub pay: Option<Pay>,
}

/// The pay test of AR art. 28 §2 (AM art. 5).
#[derive(Debug, Clone)]
pub(crate) struct WageTest<'s> {
    pub monthly_cents: i64,
    pub reference_cents: i64,
    pub reference: &'s str,
}

/// The status at one candidate date, and what decided it.
pub(crate) struct StatusFound<'s> {
    pub status: Status,
    pub determining: Option<Determining<'s>>,
    pub wage: Option<WageTest<'s>>,
    /// No reference wage in force: the status is [`Facts::wage_unknown_as`].
    pub assumed: bool,
}

/// Monthly pay equivalent in cents (hourly × Q × 13/3).
pub(super) fn monthly_cents(pay: Pay, q: &WorkRegime, factor: [i64; 2]) -> i64 {
    match pay {
        Pay::Monthly(m) => m.raw(),
        Pay::Hourly(h) => {
            let v = i128::from(h.raw()) * i128::from(q.weekly_hours.raw()) * i128::from(factor[0]);
            (v / (100 * i128::from(factor[1]))) as i64
        }
    }
}

impl Facts<'_> {
    /// The last job before E lasting at least `status_min_job_length`; the contract once it
    /// lasts that long, or when no job does.
    pub fn determining_job(&self, ctx: &Ctx<'_>, e: NaiveDate) -> Option<Determining<'_>> {
        let min_days = match self.opts.status_min_job_length {
            StatusMinJobLength::OneWeek => ctx.counting.status_job_days_one_week,
            StatusMinJobLength::FourWeeks => ctx.counting.status_job_days_four_weeks,
        };
        let contract = self.contract.as_ref().map(|ci| Determining {
            job: "contract",
            regime: ci.c.regime,
            pay: ci.c.pay,
        });
        if let Some(ci) = &self.contract {
            let end = ci.c.end.unwrap_or(e).min(e);
            if days_between(ci.c.start, end) + 1 >= min_days {
                return contract;
            }
        }
        self.jobs
            .iter()
            .filter(|j| {
                !matches!(j.class, JobClass::Assimilated(_))
                    && days_between(j.start, j.end) + 1 >= min_days
                    && j.start <= e
            })
            .max_by_key(|j| j.end)
            .map(|j| Determining {
                job: j.label.as_ref(),
                regime: j.regime,
                pay: j.pay,
            })
            .or(contract)
    }

    /// The status from the determining job (SPEC §3.3).
    pub fn status(&self, ctx: &Ctx<'_>, e: NaiveDate) -> Result<StatusFound<'_>, NoRuleInForce> {
        let Some(det) = self.determining_job(ctx, e) else {
            return Ok(StatusFound {
                status: Status::FullTime,
                determining: None,
                wage: None,
                assumed: false,
            });
        };
        let (status, wage) = if det.regime.is_full_time() {
            (Status::FullTime, None)
        } else if let Some(pay) = det.pay {
            let w = match (self.params.reference_wage_at(ctx.da), self.wage_unknown_as) {
                (Ok(w), _) => w,
                (Err(_), Some(status)) => {
                    return Ok(StatusFound {
                        status,
                        determining: Some(det),
                        wage: None,
                        assumed: true,
                    });
                }
                (Err(e), None) => return Err(e),
            };
            let test = WageTest {
                monthly_cents: monthly_cents(pay, &det.regime, w.value.hourly_to_monthly),
                reference_cents: w.value.monthly_cents(),
                reference: &w.reference,
            };
            let status = if test.monthly_cents >= test.reference_cents {
                Status::AssimilatedFullTime
            } else {
                Status::VoluntaryPartTime
            };
            (status, Some(test))
        } else {
            (Status::VoluntaryPartTime, None)
        };
        Ok(StatusFound {
            status,
            determining: Some(det),
            wage,
            assumed: false,
        })
    }
}

/// The explanation step of the status.
pub(crate) fn status_step(found: &StatusFound<'_>, det: &Determining<'_>) -> Step {
    let (status, wage) = (found.status, found.wage.as_ref());
    if found.assumed {
        let key = if status == Status::AssimilatedFullTime {
            "status.assimilated_full_time_assumed"
        } else {
            "status.voluntary_part_time_assumed"
        };
        let (job, q, s) = (det.job, det.regime.weekly_hours, det.regime.reference_hours);
        return step(
            key,
            art("AR art. 28 §2, 29 §4; AM art. 5"),
            values!("job": job, "q": q, "s": s),
        );
    }
    let (job, q, s) = (det.job, det.regime.weekly_hours, det.regime.reference_hours);
    match (status, wage) {
        (Status::FullTime, _) => step(
            "status.full_time",
            art("AR art. 28 §1"),
            values!("job": job, "q": q, "s": s),
        ),
        (_, Some(w)) => step(
            if status == Status::AssimilatedFullTime {
                "status.assimilated_full_time"
            } else {
                "status.voluntary_part_time"
            },
            art("AR art. 28 §2, 29 §4; AM art. 5"),
            values!("job": job, "q": q, "s": s,
                   "monthly_pay": w.monthly_cents as f64 / 100.0, "reference_wage": w.reference_cents as f64 / 100.0,
                   "wage_reference": w.reference),
        ),
        (_, None) => step(
            "status.voluntary_part_time",
            art("AR art. 29 §4"),
            values!("job": job, "q": q, "s": s),
        ),
    }
}
