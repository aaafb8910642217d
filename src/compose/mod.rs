//! Writing the message: hashtags first, then the title, the additional text and the link, fitted
//! to the network's limit without ever cutting the link or leaving a broken text.

pub(crate) mod hashtag;
mod wording;

use crate::archive::{Article, Wording};
use crate::config::{Account, MessageSettings, Template, TemplatePart, Utm};
use crate::vocab::LengthRule;
use unicode_segmentation::UnicodeSegmentation;
pub use wording::TitlePick;

/// A message ready to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The exact text.
    pub text: String,
    /// Its length as the network counts it.
    pub length: usize,
    /// The network's limit.
    pub limit: usize,
    /// The link in the text (with UTM parameters when configured).
    pub url: String,
    /// The hashtags kept in the text.
    pub hashtags: Vec<String>,
    /// The template variant that wrote it, 1-based, and how many there are.
    pub variant: (u32, u32),
    /// The title it was written with (before any cut to fit).
    pub title: String,
    /// Where that title comes from.
    pub title_pick: TitlePick,
    /// Why these words: for `preview`.
    pub why: String,
}

impl Message {
    /// The words to record with the post.
    pub fn wording(&self) -> Wording {
        Wording {
            variant: Some(self.variant.0),
            title: Some(self.title.clone()),
            text: self.text.clone(),
        }
    }

    /// How it was written, for `preview`: "variant 2/3, alternate title 1/2: least recently
    /// used for this article here".
    pub fn how(&self) -> String {
        format!(
            "variant {}/{}, {}: {}",
            self.variant.0, self.variant.1, self.title_pick, self.why
        )
    }
}

/// Why no valid message could be written for an article.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// Even the link and fixed text alone exceed the limit.
    #[error("cannot fit a message for {url} in {limit} characters: the link and fixed text alone take {length}")]
    TooLong {
        /// The article link.
        url: String,
        /// Shortest possible length.
        length: usize,
        /// The network's limit.
        limit: usize,
    },
    /// The link and fixed text fit, but not with even the title's first word: a message
    /// without its title (or with a word cut in half) reads as spam, so the article is passed
    /// over (found by fuzzing: a 250-character link).
    #[error("cannot fit {url} with its title in {limit} characters: the link and fixed text take {length}, leaving no room for the title's first word")]
    NoRoomForTitle {
        /// The article link.
        url: String,
        /// Length of the message without the title.
        length: usize,
        /// The network's limit.
        limit: usize,
    },
}

/// Titles are not shortened below this many characters before hashtags are dropped: a message
/// with three hashtags and a stub of a title reads as spam.
const MIN_TITLE_CHARS: usize = 40;

/// Writes the message for `article` on `account`'s network, measured by `rule` (the network's,
/// or what the account's server said of itself), in words its earlier shares there (`earlier`,
/// oldest first) did not use last: the template variant least recently used for the article,
/// the title least recently used with that variant (see [`wording`]). A variant that cannot fit
/// is passed over for the next; a text the same as the last share's is never chosen while
/// another fits.
pub fn compose(
    article: &Article,
    account: &Account,
    rule: LengthRule,
    earlier: &[Wording],
) -> Result<Message, ComposeError> {
    let settings = &account.message;
    let titles = wording::titles(article, settings, account.network);
    let last_text = earlier.last().map(|w| w.text.as_str());
    let mut first_error = None;
    let mut same_as_last = None;
    let mut unfit: Vec<usize> = Vec::new();
    for (v, t) in wording::order(settings.templates.len(), &titles, earlier) {
        let title = &titles.list[t];
        let network = account.network.as_str();
        match write(article, settings, v, title, rule, network, &account.name) {
            Ok(mut m) => {
                m.title_pick = titles.pick(t);
                if Some(m.text.as_str()) != last_text {
                    m.why = wording::why(earlier.is_empty(), &unfit);
                    return Ok(m);
                }
                same_as_last.get_or_insert(m);
            }
            Err(e) => {
                if !unfit.contains(&v) {
                    unfit.push(v);
                }
                first_error.get_or_insert(e);
            }
        }
    }
    match (same_as_last, first_error) {
        (Some(mut m), _) => {
            m.why = "the only words that fit, the same as the last share's".into();
            Ok(m)
        }
        (None, Some(e)) => Err(e),
        // No template at all (settings the config never makes): the default one.
        (None, None) => write(
            article,
            settings,
            0,
            &article.title,
            rule,
            account.network.as_str(),
            &account.name,
        ),
    }
}

