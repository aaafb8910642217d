//! Choosing which article an account shares at a given moment.
//!
//! Pure decisions, no I/O: given the archive, the account's share log and the time of the
//! share, rank the eligible articles. Age is measured at the share time, not when the plan is made.
//!
//! The order: never-shared articles first; then those waiting longer than [`STARVE_PERIODS`]
//! cooldowns past their cooldown, least recently shared first; then the others by weighted
//! wait (time since the last share × the article's category weight). Without weights the last
//! two are one order, least recently shared first. With weights, an article of weight 3 comes
//! back three times as often as one of weight 1, as far as the cooldown (never more often than
//! once per cooldown) and the starvation bound (never waiting more than two cooldowns past its
//! own) allow.

use crate::archive::{Article, ShareLog};
use crate::config::SelectSettings;
use crate::text::fold;
use crate::vocab::UrlGlob;
use chrono::{DateTime, Duration, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use std::cmp::Ordering;
use std::fmt;

/// How many cooldown periods past its own an eligible article may wait behind heavier ones
/// before it goes first whatever its weight.
pub(crate) const STARVE_PERIODS: i32 = 2;

/// An account's selection rules, prepared once (folded categories, compiled globs).
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    min_age: Duration,
    max_age: Duration,
    cooldown: Duration,
    excluded: Vec<String>,
    url_globs: Vec<UrlGlob>,
    evergreen: Vec<String>,
    evergreen_urls: Vec<UrlGlob>,
    expire: Vec<(UrlGlob, DateTime<Utc>)>,
    max_shares: Option<u32>,
    weights: Vec<(String, f64)>,
    /// `strategy = "learn"`: what is due is ordered by a draw from what each article drew.
    learn: bool,
    /// `retire_after_silent`.
    silent_after: Option<u32>,
    /// Articles without a readable date are passed over.
    skip_undated: bool,
    /// What a category (as the feed wrote it) means to these rules: an archive has few
    /// distinct categories, and folding one costs Unicode normalisation, so each is folded
    /// once per `Rules` rather than once per article and slot (BENCHMARKS.md).
    judged: std::cell::RefCell<rustc_hash::FxHashMap<String, Category>>,
}

/// What the rules make of one category.
#[derive(Debug, Clone, Copy)]
struct Category {
    excluded: bool,
    evergreen: bool,
    weight: Option<f64>,
}

