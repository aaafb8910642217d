//! Choosing which article an account shares at a given moment.
//!
//! Pure decisions, no I/O: given the archive, the account's share history and the time of the
//! share, rank the eligible articles. Age is measured at the share time, not when the plan is made.

use crate::archive::Article;
use crate::config::SelectSettings;
use crate::text::fold;
use chrono::{DateTime, Duration, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use std::collections::HashMap;
use std::fmt;

/// An account's selection rules, prepared once (folded categories, split globs).
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    min_age: Duration,
    max_age: Duration,
    cooldown: Duration,
    excluded: Vec<String>,
    url_globs: Vec<String>,
    /// Articles without a readable date are passed over.
    skip_undated: bool,
    /// Whether a category (as the feed wrote it) is excluded: an archive has few distinct
    /// categories, and folding one costs Unicode normalisation, so each is folded once per
    /// `Rules` rather than once per article and slot (BENCHMARKS.md).
    judged: std::cell::RefCell<fxhash::FxHashMap<String, bool>>,
}

/// Why an article is, or is not, eligible at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
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
    /// The feed gives it no readable date (`[select] undated = "skip"`).
    Undated,
}

impl Rules {
    /// Prepares the rules.
    pub(crate) fn new(s: &SelectSettings) -> Rules {
        Rules {
            min_age: Duration::days(i64::from(s.min_age_days)),
            max_age: Duration::days(i64::from(s.max_age_days)),
            cooldown: Duration::days(i64::from(s.cooldown_days)),
            excluded: s.exclude_categories.iter().map(|c| fold(c)).collect(),
            url_globs: s.exclude_urls.clone(),
            skip_undated: s.undated == crate::config::Undated::Skip,
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
    pub(crate) fn verdict(
        &self,
        article: &Article,
        at: DateTime<Utc>,
        last_shared: Option<DateTime<Utc>>,
    ) -> Verdict {
        let bounds = Bounds::new(self, at);
        if self.skip_undated && article.undated {
            return Verdict::Undated;
        }
        if bounds.too_young(article) {
            return Verdict::TooYoung;
        }
        if bounds.too_old(article) {
            return Verdict::TooOld;
        }
        if article.dead {
            return Verdict::Dead;
        }
        if let Some(c) = self.excluded_category(article) {
            return Verdict::ExcludedCategory(c.clone());
        }
        if let Some(g) = self.excluded_url(article) {
            return Verdict::ExcludedUrl(g.clone());
        }
        if bounds.cooling(last_shared) {
            return Verdict::Cooldown;
        }
        Verdict::Eligible
    }

    /// The verdict's part that does not depend on the time of the share.
    fn fixed(&self, article: &Article) -> Fixed {
        if self.skip_undated && article.undated {
            Fixed::Undated
        } else if article.dead {
            Fixed::Dead
        } else if self.excluded_category(article).is_some() || self.excluded_url(article).is_some()
        {
            Fixed::Excluded
        } else {
            Fixed::Open
        }
    }

    fn excluded_category<'a>(&self, article: &'a Article) -> Option<&'a String> {
        article.categories.iter().find(|c| self.is_excluded(c))
    }

    fn excluded_url(&self, article: &Article) -> Option<&String> {
        self.url_globs.iter().find(|g| glob_match(g, &article.url))
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
    /// Without a readable date (skipped).
    pub undated: usize,
}

impl fmt::Display for Census {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} archived: {} eligible, {} too young, {} too old, {} excluded, {} in cooldown, {} dead",
            self.total, self.eligible, self.too_young, self.too_old, self.excluded, self.cooldown, self.dead
        )?;
        if self.undated > 0 {
            write!(f, ", {} undated", self.undated)?;
        }
        Ok(())
    }
}

/// An account's view of the archive, made once for many slots (a day's plan, a 30-day
/// preview): what does not change between slots (dead links, excluded categories and URLs) is
/// judged once per article, and the share history is held by article position, so a slot is
/// one pass over a compact array, with no hashing and no category text touched.
pub(crate) struct Pool<'a> {
    articles: &'a [Article],
    rules: Rules,
    fixed: Vec<Fixed>,
    last: Vec<Option<DateTime<Utc>>>,
}

