//! Exact decimal numbers as a scaled i128 (no extra crate): value =
//! units / 10^scale.

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub units: i128,
    pub scale: u32,
}

const MAX_SCALE: u32 = 30;

impl Decimal {
    pub fn from_int(v: i64) -> Decimal {
        Decimal {
            units: v as i128,
            scale: 0,
        }
    }

    /// Parse `[+-]digits[.digits]`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Decimal> {
        let s = s.trim();
        let (neg, body) = match s.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() as u32 > MAX_SCALE
        {
            return None;
        }
        let digits = format!("{int}{frac}");
        let units: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        Some(Decimal {
            units: if neg { -units } else { units },
            scale: frac.len() as u32,
        })
    }

    pub fn to_f64(self) -> f64 {
        self.units as f64 / 10f64.powi(self.scale as i32)
    }

    pub fn rescale(self, scale: u32) -> Option<Decimal> {
        match scale.cmp(&self.scale) {
            Ordering::Equal => Some(self),
            Ordering::Greater => Some(Decimal {
                units: self
                    .units
                    .checked_mul(10i128.checked_pow(scale - self.scale)?)?,
                scale,
            }),
            // Truncation toward zero (DataStage's default trunc_zero).
            Ordering::Less => Some(Decimal {
                units: self.units / 10i128.checked_pow(self.scale - scale)?,
                scale,
            }),
        }
    }

    fn aligned(self, other: Decimal) -> Option<(i128, i128, u32)> {
        let s = self.scale.max(other.scale);
        Some((self.rescale(s)?.units, other.rescale(s)?.units, s))
    }

    pub fn checked_add(self, o: Decimal) -> Option<Decimal> {
        let (a, b, scale) = self.aligned(o)?;
        Some(Decimal {
            units: a.checked_add(b)?,
            scale,
        })
    }

    pub fn checked_sub(self, o: Decimal) -> Option<Decimal> {
        self.checked_add(Decimal {
            units: o.units.checked_neg()?,
            scale: o.scale,
        })
    }

    pub fn checked_mul(self, o: Decimal) -> Option<Decimal> {
        let scale = self.scale + o.scale;
        if scale > MAX_SCALE {
            return None;
        }
        Some(Decimal {
            units: self.units.checked_mul(o.units)?,
            scale,
        })
    }

    pub fn compare(self, o: Decimal) -> Option<Ordering> {
        let (a, b, _) = self.aligned(o)?;
        Some(a.cmp(&b))
    }

    pub fn trunc(self) -> i128 {
        self.units / 10i128.pow(self.scale)
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let neg = self.units < 0;
        let digits = self.units.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let padded = if digits.len() <= scale {
            format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - scale);
        let sign = if neg { "-" } else { "" };
        if scale == 0 {
            write!(f, "{sign}{int}")
        } else {
            write!(f, "{sign}{int}.{frac}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_display_arith() {
        let a = Decimal::parse("-3.50").unwrap();
        assert_eq!(a.to_string(), "-3.50");
        assert_eq!(Decimal::parse(".5").unwrap().to_string(), "0.5");
        let b = Decimal::parse("1.25").unwrap();
        assert_eq!(a.checked_add(b).unwrap().to_string(), "-2.25");
        assert_eq!(a.checked_mul(b).unwrap().to_string(), "-4.3750");
        assert_eq!(
            Decimal::parse("2.79")
                .unwrap()
                .rescale(1)
                .unwrap()
                .to_string(),
            "2.7"
        );
        assert!(Decimal::parse("1e3").is_none());
        assert!(Decimal::parse("").is_none());
    }
}
