//! The fast reader for the two shapes nearly every blog serves, RSS 2.0 and Atom, in UTF-8: one
//! quick-xml pass over the bytes keeping only what Encore uses (links, id, title, categories,
//! dates) and skipping bodies without copying them. feed-rs builds its whole model, bodies
//! included: reading a 10 MB WordPress feed cost 7× the XML pass itself (BENCHMARKS.md).
//!
//! It answers only where it reads the feed exactly as feed-rs does (same XML reader settings,
//! same namespaces, same text rules) and returns `None` for anything else: another encoding,
//! `xml:base`, a date only feed-rs's lenient parser reads, a title holding markup, podcast
//! extensions, a document feed-rs would refuse, any XML error. The caller then asks feed-rs. A
//! test runs both over feedparser's corpus of 2,200 feeds and requires the same items.

use super::raw::{href, ItemMaker, RawEntry, RawFeed, RawLink};
use chrono::{DateTime, Utc};
use quick_xml::encoding::{detect_encoding, DetectedEncoding};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use std::borrow::Cow;

/// The namespaces of feed-rs's `NS::parse` that change what this reader does; every other
/// one is `Other`. (feed-rs also knows `content:` and `itunes:`: bodies and podcast details,
/// never read here, and its iTunes handler refuses no document.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    Rss,
    Atom,
    DublinCore,
    MediaRss,
    Podcast,
    Comments,
    Other,
}

fn ns_of(uri: &str) -> Ns {
    match uri {
        "http://purl.org/rss/1.0/" => Ns::Rss,
        "http://www.w3.org/2005/Atom" => Ns::Atom,
        "http://purl.org/dc/elements/1.1/" => Ns::DublinCore,
        "http://search.yahoo.com/mrss/" => Ns::MediaRss,
        "https://podcastindex.org/namespace/1.0" => Ns::Podcast,
        "http://wellformedweb.org/CommentAPI/" => Ns::Comments,
        _ => Ns::Other,
    }
}

/// This reader cannot promise feed-rs's reading of the document: feed-rs reads it instead.
struct GiveUp;

type Read<T> = Result<T, GiveUp>;

impl From<quick_xml::Error> for GiveUp {
    fn from(_: quick_xml::Error) -> GiveUp {
        GiveUp
    }
}

/// The fields Encore uses, or `None` when feed-rs must read this document. Each entry is made
/// an item as soon as it is read.
pub(super) fn read(bytes: &[u8], base: Option<&str>) -> Option<super::raw::Read> {
    // feed-rs reads a document whose first `<` or `{` is `{` as JSON Feed.
    if bytes
        .iter()
        .find(|b| matches!(b, b'<' | b'{'))
        .is_none_or(|b| *b == b'{')
    {
        return None;
    }
    let base_url = match base {
        Some(b) => Some(url::Url::parse(b).ok()?),
        None => None,
    };
    // feed-rs decodes a document with a UTF-16 byte order mark (or shape) as UTF-16, even when
    // the rest is ASCII (found by the `reader` fuzz target). quick-xml checks that every
    // event it reads is UTF-8; a declared encoding other than UTF-8 is refused below.
    if !matches!(
        detect_encoding(bytes),
        None | Some(DetectedEncoding::AsciiCompatible | DetectedEncoding::Utf8Bom)
    ) {
        return None;
    }
    let mut doc = Doc {
        reader: feed_rs_reader(bytes),
        base: base_url,
        default: Ns::Rss,
        mirror: true,
        maker: ItemMaker::new(base, false),
    };
    let feed = doc.feed().ok()?;
    // What follows the feed is not read, by feed-rs either; it must still be UTF-8.
    let end = usize::try_from(doc.reader.buffer_position()).ok()?;
    std::str::from_utf8(bytes.get(end..)?).ok()?;
    Some(super::raw::Read {
        links: feed.links,
        maker: doc.maker,
        problems: None,
    })
}

/// A reader with feed-rs's settings: the same document gives the same events and errors.
fn feed_rs_reader(bytes: &[u8]) -> NsReader<&[u8]> {
    let mut reader = NsReader::from_reader(bytes);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.trim_markup_names_in_closing_tags = true;
    config.trim_text(false);
    reader
}

