use super::{FeedError, Item};
use crate::text::{fold, plain_text};
use chrono::{DateTime, Utc};

/// Parses RSS 0.9x/1.0/2.0, Atom or JSON Feed bytes. `base` resolves relative links; a date
/// without an offset is read as UTC (the daemon reads in the config's zone: [`parse_page`]).
/// Entries without a usable link are skipped: they cannot be shared, and feed-rs gives such
/// entries a random id, so there is nothing stable to remember them by.
pub fn parse(bytes: &[u8], base: Option<&str>) -> Result<Vec<Item>, FeedError> {
    parse_page(bytes, base, chrono_tz::UTC).map(|(items, _)| items)
}

/// Like [`parse`], dates without an offset read in `tz`, also returning the feed's link to
/// older entries (RFC 5005 `next` or `prev-archive`), resolved against `base`.
///
/// RSS 2.0 and Atom in UTF-8 (nearly every blog) go through a fast reader (`feed/stream.rs`),
/// one quick-xml pass that skips what Encore never uses; whatever it is not sure to read
/// exactly as feed-rs does goes to feed-rs; JSON Feed to Encore's own reader (`feed/json.rs`).
/// What was left out (a JSON field out of shape, dates that cannot be read) is one warning.
pub fn parse_page(bytes: &[u8], base: Option<&str>, tz: chrono_tz::Tz) -> Result<Page, FeedError> {
    let raw = read_raw(bytes, base, tz)?;
    Ok(finish(raw, base))
}

/// [`parse_page`] of a document it owns: the bytes are freed once read, before the items are
/// made (a 60 MB feed of 100,000 items: its bytes and its items are never all in memory).
pub fn parse_page_owned(
    bytes: Vec<u8>,
    base: Option<&str>,
    tz: chrono_tz::Tz,
) -> Result<Page, FeedError> {
    let raw = read_raw(&bytes, base, tz)?;
    drop(bytes);
    Ok(finish(raw, base))
}

/// The document read by the reader that fits it: JSON Feed, the fast RSS/Atom reader, feed-rs.
fn read_raw(bytes: &[u8], base: Option<&str>, tz: chrono_tz::Tz) -> Result<Read, FeedError> {
    let source_name = || base.unwrap_or("feed").to_string();
    if let Some(order) = utf16_without_bom(bytes) {
        return Err(FeedError::Parse {
            source_name: source_name(),
            reason: format!("the document is UTF-16 ({order}) without a byte order mark, which XML requires: save it as UTF-8, or as UTF-16 with a byte order mark"),
        });
    }
    if is_json(bytes) {
        return super::json::read(bytes, tz)
            .map(|raw| Read::from_raw(raw, base))
            .map_err(|reason| FeedError::Parse {
                source_name: source_name(),
                reason,
            });
    }
    // A panic in the fast reader would be a bug in it: feed-rs then reads the feed.
    if let Some(read) = quietly(|| super::stream::read(bytes, base)).flatten() {
        return Ok(read);
    }
    let raw =
        with_feed_rs(bytes, base, tz).map_err(|e| match super::html::not_a_feed(bytes, base) {
            Some(reason) => FeedError::Parse {
                source_name: source_name(),
                reason,
            },
            None => e,
        })?;
    Ok(Read::from_raw(raw, base))
}

/// A document read: its links, its items so far, what was left out.
pub(super) struct Read {
    pub links: Vec<RawLink>,
    pub maker: ItemMaker,
    pub problems: Option<String>,
}

impl Read {
    /// The items and the link to older entries, resolved against `base`.
    fn page(self, base: Option<&str>) -> Page {
        let older = older_link(&self.links, base);
        (self.maker.finish(), older)
    }

    fn from_raw(raw: RawFeed, base: Option<&str>) -> Read {
        let mut maker = ItemMaker::new(base, raw.plain_text);
        for entry in raw.entries {
            maker.add(entry);
        }
        Read {
            links: raw.links,
            maker,
            problems: raw.problems,
        }
    }
}

/// The items of a document read, with one warning for what was left out.
fn finish(read: Read, base: Option<&str>) -> Page {
    let source_name = base.unwrap_or("feed");
    if let Some(problems) = &read.problems {
        tracing::warn!(feed = %source_name, "{problems}");
    }
    let unreadable = read.maker.unreadable.clone();
    let page = read.page(base);
    warn_undated(&page.0, unreadable, source_name);
    page
}

