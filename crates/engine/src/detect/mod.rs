//! Detectors: one module per attack family. Each gets a [`Target`] (one
//! value, already normalized, with where it came from) and returns at most
//! one [`Hit`]. Adding a family means one module plus a line in [`ALL`].

use haetae_model::{Confidence, Source};

use crate::normalize::Evasion;

pub mod cmdi;
pub mod code;
pub mod crlf;
pub mod graphql;
pub mod java;
pub mod js;
pub mod ldap;
pub mod nosql;
pub mod php;
pub mod scanner;
pub mod shapes;
pub mod shell;
pub mod sqli;
pub mod sqli_frag;
pub mod sqli_name;
pub mod ssrf;
pub mod traversal;
pub mod xss;
pub mod xxe;

/// What kind of place a target is; detectors use it to decide whether the
/// input can mean anything in their language there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An argument, JSON/XML leaf, multipart field or raw body.
    Value,
    /// The name of an argument or a JSON key path.
    Name,
    /// A cookie value.
    Cookie,
    /// A request header value (name in `Target::key`).
    Header,
    /// The request path.
    Path,
    /// An uploaded file's name.
    FileName,
}

/// One value to inspect.
pub struct Target<'a> {
    pub source: Source,
    pub kind: Kind,
    /// Parameter, cookie or header name (as received, lossy UTF-8).
    pub key: &'a str,
    /// The value before engine normalization (decoded once by the parser).
    pub raw: &'a [u8],
    /// Normalized: fully decoded, folded, lower-cased.
    pub norm: &'a [u8],
    pub evasion: Evasion,
}

impl<'a> Target<'a> {
    /// A value an HTML editor wrote: it opens with a tag and closes one
    /// (`<p>…</p><pre>…</pre>`). Code quoted in such a post is text inside
    /// markup: no number context can hold it, so shapes that need one (a
    /// bare statement, a JS string break with nothing broken) weigh less.
    pub(crate) fn rich_text(&self) -> bool {
        let v = self.norm.trim_ascii_start();
        v.first() == Some(&b'<') && v.get(1).is_some_and(u8::is_ascii_alphabetic) && find(v, b"</").is_some()
    }

    /// For a path, the part from the first segment holding a byte of
    /// `special` on, read as a value (`/item/; cat /etc/passwd` →
    /// `; cat /etc/passwd`): routers hand segments to code as parameters.
    /// `None` for other kinds or when no segment has one; with the tail,
    /// where it starts in the path.
    pub(crate) fn path_tail(&self, special: impl Fn(u8) -> bool) -> Option<(Target<'a>, usize)> {
        if self.kind != Kind::Path {
            return None;
        }
        let s = self.norm;
        let p = s.iter().position(|&b| special(b))?;
        let seg = s[..p].iter().rposition(|&b| b == b'/').map_or(0, |q| q + 1);
        Some((
            Target { source: self.source, kind: Kind::Value, key: self.key, raw: &s[seg..], norm: &s[seg..], evasion: self.evasion },
            seg,
        ))
    }
}

/// What a detector reports.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule_id: u32,
    pub confidence: Confidence,
    /// A fixed text names its shape in [`shapes::SHAPES`]; a text built
    /// from the input needs [`Hit::shape`] or [`Hit::why`].
    pub reason: std::borrow::Cow<'static, str>,
    /// Byte offset in `norm` where the evidence starts (for the excerpt).
    pub at: usize,
    /// The shape's id, when given explicitly.
    pub shape: Option<&'static str>,
    /// The fixed text the shape is found by, when the reason wraps it.
    pub why: Option<&'static str>,
}

impl Hit {
    /// The same finding with its offset moved by `by` (a hit in a part of
    /// the value, reported against the whole).
    pub(crate) fn shifted(mut self, by: usize) -> Self {
        self.at += by;
        self
    }

    pub fn new(rule_id: u32, confidence: Confidence, reason: impl Into<std::borrow::Cow<'static, str>>, at: usize) -> Self {
        Self { rule_id, confidence, reason: reason.into(), at, shape: None, why: None }
    }

    /// Names the shape (for a reason built from the input).
    pub fn shape(mut self, id: &'static str) -> Self {
        debug_assert!(shapes::get(id).is_some(), "shape {id} is not in shapes::SHAPES");
        self.shape = Some(id);
        self
    }

