//! How each network measures a message.
//!
//! Getting this exactly right is what lets Encore use the whole limit without ever being refused:
//! X counts twitter-text v3 weighted length (CJK and emoji weigh 2, every link 23), Mastodon counts
//! graphemes with every link at 23, Bluesky counts graphemes with links at full length, Threads
//! counts graphemes with each emoji at its UTF-8 size, LinkedIn and Telegram count UTF-16 code
//! units (LinkedIn of the commentary as sent, its reserved characters escaped).

use super::tlds;
use crate::text::nfc;
use std::ops::Range;
use unicode_properties::emoji::{EmojiStatus, UnicodeEmoji};
use unicode_segmentation::UnicodeSegmentation;

/// A network's length rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthRule {
    /// twitter-text v3 weighted length.
    XWeighted {
        /// The limit (280).
        max: usize,
    },
    /// Extended grapheme clusters.
    Graphemes {
        /// The limit.
        max: usize,
        /// Every http(s) link counts this much (Mastodon: 23); `None` counts it as written.
        url_len: Option<usize>,
    },
    /// Threads: graphemes, links as written, except that an emoji counts as many as its UTF-8
    /// bytes ("Emojis are counted as the number of UTF-8 bytes", Meta's posts page).
    EmojiBytes {
        /// The limit (500).
        max: usize,
    },
    /// LinkedIn: UTF-16 code units of the commentary as it is sent, reserved characters
    /// escaped and hashtags written as templates ([`little_text`]). LinkedIn states its limit
    /// (3,000) in characters without saying which; counting what is sent in UTF-16 units is
    /// never less than any other reading.
    LittleText {
        /// The limit (3000).
        max: usize,
    },
    /// Telegram: UTF-16 code units, links as written ("1-4096 characters after entities
    /// parsing"; the Bot API measures entities in UTF-16 units).
    Utf16 {
        /// The limit (4096).
        max: usize,
    },
}

impl LengthRule {
    /// The message's length as the network counts it.
    pub fn count(&self, text: &str) -> usize {
        match *self {
            LengthRule::XWeighted { .. } => x_weighted_length(text),
            LengthRule::Graphemes { url_len, .. } => grapheme_length(text, url_len),
            LengthRule::EmojiBytes { .. } => emoji_bytes_length(text),
            LengthRule::LittleText { .. } => little_length(text),
            LengthRule::Utf16 { .. } => utf16_length(text),
        }
    }

    /// The network's limit.
    pub fn max(&self) -> usize {
        match *self {
            LengthRule::XWeighted { max }
            | LengthRule::Graphemes { max, .. }
            | LengthRule::EmojiBytes { max }
            | LengthRule::LittleText { max }
            | LengthRule::Utf16 { max } => max,
        }
    }

    /// How it counts, for `check` and `preview`.
    pub fn describe(&self) -> String {
        match *self {
            LengthRule::XWeighted { .. } => "X weighted length".into(),
            LengthRule::Graphemes {
                url_len: Some(n), ..
            } => format!("graphemes, each link counts {n}"),
            LengthRule::Graphemes { url_len: None, .. } => "graphemes, links count in full".into(),
            LengthRule::EmojiBytes { .. } => {
                "graphemes, each emoji counts its UTF-8 bytes, links in full".into()
            }
            LengthRule::LittleText { .. } => {
                "UTF-16 units of the escaped commentary, links in full".into()
            }
            LengthRule::Utf16 { .. } => "UTF-16 units, links in full".into(),
        }
    }

    /// Whether the network accepts this text's length. Bluesky also caps the UTF-8 size (3000
    /// bytes), which 300 graphemes can exceed with heavy emoji.
    pub fn fits(&self, text: &str) -> bool {
        let bytes_ok = match self {
            LengthRule::Graphemes { url_len: None, .. } => text.len() <= 3000,
            _ => true,
        };
        bytes_ok && self.count(text) <= self.max()
    }
}

const URL_WEIGHT: usize = 23;
const SCALE: usize = 100;
const DEFAULT_WEIGHT: usize = 200;
/// twitter-text v3 `ranges`: code points weighing 1 (scaled by 100).
const LIGHT_RANGES: [(u32, u32); 4] = [(0, 4351), (8192, 8205), (8208, 8223), (8242, 8247)];

/// twitter-text v3 weighted length (config v3: emoji parsing on).
pub fn x_weighted_length(text: &str) -> usize {
    weighted_length(text, true)
}

