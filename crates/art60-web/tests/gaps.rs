//! The portal over HTTP (no browser): the person on the officer's request page, the DmfA
//! section (tables, conflicts settled without JavaScript, sending blocked until then), the
//! engine's refusal codes in the reader's language, and the `Secure` cookie setting.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use art60_service::db::{person, request};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Browser, Portal, csrf, portal_with as portal};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tower::ServiceExt;

/// The demo request whose typed job overlaps the declared one (demo_dmfa).
async fn dmfa_request(p: &Portal) -> i64 {
    let person = person::Entity::find()
        .filter(person::Column::LastName.eq("Déclarée"))
        .one(&p.db.conn)
        .await
        .unwrap()
        .unwrap();
    request::Entity::find()
        .filter(request::Column::PersonId.eq(person.id))
        .one(&p.db.conn)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn cookies_are_secure_only_when_configured() {
    for secure in [false, true] {
        let p = portal(secure).await;
        let mut b = Browser::default();
        let page = b.get(&p, "/login").await;
        let login_cookies = page.cookies.clone();
        let r = b.login(&p, "cpas.namur").await;
        assert_eq!(r.location.as_deref(), Some("/dashboard"));
        let lang = b
            .post(&p, "/lang", &[("lang", "nl"), ("next", "/dashboard")])
            .await;
        let mut all: Vec<String> = login_cookies;
        all.extend(r.cookies.clone());
        all.extend(lang.cookies.clone());
        for name in ["art60_session=", "art60_lang="] {
            assert!(
                all.iter().any(|c| c.starts_with(name)),
                "{name} not set: {all:?}"
            );
        }
        assert!(!all.is_empty());
        for c in &all {
            let has = c.split(';').any(|a| a.trim() == "Secure");
            assert_eq!(has, secure, "{c}");
        }
        // The API's session cookie too.
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(format!(
                r#"{{"username":"cpas.namur","password":"{}"}}"#,
                p.accounts["cpas.namur"]
            )))
            .unwrap();
        let resp = p.app.clone().oneshot(req).await.unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
        let c = resp
            .headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(c.contains("; Secure"), secure, "{c}");
    }
}

