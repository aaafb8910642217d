//! Article identity: the one normalisation of a link every floor agrees on.

/// The identity of an article: its link without scheme, fragment, default port, tracking
/// parameters or trailing slash, host lower-cased. A blog that moves from http to https, or a
/// feed that adds `utm_*` to its links, does not create new articles.
pub fn article_key(link: &str) -> Option<String> {
    key_of(&url::Url::parse(link).ok()?)
}

/// Whether a link found on a network (a post's expanded URL, a card) is `url`'s article: the
/// same text, or the same [`article_key`] (a network may add or drop a trailing slash or
/// tracking parameters). What the "did it land?" look-ups compare.
pub(crate) fn same_article(url: &str) -> impl Fn(&str) -> bool + '_ {
    let wanted = article_key(url);
    move |u: &str| u == url || (wanted.is_some() && article_key(u) == wanted)
}

/// [`article_key`] of a parsed link.
pub(crate) fn key_of(u: &url::Url) -> Option<String> {
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

    #[test]
    fn a_link_on_a_network_is_the_article_when_its_key_is() {
        let same = same_article("https://blog.example.org/2026/01/post/");
        assert!(same("https://blog.example.org/2026/01/post/"));
        assert!(same("http://blog.example.org/2026/01/post?utm_source=x"));
        assert!(!same("https://blog.example.org/2026/01/other/"));
        assert!(!same("not a link"));
    }
}
