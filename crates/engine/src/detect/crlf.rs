//! CRLF / header injection and mail header injection: a line break followed
//! by something shaped like a header; and mail protocol injection: a line
//! break followed by an SMTP, POP3 or IMAP command line, for values an
//! application passes to a mail server.

use haetae_model::Confidence::{self, High, Medium};

use super::{Hit, Kind, Target, find};

const MAIL: &[&[u8]] = &[b"to:", b"cc:", b"bcc:", b"from:", b"subject:", b"reply-to:", b"content-type:"];

pub fn check(t: &Target<'_>) -> Option<Hit> {
    if matches!(t.kind, Kind::FileName) {
        return None;
    }
    // `嘊嘍` (U+560A, U+560D): servers that keep a character's low byte
    // turn them into LF and CR.
    let widened: Vec<u8>;
    let s = if find(t.norm, "\u{560a}".as_bytes()).is_some() || find(t.norm, "\u{560d}".as_bytes()).is_some() {
        widened = String::from_utf8_lossy(t.norm).replace('\u{560a}', "\n").replace('\u{560d}', "\r").into_bytes();
        &widened[..]
    } else {
        t.norm
    };
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
                return Some(
                    Hit::new(2901, High, format!("{why}: line break then `{}`", String::from_utf8_lossy(name)), at)
                        .shape("crlf.header-injection"),
                );
            }
        }
        if let Some((c, why)) = mail_command(line) {
            return Some(Hit::new(2902, c, format!("mail protocol injection: line break then {why}"), at).why(why));
        }
        i = j.max(at + 1);
    }
    None
}

/// The line (up to the next break) as a mail protocol command.
fn mail_command(line: &[u8]) -> Option<(Confidence, &'static str)> {
    let end = memchr::memchr2(b'\r', b'\n', line).unwrap_or(line.len());
    let line = line[..end.min(256)].trim_ascii_end();
    if line.starts_with(b"mail from:<") || line.starts_with(b"rcpt to:<") {
        return Some((High, "an SMTP envelope command"));
    }
    let mut words = line.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let first = words.next()?;
    let rest: Vec<&[u8]> = words.take(8).collect();
    let num = |w: &[u8]| !w.is_empty() && w.len() <= 10 && w.iter().all(u8::is_ascii_digit);
    let host = |w: &[u8]| w.contains(&b'.') && w.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'[' | b']'));
    match (first, rest.as_slice()) {
        (b"ehlo" | b"helo", [h]) if host(h) => return Some((High, "an SMTP greeting")),
        (b"vrfy" | b"expn", [_]) => return Some((High, "an SMTP query")),
        (b"retr" | b"dele" | b"uidl", [n]) if num(n) => return Some((High, "a POP3 command")),
        (b"top", [a, b]) if num(a) && num(b) => return Some((High, "a POP3 command")),
        (b"apop", [_, d]) if d.len() == 32 && d.iter().all(u8::is_ascii_hexdigit) => return Some((High, "a POP3 login")),
        (b"auth", [m, ..]) if matches!(*m, b"plain" | b"login" | b"cram-md5" | b"xoauth2") => return Some((High, "a mail AUTH command")),
        // `AUTH <mechanism> <base64 credentials>`
        (b"auth", [_, cred])
            if cred.len() >= 8
                && cred.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
                && cred.iter().any(|&b| b.is_ascii_digit() || b == b'=') =>
        {
            return Some((High, "a mail AUTH command"));
        }
        (b"list", [n]) if num(n) => return Some((Medium, "a POP3 command")),
        _ => {}
    }
    // IMAP: a tag (`a001`, `A1`) then a command.
    const IMAP: &[&[u8]] = &[
        b"login",
        b"select",
        b"examine",
        b"fetch",
        b"store",
        b"append",
        b"status",
        b"uid",
        b"authenticate",
        b"lsub",
        b"copy",
        b"expunge",
        b"search",
        b"create",
        b"delete",
        b"rename",
        b"logout",
        b"capability",
        b"subscribe",
        b"starttls",
    ];
    let letters = first.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let tag = (1..=3).contains(&letters) && first.len() > letters && first[letters..].iter().all(u8::is_ascii_digit);
    if tag && rest.first().is_some_and(|c| IMAP.contains(c)) {
        return Some((High, "an IMAP command"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(s: &str) -> Option<Confidence> {
        crate::testutil::confidence(check, s)
    }

    #[test]
    fn mail_protocol_commands_after_a_line_break() {
        for a in [
            "x\r\nMAIL FROM:<a@b.com>",
            "\r\nRCPT TO:<postmaster>",
            "\r\nEHLO test.com",
            "\r\nRETR 123",
            "\r\nTOP 1 2",
            "\r\nAPOP user 7d0a3bd8e5b2abcfb3e256633c23b891",
            "\r\nA003 APPEND saved-messages (\\Seen) {310}",
            "\r\na001 uid store 231:233",
            "\r\nAUTH PLAIN dGVzdA==",
            "x\r\nBcc: victim@example.com",
            "\u{560a}\u{560d}Set-Cookie: test",
        ] {
            assert_eq!(conf(a), Some(High), "{a}");
        }
    }

    #[test]
    fn text_area_lines_pass() {
        for b in [
            "Hello\r\nTop 10 tips for you\r\nList of items",
            "first line\r\nA1 sauce is great",
            "Note: bring food\r\nauth is hard",
            "line\r\nhelo there friend",
        ] {
            assert_eq!(conf(b), None, "{b}");
        }
    }
}