/// Why an article is, or is not, eligible at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// May be shared.
    Eligible,
    /// Younger than `min_age_days` at the share time.
    TooYoung,
    /// Older than `max_age_days` at the share time (and not evergreen).
    TooOld,
    /// In an excluded category (the category as the feed wrote it).
    ExcludedCategory(String),
    /// Matches an `exclude_urls` pattern.
    ExcludedUrl(String),
    /// Past its end date (`expire_urls`, the titles file's `expires`): the pattern.
    Expired(String),
    /// Shared `max_shares` times already.
    Retired,
    /// Shared to this account less than `cooldown_days` ago.
    Cooldown,
    /// Its link was found dead.
    Dead,
    /// Its link led to a private address (the feed does not allow private networks).
    PrivateLink,
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
            evergreen: s.evergreen_categories.clone(),
            evergreen_urls: s.evergreen_urls.clone(),
            expire: s.expire_urls.clone(),
            max_shares: s.max_shares,
            weights: s.weights.clone(),
            learn: s.strategy == crate::config::Strategy::Learn,
            silent_after: s.retire_after_silent,
            skip_undated: s.undated == crate::config::Undated::Skip,
            judged: Default::default(),
        }
    }

    fn category(&self, category: &str) -> Category {
        if let Some(&known) = self.judged.borrow().get(category) {
            return known;
        }
        let folded = fold(category);
        let judged = Category {
            excluded: self.excluded.contains(&folded),
            evergreen: self.evergreen.contains(&folded),
            weight: self.weights.iter().find(|(c, _)| *c == folded).map(|w| w.1),
        };
        self.judged
            .borrow_mut()
            .insert(category.to_string(), judged);
        judged
    }

    /// Judges one article for a share at `at`, given the account's share log (when it was last
    /// shared there, how many times it appeared, what its shares drew).
    pub(crate) fn verdict(&self, article: &Article, at: DateTime<Utc>, log: &ShareLog) -> Verdict {
        let last_shared = log.last(&article.key);
        let bounds = Bounds::new(self, at);
        if self.skip_undated && article.undated {
            return Verdict::Undated;
        }
        if bounds.too_young(article) {
            return Verdict::TooYoung;
        }
        if bounds.too_old(article) && !self.evergreen(article) {
            return Verdict::TooOld;
        }
        if article.dead {
            return Verdict::Dead;
        }
        if article.private_link {
            return Verdict::PrivateLink;
        }
        if let Some(c) = self.excluded_category(article) {
            return Verdict::ExcludedCategory(c.clone());
        }
        if let Some(g) = self.excluded_url(article) {
            return Verdict::ExcludedUrl(g.to_string());
        }
        let ended = |(g, end): &&(UrlGlob, DateTime<Utc>)| at >= *end && g.is_match(&article.url);
        if let Some((g, _)) = self.expire.iter().find(ended) {
            return Verdict::Expired(g.to_string());
        }
        if self.retired(log.times(&article.key)) || self.silent(log.engagement(&article.key)) {
            return Verdict::Retired;
        }
        if bounds.cooling(last_shared) {
            return Verdict::Cooldown;
        }
        Verdict::Eligible
    }

    fn retired(&self, times: u32) -> bool {
        self.max_shares.is_some_and(|m| times >= m)
    }

    /// Whether the article's last `retire_after_silent` read-back shares all drew nothing.
    fn silent(&self, engagement: &[u64]) -> bool {
        let Some(n) = self.silent_after.map(|n| n as usize) else {
            return false;
        };
        engagement.len() >= n && engagement[engagement.len() - n..].iter().all(|e| *e == 0)
    }

    /// What an article's shares drew, for `learn`: the sum of each share's engagement over the
    /// account's typical share, and how many shares were read back.
    pub(crate) fn learned(&self, log: &ShareLog, key: &str, typical: f64) -> (f64, u32) {
        let e = log.engagement(key);
        (e.iter().map(|x| *x as f64 / typical).sum(), e.len() as u32)
    }

    /// An eligible article's turn at `at` (see the module's doc), `rng` drawing `learn`'s
    /// sample from what the article drew (`learned`).
    pub(crate) fn turn_drawn<R: Rng>(
        &self,
        last: Option<DateTime<Utc>>,
        weight: f64,
        learned: (f64, u32),
        at: DateTime<Utc>,
        rng: &mut R,
    ) -> Turn {
        Bounds::new(self, at).turn_drawn(last, weight, learned, rng)
    }

    /// The part of the verdict that does not depend on the time of the share.
    fn fixed(&self, article: &Article) -> Fixed {
        if self.skip_undated && article.undated {
            Fixed::Undated
        } else if article.dead {
            Fixed::Dead
        } else if article.private_link {
            Fixed::PrivateLink
        } else if self.excluded_category(article).is_some() || self.excluded_url(article).is_some()
        {
            Fixed::Excluded
        } else {
            Fixed::Open
        }
    }

    /// Whether `max_age_days` does not apply to the article.
    fn evergreen(&self, article: &Article) -> bool {
        let by_category = !self.evergreen.is_empty()
            && article
                .categories
                .iter()
                .any(|c| self.category(c).evergreen);
        by_category || self.evergreen_urls.iter().any(|g| g.is_match(&article.url))
    }

    /// When the article's life ends, if it does (the earliest of its end dates).
    fn expires(&self, article: &Article) -> Option<DateTime<Utc>> {
        let mine = self.expire.iter().filter(|(g, _)| g.is_match(&article.url));
        mine.map(|(_, end)| *end).min()
    }

    /// An article's weight: the heaviest of its weighted categories, 1 with none.
    pub(crate) fn weight(&self, article: &Article) -> f64 {
        if self.weights.is_empty() {
            return 1.0;
        }
        let weights = article
            .categories
            .iter()
            .filter_map(|c| self.category(c).weight);
        weights.max_by(f64::total_cmp).unwrap_or(1.0)
    }

    fn excluded_category<'a>(&self, article: &'a Article) -> Option<&'a String> {
        article
            .categories
            .iter()
            .find(|c| !self.excluded.is_empty() && self.category(c).excluded)
    }

    fn excluded_url(&self, article: &Article) -> Option<&UrlGlob> {
        self.url_globs.iter().find(|g| g.is_match(&article.url))
    }

    /// Why `article` comes first at `at`, in words for `preview` and the log.
    pub(crate) fn reason(&self, article: &Article, log: &ShareLog, at: DateTime<Utc>) -> String {
        let Some(last) = log.last(&article.key) else {
            return "never shared here".into();
        };
        let days = (at - last).num_days();
        if self.learn {
            let typical = log.typical();
            let (sum, n) = self.learned(log, &article.key, typical);
            let expected = (1.0 + sum) / (1.0 + f64::from(n)) * typical;
            let mode = if n < 3 { "explore" } else { "exploit" };
            return format!("learn: expected {expected:.1} ({n} shares read), {mode}");
        }
        if at - last > self.cooldown * (1 + STARVE_PERIODS) {
            return format!("waiting past 2 cooldowns (last shared {days} days ago)");
        }
        format!("least recently shared here ({days} days ago)")
    }

    /// An eligible article's turn at `at`: see the module's doc.
    pub(crate) fn turn(&self, last: Option<DateTime<Utc>>, weight: f64, at: DateTime<Utc>) -> Turn {
        Bounds::new(self, at).turn(last, weight)
    }
}

