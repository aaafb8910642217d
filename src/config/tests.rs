use super::*;

const MINIMAL: &str = r#"
timezone = "Europe/Paris"
state_dir = "state"

[feed]
url = "feed.xml"

[[account]]
name = "blog-x"
network = "x"
consumer_key = "env:X_CONSUMER_KEY"
consumer_secret = "env:X_CONSUMER_SECRET"
access_token = "env:X_ACCESS_TOKEN"
access_token_secret = "env:X_ACCESS_TOKEN_SECRET"
"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("/etc/encore/config.toml"), text)
}

fn error_of(text: &str) -> (usize, usize, String) {
    match parse(text) {
        Err(ConfigError::Invalid {
            line, col, message, ..
        }) => (line, col, message),
        other => panic!("expected an invalid config, got {other:?}"),
    }
}

#[test]
fn minimal_config_gets_documented_defaults() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.timezone, chrono_tz::Europe::Paris);
    assert_eq!(c.state_dir, PathBuf::from("/etc/encore/state"));
    assert_eq!(
        c.feeds[0].source,
        FeedSource::File("/etc/encore/feed.xml".into())
    );
    assert_eq!(c.feeds[0].refresh, Duration::from_secs(6 * 3600));
    assert_eq!(c.feeds[0].max_size, 10 << 20);
    let a = &c.accounts[0];
    assert_eq!(a.select.min_age_days, 30);
    assert_eq!(a.select.max_age_days, 90);
    assert_eq!(a.select.cooldown_days, 90);
    assert_eq!(a.message.max_hashtags, 3);
    assert_eq!(
        a.message.templates[0].source,
        "{hashtags} {title} {text} {url}"
    );
    assert_eq!(a.cadence.per_day, 3.0, "auto mode: at most max_per_day");
    assert_eq!(a.cadence.active_hours.to_string(), "09:00-20:00");
    assert_eq!(a.cadence.days.len(), 7);
    assert_eq!(a.cadence.min_spacing, Duration::from_secs(7200));
    assert_eq!(a.cadence.grace, Duration::from_secs(900));
}

#[test]
fn account_tables_override_globals_key_by_key() {
    let text = format!(
        "{MINIMAL}\n[account.select]\nmax_age_days = 120\n[account.message]\nhashtags = {{ \"SEO\" = \"#Search\" }}\n\n[select]\nmin_age_days = 20\nexclude_categories = [\"News\"]\n[message]\nhashtags = {{ \"Médias sociaux\" = \"#SocialMedia #Marketing\", \"SEO\" = \"#SEO\" }}\n"
    );
    let c = parse(&text).unwrap();
    let a = &c.accounts[0];
    assert_eq!(a.select.min_age_days, 20, "global kept");
    assert_eq!(a.select.max_age_days, 120, "account wins");
    assert_eq!(a.select.exclude_categories, vec!["News".to_string()]);
    assert_eq!(
        a.message.hashtags["medias sociaux"],
        vec!["#SocialMedia", "#Marketing"]
    );
    assert_eq!(a.message.hashtags["seo"], vec!["#Search"]);
}

#[test]
fn unknown_key_is_reported_with_its_line() {
    let (line, col, msg) = error_of("[feed]\nurl = \"f.xml\"\nrefrsh = \"6h\"\n");
    assert_eq!((line, col), (3, 1));
    assert!(msg.contains("refrsh"), "{msg}");
}

