//! The ONEM office's queue.

use std::collections::BTreeMap;

use art60_service::api::AppState;
use art60_service::db::{Role, Status};
use art60_service::directory::{self};
use art60_service::persons::PageRequest;
use art60_service::queue;
use art60_service::requests::{self};
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
    cpas: String,
    received: String,
    due: String,
    class: &'static str,
    label: String,
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
                cpas: names.get(&r.cpas_id).cloned().unwrap_or_default(),
                received: opt_date(r.received_on),
                due: opt_date(r.due_on),
                class: "none",
                label: ctx.t(&labels::key("status", status.as_str())),
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
                cpas: names.get(&i.cpas_id).cloned().unwrap_or_default(),
                received: i.received_on.to_string(),
                due: i.due_on.to_string(),
                class: match code.as_str() {
                    "overdue" => "overdue",
                    "due_soon" => "due-soon",
                    _ => "on-time",
                },
                label: ctx.t(&labels::key("urgency", &code)),
            })
            .collect()
    };
    let mut items = items;
    let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
    let unread = art60_service::messages::unread_counts(&st.db, &actor, &ids)
        .await
        .map_err(|e| ctx.fail(e))?;
    for i in &mut items {
        i.unread = unread.get(&i.id).copied().unwrap_or(0);
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