/// An eligible article's place in a slot's order: smaller goes first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Turn {
    /// Never shared to the account.
    Never,
    /// Waiting past the starvation bound since this last share: least recently shared first.
    Overdue(DateTime<Utc>),
    /// Due, by minus its weighted wait (the longest weighted wait first).
    Due(f64),
}

impl Turn {
    fn order(&self, other: &Turn) -> Ordering {
        use Turn::*;
        match (self, other) {
            (Never, Never) => Ordering::Equal,
            (Never, _) => Ordering::Less,
            (_, Never) => Ordering::Greater,
            (Overdue(a), Overdue(b)) => a.cmp(b),
            (Overdue(_), _) => Ordering::Less,
            (_, Overdue(_)) => Ordering::Greater,
            (Due(a), Due(b)) => a.total_cmp(b),
        }
    }
}

/// Keeps the first-ranked articles seen so far (by [`Turn`]) with their weights: how a slot
/// finds its best group in one pass, over a pool or over articles streamed from the archive.
#[derive(Debug)]
pub(crate) struct BestGroup<T> {
    turn: Option<Turn>,
    members: Vec<T>,
    /// The members' weights, when the rules weigh (else every draw is uniform, and a group of
    /// 100,000 never-shared articles holds no weights).
    weights: Vec<f64>,
    weighted: bool,
}

impl<T> BestGroup<T> {
    /// An empty group; `weighted`: whether the rules give weights.
    pub(crate) fn new(weighted: bool) -> Self {
        BestGroup {
            turn: None,
            members: Vec::new(),
            weights: Vec::new(),
            weighted,
        }
    }

    /// Offers one eligible article.
    pub(crate) fn offer(&mut self, turn: Turn, item: T, weight: f64) {
        match self.turn.map(|t| turn.order(&t)) {
            Some(Ordering::Greater) => return,
            Some(Ordering::Equal) => {}
            _ => {
                self.members.clear();
                self.weights.clear();
                self.turn = Some(turn);
            }
        }
        self.members.push(item);
        if self.weighted {
            self.weights.push(weight);
        }
    }