/// A start tag and its namespace (feed-rs's default applied).
struct Start<'a> {
    ns: Ns,
    tag: BytesStart<'a>,
}

/// An event the readers below act on.
enum Next<'a> {
    Start(Start<'a>),
    End,
    /// Text, CDATA or a resolved reference: pieces feed-rs joins into one text.
    Text(Piece<'a>),
    Eof,
}

enum Piece<'a> {
    Str(Cow<'a, str>),
    Char(char),
    /// A named entity: one of XML's five, or kept as written (feed-rs does).
    Entity(Cow<'a, str>),
}

impl Piece<'_> {
    fn push_to(&self, text: &mut String) {
        match self {
            Piece::Str(s) => text.push_str(s),
            Piece::Char(c) => text.push(*c),
            Piece::Entity(name) => match quick_xml::escape::resolve_predefined_entity(name) {
                Some(s) => text.push_str(s),
                None => {
                    text.push('&');
                    text.push_str(name);
                    text.push(';');
                }
            },
        }
    }
}

struct Doc<'a> {
    reader: NsReader<&'a [u8]>,
    base: Option<url::Url>,
    /// The namespace of unprefixed and unknown-prefixed names (feed-rs: RSS in an `<rss>`
    /// document, Atom in a `<feed>`).
    default: Ns,
    /// Reading as feed-rs does, giving up where it would read otherwise (`xml:base`); off for
    /// [`extras`], whose texts do not depend on it.
    mirror: bool,
    /// Where each entry read goes.
    maker: ItemMaker,
}

