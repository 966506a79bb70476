//! Notification e-mails: the templates (one TOML file per language, `mail/*.toml`) and the
//! SMTP transport (lettre, rustls with the ring provider).

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::db::{NotificationKind, UiLanguage};

const TEMPLATES: [(UiLanguage, &str); 4] = [
    (UiLanguage::Fr, include_str!("../../mail/fr.toml")),
    (UiLanguage::Nl, include_str!("../../mail/nl.toml")),
    (UiLanguage::De, include_str!("../../mail/de.toml")),
    (UiLanguage::En, include_str!("../../mail/en.toml")),
];

type Catalog = HashMap<String, String>;

/// `section.key` → text, per language. A file that does not parse yields an empty catalog
/// (the test below fails on it); rendering then falls back to English.
fn catalogs() -> &'static HashMap<UiLanguage, Catalog> {
    static C: OnceLock<HashMap<UiLanguage, Catalog>> = OnceLock::new();
    C.get_or_init(|| {
        TEMPLATES
            .iter()
            .map(|(lang, text)| (*lang, flatten(text)))
            .collect()
    })
}

fn flatten(text: &str) -> Catalog {
    let mut out = Catalog::new();
    if let Ok(t) = toml::from_str::<toml::Table>(text) {
        for (section, v) in t {
            if let toml::Value::Table(keys) = v {
                for (k, v) in keys {
                    if let toml::Value::String(s) = v {
                        out.insert(format!("{section}.{k}"), s);
                    }
                }
            }
        }
    }
    out
}

fn text(lang: UiLanguage, key: &str) -> String {
    let cats = catalogs();
    cats.get(&lang)
        .and_then(|c| c.get(key))
        .or_else(|| cats.get(&UiLanguage::En).and_then(|c| c.get(key)))
        .cloned()
        .unwrap_or_default()
}

/// A rendered e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// Fills the template of `kind` in `lang` with `vars` (`{name}` placeholders). Values are
/// inserted as given: callers pass only the reference, dates, links and a redacted reason.
pub fn render(lang: UiLanguage, kind: NotificationKind, vars: &[(&str, String)]) -> Rendered {
    let fill = |t: String| {
        vars.iter()
            .fold(t, |acc, (k, v)| acc.replace(&format!("{{{k}}}"), v))
    };
    let subject = fill(text(lang, &format!("{kind}.subject")));
    let body = format!(
        "{}\n\n{}\n\n-- \n{}\n",
        text(lang, "common.greeting"),
        fill(text(lang, &format!("{kind}.body"))),
        fill(text(lang, "common.footer")),
    );
    Rendered { subject, body }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsMode {
    /// Plain SMTP (a relay on the same host, or tests).
    None,
    /// STARTTLS on the submission port (587).
    #[default]
    Starttls,
    /// Implicit TLS (465).
    Tls,
}

impl std::str::FromStr for TlsMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(TlsMode::None),
            "starttls" => Ok(TlsMode::Starttls),
            "tls" => Ok(TlsMode::Tls),
            other => Err(format!("{other}: expected none, starttls or tls")),
        }
    }
}

#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, e.g. `CPAS@ONEM <noreply@example.be>`.
    pub from: String,
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("smtp configuration: {0}")]
    Config(String),
    #[error("address: {0}")]
    Address(String),
    #[error("smtp: {0}")]
    Send(String),
}

/// Sends mails through one SMTP server (pooled connections).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(cfg: &SmtpConfig) -> Result<Mailer, MailError> {
        let builder = match cfg.tls {
            TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host),
            TlsMode::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.host)
                .map_err(|e| MailError::Config(e.to_string()))?,
            TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host)
                .map_err(|e| MailError::Config(e.to_string()))?,
        };
        let mut builder = builder.port(cfg.port).timeout(Some(cfg.timeout));
        if let (Some(u), Some(p)) = (&cfg.username, &cfg.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        let from = cfg
            .from
            .parse::<Mailbox>()
            .map_err(|e| MailError::Config(format!("from: {e}")))?;
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    pub async fn send(&self, to: &str, mail: &Rendered) -> Result<(), MailError> {
        let to = to
            .parse::<Mailbox>()
            .map_err(|e| MailError::Address(e.to_string()))?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| MailError::Address(e.to_string()))?;
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_language_has_every_key_and_each_kind_a_subject_and_body() {
        let cats = catalogs();
        let en: BTreeSet<&String> = cats[&UiLanguage::En].keys().collect();
        for kind in NotificationKind::ALL {
            for part in ["subject", "body"] {
                assert!(
                    en.contains(&format!("{kind}.{part}")),
                    "en misses {kind}.{part}"
                );
            }
        }
        for (lang, _) in TEMPLATES {
            let keys: BTreeSet<&String> = cats[&lang].keys().collect();
            assert_eq!(keys, en, "{lang} keys differ from en");
            for (k, v) in &cats[&lang] {
                assert!(!v.trim().is_empty(), "{lang} {k} is empty");
            }
        }
    }

    #[test]
    fn render_fills_placeholders_in_the_language() {
        let r = render(
            UiLanguage::Nl,
            NotificationKind::DeadlineTomorrow,
            &[
                ("reference", "CPAS-2024-000001".into()),
                ("due_on", "2024-06-14".into()),
                ("link", "https://portal/requests/1".into()),
                ("settings", "https://portal/account".into()),
            ],
        );
        assert_eq!(
            r.subject,
            "Aanvraag CPAS-2024-000001: antwoord morgen verwacht"
        );
        assert!(r.body.contains("2024-06-14"), "{}", r.body);
        assert!(r.body.contains("https://portal/account"), "{}", r.body);
        assert!(!r.body.contains('{'), "unfilled placeholder: {}", r.body);
    }
}