/// A JSON document: its first `<` or `{` is `{` (feed-rs's test).
fn is_json(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| matches!(b, b'<' | b'{')) == Some(&b'{')
}

/// One warning for the feed's articles without a date Encore can read: they are not shared
/// unless `[select] undated = "first_seen"` (their age is unknown).
fn warn_undated(items: &[Item], unreadable: Option<String>, feed: &str) {
    let undated = items.iter().filter(|i| i.published.is_none()).count();
    if undated == 0 {
        return;
    }
    let example = unreadable
        .map(|d| format!(" (one reads {d:?})"))
        .unwrap_or_default();
    tracing::warn!(
        feed,
        "{undated} of {} articles have no date Encore can read{example}: their age is unknown, so they are not shared unless `[select] undated = \"first_seen\"`",
        items.len()
    );
}

/// What a feed read gives: the items and the link to older entries.
pub type Page = (Vec<Item>, Option<String>);

/// Both readers on one document, for the tests and the differential fuzz target
/// (`fuzz/fuzz_targets/reader.rs`): `None` when the fast reader leaves the document to feed-rs,
/// else its reading and feed-rs's, which must be equal. Not caught: a panic is a finding here.
#[doc(hidden)]
pub fn both_readers(bytes: &[u8], base: Option<&str>) -> Option<(Page, Result<Page, FeedError>)> {
    let fast = super::stream::read(bytes, base)?;
    let reference =
        with_feed_rs(bytes, base, chrono_tz::UTC).map(|raw| Read::from_raw(raw, base).page(base));
    Some((fast.page(base), reference))
}

/// The fields of a feed Encore reads, as feed-rs gives them: the fast reader gives the same
/// entries, one at a time, and one maker ([`ItemMaker`]) turns both readers' entries into
/// items, so they cannot drift apart there.
#[derive(Debug, Default, PartialEq)]
pub(super) struct RawFeed {
    /// Feed-level links (only `next` / `prev-archive` are used).
    pub links: Vec<RawLink>,
    pub entries: Vec<RawEntry>,
    /// Titles and categories are plain text (JSON Feed), not HTML to strip and decode.
    pub plain_text: bool,
    /// What was left out of the document, for one warning.
    pub problems: Option<String>,
}

/// One entry's fields, as feed-rs models them.
#[derive(Debug, Default, PartialEq)]
pub(super) struct RawEntry {
    /// In document order.
    pub links: Vec<RawLink>,
    /// RSS `guid` (trimmed) or Atom `id`; empty when the feed gives none.
    pub id: String,
    /// Trimmed title text, markup included.
    pub title: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// (term, label), term trimmed.
    pub categories: Vec<(String, Option<String>)>,
    /// Dublin Core subjects, trimmed: categories too, after the others.
    pub subjects: Vec<String>,
    /// The entry's date text when no reader could read it.
    pub unread_date: Option<String>,
}

/// A link as feed-rs resolves it (see [`href`]).
#[derive(Debug, PartialEq)]
pub(super) struct RawLink {
    pub href: String,
    pub rel: Option<String>,
}

impl RawLink {
    /// An entry's web page: an `alternate` or unnamed link.
    pub fn is_page(&self) -> bool {
        self.rel.as_deref().is_none_or(|r| r == "alternate")
    }

    /// A feed's link to older entries (RFC 5005).
    pub fn is_older(&self) -> bool {
        matches!(self.rel.as_deref(), Some("next" | "prev-archive"))
    }
}

impl RawEntry {
    /// Only an entry's first page link is used (see [`entry_link`]): a reader may keep that
    /// one alone, and skip resolving the others.
    pub fn has_page_link(&self) -> bool {
        self.links.iter().any(RawLink::is_page)
    }

    /// Keeps `link` if it is the entry's first page link.
    pub fn page_link(&mut self, link: RawLink) {
        if link.is_page() && !self.has_page_link() {
            self.links.push(link);
        }
    }
}

/// A link's target the way feed-rs's `Link::new` gives it: absolute links normalised, relative
/// ones joined to `base` when there is one, anything else kept as written; then trimmed.
pub(super) fn href(raw: &str, base: Option<&url::Url>) -> String {
    let resolved = match url::Url::parse(raw) {
        Ok(u) => Some(u),
        Err(url::ParseError::RelativeUrlWithoutBase) => base.and_then(|b| b.join(raw).ok()),
        Err(_) => None,
    };
    match resolved {
        Some(u) => u.as_str().trim().to_string(),
        None => raw.trim().to_string(),
    }
}

