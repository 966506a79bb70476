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
        // Every count of a calculation fits in 64 bits: the 128-bit division is a library
        // call several times slower, kept for the values that do not fit. Same rounding.
        if let (Ok(n), Ok(d)) = (i64::try_from(num), i64::try_from(den))
            && let Some(scaled) = n.checked_mul(10_000)
        {
            let q = scaled.div_euclid(d);
            let r = scaled.rem_euclid(d);
            // r < d <= i64::MAX, so r >= d - r is 2r >= d without overflow.
            return Fixed4(if r >= d - r { q + 1 } else { q });
        }
        Self::ratio_wide(num, den)
    }

    /// [`Fixed4::ratio`] in 128 bits (the reference the 64-bit path must match).
    pub fn ratio_wide(num: i128, den: i128) -> Self {
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

impl Fixed4 {
    /// The text [`fmt::Display`] writes, built in a small buffer: the explanation writes
    /// thousands of these, and the formatting machinery costs several times the digits.
    fn text(self) -> ([u8; 24], usize) {
        let mut buf = [0u8; 24];
        let mut len = 0;
        if self.0 < 0 {
            buf[0] = b'-';
            len = 1;
        }
        let a = self.0.unsigned_abs();
        let (mut int, mut frac) = (a / 10_000, a % 10_000);
        // The whole part's digits, last first (at most 15 of them).
        let mut digits = [0u8; 20];
        let mut n = 0;
        loop {
            // A single decimal digit: the cast cannot truncate.
            digits[n] = b'0' + (int % 10) as u8;
            n += 1;
            int /= 10;
            if int == 0 {
                break;
            }
        }
        for d in digits[..n].iter().rev() {
            buf[len] = *d;
            len += 1;
        }
        if frac != 0 {
            // The four decimals without their trailing zeros.
            let mut dec = *b".0000";
            for b in dec[1..].iter_mut().rev() {
                *b = b'0' + (frac % 10) as u8;
                frac /= 10;
            }
            let keep = dec.iter().rposition(|b| *b != b'0').map_or(1, |i| i + 1);
            buf[len..len + keep].copy_from_slice(&dec[..keep]);
            len += keep;
        }
        (buf, len)
    }

    /// Appends the text of [`fmt::Display`] to `s`, without the formatting machinery.
    pub fn push_to(self, s: &mut String) {
        let (buf, len) = self.text();
        // Byte by byte: ASCII digits, sign and point are one character each, and checking
        // the few bytes as UTF-8 cost more than writing them.
        s.reserve(len);
        for &b in &buf[..len] {
            s.push(char::from(b));
        }
    }
}

impl fmt::Display for Fixed4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (buf, len) = self.text();
        // ASCII digits, sign and point are valid UTF-8.
        f.write_str(std::str::from_utf8(&buf[..len]).unwrap_or_default())
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

    proptest::proptest! {
        /// The 64-bit path of `ratio` rounds exactly as the 128-bit one, negative numerators
        /// and the edges of the 64-bit range included.
        #[test]
        fn ratio_in_64_bits_is_the_wide_ratio(
            num in proptest::prop_oneof![
                -1_000_000_000i128..1_000_000_000,
                i128::from(i64::MIN / 10_000) - 2..i128::from(i64::MIN / 10_000) + 2,
                i128::from(i64::MAX / 10_000) - 2..i128::from(i64::MAX / 10_000) + 2,
                i128::from(i64::MIN)..i128::from(i64::MAX),
            ],
            den in proptest::prop_oneof![1i128..100_000, -3i128..3, 1i128..i128::from(i64::MAX)],
        ) {
            proptest::prop_assert_eq!(Fixed4::ratio(num, den), Fixed4::ratio_wide(num, den));
        }

        /// Four decimals without trailing zeros, as the explanation has always written them.
        #[test]
        fn fixed4_displays_as_before(v in proptest::prop_oneof![-100_000i64..100_000, (i64::MIN + 1)..i64::MAX]) {
            let a = v.abs();
            let frac = a % 10_000;
            let sign = if v < 0 { "-" } else { "" };
            let before = if frac == 0 {
                format!("{sign}{}", a / 10_000)
            } else {
                let s = format!("{frac:04}");
                format!("{sign}{}.{}", a / 10_000, s.trim_end_matches('0'))
            };
            proptest::prop_assert_eq!(Fixed4(v).to_string(), before.clone());
            // And appended to a string, as the explanation's quarter parts are written.
            let mut s = String::from("x ");
            Fixed4(v).push_to(&mut s);
            proptest::prop_assert_eq!(s, format!("x {before}"));
        }
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
