//! Logical lines and arguments, as Apache's config reader and ModSecurity
//! split them.

/// One directive's text: the line it starts on and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub args: Vec<String>,
}

/// Hostile files cannot make a logical line or an argument list grow
/// without bound.
pub const MAX_LINE: usize = 1 << 20;
pub const MAX_ARGS: usize = 64;

/// Joins `\`-continued lines, drops comments and blank lines, and splits
/// each logical line into arguments.
pub fn lines(text: &str) -> Result<Vec<Line>, crate::Error> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if cur.is_empty() {
            start = n;
            let t = raw.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
        }
        let piece = raw.trim_end();
        match piece.strip_suffix('\\') {
            // Joined as written: the next line keeps its indentation.
            Some(head) => cur.push_str(head),
            None => {
                cur.push_str(piece);
                // A continuation can end in a blank line: nothing to keep.
                let args = split(&cur, start)?;
                if !args.is_empty() {
                    out.push(Line { number: start, args });
                }
                cur.clear();
            }
        }
        if cur.len() > MAX_LINE {
            return Err(crate::Error { line: start, message: format!("logical line longer than {MAX_LINE} bytes") });
        }
    }
    let args = split(&cur, start)?;
    if !args.is_empty() {
        out.push(Line { number: start, args });
    }
    Ok(out)
}

/// Splits one logical line: blanks separate arguments; `"…"` and `'…'`
/// quote, and `\"` is a quote inside `"…"` (as Apache's config reader
/// does); other backslashes stay for the operator's own parser (`\d`).
pub fn split(s: &str, line: usize) -> Result<Vec<String>, crate::Error> {
    let mut args = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        let mut arg = String::new();
        if c == '"' || c == '\'' {
            chars.next();
            let mut closed = false;
            while let Some(ch) = chars.next() {
                if ch == '\\' && chars.peek() == Some(&c) {
                    chars.next();
                    arg.push(c);
                    continue;
                }
                if ch == c {
                    closed = true;
                    break;
                }
                arg.push(ch);
            }
            if !closed {
                return Err(crate::Error { line, message: format!("unterminated {c}-quoted argument") });
            }
        } else {
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                arg.push(ch);
                chars.next();
            }
        }
        args.push(arg);
        if args.len() > MAX_ARGS {
            return Err(crate::Error { line, message: format!("more than {MAX_ARGS} arguments") });
        }
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_comments_and_quotes() {
        let text = "# comment\n\nSecRule ARGS \"@rx a\\\"b\" \\\n    \"id:1,\\\n    msg:'x y'\"\nSecMarker END\n";
        let l = lines(text).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].number, 3);
        assert_eq!(l[0].args, vec!["SecRule", "ARGS", "@rx a\"b", "id:1,    msg:'x y'"]);
        assert_eq!(l[1].args, vec!["SecMarker", "END"]);
    }

    #[test]
    fn a_continuation_into_nothing_is_no_directive() {
        // Found by the fuzzer: ` \` then blank lines made an empty line.
        assert_eq!(lines(" \\\n\n\u{cb}").unwrap().len(), 1);
        assert!(lines(" \\\n\n").unwrap().is_empty());
        assert!(crate::parse(" \\\n\n\u{cb}\0").is_err());
    }

    #[test]
    fn unterminated_quote_is_an_error_with_its_line() {
        let e = lines("SecRule ARGS \"@rx a").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("unterminated"));
    }
}
