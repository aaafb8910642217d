//! URL patterns, as admins write them in `exclude_urls`, `evergreen_urls`, `expire_urls` and the
//! titles file: one glob language everywhere, checked when the config is read.

use globset::{GlobBuilder, GlobMatcher};

/// A shell-style pattern matched against a whole link: `*` is any run of characters (slashes
/// included, as a URL's path is one string to a blogger), `?` any one character, `[abc]` one of
/// these, `{a,b}` either. ripgrep's matcher (`globset`), so that a pattern that cannot compile
/// (`[` never closed) is an error naming its line, not a pattern that silently matches nothing.
#[derive(Clone)]
pub struct UrlGlob {
    source: String,
    matcher: GlobMatcher,
    /// A pattern without wildcards is one link: matched as an article's identity.
    key: Option<String>,
}

impl UrlGlob {
    /// Compiles `pattern`; the error says why, without the file position (the caller has it).
    pub fn new(pattern: &str) -> Result<UrlGlob, String> {
        if pattern.trim().is_empty() {
            return Err("empty pattern".into());
        }
        let glob = GlobBuilder::new(pattern)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map_err(|e| format!("invalid pattern {pattern:?}: {}", e.kind()))?;
        let literal = !pattern.contains(['*', '?', '[', '{', '\\']);
        Ok(UrlGlob {
            source: pattern.to_string(),
            matcher: glob.compile_matcher(),
            key: literal.then(|| super::article_key(pattern)).flatten(),
        })
    }

    /// Whether the pattern matches the whole of `url` (a link written out: whether `url` is the
    /// same article, http or https, with or without its trailing slash).
    pub fn is_match(&self, url: &str) -> bool {
        match &self.key {
            Some(key) => url == self.source || super::article_key(url).as_ref() == Some(key),
            None => self.matcher.is_match(url),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern is one link written out (no wildcard): the titles file lets such an
    /// entry win over a wildcard one, and compares it by article identity (http or https, a
    /// trailing slash).
    pub fn is_literal(&self) -> bool {
        self.key.is_some()
    }
}

impl PartialEq for UrlGlob {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl std::fmt::Debug for UrlGlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.source)
    }
}

impl std::fmt::Display for UrlGlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        UrlGlob::new(p).unwrap().is_match(t)
    }

    #[test]
    fn stars_cross_slashes_and_question_marks_are_one_character() {
        assert!(m("*/private/*", "https://b.org/private/x"));
        assert!(m("https://b.org/2019/*", "https://b.org/2019/01/a/"));
        assert!(!m("https://b.org/2019/*", "https://b.org/2020/01/a/"));
        assert!(m("*?p=4?", "https://b.org/?p=42"));
        assert!(!m("*?p=4?", "https://b.org/?p=421"));
        assert!(m("*/{black,cyber}-*", "https://b.org/cyber-monday/"));
        assert!(m("*/201[89]/*", "https://b.org/2018/x"));
        // A link written out is an article: the scheme and the trailing slash do not matter.
        assert!(m("https://b.org/a/", "http://b.org/a"));
        assert!(!m("https://b.org/a/", "https://b.org/ab/"));
    }

    #[test]
    fn a_pattern_that_cannot_compile_says_why() {
        let e = UrlGlob::new("https://b.org/[abc").unwrap_err();
        assert!(e.contains("unclosed character class"), "{e}");
        assert!(UrlGlob::new("  ").is_err());
        assert!(UrlGlob::new("https://b.org/a/").unwrap().is_literal());
        assert!(!UrlGlob::new("https://b.org/*").unwrap().is_literal());
    }
}