    /// Fixes the shape's id for a hit of `family` (before its reason is
    /// changed): the explicit one, else the one its fixed text names.
    pub(crate) fn settle(mut self, family: &str) -> Self {
        if self.shape.is_none() {
            let text = self.why.or(match &self.reason {
                std::borrow::Cow::Borrowed(s) => Some(*s),
                std::borrow::Cow::Owned(_) => None,
            });
            self.shape = text.and_then(|t| shapes::by_reason(family, t)).map(|s| s.id);
        }
        self
    }

    /// The fixed text inside a wrapped reason (`format!("SQL: {why}")`)
    /// that names the shape.
    pub fn why(mut self, why: &'static str) -> Self {
        self.why = Some(why);
        self
    }
}

/// A detector family.
pub struct Detector {
    pub name: &'static str,
    pub check: fn(&Target<'_>) -> Option<Hit>,
    /// Whether it can fire on prose: letters, digits, blanks and commas
    /// only (`union select`, `nohup ifconfig`). Most text in forms and
    /// JSON is prose, so the others are skipped there.
    pub prose: bool,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every detector, in the order they run.
pub const ALL: &[Detector] = &[
    Detector { name: "sqli", check: sqli::check, prose: true },
    Detector { name: "xss", check: xss::check, prose: false },
    Detector { name: "cmdi", check: cmdi::check, prose: true },
    Detector { name: "traversal", check: traversal::check, prose: false },
    Detector { name: "code", check: code::check, prose: false },
    Detector { name: "java", check: java::check, prose: false },
    Detector { name: "js", check: js::check, prose: false },
    Detector { name: "ssrf", check: ssrf::check, prose: false },
    Detector { name: "crlf", check: crlf::check, prose: false },
    Detector { name: "ldap", check: ldap::check, prose: false },
    Detector { name: "nosql", check: nosql::check, prose: false },
    Detector { name: "graphql", check: graphql::check, prose: false },
    Detector { name: "xxe", check: xxe::check, prose: false },
    Detector { name: "scanner", check: scanner::check, prose: true },
];

/// Lets detectors search for words in lower-case text. Scanning for the
/// first byte beats building a `memmem` searcher per call while false
/// starts are few (bounded: 32 × needle length, then `memmem`).
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some(&first) = needle.first() else { return Some(0) };
    // First-byte candidates until they prove common; building a `memmem`
    // searcher costs more than a few dozen false starts.
    let mut i = 0;
    let mut misses = 0;
    while let Some(p) = memchr::memchr(first, &hay[i..]) {
        let at = i + p;
        if hay[at..].starts_with(needle) {
            return Some(at);
        }
        i = at + 1;
        misses += 1;
        if misses == 32 && hay.len() - i >= 256 {
            return memchr::memmem::find(&hay[i..], needle).map(|q| i + q);
        }
    }
    None
}

/// Every position of `byte` in `s`, left to right. memchr's iterator pays a
/// call per match, which made values padded with the byte (`((((…`) cost
/// ~10 ns a byte per loop; after a close match the next few bytes are
/// read directly, so dense input costs about a byte compare each.
pub(crate) fn positions(s: &[u8], byte: u8) -> Positions<'_> {
    Positions { s, byte, i: 0, near: false }
}

pub(crate) struct Positions<'a> {
    s: &'a [u8],
    byte: u8,
    i: usize,
    near: bool,
}

impl Iterator for Positions<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let s = self.s;
        if self.near {
            let end = (self.i + 16).min(s.len());
            if let Some(k) = s[self.i..end].iter().position(|&b| b == self.byte) {
                let at = self.i + k;
                self.i = at + 1;
                return Some(at);
            }
            self.i = end;
            self.near = false;
        }
        let at = self.i + memchr::memchr(self.byte, s.get(self.i..)?)?;
        self.near = at - self.i < 16;
        self.i = at + 1;
        Some(at)
    }
}

/// The next occurrence of one byte at or after a position that only moves
/// forward: callers that look for a closing byte after every opener (`{`
/// then `}`) search once per closer instead of once per opener, so a value
/// of ten thousand openers and no closer stays linear.
pub(crate) struct NextOf {
    byte: u8,
    /// Where the byte was last found (`usize::MAX`: nowhere after).
    at: usize,
    searched_from: usize,
}

impl NextOf {
    pub(crate) fn new(byte: u8) -> Self {
        Self { byte, at: 0, searched_from: usize::MAX }
    }

