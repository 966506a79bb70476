//! The request form: parsed from the posted fields (rows are numbered `h0_kind`, `a0_start`...),
//! validated field by field with translated messages, and turned into the engine's input.
//! Everything typed is kept so the page can be shown again with the errors next to the fields.

use std::collections::BTreeMap;

use art60_rules::Niss;
use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use crate::i18n::{Lang, t, t_args};
use crate::labels;

/// Upper bound on rows, so a crafted post cannot make the server build huge pages.
pub const MAX_ROWS: usize = 60;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryRow {
    pub kind: String,
    pub start: String,
    pub end: String,
    /// ISO 3166-1 alpha-2 code, chosen from [`crate::countries`] (work abroad).
    pub country: String,
    pub employer: String,
    /// The job's regime R, Q, S (`days`, `hours`, `ref_hours`), for work in Belgium or
    /// abroad; all empty: no regime (the engine counts full time R5 and flags the hours).
    pub days: String,
    pub hours: String,
    pub ref_hours: String,
    /// Child raising: the child's birth date and whether the child is disabled.
    pub child_birth_date: String,
    pub child_disabled: bool,
    /// Work abroad: frontier worker, posted on the Belgian ONSS, overseas social security.
    pub frontier_worker: bool,
    pub posted: bool,
    pub ssom: bool,
    /// A job's category ([`JOB_CATEGORIES`]; empty is ordinary).
    pub job_category: String,
    /// A job's gross pay, as the contract's ([`PAY_KINDS`]).
    pub pay_kind: String,
    pub pay_amount: String,
    /// A job's days of the week ([`WEEKDAYS`] codes); none ticked: the first R days from
    /// Monday, as for the contract.
    pub weekdays: Vec<String>,
}

/// A foreign national's work permit: its start and, when it has one, its end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermitRow {
    pub start: String,
    pub end: String,
}

/// An earlier admission to full unemployment benefits (the new regime counts only the days
/// after it, SPEC §3.5.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdmissionRow {
    pub application_date: String,
    pub first_paid_day: String,
    pub article: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AbsenceRow {
    pub kind: String,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestForm {
    pub csrf: String,
    pub action: String,
    pub niss: String,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: String,
    /// What the person record does not hold (the request's `person` facts): a recognised dock
    /// worker or sea fisherman, the career start, a foreign national needing a work permit
    /// and the permits (sent only for a foreign national; kept as typed otherwise).
    pub dock_worker_or_fisher: bool,
    pub career_start_date: String,
    pub foreign_national: bool,
    pub permits: Vec<PermitRow>,
    pub contract_start: String,
    pub days_per_week: String,
    pub weekly_hours: String,
    pub reference_hours: String,
    /// The contract's weekdays ([`WEEKDAYS`] codes); none ticked: the first R days from Monday.
    pub weekdays: Vec<String>,
    /// The contract's gross pay: `monthly`, `hourly` or empty (not given), and the amount.
    pub pay_kind: String,
    pub pay_amount: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub history: Vec<HistoryRow>,
    pub absences: Vec<AbsenceRow>,
    pub admissions: Vec<AdmissionRow>,
}

/// Adds a ticked day of a group of weekday checkboxes (one pair per ticked day), once.
fn tick_day(days: &mut Vec<String>, v: String) {
    if WEEKDAYS.contains(&v.as_str()) && !days.contains(&v) {
        days.push(v);
    }
}

/// Ticked days in the week's order, whatever the order of the post.
fn in_week_order(days: &[String]) -> Vec<&'static str> {
    WEEKDAYS
        .iter()
        .copied()
        .filter(|d| days.iter().any(|w| w == d))
        .collect()
}

/// The weekdays of a stored contract or job.
fn weekdays_of(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str().map(str::to_owned))
        .collect()
}

/// The pay kinds of the form (the engine's `Pay` variants), empty first: not given.
pub const PAY_KINDS: [&str; 3] = ["", "monthly", "hourly"];

/// The days of the week (the engine's `Day`), Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The kinds of job (the engine's `JobCategory`), ordinary first.
pub const JOB_CATEGORIES: [&str; 4] = ["ordinary", "teacher", "piece_rate", "sports"];

fn row_field(name: &str, prefix: char) -> Option<(usize, &str)> {
    let rest = name.strip_prefix(prefix)?;
    let (i, field) = rest.split_once('_')?;
    let i: usize = i.parse().ok()?;
    (i < MAX_ROWS).then_some((i, field))
}

