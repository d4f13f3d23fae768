//! The stored record: security events, the audit trail and per-minute
//! request counters, in SQLite (the embedded default: one file, nothing
//! to install) or PostgreSQL (several nodes writing to one place). Both
//! run the same SQL ([`db`]).
//!
//! Events arrive through the event fan-out as one more sink: a bounded
//! queue to a writer thread that stores them in batched transactions, so
//! a slow, full or broken database costs dropped (and counted) events,
//! never a waiting request. Every event and audit record is hash-chained
//! per node, with signed checkpoints ([`chain`]); [`Store::verify`] finds
//! the first edited, inserted, deleted or truncated record.

pub mod accounts;
pub mod chain;
pub mod db;
pub mod query;
pub mod record;
pub mod schema;
pub mod verify;
mod writer;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use chain::{Checkpoint, NodeKey};
pub use db::{DbError, ErrorKind};
pub use query::{AuditEntry, Bucket, Filter, Page, Summary};
pub use record::Audit;
pub use verify::{Problem, Report};

use db::{Conn, Val};

pub(crate) fn now_millis() -> i64 {
    haetae_events::time::unix_millis() as i64
}

/// Where the store is and how it keeps its record.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub backend: Backend,
    /// This node's name in the chains (several nodes may share a database).
    pub node: String,
    /// The node's Ed25519 signing key (made on first start).
    pub key: PathBuf,
    /// A checkpoint every this many records…
    pub checkpoint_every: u64,
    /// …or this often, whichever comes first.
    pub checkpoint_interval: Duration,
    /// Checkpoints are also appended here, as JSON lines, to ship off the box.
    pub checkpoint_file: Option<PathBuf>,
    /// Events (and counters) older than this are deleted.
    pub max_age: Option<Duration>,
    /// The oldest events are deleted while the SQLite data is larger.
    pub max_size: Option<u64>,
    /// Events queued for the writer before new ones are dropped.
    pub queue: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite(PathBuf),
    Postgres(String),
}

impl StoreConfig {
    /// SQLite at `path`, its key beside it.
    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        Self::new(Backend::Sqlite(path.into()))
    }

    /// The defaults for `backend`: the key beside the SQLite file, or
    /// `haetae-node.key` in the working folder for PostgreSQL (the config
    /// file always names one).
    pub fn new(backend: Backend) -> Self {
        let key = match &backend {
            Backend::Sqlite(p) => p.with_extension("key"),
            Backend::Postgres(_) => PathBuf::from("haetae-node.key"),
        };
        StoreConfig {
            backend,
            node: default_node(),
            key,
            checkpoint_every: 1000,
            checkpoint_interval: Duration::from_secs(60),
            checkpoint_file: None,
            max_age: None,
            max_size: None,
            queue: 65_536,
        }
    }
}

/// The host name, for a node that was not given one.
pub fn default_node() -> String {
    std::fs::read_to_string("/etc/hostname").ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).unwrap_or_else(|| "node".into())
}

#[derive(Debug, Clone)]
pub struct StoreError {
    pub message: String,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}

impl From<DbError> for StoreError {
    fn from(e: DbError) -> Self {
        StoreError { message: e.message }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

fn err(m: impl Into<String>) -> StoreError {
    StoreError { message: m.into() }
}

pub struct Store {
    cfg: StoreConfig,
    idle: Mutex<Vec<Box<dyn Conn>>>,
}

/// A connection borrowed from the store's pool, given back on drop
/// (unless it failed: a broken connection is not reused).
pub struct Lease<'a> {
    store: &'a Store,
    conn: Option<Box<dyn Conn>>,
    broken: bool,
}

impl Lease<'_> {
    pub fn conn(&mut self) -> &mut dyn Conn {
        // Present until drop.
        self.conn.as_deref_mut().expect("lease holds a connection")
    }