#[test]
fn bad_values_name_their_key_and_line() {
    let cases: &[(&str, &str, usize, &str)] = &[
        (
            "[cadence]\nmin_spacing = \"2 hours\"\n",
            "cadence.min_spacing",
            2,
            "invalid duration",
        ),
        (
            "[cadence]\nactive_hours = \"20:00-09:00\"\n",
            "cadence.active_hours",
            2,
            "end must be after",
        ),
        (
            "[cadence]\ndays = [\"mon\", \"lun\"]\n",
            "cadence.days",
            2,
            "invalid day",
        ),
        (
            "[select]\nmin_age_days = \"thirty\"\n",
            "select.min_age_days",
            2,
            "invalid type",
        ),
    ];
    let (l, _, msg) = error_of(&MINIMAL.replace("Europe/Paris", "Europe/Pariss"));
    assert_eq!(l, 2, "{msg}");
    assert!(
        msg.contains("`timezone`") && msg.contains("unknown time zone"),
        "{msg}"
    );
    for (snippet, key, line, what) in cases {
        let text = format!("{snippet}{MINIMAL}");
        let (l, _, msg) = error_of(&text);
        assert_eq!(l, *line, "{snippet}: {msg}");
        assert!(msg.contains(key), "{snippet}: {msg} should name {key}");
        assert!(msg.contains(what), "{snippet}: {msg} should say {what}");
    }
}

#[test]
fn cross_field_errors_point_at_the_value() {
    let (line, _, msg) = error_of(&format!(
        "{MINIMAL}[select]\nmin_age_days = 60\nmax_age_days = 30\n"
    ));
    assert_eq!(line, 17, "{msg}");
    assert!(msg.contains("max_age_days"), "{msg}");

    let (line, _, msg) = error_of(&format!(
        "{MINIMAL}[[account]]\nname = \"blog-x\"\nnetwork = \"log\"\n"
    ));
    assert_eq!(line, 16, "{msg}");
    assert!(msg.contains("duplicate account name"), "{msg}");

    let (_, _, msg) = error_of(&format!(
        "{MINIMAL}[cadence]\nper_day = 3\nmin_spacing = \"5h\"\nactive_hours = \"09:00-20:00\"\n"
    ));
    assert!(msg.contains("do not fit"), "{msg}");
}

#[test]
fn missing_pieces_are_errors() {
    let (line, _, msg) = error_of("[feed]\nurl = \"f.xml\"\n");
    assert_eq!(line, 1);
    assert!(
        msg.starts_with("no [[account]]"),
        "no key named for a whole-file error: {msg}"
    );
    let (_, _, msg) = error_of("[[account]]\nname = \"a\"\nnetwork = \"x\"\n");
    assert!(msg.contains("[feed]"), "{msg}");
    let (line, _, msg) = error_of(&format!("{MINIMAL}[message]\ntemplate = \"{{title}}\"\n"));
    assert_eq!(line, 16);
    assert!(msg.contains("{url}"), "{msg}");
    let (_, _, msg) = error_of(&format!(
        "{MINIMAL}[[account]]\nname = \"b\"\nnetwork = \"myspace\"\n"
    ));
    assert!(msg.contains("myspace") && msg.contains("mastodon"), "{msg}");
    let (_, _, msg) = error_of(&MINIMAL.replace("feed.xml", "ftp://example.org/feed"));
    assert!(msg.contains("unsupported scheme"), "{msg}");
    let (_, _, msg) = error_of(&format!(
        "{MINIMAL}[message]\nhashtags = {{ \"News\" = \"#a-b\" }}\n"
    ));
    assert!(msg.contains("not a valid hashtag"), "{msg}");
}