    /// The first occurrence in `s` at or after `from`.
    pub(crate) fn at_or_after(&mut self, s: &[u8], from: usize) -> Option<usize> {
        if self.searched_from == usize::MAX || (self.at != usize::MAX && self.at < from) || from < self.searched_from {
            self.searched_from = from;
            self.at = s.get(from..).and_then(|t| memchr::memchr(self.byte, t)).map_or(usize::MAX, |q| from + q);
        }
        (self.at != usize::MAX).then_some(self.at)
    }

    /// The first occurrence within `len` bytes from `from`.
    pub(crate) fn within(&mut self, s: &[u8], from: usize, len: usize) -> Option<usize> {
        self.at_or_after(s, from).filter(|&a| a < from.saturating_add(len))
    }
}

/// Every non-overlapping occurrence of `needle`, left to right. Short
/// values use [`find`] (no searcher to build); long ones one `memmem`
/// searcher for the whole scan instead of one per restart.
pub(crate) fn find_all<'a>(hay: &'a [u8], needle: &'a [u8]) -> FindAll<'a> {
    if hay.len() >= 4096 && !needle.is_empty() {
        FindAll::Long(Box::new(memchr::memmem::find_iter(hay, needle)))
    } else {
        FindAll::Short { hay, needle, from: 0 }
    }
}

pub(crate) enum FindAll<'a> {
    Short { hay: &'a [u8], needle: &'a [u8], from: usize },
    // Boxed: the searcher is large, and built only for long values.
    Long(Box<memchr::memmem::FindIter<'a, 'a>>),
}

impl Iterator for FindAll<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            FindAll::Long(i) => i.next(),
            FindAll::Short { hay, needle, from } => {
                let at = *from + find(hay.get(*from..)?, needle)?;
                *from = at + needle.len().max(1);
                Some(at)
            }
        }
    }
}

/// True when `b` can be part of an identifier.
pub(crate) fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// A fixed list of byte strings searched in one pass (Aho-Corasick, built
/// on first use): detectors with many needles pay once per value instead
/// of once per needle.
pub(crate) struct Needles {
    pats: &'static [&'static [u8]],
    search: std::sync::OnceLock<Search>,
}

/// Teddy (SIMD over the needles' first bytes) where the CPU has it, else
/// Aho-Corasick. Aho-Corasick's rare-byte prefilter restarts at every
/// occurrence of its byte: a value padded with it (`(((…`) cost ~15 ns a
/// byte per list; Teddy's cost stays flat whatever the bytes are.
enum Search {
    Packed(aho_corasick::packed::Searcher),
    Ac(aho_corasick::AhoCorasick),
    None,
}

/// The matches of a [`Needles`] search (an enum, not a box: detectors run
/// these on every value).
pub(crate) enum NeedleIter<'h> {
    Packed(aho_corasick::packed::FindIter<'h, 'h>),
    Ac(aho_corasick::FindIter<'h, 'h>),
    None,
}

impl Iterator for NeedleIter<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let m = match self {
            NeedleIter::Packed(i) => i.next()?,
            NeedleIter::Ac(i) => i.next()?,
            NeedleIter::None => return None,
        };
        Some((m.pattern().as_usize(), m.start()))
    }
}

impl Needles {
    pub(crate) const fn new(pats: &'static [&'static [u8]]) -> Self {
        Self { pats, search: std::sync::OnceLock::new() }
    }

    fn search(&self) -> &Search {
        self.search.get_or_init(|| {
            use aho_corasick::packed;
            if let Some(s) = packed::Config::new()
                .match_kind(packed::MatchKind::LeftmostFirst)
                .heuristic_pattern_limits(false)
                .builder()
                .extend(self.pats)
                .build()
            {
                return Search::Packed(s);
            }
            match aho_corasick::AhoCorasick::builder().match_kind(aho_corasick::MatchKind::LeftmostFirst).build(self.pats) {
                Ok(ac) => Search::Ac(ac),
                Err(_) => Search::None,
            }
        })
    }

    /// Every match, left to right: (index of the needle, start).
    pub(crate) fn iter<'h>(&'h self, hay: &'h [u8]) -> NeedleIter<'h> {
        match self.search() {
            Search::Packed(p) => NeedleIter::Packed(p.find_iter(hay)),
            Search::Ac(ac) => NeedleIter::Ac(ac.find_iter(hay)),
            Search::None => NeedleIter::None,
        }
    }

    /// The first match whose start passes `ok`.
    pub(crate) fn find_where(&self, hay: &[u8], ok: impl Fn(usize, usize) -> bool) -> Option<(usize, usize)> {
        self.iter(hay).find(|&(p, at)| ok(p, at))
    }

    pub(crate) fn pattern(&self, i: usize) -> &'static [u8] {
        self.pats[i]
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.pats.len()
    }
}

