//! The store's writer thread (behind the event fan-out's bounded queue):
//! batched, chained inserts; checkpoints; counters; retention.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use haetae_events::Event;
use haetae_events::tally::Tally;

use crate::chain::{self, NodeKey};
use crate::db::{Conn, DbError, ErrorKind, Val, in_tx};
use crate::record::EventRow;
use crate::{Backend, StoreConfig, connect};

/// The newest (seq, hash) of a chain, or (0, genesis).
pub(crate) fn head(c: &mut dyn Conn, table: &str, node: &str) -> Result<(i64, String), DbError> {
    let sql = match table {
        "events" => "SELECT seq, hash FROM events WHERE node = $1 ORDER BY seq DESC LIMIT 1",
        _ => "SELECT seq, hash FROM audit WHERE node = $1 ORDER BY seq DESC LIMIT 1",
    };
    let rows = c.query(sql, &[Val::from(node)])?;
    if let Some(r) = rows.first() {
        return Ok((r[0].int(), r[1].text()));
    }
    // An emptied chain (retention) goes on from its anchor.
    let a = c.query("SELECT seq, hash FROM anchors WHERE chain = $1 AND node = $2", &[Val::from(table), Val::from(node)])?;
    Ok(a.first().map(|r| (r[0].int(), r[1].text())).unwrap_or((0, chain::GENESIS.to_owned())))
}

/// The writer's connection, made on first use and after a failure.
fn ensure<'a>(slot: &'a mut Option<Box<dyn Conn>>, backend: &Backend) -> Result<&'a mut (dyn Conn + 'static), DbError> {
    if slot.is_none() {
        *slot = Some(connect(backend)?);
    }
    slot.as_deref_mut().ok_or_else(|| DbError::other("no connection"))
}

const INSERT: &str = "INSERT INTO events (id, ts, site, client_ip, method, host, path, status, action, score, rule, rules, node, seq, body, prev, hash) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

pub(crate) struct Writer {
    cfg: StoreConfig,
    key: NodeKey,
    tally: Option<Arc<Tally>>,
    conn: Option<Box<dyn Conn>>,
    /// Events stored since the last checkpoint, and when it was.
    since_checkpoint: u64,
    last_checkpoint: Instant,
    last_counts: Instant,
    last_retention: Option<Instant>,
    params: Vec<Val>,
}

impl Writer {
    pub fn new(cfg: StoreConfig, key: NodeKey, tally: Option<Arc<Tally>>) -> Self {
        Writer {
            cfg,
            key,
            tally,
            conn: None,
            since_checkpoint: 0,
            last_checkpoint: Instant::now(),
            last_counts: Instant::now(),
            last_retention: None,
            params: Vec::with_capacity(17),
        }
    }

    /// A connection that failed for a reason of its own is dropped and
    /// made anew next time (a restarted server, a file that came back).
    fn after(&mut self, e: &DbError) {
        if matches!(e.kind, ErrorKind::Unavailable | ErrorKind::Corrupt | ErrorKind::Other) {
            self.conn = None;
        }
    }

    fn store(&mut self, batch: &[Arc<Event>]) -> Result<(), DbError> {
        let node = self.cfg.node.clone();
        let every = self.cfg.checkpoint_every.max(1);
        let mut params = std::mem::take(&mut self.params);
        let since = self.since_checkpoint;
        let c = ensure(&mut self.conn, &self.cfg.backend)?;
        let key = &self.key;
        let r = in_tx(c, |c| {
            let (mut seq, mut prev) = head(c, "events", &node)?;
            let mut since = since;
            let mut checkpoints = Vec::new();
            for ev in batch {
                let body = serde_json::to_string(&**ev).map_err(|e| DbError::other(e.to_string()))?;
                let hash = chain::link(&prev, &body);
                seq += 1;
                params.clear();
                params.extend(EventRow::of(ev).vals());
                params.push(Val::Text(node.clone()));
                params.push(Val::Int(seq));
                params.push(Val::Text(body));
                params.push(Val::Text(std::mem::take(&mut prev)));
                params.push(Val::Text(hash.clone()));
                c.exec(INSERT, &params)?;
                prev = hash;
                since += 1;
                if since >= every {
                    checkpoints.push(put_checkpoint(c, key, "events", &node, seq, &prev)?);
                    since = 0;
                }
            }
            Ok((since, checkpoints))
        });
        self.params = params;
        let (since, checkpoints) = r?;
        if !checkpoints.is_empty() {
            self.last_checkpoint = Instant::now();
        }
        self.since_checkpoint = since;
        self.ship(&checkpoints);
        Ok(())
    }