/// The part of a verdict that does not depend on the time of the share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixed {
    Open,
    Undated,
    Dead,
    Excluded,
}

impl<'a> Pool<'a> {
    /// `last_shares`: the account's last share of each article, by article key.
    pub(crate) fn new(
        articles: &'a [Article],
        settings: &SelectSettings,
        last_shares: &HashMap<String, DateTime<Utc>>,
    ) -> Pool<'a> {
        let rules = Rules::new(settings);
        let fixed = articles.iter().map(|a| rules.fixed(a)).collect();
        // The archive gives its articles in key order: then each share finds its article by
        // bisection (a few hundred shares against 100,000 hashed keys at every slot).
        let last = if articles.windows(2).all(|w| w[0].key < w[1].key) {
            let mut last = vec![None; articles.len()];
            for (key, at) in last_shares {
                if let Ok(i) = articles.binary_search_by(|a| a.key.as_str().cmp(key)) {
                    last[i] = Some(*at);
                }
            }
            last
        } else {
            articles
                .iter()
                .map(|a| last_shares.get(&a.key).copied())
                .collect()
        };
        Pool {
            articles,
            rules,
            fixed,
            last,
        }
    }

    /// Counts a share of article `index` at `at` (a planned one, in a simulation).
    pub(crate) fn shared(&mut self, index: usize, at: DateTime<Utc>) {
        if let Some(last) = self.last.get_mut(index) {
            *last = Some(last.map_or(at, |t| t.max(at)));
        }
    }

    /// The eligible articles for a share at `at`, best first: never shared before, then
    /// least recently shared; ties in random order (from `rng`, seeded by the caller). The
    /// order is made as it is read: a slot takes the first article almost always, and finding
    /// it needs one pass and one random draw, not a shuffle and a sort of the whole archive.
    pub(crate) fn rank<R: Rng>(&self, at: DateTime<Utc>, rng: R) -> Ranking<'_, 'a, R> {
        let mut census = Census {
            total: self.articles.len(),
            ..Census::default()
        };
        // The best group: every eligible article with the smallest last share (None first).
        let mut best: Vec<usize> = Vec::new();
        let mut best_key: Option<Option<DateTime<Utc>>> = None;
        let bounds = Bounds::new(&self.rules, at);
        for i in 0..self.articles.len() {
            let Some(key) = self.eligible(i, &bounds, &mut census) else {
                continue;
            };
            census.eligible += 1;
            match best_key {
                Some(k) if key > k => {}
                Some(k) if key == k => best.push(i),
                _ => {
                    best.clear();
                    best.push(i);
                    best_key = Some(key);
                }
            }
        }
        Ranking {
            pool: self,
            at,
            rng,
            census,
            group: best,
            rest: None,
        }
    }

    /// Whether article `i` may be shared in a slot with these `bounds` (and its last share,
    /// the ranking key), the census counting why not. Checked in [`Rules::verdict`]'s order.
    fn eligible(
        &self,
        i: usize,
        bounds: &Bounds,
        census: &mut Census,
    ) -> Option<Option<DateTime<Utc>>> {
        let article = &self.articles[i];
        if self.fixed[i] == Fixed::Undated {
            census.undated += 1;
        } else if bounds.too_young(article) {
            census.too_young += 1;
        } else if bounds.too_old(article) {
            census.too_old += 1;
        } else if self.fixed[i] == Fixed::Dead {
            census.dead += 1;
        } else if self.fixed[i] == Fixed::Excluded {
            census.excluded += 1;
        } else if bounds.cooling(self.last[i]) {
            census.cooldown += 1;
        } else {
            return Some(self.last[i]);
        }
        None
    }
}

/// A share time's age window and cooldown as instants, so that each article is judged by
/// comparing times (100,000 durations computed at every slot were a quarter of a 30-day
/// preview). `at - published < min_age` is `published > at - min_age`, and so on.
struct Bounds {
    /// Published after this: too young.
    young_after: DateTime<Utc>,
    /// Published before this: too old.
    old_before: DateTime<Utc>,
    /// Last shared after this: in cooldown.
    cooling_after: DateTime<Utc>,
}

