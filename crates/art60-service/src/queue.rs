//! The ONEM work queue of one office: sent requests by deadline, with due-soon and overdue
//! flags computed against the (injectable) clock.

use art60_rules::calendar;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::db::{Db, Role, Status, request};
use crate::error::{Result, ServiceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    OnTime,
    /// Due today or on the next working day.
    DueSoon,
    Overdue,
}

pub fn urgency(today: NaiveDate, due: NaiveDate) -> Urgency {
    if today > due {
        Urgency::Overdue
    } else if calendar::add_working_days(today, 1) >= due {
        Urgency::DueSoon
    } else {
        Urgency::OnTime
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueItem {
    pub id: i64,
    pub reference: String,
    pub cpas_id: i64,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    pub urgency: Urgency,
    pub late_request: bool,
    pub version: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    pub next_cursor: Option<String>,
}

/// Cursor over (due date, id): the queue is sorted by deadline, ties by id.
fn parse_cursor(c: Option<&str>) -> Result<Option<(NaiveDate, i64)>> {
    let Some(c) = c.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let bad = || ServiceError::invalid("cursor", "not a cursor this API issued");
    let rest = c.strip_prefix("due:").ok_or_else(bad)?;
    let (d, id) = rest.split_once('/').ok_or_else(bad)?;
    Ok(Some((
        d.parse().map_err(|_| bad())?,
        id.parse().map_err(|_| bad())?,
    )))
}

pub async fn list(
    db: &Db,
    today: NaiveDate,
    actor: &Actor,
    cursor: Option<&str>,
    limit: Option<u64>,
) -> Result<QueuePage> {
    let office = match (actor.role, actor.office_id) {
        (Role::OnemOfficer, Some(o)) => o,
        _ => {
            return Err(ServiceError::Forbidden(
                "the queue is for ONEM officers".into(),
            ));
        }
    };
    let limit = limit.unwrap_or(50);
    if limit == 0 || limit > 200 {
        return Err(ServiceError::invalid("limit", "1 to 200"));
    }
    // Only the listed columns: the rows also hold the form and the whole engine result (with
    // its trace), which a queue page must not drag along.
    let mut q = request::Entity::find()
        .select_only()
        .columns([
            request::Column::Id,
            request::Column::Reference,
            request::Column::CpasId,
            request::Column::ReceivedOn,
            request::Column::DueOn,
            request::Column::LateRequest,
            request::Column::Version,
        ])
        .filter(request::Column::OfficeId.eq(office))
        .filter(request::Column::Status.eq(Status::Sent))
        .order_by_asc(request::Column::DueOn)
        .order_by_asc(request::Column::Id)
        .limit(limit + 1);
    if let Some((due, id)) = parse_cursor(cursor)? {
        q = q.filter(
            Condition::any().add(request::Column::DueOn.gt(due)).add(
                Condition::all()
                    .add(request::Column::DueOn.eq(due))
                    .add(request::Column::Id.gt(id)),
            ),
        );
    }
    type Row = (
        i64,
        String,
        i64,
        Option<NaiveDate>,
        Option<NaiveDate>,
        bool,
        i32,
    );
    let mut rows: Vec<Row> = q.into_tuple().all(&db.conn).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let items: Vec<QueueItem> = rows
        .into_iter()
        .filter_map(
            |(id, reference, cpas_id, received_on, due_on, late_request, version)| {
                let (received_on, due_on) = (received_on?, due_on?);
                Some(QueueItem {
                    id,
                    reference,
                    cpas_id,
                    received_on,
                    due_on,
                    urgency: urgency(today, due_on),
                    late_request,
                    version,
                })
            },
        )
        .collect();
    let next_cursor = if more {
        items.last().map(|i| format!("due:{}/{}", i.due_on, i.id))
    } else {
        None
    };
    Ok(QueuePage { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn urgency_counts_working_days() {
        // Friday 2026-11-06: the next working day is Monday 2026-11-09.
        assert_eq!(urgency(d("2026-11-06"), d("2026-11-09")), Urgency::DueSoon);
        assert_eq!(urgency(d("2026-11-06"), d("2026-11-10")), Urgency::OnTime);
        assert_eq!(urgency(d("2026-11-10"), d("2026-11-09")), Urgency::Overdue);
        assert_eq!(urgency(d("2026-11-09"), d("2026-11-09")), Urgency::DueSoon);
        // Tuesday 2026-11-10: Armistice (Wed 11-11) is not a working day.
        assert_eq!(urgency(d("2026-11-10"), d("2026-11-12")), Urgency::DueSoon);
    }
}
