//! The CPAS's dashboard: its requests by status and the second-calculation windows.

use art60_service::api::AppState;
use art60_service::db::{Role, Status};
use art60_service::persons::{self, PageRequest};
use art60_service::requests;
use askama::Template;
use axum::extract::State;
use chrono::{Duration, NaiveDate};

use crate::ctx::{Ctx, render};
use crate::labels;

use super::shared::*;

struct DashRow {
    id: i64,
    reference: String,
    /// The person's name (an audited read of the list's names).
    name: String,
    unread: i64,
    contract_start: String,
    received: String,
    due: String,
    end_date: String,
    /// What the CPAS does next with it, in words.
    next: String,
}

struct DashGroup {
    label: String,
    rows: Vec<DashRow>,
}

struct WindowRow {
    id: i64,
    reference: String,
    end_date: NaiveDate,
    from: NaiveDate,
    until: NaiveDate,
    class: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ctx: Ctx,
    groups: Vec<DashGroup>,
    windows: Vec<WindowRow>,
    notice: Option<String>,
}

/// How many days ahead "about to open" looks.
const WINDOW_LOOKAHEAD_DAYS: i64 = 14;

pub async fn dashboard(State(st): State<AppState>, ctx: Ctx) -> PageResult {
    // The dashboard is the CPAS's; anyone else signed in goes to their own start page (the
    // officer to the queue) instead of a refusal.
    if ctx
        .actor
        .as_ref()
        .is_some_and(|a| a.role != Role::CpasWorker)
    {
        return Ok(home(ctx).await);
    }
    let actor = ctx.require_role(Role::CpasWorker)?.clone();
    let page = PageRequest::parse(None, Some(PageRequest::MAX)).map_err(|e| ctx.fail(e))?;
    let list = requests::list(&st.db, &actor, None, page)
        .await
        .map_err(|e| ctx.fail(e))?;
    let today = st.clock.today_brussels();
    let ids: Vec<i64> = list.items.iter().map(|r| r.id).collect();
    let unread = art60_service::messages::unread_counts(&st.db, &actor, &ids)
        .await
        .map_err(|e| ctx.fail(e))?;
    let names = persons::names_for_requests(&st.db, st.clock.now(), &actor, &ids)
        .await
        .map_err(|e| ctx.fail(e))?;
    let proc_ = requests::procedure();
    let employments: Vec<i64> = list.items.iter().map(|r| r.employment_id).collect();
    let starts = requests::contract_starts(&st.db, &employments)
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut groups = Vec::new();
    for code in labels::STATUSES {
        let rows: Vec<DashRow> = list
            .items
            .iter()
            .filter(|r| r.status.as_str() == code)
            .map(|r| DashRow {
                id: r.id,
                unread: unread.get(&r.id).copied().unwrap_or(0),
                reference: r.reference.clone(),
                name: names.get(&r.id).cloned().unwrap_or_default(),
                contract_start: opt_date(starts.get(&r.employment_id).copied()),
                received: opt_date(r.received_on),
                due: opt_date(r.due_on),
                end_date: opt_date(r.final_end_date),
                next: ctx.t(&labels::key("next", code)),
            })
            .collect();
        if !rows.is_empty() {
            groups.push(DashGroup {
                label: ctx.t(&labels::key("status", code)),
                rows,
            });
        }
    }
    let mut windows = Vec::new();
    for r in list.items.iter().filter(|r| r.status == Status::Calculated) {
        // The window runs before the end that holds: ONEM's when it set one.
        let Some(end) = r.final_end_date else {
            continue;
        };
        let from = end - Duration::days(i64::from(proc_.second_calc_window_start_days));
        let until = end - Duration::days(i64::from(proc_.second_calc_window_end_days));
        let (class, key) = if from <= today && today <= until {
            ("due-soon", "window-open")
        } else if today < from && (from - today).num_days() <= WINDOW_LOOKAHEAD_DAYS {
            ("on-time", "window-soon")
        } else {
            continue;
        };
        windows.push(WindowRow {
            id: r.id,
            reference: r.reference.clone(),
            end_date: end,
            from,
            until,
            class,
            label: ctx.t(key),
        });
    }
    let notice = notice_of(&ctx, ctx.flash.as_deref());
    let lang = ctx.lang;
    Ok(render(
        lang,
        &DashboardPage {
            ctx,
            groups,
            windows,
            notice,
        },
    ))
}