impl RequestForm {
    /// A blank form with the usual full-time regime filled in.
    pub fn blank() -> Self {
        RequestForm {
            days_per_week: "5".into(),
            weekly_hours: "38".into(),
            reference_hours: "38".into(),
            ..Default::default()
        }
    }

    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = RequestForm::default();
        let mut hist: BTreeMap<usize, HistoryRow> = BTreeMap::new();
        let mut abs: BTreeMap<usize, AbsenceRow> = BTreeMap::new();
        let mut adm: BTreeMap<usize, AdmissionRow> = BTreeMap::new();
        let mut permits: BTreeMap<usize, PermitRow> = BTreeMap::new();
        for (k, v) in pairs {
            let v = v.clone();
            match k.as_str() {
                "csrf" => f.csrf = v,
                "action" => f.action = v,
                "niss" => f.niss = v,
                "last_name" => f.last_name = v,
                "first_name" => f.first_name = v,
                "birth_date" => f.birth_date = v,
                // Checkboxes: sent only when ticked.
                "dock_worker_or_fisher" => f.dock_worker_or_fisher = !v.is_empty(),
                "career_start_date" => f.career_start_date = v,
                "foreign_national" => f.foreign_national = !v.is_empty(),
                "contract_start" => f.contract_start = v,
                "days_per_week" => f.days_per_week = v,
                "weekly_hours" => f.weekly_hours = v,
                "reference_hours" => f.reference_hours = v,
                // A group of checkboxes sharing the name: one pair per ticked day.
                "weekdays" => tick_day(&mut f.weekdays, v),
                "pay_kind" => f.pay_kind = v,
                "pay_amount" => f.pay_amount = v,
                "contact_name" => f.contact_name = v,
                "contact_email" => f.contact_email = v,
                "contact_phone" => f.contact_phone = v,
                _ => {
                    if let Some((i, field)) = row_field(k, 'h') {
                        let r = hist.entry(i).or_default();
                        match field {
                            "kind" => r.kind = v,
                            "start" => r.start = v,
                            "end" => r.end = v,
                            "country" => r.country = v,
                            "employer" => r.employer = v,
                            "days" => r.days = v,
                            "hours" => r.hours = v,
                            "ref_hours" => r.ref_hours = v,
                            "child_birth_date" => r.child_birth_date = v,
                            // A checkbox: sent only when ticked.
                            "child_disabled" => r.child_disabled = !v.is_empty(),
                            "frontier_worker" => r.frontier_worker = !v.is_empty(),
                            "posted" => r.posted = !v.is_empty(),
                            "ssom" => r.ssom = !v.is_empty(),
                            "job_category" => r.job_category = v,
                            "pay_kind" => r.pay_kind = v,
                            "pay_amount" => r.pay_amount = v,
                            "weekdays" => tick_day(&mut r.weekdays, v),
                            _ => {}
                        }
                    } else if let Some((i, field)) = row_field(k, 'w') {
                        let r = permits.entry(i).or_default();
                        match field {
                            "start" => r.start = v,
                            "end" => r.end = v,
                            _ => {}
                        }
                    } else if let Some((i, field)) = row_field(k, 'a') {
                        let r = abs.entry(i).or_default();
                        match field {
                            "kind" => r.kind = v,
                            "start" => r.start = v,
                            "end" => r.end = v,
                            _ => {}
                        }
                    } else if let Some((i, field)) = row_field(k, 'p') {
                        let r = adm.entry(i).or_default();
                        match field {
                            "application_date" => r.application_date = v,
                            "first_paid_day" => r.first_paid_day = v,
                            "article" => r.article = v,
                            _ => {}
                        }
                    }
                }
            }
        }
        // Renumbered in order: a removed row leaves no gap.
        f.history = hist.into_values().collect();
        f.absences = abs.into_values().collect();
        f.admissions = adm.into_values().collect();
        f.permits = permits.into_values().collect();
        f
    }

    /// Fills an empty birth date from the NISS (its first six digits, the century from the
    /// check digits); a NISS with an unknown day or month (00) fills nothing.
    pub fn prefill_birth_date(&mut self) {
        if !self.birth_date.trim().is_empty() {
            return;
        }
        if let Ok(n) = Niss::parse(self.niss.trim())
            && let Some(d) = n.birth_date()
        {
            self.birth_date = d.to_string();
        }
    }

    /// Applies an add/remove-row button; true when the action was one.
    pub fn apply_row_action(&mut self) -> bool {
        let action = self.action.clone();
        if action == "add_history" && self.history.len() < MAX_ROWS {
            // A new job is full time until the agent says otherwise (R 5, Q 38 of S 38);
            // emptied, it is sent without hours and the officer checks them.
            self.history.push(HistoryRow {
                kind: "work".into(),
                days: "5".into(),
                hours: "38".into(),
                ref_hours: "38".into(),
                ..Default::default()
            });
        } else if action == "add_admission" && self.admissions.len() < MAX_ROWS {
            self.admissions.push(AdmissionRow {
                article: "art30".into(),
                ..Default::default()
            });
        } else if action == "add_permit" && self.permits.len() < MAX_ROWS {
            // Only a foreign national's permits are sent: adding one says the person is one.
            self.foreign_national = true;
            self.permits.push(PermitRow::default());
        } else if action == "add_absence" && self.absences.len() < MAX_ROWS {
            self.absences.push(AbsenceRow {
                kind: "insured_sickness".into(),
                ..Default::default()
            });
        } else if let Some(i) = action.strip_prefix("remove_history:") {
            if let Ok(i) = i.parse::<usize>()
                && i < self.history.len()
            {
                self.history.remove(i);
            }
        } else if let Some(i) = action.strip_prefix("remove_admission:") {
            if let Ok(i) = i.parse::<usize>()
                && i < self.admissions.len()
            {
                self.admissions.remove(i);
            }
        } else if let Some(i) = action.strip_prefix("remove_permit:") {
            if let Ok(i) = i.parse::<usize>()
                && i < self.permits.len()
            {
                self.permits.remove(i);
            }
        } else if let Some(i) = action.strip_prefix("remove_absence:") {
            if let Ok(i) = i.parse::<usize>()
                && i < self.absences.len()
            {
                self.absences.remove(i);
            }
        } else {
            return false;
        }
        true
    }

    /// A form filled from a stored request's input (for the copy/edit page).
    pub fn from_input(input: &Value) -> Self {
        let mut f = RequestForm::blank();
        let s = |v: Option<&Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        if let Some(p) = input.get("person") {
            let yes = |k: &str| p.get(k).and_then(Value::as_bool) == Some(true);
            f.dock_worker_or_fisher = yes("dock_worker_or_fisher");
            f.career_start_date = s(p.get("career_start_date"));
            f.foreign_national = yes("foreign_national");
            for w in p
                .get("work_permits")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                f.permits.push(PermitRow {
                    start: s(w.get("start")),
                    end: s(w.get("end")),
                });
            }
        }
        if let Some(c) = input.get("contract") {
            f.contract_start = s(c.get("start"));
            f.days_per_week = s(c.get("days_per_week"));
            f.weekly_hours = s(c.get("weekly_hours"));
            f.reference_hours = s(c.get("reference_hours"));
            (f.pay_kind, f.pay_amount) = pay_of(c.get("pay"));
            f.weekdays = weekdays_of(c.get("weekdays"));
            for a in c
                .get("absences")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                f.absences.push(AbsenceRow {
                    kind: s(a.get("kind")),
                    start: s(a.get("start")),
                    end: s(a.get("end")),
                });
            }
        }
        for h in input
            .get("history")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let regime = h.get("regime");
            let abroad = |k: &str| {
                h.get("abroad")
                    .and_then(|a| a.get(k))
                    .and_then(Value::as_bool)
                    == Some(true)
            };
            let (pay_kind, pay_amount) = pay_of(h.get("pay"));
            f.history.push(HistoryRow {
                kind: s(h.get("kind")),
                start: s(h.get("start")),
                end: s(h.get("end")),
                country: s(h.get("abroad").and_then(|a| a.get("country"))),
                employer: s(h.get("employer")),
                days: s(regime.and_then(|r| r.get("days_per_week"))),
                hours: s(regime.and_then(|r| r.get("weekly_hours"))),
                ref_hours: s(regime.and_then(|r| r.get("reference_hours"))),
                child_birth_date: s(h.get("child_birth_date")),
                child_disabled: h.get("child_disabled").and_then(Value::as_bool) == Some(true),
                frontier_worker: abroad("frontier_worker"),
                posted: abroad("posted"),
                ssom: abroad("ssom"),
                job_category: s(h.get("job_category")),
                pay_kind,
                pay_amount,
                weekdays: weekdays_of(h.get("weekdays")),
            });
        }
        for a in input
            .get("previous_admissions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            f.admissions.push(AdmissionRow {
                application_date: s(a.get("application_date")),
                first_paid_day: s(a.get("first_paid_day")),
                article: s(a.get("article")),
            });
        }
        f
    }
}