    /// Runs `f` on the connection; a failure that is not the query's
    /// fault (a dead server) retires the connection.
    pub fn run<T>(&mut self, f: impl FnOnce(&mut dyn Conn) -> std::result::Result<T, DbError>) -> Result<T> {
        let r = f(self.conn());
        if let Err(e) = &r
            && matches!(e.kind, ErrorKind::Unavailable | ErrorKind::Corrupt)
        {
            self.broken = true;
        }
        Ok(r?)
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take()
            && !self.broken
            && let Ok(mut idle) = self.store.idle.lock()
            && idle.len() < 8
        {
            idle.push(c);
        }
    }
}

pub(crate) fn connect(b: &Backend) -> std::result::Result<Box<dyn Conn>, DbError> {
    Ok(match b {
        Backend::Sqlite(p) => Box::new(db::Sqlite::open(p)?),
        Backend::Postgres(u) => Box::new(db::Postgres::connect(u)?),
    })
}

impl Store {
    /// Opens (or creates, 0600) the database and brings its schema up to
    /// date. A file that is not a database, or a server that does not
    /// answer, is an error naming it.
    pub fn open(cfg: StoreConfig) -> Result<Arc<Store>> {
        let place = cfg.describe();
        if let Backend::Sqlite(p) = &cfg.backend {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| err(format!("{}: {e}", dir.display())))?;
            }
            match chain::private_file(p) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(err(format!("{}: {e}", p.display()))),
            }
        }
        let mut c = connect(&cfg.backend).map_err(|e| err(format!("{place}: {e}")))?;
        schema::migrate(c.as_mut()).map_err(|e| err(format!("{place}: {e}")))?;
        let s = Arc::new(Store { cfg, idle: Mutex::new(Vec::new()) });
        if let Ok(mut idle) = s.idle.lock() {
            idle.push(c);
        }
        Ok(s)
    }

    pub fn config(&self) -> &StoreConfig {
        &self.cfg
    }

    pub fn lease(&self) -> Result<Lease<'_>> {
        let pooled = self.idle.lock().ok().and_then(|mut v| v.pop());
        let conn = match pooled {
            Some(c) => c,
            None => connect(&self.cfg.backend).map_err(|e| err(format!("{}: {e}", self.cfg.describe())))?,
        };
        Ok(Lease { store: self, conn: Some(conn), broken: false })
    }

    /// The sink that stores events (and drains `tally` into the counters).
    pub fn sink(self: &Arc<Self>, tally: Option<Arc<haetae_events::tally::Tally>>) -> Result<haetae_events::sink::Queued> {
        let key = NodeKey::load_or_create(&self.cfg.key).map_err(|e| err(format!("node key {}: {e}", self.cfg.key.display())))?;
        let w = writer::Writer::new(self.cfg.clone(), key, tally);
        haetae_events::sink::Queued::new("store", self.cfg.queue, w).map_err(|e| err(format!("store writer thread: {e}")))
    }

    /// Appends an audit record to this node's audit chain.
    pub fn audit(&self, a: &Audit) -> Result<()> {
        let body = serde_json::to_string(a).map_err(|e| err(e.to_string()))?;
        let node = self.cfg.node.clone();
        self.lease()?.run(|c| {
            db::in_tx(c, |c| {
                let (seq, prev) = writer::head(c, "audit", &node)?;
                let hash = chain::link(&prev, &body);
                c.exec(
                    "INSERT INTO audit (node, seq, ts, actor, ip, action, target, body, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    &[
                        Val::Text(node.clone()),
                        Val::Int(seq + 1),
                        Val::Int(a.ts),
                        Val::from(a.actor.as_str()),
                        Val::from(a.ip.as_str()),
                        Val::from(a.action.as_str()),
                        Val::from(a.target.as_str()),
                        Val::Text(body.clone()),
                        Val::Text(prev),
                        Val::Text(hash),
                    ],
                )?;
                Ok(())
            })
        })
    }
}

impl StoreConfig {
    /// The database as shown in messages (a URL without its password).
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Sqlite(p) => p.display().to_string(),
            Backend::Postgres(u) => redact_url(u),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(u: &str) -> String {
    if let Some(at) = u.rfind('@')
        && let Some(scheme) = u.find("://")
        && let Some(colon) = u[scheme + 3..at].find(':')
    {
        let c = scheme + 3 + colon;
        return format!("{}:***{}", &u[..c], &u[at..]);
    }
    u.to_owned()
}