#[test]
fn auto_mode_is_the_default_and_per_day_alone_means_fixed() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(
        c.accounts[0].cadence.mode,
        CadenceMode::Auto(AutoSettings {
            share_of_volume: 0.4,
            max_per_day: 3.0,
            min_per_week: 1.0,
            volume_window_days: 7,
            assumed_daily_volume: 1.0,
        })
    );
    let c = parse(&format!("{MINIMAL}[cadence]\nper_day = 2\n")).unwrap();
    assert_eq!(c.accounts[0].cadence.mode, CadenceMode::Fixed);
    let c = parse(&format!(
        "{MINIMAL}[cadence]\nmode = \"auto\"\nshare_of_volume = 0.5\nmax_per_day = 2\npause_after_new_post = \"4h\"\n"
    ))
    .unwrap();
    let cad = &c.accounts[0].cadence;
    assert!(
        matches!(cad.mode, CadenceMode::Auto(a) if a.share_of_volume == 0.5 && a.max_per_day == 2.0)
    );
    assert_eq!(
        cad.pause_after_new_post,
        Some(Duration::from_secs(4 * 3600))
    );
    for (extra, want) in [
        (
            "mode = \"auto\"\nper_day = 2\n",
            "`cadence.per_day` only applies with mode = \"fixed\"",
        ),
        (
            "per_day = 2\nshare_of_volume = 0.3\n",
            "`cadence.share_of_volume` only applies with mode = \"auto\"",
        ),
        ("max_per_day = 0\n", "invalid `cadence.max_per_day`"),
        ("volume_window_days = 90\n", "expected 1 to 60"),
        ("mode = \"sometimes\"\n", "expected \"auto\" or \"fixed\""),
        ("max_per_day = 20\nmin_spacing = \"2h\"\n", "do not fit"),
    ] {
        let (line, _, msg) = error_of(&format!("{MINIMAL}[cadence]\n{extra}"));
        assert!(msg.contains(want), "{extra}: {msg}");
        assert!(line >= 16, "{extra}: line {line}");
    }
}

#[test]
fn templates() {
    let t = Template::parse("{hashtags} {title} — {text} {url}").unwrap();
    assert_eq!(t.parts.len(), 7);
    assert!(Template::parse("{title} {link}")
        .unwrap_err()
        .contains("{link}"));
    assert!(Template::parse("{title} {url").is_err());
}

const X_BASE: &str = r#"
state_dir = "state"
[feed]
url = "feed.xml"
[[account]]
name = "blog-x"
network = "x"
"#;

#[test]
fn x_credentials_are_references_checked_key_by_key() {
    let (line, _, msg) = error_of(&format!("{X_BASE}consumer_key = \"env:K\"\n"));
    assert_eq!(line, 6, "points into the account: {msg}");
    assert!(
        msg.contains("`account.consumer_secret` is required"),
        "{msg}"
    );

    let full = format!(
        "{X_BASE}api_base = \"http://127.0.0.1:9/x\"\nconsumer_key = \"env:K\"\nconsumer_secret = \"file:/run/secret\"\naccess_token = \"credential:tok\"\naccess_token_secret = \"plain-SECRET-value\"\nmonthly_budget_usd = 5\n"
    );
    let c = parse(&full).unwrap();
    let a = &c.accounts[0];
    let Endpoint::X(x) = &a.endpoint else {
        panic!("{:?}", a.endpoint)
    };
    assert_eq!(x.api_base.as_str(), "http://127.0.0.1:9/x/");
    assert!(matches!(x.auth, XAuth::OAuth1 { .. }));
    assert_eq!(a.budget.monthly_usd, Some(5.0));
    assert!((a.budget.cost_per_post_usd - 0.20).abs() < 1e-9);
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].contains("access_token_secret"));
    assert!(!format!("{c:?} {:?}", c.warnings).contains("plain-SECRET-value"));

    let (_, _, msg) = error_of(&format!(
        "{X_BASE}auth = \"oauth2\"\nclient_id = \"cid\"\nconsumer_key = \"env:K\"\n"
    ));
    assert!(
        msg.contains("`account.consumer_key` only applies with auth = \"oauth1\""),
        "{msg}"
    );
    let c = parse(&format!("{X_BASE}auth = \"oauth2\"\nclient_id = \"cid\"\n")).unwrap();
    let Endpoint::X(x) = &c.accounts[0].endpoint else {
        panic!()
    };
    match &x.auth {
        XAuth::OAuth2 { redirect_uri, .. } => {
            assert_eq!(redirect_uri.as_str(), "http://127.0.0.1:8765/callback")
        }
        other => panic!("{other:?}"),
    }
    let (_, _, msg) = error_of(&format!(
        "{X_BASE}auth = \"oauth2\"\nclient_id = \"cid\"\nredirect_uri = \"https://example.org/cb\"\n"
    ));
    assert!(msg.contains("127.0.0.1"), "{msg}");
    let (_, _, msg) = error_of(&format!("{X_BASE}auth = \"oauth3\"\n"));
    assert!(
        msg.contains("`account.auth`") && msg.contains("oauth2"),
        "{msg}"
    );
    let (_, _, msg) = error_of(
        "[feed]\nurl = \"f.xml\"\n[[account]]\nname = \"l\"\nnetwork = \"log\"\nconsumer_key = \"env:K\"\n",
    );
    assert!(msg.contains("only applies to network = \"x\""), "{msg}");
    let (_, _, msg) = error_of(&format!("{X_BASE}monthly_budget_usd = -1\n"));
    assert!(msg.contains("monthly_budget_usd"), "{msg}");
}