/// twitter-text weighted length; `emoji_parsing = false` is config v2.
pub(crate) fn weighted_length(text: &str, emoji_parsing: bool) -> usize {
    let text = nfc(text);
    let text = text.as_ref();
    let urls = extract_urls(text, false);
    // ASCII weighs 1 a grapheme and holds no emoji: count, links aside.
    if text.is_ascii() {
        let mut total = 0;
        let mut at = 0;
        for u in &urls {
            total += ascii_graphemes(&text[at..u.start]) + URL_WEIGHT;
            at = u.end;
        }
        return total + ascii_graphemes(&text[at..]);
    }
    let mut urls = urls.iter().peekable();
    let mut weight = 0;
    let mut skip_until = 0;
    for (start, g) in text.grapheme_indices(true) {
        let end = start + g.len();
        if start < skip_until {
            continue;
        }
        if let Some(url) = urls.peek() {
            if url.start < end {
                // Count what precedes the link inside this grapheme, then the link itself.
                weight += text[start..url.start.max(start)]
                    .chars()
                    .map(char_weight)
                    .sum::<usize>();
                weight += URL_WEIGHT * SCALE;
                skip_until = url.end;
                urls.next();
                continue;
            }
        }
        if g.len() == 1 {
            // One ASCII character: light, never an emoji on its own.
            weight += SCALE;
        } else if emoji_parsing && is_emoji(g) {
            weight += DEFAULT_WEIGHT;
        } else {
            weight += g.chars().map(char_weight).sum::<usize>();
        }
    }
    weight / SCALE
}

/// Extended grapheme clusters in ASCII text: one a character, except CR LF.
fn ascii_graphemes(text: &str) -> usize {
    text.len() - text.matches("\r\n").count()
}

fn char_weight(c: char) -> usize {
    let cp = c as u32;
    if LIGHT_RANGES.iter().any(|(a, b)| (*a..=*b).contains(&cp)) {
        SCALE
    } else {
        DEFAULT_WEIGHT
    }
}

/// Whether a grapheme cluster is one emoji sequence (weighs 2 on X whatever its length). Text-
/// default symbols above ASCII (©, ®, ☺) count as emoji: twemoji renders them so, and counting
/// one too many is harmless where counting one too few gets a post refused.
fn is_emoji(g: &str) -> bool {
    g.chars().any(|c| {
        if c == '\u{FE0F}' || c == '\u{20E3}' {
            return true;
        }
        // One table lookup a character (it is most of the cost of counting).
        match c.emoji_status() {
            EmojiStatus::EmojiPresentation
            | EmojiStatus::EmojiPresentationAndModifierBase
            | EmojiStatus::EmojiPresentationAndEmojiComponent
            | EmojiStatus::EmojiPresentationAndModifierAndEmojiComponent => true,
            EmojiStatus::EmojiOther | EmojiStatus::EmojiModifierBase => c as u32 > 0x7f,
            _ => false,
        }
    })
}

/// Threads' count: graphemes, each emoji weighing its UTF-8 size (👍 is 4, 👩🏽‍💻 is 15).
pub(crate) fn emoji_bytes_length(text: &str) -> usize {
    let text = nfc(text);
    if text.is_ascii() {
        return ascii_graphemes(&text);
    }
    text.graphemes(true)
        .map(|g| if is_emoji(g) { g.len() } else { 1 })
        .sum()
}

/// UTF-16 code units, after NFC (what a server written in Java or JavaScript counts).
pub(crate) fn utf16_length(text: &str) -> usize {
    nfc(text).encode_utf16().count()
}

/// The length of `text` sent as little text, each `#` counted as the start of a hashtag
/// template (which of them are hashtags is the network's business: this is the upper bound).
pub(crate) fn little_length(text: &str) -> usize {
    const TEMPLATE_EXTRA: usize = "{hashtag|\\#|}".len() - "\\#".len();
    utf16_length(&little_text(text, &[])) + TEMPLATE_EXTRA * text.matches('#').count()
}

