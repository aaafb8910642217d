//! Telling an admin that the feed address gives an HTML page, and where the page says its feed
//! is: the commonest first mistake is the blog's home page given as the feed, and an XML
//! parser's "no root element" does not say so.

/// The reason to give when `bytes` are an HTML (or XHTML) page rather than a feed, naming the
/// feed the page advertises (`<link rel="alternate" type="application/rss+xml" href="…">`,
/// resolved against `base`) or, without one, where blogs usually keep it. `None` for anything
/// that does not look like HTML.
pub(super) fn not_a_feed(bytes: &[u8], base: Option<&str>) -> Option<String> {
    // Only the head is looked at: a page's <link>s are there, and a huge page costs nothing.
    let head = &bytes[..bytes.len().min(256 * 1024)];
    let text = String::from_utf8_lossy(head);
    let lower = text.to_ascii_lowercase();
    if !is_html(&lower) {
        return None;
    }
    let advertised = advertised_feeds(&text, &lower, base);
    Some(match advertised.first() {
        Some(feed) => format!(
            "this is an HTML page, not a feed; the page names its feed: {feed} (set `feed.url` to it)"
        ),
        None => {
            let usual = base
                .and_then(|b| url::Url::parse(b).ok())
                .and_then(|b| b.join("/feed/").ok())
                .map_or_else(|| "…/feed/".to_string(), |u| u.to_string());
            format!("this is an HTML page, not a feed, and it names no feed; a blog's feed is usually at {usual} (WordPress), /rss.xml, /atom.xml or /index.xml")
        }
    })
}

/// Whether the first markup of the document opens an HTML page: `<!DOCTYPE html>` or an
/// `<html>` root (an XHTML page wrapping a feed included).
fn is_html(lower: &str) -> bool {
    let mut rest = lower.trim_start_matches('\u{feff}').trim_start();
    loop {
        if rest.starts_with("<!doctype html") || rest.starts_with("<html") {
            return true;
        }
        // Past the XML declaration, processing instructions and comments.
        let skip = if rest.starts_with("<?") {
            rest.find("?>").map(|i| i + 2)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|i| i + 3)
        } else {
            None
        };
        match skip {
            Some(i) => rest = rest[i..].trim_start(),
            None => return false,
        }
    }
}

/// The `href`s of the page's `<link rel="alternate">` tags whose type is a feed's, resolved.
fn advertised_feeds(text: &str, lower: &str, base: Option<&str>) -> Vec<String> {
    const FEED_TYPES: &[&str] = &[
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
    ];
    let base = base.and_then(|b| url::Url::parse(b).ok());
    let mut feeds = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("<link") {
        let start = from + at + "<link".len();
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let attrs = attributes(&text[start..end]);
        let get = |name: &str| attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v);
        let rel_alternate = get("rel").is_some_and(|r| {
            r.split_ascii_whitespace()
                .any(|w| w.eq_ignore_ascii_case("alternate"))
        });
        let feed_type =
            get("type").is_some_and(|t| FEED_TYPES.iter().any(|f| t.eq_ignore_ascii_case(f)));
        if let (true, true, Some(href)) = (rel_alternate, feed_type, get("href")) {
            let href = html_escape::decode_html_entities(href.trim()).into_owned();
            let resolved = match &base {
                Some(b) => b.join(&href).map(|u| u.to_string()).unwrap_or(href),
                None => href,
            };
            feeds.push(resolved);
        }
        from = end;
    }
    feeds
}

/// `name="value"`, `name='value'` and `name=value` pairs of a tag's inside, names lower-cased.
fn attributes(inside: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = inside;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq]
            .rsplit(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let after = rest[eq + 1..].trim_start();
        let (value, next) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => match after[1..].find(q) {
                Some(close) => (&after[1..1 + close], &after[close + 2..]),
                None => (&after[1..], ""),
            },
            _ => {
                let stop = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..stop], &after[stop..])
            }
        };
        out.push((name, value.to_string()));
        rest = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_that_advertises_its_feed_names_it() {
        let page = br#"<!DOCTYPE html><html><head><title>Blog</title>
<link rel="stylesheet" href="/s.css"><link rel='alternate' type='application/rss+xml' title="Flux" href="/feed/?lang=fr&amp;x=1" />
</head><body>...</body></html>"#;
        let why = not_a_feed(page, Some("https://blog.example.org/")).unwrap();
        assert!(
            why.contains("https://blog.example.org/feed/?lang=fr&x=1"),
            "{why}"
        );
    }

    #[test]
    fn a_page_without_one_says_where_feeds_usually_are() {
        let page = b"<?xml version=\"1.0\"?>\n<!-- x --><html xmlns=\"http://www.w3.org/1999/xhtml\"><body><rss/></body></html>";
        let why = not_a_feed(page, Some("https://blog.example.org/blog/")).unwrap();
        assert!(why.contains("HTML page, not a feed"), "{why}");
        assert!(why.contains("https://blog.example.org/feed/"), "{why}");
        assert!(not_a_feed(b"<rss version=\"2.0\"></rss>", None).is_none());
        assert!(not_a_feed(b"{\"version\": 1}", None).is_none());
    }
}