/// The reference reader: every format feed-rs knows.
fn with_feed_rs(bytes: &[u8], base: Option<&str>, tz: chrono_tz::Tz) -> Result<RawFeed, FeedError> {
    let source_name = base.unwrap_or("feed").to_string();
    // The XML library panics on a few ill-formed documents (an encoding declared after the
    // prefix was read: feedparser's corpus has them). A broken feed must cost one warning,
    // never the daemon: the panic becomes a parse error.
    let parsed = quietly(|| {
        feed_rs::parser::Builder::new()
            .base_uri(base)
            .build()
            .parse(bytes)
    });
    let feed = match parsed {
        Some(result) => result.map_err(|e| FeedError::Parse {
            source_name,
            reason: e.to_string(),
        })?,
        None => {
            return Err(FeedError::Parse {
                source_name,
                reason: "the XML parser failed on this document (it is not well-formed)".into(),
            })
        }
    };
    let link = |l: feed_rs::model::Link| RawLink {
        href: l.href,
        rel: l.rel,
    };
    // Dublin Core subjects and the dates feed-rs could not read, where the document has some
    // and each entry's can be matched to it (one a entry, in document order).
    const DC: &[u8] = b"http://purl.org/dc/elements/1.1/";
    let wanted = feed
        .entries
        .iter()
        .any(|e| e.published.is_none() && e.updated.is_none())
        || bytes.windows(DC.len()).any(|w| w == DC);
    let mut extras = wanted
        .then(|| super::stream::extras(bytes))
        .flatten()
        .filter(|x| x.len() == feed.entries.len())
        .unwrap_or_default()
        .into_iter();
    let mut raw = RawFeed {
        links: feed.links.into_iter().map(link).collect(),
        entries: feed
            .entries
            .into_iter()
            .map(|e| RawEntry {
                links: e.links.into_iter().map(link).collect(),
                id: e.id,
                title: e.title.map(|t| t.content),
                published: e.published,
                updated: e.updated,
                categories: e
                    .categories
                    .into_iter()
                    .map(|c| (c.term, c.label))
                    .collect(),
                subjects: Vec::new(),
                unread_date: None,
            })
            .collect(),
        ..RawFeed::default()
    };
    for entry in &mut raw.entries {
        let x = extras.next().unwrap_or_default();
        entry.subjects = x.subjects;
        // A date feed-rs could have read but did not was dropped on purpose (an empty element
        // after it, a prefix bound to no namespace): only the forms it cannot read are tried.
        let unread = x
            .date
            .filter(|d| !d.trim().is_empty() && super::date::strict(d.trim()).is_none());
        if entry.published.is_none() && entry.updated.is_none() {
            if let Some(text) = unread {
                entry.published = super::date::lenient(&text, tz);
                if entry.published.is_none() {
                    entry.unread_date = Some(text);
                }
            }
        }
    }
    Ok(raw)
}

/// "little-endian" or "big-endian" when the document starts (after any whitespace) with `<`
/// as UTF-16 without a byte order mark. quick-xml panics on such a document once its
/// declaration names the encoding, and XML 1.0 (4.3.3) requires the mark for UTF-16 anyway.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static str> {
    let units = bytes.chunks_exact(2).take(64);
    for pair in units {
        match pair {
            [b' ' | b'\t' | b'\r' | b'\n', 0] | [0, b' ' | b'\t' | b'\r' | b'\n'] => continue,
            [b'<', 0] => return Some("little-endian"),
            [0, b'<'] => return Some("big-endian"),
            _ => return None,
        }
    }
    None
}

/// Runs `f`, turning a panic into `None` without printing it: a panic in a parser on a hostile
/// feed is caught and reported as one warning, and the default hook would first write its text
/// and a backtrace to stderr. Only panics on this thread while `f` runs are kept quiet.
fn quietly<T>(f: impl FnOnce() -> T) -> Option<T> {
    use std::cell::Cell;
    use std::sync::Once;
    thread_local!(static QUIET: Cell<bool> = const { Cell::new(false) });
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|q| q.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.ok()
}

