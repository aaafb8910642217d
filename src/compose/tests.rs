use super::*;
use crate::config::{Template, Utm};
use crate::vocab::length::{self, weighted_length, LengthRule};
use chrono::{TimeZone, Utc};
use std::collections::BTreeMap;
use yaml_rust2::{Yaml, YamlLoader};

fn article(title: &str, cats: &[&str]) -> Article {
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    Article {
        key: "blog.example.org/post".into(),
        url: "https://blog.example.org/2026/01/post/".into(),
        title: title.into(),
        published: t,
        categories: cats.iter().map(|s| s.to_string()).collect(),
        first_seen: t,
        last_seen: t,
        dead: false,
        private_link: false,
        undated: false,
        feed: String::new(),
    }
}

fn settings(template: &str, text: &str) -> MessageSettings {
    MessageSettings {
        templates: vec![Template::parse(template).unwrap()],
        titles: None,
        text: text.into(),
        max_hashtags: 3,
        hashtags: BTreeMap::new(),
        utm: None,
    }
}

const X: LengthRule = LengthRule::XWeighted { max: 280 };

#[test]
fn hashtags_come_first_and_empty_text_leaves_no_double_space() {
    let m = compose_with(
        &article("Bien choisir ses hashtags", &["Médias sociaux", "SEO"]),
        &settings("{hashtags} {title} {text} {url}", ""),
        X,
        "x",
        "a",
    )
    .unwrap();
    assert_eq!(
        m.text,
        "#MédiasSociaux #SEO Bien choisir ses hashtags https://blog.example.org/2026/01/post/"
    );
    assert_eq!(m.length, 20 + 26 + 23);
    assert_eq!(m.hashtags, ["#MédiasSociaux", "#SEO"]);
}

#[test]
fn long_titles_are_cut_at_a_word_then_hashtags_dropped() {
    let title = "Une très longue histoire ".repeat(20);
    let s = settings("{hashtags} {title} {text} {url}", "À relire sur Mon Blog");
    let m = compose_with(
        &article(title.trim(), &["Alpha", "Beta", "Gamma"]),
        &s,
        X,
        "x",
        "a",
    )
    .unwrap();
    assert!(
        m.length <= 280 && m.length >= 270,
        "{} {}",
        m.length,
        m.text
    );
    assert!(m.text.starts_with("#Alpha #Beta #Gamma Une très longue"));
    assert!(
        m.text.contains("histoire…")
            || m.text.contains("longue…")
            || m.text.contains("très…")
            || m.text.contains("Une…"),
        "{}",
        m.text
    );
    assert!(m
        .text
        .ends_with("À relire sur Mon Blog https://blog.example.org/2026/01/post/"));

    // A tiny limit: the title cannot stay ≥ 40 chars with the tags, so tags go first.
    let tiny = LengthRule::Graphemes {
        max: 100,
        url_len: Some(23),
    };
    let m = compose_with(
        &article(title.trim(), &["Alpha", "Beta", "Gamma"]),
        &s,
        tiny,
        "mastodon",
        "a",
    )
    .unwrap();
    assert!(m.length <= 100, "{}", m.text);
    assert!(m.hashtags.len() < 3, "{:?}", m.hashtags);
    let title_part = m.text.split(" À relire").next().unwrap();
    let title_part = title_part
        .split(' ')
        .skip(m.hashtags.len())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(title_part.graphemes(true).count() >= 40, "{title_part}");
    assert!(title_part.ends_with('…'), "{title_part}");
}

#[test]
fn cjk_titles_are_cut_between_characters_and_url_is_never_cut() {
    let title = "故人西辞黄鹤楼烟花三月下扬州".repeat(20);
    let m = compose_with(
        &article(&title, &["旅行"]),
        &settings("{hashtags} {title} {url}", ""),
        X,
        "x",
        "a",
    )
    .unwrap();
    assert!(m.length <= 280, "{}", m.length);
    assert!(
        m.text.ends_with("… https://blog.example.org/2026/01/post/"),
        "{}",
        m.text
    );
    assert_eq!(m.length, length::x_weighted_length(&m.text));
}

#[test]
fn impossible_fit_is_an_error_not_a_cut_link() {
    let s = settings("{title} {text} {url}", &"x".repeat(300));
    let err = compose_with(&article("Title", &[]), &s, X, "x", "a").unwrap_err();
    assert!(err.to_string().contains("cannot fit"), "{err}");
}

