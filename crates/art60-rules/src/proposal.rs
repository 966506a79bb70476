//! A reform proposal: dated parameter entries that add to, or end, the set in force (issue 15).
//!
//! A proposal is a TOML file in the shape of `params/belgium.toml`. Each list it holds
//! (`[[stage]]`, `[[extensions]]`...) brings complete entries: an entry from a date supersedes
//! what the base set has from that date on (an entry in force then is ended the day before,
//! later ones give way). An `[[end]]` entry ends a parameter without a successor
//! (`key`, `on`, `reference`): after `on` no rule is in force, which the engine reports as
//! such, never as a guess. The merged set is checked like the embedded one (no overlap, a legal
//! reference on every entry), and the proposal itself strictly: an unknown key or a field the
//! parameter does not have is an error with its path in the proposal (`stage[0].bands[1].dayz`).

use chrono::NaiveDate;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::params::{self, Dated, ParamSet};

/// Why a proposal is refused; `path` locates the problem in the proposal file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    #[error("proposal does not parse: {0}")]
    Parse(String),
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
}

fn invalid(path: impl Into<String>, reason: impl Into<String>) -> ProposalError {
    ProposalError::Invalid {
        path: path.into(),
        reason: reason.into(),
    }
}

/// What a proposal changes, for reports: the keys it touches and its own name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalSummary {
    /// `id` of the proposal file, or `proposal`.
    pub id: String,
    /// `version` of the proposal file, or empty.
    pub version: String,
    /// `key from DATE` for each entry added, `key ended on DATE` for each end.
    pub changes: Vec<String>,
}

/// The base set with the proposal applied, and what the proposal changed.
#[derive(Debug, Clone)]
pub struct Applied {
    pub params: ParamSet,
    pub summary: ProposalSummary,
}

/// Checks one entry of `key` by reading it as the parameter's type and comparing what comes
/// back: a field the type does not know is lost on the way, and named with its path.
fn check_entry(key: &str, path: &str, entry: &Value) -> Result<(), ProposalError> {
    fn roundtrip<T: DeserializeOwned + Serialize>(
        path: &str,
        entry: &Value,
    ) -> Result<Value, ProposalError> {
        let at = |inner: String| {
            if inner == "." || inner.is_empty() {
                path.to_string()
            } else {
                format!("{path}.{inner}")
            }
        };
        let typed: Dated<T> = match serde_path_to_error::deserialize(entry) {
            Ok(t) => t,
            Err(e) => {
                // `Dated` flattens the value, and serde reads flattened fields from a buffer
                // that loses their path: read the value's fields alone to name the one at fault.
                if let Value::Object(fields) = entry {
                    let mut own = fields.clone();
                    for k in ["from", "to", "reference"] {
                        own.remove(k);
                    }
                    if let Err(inner) = serde_path_to_error::deserialize::<_, T>(Value::Object(own))
                    {
                        let p = inner.path().to_string();
                        if p != "." && !p.is_empty() {
                            return Err(invalid(at(p), inner.into_inner().to_string()));
                        }
                    }
                }
                let p = e.path().to_string();
                return Err(invalid(at(p), e.into_inner().to_string()));
            }
        };
        serde_json::to_value(&typed).map_err(|e| invalid(path, e.to_string()))
    }
    let back = match key {
        "regime" => roundtrip::<params::RegimeDef>(path, entry)?,
        "stage" => roundtrip::<params::Stage>(path, entry)?,
        "art33_access" => roundtrip::<params::Art33Access>(path, entry)?,
        "counting" => roundtrip::<params::Counting>(path, entry)?,
        "unpaid_cap" => roundtrip::<params::UnpaidCap>(path, entry)?,
        "categories" => roundtrip::<params::Categories>(path, entry)?,
        "extensions" => roundtrip::<params::Extensions>(path, entry)?,
        "art42" => roundtrip::<params::Art42>(path, entry)?,
        "foreign" => roundtrip::<params::Foreign>(path, entry)?,
        "reference_wage" => roundtrip::<params::ReferenceWage>(path, entry)?,
        "rmmmg" => roundtrip::<params::Rmmmg>(path, entry)?,
        "right" => roundtrip::<params::Right>(path, entry)?,
        "interruption_days" => roundtrip::<params::InterruptionDays>(path, entry)?,
        "permit_gap_days" => roundtrip::<params::PermitGap>(path, entry)?,
        "covid_2021_extension" => roundtrip::<params::Covid2021Extension>(path, entry)?,
        other => return Err(invalid(other, "not a dated parameter of the set")),
    };
    unknown_fields(path, entry, &back)
}

