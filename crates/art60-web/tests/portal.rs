//! The portal over HTTP (no browser): an in-process app on a temporary SQLite database
//! seeded with the demonstration data, driven with form posts and a small cookie jar.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use art60_service::Clock;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{TimeZone, Utc};
use common::{Browser, Portal, csrf, main_of, portal};
use tower::ServiceExt;

const NISS: &str = "90012503347";

fn request_form<'a>(token: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", token),
        ("action", action),
        ("niss", NISS),
        ("last_name", "Testperson"),
        ("first_name", "Eve"),
        ("birth_date", "1990-01-25"),
        ("contract_start", "2026-12-01"),
        ("days_per_week", "5"),
        ("weekly_hours", "38"),
        ("reference_hours", "38"),
        ("h0_kind", "work"),
        ("h0_start", "2024-01-01"),
        ("h0_end", "2024-06-30"),
        ("h1_kind", "foreign_work"),
        ("h1_start", "2024-07-01"),
        ("h1_end", "2024-09-30"),
        ("h1_country", "FR"),
        ("contact_name", "Service insertion"),
        ("contact_email", "insertion@cpas.example"),
    ]
}

#[tokio::test]
async fn pages_before_login_follow_accept_language() {
    let p = portal().await;
    for (accept, lang, word) in [
        ("nl-BE,nl;q=0.9", "nl", "Aanmelden"),
        ("de", "de", "Anmelden"),
        ("fr", "fr", "Connexion"),
        ("en-GB", "en", "Sign in"),
    ] {
        let mut b = Browser {
            lang: Some(accept),
            ..Default::default()
        };
        let r = b.get(&p, "/login").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains(&format!(r#"<html lang="{lang}">"#)),
            "{accept}"
        );
        assert!(r.body.contains(word), "{accept}: {word}");
        assert!(
            r.body
                .contains(r#"href="/static/vendor/htmx-2.0.11.min.js""#)
                || r.body
                    .contains(r#"src="/static/vendor/htmx-2.0.11.min.js""#)
        );
        assert!(!r.body.contains("https://"), "no external asset");
        let csp = r.headers.get("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"));
    }
}

/// The law book (issue 12 part E) is public: no login, the law only (no case, no person),
/// in the visitor's language, for the date asked.
#[tokio::test]
async fn the_law_book_is_public_and_shows_the_rules_of_the_date() {
    let p = portal().await;
    let mut b = Browser {
        lang: Some("fr"),
        ..Default::default()
    };
    let r = b.get(&p, "/law?at=2025-06-01").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(r#"<html lang="fr">"#));
    assert!(r.body.contains("Le livre de la loi"));
    // An article title, a parameter value in force on that date, its validity and an option.
    assert!(
        r.body
            .contains("Statut : temps plein, assimilé à temps plein ou temps partiel volontaire")
    );
    assert!(
        r.body.contains("<td>1994.18</td>"),
        "reference wage in force"
    );
    assert!(r.body.contains("en vigueur du 2012-11-01 au 2026-02-28"));
    assert!(r.body.contains("<code>quarter_cap_method</code>"));
    assert!(r.body.contains(r#"value="2025-06-01""#));
    assert!(!r.body.contains("Se déconnecter"), "nobody is signed in");
    // The new regime's book, in Dutch: art. 32 repealed, the duration of the right in force.
    let mut b = Browser {
        lang: Some("nl"),
        ..Default::default()
    };
    let r = b.get(&p, "/law?at=2026-06-01").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Duur van het recht (ter informatie)"));
    assert!(r.body.contains("art. 32 is opgeheven"));
    assert!(
        r.body
            .contains("<th scope=\"row\"><code>base_months</code></th><td>12</td>")
    );
    // Without a date: the portal's today (2026-11-20 on the test clock).
    let r = b.get(&p, "/law").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(r#"value="2026-11-20""#));
    // A date that is not one: today's book, the error next to the field.
    let r = b.get(&p, "/law?at=2026-02-30").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains(r#"aria-invalid="true""#));
    assert!(r.body.contains(r#"id="at-err""#));
    assert!(r.body.contains(r#"value="2026-02-30""#));
    // Linked from every page's footer.
    let r = b.get(&p, "/login").await;
    assert!(
        r.body
            .contains(r#"<a href="/law">Het wetboek van de rekenmotor</a>"#)
    );
}

#[tokio::test]
async fn language_switch_overrides_everything() {
    let p = portal().await;
    let mut b = Browser {
        lang: Some("fr"),
        ..Default::default()
    };
    let r = b
        .post(&p, "/lang", &[("lang", "de"), ("next", "/directory")])
        .await;
    assert_eq!(r.location.as_deref(), Some("/directory"));
    let r = b.get(&p, "/directory").await;
    assert!(r.body.contains(r#"<html lang="de">"#));
    assert!(r.body.contains("LfA-Büros"));
    assert!(r.body.contains("admissibilite.namur@onem.be"));
    // Not an open redirect.
    let r = b
        .post(&p, "/lang", &[("lang", "nl"), ("next", "//evil.example")])
        .await;
    assert_eq!(r.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn login_needs_the_form_token_and_the_right_password() {
    let p = portal().await;
    let mut b = Browser::default();
    let r = b
        .post(
            &p,
            "/login",
            &[
                ("csrf", "forged"),
                ("username", "cpas.namur"),
                ("password", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let page = b.get(&p, "/login").await;
    let token = csrf(&page.body);
    let r = b
        .post(
            &p,
            "/login",
            &[
                ("csrf", &token),
                ("username", "cpas.namur"),
                ("password", "Wr0ngPassw0rd"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.body
            .contains("Nom d&#39;utilisateur ou mot de passe incorrect")
            || r.body
                .contains("Nom d'utilisateur ou mot de passe incorrect")
    );
    assert!(
        !r.body.contains("Wr0ngPassw0rd"),
        "the password is not echoed"
    );
    let r = b.login(&p, "cpas.namur").await;
    assert_eq!(r.location.as_deref(), Some("/dashboard"));
    assert!(
        r.cookies
            .iter()
            .any(|c| c.starts_with("art60_session=") && c.contains("HttpOnly"))
    );
}

#[tokio::test]
async fn error_pages_are_translated_html() {
    let p = portal().await;
    let mut b = Browser {
        lang: Some("nl"),
        ..Default::default()
    };
    let r = b.get(&p, "/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Pagina niet gevonden"), "{}", r.body);
    assert!(r.headers.contains_key("content-security-policy"));
    // Pages that need a session send to the login page.
    let r = b.get(&p, "/dashboard").await;
    assert_eq!(r.location.as_deref(), Some("/login"));
    // A worker asking for the officers' queue: 403.
    b.login(&p, "ocmw.brussel").await;
    let r = b.get(&p, "/queue").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Toegang geweigerd"));
    // Another CPAS's request: 404, as if it did not exist.
    let r = b.get(&p, "/requests/1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A form without the session's token: refused.
    let r = b
        .post(&p, "/requests/new", &[("csrf", "x"), ("action", "save")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn rows_are_added_and_removed_without_javascript_and_nothing_is_lost() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "cpas.namur").await;
    let page = b.get(&p, "/requests/new").await;
    let token = csrf(main_of(&page.body));
    let mut form = request_form(&token, "add_history");
    let r = b.post(&p, "/requests/new", &form).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(r#"name="h2_kind""#), "a third row");
    assert!(
        r.body.contains(r#"<select autofocus id="h2_kind""#),
        "focus on the new row"
    );
    assert!(
        r.body.contains(r#"value="Testperson""#),
        "typed values kept"
    );
    form[1] = ("action", "remove_history:0");
    let r = b.post(&p, "/requests/new", &form).await;
    assert!(!r.body.contains(r#"name="h1_kind""#), "one row left");
    assert!(
        r.body.contains(r#"value="FR""#),
        "the remaining row is the second one"
    );
    // Errors next to the field, linked, in the CPAS's language; typed text kept.
    let mut bad = request_form(&token, "send");
    bad[5] = ("birth_date", "25/01/1990");
    bad[2] = ("niss", "90012503348");
    let r = b.post(&p, "/requests/new", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(r#"aria-describedby="birth_date-err""#));
    assert!(r.body.contains(
        r#"id="birth_date-err">Date de naissance : encodez une date au format AAAA-MM-JJ.</p>"#
    ));
    assert!(r.body.contains(r#"id="niss-err""#));
    assert!(r.body.contains(r#"value="25/01/1990""#));
}

#[tokio::test]
async fn simulation_fragment_shows_the_engine_result() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "cpas.namur").await;
    let page = b.get(&p, "/requests/new").await;
    let token = csrf(main_of(&page.body));
    let mut form = request_form(&token, "");
    form.extend([
        ("a0_kind", "insured_sickness"),
        ("a0_start", "2027-02-01"),
        ("a0_end", "2027-03-31"),
    ]);
    let r = b.post(&p, "/simulate", &form).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.starts_with(r#"<h2 id="sim-title">Simulation</h2>"#),
        "a fragment: {}",
        &r.body[..80.min(r.body.len())]
    );
    assert!(r.body.contains("Le contrat peut se terminer le"));
    assert!(r.body.contains(r#"role="img""#), "timeline");
    let r = b
        .post(
            &p,
            "/check/niss",
            &[("csrf", &token), ("niss", "90.01.25-033.47")],
        )
        .await;
    assert!(r.body.contains("NISS valide"));
}

#[tokio::test]
async fn end_to_end_send_override_and_see_the_result() {
    let p = portal().await;
    let mut worker = Browser::default();
    worker.login(&p, "cpas.namur").await;
    let page = worker.get(&p, "/requests/new").await;
    let token = csrf(main_of(&page.body));
    let r = worker
        .post(&p, "/requests/new", &request_form(&token, "send"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location.unwrap();
    assert!(
        !to.contains(NISS) && !to.contains("Testperson"),
        "no personal data in URLs"
    );
    let id: i64 = to
        .trim_start_matches("/requests/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = worker.get(&p, &to).await;
    assert!(
        r.body.contains("La demande a été envoyée à l&#39;ONEM")
            || r.body.contains("La demande a été envoyée à l'ONEM")
    );
    let reference = r.body.split("Demande A60-").nth(1).unwrap()[..11].to_owned();
    assert!(
        !worker.get(&p, &to).await.body.contains("a été envoyée"),
        "the message is shown once"
    );
    let reference = format!("A60-{reference}");

    let mut officer = Browser::default();
    let r = officer.login(&p, "onem.namur").await;
    assert_eq!(r.location.as_deref(), Some("/queue"));
    let q = officer.get(&p, "/queue").await;
    assert!(q.body.contains(&reference), "in the queue");
    let page = officer.get(&p, &format!("/requests/{id}")).await;
    assert!(page.body.contains("CPAS de Namur") && page.body.contains("insertion@cpas.example"));
    let token = csrf(main_of(&page.body));
    let version = page
        .body
        .split(r#"name="version" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    // Override without justification: refused next to the field.
    let r = officer
        .post(
            &p,
            &format!("/requests/{id}/decide"),
            &[
                ("csrf", &token),
                ("version", &version),
                ("decision", "override"),
                ("end_date", "2027-12-31"),
                ("justification", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(r#"id="justification-err""#));
    assert!(r.body.contains(r#"value="2027-12-31""#), "typed date kept");
    let r = officer
        .post(
            &p,
            &format!("/requests/{id}/decide"),
            &[
                ("csrf", &token),
                ("version", &version),
                ("decision", "override"),
                ("end_date", "2027-12-31"),
                ("justification", "U1 attestation checked"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A derogation (one more calculation for this employment): reason required.
    let r = officer
        .post(
            &p,
            &format!("/requests/{id}/derogation"),
            &[("csrf", &token), ("derogation_reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(r#"id="derogation_reason-err""#));
    let r = officer
        .post(
            &p,
            &format!("/requests/{id}/derogation"),
            &[
                ("csrf", &token),
                ("derogation_reason", "Contract suspended by a long illness"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = officer.get(&p, &format!("/requests/{id}")).await;
    assert!(page.body.contains("La dérogation a été accordée."));
    // Out of the queue, in the office's calculated requests.
    assert!(!officer.get(&p, "/queue").await.body.contains(&reference));
    let calculated = officer.get(&p, "/queue?status=calculated").await;
    assert!(calculated.body.contains(&reference));
    assert!(
        calculated
            .body
            .contains(r#"<option value="calculated" selected>"#)
    );
    // The same form again: the decision is stale.
    let r = officer
        .post(
            &p,
            &format!("/requests/{id}/decide"),
            &[
                ("csrf", &token),
                ("version", &version),
                ("decision", "confirm"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("Quelqu&#39;un d&#39;autre a modifié")
            || r.body.contains("Quelqu'un d'autre a modifié")
    );

    let r = worker.get(&p, &format!("/requests/{id}")).await;
    // Issue 13 §1: one answer after the override, everywhere on the page: its standing in
    // words, ONEM's end date with the DA after it, the computed end only as the replaced one.
    let standing = r
        .body
        .split(r#"id="standing""#)
        .nth(1)
        .expect("the answer's standing");
    assert!(
        standing.contains("Modifiée par l&#39;ONEM le")
            || standing.contains("Modifiée par l'ONEM le"),
        "{standing}"
    );
    assert!(standing.contains("U1 attestation checked"));
    let numbers = main_of(&r.body)
        .split(r#"<dl class="result">"#)
        .nth(2)
        .expect("the numbers");
    let dd = |label: &str| {
        numbers
            .split(label)
            .nth(1)
            .and_then(|x| x.split("<dd").nth(1))
            .and_then(|x| x.split("</dd>").next())
            .map(|x| x.to_string())
            .unwrap_or_default()
    };
    assert!(
        dd("Le contrat peut se terminer le").contains("31/12/2027"),
        "{numbers}"
    );
    assert!(dd("partir du (DA)").contains("01/01/2028"), "{numbers}");
    assert!(
        numbers.contains("<s>"),
        "the computed end is shown as replaced: {numbers}"
    );
    // The timeline draws the contract to ONEM's end, the computed end as a marker.
    assert!(r.body.contains("Fin calculée"));
    assert!(r.body.contains("<svg"));
    assert!(r.body.contains("Travail à l&#39;étranger") || r.body.contains("Travail à l'étranger"));
    let r = worker.get(&p, &format!("/requests/{id}/print")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("CPAS de Namur") && r.body.contains(&reference));
    assert!(
        r.body.contains("Testperson, Eve (90012503347)"),
        "the CPAS's copy names the person"
    );
    // Copy for modification.
    let page = worker.get(&p, &format!("/requests/{id}")).await;
    let token = csrf(main_of(&page.body));
    let r = worker
        .post(
            &p,
            &format!("/requests/{id}/copy"),
            &[("csrf", &token), ("reason", "contract_changed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    edit_the_copy(&p, &mut worker, r.location.unwrap()).await;
    // A second calculation asked long before its window: a clear refusal, and no copy made.
    let page = worker.get(&p, &format!("/requests/{id}")).await;
    let token = csrf(main_of(&page.body));
    let r = worker
        .post(
            &p,
            &format!("/requests/{id}/copy"),
            &[("csrf", &token), ("reason", "event_impact")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.location.is_none(), "no copy to go to");
    assert!(
        main_of(&r.body).contains("Pas de copie : un deuxième calcul peut être demandé du "),
        "{}",
        main_of(&r.body)
    );
}

/// The modification copy is a draft: edited (a row added, nothing typed lost) and sent.
async fn edit_the_copy(p: &Portal, worker: &mut Browser, copy: String) {
    let page = worker.get(p, &copy).await;
    assert!(
        page.body.contains(&format!(r#"href="{copy}/edit""#)),
        "edit link"
    );
    let edit = worker.get(p, &format!("{copy}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(
        edit.body.contains("Testperson, Eve (90012503347)"),
        "the person, read from the record"
    );
    assert!(edit.body.contains(r#"value="FR""#), "the stored rows");
    let token = csrf(main_of(&edit.body));
    let version = edit
        .body
        .split(r#"name="version" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let mut form = request_form(&token, "send");
    // Tampering with the person in the post changes nothing.
    form[3] = ("last_name", "Someoneelse");
    form.push(("version", &version));
    form.extend([
        ("h2_kind", "detention"),
        ("h2_start", "2025-01-01"),
        ("h2_end", "2025-03-31"),
    ]);
    let r = worker.post(p, &format!("{copy}/edit"), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = worker.get(p, &r.location.unwrap()).await;
    assert!(r.body.contains("Détention"), "the new row was stored");
    assert!(r.body.contains("Envoyée"), "and sent");
    // The old version number is now stale.
    let r = worker.post(p, &format!("{copy}/edit"), &form).await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn attachments_are_uploaded_on_a_draft() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "cpas.namur").await;
    let page = b.get(&p, "/requests/new").await;
    let token = csrf(main_of(&page.body));
    let r = b
        .post(&p, "/requests/new", &request_form(&token, "save"))
        .await;
    let to = r.location.unwrap();
    let page = b.get(&p, &to).await;
    assert!(page.body.contains("Aucune pièce jointe."));
    let upload = |token: &str, content: &[u8]| {
        let boundary = "XbOuNdArYx";
        let mut body = Vec::new();
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"C4.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    };
    let cookies: Vec<String> = b.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for (content, expected) in [
        (&b"not a pdf"[..], StatusCode::UNPROCESSABLE_ENTITY),
        (
            &b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"[..],
            StatusCode::SEE_OTHER,
        ),
    ] {
        let (ct, body) = upload(&token, content);
        let req = Request::builder()
            .method("POST")
            .uri(format!("{to}/attachments"))
            .header(header::CONTENT_TYPE, ct)
            .header(header::COOKIE, cookies.join("; "))
            .body(Body::from(body))
            .unwrap();
        let resp = p.app.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), expected);
    }
    let page = b.get(&p, &to).await;
    assert!(page.body.contains("C4.pdf"), "listed");
    assert!(
        page.body.contains(r#"href="/api/v1/attachments/"#),
        "downloadable"
    );
}

#[tokio::test]
async fn dashboard_shows_the_second_calculation_window() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "cpas.namur").await;
    let r = b.get(&p, "/dashboard").await;
    // The demo's calculated request of this CPAS and its contract end.
    let calculated = r.body.split("<h3>Calculée").nth(1).unwrap();
    let cells: Vec<&str> = calculated
        .split("<td>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap())
        .collect();
    // Person, contract start, received, due, end.
    let end = chrono::NaiveDate::parse_from_str(cells[4], "%d/%m/%Y").unwrap();
    let reference = calculated.split("A60-").nth(1).unwrap()[..11].to_owned();
    for (days_before, expected) in [
        (100, None),
        (40, Some("s&#39;ouvre bientôt")),
        (20, Some("ouverte")),
    ] {
        let day = end - chrono::Duration::days(days_before);
        p.clock
            .set(Utc.from_utc_datetime(&day.and_hms_opt(9, 0, 0).unwrap()));
        // Sessions last hours: moving the clock by months needs a new one.
        b.login(&p, "cpas.namur").await;
        let r = b.get(&p, "/dashboard").await;
        let windows = r.body.split("<h2>").nth(1).unwrap();
        match expected {
            None => assert!(
                windows.contains("Aucun contrat"),
                "{days_before} days before"
            ),
            Some(label) => {
                assert!(
                    windows.contains(&format!("A60-{reference}")),
                    "{days_before} days before"
                );
                assert!(
                    windows.contains(&format!(">{label}</span>")),
                    "{days_before}: {windows}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_cpas_language_is_the_default_after_login() {
    let p = portal().await;
    let mut b = Browser {
        lang: Some("fr-BE,fr"),
        ..Default::default()
    };
    assert!(
        b.get(&p, "/login")
            .await
            .body
            .contains(r#"<html lang="fr">"#)
    );
    b.login(&p, "oeshz.eupen").await;
    let r = b.get(&p, "/dashboard").await;
    assert!(
        r.body.contains(r#"<html lang="de">"#),
        "the German-speaking CPAS"
    );
    assert!(r.body.contains("Übersicht"));
    // The returned demo request shows ONEM's reason and can be edited.
    assert!(r.body.contains("Zurückgesandt"));
    // The user's own choice wins over the CPAS's language.
    b.post(&p, "/lang", &[("lang", "en"), ("next", "/dashboard")])
        .await;
    let r = b.get(&p, "/dashboard").await;
    assert!(r.body.contains(r#"<html lang="en">"#));
    assert!(r.body.contains("Requests by status"));
}

#[tokio::test]
async fn files_chosen_in_the_form_are_stored_with_the_request() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "cpas.namur").await;
    let page = b.get(&p, "/requests/new").await;
    let token = csrf(main_of(&page.body));
    let boundary = "FoRmBoUnDaRy";
    let mut body = Vec::new();
    for (k, v) in request_form(&token, "save") {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, content) in [("U1.pdf", &b"%PDF-1.4\n%%EOF\n"[..]), ("", &b""[..])] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let cookies: Vec<String> = b.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let req = Request::builder()
        .method("POST")
        .uri("/requests/new")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, cookies.join("; "))
        .body(Body::from(body))
        .unwrap();
    let resp = p.app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let page = b.get(&p, &to).await;
    assert!(page.body.contains("U1.pdf"), "the chosen file is attached");
}

#[tokio::test]
async fn onem_returns_a_request_with_a_reason() {
    let p = portal().await;
    let mut officer = Browser {
        lang: Some("nl"),
        ..Default::default()
    };
    officer.login(&p, "onem.brussels").await;
    let q = officer.get(&p, "/queue").await;
    // The demo's request sent eight days ago: overdue.
    assert!(
        q.body
            .contains(r#"<span class="badge overdue">Te laat</span>"#),
        "{}",
        main_of(&q.body)
    );
    let href = q.body.split(r#"<a href="/requests/"#).nth(1).unwrap();
    let id = href.split('"').next().unwrap().to_owned();
    let page = officer.get(&p, &format!("/requests/{id}")).await;
    // Issue 13 §5: the officer's decision panel comes first, before the result.
    let panel = page.body.find(r#"class="decision-panel""#).expect("panel");
    let answer = page.body.find(r#"id="answer""#).expect("the answer");
    assert!(panel < answer, "decision panel at the top");
    let token = csrf(main_of(&page.body));
    let version = page
        .body
        .split(r#"name="version" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let path = format!("/requests/{id}/return");
    let r = officer
        .post(
            &p,
            &path,
            &[("csrf", &token), ("version", &version), ("reason", " ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains(r#"id="reason-err">Reden van terugsturen: dit veld is verplicht.</p>"#)
    );
    let r = officer
        .post(
            &p,
            &path,
            &[
                ("csrf", &token),
                ("version", &version),
                ("reason", "C4 ontbreekt"),
            ],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/queue"));
    assert!(
        officer
            .get(&p, "/queue")
            .await
            .body
            .contains("De aanvraag is teruggestuurd naar het OCMW.")
    );
    let mut worker = Browser::default();
    worker.login(&p, "ocmw.brussel").await;
    let r = worker.get(&p, &format!("/requests/{id}")).await;
    assert!(r.body.contains("C4 ontbreekt"));
    assert!(
        r.body.contains(&format!(r#"href="/requests/{id}/edit""#)),
        "the CPAS can correct it"
    );
    // Issue 13 §5: the reason stays in view while the CPAS edits the request.
    let edit = worker.get(&p, &format!("/requests/{id}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    let notice = main_of(&edit.body)
        .split(r#"id="return-reason""#)
        .nth(1)
        .expect("the return reason on the edit page");
    assert!(
        notice
            .split("</div>")
            .next()
            .unwrap()
            .contains("C4 ontbreekt")
    );
}

// ---------- contact your office and SPOC escalation (without JavaScript) ----------

/// The id of the first request link in a table row that carries an unread badge.
fn unread_row_id(html: &str) -> Option<String> {
    html.split("<tr>")
        .find(|row| row.contains(r#"class="badge unread""#))
        .and_then(|row| row.split(r#"<a href="/requests/"#).nth(1))
        .and_then(|s| s.split('"').next())
        .map(str::to_owned)
}

#[tokio::test]
async fn contact_thread_and_escalation_without_javascript() {
    let p = portal().await;
    let mut worker = Browser::default();
    worker.login(&p, "cpas.namur").await;
    // The demo request with the office's unanswered reply carries the dashboard badge.
    let dash = worker.get(&p, "/dashboard").await;
    let id = unread_row_id(&dash.body).expect("an unread badge on the dashboard");
    let page = worker.get(&p, &format!("/requests/{id}")).await;
    let main = main_of(&page.body);
    assert!(main.contains(r#"<section id="contact""#), "{main}");
    assert!(main.contains(r#"class="message unread""#));
    // Seen once: the badge is gone on the next visit.
    let again = worker.get(&p, &format!("/requests/{id}")).await;
    assert!(!main_of(&again.body).contains(r#"class="message unread""#));
    let dash = worker.get(&p, "/dashboard").await;
    assert_eq!(unread_row_id(&dash.body), None);

    // A NISS is refused next to the field, what was typed stays.
    let token = csrf(main);
    let path = format!("/requests/{id}/messages");
    let r = worker
        .post(
            &p,
            &path,
            &[("csrf", &token), ("body", "Dossier 95.03.10-123.41")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(r#"id="body-err""#), "{}", main_of(&r.body));
    assert!(r.body.contains("Dossier 95.03.10-123.41</textarea>"));
    let r = worker
        .post(
            &p,
            &path,
            &[("csrf", &token), ("body", "Une nouvelle relance.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let shown = worker.get(&p, &format!("/requests/{id}")).await;
    assert!(shown.body.contains("Le message a été envoyé."));
    assert!(shown.body.contains("Une nouvelle relance."));

    // The officer of the office: a queue badge, the message marked new.
    let mut officer = Browser::default();
    officer.login(&p, "onem.namur").await;
    let q = officer.get(&p, "/queue").await;
    assert!(
        q.body
            .split("<tr>")
            .any(|row| row.contains(&format!(r#"href="/requests/{id}""#))
                && row.contains("1 non lu(s)")),
        "{}",
        main_of(&q.body)
    );
    let o = officer.get(&p, &format!("/requests/{id}")).await;
    assert!(main_of(&o.body).contains(r#"class="badge unread">nouveau</span>"#));
    // An officer of another office does not see the thread at all.
    let mut other = Browser::default();
    other.login(&p, "onem.brussels").await;
    let r = other.get(&p, &format!("/requests/{id}/contact")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The escalation form: every missing condition is refused next to its field.
    let form = worker.get(&p, &format!("/requests/{id}/escalate")).await;
    assert_eq!(form.status, StatusCode::OK);
    let token = csrf(main_of(&form.body));
    let esc_path = format!("/requests/{id}/escalate");
    let r = worker.post(&p, &esc_path, &[("csrf", &token)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in [
        "means_exhausted",
        "several_requests",
        "payment_delayed",
        "payment_delay_since",
        "description",
    ] {
        assert!(r.body.contains(&format!(r#"id="{f}-err""#)), "{f}");
    }
    let r = worker
        .post(
            &p,
            &esc_path,
            &[
                ("csrf", &token),
                ("means_exhausted", "yes"),
                ("several_requests", "yes"),
                ("payment_delayed", "yes"),
                ("payment_delay_since", "2026-09-01"),
                ("description", "Relancé deux fois, paiement retardé."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", main_of(&r.body));
    let ticket_path = r.location.unwrap();
    let ticket = worker.get(&p, &ticket_path).await;
    assert!(
        ticket.body.contains("L&#39;escalade a été créée.")
            || ticket.body.contains("L'escalade a été créée.")
    );

    // The federation SPOC: both demo tickets, no person, no case reference.
    let mut spoc = Browser::default();
    let r = spoc.login(&p, "spoc.uvcw").await;
    assert_eq!(r.location.as_deref(), Some("/escalations"));
    let list = spoc.get(&p, "/escalations").await;
    let one = spoc.get(&p, &ticket_path).await;
    let request_page = worker.get(&p, &format!("/requests/{id}")).await;
    let reference = request_page
        .body
        .split("A60-")
        .nth(1)
        .map(|s| format!("A60-{}", &s[..11]))
        .unwrap();
    for html in [&list.body, &one.body] {
        for needle in [
            "95031012341",
            "95.03.10",
            "Alice",
            "Demo",
            reference.as_str(),
        ] {
            assert!(!html.contains(needle), "SPOC page shows {needle}");
        }
    }
    assert_eq!(list.body.matches(r#"<a href="/escalations/"#).count(), 2);
    let token = csrf(main_of(&one.body));
    let r = spoc
        .post(&p, &format!("{ticket_path}/forward"), &[("csrf", &token)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The ONEM SPOC opens the case only with a reason.
    let mut onem = Browser::default();
    onem.login(&p, "spoc.onem").await;
    let t = onem.get(&p, &ticket_path).await;
    let token = csrf(main_of(&t.body));
    let open = format!("{ticket_path}/open-case");
    let r = onem
        .post(&p, &open, &[("csrf", &token), ("reason", "")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(r#"id="reason-err""#));
    let r = onem
        .post(&p, &open, &[("csrf", &token), ("reason", "Escalade UVCW")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&reference));
}

/// Issue 13 §4: an incomplete e-mail address and a 7-day week are refused next to their
/// fields, in the user's language, on the form posted without JavaScript.
#[tokio::test]
async fn an_incomplete_email_and_seven_days_a_week_are_refused_next_to_the_fields() {
    let p = portal().await;
    for (user, switch, email_msg, days_msg) in [
        (
            "cpas.namur",
            None,
            "Courriel du contact : encodez une adresse de courriel complète",
            "Jours par semaine : entre 1 et 6.",
        ),
        (
            "ocmw.brussel",
            None,
            "vul een volledig e-mailadres in",
            ": tussen 1 en 6.",
        ),
        (
            "oeshz.eupen",
            None,
            "Geben Sie eine vollständige E-Mail-Adresse ein",
            ": zwischen 1 und 6.",
        ),
        (
            "cpas.namur",
            Some("en"),
            "enter a complete e-mail address",
            ": between 1 and 6.",
        ),
    ] {
        let mut b = Browser::default();
        b.login(&p, user).await;
        if let Some(l) = switch {
            b.post(&p, "/lang", &[("lang", l), ("next", "/dashboard")])
                .await;
        }
        let page = b.get(&p, "/requests/new").await;
        let token = csrf(main_of(&page.body));
        let mut form = request_form(&token, "save");
        form.retain(|(k, _)| *k != "contact_email" && *k != "days_per_week");
        form.extend([("contact_email", "marie@"), ("days_per_week", "7")]);
        let r = b.post(&p, "/requests/new", &form).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{user}");
        let err = |field: &str| {
            r.body
                .split(&format!(r#"id="{field}-err">"#))
                .nth(1)
                .and_then(|s| s.split("</p>").next())
                .unwrap_or_else(|| panic!("{user}: no error for {field}"))
                .to_owned()
        };
        assert!(
            err("contact_email").contains(email_msg),
            "{user}: {}",
            err("contact_email")
        );
        assert!(
            err("days_per_week").contains(days_msg),
            "{user}: {}",
            err("days_per_week")
        );
        assert!(r.body.contains(r#"value="marie@""#), "typed text kept");
        // A complete address and 6 days: saved.
        form.retain(|(k, _)| *k != "contact_email" && *k != "days_per_week");
        form.extend([
            ("contact_email", "marie@cpas.example"),
            ("days_per_week", "6"),
        ]);
        let r = b.post(&p, "/requests/new", &form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{user}: {}", r.body);
    }
}

/// Issue 13 §4: a second request of the same CPAS for the same NISS and contract start is
/// created, with a warning that links the other one; another contract start gets none.
#[tokio::test]
async fn a_request_for_the_same_niss_and_contract_start_is_created_with_a_warning() {
    let p = portal().await;
    for (user, switch, warning) in [
        (
            "cpas.namur",
            None,
            "Doublon possible : votre CPAS a déjà introduit",
        ),
        ("ocmw.brussel", None, "Mogelijk dubbel: uw OCMW heeft al"),
        (
            "oeshz.eupen",
            None,
            "Mögliches Duplikat: Ihr ÖSHZ hat bereits",
        ),
        (
            "cpas.namur",
            Some("en"),
            "Possible duplicate: your CPAS has already",
        ),
    ] {
        let mut b = Browser::default();
        b.login(&p, user).await;
        if let Some(l) = switch {
            b.post(&p, "/lang", &[("lang", l), ("next", "/dashboard")])
                .await;
        }
        let page = b.get(&p, "/requests/new").await;
        let token = csrf(main_of(&page.body));
        // The English round is the French CPAS again: other dates than its first round.
        let (start, other_start) = if switch.is_some() {
            ("2027-01-04", "2027-05-03")
        } else {
            ("2026-12-01", "2027-03-01")
        };
        let mut form = request_form(&token, "save");
        form.retain(|(k, _)| *k != "contract_start");
        form.push(("contract_start", start));
        let first = b.post(&p, "/requests/new", &form).await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{user}");
        let first = first.location.unwrap();
        let r = b.get(&p, &first).await;
        assert!(!r.body.contains(r#"id="duplicates""#), "{user}: first one");
        // The same NISS and start again: created, with the warning and a link to the first.
        let second = b.post(&p, "/requests/new", &form).await;
        assert_eq!(second.status, StatusCode::SEE_OTHER, "{user}");
        let second = second.location.unwrap();
        assert_ne!(first, second);
        let r = b.get(&p, &second).await;
        assert_eq!(r.status, StatusCode::OK);
        let box_ = r
            .body
            .split(r#"id="duplicates""#)
            .nth(1)
            .unwrap_or_else(|| panic!("{user}: no warning"))
            .split("</div>")
            .next()
            .unwrap();
        assert!(box_.contains(warning), "{user}: {box_}");
        assert!(
            box_.contains(&format!(r#"<a href="{first}">A60-"#)),
            "{box_}"
        );
        // Another contract start for the same person: no warning.
        form.retain(|(k, _)| *k != "contract_start");
        form.push(("contract_start", other_start));
        let other = b.post(&p, "/requests/new", &form).await;
        let r = b.get(&p, &other.location.unwrap()).await;
        assert!(
            !r.body.contains(r#"id="duplicates""#),
            "{user}: other start"
        );
    }
}

/// Issue 13 §5: `/dashboard` is the CPAS's page; an ONEM officer asking for it lands on the
/// office's queue instead of a refusal.
#[tokio::test]
async fn the_dashboard_sends_an_officer_to_the_queue() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "onem.namur").await;
    let r = b.get(&p, "/dashboard").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/queue"));
    assert_eq!(b.get(&p, "/queue").await.status, StatusCode::OK);
}

/// Issue 13 §5: a page shown after a refused post answers a reload (GET at the same address)
/// with the page the form is on, never "405 Method Not Allowed".
#[tokio::test]
async fn addresses_of_posted_forms_answer_get_with_their_page() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "cpas.namur").await;
    let page = b.get(&p, "/requests/new").await;
    let token = csrf(main_of(&page.body));
    let saved = b
        .post(&p, "/requests/new", &request_form(&token, "save"))
        .await;
    let at = saved.location.unwrap();
    // A refused post (an old version of the draft) shows the request page at the post's
    // address; reloading it lands on the request page.
    let r = b
        .post(
            &p,
            &format!("{at}/send"),
            &[("csrf", &token), ("version", "99")],
        )
        .await;
    assert_ne!(r.status, StatusCode::SEE_OTHER, "refused: {}", r.status);
    let r = b.get(&p, &format!("{at}/send")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some(at.as_str()));
    assert_eq!(b.get(&p, &at).await.status, StatusCode::OK);
    for (path, to) in [
        (format!("{at}/decide"), at.clone()),
        (format!("{at}/return"), at.clone()),
        (format!("{at}/derogation"), at.clone()),
        (format!("{at}/copy"), at.clone()),
        (format!("{at}/attachments"), at.clone()),
        (format!("{at}/dmfa/resolve"), at.clone()),
        (format!("{at}/messages"), format!("{at}/contact")),
        ("/escalations/1/forward".into(), "/escalations/1".into()),
        ("/escalations/1/close".into(), "/escalations/1".into()),
        ("/escalations/1/open-case".into(), "/escalations/1".into()),
        ("/simulate".into(), "/requests/new".into()),
        ("/check/niss".into(), "/requests/new".into()),
        ("/notifications/read".into(), "/notifications".into()),
        ("/notifications/1/read".into(), "/notifications".into()),
        ("/admin/offices/1".into(), "/admin/offices".into()),
        ("/admin/cpas/1".into(), "/admin/offices".into()),
        ("/lang".into(), "/".into()),
        ("/logout".into(), "/".into()),
    ] {
        let r = b.get(&p, &path).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.location.as_deref(), Some(to.as_str()), "{path}");
    }
    // The forms that post to their own address answer GET themselves.
    assert_eq!(b.get(&p, "/requests/new").await.status, StatusCode::OK);
    assert_eq!(
        b.get(&p, &format!("{at}/edit")).await.status,
        StatusCode::OK
    );
}

/// Issue 13 §5: notifications are listed by date, newest first, even where a row written later
/// reports an earlier moment (the demonstration data has such rows).
#[tokio::test]
async fn notifications_are_listed_newest_first() {
    let p = portal().await;
    for user in ["onem.namur", "cpas.namur"] {
        let mut b = Browser::default();
        b.login(&p, user).await;
        let r = b.get(&p, "/notifications").await;
        assert_eq!(r.status, StatusCode::OK);
        // Written dd/mm/yyyy hh:mm, as every date of the portal.
        let dates: Vec<chrono::NaiveDateTime> = main_of(&r.body)
            .split("<td>")
            .skip(1)
            .map(|c| c.split('<').next().unwrap())
            .filter_map(|c| chrono::NaiveDateTime::parse_from_str(c, "%d/%m/%Y %H:%M").ok())
            .collect();
        assert!(dates.len() >= 2, "{user}: {dates:?}");
        let mut sorted = dates.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(dates, sorted, "{user}");
    }
}

/// Issue 13 §5: a favicon, served by the portal itself and linked from every page.
#[tokio::test]
async fn pages_link_the_portal_favicon() {
    let p = portal().await;
    let mut b = Browser::default();
    let r = b.get(&p, "/login").await;
    assert!(
        r.body
            .contains(r#"<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">"#)
    );
    let r = b.get(&p, "/static/favicon.svg").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "image/svg+xml");
    assert!(r.body.starts_with("<svg"));
    let r = b.get(&p, "/favicon.ico").await;
    assert_eq!(r.location.as_deref(), Some("/static/favicon.svg"));
}

/// With `SCREENSHOTS` set (like web-tests/run.sh: a directory, or any other value for
/// docs/screenshots), where the letter's page images go.
fn screenshots_dir() -> Option<std::path::PathBuf> {
    let v = std::env::var("SCREENSHOTS")
        .ok()
        .filter(|v| !v.is_empty())?;
    let named = std::path::PathBuf::from(&v);
    if named.is_dir() {
        return Some(named);
    }
    Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots"))
}

/// The text of a PDF as poppler reads it, words on one line; `None` without pdftotext.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("letter.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    assert!(out.status.success(), "pdftotext failed");
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[tokio::test]
async fn the_answer_letter_is_a_pdf_in_the_cpas_language_and_its_code_checks() {
    use art60_service::db::{Status, cpas, letter, person, request};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let p = portal().await;
    // The demonstration has one calculated request per CPAS (fr, nl, de).
    let cases = [
        (
            "CPAS de Namur",
            "cpas.namur",
            "onem.namur",
            "Bureau de chômage de Namur",
        ),
        (
            "OCMW Brussel",
            "ocmw.brussel",
            "onem.brussels",
            "Werkloosheidsbureau Brussels",
        ),
        (
            "ÖSHZ Eupen",
            "oeshz.eupen",
            "onem.verviers",
            "Arbeitslosenbüro Verviers",
        ),
    ];
    let has_pdftotext = std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_ok();
    if !has_pdftotext {
        eprintln!("pdftotext not installed (poppler-utils): the letters' text is not read back");
    }
    for (cpas_name, worker, officer, office_line) in cases {
        let c = cpas::Entity::find()
            .filter(cpas::Column::Name.eq(cpas_name))
            .one(&p.db.conn)
            .await
            .unwrap()
            .unwrap();
        let r = calculated(&p, c.id, officer).await;
        let who = person::Entity::find_by_id(r.person_id)
            .one(&p.db.conn)
            .await
            .unwrap()
            .unwrap();
        let mut w = Browser::default();
        w.login(&p, worker).await;
        let page = w.get(&p, &format!("/requests/{}", r.id)).await;
        assert!(
            page.body
                .contains(&format!(r#"href="/requests/{}/letter.pdf""#, r.id)),
            "no letter button for {cpas_name}"
        );
        let pdf = w.get(&p, &format!("/requests/{}/letter.pdf", r.id)).await;
        assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
        assert_eq!(pdf.headers["content-type"], "application/pdf");
        assert_eq!(pdf.headers["cache-control"], "no-store");
        assert!(pdf.bytes.starts_with(b"%PDF-"));
        let issued = letter::Entity::find()
            .filter(letter::Column::RequestId.eq(r.id))
            .order_by_desc(letter::Column::Id)
            .one(&p.db.conn)
            .await
            .unwrap()
            .unwrap();
        let code = art60_service::letters::format_code(&issued.code);
        if let Some(dir) = screenshots_dir() {
            // Page 1 of each language's letter, for docs/screenshots/README.md.
            let lang = match worker {
                "cpas.namur" => "fr",
                "ocmw.brussel" => "nl",
                _ => "de",
            };
            let tmp = tempfile::tempdir().unwrap();
            let file = tmp.path().join("letter.pdf");
            std::fs::write(&file, &pdf.bytes).unwrap();
            let ok = std::process::Command::new("pdftoppm")
                .args(["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"])
                .arg(&file)
                .arg(dir.join(format!("letter-{lang}")))
                .status()
                .unwrap()
                .success();
            assert!(ok, "pdftoppm failed");
        }
        if let Some(text) = pdf_text(&pdf.bytes) {
            let n = &who.niss;
            let niss = format!(
                "{}.{}.{}-{}.{}",
                &n[0..2],
                &n[2..4],
                &n[4..6],
                &n[6..9],
                &n[9..11]
            );
            for want in [
                office_line,
                cpas_name,
                r.reference.as_str(),
                &format!("{} {}", who.first_name, who.last_name),
                &niss,
                &code,
            ] {
                assert!(text.contains(want), "{cpas_name}: {want:?} not in {text}");
            }
        }

        // The office checks the code as typed; the page says the answer still holds.
        let mut o = Browser::default();
        o.login(&p, officer).await;
        let typed = code.to_lowercase();
        let form = o.get(&p, &format!("/verify?code={typed}")).await;
        assert_eq!(
            form.location.as_deref(),
            Some(format!("/verify/{typed}").as_str())
        );
        let v = o.get(&p, &format!("/verify/{typed}")).await;
        assert_eq!(v.status, StatusCode::OK, "{}", v.body);
        assert!(
            v.body.contains(r#"class="notice ok""#),
            "{}",
            main_of(&v.body)
        );
        assert!(v.body.contains(&r.reference));
        assert!(v.body.contains(&code));
    }

    // Another CPAS's user: the code does not exist; a stranger's guess neither.
    let namur = letter::Entity::find()
        .order_by_asc(letter::Column::Id)
        .one(&p.db.conn)
        .await
        .unwrap()
        .unwrap();
    let mut b = Browser::default();
    b.login(&p, "ocmw.brussel").await;
    let v = b.get(&p, &format!("/verify/{}", namur.code)).await;
    assert_eq!(v.status, StatusCode::NOT_FOUND);
    let v = b.get(&p, "/verify/0000-0000-0000").await;
    assert_eq!(v.status, StatusCode::NOT_FOUND);
    // Not signed in: the login page.
    let v = Browser::default()
        .get(&p, &format!("/verify/{}", namur.code))
        .await;
    assert_eq!(v.location.as_deref(), Some("/login"));

    // No letter before ONEM's answer: 409 problem, and no button.
    let draft = request::Entity::find()
        .filter(request::Column::Status.eq(Status::Draft))
        .filter(request::Column::CpasId.eq(namur_cpas(&p).await))
        .one(&p.db.conn)
        .await
        .unwrap()
        .unwrap();
    let mut w = Browser::default();
    w.login(&p, "cpas.namur").await;
    let page = w.get(&p, &format!("/requests/{}", draft.id)).await;
    assert!(!page.body.contains("letter.pdf"));
    let pdf = w
        .get(&p, &format!("/requests/{}/letter.pdf", draft.id))
        .await;
    assert_eq!(pdf.status, StatusCode::CONFLICT, "{}", pdf.body);
    assert_eq!(pdf.headers["content-type"], "application/problem+json");
    assert!(pdf.body.contains("wrong_status"), "{}", pdf.body);
}

/// A calculated request of CPAS `cpas_id`: the demonstration's, or one of its sent requests
/// confirmed now by `officer`.
async fn calculated(p: &Portal, cpas_id: i64, officer: &str) -> art60_service::db::request::Model {
    use art60_service::auth::Actor;
    use art60_service::db::{Status, request, user};
    use art60_service::requests::{self, DecideInput, DecisionKind};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let find = |status: Status| {
        request::Entity::find()
            .filter(request::Column::CpasId.eq(cpas_id))
            .filter(request::Column::Status.eq(status))
            .one(&p.db.conn)
    };
    if let Some(r) = find(Status::Calculated).await.unwrap() {
        return r;
    }
    let sent = find(Status::Sent).await.unwrap().unwrap();
    let u = user::Entity::find()
        .filter(user::Column::Username.eq(officer))
        .one(&p.db.conn)
        .await
        .unwrap()
        .unwrap();
    let input = DecideInput {
        decision: DecisionKind::Confirm,
        end_date: None,
        justification: None,
    };
    let actor = Actor::from_user(&u);
    let now = p.clock.now();
    requests::decide(&p.db, now, &actor, sent.id, Some(sent.version), input)
        .await
        .unwrap();
    find(Status::Calculated).await.unwrap().unwrap()
}

async fn namur_cpas(p: &Portal) -> i64 {
    use art60_service::db::cpas;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    cpas::Entity::find()
        .filter(cpas::Column::Name.eq("CPAS de Namur"))
        .one(&p.db.conn)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The value of input `name` in a page (`None`: no such input or no value).
fn input_value<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    html.split(&format!(r#"name="{name}" type="#))
        .nth(1)?
        .split(r#"value=""#)
        .nth(1)?
        .split('"')
        .next()
}

/// Issue 13 §4: without JavaScript the form says a child-raising period (child's birth date,
/// disabled child), a part-time past job, work abroad chosen from a translated country list,
/// an earlier admission and the contract's pay; errors stand next to their fields and what was
/// typed comes back; the stored request fills the form again.
#[tokio::test]
async fn the_form_says_child_raising_part_time_jobs_abroad_pay_and_admissions() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "cpas.namur").await;
    let page = b.get(&p, "/requests/new").await;
    let token = csrf(main_of(&page.body));
    // A new row shows every field of a period, the countries in French.
    let r = b
        .post(&p, "/requests/new", &request_form(&token, "add_history"))
        .await;
    for field in [
        "h2_days",
        "h2_hours",
        "h2_ref_hours",
        "h2_pay_kind",
        "h2_pay_amount",
        "h2_job_category",
        "h2_child_birth_date",
        "h2_frontier_worker",
        "h2_posted",
        "h2_ssom",
    ] {
        assert!(r.body.contains(&format!(r#" for="{field}">"#)), "{field}");
    }
    assert!(
        r.body
            .contains(r#"<select id="h2_country" name="h2_country""#)
    );
    assert!(r.body.contains(r#"<option value="DE">Allemagne</option>"#));
    assert!(
        r.body
            .contains(r#"<option value="ordinary" selected>Ordinaire</option>"#)
    );
    // A new job is offered as full time.
    assert_eq!(input_value(&r.body, "h2_days"), Some("5"));
    assert_eq!(input_value(&r.body, "h2_hours"), Some("38"));
    assert!(
        r.body
            .contains(r#"<option value="FR" selected>France</option>"#)
    );
    assert!(
        r.body
            .contains(r#"<input type="checkbox" id="h2_child_disabled""#)
    );
    assert!(
        r.body
            .contains(r#"<label class="inline-label" for="h2_child_disabled">"#)
    );
    let r = b
        .post(&p, "/requests/new", &request_form(&token, "add_admission"))
        .await;
    assert!(
        r.body
            .contains(r#"<input autofocus id="p0_application_date""#),
        "focus on the new admission"
    );
    assert!(r.body.contains(r#"<option value="art30" selected>"#));

    let mut form = request_form(&token, "save");
    form.extend([
        ("h0_days", "4"),
        ("h0_hours", "19"),
        ("h1_country", "DE"),
        ("h2_kind", "child_raising"),
        ("h2_start", "2025-01-01"),
        ("h2_end", "2025-06-30"),
        ("h2_child_disabled", "yes"),
        ("p0_application_date", "2019-03-01"),
        ("p0_article", "art30"),
        ("pay_amount", "1100"),
        ("weekly_hours", "19"),
        ("h0_pay_kind", "hourly"),
        ("h0_pay_amount", "14,5"),
        ("h1_posted", "yes"),
        ("weekdays", "tue"),
        ("weekdays", "wed"),
    ]);
    form.retain(|(k, v)| *k != "weekly_hours" || *v == "19");
    // The child's birth date is missing and the pay has no kind: both refused where they are.
    let r = b.post(&p, "/requests/new", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for (field, msg) in [
        (
            "h2_child_birth_date",
            "Date de naissance de l'enfant : ce champ est obligatoire.",
        ),
        (
            "pay_kind",
            "Rémunération brute : choisissez « par mois » ou « par heure ».",
        ),
        (
            "weekdays",
            "Jours travaillés : cochez autant de jours que de jours par semaine.",
        ),
    ] {
        let msg = msg.replace('\'', "&#39;");
        assert!(
            r.body.contains(&format!(
                r#"<p class="field-error" id="{field}-err">{msg}</p>"#
            )),
            "{field}"
        );
        assert!(
            r.body.contains(&format!(r#"id="{field}""#))
                && r.body.contains(&format!(r#"{field}-err""#)),
            "{field}"
        );
    }
    assert!(r.body.contains(r#"<select id="pay_kind" name="pay_kind" aria-describedby="pay_kind-hint pay_kind-err" aria-invalid="true""#));
    assert!(
        r.body
            .contains(r#"aria-describedby="h2_child_birth_date-err""#)
    );
    assert_eq!(
        input_value(&r.body, "h0_hours"),
        Some("19"),
        "typed text kept"
    );
    assert!(
        r.body
            .contains(r#"id="h2_child_disabled" name="h2_child_disabled" value="yes" checked"#)
    );
    assert!(
        r.body
            .contains(r#"<option value="DE" selected>Allemagne</option>"#)
    );
    assert!(
        r.body
            .contains(r#"<fieldset id="weekdays" aria-describedby="weekdays-hint weekdays-err">"#)
    );
    assert!(
        r.body
            .contains(r#"id="weekday-wed" name="weekdays" value="wed" checked"#)
    );
    // Completed, it is saved.
    form.extend([
        ("weekdays", "thu"),
        ("weekdays", "fri"),
        ("weekdays", "sat"),
        ("h2_child_birth_date", "2024-12-20"),
        ("pay_kind", "monthly"),
    ]);
    let r = b.post(&p, "/requests/new", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let edit = b.get(&p, &format!("{}/edit", r.location.unwrap())).await;
    assert_eq!(edit.status, StatusCode::OK);
    let body = &edit.body;
    assert_eq!(input_value(body, "h0_days"), Some("4"));
    assert_eq!(input_value(body, "h0_hours"), Some("19"));
    // Left empty, S is the full-time 38.
    assert_eq!(input_value(body, "h0_ref_hours"), Some("38"));
    assert_eq!(input_value(body, "h2_child_birth_date"), Some("2024-12-20"));
    assert!(
        body.contains(r#"id="h2_child_disabled" name="h2_child_disabled" value="yes" checked"#)
    );
    assert!(body.contains(r#"<option value="DE" selected>Allemagne</option>"#));
    assert_eq!(input_value(body, "p0_application_date"), Some("2019-03-01"));
    assert_eq!(input_value(body, "pay_amount"), Some("1100"));
    assert!(body.contains(r#"<option value="monthly" selected>Par mois</option>"#));
    assert!(body.contains(r#"<option value="hourly" selected>Par heure</option>"#));
    assert_eq!(input_value(body, "h0_pay_amount"), Some("14.5"));
    assert!(body.contains(r#"id="h1_posted" name="h1_posted" value="yes" checked"#));
    assert!(!body.contains(r#"id="h1_ssom" name="h1_ssom" value="yes" checked"#));
    assert!(body.contains(r#"id="weekday-sat" name="weekdays" value="sat" checked"#));
    assert!(!body.contains(r#"id="weekday-mon" name="weekdays" value="mon" checked"#));
}

/// Issue 13 §4: the birth date comes from the NISS (not when the NISS's date is unknown), on
/// a round trip without JavaScript and while typing (an out-of-band swap); the contact
/// starts as the one the account gave last.
#[tokio::test]
async fn the_birth_date_comes_from_the_niss_and_the_contact_from_the_account() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "cpas.namur").await;
    let page = b.get(&p, "/requests/new").await;
    let token = csrf(main_of(&page.body));
    let mut form = request_form(&token, "add_history");
    form.retain(|(k, _)| *k != "birth_date");
    let r = b.post(&p, "/requests/new", &form).await;
    assert_eq!(input_value(&r.body, "birth_date"), Some("1990-01-25"));
    // A NISS whose month is unknown (00) gives no date.
    let unknown_month = "90002500172";
    assert!(art60_rules::Niss::parse(unknown_month).is_ok());
    form.retain(|(k, _)| *k != "niss");
    form.push(("niss", unknown_month));
    let r = b.post(&p, "/requests/new", &form).await;
    assert_eq!(input_value(&r.body, "birth_date"), Some(""));
    // While typing.
    let r = b
        .post(
            &p,
            "/check/niss",
            &[("csrf", &token), ("niss", NISS), ("birth_date", "")],
        )
        .await;
    assert!(
        r.body.contains(r#"<input id="birth_date" name="birth_date" type="date" value="1990-01-25" hx-swap-oob="outerHTML:#birth_date">"#),
        "{}",
        r.body
    );
    let r = b
        .post(
            &p,
            "/check/niss",
            &[
                ("csrf", &token),
                ("niss", NISS),
                ("birth_date", "1990-01-24"),
            ],
        )
        .await;
    assert!(!r.body.contains("hx-swap-oob"), "a typed date is kept");
    // The contact: the one this account gave on its latest request.
    let mut form = request_form(&token, "save");
    form.retain(|(k, _)| !k.starts_with("contact_"));
    form.extend([
        ("contact_name", "Marie Dupont"),
        ("contact_email", "marie.dupont@cpas.example"),
        ("contact_phone", "081 00 00 00"),
    ]);
    let r = b.post(&p, "/requests/new", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&p, "/requests/new").await;
    assert_eq!(
        input_value(&page.body, "contact_name"),
        Some("Marie Dupont")
    );
    assert_eq!(
        input_value(&page.body, "contact_email"),
        Some("marie.dupont@cpas.example")
    );
    assert_eq!(
        input_value(&page.body, "contact_phone"),
        Some("081 00 00 00")
    );
}

/// Whether `text` shows a date written the ISO way (2026-11-20).
fn has_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(10).any(|w| {
        w.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
    })
}

async fn person_list_reads(p: &Portal) -> usize {
    use art60_service::db::audit_entry;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("list"))
        .filter(audit_entry::Column::Entity.eq("person"))
        .all(&p.db.conn)
        .await
        .unwrap()
        .len()
}

/// Issue 13 §5: the dashboard and the queue name the person of each row (one audited read of
/// the list, never another CPAS's or office's people); the queue says the contract start, the
/// status, the deadline and the office's next step; dates are written dd/mm/yyyy.
#[tokio::test]
async fn lists_name_the_person_and_write_dates_as_belgians_do() {
    let p = portal().await;
    let before = person_list_reads(&p).await;
    let mut w = Browser::default();
    w.login(&p, "cpas.namur").await;
    let r = w.get(&p, "/dashboard").await;
    let main = main_of(&r.body);
    assert!(main.contains("<td>Demo Alice</td>"), "{main}");
    assert!(main.contains("<td>Exemple Didier</td>"));
    assert!(!main.contains("Voorbeeld") && !main.contains("Beispiel"));
    assert_eq!(person_list_reads(&p).await, before + 1, "one read per list");

    let mut o = Browser::default();
    o.login(&p, "onem.namur").await;
    let r = o.get(&p, "/queue").await;
    let main = main_of(&r.body);
    assert!(main.contains("<td>Demo Alice</td>"), "{main}");
    assert!(!main.contains("Voorbeeld") && !main.contains("Beispiel"));
    assert!(main.contains(">Début du contrat</th>") && main.contains("<td>20/12/2026</td>"));
    assert!(main.contains("<td>Envoyée</td>"));
    assert!(main.contains("<td>Confirmer, modifier la date de fin ou renvoyer au CPAS</td>"));
    // The deadline with its urgency badge.
    assert!(main.contains("/2026 <span class=\"badge "), "{main}");
    assert!(!has_iso_date(main), "{main}");
    assert_eq!(person_list_reads(&p).await, before + 2);
    // The office's other statuses name their people too.
    let r = o.get(&p, "/queue?status=calculated").await;
    let main = main_of(&r.body);
    assert!(main.contains("<td>Exemple Didier</td>"), "{main}");
    assert!(main.contains("Aucune : la réponse est donnée"));

    // Notifications, escalations, every request page of the CPAS (the DmfA section, the
    // contact thread, the timeline), its print, contact and escalation pages: the text shows
    // no ISO date (form fields keep theirs in their values).
    let dash = w.get(&p, "/dashboard").await;
    let mut paths: Vec<String> = vec!["/notifications".into(), "/escalations".into()];
    for link in main_of(&dash.body).split(r#"href="/requests/"#).skip(1) {
        let id = link.split('"').next().unwrap();
        if id.chars().all(|c| c.is_ascii_digit()) {
            for tail in ["", "/print", "/contact", "/escalate"] {
                paths.push(format!("/requests/{id}{tail}"));
            }
        }
    }
    for path in paths {
        let r = w.get(&p, &path).await;
        if r.status != StatusCode::OK {
            continue;
        }
        // Legal references cite acts by their ISO date ("Loi-programme 2025-07-18"), as the
        // engine's law book writes them, in brackets or after a flag: not dates of the case.
        let mut text = visible_text(main_of(&r.body));
        for (_, e) in art60_rules::ParamSet::embedded().all_entries().unwrap() {
            text = text.replace(&e.reference, "");
        }
        let text: String = text
            .split('[')
            .map(|part| part.split_once(']').map_or(part, |(_, rest)| rest))
            .collect();
        assert!(!has_iso_date(&text), "{path}: {text}");
    }
}

/// The text of a page without its tags.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Issue 13 §5: a refused address, an unknown method or a malformed address gets the
/// portal's translated page with the signed-in user's menu (and the link to the letter check).
#[tokio::test]
async fn error_pages_keep_the_signed_in_menu() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "cpas.namur").await;
    let page = b.get(&p, "/dashboard").await;
    assert!(
        page.body
            .contains(r#"<a href="/verify">Vérifier un courrier</a>"#)
    );
    let token = csrf(&page.body);
    for (method, path, status, title) in [
        (
            "GET",
            "/no/such/page",
            StatusCode::NOT_FOUND,
            "Page introuvable",
        ),
        ("GET", "/queue", StatusCode::FORBIDDEN, "Accès refusé"),
        (
            "GET",
            "/requests/not-a-number",
            StatusCode::BAD_REQUEST,
            "Demande incorrecte",
        ),
        (
            "POST",
            "/dashboard",
            StatusCode::METHOD_NOT_ALLOWED,
            "Action non disponible",
        ),
        (
            "GET",
            "/requests/999999",
            StatusCode::NOT_FOUND,
            "Page introuvable",
        ),
    ] {
        let form = [("csrf", token.as_str())];
        let r = b
            .send(&p, method, path, (method == "POST").then_some(&form[..]))
            .await;
        assert_eq!(r.status, status, "{method} {path}");
        assert!(
            r.body.contains(&format!("<h1>{title}</h1>")),
            "{path}: {}",
            r.body
        );
        assert!(r.body.contains("Se déconnecter"), "{path}: the menu");
        assert!(r.body.contains(r#"href="/dashboard""#), "{path}: the menu");
        assert!(r.headers.contains_key("content-security-policy"), "{path}");
    }
    // The JSON API keeps its problem documents.
    let r = b.get(&p, "/api/v1/no-such").await;
    assert!(!r.body.contains("<h1>"), "{}", r.body);
    // The officer's request page calls the thread what it is for the office.
    let mut o = Browser::default();
    o.login(&p, "onem.namur").await;
    let queue = o.get(&p, "/queue").await;
    let id = queue
        .body
        .split(r#"<th scope="row"><a href="/requests/"#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let r = o.get(&p, &format!("/requests/{id}")).await;
    assert!(r.body.contains(">Échanges avec le CPAS"), "{}", r.body);
}

/// Issue 13 §4: the person facts (dock worker or sea fisherman, career start, foreign
/// national and work permits) and a past job's weekdays, without JavaScript: a permit row
/// added, everything kept after a refused post, stored, and refilled on the edit page.
#[tokio::test]
async fn person_facts_and_job_weekdays_are_kept_stored_and_refilled() {
    let p = portal().await;
    let mut b = Browser::default();
    b.login(&p, "cpas.namur").await;
    let page = b.get(&p, "/requests/new").await;
    assert!(page.body.contains(r#"id="career_start_date""#));
    assert!(
        page.body
            .contains(r#"aria-describedby="foreign_national-hint""#)
    );
    let token = csrf(main_of(&page.body));
    let mut form = request_form(&token, "add_permit");
    form.extend([
        ("dock_worker_or_fisher", "yes"),
        ("career_start_date", "2023-09-01"),
        ("h0_days", "2"),
        ("h0_weekdays", "tue"),
        ("h0_weekdays", "wed"),
    ]);
    let r = b.post(&p, "/requests/new", &form).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(r#"<input autofocus id="w0_start""#),
        "the new permit row, focused"
    );
    assert!(
        r.body
            .contains(r#"id="foreign_national" name="foreign_national" value="yes" checked"#),
        "adding a permit ticks the box"
    );
    // A permit ending before it starts: refused next to its field, everything kept.
    form[1] = ("action", "save");
    form.extend([
        ("foreign_national", "yes"),
        ("w0_start", "2024-01-01"),
        ("w0_end", "2023-01-01"),
    ]);
    let r = b.post(&p, "/requests/new", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(r#"id="w0_end-err">Au : "#),
        "{}",
        main_of(&r.body)
    );
    for kept in [
        r#"id="dock_worker_or_fisher" name="dock_worker_or_fisher" value="yes" checked"#,
        r#"id="foreign_national" name="foreign_national" value="yes" checked"#,
        r#"value="2023-09-01""#,
        r#"id="w0_end" name="w0_end" type="date" value="2023-01-01""#,
        r#"id="h0_weekdays-tue" name="h0_weekdays" value="tue" checked"#,
        r#"id="h0_weekdays-wed" name="h0_weekdays" value="wed" checked"#,
    ] {
        assert!(r.body.contains(kept), "kept: {kept}");
    }
    assert!(!r.body.contains(r#"value="mon" checked"#));
    // The engine's refusal of a fact (the career begun after a listed job) is shown next to
    // the fact's field.
    form.retain(|(k, _)| *k != "w0_end" && *k != "career_start_date");
    form.extend([
        ("w0_end", "2025-12-31"),
        ("career_start_date", "2024-02-01"),
    ]);
    let r = b.post(&p, "/requests/new", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains(r#"id="career_start_date-err">Début de la carrière professionnelle : "#),
        "{}",
        main_of(&r.body)
    );
    form.retain(|(k, _)| *k != "career_start_date");
    form.push(("career_start_date", "2023-09-01"));
    let r = b.post(&p, "/requests/new", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", main_of(&r.body));
    let at = r.location.unwrap();
    let id = at
        .trim_start_matches("/requests/")
        .split('?')
        .next()
        .unwrap();
    let shown = b.get(&p, &format!("/requests/{id}")).await;
    let facts = shown
        .body
        .split(r#"<ul id="person-facts">"#)
        .nth(1)
        .unwrap();
    let facts = facts.split("</ul>").next().unwrap();
    assert!(facts.contains("Ouvrier portuaire"), "{facts}");
    assert!(facts.contains("01/09/2023"), "{facts}");
    assert!(facts.contains("01/01/2024 – 31/12/2025"), "{facts}");
    let edit = b.get(&p, &format!("/requests/{id}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    for refilled in [
        r#"id="dock_worker_or_fisher" name="dock_worker_or_fisher" value="yes" checked"#,
        r#"id="foreign_national" name="foreign_national" value="yes" checked"#,
        r#"id="career_start_date" name="career_start_date" type="date" value="2023-09-01""#,
        r#"id="w0_start" name="w0_start" type="date" value="2024-01-01""#,
        r#"id="w0_end" name="w0_end" type="date" value="2025-12-31""#,
        r#"id="h0_weekdays-tue" name="h0_weekdays" value="tue" checked"#,
    ] {
        assert!(edit.body.contains(refilled), "refilled: {refilled}");
    }
}

/// Issue 15 §3: a contract begun under the old rules whose DA falls under the new ones shows
/// both answers side by side (the demo's contracts sized in May 2025: 468 days then, 312 now),
/// with the reason the new rules apply; a contract under one regime shows none.
#[tokio::test]
async fn a_contract_across_the_reform_shows_old_and_new_rules_side_by_side() {
    let p = portal().await;
    let mut w = Browser::default();
    w.login(&p, "cpas.namur").await;
    let dash = w.get(&p, "/dashboard").await;
    let mut across = 0;
    let mut single = 0;
    for link in main_of(&dash.body).split(r#"href="/requests/"#).skip(1) {
        let id = link.split('"').next().unwrap();
        if !id.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let r = w.get(&p, &format!("/requests/{id}")).await;
        let main = main_of(&r.body);
        match main.split_once(r#"id="regimes""#) {
            Some((_, section)) => {
                let section = section.split("</section>").next().unwrap();
                assert!(
                    section.contains("Anciennes et nouvelles règles"),
                    "{section}"
                );
                assert!(section.contains("<td>468</td><td>312</td>"), "{section}");
                assert!(section.contains("01/03/2026"), "{section}");
                // Sized before the reform was published: the record's parameters are named.
                assert!(section.contains("before-20260301"), "{section}");
                across += 1;
            }
            None if main.contains(r#"id="standing""#) => single += 1,
            None => {}
        }
    }
    assert!(across >= 1, "no side-by-side answer on the demo's requests");
    assert!(single >= 1, "every answer shown side by side");
}
