//! What the field macros of `templates/fields.html` draw: the data of one form field (its
//! translated label, hint and error, what was typed, whether it takes the focus). The markup
//! itself lives in the macros, so every field gets the same accessible shape: a label, the
//! hint `{name}-hint` and the error `{name}-err` next to it, `aria-describedby` linking both,
//! `aria-invalid` when in error.

use crate::form::Errors;
use crate::i18n::{Lang, t};

/// One choice of a drop-down.
#[derive(Debug, Clone)]
pub struct Choice {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub value: String,
    /// An HTML input type, or `decimal` (text with a decimal keyboard).
    pub kind: &'static str,
    pub hint: Option<String>,
    pub error: Option<String>,
    pub autofocus: bool,
    /// A checkbox's state.
    pub checked: bool,
    /// The choices of a drop-down (empty for other fields).
    pub options: Vec<Choice>,
}

impl Field {
    /// A text field named `name`, labelled by the catalog key `label_key`; its error, if
    /// any, is the one `errors` holds under its name.
    pub fn new(lang: Lang, errors: &Errors, name: &str, label_key: &str, value: &str) -> Field {
        Field {
            name: name.to_owned(),
            label: t(lang, label_key),
            value: value.to_owned(),
            kind: "text",
            hint: None,
            error: errors.get(name).cloned(),
            autofocus: false,
            checked: false,
            options: Vec::new(),
        }
    }

    pub fn kind(mut self, kind: &str) -> Field {
        self.kind = match kind {
            "date" => "date",
            "decimal" => "decimal",
            "email" => "email",
            "tel" => "tel",
            _ => "text",
        };
        self
    }

    /// A hint under the field (a catalog key; empty: none).
    pub fn hint(mut self, lang: Lang, key: Option<&str>) -> Field {
        self.hint = key.filter(|k| !k.is_empty()).map(|k| t(lang, k));
        self
    }

    /// Takes the focus when its name is `focus` (after a row was added, or the first field in
    /// error), so keyboard and screen-reader users continue where they acted.
    pub fn focus(mut self, focus: &str) -> Field {
        self.autofocus = !focus.is_empty() && self.name == focus;
        self
    }

    /// A drop-down of `(code, label)` pairs; the one equal to the value is selected.
    pub fn options(mut self, options: impl IntoIterator<Item = (String, String)>) -> Field {
        self.options = options
            .into_iter()
            .map(|(code, label)| Choice {
                selected: code == self.value,
                code,
                label,
            })
            .collect();
        self
    }

    pub fn checked(mut self, checked: bool) -> Field {
        self.checked = checked;
        self
    }

    pub fn input_type(&self) -> &'static str {
        match self.kind {
            "decimal" => "text",
            k => k,
        }
    }

    pub fn inputmode(&self) -> Option<&'static str> {
        (self.kind == "decimal").then_some("decimal")
    }

    pub fn autocomplete(&self) -> Option<&'static str> {
        match self.kind {
            "email" => Some("email"),
            "tel" => Some("tel"),
            _ => None,
        }
    }

    /// The NISS is checked while typing (htmx), with the birth date it may fill in.
    pub fn checks_niss(&self) -> bool {
        self.name == "niss"
    }

    /// The ids for `aria-describedby` (empty: the attribute is left out).
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.hint.is_some() {
            ids.push(format!("{}-hint", self.name));
        }
        if self.error.is_some() {
            ids.push(format!("{}-err", self.name));
        }
        ids.join(" ")
    }
}

/// The field to focus after a refused post: the first of `order` (page order) in error.
pub fn first_error<'a>(errors: &Errors, order: &[&'a str]) -> &'a str {
    order
        .iter()
        .find(|n| errors.contains_key(**n))
        .copied()
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hint_and_error_are_both_described() {
        let mut errors = Errors::new();
        errors.insert("niss".into(), "bad".into());
        let f = Field::new(Lang::Fr, &errors, "niss", "field-niss", "1")
            .hint(Lang::Fr, Some("field-niss-hint"))
            .focus("niss");
        assert_eq!(f.described_by(), "niss-hint niss-err");
        assert!(f.autofocus && f.checks_niss());
        let g = Field::new(Lang::Fr, &errors, "x", "field-niss", "").kind("decimal");
        assert_eq!(g.described_by(), "");
        assert_eq!((g.input_type(), g.inputmode()), ("text", Some("decimal")));
        assert_eq!(first_error(&errors, &["x", "niss"]), "niss");
    }
}
