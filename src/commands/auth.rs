use crate::config::{Config, Endpoint, XAuth};
use crate::error::Error;
use crate::network::session::SessionStore;
use crate::network::x::oauth2;
use std::io::Write;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// How long the admin has to log in before the listener gives up.
const LOGIN_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

/// `encore auth x`: OAuth 2.0 Authorization Code with PKCE for one X account.
///
/// Prints the address to open (no browser is assumed: the machine is often a server), then
/// waits for X to redirect to the one-shot listener on `redirect_uri`, or for the address the
/// browser ended on to be pasted on standard input (when the browser runs elsewhere and the
/// redirect cannot reach this machine). The tokens go to the state, mode 0600.
pub async fn auth_x(config: &Config, account: &str, out: &mut dyn Write) -> Result<(), Error> {
    let (x, app) = oauth2_app(config, account)?;
    let pkce = oauth2::Pkce::new();
    let state = oauth2::state();
    let url = oauth2::authorize_url(
        app.authorize_url,
        app.client_id,
        app.redirect_uri,
        &state,
        &pkce,
    );
    let code = login_code("X", account, &url, app.redirect_uri, &state, out).await?;
    let http = crate::http::client(crate::network::API_TIMEOUT)
        .map_err(|e| Error::Setup(format!("HTTP client: {e}")))?;
    let token_url = x
        .api_base
        .join("2/oauth2/token")
        .map_err(|e| Error::Setup(e.to_string()))?;
    let client = oauth2::Client {
        id: app.client_id,
        secret: app.secret.as_ref().map(|s| s.expose()),
    };
    let grant = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", app.redirect_uri.as_str()),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let tokens = oauth2::token_request(&http, &token_url, &client, &grant, chrono::Utc::now())
        .await
        .map_err(|e| Error::NotPosted(e.to_string()))?;
    if tokens.refresh_token.is_none() {
        tracing::warn!("X returned no refresh token (offline.access not granted?): the login lasts about 2 hours");
    }
    let store = SessionStore::new(&config.state_dir);
    store
        .save(account, &tokens)
        .map_err(|e| Error::Setup(e.to_string()))?;
    let network = crate::network::x::XNetwork::new(account, x, &store, crate::network::API_TIMEOUT)
        .map_err(|e| Error::Setup(e.to_string()))?;
    use crate::network::Network;
    match network.verify().await {
        Ok(info) => writeln!(
            out,
            "Logged in as {}; tokens stored for {account}.",
            info.handle
        )?,
        Err(e) => writeln!(
            out,
            "Tokens stored for {account}, but the profile check failed: {e}"
        )?,
    }
    Ok(())
}

/// `encore auth linkedin`: OAuth 2.0 Authorization Code for one LinkedIn account (LinkedIn
/// takes the client secret in the form; it gives no PKCE to most apps). The token and the
/// member's id go to the state, mode 0600; the admin is told when the login ends.
pub async fn auth_linkedin(
    config: &Config,
    account: &str,
    out: &mut dyn Write,
) -> Result<(), Error> {
    use crate::network::linkedin;
    let l = linkedin_settings(config, account)?;
    let secret = l
        .client_secret
        .resolve()
        .map_err(|e| Error::Setup(format!("account {account:?}: `client_secret`: {e}")))?;
    let state = oauth2::state();
    let url = linkedin::authorize_url(l, &state);
    let code = login_code("LinkedIn", account, &url, &l.redirect_uri, &state, out).await?;
    let http = crate::http::client(crate::network::API_TIMEOUT)
        .map_err(|e| Error::Setup(format!("HTTP client: {e}")))?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", l.redirect_uri.as_str()),
        ("client_secret", secret.expose()),
    ];
    let now = chrono::Utc::now();
    let token_url = linkedin::token_url(&l.authorize_url);
    let tokens = linkedin::exchange(&http, &token_url, &l.client_id, &form, now)
        .await
        .map_err(|e| Error::NotPosted(format!("LinkedIn refused the login: {e}")))?;
    let store = SessionStore::new(&config.state_dir);
    store
        .save(account, &tokens)
        .map_err(|e| Error::Setup(e.to_string()))?;
    let network = linkedin::LinkedInNetwork::new(account, l, &store, crate::network::API_TIMEOUT)
        .map_err(|e| Error::Setup(e.to_string()))?;
    let until = tokens
        .expires_at
        .map(|t| {
            let days = (t - now).num_days();
            format!("it lasts until {} ({days} days)", t.format("%Y-%m-%d"))
        })
        .unwrap_or_else(|| "LinkedIn did not say how long it lasts".into());
    use crate::network::Network;
    match network.verify().await {
        Ok(info) => writeln!(
            out,
            "Logged in as {}; token stored for {account}: {until}. Run this again before then; `encore status` counts the days. A running daemon takes the new login within the hour (`systemctl reload encore` at once, and to resume an account stopped by an expired login).",
            info.handle
        )?,
        Err(e) => writeln!(
            out,
            "Token stored for {account} ({until}), but the profile check failed: {e}"
        )?,
    }
    Ok(())
}

