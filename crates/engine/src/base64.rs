//! Values that are entirely base64 (standard or URL-safe alphabet), decoded
//! when what comes out is text — a payload wrapped to slip past filters.
//! Random tokens and hashes decode to binary and are left alone.

fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Shortest value worth decoding: 12 characters carry 9 bytes.
const MIN_LEN: usize = 12;
/// Longest: past this a value is a file, not a wrapped payload.
const MAX_LEN: usize = 64 * 1024;

/// The decoded text, if `v` is entirely base64 and decodes to printable
/// text with at least one character a payload needs.
pub fn decode_text(v: &[u8]) -> Option<Vec<u8>> {
    let body = v.strip_suffix(b"==").or_else(|| v.strip_suffix(b"=")).unwrap_or(v);
    if body.len() < MIN_LEN || v.len() > MAX_LEN {
        return None;
    }
    // Hex strings are ids and hashes, not base64 text.
    if body.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in body {
        acc = (acc << 6) | u32::from(sextet(b)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    let printable = out.iter().filter(|&&b| (0x20..0x7f).contains(&b) || matches!(b, b'\n' | b'\r' | b'\t')).count();
    let punct = out.iter().any(|&b| matches!(b, b'<' | b'>' | b'\'' | b'"' | b'(' | b')' | b';' | b'|' | b'$' | b'{' | b'/' | b'.' | b'='));
    (printable * 100 >= out.len() * 95 && punct).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_wrapped_text_only() {
        // "<script>alert(1)</script>"
        assert_eq!(decode_text(b"PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==").as_deref(), Some(&b"<script>alert(1)</script>"[..]));
        // "' or 1=1--" in the URL-safe alphabet.
        assert_eq!(decode_text(b"JyBvciAxPTEtLQ").as_deref(), Some(&b"' or 1=1--"[..]));
        // Session ids, hashes and words stay.
        assert!(decode_text(b"414c343c1027c4d1c386bbc4cd613e30").is_none());
        assert!(decode_text(b"GA1.2.226614242.1531969374").is_none());
        assert!(decode_text(b"dGhpcyBpcyBmaW5l").is_none()); // "this is fine": no payload characters
        assert!(decode_text(b"short").is_none());
    }
}
