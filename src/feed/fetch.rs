use super::FeedError;
use crate::config::{FeedSettings, FeedSource};
use std::io::Read;

/// Reads the feed's bytes (never re-decoded as text: the XML declares its own encoding).
pub async fn fetch(settings: &FeedSettings) -> Result<Vec<u8>, FeedError> {
    match &settings.source {
        FeedSource::File(path) => read_file(path, settings.max_size),
        FeedSource::Url(url) => download(url.as_str(), settings).await,
    }
}

fn read_file(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, FeedError> {
    let io = |source| FeedError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut buf = Vec::new();
    file.take(limit + 1).read_to_end(&mut buf).map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(FeedError::TooLarge {
            source_name: path.display().to_string(),
            limit,
        });
    }
    Ok(buf)
}

async fn download(url: &str, settings: &FeedSettings) -> Result<Vec<u8>, FeedError> {
    let http_err = |e: reqwest::Error| FeedError::Http {
        url: url.to_string(),
        reason: describe(&e),
    };
    let client = crate::http::client(settings.timeout).map_err(http_err)?;
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8")
        .send()
        .await
        .map_err(http_err)?;
    let status = response.status();
    if !status.is_success() {
        return Err(FeedError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let limit = settings.max_size;
    let too_large = || FeedError::TooLarge {
        source_name: url.to_string(),
        limit,
    };
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    // Chunks arrive decompressed, so the cap also stops a gzip bomb after `limit` bytes.
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http_err)? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// reqwest's top-level message is vague ("error sending request"); the cause chain says why.
fn describe(e: &reqwest::Error) -> String {
    let mut out = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_redirect() {
        "too many redirects".to_string()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        source = s.source();
    }
    out
}
