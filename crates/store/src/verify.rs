//! Checking the chains: every record links to the one before it, its
//! hash is its content's, its indexed columns are its body's, no number
//! is missing, and every checkpoint (stored, shipped, or carried by an
//! export) is signed and names a record that still has that hash.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde::Serialize;

use crate::chain::{self, Checkpoint, NodeKey};
use crate::db::Val;
use crate::record::{Audit, EventRow};
use crate::{Result, Store, err};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub chain: String,
    pub node: String,
    /// The first record found wrong (or missing).
    pub seq: i64,
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} chain of node {}, record #{}: {}", self.chain, self.node, self.seq, self.what)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Records checked, per chain.
    pub records: BTreeMap<String, u64>,
    pub checkpoints: u64,
    /// The signing keys the checkpoints name.
    pub keys: Vec<String>,
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One chain, walked in order: what the next record must be.
struct Walk {
    chain: String,
    node: String,
    seq: i64,
    prev: String,
    records: u64,
    hashes: BTreeMap<i64, String>,
    problem: Option<Problem>,
}

impl Walk {
    fn new(chain: &str, node: &str, seq: i64, prev: String) -> Self {
        Walk { chain: chain.into(), node: node.into(), seq, prev, records: 0, hashes: BTreeMap::new(), problem: None }
    }

    fn fail(&mut self, seq: i64, what: impl Into<String>) {
        if self.problem.is_none() {
            self.problem = Some(Problem { chain: self.chain.clone(), node: self.node.clone(), seq, what: what.into() });
        }
    }

    /// The next record: its number, stored `prev` and `hash`, and its
    /// body's digest. False once the chain is broken (later records are
    /// not judged against a broken one).
    fn step(&mut self, seq: i64, prev: &str, hash: &str, digest: &str) -> bool {
        if self.problem.is_some() {
            return false;
        }
        if seq != self.seq + 1 {
            let what = if seq > self.seq + 1 {
                format!("records #{}..#{} are missing (deleted)", self.seq + 1, seq - 1)
            } else {
                "a record out of order (inserted)".into()
            };
            self.fail(self.seq + 1, what);
            return false;
        }
        if prev != self.prev {
            self.fail(seq, "does not link to the record before it (inserted, or one before it was deleted)");
            return false;
        }
        if chain::link_digest(prev, digest) != hash {
            self.fail(seq, "its content does not match its hash (edited)");
            return false;
        }
        self.seq = seq;
        self.prev = hash.to_owned();
        self.records += 1;
        self.hashes.insert(seq, hash.to_owned());
        true
    }

    /// Checks the checkpoints of this chain against what was walked.
    fn checkpoints(&mut self, cps: &[Checkpoint], trusted: Option<&str>, first: i64, report: &mut Report) {
        let (chain, node) = (self.chain.clone(), self.node.clone());
        for cp in cps.iter().filter(|c| c.chain == chain && c.node == node) {
            report.checkpoints += 1;
            if !report.keys.contains(&cp.key) {
                report.keys.push(cp.key.clone());
            }
            if !cp.signed() {
                self.fail(cp.seq, "a checkpoint's signature is wrong (the checkpoint was edited)");
            } else if trusted.is_some_and(|k| k != cp.key) {
                self.fail(cp.seq, format!("a checkpoint is signed by another key ({}…)", &cp.key[..16.min(cp.key.len())]));
            } else if cp.seq < first {
                // Before the retained part (retention): nothing to compare.
            } else if self.problem.is_none() && cp.seq > self.seq {
                self.fail(self.seq + 1, format!("the chain ends at #{} but a checkpoint names #{} (truncated)", self.seq, cp.seq));
            } else if let Some(h) = self.hashes.get(&cp.seq)
                && *h != cp.hash
            {
                self.fail(cp.seq, "differs from its signed checkpoint (the chain was rewritten)");
            }
        }
    }
}

const PAGE: i64 = 5000;

