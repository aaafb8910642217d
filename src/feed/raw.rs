//! What every reader (the fast XML reader, feed-rs, the JSON Feed reader) hands back: raw entries
//! and links, and the one place they become [`Item`]s. Its own file so that the readers and
//! the dispatcher in `parse.rs` depend on it and not on each other.

use super::{Item, Page};
use crate::text::{fold, plain_text};
use crate::vocab::key_of;
use chrono::{DateTime, Utc};

/// A document read: its links, its items so far, what was left out.
pub(super) struct Read {
    pub links: Vec<RawLink>,
    pub maker: ItemMaker,
    pub problems: Option<String>,
}

impl Read {
    /// The items and the link to older entries, resolved against `base`.
    pub(super) fn page(self, base: Option<&str>) -> Page {
        let older = older_link(&self.links, base);
        (self.maker.finish(), older)
    }

    pub(super) fn from_raw(raw: RawFeed, base: Option<&str>) -> Read {
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
    pub(super) fn is_page(&self) -> bool {
        self.rel.as_deref().is_none_or(|r| r == "alternate")
    }

    /// A feed's link to older entries (RFC 5005).
    pub(super) fn is_older(&self) -> bool {
        matches!(self.rel.as_deref(), Some("next" | "prev-archive"))
    }
}

impl RawEntry {
    /// Only an entry's first page link is used (see [`entry_link`]): a reader may keep that
    /// one alone, and skip resolving the others.
    pub(super) fn has_page_link(&self) -> bool {
        self.links.iter().any(RawLink::is_page)
    }

    /// Keeps `link` if it is the entry's first page link.
    pub(super) fn page_link(&mut self, link: RawLink) {
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
    folds: rustc_hash::FxHashMap<String, String>,
    /// Links with a fragment that may name a post: (item, fragment, the id names it).
    anchors: Vec<(usize, String, bool)>,
    items: Vec<Item>,
    /// The first date text no reader could read, for the warning.
    pub unreadable: Option<String>,
}

impl ItemMaker {
    /// `plain`: titles and categories are plain text (JSON Feed), not HTML.
    pub(super) fn new(base: Option<&str>, plain: bool) -> ItemMaker {
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
    pub(super) fn add(&mut self, entry: RawEntry) {
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
    pub(super) fn finish(mut self) -> Vec<Item> {
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
    let mut pages: rustc_hash::FxHashMap<&str, rustc_hash::FxHashSet<&str>> = Default::default();
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
