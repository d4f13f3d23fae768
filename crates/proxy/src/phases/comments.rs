//! Comment masking: `<!-- … -->` removed from uncompressed HTML responses
//! as they stream (IE conditional comments, which are markup, kept). The
//! stripper carries across chunk boundaries only the few bytes a marker
//! may be split into, and at most `HELD` bytes of an open comment.

use bytes::Bytes;
use http::header;

use super::{BodyFilter, Ctx, Stage};

pub struct StripComments;

impl Stage for StripComments {
    fn name(&self) -> &'static str {
        "strip_comments"
    }

    fn body_filter(&self, ctx: &Ctx<'_>, head: &http::response::Parts) -> Option<Box<dyn BodyFilter>> {
        let site = ctx.site.as_ref()?;
        if !site.response.strip_html_comments {
            return None;
        }
        let h = &head.headers;
        let html =
            h.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().trim_ascii_start().to_ascii_lowercase().starts_with(b"text/html"));
        let encoded = h.get(header::CONTENT_ENCODING).is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
        (html && !encoded).then(|| Box::new(CommentStripper::default()) as Box<dyn BodyFilter>)
    }
}

/// An open comment is held (to be given back if it never closes, as the
/// page had it) up to this size; past it, it is passed on as it comes.
const HELD: usize = 64 * 1024;

#[derive(Default)]
pub struct CommentStripper {
    /// Bytes of the last piece not yet decided (a marker's beginning).
    carry: Vec<u8>,
    /// Inside a comment: `Some(kept)` (kept: a conditional comment, or one
    /// too long to hold, passed on), with the held text of a dropped one.
    inside: Option<bool>,
    held: Vec<u8>,
}

/// The longest end of `s` that begins `marker` (a marker split across
/// pieces), shorter than the marker itself.
fn partial_suffix(s: &[u8], marker: &[u8]) -> usize {
    (1..marker.len().min(s.len() + 1)).rev().find(|&n| s.ends_with(&marker[..n])).unwrap_or(0)
}

/// Built once: `memmem::find` would build its searcher on every call.
static OPEN: std::sync::LazyLock<memchr::memmem::Finder<'static>> = std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"<!--"));
static CLOSE: std::sync::LazyLock<memchr::memmem::Finder<'static>> = std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"-->"));

impl BodyFilter for CommentStripper {
    fn filter(&mut self, chunk: Bytes, end: bool) -> Bytes {
        // Most pieces of most pages hold no comment: passed on uncopied.
        if self.carry.is_empty() && self.inside.is_none() && OPEN.find(&chunk).is_none() && (end || partial_suffix(&chunk, b"<!--") == 0) {
            return chunk;
        }
        let input: Vec<u8> = if self.carry.is_empty() {
            chunk.to_vec()
        } else {
            let mut v = std::mem::take(&mut self.carry);
            v.extend_from_slice(&chunk);
            v
        };
        let mut out = Vec::with_capacity(input.len());
        let mut i = 0;
        loop {
            match self.inside {
                None => {
                    let rest = &input[i..];
                    let Some(p) = OPEN.find(rest) else {
                        let keep = if end { 0 } else { partial_suffix(rest, b"<!--") };
                        out.extend_from_slice(&rest[..rest.len() - keep]);
                        self.carry = rest[rest.len() - keep..].to_vec();
                        break;
                    };
                    out.extend_from_slice(&rest[..p]);
                    let after = &rest[p + 4..];
                    // `[if …]` or `<![endif]` decides whether it is markup.
                    if after.len() < 9 && !end && !after.starts_with(b"[if") {
                        self.carry = rest[p..].to_vec();
                        break;
                    }
                    let conditional = after.starts_with(b"[if") || after.starts_with(b"<![endif]");
                    if conditional {
                        out.extend_from_slice(b"<!--");
                    } else {
                        self.held.extend_from_slice(b"<!--");
                    }
                    self.inside = Some(conditional);
                    i += p + 4;
                }
                Some(kept) => {
                    let rest = &input[i..];
                    match CLOSE.find(rest) {
                        Some(q) => {
                            if kept {
                                out.extend_from_slice(&rest[..q + 3]);
                            }
                            self.held.clear();
                            self.inside = None;
                            i += q + 3;
                        }
                        None if end => {
                            // Never closed: the page keeps it, as written.
                            out.append(&mut self.held);
                            out.extend_from_slice(rest);
                            self.inside = None;
                            break;
                        }
                        None => {
                            let keep = partial_suffix(rest, b"-->");
                            let body = &rest[..rest.len() - keep];
                            if kept {
                                out.extend_from_slice(body);
                            } else {
                                self.held.extend_from_slice(body);
                                if self.held.len() > HELD {
                                    // Too long to hold: passed on from here.
                                    out.append(&mut self.held);
                                    self.inside = Some(true);
                                }
                            }
                            self.carry = rest[rest.len() - keep..].to_vec();
                            break;
                        }
                    }
                }
            }
        }
        Bytes::from(out)
    }
}

