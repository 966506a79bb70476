//! One rule for an e-mail address typed by a person: `local@domain.tld`, checked with the
//! `email_address` crate (RFC 5322 local part, RFC 1035 domain) and, on top, what a mail
//! server on the Internet needs: no display text, no `[1.2.3.4]` domain literal, a domain of
//! at least two labels whose last one (the TLD) has letters only and at least two of them.

use email_address::{EmailAddress, Options};

/// True for an address such as `marie@cpas.example`; false for `marie@`, `marie@cpas`,
/// `Marie <marie@cpas.be>`, `marie@[10.0.0.1]` or an address with spaces.
pub fn is_valid(address: &str) -> bool {
    let options = Options::default()
        .with_minimum_sub_domains(2)
        .without_domain_literal()
        .without_display_text();
    let Ok(a) = EmailAddress::parse_with_options(address, options) else {
        return false;
    };
    let tld = a.domain().rsplit('.').next().unwrap_or_default();
    address.len() <= 254
        && !address.contains(char::is_whitespace)
        && a.local_part().len() <= 64
        && (tld.len() >= 2 && tld.chars().all(char::is_alphabetic) || tld.starts_with("xn--"))
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn usual_addresses_pass() {
        for a in [
            "marie@cpas.example",
            "insertion@cpas-bruxelles.be",
            "j.dupont+art60@ocmw.gent.be",
            "élise@öshz.eupen.be",
            "a@b.xn--p1ai",
        ] {
            assert!(is_valid(a), "{a}");
        }
    }

    #[test]
    fn incomplete_or_odd_addresses_fail() {
        for a in [
            "",
            "marie",
            "marie@",
            "@cpas.be",
            "marie@cpas",
            "marie@cpas.",
            "marie@.be",
            "marie@cpas.b",
            "marie@cpas.123",
            "marie@@cpas.be",
            "ma rie@cpas.be",
            "marie@cpas .be",
            "marie.@cpas.be",
            "marie..x@cpas.be",
            "Marie <marie@cpas.be>",
            "marie@[10.0.0.1]",
            "marie@-cpas.be",
        ] {
            assert!(!is_valid(a), "{a}");
        }
    }
}
