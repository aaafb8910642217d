use super::raw::{RawEntry, RawFeed, RawLink, Read};
use super::{FeedError, Item};

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
pub(crate) fn parse_page_owned(
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
pub(crate) type Page = (Vec<Item>, Option<String>);

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

/// Reads a document with feed-rs into the readers' raw form. Long because it maps feed-rs's
/// model field by field (links, dates, categories, content) and keeps what it leaves out for
/// the one warning; the fast reader fills the same fields, so they are read side by side.
/// The document in UTF-8, for the second pass that finds subjects and the dates feed-rs could
/// not read (it reads UTF-8 only): a document in another encoding its declaration names
/// (`gb2312`, `windows-1252`, `ISO-8859-1`…) is decoded first, so that a lenient date is read
/// whatever the encoding. Its declaration then says UTF-8 (the XML reader follows it).
fn as_utf8(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if std::str::from_utf8(bytes).is_ok() {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let head = &bytes[..bytes.len().min(256)];
    let label = head
        .windows(8)
        .position(|w| w == b"encoding")
        .and_then(|at| {
            let rest = &head[at + 8..];
            let open = rest.iter().position(|b| *b == b'"' || *b == b'\'')?;
            let quote = rest[open];
            let len = rest[open + 1..].iter().position(|b| *b == quote)?;
            Some(&rest[open + 1..open + 1 + len])
        });
    let Some((label, encoding)) =
        label.and_then(|l| Some((l, encoding_rs::Encoding::for_label_no_replacement(l)?)))
    else {
        return std::borrow::Cow::Borrowed(bytes);
    };
    let (text, _, _) = encoding.decode(bytes);
    let label = String::from_utf8_lossy(label);
    let declared = format!("encoding=\"{label}\"");
    let text = match text
        .find(&declared)
        .or_else(|| text.find(&format!("encoding='{label}'")))
    {
        Some(at) if at < 256 => {
            let mut t = text.into_owned();
            t.replace_range(at..at + declared.len(), "encoding=\"UTF-8\"");
            t
        }
        _ => text.into_owned(),
    };
    std::borrow::Cow::Owned(text.into_bytes())
}

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
        .then(|| super::stream::extras(&as_utf8(bytes)))
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
}
