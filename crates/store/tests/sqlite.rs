mod common;

use std::path::PathBuf;
use std::sync::Arc;

use haetae_store::db::{Conn, Sqlite};
use haetae_store::{Store, StoreConfig};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("haetae-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn open(name: &str) -> (Arc<Store>, PathBuf) {
    let d = dir(name);
    let mut cfg = StoreConfig::sqlite(d.join("haetae.db"));
    cfg.node = "n1".into();
    cfg.checkpoint_every = 20;
    (Store::open(cfg).unwrap(), d)
}

#[test]
fn stores_searches_summarizes_and_verifies() {
    let (s, d) = open("all");
    common::exercise(s);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("haetae.db")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the database is its owner's only");
    }
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn tampering_is_found_where_it_happened() {
    let (s, d) = open("tamper");
    let mut c = Sqlite::open(&d.join("haetae.db")).unwrap();
    common::tamper(s.clone(), &mut |sql, p| c.exec(sql, p).unwrap());
    // A truncated tail, found by the last checkpoint.
    let mut c = Sqlite::open(&d.join("haetae.db")).unwrap();
    c.exec("INSERT INTO events SELECT node, 12, id || 'x', ts, site, client_ip, method, host, path, status, action, score, rule, rules, body, prev, hash FROM events WHERE seq = 11", &[]).unwrap();
    let p = s.verify(None, &[]).unwrap();
    assert!(!p.ok());
    c.exec("DELETE FROM events WHERE seq = 12", &[]).unwrap();
    // Put the chain back in order except for the tail: delete 12..30.
    c.exec("DELETE FROM events WHERE seq >= 12", &[]).unwrap();
    let r = s.verify(None, &[]).unwrap();
    let p = r.problems.first().expect("truncation is found");
    assert!(p.what.contains("truncated"), "{p}");
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_corrupt_file_is_refused_with_its_path() {
    let d = dir("corrupt");
    let path = d.join("haetae.db");
    std::fs::write(&path, vec![0x5au8; 8192]).unwrap();
    let e = Store::open(StoreConfig::sqlite(&path)).err().expect("refused");
    assert!(e.message.contains(&path.display().to_string()), "{e}");
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn retention_deletes_the_oldest_and_the_rest_still_verifies() {
    let d = dir("retention");
    let mut cfg = StoreConfig::sqlite(d.join("haetae.db"));
    cfg.node = "n1".into();
    cfg.checkpoint_every = 7;
    cfg.max_age = Some(std::time::Duration::from_secs(3600));
    let s = Store::open(cfg).unwrap();
    // Events from long ago, then recent ones: retention runs at the
    // writer's first tick.
    let sink = s.sink(None).unwrap();
    let now = haetae_events::time::unix_millis();
    for i in 0..40u64 {
        let ms = if i < 25 { common::T0 + i } else { now - 1000 + i };
        haetae_events::sink::Sink::record(
            &sink,
            &Arc::new(common::event(i, "alpha", "127.0.0.1", ms, 1, haetae_events::Disposition::Blocked)),
        );
    }
    haetae_events::sink::Sink::flush(&sink);
    drop(sink);
    let s2 = Store::open({
        let mut c = StoreConfig::sqlite(d.join("haetae.db"));
        c.node = "n1".into();
        c.max_age = Some(std::time::Duration::from_secs(3600));
        c
    })
    .unwrap();
    let sink = s2.sink(None).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    haetae_events::sink::Sink::flush(&sink);
    assert_eq!(s2.count().unwrap(), 15, "the 25 old events are gone");
    let r = s2.verify(None, &[]).unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    // More events chain on after the pruned part.
    haetae_events::sink::Sink::record(
        &sink,
        &Arc::new(common::event(99, "alpha", "127.0.0.1", now, 1, haetae_events::Disposition::Blocked)),
    );
    haetae_events::sink::Sink::flush(&sink);
    assert!(s2.verify(None, &[]).unwrap().ok());
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn counters_add_up_per_site_and_minute() {
    let (s, d) = open("counts");
    let tally = Arc::new(haetae_events::tally::Tally::default());
    let sink = s.sink(Some(tally.clone())).unwrap();
    let t0 = (common::T0 / 1000) as i64;
    for i in 0..180 {
        let sample = haetae_events::tally::Sample {
            status: if i % 10 == 0 { 403 } else { 200 },
            blocked: i % 10 == 0,
            bytes_in: 100,
            bytes_out: 1000,
            upstream_error: false,
        };
        tally.add("alpha", t0 + i, sample);
    }
    haetae_events::sink::Sink::flush(&sink);
    tally.add("alpha", t0 + 5, haetae_events::tally::Sample { status: 502, upstream_error: true, ..Default::default() });
    haetae_events::sink::Sink::flush(&sink);
    let sum = s.summary(&None, Some("alpha"), common::T0 as i64, common::T0 as i64 + 180_000, 60).unwrap();
    assert_eq!(sum.buckets.len(), 3);
    assert_eq!(sum.buckets[0].requests, 61, "a minute that arrived in two parts is added up");
    assert_eq!(sum.buckets[0].status, [0, 54, 0, 6, 1]);
    assert_eq!(sum.buckets[0].upstream_errors, 1);
    assert_eq!(sum.buckets.iter().map(|b| b.blocked).sum::<i64>(), 18);
    assert_eq!(sum.buckets.iter().map(|b| b.bytes_out).sum::<i64>(), 180_000);
    let hourly = s.summary(&None, None, common::T0 as i64, common::T0 as i64 + 3_600_000, 3600).unwrap();
    assert_eq!(hourly.buckets.len(), 1);
    assert_eq!(hourly.buckets[0].requests, 181);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn a_totp_step_is_accepted_once() {
    let (s, d) = open("accounts");
    common::totp_once(&s);
    let _ = std::fs::remove_dir_all(d);
}

#[test]
fn retention_by_size_keeps_the_newest_and_they_still_verify() {
    let d = dir("retention-size");
    let mut cfg = StoreConfig::sqlite(d.join("haetae.db"));
    cfg.node = "n1".into();
    cfg.checkpoint_every = 50;
    common::fill(&Store::open(cfg.clone()).unwrap(), 2000);
    let before = std::fs::metadata(d.join("haetae.db")).unwrap().len();
    // A limit well under what is stored: the writer's first tick prunes.
    cfg.max_size = Some(before / 4);
    let s = Store::open(cfg).unwrap();
    let sink = s.sink(None).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    haetae_events::sink::Sink::flush(&sink);
    let kept = s.count().unwrap();
    assert!(kept > 0 && kept < 1000, "kept {kept} of 2000");
    let newest = s.search(&haetae_store::Filter { limit: 1, ..Default::default() }).unwrap();
    let last = common::event(1999, "x", "x", common::T0 + 1999 * 1000, 0, haetae_events::Disposition::Logged);
    assert_eq!(newest.events[0].id, last.id, "the newest stay");
    let r = s.verify(None, &[]).unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    let _ = std::fs::remove_dir_all(d);
}
