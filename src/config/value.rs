//! Small value types that validate themselves while the TOML is read, so that a bad value is
//! reported by serde with the exact line and column of that value.

use chrono::{NaiveTime, Weekday};
use serde::de::{self, Deserializer};
use serde::Deserialize;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

pub(crate) use crate::vocab::HumanDuration;

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str_value(d, "a duration string such as \"2h\"")
    }
}

/// The instant an expiry date ends: a day (`2026-12-01`, written as a TOML date or a string)
/// ends at the next local midnight in `tz`, so "expires 2026-12-01" still shares on the 1st; a
/// date and time is taken as written (in `tz` without an offset).
pub(crate) fn expiry(
    value: &toml::Value,
    tz: chrono_tz::Tz,
) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone as _};
    let written = match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => {
            return Err(format!(
                "expected a date such as 2026-12-01, not a {}",
                other.type_str()
            ))
        }
    };
    let bad = || {
        format!("invalid date {written:?}: expected a date such as 2026-12-01 (or 2026-12-01T18:00:00+01:00)")
    };
    let local = |t: NaiveDateTime| {
        tz.from_local_datetime(&t)
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
            .ok_or_else(bad)
    };
    if let Ok(day) = NaiveDate::parse_from_str(&written, "%Y-%m-%d") {
        let next = day.succ_opt().ok_or_else(bad)?;
        return local(next.and_time(chrono::NaiveTime::MIN));
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&written) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    match NaiveDateTime::parse_from_str(&written, "%Y-%m-%dT%H:%M:%S") {
        Ok(t) => local(t),
        Err(_) => Err(bad()),
    }
}

/// An IANA time zone ("Europe/Paris").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeZone(pub chrono_tz::Tz);

impl FromStr for TimeZone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<chrono_tz::Tz>().map(TimeZone).map_err(|_| {
            format!("unknown time zone {s:?}: expected an IANA name such as \"Europe/Paris\" or \"UTC\"")
        })
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str_value(d, "an IANA time zone name")
    }
}

/// The daily window in which posts may go out, in local time: "09:00-20:00". The end may be
/// "24:00". Windows that cross midnight are refused: split them into two accounts' worth of
/// intent is rarely what anyone wants, and a quiet night is the point of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveHours {
    /// First local time a post may go out.
    pub start: NaiveTime,
    /// Seconds after local midnight at which the window closes (86 400 for "24:00").
    pub end_secs: u32,
}

impl ActiveHours {
    /// Seconds after local midnight at which the window opens.
    pub fn start_secs(&self) -> u32 {
        use chrono::Timelike;
        self.start.num_seconds_from_midnight()
    }

    /// Whether a local wall-clock time falls inside the window.
    pub fn contains(&self, t: NaiveTime) -> bool {
        use chrono::Timelike;
        let s = t.num_seconds_from_midnight();
        s >= self.start_secs() && s < self.end_secs
    }

    /// Length of the window on a day without a clock change.
    pub fn nominal_len(&self) -> Duration {
        Duration::from_secs(u64::from(self.end_secs - self.start_secs()))
    }
}

impl FromStr for ActiveHours {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("invalid active hours {s:?}: expected \"HH:MM-HH:MM\", e.g. \"09:00-20:00\"")
        };
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let parse = |t: &str| -> Result<u32, String> {
            let (h, m) = t.trim().split_once(':').ok_or_else(bad)?;
            let h: u32 = h.parse().map_err(|_| bad())?;
            let m: u32 = m.parse().map_err(|_| bad())?;
            if m >= 60 || h > 24 || (h == 24 && m != 0) {
                return Err(bad());
            }
            Ok(h * 3600 + m * 60)
        };
        let start = parse(a)?;
        let end = parse(b)?;
        if start >= 86_400 {
            return Err(bad());
        }
        if end <= start {
            return Err(format!(
                "invalid active hours {s:?}: the end must be after the start on the same day (windows across midnight are not supported)"
            ));
        }
        let start = NaiveTime::from_num_seconds_from_midnight_opt(start, 0).ok_or_else(bad)?;
        Ok(ActiveHours {
            start,
            end_secs: end,
        })
    }
}

