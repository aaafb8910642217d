//! The state's schema, in one place, and the numbered migrations that make it.
//!
//! Each migration is one step from schema N-1 to N, run in one transaction with the
//! `PRAGMA user_version` write that records it; a state whose version is higher than
//! [`CURRENT`] was made by a newer Encore and is refused, never altered. Times are UTC text
//! (`2026-12-01T08:00:00.000000000Z`: fixed width, so text order is time order, and readable by
//! `sqlite3` and its date functions).
//!
//! | table | one row per | what |
//! |---|---|---|
//! | `articles` | article | every article any feed read has shown, by key (`categories` is a JSON array; `feed` the feed's name; `dead` 1 when its link answered 404/410, 2 when it led to a private address) |
//! | `shares` | slot outcome | the share history: shared, failed, skipped, duplicate, uncertain, refused; the template variant, title and text of each post |
//! | `readings` | post and age | what a post drew (likes, reposts, replies, quotes) read back at an age after it, or that it was deleted |
//! | `intents` | post in flight | written and committed before a post leaves; `owner` is the process posting it |
//! | `slots` | settled slot | which planned slots are done, and how |
//! | `plans` | account | auto mode's day plans (JSON) |
//! | `volume_samples` | post-count reading | an account's total post count at a time |
//! | `feed_validators` | feed URL | `ETag` / `Last-Modified` of its last read |
//! | `settings` | value | small values: the seed, the last tick, the daemon's runtime, feed status… |

/// Every key of the `settings` table, named once so that two floors never pick the same one.
pub mod key {
    /// The state's random seed (see `Archive::seed`).
    pub const SEED: &str = "seed";
    /// When `encore check` last found the state readable.
    pub const STATE_CHECKED: &str = "state_checked";
    /// The daemon's last tick: slots missed while it was down are reconciled from here.
    pub const LAST_TICK: &str = "last_tick";
    /// Set once the archive was filled from older pages: the daemon does it on its first run.
    pub const BACKFILLED: &str = "backfilled";
    /// The last feed read's outcome, for `encore status` (a config's single unnamed feed; see
    /// [`feed_status`] for the others).
    pub const FEED_STATUS: &str = "feed_status";
    /// The daemon's runtime view (pauses, auto plans), for `encore status`.
    pub const RUNTIME: &str = "runtime";

    /// The last read's outcome of the feed called `feed`.
    pub fn feed_status(feed: &str) -> String {
        match feed {
            "main" => FEED_STATUS.to_string(),
            _ => format!("feed_status:{feed}"),
        }
    }

    /// Set once `feed`'s older pages were read into the archive.
    pub fn backfilled(feed: &str) -> String {
        match feed {
            "main" => BACKFILLED.to_string(),
            _ => format!("backfilled:{feed}"),
        }
    }

    /// A slot moved by "pause after a new post", per account.
    pub fn deferred(account: &str) -> String {
        format!("deferred:{account}")
    }
}

/// The schema this build writes and reads.
pub(super) const CURRENT: i64 = 4;

/// `MIGRATIONS[n]` takes a state from schema `n` to `n + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE articles (
    key         TEXT PRIMARY KEY NOT NULL,
    url         TEXT NOT NULL,
    title       TEXT NOT NULL,
    published   TEXT NOT NULL,
    categories  TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    dead        INTEGER NOT NULL DEFAULT 0,
    undated     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE shares (
    id          INTEGER PRIMARY KEY,
    account     TEXT NOT NULL,
    at          TEXT NOT NULL,
    article_key TEXT,
    url         TEXT,
    slot        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    post_id     TEXT,
    detail      TEXT NOT NULL
);
CREATE INDEX shares_by_account ON shares (account, at);
CREATE INDEX shares_by_article ON shares (account, article_key);

CREATE TABLE intents (
    account     TEXT NOT NULL,
    slot        TEXT NOT NULL,
    article_key TEXT NOT NULL,
    url         TEXT NOT NULL,
    text        TEXT NOT NULL,
    created     TEXT NOT NULL,
    owner       TEXT NOT NULL,
    PRIMARY KEY (account, slot)
) WITHOUT ROWID;
-- One post of an article per account in flight, whichever process sends it.
CREATE UNIQUE INDEX intents_by_article ON intents (account, article_key);

CREATE TABLE slots (
    account     TEXT NOT NULL,
    slot        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    PRIMARY KEY (account, slot)
) WITHOUT ROWID;

CREATE TABLE plans (
    account     TEXT PRIMARY KEY NOT NULL,
    plans       TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE volume_samples (
    account     TEXT NOT NULL,
    at          TEXT NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (account, at)
) WITHOUT ROWID;

CREATE TABLE feed_validators (
    url           TEXT PRIMARY KEY NOT NULL,
    etag          TEXT,
    last_modified TEXT
) WITHOUT ROWID;

CREATE TABLE settings (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL
) WITHOUT ROWID;
"#,
    // 2: the feed each article came from (several blogs in one state); '' for articles read
    // before, which the first feed of the config adopts.
    r#"
ALTER TABLE articles ADD COLUMN feed TEXT NOT NULL DEFAULT '';
"#,
    // 3: the words of each post (the template variant, 1-based, the title and the text sent),
    // so that the next share of the article says it otherwise. NULL for posts made before; a
    // shared one's text is its detail.
    r#"
ALTER TABLE shares ADD COLUMN variant INTEGER;
ALTER TABLE shares ADD COLUMN title TEXT;
ALTER TABLE shares ADD COLUMN text TEXT;
UPDATE shares SET text = detail WHERE outcome = 'shared';
ALTER TABLE intents ADD COLUMN variant INTEGER;
ALTER TABLE intents ADD COLUMN title TEXT;
"#,
    // 4: what each post drew, read back at fixed ages after it (`after_secs`: 86400 for "1d").
    r#"
CREATE TABLE readings (
    share_id    INTEGER NOT NULL,
    after_secs  INTEGER NOT NULL,
    at          TEXT NOT NULL,
    likes       INTEGER NOT NULL DEFAULT 0,
    reposts     INTEGER NOT NULL DEFAULT 0,
    replies     INTEGER NOT NULL DEFAULT 0,
    quotes      INTEGER NOT NULL DEFAULT 0,
    deleted     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (share_id, after_secs)
) WITHOUT ROWID;
"#,
];
