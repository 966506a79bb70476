//! The ONEM office's queue.

use std::collections::BTreeMap;

use art60_service::api::AppState;
use art60_service::db::{Role, Status};
use art60_service::directory;
use art60_service::persons::{self, PageRequest};
use art60_service::queue;
use art60_service::requests;
use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

use crate::ctx::{Ctx, render};
use crate::labels;

use super::shared::*;

#[derive(Deserialize, Default)]
/// The queue's filters.
pub struct QueueQuery {
    #[serde(default)]
    cpas: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

struct QueueRow {
    id: i64,
    reference: String,
    unread: i64,
    /// The person's name (an audited read of the list's names).
    name: String,
    cpas: String,
    contract_start: String,
    received: String,
    due: String,
    /// The deadline's badge (class, label), for what waits for an answer.
    urgency: Option<(&'static str, String)>,
    status: String,
    /// What the office does next with it, in words.
    next: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    ctx: Ctx,
    items: Vec<QueueRow>,
    cpas_options: Vec<(i64, String, bool)>,
    urgency_options: Vec<(&'static str, String, bool)>,
    status_options: Vec<(&'static str, String, bool)>,
    notice: Option<String>,
}

pub async fn queue_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Query(q): Query<QueueQuery>,
) -> PageResult {
    let actor = ctx.require_role(Role::OnemOfficer)?.clone();
    let today = st.clock.today_brussels();
    let page = queue::list(&st.db, today, &actor, None, Some(PageRequest::MAX))
        .await
        .map_err(|e| ctx.fail(e))?;
    let names: BTreeMap<i64, String> = directory::list_cpas(&st.db, &actor)
        .await
        .map_err(|e| ctx.fail(e))?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let cpas_filter: Option<i64> = q.cpas.as_deref().and_then(|s| s.parse().ok());
    let urgency_filter = q
        .urgency
        .as_deref()
        .filter(|u| labels::URGENCIES.contains(u));
    // The queue proper is what waits for an answer (sent); the other statuses come from the
    // office's request list, without deadline badges.
    let status_filter = q
        .status
        .as_deref()
        .filter(|s| ["returned", "calculated"].contains(s));
    let items: Vec<QueueRow> = if let Some(status) = status_filter {
        let status = if status == "returned" {
            Status::Returned
        } else {
            Status::Calculated
        };
        let pr = PageRequest::parse(None, Some(PageRequest::MAX)).map_err(|e| ctx.fail(e))?;
        requests::list(&st.db, &actor, Some(status), pr)
            .await
            .map_err(|e| ctx.fail(e))?
            .items
            .into_iter()
            .filter(|r| cpas_filter.is_none_or(|c| c == r.cpas_id))
            .map(|r| QueueRow {
                id: r.id,
                unread: 0,
                reference: r.reference,
                name: String::new(),
                cpas: names.get(&r.cpas_id).cloned().unwrap_or_default(),
                contract_start: String::new(),
                received: opt_date(r.received_on),
                due: opt_date(r.due_on),
                urgency: None,
                status: ctx.t(&labels::key("status", status.as_str())),
                next: ctx.t(&labels::key("onem-next", status.as_str())),
            })
            .collect()
    } else {
        page.items
            .into_iter()
            .filter(|i| cpas_filter.is_none_or(|c| c == i.cpas_id))
            .map(|i| {
                let code = labels::code(&i.urgency);
                (i, code)
            })
            .filter(|(_, code)| urgency_filter.is_none_or(|u| u == code))
            .map(|(i, code)| QueueRow {
                id: i.id,
                unread: 0,
                reference: i.reference,
                name: String::new(),
                cpas: names.get(&i.cpas_id).cloned().unwrap_or_default(),
                contract_start: String::new(),
                received: crate::i18n::date(i.received_on),
                due: crate::i18n::date(i.due_on),
                urgency: Some((
                    match code.as_str() {
                        "overdue" => "overdue",
                        "due_soon" => "due-soon",
                        _ => "on-time",
                    },
                    ctx.t(&labels::key("urgency", &code)),
                )),
                status: ctx.t("status-sent"),
                next: ctx.t("onem-next-sent"),
            })
            .collect()
    };
    let mut items = items;
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let unread = art60_service::messages::unread_counts(&st.db, &actor, &ids)
        .await
        .map_err(|e| ctx.fail(e))?;
    let people = persons::names_for_requests(&st.db, st.clock.now(), &actor, &ids)
        .await
        .map_err(|e| ctx.fail(e))?;
    let starts = requests::contract_starts_by_request(&st.db, &actor, &ids)
        .await
        .map_err(|e| ctx.fail(e))?;
    for i in &mut items {
        i.unread = unread.get(&i.id).copied().unwrap_or(0);
        i.name = people.get(&i.id).cloned().unwrap_or_default();
        i.contract_start = opt_date(starts.get(&i.id).copied());
    }
    let page = QueuePage {
        cpas_options: names
            .iter()
            .map(|(id, n)| (*id, n.clone(), cpas_filter == Some(*id)))
            .collect(),
        urgency_options: labels::URGENCIES
            .iter()
            .map(|u| {
                (
                    *u,
                    ctx.t(&labels::key("urgency", u)),
                    urgency_filter == Some(*u),
                )
            })
            .collect(),
        status_options: ["sent", "returned", "calculated"]
            .iter()
            .map(|c| {
                let selected = status_filter.map_or(*c == "sent", |s| s == *c);
                (*c, ctx.t(&labels::key("status", c)), selected)
            })
            .collect(),
        notice: notice_of(&ctx, ctx.flash.as_deref()),
        items,
        ctx,
    };
    Ok(render(page.ctx.lang, &page))
}
