use super::FeedError;
use crate::config::{FeedSettings, FeedSource};
use std::io::Read;

/// HTTP cache validators from the last successful read: with them a server can answer
/// "304 Not Modified" and a refresh costs nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    /// The URL they belong to (validators of another URL are not sent).
    pub url: String,
    /// `ETag` as sent by the server.
    pub etag: Option<String>,
    /// `Last-Modified` as sent by the server.
    pub last_modified: Option<String>,
}

/// The result of a conditional read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fetched {
    /// The server said nothing changed since the validators were stored.
    NotModified,
    /// New content, with the validators to send next time (when the server gave any).
    Body {
        /// The bytes, never re-decoded as text.
        bytes: Vec<u8>,
        /// Validators for the next read.
        validators: Option<Validators>,
    },
}

/// Reads the feed's bytes (never re-decoded as text: the XML declares its own encoding). A
/// one-off read with a client of its own; what reads feeds again and again keeps a
/// [`crate::http::Web`] and calls [`fetch_conditional`].
pub async fn fetch(settings: &FeedSettings) -> Result<Vec<u8>, FeedError> {
    let web = crate::http::Web::new(crate::http::Trusted::default(), []);
    match fetch_conditional(&web, settings, None).await? {
        Fetched::Body { bytes, .. } => Ok(bytes),
        Fetched::NotModified => Ok(Vec::new()),
    }
}

/// Reads the feed (over HTTP with `web`'s feed client, built only then), sending
/// `If-None-Match` / `If-Modified-Since` when validators for this URL are known.
pub(crate) async fn fetch_conditional(
    web: &crate::http::Web,
    settings: &FeedSettings,
    known: Option<&Validators>,
) -> Result<Fetched, FeedError> {
    match &settings.source {
        FeedSource::File(path) => Ok(Fetched::Body {
            bytes: read_file(path, settings.max_size)?,
            validators: None,
        }),
        FeedSource::Url(url) => {
            let client = web.feeds().map_err(|reason| FeedError::Http {
                url: crate::redact::url(url.as_str()),
                reason,
            })?;
            download(
                client.get(url.as_str()),
                url.as_str(),
                settings,
                known.filter(|v| v.url == url.as_str()),
            )
            .await
        }
    }
}

/// Reads an older page of a feed (a URL its content gave) through the client for that
/// content, within the feed's limits.
pub(crate) async fn fetch_page(
    pages: &crate::http::Pages,
    url: &url::Url,
    settings: &FeedSettings,
) -> Result<Fetched, FeedError> {
    let request = pages.get(url).map_err(|e| FeedError::Http {
        url: crate::redact::url(url.as_ref()),
        reason: e.to_string(),
    })?;
    download(request, url.as_str(), settings, None).await
}

/// What a link check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LinkStatus {
    /// The page answers.
    Alive,
    /// 404 or 410: never share it.
    Dead(u16),
    /// Could not tell (timeout, 5xx…): shared anyway, a slow blog is not a dead article.
    Unknown(String),
    /// It leads (at once or by a redirect) to a private address: never shared.
    Refused(crate::http::Refused),
}

/// Checks an article link just before it is shared, through the client for its feed's content
/// (`pages`): HEAD, falling back to GET for servers that refuse HEAD.
pub(crate) async fn check_link(
    pages: &crate::http::Pages,
    url: &str,
    timeout: std::time::Duration,
) -> LinkStatus {
    let Ok(url) = url::Url::parse(url) else {
        return LinkStatus::Unknown("not a URL".into());
    };
    let send = |request: Result<reqwest::RequestBuilder, crate::http::PageError>| async {
        match request {
            Err(crate::http::PageError::Refused(r)) => Err(LinkStatus::Refused(r)),
            Err(e) => Err(LinkStatus::Unknown(e.to_string())),
            Ok(r) => match r.timeout(timeout).send().await {
                Ok(r) => Ok(r.status().as_u16()),
                Err(e) => Err(match crate::http::refusal(&e) {
                    Some(r) => LinkStatus::Refused(r),
                    None => LinkStatus::Unknown(crate::http::describe(e)),
                }),
            },
        }
    };
    let mut status = match send(pages.head(&url)).await {
        Ok(s) => s,
        Err(why) => return why,
    };
    if matches!(status, 405 | 501 | 403) {
        status = match send(pages.get(&url)).await {
            Ok(s) => s,
            Err(why) => return why,
        };
    }
    match status {
        404 | 410 => LinkStatus::Dead(status),
        200..=399 => LinkStatus::Alive,
        other => LinkStatus::Unknown(format!("HTTP {other}")),
    }
}

/// What the daemon knows of an article's link without requesting it (`check_link = false`):
/// whether its host leads to a private address (a name is resolved, nothing is fetched).
pub(crate) async fn vet_link(pages: &crate::http::Pages, url: &str) -> LinkStatus {
    let Ok(url) = url::Url::parse(url) else {
        return LinkStatus::Alive;
    };
    match pages.vet(&url).await {
        Ok(()) => LinkStatus::Alive,
        Err(r) => LinkStatus::Refused(r),
    }
}

fn read_file(path: &std::path::Path, limit: u64) -> Result<Vec<u8>, FeedError> {
    let io = |source| FeedError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    // Sized once: a growing buffer would hold its old and new copies at once (up to 1.8× the
    // file at the peak).
    let size = file.metadata().map_or(0, |m| m.len()).min(limit + 1);
    let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0) + 1);
    file.take(limit + 1).read_to_end(&mut buf).map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(FeedError::TooLarge {
            source_name: path.display().to_string(),
            limit,
        });
    }
    Ok(buf)
}

/// Downloads a feed's body within its size cap and time limit. Long because the steps must
/// stay in this order to keep their promises (the conditional request, the status, the
/// declared length, the cache validators, the body counted as it arrives decompressed), each
/// with its own error.
async fn download(
    request: reqwest::RequestBuilder,
    url: &str,
    settings: &FeedSettings,
    known: Option<&Validators>,
) -> Result<Fetched, FeedError> {
    let http_err = |e: reqwest::Error| FeedError::Http {
        url: crate::redact::url(url),
        reason: crate::http::describe(e),
    };
    let mut request = request
        .timeout(settings.timeout)
        .header(reqwest::header::ACCEPT, "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8");
    if let Some(v) = known {
        if let Some(etag) = &v.etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &v.last_modified {
            request = request.header(reqwest::header::IF_MODIFIED_SINCE, lm);
        }
    }
    let mut response = request.send().await.map_err(http_err)?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_MODIFIED && known.is_some() {
        return Ok(Fetched::NotModified);
    }
    if !status.is_success() {
        return Err(FeedError::Status {
            url: crate::redact::url(url),
            status: status.as_u16(),
        });
    }
    let limit = settings.max_size;
    let too_large = || FeedError::TooLarge {
        source_name: crate::redact::url(url),
        limit,
    };
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = header(reqwest::header::ETAG);
    let last_modified = header(reqwest::header::LAST_MODIFIED);
    let validators = (etag.is_some() || last_modified.is_some()).then(|| Validators {
        url: crate::redact::url(url),
        etag,
        last_modified,
    });
    // Chunks arrive decompressed, so the cap also stops a gzip bomb after `limit` bytes.
    // Sized from Content-Length when the server gives it (checked against the limit above).
    let expected = response.content_length().unwrap_or(0);
    let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(http_err)? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched::Body {
        bytes: body,
        validators,
    })
}