/// LinkedIn's "little" text: every reserved character (`\ | { } @ [ ] ( ) < > # * _ ~`)
/// escaped with a backslash, except that each of `hashtags` written `#Tag` becomes the hashtag
/// template `{hashtag|\#|Tag}`. Unescaped, LinkedIn cuts the post at the first reserved
/// character and still answers 201 (Microsoft's "little text format" page; crossposter
/// v1.1.5), so nothing is sent unescaped. Links are escaped too (their `_`, `(`, `#`): LinkedIn
/// links the unescaped URL it reads back.
pub(crate) fn little_text(text: &str, hashtags: &[String]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    'outer: while let Some(c) = rest.chars().next() {
        if c == '#' {
            for tag in hashtags {
                // The message's hashtags as compose gives them, with their sign (`#Tag`).
                let tag = tag.strip_prefix('#').unwrap_or(tag);
                let after = &rest[1..];
                if let Some(tail) = after.strip_prefix(tag) {
                    let ends = tail
                        .chars()
                        .next()
                        .is_none_or(|n| !n.is_alphanumeric() && n != '_');
                    if ends {
                        out.push_str("{hashtag|\\#|");
                        escape_little(tag, &mut out);
                        out.push('}');
                        rest = tail;
                        continue 'outer;
                    }
                }
            }
        }
        escape_little(&rest[..c.len_utf8()], &mut out);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn escape_little(text: &str, out: &mut String) {
    for c in text.chars() {
        if "\\|{}@[]()<>#*_~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Grapheme count, with each http(s) link counted as `url_len` when given.
pub(crate) fn grapheme_length(text: &str, url_len: Option<usize>) -> usize {
    let text = nfc(text);
    let text = text.as_ref();
    let count = |t: &str| {
        if t.is_ascii() {
            ascii_graphemes(t)
        } else {
            t.graphemes(true).count()
        }
    };
    match url_len {
        None => count(text),
        Some(len) => {
            let urls = extract_urls(text, true);
            let mut total = 0;
            let mut at = 0;
            for u in &urls {
                total += count(&text[at..u.start]) + len;
                at = u.end;
            }
            total + count(&text[at..])
        }
    }
}

/// Byte ranges of the links in `text`, the way twitter-text finds them: `http(s)://` links with a
/// valid host, and (unless `require_protocol`) bare domains with a known TLD such as `example.com`.
pub(crate) fn extract_urls(text: &str, require_protocol: bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        if !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let prev = text[..i].chars().next_back();
        let starts_ok = prev
            .is_none_or(|p| !(p.is_alphanumeric() || matches!(p, '@' | '＠' | '$' | '#' | '＃')));
        if starts_ok {
            let rest = &bytes[i..];
            let scheme_len = if starts_with_ci(rest, b"https://") {
                Some(8)
            } else if starts_with_ci(rest, b"http://") {
                Some(7)
            } else {
                None
            };
            if let Some(len) = scheme_len {
                if let Some(end) = match_url_body(text, i + len, false) {
                    out.push(i..end);
                    i = end;
                    continue;
                }
            } else if !require_protocol && !matches!(prev, Some('.' | '-' | '_' | '/' | ':')) {
                if let Some(end) = match_url_body(text, i, true) {
                    out.push(i..end);
                    i = end;
                    continue;
                }
            }
        }
        i += text[i..].chars().next().map(char::len_utf8).unwrap_or(1);
    }
    out
}

fn starts_with_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// Matches host, optional port and path from `from`; returns the end of the link.
fn match_url_body(text: &str, from: usize, ascii_only: bool) -> Option<usize> {
    let rest = &text[from..];
    let host_len = rest
        .char_indices()
        .find(|(_, c)| {
            !(if ascii_only {
                c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
            } else {
                c.is_alphanumeric()
                    || matches!(c, '-' | '_' | '.')
                    || unicode_normalization::char::is_combining_mark(*c)
            })
        })
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    let host = rest[..host_len].trim_end_matches('.');
    if !valid_host(host) {
        return None;
    }
    let mut end = from + host.len();
    if host.len() < host_len {
        // Trailing dots end the sentence, not the host.
        return Some(end);
    }
    let after = &text[end..];
    // Port.
    if let Some(p) = after.strip_prefix(':') {
        let digits = p.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            end += 1 + digits;
        }
    }
    let after = &text[end..];
    if after.starts_with(['/', '?', '#']) {
        let path_len = after
            .char_indices()
            .find(|(_, c)| {
                c.is_whitespace()
                    || matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^')
            })
            .map(|(i, _)| i)
            .unwrap_or(after.len());
        end += trim_path_end(&after[..path_len]);
    }
    Some(end)
}

/// Drops sentence punctuation and unbalanced closing brackets from the end of a path.
fn trim_path_end(path: &str) -> usize {
    let mut p = path;
    while let Some(last) = p.chars().next_back() {
        let drop = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '…' | '"' | '“' | '”' | '’' => true,
            ')' => p.matches('(').count() < p.matches(')').count(),
            ']' => p.matches('[').count() < p.matches(']').count(),
            _ => false,
        };
        if !drop {
            break;
        }
        p = &p[..p.len() - last.len_utf8()];
    }
    p.len()
}

fn valid_host(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let tld = labels[labels.len() - 1].to_lowercase();
    let known = tld.starts_with("xn--")
        || tlds::GENERIC.binary_search(&tld.as_str()).is_ok()
        || tlds::COUNTRY.binary_search(&tld.as_str()).is_ok();
    known
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && punycode_len(l).is_some_and(|n| n <= 63)
        })
}

