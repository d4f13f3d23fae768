//! Detectors: one module per attack family. Each gets a [`Target`] (one
//! value, already normalized, with where it came from) and returns at most
//! one [`Hit`]. Adding a family means one module plus a line in [`ALL`].

use haetae_model::{Confidence, Source};

use crate::normalize::Evasion;

pub mod cmdi;
pub mod code;
pub mod crlf;
pub mod java;
pub mod js;
pub mod ldap;
pub mod nosql;
pub mod php;
pub mod scanner;
pub mod shell;
pub mod sqli;
pub mod sqli_frag;
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

/// What a detector reports.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule_id: u32,
    pub confidence: Confidence,
    pub reason: String,
    /// Byte offset in `norm` where the evidence starts (for the excerpt).
    pub at: usize,
}

impl Hit {
    pub fn new(rule_id: u32, confidence: Confidence, reason: impl Into<String>, at: usize) -> Self {
        Self { rule_id, confidence, reason: reason.into(), at }
    }
}

/// A detector family.
pub struct Detector {
    pub name: &'static str,
    pub check: fn(&Target<'_>) -> Option<Hit>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every detector, in the order they run.
pub const ALL: &[Detector] = &[
    Detector { name: "sqli", check: sqli::check },
    Detector { name: "xss", check: xss::check },
    Detector { name: "cmdi", check: cmdi::check },
    Detector { name: "traversal", check: traversal::check },
    Detector { name: "code", check: code::check },
    Detector { name: "java", check: java::check },
    Detector { name: "js", check: js::check },
    Detector { name: "ssrf", check: ssrf::check },
    Detector { name: "crlf", check: crlf::check },
    Detector { name: "ldap", check: ldap::check },
    Detector { name: "nosql", check: nosql::check },
    Detector { name: "xxe", check: xxe::check },
    Detector { name: "scanner", check: scanner::check },
];

/// Lets detectors search for words in lower-case text.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// True when `b` can be part of an identifier.
pub(crate) fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
