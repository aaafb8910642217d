//! Rich-text facets: Bluesky shows text exactly as sent, so a link or a hashtag is only
//! clickable when a facet points at its bytes.
//!
//! Offsets count UTF-8 bytes (not characters, not UTF-16 units): an accent or an emoji before
//! a hashtag shifts it by several bytes, and a wrong offset makes a facet cover the wrong text.

use serde_json::{json, Value};
use unicode_normalization::char::is_combining_mark;
use unicode_segmentation::UnicodeSegmentation;

/// What a facet points to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Feature {
    /// A link, with its full URL.
    Link(String),
    /// A hashtag, without its `#`.
    Tag(String),
}

/// One facet: a byte range of the text and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Facet {
    /// First byte (inclusive).
    pub start: usize,
    /// Last byte (exclusive).
    pub end: usize,
    /// Link or tag.
    pub feature: Feature,
}

impl Facet {
    /// The lexicon's JSON (`app.bsky.richtext.facet`).
    pub(crate) fn to_json(&self) -> Value {
        let feature = match &self.feature {
            Feature::Link(uri) => json!({"$type": "app.bsky.richtext.facet#link", "uri": uri}),
            Feature::Tag(tag) => json!({"$type": "app.bsky.richtext.facet#tag", "tag": tag}),
        };
        json!({
            "index": {"byteStart": self.start, "byteEnd": self.end},
            "features": [feature],
        })
    }
}

/// The lexicon's limits on a tag.
const MAX_TAG_GRAPHEMES: usize = 64;
const MAX_TAG_BYTES: usize = 640;

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || is_combining_mark(c)
}

/// Facets for `text`: the link `url` (its last occurrence, where the composer puts it) and every
/// hashtag (`#` at the start or after a space, then letters, digits, marks or `_`, not only
/// digits), sorted by position and never overlapping.
pub(crate) fn detect(text: &str, url: &str) -> Vec<Facet> {
    let mut out = Vec::new();
    let link = (!url.is_empty())
        .then(|| text.rfind(url).map(|s| (s, s + url.len())))
        .flatten();
    if let Some((start, end)) = link {
        out.push(Facet {
            start,
            end,
            feature: Feature::Link(url.to_string()),
        });
    }
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let at_boundary = prev.is_none_or(char::is_whitespace);
        prev = Some(c);
        if !(at_boundary && (c == '#' || c == '＃')) {
            continue;
        }
        let body_start = i + c.len_utf8();
        let body_len: usize = text[body_start..]
            .chars()
            .take_while(|c| tag_char(*c))
            .map(char::len_utf8)
            .sum();
        let body = &text[body_start..body_start + body_len];
        let inside_link = link.is_some_and(|(s, e)| i < e && body_start + body_len > s);
        let valid = !body.is_empty()
            && !body.chars().all(|c| c.is_numeric() || c == '_')
            && body.graphemes(true).count() <= MAX_TAG_GRAPHEMES
            && body.len() <= MAX_TAG_BYTES;
        if valid && !inside_link {
            out.push(Facet {
                start: i,
                end: body_start + body_len,
                feature: Feature::Tag(body.to_string()),
            });
        }
    }
    out.sort_by_key(|f| f.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slices<'a>(text: &'a str, facets: &[Facet]) -> Vec<&'a str> {
        facets.iter().map(|f| &text[f.start..f.end]).collect()
    }

    #[test]
    fn offsets_are_utf8_bytes_around_accents_cjk_and_emoji() {
        let text = "#Café #日本語 Épisode 🎉 sur l'été https://blog.example.org/été?x=1";
        let url = "https://blog.example.org/été?x=1";
        let f = detect(text, url);
        assert_eq!(slices(text, &f), vec!["#Café", "#日本語", url]);
        assert_eq!(f[0].start, 0);
        assert_eq!(f[0].end, 6, "é is two bytes");
        assert_eq!(f[1].start, 7);
        assert_eq!(f[1].end, 17, "three CJK characters are nine bytes");
        assert_eq!(f[1].feature, Feature::Tag("日本語".into()));
        assert_eq!(f[2].feature, Feature::Link(url.into()));
    }

    #[test]
    fn not_tags_numbers_mid_word_hashes_or_fragments() {
        let url = "https://example.org/a#section";
        let text = format!("C#rocks #1 #_ x#y #ok. {url}");
        let f = detect(&text, url);
        assert_eq!(slices(&text, &f), vec!["#ok", url]);
    }

    #[test]
    fn the_json_is_the_lexicons() {
        let f = detect("#Rust https://e.org", "https://e.org");
        assert_eq!(
            f[0].to_json(),
            json!({"index": {"byteStart": 0, "byteEnd": 5}, "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Rust"}]})
        );
        assert_eq!(f[1].to_json()["features"][0]["uri"], "https://e.org");
    }
}
