//! Percent-decoding as form parsers do it (one pass, `+` as space in form
//! data, invalid escapes left as they are).

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` once; `plus_as_space` turns `+` into a space (form data).
/// Returns the bytes and whether an invalid escape was seen.
pub fn decode(input: &[u8], plus_as_space: bool) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(input.len());
    let invalid = decode_into(input, plus_as_space, &mut out);
    (out, invalid)
}

/// As [`decode`], appending to `out`; returns whether an invalid escape
/// was seen.
pub fn decode_into(input: &[u8], plus_as_space: bool, out: &mut Vec<u8>) -> bool {
    let mut invalid = false;
    let mut i = 0;
    // Runs between escapes are copied whole and their `+` replaced in one
    // pass over the copy: form text has a `+` every word, so searching for
    // it cost a call per word.
    let push_run = |out: &mut Vec<u8>, run: &[u8]| {
        let start = out.len();
        out.extend_from_slice(run);
        if plus_as_space {
            for b in &mut out[start..] {
                if *b == b'+' {
                    *b = b' ';
                }
            }
        }
    };
    while i < input.len() {
        let rest = &input[i..];
        // Escapes back to back (`%41%42…`, or a value of `%%%…`) skip the
        // search: a memchr call per byte cost more than the decoding.
        if rest[0] != b'%' {
            let Some(n) = memchr::memchr(b'%', rest) else {
                push_run(out, rest);
                break;
            };
            push_run(out, &rest[..n]);
            i += n;
        }
        if let (Some(h), Some(l)) = (input.get(i + 1).copied().and_then(hex), input.get(i + 2).copied().and_then(hex)) {
            out.push(h << 4 | l);
            i += 3;
        } else {
            invalid = true;
            out.push(b'%');
            i += 1;
        }
    }
    invalid
}

/// True when the input has at least one `%XX` or (for forms) `+`, i.e.
/// decoding would change it. Lets callers skip the allocation.
pub fn needs_decoding(input: &[u8], plus_as_space: bool) -> bool {
    if plus_as_space { memchr::memchr2(b'%', b'+', input).is_some() } else { memchr::memchr(b'%', input).is_some() }
}

/// Decodes, borrowing when nothing needs decoding.
pub fn decode_cow(input: &[u8], plus_as_space: bool) -> (std::borrow::Cow<'_, [u8]>, bool) {
    if needs_decoding(input, plus_as_space) {
        let (v, bad) = decode(input, plus_as_space);
        (std::borrow::Cow::Owned(v), bad)
    } else {
        (std::borrow::Cow::Borrowed(input), false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_plus() {
        assert_eq!(decode(b"a%20b+c", true).0, b"a b c");
        assert_eq!(decode(b"a%20b+c", false).0, b"a b+c");
    }

    #[test]
    fn keeps_invalid_escapes_and_flags_them() {
        let (v, bad) = decode(b"100%zz%4", false);
        assert_eq!(v, b"100%zz%4");
        assert!(bad);
    }

    #[test]
    fn runs_and_edges() {
        assert_eq!(decode(b"", true).0, b"");
        assert_eq!(decode(b"plain", true).0, b"plain");
        assert_eq!(decode(b"%41%42", false).0, b"AB");
        assert_eq!(decode(b"++", true).0, b"  ");
        assert_eq!(decode(b"a%", true), (b"a%".to_vec(), true));
        assert_eq!(decode(b"%4", true), (b"%4".to_vec(), true));
        assert_eq!(decode(b"x%e2%80%99y", false).0, "x\u{2019}y".as_bytes());
    }

    #[test]
    fn decodes_only_once() {
        assert_eq!(decode(b"%2527", false).0, b"%27");
    }
}
