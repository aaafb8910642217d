//! What leaves Encore (the log, the state, a command's output) never carries a secret, whatever
//! a server answered: a Bot API error that echoes the request path holds the bot token, an OAuth
//! server may quote the token it refused. Every secret value Encore reads or is given (config
//! secrets, stored and refreshed logins) is remembered here, and [`scrub`] cuts them out of any
//! text from outside before it is logged or stored; the log's writer scrubs every line as the
//! last guard. URLs are shown without their user-info and query values ([`url`]).

use std::borrow::Cow;
use std::sync::RwLock;

/// What stands for a secret that was cut out.
pub(crate) const HIDDEN: &str = "****";

/// Secrets shorter than this are not searched for: they would cut ordinary words out of the
/// log, and no credential of a network Encore knows is that short.
const SHORTEST: usize = 8;

static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers a secret value, so that [`scrub`] hides it from now on.
pub(crate) fn remember(secret: &str) {
    let secret = secret.trim();
    if secret.len() < SHORTEST {
        return;
    }
    let mut known = KNOWN.write().unwrap_or_else(|e| e.into_inner());
    if !known.iter().any(|k| k == secret) {
        known.push(secret.to_string());
        // The longest first: a secret that contains another is hidden whole.
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// `text` with every remembered secret replaced by [`HIDDEN`].
pub fn scrub(text: &str) -> Cow<'_, str> {
    let known = KNOWN.read().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in known.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), HIDDEN));
        }
    }
    out
}

/// A URL as it may be shown: the password of its user-info and every query value replaced by
/// [`HIDDEN`] (`http://reader:****@host/feed?token=****`). Text that is not a URL is kept.
pub(crate) fn url(text: &str) -> String {
    let Ok(mut u) = url::Url::parse(text) else {
        return text.to_string();
    };
    if u.password().is_some() {
        // Only a URL that cannot have a password refuses one.
        let _ = u.set_password(Some(HIDDEN));
    }
    if u.query().is_some() {
        let pairs: Vec<(String, bool)> = u
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.is_empty()))
            .collect();
        let shown: Vec<String> = pairs
            .iter()
            .map(|(k, empty)| match empty {
                true => k.clone(),
                false => format!("{k}={HIDDEN}"),
            })
            .collect();
        u.set_query(Some(&shown.join("&")));
    }
    u.to_string()
}

/// A writer that scrubs what passes through it: the log's last guard (`tracing`'s formatter
/// writes each event whole, so a secret is never split between two writes).
pub(crate) struct Scrubbing<W>(pub W);

impl<W: std::io::Write> std::io::Write for Scrubbing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) => self.0.write_all(scrub(text).as_bytes())?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_secrets_are_cut_out_of_any_text() {
        remember("123456:ABC-unit-test-bot-token");
        remember("short");
        let echoed = "Not Found: /bot123456:ABC-unit-test-bot-token/sendMessage";
        assert_eq!(scrub(echoed), "Not Found: /bot****/sendMessage");
        assert_eq!(scrub("a short word"), "a short word");
    }

    #[test]
    fn urls_lose_their_password_and_query_values() {
        assert_eq!(
            url("http://reader:pa55word@blog.example.org/feed?token=abc&lang=fr&flag"),
            "http://reader:****@blog.example.org/feed?token=****&lang=****&flag"
        );
        assert_eq!(
            url("https://blog.example.org/feed/"),
            "https://blog.example.org/feed/"
        );
        assert_eq!(url("not a url"), "not a url");
    }
}
