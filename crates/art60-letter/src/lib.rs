//! The answer letter of an ONEM office to a CPAS (article 60 §7) as a PDF/A-2b document.
//!
//! Pure: a [`Letter`] in, PDF bytes out; no database, no clock, no network, no file system.
//! The layout is the typst template `templates/letter.typ`; the wording, per language, is
//! `labels/<lang>.toml`; this file only formats the values for the reader (dates in words,
//! NISS with its dots, decimal commas) and hands both to typst as `sys.inputs`.
//!
//! typst runs as a library (typst-as-lib) with the fonts typst-assets embeds in the binary,
//! so the output is the same on every machine. Rendering takes a few tens of milliseconds
//! (more in debug builds) and blocks: call [`render`] from `tokio::task::spawn_blocking`.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::LazyLock;

pub use art60_rules::explain::Lang;
use art60_rules::units::Hundredths;
use chrono::{Datelike, NaiveDate};
use typst::foundations::{Bytes, Dict, IntoValue, Smart};
use typst::text::Font;
use typst_as_lib::{TypstEngine, TypstTemplateMainFile};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

const TEMPLATE: &str = include_str!("../templates/letter.typ");

/// The letter's wording per language: one TOML file each, same keys (a test checks).
const LABELS: [(Lang, &str); 4] = [
    (Lang::Fr, include_str!("../labels/fr.toml")),
    (Lang::Nl, include_str!("../labels/nl.toml")),
    (Lang::De, include_str!("../labels/de.toml")),
    (Lang::En, include_str!("../labels/en.toml")),
];

/// The font families the template names; typst-assets holds a few more (math, NewCM).
const FAMILIES: [&str; 2] = ["Libertinus Serif", "DejaVu Sans Mono"];

#[derive(Debug, thiserror::Error)]
pub enum LetterError {
    #[error("letter labels for {lang}: {reason}")]
    Labels { lang: &'static str, reason: String },
    /// The template did not compile (a bug in `letter.typ` or a missing input key).
    #[error("letter template: {0}")]
    Template(String),
    /// typst could not write a conforming PDF/A-2b file.
    #[error("letter PDF export: {0}")]
    Pdf(String),
}

/// How the answer stands (the request's final answer as the case service states it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Simulation,
    AwaitingOnem,
    Confirmed,
    Modified,
    Returned,
}

impl Standing {
    fn key(self) -> &'static str {
        match self {
            Standing::Simulation => "standing_simulation",
            Standing::AwaitingOnem => "standing_awaiting_onem",
            Standing::Confirmed => "standing_confirmed",
            Standing::Modified => "standing_modified",
            Standing::Returned => "standing_returned",
        }
    }
}

/// The sender: the ONEM office, as in the directory.
#[derive(Debug, Clone)]
pub struct Office {
    pub name: String,
    /// Postal address as the directory keeps it, parts separated by `, ` (one line each on
    /// the letter); `None` when the administrators have not entered it.
    pub address: Option<String>,
    /// Its e-mail address(es) as stored (`; ` between several).
    pub email: String,
    pub phone: String,
}

/// The person the answer is about. No `Debug`: the name and NISS must not reach a log.
#[derive(Clone)]
pub struct Person {
    pub last_name: String,
    pub first_name: String,
    /// The 11 digits; printed `85.07.30-033.28`.
    pub niss: String,
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Person(<redacted>)")
    }
}

/// The contract's work regime (SPEC §3.7: Q hours a week of a full-time S, R days a week).
#[derive(Debug, Clone, Copy)]
pub struct Regime {
    pub weekly_hours: Hundredths,
    pub reference_hours: Hundredths,
    pub days_per_week: Hundredths,
}

/// The final answer (SPEC §1.3.4): end date, first benefit date, days to work, and whether
/// ONEM confirmed or changed it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub standing: Standing,
    pub end_date: Option<NaiveDate>,
    pub first_benefit_date: Option<NaiveDate>,
    pub days_to_work: Option<u32>,
    /// The engine's end date when ONEM set another one.
    pub computed_end_date: Option<NaiveDate>,
    /// ONEM's justification when it changed the result.
    pub reason: Option<String>,
}