impl Bounds {
    fn new(rules: &Rules, at: DateTime<Utc>) -> Bounds {
        let minus = |d: Duration| at.checked_sub_signed(d).unwrap_or(DateTime::<Utc>::MIN_UTC);
        Bounds {
            young_after: minus(rules.min_age),
            old_before: minus(rules.max_age),
            cooling_after: minus(rules.cooldown),
        }
    }

    fn too_young(&self, article: &Article) -> bool {
        article.published > self.young_after
    }

    fn too_old(&self, article: &Article) -> bool {
        article.published < self.old_before
    }

    fn cooling(&self, last_shared: Option<DateTime<Utc>>) -> bool {
        last_shared.is_some_and(|t| t > self.cooling_after)
    }
}

/// The eligible articles of one slot, best first (see [`Pool::rank`]), with the census.
pub(crate) struct Ranking<'p, 'a, R> {
    pool: &'p Pool<'a>,
    at: DateTime<Utc>,
    rng: R,
    /// How the archive looked at this slot.
    pub census: Census,
    /// Articles of equal rank not given yet, drawn at random.
    group: Vec<usize>,
    /// Everything after the first group, in order, once asked for (reversed: popped).
    rest: Option<Vec<usize>>,
}

impl<'a, R: Rng> Iterator for Ranking<'_, 'a, R> {
    type Item = (usize, &'a Article);

    fn next(&mut self) -> Option<Self::Item> {
        let i = if !self.group.is_empty() {
            let pick = self.rng.random_range(0..self.group.len());
            self.group.swap_remove(pick)
        } else {
            if self.rest.is_none() {
                self.rest = Some(self.the_rest());
            }
            self.rest.as_mut()?.pop()?
        };
        Some((i, &self.pool.articles[i]))
    }
}

impl<R: Rng> Ranking<'_, '_, R> {
    /// The eligible articles after the first group: least recently shared first, ties in
    /// random order (a shuffle, then a stable sort). Rare: only when no article of the first
    /// group fits the network.
    fn the_rest(&mut self) -> Vec<usize> {
        let pool = self.pool;
        let mut census = Census::default();
        let bounds = Bounds::new(&pool.rules, self.at);
        let mut keyed: Vec<(Option<DateTime<Utc>>, usize)> = (0..pool.articles.len())
            .filter_map(|i| pool.eligible(i, &bounds, &mut census).map(|k| (k, i)))
            .collect();
        // The first group's key is the smallest: all of its members were given already.
        if let Some(min) = keyed.iter().map(|(k, _)| *k).min() {
            keyed.retain(|(k, _)| *k != min);
        }
        keyed.shuffle(&mut self.rng);
        keyed.sort_by_key(|(k, _)| *k);
        keyed.into_iter().rev().map(|(_, i)| i).collect()
    }
}

