//! A benign corpus: one JSON object a line with `category`, `method`,
//! `path`, `headers` and `body`.

use std::path::Path;

use serde::Deserialize;

use crate::ftw::RawRequest;

#[derive(Debug, Clone, Deserialize)]
struct Line {
    #[serde(default)]
    category: Option<String>,
    method: String,
    path: String,
    #[serde(default)]
    headers: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    body: Option<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct Sample {
    pub line: usize,
    pub category: String,
    pub request: RawRequest,
}

pub fn load(path: &Path) -> Result<Vec<Sample>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}:{e}", path.display()))
}

/// Parses the lines; an error names the line (`12: what`).
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(l).map_err(|e| format!("{}: {e}", i + 1))?;
        let body = match line.body {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::String(s)) => s.into_bytes(),
            // A structured body is sent as the JSON it is.
            Some(v) => v.to_string().into_bytes(),
        };
        let mut headers: Vec<(String, Vec<u8>)> = line
            .headers
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v.into_bytes())
            })
            .collect();
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            headers.insert(0, ("Host".into(), b"localhost".to_vec()));
        }
        if !body.is_empty() && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length")) {
            headers.push(("Content-Length".into(), body.len().to_string().into_bytes()));
        }
        let request = RawRequest { method: line.method, target: line.path, version: "HTTP/1.1".into(), headers, body };
        out.push(Sample { line: i + 1, category: line.category.unwrap_or_else(|| "-".into()), request });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_adds_host_and_length() {
        let s = parse(
            r#"{"category":"login","method":"POST","path":"/login","headers":{"Content-Type":"application/x-www-form-urlencoded"},"body":"id=a&pw=b"}
{"category":"api","method":"GET","path":"/x?a=1","headers":{},"body":null}"#,
        )
        .expect("parse");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].request.header("host"), Some(&b"localhost"[..]));
        assert_eq!(s[0].request.header("content-length"), Some(&b"9"[..]));
        assert!(s[1].request.body.is_empty());
        assert!(parse("{not json").expect_err("bad line").starts_with("1: "));
    }
}
