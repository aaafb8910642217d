use super::*;
use chrono::TimeZone;

fn item(key: &str, title: &str, published: Option<DateTime<Utc>>) -> Item {
    Item {
        key: key.into(),
        url: format!("https://{key}"),
        title: title.into(),
        published,
        categories: vec!["SEO".into()],
    }
}

/// A slot of account "blog-x" at `at` that came to `outcome` on article `key`.
fn rec(key: &str, outcome: Outcome, at: DateTime<Utc>) -> ShareRecord {
    ShareRecord {
        at,
        account: "blog-x".into(),
        article_key: Some(key.into()),
        url: None,
        slot: at,
        outcome,
        post_id: None,
        detail: String::new(),
        wording: None,
    }
}

/// A long feed: every item archived once, counted once, in one merge.
#[test]
fn a_long_feed_is_merged_and_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let a = Archive::open(dir.path()).unwrap();
    let n = 517;
    let first: Vec<Item> = (0..n / 2)
        .map(|i| item(&format!("b.org/{i:05}"), "old", Some(t0)))
        .collect();
    assert_eq!(
        a.merge(&first, t0).unwrap(),
        MergeStats {
            new: n / 2,
            known: 0
        }
    );
    let all: Vec<Item> = (0..n)
        .map(|i| item(&format!("b.org/{i:05}"), "new", Some(t0)))
        .collect();
    let s = a.merge(&all, t0 + chrono::Duration::hours(1)).unwrap();
    assert_eq!(
        s,
        MergeStats {
            new: n - n / 2,
            known: n / 2
        }
    );
    let archived = a.articles().unwrap();
    assert_eq!(archived.len(), n);
    assert!(archived.iter().all(|x| x.title == "new"));
}

#[test]
fn merge_keeps_articles_that_left_the_feed_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let t1 = t0 + chrono::Duration::days(1);
    {
        let a = Archive::open(dir.path()).unwrap();
        let s = a
            .merge(
                &[
                    item("b.org/1", "One", Some(t0)),
                    item("b.org/2", "Two", None),
                ],
                t0,
            )
            .unwrap();
        assert_eq!(s, MergeStats { new: 2, known: 0 });
        // Next read: 1 is gone from the feed, 2 retitled, 3 is new.
        let s = a
            .merge(
                &[
                    item("b.org/2", "Two (updated)", None),
                    item("b.org/3", "Three", Some(t1)),
                ],
                t1,
            )
            .unwrap();
        assert_eq!(s, MergeStats { new: 1, known: 1 });
        a.flush().unwrap();
    }
    let a = Archive::open(dir.path()).unwrap();
    let all = a.articles().unwrap();
    assert_eq!(
        all.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(),
        ["b.org/1", "b.org/2", "b.org/3"]
    );
    let two = a.article("b.org/2").unwrap().unwrap();
    assert_eq!(two.title, "Two (updated)");
    assert_eq!(
        two.published, t0,
        "no date in the feed: first-seen time, kept"
    );
    assert_eq!(two.first_seen, t0);
    assert_eq!(two.last_seen, t1);
}

#[test]
fn seed_is_stable_and_a_second_process_opens_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(dir.path()).unwrap();
    let s = a.seed().unwrap();
    assert_eq!(a.seed().unwrap(), s);
    // Another opener (a command beside the daemon) reads and writes the same state.
    let b = Archive::open(dir.path()).unwrap();
    assert_eq!(b.seed().unwrap(), s);
    b.set_meta("k", "from b").unwrap();
    assert_eq!(a.meta("k").unwrap().as_deref(), Some("from b"));
}

