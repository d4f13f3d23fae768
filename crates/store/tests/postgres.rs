//! The same checks against a real PostgreSQL server. `.ci/run` starts one
//! and sets `HAETAE_TEST_POSTGRES`; in CI (`CI` set) a missing server is a
//! failure, never a silent skip.

mod common;

use std::sync::Arc;

use haetae_store::db::{Conn, Postgres};
use haetae_store::{Backend, Store, StoreConfig};

fn url() -> Option<String> {
    match std::env::var("HAETAE_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "CI is set but HAETAE_TEST_POSTGRES is not: .ci/run must start PostgreSQL");
            eprintln!("HAETAE_TEST_POSTGRES unset: PostgreSQL tests not run here");
            None
        }
    }
}

/// A fresh database for one test (dropped first if a run left it).
fn fresh(url: &str, name: &str) -> String {
    let mut admin = Postgres::connect(url).expect("connect to the test server");
    admin.batch(&format!("DROP DATABASE IF EXISTS {name}")).expect("drop");
    admin.batch(&format!("CREATE DATABASE {name}")).expect("create");
    match url.rfind('/') {
        Some(i) if url[..i].contains("://") && url[..i].len() > url.find("://").unwrap_or(0) + 3 => format!("{}/{name}", &url[..i]),
        _ => format!("{url}/{name}"),
    }
}

fn open(url: &str, name: &str) -> (Arc<Store>, String) {
    let db = fresh(url, name);
    let key = std::env::temp_dir().join(format!("haetae-pg-{name}-{}.key", std::process::id()));
    let _ = std::fs::remove_file(&key);
    let mut cfg = StoreConfig::new(Backend::Postgres(db.clone()));
    cfg.node = "n1".into();
    cfg.key = key;
    cfg.checkpoint_every = 20;
    (Store::open(cfg).expect("open the store"), db)
}

#[test]
fn postgres_stores_searches_summarizes_and_verifies() {
    let Some(u) = url() else { return };
    let (s, _) = open(&u, "haetae_test_all");
    common::exercise(s);
}

#[test]
fn postgres_tampering_is_found() {
    let Some(u) = url() else { return };
    let (s, db) = open(&u, "haetae_test_tamper");
    let mut c = Postgres::connect(&db).expect("connect");
    common::tamper(s, &mut |sql, p| c.exec(sql, p).expect("raw statement"));
}

#[test]
fn postgres_a_totp_step_is_accepted_once() {
    let Some(u) = url() else { return };
    let (s, _) = open(&u, "haetae_test_accounts");
    common::totp_once(&s);
}

#[test]
fn a_dead_server_is_an_error_naming_it_without_the_password() {
    let cfg = StoreConfig::new(Backend::Postgres("postgres://haetae:s3cret@127.0.0.1:1/haetae".into()));
    let e = Store::open(cfg).err().expect("refused");
    assert!(e.message.contains("127.0.0.1:1") && !e.message.contains("s3cret"), "{e}");
}
