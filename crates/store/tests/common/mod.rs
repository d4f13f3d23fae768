//! The same checks for every backend.

use std::sync::Arc;

use haetae_events::sink::Sink;
use haetae_events::{Disposition, Event, Match};
use haetae_store::db::Val;
use haetae_store::{Audit, Filter, Store};

pub fn event(i: u64, site: &str, ip: &str, ms: u64, rule: u32, action: Disposition) -> Event {
    Event {
        id: format!("{:016x}", (ms << 20) | (i & 0xF_FFFF)),
        time: haetae_events::time::rfc3339(ms),
        site: site.into(),
        client_ip: ip.into(),
        method: "GET".into(),
        host: format!("{site}.test"),
        url: format!("/p/{}?q=x", i % 7),
        status: if action == Disposition::Blocked { 403 } else { 200 },
        action,
        mode: "prevention".into(),
        score: 5,
        threshold: 5,
        matches: vec![Match {
            detector: "sqli".into(),
            rule_id: rule,
            shape: "sqli.other".into(),
            location: "ARGS:q".into(),
            reason: "test".into(),
            confidence: haetae_model::Confidence::High,
            score: 5,
            excerpt: "x".into(),
        }],
    }
}

pub const T0: u64 = 1_764_633_600_000; // 2025-12-02T00:00:00Z

/// Stores `n` events through the sink, as the proxy does.
pub fn fill(store: &Arc<Store>, n: u64) {
    let sink = store.sink(None).unwrap();
    for i in 0..n {
        let site = if i % 3 == 0 { "alpha" } else { "beta" };
        let action = if i % 2 == 0 { Disposition::Blocked } else { Disposition::Logged };
        sink.record(&Arc::new(event(i, site, &format!("127.0.0.{}", 1 + i % 5), T0 + i * 1000, 942_100 + (i % 4) as u32, action)));
    }
    sink.flush();
    assert_eq!(sink.stats().written, n, "{:?}", sink.stats());
}