/// The whole-body form (the reference the streaming one is tested against).
#[cfg(test)]
fn strip_whole(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(p) = memchr::memmem::find(&b[i..], b"<!--") {
        let at = i + p;
        out.extend_from_slice(&b[i..at]);
        let body_start = at + 4;
        let end = memchr::memmem::find(&b[body_start..], b"-->").map(|q| body_start + q + 3);
        let conditional = b[body_start..].starts_with(b"[if") || b[body_start..].starts_with(b"<![endif]");
        match end {
            Some(e) if !conditional => i = e,
            Some(e) => {
                out.extend_from_slice(&b[at..e]);
                i = e;
            }
            None => {
                out.extend_from_slice(&b[at..]);
                i = b.len();
            }
        }
    }
    out.extend_from_slice(&b[i..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streamed(b: &[u8], cuts: &[usize]) -> Vec<u8> {
        let mut f = CommentStripper::default();
        let mut out = Vec::new();
        let mut last = 0;
        for &c in cuts {
            out.extend_from_slice(&f.filter(Bytes::copy_from_slice(&b[last..c]), false));
            last = c;
        }
        out.extend_from_slice(&f.filter(Bytes::copy_from_slice(&b[last..]), true));
        out
    }

    const PAGES: &[&[u8]] = &[
        b"<p>a</p><!-- db: 10.0.0.5 pw=x --><p>b</p><!--[if IE]><p>ie</p><![endif]--><!-- unterminated",
        b"<!----><!-- a -- b --><!--<![endif]--><<!-- x -->!--<!--",
        b"no comments at all, just < and ! and -- and -> here",
        b"<!-- one -->",
        b"<!--",
        b"x<!-",
    ];

    #[test]
    fn every_split_gives_the_whole_body_answer() {
        for page in PAGES {
            let want = strip_whole(page);
            assert_eq!(streamed(page, &[]), want, "{}", String::from_utf8_lossy(page));
            for a in 0..=page.len() {
                assert_eq!(streamed(page, &[a]), want, "cut at {a}: {}", String::from_utf8_lossy(page));
                for b in a..=page.len().min(a + 12) {
                    assert_eq!(streamed(page, &[a, b]), want, "cuts {a},{b}: {}", String::from_utf8_lossy(page));
                }
            }
            let ones: Vec<usize> = (1..page.len()).collect();
            assert_eq!(streamed(page, &ones), want, "byte by byte: {}", String::from_utf8_lossy(page));
        }
    }

    #[test]
    fn memory_stays_bounded_in_an_endless_comment() {
        let mut f = CommentStripper::default();
        let mut passed = f.filter(Bytes::from_static(b"<p>x</p><!-- "), false).len();
        for _ in 0..1000 {
            passed += f.filter(Bytes::from(vec![b'a'; 4096]), false).len();
            assert!(f.held.len() <= HELD + 4096 && f.carry.len() <= 16);
        }
        passed += f.filter(Bytes::new(), true).len();
        assert_eq!(passed, 8 + 4 + 1 + 1000 * 4096, "an unclosed comment too long to hold is passed on whole");
    }
}