impl Store {
    /// Walks every chain in the store, with the stored checkpoints and
    /// `shipped` ones; `trusted` is the node key every checkpoint must be
    /// signed with, when known.
    pub fn verify(&self, trusted: Option<&str>, shipped: &[Checkpoint]) -> Result<Report> {
        let mut report = Report::default();
        let mut lease = self.lease()?;
        let mut cps: Vec<Checkpoint> = lease
            .run(|c| c.query("SELECT chain, node, seq, hash, ts, key, sig FROM checkpoints ORDER BY chain, node, seq", &[]))?
            .into_iter()
            .map(|r| Checkpoint {
                chain: r[0].text(),
                node: r[1].text(),
                seq: r[2].int(),
                hash: r[3].text(),
                ts: r[4].int(),
                key: r[5].text(),
                sig: r[6].text(),
            })
            .collect();
        cps.extend_from_slice(shipped);
        for table in ["events", "audit"] {
            let nodes_sql = format!("SELECT DISTINCT node FROM {table}");
            let mut nodes: Vec<String> = lease.run(|c| c.query(&nodes_sql, &[]))?.iter().map(|r| r[0].text()).collect();
            for cp in cps.iter().filter(|c| c.chain == table) {
                if !nodes.contains(&cp.node) {
                    nodes.push(cp.node.clone());
                }
            }
            for node in nodes {
                let anchor = lease.run(|c| {
                    c.query(
                        "SELECT seq, hash, ts, key, sig FROM anchors WHERE chain = $1 AND node = $2",
                        &[Val::from(table), Val::from(node.as_str())],
                    )
                })?;
                let (start, prev) = match anchor.first() {
                    Some(r) => {
                        let cp = Checkpoint {
                            chain: table.into(),
                            node: node.clone(),
                            seq: r[0].int(),
                            hash: r[1].text(),
                            ts: r[2].int(),
                            key: r[3].text(),
                            sig: r[4].text(),
                        };
                        if !cp.signed() || trusted.is_some_and(|k| k != cp.key) {
                            report.problems.push(Problem {
                                chain: table.into(),
                                node: node.clone(),
                                seq: cp.seq,
                                what: "the retention anchor is not signed by the node".into(),
                            });
                            continue;
                        }
                        (cp.seq, cp.hash)
                    }
                    None => (0, chain::GENESIS.to_owned()),
                };
                let mut w = Walk::new(table, &node, start, prev);
                let mut after = start;
                loop {
                    let sql = if table == "events" {
                        "SELECT seq, prev, hash, body, id, ts, site, client_ip, method, host, path, status, action, score, rule, rules FROM events WHERE node = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                    } else {
                        "SELECT seq, prev, hash, body, ts, actor, ip, action, target FROM audit WHERE node = $1 AND seq > $2 ORDER BY seq LIMIT $3"
                    };
                    let rows = lease.run(|c| c.query(sql, &[Val::from(node.as_str()), Val::Int(after), Val::Int(PAGE)]))?;
                    for r in &rows {
                        let seq = r[0].int();
                        let body = r[3].text();
                        if !w.step(seq, &r[1].text(), &r[2].text(), &chain::digest(&body)) {
                            break;
                        }
                        let cols: Vec<String> = r[4..].iter().map(Val::text).collect();
                        if let Some(what) = columns_differ(table, &body, &cols) {
                            w.fail(seq, what);
                        }
                    }
                    if w.problem.is_some() || (rows.len() as i64) < PAGE {
                        break;
                    }
                    after = rows.last().map(|r| r[0].int()).unwrap_or(after);
                }
                w.checkpoints(&cps, trusted, start, &mut report);
                report.records.insert(table.into(), report.records.get(table).copied().unwrap_or(0) + w.records);
                report.problems.extend(w.problem);
            }
        }
        Ok(report)
    }

    /// Writes the events of `site` from `from` to `to` (Unix ms) as a
    /// verifiable JSON-lines export: the stretch of the chain that holds
    /// them (other sites' records as digests only), closed by a
    /// checkpoint signed now with this node's key.
    pub fn export(&self, site: Option<&str>, from: i64, to: i64, key: &NodeKey, out: &mut dyn Write) -> Result<u64> {
        let node = self.cfg.node.clone();
        let mut lease = self.lease()?;
        let bounds = lease.run(|c| {
            let mut vals = vec![Val::from(node.as_str()), Val::Int(from), Val::Int(to)];
            let mut sql = String::from("SELECT MIN(seq), MAX(seq) FROM events WHERE node = $1 AND ts >= $2 AND ts < $3");
            if let Some(s) = site {
                vals.push(Val::from(s));
                sql.push_str(" AND site = $4");
            }
            c.query(&sql, &vals)
        })?;
        let (lo, hi) = bounds.first().map(|r| (r[0].int(), r[1].int())).unwrap_or((0, 0));
        let io = |e: std::io::Error| err(format!("export: {e}"));
        let header = serde_json::json!({ "haetae_export": 1, "node": node, "site": site, "from": from, "to": to, "key": key.public() });
        writeln!(out, "{header}").map_err(io)?;
        if lo == 0 {
            return Ok(0);
        }
        let mut n = 0u64;
        let mut after = lo - 1;
        let mut last: Option<(i64, String)> = None;
        while after < hi {
            let rows = lease.run(|c| {
                c.query(
                    "SELECT seq, prev, hash, body, site, ts FROM events WHERE node = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
                    &[Val::from(node.as_str()), Val::Int(after), Val::Int(hi), Val::Int(PAGE)],
                )
            })?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let (seq, body) = (r[0].int(), r[3].text());
                let included = site.is_none_or(|s| r[4].text() == s) && (from..to).contains(&r[5].int());
                let line = if included {
                    n += 1;
                    let event: serde_json::Value = serde_json::from_str(&body).map_err(|e| err(format!("event #{seq}: {e}")))?;
                    serde_json::json!({ "seq": seq, "prev": r[1].text(), "hash": r[2].text(), "event": event, "body": body })
                } else {
                    serde_json::json!({ "seq": seq, "prev": r[1].text(), "hash": r[2].text(), "digest": chain::digest(&body) })
                };
                writeln!(out, "{line}").map_err(io)?;
                last = Some((seq, r[2].text()));
            }
            after = rows.last().map(|r| r[0].int()).unwrap_or(hi);
        }
        if let Some((seq, hash)) = last {
            let cp = key.checkpoint("events", &node, seq, &hash, crate::now_millis());
            writeln!(out, "{}", serde_json::json!({ "checkpoint": cp })).map_err(io)?;
        }
        out.flush().map_err(io)?;
        Ok(n)
    }
}