/// Shell-style glob on a whole string: `*` is any run of characters (slashes included), `?` any
/// one character.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
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
            undated: false,
            feed: String::new(),
        }
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn settings() -> SelectSettings {
        SelectSettings {
            min_age_days: 30,
            max_age_days: 90,
            exclude_categories: vec!["Événements".into(), "news".into()],
            exclude_urls: vec!["*/private/*".into()],
            cooldown_days: 90,
            check_link: false,
            undated: crate::config::Undated::Skip,
        }
    }

    fn rules() -> Rules {
        Rules::new(&settings())
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
    fn undated_articles_are_skipped_unless_dated_at_first_sight() {
        let mut a = article("u", 45, &[]);
        a.undated = true;
        assert_eq!(rules().verdict(&a, t0(), None), Verdict::Undated);
        let first_seen = SelectSettings {
            undated: crate::config::Undated::FirstSeen,
            ..settings()
        };
        assert_eq!(
            Rules::new(&first_seen).verdict(&a, t0(), None),
            Verdict::Eligible
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
        let settings = SelectSettings {
            min_age_days: 30,
            max_age_days: 90,
            exclude_categories: vec![],
            exclude_urls: vec![],
            cooldown_days: 0,
            check_link: false,
            undated: crate::config::Undated::Skip,
        };
        last.insert("a0".to_string(), t0() - Duration::days(5));
        last.insert("a1".to_string(), t0() - Duration::days(10));
        let pool = Pool::new(&arts, &settings, &last);
        let order = |seed| {
            let ranking = pool.rank(t0(), rand::rngs::StdRng::seed_from_u64(seed));
            assert_eq!(ranking.census.eligible, 6);
            ranking.map(|(_, a)| a.key.clone()).collect::<Vec<_>>()
        };
        let mut firsts = std::collections::HashSet::new();
        for seed in 0..40 {
            let keys = order(seed);
            assert_eq!(keys.len(), 6);
            assert_eq!(
                &keys[4..],
                ["a1", "a0"],
                "shared ones last, oldest share first"
            );
            firsts.insert(keys[0].to_string());
        }
        assert!(firsts.len() >= 3, "random among equals: {firsts:?}");
        // Same seed, same order.
        assert_eq!(order(7), order(7));
        // A share counted in the pool sends the article to the back.
        let mut pool = Pool::new(&arts, &settings, &last);
        let (first, _) = pool
            .rank(t0(), rand::rngs::StdRng::seed_from_u64(1))
            .next()
            .unwrap();
        pool.shared(first, t0());
        let keys: Vec<String> = pool
            .rank(t0(), rand::rngs::StdRng::seed_from_u64(1))
            .map(|(_, a)| a.key.clone())
            .collect();
        assert_eq!(keys.last(), Some(&arts[first].key));
        assert_eq!(&keys[3..], ["a1", "a0", arts[first].key.as_str()]);
    }

    /// The pool decides as [`Rules::verdict`] does, article by article, over a mixed archive:
    /// every age, dead links, excluded categories and URLs, shares in and out of cooldown.
    #[test]
    fn the_pool_agrees_with_the_verdicts() {
        let r = rules();
        let mut arts = Vec::new();
        let mut last = HashMap::new();
        for i in 0..400i64 {
            let cats: &[&str] = match i % 5 {
                0 => &["SEO"],
                1 => &["ÉVÉNEMENTS", "SEO"],
                2 => &["News"],
                _ => &[],
            };
            let key = if i % 7 == 0 {
                format!("private/{i}")
            } else {
                format!("a{i}")
            };
            let mut a = article(&key, i % 120, cats);
            a.dead = i % 11 == 0;
            a.undated = i % 13 == 0;
            if i % 3 == 0 {
                last.insert(a.key.clone(), t0() - Duration::days(i % 150));
            }
            arts.push(a);
        }
        // In the order given, and in key order (the archive's: shares found by bisection).
        let mut sorted = arts.clone();
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        for (arts, at) in [
            (&arts, t0()),
            (&sorted, t0()),
            (&sorted, t0() + Duration::days(45)),
        ] {
            let pool = Pool::new(arts, &settings(), &last);
            let ranking = pool.rank(at, rand::rngs::StdRng::seed_from_u64(3));
            let census = ranking.census;
            let mut ranked: Vec<&str> = ranking.map(|(_, a)| a.key.as_str()).collect();
            let mut expected = Census {
                total: arts.len(),
                ..Census::default()
            };
            let mut eligible = Vec::new();
            for a in arts {
                match r.verdict(a, at, last.get(&a.key).copied()) {
                    Verdict::Eligible => {
                        expected.eligible += 1;
                        eligible.push(a.key.as_str());
                    }
                    Verdict::TooYoung => expected.too_young += 1,
                    Verdict::TooOld => expected.too_old += 1,
                    Verdict::ExcludedCategory(_) | Verdict::ExcludedUrl(_) => {
                        expected.excluded += 1
                    }
                    Verdict::Cooldown => expected.cooldown += 1,
                    Verdict::Dead => expected.dead += 1,
                    Verdict::Undated => expected.undated += 1,
                }
            }
            assert_eq!(census, expected);
            assert!(census.eligible > 20 && census.cooldown > 0 && census.excluded > 0);
            assert!(census.undated > 0);
            ranked.sort_unstable();
            eligible.sort_unstable();
            assert_eq!(ranked, eligible);
        }
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
