//! Choosing which article an account shares at a given moment.
//!
//! Pure decisions, no I/O: given the archive, the account's share history and the time of the
//! share, rank the eligible articles. Age is measured at the share time, not when the plan is made.

use crate::archive::Article;
use crate::config::SelectSettings;
use crate::text::fold;
use chrono::{DateTime, Duration, Utc};
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::HashMap;
use std::fmt;

/// An account's selection rules, prepared once (folded categories, split globs).
#[derive(Debug, Clone)]
pub struct Rules {
    min_age: Duration,
    max_age: Duration,
    cooldown: Duration,
    excluded: Vec<String>,
    url_globs: Vec<String>,
    /// Whether a category (as the feed wrote it) is excluded: an archive has few distinct
    /// categories, and folding one costs Unicode normalisation, so each is folded once per
    /// `Rules` rather than once per article and slot (BENCHMARKS.md).
    judged: std::cell::RefCell<HashMap<String, bool>>,
}

/// Why an article is, or is not, eligible at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// May be shared.
    Eligible,
    /// Younger than `min_age_days` at the share time.
    TooYoung,
    /// Older than `max_age_days` at the share time.
    TooOld,
    /// In an excluded category (the category as the feed wrote it).
    ExcludedCategory(String),
    /// Matches an `exclude_urls` pattern.
    ExcludedUrl(String),
    /// Shared to this account less than `cooldown_days` ago.
    Cooldown,
    /// Its link was found dead.
    Dead,
}

impl Rules {
    /// Prepares the rules.
    pub fn new(s: &SelectSettings) -> Rules {
        Rules {
            min_age: Duration::days(i64::from(s.min_age_days)),
            max_age: Duration::days(i64::from(s.max_age_days)),
            cooldown: Duration::days(i64::from(s.cooldown_days)),
            excluded: s.exclude_categories.iter().map(|c| fold(c)).collect(),
            url_globs: s.exclude_urls.clone(),
            judged: Default::default(),
        }
    }

    fn is_excluded(&self, category: &str) -> bool {
        if self.excluded.is_empty() {
            return false;
        }
        if let Some(&known) = self.judged.borrow().get(category) {
            return known;
        }
        let verdict = self.excluded.contains(&fold(category));
        self.judged
            .borrow_mut()
            .insert(category.to_string(), verdict);
        verdict
    }

    /// Judges one article for a share at `at`, given when it was last shared to the account.
    pub fn verdict(
        &self,
        article: &Article,
        at: DateTime<Utc>,
        last_shared: Option<DateTime<Utc>>,
    ) -> Verdict {
        let age = at - article.published;
        if age < self.min_age {
            return Verdict::TooYoung;
        }
        if age > self.max_age {
            return Verdict::TooOld;
        }
        if article.dead {
            return Verdict::Dead;
        }
        if let Some(c) = article.categories.iter().find(|c| self.is_excluded(c)) {
            return Verdict::ExcludedCategory(c.clone());
        }
        if let Some(g) = self.url_globs.iter().find(|g| glob_match(g, &article.url)) {
            return Verdict::ExcludedUrl(g.clone());
        }
        if last_shared.is_some_and(|t| at - t < self.cooldown) {
            return Verdict::Cooldown;
        }
        Verdict::Eligible
    }
}

/// How the archive looked to one slot: the reason a slot found nothing, in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Census {
    /// Articles in the archive.
    pub total: usize,
    /// Eligible.
    pub eligible: usize,
    /// Too young.
    pub too_young: usize,
    /// Too old.
    pub too_old: usize,
    /// In an excluded category or URL.
    pub excluded: usize,
    /// In cooldown.
    pub cooldown: usize,
    /// Dead links.
    pub dead: usize,
}

impl fmt::Display for Census {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} archived: {} eligible, {} too young, {} too old, {} excluded, {} in cooldown, {} dead",
            self.total, self.eligible, self.too_young, self.too_old, self.excluded, self.cooldown, self.dead
        )
    }
}

/// The eligible articles for a share at `at`, best first: never shared before, then least
/// recently shared; ties in random order (from `rng`, seeded by the caller).
pub fn rank<'a, R: Rng + ?Sized>(
    articles: &'a [Article],
    at: DateTime<Utc>,
    rules: &Rules,
    last_shares: &HashMap<String, DateTime<Utc>>,
    rng: &mut R,
) -> (Vec<&'a Article>, Census) {
    let mut census = Census {
        total: articles.len(),
        ..Census::default()
    };
    let mut eligible: Vec<(Option<DateTime<Utc>>, &Article)> = Vec::new();
    for a in articles {
        let last = last_shares.get(&a.key).copied();
        match rules.verdict(a, at, last) {
            Verdict::Eligible => eligible.push((last, a)),
            Verdict::TooYoung => census.too_young += 1,
            Verdict::TooOld => census.too_old += 1,
            Verdict::ExcludedCategory(_) | Verdict::ExcludedUrl(_) => census.excluded += 1,
            Verdict::Cooldown => census.cooldown += 1,
            Verdict::Dead => census.dead += 1,
        }
    }
    census.eligible = eligible.len();
    // Shuffle first, then a stable sort: equal keys keep their random order.
    eligible.shuffle(rng);
    eligible.sort_by_key(|(last, _)| *last); // None (never shared) sorts first
    (eligible.into_iter().map(|(_, a)| a).collect(), census)
}