impl<'a> Doc<'a> {
    fn next(&mut self) -> Read<Next<'a>> {
        loop {
            let (resolved, event) = self.reader.read_resolved_event()?;
            let ns = match resolved {
                ResolveResult::Bound(uri) => Some(ns_of(uri.as_ref())),
                ResolveResult::Unbound | ResolveResult::Unknown(_) => None,
            };
            return Ok(match event {
                Event::Start(tag) if self.mirror => {
                    // xml:base changes how feed-rs resolves links below it; a malformed one
                    // makes it refuse the document.
                    for attr in tag.attributes() {
                        if attr.map_err(|_| GiveUp)?.key.as_ref() == "xml:base" {
                            return Err(GiveUp);
                        }
                    }
                    Next::Start(Start {
                        ns: ns.unwrap_or(self.default),
                        tag,
                    })
                }
                Event::Start(tag) => Next::Start(Start {
                    ns: ns.unwrap_or(self.default),
                    tag,
                }),
                Event::End(_) => Next::End,
                Event::Text(t) => Next::Text(Piece::Str(t.into_inner())),
                Event::CData(t) => Next::Text(Piece::Str(t.into_inner())),
                // A malformed character reference makes feed-rs refuse the document, wherever
                // it is: checked here, turned into text only where the text is used.
                Event::GeneralRef(r) => Next::Text(match r.resolve_char_ref()? {
                    Some(c) => Piece::Char(c),
                    None => Piece::Entity(r.into_inner()),
                }),
                Event::Decl(decl) => {
                    if let Some(enc) = decl.encoding() {
                        let enc = enc.map_err(|_| GiveUp)?;
                        if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
                            return Err(GiveUp);
                        }
                    }
                    continue;
                }
                Event::Eof => Next::Eof,
                Event::Empty(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => continue,
            });
        }
    }

    /// Reads to the end of the element just started.
    fn skip(&mut self) -> Read<()> {
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Next::Start(_) => depth += 1,
                Next::End if depth == 0 => return Ok(()),
                Next::End => depth -= 1,
                Next::Text(_) => {}
                Next::Eof => return Err(GiveUp),
            }
        }
    }

    /// The next child element of the element being read, or `None` at its end (text between
    /// children skipped).
    fn child(&mut self) -> Read<Option<Start<'a>>> {
        loop {
            match self.next()? {
                Next::Start(s) => return Ok(Some(s)),
                Next::End => return Ok(None),
                Next::Text(_) => {}
                Next::Eof => return Err(GiveUp),
            }
        }
    }

    /// A feed-level Atom `<link>`: only the link to older entries is used there.
    fn older_link(&mut self, s: &Start, feed: &mut RawFeed) -> Read<()> {
        if let Some(link) = self.atom_link(&s.tag, RawLink::is_older)? {
            feed.links.push(link);
        }
        self.skip()
    }

    /// feed-rs's text of the element just started: the text before its first child element
    /// (`None` when there is none), then the rest is skipped. Also says whether a child
    /// element came first.
    fn text(&mut self) -> Read<(Option<String>, bool)> {
        let mut text: Option<String> = None;
        loop {
            match self.next()? {
                // feed-rs ignores empty text and CDATA: they do not make a text.
                Next::Text(Piece::Str(s)) if s.is_empty() => {}
                Next::Text(piece) => piece.push_to(text.get_or_insert_with(String::new)),
                Next::End => return Ok((text, false)),
                Next::Start(_) => {
                    self.skip()?;
                    self.skip()?;
                    return Ok((text, true));
                }
                Next::Eof => return Err(GiveUp),
            }
        }
    }

    fn leaf(&mut self) -> Read<Option<String>> {
        Ok(self.text()?.0)
    }

    fn feed(&mut self) -> Read<RawFeed> {
        // The root: the first element.
        let root = loop {
            match self.next()? {
                Next::Start(s) => break s,
                Next::Text(_) => {}
                Next::End | Next::Eof => return Err(GiveUp),
            }
        };
        match root.name() {
            "rss" if matches!(attr(&root.tag, "version")?.as_deref(), Some("2.0" | "")) => {
                self.default = Ns::Rss;
                self.rss()
            }
            "feed" => {
                self.default = Ns::Atom;
                self.atom_feed()
            }
            // RSS 0.9x and 1.0, an Atom entry alone, anything else: feed-rs.
            _ => Err(GiveUp),
        }
    }

    /// RSS 2.0: the first `<channel>` (whatever its namespace), as feed-rs reads it; nothing
    /// after it is read.
    fn rss(&mut self) -> Read<RawFeed> {
        while let Some(s) = self.child()? {
            if s.name() == "channel" {
                return self.channel();
            }
            self.skip()?;
        }
        // No channel: feed-rs refuses the document.
        Err(GiveUp)
    }

    fn channel(&mut self) -> Read<RawFeed> {
        let mut feed = RawFeed::default();
        while let Some(s) = self.child()? {
            match (s.ns, s.name()) {
                (Ns::Rss, "item") => {
                    let entry = self.rss_item()?;
                    self.maker.add(entry);
                }
                (Ns::Atom, "link") => self.older_link(&s, &mut feed)?,
                (Ns::Podcast, _) => return Err(GiveUp),
                _ => self.skip()?,
            }
        }
        Ok(feed)
    }

    fn rss_item(&mut self) -> Read<RawEntry> {
        let mut entry = RawEntry::default();
        while let Some(s) = self.child()? {
            match (s.ns, s.name()) {
                (Ns::Rss, "title") => entry.title = self.leaf()?.map(|t| t.trim().to_string()),
                // feed-rs also drops a `<comments>` link equal to another link: the first
                // unnamed link's target is the same either way.
                (Ns::Rss, "link" | "comments") | (Ns::Comments, "commentRss" | "commentRSS") => {
                    if let Some(t) = self.leaf()? {
                        if !entry.has_page_link() {
                            entry.page_link(self.link(&t, None));
                        }
                    }
                }
                (Ns::Rss, "category") => {
                    if let Some(t) = self.leaf()? {
                        entry.categories.push((t.trim().to_string(), None));
                    }
                }
                (Ns::Rss, "guid") => {
                    if let Some(t) = self.leaf()? {
                        entry.id = t.trim().to_string();
                    }
                }
                (Ns::DublinCore, "subject") => self.subject(&mut entry)?,
                // An empty date element clears the date in feed-rs's RSS reader.
                (Ns::Rss, "pubDate") | (Ns::DublinCore, "date") => {
                    entry.published = self.leaf()?.map(|t| date(&t)).transpose()?;
                }
                (Ns::Rss, "updated") | (Ns::Atom, "updated") => {
                    entry.updated = self.leaf()?.map(|t| date(&t)).transpose()?;
                }
                (Ns::MediaRss, _) => self.media(&s)?,
                (Ns::Podcast, _) => return Err(GiveUp),
                _ => self.skip()?,
            }
        }
        Ok(entry)
    }

    fn atom_feed(&mut self) -> Read<RawFeed> {
        let mut feed = RawFeed::default();
        while let Some(s) = self.child()? {
            match (s.ns, s.name()) {
                (Ns::Atom, "entry") => {
                    let entry = self.atom_entry()?;
                    self.maker.add(entry);
                }
                (Ns::Atom, "link") => self.older_link(&s, &mut feed)?,
                (Ns::Atom, "title" | "rights" | "subtitle") => {
                    text_type(&s.tag, true)?;
                    self.skip()?;
                }
                _ => self.skip()?,
            }
        }
        Ok(feed)
    }

    /// One Atom entry, read event by event. Long because it is the one match over the
    /// elements an entry may hold, as a streaming reader must be.
    fn atom_entry(&mut self) -> Read<RawEntry> {
        let mut entry = RawEntry::default();
        while let Some(s) = self.child()? {
            match (s.ns, s.name()) {
                (Ns::Atom, "id") => {
                    if let Some(t) = self.leaf()? {
                        entry.id = t;
                    }
                }
                (Ns::Atom, "title") => {
                    // An XHTML title is serialised markup in feed-rs: not modelled here.
                    text_type(&s.tag, false)?;
                    let (text, child_first) = self.text()?;
                    if text.is_none() && child_first {
                        return Err(GiveUp);
                    }
                    entry.title = Some(text.unwrap_or_default().trim().to_string());
                }
                (Ns::Atom, "updated") => {
                    if let Some(t) = self.leaf()? {
                        entry.updated = Some(date(&t)?);
                    }
                }
                (Ns::Atom, "published" | "pubDate") => {
                    if let Some(t) = self.leaf()? {
                        entry.published = Some(date(&t)?);
                    }
                }
                (Ns::Atom, "link") => {
                    if let Some(link) = self.atom_link(&s.tag, RawLink::is_page)? {
                        entry.page_link(link);
                    }
                    self.skip()?;
                }
                (Ns::Comments, "commentRss" | "commentRSS") => {
                    if let Some(t) = self.leaf()? {
                        if !entry.has_page_link() {
                            entry.page_link(self.link(&t, None));
                        }
                    }
                }
                (Ns::Atom, "category") => {
                    if let Some(term) = attr(&s.tag, "term")? {
                        let label = attr(&s.tag, "label")?.map(Cow::into_owned);
                        entry.categories.push((term.trim().to_string(), label));
                    }
                    self.skip()?;
                }
                (Ns::DublinCore, "subject") => self.subject(&mut entry)?,
                (Ns::Atom, "summary" | "rights") => {
                    text_type(&s.tag, true)?;
                    self.skip()?;
                }
                (Ns::Atom, "content") => {
                    // `src` and media types other than the text ones: feed-rs checks them.
                    if attr(&s.tag, "src")?.is_some() {
                        return Err(GiveUp);
                    }
                    text_type(&s.tag, true)?;
                    self.skip()?;
                }
                (Ns::MediaRss, _) => self.media(&s)?,
                _ => self.skip()?,
            }
        }
        Ok(entry)
    }

    /// A Dublin Core `<dc:subject>`: a category (feed-rs does not read it; see
    /// [`dc_subjects`], which adds them to its reading the same way).
    fn subject(&mut self, entry: &mut RawEntry) -> Read<()> {
        if let Some(t) = self.leaf()? {
            entry.subjects.push(t.trim().to_string());
        }
        Ok(())
    }

    /// An Atom `<link>` (feed-rs needs its `href` and calls an unnamed one `alternate`), when
    /// `wanted` (its target is resolved only then).
    fn atom_link(&self, tag: &BytesStart, wanted: fn(&RawLink) -> bool) -> Read<Option<RawLink>> {
        let Some(raw) = attr(tag, "href")? else {
            return Ok(None);
        };
        let rel = attr(tag, "rel")?.map_or_else(|| "alternate".to_string(), Cow::into_owned);
        let mut link = RawLink {
            href: String::new(),
            rel: Some(rel),
        };
        if !wanted(&link) {
            return Ok(None);
        }
        link.href = href(&raw, self.base.as_ref());
        Ok(Some(link))
    }

    fn link(&self, raw: &str, rel: Option<String>) -> RawLink {
        RawLink {
            href: href(raw, self.base.as_ref()),
            rel,
        }
    }

    /// Media RSS: feed-rs refuses a document whose `media:title` or `media:description` has
    /// another type than plain or html, or no text.
    fn media(&mut self, s: &Start) -> Read<()> {
        if matches!(s.name(), "title" | "description") {
            if !matches!(
                attr(&s.tag, "type")?.as_deref(),
                None | Some("plain" | "html")
            ) {
                return Err(GiveUp);
            }
            return match self.leaf()? {
                Some(_) => Ok(()),
                None => Err(GiveUp),
            };
        }
        while let Some(inner) = self.child()? {
            if inner.ns == Ns::MediaRss {
                self.media(&inner)?;
            } else {
                self.skip()?;
            }
        }
        Ok(())
    }
}