/// The first field of `given` that `kept` does not have.
fn unknown_fields(path: &str, given: &Value, kept: &Value) -> Result<(), ProposalError> {
    match (given, kept) {
        (Value::Object(g), Value::Object(k)) => {
            for (name, v) in g {
                let here = format!("{path}.{name}");
                match k.get(name) {
                    None => return Err(invalid(here, "unknown key")),
                    Some(kv) => unknown_fields(&here, v, kv)?,
                }
            }
            Ok(())
        }
        (Value::Array(g), Value::Array(k)) => {
            for (i, (gv, kv)) in g.iter().zip(k).enumerate() {
                unknown_fields(&format!("{path}[{i}]"), gv, kv)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn date_of(v: &Value, path: &str, name: &str) -> Result<NaiveDate, ProposalError> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("{path}.{name}"), "missing date"))?
        .parse()
        .map_err(|_| invalid(format!("{path}.{name}"), "not a date (YYYY-MM-DD)"))
}

fn reference_of(v: &Value, path: &str) -> Result<(), ProposalError> {
    match v.get("reference").and_then(Value::as_str) {
        Some(r) if !r.trim().is_empty() => Ok(()),
        _ => Err(invalid(
            format!("{path}.reference"),
            "every entry needs its legal reference",
        )),
    }
}

/// Ends the entries of `list` at `last` (those starting after it are dropped).
fn end_at(list: &mut Vec<Value>, last: NaiveDate) {
    list.retain(|e| {
        e.get("from")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<NaiveDate>().ok())
            .is_some_and(|f| f <= last)
    });
    for e in list.iter_mut() {
        let to = e
            .get("to")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<NaiveDate>().ok());
        if to.is_none_or(|t| t > last)
            && let Some(obj) = e.as_object_mut()
        {
            obj.insert("to".into(), Value::String(last.to_string()));
        }
    }
}

