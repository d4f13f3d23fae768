//! The routes of the console listener.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::json;

use haetae_store::{Audit, Filter};

use crate::accounts::{self, Role};
use crate::{Console, Session};

type Resp = Response<Full<Bytes>>;

const SESSION_COOKIE: &str = "haetae_session";
const CSRF_COOKIE: &str = "haetae_csrf";
const CSRF_HEADER: &str = "x-csrf-token";

fn reply(status: StatusCode, ctype: &'static str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, http::HeaderValue::from_static(ctype));
    h.insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    h.insert("x-content-type-options", http::HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", http::HeaderValue::from_static("DENY"));
    r
}

fn json_reply(status: StatusCode, v: &impl serde::Serialize) -> Resp {
    reply(status, "application/json", serde_json::to_vec(v).unwrap_or_default())
}

fn error(status: StatusCode, msg: &str) -> Resp {
    json_reply(status, &json!({ "error": msg }))
}

/// Who is asking: a session, or an API token.
struct Who {
    user: String,
    role: Role,
    sites: Vec<String>,
    /// The session's id and CSRF token (none for a token).
    session: Option<(String, String)>,
}

impl Who {
    fn scope(&self) -> Option<Vec<String>> {
        (!self.sites.is_empty()).then(|| self.sites.clone())
    }

    fn may_see(&self, site: &str) -> bool {
        self.sites.is_empty() || self.sites.iter().any(|s| s == site)
    }
}

fn cookie<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// The caller, or the refusal to send.
async fn who(c: &Arc<Console>, h: &HeaderMap) -> Result<Who, Box<Resp>> {
    if let Some(auth) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(secret) = auth.strip_prefix("Bearer ")
    {
        let hash = accounts::token_hash(secret.trim());
        let store = c.store.clone();
        let found = blocking(move || store.token_by_hash(&hash)).await;
        return match found {
            Some(Ok(Some((_, a)))) if !a.disabled => match Role::parse(&a.role) {
                Some(role) => Ok(Who { user: a.name, role, sites: a.sites, session: None }),
                None => Err(Box::new(error(StatusCode::UNAUTHORIZED, "the token's account has no valid role"))),
            },
            Some(Ok(_)) => Err(Box::new(error(StatusCode::UNAUTHORIZED, "unknown or revoked token"))),
            _ => Err(Box::new(error(StatusCode::SERVICE_UNAVAILABLE, "the store is not answering"))),
        };
    }
    let Some(id) = cookie(h, SESSION_COOKIE) else {
        return Err(Box::new(error(StatusCode::UNAUTHORIZED, "log in first (POST /api/login) or send a bearer token")));
    };
    let now = Instant::now();
    let s = {
        let Ok(mut m) = c.sessions.lock() else { return Err(Box::new(error(StatusCode::INTERNAL_SERVER_ERROR, "session table"))) };
        let live = m
            .get(id)
            .is_some_and(|s| now.duration_since(s.last) < c.cfg.session_idle.0 && now.duration_since(s.created) < c.cfg.session_max.0);
        if !live {
            m.remove(id);
            return Err(Box::new(error(StatusCode::UNAUTHORIZED, "the session has expired: log in again")));
        }
        let Some(s) = m.get_mut(id) else { return Err(Box::new(error(StatusCode::UNAUTHORIZED, "the session has expired: log in again"))) };
        s.last = now;
        s.clone()
    };
    // A disabled account (by `haetae admin disable`, maybe in another
    // process) ends its sessions at their next request.
    let store = c.store.clone();
    let user = s.user.clone();
    match blocking(move || store.account(&user)).await {
        Some(Ok(Some(a))) if !a.disabled => {}
        Some(Ok(_)) => {
            if let Ok(mut m) = c.sessions.lock() {
                m.remove(id);
            }
            return Err(Box::new(error(StatusCode::UNAUTHORIZED, "the account is disabled")));
        }
        _ => return Err(Box::new(error(StatusCode::SERVICE_UNAVAILABLE, "the store is not answering"))),
    }
    Ok(Who { user: s.user, role: s.role, sites: s.sites, session: Some((id.to_owned(), s.csrf)) })
}

fn query(req: &Request<Incoming>) -> Vec<(String, String)> {
    form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()).into_owned().collect()
}

