//! The countries of the request form's "work abroad" list, named in the reader's language
//! (catalog keys `country-FR`...): the EU and EEA states, Switzerland and the United Kingdom,
//! the other countries of a Belgian convention on unemployment (SPEC §3.9; the `foreign`
//! parameters' `convention_countries` and `option_countries`, tested), and the countries
//! many CPAS clients worked in without one, so the officer sees where the work was.

use crate::i18n::{Lang, t};

/// ISO 3166-1 alpha-2 codes (never BE: Belgian work is `work`).
pub const COUNTRIES: [&str; 56] = [
    "AT", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
    "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH", "GB", "DZ",
    "TR", "TN", "BA", "MK", "ME", "MA", "RS", "AL", "UA", "RU", "CD", "CM", "RW", "BI", "SN", "GN",
    "SY", "IQ", "AF", "BR", "US", "CA", "CN", "IN",
];

/// `(code, name)` sorted by name in the reader's language. A stored code outside the list (a
/// request filed through the API) is kept as its own entry, so re-saving the form keeps it.
pub fn options(lang: Lang, current: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = COUNTRIES
        .iter()
        .map(|c| (c.to_string(), t(lang, &crate::labels::key("country", c))))
        .collect();
    v.sort_by_cached_key(|(_, name)| sort_key(name));
    let current = current.trim();
    if !current.is_empty() && !COUNTRIES.contains(&current) {
        v.push((current.to_owned(), current.to_owned()));
    }
    v
}

/// Names sort as a reader expects: `Émirats` with the E, `Österreich` with the O.
fn sort_key(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'À' | 'Â' | 'Ä' | 'Á' => 'A',
            'É' | 'È' | 'Ê' | 'Ë' => 'E',
            'Î' | 'Ï' | 'Í' => 'I',
            'Ô' | 'Ö' | 'Ó' => 'O',
            'Û' | 'Ü' | 'Ù' | 'Ú' => 'U',
            'Ç' => 'C',
            'à' | 'â' | 'ä' | 'á' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' | 'í' => 'i',
            'ô' | 'ö' | 'ó' => 'o',
            'û' | 'ü' | 'ù' | 'ú' => 'u',
            'ç' => 'c',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eu_eea_switzerland_uk_and_every_convention_country_are_listed() {
        let eu_eea = [
            "AT", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
            "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI",
            "NO", "CH", "GB",
        ];
        for c in eu_eea {
            assert!(COUNTRIES.contains(&c), "{c}");
        }
        for f in &art60_rules::ParamSet::embedded().foreign {
            for c in f
                .value
                .convention_countries
                .iter()
                .chain(&f.value.option_countries)
            {
                assert!(COUNTRIES.contains(&c.as_str()), "convention country {c}");
            }
        }
        assert!(!COUNTRIES.contains(&"BE"));
        let mut sorted = COUNTRIES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), COUNTRIES.len(), "a country is listed twice");
    }

    #[test]
    fn names_are_translated_and_sorted_in_the_reader_language() {
        let de = options(Lang::De, "");
        let names: Vec<&str> = de.iter().map(|(_, n)| n.as_str()).collect();
        let at = names.iter().position(|n| *n == "Österreich").unwrap();
        let nl = names.iter().position(|n| *n == "Niederlande").unwrap();
        let pl = names.iter().position(|n| *n == "Polen").unwrap();
        assert!(nl < at && at < pl, "{names:?}");
        let fr = options(Lang::Fr, "");
        assert!(fr.contains(&("DE".into(), "Allemagne".into())));
        assert!(options(Lang::Nl, "").contains(&("DE".into(), "Duitsland".into())));
        assert!(options(Lang::En, "").contains(&("DE".into(), "Germany".into())));
        // A code from the API that the list lacks is kept.
        assert_eq!(
            options(Lang::Fr, "JP").last(),
            Some(&("JP".into(), "JP".into()))
        );
    }
}
