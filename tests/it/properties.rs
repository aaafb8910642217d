//! Property tests (proptest): for any title, categories and article link, the composed
//! message fits each network's limit as that network counts it, starts with its hashtags, and
//! carries the link intact; when nothing can fit, the error is a clean `TooLong`.

use chrono::{TimeZone, Utc};
use encore::Article;
use encore::LengthRule;
use encore::{compose_with, ComposeError};
use encore::{MessageSettings, Template, Utm};
use proptest::prelude::*;
use std::collections::BTreeMap;

const RULES: [(&str, LengthRule); 9] = [
    ("x", LengthRule::XWeighted { max: 280 }),
    (
        "mastodon",
        LengthRule::Graphemes {
            max: 500,
            url_len: Some(23),
        },
    ),
    (
        "mastodon",
        LengthRule::Graphemes {
            max: 60,
            url_len: Some(23),
        },
    ),
    (
        "bluesky",
        LengthRule::Graphemes {
            max: 300,
            url_len: None,
        },
    ),
    ("threads", LengthRule::EmojiBytes { max: 500 }),
    ("threads", LengthRule::EmojiBytes { max: 90 }),
    ("linkedin", LengthRule::LittleText { max: 3000 }),
    ("linkedin", LengthRule::LittleText { max: 90 }),
    ("telegram", LengthRule::Utf16 { max: 4096 }),
];

fn article(title: String, categories: Vec<String>, url: String) -> Article {
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    Article {
        key: url.clone(),
        url,
        title,
        published: t,
        categories,
        first_seen: t,
        last_seen: t,
        dead: false,
        private_link: false,
        undated: false,
        feed: String::new(),
    }
}

fn settings(text: &str, utm: bool) -> MessageSettings {
    MessageSettings {
        templates: vec![Template::parse("{hashtags} {title} {text} {url}").unwrap()],
        titles: None,
        text: text.into(),
        max_hashtags: 3,
        hashtags: BTreeMap::new(),
        utm: utm.then(|| Utm {
            params: vec![
                ("utm_source".into(), "{network}".into()),
                ("utm_medium".into(), "social".into()),
                ("utm_campaign".into(), "encore".into()),
            ],
        }),
    }
}

/// Titles mixing scripts, emoji (with ZWJ and skin tones), combining marks, spaces and
/// punctuation; sometimes very long.
fn title() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z]{1,12}",
            "[àéèçôûœÉ]{1,6}",
            "[\u{4e00}-\u{4e80}]{1,8}",
            "[\u{0391}-\u{03a9}\u{0410}-\u{044f}]{1,8}",
            Just("👩‍💻".to_string()),
            Just("👍🏽".to_string()),
            Just("🎉".to_string()),
            Just("e\u{301}".to_string()),
            "[ .,:;!?'\"&<>#@-]{1,3}",
            "[0-9]{1,4}",
            // Bidirectional controls and control characters (issue 18): never posted unpaired
            // or at all.
            "[\u{202A}-\u{202E}\u{2066}-\u{2069}\u{0}-\u{1f}\u{7f}]{1,3}",
        ],
        0..80,
    )
    .prop_map(|parts| parts.join(" "))
}

fn categories() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Zé ]{1,20}",
            "[\u{4e00}-\u{4e40}]{1,4}",
            Just("Médias sociaux".to_string()),
            Just("#".to_string()),
            Just(String::new())
        ],
        0..7,
    )
}

fn url() -> impl Strategy<Value = String> {
    (
        "[a-z]{1,12}",
        "[a-z0-9-]{0,40}",
        prop::option::of("[a-z]{1,8}=[a-z0-9]{1,8}"),
    )
        .prop_map(|(host, path, query)| match query {
            Some(q) => format!("https://{host}.example.org/{path}/?{q}"),
            None => format!("https://{host}.example.org/{path}/"),
        })
}

/// Whether every embedding, override or isolate opened in `text` is closed in it and no closer
/// comes before its opener (counted apart, without UAX #9's finer pairing).
fn bidi_closed(text: &str) -> bool {
    let (mut embeddings, mut isolates) = (0i32, 0i32);
    for c in text.chars() {
        match c {
            '\u{202A}' | '\u{202B}' | '\u{202D}' | '\u{202E}' => embeddings += 1,
            '\u{202C}' => embeddings -= 1,
            '\u{2066}'..='\u{2068}' => isolates += 1,
            '\u{2069}' => isolates -= 1,
            _ => {}
        }
        if embeddings < 0 || isolates < 0 {
            return false;
        }
    }
    embeddings == 0 && isolates == 0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_message_fits_starts_with_its_hashtags_and_keeps_the_link(
        title in title(),
        cats in categories(),
        url in url(),
        text in prop_oneof![Just(String::new()), Just("À relire".to_string()), "[a-z ]{0,200}"],
        utm in any::<bool>(),
    ) {
        let a = article(title, cats, url.clone());
        let s = settings(&text, utm);
        for (network, rule) in RULES {
            match compose_with(&a, &s, rule, network, "acct") {
                Ok(m) => {
                    prop_assert!(m.length <= rule.max(), "{network}: {} > {}: {}", m.length, rule.max(), m.text);
                    prop_assert_eq!(m.length, rule.count(&m.text));
                    prop_assert!(m.url.starts_with(&url), "the link keeps its address: {}", m.url);
                    prop_assert!(m.text.contains(&m.url), "the link is intact in {:?}", m.text);
                    let words: Vec<&str> = m.text.split_whitespace().collect();
                    for (i, tag) in m.hashtags.iter().enumerate() {
                        prop_assert_eq!(words.get(i).copied(), Some(tag.as_str()), "hashtags first: {:?}", m.text);
                    }
                    prop_assert!(!m.text.contains("  ") && m.text.trim() == m.text, "{:?}", m.text);
                    prop_assert!(!m.text.contains(char::is_control), "a control character in {:?}", m.text);
                    let before_link = &m.text[..m.text.find(&m.url).unwrap_or(0)];
                    prop_assert!(bidi_closed(before_link), "an open bidi control runs into the link: {:?}", m.text);
                }
                Err(ComposeError::TooLong { length, limit, .. }) => {
                    prop_assert!(length > limit, "{network}: refused although {length} <= {limit}");
                }
                Err(ComposeError::NoRoomForTitle { length, limit, .. }) => {
                    prop_assert!(length <= limit);
                }
            }
        }
    }
}