/// The message in the first template with the article's own title: what tests, benchmarks and
/// fuzz targets measure (the pieces spelled out, other limits allowed).
pub fn compose_with(
    article: &Article,
    settings: &MessageSettings,
    rule: LengthRule,
    network: &str,
    account: &str,
) -> Result<Message, ComposeError> {
    write(article, settings, 0, &article.title, rule, network, account)
}

/// The message with template `variant` (0-based) and `title`.
fn write(
    article: &Article,
    settings: &MessageSettings,
    variant: usize,
    title: &str,
    rule: LengthRule,
    network: &str,
    account: &str,
) -> Result<Message, ComposeError> {
    let template = template(settings, variant);
    let url = match &settings.utm {
        Some(utm) => with_utm(&article.url, utm, network, account),
        None => article.url.clone(),
    };
    let mut tags = hashtag::for_categories(&article.categories, settings);
    if let Some(max) = crate::vocab::NetworkKind::from_name(network).and_then(|n| n.max_hashtags())
    {
        tags.truncate(max);
    }
    // A title is one bounded line with its bidirectional controls closed, whatever the archive
    // holds (runs of whitespace become one space, a blank title is no title: fuzzing found
    // "#F\nhttps://…"). The admin's additional text keeps its line breaks, not an open override.
    let written_title = title;
    let title = crate::text::clean_line(title);
    let title = title.as_ref();
    let text = crate::text::balance_bidi(&settings.text);
    let render = |n_tags: usize, title: &str| render(template, &tags[..n_tags], title, &text, &url);
    let done = |text: String, n_tags: usize| Message {
        length: rule.count(&text),
        limit: rule.max(),
        text,
        url: url.clone(),
        hashtags: tags[..n_tags].to_vec(),
        variant: (variant as u32 + 1, settings.templates.len() as u32),
        title: written_title.to_string(),
        title_pick: TitlePick::Original,
        why: String::new(),
    };

    // 1. Everything, then the title shortened down to MIN_TITLE_CHARS, with fewer and fewer tags.
    for n in (0..=tags.len()).rev() {
        let full = render(n, title);
        if rule.fits(&full) {
            return Ok(done(full, n));
        }
        if let Some(text) = shortest_cut_that_fits(title, MIN_TITLE_CHARS, |t| render(n, t), rule) {
            return Ok(done(text, n));
        }
    }
    // 2. No hashtags: shorten the title as far as needed.
    if let Some(text) = shortest_cut_that_fits(title, 1, |t| render(0, t), rule) {
        return Ok(done(text, 0));
    }
    let bare = render(0, "");
    if rule.fits(&bare) && title.is_empty() {
        return Ok(done(bare, 0));
    }
    let (length, limit) = (rule.count(&bare), rule.max());
    if length <= limit {
        return Err(ComposeError::NoRoomForTitle { url, length, limit });
    }
    Err(ComposeError::TooLong { url, length, limit })
}

/// Template `variant`, or the default one for settings without templates (which the config
/// never makes).
fn template(settings: &MessageSettings, variant: usize) -> &Template {
    static DEFAULT: std::sync::OnceLock<Template> = std::sync::OnceLock::new();
    match settings.templates.get(variant) {
        Some(t) => t,
        None => DEFAULT.get_or_init(Template::default),
    }
}