const ACCOUNT_HEAD: &str = "[feed]\nurl = \"f.xml\"\n[[account]]\nname = \"a\"\n";

#[test]
fn mastodon_and_bluesky_keys_are_read_checked_and_kept_apart() {
    let c = parse(&format!(
        "{ACCOUNT_HEAD}network = \"mastodon\"\ninstance = \"https://masto.example/\"\naccess_token = \"env:T\"\nvisibility = \"unlisted\"\nlanguage = \"fr\"\n"
    ))
    .unwrap();
    let Endpoint::Mastodon(m) = &c.accounts[0].endpoint else {
        panic!("{:?}", c.accounts[0].endpoint)
    };
    assert_eq!(m.instance.as_str(), "https://masto.example/");
    assert_eq!(m.visibility, Visibility::Unlisted);
    assert_eq!(m.language.as_deref(), Some("fr"));
    assert!((c.accounts[0].budget.cost_per_post_usd).abs() < 1e-9);

    let c = parse(&format!(
        "{ACCOUNT_HEAD}network = \"bluesky\"\nidentifier = \"@blog.example.org\"\napp_password = \"credential:bsky\"\nlanguage = \"pt-BR\"\n"
    ))
    .unwrap();
    let Endpoint::Bluesky(b) = &c.accounts[0].endpoint else {
        panic!()
    };
    assert_eq!(b.identifier, "blog.example.org", "a leading @ is dropped");
    assert_eq!(b.service.as_str(), "https://bsky.social/");
    assert_eq!(b.appview.as_str(), "https://public.api.bsky.app/");
    assert_eq!(b.language.as_deref(), Some("pt-BR"));

    // Each mistake names its line and key.
    let cases: &[(&str, usize, &str)] = &[
        ("network = \"mastodon\"\naccess_token = \"env:T\"\n", 4, "`account.instance` is required"),
        ("network = \"mastodon\"\ninstance = \"masto.example\"\naccess_token = \"env:T\"\n", 6, "`account.instance`: not a URL"),
        ("network = \"mastodon\"\ninstance = \"https://m.example\"\n", 4, "`account.access_token` is required"),
        ("network = \"mastodon\"\ninstance = \"https://m.example\"\naccess_token = \"env:T\"\nvisibility = \"direct\"\n", 8, "`account.visibility` is \"direct\""),
        ("network = \"mastodon\"\ninstance = \"https://m.example\"\naccess_token = \"env:T\"\nlanguage = \"French\"\n", 8, "`account.language`"),
        ("network = \"bluesky\"\napp_password = \"env:P\"\n", 4, "`account.identifier` is required"),
        ("network = \"bluesky\"\nidentifier = \"b.example\"\n", 4, "`account.app_password` is required"),
        ("network = \"bluesky\"\nidentifier = \"b.example\"\napp_password = \"env:P\"\ninstance = \"https://m.example\"\n", 8, "`account.instance` only applies to network = \"mastodon\" (this account is network = \"bluesky\")"),
        ("network = \"x\"\nconsumer_key = \"env:A\"\nconsumer_secret = \"env:B\"\naccess_token = \"env:C\"\naccess_token_secret = \"env:D\"\nvisibility = \"public\"\n", 10, "`account.visibility` only applies to network = \"mastodon\""),
        ("network = \"log\"\nlanguage = \"fr\"\n", 6, "`account.language` only applies to network = \"mastodon\" or \"bluesky\""),
    ];
    for (body, line, want) in cases {
        let (l, _, msg) = error_of(&format!("{ACCOUNT_HEAD}{body}"));
        assert!(msg.contains(want), "{body}: {msg}");
        assert_eq!(l, *line, "{body}: {msg}");
    }
}

