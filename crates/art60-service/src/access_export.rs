//! The data subject's right of access (GDPR art. 15, SPEC §9): for a NISS, everything stored
//! about the person and every audit entry showing who read or changed it, as JSON and as a
//! readable HTML page. Only the DPO may produce it; each export is itself audited (without the
//! NISS: the entry names the person by id, or records that nothing was found).

use std::collections::BTreeSet;

use art60_rules::Niss;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::audit::{self, EntryView, Event};
use crate::auth::Actor;
use crate::db::Db;
use crate::db::{
    Role, attachment, audit_entry, cpas, derogation, dmfa_declaration, dmfa_resolution, employment,
    escalation, escalation_link, letter, message, person, person_link, request,
};
use crate::error::{Result, ServiceError};

/// What the DPO asks for. The NISS travels in the body, never in a URL (URLs end up in logs).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ExportInput {
    /// The data subject's NISS (11 digits, punctuation allowed).
    pub niss: String,
    /// Why (e.g. the subject's request reference); kept in the audit trail.
    pub reason: Option<String>,
}

/// The person's identity as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonData {
    pub id: i64,
    pub niss: String,
    pub last_name: String,
    pub first_name: String,
    pub birth_date: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// Everything stored about one person.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessExport {
    pub generated_at: DateTime<Utc>,
    /// `None`: nothing is stored about this NISS (never recorded, or purged by retention).
    pub person: Option<PersonData>,
    /// The CPAS that follow the person, each with its own record of the name and birth date.
    #[schema(value_type = Vec<Object>)]
    pub cpas: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub employments: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub derogations: Vec<Value>,
    /// Every request: the form, the contact, the result, the decision.
    #[schema(value_type = Vec<Object>)]
    pub requests: Vec<Value>,
    /// Attachments' descriptions (the files themselves are handed over separately).
    #[schema(value_type = Vec<Object>)]
    pub attachments: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub messages: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub letters: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub dmfa_declarations: Vec<Value>,
    #[schema(value_type = Vec<Object>)]
    pub dmfa_resolutions: Vec<Value>,
    /// Escalations about the person's requests (ticket and status).
    #[schema(value_type = Vec<Object>)]
    pub escalations: Vec<Value>,
    /// Every audit entry about the person or their records: who read or changed what, when.
    pub audit: Vec<EntryView>,
    /// The audit entry recording this export.
    pub export_audit_seq: i64,
}

fn forbidden() -> ServiceError {
    ServiceError::Forbidden("the access export is for the data protection officer".into())
}

