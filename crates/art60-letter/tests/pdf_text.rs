//! The rendered letter read back with poppler's `pdftotext`: every field is in the text, in
//! French, Dutch and German. (The screenshots in docs/screenshots are the portal's letters on
//! the demonstration data: crates/art60-web/tests/portal.rs.)
//!
//! `pdftotext` comes from Debian's poppler-utils (.ci/run installs it); without it locally the
//! test says so and passes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use art60_letter::{
    Answer, Lang, Letter, Office, Person, Regime, SecondCalculation, Standing, render,
};
use art60_rules::units::Hundredths;
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn letter(lang: Lang) -> Letter {
    Letter {
        lang,
        office: Office {
            name: "Verviers".into(),
            address: Some("Rue du Moulin 12, 4800 Verviers".into()),
            email: "admissibilite.verviers@onem.be".into(),
            phone: "+32 87 39 47 56".into(),
        },
        cpas_name: "ÖSHZ Eupen-Kettenis".into(),
        reference: "A60-2026-000123".into(),
        decision_date: d("2026-12-02"),
        received_on: Some(d("2026-11-26")),
        person: Person {
            last_name: "Van den Bossche".into(),
            first_name: "Jeanne".into(),
            niss: "85073003328".into(),
        },
        contract_start: Some(d("2027-01-04")),
        regime: Some(Regime {
            weekly_hours: Hundredths(1950),
            reference_hours: Hundredths(3800),
            days_per_week: Hundredths(500),
        }),
        answer: Answer {
            standing: Standing::Modified,
            end_date: Some(d("2028-06-30")),
            first_benefit_date: Some(d("2028-07-01")),
            days_to_work: Some(312),
            computed_end_date: Some(d("2028-06-23")),
            reason: Some("Certificate of 12/05 received after sending.".into()),
        },
        explanation: vec!["Explained in one sentence, a test fixture.".into()],
        articles: vec!["RD art. 33".into()],
        second_calculation: SecondCalculation {
            window: Some((d("2028-05-31"), d("2028-06-15"))),
            start_days: 30,
            end_days: 15,
            max_calculations: 2,
        },
        code: "7KQM-2XWB-9RTD".into(),
        verify_url: "https://cpas.example/verify".into(),
    }
}

fn has(tool: &str) -> bool {
    Command::new(tool).arg("-v").output().is_ok()
}

/// The words of the text on one line: table cells and justified lines reflow.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn pdftotext_finds_every_field_in_each_language() {
    if !has("pdftotext") {
        eprintln!("SKIPPED: pdftotext not installed (Debian: apt-get install poppler-utils)");
        return;
    }
    let dir = tempfile_dir();
    // (language, the values as the reader sees them: dates in words, NISS with dots,
    // decimal commas, the standing and the legal basis in that language)
    let cases: [(Lang, &[&str]); 3] = [
        (
            Lang::Fr,
            &[
                "Bureau de chômage de Verviers",
                "2 décembre 2026",
                "4 janvier 2027",
                "temps partiel : 19,5 h par semaine sur 38 h, 5 jours par semaine",
                "30 juin 2028",
                "1er juillet 2028",
                "312 jours",
                "23 juin 2028",
                "date de fin fixée par l'ONEM (calcul modifié)",
                "Loi organique des CPAS du 8 juillet 1976, article 60 §7",
                "du 31 mai 2028 au 15 juin 2028",
                "Au plus 2 calculs par emploi",
            ],
        ),
        (
            Lang::Nl,
            &[
                "Werkloosheidsbureau Verviers",
                "2 december 2026",
                "4 januari 2027",
                "deeltijds: 19,5 u per week op 38 u, 5 dagen per week",
                "30 juni 2028",
                "1 juli 2028",
                "312 dagen",
                "23 juni 2028",
                "einddatum vastgesteld door de RVA (berekening gewijzigd)",
                "Organieke wet van 8 juli 1976",
                "van 31 mei 2028 tot 15 juni 2028",
                "Ten hoogste 2 berekeningen per tewerkstelling",
            ],
        ),
        (
            Lang::De,
            &[
                "Arbeitslosenbüro Verviers",
                "2. Dezember 2026",
                "4. Januar 2027",
                "Teilzeit: 19,5 Std. pro Woche von 38 Std., 5 Tage pro Woche",
                "30. Juni 2028",
                "1. Juli 2028",
                "312 Tage",
                "23. Juni 2028",
                "Enddatum vom LfA festgelegt (Berechnung geändert)",
                "Grundlagengesetz vom 8. Juli 1976",
                "vom 31. Mai 2028 bis zum 15. Juni 2028",
                "Höchstens 2 Berechnungen pro Beschäftigung",
            ],
        ),
    ];
    for (lang, specific) in cases {
        let l = letter(lang);
        let pdf = render(&l).unwrap();
        let path = dir.join(format!("letter-{}.pdf", lang.code()));
        std::fs::write(&path, &pdf).unwrap();
        let out = Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        assert!(out.status.success(), "pdftotext failed on {}", lang.code());
        let text = words(&String::from_utf8_lossy(&out.stdout));
        let common = [
            "Verviers",
            // The postal address, one part a line (lines join with a space here).
            "Rue du Moulin 12 4800 Verviers",
            "admissibilite.verviers@onem.be",
            "+32 87 39 47 56",
            "ÖSHZ Eupen-Kettenis",
            "A60-2026-000123",
            "Jeanne Van den Bossche",
            "85.07.30-033.28",
            "Certificate of 12/05 received after sending.",
            "Explained in one sentence, a test fixture.",
            "RD art. 33",
            "7KQM-2XWB-9RTD",
            "https://cpas.example/verify",
        ];
        for want in common.iter().chain(specific) {
            assert!(
                text.contains(want),
                "{}: {want:?} not found in the PDF text:\n{text}",
                lang.code()
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A fresh directory in the system temp dir (no tempfile dependency for one test).
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("art60-letter-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