    /// Takes one member at random, in proportion to its weight (uniformly when all weigh the
    /// same: one draw, as before weights existed, so unweighted plans did not change).
    pub(crate) fn draw<R: Rng>(&mut self, rng: &mut R) -> Option<T> {
        if self.members.is_empty() {
            return None;
        }
        let uniform = self.weights.iter().all(|w| *w == self.weights[0]);
        let pick = if uniform {
            rng.random_range(0..self.members.len())
        } else {
            let total: f64 = self.weights.iter().sum();
            let mut r = rng.random::<f64>() * total;
            let mut pick = self.members.len() - 1;
            for (i, w) in self.weights.iter().enumerate() {
                if r < *w {
                    pick = i;
                    break;
                }
                r -= w;
            }
            pick
        };
        if self.weighted {
            self.weights.swap_remove(pick);
        }
        Some(self.members.swap_remove(pick))
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
    /// Links that led to a private address.
    pub private_link: usize,
    /// Without a readable date (skipped).
    pub undated: usize,
    /// Past their end date.
    pub expired: usize,
    /// Shared `max_shares` times.
    pub retired: usize,
}

impl fmt::Display for Census {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} archived: {} eligible, {} too young, {} too old, {} excluded, {} in cooldown, {} dead",
            self.total, self.eligible, self.too_young, self.too_old, self.excluded, self.cooldown, self.dead
        )?;
        for (n, what) in [
            (self.undated, "undated"),
            (self.expired, "expired"),
            (self.retired, "retired"),
            (self.private_link, "with a link to a private address"),
        ] {
            if n > 0 {
                write!(f, ", {n} {what}")?;
            }
        }
        Ok(())
    }
}

/// An account's view of the archive, made once for many slots (a day's plan, a 30-day
/// preview): what does not change between slots (dead links, exclusions, evergreen, end dates,
/// weights) is judged once per article, and the share log is held by article position, so a
/// slot is one pass over a compact array, with no hashing and no category text touched.
///
/// One byte per article is read at every slot (what it is whatever the time); evergreen flags,
/// end dates, weights and share counts are held only when the rules use them: a slot's pass
/// over 100,000 articles stays within the processor's cache (a 32-byte record per article made
/// a 30-day preview about 10% slower).
pub(crate) struct Pool<'a> {
    articles: &'a [Article],
    rules: Rules,
    fixed: Vec<Fixed>,
    /// Whether each article is evergreen, when some are.
    evergreen: Option<Vec<bool>>,
    /// Each article's end, when some rule ends articles.
    expires: Option<Vec<Option<DateTime<Utc>>>>,
    /// Each article's weight, when the rules weigh.
    weights: Option<Vec<f64>>,
    last: Vec<Option<DateTime<Utc>>>,
    /// How many times each article appeared, when the rules retire articles.
    times: Option<Vec<u32>>,
    /// What each article's shares drew (see [`Rules::learned`]), when the rules learn.
    learned: Option<Vec<(f64, u32)>>,
    /// Whether each article's last shares drew nothing, when the rules retire silent ones.
    silent: Option<Vec<bool>>,
}

/// The part of a verdict that does not depend on the time of the share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixed {
    Open,
    Undated,
    Dead,
    PrivateLink,
    Excluded,
}