/// Columns that disagree with the body they were derived from.
fn columns_differ(table: &str, body: &str, cols: &[String]) -> Option<String> {
    let want: Vec<String> = if table == "events" {
        let ev: haetae_events::Event = match serde_json::from_str(body) {
            Ok(e) => e,
            Err(_) => return Some("its body is not an event (edited)".into()),
        };
        let r = EventRow::of(&ev);
        vec![
            r.id,
            r.ts.to_string(),
            r.site,
            r.client_ip,
            r.method,
            r.host,
            r.path,
            r.status.to_string(),
            r.action,
            r.score.to_string(),
            r.rule.to_string(),
            r.rules,
        ]
    } else {
        let a: Audit = match serde_json::from_str(body) {
            Ok(a) => a,
            Err(_) => return Some("its body is not an audit record (edited)".into()),
        };
        vec![a.ts.to_string(), a.actor, a.ip, a.action, a.target]
    };
    (want != cols).then(|| "a column differs from the record's hashed content (edited)".into())
}

/// Checks an export (or any JSON-lines file of chained records written
/// by [`Store::export`]); `trusted` as for [`Store::verify`].
pub fn verify_export(input: impl BufRead, trusted: Option<&str>) -> Result<Report> {
    let mut report = Report::default();
    let mut lines = input.lines();
    let head = lines.next().ok_or_else(|| err("empty file"))?.map_err(|e| err(e.to_string()))?;
    let head: serde_json::Value = serde_json::from_str(&head).map_err(|_| err("line 1: not a haetae export header"))?;
    let node = head.get("node").and_then(|v| v.as_str()).ok_or_else(|| err("line 1: not a haetae export header"))?.to_owned();
    let mut w: Option<Walk> = None;
    let mut cps = Vec::new();
    let mut first = 0;
    for (i, line) in lines.enumerate() {
        let line = line.map_err(|e| err(e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line).map_err(|e| err(format!("line {}: {e}", i + 2)))?;
        if let Some(cp) = v.get("checkpoint") {
            cps.push(serde_json::from_value::<Checkpoint>(cp.clone()).map_err(|e| err(format!("line {}: {e}", i + 2)))?);
            continue;
        }
        let seq = v.get("seq").and_then(|s| s.as_i64()).ok_or_else(|| err(format!("line {}: no seq", i + 2)))?;
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_owned();
        let (prev, hash) = (s("prev"), s("hash"));
        let walk = w.get_or_insert_with(|| {
            first = seq;
            Walk::new("events", &node, seq - 1, prev.clone())
        });
        let digest = match v.get("body").and_then(|b| b.as_str()) {
            Some(body) => {
                // The readable copy must be the hashed one.
                let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
                if parsed.as_ref() != v.get("event") {
                    walk.fail(seq, "its event differs from its hashed body (edited)");
                }
                chain::digest(body)
            }
            None => s("digest"),
        };
        walk.step(seq, &prev, &hash, &digest);
    }
    if let Some(mut walk) = w {
        if cps.is_empty() {
            walk.fail(walk.seq, "the export has no checkpoint (truncated)");
        }
        walk.checkpoints(&cps, trusted, first, &mut report);
        if let Some(last) = cps.last()
            && last.seq != walk.seq
            && walk.problem.is_none()
        {
            walk.fail(walk.seq, "records after the closing checkpoint (appended)");
        }
        report.records.insert("events".into(), walk.records);
        report.problems.extend(walk.problem);
    }
    Ok(report)
}