/// Length of a label once punycode-encoded, as DNS limits it (63).
fn punycode_len(label: &str) -> Option<usize> {
    if label.is_ascii() {
        return Some(label.len());
    }
    idna::domain_to_ascii(label).ok().map(|a| a.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_found_with_their_exact_extent() {
        let t = "Read https://blog.example.org/2026/01/post/?a=1#x. Then example.com/path, and (see http://a.co/b_(c)).";
        let found: Vec<&str> = extract_urls(t, false).into_iter().map(|r| &t[r]).collect();
        assert_eq!(
            found,
            vec![
                "https://blog.example.org/2026/01/post/?a=1#x",
                "example.com/path",
                "http://a.co/b_(c)"
            ]
        );
        // Not links: unknown TLDs, e-mail addresses, version numbers.
        assert!(extract_urls("Node.js and Vue 2.0 and me@example.com", false).is_empty());
        // Mastodon only counts links with a scheme.
        assert!(extract_urls("see example.com", true).is_empty());
    }

    #[test]
    fn x_weights() {
        assert_eq!(x_weighted_length("Hi http://test.co"), 26);
        assert_eq!(x_weighted_length("Été"), 3);
        assert_eq!(x_weighted_length("日本語"), 6);
        assert_eq!(x_weighted_length("🇫🇷"), 2);
        assert_eq!(x_weighted_length("👩🏽‍💻"), 2);
        // A decomposed accent is normalised first (NFC), so it weighs 1.
        assert_eq!(x_weighted_length("e\u{301}"), 1);
    }

    #[test]
    fn threads_counts_emoji_by_their_utf8_bytes_and_letters_as_one() {
        let rule = LengthRule::EmojiBytes { max: 500 };
        assert_eq!(rule.count("Été à Kyōto 日本"), 14);
        assert_eq!(rule.count("👍"), 4);
        assert_eq!(rule.count("👩🏽‍💻"), 15);
        assert_eq!(rule.count("🇫🇷 ok"), 11);
        assert!(rule.fits(&"日".repeat(500)));
        assert!(!rule.fits(&"👍".repeat(126)));
        assert!(rule.fits(&"👍".repeat(125)));
    }

    #[test]
    fn linkedin_escapes_reserved_characters_and_writes_hashtags_as_templates() {
        let tags = vec!["Rust".to_string()];
        assert_eq!(
            little_text("#Rust (a_b) #Rusty @me https://x.org/a_(b)", &tags),
            "{hashtag|\\#|Rust} \\(a\\_b\\) \\#Rusty \\@me https://x.org/a\\_\\(b\\)"
        );
        let rule = LengthRule::LittleText { max: 3000 };
        // Counted as sent: each reserved character weighs 2.
        assert_eq!(rule.count("(é)"), 5);
        assert_eq!(rule.count("😀"), 2);
        let sent = little_text("#Rust ok", &tags);
        assert_eq!(rule.count("#Rust ok"), sent.encode_utf16().count());
        // As compose gives them: with their sign.
        let composed = vec!["#MédiasSociaux".to_string(), "#Twitter".to_string()];
        assert_eq!(
            little_text("#MédiasSociaux #Twitter Titre https://b.org/a", &composed),
            "{hashtag|\\#|MédiasSociaux} {hashtag|\\#|Twitter} Titre https://b.org/a"
        );
    }

    #[test]
    fn telegram_counts_utf16_units() {
        let rule = LengthRule::Utf16 { max: 4096 };
        assert_eq!(rule.count("Café 日本 😀"), 10);
        assert!(rule.fits(&"é".repeat(4096)));
        assert!(!rule.fits(&"😀".repeat(2049)));
    }

    #[test]
    fn mastodon_and_bluesky() {
        let url = "https://blog.example.org/a-very-long-article-slug-that-goes-on-and-on/";
        let text = format!("#Tag Café 🇫🇷 {url}");
        assert_eq!(grapheme_length(&text, Some(23)), 4 + 1 + 4 + 1 + 1 + 1 + 23);
        assert_eq!(grapheme_length(&text, None), 12 + url.chars().count());
        let bsky = LengthRule::Graphemes {
            max: 300,
            url_len: None,
        };
        assert!(bsky.fits(&"é".repeat(300)));
        assert!(!bsky.fits(&"é".repeat(301)));
        // 300 graphemes but over 3000 bytes.
        assert!(!bsky.fits(&"👩🏽‍💻".repeat(300)));
    }
}