#[tokio::test]
async fn dmfa_conflicts_are_shown_settled_and_then_the_request_is_sent() {
    let p = portal(false).await;
    let id = dmfa_request(&p).await;
    let path = format!("/requests/{id}");
    let mut w = Browser::default();
    w.login(&p, "cpas.namur").await;
    let page = w.get(&p, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    // French (the CPAS's language): the table per employer and quarter, the undeclared quarter
    // counted by the no-interruption rule, the conflict with its two choices.
    for text in [
        "Déclarations DmfA",
        "Employeur ONSS 1234567",
        "Déclaré",
        "non-interruption",
        "Conflits avec les périodes encodées",
        "Pas encore réglé",
        "Utiliser la DmfA",
        "Garder ma période",
        "Déclarée Emma",
    ] {
        assert!(page.body.contains(text), "{text} missing");
    }
    // The timeline draws the DmfA job on its own row.
    assert!(page.body.contains("(DmfA)") || !page.body.contains("<svg"));

    // Sending is refused; the message stands next to the typed period, translated.
    let token = csrf(&page.body);
    let version = page
        .body
        .split(r#"name="version" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let s = w
        .post(
            &p,
            &format!("{path}/send"),
            &[("csrf", &token), ("version", &version)],
        )
        .await;
    assert_eq!(s.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", s.body);
    let row = s.body.split(r#"id="history-0""#).nth(1).unwrap();
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("en conflit avec la DmfA"),
        "the error is next to the period: {row}"
    );

    // Keeping the period without a justification: refused, the error next to the field.
    let form_of = |choice: &'static str, why: &'static str| {
        move |token: String| {
            vec![
                ("csrf".to_owned(), token),
                ("manual".to_owned(), "0".to_owned()),
                ("dmfa".to_owned(), "0".to_owned()),
                ("choice".to_owned(), choice.to_owned()),
                ("justification".to_owned(), why.to_owned()),
            ]
        }
    };
    let f = form_of("keep_typed", "")(token.clone());
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = w.post(&p, &format!("{path}/dmfa/resolve"), &f).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains(r#"aria-invalid="true" aria-describedby="conflict-0-0-just-error""#)
    );
    assert!(
        r.body.contains("Justification : ce champ est obligatoire"),
        "{}",
        r.body
    );

    let f = form_of("use_dmfa", "")(token.clone());
    let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = w.post(&p, &format!("{path}/dmfa/resolve"), &f).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = w.get(&p, &path).await;
    assert!(page.body.contains("Votre choix a été enregistré"));
    assert!(page.body.contains("la DmfA est utilisée"));
    let s = w
        .post(
            &p,
            &format!("{path}/send"),
            &[("csrf", &token), ("version", &version)],
        )
        .await;
    assert_eq!(s.status, StatusCode::SEE_OTHER, "{}", s.body);

    // The officer of the office: who the request is about, the DmfA, the settlement and what
    // the calculation left out.
    let mut o = Browser::default();
    o.login(&p, "onem.namur").await;
    let page = o.get(&p, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Déclarée Emma",
        "15/06/1990",
        "Déclarations DmfA",
        "la DmfA est utilisée",
        "Écarté du dernier calcul",
    ] {
        assert!(page.body.contains(text), "{text} missing for the officer");
    }
    assert!(
        !page.body.contains("Garder ma période"),
        "the officer cannot settle"
    );
    // Another office sees nothing.
    let mut o2 = Browser::default();
    o2.login(&p, "onem.brussels").await;
    let page = o2.get(&p, &path).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn engine_refusals_are_shown_in_the_reader_language() {
    let p = portal(false).await;
    let mut w = Browser::default();
    w.login(&p, "cpas.namur").await;
    let page = w.get(&p, "/requests/new").await;
    let token = csrf(&page.body);
    // A history period that does not end before the contract start: refused by the engine's
    // input check (code history_not_before_reference_end), shown in French.
    let r = w
        .post(
            &p,
            "/simulate",
            &[
                ("csrf", &token),
                ("birth_date", "1990-01-25"),
                ("contract_start", "2026-12-01"),
                ("days_per_week", "5"),
                ("weekly_hours", "38"),
                ("reference_hours", "38"),
                ("h0_kind", "work"),
                ("h0_start", "2026-01-01"),
                ("h0_end", "2027-06-30"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body
            .contains("les périodes passées doivent finir avant le début du contrat"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("history must end before"), "{}", r.body);
}

/// Issue 14: a control character in any form field (the unauthenticated `/login` too) is
/// refused with 422 problem+json naming the field; PostgreSQL answered 500 on `\u0000`.
#[tokio::test]
async fn control_characters_in_forms_are_refused_on_both_databases() {
    for pg in common::backends() {
        let p = common::portal_on(pg.as_deref(), false).await;
        let mut b = Browser::default();
        let page = b.get(&p, "/login").await;
        let token = csrf(&page.body);
        let pw = p.accounts["cpas.namur"].clone();
        for (user, pass, field) in [
            ("cpas.namur\u{0}", pw.as_str(), "username"),
            ("cpas.namur", "\u{0}", "password"),
        ] {
            let r = b
                .post(
                    &p,
                    "/login",
                    &[("csrf", &token), ("username", user), ("password", pass)],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(v["errors"][0]["field"], field, "{v}");
            assert_eq!(v["errors"][0]["code"], "control_character", "{v}");
        }
        let r = b.login(&p, "cpas.namur").await;
        assert_eq!(r.location.as_deref(), Some("/dashboard"));
        let page = b.get(&p, "/support").await;
        let token = csrf(&page.body);
        let r = b
            .post(
                &p,
                "/support",
                &[
                    ("csrf", &token),
                    ("message", "the page\u{1b}[2J is blank"),
                    ("page", "/dashboard"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains(r#""field":"message""#), "{}", r.body);
        p.cleanup().await;
    }
}