/// The longest cut of `title` (at a word boundary, ending in "…", at least `min_chars` long) whose
/// rendered message fits.
///
/// A longer cut never makes a shorter message, so the cut is found by bisection over the cut
/// points: a handful of measurements instead of one per word, and only the measured cuts are
/// ever written out, so time and memory stay linear in the title's length (issue: a list of
/// every cut was quadratic). A title that holds link-like text ("example.com", counted at a
/// link's fixed length once whole) can break that order; the cut found then still fits, if
/// shorter than it could be.
fn shortest_cut_that_fits(
    title: &str,
    min_chars: usize,
    render: impl Fn(&str) -> String,
    rule: LengthRule,
) -> Option<String> {
    // A cut whose head is only spaces and punctuation is no cut: those come first, if at all.
    let first_word = title.find(|c: char| !is_trimmed(c))?;
    let cuts: Vec<usize> = cut_points(title)
        .into_iter()
        .filter(|&cut| cut > first_word)
        .collect();
    let fitting = cuts.partition_point(|&cut| rule.fits(&render(&cut_title(title, cut))));
    let best = cut_title(title, *cuts.get(fitting.checked_sub(1)?)?);
    if best.graphemes(true).count() < min_chars {
        return None;
    }
    Some(render(&best))
}

/// What a cut leaves at the end of a head: spaces and the punctuation that would dangle.
fn is_trimmed(c: char) -> bool {
    c.is_whitespace() || ",;:-–—([{«\"'/".contains(c)
}

/// `title` cut at byte `cut`, with "…", its bidirectional controls closed after the "…" (the
/// cut may fall inside an embedding, whose text the "…" ends).
fn cut_title(title: &str, cut: usize) -> String {
    let head = format!("{}…", title[..cut].trim_end_matches(is_trimmed));
    crate::text::balance_bidi(&head).into_owned()
}

/// Byte offsets where a title may be cut, ascending: before whitespace, and between characters of
/// scripts written without spaces (CJK), where every character is a word.
fn cut_points(title: &str) -> Vec<usize> {
    let mut points = Vec::new();
    let mut prev_spaceless = false;
    for (i, seg) in title.split_word_bound_indices() {
        let first = seg.chars().next().unwrap_or(' ');
        let spaceless = is_spaceless_script(first);
        if i > 0 && (first.is_whitespace() || spaceless || prev_spaceless) {
            points.push(i);
        }
        prev_spaceless = spaceless;
    }
    points
}

fn is_spaceless_script(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x0E00..=0x0EFF | 0x1000..=0x109F | 0x20000..=0x2FFFF)
}

/// Fills the template and tidies the spaces left by empty parts (an empty `{text}`), keeping the
/// template's line breaks.
fn render(template: &Template, tags: &[String], title: &str, text: &str, url: &str) -> String {
    let mut raw = String::new();
    for part in &template.parts {
        match part {
            TemplatePart::Literal(s) => raw.push_str(s),
            TemplatePart::Hashtags => raw.push_str(&tags.join(" ")),
            TemplatePart::Title => raw.push_str(title),
            TemplatePart::Text => raw.push_str(text),
            TemplatePart::Url => raw.push_str(url),
        }
    }
    let lines: Vec<String> = raw
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    lines.join("\n").trim().to_string()
}

/// Adds the UTM parameters to `url`, keeping its other query parameters (and replacing any
/// UTM parameter of the same name already there).
pub(crate) fn with_utm(url: &str, utm: &Utm, network: &str, account: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| !utm.params.iter().any(|(name, _)| name == k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let had_query = parsed.query().is_some();
    if had_query && kept.len() == parsed.query_pairs().count() {
        // Nothing to replace: append, leaving the existing query exactly as the blog wrote it.
        let mut pairs = parsed.query_pairs_mut();
        for (k, v) in &utm.params {
            pairs.append_pair(k, &expand(v, network, account));
        }
    } else {
        parsed.set_query(None);
        let mut pairs = parsed.query_pairs_mut();
        for (k, v) in &kept {
            pairs.append_pair(k, v);
        }
        for (k, v) in &utm.params {
            pairs.append_pair(k, &expand(v, network, account));
        }
    }
    parsed.to_string()
}

fn expand(value: &str, network: &str, account: &str) -> String {
    value
        .replace("{network}", network)
        .replace("{account}", account)
}

#[cfg(test)]
mod tests;
