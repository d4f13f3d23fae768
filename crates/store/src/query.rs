//! What the console, the API and reports ask of the store. Every value a
//! client gave travels as a bound parameter; the SQL text is only ever
//! built from fixed pieces.

use haetae_events::Event;
use serde::{Deserialize, Serialize};

use crate::db::{Conn, DbError, Val};
use crate::{Result, Store, err};

/// An events search. Times are Unix milliseconds, `to` exclusive.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filter {
    /// Only these sites (an account's scope); `None` is every site.
    #[serde(skip)]
    pub scope: Option<Vec<String>>,
    pub site: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub ip: Option<String>,
    pub rule: Option<u32>,
    pub action: Option<String>,
    /// A path prefix.
    pub path: Option<String>,
    /// Free text, anywhere in the event (case-insensitive).
    pub q: Option<String>,
    pub limit: usize,
    /// Where the previous page ended ([`Page::next`]).
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub events: Vec<Event>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `LIKE` text that matches `s` literally.
fn like_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            o.push('\\');
        }
        o.push(ch);
    }
    o
}

/// The WHERE clause of a search over `events`, with its values.
struct Where {
    sql: String,
    vals: Vec<Val>,
}

impl Where {
    fn new() -> Self {
        Where { sql: String::from(" WHERE 1 = 1"), vals: Vec::new() }
    }

    fn add(&mut self, clause: &str, v: Val) {
        self.vals.push(v);
        let n = self.vals.len();
        self.sql.push_str(" AND ");
        self.sql.push_str(&clause.replace("{}", &format!("${n}")));
    }

    fn scope(&mut self, scope: &Option<Vec<String>>) {
        let Some(sites) = scope else { return };
        if sites.is_empty() {
            self.sql.push_str(" AND 1 = 0");
            return;
        }
        self.sql.push_str(" AND site IN (");
        for (i, s) in sites.iter().enumerate() {
            self.vals.push(Val::from(s.as_str()));
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.sql.push_str(&format!("${}", self.vals.len()));
        }
        self.sql.push(')');
    }

    fn range(&mut self, col: &str, from: Option<i64>, to: Option<i64>) {
        if let Some(f) = from {
            self.add(&format!("{col} >= {{}}"), Val::Int(f));
        }
        if let Some(t) = to {
            self.add(&format!("{col} < {{}}"), Val::Int(t));
        }
    }
}

fn events_where(f: &Filter) -> Result<Where> {
    let mut w = Where::new();
    w.scope(&f.scope);
    if let Some(s) = &f.site {
        w.add("site = {}", Val::from(s.as_str()));
    }
    w.range("ts", f.from, f.to);
    if let Some(ip) = &f.ip {
        w.add("client_ip = {}", Val::from(ip.as_str()));
    }
    if let Some(r) = f.rule {
        w.add("rules LIKE {}", Val::Text(format!("% {r} %")));
    }
    if let Some(a) = &f.action {
        w.add("action = {}", Val::from(a.as_str()));
    }
    if let Some(p) = &f.path {
        w.add("path LIKE {} ESCAPE '\\'", Val::Text(format!("{}%", like_escape(p))));
    }
    if let Some(q) = f.q.as_deref().filter(|q| !q.is_empty()) {
        w.add("LOWER(body) LIKE {} ESCAPE '\\'", Val::Text(format!("%{}%", like_escape(&q.to_lowercase()))));
    }
    if let Some(c) = &f.cursor {
        let (ts, id) = c.split_once('.').ok_or_else(|| err("cursor: not one this store gave"))?;
        let ts: i64 = ts.parse().map_err(|_| err("cursor: not one this store gave"))?;
        w.vals.push(Val::Int(ts));
        let a = w.vals.len();
        w.vals.push(Val::from(id));
        let b = w.vals.len();
        w.sql.push_str(&format!(" AND (ts < ${a} OR (ts = ${a} AND id < ${b}))"));
    }
    Ok(w)
}

fn parse_body(body: &str) -> std::result::Result<Event, DbError> {
    serde_json::from_str(body).map_err(|e| DbError::other(format!("a stored event does not parse: {e}")))
}

/// A bucket of the per-minute counters, with the events of its span.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Bucket {
    /// Start, Unix seconds.
    pub start: i64,
    pub requests: i64,
    pub blocked: i64,
    /// Responses by status class, 1xx … 5xx.
    pub status: [i64; 5],
    pub bytes_in: i64,
    pub bytes_out: i64,
    pub upstream_errors: i64,
    /// Stored events by action.
    pub events: std::collections::BTreeMap<String, i64>,
}

/// Totals over a span: the buckets, and what stood out.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub from: i64,
    pub to: i64,
    pub step: i64,
    pub buckets: Vec<Bucket>,
    pub top_rules: Vec<(i64, i64)>,
    pub top_ips: Vec<(String, i64)>,
    pub top_paths: Vec<(String, i64)>,
}

/// One audit record as read back.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub node: String,
    pub seq: i64,
    #[serde(flatten)]
    pub record: crate::record::Audit,
}