/// What feed-rs does not give of an entry, found in one more pass over the document: its
/// `<dc:subject>`s (feed-rs ignores Dublin Core subjects, which RSS 1.0 feeds, SPIP and many
/// RSS 2.0 feeds use for their categories), read as the fast reader reads them, and the text of
/// its last date element (for the dates feed-rs cannot read: `feed/date.rs` tries them).
#[derive(Debug, Default)]
pub(super) struct Extras {
    pub subjects: Vec<String>,
    pub date: Option<String>,
}

/// [`Extras`] of each entry (RSS 0.9x/1.0/2.0 `item`, Atom `entry`), in document order. `None`
/// when the document cannot be read here (not UTF-8, an XML error): feed-rs's reading then
/// stands alone. Long because it is one streaming pass with its match over events; split, the
/// state of the pass would have to travel between functions.
pub(super) fn extras(bytes: &[u8]) -> Option<Vec<Extras>> {
    let mut doc = Doc {
        reader: feed_rs_reader(bytes),
        base: None,
        default: Ns::Other,
        mirror: false,
        maker: ItemMaker::new(None, false),
    };
    let mut entries: Vec<Extras> = Vec::new();
    // Depth of the entry being read (its children are one deeper), when inside one.
    let (mut depth, mut entry_depth) = (0usize, None);
    // In RSS 2.0, feed-rs reads the first channel and nothing after it (found by the `reader`
    // fuzz target: an error after the channel lost the subjects).
    let (mut rss, mut channel_depth) = (false, None);
    loop {
        // An XML error: what was read stands (the caller checks it has one list per entry).
        let Ok(next) = doc.next() else {
            return Some(entries);
        };
        match next {
            Next::Start(s) if depth == 0 => {
                rss = s.name() == "rss";
                depth += 1;
            }
            Next::Start(s) if rss && channel_depth.is_none() && s.name() == "channel" => {
                channel_depth = Some(depth);
                depth += 1;
            }
            Next::Start(s) if entry_depth.is_none() && matches!(s.name(), "item" | "entry") => {
                entries.push(Extras::default());
                entry_depth = Some(depth);
                depth += 1;
            }
            Next::Start(s) if entry_depth.is_some_and(|d| depth == d + 1) => {
                let Some(extras) = entries.last_mut() else {
                    depth += 1;
                    continue;
                };
                if s.ns == Ns::DublinCore && s.name() == "subject" {
                    let mut entry = RawEntry::default();
                    doc.subject(&mut entry).ok()?;
                    extras.subjects.append(&mut entry.subjects);
                } else if is_date(s.name()) {
                    // The last one, as feed-rs keeps the last.
                    extras.date = doc.leaf().ok()?;
                } else {
                    depth += 1;
                }
            }
            Next::Start(_) => depth += 1,
            Next::End => {
                depth = depth.checked_sub(1)?;
                if entry_depth == Some(depth) {
                    entry_depth = None;
                }
                if channel_depth == Some(depth) {
                    return Some(entries);
                }
            }
            Next::Text(_) => {}
            Next::Eof => return Some(entries),
        }
    }
}