pub fn exercise(store: Arc<Store>) {
    fill(&store, 250);
    assert_eq!(store.count().unwrap(), 250);
    assert!(store.verify(None, &[]).unwrap().ok());

    // Filters, paging.
    let f = Filter { site: Some("alpha".into()), limit: 10, ..Default::default() };
    let p = store.search(&f).unwrap();
    assert_eq!(p.events.len(), 10);
    assert!(p.events.iter().all(|e| e.site == "alpha"));
    assert!(p.events.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let mut seen = p.events.len();
    let mut cursor = p.next.clone();
    while let Some(c) = cursor {
        let p = store.search(&Filter { cursor: Some(c), ..f.clone() }).unwrap();
        seen += p.events.len();
        cursor = p.next;
    }
    assert_eq!(seen, 84, "every alpha event once over the pages");
    let by_ip = store.search(&Filter { ip: Some("127.0.0.2".into()), limit: 1000, ..Default::default() }).unwrap();
    assert_eq!(by_ip.events.len(), 50);
    let by_rule = store.search(&Filter { rule: Some(942_101), action: Some("logged".into()), limit: 1000, ..Default::default() }).unwrap();
    assert!(
        !by_rule.events.is_empty() && by_rule.events.iter().all(|e| e.matches[0].rule_id == 942_101 && e.action == Disposition::Logged)
    );
    let by_time = store
        .search(&Filter { from: Some((T0 + 10_000) as i64), to: Some((T0 + 20_000) as i64), limit: 1000, ..Default::default() })
        .unwrap();
    assert_eq!(by_time.events.len(), 10);
    let by_path = store.search(&Filter { path: Some("/p/3".into()), limit: 1000, ..Default::default() }).unwrap();
    assert!(!by_path.events.is_empty() && by_path.events.iter().all(|e| e.url.starts_with("/p/3")));
    let scoped =
        store.search(&Filter { scope: Some(vec!["beta".into()]), site: Some("alpha".into()), limit: 10, ..Default::default() }).unwrap();
    assert!(scoped.events.is_empty(), "a scope is never widened by a filter");
    let one = &p.events[0];
    assert_eq!(store.event(&one.id, &None).unwrap().as_ref(), Some(one));
    assert_eq!(store.event(&one.id, &Some(vec!["beta".into()])).unwrap(), None);

    // Hostile filter values are data, never SQL.
    for hostile in ["' OR 1=1 --", "%", "_", "\\", "alpha' UNION SELECT body FROM events --", "\"; DROP TABLE events; --"] {
        for f in [
            Filter { site: Some(hostile.into()), limit: 10, ..Default::default() },
            Filter { ip: Some(hostile.into()), limit: 10, ..Default::default() },
            Filter { action: Some(hostile.into()), limit: 10, ..Default::default() },
            Filter { path: Some(hostile.into()), limit: 10, ..Default::default() },
            Filter { scope: Some(vec![hostile.into()]), limit: 10, ..Default::default() },
        ] {
            assert!(store.search(&f).unwrap().events.is_empty(), "{f:?}");
        }
        let q = store.search(&Filter { q: Some(hostile.into()), limit: 10, ..Default::default() }).unwrap();
        // Every body holds a literal `_` (`client_ip`), none the others.
        assert_eq!(q.events.len(), if hostile == "_" { 10 } else { 0 }, "{hostile}");
        assert!(store.search(&Filter { cursor: Some(hostile.into()), limit: 1, ..Default::default() }).is_err());
    }
    assert_eq!(store.count().unwrap(), 250, "nothing was dropped");

    // The summary: events by action per bucket, top rules.
    let s = store.summary(&None, Some("alpha"), T0 as i64, (T0 + 250_000) as i64, 60).unwrap();
    let total: i64 = s.buckets.iter().flat_map(|b| b.events.values()).sum();
    assert_eq!(total, 84);
    assert_eq!(s.buckets.len(), 5, "{:?}", s.buckets.iter().map(|b| b.start).collect::<Vec<_>>());
    assert!(!s.top_rules.is_empty());

    // Audit records chain too.
    store.audit(&Audit::new("cli", "local", "account_add", "alice")).unwrap();
    store.audit(&Audit::new("alice", "127.0.0.1", "login", "alice")).unwrap();
    assert_eq!(store.audit_log(None, None, 10).unwrap().len(), 2);
    let r = store.verify(None, &[]).unwrap();
    assert!(r.ok(), "{:?}", r.problems);
    assert_eq!(r.records["events"], 250);
    assert_eq!(r.records["audit"], 2);
    assert!(r.checkpoints >= 1);

    // Export of one site, verified on its own.
    let key = haetae_store::NodeKey::load_or_create(&store.config().key).unwrap();
    let mut out = Vec::new();
    let n = store.export(Some("alpha"), T0 as i64, (T0 + 100_000) as i64, &key, &mut out).unwrap();
    assert_eq!(n, 34);
    let good = haetae_store::verify::verify_export(out.as_slice(), Some(&key.public())).unwrap();
    assert!(good.ok(), "{:?}", good.problems);
    let text = String::from_utf8(out).unwrap();
    let edited = text.replacen("\\\"client_ip\\\":\\\"127.0.0.1\\\"", "\\\"client_ip\\\":\\\"127.0.0.9\\\"", 1);
    assert_ne!(edited, text);
    assert!(!haetae_store::verify::verify_export(edited.as_bytes(), None).unwrap().ok());
    let cut: String = text.lines().take(10).map(|l| format!("{l}\n")).collect();
    assert!(!haetae_store::verify::verify_export(cut.as_bytes(), None).unwrap().ok(), "an export without its checkpoint");
}

/// Each kind of tampering, found at the record where it happened.
pub fn tamper(store: Arc<Store>, raw: &mut dyn FnMut(&str, &[Val]) -> u64) {
    fill(&store, 30);
    let node = store.config().node.clone();
    let n = |v: &str| Val::from(v);
    assert!(store.verify(None, &[]).unwrap().ok());
    let first = |store: &Store| store.verify(None, &[]).unwrap().problems.first().cloned();

    // An edited body.
    let body: String = store
        .search(&Filter { limit: 1000, ..Default::default() })
        .unwrap()
        .events
        .iter()
        .find(|e| e.id.ends_with("05"))
        .map(|e| serde_json::to_string(e).unwrap())
        .unwrap();
    raw("UPDATE events SET body = $1 WHERE node = $2 AND seq = 6", &[n(&body.replace("127.0.0.1", "127.0.0.4")), n(&node)]);
    let p = first(&store).expect("an edit is found");
    assert_eq!(p.seq, 6, "{p}");
    raw("UPDATE events SET body = $1 WHERE node = $2 AND seq = 6", &[n(&body), n(&node)]);
    assert!(store.verify(None, &[]).unwrap().ok(), "restored");

    // An edited column beside an untouched body.
    raw("UPDATE events SET action = 'logged' WHERE node = $1 AND seq = 9 AND action = 'blocked'", &[n(&node)]);
    raw("UPDATE events SET action = 'blocked' WHERE node = $1 AND seq = 9 AND action = 'logged'", &[n(&node)]);
    raw("UPDATE events SET client_ip = '10.0.0.1' WHERE node = $1 AND seq = 9", &[n(&node)]);
    assert_eq!(first(&store).map(|p| p.seq), Some(9));
    raw("UPDATE events SET client_ip = '127.0.0.4' WHERE node = $1 AND seq = 9", &[n(&node)]);
    assert!(store.verify(None, &[]).unwrap().ok(), "restored");

    // A deleted record.
    assert_eq!(raw("DELETE FROM events WHERE node = $1 AND seq = 12", &[n(&node)]), 1);
    let p = first(&store).expect("a deletion is found");
    assert_eq!(p.seq, 12, "{p}");
    assert!(p.what.contains("missing"), "{p}");
}

/// A TOTP step logs in once: the same or an older one is a replay.
pub fn totp_once(s: &Store) {
    let a = haetae_store::accounts::Account {
        name: "alice".into(),
        role: "admin".into(),
        sites: vec![],
        password: "$argon2id$x".into(),
        totp: "SECRET".into(),
        totp_last: 0,
        disabled: false,
        created: 0,
        updated: 0,
    };
    assert!(s.add_account(&a).unwrap());
    assert!(!s.add_account(&a).unwrap(), "a name is taken once");
    assert!(s.use_totp_step("alice", 100).unwrap());
    assert!(!s.use_totp_step("alice", 100).unwrap(), "replayed");
    assert!(!s.use_totp_step("alice", 99).unwrap(), "older");
    assert!(s.use_totp_step("alice", 101).unwrap());
}
