#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The officer sees who a sent request is about; DmfA conflicts block sending until settled;
//! a later import recalculates sent requests and marks calculated ones; only the quarters
//! needed are stored; the Secure cookie setting. SQLite always; PostgreSQL when
//! ART60_TEST_DATABASE_URL is set.

mod common;

use art60_dmfa::PersonDeclaration;
use art60_rules::units::Hundredths;
use art60_service::auth::Actor;
use art60_service::db::{audit_entry, request_engine_input, user};
use art60_service::dmfa::{self, Importer};
use art60_service::{Clock, audit};
use axum::http::{Method, StatusCode};
use common::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const SAMPLE: &str = "../../../shared/data/dmfa/DmfAOriginal_20222_1.xml";
/// A person declared in SAMPLE (born 1977-10-15), work in 2022Q2.
const DECLARED: &str = "77101500172";

fn sample() -> Vec<u8> {
    std::fs::read(format!("{}/{SAMPLE}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn declared_persons() -> Vec<PersonDeclaration> {
    art60_dmfa::parse_bytes(&sample())
        .unwrap()
        .persons
        .into_iter()
        .filter(|p| p.niss.expose() == DECLARED)
        .collect()
}

async fn actor(t: &TestApp, username: &str) -> Actor {
    let u = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&t.db.conn)
        .await
        .unwrap()
        .unwrap();
    Actor::from_user(&u)
}

/// The declared person in CPAS A with a draft typing `history`.
async fn declared_draft(t: &TestApp, history: Value) -> (i64, i64, String) {
    let (p, _, r) = t
        .draft_of(
            &t.a,
            json!({"niss": DECLARED, "last_name": "Test", "first_name": "Declared", "birth_date": "1977-10-15"}),
            "2024-07-01",
            Some(history),
        )
        .await;
    (p.id(), r.id(), r.etag())
}

async fn audit_actions(t: &TestApp, entity_id: i64) -> Vec<String> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::EntityId.eq(entity_id))
        .all(&t.db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{}:{}", e.entity, e.action))
        .collect()
}