    fn ship(&self, cps: &[chain::Checkpoint]) {
        let Some(path) = &self.cfg.checkpoint_file else { return };
        if cps.is_empty() {
            return;
        }
        let mut text = String::new();
        for c in cps {
            if let Ok(l) = serde_json::to_string(c) {
                text.push_str(&l);
                text.push('\n');
            }
        }
        let r = std::fs::OpenOptions::new().append(true).create(true).open(path).and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = r {
            tracing::warn!("checkpoint file {}: {e}", path.display());
        }
    }

    fn checkpoint_now(&mut self) -> Result<(), DbError> {
        let node = self.cfg.node.clone();
        let c = ensure(&mut self.conn, &self.cfg.backend)?;
        let key = &self.key;
        let cp = in_tx(c, |c| {
            let (seq, hash) = head(c, "events", &node)?;
            if seq == 0 {
                return Ok(None);
            }
            let have = c.query(
                "SELECT seq FROM checkpoints WHERE chain = 'events' AND node = $1 AND seq = $2",
                &[Val::from(node.as_str()), Val::Int(seq)],
            )?;
            if !have.is_empty() {
                return Ok(None);
            }
            Ok(Some(put_checkpoint(c, key, "events", &node, seq, &hash)?))
        })?;
        self.since_checkpoint = 0;
        self.last_checkpoint = Instant::now();
        if let Some(cp) = cp {
            self.ship(&[cp]);
        }
        Ok(())
    }

    fn counts(&mut self) -> Result<(), DbError> {
        let Some(t) = self.tally.clone() else { return Ok(()) };
        let rows = t.drain();
        if rows.is_empty() {
            return Ok(());
        }
        let c = ensure(&mut self.conn, &self.cfg.backend)?;
        in_tx(c, |c| {
            for (site, minute, n) in &rows {
                let v = |x: u64| Val::Int(x.min(i64::MAX as u64) as i64);
                c.exec(
                    "INSERT INTO counts (site, minute, requests, blocked, s1, s2, s3, s4, s5, bytes_in, bytes_out, upstream_errors) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                     ON CONFLICT (site, minute) DO UPDATE SET requests = counts.requests + excluded.requests, \
                     blocked = counts.blocked + excluded.blocked, s1 = counts.s1 + excluded.s1, s2 = counts.s2 + excluded.s2, \
                     s3 = counts.s3 + excluded.s3, s4 = counts.s4 + excluded.s4, s5 = counts.s5 + excluded.s5, \
                     bytes_in = counts.bytes_in + excluded.bytes_in, bytes_out = counts.bytes_out + excluded.bytes_out, \
                     upstream_errors = counts.upstream_errors + excluded.upstream_errors",
                    &[
                        Val::from(site.as_str()),
                        Val::Int(*minute),
                        v(n.requests),
                        v(n.blocked),
                        v(n.status[0]),
                        v(n.status[1]),
                        v(n.status[2]),
                        v(n.status[3]),
                        v(n.status[4]),
                        v(n.bytes_in),
                        v(n.bytes_out),
                        v(n.upstream_errors),
                    ],
                )?;
            }
            Ok(())
        })
    }

    fn retention(&mut self) -> Result<(), DbError> {
        let node = self.cfg.node.clone();
        let cutoff = self.cfg.max_age.map(|a| crate::now_millis() - a.as_millis() as i64);
        let max_size = match &self.cfg.backend {
            Backend::Sqlite(_) => self.cfg.max_size,
            Backend::Postgres(_) => None,
        };
        let c = ensure(&mut self.conn, &self.cfg.backend)?;
        let key = &self.key;
        if let Some(cut) = cutoff {
            let last = c.query(
                "SELECT seq FROM events WHERE node = $1 AND ts < $2 ORDER BY seq DESC LIMIT 1",
                &[Val::from(node.as_str()), Val::Int(cut)],
            )?;
            if let Some(seq) = last.first().map(|r| r[0].int()) {
                prune(c, key, &node, seq)?;
            }
            c.exec("DELETE FROM counts WHERE minute < $1", &[Val::Int(cut / 1000)])?;
        }
        if let Some(max) = max_size {
            let used = |c: &mut dyn Conn| -> Result<u64, DbError> {
                let r = c.query("SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()), (SELECT page_size FROM pragma_page_size())", &[])?;
                Ok(r.first().map(|r| (r[0].int().max(0) * r[1].int().max(0)) as u64).unwrap_or(0))
            };
            // A tenth of what is kept per round, so one round is bounded.
            for _ in 0..20 {
                if used(c)? <= max {
                    break;
                }
                let r = c.query("SELECT MIN(seq), MAX(seq) FROM events WHERE node = $1", &[Val::from(node.as_str())])?;
                let (lo, hi) = r.first().map(|r| (r[0].int(), r[1].int())).unwrap_or((0, 0));
                if hi <= lo {
                    break;
                }
                prune(c, key, &node, lo + ((hi - lo) / 10).max(1))?;
            }
        }
        Ok(())
    }
}

