//! One multi-pattern pass instead of hundreds of regex calls: for every
//! `@rx` rule, a set of literals one of which every match must contain is
//! read from the pattern's syntax tree; one Aho-Corasick automaton holds all of
//! them. A value is scanned once, and a rule whose literals it does not
//! contain is known not to match without running its regex. Sound by
//! construction: a rule whose pattern yields no finite literal set (or
//! an empty literal) gets no prefilter and always runs.

use aho_corasick::{AhoCorasick, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};

#[derive(Debug)]
pub struct Prefilter {
    /// The literals of two bytes or more.
    ac: Option<AhoCorasick>,
    /// Literal (pattern id) → the prefilter slots of the rules that need it.
    owners: Vec<Vec<u32>>,
    /// Per slot: its one-byte literals, as a byte set.
    bytes: Vec<ByteSet>,
    /// Number of slots (rules with a prefilter).
    pub slots: usize,
}

/// 256 bits, one per byte value.
pub type ByteSet = [u64; 4];

/// What a value holds, for [`Prefilter::may_match`].
#[derive(Debug)]
pub struct Scan {
    /// Slots one of whose long literals occurs.
    bits: Vec<u64>,
    /// The value's bytes, lower-cased.
    bytes: ByteSet,
}

/// A set of lower-cased literals every match of `pattern` contains one of,
/// or `None` when there is no useful finite set.
pub fn literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new().unicode(false).utf8(false).build().parse(pattern).ok()?;
    let mut set = necessary(&hir)?;
    if set.is_empty() || set.iter().any(Vec::is_empty) || set.len() > MAX_LITERALS {
        return None;
    }
    set.sort_unstable();
    set.dedup();
    Some(set)
}

/// More alternatives than this make a set that filters nothing.
const MAX_LITERALS: usize = 256;

/// The byte a class stands for when it is one byte or one ASCII letter
/// in both cases (`(?i)a` is the class `[Aa]`), lower-cased.
fn ci_byte(c: &Class) -> Option<u8> {
    let bytes: Vec<u8> = match c {
        Class::Bytes(b) => {
            let mut v = Vec::new();
            for r in b.ranges() {
                if r.end() - r.start() > 1 || v.len() > 2 {
                    return None;
                }
                v.extend(r.start()..=r.end());
            }
            v
        }
        Class::Unicode(u) => {
            let mut v = Vec::new();
            for r in u.ranges() {
                let (a, b) = (r.start() as u32, r.end() as u32);
                if b - a > 1 || b > 0x7f || v.len() > 2 {
                    return None;
                }
                v.extend((a..=b).map(|x| x as u8));
            }
            v
        }
    };
    match bytes.as_slice() {
        [b] => Some(b.to_ascii_lowercase()),
        [a, b] if a.eq_ignore_ascii_case(b) => Some(a.to_ascii_lowercase()),
        _ => None,
    }
}

