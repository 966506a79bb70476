//! Dates as JSON strings, for `#[serde(deserialize_with)]` and `#[serde(serialize_with)]`.
//!
//! Reading a date is a large part of reading a request, and writing one a large part of a
//! list the service serves (the queue page: two dates a row): chrono reads a date through its
//! general format parser and writes it through `Display`, one formatter call a field. The
//! usual `YYYY-MM-DD` is read and written directly here; anything else goes through chrono
//! (same answers, same errors).

use chrono::{Datelike, NaiveDate};
use serde::de::{Error, Visitor};
use serde::{Deserializer, Serializer};

/// `YYYY-MM-DD` read directly; `None` for anything else (chrono may still read it).
fn parse(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

/// The ten bytes of `YYYY-MM-DD`, as chrono writes a date of the years 0 to 9999; `None` for
/// other years (chrono writes them with a sign).
fn ymd(d: NaiveDate) -> Option<[u8; 10]> {
    let y = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
    let digit = |v: u32| b'0' + (v % 10) as u8;
    let (m, day) = (d.month(), d.day());
    Some([
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(day / 10),
        digit(day),
    ])
}

struct DateVisitor;

impl Visitor<'_> for DateVisitor {
    type Value = NaiveDate;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a date as YYYY-MM-DD")
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<NaiveDate, E> {
        match parse(v) {
            Some(d) => Ok(d),
            None => v.parse::<NaiveDate>().map_err(E::custom),
        }
    }
}

struct OptionalVisitor;

impl<'de> Visitor<'de> for OptionalVisitor {
    type Value = Option<NaiveDate>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a date as YYYY-MM-DD or null")
    }
    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        required(d).map(Some)
    }
}

/// A date that must be there.
pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    d.deserialize_str(DateVisitor)
}

/// A date or `null` (or absent, with `#[serde(default)]`).
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    d.deserialize_option(OptionalVisitor)
}

/// A date written as chrono's `Display` writes it.
pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    match ymd(*d) {
        // Ten ASCII digits and dashes: always UTF-8.
        Some(b) => s.serialize_str(std::str::from_utf8(&b).unwrap_or_default()),
        None => s.collect_str(d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_direct_reading_agrees_with_chrono() {
        let mut d = NaiveDate::from_ymd_opt(1899, 12, 25).unwrap();
        while d.year() < 2160 {
            let s = d.to_string();
            assert_eq!(parse(&s), Some(d), "{s}");
            d = d + chrono::Days::new(13);
        }
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-01",
            "+2024-01-01",
            "2024/01/01",
            "20x4-01-01",
            "2024-01-1 ",
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[derive(serde::Serialize)]
    struct Row(#[serde(serialize_with = "serialize")] NaiveDate);

    #[test]
    fn the_direct_writing_agrees_with_chrono() {
        let mut d = NaiveDate::from_ymd_opt(-3, 1, 1).unwrap();
        let mut checked = 0;
        while d.year() < 10_005 {
            let ours = serde_json::to_string(&Row(d)).unwrap();
            assert_eq!(ours, format!("\"{d}\""));
            checked += 1;
            d = d + chrono::Days::new(if (9995..=10_001).contains(&d.year()) {
                1
            } else {
                97
            });
        }
        assert!(checked > 40_000, "{checked}");
        // Years outside 0-9999 go through chrono: a sign.
        assert_eq!(
            serde_json::to_string(&Row(NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap())).unwrap(),
            "\"+10000-01-01\""
        );
        assert_eq!(
            serde_json::to_string(&Row(NaiveDate::from_ymd_opt(-1, 12, 31).unwrap())).unwrap(),
            "\"-0001-12-31\""
        );
    }
}
