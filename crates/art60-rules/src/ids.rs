//! Identifiers that can only hold valid values: NISS (national register / bis number) and KBO/BCE number.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must be 11 digits (dots, dashes and spaces allowed), got {0} digits")]
    NissLength(usize),
    #[error("check digits do not match")]
    NissCheck,
    #[error("must be 10 digits (a leading 0 may be omitted), got {0} digits")]
    KboLength(usize),
    #[error("KBO/BCE number must start with 0 or 1")]
    KboPrefix,
    #[error("KBO/BCE check digits do not match")]
    KboCheck,
    #[error("contains characters other than digits and separators")]
    NotDigits,
}

fn digits_of(s: &str) -> Result<Vec<u8>, IdError> {
    let mut out = Vec::with_capacity(11);
    for c in s.chars() {
        match c {
            '0'..='9' => out.push(c as u8 - b'0'),
            '.' | '-' | ' ' | '/' => {}
            _ => return Err(IdError::NotDigits),
        }
    }
    Ok(out)
}

fn to_number(d: &[u8]) -> u64 {
    d.iter().fold(0u64, |acc, &x| acc * 10 + u64::from(x))
}

/// A Belgian social security number (NISS / INSZ / ENSS), checked with both the pre-2000 and
/// the post-2000 check-digit rule. `Debug` and `Display` never show the number: only
/// [`Niss::expose`] does, so it cannot leak into logs by accident.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Niss(u64);

impl Niss {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let d = digits_of(s)?;
        if d.len() != 11 {
            return Err(IdError::NissLength(d.len()));
        }
        let body = to_number(&d[..9]);
        let check = to_number(&d[9..]);
        let before_2000 = 97 - body % 97;
        let after_2000 = 97 - (2_000_000_000 + body) % 97;
        if check == before_2000 || check == after_2000 {
            Ok(Niss(to_number(&d)))
        } else {
            Err(IdError::NissCheck)
        }
    }

    /// The 11 digits, for storage and for the person's own screens. Never log this.
    pub fn expose(&self) -> String {
        format!("{:011}", self.0)
    }

    /// Birth date encoded in the number, when it is a plain national-register number with a
    /// known date (bis numbers add 20 or 40 to the month; unknown dates use 00).
    pub fn birth_date(&self) -> Option<NaiveDate> {
        let s = self.expose();
        let yy: i32 = s[0..2].parse().ok()?;
        let mut mm: u32 = s[2..4].parse().ok()?;
        let dd: u32 = s[4..6].parse().ok()?;
        if mm > 40 {
            mm -= 40;
        } else if mm > 20 {
            mm -= 20;
        }
        let body = self.0 / 100;
        let check = self.0 % 100;
        let century = if 97 - (2_000_000_000 + body) % 97 == check {
            2000
        } else {
            1900
        };
        NaiveDate::from_ymd_opt(century + yy, mm, dd)
    }

    /// A stable pseudonym for logs and escalations: not reversible without the key.
    pub fn masked(&self) -> String {
        let s = self.expose();
        format!("{}.**.**-***.{}", &s[0..2], &s[9..11])
    }
}

impl fmt::Debug for Niss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Niss(<redacted>)")
    }
}

impl fmt::Display for Niss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<niss redacted>")
    }
}

impl FromStr for Niss {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Niss::parse(s)
    }
}

impl Serialize for Niss {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.expose())
    }
}

impl<'de> Deserialize<'de> for Niss {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Niss::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Niss {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Niss".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "Belgian NISS/INSZ: 11 digits with valid check digits (separators . - space allowed)",
            "pattern": "^[0-9. -]{11,15}$"
        })
    }
}

/// An enterprise number (KBO/BCE), e.g. a CPAS: 10 digits, the last two = 97 - (first 8 mod 97).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kbo(u64);

impl Kbo {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let mut d = digits_of(s)?;
        if d.len() == 9 {
            d.insert(0, 0);
        }
        if d.len() != 10 {
            return Err(IdError::KboLength(d.len()));
        }
        if d[0] > 1 {
            return Err(IdError::KboPrefix);
        }
        let body = to_number(&d[..8]);
        if 97 - body % 97 != to_number(&d[8..]) {
            return Err(IdError::KboCheck);
        }
        Ok(Kbo(to_number(&d)))
    }

    /// The usual written form, 0123.456.789.
    pub fn formatted(&self) -> String {
        let s = format!("{:010}", self.0);
        format!("{}.{}.{}", &s[0..4], &s[4..7], &s[7..10])
    }

    pub fn digits(&self) -> String {
        format!("{:010}", self.0)
    }
}

impl fmt::Debug for Kbo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kbo({})", self.formatted())
    }
}

impl fmt::Display for Kbo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl FromStr for Kbo {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kbo::parse(s)
    }
}

impl Serialize for Kbo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.formatted())
    }
}

impl<'de> Deserialize<'de> for Kbo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Kbo::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Kbo {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Kbo".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "string", "description": "KBO/BCE enterprise number, 10 digits with check digits"})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a valid NISS for a birth date and sequence number, the way the register does.
    pub(crate) fn make_niss(date: NaiveDate, seq: u32) -> String {
        use chrono::Datelike;
        let body = format!(
            "{:02}{:02}{:02}{:03}",
            date.year() % 100,
            date.month(),
            date.day(),
            seq
        );
        let n: u64 = body.parse().unwrap();
        let check = if date.year() >= 2000 {
            97 - (2_000_000_000 + n) % 97
        } else {
            97 - n % 97
        };
        format!("{body}{check:02}")
    }

    #[test]
    fn niss_before_and_after_2000() {
        let d1 = NaiveDate::from_ymd_opt(1985, 7, 14).unwrap();
        let d2 = NaiveDate::from_ymd_opt(2003, 2, 1).unwrap();
        let n1 = Niss::parse(&make_niss(d1, 123)).unwrap();
        let n2 = Niss::parse(&make_niss(d2, 44)).unwrap();
        assert_eq!(n1.birth_date(), Some(d1));
        assert_eq!(n2.birth_date(), Some(d2));
    }

    #[test]
    fn niss_rejects_bad_check_and_length() {
        let good = make_niss(NaiveDate::from_ymd_opt(1985, 7, 14).unwrap(), 123);
        let mut bad = good.clone().into_bytes();
        bad[10] = if bad[10] == b'9' { b'0' } else { bad[10] + 1 };
        assert_eq!(
            Niss::parse(std::str::from_utf8(&bad).unwrap()),
            Err(IdError::NissCheck)
        );
        assert_eq!(Niss::parse("1234"), Err(IdError::NissLength(4)));
        assert_eq!(Niss::parse("85.07.14-123.ab"), Err(IdError::NotDigits));
    }

    #[test]
    fn niss_never_shows_in_debug_or_display() {
        let s = make_niss(NaiveDate::from_ymd_opt(1985, 7, 14).unwrap(), 123);
        let n = Niss::parse(&s).unwrap();
        assert!(!format!("{n:?}").contains(&s[..6]));
        assert!(!format!("{n}").contains(&s[..6]));
        assert_eq!(n.expose(), s);
    }

    #[test]
    fn kbo_check_digits() {
        // body 02074467: 97 - 2074467 % 97 = 72.
        let k = Kbo::parse("0207.446.772").unwrap();
        assert_eq!(k.formatted(), "0207.446.772");
        assert_eq!(Kbo::parse("207446772").unwrap(), k);
        assert_eq!(Kbo::parse("0207.446.771"), Err(IdError::KboCheck));
        assert_eq!(Kbo::parse("2207.446.772"), Err(IdError::KboPrefix));
    }
}
