//! The ONEM work queue of one office: sent requests by deadline, with due-soon and overdue
//! flags computed against the (injectable) clock.

use art60_rules::{calendar, serde_date};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::db::{Db, Role, Status};
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
    #[serde(serialize_with = "serde_date::serialize")]
    pub received_on: NaiveDate,
    #[serde(serialize_with = "serde_date::serialize")]
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

/// One row of a queue page, as the database writes it in the page's JSON array.
#[derive(Deserialize)]
struct PageRow(
    i64,
    String,
    i64,
    #[serde(deserialize_with = "serde_date::optional")] Option<NaiveDate>,
    #[serde(deserialize_with = "serde_date::optional")] Option<NaiveDate>,
    Flag,
    i32,
);

/// A boolean as either database writes it in JSON: PostgreSQL `true`, SQLite `1`.
struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Flag, D::Error> {
        // A visitor of its own: an untagged enum buffers the value and tries each variant,
        // which was a twentieth of the server's time on a queue page (issue 16).
        struct FlagVisitor;
        impl serde::de::Visitor<'_> for FlagVisitor {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a boolean, or 0 or 1")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> std::result::Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Flag, E> {
                Ok(Flag(v != 0))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Flag, E> {
                Ok(Flag(v != 0))
            }
        }
        d.deserialize_any(FlagVisitor)
    }
}

/// The page's rows (at most `take`), sorted by deadline then id, after `cursor`.
///
/// The database returns the page as one JSON array in one row. Read row by row, each of the
/// page's 51 rows went through the SQLite driver's channel from its connection thread, every
/// value copied on the way: a fifth of the server's time on a queue page (issue 16,
/// BENCHMARKS.md "Case service"). Only the listed columns: a request row also holds the form
/// and the whole engine result, which a queue page must not drag along.
async fn page_rows(
    db: &Db,
    office: i64,
    cursor: Option<(NaiveDate, i64)>,
    take: u64,
) -> Result<Vec<PageRow>> {
    let backend = db.conn.get_database_backend();
    let sql = page_sql(backend, cursor.is_some(), take);
    let mut values: Vec<sea_orm::Value> = vec![office.into(), Status::Sent.to_string().into()];
    if let Some((due, id)) = cursor {
        values.push(due.into());
        values.push(id.into());
    }
    let row = db
        .reads
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let json: String = match row {
        Some(r) => r.try_get_by_index(0)?,
        None => return Ok(Vec::new()),
    };
    serde_json::from_str(&json).map_err(|e| sea_orm::DbErr::Json(format!("queue page: {e}")).into())
}

/// The statement of [`page_rows`]: parameters office id, status, then (with a cursor) its due
/// date and id. Read from the index `requests_queue_page` alone (m0020).
pub fn page_sql(backend: DbBackend, with_cursor: bool, take: u64) -> String {
    // Both dialects bind by position; SQLite reads `$N` as numbered parameters too.
    let after = if with_cursor {
        "AND (due_on > $3 OR (due_on = $3 AND id > $4))"
    } else {
        ""
    };
    let page = format!(
        "SELECT id, reference, cpas_id, received_on, due_on, late_request, version \
         FROM requests WHERE office_id = $1 AND status = $2 {after} \
         ORDER BY due_on, id LIMIT {take}"
    );
    match backend {
        DbBackend::Postgres => format!(
            "SELECT COALESCE(json_agg(json_build_array(id, reference, cpas_id, received_on, \
             due_on, late_request, version) ORDER BY due_on, id), '[]')::text FROM ({page}) p"
        ),
        _ => format!(
            "SELECT json_group_array(json_array(id, reference, cpas_id, received_on, due_on, \
             late_request, version) ORDER BY due_on, id) FROM ({page}) p"
        ),
    }
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
    let cursor = parse_cursor(cursor)?;
    let rows = page_rows(db, office, cursor, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    let items: Vec<QueueItem> = rows
        .into_iter()
        .take(limit as usize)
        .filter_map(
            |PageRow(id, reference, cpas_id, received_on, due_on, late_request, version)| {
                let (received_on, due_on) = (received_on?, due_on?);
                Some(QueueItem {
                    id,
                    reference,
                    cpas_id,
                    received_on,
                    due_on,
                    urgency: urgency(today, due_on),
                    late_request: late_request.0,
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

    #[test]
    fn a_page_row_reads_as_either_database_writes_it() {
        // PostgreSQL writes booleans as JSON booleans, SQLite as 0 and 1.
        let rows: Vec<PageRow> = serde_json::from_str(
            r#"[[7,"C60-7",3,"2026-11-02","2026-11-09",true,2],
                [8,"C60-8",3,null,null,false,1],
                [9,"C60-9",4,"2026-11-03","2026-11-10",1,1],
                [10,"C60-10",4,"2026-11-03","2026-11-10",0,1]]"#,
        )
        .unwrap();
        let flags: Vec<bool> = rows.iter().map(|r| r.5.0).collect();
        assert_eq!(flags, [true, false, true, false]);
        assert_eq!(rows[0].3, Some(d("2026-11-02")));
        assert_eq!(rows[0].4, Some(d("2026-11-09")));
        assert_eq!((rows[1].3, rows[1].4), (None, None));
        for bad in [
            r#"[[7,"C60-7",3,"2026-13-02","2026-11-09",true,2]]"#,
            r#"[[7,"C60-7",3,"2026-11-02","2026-11-09","yes",2]]"#,
        ] {
            assert!(serde_json::from_str::<Vec<PageRow>>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_queue_item_writes_its_dates_as_chrono_does() {
        let item = QueueItem {
            id: 1,
            reference: "C60-1".into(),
            cpas_id: 2,
            received_on: d("2026-11-02"),
            due_on: d("2026-11-09"),
            urgency: Urgency::OnTime,
            late_request: false,
            version: 1,
        };
        let v = serde_json::to_value(&item).unwrap();
        assert_eq!(v["received_on"], "2026-11-02");
        assert_eq!(v["due_on"], "2026-11-09");
    }

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