#[test]
fn the_share_log_ignores_failures() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(dir.path()).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
    a.settle(&rec("k1", Outcome::Shared, t)).unwrap();
    a.settle(&rec("k1", Outcome::Shared, t + chrono::Duration::days(3)))
        .unwrap();
    a.settle(&rec("k2", Outcome::Failed, t)).unwrap();
    a.settle(&rec("k3", Outcome::Uncertain, t)).unwrap();
    let last = a.share_log("blog-x").unwrap().lasts().clone();
    assert_eq!(last.get("k1"), Some(&(t + chrono::Duration::days(3))));
    assert!(!last.contains_key("k2"));
    assert!(last.contains_key("k3"));
    assert!(a.share_log("other").unwrap().lasts().clone().is_empty());
}

fn intent(account: &str, key: &str, slot: DateTime<Utc>) -> Intent {
    Intent {
        account: account.into(),
        article_key: key.into(),
        url: format!("https://{key}"),
        slot,
        text: "text".into(),
        created: slot,
        words: None,
    }
}

/// The guard between processes: one post of an article per account in flight, none within
/// its cooldown, one intent a slot; a settled slot frees the article for the cooldown only.
#[test]
fn an_article_taken_by_one_process_cannot_be_begun_by_another() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Archive::open(dir.path()).unwrap();
    let post_now = Archive::open(dir.path()).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap();
    let month_ago = t - chrono::Duration::days(30);
    daemon.begin(&intent("a", "k1", t), month_ago).unwrap();
    let again = post_now.begin(
        &intent("a", "k1", t + chrono::Duration::seconds(5)),
        month_ago,
    );
    assert!(matches!(again, Err(ArchiveError::Taken(_))), "{again:?}");
    let same_slot = post_now.begin(&intent("a", "k2", t), month_ago);
    assert!(
        matches!(same_slot, Err(ArchiveError::Taken(_))),
        "{same_slot:?}"
    );
    // Another account, another article: free.
    post_now.begin(&intent("b", "k1", t), month_ago).unwrap();
    post_now
        .begin(
            &intent("a", "k2", t + chrono::Duration::seconds(5)),
            month_ago,
        )
        .unwrap();
    daemon
        .settle(&ShareRecord {
            at: t,
            account: "a".into(),
            article_key: Some("k1".into()),
            url: None,
            slot: t,
            outcome: Outcome::Shared,
            post_id: Some("1".into()),
            detail: String::new(),
            wording: None,
        })
        .unwrap();
    let later = t + chrono::Duration::days(1);
    let within = post_now.begin(
        &intent("a", "k1", later),
        later - chrono::Duration::days(30),
    );
    assert!(matches!(within, Err(ArchiveError::Taken(_))), "{within:?}");
    let after = t + chrono::Duration::days(31);
    post_now
        .begin(
            &intent("a", "k1", after),
            after - chrono::Duration::days(30),
        )
        .unwrap();
}

/// `pending_intents` gives a process its own intents and those of processes that are gone,
/// never the post another running process has in flight.
#[test]
fn an_intent_of_a_running_process_is_not_pending() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(dir.path()).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap();
    a.begin(&intent("a", "mine", t), t).unwrap();
    let mut sleeper = std::process::Command::new("sleep")
        .arg("10")
        .spawn()
        .unwrap();
    // The sleeper named as `owner::me` names a process: pid, start time, boot.
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", sleeper.id())).unwrap();
    let start = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .nth(19)
        .unwrap()
        .to_string();
    let boot = super::owner::me().rsplit(':').next().unwrap().to_string();
    let alive = format!("{}:{start}:{boot}", sleeper.id());
    let insert = |key: &str, owner: &str, minute: i64| {
        a.conn()
            .execute(
                "INSERT INTO intents (account, slot, article_key, url, text, created, owner) VALUES ('a', ?1, ?2, 'u', 't', ?1, ?3)",
                rusqlite::params![time(t + chrono::Duration::minutes(minute)), key, owner],
            )
            .unwrap();
    };
    insert("running", &alive, 1);
    insert("gone", "1:1:not-this-boot", 2);
    let keys = |a: &Archive| {
        a.pending_intents()
            .unwrap()
            .into_iter()
            .map(|i| i.article_key)
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&a), ["mine", "gone"]);
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    assert_eq!(keys(&a), ["mine", "running", "gone"]);
}

