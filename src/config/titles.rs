//! The alternate titles file (`[message] titles = "titles.toml"`): a file the blogger edits,
//! apart from the admin's config, giving articles other titles to be shared under, per network if
//! wanted, and an end date after which an article is not shared.
//!
//! ```toml
//! # An article's link (or a URL pattern) and its other titles: the shorthand.
//! "https://blog.example.org/2026/09/backups/" = ["Your backups are lying to you", "Three restores you never tried"]
//!
//! # The long form: titles per network, the original title left out, an end date.
//! ["*/black-friday-*"]
//! titles = ["Our Black Friday picks"]
//! x = ["Black Friday picks"]
//! replace = true
//! expires = 2026-12-01
//! ```
//!
//! Read whole when the config is read (at start and at SIGHUP), so that a broken file is refused
//! with the config and the titles in force stay as they were.

use super::{invalid, line_col, ConfigError};
use crate::vocab::{LengthRule, NetworkKind, UrlGlob};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A title as written, with where (for `check`'s errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title {
    /// The title.
    pub text: String,
    /// 1-based line of the title in the file.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// One entry: the articles a pattern names and what they are shared under.
#[derive(Debug, Clone, PartialEq)]
pub struct TitleEntry {
    /// The article's link, or a pattern of links.
    pub pattern: UrlGlob,
    /// Alternate titles for every network without its own list.
    pub titles: Vec<Title>,
    /// A network's own list (shorter titles for X, say), used there instead of `titles`.
    pub per_network: Vec<(NetworkKind, Vec<Title>)>,
    /// The article's own title is left out of the rotation.
    pub replace: bool,
    /// Not shared from this instant on (the end of the `expires` day, in the config's zone).
    pub expires: Option<DateTime<Utc>>,
    /// 1-based line of the entry's key.
    pub line: usize,
    /// 1-based column of the entry's key.
    pub col: usize,
}

impl TitleEntry {
    /// The alternate titles shared on `network`: its own list, else the common one.
    pub fn titles_on(&self, network: NetworkKind) -> &[Title] {
        self.per_network
            .iter()
            .find(|(n, _)| *n == network)
            .map_or(self.titles.as_slice(), |(_, t)| t.as_slice())
    }
}

/// A titles file, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct TitleBook {
    /// The file.
    pub path: PathBuf,
    /// Its entries, in key order.
    pub entries: Vec<TitleEntry>,
}

impl TitleBook {
    /// The entry for the article at `url`: one naming its link (compared as an article's
    /// identity: http or https, a trailing slash), else the longest matching pattern, the most
    /// specific one ("*/2026/09/*" over "*").
    pub fn entry_for(&self, url: &str) -> Option<&TitleEntry> {
        let matching = self.entries.iter().filter(|e| e.pattern.is_match(url));
        matching.max_by_key(|e| (e.pattern.is_literal(), e.pattern.as_str().len()))
    }

    /// Reads and checks the file; `tz` dates its `expires` days.
    pub fn load(path: &Path, tz: chrono_tz::Tz) -> Result<TitleBook, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Self::parse(path, &text, tz)
    }

    /// [`TitleBook::load`] on text read from `path`.
    pub fn parse(path: &Path, text: &str, tz: chrono_tz::Tz) -> Result<TitleBook, ConfigError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: BTreeMap<Spanned<String>, RawEntry> =
            toml::from_str(text).map_err(|e| invalid(path, text, e.span(), e.message().into()))?;
        let file = File { path, text, tz };
        let entries = raw
            .into_iter()
            .map(|(key, raw)| file.entry(key, raw))
            .collect::<Result<_, _>>()?;
        Ok(TitleBook {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The first title that `rule` (an account's network's) could never carry, even alone: a
    /// title used on `network` longer than the network allows is a mistake in the file, not
    /// something to cut at every share.
    pub fn too_long(&self, network: NetworkKind, rule: LengthRule) -> Option<ConfigError> {
        let title = self
            .entries
            .iter()
            .flat_map(|e| e.titles_on(network))
            .find(|t| rule.count(&t.text) > rule.max())?;
        Some(ConfigError::Invalid {
            path: self.path.clone(),
            line: title.line,
            col: title.col,
            message: format!(
                "title {:?} is {} characters long as {network} counts them: more than the {} it allows",
                shortened(&title.text),
                rule.count(&title.text),
                rule.max()
            ),
        })
    }
}

/// A titles file being read: what an entry's errors and positions need.
struct File<'a> {
    path: &'a Path,
    text: &'a str,
    tz: chrono_tz::Tz,
}