fn from_key(e: &Value) -> String {
    e.get("from")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The set as it stood before the entries dated `date` and later: those entries removed, the
/// last earlier entry of each parameter left open-ended. "The old rules, had they continued":
/// the side-by-side answer of a contract that straddles a reform, and the demo's answers sized
/// before the 2026 reform was published.
pub fn before(base: &ParamSet, date: NaiveDate) -> Result<ParamSet, ProposalError> {
    let mut doc = serde_json::to_value(base).map_err(|e| ProposalError::Parse(e.to_string()))?;
    if let Some(set) = doc.as_object_mut() {
        for (_, v) in set.iter_mut() {
            let Some(list) = v.as_array_mut() else {
                continue;
            };
            list.retain(|e| from_key(e).parse::<NaiveDate>().is_ok_and(|f| f < date));
            if let Some(last) = list.last_mut().and_then(Value::as_object_mut) {
                last.remove("to");
            }
        }
        set.insert(
            "version".into(),
            // A version name, not a date of a case: written without the dashes of a date.
            Value::String(format!("{}-before-{}", base.version, date.format("%Y%m%d"))),
        );
    }
    // Not `check`ed: a parameter that only exists since `date` has no entry then, and a
    // lookup answers "no rule in force", as it should for the earlier rules.
    serde_json::from_value(doc).map_err(|e| invalid("*", e.to_string()))
}

/// Applies the proposal `text` to `base`.
pub fn apply(base: &ParamSet, text: &str) -> Result<Applied, ProposalError> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| ProposalError::Parse(e.to_string()))?;
    let Value::Object(doc) = json_of(toml::Value::Table(doc)) else {
        return Err(ProposalError::Parse("not a table".into()));
    };
    let mut merged = serde_json::to_value(base).map_err(|e| ProposalError::Parse(e.to_string()))?;
    let Some(set) = merged.as_object_mut() else {
        return Err(ProposalError::Parse("base set is not a table".into()));
    };
    let mut summary = ProposalSummary {
        id: "proposal".into(),
        version: String::new(),
        changes: Vec::new(),
    };
    let mut ends: Vec<(String, NaiveDate)> = Vec::new();
    let mut adds: Vec<(String, Vec<Value>)> = Vec::new();
    for (key, value) in &doc {
        match key.as_str() {
            "id" | "version" => {
                let s = value
                    .as_str()
                    .ok_or_else(|| invalid(key.clone(), "must be a string"))?;
                if key == "id" {
                    summary.id = s.to_string();
                } else {
                    summary.version = s.to_string();
                }
            }
            "end" => {
                let list = value
                    .as_array()
                    .ok_or_else(|| invalid("end", "must be a list of [[end]] entries"))?;
                for (i, e) in list.iter().enumerate() {
                    let path = format!("end[{i}]");
                    let obj = e
                        .as_object()
                        .ok_or_else(|| invalid(path.clone(), "must be a table"))?;
                    for name in obj.keys() {
                        if !matches!(name.as_str(), "key" | "on" | "reference") {
                            return Err(invalid(format!("{path}.{name}"), "unknown key"));
                        }
                    }
                    let k = obj
                        .get("key")
                        .and_then(Value::as_str)
                        .ok_or_else(|| invalid(format!("{path}.key"), "missing parameter key"))?;
                    if !set.get(k).is_some_and(Value::is_array) {
                        return Err(invalid(
                            format!("{path}.key"),
                            format!("{k:?} is not a dated parameter of the set"),
                        ));
                    }
                    reference_of(e, &path)?;
                    ends.push((k.to_string(), date_of(e, &path, "on")?));
                }
            }
            "procedure" => {
                return Err(invalid(
                    "procedure",
                    "the procedure is not dated: a proposal cannot change it",
                ));
            }
            k => {
                if !set.get(k).is_some_and(Value::is_array) {
                    return Err(invalid(k, "unknown key: not a dated parameter of the set"));
                }
                let list = value
                    .as_array()
                    .ok_or_else(|| invalid(k, format!("must be a list of [[{k}]] entries")))?;
                for (i, e) in list.iter().enumerate() {
                    let path = format!("{k}[{i}]");
                    reference_of(e, &path)?;
                    date_of(e, &path, "from")?;
                    check_entry(k, &path, e)?;
                }
                adds.push((k.to_string(), list.clone()));
            }
        }
    }
    for (key, on) in ends {
        if let Some(Value::Array(list)) = set.get_mut(&key) {
            end_at(list, on);
        }
        summary.changes.push(format!("{key} ended on {on}"));
    }
    for (key, mut entries) in adds {
        entries.sort_by_key(from_key);
        let Some(Value::Array(list)) = set.get_mut(&key) else {
            continue;
        };
        for e in entries {
            // `from` was read above; a proposal entry supersedes the base from its date on.
            let from = date_of(&e, &key, "from")?;
            if let Some(before) = from.pred_opt() {
                end_at(list, before);
            } else {
                list.clear();
            }
            summary.changes.push(format!("{key} from {from}"));
            list.push(e);
        }
        list.sort_by_key(from_key);
    }
    set.insert(
        "version".into(),
        Value::String(if summary.version.is_empty() {
            format!("{}+{}", base.version, summary.id)
        } else {
            format!("{}+{}-{}", base.version, summary.id, summary.version)
        }),
    );
    let params: ParamSet = serde_json::from_value(Value::Object(std::mem::take(set)))
        .map_err(|e| invalid("*", e.to_string()))?;
    params.check().map_err(|e| match e {
        params::ParamError::Invalid { key, reason } => invalid(key, reason),
        other => ProposalError::Parse(other.to_string()),
    })?;
    Ok(Applied { params, summary })
}

