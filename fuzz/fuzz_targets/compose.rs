//! Arbitrary titles, categories and link paths through compose on every network's rule:
//! within the limit, hashtags first, link intact, or a clean TooLong / NoRoomForTitle.
#![no_main]

use chrono::TimeZone;
use encore::LengthRule;
use encore::{ComposeError, compose_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, Vec<String>, String, String)| {
    let (title, categories, path, text) = input;
    let path: String = path.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(60).collect();
    let url = format!("https://blog.example.org/{path}/");
    let t = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let article = encore::Article {
        key: url.clone(),
        url: url.clone(),
        title,
        published: t,
        categories,
        first_seen: t,
        last_seen: t,
        dead: false,
        undated: false,
        feed: String::new(),
    };
    let settings = encore::MessageSettings {
        templates: vec![encore::Template::parse("{hashtags} {title} {text} {url}").unwrap()],
        titles: None,
        text,
        max_hashtags: 3,
        hashtags: Default::default(),
        utm: None,
    };
    for (network, rule) in [
        ("x", LengthRule::XWeighted { max: 280 }),
        ("mastodon", LengthRule::Graphemes { max: 500, url_len: Some(23) }),
        ("bluesky", LengthRule::Graphemes { max: 300, url_len: None }),
        ("threads", LengthRule::EmojiBytes { max: 500 }),
        ("linkedin", LengthRule::LittleText { max: 3000 }),
        ("linkedin", LengthRule::LittleText { max: 120 }),
        ("telegram", LengthRule::Utf16 { max: 4096 }),
    ] {
        match compose_with(&article, &settings, rule, network, "fuzz") {
            Ok(m) => {
                assert!(m.length <= rule.max(), "{network}: {} > {}", m.length, rule.max());
                assert_eq!(m.length, rule.count(&m.text));
                assert!(m.text.contains(&url));
                let words: Vec<&str> = m.text.split_whitespace().collect();
                for (i, tag) in m.hashtags.iter().enumerate() {
                    assert_eq!(words.get(i).copied(), Some(tag.as_str()));
                }
            }
            Err(ComposeError::TooLong { length, limit, .. }) => assert!(length > limit),
            Err(ComposeError::NoRoomForTitle { length, limit, .. }) => assert!(length <= limit),
        }
    }
});