/// The LinkedIn settings of `account`; a usage error when it is not a LinkedIn account.
fn linkedin_settings<'a>(
    config: &'a Config,
    account: &str,
) -> Result<&'a crate::config::LinkedInSettings, Error> {
    let a = config
        .account(account)
        .ok_or_else(|| Error::Usage(format!("no account named {account:?}")))?;
    match &a.endpoint {
        Endpoint::LinkedIn(l) => Ok(l),
        _ => Err(Error::Usage(format!(
            "account {account:?} is not a LinkedIn account"
        ))),
    }
}

/// An X account's OAuth 2.0 app, as its config gives it.
struct App<'a> {
    client_id: &'a str,
    secret: Option<crate::config::secret::Secret>,
    authorize_url: &'a url::Url,
    redirect_uri: &'a url::Url,
}

/// The X settings and OAuth 2.0 app of `account`; a usage error when it is not an X account
/// on OAuth 2.0.
fn oauth2_app<'a>(
    config: &'a Config,
    account: &str,
) -> Result<(&'a crate::config::XSettings, App<'a>), Error> {
    let a = config
        .account(account)
        .ok_or_else(|| Error::Usage(format!("no account named {account:?}")))?;
    let Endpoint::X(x) = &a.endpoint else {
        return Err(Error::Usage(format!(
            "account {account:?} is not an X account"
        )));
    };
    let XAuth::OAuth2 {
        client_id,
        client_secret,
        authorize_url,
        redirect_uri,
    } = &x.auth
    else {
        return Err(Error::Usage(format!(
            "account {account:?} uses auth = \"oauth1\": its four keys need no login (set auth = \"oauth2\" and client_id to use OAuth 2.0)"
        )));
    };
    let secret = match client_secret {
        Some(r) => Some(
            r.resolve()
                .map_err(|e| Error::Setup(format!("account {account:?}: `client_secret`: {e}")))?,
        ),
        None => None,
    };
    let app = App {
        client_id,
        secret,
        authorize_url,
        redirect_uri,
    };
    Ok((x, app))
}

