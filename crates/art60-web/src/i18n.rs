//! Translations (Fluent catalogs under `locales/`) and the choice of language.
//!
//! The language of a page: the user's explicit choice (cookie set by the language switch),
//! else the language of the worker's CPAS, else the browser's `Accept-Language`, else French.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

pub use art60_rules::explain::Lang;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "fr",
        // Without this Fluent wraps every placeable in U+2068/U+2069 marks, which show up in
        // HTML attributes and snapshots.
        customise: |b| b.set_use_isolating(false),
    };
}

/// The portal's languages, in the order of the language switch.
pub const LANGS: [Lang; 4] = [Lang::Fr, Lang::Nl, Lang::De, Lang::En];

/// Cookie remembering the user's explicit choice (holds only a language code).
pub const LANG_COOKIE: &str = "art60_lang";

static IDS: LazyLock<HashMap<&'static str, LanguageIdentifier>> = LazyLock::new(|| {
    LANGS
        .iter()
        .filter_map(|l| l.code().parse().ok().map(|id| (l.code(), id)))
        .collect()
});

fn id(lang: Lang) -> Option<&'static LanguageIdentifier> {
    IDS.get(lang.code())
}

/// The translation of `key`; the key itself when missing (a unit test makes sure none is).
pub fn t(lang: Lang, key: &str) -> String {
    id(lang)
        .and_then(|l| LOCALES.try_lookup(l, key))
        .unwrap_or_else(|| key.to_owned())
}

/// The translation of `key` with named string arguments.
pub fn t_args(lang: Lang, key: &str, args: &[(&'static str, String)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
        .collect();
    id(lang)
        .and_then(|l| LOCALES.try_lookup_with_args(l, key, &map))
        .unwrap_or_else(|| key.to_owned())
}

/// A date the way Belgian readers write it in every portal language: 02/12/2026.
pub fn date(d: chrono::NaiveDate) -> String {
    art60_rules::explain::plain::date_text(d)
}

/// A moment as Brussels reads it, with the date written as [`date`] does: 02/12/2026 14:05.
pub fn date_time(at: chrono::DateTime<chrono::Utc>) -> String {
    let local = at.with_timezone(&chrono_tz::Europe::Brussels);
    format!("{} {}", date(local.date_naive()), local.format("%H:%M"))
}

/// The best of our languages for an `Accept-Language` header (quality values honoured).
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for part in header.split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim();
        let q = it
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        // Thousandths as an integer: comparable without float ordering subtleties.
        let q = (q.clamp(0.0, 1.0) * 1000.0) as u16;
        if q == 0 {
            continue;
        }
        if let Some(lang) = Lang::parse(tag).filter(|l| LANGS.contains(l))
            && best.is_none_or(|(bq, _)| q > bq)
        {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// Picks the language: explicit choice > CPAS language > Accept-Language > French.
pub fn negotiate(choice: Option<&str>, cpas: Option<Lang>, accept: Option<&str>) -> Lang {
    choice
        .and_then(Lang::parse)
        .or(cpas)
        .or_else(|| accept.and_then(from_accept_language))
        .unwrap_or(Lang::Fr)
}

/// The name of a language in that language (for the switch).
pub fn native_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "Français",
        Lang::Nl => "Nederlands",
        Lang::De => "Deutsch",
        Lang::En => "English",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn keys_of(lang: &str) -> BTreeSet<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang)
            .join("main.ftl");
        let text = std::fs::read_to_string(&path).unwrap();
        text.lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
            .collect()
    }

    /// Every key used by a template or the code (`t("...")`, `t_args(.., "...")`, `tr("...")`).
    fn used_keys() -> BTreeSet<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = BTreeSet::new();
        for dir in ["templates", "src"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    continue;
                }
                let text = std::fs::read_to_string(path).unwrap();
                for marker in ["t(\"", "t1(\"", "t_args(lang, \""] {
                    for (at, _) in text.match_indices(marker) {
                        // A call like `get(..)` also ends in `t(`: the marker must start a word.
                        let before = text[..at].chars().next_back().unwrap_or(' ');
                        if before.is_alphanumeric() || before == '_' {
                            continue;
                        }
                        let piece = &text[at + marker.len()..];
                        if let Some((k, _)) = piece.split_once('"')
                            && !k.is_empty()
                            && k.chars()
                                .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
                        {
                            out.insert(k.to_owned());
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_language_has_every_key() {
        let langs = ["fr", "nl", "de", "en"];
        let all: BTreeSet<String> = langs.iter().flat_map(|l| keys_of(l)).collect();
        assert!(all.len() > 50, "catalogs look empty");
        for l in langs {
            let have = keys_of(l);
            let missing: Vec<_> = all.difference(&have).collect();
            assert!(missing.is_empty(), "{l} lacks {missing:?}");
        }
    }

    #[test]
    fn every_key_used_in_code_or_templates_exists() {
        let used = used_keys();
        assert!(used.len() > 30, "key scan found too little: {used:?}");
        for lang in LANGS {
            let have = keys_of(lang.code());
            let missing: Vec<_> = used.difference(&have).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.code());
        }
    }

    #[test]
    fn dynamic_keys_exist() {
        for lang in LANGS {
            let have = keys_of(lang.code());
            for k in crate::labels::ALL_DYNAMIC_KEYS.iter() {
                assert!(have.contains(k), "{} lacks {k}", lang.code());
            }
        }
    }

    #[test]
    fn translations_differ_by_language() {
        assert_eq!(t(Lang::Fr, "nav-logout"), "Se déconnecter");
        assert_eq!(t(Lang::Nl, "nav-logout"), "Afmelden");
        assert_eq!(t(Lang::De, "nav-logout"), "Abmelden");
        assert_eq!(t(Lang::En, "nav-logout"), "Sign out");
    }

    #[test]
    fn arguments_have_no_isolation_marks() {
        let s = t_args(Lang::En, "logged-in-as", &[("name", "alice".into())]);
        assert!(s.contains("alice") && !s.contains('\u{2068}'), "{s}");
    }

    #[test]
    fn accept_language_follows_quality() {
        assert_eq!(
            from_accept_language("nl-BE,nl;q=0.9,fr;q=0.8"),
            Some(Lang::Nl)
        );
        assert_eq!(
            from_accept_language("es, de;q=0.5, fr;q=0.7"),
            Some(Lang::Fr)
        );
        assert_eq!(from_accept_language("es, it"), None);
        assert_eq!(from_accept_language("de;q=0, en"), Some(Lang::En));
    }

    #[test]
    fn negotiation_order() {
        assert_eq!(negotiate(Some("de"), Some(Lang::Nl), Some("en")), Lang::De);
        assert_eq!(negotiate(None, Some(Lang::Nl), Some("en")), Lang::Nl);
        assert_eq!(negotiate(None, None, Some("en")), Lang::En);
        assert_eq!(negotiate(Some("xx"), None, None), Lang::Fr);
    }
}
