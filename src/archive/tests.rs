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

/// A feed longer than one sled batch: every item archived once, counted once, in one merge.
#[test]
fn a_long_feed_is_merged_in_batches_and_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let a = Archive::open(dir.path()).unwrap();
    let n = MERGE_BATCH * 2 + 17;
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
fn seed_is_stable_and_second_opener_is_told_the_state_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(dir.path()).unwrap();
    let s = a.seed().unwrap();
    assert_eq!(a.seed().unwrap(), s);
    match Archive::open(dir.path()) {
        Err(ArchiveError::Locked(p)) => assert_eq!(p, dir.path()),
        Err(other) => panic!("expected Locked, got {other}"),
        Ok(_) => panic!("second open succeeded"),
    }
}

#[test]
fn last_shares_ignores_failures() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(dir.path()).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
    let rec = |key: &str, outcome, at| ShareRecord {
        at,
        account: "blog-x".into(),
        article_key: Some(key.into()),
        url: None,
        slot: at,
        outcome,
        post_id: None,
        detail: String::new(),
    };
    a.settle(&rec("k1", Outcome::Shared, t)).unwrap();
    a.settle(&rec("k1", Outcome::Shared, t + chrono::Duration::days(3)))
        .unwrap();
    a.settle(&rec("k2", Outcome::Failed, t)).unwrap();
    a.settle(&rec("k3", Outcome::Uncertain, t)).unwrap();
    let last = a.last_shares("blog-x").unwrap();
    assert_eq!(last.get("k1"), Some(&(t + chrono::Duration::days(3))));
    assert!(!last.contains_key("k2"));
    assert!(last.contains_key("k3"));
    assert!(a.last_shares("other").unwrap().is_empty());
}

#[test]
fn beside_a_running_daemon_commands_read_its_copy_of_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(dir.path()).unwrap();
    a.set_meta("k", "v1").unwrap();
    let seed = a.seed().unwrap();
    // No copy yet: the busy state is an error that says so.
    assert!(matches!(
        Archive::open_or_snapshot(dir.path()),
        Err(ArchiveError::Locked(_))
    ));
    a.export(dir.path()).unwrap();
    a.set_meta("k", "v2").unwrap();
    let (copy, at) = Archive::open_or_snapshot(dir.path()).unwrap();
    assert!(at.is_some());
    assert_eq!(
        copy.meta("k").unwrap().as_deref(),
        Some("v1"),
        "as of the export"
    );
    assert_eq!(copy.seed().unwrap(), seed);
    // Writes to the copy never reach the real state.
    copy.set_meta("k", "from-copy").unwrap();
    assert_eq!(a.meta("k").unwrap().as_deref(), Some("v2"));
    drop(a);
    let (real, at) = Archive::open_or_snapshot(dir.path()).unwrap();
    assert!(at.is_none(), "the daemon is gone: the real state");
    assert_eq!(real.meta("k").unwrap().as_deref(), Some("v2"));
    std::fs::write(dir.path().join("snapshot"), b"garbage").unwrap();
    assert!(Archive::open_snapshot(dir.path()).is_err());
}

#[test]
fn outcomes_print_as_their_json_names() {
    for o in [
        Outcome::Shared,
        Outcome::Failed,
        Outcome::Skipped,
        Outcome::Duplicate,
        Outcome::Uncertain,
        Outcome::Refused,
        Outcome::Deferred,
    ] {
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
fn an_io_error_wrapped_by_sled_reads_as_the_system_says_it() {
    // sled 0.34 wraps the system's error in a new one carrying its Debug text.
    let os = std::io::Error::from_raw_os_error(28);
    let wrapped = std::io::Error::new(std::io::ErrorKind::StorageFull, format!("{os:?}"));
    let e = ArchiveError::from(sled::Error::Io(wrapped));
    assert_eq!(
        e.to_string(),
        "state storage error: No space left on device (os error 28)"
    );
    let plain = ArchiveError::from(sled::Error::Io(std::io::Error::other("odd")));
    assert_eq!(plain.to_string(), "state storage error: odd");
}
