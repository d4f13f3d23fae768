//! The yardstick for the proxy path's own cost: a forwarding-only hyper
//! proxy (no routing, no inspection, no events), built like the one in
//! `../shared/notes/proxy-base.md`, on one current-thread runtime.
//! `bench/run.sh` runs it as the `bare` target beside nginx and Haetae, so
//! "how much does Haetae add to hyper" is read from one run.
//!
//!   cargo run --release -p haetae-proxy --example bare_forward -- LISTEN UPSTREAM [legacy|conn]
//!
//! `legacy` forwards through hyper-util's pooled client (what Haetae
//! used first); `conn` through hyper's connection API and a plain stack of
//! idle connections (what Haetae uses now, `haetae_proxy::upstream_conn`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use haetae_proxy::upstream_conn::Timeouts;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

type Body = http_body_util::combinators::BoxBody<bytes::Bytes, hyper::Error>;

enum Upstream {
    Legacy(Box<Client<HttpConnector, Incoming>>),
    Conn(Arc<haetae_proxy::upstream_conn::Conns>),
}

async fn forward(up: &Upstream, addr: SocketAddr, req: Request<Incoming>) -> Result<Response<Body>, String> {
    let (mut parts, body) = req.into_parts();
    let pq = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    match up {
        Upstream::Legacy(c) => {
            parts.uri = format!("http://{addr}{pq}").parse().map_err(|e| format!("{e}"))?;
            let r = c.request(Request::from_parts(parts, body)).await.map_err(|e| e.to_string())?;
            Ok(r.map(|b| b.boxed()))
        }
        Upstream::Conn(c) => {
            parts.uri = pq.parse().map_err(|e| format!("{e}"))?;
            let t = Timeouts { connect: Duration::from_secs(5), idle: Duration::from_secs(60) };
            let r = c.send(Request::from_parts(parts, body), t).await.map_err(|e| e.to_string())?;
            Ok(r.map(|b| b.boxed()))
        }
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(listen), Some(upstream)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: bare_forward LISTEN UPSTREAM [legacy|conn]");
        std::process::exit(2);
    };
    let listen: SocketAddr = listen.parse().map_err(std::io::Error::other)?;
    let addr: SocketAddr = upstream.parse().map_err(std::io::Error::other)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async move {
        let up = Arc::new(match args.get(3).map(String::as_str) {
            Some("legacy") => {
                let mut conn = HttpConnector::new();
                conn.set_nodelay(true);
                Upstream::Legacy(Box::new(Client::builder(TokioExecutor::new()).pool_max_idle_per_host(1024).build(conn)))
            }
            _ => Upstream::Conn(Arc::new(haetae_proxy::upstream_conn::Conns::new(addr))),
        });
        let listener = TcpListener::bind(listen).await?;
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let up = up.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let up = up.clone();
                    async move {
                        let r = forward(&up, addr, req).await.unwrap_or_else(|e| {
                            let mut r = Response::new(http_body_util::Full::new(bytes::Bytes::from(e)).map_err(|n| match n {}).boxed());
                            *r.status_mut() = hyper::StatusCode::BAD_GATEWAY;
                            r
                        });
                        Ok::<_, std::convert::Infallible>(r)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), svc).await;
            });
        }
    })
}
