//! JSON Feed (1 and 1.1), read by Encore rather than feed-rs, which refuses a whole feed for one
//! field out of shape: the early `http://jsonfeed.org/version/1` form still in the wild, `tags`
//! written as a string. Here a bad field costs that field (a non-object item, that item), with
//! one warning for the feed, never the feed itself.
//!
//! Titles and tags are plain text in JSON Feed (the format has `content_html` for markup), so
//! `Die Rückkehr von <i> und <b>` stays as written.

use super::raw::{RawEntry, RawFeed, RawLink};
use serde::Deserialize;
use serde_json::Value;

/// The parts of a JSON Feed Encore reads; every other member is skipped unread.
#[derive(Deserialize)]
struct Feed {
    version: Option<Value>,
    #[serde(default)]
    items: Option<ItemsOrNot>,
    next_url: Option<Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ItemsOrNot {
    Items(Vec<ItemOrNot>),
    Not(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ItemOrNot {
    Item(Item),
    Not(serde::de::IgnoredAny),
}

/// One item's members Encore uses, each taken as any JSON value and checked here.
#[derive(Deserialize)]
struct Item {
    id: Option<Value>,
    url: Option<Value>,
    title: Option<Value>,
    date_published: Option<Value>,
    date_modified: Option<Value>,
    tags: Option<Value>,
}

/// Why a JSON document is not a feed at all.
pub(super) fn read(bytes: &[u8], tz: chrono_tz::Tz) -> Result<RawFeed, String> {
    let feed: Feed = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    check_version(feed.version.as_ref())?;
    let mut problems = Problems::default();
    let items = match feed.items {
        Some(ItemsOrNot::Items(items)) => items,
        Some(ItemsOrNot::Not(_)) => {
            problems.note("`items` is not an array".to_string());
            Vec::new()
        }
        None => Vec::new(),
    };
    let mut out = RawFeed {
        plain_text: true,
        ..RawFeed::default()
    };
    for (n, item) in items.into_iter().enumerate() {
        match item {
            ItemOrNot::Item(item) => out.entries.push(entry(item, n + 1, tz, &mut problems)),
            ItemOrNot::Not(_) => problems.note(format!("item {} is not an object", n + 1)),
        }
    }
    if let Some(next) = feed.next_url {
        match next {
            Value::String(href) => out.links.push(RawLink {
                href,
                rel: Some("next".into()),
            }),
            _ => problems.note("`next_url` is not a string".to_string()),
        }
    }
    out.problems = problems.summary();
    Ok(out)
}

/// JSON Feed 1 and 1.1, in the https form the spec gives and the http form early feeds used.
fn check_version(version: Option<&Value>) -> Result<(), String> {
    let v = match version {
        Some(Value::String(v)) => v.trim(),
        Some(_) => return Err("not a JSON Feed: `version` is not a string".into()),
        None => {
            return Err("not a JSON Feed: no `version` (https://jsonfeed.org/version/1.1)".into())
        }
    };
    let number = v
        .strip_prefix("https://jsonfeed.org/version/")
        .or_else(|| v.strip_prefix("http://jsonfeed.org/version/"))
        .map(|n| n.trim_end_matches('/'));
    match number {
        Some("1" | "1.1") => Ok(()),
        Some(_) => Err(format!(
            "JSON Feed version {v:?} is not one Encore reads (1 or 1.1)"
        )),
        None => Err(format!("not a JSON Feed: version {v:?}")),
    }
}

fn entry(item: Item, n: usize, tz: chrono_tz::Tz, problems: &mut Problems) -> RawEntry {
    let mut e = RawEntry::default();
    let mut text = |field: &str, value: Option<Value>| -> Option<String> {
        match value? {
            Value::String(s) => Some(s),
            Value::Number(n) if field == "id" => Some(n.to_string()),
            Value::Null => None,
            _ => {
                problems.note(format!("item {n} `{field}` is not a string"));
                None
            }
        }
    };
    e.id = text("id", item.id).unwrap_or_default().trim().to_string();
    if let Some(url) = text("url", item.url) {
        e.links.push(RawLink {
            href: url.trim().to_string(),
            rel: None,
        });
    }
    e.title = text("title", item.title).map(|t| t.trim().to_string());
    let mut date = |field: &str, value: Option<Value>| {
        let raw = text(field, value)?;
        let read = super::date::lenient(&raw, tz);
        if read.is_none() {
            e.unread_date.get_or_insert(raw);
        }
        read
    };
    e.published = date("date_published", item.date_published);
    e.updated = date("date_modified", item.date_modified);
    e.categories = match item.tags {
        None | Some(Value::Null) => Vec::new(),
        // Tags written as one string rather than an array: one tag, or several separated by
        // commas (`"workflow,omnifocus"`, a real feed), each its own category.
        Some(Value::String(tags)) => tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| (t.to_string(), None))
            .collect(),
        Some(Value::Array(tags)) => tags
            .into_iter()
            .filter_map(|t| match t {
                Value::String(s) => Some((s.trim().to_string(), None)),
                _ => {
                    problems.note(format!("item {n} has a tag that is not a string"));
                    None
                }
            })
            .collect(),
        Some(_) => {
            problems.note(format!("item {n} `tags` is neither an array nor a string"));
            Vec::new()
        }
    };
    e
}

/// What was left out, for one warning a feed.
#[derive(Default)]
struct Problems {
    count: usize,
    first: Option<String>,
}

impl Problems {
    fn note(&mut self, what: String) {
        self.count += 1;
        self.first.get_or_insert(what);
    }

    fn summary(self) -> Option<String> {
        let first = self.first?;
        Some(match self.count {
            1 => format!("JSON Feed: {first}: left out"),
            n => format!("JSON Feed: {n} fields left out ({first}, …)"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_1_and_1_1_in_both_forms_are_read_others_refused() {
        for v in [
            "https://jsonfeed.org/version/1",
            "https://jsonfeed.org/version/1.1",
            "http://jsonfeed.org/version/1",
            "http://jsonfeed.org/version/1.1/",
        ] {
            let doc = format!(r#"{{"version": "{v}", "items": []}}"#);
            assert!(read(doc.as_bytes(), chrono_tz::UTC).is_ok(), "{v}");
        }
        for doc in [
            r#"{"version": "https://jsonfeed.org/version/2", "items": []}"#,
            r#"{"items": []}"#,
            r#"{"error": "rate limited"}"#,
            r#"[1, 2]"#,
        ] {
            assert!(read(doc.as_bytes(), chrono_tz::UTC).is_err(), "{doc}");
        }
    }

    #[test]
    fn a_bad_field_costs_that_field_and_a_bad_item_that_item() {
        let doc = r#"{"version": "https://jsonfeed.org/version/1.1", "items": [
            {"id": 1, "url": "https://b.org/1", "title": "One", "tags": "solo", "date_published": "2020/1/10"},
            "not an item",
            {"id": "2", "url": "https://b.org/2", "title": ["x"], "tags": ["a", 3, "b"], "date_published": 5},
            {"id": "3", "url": "https://b.org/3", "tags": {"x": 1}, "content_html": "<p>long</p>"}
        ]}"#;
        let feed = read(doc.as_bytes(), chrono_tz::UTC).unwrap();
        assert_eq!(feed.entries.len(), 3);
        assert_eq!(feed.entries[0].id, "1");
        assert_eq!(feed.entries[0].categories, [("solo".to_string(), None)]);
        assert!(feed.entries[0].published.is_some());
        assert_eq!(feed.entries[1].title, None);
        let tags: Vec<&str> = feed.entries[1]
            .categories
            .iter()
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(tags, ["a", "b"]);
        assert!(feed.entries[2].categories.is_empty());
        let doc = r#"{"version": "https://jsonfeed.org/version/1", "items": [
            {"id": "w", "url": "https://b.org/w", "title": "W", "tags": "workflow, omnifocus,,"}
        ]}"#;
        let split = read(doc.as_bytes(), chrono_tz::UTC).unwrap();
        let tags: Vec<&str> = split.entries[0]
            .categories
            .iter()
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(
            tags,
            ["workflow", "omnifocus"],
            "a comma-separated string is several tags"
        );
        let warning = feed.problems.unwrap();
        assert!(
            warning.contains("5 fields left out (item 2 is not an object"),
            "{warning}"
        );
    }
}
