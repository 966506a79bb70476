//! A plan request for the engine from a person's DmfA history: what `art60 dmfa to-calc` prints
//! and what the case service can hand to the engine.

use art60_rules::input::{CalcRequest, HistoryItem, InputError, WorkRegime};
use art60_rules::{Niss, input::MAX_DATE};
use chrono::NaiveDate;

/// Builds a `plan` request and runs it through [`CalcRequest::parse`], so the result is exactly
/// what the engine accepts (same checks, same error paths). The birth date comes from the NISS.
pub fn plan_request(
    niss: Niss,
    contract_start: NaiveDate,
    contract: WorkRegime,
    today: NaiveDate,
    history: &[HistoryItem],
) -> Result<CalcRequest, InputError> {
    let birth = niss.birth_date().ok_or_else(|| {
        InputError::new(
            "person.niss",
            "the number does not encode a birth date (bis number with an unknown date?)",
        )
    })?;
    if contract_start > MAX_DATE {
        return Err(InputError::new("contract.start", "date out of range"));
    }
    let json = serde_json::json!({
        "mode": "plan",
        "today": today,
        "person": { "niss": niss.expose(), "birth_date": birth },
        "contract": {
            "start": contract_start,
            "days_per_week": contract.days_per_week,
            "weekly_hours": contract.weekly_hours,
            "reference_hours": contract.reference_hours,
        },
        "history": history,
    });
    CalcRequest::parse(&json.to_string())
}
