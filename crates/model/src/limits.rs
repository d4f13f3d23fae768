/// Bounds on what the parsers build, so a hostile body cannot make the model
/// grow without limit. Anything past a bound is dropped and recorded as an
/// [`crate::Anomaly`].
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