#[test]
fn literal_secrets_in_a_world_readable_file_are_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let literal = MINIMAL.replace("\"env:X_ACCESS_TOKEN_SECRET\"", "\"hunter2-secret\"");
    let exposed = |text: &str, mode: u32| -> Option<String> {
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let c = Config::load(&path).unwrap();
        c.warnings
            .into_iter()
            .find(|w| w.contains("every user can read it"))
    };
    let w = exposed(&literal, 0o644).expect("a warning for 0644");
    assert!(
        w.contains("blog-x.access_token_secret") && w.contains("mode 0644"),
        "{w}"
    );
    assert!(
        !w.contains("hunter2"),
        "the warning never shows the value: {w}"
    );
    assert_eq!(exposed(&literal, 0o640), None, "group-readable only: fine");
    assert_eq!(exposed(MINIMAL, 0o644), None, "references only: fine");
}

const TWO_FEEDS: &str = r##"
state_dir = "state"
[select]
exclude_categories = ["News"]
[message]
template = "{title} {url}"
[message.hashtags]
"Rust" = "#rustlang"

[[feed]]
name = "tech"
url = "tech.xml"

[[feed]]
name = "cuisine"
url = "https://cuisine.example.org/feed/"
refresh = "2h"
[feed.select]
max_age_days = 365
[feed.message]
template = "{hashtags} {title} — à lire : {url}"
[feed.message.hashtags]
"Desserts" = "#pâtisserie"
"##;

#[test]
fn several_feeds_each_with_its_own_rules_between_the_global_ones_and_an_account() {
    let c = parse(&format!(
        "{TWO_FEEDS}\n[[account]]\nname = \"a\"\nnetwork = \"log\"\n[account.select]\nmin_age_days = 10\n\n[[account]]\nname = \"b\"\nnetwork = \"log\"\nfeeds = [\"cuisine\"]\nfeed_weights = {{ cuisine = 3.0 }}\n"
    ))
    .unwrap();
    let names: Vec<&str> = c.feeds.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["tech", "cuisine"]);
    assert_eq!(c.feeds[1].refresh, Duration::from_secs(7200));
    assert_eq!(c.feed_concurrency, 4);
    let a = &c.accounts[0];
    let shares: Vec<&str> = a.feeds.iter().map(|s| s.feed.as_str()).collect();
    assert_eq!(shares, ["tech", "cuisine"], "every feed by default");
    let (tech, cuisine) = (&a.feeds[0], &a.feeds[1]);
    // Global, then the feed's, then the account's: the account's min age wins everywhere,
    // the cuisine feed's max age and template apply to its articles only.
    assert_eq!(
        (tech.select.min_age_days, tech.select.max_age_days),
        (10, 90)
    );
    assert_eq!(
        (cuisine.select.min_age_days, cuisine.select.max_age_days),
        (10, 365)
    );
    assert_eq!(
        tech.select.exclude_categories,
        cuisine.select.exclude_categories
    );
    assert_eq!(tech.message.templates[0].source, "{title} {url}");
    assert_eq!(
        cuisine.message.templates[0].source,
        "{hashtags} {title} — à lire : {url}"
    );
    // A feed's hashtags are added to the global ones.
    assert_eq!(cuisine.message.hashtags.len(), 2);
    assert_eq!(tech.message.hashtags.len(), 1);
    let b = &c.accounts[1];
    assert_eq!(b.feeds.len(), 1);
    assert_eq!(
        (b.feeds[0].feed.as_str(), b.feeds[0].weight),
        ("cuisine", 3.0)
    );
}