impl File<'_> {
    fn err(&self, span: std::ops::Range<usize>, message: String) -> ConfigError {
        invalid(self.path, self.text, Some(span), message)
    }

    /// One entry, checked: its pattern compiles, its titles are not empty, its date reads.
    fn entry(&self, key: Spanned<String>, raw: RawEntry) -> Result<TitleEntry, ConfigError> {
        let pattern = UrlGlob::new(key.get_ref())
            .map_err(|m| self.err(key.span(), format!("titles file: {m}")))?;
        let (line, col) = line_col(self.text, key.span().start);
        let (fields, expires) = match raw {
            RawEntry::List(titles) => (RawFields::with(titles), None),
            RawEntry::Table(f) => {
                let expires = match &f.expires {
                    Some(e) => Some(
                        super::expiry(e.get_ref(), self.tz).map_err(|m| self.err(e.span(), m))?,
                    ),
                    None => None,
                };
                (*f, expires)
            }
        };
        let list = |titles| self.titles(key.get_ref(), titles);
        let mut per_network = Vec::new();
        for (kind, titles) in [
            (NetworkKind::X, fields.x),
            (NetworkKind::Mastodon, fields.mastodon),
            (NetworkKind::Bluesky, fields.bluesky),
            (NetworkKind::Threads, fields.threads),
            (NetworkKind::LinkedIn, fields.linkedin),
            (NetworkKind::Telegram, fields.telegram),
        ] {
            if titles.is_some() {
                per_network.push((kind, list(titles)?));
            }
        }
        Ok(TitleEntry {
            pattern,
            titles: list(fields.titles)?,
            per_network,
            replace: fields.replace.unwrap_or(false),
            expires,
            line,
            col,
        })
    }

    /// A list of titles, each made one clean line and refused when empty.
    fn titles(
        &self,
        key: &str,
        titles: Option<Vec<Spanned<String>>>,
    ) -> Result<Vec<Title>, ConfigError> {
        let one = |t: Spanned<String>| {
            let clean = crate::text::clean_line(t.get_ref()).into_owned();
            if clean.is_empty() {
                return Err(self.err(t.span(), format!("an empty title for {key:?}")));
            }
            let (line, col) = line_col(self.text, t.span().start);
            Ok(Title {
                text: clean,
                line,
                col,
            })
        };
        titles.unwrap_or_default().into_iter().map(one).collect()
    }
}

/// The first 40 characters of a title, for a message.
fn shortened(title: &str) -> String {
    match title.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &title[..cut]),
        None => title.to_string(),
    }
}

