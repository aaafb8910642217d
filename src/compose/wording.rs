//! Which words an article's next share uses: the template variant least recently used for the
//! article on the account, then the title least recently used with that variant (so that 3
//! variants and 3 titles make 9 different texts before one comes back, not 3), then the one
//! least recently used at all.

use crate::archive::{Article, Wording};
use crate::config::MessageSettings;
use crate::vocab::NetworkKind;
use std::fmt;

/// Where a message's title comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TitlePick {
    /// The article's own.
    Original,
    /// Alternate title `n` (1-based) of the `of` the titles file gives on this network.
    Alternate {
        /// Which, 1-based.
        n: u32,
        /// How many.
        of: u32,
    },
}

impl fmt::Display for TitlePick {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TitlePick::Original => f.write_str("original title"),
            TitlePick::Alternate { n, of } => write!(f, "alternate title {n}/{of}"),
        }
    }
}

/// The titles an article is shared under on one network: the original first unless the
/// titles file replaces it, then the file's alternates for that network.
pub(super) struct Titles {
    pub(super) list: Vec<String>,
    /// Whether `list[0]` is the article's own title.
    original: bool,
}

impl Titles {
    /// Where title `i` comes from.
    pub(super) fn pick(&self, i: usize) -> TitlePick {
        if self.original && i == 0 {
            return TitlePick::Original;
        }
        let alternates = self.list.len() - usize::from(self.original);
        TitlePick::Alternate {
            n: (i + 1 - usize::from(self.original)) as u32,
            of: alternates as u32,
        }
    }
}

/// The titles `article` rotates through on `network`.
pub(super) fn titles(
    article: &Article,
    settings: &MessageSettings,
    network: NetworkKind,
) -> Titles {
    let entry = settings
        .titles
        .as_ref()
        .and_then(|b| b.entry_for(&article.url));
    let alternates: Vec<String> = entry
        .map(|e| {
            e.titles_on(network)
                .iter()
                .map(|t| t.text.clone())
                .collect()
        })
        .unwrap_or_default();
    // A replaced title with no alternate on this network keeps the original: a message needs one.
    let original = !entry.is_some_and(|e| e.replace) || alternates.is_empty();
    let mut list = Vec::with_capacity(alternates.len() + 1);
    if original {
        list.push(article.title.clone());
    }
    list.extend(alternates);
    Titles { list, original }
}

/// Every (variant, title) pair, 0-based, in the order they should be tried: see the module's doc.
pub(super) fn order(variants: usize, titles: &Titles, earlier: &[Wording]) -> Vec<(usize, usize)> {
    // The position of the latest earlier share matching `f` (None: never; sorts first).
    let latest = |f: &dyn Fn(&Wording) -> bool| earlier.iter().rposition(f);
    let used_variant = |v: usize| move |w: &Wording| w.variant == Some(v as u32 + 1);
    let used_title = |t: usize| {
        let title = titles.list[t].as_str();
        move |w: &Wording| w.title.as_deref() == Some(title)
    };
    let mut vs: Vec<usize> = (0..variants).collect();
    vs.sort_by_key(|&v| (latest(&used_variant(v)), v));
    let mut out = Vec::with_capacity(variants * titles.list.len());
    for v in vs {
        let mut ts: Vec<usize> = (0..titles.list.len()).collect();
        ts.sort_by_key(|&t| {
            let with_v = latest(&|w| used_variant(v)(w) && used_title(t)(w));
            (with_v, latest(&used_title(t)), t)
        });
        out.extend(ts.into_iter().map(|t| (v, t)));
    }
    out
}

/// Why a share's words were chosen, for `preview`: `unfit` are the variants (0-based) passed
/// over before them because they did not fit with some title.
pub(super) fn why(first_share: bool, unfit: &[usize]) -> String {
    let mut why = match first_share {
        true => "first share of the article here".to_string(),
        false => "least recently used for the article here".to_string(),
    };
    for v in unfit {
        why.push_str(&format!("; variant {} does not fit", v + 1));
    }
    why
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(variant: u32, title: &str) -> Wording {
        Wording {
            variant: Some(variant),
            title: Some(title.into()),
            text: format!("{variant} {title}"),
        }
    }

    fn three_titles() -> Titles {
        Titles {
            list: vec!["Own".into(), "Alt 1".into(), "Alt 2".into()],
            original: true,
        }
    }

    /// Shares made one after the other, each taking the first pair the order gives: nine
    /// different pairs before any comes back, and never the same pair twice in a row.
    #[test]
    fn three_variants_and_three_titles_make_nine_texts_before_one_returns() {
        let titles = three_titles();
        let mut earlier = Vec::new();
        let mut pairs = Vec::new();
        for _ in 0..18 {
            let (v, t) = order(3, &titles, &earlier)[0];
            earlier.push(words(v as u32 + 1, &titles.list[t]));
            pairs.push((v, t));
        }
        let first: std::collections::HashSet<_> = pairs[..9].iter().collect();
        assert_eq!(first.len(), 9, "{pairs:?}");
        assert_eq!(pairs[..9], pairs[9..], "then the same round again");
        assert!(pairs.windows(2).all(|w| w[0].0 != w[1].0), "{pairs:?}");
    }

    #[test]
    fn one_variant_rotates_the_titles_and_old_shares_count_by_title() {
        let titles = three_titles();
        // A share from before variants were recorded: its title still counts.
        let earlier = vec![Wording {
            variant: None,
            title: Some("Own".into()),
            text: "Own https://b.org/a".into(),
        }];
        assert_eq!(order(1, &titles, &earlier)[0], (0, 1));
        assert_eq!(titles.pick(0), TitlePick::Original);
        assert_eq!(titles.pick(2).to_string(), "alternate title 2/2");
    }
}