#[test]
fn a_single_feed_table_is_the_main_feed() {
    let c = parse(MINIMAL).unwrap();
    assert_eq!(c.feeds.len(), 1);
    assert_eq!(c.feeds[0].name, MAIN_FEED);
    assert_eq!(c.accounts[0].feeds[0].feed, MAIN_FEED);
    assert_eq!(c.accounts[0].feeds[0].select, c.accounts[0].select);
}

#[test]
fn feed_mistakes_name_their_line_and_column() {
    let account = "\n[[account]]\nname = \"a\"\nnetwork = \"log\"\n";
    // An account naming a feed that does not exist.
    let text = format!("{TWO_FEEDS}{account}feeds = [\"tech\", \"cusine\"]\n");
    let (line, col, msg) = error_of(&text);
    let at = text.lines().position(|l| l.starts_with("feeds =")).unwrap() + 1;
    assert_eq!((line, col), (at, 18), "{msg}");
    assert!(
        msg.contains("unknown feed \"cusine\" (feeds: tech, cuisine)"),
        "{msg}"
    );
    // Two feeds with one name.
    let text = TWO_FEEDS.replace("name = \"cuisine\"", "name = \"tech\"") + account;
    let (line, _, msg) = error_of(&text);
    let second = text.match_indices("name = \"tech\"").nth(1).unwrap().0;
    assert_eq!(line, text[..second].lines().count() + 1, "{msg}");
    assert!(msg.contains("duplicate feed name \"tech\""), "{msg}");
    // Several feeds, one without a name.
    let text = TWO_FEEDS.replace("name = \"cuisine\"\n", "") + account;
    let (_, _, msg) = error_of(&text);
    assert!(msg.contains("needs a `name`"), "{msg}");
    // A weight for a feed the account does not share, and a weight that is not positive.
    let text =
        format!("{TWO_FEEDS}{account}feeds = [\"tech\"]\nfeed_weights = {{ cuisine = 2.0 }}\n");
    assert!(error_of(&text)
        .2
        .contains("a feed this account does not share"));
    let text = format!("{TWO_FEEDS}{account}feed_weights = {{ tech = 0.0 }}\n");
    assert!(error_of(&text).2.contains("invalid feed weight 0"));
    // A bad key inside a [[feed]] table still has its line.
    let text = TWO_FEEDS.replace("refresh = \"2h\"", "refrsh = \"2h\"") + account;
    let (line, col, _) = error_of(&text);
    let at = text.lines().position(|l| l.starts_with("refrsh")).unwrap() + 1;
    assert_eq!((line, col), (at, 1));
}

#[test]
fn the_metrics_endpoint_stays_on_the_machine_unless_told() {
    let with = |table: &str| format!("{MINIMAL}\n[metrics]\n{table}\n");
    let c = parse(&with("listen = \"127.0.0.1:9464\"")).unwrap();
    assert_eq!(
        c.metrics,
        Some(MetricsListen::Tcp("127.0.0.1:9464".parse().unwrap()))
    );
    let c = parse(&with("listen = \"[::1]:9464\"")).unwrap();
    assert!(matches!(c.metrics, Some(MetricsListen::Tcp(a)) if a.ip().is_loopback()));
    let c = parse(&with("listen = \"/run/encore/metrics.sock\"")).unwrap();
    assert_eq!(
        c.metrics,
        Some(MetricsListen::Unix("/run/encore/metrics.sock".into()))
    );
    assert_eq!(parse(MINIMAL).unwrap().metrics, None);
    // Anywhere else only when the admin says so, and an unreadable value named at its place.
    let text = with("listen = \"0.0.0.0:9464\"");
    let (line, col, msg) = error_of(&text);
    assert_eq!((line, col), (text.lines().count(), 10), "{msg}");
    assert!(
        msg.contains("not a loopback address") && msg.contains("allow_remote"),
        "{msg}"
    );
    let c = parse(&with("listen = \"0.0.0.0:9464\"\nallow_remote = true")).unwrap();
    assert!(matches!(c.metrics, Some(MetricsListen::Tcp(a)) if !a.ip().is_loopback()));
    let (_, _, msg) = error_of(&with("listen = \"localhost\""));
    assert!(
        msg.contains("invalid `metrics.listen` \"localhost\""),
        "{msg}"
    );
}

