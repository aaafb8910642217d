//! A raw HTTP/1.1 server on 127.0.0.1 for the fake APIs and blogs.
//!
//! Raw rather than wiremock because the fakes must be able to act and then drop the
//! connection without answering: the ambiguous failure that idempotency keys, record keys and
//! reconcile exist for.

use std::collections::HashMap;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Header names lowercased.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://fake{}", self.target)).unwrap()
    }

    pub fn path(&self) -> String {
        self.url().path().to_string()
    }

    pub fn query(&self) -> HashMap<String, String> {
        self.url().query_pairs().into_owned().collect()
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering (a slow server; a client may die meanwhile).
    pub delay: Option<std::time::Duration>,
    /// Send only this many bytes of the body (Content-Length still promises all of it),
    /// then close: an answer cut in transit.
    pub truncate: Option<usize>,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply::bytes(status, "application/json", body.to_string().into_bytes())
    }

    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
            delay: None,
            truncate: None,
        }
    }

    pub fn truncated(mut self, to: usize) -> Reply {
        self.truncate = Some(to);
        self
    }

    pub fn delayed(mut self, by: std::time::Duration) -> Reply {
        self.delay = Some(by);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Handler = Arc<dyn Fn(Request) -> Option<Reply> + Send + Sync>;

/// Starts a server on a free port; `handler` answers each request, `None` drops the
/// connection without a word. Returns the base address (`http://127.0.0.1:PORT`).
pub async fn serve(handler: impl Fn(Request) -> Option<Reply> + Send + Sync + 'static) -> String {
    serve_on("127.0.0.1", handler).await
}

/// [`serve`] on another address of the machine (`127.0.0.2`: an "internal" service that is
/// not the blog's host).
pub async fn serve_on(
    ip: &str,
    handler: impl Fn(Request) -> Option<Reply> + Send + Sync + 'static,
) -> String {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handler: Handler = Arc::new(handler);
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                continue;
            };
            let h = handler.clone();
            tokio::spawn(async move { answer(sock, h).await });
        }
    });
    base
}

async fn answer(mut sock: TcpStream, handler: Handler) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or("");
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = HashMap::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = buf[head_end..head_end + len].to_vec();
    let req = Request {
        method,
        target,
        headers,
        body,
    };
    let Some(reply) = handler(req) else {
        let _ = sock.shutdown().await;
        return;
    };
    if let Some(d) = reply.delay {
        tokio::time::sleep(d).await;
    }
    let mut head = format!(
        "HTTP/1.1 {} Fake\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = sock.write_all(head.as_bytes()).await;
    let sent = reply.truncate.unwrap_or(usize::MAX).min(reply.body.len());
    let _ = sock.write_all(&reply.body[..sent]).await;
    let _ = sock.shutdown().await;
}