/// The form's pay kind and amount of a stored `pay` (`{"monthly": 1100}`).
fn pay_of(pay: Option<&Value>) -> (String, String) {
    let Some(Value::Object(m)) = pay else {
        return (String::new(), String::new());
    };
    match m.iter().next() {
        Some((kind, Value::Number(n))) => (kind.clone(), n.to_string()),
        _ => (String::new(), String::new()),
    }
}

/// The contract start as typed, if it is a date.
pub fn parse_contract_start(f: &RequestForm) -> Option<NaiveDate> {
    parse_date(&f.contract_start)
}

/// Field name → translated message, shown next to the field.
pub type Errors = BTreeMap<String, String>;

fn parse_date(v: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok()
}

/// A number as typed in Belgium (`19,5` or `19.5`), as JSON.
fn parse_number(v: &str) -> Option<Value> {
    let n: f64 = v.trim().replace(',', ".").parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    if n.fract() == 0.0 && n < 1e9 {
        Some(json!(n as i64))
    } else {
        Some(json!((n * 100.0).round() / 100.0))
    }
}

struct Check<'a> {
    lang: Lang,
    errors: &'a mut Errors,
}

impl Check<'_> {
    fn label(&self, key: &str) -> String {
        t(self.lang, key).trim_end_matches(" *").to_owned()
    }
    fn push(&mut self, field: &str, label_key: &str, msg: &str, extra: &[(&'static str, String)]) {
        let mut args = vec![("field", self.label(label_key))];
        args.extend_from_slice(extra);
        self.errors
            .entry(field.to_owned())
            .or_insert_with(|| t_args(self.lang, msg, &args));
    }
    fn date(&mut self, field: &str, label_key: &str, v: &str, required: bool) -> Option<NaiveDate> {
        if v.trim().is_empty() {
            if required {
                self.push(field, label_key, "err-required", &[]);
            }
            return None;
        }
        let d = parse_date(v);
        if d.is_none() {
            self.push(field, label_key, "err-date", &[]);
        }
        d
    }
    fn number(&mut self, field: &str, label_key: &str, v: &str) -> Option<Value> {
        if v.trim().is_empty() {
            self.push(field, label_key, "err-required", &[]);
            return None;
        }
        let n = parse_number(v);
        if n.is_none() {
            self.push(field, label_key, "err-number", &[]);
        }
        n
    }
    fn text(&mut self, field: &str, label_key: &str, v: &str) {
        if v.trim().is_empty() {
            self.push(field, label_key, "err-required", &[]);
        }
    }
}

/// What a checked form gives: the engine input (contract, history) and the birth date.
#[derive(Debug, Clone)]
pub struct Checked {
    pub input: Value,
    pub birth_date: Option<NaiveDate>,
    pub niss: Option<Niss>,
}

/// Checks the calculation fields (always) and the person and contact fields (`full`: when
/// saving; the simulation needs only the birth date and the contract).
pub fn check(f: &RequestForm, lang: Lang, full: bool, errors: &mut Errors) -> Checked {
    let mut c = Check { lang, errors };
    let mut niss = None;
    if full {
        if f.niss.trim().is_empty() {
            c.push("niss", "field-niss", "err-required", &[]);
        } else {
            match Niss::parse(f.niss.trim()) {
                Ok(n) => niss = Some(n),
                Err(_) => c.push("niss", "field-niss", "err-niss", &[]),
            }
        }
        c.text("last_name", "field-last-name", &f.last_name);
        c.text("first_name", "field-first-name", &f.first_name);
        c.text("contact_name", "field-contact-name", &f.contact_name);
        if !art60_service::email::is_valid(f.contact_email.trim()) {
            c.push("contact_email", "field-contact-email", "err-email", &[]);
        }
    }
    let birth_date = c.date("birth_date", "field-birth-date", &f.birth_date, true);
    let person = c.person_facts(f);
    let start = c.date(
        "contract_start",
        "field-contract-start",
        &f.contract_start,
        true,
    );
    let regime = c.regime(
        ["days_per_week", "weekly_hours", "reference_hours"],
        [&f.days_per_week, &f.weekly_hours, &f.reference_hours],
        true,
    );
    let pay = c.pay(["pay_kind", "pay_amount"], &f.pay_kind, &f.pay_amount);
    let mut absences = Vec::new();
    for (i, a) in f.absences.iter().enumerate() {
        let sa = c.date(&format!("a{i}_start"), "field-start", &a.start, true);
        let ea = c.date(&format!("a{i}_end"), "field-end", &a.end, true);
        if let (Some(sa), Some(ea)) = (sa, ea) {
            if ea < sa {
                c.push(
                    &format!("a{i}_end"),
                    "field-end",
                    "err-end-before-start",
                    &[],
                );
            }
            absences.push(json!({"kind": a.kind, "start": sa, "end": ea}));
        }
    }
    let mut history = Vec::new();
    for (i, h) in f.history.iter().enumerate() {
        if let Some(item) = c.history_row(i, h) {
            history.push(item);
        }
    }
    let mut admissions = Vec::new();
    for (i, a) in f.admissions.iter().enumerate() {
        if let Some(item) = c.admission_row(i, a) {
            admissions.push(item);
        }
    }
    let mut input = Map::new();
    if !person.is_empty() {
        input.insert("person".into(), Value::Object(person));
    }
    if let (Some(start), Some(mut contract)) = (start, regime) {
        contract.insert("start".into(), json!(start));
        if let Some(pay) = pay {
            contract.insert("pay".into(), pay);
        }
        if let Some(days) = c.weekdays("weekdays", &f.weekdays, &contract) {
            contract.insert("weekdays".into(), days);
        }
        if !absences.is_empty() {
            contract.insert("absences".into(), Value::Array(absences));
        }
        input.insert("contract".into(), Value::Object(contract));
    }
    input.insert("history".into(), Value::Array(history));
    if !admissions.is_empty() {
        input.insert("previous_admissions".into(), Value::Array(admissions));
    }
    Checked {
        input: Value::Object(input),
        birth_date,
        niss,
    }
}

/// The article an earlier admission was granted under (the engine's `AdmissionArticle`).
pub const ADMISSION_ARTICLES: [&str; 6] =
    ["art30", "art32", "art33", "art42", "art42bis", "insertion"];

impl Check<'_> {
    /// The request's `person` facts (only those given): the NISS and birth date are the
    /// person record's, added by the service.
    fn person_facts(&mut self, f: &RequestForm) -> Map<String, Value> {
        let mut person = Map::new();
        if f.dock_worker_or_fisher {
            person.insert("dock_worker_or_fisher".into(), json!(true));
        }
        let career = self.date(
            "career_start_date",
            "field-career-start",
            &f.career_start_date,
            false,
        );
        if let Some(d) = career {
            person.insert("career_start_date".into(), json!(d));
        }
        // The permits only for a foreign national: they stay typed (and hidden) when the box
        // is unticked, as a period's groups do when its kind changes.
        if !f.foreign_national {
            return person;
        }
        person.insert("foreign_national".into(), json!(true));
        let mut permits = Vec::new();
        for (i, w) in f.permits.iter().enumerate() {
            let start = self.date(&format!("w{i}_start"), "field-start", &w.start, true);
            let end = self.date(&format!("w{i}_end"), "field-end", &w.end, false);
            if let (Some(s), Some(e)) = (start, end)
                && e < s
            {
                self.push(
                    &format!("w{i}_end"),
                    "field-end",
                    "err-end-before-start",
                    &[],
                );
            }
            if let Some(s) = start {
                let mut item = json!({ "start": s });
                if let Some(e) = end {
                    item["end"] = json!(e);
                }
                permits.push(item);
            }
        }
        if !permits.is_empty() {
            person.insert("work_permits".into(), Value::Array(permits));
        }
        person
    }

    /// The ticked weekdays of a contract or job (`name`: the checkbox group), in the week's
    /// order; `None` when none is ticked (the default week).
    fn weekdays(
        &mut self,
        name: &str,
        days: &[String],
        regime: &Map<String, Value>,
    ) -> Option<Value> {
        if days.is_empty() {
            return None;
        }
        let days = in_week_order(days);
        // A whole R needs as many days (the engine's rule, here in the user's language);
        // a variable cycle (R with decimals) may tick any.
        if let Some(r) = regime.get("days_per_week").and_then(Value::as_f64)
            && r.fract() == 0.0
            && days.len() as f64 != r
        {
            self.push(name, "field-weekdays", "err-weekdays", &[]);
        }
        Some(json!(days))
    }

    /// A work regime R, Q, S from three fields (`names`), with the engine's range checks here
    /// first so the messages are in the user's language. A work regime has 1 to 6 days a week,
    /// as the engine requires of a typed regime (`MAX_DAYS_PER_WEEK`). `required`: every
    /// figure must be typed (the contract); otherwise (a past job) all empty means no regime
    /// (full time, R5) and a missing figure is full time too: R 5, S 38, Q = S.
    fn regime(
        &mut self,
        names: [&str; 3],
        values: [&str; 3],
        required: bool,
    ) -> Option<Map<String, Value>> {
        let labels = if required {
            [
                "field-days-per-week",
                "field-weekly-hours",
                "field-reference-hours",
            ]
        } else {
            ["field-job-days", "field-job-hours", "field-job-ref-hours"]
        };
        if !required && values.iter().all(|v| v.trim().is_empty()) {
            return None;
        }
        // Every figure is read before giving up, so each wrong field shows its error.
        let mut got = [None, None, None];
        let mut failed = false;
        for k in 0..3 {
            if !required && values[k].trim().is_empty() {
                continue;
            }
            got[k] = self.number(names[k], labels[k], values[k]);
            failed |= got[k].is_none();
        }
        if failed {
            return None;
        }
        let r = got[0].clone().unwrap_or(json!(5));
        let s = got[2].clone().unwrap_or(json!(38));
        let q = got[1].clone().unwrap_or_else(|| s.clone());
        // The engine's most days a week for a typed regime (6), so both say the same.
        let max_days = art60_rules::input::MAX_DAYS_PER_WEEK.raw() as f64 / 100.0;
        let mut ok = true;
        if let Some(rv) = r.as_f64()
            && !(1.0..=max_days).contains(&rv)
        {
            self.push(names[0], labels[0], "err-days-range", &[]);
            ok = false;
        }
        let sv = s.as_f64();
        if let Some(sv) = sv
            && (sv <= 0.0 || sv > 60.0)
        {
            self.push(names[2], labels[2], "err-s-range", &[]);
            ok = false;
        }
        if let (Some(qv), Some(sv)) = (q.as_f64(), sv) {
            if qv <= 0.0 {
                self.push(names[1], labels[1], "err-q-positive", &[]);
                ok = false;
            } else if qv > sv {
                self.push(names[1], labels[1], "err-q-above-s", &[]);
                ok = false;
            }
        }
        let mut m = Map::new();
        m.insert("days_per_week".into(), r);
        m.insert("weekly_hours".into(), q);
        m.insert("reference_hours".into(), s);
        ok.then_some(m)
    }

    /// A gross pay (`{"monthly": 1100}`) from its kind and amount fields (`names`), when a
    /// kind is chosen.
    fn pay(&mut self, names: [&str; 2], kind: &str, amount: &str) -> Option<Value> {
        let kind = kind.trim();
        if kind.is_empty() {
            if !amount.trim().is_empty() {
                self.push(names[0], "field-pay-kind", "err-pay-kind", &[]);
            }
            return None;
        }
        if !PAY_KINDS.contains(&kind) {
            self.push(names[0], "field-pay-kind", "err-pay-kind", &[]);
            return None;
        }
        let amount = self.number(names[1], "field-pay-amount", amount)?;
        if amount.as_f64().is_some_and(|a| a <= 0.0) {
            self.push(names[1], "field-pay-amount", "err-q-positive", &[]);
            return None;
        }
        Some(json!({ kind: amount }))
    }

    fn history_row(&mut self, i: usize, h: &HistoryRow) -> Option<Value> {
        if !labels::PERIOD_KINDS.contains(&h.kind.as_str()) {
            self.push(&format!("h{i}_kind"), "field-kind", "err-required", &[]);
        }
        let sh = self.date(&format!("h{i}_start"), "field-start", &h.start, true);
        let eh = self.date(&format!("h{i}_end"), "field-end", &h.end, true);
        let regime = self.regime(
            [
                &format!("h{i}_days"),
                &format!("h{i}_hours"),
                &format!("h{i}_ref_hours"),
            ],
            [&h.days, &h.hours, &h.ref_hours],
            false,
        );
        let mut item = Map::new();
        if h.kind == "foreign_work" {
            if h.country.trim().is_empty() {
                self.push(
                    &format!("h{i}_country"),
                    "field-country",
                    "err-required",
                    &[],
                );
            }
            let mut abroad = json!({"country": h.country.trim()});
            for (key, on) in [
                ("frontier_worker", h.frontier_worker),
                ("posted", h.posted),
                ("ssom", h.ssom),
            ] {
                if on {
                    abroad[key] = json!(true);
                }
            }
            item.insert("abroad".into(), abroad);
        }
        // The child's fields only for child raising: they stay typed (and shown) when the
        // kind changes, but only the kind that takes them sends them.
        if h.kind == "child_raising" {
            let born = self.date(
                &format!("h{i}_child_birth_date"),
                "field-child-birth-date",
                &h.child_birth_date,
                true,
            );
            if let Some(born) = born {
                item.insert("child_birth_date".into(), json!(born));
            }
            if h.child_disabled {
                item.insert("child_disabled".into(), json!(true));
            }
        }
        let (sh, eh) = (sh?, eh?);
        if eh < sh {
            self.push(
                &format!("h{i}_end"),
                "field-end",
                "err-end-before-start",
                &[],
            );
        }
        item.insert("kind".into(), json!(h.kind));
        item.insert("start".into(), json!(sh));
        item.insert("end".into(), json!(eh));
        if !h.employer.trim().is_empty() {
            item.insert("employer".into(), json!(h.employer.trim()));
        }
        // The engine reads a regime, a pay and a category for work only (a job's days
        // convert by its regime, SPEC §3.7).
        let work = h.kind == "work" || h.kind == "foreign_work";
        let weekdays_name = format!("h{i}_weekdays");
        match regime {
            Some(regime) if work => {
                if let Some(days) = self.weekdays(&weekdays_name, &h.weekdays, &regime) {
                    item.insert("weekdays".into(), days);
                }
                item.insert("regime".into(), Value::Object(regime));
            }
            // The engine places a job's days by its regime: days without one say nothing.
            None if work
                && !h.weekdays.is_empty()
                && [&h.days, &h.hours, &h.ref_hours]
                    .iter()
                    .all(|v| v.trim().is_empty()) =>
            {
                self.push(&weekdays_name, "field-weekdays", "err-weekdays-regime", &[]);
            }
            _ => {}
        }
        if work {
            let pay = self.pay(
                [&format!("h{i}_pay_kind"), &format!("h{i}_pay_amount")],
                &h.pay_kind,
                &h.pay_amount,
            );
            if let Some(pay) = pay {
                item.insert("pay".into(), pay);
            }
            match h.job_category.as_str() {
                "" | "ordinary" => {}
                c if JOB_CATEGORIES.contains(&c) => {
                    item.insert("job_category".into(), json!(c));
                }
                _ => self.push(
                    &format!("h{i}_job_category"),
                    "field-job-category",
                    "err-required",
                    &[],
                ),
            }
        }
        Some(Value::Object(item))
    }

    fn admission_row(&mut self, i: usize, a: &AdmissionRow) -> Option<Value> {
        let da = self.date(
            &format!("p{i}_application_date"),
            "field-admission-date",
            &a.application_date,
            true,
        );
        let paid = self.date(
            &format!("p{i}_first_paid_day"),
            "field-admission-first-paid",
            &a.first_paid_day,
            false,
        );
        if !ADMISSION_ARTICLES.contains(&a.article.as_str()) {
            self.push(
                &format!("p{i}_article"),
                "field-admission-article",
                "err-required",
                &[],
            );
            return None;
        }
        let mut item = json!({"application_date": da?, "article": a.article});
        if let Some(paid) = paid {
            item["first_paid_day"] = json!(paid);
        }
        Some(item)
    }
}