#[test]
fn the_default_template_is_the_documented_one() {
    assert_eq!(
        Template::default(),
        Template::parse(DEFAULT_TEMPLATE).unwrap()
    );
}

const LOG: &str = "[[account]]\nname = \"l\"\nnetwork = \"log\"\n";

/// Issue 22's keys: read, layered (global, feed, account) and checked with their line.
#[test]
fn variants_lifetimes_and_weights_are_read_layered_and_checked() {
    let c = parse(&format!(
        r#"timezone = "Europe/Paris"
[feed]
url = "feed.xml"
[select]
evergreen_categories = ["Tutoriels"]
evergreen_urls = ["*/guides/*"]
max_shares = 6
expire_urls = {{ "*/black-friday-*" = "2026-12-01", "*/soldes-*" = 2027-01-15T18:00:00+01:00 }}
weights = {{ "Tutoriels" = 3.0, "Opinion" = 0.5 }}
[message]
templates = ["{{title}} {{url}}", "Again: {{title}} {{url}}"]
{LOG}
[[account]]
name = "m"
network = "log"
[account.message]
template = "{{hashtags}} {{title}} {{url}}"
[account.select]
max_shares = 2
weights = {{ "News" = 2.0 }}
"#
    ))
    .unwrap();
    let (l, m) = (&c.accounts[0], &c.accounts[1]);
    assert_eq!(l.message.templates.len(), 2);
    assert_eq!(
        m.message.templates.len(),
        1,
        "an account's `template` wins over `templates`"
    );
    assert_eq!(l.select.evergreen_categories, ["tutoriels"]);
    assert_eq!(l.select.evergreen_urls[0].as_str(), "*/guides/*");
    assert_eq!(
        (l.select.max_shares, m.select.max_shares),
        (Some(6), Some(2))
    );
    assert_eq!(m.select.weights, [("news".to_string(), 2.0)]);
    let ends: Vec<String> = l
        .select
        .expire_urls
        .iter()
        .map(|(g, t)| format!("{g} {}", t.to_rfc3339()))
        .collect();
    assert_eq!(
        ends,
        [
            "*/black-friday-* 2026-12-01T23:00:00+00:00",
            "*/soldes-* 2027-01-15T17:00:00+00:00"
        ],
        "a day ends at midnight in the config's zone"
    );
    assert_eq!(l.feeds[0].select.max_shares, Some(6));
}

#[test]
fn variant_and_lifetime_mistakes_name_their_line() {
    let base = "[feed]\nurl = \"feed.xml\"\n";
    let cases = [
        (
            "[message]\ntemplate = \"{url}\"\ntemplates = [\"{url}\"]\n",
            5,
            "both set",
        ),
        (
            "[message]\ntemplates = []\n",
            4,
            "`message.templates` is empty",
        ),
        (
            "[message]\ntemplates = [\"{url}\", \"{title}\"]\n",
            4,
            "has no {url}",
        ),
        (
            "[select]\nweights = { News = 0 }\n",
            4,
            "not a number above 0",
        ),
        ("[select]\nmax_shares = 0\n", 4, "`select.max_shares` is 0"),
        (
            "[select]\nexpire_urls = { \"*/a\" = \"tomorrow\" }\n",
            4,
            "invalid date \"tomorrow\"",
        ),
        (
            "[select]\nexclude_urls = [\"*/[a\"]\n",
            4,
            "`select.exclude_urls`: invalid pattern",
        ),
        ("[select]\nevergreen_urls = [\"\"]\n", 4, "empty pattern"),
        (
            "[message]\ntitles = \"no-such-titles.toml\"\n",
            4,
            "cannot read",
        ),
    ];
    for (table, line, words) in cases {
        let (l, _, message) = error_of(&format!("{base}{table}{LOG}"));
        assert_eq!(l, line, "{table}: {message}");
        assert!(message.contains(words), "{table}: {message}");
    }
}