fn get<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

/// The `from` and `to` of a query, or the 400 to answer.
fn span(q: &[(String, String)]) -> Result<(Option<i64>, Option<i64>), Box<Resp>> {
    let one = |k: &str| match get(q, k) {
        None => Ok(None),
        Some(v) => haetae_events::time::parse_time(v).map(Some).ok_or_else(|| {
            Box::new(error(StatusCode::BAD_REQUEST, &format!("{k}: not a time (2026-12-02, 2026-12-02T10:00:00Z or Unix seconds)")))
        }),
    };
    Ok((one("from")?, one("to")?))
}

pub(crate) async fn route(c: Arc<Console>, peer: SocketAddr, req: Request<Incoming>) -> Resp {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    match (&method, path.as_str()) {
        (&Method::GET, "/healthz" | "/metrics") => {
            if !(c.cfg.open_metrics && peer.ip().is_loopback())
                && let Err(r) = who(&c, req.headers()).await
            {
                return *r;
            }
            if path == "/healthz" {
                return reply(StatusCode::OK, "text/plain", format!("ok pid={}\n", std::process::id()));
            }
            return reply(StatusCode::OK, "text/plain; version=0.0.4", haetae_proxy::admin::metrics_text(&c.shared));
        }
        (&Method::POST, "/api/login") => return login(&c, peer, req).await,
        _ => {}
    }
    let who = match who(&c, req.headers()).await {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let changes = !matches!(method, Method::GET | Method::HEAD);
    if changes && let Some((_, csrf)) = &who.session {
        let sent = req.headers().get(CSRF_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
        if !accounts::constant_eq(sent, csrf.as_bytes()) {
            return error(StatusCode::FORBIDDEN, "missing or wrong X-CSRF-Token");
        }
    }
    let q = query(&req);
    match (&method, path.as_str()) {
        (&Method::GET, "/api/me") => json_reply(StatusCode::OK, &json!({ "user": who.user, "role": who.role, "sites": who.sites })),
        (&Method::POST, "/api/logout") => {
            if let Some((id, _)) = &who.session
                && let Ok(mut m) = c.sessions.lock()
            {
                m.remove(id);
            }
            c.audit(Audit::new(&who.user, &peer.ip().to_string(), "logout", &who.user));
            let mut r = json_reply(StatusCode::OK, &json!({ "ok": true }));
            for name in [SESSION_COOKIE, CSRF_COOKIE] {
                if let Ok(v) = http::HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0; Secure; SameSite=Strict")) {
                    r.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            r
        }
        (&Method::GET, "/api/sites") => {
            let rt = c.shared.rt.load();
            let sites: Vec<_> = rt
                .config
                .sites
                .iter()
                .filter(|s| who.may_see(s.name.get_ref()))
                .map(|s| json!({ "name": s.name.get_ref(), "mode": s.mode.as_str(), "hosts": s.hosts.iter().map(|h| h.get_ref()).collect::<Vec<_>>() }))
                .collect();
            json_reply(StatusCode::OK, &json!({ "sites": sites }))
        }
        (&Method::PUT, p) if p.starts_with("/api/sites/") && p.ends_with("/mode") => {
            let site = p["/api/sites/".len()..p.len() - "/mode".len()].to_owned();
            site_change(&c, &who, peer, req, site, SiteChange::Mode).await
        }
        (&Method::POST, p) if p.starts_with("/api/sites/") && p.ends_with("/exceptions") => {
            let site = p["/api/sites/".len()..p.len() - "/exceptions".len()].to_owned();
            site_change(&c, &who, peer, req, site, SiteChange::Exception).await
        }
        (&Method::GET, "/api/events") => events(&c, &who, &q).await,
        (&Method::GET, p) if p.starts_with("/api/events/") => {
            let id = p["/api/events/".len()..].to_owned();
            let (store, scope) = (c.store.clone(), who.scope());
            match blocking(move || store.event(&id, &scope)).await {
                Some(Ok(Some(e))) => json_reply(StatusCode::OK, &e),
                Some(Ok(None)) => error(StatusCode::NOT_FOUND, "no such event (or not in your sites)"),
                _ => error(StatusCode::SERVICE_UNAVAILABLE, "the store is not answering"),
            }
        }
        (&Method::GET, "/api/stats") => stats(&c, &who, &q).await,
        (&Method::GET, "/api/audit") => {
            if who.role < Role::Admin {
                return error(StatusCode::FORBIDDEN, "the audit trail is for admins");
            }
            let (from, to) = match span(&q) {
                Ok(s) => s,
                Err(r) => return *r,
            };
            let limit = get(&q, "limit").and_then(|v| v.parse().ok()).unwrap_or(100usize);
            let store = c.store.clone();
            match blocking(move || store.audit_log(from, to, limit)).await {
                Some(Ok(a)) => json_reply(StatusCode::OK, &json!({ "audit": a })),
                _ => error(StatusCode::SERVICE_UNAVAILABLE, "the store is not answering"),
            }
        }
        (&Method::POST, "/api/reload") => {
            if who.role < Role::Operator {
                return error(StatusCode::FORBIDDEN, "viewers cannot reload");
            }
            let shared = c.shared.clone();
            let before = shared.rt.load().config.sites.len();
            let r = blocking(move || haetae_proxy::reload::reload(&shared)).await;
            let ip = peer.ip().to_string();
            match r {
                Some(Ok(())) => {
                    let after = c.shared.rt.load().config.sites.len();
                    c.audit(Audit::new(&who.user, &ip, "reload", "config").change(format!("{before} site(s)"), format!("{after} site(s)")));
                    json_reply(StatusCode::OK, &json!({ "reloaded": true }))
                }
                Some(Err(e)) => {
                    c.audit(Audit::new(&who.user, &ip, "reload_failed", "config").detail(e.to_string()));
                    json_reply(StatusCode::UNPROCESSABLE_ENTITY, &json!({ "reloaded": false, "error": e.to_string() }))
                }
                None => error(StatusCode::INTERNAL_SERVER_ERROR, "reload did not finish"),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "no such endpoint (docs/API.md)"),
    }
}

enum SiteChange {
    Mode,
    Exception,
}

#[derive(Deserialize)]
struct ModeBody {
    mode: haetae_config::Mode,
}

/// A change to one site, parsed.
enum Edit {
    Mode(haetae_config::Mode),
    Exception(haetae_config::Exception),
}

impl Edit {
    fn parse(what: SiteChange, body: &[u8]) -> Result<Edit, String> {
        match what {
            SiteChange::Mode => serde_json::from_slice::<ModeBody>(body)
                .map(|m| Edit::Mode(m.mode))
                .map_err(|_| "expected {\"mode\": \"prevention\" | \"detection\" | \"learning\"}".into()),
            SiteChange::Exception => match serde_json::from_slice::<haetae_config::Exception>(body) {
                Ok(e) if e != haetae_config::Exception::default() => Ok(Edit::Exception(e)),
                Ok(_) => Err("an exception that covers everything is not one: set path, param, detectors, rules or shapes".into()),
                Err(e) => Err(format!("not an exception: {e}")),
            },
        }
    }

    /// The audit action, and the site before → after.
    fn describe(&self, current: &haetae_config::Site) -> (&'static str, String, String) {
        match self {
            Edit::Mode(m) => ("mode_change", current.mode.as_str().into(), m.as_str().into()),
            Edit::Exception(e) => {
                ("exception_add", format!("{} exception(s)", current.exceptions.len()), serde_json::to_string(e).unwrap_or_default())
            }
        }
    }

    fn apply(&self, doc: &mut haetae_config::Document, site: &str) -> Result<(), String> {
        match self {
            Edit::Mode(m) => doc.set_site_mode(site, *m),
            Edit::Exception(e) => doc.add_site_exception(site, e),
        }
    }
}

/// Changes one site in the config file (comments and layout kept, nothing
/// written that does not validate), reloads, and audits before → after.
async fn site_change(c: &Arc<Console>, who: &Who, peer: SocketAddr, req: Request<Incoming>, site: String, what: SiteChange) -> Resp {
    if who.role < Role::Operator || !who.may_see(&site) {
        return error(StatusCode::FORBIDDEN, "changing this site needs an operator or admin with it in scope");
    }
    let Some(path) = c.shared.config_path.clone() else {
        return error(StatusCode::CONFLICT, "this Haetae runs without a config file: nothing to change");
    };
    let body = match Limited::new(req.into_body(), 64 * 1024).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "the change is too large"),
    };
    let Some(current) = c.shared.rt.load().config.sites.iter().find(|s| s.name.get_ref() == &site).cloned() else {
        return error(StatusCode::NOT_FOUND, "no such site");
    };
    let edit = match Edit::parse(what, &body) {
        Ok(e) => e,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let (action, before, after) = edit.describe(&current);
    let name = site.clone();
    let shared = c.shared.clone();
    let done = blocking(move || -> Result<(), String> {
        let mut doc = haetae_config::Document::load(&path).map_err(|e| e.to_string())?;
        edit.apply(&mut doc, &name)?;
        doc.save().map_err(|e| e.to_string())?;
        haetae_proxy::reload::reload(&shared)
    })
    .await;
    let ip = peer.ip().to_string();
    match done {
        Some(Ok(())) => {
            c.audit(Audit::new(&who.user, &ip, action, &site).change(before, after));
            json_reply(StatusCode::OK, &json!({ "site": site, "changed": true }))
        }
        Some(Err(e)) => {
            c.audit(Audit::new(&who.user, &ip, &format!("{action}_failed"), &site).detail(e.clone()));
            json_reply(StatusCode::UNPROCESSABLE_ENTITY, &json!({ "changed": false, "error": e }))
        }
        None => error(StatusCode::INTERNAL_SERVER_ERROR, "the change did not finish"),
    }
}

async fn events(c: &Arc<Console>, who: &Who, q: &[(String, String)]) -> Resp {
    let (from, to) = match span(q) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let rule = match get(q, "rule").map(str::parse::<u32>) {
        None => None,
        Some(Ok(r)) => Some(r),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "rule: a rule id is a number"),
    };
    let f = Filter {
        scope: who.scope(),
        site: get(q, "site").map(String::from),
        from,
        to,
        ip: get(q, "ip").map(String::from),
        rule,
        action: get(q, "action").map(String::from),
        path: get(q, "path").map(String::from),
        q: get(q, "q").map(String::from),
        limit: get(q, "limit").and_then(|v| v.parse().ok()).unwrap_or(100usize).clamp(1, 1000),
        cursor: get(q, "cursor").map(String::from),
    };
    let store = c.store.clone();
    match blocking(move || store.search(&f)).await {
        Some(Ok(p)) => json_reply(StatusCode::OK, &p),
        Some(Err(e)) if e.message.starts_with("cursor") => error(StatusCode::BAD_REQUEST, &e.message),
        _ => error(StatusCode::SERVICE_UNAVAILABLE, "the store is not answering"),
    }
}

/// `step`: seconds, or `5m`, `1h`, `1d`.
fn step_param(v: Option<&str>) -> Option<i64> {
    let v = v?.trim();
    let (num, unit) = v.find(|c: char| !c.is_ascii_digit()).map_or((v, ""), |i| v.split_at(i));
    let n: i64 = num.parse().ok()?;
    let mul = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(mul).filter(|s| *s > 0)
}

async fn stats(c: &Arc<Console>, who: &Who, q: &[(String, String)]) -> Resp {
    let now = haetae_events::time::unix_millis() as i64;
    let (from, to) = match span(q) {
        Ok((f, t)) => (f.unwrap_or(now - 86_400_000), t.unwrap_or(now)),
        Err(r) => return *r,
    };
    let step = match get(q, "step") {
        None => 3600,
        Some(v) => match step_param(Some(v)) {
            Some(s) => s,
            None => return error(StatusCode::BAD_REQUEST, "step: seconds, or 5m, 1h, 1d"),
        },
    };
    let site = get(q, "site").map(String::from);
    let (store, scope) = (c.store.clone(), who.scope());
    match blocking(move || store.summary(&scope, site.as_deref(), from, to, step)).await {
        Some(Ok(s)) => json_reply(StatusCode::OK, &s),
        Some(Err(e)) => error(StatusCode::BAD_REQUEST, &e.message),
        None => error(StatusCode::SERVICE_UNAVAILABLE, "the store is not answering"),
    }
}

#[derive(Deserialize)]
struct Login {
    user: String,
    password: String,
    #[serde(default)]
    totp: String,
}

async fn login(c: &Arc<Console>, peer: SocketAddr, req: Request<Incoming>) -> Resp {
    let ip = peer.ip().to_string();
    // JSON only: a cross-site form cannot send it without a preflight.
    let json_ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if !json_ct {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "send the login as application/json");
    }
    let body = match Limited::new(req.into_body(), 16 * 1024).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "the login is too large"),
    };
    let Ok(l) = serde_json::from_slice::<Login>(&body) else {
        return error(StatusCode::BAD_REQUEST, "expected {\"user\", \"password\", \"totp\"}");
    };
    let now = Instant::now();
    let (ukey, ikey) = (format!("u:{}", l.user), format!("ip:{ip}"));
    if let Some(wait) = c.guard.locked(&ukey, now).or_else(|| c.guard.locked(&ikey, now)) {
        c.audit(Audit::new("-", &ip, "login_locked", &l.user));
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "too many failed logins: try again later");
        if let Ok(v) = http::HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let store = c.store.clone();
    let (user, password, totp) = (l.user.clone(), l.password, l.totp);
    let unix = haetae_events::time::unix_millis() / 1000;
    let a = match blocking(move || accounts::authenticate(&store, &user, &password, &totp, unix)).await {
        Some(Ok(a)) => a,
        Some(Err(accounts::LoginError::Refused(why))) => {
            c.guard.fail(&ukey, now);
            c.guard.fail(&ikey, now);
            c.audit(Audit::new("-", &ip, "login_failed", &l.user).detail(why));
            return error(StatusCode::UNAUTHORIZED, "wrong user, password or code");
        }
        Some(Err(accounts::LoginError::Store(_))) | None => return error(StatusCode::SERVICE_UNAVAILABLE, "the store is not answering"),
    };
    let Some(role) = Role::parse(&a.role) else { return error(StatusCode::FORBIDDEN, "the account has no valid role") };
    c.guard.clear(&ukey);
    c.guard.clear(&ikey);
    let (Ok(id), Ok(csrf)) = (accounts::random_hex::<32>(), accounts::random_hex::<16>()) else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "no randomness for a session");
    };
    if let Ok(mut m) = c.sessions.lock() {
        let now = Instant::now();
        m.retain(|_, s| s.live(now, &c.cfg));
        m.insert(id.clone(), Session { user: a.name.clone(), role, sites: a.sites.clone(), csrf: csrf.clone(), created: now, last: now });
    }
    c.audit(Audit::new(&a.name, &ip, "login", &a.name));
    let mut r = json_reply(StatusCode::OK, &json!({ "user": a.name, "role": role, "sites": a.sites, "csrf": csrf }));
    let max = c.cfg.session_max.0.as_secs();
    let cookies = [
        format!("{SESSION_COOKIE}={id}; Path=/; Max-Age={max}; HttpOnly; Secure; SameSite=Strict"),
        // Readable by the console's script, which echoes it in X-CSRF-Token.
        format!("{CSRF_COOKIE}={csrf}; Path=/; Max-Age={max}; Secure; SameSite=Strict"),
    ];
    for v in cookies {
        if let Ok(v) = http::HeaderValue::from_str(&v) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_units() {
        assert_eq!(step_param(Some("300")), Some(300));
        assert_eq!(step_param(Some("5m")), Some(300));
        assert_eq!(step_param(Some("1d")), Some(86_400));
        for bad in ["", "0", "x", "5y", "-5", "99999999999999999999d"] {
            assert_eq!(step_param(Some(bad)), None, "{bad}");
        }
    }
}