impl Store {
    /// Newest first.
    pub fn search(&self, f: &Filter) -> Result<Page> {
        let w = events_where(f)?;
        let limit = f.limit.clamp(1, 10_000);
        let sql = format!("SELECT body, ts, id FROM events{} ORDER BY ts DESC, id DESC LIMIT {}", w.sql, limit + 1);
        let mut rows = self.lease()?.run(|c| c.query(&sql, &w.vals))?;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| format!("{}.{}", r[1].int(), r[2].text()))
        } else {
            None
        };
        let events = rows.iter().map(|r| parse_body(&r[0].text())).collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Page { events, next })
    }

    /// An event by id (within `scope`).
    pub fn event(&self, id: &str, scope: &Option<Vec<String>>) -> Result<Option<Event>> {
        let mut w = Where::new();
        w.scope(scope);
        w.add("id = {}", Val::from(id));
        let sql = format!("SELECT body FROM events{} LIMIT 1", w.sql);
        let rows = self.lease()?.run(|c| c.query(&sql, &w.vals))?;
        Ok(match rows.first() {
            Some(r) => Some(parse_body(&r[0].text())?),
            None => None,
        })
    }

    /// Counters and event counts from `from` to `to` (Unix ms) in buckets
    /// of `step` seconds (rounded up to whole minutes), for one site or
    /// every site in `scope`.
    pub fn summary(&self, scope: &Option<Vec<String>>, site: Option<&str>, from: i64, to: i64, step: i64) -> Result<Summary> {
        let step = ((step.max(60) + 59) / 60) * 60;
        if to <= from {
            return Err(err("to must be after from"));
        }
        if (to - from) / 1000 / step > 100_000 {
            return Err(err("too many buckets: use a larger step"));
        }
        let base = |ts_col: &str, from: i64, to: i64| {
            let mut w = Where::new();
            w.scope(scope);
            if let Some(s) = site {
                w.add("site = {}", Val::from(s));
            }
            w.range(ts_col, Some(from), Some(to));
            w
        };
        let mut lease = self.lease()?;
        let mut buckets: std::collections::BTreeMap<i64, Bucket> = std::collections::BTreeMap::new();
        let from_s = from.div_euclid(1000);
        let bucket_of = |secs: i64| from_s + (secs - from_s).div_euclid(step) * step;
        let w = base("minute", from_s, to.div_euclid(1000) + i64::from(to % 1000 != 0));
        let sql = format!(
            "SELECT minute, CAST(SUM(requests) AS BIGINT), CAST(SUM(blocked) AS BIGINT), CAST(SUM(s1) AS BIGINT), CAST(SUM(s2) AS BIGINT), \
             CAST(SUM(s3) AS BIGINT), CAST(SUM(s4) AS BIGINT), CAST(SUM(s5) AS BIGINT), CAST(SUM(bytes_in) AS BIGINT), \
             CAST(SUM(bytes_out) AS BIGINT), CAST(SUM(upstream_errors) AS BIGINT) FROM counts{} GROUP BY minute",
            w.sql
        );
        for r in lease.run(|c| c.query(&sql, &w.vals))? {
            let b = buckets.entry(bucket_of(r[0].int())).or_default();
            b.requests += r[1].int();
            b.blocked += r[2].int();
            for i in 0..5 {
                b.status[i] += r[3 + i].int();
            }
            b.bytes_in += r[8].int();
            b.bytes_out += r[9].int();
            b.upstream_errors += r[10].int();
        }
        let w = base("ts", from, to);
        let sql = format!(
            "SELECT CAST(ts / {} AS BIGINT), action, CAST(COUNT(*) AS BIGINT) FROM events{} GROUP BY CAST(ts / {} AS BIGINT), action",
            step * 1000,
            w.sql,
            step * 1000
        );
        // Grouped by step from the epoch; re-bucketed from `from` below.
        for r in lease.run(|c| c.query(&sql, &w.vals))? {
            let b = buckets.entry(bucket_of(r[0].int() * step)).or_default();
            *b.events.entry(r[1].text()).or_default() += r[2].int();
        }
        let top = |c: &mut dyn Conn, col: &str| -> std::result::Result<Vec<Vec<Val>>, DbError> {
            let sql = format!(
                "SELECT {col}, CAST(COUNT(*) AS BIGINT) FROM events{} AND action <> 'noted' GROUP BY {col} ORDER BY 2 DESC, 1 LIMIT 10",
                w.sql
            );
            c.query(&sql, &w.vals)
        };
        let top_rules = lease.run(|c| top(c, "rule"))?.iter().map(|r| (r[0].int(), r[1].int())).collect();
        let top_ips = lease.run(|c| top(c, "client_ip"))?.iter().map(|r| (r[0].text(), r[1].int())).collect();
        let top_paths = lease.run(|c| top(c, "path"))?.iter().map(|r| (r[0].text(), r[1].int())).collect();
        let buckets = buckets
            .into_iter()
            .map(|(start, mut b)| {
                b.start = start;
                b
            })
            .collect();
        Ok(Summary { from, to, step, buckets, top_rules, top_ips, top_paths })
    }

    /// Audit records, newest first.
    pub fn audit_log(&self, from: Option<i64>, to: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>> {
        let mut w = Where::new();
        w.range("ts", from, to);
        let sql = format!("SELECT node, seq, body FROM audit{} ORDER BY ts DESC, seq DESC LIMIT {}", w.sql, limit.clamp(1, 10_000));
        let rows = self.lease()?.run(|c| c.query(&sql, &w.vals))?;
        rows.iter()
            .map(|r| {
                let record = serde_json::from_str(&r[2].text()).map_err(|e| err(format!("an audit record does not parse: {e}")))?;
                Ok(AuditEntry { node: r[0].text(), seq: r[1].int(), record })
            })
            .collect()
    }

    /// Events stored in total (all nodes).
    pub fn count(&self) -> Result<i64> {
        let rows = self.lease()?.run(|c| c.query("SELECT CAST(COUNT(*) AS BIGINT) FROM events", &[]))?;
        Ok(rows.first().map(|r| r[0].int()).unwrap_or(0))
    }
}
