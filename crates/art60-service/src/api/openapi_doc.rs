//! Completes the OpenAPI document where the per-route annotations are silent, so that it is
//! valid OpenAPI 3.1 and says what the server does (issue 14 §1): every response has a
//! description; errors are `application/problem+json` (as served); every secured operation
//! documents 401 and 403; operations with parameters 400 and 422; with a path parameter 404; with a
//! body 400, 413, 415 and 422; with If-Match 412 and 428. A validator runs over the result in CI (`art60 openapi`).

use serde_json::{Map, Value, json};

/// What each status means on this API, for responses the annotations leave undescribed.
fn describe(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "204" => "Done; no content",
        "400" => "The path, query or body cannot be read (problem+json)",
        "401" => "Not signed in, or the session or API token is unknown, expired or revoked",
        "403" => "Signed in, but this role may not do this",
        "404" => "No such resource, or none this account may see",
        "409" => "Refused in the resource's current state (the problem's type says why)",
        "412" => "If-Match does not match the current version (current_version in the body)",
        "413" => "The body is larger than the limit",
        "415" => "The body's Content-Type is not accepted",
        "422" => "Invalid input: each field with its reason (errors)",
        "428" => "If-Match is required for this change",
        "429" => "Too many attempts; retry after Retry-After seconds",
        "503" => "The database cannot be reached",
        _ => "See the problem's type",
    }
}

const PROBLEM_REF: &str = "#/components/schemas/Problem";

fn problem_response(status: &str) -> Value {
    json!({
        "description": describe(status),
        "content": {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}}
    })
}

fn is_problem(content: &Value) -> bool {
    content.pointer("/schema/$ref").and_then(Value::as_str) == Some(PROBLEM_REF)
}

/// Fixes one response in place: description, and the problem's media type.
fn complete_response(status: &str, r: &mut Value) {
    let Some(obj) = r.as_object_mut() else {
        return;
    };
    if obj
        .get("description")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        obj.insert("description".into(), Value::from(describe(status)));
    }
    if let Some(Value::Object(content)) = obj.get_mut("content")
        && content.get("application/json").is_some_and(is_problem)
        && let Some(c) = content.remove("application/json")
    {
        content.insert("application/problem+json".into(), c);
    }
}

fn complete_operation(op: &mut Map<String, Value>) {
    let params: Vec<(String, String)> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| {
                    Some((
                        p.get("name")?.as_str()?.to_owned(),
                        p.get("in")?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    // No `security` key: the document's (session or token). An empty list: public.
    let secured = op
        .get("security")
        .and_then(Value::as_array)
        .is_none_or(|s| !s.is_empty());
    let body_types: Vec<String> = op
        .get("requestBody")
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object)
        .map(|c| c.keys().cloned().collect())
        .unwrap_or_default();
    let mut wanted: Vec<&str> = Vec::new();
    // A role that may not do this, or (a session) a missing CSRF token: 403.
    if secured {
        wanted.extend(["401", "403"]);
    }
    // Whatever can be read can be refused: control characters in any path, query or body
    // text, and each field's own rules (422).
    if params.iter().any(|(_, i)| i == "path" || i == "query") || !body_types.is_empty() {
        wanted.extend(["400", "422"]);
    }
    // A path that names a resource names one that may not exist, or not for this account.
    if params.iter().any(|(_, i)| i == "path") {
        wanted.push("404");
    }
    if !body_types.is_empty() {
        wanted.extend(["413", "415"]);
    }
    if params
        .iter()
        .any(|(n, i)| i == "header" && n.eq_ignore_ascii_case("if-match"))
    {
        wanted.extend(["412", "428"]);
    }
    let responses = op
        .entry("responses")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(responses) = responses.as_object_mut() else {
        return;
    };
    for status in wanted {
        responses
            .entry(status)
            .or_insert_with(|| problem_response(status));
    }
    for (status, r) in responses.iter_mut() {
        complete_response(status, r);
    }
}

/// Completes `doc` (the document as JSON) in place.
pub fn complete(doc: &mut Value) {
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for method in [
            "get", "put", "post", "delete", "patch", "head", "options", "trace",
        ] {
            if let Some(Value::Object(op)) = item.get_mut(method) {
                complete_operation(op);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_gets_its_error_responses_described() {
        let mut doc = json!({"paths": {"/x/{id}": {"post": {
            "parameters": [{"name": "id", "in": "path"}, {"name": "If-Match", "in": "header"}],
            "requestBody": {"content": {"application/json": {}}},
            "responses": {
                "200": {"description": "fine"},
                "409": {"content": {"application/json": {"schema": {"$ref": PROBLEM_REF}}}}
            }
        }}, "/login": {"post": {"security": [], "responses": {"200": {}}}}}});
        complete(&mut doc);
        let r = &doc["paths"]["/x/{id}"]["post"]["responses"];
        for s in [
            "400", "401", "403", "404", "409", "412", "413", "415", "422", "428",
        ] {
            assert!(
                r[s]["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{s}"
            );
            assert!(
                r[s]["content"]["application/problem+json"].is_object(),
                "{s}"
            );
        }
        assert_eq!(r["200"]["description"], "fine");
        let public = &doc["paths"]["/login"]["post"]["responses"];
        assert!(public.get("401").is_none());
        assert_eq!(public["200"]["description"], "OK");
    }
}
