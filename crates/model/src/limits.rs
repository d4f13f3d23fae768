/// Bounds on what the parsers build, so a hostile body cannot make the model
/// grow without limit. Anything past a bound is dropped and recorded as
/// [`crate::Anomaly::Exceeded`]: the model then no longer holds the whole
/// request, and the proxy refuses it rather than pass what was dropped
/// uninspected.
#[derive(Debug, Clone)]
pub struct ParseLimits {
    /// Most parameters (query + body + JSON/XML leaves) kept per request.
    pub max_params: usize,
    /// Longest parameter name kept, in bytes (longer ones are truncated).
    pub max_name_len: usize,
    /// Deepest JSON/XML nesting followed.
    pub max_depth: usize,
    /// Most multipart parts parsed.
    pub max_parts: usize,
    /// Bytes of each uploaded file kept for inspection.
    pub file_head_bytes: usize,
    /// Most cookies kept.
    pub max_cookies: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self { max_params: 1024, max_name_len: 1024, max_depth: 64, max_parts: 256, file_head_bytes: 4096, max_cookies: 256 }
    }
}

/// One bound of [`ParseLimits`], named as the config file names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// `max_params`: parameters (query, body fields, JSON/XML leaves,
    /// multipart part headers).
    Params,
    /// `max_name_bytes`: a parameter, cookie or structured-key name.
    NameBytes,
    /// `max_depth`: JSON/XML nesting.
    Depth,
    /// `max_parts`: multipart parts.
    Parts,
    /// `max_cookies`.
    Cookies,
}

impl Limit {
    /// The `[limits]` key that sets it.
    pub fn key(self) -> &'static str {
        match self {
            Limit::Params => "max_params",
            Limit::NameBytes => "max_name_bytes",
            Limit::Depth => "max_depth",
            Limit::Parts => "max_parts",
            Limit::Cookies => "max_cookies",
        }
    }

    /// Its value in `l`.
    pub fn value(self, l: &ParseLimits) -> usize {
        match self {
            Limit::Params => l.max_params,
            Limit::NameBytes => l.max_name_len,
            Limit::Depth => l.max_depth,
            Limit::Parts => l.max_parts,
            Limit::Cookies => l.max_cookies,
        }
    }

    /// What went past it, for an event a person reads.
    pub fn what(self) -> &'static str {
        match self {
            Limit::Params => "more parameters than",
            Limit::NameBytes => "a name longer than",
            Limit::Depth => "nesting deeper than",
            Limit::Parts => "more multipart parts than",
            Limit::Cookies => "more cookies than",
        }
    }
}
