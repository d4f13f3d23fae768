//! The demo site. Deliberately naive — it trusts its input, as many small
//! hosted sites do — so that what Haetae stops is visible. It also serves
//! the endpoints the end-to-end tests and benchmarks need:
//!
//! | path | what |
//! |---|---|
//! | `/` | index with links |
//! | `/login` | login form; POST answers with a vague failure |
//! | `/board` | posts (GET lists, POST adds; HTML allowed, like an editor) |
//! | `/search?q=` | search box (reflects the query, escaped) |
//! | `/api/items` | JSON API (GET lists, POST echoes the parsed JSON) |
//! | `/upload` | multipart upload form; POST reports what arrived |
//! | `/echo` | echoes the request body |
//! | `/_demo/request` | JSON of what the origin received (method, uri, headers, body size) |
//! | `/_demo/error` | a 500 page with a fake stack trace |
//! | `/_demo/slow?ms=N` | answers after N ms |
//! | `/_demo/big?kb=N` | N KiB of HTML with comments |
//! | `/_demo/stream?n=N` | N KiB as a chunked (streamed) response |
//! | `/_demo/ws` | WebSocket echo |

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

#[derive(Default)]
struct Board {
    posts: Vec<(String, String)>,
}

type Resp = Response<Full<Bytes>>;
type AnyResp = Response<BoxBody<Bytes, Infallible>>;

fn page(title: &str, body: &str) -> Resp {
    let html = format!(
        "<!DOCTYPE html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\
         <nav><a href=\"/\">Home</a> · <a href=\"/login\">Login</a> · <a href=\"/board\">Board</a> · \
         <a href=\"/search?q=\">Search</a> · <a href=\"/api/items\">API</a> · <a href=\"/upload\">Upload</a></nav>\
         <!-- demo build 0.1, db=127.0.0.1:3306 -->\n<h1>{title}</h1>{body}</body></html>"
    );
    let mut r = Response::new(Full::new(Bytes::from(html)));
    r.headers_mut().insert(header::CONTENT_TYPE, http::HeaderValue::from_static("text/html; charset=utf-8"));
    r.headers_mut().insert(header::SERVER, http::HeaderValue::from_static("Apache/2.4.41 (Ubuntu)"));
    r.headers_mut().insert("x-powered-by", http::HeaderValue::from_static("PHP/7.4.3"));
    r
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn form_value(body: &[u8], key: &str) -> String {
    for pair in body.split(|&b| b == b'&') {
        let mut kv = pair.splitn(2, |&b| b == b'=');
        let k = kv.next().unwrap_or_default();
        let v = kv.next().unwrap_or_default();
        if decode(k) == key {
            return decode(v);
        }
    }
    String::new()
}

fn decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match u8::from_str_radix(std::str::from_utf8(&s[i + 1..i + 3]).unwrap_or("zz"), 16) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_value(uri: &http::Uri, key: &str) -> String {
    form_value(uri.query().unwrap_or("").as_bytes(), key)
}

async fn handle_any(board: Arc<Mutex<Board>>, req: Request<Incoming>) -> Result<AnyResp, Infallible> {
    if req.uri().path() == "/_demo/stream" {
        // A chunked response: n chunks of 1 KiB, sent as produced.
        let n: usize = query_value(req.uri(), "n").parse().unwrap_or(16).min(100_000);
        let chunks = futures_util::stream::iter((0..n).map(|i| {
            let mut c = format!("chunk {i:06} ").into_bytes();
            c.resize(1024, b'.');
            Ok::<_, Infallible>(hyper::body::Frame::data(Bytes::from(c)))
        }));
        let mut r = Response::new(BoxBody::new(StreamBody::new(chunks)));
        r.headers_mut().insert(header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
        return Ok(r);
    }
    let r = handle(board, req).await?;
    Ok(r.map(|b| b.boxed()))
}

async fn handle(board: Arc<Mutex<Board>>, mut req: Request<Incoming>) -> Result<Resp, Infallible> {
    let path = req.uri().path().to_owned();
    if path == "/_demo/ws" && req.headers().contains_key(header::UPGRADE) {
        return Ok(websocket(&mut req));
    }
    let method = req.method().clone();
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let r = match (method.clone(), path.as_str()) {
        (Method::GET, "/") => page(
            "Haetae demo site",
            "<p>A small site with a login form, a board, a search box, a JSON API and an upload form. \
             Haetae stands in front of it.</p><ul><li><a href=\"/login\">Login</a></li><li><a href=\"/board\">Board</a></li>\
             <li><a href=\"/search?q=rust\">Search</a></li><li><a href=\"/api/items\">JSON API</a></li><li><a href=\"/upload\">Upload</a></li></ul>",
        ),
        (Method::GET, "/login") => page(
            "Login",
            "<form method=\"post\"><input name=\"username\"> <input name=\"password\" type=\"password\"> <button>Log in</button></form>",
        ),
        (Method::POST, "/login") => {
            let user = form_value(&body, "username");
            let _ = form_value(&body, "password");
            let mut r = page("Login", &format!("<p>Login failed for {}. Check your details and try again.</p>", escape(&user)));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
        (Method::GET, "/board") => {
            let b = board.lock().map(|b| b.posts.clone()).unwrap_or_default();
            // The board shows post HTML as written (an editor's output):
            // exactly the case where a WAF must tell markup from script.
            let list: String = b.iter().rev().map(|(t, c)| format!("<article><h2>{}</h2>{c}</article>", escape(t))).collect();
            page(
                "Board",
                &format!(
                    "<form method=\"post\"><input name=\"title\"><textarea name=\"content\"></textarea><button>Post</button></form>{list}"
                ),
            )
        }
        (Method::POST, "/board") => {
            let t = form_value(&body, "title");
            let c = form_value(&body, "content");
            if let Ok(mut b) = board.lock() {
                b.posts.push((t, c));
                if b.posts.len() > 100 {
                    b.posts.remove(0);
                }
            }
            let mut r = page("Board", "<p>Posted.</p>");
            *r.status_mut() = StatusCode::SEE_OTHER;
            r.headers_mut().insert(header::LOCATION, http::HeaderValue::from_static("/board"));
            r
        }
        (Method::GET, "/search") => {
            let q = query_value(&uri, "q");
            page(
                "Search",
                &format!("<form><input name=\"q\" value=\"{0}\"><button>Search</button></form><p>No results for {0}.</p>", escape(&q)),
            )
        }
        (Method::GET, "/api/items") => json(
            StatusCode::OK,
            serde_json::json!([{"id": 1, "name": "해태 인형", "price": 12000}, {"id": 2, "name": "Book", "price": 25000}]),
        ),
        (Method::POST, "/api/items") => match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(v) => json(StatusCode::CREATED, serde_json::json!({"created": v})),
            Err(e) => json(StatusCode::BAD_REQUEST, serde_json::json!({"error": e.to_string()})),
        },
        (Method::GET, "/upload") => page(
            "Upload",
            "<form method=\"post\" enctype=\"multipart/form-data\"><input type=\"file\" name=\"file\"><button>Upload</button></form>",
        ),
        (Method::POST, "/upload") => {
            let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            page("Upload", &format!("<p>Received {} bytes ({}).</p>", body.len(), escape(&ct)))
        }
        (_, "/echo") => {
            let mut r = Response::new(Full::new(body.clone()));
            if let Some(ct) = headers.get(header::CONTENT_TYPE) {
                r.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
            }
            r
        }
        (_, "/_demo/request") => {
            let h: serde_json::Map<String, serde_json::Value> = headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), serde_json::Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned())))
                .collect();
            json(
                StatusCode::OK,
                serde_json::json!({"method": method.as_str(), "uri": uri.to_string(), "headers": h, "body_len": body.len(), "body_sha": fnv(&body)}),
            )
        }
        (_, "/_demo/error") => {
            let mut r = page(
                "Error",
                "<pre>Fatal error: Uncaught PDOException: SQLSTATE[42000] in /var/www/html/db.php:42\nStack trace:\n#0 /var/www/html/index.php(7)</pre>",
            );
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
        (_, "/_demo/slow") => {
            let ms: u64 = query_value(&uri, "ms").parse().unwrap_or(1000).min(60_000);
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            page("Slow", "<p>done</p>")
        }
        (_, "/_demo/big") => {
            let kb: usize = query_value(&uri, "kb").parse().unwrap_or(100).min(64 * 1024);
            let mut s = String::with_capacity(kb * 1024 + 64);
            while s.len() < kb * 1024 {
                s.push_str("<p>filler row of the big page</p><!-- note: internal -->\n");
            }
            page("Big", &s)
        }
        _ => {
            let mut r = page("Not found", "<p>No such page.</p>");
            *r.status_mut() = StatusCode::NOT_FOUND;
            r
        }
    };
    Ok(r)
}

