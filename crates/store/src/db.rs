//! One small interface over the two databases, so every query is written
//! once: SQL with `$1…` placeholders (PostgreSQL's; rewritten to SQLite's
//! `?1…`), values as [`Val`], rows as vectors of them. The types used are
//! the ones both agree on: 64-bit integers and text (hashes are hex).

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
}

impl Val {
    pub fn int(&self) -> i64 {
        match self {
            Val::Int(i) => *i,
            Val::Text(t) => t.parse().unwrap_or(0),
            Val::Null => 0,
        }
    }

    pub fn text(&self) -> String {
        match self {
            Val::Text(t) => t.clone(),
            Val::Int(i) => i.to_string(),
            Val::Null => String::new(),
        }
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_owned())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}

pub type Row = Vec<Val>;

/// A database error, with what kind of trouble it is: the writer treats a
/// full disk and a busy lock as passing, a corrupt file as fatal.
#[derive(Debug, Clone)]
pub struct DbError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Full,
    Busy,
    Corrupt,
    Unavailable,
    Other,
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbError {}

impl DbError {
    pub fn other(m: impl Into<String>) -> Self {
        DbError { kind: ErrorKind::Other, message: m.into() }
    }
}

pub trait Conn: Send {
    /// Statements without parameters (schema).
    fn batch(&mut self, sql: &str) -> Result<(), DbError>;
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, DbError>;
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError>;
    /// A write transaction that holds the write lock from its start (so a
    /// chain head read inside it is still the head at commit).
    fn begin(&mut self) -> Result<(), DbError>;
    fn commit(&mut self) -> Result<(), DbError>;
    fn rollback(&mut self);
}

/// Runs `f` in a write transaction, rolled back when it fails.
pub fn in_tx<T>(c: &mut dyn Conn, f: impl FnOnce(&mut dyn Conn) -> Result<T, DbError>) -> Result<T, DbError> {
    c.begin()?;
    match f(c) {
        Ok(v) => {
            c.commit()?;
            Ok(v)
        }
        Err(e) => {
            c.rollback();
            Err(e)
        }
    }
}

// ---- SQLite ----

pub struct Sqlite {
    conn: rusqlite::Connection,
}

fn sqlite_err(e: rusqlite::Error) -> DbError {
    use rusqlite::ErrorCode as C;
    let kind = match e.sqlite_error_code() {
        Some(C::DiskFull) => ErrorKind::Full,
        Some(C::DatabaseBusy | C::DatabaseLocked) => ErrorKind::Busy,
        Some(C::DatabaseCorrupt | C::NotADatabase) => ErrorKind::Corrupt,
        Some(C::CannotOpen | C::ReadOnly | C::SystemIoFailure) => ErrorKind::Unavailable,
        _ => ErrorKind::Other,
    };
    DbError { kind, message: e.to_string() }
}

/// `$1` → `?1`: the SQL text is written once, for PostgreSQL.
fn to_sqlite(sql: &str) -> std::borrow::Cow<'_, str> {
    if sql.contains('$') { sql.replace('$', "?").into() } else { sql.into() }
}

impl Sqlite {
    pub fn open(path: &std::path::Path) -> Result<Self, DbError> {
        let conn = rusqlite::Connection::open(path).map_err(sqlite_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(sqlite_err)?;
        // WAL: readers (the console) never wait for the writer; NORMAL
        // sync is durable at every checkpoint and loses at most the last
        // transactions on power loss, never the file.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -32768;",
        )
        .map_err(sqlite_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Self { conn })
    }
}

fn bind(v: &Val) -> rusqlite::types::Value {
    match v {
        Val::Null => rusqlite::types::Value::Null,
        Val::Int(i) => rusqlite::types::Value::Integer(*i),
        Val::Text(t) => rusqlite::types::Value::Text(t.clone()),
    }
}

