//! Durations as admins write them, shared by the config, the logs and the status lines.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A duration written the way admins write them: "90m", "2h", "1d", "1h30m", "45s".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("invalid duration {s:?}: expected a number and a unit (s, m, h, d), e.g. \"90m\", \"2h\", \"1d\"")
        };
        let t = s.trim();
        if t.is_empty() {
            return Err(bad());
        }
        let mut total: u64 = 0;
        let mut number = String::new();
        let mut saw_unit = false;
        for c in t.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                ' ' if number.is_empty() => continue,
                _ => return Err(bad()),
            };
            let n: u64 = number.parse().map_err(|_| bad())?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(bad)?;
            number.clear();
            saw_unit = true;
        }
        if !number.is_empty() || !saw_unit {
            return Err(bad());
        }
        Ok(HumanDuration(Duration::from_secs(total)))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = self.0.as_secs();
        if s == 0 {
            return write!(f, "0s");
        }
        for (unit, len) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
            if s >= len {
                write!(f, "{}{}", s / len, unit)?;
                s %= len;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!("90m".parse::<HumanDuration>().unwrap().0.as_secs(), 5400);
        assert_eq!("2h".parse::<HumanDuration>().unwrap().0.as_secs(), 7200);
        assert_eq!("1d".parse::<HumanDuration>().unwrap().0.as_secs(), 86_400);
        assert_eq!("1h30m".parse::<HumanDuration>().unwrap().0.as_secs(), 5400);
        for bad in ["", "90", "h", "2 hours", "-1h", "1.5h", "1w"] {
            assert!(bad.parse::<HumanDuration>().is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            HumanDuration(Duration::from_secs(5400)).to_string(),
            "1h30m"
        );
    }
}
