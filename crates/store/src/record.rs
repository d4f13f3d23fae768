//! An event or audit record as stored: the indexed columns, derived from
//! the JSON body (the body is what the chain hashes, so `verify` can check
//! that no column was edited apart from it).

use haetae_events::Event;
use serde::{Deserialize, Serialize};

use crate::db::Val;

/// The columns of `events` besides node, seq, prev and hash.
pub struct EventRow {
    pub id: String,
    pub ts: i64,
    pub site: String,
    pub client_ip: String,
    pub method: String,
    pub host: String,
    pub path: String,
    pub status: i64,
    pub action: String,
    pub score: i64,
    pub rule: i64,
    pub rules: String,
}

/// Unix milliseconds of an event: its id carries them (see
/// `haetae_events::new_event_id`); a foreign id falls back to its time.
pub fn event_millis(ev: &Event) -> i64 {
    if ev.id.len() == 16
        && let Ok(v) = u64::from_str_radix(&ev.id, 16)
    {
        return (v >> 20) as i64;
    }
    haetae_events::time::parse_time(&ev.time).unwrap_or(0)
}

impl EventRow {
    pub fn of(ev: &Event) -> Self {
        let path = ev.url.split(['?', '#']).next().unwrap_or("").to_owned();
        // The rule that weighed most names the event in summaries.
        let rule = ev.matches.iter().max_by_key(|m| m.score).map(|m| i64::from(m.rule_id)).unwrap_or(0);
        let mut rules = String::from(" ");
        for m in &ev.matches {
            let id = m.rule_id.to_string();
            if !rules.contains(&format!(" {id} ")) {
                rules.push_str(&id);
                rules.push(' ');
            }
        }
        EventRow {
            id: ev.id.clone(),
            ts: event_millis(ev),
            site: ev.site.clone(),
            client_ip: ev.client_ip.clone(),
            method: ev.method.clone(),
            host: ev.host.clone(),
            path,
            status: i64::from(ev.status),
            action: ev.action.as_str().to_owned(),
            score: i64::from(ev.score),
            rule,
            rules,
        }
    }

    pub fn vals(self) -> [Val; 12] {
        [
            Val::Text(self.id),
            Val::Int(self.ts),
            Val::Text(self.site),
            Val::Text(self.client_ip),
            Val::Text(self.method),
            Val::Text(self.host),
            Val::Text(self.path),
            Val::Int(self.status),
            Val::Text(self.action),
            Val::Int(self.score),
            Val::Int(self.rule),
            Val::Text(self.rules),
        ]
    }
}

/// Who did what to which thing, from where: logins, refused addresses,
/// reloads, mode changes, exceptions, account changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Audit {
    /// Unix milliseconds.
    pub ts: i64,
    /// The account (or `-` before one is known, `cli` for a local command).
    pub actor: String,
    /// The client address, or `local`.
    pub ip: String,
    /// `login`, `login_failed`, `address_refused`, `reload`, `account_add` …
    pub action: String,
    /// What it acted on (a site, an account, a file).
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

impl Audit {
    pub fn new(actor: &str, ip: &str, action: &str, target: &str) -> Self {
        Audit {
            ts: crate::now_millis(),
            actor: actor.into(),
            ip: ip.into(),
            action: action.into(),
            target: target.into(),
            before: None,
            after: None,
            detail: String::new(),
        }
    }

    pub fn change(mut self, before: impl Into<String>, after: impl Into<String>) -> Self {
        self.before = Some(before.into());
        self.after = Some(after.into());
        self
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = d.into();
        self
    }
}