#[tokio::test]
async fn the_officer_sees_the_person_once_the_request_is_sent() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        let r = t.draft(&t.a, NISS_1).await;
        let pid = r.body["person_id"].as_i64().unwrap();
        let path = format!("/api/v1/persons/{pid}");
        // A draft never left the CPAS: the office does not know the person.
        let g = t.call(Method::GET, &path, &t.a.officer, None).await;
        assert_eq!(g.status, StatusCode::NOT_FOUND, "{}", g.body);
        let s = t.act(&t.a.worker, r.id(), "send", &r.etag(), None).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        let g = t.call(Method::GET, &path, &t.a.officer, None).await;
        assert_eq!(g.status, StatusCode::OK, "{}", g.body);
        assert_eq!(g.body["niss"], NISS_1);
        assert_eq!(g.body["last_name"], "Test");
        assert_eq!(g.body["birth_date"], "1995-03-10");
        // Another office, the SPOCs and the administrator still do not.
        for who in [
            &t.b.officer,
            &t.fed_spoc,
            &t.onem_spoc,
            &t.admin,
            &t.b.worker,
        ] {
            let g = t.call(Method::GET, &path, who, None).await;
            assert_eq!(g.status, StatusCode::NOT_FOUND, "{}", g.body);
        }
        // The officer's read is audited with the office as organisation.
        let reads = audit_entry::Entity::find()
            .filter(audit_entry::Column::Entity.eq("person"))
            .filter(audit_entry::Column::Action.eq("read"))
            .filter(audit_entry::Column::PersonId.eq(pid))
            .all(&t.db.conn)
            .await
            .unwrap();
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].actor_role.as_deref(), Some("onem_officer"));
        assert_eq!(
            reads[0].actor_org.as_deref(),
            Some(format!("office:{}", t.a.office).as_str())
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn unresolved_conflicts_block_sending_until_the_cpas_settles_each() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2024-06-10"));
        // The typed job duplicates the declared one (2022Q2); a typed detention in 2023
        // contradicts the declared job, which runs on (undeclared quarters) to the contract.
        let (_p, rid, etag) = declared_draft(
            &t,
            json!([
                {"kind": "work", "start": "2022-04-01", "end": "2022-06-30"},
                {"kind": "detention", "start": "2023-01-02", "end": "2023-01-20"}
            ]),
        )
        .await;
        let worker_a = actor(&t, "worker.namur").await;
        let rep = dmfa::import(&t.db, t.clock.now(), Importer::User(&worker_a), sample())
            .await
            .unwrap();
        assert!(rep.imported >= 1, "{rep:?}");
        let view_path = format!("/api/v1/requests/{rid}/dmfa");
        let v = t.call(Method::GET, &view_path, &t.a.worker, None).await;
        let conflicts = v.body["conflicts"].as_array().unwrap().clone();
        for manual in [0, 1] {
            assert!(
                conflicts.iter().any(|c| c["manual"] == manual),
                "no conflict on typed[{manual}]: {conflicts:?}"
            );
        }
        assert!(conflicts.iter().all(|c| c["resolution"].is_null()));

        // Sending is refused, one error per conflict on the typed period.
        let s = t.act(&t.a.worker, rid, "send", &etag, None).await;
        assert_eq!(s.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", s.body);
        let errors = s.body["errors"].as_array().unwrap();
        assert_eq!(errors.len(), conflicts.len(), "{}", s.body);
        let fields: Vec<&str> = errors
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&"input.history[0]"), "{fields:?}");
        assert!(fields.contains(&"input.history[1]"), "{fields:?}");
        assert!(
            errors
                .iter()
                .all(|e| e["code"] == "dmfa_conflict_unresolved")
        );

        let path = format!("/api/v1/requests/{rid}/dmfa/resolutions");
        let det = conflicts.iter().find(|c| c["manual"] == 1).unwrap();
        // Keeping the typed period needs a justification.
        let body = json!({"manual": 1, "dmfa": det["dmfa"], "choice": "keep_typed"});
        let r = t
            .call(Method::POST, &path, &t.a.worker, Some(body.clone()))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "justification");
        // Other organisations do not see the request; officers never see a draft.
        for who in [&t.b.worker, &t.a.officer, &t.admin] {
            let r = t.call(Method::POST, &path, who, Some(body.clone())).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        }
        // A pair that is not in conflict.
        let r = t
            .call(
                Method::POST,
                &path,
                &t.a.worker,
                Some(json!({"manual": 0, "dmfa": 99, "choice": "use_dmfa"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

        // The duplicate: use the DmfA. The detention: keep it (the DmfA quarter goes).
        let mut last = None;
        for c in &conflicts {
            let body = if c["manual"] == 0 {
                json!({"manual": 0, "dmfa": c["dmfa"], "choice": "use_dmfa"})
            } else {
                json!({"manual": 1, "dmfa": c["dmfa"], "choice": "keep_typed",
                    "justification": "prison certificate of 2023-01-21"})
            };
            let r = t.call(Method::POST, &path, &t.a.worker, Some(body)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            last = Some(r.body);
        }
        let last = last.unwrap();
        let settled = last["conflicts"].as_array().unwrap();
        assert!(
            settled.iter().all(|c| !c["resolution"].is_null()),
            "{settled:?}"
        );

        let s = t.act(&t.a.worker, rid, "send", &etag, None).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        // The engine input: the typed job left out (the declared one counts once), the typed
        // detention kept, the declared job without 2023Q1.
        let input = request_engine_input::Entity::find_by_id(rid)
            .one(&t.db.conn)
            .await
            .unwrap()
            .unwrap()
            .input;
        let history = input["history"].as_array().unwrap();
        let kinds: Vec<(String, String)> = history
            .iter()
            .map(|h| {
                (
                    h["kind"].as_str().unwrap().to_owned(),
                    h["source"].as_str().unwrap_or("manual").to_owned(),
                )
            })
            .collect();
        assert!(
            kinds.contains(&("detention".into(), "manual".into())),
            "{kinds:?}"
        );
        assert!(
            !kinds.contains(&("work".into(), "manual".into())),
            "{kinds:?}"
        );
        assert!(kinds.contains(&("work".into(), "dmfa".into())), "{kinds:?}");
        assert!(
            history.iter().all(|h| h["source"] != "dmfa"
                || h["end"].as_str().unwrap() < "2023-01-01"
                || h["start"].as_str().unwrap() > "2023-03-31"),
            "a DmfA period still covers 2023Q1: {history:?}"
        );
        // Shown to the officer: the resolutions and what was left out, and why.
        let v = t.call(Method::GET, &view_path, &t.a.officer, None).await;
        assert_eq!(v.status, StatusCode::OK, "{}", v.body);
        assert!(
            v.body["conflicts"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| !c["resolution"].is_null())
        );
        let left = v.body["left_out"].as_array().unwrap();
        assert_eq!(left.len(), conflicts.len(), "{left:?}");
        assert!(
            left.iter()
                .any(|l| l["source"] == "manual" && l["choice"] == "use_dmfa")
        );
        assert!(left.iter().any(|l| l["source"] == "dmfa"
            && l["choice"] == "keep_typed"
            && l["from"] == "2023-01-01"
            && l["to"] == "2023-03-31"
            && l["justification"] == "prison certificate of 2023-01-21"));
        // Settling is closed once sent.
        let r = t
            .call(
                Method::POST,
                &path,
                &t.a.worker,
                Some(json!({"manual": 0, "dmfa": 0, "choice": "use_dmfa"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let actions = audit_actions(&t, rid).await;
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "request:resolve_dmfa_conflict")
                .count(),
            conflicts.len(),
            "{actions:?}"
        );
        assert_eq!(audit::verify(&t.db.conn).await.unwrap().first_broken, None);
        t.finish().await;
    }
}

/// The sample's declarations of DECLARED with one service day less (a correction).
fn corrected() -> Vec<PersonDeclaration> {
    let mut v = declared_persons();
    let s = &mut v[0].worker_records[0].occupations[0].services[0];
    s.days = Hundredths(s.days.raw() / 2);
    v
}

#[tokio::test]
async fn a_later_import_recalculates_sent_requests_and_marks_calculated_ones() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2024-06-10"));
        let (_p, rid, etag) = declared_draft(&t, json!([])).await;
        let worker_a = actor(&t, "worker.namur").await;
        dmfa::import(&t.db, t.clock.now(), Importer::User(&worker_a), sample())
            .await
            .unwrap();
        let s = t.act(&t.a.worker, rid, "send", &etag, None).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        let version = s.body["version"].as_i64().unwrap();
        let sent_input = request_engine_input::Entity::find_by_id(rid)
            .one(&t.db.conn)
            .await
            .unwrap()
            .unwrap();

        // The same file again changes nothing: no recalculation.
        let rep = dmfa::import(&t.db, t.clock.now(), Importer::Operator, sample())
            .await
            .unwrap();
        assert_eq!(rep.recalculated, 0, "{rep:?}");
        let g = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{rid}"),
                &t.a.officer,
                None,
            )
            .await;
        assert_eq!(g.body["version"].as_i64().unwrap(), version);

        // A correction: the sent request is recalculated and marked for the officer.
        // (Within the sessions' lifetime.)
        t.clock.set(at("2024-06-10") + chrono::Duration::hours(1));
        let rep = dmfa::store_read(
            &t.db,
            t.clock.now(),
            Importer::Operator,
            corrected(),
            vec![],
            None,
        )
        .await
        .unwrap();
        assert_eq!((rep.replaced, rep.recalculated), (1, 1), "{rep:?}");
        let g = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{rid}"),
                &t.a.officer,
                None,
            )
            .await;
        assert_eq!(g.body["status"], "sent");
        assert_eq!(g.body["version"].as_i64().unwrap(), version + 1);
        let new_input = request_engine_input::Entity::find_by_id(rid)
            .one(&t.db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(
            new_input.input, sent_input.input,
            "the new DmfA is in the input"
        );
        assert!(new_input.created_at > sent_input.created_at);
        let v = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{rid}/dmfa"),
                &t.a.officer,
                None,
            )
            .await;
        assert_eq!(
            v.body["dmfa_changed"]["outcome"], "recalculated",
            "{}",
            v.body
        );
        assert!(
            audit_actions(&t, rid)
                .await
                .contains(&"request:recalculate".to_owned())
        );

        // Decided, it never changes again; a newer import only adds a notice.
        let d = t
            .act(
                &t.a.officer,
                rid,
                "decide",
                &g.etag(),
                Some(json!({"decision": "override", "end_date": "2025-06-30",
                    "justification": "checked with the employer"})),
            )
            .await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);
        let rep = dmfa::store_read(
            &t.db,
            t.clock.now(),
            Importer::Operator,
            declared_persons(),
            vec![],
            None,
        )
        .await;
        // The person has no open request any more: nothing is stored, nothing changes.
        assert_eq!(rep.unwrap().replaced, 0);
        // With a new draft for the same person the import is stored again and the decided
        // request only gets the notice.
        let copy = t
            .act(
                &t.a.worker,
                rid,
                "copy",
                &d.etag(),
                Some(json!({"reason": "contract_changed"})),
            )
            .await;
        assert_eq!(copy.status, StatusCode::CREATED, "{}", copy.body);
        let rep = dmfa::store_read(
            &t.db,
            t.clock.now(),
            Importer::Operator,
            declared_persons(),
            vec![],
            None,
        )
        .await
        .unwrap();
        assert_eq!((rep.replaced, rep.recalculated), (1, 0), "{rep:?}");
        let after = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{rid}"),
                &t.a.officer,
                None,
            )
            .await;
        assert_eq!(after.body["status"], "calculated");
        assert_eq!(after.body["version"], d.body["version"]);
        assert_eq!(after.body["result"], d.body["result"]);
        let v = t
            .call(
                Method::GET,
                &format!("/api/v1/requests/{rid}/dmfa"),
                &t.a.officer,
                None,
            )
            .await;
        assert_eq!(
            v.body["dmfa_changed"]["outcome"], "newer_dmfa",
            "{}",
            v.body
        );
        assert_eq!(audit::verify(&t.db.conn).await.unwrap().first_broken, None);
        t.finish().await;
    }
}

