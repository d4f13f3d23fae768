//! The schema, as numbered migrations applied in order and recorded in
//! `haetae_schema`; the same SQL for SQLite and PostgreSQL.

use crate::db::{Conn, DbError, Val, in_tx};

const MIGRATIONS: &[&str] = &[
    // 1: events, audit, their chains, counters, accounts.
    "CREATE TABLE events (
        node TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL, ts BIGINT NOT NULL,
        site TEXT NOT NULL, client_ip TEXT NOT NULL, method TEXT NOT NULL, host TEXT NOT NULL,
        path TEXT NOT NULL, status BIGINT NOT NULL, action TEXT NOT NULL, score BIGINT NOT NULL,
        rule BIGINT NOT NULL, rules TEXT NOT NULL, body TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL,
        PRIMARY KEY (node, seq));
     CREATE UNIQUE INDEX events_id ON events (id);
     CREATE INDEX events_ts ON events (ts);
     CREATE INDEX events_site_ts ON events (site, ts);
     CREATE INDEX events_ip_ts ON events (client_ip, ts);
     CREATE INDEX events_rule_ts ON events (rule, ts);
     CREATE INDEX events_action_ts ON events (action, ts);
     CREATE INDEX events_path ON events (path, ts);
     CREATE TABLE audit (
        node TEXT NOT NULL, seq BIGINT NOT NULL, ts BIGINT NOT NULL, actor TEXT NOT NULL, ip TEXT NOT NULL,
        action TEXT NOT NULL, target TEXT NOT NULL, body TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL,
        PRIMARY KEY (node, seq));
     CREATE INDEX audit_ts ON audit (ts);
     CREATE TABLE checkpoints (
        chain TEXT NOT NULL, node TEXT NOT NULL, seq BIGINT NOT NULL, hash TEXT NOT NULL, ts BIGINT NOT NULL,
        key TEXT NOT NULL, sig TEXT NOT NULL, PRIMARY KEY (chain, node, seq));
     CREATE TABLE anchors (
        chain TEXT NOT NULL, node TEXT NOT NULL, seq BIGINT NOT NULL, hash TEXT NOT NULL, ts BIGINT NOT NULL,
        key TEXT NOT NULL, sig TEXT NOT NULL, PRIMARY KEY (chain, node));
     CREATE TABLE counts (
        site TEXT NOT NULL, minute BIGINT NOT NULL, requests BIGINT NOT NULL, blocked BIGINT NOT NULL,
        s1 BIGINT NOT NULL, s2 BIGINT NOT NULL, s3 BIGINT NOT NULL, s4 BIGINT NOT NULL, s5 BIGINT NOT NULL,
        bytes_in BIGINT NOT NULL, bytes_out BIGINT NOT NULL, upstream_errors BIGINT NOT NULL,
        PRIMARY KEY (site, minute));
     CREATE TABLE accounts (
        name TEXT PRIMARY KEY, role TEXT NOT NULL, sites TEXT NOT NULL, password TEXT NOT NULL,
        totp TEXT NOT NULL, totp_last BIGINT NOT NULL, disabled BIGINT NOT NULL,
        created BIGINT NOT NULL, updated BIGINT NOT NULL);
     CREATE TABLE tokens (
        id TEXT PRIMARY KEY, account TEXT NOT NULL, name TEXT NOT NULL, hash TEXT NOT NULL,
        created BIGINT NOT NULL, revoked BIGINT NOT NULL, last_used BIGINT NOT NULL);
     CREATE UNIQUE INDEX tokens_hash ON tokens (hash);",
];

/// The newest schema version this build knows.
pub const VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`VERSION`]; refuses one written by a newer build.
pub fn migrate(c: &mut dyn Conn) -> Result<(), DbError> {
    c.batch("CREATE TABLE IF NOT EXISTS haetae_schema (version BIGINT NOT NULL)")?;
    in_tx(c, |c| {
        let rows = c.query("SELECT MAX(version) FROM haetae_schema", &[])?;
        let have = rows.first().and_then(|r| r.first()).map(Val::int).unwrap_or(0);
        if have > VERSION {
            return Err(DbError::other(format!("the store is at schema version {have}, this build knows {VERSION}: upgrade haetae")));
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(have as usize) {
            c.batch(m)?;
            c.exec("INSERT INTO haetae_schema (version) VALUES ($1)", &[Val::Int(i as i64 + 1)])?;
        }
        Ok(())
    })
}
