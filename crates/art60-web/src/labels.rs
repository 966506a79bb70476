//! Translation keys for the engine's and the service's enumerations (their snake_case codes
//! become `prefix-code-with-dashes`).

use art60_rules::input::{AbsenceKind, PeriodKind};

/// The period kinds offered in the form, in the order of the drop-down.
pub const PERIOD_KINDS: [&str; 18] = [
    "work",
    "foreign_work",
    "insured_sickness",
    "work_accident",
    "occupational_disease",
    "maternity",
    "temporary_unemployment",
    "unpaid_leave",
    "full_unemployment",
    "self_employment",
    "non_onss_work",
    "career_break",
    "detention",
    "military_service",
    "force_majeure",
    "unpaid_study",
    "child_raising",
    "other",
];

pub const ABSENCE_KINDS: [&str; 8] = [
    "guaranteed_pay_sickness",
    "insured_sickness",
    "work_accident",
    "occupational_disease",
    "maternity",
    "unpaid_leave",
    "temporary_unemployment",
    "strike",
];

pub const STATUSES: [&str; 4] = ["draft", "sent", "returned", "calculated"];
/// Where a final answer stands (`requests::Standing`), as the letter check names it.
pub const STANDINGS: [&str; 5] = [
    "simulation",
    "awaiting_onem",
    "returned",
    "confirmed",
    "modified",
];
pub const URGENCIES: [&str; 3] = ["on_time", "due_soon", "overdue"];
pub const COPY_REASONS: [&str; 2] = ["contract_changed", "event_impact"];
pub const DECISIONS: [&str; 2] = ["confirmed", "overridden"];

/// Every key built at run time from a code, so the catalog test can check them.
pub static ALL_DYNAMIC_KEYS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    let mut v = Vec::new();
    for (prefix, codes) in [
        ("kind", &PERIOD_KINDS[..]),
        ("absence", &ABSENCE_KINDS[..]),
        ("status", &STATUSES[..]),
        ("urgency", &URGENCIES[..]),
        ("copy-reason", &COPY_REASONS[..]),
        ("decision", &DECISIONS[..]),
        ("country", &crate::countries::COUNTRIES[..]),
        ("admission", &crate::form::ADMISSION_ARTICLES[..]),
        ("pay", &crate::form::PAY_KINDS[1..]),
        ("job-category", &crate::form::JOB_CATEGORIES[..]),
        ("weekday", &crate::form::WEEKDAYS[..]),
        ("verify-standing", &STANDINGS[..]),
    ] {
        v.extend(codes.iter().map(|c| key(prefix, c)));
    }
    v
});

/// `("kind", "foreign_work")` → `kind-foreign-work`.
pub fn key(prefix: &str, code: &str) -> String {
    format!("{prefix}-{}", code.replace('_', "-"))
}

/// The serde code of an enumeration value (its JSON string form).
pub fn code<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

pub fn period_kind(k: PeriodKind) -> String {
    key("kind", &code(&k))
}

pub fn absence_kind(k: AbsenceKind) -> String {
    key("absence", &code(&k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_lists_every_engine_kind() {
        for k in PERIOD_KINDS {
            let parsed: PeriodKind = serde_json::from_value(serde_json::json!(k)).unwrap();
            assert_eq!(code(&parsed), k);
        }
        for k in crate::form::WEEKDAYS {
            let parsed: art60_rules::input::Day =
                serde_json::from_value(serde_json::json!(k)).unwrap();
            assert_eq!(code(&parsed), k);
        }
        for k in crate::form::JOB_CATEGORIES {
            let parsed: art60_rules::input::JobCategory =
                serde_json::from_value(serde_json::json!(k)).unwrap();
            assert_eq!(code(&parsed), k);
        }
        for k in crate::form::ADMISSION_ARTICLES {
            let parsed: art60_rules::input::AdmissionArticle =
                serde_json::from_value(serde_json::json!(k)).unwrap();
            assert_eq!(code(&parsed), k);
        }
        for k in ABSENCE_KINDS {
            let parsed: AbsenceKind = serde_json::from_value(serde_json::json!(k)).unwrap();
            assert_eq!(code(&parsed), k);
        }
    }
}