impl<'a> Pool<'a> {
    /// `log`: the account's share log.
    pub(crate) fn new(
        articles: &'a [Article],
        settings: &SelectSettings,
        log: &ShareLog,
    ) -> Pool<'a> {
        let rules = Rules::new(settings);
        let fixed = articles.iter().map(|a| rules.fixed(a)).collect();
        let has_evergreen = !rules.evergreen.is_empty() || !rules.evergreen_urls.is_empty();
        let evergreen =
            has_evergreen.then(|| articles.iter().map(|a| rules.evergreen(a)).collect());
        let expires =
            (!rules.expire.is_empty()).then(|| articles.iter().map(|a| rules.expires(a)).collect());
        let weights =
            (!rules.weights.is_empty()).then(|| articles.iter().map(|a| rules.weight(a)).collect());
        // The archive gives its articles in key order: then each share finds its article by
        // bisection (a few hundred shares against 100,000 hashed keys at every slot).
        let lasts = log.lasts();
        let last = if articles.windows(2).all(|w| w[0].key < w[1].key) {
            let mut last = vec![None; articles.len()];
            for (key, at) in lasts {
                if let Ok(i) = articles.binary_search_by(|a| a.key.as_str().cmp(key)) {
                    last[i] = Some(*at);
                }
            }
            last
        } else {
            articles
                .iter()
                .map(|a| lasts.get(&a.key).copied())
                .collect()
        };
        let times = rules
            .max_shares
            .map(|_| articles.iter().map(|a| log.times(&a.key)).collect());
        let learned = rules.learn.then(|| {
            let typical = log.typical();
            let of = |a: &Article| rules.learned(log, &a.key, typical);
            articles.iter().map(of).collect()
        });
        let silent = rules.silent_after.map(|_| {
            let of = |a: &Article| rules.silent(log.engagement(&a.key));
            articles.iter().map(of).collect()
        });
        Pool {
            articles,
            rules,
            fixed,
            evergreen,
            expires,
            weights,
            last,
            times,
            learned,
            silent,
        }
    }

    fn weight(&self, i: usize) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w[i])
    }

    /// Why `article` (one of the pool's) comes first at `at`: see [`Rules::reason`].
    pub(crate) fn reason(&self, article: &Article, log: &ShareLog, at: DateTime<Utc>) -> String {
        self.rules.reason(article, log, at)
    }

    /// Article `i`'s turn (eligible, last shared at `last`); `learn` draws from `rng`.
    fn turn<R: Rng>(
        &self,
        bounds: &Bounds,
        i: usize,
        last: Option<DateTime<Utc>>,
        rng: &mut R,
    ) -> Turn {
        match &self.learned {
            Some(l) => bounds.turn_drawn(last, self.weight(i), l[i], rng),
            None => bounds.turn(last, self.weight(i)),
        }
    }

    /// Counts a share of article `index` at `at` (a planned one, in a simulation).
    pub(crate) fn shared(&mut self, index: usize, at: DateTime<Utc>) {
        if let Some(last) = self.last.get_mut(index) {
            *last = Some(last.map_or(at, |t| t.max(at)));
        }
        if let Some(times) = self.times.as_mut().and_then(|t| t.get_mut(index)) {
            *times += 1;
        }
    }

    /// The eligible articles for a share at `at`, best first (see the module's doc); ties in
    /// random order (from `rng`, seeded by the caller), in proportion to weight. The order is
    /// made as it is read: a slot takes the first article almost always, and finding it needs
    /// one pass and one random draw, not a shuffle and a sort of the whole archive.
    pub(crate) fn rank<R: Rng>(&self, at: DateTime<Utc>, mut rng: R) -> Ranking<'_, 'a, R> {
        let mut census = Census {
            total: self.articles.len(),
            ..Census::default()
        };
        let mut best = BestGroup::new(self.weights.is_some());
        let bounds = Bounds::new(&self.rules, at);
        for i in 0..self.articles.len() {
            let Some(last) = self.eligible(i, &bounds, &mut census) else {
                continue;
            };
            census.eligible += 1;
            let weight = self.weight(i);
            best.offer(self.turn(&bounds, i, last, &mut rng), i, weight);
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
        let fixed = self.fixed[i];
        if fixed == Fixed::Undated {
            census.undated += 1;
        } else if bounds.too_young(article) {
            census.too_young += 1;
        } else if bounds.too_old(article) && !self.evergreen.as_ref().is_some_and(|e| e[i]) {
            census.too_old += 1;
        } else if fixed == Fixed::Dead {
            census.dead += 1;
        } else if fixed == Fixed::PrivateLink {
            census.private_link += 1;
        } else if fixed == Fixed::Excluded {
            census.excluded += 1;
        } else if self
            .expires
            .as_ref()
            .is_some_and(|e| e[i].is_some_and(|end| bounds.at >= end))
        {
            census.expired += 1;
        } else if self
            .times
            .as_ref()
            .is_some_and(|t| self.rules.retired(t[i]))
            || self.silent.as_ref().is_some_and(|s| s[i])
        {
            census.retired += 1;
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
    at: DateTime<Utc>,
    /// Published after this: too young.
    young_after: DateTime<Utc>,
    /// Published before this: too old.
    old_before: DateTime<Utc>,
    /// Last shared after this: in cooldown.
    cooling_after: DateTime<Utc>,
    /// Last shared before this: waiting past the starvation bound (none when learning: its
    /// draws give every article its chances, and never-shared ones still go first).
    overdue_before: DateTime<Utc>,
}

impl Bounds {
    fn new(rules: &Rules, at: DateTime<Utc>) -> Bounds {
        let minus = |d: Duration| at.checked_sub_signed(d).unwrap_or(DateTime::<Utc>::MIN_UTC);
        Bounds {
            at,
            young_after: minus(rules.min_age),
            old_before: minus(rules.max_age),
            cooling_after: minus(rules.cooldown),
            overdue_before: match rules.learn {
                true => DateTime::<Utc>::MIN_UTC,
                false => minus(rules.cooldown * (1 + STARVE_PERIODS)),
            },
        }
    }

    /// An eligible article's turn: see the module's doc.
    fn turn(&self, last: Option<DateTime<Utc>>, weight: f64) -> Turn {
        match last {
            None => Turn::Never,
            Some(last) if last < self.overdue_before => Turn::Overdue(last),
            // In whole seconds from timestamps: cheaper than a chrono difference, and this is
            // computed for every eligible article at every slot.
            Some(last) => Turn::Due((last.timestamp() - self.at.timestamp()) as f64 * weight),
        }
    }

    /// `learn`'s turn: never shared first, then by a draw from what the article's shares drew
    /// (Thompson sampling: a Gamma posterior over its engagement per share, measured in the
    /// account's typical share, from a prior of one typical share), times its weight. A
    /// rarely shared article draws widely, so it keeps its chances; a much shared one draws
    /// close to what it earns.
    fn turn_drawn<R: Rng>(
        &self,
        last: Option<DateTime<Utc>>,
        weight: f64,
        (sum, n): (f64, u32),
        rng: &mut R,
    ) -> Turn {
        use rand_distr::Distribution;
        let Some(last) = last else {
            return Turn::Never;
        };
        if last < self.overdue_before {
            return Turn::Overdue(last);
        }
        // Shape and scale are positive and finite: the sum is of counts over a typical share
        // of at least 1.
        let drawn = rand_distr::Gamma::new(1.0 + sum, 1.0 / (1.0 + f64::from(n)))
            .map(|g| g.sample(rng))
            .unwrap_or(1.0);
        Turn::Due(-(drawn * weight))
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
    group: BestGroup<usize>,
    /// Everything after the first group, in order, once asked for (reversed: popped).
    rest: Option<Vec<usize>>,
}

impl<'a, R: Rng> Iterator for Ranking<'_, 'a, R> {
    type Item = (usize, &'a Article);

    fn next(&mut self) -> Option<Self::Item> {
        let i = match self.group.draw(&mut self.rng) {
            Some(i) => i,
            None => {
                if self.rest.is_none() {
                    self.rest = Some(self.the_rest());
                }
                self.rest.as_mut()?.pop()?
            }
        };
        Some((i, &self.pool.articles[i]))
    }
}

impl<R: Rng> Ranking<'_, '_, R> {
    /// The eligible articles after the first group, in turn order, ties in random order (a
    /// shuffle, then a stable sort). Rare: only when no article of the first group fits the
    /// network.
    fn the_rest(&mut self) -> Vec<usize> {
        let pool = self.pool;
        let mut census = Census::default();
        let bounds = Bounds::new(&pool.rules, self.at);
        let mut keyed: Vec<(Turn, usize)> = (0..pool.articles.len())
            .filter_map(|i| {
                let last = pool.eligible(i, &bounds, &mut census)?;
                Some((pool.turn(&bounds, i, last, &mut self.rng), i))
            })
            .collect();
        // The first group's turn is the smallest: all of its members were given already.
        if let Some(min) = keyed.iter().map(|(k, _)| *k).min_by(Turn::order) {
            keyed.retain(|(k, _)| k.order(&min) != Ordering::Equal);
        }
        keyed.shuffle(&mut self.rng);
        keyed.sort_by(|a, b| a.0.order(&b.0));
        keyed.into_iter().rev().map(|(_, i)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;
    use std::collections::HashMap;

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
            private_link: false,
            undated: false,
            feed: String::new(),
        }
    }

    /// A log in which `key` was shared once, at `at`.
    fn shared_at(key: &str, at: DateTime<Utc>) -> ShareLog {
        ShareLog::from_lasts(HashMap::from([(key.to_string(), at)]))
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn settings() -> SelectSettings {
        SelectSettings {
            min_age_days: 30,
            max_age_days: 90,
            exclude_categories: vec!["Événements".into(), "news".into()],
            exclude_urls: vec![UrlGlob::new("*/private/*").unwrap()],
            cooldown_days: 90,
            check_link: false,
            ..SelectSettings::default()
        }
    }

    fn rules() -> Rules {
        Rules::new(&settings())
    }

    #[test]
    fn age_is_measured_at_the_share_time() {
        let r = rules();
        let a = article("a", 29, &[]);
        assert_eq!(r.verdict(&a, t0(), &ShareLog::default()), Verdict::TooYoung);
        assert_eq!(
            r.verdict(&a, t0() + Duration::days(1), &ShareLog::default()),
            Verdict::Eligible
        );
        assert_eq!(
            r.verdict(&a, t0() + Duration::days(61), &ShareLog::default()),
            Verdict::Eligible
        );
        assert_eq!(
            r.verdict(&a, t0() + Duration::days(62), &ShareLog::default()),
            Verdict::TooOld
        );
    }

    #[test]
    fn exclusions_fold_case_and_accents() {
        let r = rules();
        assert_eq!(
            r.verdict(
                &article("e", 40, &["SEO", "evenements"]),
                t0(),
                &ShareLog::default()
            ),
            Verdict::ExcludedCategory("evenements".into())
        );
        assert_eq!(
            r.verdict(&article("n", 40, &["NEWS"]), t0(), &ShareLog::default()),
            Verdict::ExcludedCategory("NEWS".into())
        );
        assert_eq!(
            r.verdict(
                &article("ok", 40, &["Newsletter"]),
                t0(),
                &ShareLog::default()
            ),
            Verdict::Eligible
        );
        assert_eq!(
            r.verdict(&article("private/x", 40, &[]), t0(), &ShareLog::default()),
            Verdict::ExcludedUrl("*/private/*".into())
        );
    }

    #[test]
    fn undated_articles_are_skipped_unless_dated_at_first_sight() {
        let mut a = article("u", 45, &[]);
        a.undated = true;
        assert_eq!(
            rules().verdict(&a, t0(), &ShareLog::default()),
            Verdict::Undated
        );
        let first_seen = SelectSettings {
            undated: crate::config::Undated::FirstSeen,
            ..settings()
        };
        assert_eq!(
            Rules::new(&first_seen).verdict(&a, t0(), &ShareLog::default()),
            Verdict::Eligible
        );
    }

    #[test]
    fn cooldown() {
        let r = rules();
        let a = article("a", 40, &[]);
        assert_eq!(
            r.verdict(&a, t0(), &shared_at("a", t0() - Duration::days(89))),
            Verdict::Cooldown
        );
        assert_eq!(
            r.verdict(&a, t0(), &shared_at("a", t0() - Duration::days(91))),
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
            cooldown_days: 0,
            check_link: false,
            ..SelectSettings::default()
        };
        last.insert("a0".to_string(), t0() - Duration::days(5));
        last.insert("a1".to_string(), t0() - Duration::days(10));
        let pool = Pool::new(&arts, &settings, &ShareLog::from_lasts(last.clone()));
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
        let mut pool = Pool::new(&arts, &settings, &ShareLog::from_lasts(last.clone()));
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
    /// Every lifetime rule at once: evergreen "SEO" articles past 90 days, an end date that
    /// passes during the test, articles retired after 2 shares.
    fn lifetimes() -> SelectSettings {
        SelectSettings {
            evergreen_categories: vec!["seo".into()],
            expire_urls: vec![(UrlGlob::new("*/a1?/").unwrap(), t0() + Duration::days(10))],
            max_shares: Some(2),
            weights: vec![("seo".into(), 2.0)],
            ..settings()
        }
    }

    #[test]
    fn the_pool_agrees_with_the_verdicts() {
        let mut arts = Vec::new();
        let mut log = ShareLog::default();
        let shared = crate::archive::Outcome::Shared;
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
            a.private_link = i % 13 == 0;
            a.undated = i % 13 == 0;
            if i % 3 == 0 {
                log.add(&a.key, t0() - Duration::days(i % 150), shared, None);
            }
            if i % 6 == 0 {
                log.add(&a.key, t0() - Duration::days(400), shared, None);
            }
            arts.push(a);
        }
        // In the order given, and in key order (the archive's: shares found by bisection).
        let mut sorted = arts.clone();
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        for (arts, at, settings) in [
            (&arts, t0(), settings()),
            (&sorted, t0(), settings()),
            (&sorted, t0() + Duration::days(45), settings()),
            (&sorted, t0(), lifetimes()),
            (&sorted, t0() + Duration::days(45), lifetimes()),
        ] {
            let r = Rules::new(&settings);
            let pool = Pool::new(arts, &settings, &log);
            let ranking = pool.rank(at, rand::rngs::StdRng::seed_from_u64(3));
            let census = ranking.census;
            let mut ranked: Vec<&str> = ranking.map(|(_, a)| a.key.as_str()).collect();
            let mut expected = Census {
                total: arts.len(),
                ..Census::default()
            };
            let mut eligible = Vec::new();
            for a in arts {
                match r.verdict(a, at, &log) {
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
                    Verdict::PrivateLink => expected.private_link += 1,
                    Verdict::Undated => expected.undated += 1,
                    Verdict::Expired(_) => expected.expired += 1,
                    Verdict::Retired => expected.retired += 1,
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

    /// With weights, the longest weighted wait goes first; an article past the starvation
    /// bound goes before any weight; never-shared ones are drawn in proportion to weight.
    #[test]
    fn weights_order_what_is_due_and_never_starve() {
        let settings = SelectSettings {
            cooldown_days: 10,
            weights: vec![("heavy".into(), 3.0)],
            ..settings()
        };
        let rules = Rules::new(&settings);
        let days = |n| Some(t0() - Duration::days(n));
        // Heavy, shared 12 days ago (weighted wait 36) before light, shared 20 days ago (20).
        assert_eq!(
            rules
                .turn(days(12), 3.0, t0())
                .order(&rules.turn(days(20), 1.0, t0())),
            Ordering::Less
        );
        // Light, shared 31 days ago: past 10 + 2 × 10 days, it goes first whatever the weight.
        let overdue = rules.turn(days(31), 1.0, t0());
        assert_eq!(overdue, Turn::Overdue(t0() - Duration::days(31)));
        assert_eq!(
            overdue.order(&rules.turn(days(29), 3.0, t0())),
            Ordering::Less
        );
        assert_eq!(Turn::Never.order(&overdue), Ordering::Less);

        // Never shared: drawn three times as often when three times as heavy.
        let arts = vec![article("h", 40, &["Heavy"]), article("l", 40, &[])];
        let pool = Pool::new(&arts, &settings, &ShareLog::default());
        let heavy_first = (0..4000)
            .filter(|seed| {
                let mut r = pool.rank(t0(), rand::rngs::StdRng::seed_from_u64(*seed));
                r.next().unwrap().1.key == "h"
            })
            .count();
        assert!(
            (2850..=3150).contains(&heavy_first),
            "{heavy_first} of 4000"
        );
    }

    /// `retire_after_silent`: an article whose last N read-back shares drew nothing retires;
    /// one that drew something in them does not.
    #[test]
    fn silent_articles_retire() {
        let settings = SelectSettings {
            retire_after_silent: Some(2),
            cooldown_days: 0,
            ..settings()
        };
        let r = Rules::new(&settings);
        let a = article("a", 40, &[]);
        let mut log = shared_at("a", t0() - Duration::days(30));
        log.engaged("a", 3);
        log.engaged("a", 0);
        assert_eq!(r.verdict(&a, t0(), &log), Verdict::Eligible);
        log.engaged("a", 0);
        assert_eq!(r.verdict(&a, t0(), &log), Verdict::Retired);
        let pool = Pool::new(std::slice::from_ref(&a), &settings, &log);
        assert_eq!(
            pool.rank(t0(), rand::rngs::StdRng::seed_from_u64(1))
                .census
                .retired,
            1
        );
    }
}
