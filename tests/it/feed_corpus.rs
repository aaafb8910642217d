//! feedparser's test corpus (tests/fixtures/feedparser, BSD-2-Clause): about 2,200 small feeds,
//! ill-formed XML, legacy encodings, entities, odd dates. Every one goes through Encore's feed
//! code (parse, article keys) and every item it yields through compose: 0 panics, and every
//! message fits X's limit or is a clean error.

use chrono::{TimeZone, Utc};
use encore::Article;
use encore::LengthRule;
use encore::{compose_with, ComposeError};
use encore::{MessageSettings, Template};
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};

#[test]
fn every_feed_of_feedparsers_corpus_is_read_without_a_panic() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/feedparser/feedparser-6.0.14-tests.tar.gz");
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut tar = tar::Archive::new(gz);
    let settings = MessageSettings {
        templates: vec![Template::parse("{hashtags} {title} {text} {url}").unwrap()],
        titles: None,
        text: "À relire".into(),
        max_hashtags: 3,
        hashtags: Default::default(),
        utm: None,
    };
    let rule = LengthRule::XWeighted { max: 280 };
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let (mut files, mut parsed, mut refused, mut items, mut messages) = (0, 0, 0, 0, 0);
    let mut panics = Vec::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().display().to_string();
        if !entry.header().entry_type().is_file() || name.ends_with(".py") || name == "LICENSE" {
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        files += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let base = "http://example.org/feed/";
            match encore::parse_feed(&bytes, Some(base)) {
                Ok(found) => {
                    let mut made = 0;
                    for item in &found {
                        assert_eq!(
                            encore::article_key(&item.url).as_deref(),
                            Some(item.key.as_str())
                        );
                        let article = Article {
                            key: item.key.clone(),
                            url: item.url.clone(),
                            title: item.title.clone(),
                            published: item.published.unwrap_or(t),
                            categories: item.categories.clone(),
                            first_seen: t,
                            last_seen: t,
                            dead: false,
                            private_link: false,
                            undated: false,
                            feed: String::new(),
                        };
                        match compose_with(&article, &settings, rule, "x", "corpus") {
                            Ok(m) => {
                                assert!(
                                    m.length <= 280 && m.text.contains(&m.url),
                                    "{name}: {m:?}"
                                );
                                made += 1;
                            }
                            Err(ComposeError::TooLong { length, limit, .. }) => {
                                assert!(length > limit)
                            }
                            Err(ComposeError::NoRoomForTitle { length, limit, .. }) => {
                                assert!(length <= limit)
                            }
                        }
                    }
                    (true, found.len(), made)
                }
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    (false, 0, 0)
                }
            }
        }));
        match outcome {
            Ok((ok, n, m)) => {
                if ok {
                    parsed += 1;
                } else {
                    refused += 1;
                }
                items += n;
                messages += m;
            }
            Err(_) => panics.push(name),
        }
    }
    println!(
        "feedparser corpus: {files} files, {parsed} read ({items} items, {messages} messages composed), {refused} refused with an error, {} panics",
        panics.len()
    );
    assert!(files > 2000, "the corpus is there: {files} files");
    assert!(panics.is_empty(), "panics on: {panics:?}");
    assert!(
        parsed > 1000,
        "most of the corpus is readable feeds: {parsed}"
    );
}