/// The local names of an entry's date elements in RSS, Atom and Dublin Core.
fn is_date(name: &str) -> bool {
    matches!(
        name,
        "pubDate" | "date" | "published" | "issued" | "created" | "updated" | "modified"
    )
}

impl Start<'_> {
    /// The local part of the name, as feed-rs takes it (after the last `:`).
    fn name(&self) -> &str {
        let name = self.tag.name().into_inner();
        name.rsplit(':').next().unwrap_or(name)
    }
}

/// An attribute's value as feed-rs takes it: unescaped, or as written when that fails.
fn attr<'a>(tag: &'a BytesStart, name: &str) -> Read<Option<Cow<'a, str>>> {
    for a in tag.attributes() {
        let a = a.map_err(|_| GiveUp)?;
        if a.key.as_ref() == name {
            return Ok(Some(match quick_xml::escape::unescape(&a.value) {
                Ok(Cow::Borrowed(_)) | Err(_) => a.value,
                Ok(Cow::Owned(s)) => Cow::Owned(s),
            }));
        }
    }
    Ok(None)
}

/// An Atom text construct's `type`: feed-rs refuses the types it does not know, and
/// serialises XHTML (allowed only where the text is not used).
fn text_type(tag: &BytesStart, xhtml: bool) -> Read<()> {
    match attr(tag, "type")?.as_deref() {
        None | Some("text" | "html" | "text/html") => Ok(()),
        Some("xhtml") if xhtml => Ok(()),
        Some(_) => Err(GiveUp),
    }
}

