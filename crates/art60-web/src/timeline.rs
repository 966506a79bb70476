//! The calculation as a picture: an inline SVG drawn on the server from the engine's input
//! and result. Pure function, no I/O, deterministic (snapshot-tested).
//!
//! Each period kind gets its own colour *and* its own hatching, and every row is labelled in
//! text, so nothing is told by colour alone (WCAG 1.4.1).

use std::fmt::Write as _;

use art60_rules::CalcRequest;
use art60_rules::input::{PeriodKind, Source};
use art60_rules::result::CalcResult;
use chrono::NaiveDate;

use crate::i18n::{Lang, date, t, t_args};
use crate::labels;

const WIDTH: i64 = 960;
const LEFT: i64 = 190;
const RIGHT: i64 = 20;
const ROW_H: i64 = 26;
const BAR_H: i64 = 16;
const TOP: i64 = 50;

/// Fill colours (all dark enough for the black hatching and the white gaps to stay visible).
const COLOURS: [&str; 8] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#9c755f", "#76b7b2", "#edc948",
];

/// Hatching drawn over the colour, one per kind (cycled).
const HATCH: [&str; 6] = [
    "",
    "M0,8 L8,0",
    "M0,4 L8,4",
    "M4,0 L4,8",
    "M0,0 L8,8 M0,8 L8,0",
    "M2,2 h1 v1 h-1 z M6,6 h1 v1 h-1 z",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

struct Axis {
    from: NaiveDate,
    days: i64,
}

impl Axis {
    fn x(&self, d: NaiveDate) -> i64 {
        let span = (WIDTH - LEFT - RIGHT).max(1);
        let off = (d - self.from).num_days().clamp(0, self.days);
        LEFT + off * span / self.days.max(1)
    }
    fn width(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        // At least 2 px so a one-day period stays visible.
        (self.x(b) - self.x(a)).max(2)
    }
}

fn kind_index(kind: PeriodKind) -> usize {
    let code = labels::code(&kind);
    labels::PERIOD_KINDS
        .iter()
        .position(|k| *k == code)
        .unwrap_or(0)
}

/// Renders the timeline. `lang` chooses the labels, title and description.
pub fn render(req: &CalcRequest, res: &CalcResult, lang: Lang) -> String {
    render_with_marker(req, res, lang, Marker::None)
}

/// A second end date drawn beside the result's own (dashed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    None,
    /// ONEM overrode a result stored before overrides were computed: the result is the
    /// engine's, ONEM's end date is the marker.
    OnemEnd(NaiveDate),
    /// The result is the final one at ONEM's end date; the engine's own end is the marker.
    ComputedEnd(NaiveDate),
}