fn put_checkpoint(c: &mut dyn Conn, key: &NodeKey, chain: &str, node: &str, seq: i64, hash: &str) -> Result<chain::Checkpoint, DbError> {
    let cp = key.checkpoint(chain, node, seq, hash, crate::now_millis());
    c.exec(
        "INSERT INTO checkpoints (chain, node, seq, hash, ts, key, sig) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            Val::from(chain),
            Val::from(node),
            Val::Int(seq),
            Val::from(hash),
            Val::Int(cp.ts),
            Val::Text(cp.key.clone()),
            Val::Text(cp.sig.clone()),
        ],
    )?;
    Ok(cp)
}

/// Deletes this node's events up to `seq` and leaves a signed anchor, so
/// the chain still verifies from where it now starts.
fn prune(c: &mut dyn Conn, key: &NodeKey, node: &str, seq: i64) -> Result<(), DbError> {
    in_tx(c, |c| {
        let r = c.query("SELECT hash FROM events WHERE node = $1 AND seq = $2", &[Val::from(node), Val::Int(seq)])?;
        let Some(hash) = r.first().map(|r| r[0].text()) else { return Ok(()) };
        let cp = key.checkpoint("events", node, seq, &hash, crate::now_millis());
        c.exec("DELETE FROM anchors WHERE chain = 'events' AND node = $1", &[Val::from(node)])?;
        c.exec(
            "INSERT INTO anchors (chain, node, seq, hash, ts, key, sig) VALUES ('events', $1, $2, $3, $4, $5, $6)",
            &[Val::from(node), Val::Int(seq), Val::Text(hash), Val::Int(cp.ts), Val::Text(cp.key), Val::Text(cp.sig)],
        )?;
        let n = c.exec("DELETE FROM events WHERE node = $1 AND seq <= $2", &[Val::from(node), Val::Int(seq)])?;
        c.exec("DELETE FROM checkpoints WHERE chain = 'events' AND node = $1 AND seq <= $2", &[Val::from(node), Val::Int(seq)])?;
        tracing::info!("store retention: {n} event(s) up to #{seq} of node {node} deleted");
        Ok(())
    })
}

impl haetae_events::sink::Deliver for Writer {
    fn deliver(&mut self, batch: &[Arc<Event>]) -> Result<(), String> {
        match self.store(batch) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.after(&e);
                Err(format!("{}: {e}", self.cfg.describe()))
            }
        }
    }

    fn flush(&mut self) {
        if let Err(e) = self.counts() {
            tracing::warn!("store counters: {e}");
            self.after(&e);
        }
        if self.since_checkpoint > 0
            && let Err(e) = self.checkpoint_now()
        {
            self.after(&e);
        }
    }

    fn tick(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.last_counts) >= Duration::from_secs(5) {
            self.last_counts = now;
            if let Err(e) = self.counts() {
                tracing::warn!("store counters: {e}");
                self.after(&e);
            }
        }
        if self.since_checkpoint > 0
            && now.duration_since(self.last_checkpoint) >= self.cfg.checkpoint_interval
            && let Err(e) = self.checkpoint_now()
        {
            tracing::warn!("store checkpoint: {e}");
            self.after(&e);
        }
        let due = self.last_retention.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(600));
        if due && (self.cfg.max_age.is_some() || self.cfg.max_size.is_some()) {
            self.last_retention = Some(now);
            if let Err(e) = self.retention() {
                tracing::warn!("store retention: {e}");
                self.after(&e);
            }
        }
    }
}