/// Builds the export for `input.niss` and audits it. Only [`Role::Dpo`].
pub async fn export(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    input: &ExportInput,
) -> Result<AccessExport> {
    if actor.role != Role::Dpo {
        return Err(forbidden());
    }
    let niss = Niss::parse(&input.niss)
        .map_err(|_| ServiceError::invalid("niss", "not a valid NISS (11 digits, check digits)"))?;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().any(char::is_control) || r.chars().count() > 500)
    {
        return Err(ServiceError::invalid(
            "reason",
            "at most 500 characters, no control characters",
        ));
    }
    let conn = &db.reads;
    let p = person::Entity::find()
        .filter(person::Column::Niss.eq(niss.expose()))
        .one(conn)
        .await?;
    let mut out = AccessExport {
        generated_at: now,
        person: None,
        cpas: vec![],
        employments: vec![],
        derogations: vec![],
        requests: vec![],
        attachments: vec![],
        messages: vec![],
        letters: vec![],
        dmfa_declarations: vec![],
        dmfa_resolutions: vec![],
        escalations: vec![],
        audit: vec![],
        export_audit_seq: 0,
    };
    if let Some(p) = &p {
        collect(conn, p, &mut out).await?;
    }
    let tx = db.begin_write().await?;
    out.export_audit_seq = audit::append_chained(
        &tx.txn,
        now,
        &actor.who(),
        Event {
            action: "access_export",
            entity: "person",
            entity_id: p.as_ref().map(|p| p.id),
            person_id: p.as_ref().map(|p| p.id),
            reason,
            after: Some(json!({
                "found": p.is_some(),
                "requests": out.requests.len(),
                "messages": out.messages.len(),
                "dmfa_declarations": out.dmfa_declarations.len(),
                "audit_entries": out.audit.len(),
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

async fn collect<C: ConnectionTrait>(
    conn: &C,
    p: &person::Model,
    out: &mut AccessExport,
) -> Result<()> {
    out.person = Some(PersonData {
        id: p.id,
        niss: p.niss.clone(),
        last_name: p.last_name.clone(),
        first_name: p.first_name.clone(),
        birth_date: p.birth_date,
        created_at: p.created_at,
    });
    let links = person_link::Entity::find()
        .filter(person_link::Column::PersonId.eq(p.id))
        .order_by_asc(person_link::Column::Id)
        .all(conn)
        .await?;
    let cpas_ids: Vec<i64> = links.iter().map(|l| l.cpas_id).collect();
    let names: std::collections::HashMap<i64, String> = cpas::Entity::find()
        .filter(cpas::Column::Id.is_in(cpas_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    out.cpas = links
        .iter()
        .map(|l| {
            // Each CPAS keeps its own record of the name and birth date (m0011).
            json!({"cpas_id": l.cpas_id, "cpas_name": names.get(&l.cpas_id),
                   "last_name": l.last_name, "first_name": l.first_name,
                   "birth_date": l.birth_date, "linked_at": l.created_at})
        })
        .collect();
    let emps = employment::Entity::find()
        .filter(employment::Column::PersonId.eq(p.id))
        .order_by_asc(employment::Column::Id)
        .all(conn)
        .await?;
    let emp_ids: Vec<i64> = emps.iter().map(|e| e.id).collect();
    out.employments = emps
        .iter()
        .map(|e| {
            json!({"id": e.id, "cpas_id": e.cpas_id, "contract_start": e.contract_start,
                   "derogations": e.derogations, "created_at": e.created_at})
        })
        .collect();
    out.derogations = derogation::Entity::find()
        .filter(derogation::Column::EmploymentId.is_in(emp_ids.clone()))
        .order_by_asc(derogation::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|d| {
            json!({"id": d.id, "employment_id": d.employment_id, "granted_by": d.granted_by,
                   "reason": d.reason, "created_at": d.created_at})
        })
        .collect();
    let reqs = request::Entity::find()
        .filter(request::Column::PersonId.eq(p.id))
        .order_by_asc(request::Column::Id)
        .all(conn)
        .await?;
    let req_ids: Vec<i64> = reqs.iter().map(|r| r.id).collect();
    out.requests = reqs.iter().map(request_json).collect();
    let atts = attachment::Entity::find()
        .filter(attachment::Column::RequestId.is_in(req_ids.clone()))
        .order_by_asc(attachment::Column::Id)
        .all(conn)
        .await?;
    let att_ids: Vec<i64> = atts.iter().map(|a| a.id).collect();
    out.attachments = atts
        .into_iter()
        .map(|a| {
            json!({"id": a.id, "request_id": a.request_id, "file_name": a.file_name,
                   "media_type": a.media_type, "size": a.size, "sha256": a.sha256,
                   "uploaded_by": a.uploaded_by, "created_at": a.created_at})
        })
        .collect();
    let msgs = message::Entity::find()
        .filter(message::Column::RequestId.is_in(req_ids.clone()))
        .order_by_asc(message::Column::Id)
        .all(conn)
        .await?;
    let msg_ids: Vec<i64> = msgs.iter().map(|m| m.id).collect();
    out.messages = msgs
        .into_iter()
        .map(|m| {
            json!({"id": m.id, "request_id": m.request_id, "author_user_id": m.author_user_id,
                   "author_role": m.author_role, "author_org": m.author_org, "body": m.body,
                   "created_at": m.created_at})
        })
        .collect();
    let lets = letter::Entity::find()
        .filter(letter::Column::RequestId.is_in(req_ids.clone()))
        .order_by_asc(letter::Column::Id)
        .all(conn)
        .await?;
    let letter_ids: Vec<i64> = lets.iter().map(|l| l.id).collect();
    out.letters = lets
        .into_iter()
        .map(|l| {
            json!({"id": l.id, "code": l.code, "request_id": l.request_id,
                   "request_version": l.request_version, "content": l.content,
                   "issued_at": l.issued_at, "issued_by": l.issued_by})
        })
        .collect();
    out.dmfa_declarations = dmfa_declaration::Entity::find()
        .filter(dmfa_declaration::Column::PersonId.eq(p.id))
        .order_by_asc(dmfa_declaration::Column::Quarter)
        .order_by_asc(dmfa_declaration::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|d| {
            json!({"id": d.id, "cpas_id": d.cpas_id, "employer": d.employer, "quarter": d.quarter,
                   "declaration": d.declaration, "imported_by": d.imported_by,
                   "imported_at": d.imported_at})
        })
        .collect();
    out.dmfa_resolutions = dmfa_resolution::Entity::find()
        .filter(dmfa_resolution::Column::RequestId.is_in(req_ids.clone()))
        .order_by_asc(dmfa_resolution::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| {
            json!({"id": r.id, "request_id": r.request_id, "typed_key": r.typed_key,
                   "dmfa_key": r.dmfa_key, "choice": r.choice, "justification": r.justification,
                   "decided_by": r.decided_by, "decided_at": r.decided_at})
        })
        .collect();
    let links = escalation_link::Entity::find()
        .filter(escalation_link::Column::RequestId.is_in(req_ids.clone()))
        .all(conn)
        .await?;
    let esc_ids: Vec<i64> = links.iter().map(|l| l.escalation_id).collect();
    out.escalations = escalation::Entity::find()
        .filter(escalation::Column::Id.is_in(esc_ids.clone()))
        .order_by_asc(escalation::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|e| {
            let request_id = links
                .iter()
                .find(|l| l.escalation_id == e.id)
                .map(|l| l.request_id);
            json!({"id": e.id, "ticket": e.ticket, "request_id": request_id,
                   "status": e.status, "description": e.description, "outcome": e.outcome,
                   "created_at": e.created_at})
        })
        .collect();
    out.audit = audit_about(
        conn,
        p.id,
        &[
            ("request", &req_ids),
            ("employment", &emp_ids),
            ("attachment", &att_ids),
            ("message", &msg_ids),
            ("letter", &letter_ids),
            ("escalation", &esc_ids),
        ],
    )
    .await?;
    Ok(())
}

fn request_json(r: &request::Model) -> Value {
    json!({
        "id": r.id, "reference": r.reference, "employment_id": r.employment_id,
        "cpas_id": r.cpas_id, "office_id": r.office_id, "status": r.status,
        "parent_id": r.parent_id, "copy_reason": r.copy_reason, "input": r.input,
        "contact_name": r.contact_name, "contact_email": r.contact_email,
        "contact_phone": r.contact_phone, "late_request": r.late_request,
        "received_on": r.received_on, "due_on": r.due_on, "sent_at": r.sent_at,
        "result": r.result, "engine_version": r.engine_version, "end_date": r.end_date,
        "first_benefit_date": r.first_benefit_date, "days_to_work": r.days_to_work,
        "provisional": r.provisional, "return_reason": r.return_reason,
        "decision": r.decision, "decision_justification": r.decision_justification,
        "override_end_date": r.override_end_date, "final_result": r.final_result,
        "decided_by": r.decided_by, "decided_at": r.decided_at, "version": r.version,
        "created_by": r.created_by, "created_at": r.created_at, "updated_at": r.updated_at,
    })
}

/// The audit entries naming the person, one of their records, or the person in a list read.
async fn audit_about<C: ConnectionTrait>(
    conn: &C,
    pid: i64,
    records: &[(&str, &Vec<i64>)],
) -> Result<Vec<EntryView>> {
    let mut cond = Condition::any()
        .add(audit_entry::Column::PersonId.eq(pid))
        .add(
            Condition::all()
                .add(audit_entry::Column::Entity.eq("person"))
                .add(audit_entry::Column::EntityId.eq(pid)),
        );
    for (entity, ids) in records {
        if !ids.is_empty() {
            cond = cond.add(
                Condition::all()
                    .add(audit_entry::Column::Entity.eq(*entity))
                    .add(audit_entry::Column::EntityId.is_in(ids.iter().copied())),
            );
        }
    }
    let mut seqs: BTreeSet<i64> = audit_entry::Entity::find()
        .select_only()
        .column(audit_entry::Column::Seq)
        .filter(cond)
        .into_tuple::<i64>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    // List reads name their persons in `after.ids` (a JSON array): read them page by page.
    let mut after = 0i64;
    loop {
        let page = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("list"))
            .filter(audit_entry::Column::Entity.eq("person"))
            .filter(audit_entry::Column::Seq.gt(after))
            .order_by_asc(audit_entry::Column::Seq)
            .limit(1000)
            .all(conn)
            .await?;
        let Some(last) = page.last().map(|e| e.seq) else {
            break;
        };
        for e in &page {
            let listed = e
                .after
                .as_ref()
                .and_then(|a| a.get("ids"))
                .and_then(Value::as_array)
                .is_some_and(|ids| ids.iter().any(|v| v.as_i64() == Some(pid)));
            if listed {
                seqs.insert(e.seq);
            }
        }
        after = last;
    }
    let mut out = Vec::with_capacity(seqs.len());
    let seqs: Vec<i64> = seqs.into_iter().collect();
    for chunk in seqs.chunks(500) {
        out.extend(
            audit_entry::Entity::find()
                .filter(audit_entry::Column::Seq.is_in(chunk.iter().copied()))
                .order_by_asc(audit_entry::Column::Seq)
                .all(conn)
                .await?
                .into_iter()
                .map(audit::view),
        );
    }
    Ok(out)
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => esc(s),
        Value::Object(_) | Value::Array(_) => format!(
            "<details><summary>…</summary><pre>{}</pre></details>",
            esc(&serde_json::to_string_pretty(v).unwrap_or_default())
        ),
        other => esc(&other.to_string()),
    }
}

fn table(title: &str, rows: &[Value]) -> String {
    let mut h = format!("<section><h2>{} ({})</h2>", esc(title), rows.len());
    if rows.is_empty() {
        h.push_str("<p>None.</p></section>");
        return h;
    }
    let cols: Vec<String> = rows
        .first()
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    h.push_str("<table><thead><tr>");
    for c in &cols {
        h.push_str(&format!("<th>{}</th>", esc(c)));
    }
    h.push_str("</tr></thead><tbody>");
    for r in rows {
        h.push_str("<tr>");
        for c in &cols {
            h.push_str(&format!(
                "<td>{}</td>",
                cell(r.get(c).unwrap_or(&Value::Null))
            ));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></section>");
    h
}

/// A self-contained, printable HTML page of the export (no script, no external resource).
pub fn html(x: &AccessExport) -> String {
    let mut h = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Access export (GDPR art. 15)</title><style>\
         body{font-family:sans-serif;margin:2em;font-size:14px}\
         table{border-collapse:collapse;width:100%;margin-bottom:1em}\
         th,td{border:1px solid #999;padding:3px 6px;text-align:left;vertical-align:top}\
         th{background:#eee}pre{white-space:pre-wrap;margin:0}\
         @media print{details{display:block}}</style></head><body>",
    );
    h.push_str("<h1>Personal data held by CPAS@ONEM art. 60 (GDPR art. 15)</h1>");
    h.push_str(&format!(
        "<p>Produced on {} by the data protection officer (audit entry {}).</p>",
        esc(&x.generated_at.to_rfc3339()),
        x.export_audit_seq
    ));
    match &x.person {
        None => h.push_str("<p><strong>No data is stored about this NISS.</strong></p>"),
        Some(p) => {
            h.push_str(&format!(
                "<section><h2>Identity</h2><table><tbody>\
                 <tr><th>NISS</th><td>{}</td></tr><tr><th>Last name</th><td>{}</td></tr>\
                 <tr><th>First name</th><td>{}</td></tr><tr><th>Birth date</th><td>{}</td></tr>\
                 <tr><th>Recorded on</th><td>{}</td></tr></tbody></table></section>",
                esc(&p.niss),
                esc(&p.last_name),
                esc(&p.first_name),
                p.birth_date,
                esc(&p.created_at.to_rfc3339())
            ));
        }
    }
    for (title, rows) in [
        ("CPAS following the person", &x.cpas),
        ("Employments", &x.employments),
        ("Derogations", &x.derogations),
        ("Requests (forms, results, decisions)", &x.requests),
        ("Attachments", &x.attachments),
        ("Messages", &x.messages),
        ("Letters", &x.letters),
        ("DmfA declarations", &x.dmfa_declarations),
        ("DmfA choices", &x.dmfa_resolutions),
        ("Escalations", &x.escalations),
    ] {
        h.push_str(&table(title, rows));
    }
    let audit: Vec<Value> = x
        .audit
        .iter()
        .map(|e| {
            json!({"seq": e.seq, "at": e.at, "user": e.actor_user_id, "role": e.actor_role,
                   "organisation": e.actor_org, "action": e.action, "record": e.entity,
                   "record_id": e.entity_id, "reason": e.reason})
        })
        .collect();
    h.push_str(&table(
        "Who read or changed these data (audit trail)",
        &audit,
    ));
    h.push_str("</body></html>");
    h
}
