//! `haetae demo` and `haetae origin`.

use std::net::SocketAddr;
use std::process::ExitCode;

use crate::cli::DemoArgs;

pub fn origin(listen: SocketAddr) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("haetae origin: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let l = match tokio::net::TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("haetae origin: cannot listen on {listen}: {e}");
                return ExitCode::FAILURE;
            }
        };
        tracing::info!("demo site on http://{listen}/");
        haetae_demo::serve(l, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        ExitCode::SUCCESS
    })
}

pub fn run(d: &DemoArgs) -> ExitCode {
    let toml = format!(
        r#"[server]
listen = ["{listen}"]
admin = "{admin}"
watch_config = false

[[site]]
name = "demo"
hosts = ["*"]
mode = "prevention"

[site.response]
strip_html_comments = true

[site.upstream]
servers = ["{origin}"]
"#,
        listen = d.listen,
        admin = d.admin,
        origin = d.origin
    );
    let cfg = match haetae_config::parse(&toml, std::path::Path::new("<demo>")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let rt = match haetae_proxy::build_runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("haetae demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    let origin = d.origin;
    let listen = d.listen;
    let admin = d.admin;
    rt.block_on(async move {
        let l = match tokio::net::TcpListener::bind(origin).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("haetae demo: cannot start the demo site on {origin}: {e} (try --origin ADDR)");
                return ExitCode::FAILURE;
            }
        };
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut origin_stop = stop_rx.clone();
        tokio::spawn(haetae_demo::serve(l, async move {
            let _ = origin_stop.changed().await;
        }));
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            if ready_rx.await.is_ok() {
                print_examples(listen, admin);
            }
        });
        let opts =
            haetae_proxy::Options { config_path: None, ready: Some(ready_tx), stop: None, extra: vec![Box::new(haetae_console::start)] };
        let r = haetae_proxy::serve(cfg, opts).await;
        let _ = stop_tx.send(true);
        match r {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("haetae demo: {e} (try --listen ADDR)");
                ExitCode::FAILURE
            }
        }
    })
}

fn print_examples(listen: SocketAddr, admin: SocketAddr) {
    let u = format!("http://{listen}");
    println!(
        r#"
Haetae is protecting the demo site at {u}/ (prevention mode). Try:

  # benign: pass through
  curl -s {u}/search?q=hello+world | head -5
  curl -s -X POST {u}/board --data-urlencode 'title=Hello' --data-urlencode 'content=<p>Hi <img src="/data/editor/1.jpg" alt="사진"></p>' -o /dev/null -w '%{{http_code}}\n'
  curl -s -X POST {u}/api/items -H 'Content-Type: application/json' -d '{{"name":"해태","price":12000}}'

  # attacks: blocked with 403 and an event id
  curl -s -o /dev/null -w '%{{http_code}}\n' "{u}/search?q=1'%20OR%20'1'='1"
  curl -s -o /dev/null -w '%{{http_code}}\n' "{u}/search?q=<script>alert(1)</script>"
  curl -s -o /dev/null -w '%{{http_code}}\n' -X POST {u}/login -d "username=admin'--&password=x"
  curl -s -o /dev/null -w '%{{http_code}}\n' "{u}/search?q=;cat%20/etc/passwd"
  curl -s -o /dev/null -w '%{{http_code}}\n' "{u}/download?file=../../../../etc/passwd"
  curl -s -o /dev/null -w '%{{http_code}}\n' -F 'file=@/etc/hostname;filename=shell.php' {u}/upload
  curl -s -o /dev/null -w '%{{http_code}}\n' -A 'sqlmap/1.7.2#stable' {u}/

  # what Haetae saw
  curl -s http://{admin}/events | head -c 600; echo
  curl -s http://{admin}/metrics | grep haetae_blocked

Stop with Ctrl-C.
"#
    );
}