/// TOML to JSON, a TOML date (`from = 2027-01-01`, unquoted) as the string the set uses.
fn json_of(v: toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => Value::from(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(json_of).collect()),
        toml::Value::Table(t) => Value::Object(
            t.into_iter()
                .map(|(k, v)| (k, json_of(v)))
                .collect::<Map<String, Value>>(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const NEW_STAGE: &str = r#"
id = "test-reform"
version = "1"
[[stage]]
from = "2027-01-01"
reference = "Projet de loi (test)"
older_bands_allowed = false
art33_extra_months = 0
bands = [{ min_age = 0, days = 234, months = 24 }]
prior_admission_cutoff = true
"#;

    #[test]
    fn an_entry_from_a_date_supersedes_the_base_from_then_on() {
        let base = ParamSet::embedded();
        let a = apply(base, NEW_STAGE).unwrap();
        // A TOML date (unquoted) reads as the same date.
        let unquoted = NEW_STAGE.replace("\"2027-01-01\"", "2027-01-01");
        assert_eq!(apply(base, &unquoted).unwrap().params, a.params);
        let before = a.params.stage_at(d("2026-12-31")).unwrap();
        assert_eq!(before.to, Some(d("2026-12-31")));
        assert_eq!(before.value.bands[0].days, 312);
        let after = a.params.stage_at(d("2027-01-01")).unwrap();
        assert_eq!(after.value.bands[0].days, 234);
        assert_eq!(&*after.reference, "Projet de loi (test)");
        assert_eq!(a.summary.changes, ["stage from 2027-01-01"]);
        assert!(
            a.params.version.ends_with("+test-reform-1"),
            "{}",
            a.params.version
        );
        // The base is untouched.
        assert_eq!(
            base.stage_at(d("2027-01-01")).unwrap().value.bands[0].days,
            312
        );
    }

    #[test]
    fn an_end_leaves_no_rule_in_force_after_it() {
        let a = apply(
            ParamSet::embedded(),
            "[[end]]\nkey = \"stage\"\non = \"2027-06-30\"\nreference = \"Abrogation (test)\"\n",
        )
        .unwrap();
        assert!(a.params.stage_at(d("2027-06-30")).is_ok());
        assert!(a.params.stage_at(d("2027-07-01")).is_err());
    }

    #[test]
    fn unknown_keys_and_missing_references_name_their_path() {
        let base = ParamSet::embedded();
        let typo = NEW_STAGE.replace("days = 234", "dayz = 234");
        match apply(base, &typo) {
            Err(ProposalError::Invalid { path, .. }) => {
                assert!(path.starts_with("stage[0]"), "{path}");
            }
            other => panic!("{other:?}"),
        }
        let extra = NEW_STAGE.replace(
            "prior_admission_cutoff = true",
            "prior_admission_cutoff = true\nmood = 1",
        );
        assert_eq!(
            apply(base, &extra).unwrap_err(),
            invalid("stage[0].mood", "unknown key")
        );
        // A wrong type inside the flattened value is named down to its field.
        let wrong = NEW_STAGE.replace("days = 234", "days = \"many\"");
        match apply(base, &wrong) {
            Err(ProposalError::Invalid { path, .. }) => {
                assert_eq!(path, "stage[0].bands[0].days");
            }
            other => panic!("{other:?}"),
        }
        let no_ref = NEW_STAGE.replace("reference = \"Projet de loi (test)\"", "");
        assert_eq!(
            apply(base, &no_ref).unwrap_err(),
            invalid(
                "stage[0].reference",
                "every entry needs its legal reference"
            )
        );
        assert!(matches!(
            apply(base, "[[stages]]\nfrom = \"2027-01-01\"\nreference = \"x\"\n").unwrap_err(),
            ProposalError::Invalid { path, .. } if path == "stages"
        ));
        assert!(matches!(
            apply(base, "[[end]]\nkey = \"stage\"\non = \"2027-01-01\"\n").unwrap_err(),
            ProposalError::Invalid { path, .. } if path == "end[0].reference"
        ));
        assert!(matches!(
            apply(base, "stage = ["),
            Err(ProposalError::Parse(_))
        ));
    }

    #[test]
    fn before_a_date_the_earlier_rules_continue() {
        let base = ParamSet::embedded();
        let old = before(base, d("2026-03-01")).unwrap();
        let s = old.stage_at(d("2027-06-01")).unwrap();
        assert_eq!(s.from, d("2012-11-01"));
        assert_eq!(s.to, None);
        assert_eq!(
            s.value.bands.iter().map(|b| b.days).collect::<Vec<_>>(),
            [312, 468, 624]
        );
        assert!(old.version.ends_with("-before-20260301"), "{}", old.version);
    }

    #[test]
    fn two_entries_of_one_proposal_follow_each_other() {
        let two = format!(
            "{NEW_STAGE}\n{}",
            NEW_STAGE
                .replace("id = \"test-reform\"\nversion = \"1\"\n", "")
                .replace("2027-01-01", "2028-01-01")
                .replace("days = 234", "days = 200")
        );
        let a = apply(ParamSet::embedded(), &two).unwrap();
        assert_eq!(
            a.params.stage_at(d("2027-06-01")).unwrap().to,
            Some(d("2027-12-31"))
        );
        assert_eq!(
            a.params.stage_at(d("2028-06-01")).unwrap().value.bands[0].days,
            200
        );
    }
}