/// The bytes of a class of at most 16, lower-cased.
fn class_bytes(c: &Class) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut add = |a: u32, b: u32| -> Option<()> {
        if b > 0xff || b - a > 16 || out.len() > 16 {
            return None;
        }
        out.extend((a..=b).map(|x| (x as u8).to_ascii_lowercase()));
        Some(())
    };
    match c {
        Class::Bytes(b) => {
            for r in b.ranges() {
                add(u32::from(r.start()), u32::from(r.end()))?;
            }
        }
        Class::Unicode(u) => {
            for r in u.ranges() {
                add(r.start() as u32, r.end() as u32)?;
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    (out.len() <= 16).then_some(out)
}

/// The string `h` matches exactly (case aside), if it is one.
fn exact(h: &Hir) -> Option<Vec<u8>> {
    match h.kind() {
        HirKind::Literal(l) => Some(l.0.to_ascii_lowercase()),
        HirKind::Class(c) => ci_byte(c).map(|b| vec![b]),
        HirKind::Capture(c) => exact(&c.sub),
        HirKind::Concat(parts) => parts.iter().try_fold(Vec::new(), |mut acc, p| {
            acc.extend(exact(p)?);
            Some(acc)
        }),
        _ => None,
    }
}

/// How well a literal set filters: longer shortest literal first, then
/// fewer literals.
fn score(set: &[Vec<u8>]) -> (usize, std::cmp::Reverse<usize>) {
    (set.iter().map(Vec::len).min().unwrap_or(0).min(8), std::cmp::Reverse(set.len()))
}

/// Literals one of which every match of `h` contains.
fn necessary(h: &Hir) -> Option<Vec<Vec<u8>>> {
    match h.kind() {
        HirKind::Literal(_) => exact(h).map(|s| vec![s]),
        // A small class: one of its bytes (checked against the value's
        // byte set, which costs nothing per rule).
        HirKind::Class(c) => exact(h).map(|s| vec![s]).or_else(|| class_bytes(c).map(|b| b.into_iter().map(|b| vec![b]).collect())),
        HirKind::Capture(c) => necessary(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => necessary(&r.sub),
        HirKind::Alternation(alts) => {
            let mut all = Vec::new();
            for a in alts {
                all.extend(necessary(a)?);
                if all.len() > MAX_LITERALS {
                    return None;
                }
            }
            Some(all)
        }
        HirKind::Concat(parts) => {
            // Runs of exactly-known characters make literals; any other
            // part may offer its own set. Every one is necessary: keep
            // the one that filters best.
            let mut best: Option<Vec<Vec<u8>>> = None;
            let mut consider = |cand: Vec<Vec<u8>>| {
                if best.as_ref().is_none_or(|b| score(&cand) > score(b)) {
                    best = Some(cand);
                }
            };
            let mut run: Vec<u8> = Vec::new();
            for p in parts {
                match exact(p) {
                    Some(s) => run.extend(s),
                    None => {
                        if !run.is_empty() {
                            consider(vec![std::mem::take(&mut run)]);
                        }
                        if let Some(set) = necessary(p) {
                            consider(set);
                        }
                    }
                }
            }
            if !run.is_empty() {
                consider(vec![run]);
            }
            best
        }
        _ => None,
    }
}

impl Prefilter {
    /// `rules[i]` is the literal set of slot `i`.
    pub fn build(rules: &[Vec<Vec<u8>>]) -> Option<Prefilter> {
        if rules.is_empty() {
            return None;
        }
        let mut index: std::collections::HashMap<&[u8], u32> = std::collections::HashMap::new();
        let mut patterns: Vec<&[u8]> = Vec::new();
        let mut owners: Vec<Vec<u32>> = Vec::new();
        let mut bytes = vec![[0u64; 4]; rules.len()];
        for (slot, lits) in rules.iter().enumerate() {
            for l in lits {
                if let [b] = l.as_slice() {
                    bytes[slot][usize::from(*b) / 64] |= 1 << (b % 64);
                    continue;
                }
                let id = *index.entry(l.as_slice()).or_insert_with(|| {
                    patterns.push(l);
                    owners.push(Vec::new());
                    (patterns.len() - 1) as u32
                });
                owners[id as usize].push(slot as u32);
            }
        }
        // A DFA: the fastest scan, and the pattern set is fixed at load.
        let ac = if patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .build(&patterns)
                    .ok()?,
            )
        };
        Some(Prefilter { ac, owners, bytes, slots: rules.len() })
    }

    /// Reads `v` once for every slot.
    pub fn scan(&self, v: &[u8]) -> Scan {
        let mut bits = vec![0u64; self.slots.div_ceil(64)];
        if let Some(ac) = &self.ac {
            for m in ac.find_overlapping_iter(v) {
                for &slot in &self.owners[m.pattern().as_usize()] {
                    bits[slot as usize / 64] |= 1 << (slot % 64);
                }
            }
        }
        let mut bytes = [0u64; 4];
        for &b in v {
            let b = b.to_ascii_lowercase();
            bytes[usize::from(b) / 64] |= 1 << (b % 64);
        }
        Scan { bits, bytes }
    }

    /// Whether the rule in `slot` may match the scanned value.
    pub fn may_match(&self, s: &Scan, slot: u32) -> bool {
        let i = slot as usize;
        s.bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0) || self.bytes[i].iter().zip(&s.bytes).any(|(a, b)| a & b != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_sets_are_necessary_conditions() {
        let l = literals(r"(?i)union\s+select").unwrap();
        assert!(l == vec![b"select".to_vec()] || l == vec![b"union".to_vec()], "{l:?}");
        let l = literals(r"(?:<script|javascript:)").unwrap();
        assert!(l.contains(&b"<script".to_vec()) && l.contains(&b"javascript:".to_vec()));
        // Suffix when the start is open.
        assert_eq!(literals(r"[a-z]+\.php"), Some(vec![b".php".to_vec()]));
        // Nothing necessary.
        assert_eq!(literals(r"[a-z]+"), None);
        assert_eq!(literals(r"^.*$"), None);
        assert_eq!(literals(r"[\n\r]"), Some(vec![b"\n".to_vec(), b"\r".to_vec()]));
        let p = Prefilter::build(&[literals(r"(?i)union\s+select").unwrap(), literals(r"eval\(").unwrap(), literals(r"[\n\r]").unwrap()])
            .unwrap();
        let s = p.scan(b"1 UNION select");
        assert!(p.may_match(&s, 0) && !p.may_match(&s, 1) && !p.may_match(&s, 2));
        assert!(p.may_match(&p.scan(b"a\rb"), 2));
    }
}