/// A fixed word list looked up by hash (built on first use), for lists too
/// long to compare one by one on every token. It may extend another
/// detector's list (`with_extra`) instead of copying it.
pub(crate) struct Words {
    words: &'static [&'static str],
    extra: &'static [&'static str],
    set: std::sync::OnceLock<rustc_hash::FxHashMap<&'static [u8], &'static str>>,
}

impl Words {
    pub(crate) const fn new(words: &'static [&'static str]) -> Self {
        Self::with_extra(words, &[])
    }

    pub(crate) const fn with_extra(words: &'static [&'static str], extra: &'static [&'static str]) -> Self {
        Self { words, extra, set: std::sync::OnceLock::new() }
    }

    fn set(&self) -> &rustc_hash::FxHashMap<&'static [u8], &'static str> {
        self.set.get_or_init(|| self.words.iter().chain(self.extra).map(|w| (w.as_bytes(), *w)).collect())
    }

    pub(crate) fn contains(&self, w: &[u8]) -> bool {
        // No entry is longer than 40 bytes; skip hashing long tokens.
        w.len() <= 40 && self.set().contains_key(w)
    }

    /// The list's own `&'static str` for `w`, if present.
    pub(crate) fn get(&self, w: &[u8]) -> Option<&'static str> {
        if w.len() > 40 {
            return None;
        }
        self.set().get(w).copied()
    }
}

/// Sentences: words, blanks and the punctuation that ends or joins them
/// (and, with `non_ascii`, any byte ≥ 0x80). Dotted payloads
/// (`java.lang.Runtime`, `document.cookie`) are the caller's to rule out
/// with `alnum_payload`.
pub(crate) fn is_prose(v: &[u8], non_ascii: bool) -> bool {
    v.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b',' | b'.' | b'?' | b'!' | b'-') || (non_ascii && b >= 0x80))
}

/// Whether one detector family reports on `raw` (normalized) as an
/// argument value with at least `min` confidence. SecLang's
/// `@detectSQLi`/`@detectXSS` use this.
pub fn family_reports(name: &str, raw: &[u8], min: Confidence) -> bool {
    // Sentences reach only the detectors that read prose, as in the
    // engine; before normalization only ASCII counts (bytes ≥ 0x80 could
    // fold to ASCII syntax).
    let prose = is_prose(raw, false) && !crate::targets::alnum_payload(raw);
    if prose && !ALL.iter().any(|d| d.name == name && d.prose) {
        return false;
    }
    let (norm, evasion) = crate::normalize::normalize(raw);
    let t = Target { source: Source::Query, kind: Kind::Value, key: "", raw, norm: &norm, evasion };
    ALL.iter().filter(|d| d.name == name).any(|d| (d.check)(&t).is_some_and(|h| h.confidence >= min))
}

/// Runs one detector family (or `"all"`) over `raw`, normalized, as every
/// kind of target; returns how many reported. For fuzzing and tests.
pub fn check_as_every_kind(name: &str, raw: &[u8]) -> usize {
    let (norm, evasion) = crate::normalize::normalize(raw);
    let kinds = [Kind::Value, Kind::Name, Kind::Cookie, Kind::Header, Kind::Path, Kind::FileName];
    ALL.iter()
        .filter(|d| name == "all" || d.name == name)
        .map(|d| {
            kinds
                .iter()
                .filter(|&&kind| (d.check)(&Target { source: Source::Query, kind, key: "x-k", raw, norm: &norm, evasion }).is_some())
                .count()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    /// Needle sets index a parallel list of reasons; a length mismatch
    /// would panic on a match.
    #[test]
    fn needle_reasons_line_up() {
        assert_eq!(super::js::CODE.len(), super::js::CODE_WHY.len());
        assert_eq!(super::xss::SCRIPT.len(), super::xss::SCRIPT_WHY.len());
        assert_eq!(super::code::EXPRESSIONS.len(), super::code::EXPRESSION_WHY.len());
    }

    #[test]
    fn every_kind_runs() {
        assert!(super::check_as_every_kind("sqli", b"1' or '1'='1") > 0);
        assert_eq!(super::check_as_every_kind("sqli", b"hello"), 0);
        assert!(super::check_as_every_kind("all", b"<script>alert(1)</script>") > 0);
    }
}
