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
    /// Kept as their places in `params`, not as their tags: a context is built and moved at
    /// every candidate date, and eight tags made it five times larger (memcpy was 6 % of a
    /// plan), while only the final answer reads them.
    pub(super) params: &'p ParamSet,
    pub(super) idx: [usize; 8],
}

/// Which parameter entry was used: key, validity, legal reference.
pub(crate) type ParamTag<'p> = (
    &'static str,
    NaiveDate,
    Option<NaiveDate>,
    &'p std::sync::Arc<str>,
);

/// Where a table of [`Ctx::tags`] sits.
pub(crate) const REF_COUNTING: usize = 2;
pub(crate) const REF_CATEGORIES: usize = 3;
pub(crate) const REF_EXTENSIONS: usize = 5;

/// Where the parameters of [`Ctx`] sit in their lists, and the days on which they are all in
/// force: a DA inside takes the same entries without looking them up again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CtxEntries {
    idx: [usize; 8],
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl CtxEntries {
    /// Whether every entry is in force on `da`.
    pub fn covers(&self, da: NaiveDate) -> bool {
        da >= self.from && self.to.is_none_or(|t| da <= t)
    }
}

/// The index of the entry of `list` in force on `d` (as [`ParamSet`]'s lookups find it).
fn position<T>(list: &[Dated<T>], key: &'static str, d: NaiveDate) -> Result<usize, NoRuleInForce> {
    list.iter().position(|x| x.covers(d)).ok_or(NoRuleInForce {
        parameter: key,
        date: d,
    })
}

/// Whether entry `i` of `list` overlaps no other entry.
fn sole<T>(list: &[Dated<T>], i: usize) -> bool {
    let e = &list[i];
    list.iter().enumerate().all(|(j, o)| {
        j == i || !(e.to.is_none_or(|t| t >= o.from) && o.to.is_none_or(|t| t >= e.from))
    })
}