#[test]
fn utm_keeps_existing_query_and_expands_network() {
    let utm = Utm {
        params: vec![
            ("utm_source".into(), "{network}".into()),
            ("utm_medium".into(), "social".into()),
            ("utm_campaign".into(), "encore-{account}".into()),
        ],
    };
    assert_eq!(
        with_utm("https://b.org/p/?lang=fr#top", &utm, "x", "blog-x"),
        "https://b.org/p/?lang=fr&utm_source=x&utm_medium=social&utm_campaign=encore-blog-x#top"
    );
    assert_eq!(
        with_utm(
            "https://b.org/p/?utm_source=rss&id=3",
            &utm,
            "mastodon",
            "m"
        ),
        "https://b.org/p/?id=3&utm_source=mastodon&utm_medium=social&utm_campaign=encore-m"
    );
    assert_eq!(
        with_utm("https://b.org/p/", &utm, "bluesky", "b"),
        "https://b.org/p/?utm_source=bluesky&utm_medium=social&utm_campaign=encore-b"
    );
}

/// Every weighted-length case of the official twitter-text conformance suite (config v3 and v2).
#[test]
fn twitter_text_conformance_weighted_length() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/twitter-text/validate.yml"
    );
    let doc = &YamlLoader::load_from_str(&std::fs::read_to_string(path).unwrap()).unwrap()[0];
    let mut checked = 0;
    for (section, emoji) in [
        ("WeightedTweetsWithDiscountedEmojiCounterTest", true),
        ("WeightedTweetsCounterTest", false),
    ] {
        let Yaml::Array(cases) = &doc["tests"][section] else {
            panic!("no {section}")
        };
        for case in cases {
            let text = case["text"].as_str().unwrap();
            let expected = case["expected"]["weightedLength"].as_i64().unwrap() as usize;
            let got = weighted_length(text, emoji);
            assert_eq!(
                got,
                expected,
                "{section}: {}",
                case["description"].as_str().unwrap()
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} cases");
}

#[test]
fn a_link_that_leaves_no_room_for_the_first_word_is_refused_for_what_it_is() {
    // Found by fuzzing the feed code: the link and text fit, the title's first word does not.
    let mut a = article("Référencement naturel", &[]);
    a.url = format!("https://blog.example.org/{}/", "a".repeat(200));
    let s = settings("{hashtags} {title} {text} {url}", "");
    let rule = LengthRule::Graphemes {
        max: 235,
        url_len: None,
    };
    match compose_with(&a, &s, rule, "bluesky", "a") {
        Err(e @ ComposeError::NoRoomForTitle { length, limit, .. }) => {
            assert!(length <= limit, "{e}");
            assert!(e.to_string().contains("no room for the title"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // With room for "Référencement…", it posts.
    let roomy = LengthRule::Graphemes {
        max: 245,
        url_len: None,
    };
    let m = compose_with(&a, &s, roomy, "bluesky", "a").unwrap();
    assert!(m.text.starts_with("Référencement…"), "{}", m.text);
}

#[test]
fn a_title_is_one_line_and_a_blank_one_is_no_title() {
    let s = settings("{hashtags} {title} {text} {url}", "");
    let blank = compose_with(&article("\n", &["f"]), &s, X, "x", "a").unwrap();
    assert_eq!(blank.text, "#F https://blog.example.org/2026/01/post/");
    let lines = compose_with(&article("Deux\nlignes \t ici", &[]), &s, X, "x", "a").unwrap();
    assert_eq!(
        lines.text,
        "Deux lignes ici https://blog.example.org/2026/01/post/"
    );
}

#[test]
fn a_huge_title_is_cut_from_a_bounded_prefix_and_still_fits() {
    // Issue 18: every cut of a 2 MiB title was copied out (hundreds of GB); the cut is now
    // searched over positions within the bounded title.
    let title = "mot ".repeat(512 * 1024);
    let s = settings("{hashtags} {title} {text} {url}", "");
    let started = std::time::Instant::now();
    let m = compose_with(&article(&title, &["SEO"]), &s, X, "x", "a").unwrap();
    assert!(X.fits(&m.text), "{}", m.text);
    assert!(m.text.starts_with("#SEO mot mot"), "{}", m.text);
    assert!(m.text.contains("mot… https://"), "{}", m.text);
    // Linear work on a 2 MiB title takes milliseconds; the quadratic version never ended.
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let spaceless = "字".repeat(3 * 1024 * 1024);
    let m = compose_with(&article(&spaceless, &[]), &s, X, "x", "a").unwrap();
    assert!(
        X.fits(&m.text) && m.text.contains("字… https://"),
        "{}",
        m.text
    );
}

#[test]
fn an_open_right_to_left_override_never_reaches_the_link() {
    let s = settings("{hashtags} {title} {text} {url}", "");
    let m = compose_with(&article("Hello \u{202E}dlrow", &[]), &s, X, "x", "a").unwrap();
    assert_eq!(
        m.text,
        "Hello \u{202E}dlrow\u{202C} https://blog.example.org/2026/01/post/"
    );
    // A cut inside an isolate closes it too.
    let long = format!("Début \u{2067}{}", "mot ".repeat(200));
    let m = compose_with(&article(&long, &[]), &s, X, "x", "a").unwrap();
    assert!(m.text.contains(" mot…\u{2069} https://"), "{}", m.text);
    // Control characters are not posted; a tab separates words.
    let m = compose_with(&article("Nul\0 here\tand\u{1b}[31m", &[]), &s, X, "x", "a").unwrap();
    assert_eq!(
        m.text,
        "Nul here and[31m https://blog.example.org/2026/01/post/"
    );
}

/// An account on the log network (measured as X) writing with `message`.
fn account_with(message: MessageSettings) -> Account {
    let text = "[feed]\nurl = \"f.xml\"\n[[account]]\nname = \"a\"\nnetwork = \"log\"\n";
    let c = crate::config::Config::parse(std::path::Path::new("/tmp/c.toml"), text).unwrap();
    Account {
        message,
        ..c.accounts[0].clone()
    }
}

fn titles_for(entry: &str) -> std::sync::Arc<crate::config::TitleBook> {
    let book =
        crate::config::TitleBook::parse(std::path::Path::new("t.toml"), entry, chrono_tz::UTC);
    std::sync::Arc::new(book.unwrap())
}

fn variants(templates: &[&str]) -> MessageSettings {
    MessageSettings {
        templates: templates
            .iter()
            .map(|t| Template::parse(t).unwrap())
            .collect(),
        ..settings("{url}", "")
    }
}

/// Shares the article `n` times in a row, each written against the ones before.
fn shares(a: &Article, acc: &Account, n: usize) -> Vec<Message> {
    let mut earlier = Vec::new();
    let mut out = Vec::new();
    for _ in 0..n {
        let m = compose(a, acc, X, &earlier).unwrap();
        earlier.push(m.wording());
        out.push(m);
    }
    out
}

#[test]
fn consecutive_shares_never_say_the_same_and_a_variant_that_cannot_fit_is_passed_over() {
    let long = "filler ".repeat(45);
    let acc = account_with(variants(&[
        "{title} {url}",
        &format!("{long}{{title}} {{url}}"),
        "Again: {title} {url}",
    ]));
    let a = article("A short title", &[]);
    let ms = shares(&a, &acc, 6);
    let used: Vec<u32> = ms.iter().map(|m| m.variant.0).collect();
    assert_eq!(used, [1, 3, 1, 3, 1, 3], "variant 2 never fits");
    assert!(ms.windows(2).all(|w| w[0].text != w[1].text));
    assert_eq!(ms[0].why, "first share of the article here");
    assert_eq!(ms[1].how(), "variant 3/3, original title: least recently used for the article here; variant 2 does not fit");
}

#[test]
fn one_template_rotates_the_alternate_titles_and_replace_leaves_the_original_out() {
    let mut m = variants(&["{title} {url}"]);
    m.titles = Some(titles_for(
        "\"https://blog.example.org/2026/01/post/\" = [\"Alt one\", \"Alt two\"]\n",
    ));
    let a = article("Own title", &[]);
    let titles: Vec<String> = shares(&a, &account_with(m.clone()), 4)
        .into_iter()
        .map(|m| m.title)
        .collect();
    assert_eq!(titles, ["Own title", "Alt one", "Alt two", "Own title"]);
    m.titles = Some(titles_for(
        "[\"*/post/\"]\ntitles = [\"Alt one\", \"Alt two\"]\nreplace = true\n",
    ));
    let ms = shares(&a, &account_with(m), 3);
    let picks: Vec<String> = ms.iter().map(|m| m.title_pick.to_string()).collect();
    assert_eq!(
        picks,
        [
            "alternate title 1/2",
            "alternate title 2/2",
            "alternate title 1/2"
        ]
    );
}

#[test]
fn the_same_text_again_only_when_nothing_else_fits() {
    let acc = account_with(variants(&["{title} {url}"]));
    let a = article("Only one way to say it", &[]);
    let ms = shares(&a, &acc, 2);
    assert_eq!(ms[0].text, ms[1].text);
    assert_eq!(
        ms[1].why,
        "the only words that fit, the same as the last share's"
    );
}
