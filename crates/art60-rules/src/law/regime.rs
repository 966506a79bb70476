//! # The regime in force on the benefit application date
//!
//! SPEC §3.1; AR 25/11/1991 as amended by AR 23/07/2012 (DA 2012-11-01 to 2026-02-28) and by
//! the Loi-programme of 2025-07-18 (DA from 2026-03-01, art. 210). For a candidate end date E
//! the DA is E + 1, and the rules in force on the DA apply, whatever the contract start. A DA
//! no parameter entry covers is [`NoRuleInForce`], never a guess. The reference period starts
//! N months before the DA, the same day of the month (option `reference_start_month_end`).
//! Tested by EX02, EX03 (the 2026 switch), E2 and `crossing-36`.

use chrono::NaiveDate;

use crate::calendar::{MonthEnd, sub_months};
use crate::input::DayCategory;
use crate::options::ReferenceStartMonthEnd;
use crate::params::{
    Art42, Categories, Counting, Dated, Extensions, Foreign, NoRuleInForce, ParamSet, ParamUse,
    RegimeId, Stage, Treatment,
};

use super::facts::Facts;

/// The parameters in force on one DA.
pub(crate) struct Ctx<'p> {
    pub da: NaiveDate,
    pub regime: RegimeId,
    pub stage: &'p Dated<Stage>,
    pub counting: &'p Counting,
    pub cats: &'p Categories,
    pub unpaid_cap: i64,
    /// AM art. 7 scheme 3 tolerance, where the completion is in force.
    pub completion_tolerance: Option<i64>,
    pub ext: &'p Extensions,
    pub art42: &'p Art42,
    pub foreign: &'p Foreign,
    /// The entries used: what the result records, and what tells two regimes' tables apart.
    pub refs: [ParamTag<'p>; 8],
}

/// Which parameter entry was used: key, validity, legal reference.
pub(crate) type ParamTag<'p> = (&'static str, NaiveDate, Option<NaiveDate>, &'p str);

/// Where a table of [`Ctx::refs`] sits.
pub(crate) const REF_COUNTING: usize = 2;
pub(crate) const REF_CATEGORIES: usize = 3;
pub(crate) const REF_EXTENSIONS: usize = 5;

impl<'p> Ctx<'p> {
    pub fn at(params: &'p ParamSet, da: NaiveDate) -> Result<Ctx<'p>, NoRuleInForce> {
        let regime = params.regime_at(da)?;
        let stage = params.stage_at(da)?;
        let counting = params.counting_at(da)?;
        let cats = params.categories_at(da)?;
        let unpaid = params.unpaid_cap_at(da)?;
        let ext = params.extensions_at(da)?;
        let art42 = params.art42_at(da)?;
        let foreign = params.foreign_at(da)?;
        fn tag<'p, T>(key: &'static str, d: &'p Dated<T>) -> ParamTag<'p> {
            (key, d.from, d.to, d.reference.as_str())
        }
        let refs = [
            tag("regime", regime),
            tag("stage", stage),
            tag("counting", counting),
            tag("categories", cats),
            tag("unpaid_cap", unpaid),
            tag("extensions", ext),
            tag("art42", art42),
            tag("foreign", foreign),
        ];
        Ok(Ctx {
            da,
            regime: regime.value.id,
            stage,
            counting: &counting.value,
            cats: &cats.value,
            unpaid_cap: unpaid.value.r6_days_per_year,
            completion_tolerance: unpaid.value.completion_tolerance_days,
            ext: &ext.value,
            art42: &art42.value,
            foreign: &foreign.value,
            refs,
        })
    }

    /// The first day of a table's entry in force: two DAs with the same day use the same table.
    pub fn table_from(&self, which: usize) -> NaiveDate {
        self.refs[which].1
    }

    /// The parameter entries used, for the result (built only for the final evaluation).
    pub fn param_uses(&self) -> Vec<ParamUse> {
        self.refs
            .iter()
            .map(|(key, from, to, reference)| ParamUse {
                key: (*key).to_string(),
                from: *from,
                to: *to,
                reference: (*reference).to_string(),
            })
            .collect()
    }

    /// How a category of days counts under this regime (art. 37, 38; SPEC §3.6).
    pub fn treatment(&self, cat: DayCategory) -> Treatment {
        self.cats
            .table
            .get(&cat)
            .copied()
            .unwrap_or(Treatment::ManualReview)
    }
}

impl Facts<'_> {
    /// `months` before `da`, the same day of the month (SPEC §3.5.1).
    pub fn months_back(&self, da: NaiveDate, months: u32) -> NaiveDate {
        let rule = match self.opts.reference_start_month_end {
            ReferenceStartMonthEnd::ClampToMonthEnd => MonthEnd::ClampToMonthEnd,
            ReferenceStartMonthEnd::FirstOfNextMonth => MonthEnd::FirstOfNextMonth,
        };
        sub_months(da, months, rule)
    }
}
