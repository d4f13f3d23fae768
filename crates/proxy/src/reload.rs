//! Config reload: on SIGHUP, on `POST /reload`, and when the file changes.
//! A config that does not validate is refused with its `file:line:col`
//! errors logged, and the running one keeps serving.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, SystemTime};

use crate::state::Shared;

pub fn reload(shared: &Shared) -> Result<(), String> {
    let Some(path) = shared.config_path.as_ref() else {
        return Err("no config file to reload (started without --config)".into());
    };
    let result = haetae_config::load(path).map_err(|e| e.to_string()).and_then(|cfg| {
        let old = shared.rt.load();
        if old.config.server.listen != cfg.server.listen
            || old.config.server.tls_listen != cfg.server.tls_listen
            || old.config.server.admin != cfg.server.admin
        {
            tracing::warn!("listener addresses changed: they take effect on restart or binary upgrade (SIGUSR2)");
        }
        shared.apply(cfg)
    });
    match &result {
        Ok(()) => {
            shared.metrics.reloads_ok.fetch_add(1, Relaxed);
            tracing::info!("configuration reloaded from {}", path.display());
        }
        Err(e) => {
            shared.metrics.reloads_failed.fetch_add(1, Relaxed);
            tracing::error!("configuration rejected, still serving the previous one:\n{e}");
        }
    }
    result
}

fn stamp(path: &std::path::Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// Reloads on SIGHUP, and (when `watch_config`) when the file's mtime or
/// size changes. Polling once a second is enough for a file edited by
/// hand, and unlike inotify it survives editors that replace the file.
pub fn spawn(shared: Arc<Shared>) {
    #[cfg(unix)]
    {
        let sh = shared.clone();
        tokio::spawn(async move {
            let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else { return };
            while hup.recv().await.is_some() {
                let _ = reload(&sh);
            }
        });
    }
    let Some(path) = shared.config_path.clone() else { return };
    if !shared.rt.load().config.server.watch_config {
        return;
    }
    tokio::spawn(async move {
        let mut last = stamp(&path);
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let now = stamp(&path);
            if now.is_some() && now != last {
                last = now;
                // Let an editor finish writing.
                tokio::time::sleep(Duration::from_millis(100)).await;
                last = stamp(&path).or(last);
                let _ = reload(&shared);
            }
        }
    });
}