/// RFC 3339, then RFC 2822, as written. feed-rs's lenient parser tries the same two first
/// (after rewrites that leave such dates as they are); a date only its rewrites repair is
/// left to it.
fn date(text: &str) -> Read<DateTime<Utc>> {
    let t = text.trim();
    DateTime::parse_from_rfc3339(t)
        .or_else(|_| DateTime::parse_from_rfc2822(t))
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| GiveUp)
}

#[cfg(test)]
mod tests {
    use super::super::parse::both_readers;
    use super::*;
    use std::io::Read as _;

    /// Both readers on one document: when the fast one answers, feed-rs must accept the
    /// document and give the same items and the same link to older entries.
    fn agree(name: &str, bytes: &[u8], base: Option<&str>) -> bool {
        let Some((fast, reference)) = both_readers(bytes, base) else {
            return false;
        };
        let reference =
            reference.unwrap_or_else(|e| panic!("{name}: read fast, but feed-rs refuses it: {e}"));
        assert_eq!(fast, reference, "{name}: the readers disagree");
        true
    }

    #[test]
    fn agrees_with_feed_rs_on_feedparsers_corpus_and_the_fixtures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let gz = flate2::read::GzDecoder::new(
            std::fs::File::open(root.join("feedparser/feedparser-6.0.14-tests.tar.gz")).unwrap(),
        );
        let mut tar = tar::Archive::new(gz);
        let (mut files, mut fast) = (0, 0);
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().display().to_string();
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            files += 1;
            for base in [None, Some("http://example.org/feed/")] {
                fast += usize::from(agree(&name, &bytes, base));
            }
        }
        // The blog-shaped fixtures are read fast; atom.xml uses xml:base and latin1.xml is
        // ISO-8859-1: feed-rs reads those.
        for (file, expected) in [
            ("wordpress.xml", true),
            ("span.xml", true),
            ("intl.xml", true),
            ("atom.xml", false),
            ("latin1.xml", false),
        ] {
            let bytes = std::fs::read(root.join(file)).unwrap();
            let base = Some("https://blog.example.org/feed/");
            assert_eq!(agree(file, &bytes, base), expected, "{file}");
            assert_eq!(read(&bytes, base).is_some(), expected, "{file}");
        }
        println!("{files} corpus files: {fast} reads of 2 by the fast reader");
        assert!(files > 2000, "{files}");
        // Most of the corpus is RSS 2.0 and Atom in UTF-8: the comparison must cover it.
        assert!(fast > 1500, "only {fast} fast reads");
    }

    const RSS_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"
 xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:media="http://search.yahoo.com/mrss/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>"#;

    fn rss(items: &str) -> String {
        format!("{RSS_HEAD}{items}</channel></rss>")
    }

    fn atom(entries: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"
 xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:media="http://search.yahoo.com/mrss/">
<title>t</title><id>urn:x</id>{entries}</feed>"#
        )
    }

    /// The rules of feed-rs that the corpus does not exercise, one document each: read fast,
    /// and the same items as feed-rs.
    #[test]
    fn agrees_with_feed_rs_on_the_rules_it_mirrors() {
        let base = Some("https://blog.example.org/feed/");
        let docs = [
            // Link choice: the first unnamed link, a comments link equal to the link dropped.
            rss("<item><comments>https://b.org/a/#c</comments><link>https://b.org/a/</link><title>A</title></item>"),
            rss("<item><comments>https://b.org/a/</comments><link>https://b.org/a/</link><title>A</title></item>"),
            rss("<item><wfw:commentRss>https://b.org/a/feed/</wfw:commentRss><link>https://b.org/a/</link></item>"),
            rss("<item><guid>https://b.org/permalink/</guid><title>only a guid</title></item>"),
            rss("<item><guid>https://b.org/1/</guid><guid>  https://b.org/2/ </guid></item>"),
            rss("<item><link>   </link><guid>https://b.org/g/</guid></item>"),
            rss("<item><link>/relative/path/</link></item>"),
            rss("<item><link></link><guid>https://b.org/empty-link/</guid></item>"),
            rss("<item><link><![CDATA[]]></link><guid>https://b.org/empty-cdata/</guid></item>"),
            // Dates: dc:date, the last one wins, an empty one clears, offsets, RFC 3339 in RSS.
            rss("<item><link>https://b.org/d/</link><dc:date>2024-03-01T10:00:00+02:00</dc:date></item>"),
            rss("<item><link>https://b.org/d/</link><pubDate>Fri, 01 Mar 2024 10:00:00 GMT</pubDate><pubDate></pubDate></item>"),
            rss("<item><link>https://b.org/d/</link><pubDate>Fri, 01 Mar 2024 10:00:00 -0000</pubDate><dc:date>2024-03-02T00:00:00Z</dc:date></item>"),
            rss("<item><link>https://b.org/d/</link><atom:updated>2024-03-05T00:00:00Z</atom:updated></item>"),
            // Text: entities, references, CDATA, comments, markup, unknown entities.
            rss("<item><link>https://b.org/t/</link><title>A &amp;amp; B &#8217; <![CDATA[<b>C</b>]]><!-- c --> D</title></item>"),
            rss("<item><link>https://b.org/t/</link><title>Before <b>bold</b> after</title></item>"),
            rss("<item><link>https://b.org/t/</link><title>Caf&eacute;</title></item>"),
            rss("<item><link>https://b.org/t/</link><title></title><title>second</title></item>"),
            // Categories: trimmed, empty ones dropped, duplicates folded.
            rss("<item><link>https://b.org/c/</link><category> SEO </category><category></category><category>seo</category><category domain=\"x\">Café</category></item>"),
            // Media RSS titles feed-rs accepts.
            rss("<item><link>https://b.org/m/</link><media:content url=\"https://b.org/i.jpg\"><media:title type=\"html\">img</media:title></media:content></item>"),
            // After the channel, nothing is read: not even an XML error there (reader fuzz target).
            format!("{}<garbage></other>", rss("<item><link>https://b.org/g/</link><dc:subject>Kept</dc:subject></item>")),
            // Dublin Core subjects are categories, after the others (issue 25: SPIP, RSS 1.0).
            rss("<item><link>https://b.org/s/</link><dc:subject> Politique </dc:subject><category>Local</category><dc:subject></dc:subject><dc:subject>local</dc:subject></item><item><link>https://b.org/s2/</link><dc:subject>Culture</dc:subject></item>"),
            atom("<entry xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><link href=\"https://b.org/e/\"/><dc:subject>Atom subject</dc:subject><category term=\"t\"/></entry>"),
            // The channel's link to older entries.
            rss("<atom:link rel=\"next\" href=\"/feed/?paged=2\"/><item><link>https://b.org/o/</link></item>"),
            // Atom: unnamed links are `alternate`, categories' labels, the id as permalink.
            atom("<link rel=\"next\" href=\"https://b.org/feed/2\"/><entry><id>https://b.org/e/</id><title type=\"html\">&lt;i&gt;E&lt;/i&gt; &amp;amp;</title><category term=\"x\" label=\"Label X\"/><category term=\"  y \"/><updated>2024-03-01T10:00:00Z</updated></entry>"),
            atom("<entry><wfw:commentRss>https://b.org/e/feed/</wfw:commentRss><link href=\"https://b.org/e/\"/><published>2024-03-01T10:00:00+01:00</published><updated>2024-03-02T10:00:00Z</updated></entry>"),
            atom("<entry><link rel=\"enclosure\" href=\"https://b.org/f.mp3\"/><link href=\"/rel/\"/><title></title><content type=\"xhtml\"><div>x</div></content></entry>"),
            atom("<entry><id>urn:1</id><link rel=\"alternate\" href=\"https://b.org/a\"/><title>T</title><summary type=\"text\">s</summary></entry>"),
        ];
        for doc in &docs {
            assert!(agree(doc, doc.as_bytes(), base), "not read fast: {doc}");
        }
    }

    /// What feed-rs reads differently from this reader, or refuses, goes to feed-rs.
    #[test]
    fn leaves_to_feed_rs_what_it_does_not_mirror() {
        let docs = [
            rss("<item xml:base=\"https://other.org/\"><link>/a/</link></item>"),
            rss("<item><link>https://b.org/a/</link><pubDate>Friday, March 1st 2024</pubDate></item>"),
            rss("<item><link>https://b.org/a/</link><media:title type=\"xhtml\">x</media:title></item>"),
            rss("<item><link>https://b.org/a/</link><media:title></media:title></item>"),
            rss("<item><link>https://b.org/a/</link></item"),
            atom("<entry><title type=\"xhtml\"><div>x</div></title><link href=\"https://b.org/a\"/></entry>"),
            atom("<entry><title><b>x</b></title><link href=\"https://b.org/a\"/></entry>"),
            atom("<entry><content src=\"https://b.org/a\" type=\"text/html\"/></entry>"),
            atom("<entry><summary type=\"text/plain\">x</summary></entry>"),
            r#"<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel></channel></rss>"#.to_string(),
            r#"<rss version="0.91"><channel><item><link>https://b.org/a/</link></item></channel></rss>"#.to_string(),
            r#"<rss><channel><item><link>https://b.org/a/</link></item></channel></rss>"#.to_string(),
            r#"<rss version="2.0"><item><link>https://b.org/a/</link></item></rss>"#.to_string(),
            r#"{"version": "https://jsonfeed.org/version/1.1", "items": []}"#.to_string(),
            "<entry xmlns=\"http://www.w3.org/2005/Atom\"><id>https://b.org/a</id></entry>".to_string(),
        ];
        for doc in &docs {
            assert!(read(doc.as_bytes(), None).is_none(), "read fast: {doc}");
        }
        // Not UTF-8: in a field Encore reads, in one it skips, after the feed; UTF-16, and a
        // UTF-16 byte order mark before ASCII (feed-rs decodes that as UTF-16: found by the
        // `reader` fuzz target).
        for doc in [
            &b"<rss version=\"2.0\"><channel><title>\xe9</title></channel></rss>"[..],
            b"<rss version=\"2.0\"><channel><item><description>\xe9</description></item></channel></rss>",
            b"<rss version=\"2.0\"><channel><item><link>https://b.org/a/</link></item></channel></rss>\xe9",
            b"\xff\xfe<\0r\0s\0s\0>\0",
            b"<\0?\0x\0m\0l\0 \0?\0>\0",
            b"\xfe\xff<rss version=\"2.0\"><channel><item><link>https://b.org/a/</link></item></channel></rss>",
        ] {
            assert!(read(doc, None).is_none(), "{doc:?}");
        }
        // A UTF-8 byte order mark is read past, as feed-rs does.
        let bom = b"\xef\xbb\xbf<rss version=\"2.0\"><channel><item><link>https://b.org/a/</link></item></channel></rss>";
        assert!(agree("BOM", bom, None));
    }
}
