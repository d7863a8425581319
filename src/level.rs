//! Log levels.
//!
//! ```
//! use logbuf::Level;
//! assert!(Level::Error < Level::Info);
//! assert_eq!(Level::from_bits(Level::Warn as u8), Some(Level::Warn));
//! assert_eq!(Level::Debug.as_str(), "DEBUG");
//! ```

/// Severity of a record. Lower is more severe, as in the `log` crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Level {
    /// Something failed.
    Error = 1,
    /// Something is wrong but the system goes on.
    Warn = 2,
    /// Normal operational messages.
    Info = 3,
    /// Detail for developers.
    Debug = 4,
    /// Very verbose detail.
    Trace = 5,
}

impl Level {
    /// Decodes the 3-bit level stored in a record header.
    pub const fn from_bits(bits: u8) -> Option<Level> {
        match bits {
            1 => Some(Level::Error),
            2 => Some(Level::Warn),
            3 => Some(Level::Info),
            4 => Some(Level::Debug),
            5 => Some(Level::Trace),
            _ => None,
        }
    }

    /// Upper-case name, as printed by the line format.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
            Level::Trace => "TRACE",
        }
    }
}

/// A level filter: records at or above this severity pass.
///
/// `LevelFilter::Off` rejects everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum LevelFilter {
    /// Nothing passes.
    Off = 0,
    /// Only [`Level::Error`].
    Error = 1,
    /// [`Level::Warn`] and more severe.
    Warn = 2,
    /// [`Level::Info`] and more severe.
    Info = 3,
    /// [`Level::Debug`] and more severe.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

impl LevelFilter {
    /// Whether a record of `level` passes this filter.
    #[inline]
    pub const fn allows(self, level: Level) -> bool {
        (level as u8) <= (self as u8)
    }

    /// Decodes a filter stored as its `u8` value; out-of-range values are `Trace`.
    pub const fn from_u8(v: u8) -> LevelFilter {
        match v {
            0 => LevelFilter::Off,
            1 => LevelFilter::Error,
            2 => LevelFilter::Warn,
            3 => LevelFilter::Info,
            4 => LevelFilter::Debug,
            _ => LevelFilter::Trace,
        }
    }
}

/// A filter as stored in atomics: `Trace - filter`, so the most common
/// setting (everything) is 0 and a `static` holding it stays all-zero.
pub(crate) const fn stored_filter(f: LevelFilter) -> u8 {
    LevelFilter::Trace as u8 - f as u8
}

/// Inverse of [`stored_filter`] (out-of-range values mean `Off`).
pub(crate) const fn filter_from_stored(v: u8) -> LevelFilter {
    if v > LevelFilter::Trace as u8 {
        LevelFilter::Off
    } else {
        LevelFilter::from_u8(LevelFilter::Trace as u8 - v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_allows_only_as_severe_or_more() {
        assert!(LevelFilter::Warn.allows(Level::Error));
        assert!(LevelFilter::Warn.allows(Level::Warn));
        assert!(!LevelFilter::Warn.allows(Level::Info));
        assert!(!LevelFilter::Off.allows(Level::Error));
        assert!(LevelFilter::Trace.allows(Level::Trace));
    }

    #[test]
    fn stored_filters_round_trip_and_trace_is_zero() {
        assert_eq!(stored_filter(LevelFilter::Trace), 0);
        for f in [
            LevelFilter::Off,
            LevelFilter::Error,
            LevelFilter::Warn,
            LevelFilter::Info,
            LevelFilter::Debug,
            LevelFilter::Trace,
        ] {
            assert_eq!(filter_from_stored(stored_filter(f)), f);
        }
    }

    #[test]
    fn level_bits_round_trip() {
        for l in [
            Level::Error,
            Level::Warn,
            Level::Info,
            Level::Debug,
            Level::Trace,
        ] {
            assert_eq!(Level::from_bits(l as u8), Some(l));
        }
        assert_eq!(Level::from_bits(0), None);
        assert_eq!(Level::from_bits(7), None);
    }
}
