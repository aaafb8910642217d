//! Text normalisation shared by the feed reader, the selector and the composer.
//!
//! Feeds carry HTML-escaped, oddly spaced text and category names typed by hand ("Événements",
//! "evenements", "EVENEMENTS"): these helpers make them comparable and printable.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The key under which two category names are "the same": NFC, case folded, accents removed.
/// "Événements", "evenements" and "ÉVÉNEMENTS" all fold to "evenements".
pub fn fold(s: &str) -> String {
    // ASCII has nothing to compose, decompose or strip: only case and spaces.
    if s.is_ascii() {
        return collapse_whitespace(&s.to_ascii_lowercase());
    }
    let lowered: String = s.nfc().collect::<String>().to_lowercase();
    let folded: String = lowered.nfd().filter(|c| !is_combining_mark(*c)).collect();
    collapse_whitespace(&folded.nfc().collect::<String>())
}

/// Collapses every run of whitespace into one space and trims the ends.
pub(crate) fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The text in NFC, borrowed when it already is (ASCII always is; nearly every title and
/// message passes the quick check), since titles are normalised at every feed read and
/// messages measured many times each.
pub(crate) fn nfc(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_ascii()
        || unicode_normalization::is_nfc_quick(text.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.nfc().collect())
    }
}

/// The most characters Encore keeps of a feed's title or category name. No network takes a
/// message near this long (X 280, Bluesky 300, Mastodon 500 by default), and a hostile or broken
/// feed can send megabytes: the archive, the preview and every composition stay small because
/// nothing longer is kept (README, "Feed").
pub(crate) const MAX_TEXT_CHARS: usize = 2000;

/// Turns a feed's title or category (which may hold markup and entities, sometimes escaped twice
/// by WordPress) into plain text: tags stripped, entities decoded, see [`clean_line`].
pub(crate) fn plain_text(s: &str) -> String {
    // Without `<` or `&` there is no tag to strip and no entity to decode.
    if !s.contains(['<', '&']) {
        return clean_line(s).into_owned();
    }
    let mut current = s.to_string();
    // Two rounds: WordPress titles often arrive as `&amp;#8217;` (escaped twice).
    for _ in 0..2 {
        let stripped = strip_tags(&current);
        let decoded = html_escape::decode_html_entities(&stripped).into_owned();
        if decoded == current {
            break;
        }
        current = decoded;
    }
    clean_line(&current).into_owned()
}

/// Text fit to go out in a message, borrowed when it already is: one line (runs of whitespace
/// and control characters become one space, other control characters go), at most
/// [`MAX_TEXT_CHARS`] characters, every bidirectional embedding, override or isolate closed
/// within it ([`balance_bidi`]), NFC.
///
/// Used at ingestion and again when composing, so that an archive written before these rules
/// (or any caller) cannot put a right-to-left override in front of a link or a NUL in a post.
pub(crate) fn clean_line(s: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let tidy = s.chars().nth(MAX_TEXT_CHARS).is_none() && is_tidy_line(s);
    let line: Cow<'_, str> = if tidy {
        Cow::Borrowed(s)
    } else {
        // One character past the bound tells `bounded` to cut; the rest is never read.
        Cow::Owned(bounded(&one_line(s, MAX_TEXT_CHARS + 1), MAX_TEXT_CHARS))
    };
    let balanced = match balance_bidi(&line) {
        Cow::Borrowed(_) => line,
        Cow::Owned(b) => Cow::Owned(b),
    };
    match nfc(&balanced) {
        Cow::Borrowed(_) => balanced,
        Cow::Owned(n) => Cow::Owned(n),
    }
}

/// Whether `s` is already one tidy line: no control character, no whitespace but single spaces
/// between words.
fn is_tidy_line(s: &str) -> bool {
    let mut prev_space = true;
    for c in s.chars() {
        let space = c.is_whitespace();
        if (space && (prev_space || c != ' ')) || c.is_control() {
            return false;
        }
        prev_space = space;
    }
    !prev_space || s.is_empty()
}

/// Whitespace and control characters: runs become one space (a tab or newline separated words),
/// other controls (NUL, escape, DEL, C1) are dropped; ends trimmed; at most `max_chars`
/// characters written, so that a huge text costs no more than a bounded one.
fn one_line(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars * 4));
    let mut pending_space = false;
    let mut written = 0;
    for c in s.chars() {
        if written == max_chars {
            break;
        }
        if c.is_whitespace() {
            pending_space = true;
        } else if !c.is_control() {
            if pending_space && !out.is_empty() {
                out.push(' ');
                written += 1;
            }
            pending_space = false;
            out.push(c);
            written += 1;
        }
    }
    out
}

