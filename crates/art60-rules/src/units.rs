//! Exact decimal quantities. The law rounds each part to 4 decimals and the total up, so the
//! engine never uses floating point for counting: inputs are hundredths (as in the DmfA) and
//! counts are ten-thousandths.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative quantity with two decimals (days, hours, euros), stored as hundredths.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hundredths(pub i64);

impl Hundredths {
    pub const fn whole(n: i64) -> Self {
        Hundredths(n * 100)
    }
    pub fn raw(self) -> i64 {
        self.0
    }
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Debug for Hundredths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self)
    }
}

impl fmt::Display for Hundredths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.abs();
        if a % 100 == 0 {
            write!(f, "{sign}{}", a / 100)
        } else if a % 10 == 0 {
            write!(f, "{sign}{}.{}", a / 100, (a % 100) / 10)
        } else {
            write!(f, "{sign}{}.{:02}", a / 100, a % 100)
        }
    }
}

impl Serialize for Hundredths {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 100 == 0 {
            s.serialize_i64(self.0 / 100)
        } else {
            s.serialize_f64(self.as_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Hundredths {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if !v.is_finite() || !(0.0..=1.0e12).contains(&v) {
            return Err(serde::de::Error::custom(
                "must be a non-negative number below 10^12",
            ));
        }
        let h = (v * 100.0).round();
        if (h - v * 100.0).abs() > 1e-6 * h.abs().max(1.0) {
            return Err(serde::de::Error::custom("at most two decimals"));
        }
        Ok(Hundredths(h as i64))
    }
}

impl JsonSchema for Hundredths {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Decimal2".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "number", "minimum": 0, "multipleOf": 0.01})
    }
}

/// A count with four decimals, stored as ten-thousandths (e.g. 23.5263 R6 days).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fixed4(pub i64);

impl Fixed4 {
    pub const ZERO: Fixed4 = Fixed4(0);
    pub const fn whole(n: i64) -> Self {
        Fixed4(n * 10_000)
    }
    /// `num / den`, rounded half up to four decimals. `den` must be positive.
    pub fn ratio(num: i128, den: i128) -> Self {
        if den <= 0 {
            return Fixed4::ZERO;
        }
        let scaled = num * 10_000;
        let q = scaled.div_euclid(den);
        let r = scaled.rem_euclid(den);
        let q = if 2 * r >= den { q + 1 } else { q };
        Fixed4(q as i64)
    }
    /// Rounded up to a whole number (the total, SPEC §3.8.3).
    pub fn ceil(self) -> i64 {
        self.0.div_euclid(10_000) + i64::from(self.0.rem_euclid(10_000) != 0)
    }
    pub fn ceil_fixed(self) -> Fixed4 {
        Fixed4::whole(self.ceil())
    }
    pub fn min(self, o: Fixed4) -> Fixed4 {
        if self <= o { self } else { o }
    }
    pub fn max(self, o: Fixed4) -> Fixed4 {
        if self >= o { self } else { o }
    }
    pub fn times(self, k: i64) -> Fixed4 {
        Fixed4(self.0 * k)
    }
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 10_000.0
    }
}

impl Add for Fixed4 {
    type Output = Fixed4;
    fn add(self, o: Fixed4) -> Fixed4 {
        Fixed4(self.0 + o.0)
    }
}
impl AddAssign for Fixed4 {
    fn add_assign(&mut self, o: Fixed4) {
        self.0 += o.0;
    }
}
impl Sub for Fixed4 {
    type Output = Fixed4;
    fn sub(self, o: Fixed4) -> Fixed4 {
        Fixed4(self.0 - o.0)
    }
}
impl std::iter::Sum for Fixed4 {
    fn sum<I: Iterator<Item = Fixed4>>(iter: I) -> Fixed4 {
        iter.fold(Fixed4::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Fixed4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.abs();
        let frac = a % 10_000;
        if frac == 0 {
            write!(f, "{sign}{}", a / 10_000)
        } else {
            let s = format!("{frac:04}");
            write!(f, "{sign}{}.{}", a / 10_000, s.trim_end_matches('0'))
        }
    }
}
impl fmt::Debug for Fixed4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl Serialize for Fixed4 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 10_000 == 0 {
            s.serialize_i64(self.0 / 10_000)
        } else {
            s.serialize_f64(self.as_f64())
        }
    }
}
impl<'de> Deserialize<'de> for Fixed4 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if !v.is_finite() || v.abs() > 1.0e12 {
            return Err(serde::de::Error::custom("out of range"));
        }
        Ok(Fixed4((v * 10_000.0).round() as i64))
    }
}
impl JsonSchema for Fixed4 {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Decimal4".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({"type": "number"})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_rounds_half_up_to_four_decimals() {
        // EX11: 149 h x 6/38 = 23.5263; 154 h x 6/38 = 24.3158; total 47.8421 -> 48.
        let a = Fixed4::ratio(149 * 6, 38);
        let b = Fixed4::ratio(154 * 6, 38);
        assert_eq!(a, Fixed4(235_263));
        assert_eq!(b, Fixed4(243_158));
        assert_eq!((a + b).ceil(), 48);
        assert_eq!(Fixed4::ratio(1, 20_000), Fixed4(1)); // 0.00005 -> 0.0001
        assert_eq!(Fixed4::ratio(1, 20_001), Fixed4(0));
    }

    #[test]
    fn total_rounded_up() {
        // UT: 311.0000 -> 311 (fails 312); 311.0001 -> 312.
        assert_eq!(Fixed4(3_110_000).ceil(), 311);
        assert_eq!(Fixed4(3_110_001).ceil(), 312);
    }

    #[test]
    fn hundredths_parse() {
        let h: Hundredths = serde_json::from_str("2.25").unwrap();
        assert_eq!(h, Hundredths(225));
        assert!(serde_json::from_str::<Hundredths>("-1").is_err());
        assert!(serde_json::from_str::<Hundredths>("1.234").is_err());
        assert_eq!(h.to_string(), "2.25");
    }
}