impl<'p> Ctx<'p> {
    pub fn at(params: &'p ParamSet, da: NaiveDate) -> Result<Ctx<'p>, NoRuleInForce> {
        Ok(Ctx::of(params, &Ctx::entries(params, da)?, da))
    }

    /// The entries in force on `da`, in the order the lookups fail (the first key without a
    /// rule in force is the one reported).
    pub fn entries(params: &ParamSet, da: NaiveDate) -> Result<CtxEntries, NoRuleInForce> {
        let p = params;
        let idx = [
            position(&p.regime, "regime", da)?,
            position(&p.stage, "stage", da)?,
            position(&p.counting, "counting", da)?,
            position(&p.categories, "categories", da)?,
            position(&p.unpaid_cap, "unpaid_cap", da)?,
            position(&p.extensions, "extensions", da)?,
            position(&p.art42, "art42", da)?,
            position(&p.foreign, "foreign", da)?,
        ];
        let ranges = [
            (p.regime[idx[0]].from, p.regime[idx[0]].to),
            (p.stage[idx[1]].from, p.stage[idx[1]].to),
            (p.counting[idx[2]].from, p.counting[idx[2]].to),
            (p.categories[idx[3]].from, p.categories[idx[3]].to),
            (p.unpaid_cap[idx[4]].from, p.unpaid_cap[idx[4]].to),
            (p.extensions[idx[5]].from, p.extensions[idx[5]].to),
            (p.art42[idx[6]].from, p.art42[idx[6]].to),
            (p.foreign[idx[7]].from, p.foreign[idx[7]].to),
        ];
        let from = ranges.iter().map(|r| r.0).max().unwrap_or(da);
        let to = ranges.iter().filter_map(|r| r.1).min();
        // A checked set has no overlapping entries; in one that has (not checked), another
        // entry might come first for another DA: then the entries serve this DA alone.
        let alone = sole(&p.regime, idx[0])
            && sole(&p.stage, idx[1])
            && sole(&p.counting, idx[2])
            && sole(&p.categories, idx[3])
            && sole(&p.unpaid_cap, idx[4])
            && sole(&p.extensions, idx[5])
            && sole(&p.art42, idx[6])
            && sole(&p.foreign, idx[7]);
        if !alone {
            return Ok(CtxEntries {
                idx,
                from: da,
                to: Some(da),
            });
        }
        Ok(CtxEntries { idx, from, to })
    }

    /// The parameters of `entries` (found for a DA they cover) applied on `da`.
    pub fn of(params: &'p ParamSet, entries: &CtxEntries, da: NaiveDate) -> Ctx<'p> {
        let i = entries.idx;
        let regime = &params.regime[i[0]];
        let stage = &params.stage[i[1]];
        let counting = &params.counting[i[2]];
        let cats = &params.categories[i[3]];
        let unpaid = &params.unpaid_cap[i[4]];
        let ext = &params.extensions[i[5]];
        let art42 = &params.art42[i[6]];
        let foreign = &params.foreign[i[7]];
        Ctx {
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
            params,
            idx: i,
        }
    }

    /// The entries used, in the order of [`Ctx::entries`].
    fn tags(&self) -> [ParamTag<'p>; 8] {
        fn tag<'p, T>(key: &'static str, d: &'p Dated<T>) -> ParamTag<'p> {
            (key, d.from, d.to, &d.reference)
        }
        let (p, i) = (self.params, self.idx);
        [
            tag("regime", &p.regime[i[0]]),
            tag("stage", &p.stage[i[1]]),
            tag("counting", &p.counting[i[2]]),
            tag("categories", &p.categories[i[3]]),
            tag("unpaid_cap", &p.unpaid_cap[i[4]]),
            tag("extensions", &p.extensions[i[5]]),
            tag("art42", &p.art42[i[6]]),
            tag("foreign", &p.foreign[i[7]]),
        ]
    }

    /// The first day of a table's entry in force: two DAs with the same day use the same table.
    pub fn table_from(&self, which: usize) -> NaiveDate {
        let (p, i) = (self.params, self.idx);
        match which {
            REF_COUNTING => p.counting[i[REF_COUNTING]].from,
            REF_CATEGORIES => p.categories[i[REF_CATEGORIES]].from,
            REF_EXTENSIONS => p.extensions[i[REF_EXTENSIONS]].from,
            _ => self.tags()[which].1,
        }
    }

    /// The parameter entries used, for the result (built only for the final evaluation), in
    /// the order of their keys: the result sorts them, and a sorted list costs one comparison
    /// an entry to sort again.
    pub fn param_uses(&self) -> Vec<ParamUse> {
        // `tags()` indexes by key: art42, categories, counting, extensions, foreign, regime,
        // stage, unpaid_cap.
        const BY_KEY: [usize; 8] = [6, 3, 2, 5, 7, 0, 1, 4];
        let tags = self.tags();
        // One more for the reference wage the result adds: no growth step for it.
        let mut uses = Vec::with_capacity(tags.len() + 1);
        uses.extend(
            BY_KEY
                .iter()
                .map(|&k| &tags[k])
                .map(|(key, from, to, reference)| ParamUse {
                    key: (*key).into(),
                    from: *from,
                    to: *to,
                    reference: std::sync::Arc::clone(reference),
                }),
        );
        uses
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The result sorts the parameter uses; they come sorted by key, every table once.
    #[test]
    fn parameter_uses_come_sorted_by_key() {
        for da in ["2025-06-01", "2026-06-01"] {
            let ctx = Ctx::at(ParamSet::embedded(), da.parse().unwrap()).unwrap();
            let uses = ctx.param_uses();
            let keys: Vec<&str> = uses.iter().map(|u| u.key.as_ref()).collect();
            let mut tags: Vec<&str> = ctx.tags().iter().map(|t| t.0).collect();
            tags.sort_unstable();
            assert_eq!(keys, tags, "{da}");
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        }
    }
}