#[tokio::test]
async fn only_the_quarters_needed_are_stored() {
    for backend in backends() {
        let t = TestApp::new(backend).await;
        t.clock.set(at("2024-06-10"));
        let (pid, _rid, _) = declared_draft(&t, json!([])).await;
        // The same declarations moved to 1980Q1: before anything a contract starting on
        // 2024-07-01 can look at (the bound comes from the parameters, see dmfa_scope).
        let bound = art60_service::dmfa_scope::first_needed_quarter(
            art60_rules::params::ParamSet::embedded(),
            d("2024-07-01"),
            &[],
        );
        let old: art60_rules::input::Quarter = "1980Q1".parse().unwrap();
        assert!(old.index() < bound.index(), "{bound}");
        let mut decls = declared_persons();
        let n = decls.len() as u64;
        let mut moved = decls.clone();
        for p in &mut moved {
            p.quarter = old;
        }
        decls.extend(moved);
        let rep = dmfa::store_read(
            &t.db,
            t.clock.now(),
            Importer::Operator,
            decls,
            vec![],
            None,
        )
        .await
        .unwrap();
        assert_eq!((rep.imported, rep.quarters_not_needed), (n, n), "{rep:?}");
        let stored = dmfa::declarations(&t.db.conn, pid).await.unwrap();
        assert!(stored.iter().all(|p| p.quarter != old));
        // The report holds counts only (no NISS, no name).
        let text = serde_json::to_string(&rep).unwrap();
        assert!(!text.contains(DECLARED));
        t.finish().await;
    }
}
