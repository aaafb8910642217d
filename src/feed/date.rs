//! Dates as blogs really write them. RSS asks for RFC 822 and Atom and JSON Feed for RFC 3339,
//! but real feeds (an outside check over 80 blogs) also carry `Tue 11 Jan 2011` (no comma),
//! `2018-01-06T08:00` (no seconds, no offset) and `2020/1/10`. An unread date made the article
//! look new on the day Encore first saw it, and share it a month later as if it were 30 days old.
//!
//! The forms read, after RFC 3339 and RFC 2822 as written (and feed-rs's own repairs, tried by
//! the reader before this):
//!
//! | form | example |
//! |---|---|
//! | RFC 2822 without the comma after the day name, or without a day name | `Tue 11 Jan 2011 10:00:00 +0100`, `11 Jan 2011` |
//! | RFC 2822 without a time or without a zone | `Tue, 11 Jan 2011`, `Tue, 11 Jan 2011 10:00` |
//! | ISO 8601 without seconds, offset, or time; a space for the `T` | `2018-01-06T08:00`, `2018-01-06 08:00:00`, `2018-01-06` |
//! | year/month/day with slashes or dots | `2020/1/10`, `2020/01/10 08:30`, `2020.01.10` |
//! | month names in English | `January 10, 2020`, `Jan 10 2020`, `10 January 2020` |
//!
//! A date without an offset is in the config's time zone; without a time, midnight there.
//! Day-first and month-first numeric dates (`10/01/2020`) are not guessed.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// The date `text` stands for, read leniently (see the module's table); `None` when it is none
/// of those forms.
pub(crate) fn lenient(text: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    strict(t)
        .or_else(|| with_offset(t))
        .or_else(|| local(t, tz))
}

/// RFC 3339, then RFC 2822.
pub(super) fn strict(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .or_else(|_| DateTime::parse_from_rfc2822(t))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Without its day name (and the comma that should follow it).
fn without_day_name(t: &str) -> &str {
    let mut words = t.splitn(2, [' ', ',']);
    match (words.next(), words.next()) {
        (Some(first), Some(rest))
            if first.len() >= 3
                && first.chars().all(char::is_alphabetic)
                && first.parse::<chrono::Weekday>().is_ok() =>
        {
            rest.trim_start_matches([',', ' '])
        }
        _ => t,
    }
}

/// Forms that carry their own offset.
fn with_offset(t: &str) -> Option<DateTime<Utc>> {
    let bare = without_day_name(t);
    if let Ok(d) = DateTime::parse_from_rfc2822(bare) {
        return Some(d.with_timezone(&Utc));
    }
    const FORMATS: &[&str] = &[
        "%d %b %Y %H:%M:%S %z",
        "%d %b %Y %H:%M %z",
        "%d %B %Y %H:%M:%S %z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%:z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ];
    FORMATS.iter().find_map(|f| {
        DateTime::<FixedOffset>::parse_from_str(bare, f)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    })
}

/// Forms without an offset: in `tz`, midnight when there is no time.
fn local(t: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let bare = without_day_name(t);
    // A trailing "GMT"/"UTC"/"Z" is an offset after all.
    let (bare, utc) = match bare
        .strip_suffix(" GMT")
        .or_else(|| bare.strip_suffix(" UTC"))
        .or_else(|| bare.strip_suffix('Z'))
    {
        Some(b) => (b.trim_end(), true),
        None => (bare, false),
    };
    const DATE_TIMES: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%d %b %Y %H:%M:%S",
        "%d %b %Y %H:%M",
        "%d %B %Y %H:%M:%S",
        "%d %B %Y %H:%M",
        "%B %d, %Y %H:%M:%S",
        "%B %d, %Y %H:%M",
    ];
    const DATES: &[&str] = &[
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%Y.%m.%d",
        "%d %b %Y",
        "%d %B %Y",
        "%B %d, %Y",
        "%b %d, %Y",
        "%B %d %Y",
        "%b %d %Y",
    ];
    let naive = DATE_TIMES
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(bare, f).ok())
        .or_else(|| {
            DATES
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(bare, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    if utc {
        return Some(naive.and_utc());
    }
    // A time skipped by a daylight-saving change is read as the first instant after it.
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    #[test]
    fn the_forms_real_feeds_use_are_read() {
        let paris = chrono_tz::Europe::Paris;
        let cases = [
            ("Tue 11 Jan 2011", "2011-01-11T00:00:00+01:00"),
            ("Tue 11 Jan 2011 10:30:00 +0000", "2011-01-11T10:30:00Z"),
            ("Tue, 11 Jan 2011", "2011-01-11T00:00:00+01:00"),
            ("11 Jan 2011 10:30 GMT", "2011-01-11T10:30:00Z"),
            ("2018-01-06T08:00", "2018-01-06T08:00:00+01:00"),
            ("2018-01-06 08:00:00", "2018-01-06T08:00:00+01:00"),
            ("2018-07-06T08:00:00", "2018-07-06T08:00:00+02:00"),
            ("2018-01-06T08:00+05:00", "2018-01-06T08:00:00+05:00"),
            ("2018-01-06", "2018-01-06T00:00:00+01:00"),
            ("2020/1/10", "2020-01-10T00:00:00+01:00"),
            ("2020/01/10 08:30", "2020-01-10T08:30:00+01:00"),
            ("2020.01.10", "2020-01-10T00:00:00+01:00"),
            ("January 10, 2020", "2020-01-10T00:00:00+01:00"),
            ("Jan 10 2020", "2020-01-10T00:00:00+01:00"),
            ("10 January 2020", "2020-01-10T00:00:00+01:00"),
            ("Fri, 01 Mar 2024 10:00:00 GMT", "2024-03-01T10:00:00Z"),
            ("2024-03-01T10:00:00+02:00", "2024-03-01T08:00:00Z"),
            // Skipped by the spring change in Paris: the first instant after it.
            ("2024-03-31T02:30", "2024-03-31T03:30:00+02:00"),
        ];
        for (text, expected) in cases {
            assert_eq!(lenient(text, paris), at(expected), "{text}");
        }
        for unreadable in [
            "",
            "soon",
            "10/01/2020",
            "Friday the 13th",
            "2020-13-45",
            &"1".repeat(100),
        ] {
            assert_eq!(lenient(unreadable, paris), None, "{unreadable}");
        }
    }
}