/// The timeline with, in addition, a second end date (see [`Marker`]).
pub fn render_with_marker(
    req: &CalcRequest,
    res: &CalcResult,
    lang: Lang,
    marker: Marker,
) -> String {
    let (marker_key, marker_desc, onem_end) = match marker {
        Marker::None => ("", "", None),
        Marker::OnemEnd(d) => ("tl-override", "tl-desc-override", Some(d)),
        Marker::ComputedEnd(d) => ("tl-computed-end", "tl-desc-computed-end", Some(d)),
    };
    let window = res.winning_option.as_ref().map(|o| &o.window);
    let end_date = res.end_date();
    let da = res.first_benefit_date();
    let contract_start = req.contract.as_ref().map(|c| c.start);

    // The span: everything drawn, with a little margin on both sides.
    let mut dates: Vec<NaiveDate> = Vec::new();
    for h in &req.history {
        dates.push(h.start);
        dates.push(h.end);
    }
    if let Some(w) = window {
        dates.extend([w.start, w.end, w.base_start]);
        dates.extend(w.cutoff);
        for e in &w.extensions {
            dates.extend([e.event_start, e.event_end]);
        }
    }
    dates.extend(contract_start);
    dates.extend(end_date);
    dates.extend(da);
    dates.extend(onem_end);
    dates.push(req.today);
    let (Some(min), Some(max)) = (dates.iter().min().copied(), dates.iter().max().copied()) else {
        return String::new();
    };
    let pad = ((max - min).num_days() / 40).max(10);
    let axis = Axis {
        from: min - chrono::Duration::days(pad),
        days: (max - min).num_days() + 2 * pad,
    };

    // Rows: one per history kind present (in form order), typed and DmfA periods of a kind on
    // separate rows, then reference, extensions, contract.
    let mut kinds: Vec<(PeriodKind, bool)> = req
        .history
        .iter()
        .map(|h| (h.kind, h.source == Source::Dmfa))
        .collect();
    kinds.sort_by_key(|(k, dmfa)| (kind_index(*k), *dmfa));
    kinds.dedup();
    let has_ext = window.is_some_and(|w| !w.extensions.is_empty());
    let rows = kinds.len() as i64 + 1 + i64::from(has_ext) + 1;
    let height = TOP + rows * ROW_H + 40;

    let provisional = res.is_provisional();
    let fmt_d = |d: Option<NaiveDate>| d.map(crate::i18n::date).unwrap_or_else(|| "—".into());
    let title = t(lang, "tl-title");
    let ext_text = match window.map(|w| w.extensions.len()) {
        Some(n) if n > 0 => t_args(lang, "tl-desc-extensions", &[("n", n.to_string())]),
        _ => String::new(),
    };
    let mut desc = t_args(
        lang,
        "tl-desc",
        &[
            ("start", fmt_d(window.map(|w| w.start))),
            ("end", fmt_d(window.map(|w| w.end))),
            ("extensions", ext_text),
            ("contract", fmt_d(contract_start)),
            ("end_date", fmt_d(end_date)),
            ("da", fmt_d(da)),
        ],
    );
    if let Some(d) = onem_end {
        desc.push(' ');
        desc.push_str(&t_args(
            lang,
            marker_desc,
            &[("date", crate::i18n::date(d))],
        ));
    }
    if provisional {
        desc.push(' ');
        desc.push_str(&t(lang, "result-provisional"));
    }

    let mut s = String::with_capacity(8 * 1024);
    // `write!` into a String cannot fail; the results are ignored on purpose below.
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="tl-t tl-d" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="system-ui, sans-serif" font-size="12"><title id="tl-t">{}</title><desc id="tl-d">{}</desc>"#,
        esc(&title),
        esc(&desc)
    );
    s.push_str("<defs>");
    let mut patterns: Vec<usize> = kinds.iter().map(|(k, _)| kind_index(*k)).collect();
    patterns.dedup();
    for i in patterns {
        let _ = write!(
            s,
            r##"<pattern id="pk-{i}" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{}"/><path d="{}" stroke="#000" stroke-width="1.2" fill="#000"/></pattern>"##,
            COLOURS[i % COLOURS.len()],
            HATCH[i % HATCH.len()]
        );
    }
    s.push_str(r##"<pattern id="p-ext" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="#fff"/><path d="M0,6 L6,0" stroke="#0b4f8a" stroke-width="1.5"/></pattern>"##);
    s.push_str("</defs>");
    s.push_str(r##"<rect x="0" y="0" width="100%" height="100%" fill="#fff"/>"##);
    if provisional {
        let _ = write!(
            s,
            r##"<rect x="1" y="1" width="{}" height="{}" fill="none" stroke="#6b4500" stroke-width="2" stroke-dasharray="8 4"/><text x="{}" y="18" text-anchor="end" font-weight="700" fill="#6b4500">⚠ {}</text>"##,
            WIDTH - 2,
            height - 2,
            WIDTH - RIGHT,
            esc(&t(lang, "tl-provisional"))
        );
    }

    // Year ticks.
    let first_year = chrono::Datelike::year(&axis.from);
    let last_year = chrono::Datelike::year(&(axis.from + chrono::Duration::days(axis.days)));
    let axis_y = height - 30;
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{axis_y}" x2="{}" y2="{axis_y}" stroke="#4a4a4a"/>"##,
        WIDTH - RIGHT
    );
    for y in first_year..=last_year + 1 {
        let Some(d) = NaiveDate::from_ymd_opt(y, 1, 1) else {
            continue;
        };
        if d <= axis.from || (d - axis.from).num_days() >= axis.days {
            continue;
        }
        let x = axis.x(d);
        let _ = write!(
            s,
            r##"<line x1="{x}" y1="{TOP}" x2="{x}" y2="{}" stroke="#d0d0d0"/><text x="{x}" y="{}" text-anchor="middle" fill="#1a1a1a">{y}</text>"##,
            axis_y + 4,
            axis_y + 16
        );
    }

    let label = |s: &mut String, row: i64, text: &str| {
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#1a1a1a">{}</text>"##,
            LEFT - 8,
            TOP + row * ROW_H + BAR_H - 3,
            esc(text)
        );
    };
    let bar = |s: &mut String, row: i64, a: NaiveDate, b: NaiveDate, fill: &str, tip: &str| {
        let _ = write!(
            s,
            r##"<rect x="{}" y="{}" width="{}" height="{BAR_H}" fill="{fill}" stroke="#1a1a1a"><title>{}</title></rect>"##,
            axis.x(a),
            TOP + row * ROW_H,
            axis.width(a, b),
            esc(tip)
        );
    };

    let mut row = 0;
    for (k, from_dmfa) in &kinds {
        let mut name = t(lang, &labels::period_kind(*k));
        if *from_dmfa {
            // Told in words, and drawn with a dashed outline: not by colour alone.
            name = t_args(lang, "tl-dmfa", &[("kind", name)]);
        }
        label(&mut s, row, &name);
        let bars_from = s.len();
        for h in req
            .history
            .iter()
            .filter(|h| h.kind == *k && (h.source == Source::Dmfa) == *from_dmfa)
        {
            let country = h
                .abroad
                .as_ref()
                .map(|a| format!(" ({})", a.country))
                .unwrap_or_default();
            let tip = format!("{name}{country}: {} – {}", date(h.start), date(h.end));
            bar(
                &mut s,
                row,
                h.start,
                h.end,
                &format!("url(#pk-{})", kind_index(*k)),
                &tip,
            );
        }
        if *from_dmfa {
            let dashed = s[bars_from..].replace(
                r##"stroke="#1a1a1a"><title>"##,
                r##"stroke="#1a1a1a" stroke-width="2" stroke-dasharray="5 3" class="tl-dmfa"><title>"##,
            );
            s.truncate(bars_from);
            s.push_str(&dashed);
        }
        row += 1;
    }
    if let Some(w) = window {
        let name = t(lang, "tl-reference");
        label(&mut s, row, &name);
        let tip = format!("{name}: {} – {}", date(w.start), date(w.end));
        let _ = write!(
            s,
            r##"<rect x="{}" y="{}" width="{}" height="{BAR_H}" fill="#e8f1fa" stroke="#0b4f8a" stroke-width="2"><title>{}</title></rect>"##,
            axis.x(w.start),
            TOP + row * ROW_H,
            axis.width(w.start, w.end),
            esc(&tip)
        );
        if w.base_start != w.start {
            let x = axis.x(w.base_start);
            let _ = write!(
                s,
                r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#0b4f8a" stroke-width="2" stroke-dasharray="3 2"/>"##,
                TOP + row * ROW_H - 3,
                TOP + row * ROW_H + BAR_H + 3
            );
        }
        row += 1;
        if has_ext {
            let name = t(lang, "tl-extension");
            label(&mut s, row, &name);
            for e in &w.extensions {
                let tip = format!(
                    "{name}: {} – {} (+{} d)",
                    date(e.event_start),
                    date(e.event_end),
                    e.length_days
                );
                bar(&mut s, row, e.event_start, e.event_end, "url(#p-ext)", &tip);
            }
            row += 1;
        }
        if let Some(c) = w.cutoff {
            let x = axis.x(c);
            let _ = write!(
                s,
                r##"<line x1="{x}" y1="{}" x2="{x}" y2="{axis_y}" stroke="#a4000f" stroke-width="2" stroke-dasharray="6 3"/><text x="{}" y="{}" fill="#a4000f">{} {}</text>"##,
                TOP - 6,
                x + 3,
                TOP - 8,
                esc(&t(lang, "tl-cutoff")),
                date(c)
            );
        }
    }
    if let Some(start) = contract_start {
        let name = t(lang, "tl-contract");
        label(&mut s, row, &name);
        let stop = end_date
            .or(req.contract.as_ref().and_then(|c| c.end))
            .unwrap_or(start);
        let tip = format!("{name}: {} – {}", date(start), date(stop));
        let _ = write!(
            s,
            r##"<rect x="{}" y="{}" width="{}" height="{BAR_H}" fill="#1d5e20" stroke="#1a1a1a"><title>{}</title></rect>"##,
            axis.x(start),
            TOP + row * ROW_H,
            axis.width(start, stop),
            esc(&tip)
        );
        for a in req.contract.iter().flat_map(|c| &c.absences) {
            let tip = format!(
                "{}: {} – {}",
                t(lang, &labels::absence_kind(a.kind)),
                date(a.start),
                date(a.end)
            );
            bar(&mut s, row, a.start, a.end, "url(#p-ext)", &tip);
        }
    }
    // The end and DA markers (and ONEM's end), labelled above the rows on separate heights
    // so the labels never overlap; ONEM's marker is dashed, not only another colour.
    for (i, (key, d, colour, dash)) in [
        ("tl-end", end_date, "#1a1a1a", ""),
        ("tl-da", da, "#0b4f8a", ""),
        (
            marker_key,
            onem_end,
            "#a4000f",
            r#" stroke-dasharray="4 2""#,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let Some(d) = d else { continue };
        let x = axis.x(d);
        let ty = 12 + 11 * i as i64;
        let _ = write!(
            s,
            r##"<line x1="{x}" y1="{}" x2="{x}" y2="{axis_y}" stroke="{colour}" stroke-width="2"{dash}/><text x="{}" y="{ty}" text-anchor="end" font-weight="700" font-size="11" fill="{colour}">{} {}</text>"##,
            ty + 3,
            x - 3,
            esc(&t(lang, key)),
            date(d)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use art60_rules::{Options, ParamSet, calculate};

    fn example(name: &str) -> (CalcRequest, CalcResult) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name);
        let text = std::fs::read_to_string(path).unwrap();
        let req = CalcRequest::parse(&text).unwrap();
        let res = calculate(&req, &Options::default(), ParamSet::embedded()).unwrap();
        (req, res)
    }

    const EXAMPLES: [&str; 6] = [
        "assess-old-art42.json",
        "crossing-36.json",
        "full-time.json",
        "history-with-sickness.json",
        "new-regime-previous-admission.json",
        "part-time.json",
    ];

    #[test]
    fn snapshots_of_the_examples() {
        for name in EXAMPLES {
            let (req, res) = example(name);
            let svg = render(&req, &res, Lang::Fr);
            insta::assert_snapshot!(name.trim_end_matches(".json"), svg);
        }
    }

    #[test]
    fn accessible_and_translated() {
        let (req, res) = example("history-with-sickness.json");
        for (lang, kind) in [
            (Lang::Fr, "Activité indépendante"),
            (Lang::Nl, "Zelfstandige activiteit"),
        ] {
            let svg = render(&req, &res, lang);
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
            assert!(svg.contains(r#"role="img""#));
            assert!(svg.contains(r#"<title id="tl-t">"#) && svg.contains(r#"<desc id="tl-d">"#));
            assert!(svg.contains(kind), "{kind} missing");
        }
    }

    #[test]
    fn each_kind_has_its_own_pattern() {
        let (req, res) = example("history-with-sickness.json");
        let svg = render(&req, &res, Lang::En);
        // Self-employment, work and sickness: three patterns, with distinct hatching paths.
        let patterns: Vec<&str> = svg.split("<pattern id=\"pk-").skip(1).collect();
        assert_eq!(patterns.len(), 3);
        let hatches: std::collections::BTreeSet<&str> = patterns
            .iter()
            .filter_map(|p| p.split("<path d=\"").nth(1)?.split('"').next())
            .collect();
        assert_eq!(hatches.len(), 3, "{hatches:?}");
    }

    #[test]
    fn end_and_da_marked() {
        let (req, res) = example("full-time.json");
        let svg = render(&req, &res, Lang::En);
        if let (Some(e), Some(d)) = (res.end_date(), res.first_benefit_date()) {
            let (e, d) = (crate::i18n::date(e), crate::i18n::date(d));
            assert!(svg.contains(&format!("End {e}")), "end marker");
            assert!(svg.contains(&format!("DA {d}")), "DA marker");
        } else {
            panic!("full-time example should plan an end date");
        }
    }

    #[test]
    fn provisional_results_are_marked_in_words_not_only_by_a_dashed_frame() {
        let (req, res) = example("history-with-sickness.json");
        assert!(res.is_provisional(), "the example is provisional");
        let svg = render(&req, &res, Lang::Nl);
        assert!(svg.contains("VOORLOPIG"));
        assert!(
            svg.contains("Voorlopig resultaat"),
            "in the description too"
        );
        let (req, res) = example("full-time.json");
        assert!(!render(&req, &res, Lang::Nl).contains("VOORLOPIG"));
    }

    #[test]
    fn onem_override_is_marked() {
        let (req, res) = example("full-time.json");
        let d = NaiveDate::from_ymd_opt(2028, 1, 31).unwrap();
        let svg = render_with_marker(&req, &res, Lang::Nl, Marker::OnemEnd(d));
        assert!(svg.contains("Einddatum RVA 31/01/2028"), "{svg}");
        assert!(svg.contains("RVA legde 31/01/2028 vast als einddatum."));
    }

    #[test]
    fn dmfa_periods_have_their_own_row_said_in_words_and_a_dashed_outline() {
        let (mut req, res) = example("history-with-sickness.json");
        // The example's DmfA job, and the same job typed by hand: two rows.
        let dmfa = req
            .history
            .iter()
            .find(|h| h.source == Source::Dmfa)
            .cloned()
            .unwrap();
        let mut typed = dmfa.clone();
        typed.source = Source::Manual;
        typed.quarters.clear();
        req.history.push(typed);
        for (lang, words) in [
            (Lang::En, "Work in Belgium (DmfA)"),
            (Lang::Fr, "Travail en Belgique (DmfA)"),
            (Lang::Nl, "Werk in België (DmfA)"),
            (Lang::De, "Arbeit in Belgien (DmfA)"),
        ] {
            let svg = render(&req, &res, lang);
            assert_eq!(
                svg.matches(words).count(),
                2,
                "{lang:?}: label and tooltip\n{svg}"
            );
            assert_eq!(svg.matches(r#"class="tl-dmfa""#).count(), 1, "{svg}");
        }
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