#[test]
fn a_variant_that_cannot_fit_its_network_is_a_warning() {
    let long = "word ".repeat(60);
    let c = parse(&format!(
        "[feed]\nurl = \"feed.xml\"\n[message]\ntemplates = [\"{{title}} {{url}}\", \"{long} {{url}}\"]\n{LOG}"
    ))
    .unwrap();
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(
        c.warnings[0].contains("template variant 2 of 2"),
        "{:?}",
        c.warnings
    );
    assert!(
        c.warnings[0].contains("cannot fit on log"),
        "{:?}",
        c.warnings
    );
}

#[test]
fn learning_and_read_back_keys_are_read_and_checked() {
    let base = "[feed]\nurl = \"feed.xml\"\n";
    let c = parse(&format!("{base}[select]\nstrategy = \"learn\"\nretire_after_silent = 3\n[engagement]\nread_after = [\"7d\", \"1d\", \"7d\"]\n{LOG}engagement = false\n")).unwrap();
    assert_eq!(c.accounts[0].select.strategy, Strategy::Learn);
    assert!(
        c.warnings
            .iter()
            .any(|w| w.contains("has nothing to learn from on log")),
        "{:?}",
        c.warnings
    );
    assert_eq!(c.accounts[0].select.retire_after_silent, Some(3));
    assert_eq!(
        c.read_after,
        [Duration::from_secs(86_400), Duration::from_secs(7 * 86_400)]
    );
    assert!(!c.accounts[0].engagement);
    let d = parse(&format!("{base}{LOG}")).unwrap();
    assert_eq!(d.read_after.len(), 2, "1d and 7d by default");
    assert!(d.accounts[0].engagement);
    assert_eq!(d.accounts[0].select.strategy, Strategy::Rotate);
    let cases = [
        (
            "[select]\nstrategy = \"greedy\"\n",
            4,
            "not \"rotate\" or \"learn\"",
        ),
        (
            "[select]\nretire_after_silent = 0\n",
            4,
            "`select.retire_after_silent` is 0",
        ),
        (
            "[engagement]\nread_after = [\"5m\"]\n",
            4,
            "not between 1h and 90d",
        ),
    ];
    for (table, line, words) in cases {
        let (l, _, message) = error_of(&format!("{base}{table}{LOG}"));
        assert_eq!(l, line, "{table}: {message}");
        assert!(message.contains(words), "{table}: {message}");
    }
}

#[test]
fn every_secret_a_network_reads_is_declared_secret() {
    let text = include_str!("../../config.example.toml");
    let config = parse(text).unwrap();
    let mut networks = std::collections::BTreeSet::new();
    for account in &config.accounts {
        networks.insert(account.network.to_string());
        for (key, _) in account.endpoint.secrets() {
            assert!(
                is_secret_key(key),
                "{}'s `{key}` is a secret its network reads but not declared one",
                account.network
            );
        }
    }
    let expected = [
        "bluesky", "linkedin", "mastodon", "telegram", "threads", "x",
    ];
    assert_eq!(
        networks.iter().map(String::as_str).collect::<Vec<_>>(),
        expected,
        "the reference config has an account on every network but log"
    );
}

#[test]
fn a_plain_http_api_on_another_machine_is_warned_about() {
    let text = |base: &str| {
        format!(
            "state_dir = \"s\"\n[feed]\nurl = \"f.xml\"\n[[account]]\nname = \"tg\"\nnetwork = \"telegram\"\napi_base = \"{base}\"\nbot_token = \"env:T\"\nchat = \"@blogchannel\"\n"
        )
    };
    let warned = |base: &str| {
        parse(&text(base))
            .unwrap()
            .warnings
            .iter()
            .any(|w| w.contains("plain http") && w.contains("tg"))
    };
    assert!(warned("http://bot-api.internal.example:8081"));
    assert!(!warned("http://127.0.0.1:8081"));
    assert!(!warned("http://localhost:8081"));
    assert!(!warned("https://api.telegram.org"));
}