/// How to ask a second calculation (SPEC §1.3.5).
#[derive(Debug, Clone, Copy)]
pub struct SecondCalculation {
    /// The dates of the window, when the answer has an end date.
    pub window: Option<(NaiveDate, NaiveDate)>,
    /// The window in days before the contract end (30 and 15 today, from the rules' data).
    pub start_days: u32,
    pub end_days: u32,
    /// Calculations allowed per employment (2 today).
    pub max_calculations: u32,
}

/// Everything the letter prints. Texts that come from elsewhere (the explanation, the legal
/// references, ONEM's reason) are already in the reader's language.
#[derive(Debug, Clone)]
pub struct Letter {
    pub lang: Lang,
    pub office: Office,
    pub cpas_name: String,
    pub reference: String,
    pub decision_date: NaiveDate,
    /// When ONEM received the request (the decision date is used when unknown).
    pub received_on: Option<NaiveDate>,
    pub person: Person,
    pub contract_start: Option<NaiveDate>,
    pub regime: Option<Regime>,
    pub answer: Answer,
    /// The plain explanation's summary: a few sentences.
    pub explanation: Vec<String>,
    /// The articles the calculation applied, in the reader's abbreviations (`AR art. 30`).
    pub articles: Vec<String>,
    pub second_calculation: SecondCalculation,
    /// The verification code printed on the letter (`ABCD-EFGH-JKMN`).
    pub code: String,
    /// Where a user checks the code (the portal's `/verify` page).
    pub verify_url: String,
}

type Catalog = HashMap<String, String>;

static CATALOGS: LazyLock<Result<HashMap<&'static str, Catalog>, LetterError>> =
    LazyLock::new(|| {
        LABELS
            .iter()
            .map(|(lang, src)| {
                toml::from_str::<Catalog>(src)
                    .map(|c| (lang.code(), c))
                    .map_err(|e| LetterError::Labels {
                        lang: lang.code(),
                        reason: e.to_string(),
                    })
            })
            .collect()
    });

fn catalog(lang: Lang) -> Result<&'static Catalog, LetterError> {
    let all = CATALOGS.as_ref().map_err(|e| LetterError::Labels {
        lang: lang.code(),
        reason: e.to_string(),
    })?;
    all.get(lang.code()).ok_or(LetterError::Labels {
        lang: lang.code(),
        reason: "no catalog".into(),
    })
}

/// The compiled template and its fonts, built once per process (parsing the fonts is the
/// slow part; each letter then only lays out and exports).
static ENGINE: LazyLock<TypstEngine<TypstTemplateMainFile>> = LazyLock::new(|| {
    let fonts: Vec<Font> = typst_assets::fonts()
        .flat_map(|data| Font::iter(Bytes::new(data)))
        .filter(|f| FAMILIES.contains(&f.info().family.as_str()))
        .collect();
    TypstEngine::builder()
        .main_file(TEMPLATE)
        .fonts(fonts)
        .build()
});

/// A date in words in the reader's language: `1er décembre 2026`, `2 december 2026`,
/// `2. Dezember 2026`, `2 December 2026`.
pub fn format_date(d: NaiveDate, lang: Lang) -> String {
    const FR: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    const NL: [&str; 12] = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ];
    const DE: [&str; 12] = [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    // month0() is 0..=11, so the index is always in range.
    let m = d.month0() as usize;
    let (day, year) = (d.day(), d.year());
    match lang {
        Lang::Fr if day == 1 => format!("1er {} {year}", FR[m]),
        Lang::Fr => format!("{day} {} {year}", FR[m]),
        Lang::Nl => format!("{day} {} {year}", NL[m]),
        Lang::De => format!("{day}. {} {year}", DE[m]),
        Lang::En => format!("{day} {} {year}", EN[m]),
    }
}

/// The NISS as Belgian documents print it, `YY.MM.DD-XXX.CC`; anything but 11 digits as is.
pub fn format_niss(digits: &str) -> String {
    if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.to_owned();
    }
    format!(
        "{}.{}.{}-{}.{}",
        &digits[0..2],
        &digits[2..4],
        &digits[4..6],
        &digits[6..9],
        &digits[9..11]
    )
}

/// A number of hours or days with the reader's decimal mark: `19,5` (fr, nl, de), `19.5` (en).
pub fn format_decimal(h: Hundredths, lang: Lang) -> String {
    let s = h.to_string();
    match lang {
        Lang::En => s,
        Lang::Fr | Lang::Nl | Lang::De => s.replace('.', ","),
    }
}

