//! Any bytes as a feed: parse, article keys, then compose every item for X. Never a panic;
//! every message within the limit or a clean TooLong / NoRoomForTitle.
#![no_main]

use chrono::TimeZone;
use encore::LengthRule;
use encore::{ComposeError, compose_with};
use libfuzzer_sys::fuzz_target;

static QUIET: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    // libfuzzer-sys aborts in its panic hook, before Encore's feed code can catch the XML
    // library's panic and turn it into an error (which it does, see src/feed/parse.rs). A
    // silent hook lets that catch work; a panic that escapes Encore still ends in libfuzzer-sys's
    // own catch_unwind, which aborts: a crash.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Ok(items) = encore::parse_feed(data, Some("http://example.org/feed/")) else {
        return;
    };
    let settings = encore::MessageSettings {
        templates: vec![encore::Template::parse("{hashtags} {title} {text} {url}").unwrap()],
        titles: None,
        text: "À relire".into(),
        max_hashtags: 3,
        hashtags: Default::default(),
        utm: None,
    };
    let t = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    for item in items {
        // The key is the link's, with its fragment where that names a post (per-post anchors).
        let (page, fragment) = match item.key.split_once('#') {
            Some((page, f)) => (page, Some(f)),
            None => (item.key.as_str(), None),
        };
        assert_eq!(encore::article_key(&item.url).as_deref(), Some(page));
        if let Some(f) = fragment {
            assert!(item.url.ends_with(&format!("#{f}")), "{} {}", item.key, item.url);
        }
        let article = encore::Article {
            key: item.key,
            url: item.url,
            title: item.title,
            published: item.published.unwrap_or(t),
            categories: item.categories,
            first_seen: t,
            last_seen: t,
            dead: false,
            undated: false,
            feed: String::new(),
        };
        let rule = LengthRule::XWeighted { max: 280 };
        match compose_with(&article, &settings, rule, "x", "fuzz") {
            Ok(m) => assert!(m.length <= 280 && m.text.contains(&m.url)),
            Err(ComposeError::TooLong { length, limit, .. }) => assert!(length > limit),
            Err(ComposeError::NoRoomForTitle { length, limit, .. }) => assert!(length <= limit),
        }
    }
});
