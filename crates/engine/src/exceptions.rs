//! Per-site exceptions: "don't run detector X (or rule N, or shape S) on
//! parameter P under path Q". The learning mode will propose these.

use haetae_model::Finding;

/// One exception. Every field that is set must match; an empty list of
/// detectors and rules means "any".
///
/// ```toml
/// [[site.exceptions]]
/// path = "/board/write"        # path prefix (after normalization)
/// param = "content"            # a key (`content`) or a full location (`ARGS:content`)
/// detectors = ["xss"]
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exception {
    pub path: Option<String>,
    pub param: Option<String>,
    pub detectors: Vec<String>,
    pub rules: Vec<u32>,
    /// Shape ids (`detect::shapes`).
    pub shapes: Vec<String>,
}

impl Exception {
    /// `norm_path` is the normalized request path; `self.path` is expected
    /// lower-case (the engine lower-cases it once when built).
    pub fn covers(&self, norm_path: &[u8], f: &Finding) -> bool {
        if let Some(p) = &self.path {
            let ok = match p.strip_suffix('*') {
                Some(prefix) => norm_path.starts_with(prefix.as_bytes()),
                None => {
                    norm_path == p.as_bytes()
                        || (norm_path.starts_with(p.as_bytes()) && (p.ends_with('/') || norm_path.get(p.len()) == Some(&b'/')))
                }
            };
            if !ok {
                return false;
            }
        }
        // By key, whatever the reading: `param = "data"` covers the base64
        // reading of `data` too.
        if let Some(param) = &self.param
            && !f.location.matches_param(param)
        {
            return false;
        }
        let det_ok = self.detectors.is_empty() || self.detectors.iter().any(|d| d == f.detector);
        let rule_ok = self.rules.is_empty() || self.rules.contains(&f.rule_id);
        let shape_ok = self.shapes.is_empty() || self.shapes.iter().any(|s| s == f.shape);
        det_ok && rule_ok && shape_ok
    }
}