/// The feed's link to older entries, resolved.
fn older_link(links: &[RawLink], base: Option<&str>) -> Option<String> {
    let base_url = base.and_then(|b| url::Url::parse(b).ok());
    links
        .iter()
        .find(|l| l.is_older())
        .and_then(|l| match &base_url {
            Some(b) => b.join(&l.href).ok().map(|u| u.to_string()),
            None => url::Url::parse(&l.href).ok().map(|u| u.to_string()),
        })
}

/// Turns entries into items one at a time, as a reader finds them: a large feed's entries and
/// items are never all in memory together (100,000 entries took 40 MB as entries).
pub(super) struct ItemMaker {
    base_url: Option<url::Url>,
    plain: bool,
    /// A feed repeats a few categories over all its items: each is folded once.
    folds: fxhash::FxHashMap<String, String>,
    /// Links with a fragment that may name a post: (item, fragment, the id names it).
    anchors: Vec<(usize, String, bool)>,
    items: Vec<Item>,
    /// The first date text no reader could read, for the warning.
    pub unreadable: Option<String>,
}

impl ItemMaker {
    /// `plain`: titles and categories are plain text (JSON Feed), not HTML.
    pub fn new(base: Option<&str>, plain: bool) -> ItemMaker {
        ItemMaker {
            base_url: base.and_then(|b| url::Url::parse(b).ok()),
            plain,
            folds: Default::default(),
            anchors: Vec::new(),
            items: Vec::new(),
            unreadable: None,
        }
    }

    fn text_of(&self, t: &str) -> String {
        if self.plain {
            crate::text::clean_line(t).into_owned()
        } else {
            plain_text(t)
        }
    }

    /// The item of one entry, if it has a link to share.
    pub fn add(&mut self, entry: RawEntry) {
        if self.unreadable.is_none() {
            self.unreadable.clone_from(&entry.unread_date);
        }
        let Some(url) = entry_link(&entry, self.base_url.as_ref()) else {
            tracing::debug!(id = %entry.id, "feed entry without a link skipped");
            return;
        };
        let Some(key) = key_of(&url) else {
            return;
        };
        if let Some(f) = url
            .fragment()
            .filter(|f| !f.is_empty() && !is_comment_or_jump(f))
        {
            let named = entry.id.trim().ends_with(&format!("#{f}"));
            self.anchors.push((self.items.len(), f.to_string(), named));
        }
        let mut categories: Vec<String> = Vec::new();
        let mut folded: Vec<String> = Vec::new();
        let subjects = entry.subjects.iter().map(String::as_str);
        let names = entry
            .categories
            .iter()
            .map(|(term, label)| label.as_deref().unwrap_or(term))
            .chain(subjects);
        for name in names {
            let name = self.text_of(name);
            let key = match self.folds.get(&name) {
                Some(k) => k.clone(),
                None => {
                    let k = fold(&name);
                    self.folds.insert(name.clone(), k.clone());
                    k
                }
            };
            if !name.is_empty() && !folded.contains(&key) {
                folded.push(key);
                categories.push(name);
            }
        }
        let title = entry.title.as_deref().map(|t| self.text_of(t));
        self.items.push(Item {
            key,
            url: String::from(url),
            title: title.unwrap_or_default(),
            published: entry.published.or(entry.updated),
            categories,
        });
    }

    /// The items, the fragments that name posts kept in their keys.
    pub fn finish(mut self) -> Vec<Item> {
        let anchors = std::mem::take(&mut self.anchors);
        for (i, fragment) in anchored_posts(&self.items, anchors) {
            self.items[i].key.push('#');
            self.items[i].key.push_str(&fragment);
        }
        self.items
    }
}

/// The items whose link's fragment tells posts apart, so that it stays in their key, with
/// that fragment: a blog that publishes each post as an anchor on a day page
/// (`…/2017/06/26.html#a010633`, Scripting News and its followers) has one page for many
/// posts. A fragment counts when another entry of the feed has the same page with another
/// fragment, or when the entry's id (RSS `guid`, Atom `id`) names the anchored link itself; not
/// when it only points into the page of a post that is already one page (`#comments`,
/// `#more-123`, `#respond`: those never reach here).
fn anchored_posts(items: &[Item], anchors: Vec<(usize, String, bool)>) -> Vec<(usize, String)> {
    let mut pages: fxhash::FxHashMap<&str, fxhash::FxHashSet<&str>> = Default::default();
    for (i, f, _) in &anchors {
        pages.entry(items[*i].key.as_str()).or_default().insert(f);
    }
    let shared_page = |i: usize| {
        pages
            .get(items[i].key.as_str())
            .is_some_and(|fs| fs.len() > 1)
    };
    let keep: Vec<bool> = anchors
        .iter()
        .map(|(i, _, named)| *named || shared_page(*i))
        .collect();
    anchors
        .into_iter()
        .zip(keep)
        .filter(|(_, keep)| *keep)
        .map(|((i, f, _), _)| (i, f))
        .collect()
}

