//! The go-ftw YAML test format used by the OWASP CRS regression suite:
//! files of tests, each a list of stages, each an HTTP request (`input`) and
//! what the WAF must log or answer (`output`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;

/// A YAML scalar the tests write either quoted or bare (`port: 80`,
/// `Content-Length: 0`, `status: 403`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Str(s) => f.write_str(s),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// One or several values (`status: 403` or `status: [200, 403]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T: Clone> OneOrMany<T> {
    pub fn to_vec(&self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![t.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct TestFile {
    #[serde(default)]
    pub rule_id: Option<u32>,
    #[serde(default)]
    pub tests: Vec<Test>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Test {
    pub test_id: u32,
    #[serde(default)]
    pub desc: Option<String>,
    #[serde(default)]
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Stage {
    pub input: Input,
    #[serde(default)]
    pub output: Output,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Input {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, Scalar>,
    #[serde(default)]
    pub data: Option<Scalar>,
    /// A whole raw request, base64-encoded; replaces everything else.
    #[serde(default)]
    pub encoded_request: Option<String>,
    #[serde(default)]
    pub autocomplete_headers: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Output {
    #[serde(default)]
    pub status: Option<OneOrMany<u16>>,
    #[serde(default)]
    pub log: Option<Log>,
    /// Older files put these directly under `output`.
    #[serde(default)]
    pub expect_ids: Vec<u32>,
    #[serde(default)]
    pub no_expect_ids: Vec<u32>,
    #[serde(default)]
    pub log_contains: Option<String>,
    #[serde(default)]
    pub no_log_contains: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Log {
    #[serde(default)]
    pub expect_ids: Vec<u32>,
    #[serde(default)]
    pub no_expect_ids: Vec<u32>,
    #[serde(default)]
    pub match_regex: Option<String>,
    #[serde(default)]
    pub no_match_regex: Option<String>,
}

impl Output {
    pub fn expect_ids(&self) -> Vec<u32> {
        let mut v = self.expect_ids.clone();
        if let Some(l) = &self.log {
            v.extend(&l.expect_ids);
        }
        v
    }

    /// The log must match this pattern (`log.match_regex`, or the older
    /// `log_contains`).
    pub fn log_regex(&self) -> Option<&str> {
        self.log.as_ref().and_then(|l| l.match_regex.as_deref()).or(self.log_contains.as_deref())
    }

    /// The log must not match this pattern.
    pub fn no_log_regex(&self) -> Option<&str> {
        self.log.as_ref().and_then(|l| l.no_match_regex.as_deref()).or(self.no_log_contains.as_deref())
    }

    pub fn no_expect_ids(&self) -> Vec<u32> {
        let mut v = self.no_expect_ids.clone();
        if let Some(l) = &self.log {
            v.extend(&l.no_expect_ids);
        }
        v
    }
}

/// A request ready to inspect or send: what an HTTP client would put on the
/// wire for a stage, header order kept.
#[derive(Debug, Clone, Default)]
pub struct RawRequest {
    pub method: String,
    pub target: String,
    pub version: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
    }

    /// Serializes to HTTP/1.1 bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        out.extend_from_slice(format!("{} {} {}\r\n", self.method, self.target, self.version).as_bytes());
        for (n, v) in &self.headers {
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

impl Input {
    /// The request go-ftw would send. With `autocomplete_headers` (the
    /// default) a body gets `Content-Length` and, when no type is given,
    /// `Content-Type: application/x-www-form-urlencoded`, as go-ftw does.
    pub fn to_request(&self) -> Result<RawRequest, String> {
        if let Some(enc) = &self.encoded_request {
            // YAML folds long base64 over lines.
            let compact: Vec<u8> = enc.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
            let bytes =
                base64::engine::general_purpose::STANDARD.decode(&compact).map_err(|e| format!("encoded_request is not base64: {e}"))?;
            return parse_raw(&bytes);
        }
        let mut r = RawRequest {
            method: self.method.clone().unwrap_or_else(|| "GET".into()),
            target: self.uri.clone().unwrap_or_else(|| "/".into()),
            version: self.version.clone().unwrap_or_else(|| "HTTP/1.1".into()),
            headers: self.headers.iter().map(|(k, v)| (k.clone(), v.to_string().into_bytes())).collect(),
            body: self.data.as_ref().map(|d| d.to_string().into_bytes()).unwrap_or_default(),
        };
        if self.autocomplete_headers.unwrap_or(true) {
            if !r.body.is_empty() && r.header("content-type").is_none() {
                r.headers.push(("Content-Type".into(), b"application/x-www-form-urlencoded".to_vec()));
            }
            // As Go's HTTP client: a body, or a method that carries one,
            // gets a length (`Content-Length: 0` for an empty POST).
            let carries = !r.body.is_empty() || matches!(r.method.as_str(), "POST" | "PUT" | "PATCH");
            if r.header("content-length").is_none() && r.header("transfer-encoding").is_none() && carries {
                r.headers.push(("Content-Length".into(), r.body.len().to_string().into_bytes()));
            }
        }
        Ok(r)
    }
}

/// Splits a raw HTTP/1 request into its parts (lenient: the tests send
/// malformed requests on purpose).
pub fn parse_raw(bytes: &[u8]) -> Result<RawRequest, String> {
    let head_end = memfind(bytes, b"\r\n\r\n").map(|i| (i, i + 4)).or_else(|| memfind(bytes, b"\n\n").map(|i| (i, i + 2)));
    let (head, body) = match head_end {
        Some((h, b)) => (&bytes[..h], &bytes[b..]),
        None => (bytes, &b""[..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n').map(|l| l.trim_end_matches('\r'));
    let first = lines.next().ok_or("empty request")?;
    let mut parts = first.splitn(3, ' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().ok_or("request line has no target")?.to_owned();
    let version = parts.next().unwrap_or("HTTP/1.1").to_owned();
    let headers = lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.trim().to_owned(), v.trim().as_bytes().to_vec())).collect();
    Ok(RawRequest { method, target, version, headers, body: body.to_vec() })
}

fn memfind(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// One stage with where it came from.
#[derive(Debug, Clone)]
pub struct Case {
    pub file: PathBuf,
    pub rule_id: u32,
    pub test_id: u32,
    pub stage: usize,
    pub desc: String,
    pub stage_def: Stage,
}

impl Case {
    /// `942100-3` (or `942100-3.2` for a later stage).
    pub fn name(&self) -> String {
        if self.stage == 0 {
            format!("{}-{}", self.rule_id, self.test_id)
        } else {
            format!("{}-{}.{}", self.rule_id, self.test_id, self.stage + 1)
        }
    }
}

/// Reads every `*.yaml` under `dir` (recursively, in name order).
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, String> {
    let mut files = Vec::new();
    collect_yaml(dir, &mut files)?;
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let tf: TestFile = serde_saphyr::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
        let rule_id = tf.rule_id.or_else(|| rule_from_name(&f)).unwrap_or(0);
        for t in tf.tests {
            for (i, s) in t.stages.into_iter().enumerate() {
                cases.push(Case {
                    file: f.clone(),
                    rule_id,
                    test_id: t.test_id,
                    stage: i,
                    desc: t.desc.clone().unwrap_or_default(),
                    stage_def: s,
                });
            }
        }
    }
    if cases.is_empty() {
        return Err(format!("{}: no go-ftw test stages found", dir.display()));
    }
    Ok(cases)
}

fn rule_from_name(f: &Path) -> Option<u32> {
    f.file_stem()?.to_str()?.parse().ok()
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in rd {
        let p = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if p.is_dir() {
            collect_yaml(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
---
meta:
  author: "x"
rule_id: 942100
tests:
  - test_id: 1
    desc: "Simple"
    stages:
      - input:
          dest_addr: 127.0.0.1
          headers:
            Host: localhost
            Content-Length: 0
          method: POST
          port: 80
          uri: "/post"
          data: "var=1234 OR 1=1"
          version: HTTP/1.1
        output:
          log:
            expect_ids: [942100]
          status: [200, 403]
"#;

    #[test]
    fn parses_a_stage_and_completes_headers() {
        let tf: TestFile = serde_saphyr::from_str(SAMPLE).expect("yaml");
        let s = &tf.tests[0].stages[0];
        assert_eq!(s.output.expect_ids(), vec![942100]);
        assert_eq!(s.output.status.as_ref().map(|x| x.to_vec()), Some(vec![200, 403]));
        let r = s.input.to_request().expect("request");
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("content-type"), Some(&b"application/x-www-form-urlencoded"[..]));
        // A declared length stays as the test wrote it (tests lie on purpose).
        assert_eq!(r.header("content-length"), Some(&b"0"[..]));
        assert!(r.to_bytes().ends_with(b"\r\n\r\nvar=1234 OR 1=1"));
    }

    #[test]
    fn decodes_an_encoded_request() {
        let raw = "GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\n";
        let enc = base64::engine::general_purpose::STANDARD.encode(raw);
        let i = Input { encoded_request: Some(enc), ..Default::default() };
        let r = i.to_request().expect("request");
        assert_eq!((r.method.as_str(), r.target.as_str()), ("GET", "/a?b=c"));
        assert_eq!(r.header("host"), Some(&b"x"[..]));
    }
}