/// A sentence from elsewhere (the engine's explanation) written the letter's way: dates,
/// ISO (`2026-12-02`) or Belgian (`02/12/2026`), in words, and a decimal comma between digits
/// in French, Dutch and German.
pub fn localise_text(text: &str, lang: Lang) -> String {
    let chars: Vec<char> = text.chars().collect();
    let digit = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
    // A 10-character date at `i` with separators at `seps`, not inside a longer number.
    let shaped = |i: usize, sep: char, seps: [usize; 2]| {
        (i == 0 || !digit(i - 1))
            && (0..10).all(|k| {
                if seps.contains(&k) {
                    chars.get(i + k) == Some(&sep)
                } else {
                    digit(i + k)
                }
            })
            && !digit(i + 10)
    };
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < chars.len() {
        let parsed = if shaped(i, '-', [4, 7]) {
            let piece: String = chars[i..i + 10].iter().collect();
            NaiveDate::parse_from_str(&piece, "%Y-%m-%d").ok()
        } else if shaped(i, '/', [2, 5]) {
            let piece: String = chars[i..i + 10].iter().collect();
            NaiveDate::parse_from_str(&piece, "%d/%m/%Y").ok()
        } else {
            None
        };
        if let Some(d) = parsed {
            out.push_str(&format_date(d, lang));
            i += 10;
            continue;
        }
        let c = chars[i];
        if c == '.' && lang != Lang::En && i > 0 && digit(i - 1) && digit(i + 1) {
            out.push(',');
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Replaces each `{name}` of `template` by its value; unknown names stay as written.
fn fill(template: &str, values: &BTreeMap<&'static str, String>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if values.contains_key(&after[..close]) => {
                out.push_str(&values[&after[..close]]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The template's inputs: `l`, the sentences with their placeholders filled, and `d`, the
/// values formatted for the reader.
pub struct Inputs {
    pub l: BTreeMap<String, String>,
    pub d: BTreeMap<&'static str, String>,
}

/// What the template receives. Public so that tests can name every printed value.
pub fn inputs(letter: &Letter) -> Result<Inputs, LetterError> {
    let lang = letter.lang;
    let cat = catalog(lang)?;
    let label = |k: &str| cat.get(k).cloned().unwrap_or_else(|| k.to_owned());
    let date = |d: Option<NaiveDate>| d.map(|d| format_date(d, lang)).unwrap_or_default();
    let a = &letter.answer;
    let mut d: BTreeMap<&'static str, String> = BTreeMap::new();
    d.insert("lang", lang.code().to_owned());
    d.insert("date_year", letter.decision_date.year().to_string());
    d.insert("date_month", letter.decision_date.month().to_string());
    d.insert("date_day", letter.decision_date.day().to_string());
    d.insert("office", letter.office.name.clone());
    d.insert(
        "office_address",
        letter.office.address.clone().unwrap_or_default(),
    );
    d.insert("office_email", letter.office.email.clone());
    d.insert("office_phone", letter.office.phone.clone());
    // The placeholders of the sentences use the short names.
    // In a sentence the number stays on one line (no-break spaces).
    d.insert("phone", letter.office.phone.replace(' ', "\u{a0}"));
    d.insert("email", letter.office.email.clone());
    d.insert("cpas_name", letter.cpas_name.clone());
    d.insert("reference", letter.reference.clone());
    d.insert("decision_date", format_date(letter.decision_date, lang));
    d.insert(
        "received_on",
        format_date(letter.received_on.unwrap_or(letter.decision_date), lang),
    );
    d.insert(
        "person_name",
        format!("{} {}", letter.person.first_name, letter.person.last_name),
    );
    d.insert("niss", format_niss(&letter.person.niss));
    d.insert("contract_start", date(letter.contract_start));
    // The regime and day-count sentences are filled from the same values as the others.
    if let Some(r) = letter.regime {
        d.insert("q", format_decimal(r.weekly_hours, lang));
        d.insert("s", format_decimal(r.reference_hours, lang));
        d.insert("r", format_decimal(r.days_per_week, lang));
    }
    let regime = match letter.regime {
        Some(r) if r.weekly_hours >= r.reference_hours => fill(&label("regime_full"), &d),
        Some(_) => fill(&label("regime_part"), &d),
        None => String::new(),
    };
    d.insert("regime", regime);
    d.insert("standing", label(a.standing.key()));
    let none = label("none");
    d.insert(
        "end_date",
        a.end_date.map_or(none.clone(), |x| format_date(x, lang)),
    );
    d.insert(
        "first_benefit_date",
        a.first_benefit_date
            .map_or(none.clone(), |x| format_date(x, lang)),
    );
    let days = match a.days_to_work {
        Some(n) => {
            d.insert("days", n.to_string());
            fill(&label("days_value"), &d)
        }
        None => none,
    };
    d.insert("days_to_work", days);
    // Shown only when ONEM changed the computed date.
    let computed = a.computed_end_date.filter(|c| Some(*c) != a.end_date);
    d.insert("computed_end_date", date(computed));
    d.insert("reason", a.reason.clone().unwrap_or_default());
    let explanation: Vec<String> = letter
        .explanation
        .iter()
        .map(|s| localise_text(s, lang))
        .collect();
    d.insert("explanation", explanation.join("\n"));
    d.insert("articles", letter.articles.join(", "));
    let s = letter.second_calculation;
    d.insert("start_days", s.start_days.to_string());
    d.insert("end_days", s.end_days.to_string());
    d.insert("max", s.max_calculations.to_string());
    d.insert("from", date(s.window.map(|w| w.0)));
    d.insert("until", date(s.window.map(|w| w.1)));
    d.insert("code", letter.code.clone());
    d.insert("verify_url", letter.verify_url.clone());

    let mut l = BTreeMap::new();
    for (k, template) in cat {
        l.insert(k.clone(), fill(template, &d));
    }
    if s.window.is_none()
        && let Some(undated) = l.get("second_calc_undated").cloned()
    {
        l.insert("second_calc".into(), undated);
    }
    Ok(Inputs { l, d })
}

fn dict<K: AsRef<str>>(map: &BTreeMap<K, String>) -> Dict {
    let mut out = Dict::new();
    for (k, v) in map {
        out.insert(k.as_ref().into(), v.as_str().into_value());
    }
    out
}

/// Renders the letter as a PDF/A-2b file (fonts embedded, tagged; the document date is the
/// decision date). Blocking: tens of milliseconds.
pub fn render(letter: &Letter) -> Result<Vec<u8>, LetterError> {
    let Inputs { l, d } = inputs(letter)?;
    let mut root = Dict::new();
    root.insert("l".into(), dict(&l).into_value());
    root.insert("d".into(), dict(&d).into_value());
    let doc: PagedDocument = ENGINE
        .compile_with_input(root)
        .output
        .map_err(|e| LetterError::Template(e.to_string()))?;
    let standards =
        PdfStandards::new(&[PdfStandard::A_2b]).map_err(|e| LetterError::Pdf(format!("{e:?}")))?;
    let options = PdfOptions {
        // A stable identifier: the same letter (reference and code) gives the same PDF id.
        ident: Smart::Custom(format!("{} {}", letter.reference, letter.code)),
        standards,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&doc, &options).map_err(|diags| {
        LetterError::Pdf(
            diags
                .iter()
                .map(|d| d.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn dates_in_words() {
        assert_eq!(format_date(d("2026-12-02"), Lang::Fr), "2 décembre 2026");
        assert_eq!(format_date(d("2026-08-01"), Lang::Fr), "1er août 2026");
        assert_eq!(format_date(d("2026-12-02"), Lang::Nl), "2 december 2026");
        assert_eq!(format_date(d("2026-12-02"), Lang::De), "2. Dezember 2026");
        assert_eq!(format_date(d("2026-03-15"), Lang::De), "15. März 2026");
        assert_eq!(format_date(d("2026-12-02"), Lang::En), "2 December 2026");
    }

    #[test]
    fn niss_and_decimals() {
        assert_eq!(format_niss("85073003328"), "85.07.30-033.28");
        assert_eq!(format_niss("8507300332"), "8507300332");
        assert_eq!(format_decimal(Hundredths(1950), Lang::Fr), "19,5");
        assert_eq!(format_decimal(Hundredths(1950), Lang::En), "19.5");
        assert_eq!(format_decimal(Hundredths(3800), Lang::De), "38");
    }

    #[test]
    fn explanation_sentences_read_the_letter_way() {
        let s = "Du 2026-03-01 au 2026-12-02 : 19.5 h sur 38, art. 30 (A60-2026-000001).";
        assert_eq!(
            localise_text(s, Lang::Fr),
            "Du 1er mars 2026 au 2 décembre 2026 : 19,5 h sur 38, art. 30 (A60-2026-000001)."
        );
        assert_eq!(
            localise_text("2026-12-02, 19.5", Lang::En),
            "2 December 2026, 19.5"
        );
        assert_eq!(localise_text("12026-12-021", Lang::De), "12026-12-021");
        assert_eq!(
            localise_text("vanaf 02/12/2026 (31/02/2026 bestaat niet)", Lang::Nl),
            "vanaf 2 december 2026 (31/02/2026 bestaat niet)"
        );
    }

    #[test]
    fn fill_keeps_unknown_placeholders() {
        let mut v = BTreeMap::new();
        v.insert("a", "1".to_owned());
        assert_eq!(fill("{a} and {b} {", &v), "1 and {b} {");
    }

    /// Each language has the same keys, and every `{placeholder}` is a value the letter has.
    #[test]
    fn every_language_has_every_key_and_known_placeholders() {
        let fr: BTreeSet<&String> = catalog(Lang::Fr).unwrap().keys().collect();
        let values = inputs(&sample(Lang::Fr)).unwrap().d;
        for (lang, _) in LABELS {
            let c = catalog(lang).unwrap();
            let keys: BTreeSet<&String> = c.keys().collect();
            assert_eq!(keys, fr, "{}", lang.code());
            for (k, text) in c {
                for piece in text.split('{').skip(1) {
                    let name = piece.split('}').next().unwrap();
                    assert!(
                        values.contains_key(name),
                        "{} {k}: unknown placeholder {{{name}}}",
                        lang.code()
                    );
                }
            }
        }
    }

    /// The template names every label and value it prints (a missing key would fail the
    /// compilation; this also catches a label nobody prints).
    #[test]
    fn the_template_prints_every_label() {
        // Pieces the code assembles into a printed value or sentence.
        let parts = [
            "second_calc_undated",
            "regime_full",
            "regime_part",
            "days_value",
            "none",
        ];
        for k in catalog(Lang::Fr).unwrap().keys() {
            if parts.contains(&k.as_str()) || k.starts_with("standing_") {
                continue;
            }
            assert!(
                TEMPLATE.contains(&format!("l.{k}")),
                "letter.typ never prints l.{k}"
            );
        }
    }

    #[test]
    fn the_person_is_not_in_debug_output() {
        let s = format!("{:?}", sample(Lang::Fr));
        assert!(!s.contains("Dupont") && !s.contains("85073003328"), "{s}");
    }

    pub(crate) fn sample(lang: Lang) -> Letter {
        Letter {
            lang,
            office: Office {
                name: "Namur".into(),
                address: None,
                email: "admissibilite.namur@onem.be".into(),
                phone: "+32 81 23 50 82".into(),
            },
            cpas_name: "CPAS de Namur".into(),
            reference: "A60-2026-000042".into(),
            decision_date: d("2026-12-02"),
            received_on: Some(d("2026-11-25")),
            person: Person {
                last_name: "Dupont".into(),
                first_name: "Marie".into(),
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
                end_date: Some(d("2028-03-31")),
                first_benefit_date: Some(d("2028-04-01")),
                days_to_work: Some(312),
                computed_end_date: Some(d("2028-03-24")),
                reason: Some("Jours fériés de #2027 * non repris".into()),
            },
            explanation: vec![
                "Date de la demande d'allocations 2028-04-01 : les règles de 2026 s'appliquent."
                    .into(),
            ],
            articles: vec!["AR art. 30".into()],
            second_calculation: SecondCalculation {
                window: Some((d("2028-03-01"), d("2028-03-16"))),
                start_days: 30,
                end_days: 15,
                max_calculations: 2,
            },
            code: "7KQM-2XWB-9RTD".into(),
            verify_url: "https://cpas.example/verify".into(),
        }
    }

    #[test]
    fn renders_a_pdf_a() {
        let pdf = render(&sample(Lang::De)).unwrap();
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
        let text = String::from_utf8_lossy(&pdf);
        // PDF/A identification in the XMP metadata: part 2, conformance B.
        assert!(
            text.contains("<pdfaid:part>2</pdfaid:part>"),
            "no PDF/A-2 metadata"
        );
        assert!(text.contains("<pdfaid:conformance>B</pdfaid:conformance>"));
    }
}
