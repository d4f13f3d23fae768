//! CRLF / header injection and mail header injection: a line break followed
//! by something shaped like a header.

use haetae_model::Confidence::High;

use super::{Hit, Kind, Target};

const MAIL: &[&[u8]] = &[b"to:", b"cc:", b"bcc:", b"from:", b"subject:", b"reply-to:", b"content-type:"];

pub fn check(t: &Target<'_>) -> Option<Hit> {
    if matches!(t.kind, Kind::FileName) {
        return None;
    }
    let s = t.norm;
    let mut i = 0;
    while let Some(p) = memchr::memchr2(b'\r', b'\n', &s[i..]) {
        let at = i + p;
        let mut j = at;
        while j < s.len() && matches!(s[j], b'\r' | b'\n') {
            j += 1;
        }
        let line = &s[j..];
        let name_len = line.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'-').count();
        if name_len > 0 && line.get(name_len) == Some(&b':') {
            let name = &line[..=name_len];
            // Multi-line text areas legitimately contain "Note: ..." lines, so
            // in body values only well-known header names count.
            let known = MAIL.contains(&name)
                || [&b"set-cookie:"[..], b"location:", b"content-length:", b"transfer-encoding:", b"x-", b"refresh:", b"host:"]
                    .iter()
                    .any(|h| name.starts_with(h));
            if known
                && (t.kind != Kind::Value
                    || s[..at].iter().all(|b| !b.is_ascii_whitespace() || *b == b' ')
                    || t.source != haetae_model::Source::Multipart)
            {
                let why = if MAIL.contains(&name) { "mail header injection" } else { "CRLF header injection" };
                return Some(Hit::new(2901, High, format!("{why}: line break then `{}`", String::from_utf8_lossy(name)), at));
            }
        }
        i = j.max(at + 1);
    }
    None
}