fn fnv(b: &[u8]) -> String {
    format!("{:016x}", b.iter().fold(0xcbf29ce484222325u64, |h, x| (h ^ u64::from(*x)).wrapping_mul(0x100000001b3)))
}

fn json(status: StatusCode, v: serde_json::Value) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(v.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    r
}

fn websocket(req: &mut Request<Incoming>) -> Resp {
    use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
    use tokio_tungstenite::tungstenite::protocol::Role;
    let Some(key) = req.headers().get("sec-websocket-key").map(|k| derive_accept_key(k.as_bytes())) else {
        let mut r = Response::new(Full::new(Bytes::from_static(b"missing key")));
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    };
    let on_upgrade = hyper::upgrade::on(req);
    tokio::spawn(async move {
        let Ok(up) = on_upgrade.await else { return };
        let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(TokioIo::new(up), Role::Server, None).await;
        while let Some(Ok(msg)) = ws.next().await {
            if msg.is_close() {
                break;
            }
            if (msg.is_text() || msg.is_binary()) && ws.send(msg).await.is_err() {
                break;
            }
        }
    });
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(header::UPGRADE, http::HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, http::HeaderValue::from_static("upgrade"));
    if let Ok(v) = http::HeaderValue::from_str(&key) {
        h.insert("sec-websocket-accept", v);
    }
    r
}

/// Serves the demo site on `listener` until `stop` resolves.
pub async fn serve(listener: TcpListener, stop: impl std::future::Future<Output = ()>) {
    let board = Arc::new(Mutex::new(Board::default()));
    tokio::pin!(stop);
    loop {
        let (stream, _) = tokio::select! {
            a = listener.accept() => match a { Ok(x) => x, Err(_) => continue },
            _ = &mut stop => return,
        };
        let _ = stream.set_nodelay(true);
        let b = board.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| handle_any(b.clone(), req));
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                .await;
        });
    }
}