/// An entry as written: a list of titles, or a table.
enum RawEntry {
    List(Vec<Spanned<String>>),
    Table(Box<RawFields>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFields {
    titles: Option<Vec<Spanned<String>>>,
    x: Option<Vec<Spanned<String>>>,
    mastodon: Option<Vec<Spanned<String>>>,
    bluesky: Option<Vec<Spanned<String>>>,
    threads: Option<Vec<Spanned<String>>>,
    linkedin: Option<Vec<Spanned<String>>>,
    telegram: Option<Vec<Spanned<String>>>,
    replace: Option<bool>,
    expires: Option<Spanned<toml::Value>>,
}

impl RawFields {
    fn with(titles: Vec<Spanned<String>>) -> RawFields {
        RawFields {
            titles: Some(titles),
            ..RawFields::default()
        }
    }
}

impl<'de> Deserialize<'de> for RawEntry {
    /// Read through TOML's own deserializer either way (as `[feed]`/`[[feed]]` are), so that a
    /// mistake inside keeps its line and column.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawEntry, D::Error> {
        d.deserialize_any(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> serde::de::Visitor<'de> for EntryVisitor {
    type Value = RawEntry;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of titles, or a table with `titles`, `x`, `mastodon`, `bluesky`, `threads`, `linkedin`, `telegram`, `replace` and `expires`")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawEntry, A::Error> {
        let de = serde::de::value::MapAccessDeserializer::new(map);
        RawFields::deserialize(de).map(|f| RawEntry::Table(Box::new(f)))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<RawEntry, A::Error> {
        let de = serde::de::value::SeqAccessDeserializer::new(seq);
        Vec::deserialize(de).map(RawEntry::List)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<TitleBook, ConfigError> {
        TitleBook::parse(Path::new("/etc/encore/titles.toml"), text, chrono_tz::UTC)
    }

    fn position(e: ConfigError) -> String {
        e.to_string()
    }

    #[test]
    fn both_forms_and_the_most_specific_entry_wins() {
        let book = parse(
            r#"
"https://b.org/a/" = ["Alt A", "Alt B"]

["https://b.org/*"]
titles = ["Anything"]
x = ["Short"]
linkedin = ["A longer title, for a professional audience"]
replace = true
expires = 2026-12-01
"#,
        )
        .unwrap();
        let a = book.entry_for("http://b.org/a").unwrap();
        assert_eq!(a.titles.len(), 2);
        assert_eq!((a.titles[1].line, a.titles[1].col), (2, 32));
        let other = book.entry_for("https://b.org/zzz/").unwrap();
        assert!(other.replace);
        assert_eq!(other.titles_on(NetworkKind::X)[0].text, "Short");
        assert_eq!(other.titles_on(NetworkKind::Mastodon)[0].text, "Anything");
        assert_eq!(
            other.titles_on(NetworkKind::LinkedIn)[0].text,
            "A longer title, for a professional audience"
        );
        assert_eq!(
            other.expires.unwrap().to_rfc3339(),
            "2026-12-02T00:00:00+00:00"
        );
        assert!(book.entry_for("https://c.org/").is_none());
    }

    #[test]
    fn mistakes_name_the_file_line_and_column() {
        let cases = [
            ("\"https://b.org/a/\" = [\"A\", \n", "titles.toml:1:"),
            (
                "\"https://b.org/a/\" = [\"A\", \"  \"]\n",
                "titles.toml:1:28: `https://b.org/a/`: an empty title",
            ),
            (
                "\"https://b.org/[a\" = [\"A\"]\n",
                "titles.toml:1:1: titles file: invalid pattern",
            ),
            (
                "[\"*/a\"]\ntitles = [\"A\"]\nexpires = \"soon\"\n",
                "titles.toml:3:11:",
            ),
            ("[\"*/a\"]\ntitle = [\"A\"]\n", "titles.toml:2:1:"),
        ];
        for (text, want) in cases {
            let e = position(parse(text).unwrap_err());
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn a_title_longer_than_the_network_allows_is_named() {
        let long = "word ".repeat(70);
        let book = parse(&format!(
            "[\"*/a\"]\ntitles = [\"fine\"]\nbluesky = [{:?}]\n",
            long.trim()
        ))
        .unwrap();
        let rule = NetworkKind::Bluesky.length_rule();
        let e = book
            .too_long(NetworkKind::Bluesky, rule)
            .unwrap()
            .to_string();
        assert!(e.starts_with("/etc/encore/titles.toml:3:12: title"), "{e}");
        assert!(book
            .too_long(NetworkKind::Mastodon, NetworkKind::Mastodon.length_rule())
            .is_none());
    }
}
