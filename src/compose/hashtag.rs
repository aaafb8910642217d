//! Hashtags from an article's categories.
//!
//! Bloggers' categories are phrases ("Médias sociaux", "SEO", "Web 2.0"); a hashtag is one word.
//! Encore CamelCases them and keeps every letter, accents and all scripts included, because peers
//! that lowercase or drop "ö" produce tags nobody follows.

use crate::config::MessageSettings;
use crate::text::fold;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The hashtags for these categories, in category order: mapped through `[message.hashtags]`
/// when listed there, else derived; de-duplicated case- and accent-insensitively; at most
/// `max_hashtags`.
pub(crate) fn for_categories(categories: &[String], settings: &MessageSettings) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for category in categories {
        let tags = match settings.hashtags.get(&fold(category)) {
            Some(mapped) => mapped.clone(),
            None => derive(category).into_iter().collect(),
        };
        for tag in tags {
            let key = fold(&tag);
            if !seen.contains(&key) {
                seen.push(key);
                out.push(tag);
            }
        }
    }
    out.truncate(settings.max_hashtags);
    out
}

/// "Médias sociaux" → "#MédiasSociaux", "SEO" → "#SEO", "web 2.0" → "#Web20", "2024" → none.
/// Words are split on anything that is not a letter, digit or mark; each word gets a capital first
/// letter unless it already has capitals of its own ("iPhone" stays "iPhone").
pub(crate) fn derive(category: &str) -> Option<String> {
    let nfc: String = category.nfc().collect();
    let mut tag = String::from("#");
    for word in nfc.split(|c: char| !(c.is_alphanumeric() || c == '_' || is_combining_mark(c))) {
        if word.is_empty() {
            continue;
        }
        if word.chars().any(char::is_uppercase) {
            tag.push_str(word);
        } else {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                tag.extend(first.to_uppercase());
                tag.push_str(chars.as_str());
            }
        }
    }
    let body = &tag[1..];
    if body.is_empty() || body.chars().all(|c| c.is_numeric() || c == '_') {
        return None;
    }
    Some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Template;
    use std::collections::BTreeMap;

    fn settings(max: usize, map: &[(&str, &[&str])]) -> MessageSettings {
        MessageSettings {
            templates: vec![Template::parse("{hashtags} {title} {url}").unwrap()],
            titles: None,
            text: String::new(),
            max_hashtags: max,
            hashtags: map
                .iter()
                .map(|(k, v)| (fold(k), v.iter().map(|s| s.to_string()).collect()))
                .collect::<BTreeMap<_, _>>(),
            utm: None,
        }
    }

    #[test]
    fn derivation_keeps_unicode_and_camel_cases() {
        assert_eq!(derive("Médias sociaux").as_deref(), Some("#MédiasSociaux"));
        assert_eq!(derive("SEO").as_deref(), Some("#SEO"));
        assert_eq!(derive("iPhone tips").as_deref(), Some("#iPhoneTips"));
        assert_eq!(derive("web 2.0").as_deref(), Some("#Web20"));
        assert_eq!(derive("L'été à Paris").as_deref(), Some("#LÉtéÀParis"));
        assert_eq!(derive("Größe & Übermut").as_deref(), Some("#GrößeÜbermut"));
        assert_eq!(derive("日本 旅行").as_deref(), Some("#日本旅行"));
        assert_eq!(derive("2024"), None);
        assert_eq!(derive("!!!"), None);
        assert_eq!(derive(""), None);
    }

    #[test]
    fn mapping_dedup_and_cap() {
        let s = settings(3, &[("medias sociaux", &["#SocialMedia"]), ("Divers", &[])]);
        let cats: Vec<String> = [
            "Médias sociaux",
            "Divers",
            "seo",
            "SEO",
            "Twitter",
            "Growth",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            for_categories(&cats, &s),
            vec!["#SocialMedia", "#Seo", "#Twitter"]
        );
        let s0 = settings(0, &[]);
        assert!(for_categories(&cats, &s0).is_empty());
    }
}