impl fmt::Display for ActiveHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:02}:{:02}",
            self.start.format("%H:%M"),
            self.end_secs / 3600,
            self.end_secs % 3600 / 60
        )
    }
}

impl<'de> Deserialize<'de> for ActiveHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str_value(d, "a window such as \"09:00-20:00\"")
    }
}

/// A day of the week as written in the config ("mon" or "monday", any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Day(pub Weekday);

impl FromStr for Day {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let d = match s.to_ascii_lowercase().as_str() {
            "mon" | "monday" => Weekday::Mon,
            "tue" | "tuesday" => Weekday::Tue,
            "wed" | "wednesday" => Weekday::Wed,
            "thu" | "thursday" => Weekday::Thu,
            "fri" | "friday" => Weekday::Fri,
            "sat" | "saturday" => Weekday::Sat,
            "sun" | "sunday" => Weekday::Sun,
            _ => {
                return Err(format!(
                    "invalid day {s:?}: expected one of \"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\""
                ))
            }
        };
        Ok(Day(d))
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str_value(d, "a day such as \"mon\"")
    }
}

/// A byte size: "10MiB", "512KiB", "1GiB", or a plain number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteSize(pub u64);

impl FromStr for ByteSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid size {s:?}: expected e.g. \"10MiB\", \"512KiB\" or \"1GiB\"");
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (n, unit) = t.split_at(split);
        let n: u64 = n.parse().map_err(|_| bad())?;
        let mult = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" | "kib" => 1 << 10,
            "m" | "mb" | "mib" => 1 << 20,
            "g" | "gb" | "gib" => 1 << 30,
            _ => return Err(bad()),
        };
        n.checked_mul(mult).map(ByteSize).ok_or_else(bad)
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        if b >= 1 << 30 && b.is_multiple_of(1 << 30) {
            write!(f, "{}GiB", b >> 30)
        } else if b >= 1 << 20 && b.is_multiple_of(1 << 20) {
            write!(f, "{}MiB", b >> 20)
        } else if b >= 1 << 10 && b.is_multiple_of(1 << 10) {
            write!(f, "{}KiB", b >> 10)
        } else {
            write!(f, "{b}B")
        }
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(ByteSize(n)),
            Raw::S(s) => s.parse().map_err(de::Error::custom),
        }
    }
}

/// Reads a string and parses it, so that the error carries the value's span.
fn from_str_value<'de, D, T>(d: D, expected: &'static str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = String>,
{
    struct V<T>(&'static str, std::marker::PhantomData<T>);
    impl<T: FromStr<Err = String>> de::Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            v.parse().map_err(E::custom)
        }
    }
    d.deserialize_str(V(expected, std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_hours() {
        let h: ActiveHours = "09:00-20:00".parse().unwrap();
        assert_eq!(h.start_secs(), 9 * 3600);
        assert_eq!(h.end_secs, 20 * 3600);
        assert_eq!(h.to_string(), "09:00-20:00");
        assert_eq!(
            "00:00-24:00".parse::<ActiveHours>().unwrap().end_secs,
            86_400
        );
        for bad in [
            "20:00-09:00",
            "9-20",
            "09:00-25:00",
            "09:60-10:00",
            "10:00-10:00",
        ] {
            assert!(bad.parse::<ActiveHours>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn days_and_sizes() {
        assert_eq!("Mon".parse::<Day>().unwrap().0, Weekday::Mon);
        assert_eq!("sunday".parse::<Day>().unwrap().0, Weekday::Sun);
        assert!("lun".parse::<Day>().is_err());
        assert_eq!("10MiB".parse::<ByteSize>().unwrap().0, 10 << 20);
        assert_eq!("512KiB".parse::<ByteSize>().unwrap().0, 512 << 10);
        assert!("ten".parse::<ByteSize>().is_err());
        assert_eq!(ByteSize(10 << 20).to_string(), "10MiB");
    }
}