impl Conn for Sqlite {
    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.conn.execute_batch(sql).map_err(sqlite_err)
    }

    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, DbError> {
        let mut st = self.conn.prepare_cached(&to_sqlite(sql)).map_err(sqlite_err)?;
        let n = st.execute(rusqlite::params_from_iter(params.iter().map(bind))).map_err(sqlite_err)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        let mut st = self.conn.prepare_cached(&to_sqlite(sql)).map_err(sqlite_err)?;
        let cols = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(params.iter().map(bind))).map_err(sqlite_err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(sqlite_err)? {
            let mut row = Vec::with_capacity(cols);
            for i in 0..cols {
                row.push(match r.get_ref(i).map_err(sqlite_err)? {
                    rusqlite::types::ValueRef::Null => Val::Null,
                    rusqlite::types::ValueRef::Integer(i) => Val::Int(i),
                    rusqlite::types::ValueRef::Real(f) => Val::Int(f as i64),
                    rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                        Val::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(row);
        }
        Ok(out)
    }

    fn begin(&mut self) -> Result<(), DbError> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(sqlite_err)
    }

    fn commit(&mut self) -> Result<(), DbError> {
        self.conn.execute_batch("COMMIT").map_err(sqlite_err)
    }

    fn rollback(&mut self) {
        let _ = self.conn.execute_batch("ROLLBACK");
    }
}

// ---- PostgreSQL ----

pub struct Postgres {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
    in_tx: bool,
}

fn pg_err(e: postgres::Error) -> DbError {
    let kind = match e.code() {
        Some(c) if *c == postgres::error::SqlState::DISK_FULL => ErrorKind::Full,
        Some(c) if *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE || *c == postgres::error::SqlState::LOCK_NOT_AVAILABLE => {
            ErrorKind::Busy
        }
        Some(_) => ErrorKind::Other,
        None => ErrorKind::Unavailable,
    };
    // The server's own message, not only "db error".
    let message = match e.as_db_error() {
        Some(d) => format!("{}: {}", d.severity(), d.message()),
        None => e.to_string(),
    };
    DbError { kind, message }
}

impl Postgres {
    pub fn connect(url: &str) -> Result<Self, DbError> {
        let mut cfg: postgres::Config = url.parse().map_err(|e: postgres::Error| DbError::other(format!("store url: {e}")))?;
        cfg.connect_timeout(std::time::Duration::from_secs(5));
        let client = cfg.connect(postgres::NoTls).map_err(pg_err)?;
        Ok(Self { client, statements: HashMap::new(), in_tx: false })
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, DbError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).map_err(pg_err)?;
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

fn pg_params(params: &[Val]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn postgres::types::ToSql + Sync> {
            match v {
                Val::Null => Box::new(Option::<String>::None),
                Val::Int(i) => Box::new(*i),
                Val::Text(t) => Box::new(t.clone()),
            }
        })
        .collect()
}

impl Conn for Postgres {
    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        self.client.batch_execute(sql).map_err(pg_err)
    }

    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, DbError> {
        let st = self.statement(sql)?;
        let p = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = p.iter().map(|b| b.as_ref()).collect();
        self.client.execute(&st, &refs).map_err(pg_err)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, DbError> {
        use postgres::types::Type;
        let st = self.statement(sql)?;
        let p = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = p.iter().map(|b| b.as_ref()).collect();
        let rows = self.client.query(&st, &refs).map_err(pg_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut row = Vec::with_capacity(r.len());
            for (i, c) in r.columns().iter().enumerate() {
                let v = match *c.type_() {
                    Type::INT8 => r.try_get::<_, Option<i64>>(i).map_err(pg_err)?.map(Val::Int),
                    Type::INT4 => r.try_get::<_, Option<i32>>(i).map_err(pg_err)?.map(|v| Val::Int(v.into())),
                    Type::INT2 => r.try_get::<_, Option<i16>>(i).map_err(pg_err)?.map(|v| Val::Int(v.into())),
                    Type::NUMERIC => {
                        // SUM(bigint) is numeric; read as text and parse.
                        return Err(DbError::other("numeric column: cast it to BIGINT in the query"));
                    }
                    _ => r.try_get::<_, Option<String>>(i).map_err(pg_err)?.map(Val::Text),
                };
                row.push(v.unwrap_or(Val::Null));
            }
            out.push(row);
        }
        Ok(out)
    }

    fn begin(&mut self) -> Result<(), DbError> {
        // One writer at a time across every node: a chain head read in
        // the transaction stays the head until it commits.
        self.client.batch_execute("BEGIN; SELECT pg_advisory_xact_lock(7210)").map_err(pg_err)?;
        self.in_tx = true;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), DbError> {
        self.in_tx = false;
        self.client.batch_execute("COMMIT").map_err(pg_err)
    }

    fn rollback(&mut self) {
        if self.in_tx {
            let _ = self.client.batch_execute("ROLLBACK");
        }
        self.in_tx = false;
    }
}