#[test]
fn a_read_that_changes_nothing_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(dir.path()).unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let items: Vec<Item> = (0..50)
        .map(|i| item(&format!("b.org/{i}"), "T", Some(t0)))
        .collect();
    a.merge(&items, t0).unwrap();
    let changes = |a: &Archive| {
        a.conn()
            .query_row("SELECT total_changes()", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    let before = changes(&a);
    a.merge(&items, t0 + chrono::Duration::hours(6)).unwrap();
    assert_eq!(changes(&a), before, "same items, same day: no row written");
    let mut retitled = items.clone();
    retitled[3].title = "New".into();
    a.merge(&retitled, t0 + chrono::Duration::hours(7)).unwrap();
    assert_eq!(changes(&a), before + 1, "one row changed");
    a.merge(&retitled, t0 + chrono::Duration::days(2)).unwrap();
    assert_eq!(changes(&a), before + 51, "last_seen kept to the day");
}

#[test]
fn a_state_from_a_newer_encore_or_from_sled_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(Archive::open(dir.path()).unwrap());
    let file = path(dir.path());
    let newer = Connection::open(&file).unwrap();
    newer
        .execute_batch(&format!("PRAGMA user_version = {}", schema::CURRENT + 1))
        .unwrap();
    drop(newer);
    let before = std::fs::read(&file).unwrap();
    let err = Archive::open(dir.path()).err().expect("refused");
    assert!(err.to_string().contains("newer Encore"), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), before, "not altered");
    let sled_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(sled_dir.path().join("db")).unwrap();
    std::fs::write(sled_dir.path().join("db/conf"), b"segment_size: 524288").unwrap();
    let err = Archive::open(sled_dir.path()).err().expect("refused");
    assert!(
        err.to_string().contains("earlier build of Encore (sled"),
        "{err}"
    );
    assert!(!path(sled_dir.path()).exists(), "nothing created");
}

#[test]
fn the_state_and_its_sidecars_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(dir.path()).unwrap();
    a.set_meta("k", "v").unwrap();
    for name in [FILE, "encore.db-wal", "encore.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
}

#[test]
fn outcomes_print_as_their_json_names() {
    for o in Outcome::ALL {
        assert_eq!(serde_json::to_string(&o).unwrap(), format!("\"{o}\""));
    }
}

#[test]
fn meta_json_keeps_every_float_exactly() {
    // The kept day plans carry credit between days: a value that comes back one ULP off makes a
    // restarted daemon's plan differ from the one it kept.
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(dir.path()).unwrap();
    let values = [
        0.900_871_436_260_854_1_f64,
        0.1 + 0.2,
        1.0 / 3.0,
        2.400_000_000_000_000_4,
    ];
    a.set_meta_json("floats", &values).unwrap();
    let back: Vec<f64> = a.meta_json("floats").unwrap().unwrap();
    for (x, y) in values.iter().zip(&back) {
        assert_eq!(x.to_bits(), y.to_bits(), "{x} came back as {y}");
    }
}

#[test]
fn a_full_disk_reads_as_the_system_says_it() {
    let full =
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL), None);
    let e = ArchiveError::from(full);
    assert!(e.is_storage());
    assert!(
        e.to_string()
            .starts_with("state storage error: No space left on device (os error 28)"),
        "{e}"
    );
}