/// The form field an engine or service error path points at (`input.history[2].end` → `h2_end`).
pub fn field_of(path: &str) -> String {
    let p = path.trim_start_matches("input.").trim_start_matches("$.");
    let idx = |s: &str| -> Option<(usize, String)> {
        let (i, rest) = s.split_once(']')?;
        Some((i.parse().ok()?, rest.trim_start_matches('.').to_owned()))
    };
    if let Some(rest) = p.strip_prefix("contract.absences[")
        && let Some((i, f)) = idx(rest)
    {
        let f = if ["start", "end", "kind"].contains(&f.as_str()) {
            f
        } else {
            "kind".into()
        };
        return format!("a{i}_{f}");
    }
    if let Some(rest) = p.strip_prefix("history[")
        && let Some((i, f)) = idx(rest)
    {
        let f = match f.as_str() {
            "start" | "end" | "kind" | "employer" | "child_birth_date" | "child_disabled" => f,
            "abroad.frontier_worker" => "frontier_worker".into(),
            "abroad.posted" => "posted".into(),
            "abroad.ssom" => "ssom".into(),
            s if s.starts_with("abroad") => "country".into(),
            s if s.starts_with("pay") => "pay_amount".into(),
            "job_category" => f,
            "regime.days_per_week" => "days".into(),
            "regime.weekly_hours" => "hours".into(),
            "regime.reference_hours" => "ref_hours".into(),
            s if s.starts_with("weekdays") => "weekdays".into(),
            _ => "kind".into(),
        };
        return format!("h{i}_{f}");
    }
    if let Some(rest) = p.strip_prefix("previous_admissions[")
        && let Some((i, f)) = idx(rest)
    {
        let f = if ["first_paid_day", "article"].contains(&f.as_str()) {
            f
        } else {
            "application_date".into()
        };
        return format!("p{i}_{f}");
    }
    if let Some(rest) = p.strip_prefix("person.work_permits[")
        && let Some((i, f)) = idx(rest)
    {
        let f = if f == "end" { f } else { "start".into() };
        return format!("w{i}_{f}");
    }
    if p.starts_with("contract.pay") {
        return "pay_amount".into();
    }
    match p {
        "contract.start" => "contract_start".into(),
        "contract.days_per_week" => "days_per_week".into(),
        "contract.weekdays" => "weekdays".into(),
        "contract.weekly_hours" => "weekly_hours".into(),
        "contract.reference_hours" => "reference_hours".into(),
        "person.birth_date" | "birth_date" => "birth_date".into(),
        "person.niss" => "niss".into(),
        "person.dock_worker_or_fisher" => "dock_worker_or_fisher".into(),
        "person.career_start_date" => "career_start_date".into(),
        // Permits without the box ticked (the form never sends that), or the box itself.
        "person.foreign_national" | "person.work_permits" => "foreign_national".into(),
        "contact_name" | "contact_email" | "last_name" | "first_name" | "niss" => p.into(),
        _ => "contract_start".into(),
    }
}