/// Fragments that point into a post's own page rather than name a post: comments, the
/// "read more" jump, the reply form.
fn is_comment_or_jump(fragment: &str) -> bool {
    let f = fragment.to_ascii_lowercase();
    matches!(
        f.as_str(),
        "comments" | "respond" | "more" | "disqus_thread" | "comment" | "reply" | "content" | "top"
    ) || f.starts_with("more-")
        || f.starts_with("comment-")
        || f.starts_with("utm_")
}

/// The entry's web page: the `alternate` (or unnamed) link, else a permalink id (RSS `guid`).
fn entry_link(entry: &RawEntry, base: Option<&url::Url>) -> Option<url::Url> {
    let link = entry
        .links
        .iter()
        .find(|l| l.is_page())
        .map(|l| l.href.as_str())
        .or_else(|| {
            let id = entry.id.trim();
            (id.starts_with("http://") || id.starts_with("https://")).then_some(id)
        })?;
    let resolved = match base {
        Some(b) => b.join(link.trim()).ok()?,
        None => url::Url::parse(link.trim()).ok()?,
    };
    matches!(resolved.scheme(), "http" | "https").then_some(resolved)
}

/// The identity of an article: its link without scheme, fragment, default port, tracking
/// parameters or trailing slash, host lower-cased. A blog that moves from http to https, or a
/// feed that adds `utm_*` to its links, does not create new articles.
pub fn article_key(link: &str) -> Option<String> {
    key_of(&url::Url::parse(link).ok()?)
}

/// [`article_key`] of a parsed link.
fn key_of(u: &url::Url) -> Option<String> {
    let host = u.host_str()?.to_ascii_lowercase();
    let mut key = host;
    if let Some(port) = u.port() {
        key.push_str(&format!(":{port}"));
    }
    let path = u.path();
    key.push_str(if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        ""
    });
    let query: Vec<String> = u
        .query_pairs()
        .filter(|(k, _)| !k.starts_with("utm_"))
        .map(|(k, v)| {
            if v.is_empty() {
                k.into_owned()
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    if !query.is_empty() {
        key.push('?');
        key.push_str(&query.join("&"));
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_without_a_byte_order_mark_is_one_clear_error() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel></channel></rss>";
        let le: Vec<u8> = xml.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = xml.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for (bytes, order) in [(le, "little-endian"), (be, "big-endian")] {
            let err = parse(&bytes, None).unwrap_err().to_string();
            assert!(
                err.contains(order) && err.contains("byte order mark"),
                "{err}"
            );
        }
        // With the mark, the reader decodes it.
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
        assert!(parse(&with_bom, None).is_ok());
    }

    #[test]
    fn a_caught_panic_is_not_printed_and_later_ones_are() {
        assert_eq!(quietly(|| -> u8 { panic!("hidden") }), None);
        assert_eq!(quietly(|| 7), Some(7));
    }

    #[test]
    fn keys_ignore_scheme_slash_fragment_and_tracking() {
        let k = article_key("https://Blog.Example.org/2026/01/post/#comments").unwrap();
        assert_eq!(k, "blog.example.org/2026/01/post");
        assert_eq!(
            article_key("http://blog.example.org/2026/01/post").unwrap(),
            k
        );
        assert_eq!(
            article_key("https://blog.example.org/2026/01/post/?utm_source=rss").unwrap(),
            k
        );
        assert_eq!(
            article_key("https://blog.example.org/?p=42").unwrap(),
            "blog.example.org?p=42"
        );
        assert_ne!(
            article_key("https://blog.example.org/?p=43"),
            article_key("https://blog.example.org/?p=42")
        );
        assert!(article_key("not a url").is_none());
    }
}
