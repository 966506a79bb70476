//! Issue 15 §2: the "Impact d'une réforme" page: run a proposal (an example, pasted or
//! uploaded), the summary with its SVG chart, the rows with filters, CSV; the run is its
//! creator's; officers notify the CPAS once; a federation SPOC is refused. SQLite always,
//! PostgreSQL when ART60_TEST_DATABASE_URL is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::{Browser, Portal, backends, csrf, main_of, portal_on};

/// A multipart form body (text fields only; a file field is sent with a file name).
fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "impact-test-boundary";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!("--{boundary}\r\n"));
        if *k == "proposal_file" {
            body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{k}\"; filename=\"p.toml\"\r\nContent-Type: text/plain\r\n\r\n"
            ));
        } else {
            body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{k}\"\r\n\r\n"
            ));
        }
        body.push_str(v);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

async fn run(p: &Portal, b: &mut Browser, fields: &[(&str, &str)]) -> common::Resp {
    let page = b.get(p, "/impact").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let token = csrf(&page.body);
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(fields);
    b.request(p, "POST", "/impact", Some(multipart(&all))).await
}

#[tokio::test]
async fn a_worker_runs_an_example_proposal_and_reads_it_back() {
    for pg in backends() {
        let p = portal_on(pg.as_deref(), false).await;
        let mut b = Browser::default();
        b.login(&p, "cpas.namur").await;
        let home = b.get(&p, "/impact").await;
        assert!(home.body.contains("href=\"/impact\""), "in the menu");
        assert!(main_of(&home.body).contains("shorter-2027.toml"));

        let r = run(
            &p,
            &mut b,
            &[
                ("example", "shorter-2027.toml"),
                ("status", "sent"),
                ("status", "calculated"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let at = r.location.clone().unwrap();
        assert!(at.starts_with("/impact/"), "{at}");
        let page = b.get(&p, &at).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let main = main_of(&page.body);
        assert!(main.contains("shorter-2027"), "the proposal named");
        assert!(main.contains("<svg"), "the chart");
        assert!(main.contains(&format!("href=\"{at}/csv\"")), "the CSV link");
        assert!(!main.contains("notify"), "a worker does not notify");
        // Dates as everywhere in the portal: dd/mm/yyyy.
        assert!(
            main.contains("/2026") || main.contains("/2027"),
            "dates dd/mm/yyyy"
        );
        assert!(!main.contains("2026-11-20"), "no ISO dates on the page");

        let filtered = b.get(&p, &format!("{at}?change=later")).await;
        assert_eq!(filtered.status, StatusCode::OK);
        assert!(filtered.body.contains("value=\"later\" selected"));

        let csv = b.get(&p, &format!("{at}/csv")).await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(csv.headers["content-type"].starts_with("text/csv"));
        assert!(
            csv.body.starts_with("reference,request_id,"),
            "{}",
            csv.body
        );

        // Pasted text with a wrong type: 422, the path named.
        let bad = run(
            &p,
            &mut b,
            &[(
                "proposal_text",
                &art60_service::impact_runs::EXAMPLES[0]
                    .1
                    .replace("days = 234", "days = \"many\""),
            )],
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        assert!(
            bad.body.contains("proposal.stage[0].bands[0].days"),
            "{}",
            main_of(&bad.body)
        );
        // An uploaded file is read too; a bad option is named.
        let upload = run(
            &p,
            &mut b,
            &[
                ("proposal_file", art60_service::impact_runs::EXAMPLES[1].1),
                ("options", "quarter_cap_method=sideways"),
                ("status", "sent"),
            ],
        )
        .await;
        assert_eq!(upload.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            upload.body.contains("<code>options</code>"),
            "{}",
            main_of(&upload.body)
        );
        let ok = run(
            &p,
            &mut b,
            &[
                ("proposal_file", art60_service::impact_runs::EXAMPLES[1].1),
                ("status", "sent"),
            ],
        )
        .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
        let list = b.get(&p, "/impact").await;
        assert!(list.body.contains("longer-2027"), "the runs listed");

        // Another user's run: 404; a federation SPOC: 403 on the page itself.
        let mut officer = Browser::default();
        officer.login(&p, "onem.namur").await;
        assert_eq!(officer.get(&p, &at).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            officer.get(&p, &format!("{at}/csv")).await.status,
            StatusCode::NOT_FOUND
        );
        let mut fed = Browser::default();
        fed.login(&p, "spoc.uvcw").await;
        let f = fed.get(&p, "/impact").await;
        assert_eq!(f.status, StatusCode::FORBIDDEN);
        assert!(!f.body.contains("href=\"/impact\""), "not in their menu");
        p.cleanup().await;
    }
}

#[tokio::test]
async fn an_officer_notifies_the_cpas_once() {
    for pg in backends() {
        let p = portal_on(pg.as_deref(), false).await;
        for user in ["onem.namur", "spoc.onem"] {
            let mut b = Browser::default();
            b.login(&p, user).await;
            let r = run(
                &p,
                &mut b,
                &[
                    ("example", "shorter-2027.toml"),
                    ("status", "sent"),
                    ("status", "calculated"),
                ],
            )
            .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            let at = r.location.clone().unwrap();
            let page = b.get(&p, &at).await;
            assert_eq!(page.status, StatusCode::OK);
            let token = csrf(&page.body);
            // The demo's contracts sized under the 2026 rules end earlier under the example.
            assert!(
                page.body.contains(&format!("action=\"{at}/notify\"")),
                "{user}: the notify button"
            );
            let n = b
                .post(&p, &format!("{at}/notify"), &[("csrf", &token)])
                .await;
            assert_eq!(n.status, StatusCode::SEE_OTHER);
            let first = n.location.clone().unwrap();
            assert!(!first.contains("notified=0"), "{first}");
            let again = b
                .post(&p, &format!("{at}/notify"), &[("csrf", &token)])
                .await;
            let second = again.location.clone().unwrap();
            assert!(second.contains("notified=0"), "{first} then {second}");
            let shown = b.get(&p, &second).await;
            assert!(shown.body.contains("role=\"status\""));
        }
        // A CPAS worker may not notify, even from their own run.
        let mut w = Browser::default();
        w.login(&p, "cpas.namur").await;
        let r = run(&p, &mut w, &[("status", "sent")]).await;
        let at = r.location.clone().unwrap();
        let page = w.get(&p, &at).await;
        let n = w
            .post(&p, &format!("{at}/notify"), &[("csrf", &csrf(&page.body))])
            .await;
        assert_eq!(n.status, StatusCode::FORBIDDEN);
        p.cleanup().await;
    }
}