/// The translated label of a form field (for messages about a field the engine refused).
pub fn label_key_of(field: &str) -> &'static str {
    let tail = field.split_once('_').map(|(h, t)| {
        if h.len() > 1
            && (h.starts_with('h')
                || h.starts_with('a')
                || h.starts_with('p')
                || h.starts_with('w'))
            && h[1..].chars().all(|c| c.is_ascii_digit())
        {
            t
        } else {
            field
        }
    });
    match tail.unwrap_or(field) {
        "kind" => "field-kind",
        "start" => "field-start",
        "end" => "field-end",
        "country" => "field-country",
        "employer" => "field-employer",
        "days" => "field-job-days",
        "hours" => "field-job-hours",
        "ref_hours" => "field-job-ref-hours",
        "child_birth_date" => "field-child-birth-date",
        "child_disabled" => "field-child-disabled",
        "application_date" => "field-admission-date",
        "first_paid_day" => "field-admission-first-paid",
        "article" => "field-admission-article",
        "pay_kind" => "field-pay-kind",
        "weekdays" => "field-weekdays",
        "job_category" => "field-job-category",
        "frontier_worker" => "field-frontier-worker",
        "posted" => "field-posted",
        "ssom" => "field-ssom",
        "pay_amount" => "field-pay-amount",
        "contract_start" => "field-contract-start",
        "days_per_week" => "field-days-per-week",
        "weekly_hours" => "field-weekly-hours",
        "reference_hours" => "field-reference-hours",
        "birth_date" => "field-birth-date",
        "dock_worker_or_fisher" => "field-dock-worker",
        "career_start_date" => "field-career-start",
        "foreign_national" => "field-foreign-national",
        "niss" => "field-niss",
        "last_name" => "field-last-name",
        "first_name" => "field-first-name",
        "contact_name" => "field-contact-name",
        "contact_email" => "field-contact-email",
        _ => "field-contract-start",
    }
}

