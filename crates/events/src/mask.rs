//! Excerpts go into logs that more people read than should see secrets:
//! shorten them, hide credential fields, and mask long digit runs (card,
//! account and resident registration numbers).

const SECRET_NAMES: &[&str] =
    &["pass", "pwd", "secret", "token", "auth", "session", "sess", "card", "cvv", "cvc", "ssn", "jumin", "rrn", "otp", "pin"];

/// Shortens to `max` characters, masks secrets, escapes control characters.
pub fn excerpt(location: &str, text: &str, max: usize) -> String {
    let key = location.split_once(':').map_or("", |(_, k)| k).to_ascii_lowercase();
    if SECRET_NAMES.iter().any(|s| key.contains(s)) {
        return "[masked]".into();
    }
    let mut out = String::with_capacity(text.len().min(max) + 8);
    let chars: Vec<char> = text.chars().take(max).collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let run = chars[i..].iter().take_while(|c| c.is_ascii_digit() || **c == '-' || **c == ' ').count();
            let digits = chars[i..i + run].iter().filter(|c| c.is_ascii_digit()).count();
            if digits >= 6 {
                for ch in &chars[i..i + run] {
                    out.push(if ch.is_ascii_digit() { '#' } else { *ch });
                }
                i += run;
                continue;
            }
        }
        if c.is_control() {
            out.push_str(&c.escape_default().to_string());
        } else {
            out.push(c);
        }
        i += 1;
    }
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_shortens() {
        assert_eq!(excerpt("ARGS:password", "' or 1=1--", 64), "[masked]");
        assert_eq!(excerpt("ARGS:q", "card 4111 1111 1111 1111 x", 64), "card #### #### #### #### x");
        assert_eq!(excerpt("ARGS:q", "a\nb", 64), "a\\nb");
        assert_eq!(excerpt("ARGS:q", "abcdef", 3), "abc…");
        assert_eq!(excerpt("ARGS:q", "' or 1=1--", 64), "' or 1=1--");
    }
}