/// The first `max_chars` characters of a one-line text, cut after a word when there is one in
/// the last quarter, with "…" to say it was cut; the text itself when it is short enough.
fn bounded(s: &str, max_chars: usize) -> String {
    let Some((limit, _)) = s.char_indices().nth(max_chars) else {
        return s.to_string();
    };
    // One character is left for the "…".
    let head = &s[..s[..limit].char_indices().last().map_or(0, |(i, _)| i)];
    let at_word = head
        .rfind(' ')
        .filter(|&i| head[..i].chars().count() >= max_chars * 3 / 4);
    let head = at_word.map_or(head, |i| &head[..i]);
    format!("{}…", head.trim_end())
}

const LRE: char = '\u{202A}';
const RLE: char = '\u{202B}';
const PDF: char = '\u{202C}';
const LRO: char = '\u{202D}';
const RLO: char = '\u{202E}';
const LRI: char = '\u{2066}';
const RLI: char = '\u{2067}';
const FSI: char = '\u{2068}';
const PDI: char = '\u{2069}';

/// Every bidirectional embedding or override (U+202A, B, D, E) and isolate (U+2066–8) opened in
/// `s` closed within it, and every closer that closes nothing dropped (UAX #9's pairing: a PDF
/// closes the innermost embedding unless an isolate is open inside it; a PDI closes the innermost
/// open isolate and whatever was opened inside it).
///
/// A title is placed before the link and the hashtags: a right-to-left override left open
/// would run on into the link and show it backwards, a classic way to disguise one.
pub(crate) fn balance_bidi(s: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    if !s.contains(|c| matches!(c, LRE..=RLO | LRI..=PDI)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut open: Vec<char> = Vec::new();
    for c in s.chars() {
        match c {
            LRE | RLE | LRO | RLO | LRI | RLI | FSI => {
                open.push(c);
                out.push(c);
            }
            PDF if open.last().is_some_and(|o| !is_isolate(*o)) => {
                open.pop();
                out.push(c);
            }
            PDI if open.iter().any(|o| is_isolate(*o)) => {
                while let Some(o) = open.pop() {
                    if is_isolate(o) {
                        break;
                    }
                    out.push(PDF);
                }
                out.push(c);
            }
            PDF | PDI => {}
            _ => out.push(c),
        }
    }
    while let Some(o) = open.pop() {
        out.push(if is_isolate(o) { PDI } else { PDF });
    }
    if out == s {
        return Cow::Borrowed(s);
    }
    Cow::Owned(out)
}

fn is_isolate(c: char) -> bool {
    matches!(c, LRI | RLI | FSI)
}

/// Removes `<...>` tags. A `<` not followed by a letter, `/` or `!` is text ("a < b"), not a tag.
/// A block-level tag (and `<br>`) separates words; an inline one does not: `720ft<sup>2</sup>`
/// is "720ft2" and `₹<span>4,000</span>` is "₹4,000", as a browser shows them.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Past the last `>`, no `<` opens a tag: without this, every `<a` of "<a<a<a…" would search
    // the rest of the text for a `>` (quadratic in a hostile title's length).
    let last_close = s.rfind('>');
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '<' && last_close.is_some_and(|end| end > i) {
            let next = s[i + 1..].chars().next();
            let is_tag = matches!(next, Some(n) if n.is_ascii_alphabetic() || n == '/' || n == '!');
            if is_tag {
                if let Some(end) = s[i..].find('>') {
                    // Skip to just after '>'.
                    let stop = i + end;
                    while let Some((j, _)) = chars.peek() {
                        if *j > stop {
                            break;
                        }
                        chars.next();
                    }
                    if separates_words(&s[i + 1..stop]) {
                        out.push(' ');
                    }
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// Whether the tag whose inside (between `<` and `>`) is `tag` breaks a line in HTML: the
/// block-level elements, `br` and `hr`. Anything else (inline elements, comments, unknown
/// names) joins what stands on either side.
fn separates_words(tag: &str) -> bool {
    const BLOCKS: &[&str] = &[
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ];
    let name = tag.strip_prefix('/').unwrap_or(tag);
    let end = name
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(name.len());
    let name = &name[..end];
    BLOCKS.iter().any(|b| b.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_removes_case_and_accents() {
        assert_eq!(fold("Événements"), "evenements");
        assert_eq!(fold("evenements"), "evenements");
        assert_eq!(fold("ÉVÉNEMENTS"), "evenements");
        // Decomposed input (e + combining acute) folds the same as precomposed.
        assert_eq!(fold("E\u{301}ve\u{300}nements"), "evenements");
        assert_eq!(fold("  Médias   sociaux "), "medias sociaux");
        assert_ne!(fold("News"), fold("Newsletter"));
    }

    #[test]
    fn plain_text_strips_tags_and_decodes_entities() {
        assert_eq!(plain_text("Hello <b>world</b>"), "Hello world");
        // Inline elements join, block-level ones separate (issue 25).
        assert_eq!(plain_text("720ft<sup>2</sup> flat"), "720ft2 flat");
        assert_eq!(plain_text("₹<span class=\"p\">4,000</span>"), "₹4,000");
        assert_eq!(plain_text("One<br/>Two<P>Three</p>"), "One Two Three");
        assert_eq!(plain_text("a<!-- c -->b"), "ab");
        assert_eq!(plain_text("L&#8217;été &amp; nous"), "L\u{2019}été & nous");
        assert_eq!(plain_text("L&amp;#8217;été"), "L\u{2019}été");
        assert_eq!(plain_text("a < b and c > d"), "a < b and c > d");
        assert_eq!(plain_text("  many \n\t spaces  "), "many spaces");
    }

    #[test]
    fn controls_go_and_whitespace_runs_are_one_space() {
        assert_eq!(clean_line("a\0b\u{7}c\u{85}d"), "abc d");
        assert_eq!(clean_line("  a \r\n\t b  "), "a b");
        assert_eq!(plain_text("Tab\tand &amp; \u{1}NUL\u{0}"), "Tab and & NUL");
        assert!(matches!(
            clean_line("Already tidy"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn unpaired_bidi_controls_are_closed_or_dropped() {
        // An open override is closed at the end.
        assert_eq!(balance_bidi("a\u{202E}b"), "a\u{202E}b\u{202C}");
        // Nested: closed innermost first.
        assert_eq!(
            balance_bidi("\u{202B}x\u{2067}y"),
            "\u{202B}x\u{2067}y\u{2069}\u{202C}"
        );
        // Closers with nothing to close go.
        assert_eq!(balance_bidi("\u{202C}a\u{2069}b"), "ab");
        // A PDF cannot close an embedding from inside an isolate; a PDI closes what it holds.
        assert_eq!(
            balance_bidi("\u{202A}a\u{2066}b\u{202C}c\u{2069}d\u{202C}"),
            "\u{202A}a\u{2066}bc\u{2069}d\u{202C}"
        );
        assert_eq!(
            balance_bidi("\u{2068}a\u{202E}b\u{2069}"),
            "\u{2068}a\u{202E}b\u{202C}\u{2069}"
        );
        // Paired text is left as it is, borrowed.
        assert!(matches!(
            balance_bidi("\u{202B}ok\u{202C}"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            plain_text("Title \u{202E}gnp.exe"),
            "Title \u{202E}gnp.exe\u{202C}"
        );
    }

    #[test]
    fn text_is_bounded_at_a_word_with_an_ellipsis() {
        let long = "mot ".repeat(10_000);
        let kept = plain_text(&long);
        let n = kept.chars().count();
        assert!((MAX_TEXT_CHARS - 8..=MAX_TEXT_CHARS).contains(&n), "{n}");
        assert!(kept.ends_with(" mot…"), "{kept}");
        let spaceless = "x".repeat(MAX_TEXT_CHARS * 3);
        let kept = clean_line(&spaceless);
        assert_eq!(kept.chars().count(), MAX_TEXT_CHARS);
        assert!(kept.ends_with("x…"));
        let exact = "y".repeat(MAX_TEXT_CHARS);
        assert_eq!(clean_line(&exact), exact);
    }

    #[test]
    fn tags_without_a_closing_bracket_are_text() {
        // Linear: "<a<a<a…" once searched the rest of the text at every "<a".
        let hostile = "<a".repeat(200_000);
        assert_eq!(strip_tags(&hostile), hostile);
        assert_eq!(strip_tags("<b>x</b> <a"), "x <a");
        assert_eq!(strip_tags("<p>x</p>"), " x ");
    }
}