/// Says where to log in, waits for the redirect (or a pasted address) and gives its code,
/// once its `state` is this login's.
async fn login_code(
    network: &str,
    account: &str,
    url: &url::Url,
    redirect_uri: &url::Url,
    state: &str,
    out: &mut dyn Write,
) -> Result<String, Error> {
    let addr = format!(
        "{}:{}",
        redirect_uri.host_str().unwrap_or("127.0.0.1"),
        redirect_uri.port_or_known_default().unwrap_or(8765)
    );
    let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| {
        Error::Setup(format!(
            "cannot listen on {addr} for the login redirect ({e}); is another `encore auth` running?"
        ))
    })?;
    writeln!(
        out,
        "Open this address in a browser and allow access for {account}:\n\n{url}\n"
    )?;
    writeln!(
        out,
        "Waiting for {network} to redirect to {redirect_uri} (for up to {} minutes).\nIf the browser runs on another machine, paste here the address it ended on (it starts with {redirect_uri}).",
        LOGIN_WINDOW.as_secs() / 60
    )?;
    out.flush()?;
    let callback = tokio::time::timeout(
        LOGIN_WINDOW,
        wait_for_callback(&listener, redirect_uri, state),
    )
    .await
    .map_err(|_| {
        Error::NotPosted(format!(
            "no login within 10 minutes; run `encore auth {} --account {account}` again",
            network.to_lowercase()
        ))
    })??;
    let params: std::collections::HashMap<String, String> =
        callback.query_pairs().into_owned().collect();
    if let Some(err) = params.get("error") {
        let why = params
            .get("error_description")
            .map(String::as_str)
            .unwrap_or("");
        return Err(Error::NotPosted(format!(
            "{network} did not grant access: {} {}",
            shown(err),
            shown(why)
        )));
    }
    params
        .get("code")
        .cloned()
        .ok_or_else(|| Error::NotPosted("the redirect carries no code".into()))
}

/// Text from a redirect's query as it may be printed: control characters escaped, so that a
/// forged address cannot move the cursor or rewrite the terminal.
fn shown(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = match c.is_control() {
                true => c.escape_default().collect(),
                false => vec![c],
            };
            escaped
        })
        .collect()
}

/// Whether a redirect address is this login's: its `state` is the one this login sent.
/// Another (an old tab, a forged request from a page the admin visits) is ignored.
fn is_ours(u: &url::Url, state: &str) -> bool {
    u.query_pairs().any(|(k, v)| k == "state" && v == state)
}

/// How long a connection to the listener may take to send its request: one that sends
/// nothing is closed, and the listener goes on serving.
const REQUEST_WINDOW: std::time::Duration = std::time::Duration::from_secs(5);

/// The first request to the redirect path that carries this login's `state`, or such an
/// address pasted on standard input.
async fn wait_for_callback(
    listener: &tokio::net::TcpListener,
    redirect: &url::Url,
    state: &str,
) -> Result<url::Url, Error> {
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((mut sock, _)) = accepted else { continue };
                let mut buf = Vec::new();
                let read = async {
                    let mut chunk = [0u8; 2048];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                };
                if tokio::time::timeout(REQUEST_WINDOW, read).await.is_err() {
                    continue; // a connection that says nothing is dropped
                }
                let head = String::from_utf8_lossy(&buf);
                let target = head.lines().next().and_then(|l| l.split_whitespace().nth(1)).unwrap_or("");
                let url = redirect.join(target).ok();
                let path_ok = url.as_ref().is_some_and(|u| u.path() == redirect.path());
                let ours = path_ok && url.as_ref().is_some_and(|u| is_ours(u, state));
                let (status, body) = if ours {
                    ("200 OK", "Encore received the login. You can close this tab.")
                } else if path_ok {
                    ("400 Bad Request", "Not this login's redirect (an old tab?): start from the address `encore auth` printed.")
                } else {
                    ("404 Not Found", "Not the login redirect.")
                };
                let resp = format!("HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
                if let (true, Some(u)) = (ours, url) {
                    return Ok(u);
                }
            }
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(l)) => {
                    let l = l.trim();
                    if l.is_empty() { continue; }
                    match url::Url::parse(l) {
                        Ok(u) if is_ours(&u, state) => return Ok(u),
                        Ok(u) if u.query_pairs().any(|(k, _)| k == "code" || k == "error") => eprintln!("that address is not this login's (its state differs: an old tab?); paste the address the browser ended on for the link above"),
                        _ => eprintln!("not a redirect address with a code; paste the whole address from the browser's bar"),
                    }
                }
                _ => stdin_open = false,
            },
        }
    }
}
