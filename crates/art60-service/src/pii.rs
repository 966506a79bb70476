//! Checks that free text meant for case references only carries no personal data (SPEC §1.6,
//! §9): no NISS-shaped number that passes the NISS check, and, where the service knows the
//! person, not their name.

use art60_rules::Niss;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::FieldError;

/// The text as the checks read it: compatibility-decomposed (full-width `８８`, circled and
/// superscript digits become ASCII digits, full-width separators plain ones), accents dropped,
/// invisible format characters (zero-width spaces and joiners, soft hyphens, BOM) removed, lower
/// case. Without this "８８０４…" or "Du\u{200b}pont" passed the filter.
pub fn canonical(text: &str) -> String {
    text.nfkd()
        .filter(|c| !is_combining_mark(*c) && !is_invisible(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
    )
}

/// The names of the person a text is about, when the service knows them.
#[derive(Clone, Copy)]
pub struct Names<'a> {
    pub last_name: &'a str,
    pub first_name: &'a str,
}

/// The one filter for free text that reaches another party (a return reason, an override or
/// derogation justification, a message, an escalation, feedback): such text goes to the
/// other organisation, to mails and to the audit trail that administrators read, so it must
/// not carry the person's NISS or name; the request already identifies the person.
pub fn check_free_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    text: &str,
    person: Option<Names<'_>>,
) {
    if contains_niss(text) {
        errors.push(FieldError::coded(
            field,
            "contains_niss",
            "contains a national register number (NISS): the request already identifies the person; quote its reference instead",
        ));
    }
    if let Some(p) = person
        && (contains_name(text, p.last_name) || contains_name(text, p.first_name))
    {
        errors.push(FieldError::coded(
            field,
            "contains_name",
            "contains the person's name: the request already identifies the person; write without it",
        ));
    }
}

/// Separators people type inside a NISS (`95.03.10-123.41`, `950310 123 41`).
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '.' | '-' | '/')
}

/// True when `text` holds a number that is a valid NISS, written with or without separators.
/// Digits are grouped into runs joined by single separators; any consecutive groups that
/// together hold exactly 11 digits are checked, so a NISS next to another number is found too.
pub fn contains_niss(text: &str) -> bool {
    let chars: Vec<char> = canonical(text).chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // One run: digit groups separated by exactly one separator character.
        let mut groups: Vec<String> = Vec::new();
        let mut current = String::new();
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_digit() {
                current.push(c);
                i += 1;
            } else if is_separator(c) && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                groups.push(std::mem::take(&mut current));
                i += 1;
            } else {
                break;
            }
        }
        groups.push(current);
        for start in 0..groups.len() {
            let mut digits = String::new();
            for g in &groups[start..] {
                digits.push_str(g);
                if digits.len() >= 11 {
                    break;
                }
            }
            if digits.len() == 11 && Niss::parse(&digits).is_ok() {
                return true;
            }
            // A longer group may hide a NISS inside it (pasted without spaces).
            let g = &groups[start];
            if g.len() > 11 {
                for w in 0..=g.len() - 11 {
                    if Niss::parse(&g[w..w + 11]).is_ok() {
                        return true;
                    }
                }
            }
        }
    }
    false
}

fn fold(s: &str) -> String {
    canonical(s)
}

/// True when `text` contains `name` as a whole word (case-insensitive). Names shorter than
/// two letters are ignored: they would match ordinary words.
pub fn contains_name(text: &str, name: &str) -> bool {
    let name = fold(name.trim());
    if name.chars().count() < 2 {
        return false;
    }
    let text = fold(text);
    let mut from = 0;
    while let Some(pos) = text[from..].find(&name) {
        let start = from + pos;
        let end = start + name.len();
        let before_ok = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = text[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        from = start + name.len().max(1);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_niss_in_every_usual_writing() {
        for t in [
            "see 95031012341 please",
            "NISS 95.03.10-123.41",
            "950310 123 41",
            "ref 12 95031012341",
            "x95031012341x",
            "12395031012341",
        ] {
            assert!(contains_niss(t), "{t}");
        }
    }

    #[test]
    fn leaves_other_numbers_alone() {
        for t in [
            "request A60-2024-000012 of 2024-06-10",
            "95031012342",
            "call 081 23 50 82",
            "",
            "amount 1234.56",
        ] {
            assert!(!contains_niss(t), "{t}");
        }
    }

    #[test]
    fn other_digit_forms_and_invisible_characters_do_not_hide_a_niss() {
        for t in [
            "ＮＩＳＳ ９５０３１０１２３４１",
            "95\u{200b}031012341",
            "95.03.10\u{ff0d}123.41",
            "⑨5031012341",
        ] {
            assert!(contains_niss(t), "{t}");
        }
    }

    #[test]
    fn names_match_without_accents_case_or_hidden_characters() {
        assert!(contains_name("le dossier de ＤＵＰＯＮＴ", "Dupont"));
        assert!(contains_name("Du\u{200b}pont a appelé", "Dupont"));
        assert!(contains_name("Elodie asked", "Élodie"));
        assert!(contains_name("Me Müller", "Muller"));
    }

    #[test]
    fn the_filter_names_the_field_and_the_reason() {
        let mut errors = Vec::new();
        let p = Names {
            last_name: "Dupont",
            first_name: "Marie",
        };
        check_free_text(&mut errors, "reason", "certificat manquant", Some(p));
        assert!(errors.is_empty());
        check_free_text(&mut errors, "reason", "Marie 95031012341", Some(p));
        let codes: Vec<_> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_deref()))
            .collect();
        assert_eq!(
            codes,
            [
                ("reason", Some("contains_niss")),
                ("reason", Some("contains_name"))
            ]
        );
    }

    #[test]
    fn names_match_whole_words_only() {
        assert!(contains_name("about Mrs DUPONT's file", "Dupont"));
        assert!(contains_name("Élodie asked", "élodie"));
        assert!(!contains_name("Duponte is a street", "Dupont"));
        assert!(!contains_name("a b c", "a"));
    }
}