/// Adds a refusal from the engine or the service next to the field it names.
pub fn add_refusal(
    errors: &mut Errors,
    lang: Lang,
    path: &str,
    code: Option<&str>,
    reason: &str,
    key: &str,
) {
    let field = field_of(path);
    // The engine's code in the reader's language; its English reason when the code is unknown.
    let reason = crate::dmfa_view::reason_text(lang, code, reason);
    let label = t(lang, label_key_of(&field))
        .trim_end_matches(" *")
        .to_owned();
    errors
        .entry(field)
        .or_insert_with(|| t_args(lang, key, &[("field", label), ("reason", reason)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn rows_are_parsed_in_order_and_renumbered() {
        let f = RequestForm::from_pairs(&pairs(&[
            ("h3_kind", "detention"),
            ("h3_start", "2020-01-01"),
            ("h0_kind", "work"),
            ("a1_kind", "strike"),
            ("h999_kind", "work"),
        ]));
        assert_eq!(f.history.len(), 2);
        assert_eq!(f.history[0].kind, "work");
        assert_eq!(f.history[1].kind, "detention");
        assert_eq!(f.absences.len(), 1);
    }

    #[test]
    fn add_and_remove_rows() {
        let mut f = RequestForm::blank();
        f.action = "add_history".into();
        assert!(f.apply_row_action());
        assert!(f.apply_row_action());
        f.history[0].start = "kept".into();
        f.action = "remove_history:1".into();
        assert!(f.apply_row_action());
        assert_eq!(f.history.len(), 1);
        assert_eq!(f.history[0].start, "kept");
        f.action = "send".into();
        assert!(!f.apply_row_action());
        // Adding a permit says the person needs one.
        f.action = "add_permit".into();
        assert!(f.apply_row_action());
        assert!(f.foreign_national && f.permits.len() == 1);
        f.action = "remove_permit:0".into();
        assert!(f.apply_row_action());
        assert!(f.permits.is_empty());
    }

    #[test]
    fn errors_name_the_field_in_the_user_language() {
        let mut f = RequestForm::blank();
        f.birth_date = "25/01/1990".into();
        f.weekly_hours = "abc".into();
        f.history.push(HistoryRow {
            kind: "work".into(),
            start: "2024-05-01".into(),
            end: "2024-01-01".into(),
            ..Default::default()
        });
        let mut e = Errors::new();
        check(&f, Lang::Nl, true, &mut e);
        assert_eq!(
            e["birth_date"],
            "Geboortedatum: vul een datum in als JJJJ-MM-DD."
        );
        assert!(e["weekly_hours"].starts_with("Uren per week (Q): "));
        assert!(e["h0_end"].contains("vóór het begin"));
        assert!(e["niss"].contains("verplicht"));
        assert!(e.contains_key("contract_start"));
    }

    #[test]
    fn regime_ranges_are_checked_in_the_user_language() {
        let mut f = RequestForm::blank();
        f.days_per_week = "8".into();
        f.weekly_hours = "40".into();
        f.reference_hours = "38".into();
        let mut e = Errors::new();
        check(&f, Lang::De, false, &mut e);
        assert_eq!(e["days_per_week"], "Tage pro Woche: zwischen 1 und 6.");
        assert!(
            e["weekly_hours"].contains("nicht über S"),
            "{}",
            e["weekly_hours"]
        );
        f.reference_hours = "61".into();
        f.weekly_hours = "0".into();
        let mut e = Errors::new();
        check(&f, Lang::Fr, false, &mut e);
        assert!(e["reference_hours"].contains("60"));
        assert!(e["weekly_hours"].contains("supérieur à 0"));
    }

    #[test]
    fn a_good_form_gives_the_engine_input() {
        let mut f = RequestForm::blank();
        f.birth_date = "1990-01-25".into();
        f.contract_start = "2026-12-01".into();
        f.weekly_hours = "19,5".into();
        f.history.push(HistoryRow {
            kind: "foreign_work".into(),
            start: "2020-01-01".into(),
            end: "2020-12-31".into(),
            country: "FR".into(),
            ..Default::default()
        });
        let mut e = Errors::new();
        let c = check(&f, Lang::Fr, false, &mut e);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(c.input["contract"]["weekly_hours"], json!(19.5));
        assert_eq!(c.input["history"][0]["abroad"]["country"], "FR");
    }

    /// A past job's regime: empty is no regime; a figure left out is full time (R 5, S 38,
    /// Q = S); the child's fields go only with child raising, the regime only with work.
    #[test]
    fn past_jobs_say_their_regime_and_child_raising_its_child() {
        let row = |kind: &str, days: &str, hours: &str, refh: &str| HistoryRow {
            kind: kind.into(),
            start: "2020-01-01".into(),
            end: "2020-06-30".into(),
            days: days.into(),
            hours: hours.into(),
            ref_hours: refh.into(),
            child_birth_date: "2019-12-01".into(),
            child_disabled: true,
            ..Default::default()
        };
        let mut f = RequestForm::blank();
        f.birth_date = "1990-01-25".into();
        f.contract_start = "2026-12-01".into();
        f.history = vec![
            row("work", "", "", ""),
            row("work", "", "19", ""),
            row("work", "4", "", "36"),
            row("child_raising", "4", "19", "38"),
        ];
        let mut e = Errors::new();
        let c = check(&f, Lang::Fr, false, &mut e);
        assert!(e.is_empty(), "{e:?}");
        let h = &c.input["history"];
        assert_eq!(h[0].get("regime"), None);
        assert_eq!(h[0].get("child_birth_date"), None);
        assert_eq!(
            h[1]["regime"],
            json!({"days_per_week": 5, "weekly_hours": 19, "reference_hours": 38})
        );
        assert_eq!(
            h[2]["regime"],
            json!({"days_per_week": 4, "weekly_hours": 36, "reference_hours": 36})
        );
        assert_eq!(h[3].get("regime"), None);
        assert_eq!(h[3]["child_birth_date"], "2019-12-01");
        assert_eq!(h[3]["child_disabled"], true);
        // Out of range, on the row's own field, in the user's language.
        f.history = vec![row("work", "7", "40", "38")];
        let mut e = Errors::new();
        check(&f, Lang::Nl, false, &mut e);
        assert!(
            e["h0_days"].starts_with("Dagen per week"),
            "{}",
            e["h0_days"]
        );
        assert!(e.contains_key("h0_hours"), "{e:?}");
    }

    #[test]
    fn the_birth_date_comes_from_the_niss_unless_typed_or_unknown() {
        let mut f = RequestForm::blank();
        f.niss = "90.01.25-033.47".into();
        f.prefill_birth_date();
        assert_eq!(f.birth_date, "1990-01-25");
        f.birth_date = "1990-01-24".into();
        f.prefill_birth_date();
        assert_eq!(f.birth_date, "1990-01-24", "a typed date is kept");
        // Born after 2000 (the check digits say so): 03-05-17 is 2003.
        let mut f = RequestForm::blank();
        f.niss = "03051701290".into();
        f.prefill_birth_date();
        assert_eq!(f.birth_date, "2003-05-17");
        // Day or month unknown (00): nothing.
        let mut f = RequestForm::blank();
        f.niss = "90002500172".into();
        f.prefill_birth_date();
        assert_eq!(f.birth_date, "");
    }

    #[test]
    fn engine_paths_map_to_fields() {
        assert_eq!(field_of("input.history[2].end"), "h2_end");
        assert_eq!(field_of("input.history[0].abroad.country"), "h0_country");
        assert_eq!(field_of("input.contract.weekly_hours"), "weekly_hours");
        assert_eq!(field_of("input.contract.absences[1].start"), "a1_start");
        assert_eq!(label_key_of("h2_end"), "field-end");
        assert_eq!(label_key_of("weekly_hours"), "field-weekly-hours");
    }

    /// Issue 13 §4: the person facts and a past job's weekdays are parsed, sent and refilled.
    #[test]
    fn person_facts_and_job_weekdays_round_trip() {
        let f = RequestForm::from_pairs(&pairs(&[
            ("birth_date", "1990-01-25"),
            ("contract_start", "2026-12-01"),
            ("days_per_week", "5"),
            ("weekly_hours", "38"),
            ("reference_hours", "38"),
            ("dock_worker_or_fisher", "yes"),
            ("career_start_date", "2015-09-01"),
            ("foreign_national", "yes"),
            ("w1_start", "2021-01-01"),
            ("w0_start", "2019-01-01"),
            ("w0_end", "2020-12-31"),
            ("h0_kind", "work"),
            ("h0_start", "2020-01-01"),
            ("h0_end", "2020-06-30"),
            ("h0_days", "2"),
            ("h0_weekdays", "thu"),
            ("h0_weekdays", "mon"),
            ("h0_weekdays", "thu"),
        ]));
        assert_eq!(f.permits.len(), 2);
        assert_eq!(f.history[0].weekdays, ["thu", "mon"]);
        let mut e = Errors::new();
        let c = check(&f, Lang::Fr, false, &mut e);
        assert!(e.is_empty(), "{e:?}");
        let person = json!({"dock_worker_or_fisher": true, "career_start_date": "2015-09-01",
            "foreign_national": true, "work_permits": [{"start": "2019-01-01", "end": "2020-12-31"},
            {"start": "2021-01-01"}]});
        assert_eq!(c.input["person"], person);
        assert_eq!(c.input["history"][0]["weekdays"], json!(["mon", "thu"]));
        let back = RequestForm::from_input(&c.input);
        assert!(back.dock_worker_or_fisher && back.foreign_national);
        assert_eq!(back.career_start_date, "2015-09-01");
        assert_eq!(back.permits, f.permits);
        assert_eq!(back.history[0].weekdays, ["mon", "thu"]);
        // Unticked: the permits stay typed but are not sent; nothing said, no `person`.
        let mut g = f.clone();
        g.foreign_national = false;
        let c = check(&g, Lang::Fr, false, &mut Errors::new());
        assert_eq!(c.input["person"].get("work_permits"), None);
        g.dock_worker_or_fisher = false;
        g.career_start_date.clear();
        let c = check(&g, Lang::Fr, false, &mut Errors::new());
        assert_eq!(c.input.get("person"), None);
    }

    #[test]
    fn permit_and_job_weekday_errors_name_their_field() {
        let mut f = RequestForm::blank();
        f.birth_date = "1990-01-25".into();
        f.contract_start = "2026-12-01".into();
        f.career_start_date = "1/9/2015".into();
        f.foreign_national = true;
        f.permits = vec![
            PermitRow::default(),
            PermitRow {
                start: "2021-01-01".into(),
                end: "2020-01-01".into(),
            },
        ];
        let job = |days: &str, weekdays: &[&str]| HistoryRow {
            kind: "work".into(),
            start: "2020-01-01".into(),
            end: "2020-06-30".into(),
            days: days.into(),
            weekdays: weekdays.iter().map(|d| d.to_string()).collect(),
            ..Default::default()
        };
        f.history = vec![job("3", &["mon"]), job("", &["mon"])];
        let mut e = Errors::new();
        check(&f, Lang::En, false, &mut e);
        assert!(
            e["career_start_date"].starts_with("Start of the working career"),
            "{e:?}"
        );
        assert!(e["w0_start"].starts_with("From"), "{e:?}");
        assert!(e.contains_key("w1_end"), "{e:?}");
        assert!(e["h0_weekdays"].contains("as many days"), "{e:?}");
        assert!(e["h1_weekdays"].contains("days per week"), "{e:?}");
        // The engine's refusals land on the same fields.
        assert_eq!(field_of("input.person.work_permits[1].end"), "w1_end");
        assert_eq!(
            field_of("input.person.career_start_date"),
            "career_start_date"
        );
        assert_eq!(field_of("input.person.work_permits"), "foreign_national");
        assert_eq!(field_of("input.history[0].weekdays"), "h0_weekdays");
        assert_eq!(label_key_of("w1_end"), "field-end");
        assert_eq!(label_key_of("career_start_date"), "field-career-start");
        assert_eq!(label_key_of("h0_weekdays"), "field-weekdays");
    }

    #[test]
    fn stored_input_refills_the_form() {
        let input = json!({"contract": {"start": "2026-12-01", "days_per_week": 5, "weekly_hours": 38, "reference_hours": 38},
            "history": [{"kind": "work", "start": "2020-01-01", "end": "2020-06-30", "employer": "X"}]});
        let f = RequestForm::from_input(&input);
        assert_eq!(f.contract_start, "2026-12-01");
        assert_eq!(f.history[0].employer, "X");
    }
}
