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
pub fn collapse_whitespace(s: &str) -> String {
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
pub fn nfc(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_ascii()
        || unicode_normalization::is_nfc_quick(text.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.nfc().collect())
    }
}

/// [`nfc`] of an owned string, kept when it already is NFC.
fn into_nfc(s: String) -> String {
    match nfc(&s) {
        std::borrow::Cow::Borrowed(_) => s,
        std::borrow::Cow::Owned(normalised) => normalised,
    }
}

/// Turns a feed's title (which may hold markup and entities, sometimes escaped twice by WordPress)
/// into plain text: tags stripped, entities decoded, whitespace collapsed, NFC.
pub fn plain_text(s: &str) -> String {
    // Without `<` or `&` there is no tag to strip and no entity to decode.
    if !s.contains(['<', '&']) {
        return into_nfc(collapse_whitespace(s));
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
    into_nfc(collapse_whitespace(&current))
}

/// Removes `<...>` tags. A `<` not followed by a letter, `/` or `!` is text ("a < b"), not a tag.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '<' {
            let next = s[i + 1..].chars().next();
            let is_tag = matches!(next, Some(n) if n.is_ascii_alphabetic() || n == '/' || n == '!');
            if is_tag {
                if let Some(end) = s[i..].find('>') {
                    // Skip to just after '>'; a tag acts as a word break.
                    let stop = i + end;
                    while let Some((j, _)) = chars.peek() {
                        if *j > stop {
                            break;
                        }
                        chars.next();
                    }
                    out.push(' ');
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
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
        assert_eq!(plain_text("L&#8217;été &amp; nous"), "L\u{2019}été & nous");
        assert_eq!(plain_text("L&amp;#8217;été"), "L\u{2019}été");
        assert_eq!(plain_text("a < b and c > d"), "a < b and c > d");
        assert_eq!(plain_text("  many \n\t spaces  "), "many spaces");
    }
}
