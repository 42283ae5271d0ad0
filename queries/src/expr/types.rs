//! Types of expression values, from ODBC column codes (reference §2.5) or
//! inferred from operators and functions.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Type {
    /// `len` 0 = unbounded.
    String {
        len: u32,
    },
    Integer,
    Decimal {
        p: u32,
        s: u32,
    },
    Float,
    Date,
    Time,
    Timestamp,
    Unknown,
}

/// A type and whether the value may be NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Typed {
    pub ty: Type,
    pub nullable: bool,
}

impl Typed {
    pub fn new(ty: Type, nullable: bool) -> Typed {
        Typed { ty, nullable }
    }
    pub fn unknown() -> Typed {
        Typed::new(Type::Unknown, true)
    }
}

impl Type {
    pub const STRING: Type = Type::String { len: 0 };

    /// Type of a column or stage variable from its `SqlType` code, length
    /// (precision) and scale.
    pub fn from_odbc(code: i32, length: u32, scale: u32) -> Type {
        match code {
            1 | 12 | -1 | -8 | -9 | -10 => Type::String { len: length },
            2 | 3 if scale == 0 && length > 0 && length <= 18 => Type::Decimal { p: length, s: 0 },
            2 | 3 => Type::Decimal {
                p: if length == 0 { 38 } else { length.min(38) },
                s: scale,
            },
            4 | 5 | -5 | -6 | -7 => Type::Integer,
            6..=8 => Type::Float,
            9 => Type::Date,
            10 => Type::Time,
            11 => Type::Timestamp,
            _ => Type::Unknown,
        }
    }

    pub fn is_string(self) -> bool {
        matches!(self, Type::String { .. })
    }
    pub fn is_numeric(self) -> bool {
        matches!(self, Type::Integer | Type::Decimal { .. } | Type::Float)
    }
    pub fn is_temporal(self) -> bool {
        matches!(self, Type::Date | Type::Time | Type::Timestamp)
    }

    /// Result type of `+ - *` on two numeric types.
    pub fn arithmetic(a: Type, b: Type) -> Type {
        match (a, b) {
            (Type::Float, _) | (_, Type::Float) => Type::Float,
            (Type::Decimal { p: p1, s: s1 }, Type::Decimal { p: p2, s: s2 }) => Type::Decimal {
                p: p1.max(p2).min(38),
                s: s1.max(s2),
            },
            (Type::Decimal { p, s }, Type::Integer) | (Type::Integer, Type::Decimal { p, s }) => {
                Type::Decimal {
                    p: (p + 1).min(38),
                    s,
                }
            }
            (Type::Integer, Type::Integer) => Type::Integer,
            // Strings are converted to numbers by the engine.
            _ => Type::Float,
        }
    }
}
