//! Rates per family and per category, and the lists of misses and false
//! positives, as text.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::{FAMILIES, Outcome};

#[derive(Debug, Clone)]
pub struct AttackResult {
    pub name: String,
    pub family: u32,
    pub pl: u8,
    pub desc: String,
    pub request: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone)]
pub struct BenignResult {
    pub line: usize,
    pub category: String,
    pub request: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub attacks: Vec<AttackResult>,
    pub benign: Vec<BenignResult>,
    /// Stages whose request could not be built.
    pub unreadable: Vec<String>,
}

/// Stopped out of total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub stopped: usize,
    pub total: usize,
}

impl Count {
    fn add(&mut self, stopped: bool) {
        self.total += 1;
        self.stopped += usize::from(stopped);
    }

    pub fn rate(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.stopped as f64 * 100.0 / self.total as f64 }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.total == 0 { write!(f, "{:>16}", "-") } else { write!(f, "{:>5}/{:<5} {:>5.1}%", self.stopped, self.total, self.rate()) }
    }
}

impl Report {
    /// Attack stages of the given paranoia levels, stopped out of total.
    pub fn attacks_at(&self, levels: std::ops::RangeInclusive<u8>) -> Count {
        let mut c = Count::default();
        for a in self.attacks.iter().filter(|a| levels.contains(&a.pl)) {
            c.add(a.outcome.stopped);
        }
        c
    }

    /// Benign samples stopped (false positives) out of total.
    pub fn false_positives(&self) -> Count {
        let mut c = Count::default();
        for b in &self.benign {
            c.add(b.outcome.stopped);
        }
        c
    }

    /// The whole report; `misses` caps the misses listed per family.
    pub fn render(&self, misses: usize) -> String {
        let mut out = String::new();
        if !self.attacks.is_empty() {
            let _ = writeln!(out, "CRS attack stages (rules 930-944), stopped/total:");
            let _ = writeln!(out, "{:<4} {:<34} {:>16} {:>16}", "", "family", "PL 1-2", "PL 3-4");
            for &(fam, name) in FAMILIES {
                let mut lo = Count::default();
                let mut hi = Count::default();
                for a in self.attacks.iter().filter(|a| a.family == fam) {
                    if a.pl <= 2 { lo.add(a.outcome.stopped) } else { hi.add(a.outcome.stopped) }
                }
                if lo.total + hi.total > 0 {
                    let _ = writeln!(out, "{fam:<4} {name:<34} {lo} {hi}");
                }
            }
            let _ = writeln!(out, "{:<4} {:<34} {} {}", "", "all", self.attacks_at(1..=2), self.attacks_at(3..=4));
        }
        if !self.benign.is_empty() {
            let mut by_cat: BTreeMap<&str, Count> = BTreeMap::new();
            for b in &self.benign {
                by_cat.entry(&b.category).or_default().add(b.outcome.stopped);
            }
            let _ = writeln!(out, "\nBenign requests, stopped (false positives)/total:");
            for (cat, c) in &by_cat {
                let _ = writeln!(out, "     {cat:<34} {c}");
            }
            let _ = writeln!(out, "     {:<34} {}", "all", self.false_positives());
        }
        let statuses = self.statuses();
        if !statuses.is_empty() {
            let list: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
            let _ = writeln!(out, "\nStatuses seen: {}", list.join(", "));
        }
        if misses > 0 {
            for &(fam, name) in FAMILIES {
                let missed: Vec<&AttackResult> = self.attacks.iter().filter(|a| a.family == fam && !a.outcome.stopped).collect();
                if missed.is_empty() {
                    continue;
                }
                let _ = writeln!(out, "\nMissed {fam} {name} ({}):", missed.len());
                for a in missed.iter().take(misses) {
                    let _ = writeln!(out, "  {} PL{} {}  [{}]", a.name, a.pl, a.request, a.outcome.why);
                }
            }
        }
        let fps: Vec<&BenignResult> = self.benign.iter().filter(|b| b.outcome.stopped).collect();
        if !fps.is_empty() {
            let _ = writeln!(out, "\nFalse positives ({}):", fps.len());
            for b in fps.iter().take(misses.max(20)) {
                let _ = writeln!(out, "  line {} {}: {}  [{}]", b.line, b.category, b.request, b.outcome.why);
            }
        }
        for u in &self.unreadable {
            let _ = writeln!(out, "unreadable stage: {u}");
        }
        let errors = self
            .attacks
            .iter()
            .map(|a| &a.outcome)
            .chain(self.benign.iter().map(|b| &b.outcome))
            .filter(|o| o.why.starts_with("error:"))
            .count();
        if errors > 0 {
            let _ = writeln!(out, "\n{errors} requests got no answer (see the lists above)");
        }
        out
    }

    fn statuses(&self) -> BTreeMap<u16, usize> {
        let mut m = BTreeMap::new();
        for o in self.attacks.iter().map(|a| &a.outcome).chain(self.benign.iter().map(|b| &b.outcome)) {
            if let Some(s) = o.status {
                *m.entry(s).or_default() += 1;
            }
        }
        m
    }
}
