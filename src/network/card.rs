//! The link card under a post: Bluesky (`app.bsky.embed.external`) and LinkedIn (an article
//! share) do not fetch pages: the poster supplies title, description and thumbnail. Encore
//! reads them from the article's Open Graph tags (falling back to the feed's title) and uploads
//! the `og:image` when it is an image under the 1,000,000-byte blob limit; anything that goes
//! wrong costs the thumbnail, never the post. The page and its image are the feed's content,
//! so they are read with the client for it ([`crate::http::Pages`]): never from a private
//! address unless the feed allows it.

/// The largest thumbnail the lexicon accepts.
pub(crate) const MAX_THUMB_BYTES: usize = 1_000_000;
/// How much of an article page is read looking for its `<head>` tags.
const MAX_PAGE_BYTES: usize = 2_000_000;

/// What the card shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PageMeta {
    /// `og:title`.
    pub title: Option<String>,
    /// `og:description`, else `<meta name="description">`.
    pub description: Option<String>,
    /// `og:image` (else `twitter:image`), resolved against the page's address.
    pub image: Option<url::Url>,
}

/// The attributes of one tag, names lowercased, values entity-decoded.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = tag;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        let name_len = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
            .unwrap_or(rest.len());
        if name_len == 0 {
            return out;
        }
        let name = rest[..name_len].to_ascii_lowercase();
        rest = rest[name_len..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (v, tail) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    let end = inner.find(q).unwrap_or(inner.len());
                    (&inner[..end], inner.get(end + 1..).unwrap_or(""))
                }
                _ => {
                    let end = after
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            rest = tail;
            html_escape::decode_html_entities(v).trim().to_string()
        } else {
            String::new()
        };
        out.push((name, value));
    }
}

/// Reads the Open Graph tags of an HTML page.
pub(crate) fn parse(html: &str, page: &url::Url) -> PageMeta {
    let lower = html.to_ascii_lowercase();
    let mut meta = PageMeta::default();
    let mut plain_description = None;
    let mut twitter_image = None;
    let mut from = 0;
    while let Some(p) = lower[from..].find("<meta") {
        let start = from + p + 5;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        from = end;
        let attrs = attributes(&html[start..end]);
        let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let key = get("property").or_else(|| get("name")).unwrap_or_default();
        let Some(content) = get("content").filter(|c| !c.is_empty()) else {
            continue;
        };
        match key.to_ascii_lowercase().as_str() {
            "og:title" if meta.title.is_none() => meta.title = Some(content),
            "og:description" if meta.description.is_none() => meta.description = Some(content),
            "description" if plain_description.is_none() => plain_description = Some(content),
            "og:image" | "og:image:url" | "og:image:secure_url" if meta.image.is_none() => {
                meta.image = page.join(&content).ok();
            }
            "twitter:image" if twitter_image.is_none() => twitter_image = page.join(&content).ok(),
            _ => {}
        }
        if lower[end..].trim_start().starts_with("</head") {
            break;
        }
    }
    meta.description = meta.description.or(plain_description);
    let web = |u: &url::Url| matches!(u.scheme(), "http" | "https");
    meta.image = meta.image.filter(web).or(twitter_image.filter(web));
    meta
}

/// Reads at most `limit` bytes of a GET answer; `Err` when it is larger or fails.
async fn read_limited(resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    if resp.content_length().is_some_and(|l| l > limit as u64) {
        return Err(format!("larger than {limit} bytes"));
    }
    let mut resp = resp;
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(crate::http::describe)? {
        buf.extend_from_slice(&chunk);
        if buf.len() > limit {
            return Err(format!("larger than {limit} bytes"));
        }
    }
    Ok(buf)
}

/// The article page's tags; empty when the page cannot be read.
pub(crate) async fn fetch_meta(pages: &crate::http::Pages, url: &str) -> Result<PageMeta, String> {
    let page = url::Url::parse(url).map_err(|e| e.to_string())?;
    let resp = pages
        .get(&page)
        .map_err(|e| e.to_string())?
        .header(reqwest::header::ACCEPT, "text/html")
        .send()
        .await
        .map_err(crate::http::describe)?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status().as_u16()));
    }
    let page = resp.url().clone();
    let bytes = match read_limited(resp, MAX_PAGE_BYTES).await {
        Ok(b) => b,
        Err(e) => return Err(e),
    };
    Ok(parse(&String::from_utf8_lossy(&bytes), &page))
}

/// The image's bytes and type, when it is an image small enough to be a thumbnail.
pub(crate) async fn fetch_image(
    pages: &crate::http::Pages,
    url: &url::Url,
) -> Result<(String, Vec<u8>), String> {
    let resp = pages
        .get(url)
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(crate::http::describe)?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status().as_u16()));
    }
    let mime = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !mime.starts_with("image/") {
        return Err(format!("not an image ({mime:?})"));
    }
    let bytes = read_limited(resp, MAX_THUMB_BYTES - 1).await?;
    Ok((mime, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_graph_tags_are_read_in_any_attribute_order() {
        let page = url::Url::parse("https://blog.example.org/2026/05/cafe/").unwrap();
        let html = r#"<!doctype html><html><head>
            <meta charset="utf-8">
            <meta name="description" content="Plain description">
            <meta content="Le café &amp; l&#39;été" property="og:title" />
            <META PROPERTY='og:description' CONTENT='Sur la terrasse'>
            <meta property="og:image" content="/img/cafe.jpg">
            </head><body><meta property="og:image" content="/wrong.jpg"></body></html>"#;
        let m = parse(html, &page);
        assert_eq!(m.title.as_deref(), Some("Le café & l'été"));
        assert_eq!(m.description.as_deref(), Some("Sur la terrasse"));
        assert_eq!(
            m.image.unwrap().as_str(),
            "https://blog.example.org/img/cafe.jpg"
        );
    }

    #[test]
    fn fallbacks_and_refusals() {
        let page = url::Url::parse("https://blog.example.org/a").unwrap();
        let html = r#"<meta name="description" content="Only this"><meta name="twitter:image" content="https://cdn.example.org/t.png"><meta property="og:image" content="javascript:alert(1)">"#;
        let m = parse(html, &page);
        assert_eq!(m.title, None);
        assert_eq!(m.description.as_deref(), Some("Only this"));
        assert_eq!(
            m.image.map(String::from).as_deref(),
            Some("https://cdn.example.org/t.png"),
            "a javascript: og:image is refused; twitter:image stands in"
        );
    }
}