#[test]
fn articles_remember_their_feed_and_shares_are_counted_per_feed() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(dir.path()).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
    // Read before feeds had names, then adopted by the config's first feed.
    a.merge(&[item("old", "Old", Some(t))], t).unwrap();
    assert_eq!(a.article("old").unwrap().unwrap().feed, "");
    assert_eq!(a.adopt_unnamed("tech").unwrap(), 1);
    assert_eq!(a.article("old").unwrap().unwrap().feed, "tech");
    // A named read; an unnamed one later does not take the name away.
    a.merge_feed(
        &[item("c1", "C1", Some(t)), item("c2", "C2", Some(t))],
        "cuisine",
        t,
    )
    .unwrap();
    a.merge(&[item("c1", "C1 again", Some(t))], t).unwrap();
    assert_eq!(a.article("c1").unwrap().unwrap().feed, "cuisine");
    let mut streamed = Vec::new();
    a.each_published_between(t, t, &mut |x| streamed.push((x.key, x.feed)))
        .unwrap();
    assert!(streamed.contains(&("c2".to_string(), "cuisine".to_string())));
    let day = chrono::Duration::days(1);
    a.settle(&rec("c1", Outcome::Shared, t)).unwrap();
    a.settle(&rec("c2", Outcome::Uncertain, t + day)).unwrap();
    a.settle(&rec("old", Outcome::Failed, t + day)).unwrap();
    a.settle(&rec("old", Outcome::Shared, t - day * 40))
        .unwrap();
    let per_feed = a.feed_shares("blog-x", t - day).unwrap();
    assert_eq!(per_feed.get("cuisine"), Some(&(2, t + day)));
    assert!(
        !per_feed.contains_key("tech"),
        "a failure and an old share do not count"
    );
}

/// A state written before schema 3 keeps its history; the text of each shared post (its
/// detail then) becomes its recorded words, so that the next share is written otherwise.
#[test]
fn a_schema_2_state_is_migrated_and_its_shared_texts_kept() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path()).unwrap();
    let file = path(dir.path());
    let old = Connection::open(&file).unwrap();
    for m in &schema::MIGRATIONS[..2] {
        old.execute_batch(m).unwrap();
    }
    old.execute_batch(
        "INSERT INTO shares (account, at, article_key, url, slot, outcome, post_id, detail) VALUES
         ('blog-x', '2026-05-01T08:00:00.000000000Z', 'b.org/a', 'https://b.org/a', '2026-05-01T08:00:00.000000000Z', 'shared', '1', 'Old text https://b.org/a'),
         ('blog-x', '2026-05-02T08:00:00.000000000Z', 'b.org/a', 'https://b.org/a', '2026-05-02T08:00:00.000000000Z', 'failed', NULL, 'HTTP 500');
         PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(old);
    let a = Archive::open(dir.path()).unwrap();
    let log = a.share_log("blog-x").unwrap();
    assert_eq!(log.times("b.org/a"), 1);
    let words = log.words("b.org/a");
    assert_eq!(words.len(), 1, "the failed post is no share");
    assert_eq!(words[0].text, "Old text https://b.org/a");
    assert_eq!((words[0].variant, words[0].title.as_deref()), (None, None));
    let history = a.history("blog-x").unwrap();
    assert_eq!(history[1].wording, None, "nothing was sent");
}

/// A post's words go to the state with its intent and its record, and come back in the log.
#[test]
fn the_words_of_a_post_are_kept_from_intent_to_history() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(dir.path()).unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap();
    let mut i = intent("blog-x", "b.org/a", t0);
    i.words = Some((2, "Alternate".into()));
    a.begin(&i, t0 - chrono::Duration::days(90)).unwrap();
    let pending = a.pending_intents().unwrap();
    assert_eq!(pending[0].words, Some((2, "Alternate".into())));
    let mut r = rec("b.org/a", Outcome::Uncertain, t0);
    r.wording = Some(pending[0].wording());
    a.settle(&r).unwrap();
    let log = a.share_log("blog-x").unwrap();
    assert_eq!(log.words("b.org/a")[0].variant, Some(2));
    assert_eq!(log.words("b.org/a")[0].title.as_deref(), Some("Alternate"));
    assert_eq!(log.words("b.org/a")[0].text, "text");
    assert_eq!(
        log.times("b.org/a"),
        1,
        "an uncertain post may be on the network"
    );
}

#[test]
fn a_state_directory_encore_creates_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("var").join("encore");
    Archive::open(&state).unwrap();
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}
