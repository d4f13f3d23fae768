use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls_pki_types::ServerName;

use crate::harness::*;

fn tls_site(dir: &TempDir, up: u16, tls_port: u16) -> (String, rustls::RootCertStore) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.path("cert.pem"), ck.cert.pem()).unwrap();
    std::fs::write(dir.path("key.pem"), ck.signing_key.serialize_pem()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone()).unwrap();
    let cfg = format!(
        "tls_listen = [\"127.0.0.1:{tls_port}\"]\n\n[[site]]\nname = \"secure\"\nhosts = [\"localhost\", \"*\"]\n[site.tls]\ncert = \"{}\"\nkey = \"{}\"\n[site.upstream]\nservers = [\"127.0.0.1:{up}\"]\n",
        dir.path("cert.pem").display(),
        dir.path("key.pem").display()
    );
    (cfg, roots)
}

async fn tls_connect(port: u16, roots: rustls::RootCertStore, alpn: &[u8]) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![alpn.to_vec()];
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap()
}

async fn h2_get<T>(io: T, path: &str) -> (u16, String)
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(io)).await.unwrap();
    tokio::spawn(conn);
    let req = http::Request::get(format!("https://localhost{path}")).body(Empty::<Bytes>::new()).unwrap();
    let resp = send.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_sni_certificate_http2_and_http1() {
    let (_o, up) = origin();
    let tls_port = free_port();
    let dir = TempDir::new("tls");
    let (cfg, roots) = tls_site(&dir, up, tls_port);
    let h = tokio::task::spawn_blocking(move || Haetae::run(&cfg, "", "")).await.unwrap();
    assert!(wait_port(tls_port, std::time::Duration::from_secs(10)));

    let io = tls_connect(tls_port, roots.clone(), b"h2").await;
    assert_eq!(io.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (status, body) = h2_get(io, "/_demo/request").await;
    assert_eq!(status, 200);
    let seen: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["headers"]["x-forwarded-proto"], "https");
    assert_eq!(seen["headers"]["host"], "localhost");
    let io = tls_connect(tls_port, roots.clone(), b"h2").await;
    assert_eq!(h2_get(io, "/search?q=%3Cscript%3Ealert(1)%3C/script%3E").await.0, 403);

    // HTTP/1.1 over TLS.
    let io = tls_connect(tls_port, roots, b"http/1.1").await;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await.unwrap();
    tokio::spawn(conn);
    let req = http::Request::get("/").header("host", "localhost").body(Empty::<Bytes>::new()).unwrap();
    assert_eq!(send.send_request(req).await.unwrap().status(), 200);
    drop(h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleartext_http2_prior_knowledge() {
    let (_o, up) = origin();
    let h = tokio::task::spawn_blocking(move || Haetae::run("", SITE, &format!("127.0.0.1:{up}"))).await.unwrap();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", h.port)).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp)).await.unwrap();
    tokio::spawn(conn);
    for (path, want) in [("/search?q=ok", 200), ("/search?q=%27%20or%201=1--", 403), ("/", 200)] {
        let req = http::Request::get(format!("http://localhost{path}")).body(Empty::<Bytes>::new()).unwrap();
        assert_eq!(send.send_request(req).await.unwrap().status().as_u16(), want, "{path}");
    }
    drop(h);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_upgrade_passes_through() {
    let (_o, up) = origin();
    let h = tokio::task::spawn_blocking(move || Haetae::run("", SITE, &format!("127.0.0.1:{up}"))).await.unwrap();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", h.port)).await.unwrap();
    let (mut ws, resp) = tokio_tungstenite::client_async("ws://localhost/_demo/ws", tcp).await.expect("websocket handshake through haetae");
    assert_eq!(resp.status().as_u16(), 101);
    for msg in ["hello", "안녕", &"x".repeat(70_000)] {
        ws.send(tokio_tungstenite::tungstenite::Message::text(msg)).await.unwrap();
        let back = ws.next().await.unwrap().unwrap();
        assert_eq!(back.into_text().unwrap().as_str(), msg);
    }
    ws.close(None).await.unwrap();
    // The upgrade request itself is inspected.
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", h.port)).await.unwrap();
    let r = tokio_tungstenite::client_async("ws://localhost/_demo/ws?q=%27%20or%201=1--", tcp).await;
    assert!(r.is_err(), "an attack in the upgrade request is blocked");
    drop(h);
}