/// Shell-style glob on a whole string: `*` is any run of characters (slashes included), `?` any
/// one character.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;

    fn article(key: &str, days_old_at_t0: i64, cats: &[&str]) -> Article {
        let t0 = t0();
        Article {
            key: key.into(),
            url: format!("https://blog.example.org/{key}/"),
            title: key.into(),
            published: t0 - Duration::days(days_old_at_t0),
            categories: cats.iter().map(|s| s.to_string()).collect(),
            first_seen: t0,
            last_seen: t0,
            dead: false,
        }
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn rules() -> Rules {
        Rules::new(&SelectSettings {
            min_age_days: 30,
            max_age_days: 90,
            exclude_categories: vec!["Événements".into(), "news".into()],
            exclude_urls: vec!["*/private/*".into()],
            cooldown_days: 90,
            check_link: false,
        })
    }

    #[test]
    fn age_is_measured_at_the_share_time() {
        let r = rules();
        let a = article("a", 29, &[]);
        assert_eq!(r.verdict(&a, t0(), None), Verdict::TooYoung);
        assert_eq!(
            r.verdict(&a, t0() + Duration::days(1), None),
            Verdict::Eligible
        );
        assert_eq!(
            r.verdict(&a, t0() + Duration::days(61), None),
            Verdict::Eligible
        );
        assert_eq!(
            r.verdict(&a, t0() + Duration::days(62), None),
            Verdict::TooOld
        );
    }

    #[test]
    fn exclusions_fold_case_and_accents() {
        let r = rules();
        assert_eq!(
            r.verdict(&article("e", 40, &["SEO", "evenements"]), t0(), None),
            Verdict::ExcludedCategory("evenements".into())
        );
        assert_eq!(
            r.verdict(&article("n", 40, &["NEWS"]), t0(), None),
            Verdict::ExcludedCategory("NEWS".into())
        );
        assert_eq!(
            r.verdict(&article("ok", 40, &["Newsletter"]), t0(), None),
            Verdict::Eligible
        );
        assert_eq!(
            r.verdict(&article("private/x", 40, &[]), t0(), None),
            Verdict::ExcludedUrl("*/private/*".into())
        );
    }

    #[test]
    fn cooldown() {
        let r = rules();
        let a = article("a", 40, &[]);
        assert_eq!(
            r.verdict(&a, t0(), Some(t0() - Duration::days(89))),
            Verdict::Cooldown
        );
        assert_eq!(
            r.verdict(&a, t0(), Some(t0() - Duration::days(91))),
            Verdict::Eligible
        );
    }

    #[test]
    fn never_shared_first_then_least_recently_shared_random_among_equals() {
        let arts: Vec<Article> = (0..6)
            .map(|i| article(&format!("a{i}"), 40 + i, &[]))
            .collect();
        let mut last = HashMap::new();
        let r = Rules::new(&SelectSettings {
            cooldown_days: 0,
            ..SelectSettings {
                min_age_days: 30,
                max_age_days: 90,
                exclude_categories: vec![],
                exclude_urls: vec![],
                cooldown_days: 0,
                check_link: false,
            }
        });
        last.insert("a0".to_string(), t0() - Duration::days(5));
        last.insert("a1".to_string(), t0() - Duration::days(10));
        let mut firsts = std::collections::HashSet::new();
        for seed in 0..40 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let (ranked, census) = rank(&arts, t0(), &r, &last, &mut rng);
            assert_eq!(census.eligible, 6);
            let keys: Vec<&str> = ranked.iter().map(|a| a.key.as_str()).collect();
            assert_eq!(
                &keys[4..],
                ["a1", "a0"],
                "shared ones last, oldest share first"
            );
            firsts.insert(keys[0].to_string());
        }
        assert!(firsts.len() >= 3, "random among equals: {firsts:?}");
        // Same seed, same order.
        let order = |s| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(s);
            rank(&arts, t0(), &r, &last, &mut rng)
                .0
                .iter()
                .map(|a| a.key.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(order(7), order(7));
    }

    #[test]
    fn globs() {
        assert!(glob_match("*/private/*", "https://b.org/private/x"));
        assert!(glob_match(
            "https://b.org/2019/*",
            "https://b.org/2019/01/a/"
        ));
        assert!(!glob_match(
            "https://b.org/2019/*",
            "https://b.org/2020/01/a/"
        ));
        assert!(glob_match("*?p=4?", "https://b.org/?p=42"));
        assert!(!glob_match("*?p=4?", "https://b.org/?p=421"));
    }
}
