//! Scanning trees: one walker, a worker per core, bounded memory per file,
//! no symlink followed (a link leaving the root is itself a finding: the
//! classic way to read another customer's files), binaries skipped by
//! content unless they carry a script opener.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use sha2::{Digest, Sha256};

use crate::{DEFAULT_MIN_SCORE, Finding};

#[derive(Clone)]
pub struct Options {
    pub min_score: u8,
    /// Bytes of a file read at most; a larger file is scanned on its
    /// first bytes and reported as truncated.
    pub max_file_bytes: u64,
    pub threads: usize,
    /// SHA-256 digests of known-good files (release checksums).
    pub allow: Arc<HashSet<[u8; 32]>>,
    /// Report every file's digest too (to record an allow-list).
    pub want_all: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            min_score: DEFAULT_MIN_SCORE,
            max_file_bytes: 32 << 20,
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            allow: Arc::new(HashSet::new()),
            want_all: false,
        }
    }
}

/// One scanned file with what was found (possibly nothing, with
/// `want_all`).
#[derive(Debug, Clone)]
pub struct FileReport {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone)]
pub enum Notice {
    Unreadable { path: PathBuf, error: String },
    Truncated { path: PathBuf, size: u64, read: u64 },
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Notice::Unreadable { path, error } => write!(f, "{}: cannot read: {error}", path.display()),
            Notice::Truncated { path, size, read } => write!(f, "{}: {size} bytes, only the first {read} scanned", path.display()),
        }
    }
}

#[derive(Default, Debug)]
pub struct Summary {
    pub files: u64,
    pub bytes: u64,
    pub skipped_binary: u64,
    pub allowed: u64,
    pub reports: Vec<FileReport>,
    pub notices: Vec<Notice>,
}

enum Job {
    File(PathBuf),
    Link(PathBuf, PathBuf),
}

/// Scan every file under `roots` (a root may be a file). Reports are
/// sorted by path.
pub fn scan(roots: &[PathBuf], opts: &Options) -> Summary {
    let (tx, rx) = mpsc::sync_channel::<Job>(1024);
    let rx = Arc::new(Mutex::new(rx));
    let (out_tx, out_rx) = mpsc::channel::<Out>();
    let mut summary = Summary::default();
    std::thread::scope(|s| {
        for _ in 0..opts.threads.max(1) {
            let rx = Arc::clone(&rx);
            let out = out_tx.clone();
            s.spawn(move || {
                loop {
                    let job = match rx.lock() {
                        Ok(g) => g.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    let r = match job {
                        Job::File(p) => scan_file(&p, opts),
                        Job::Link(p, root) => link(&p, &root),
                    };
                    if out.send(r).is_err() {
                        return;
                    }
                }
            });
        }
        drop(out_tx);
        let walker = s.spawn(move || {
            let mut notices = Vec::new();
            for root in roots {
                let canon = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
                for e in walkdir::WalkDir::new(root).follow_links(false).follow_root_links(true) {
                    match e {
                        Ok(e) if e.file_type().is_file() => {
                            if tx.send(Job::File(e.into_path())).is_err() {
                                return notices;
                            }
                        }
                        Ok(e) if e.path_is_symlink() => {
                            if tx.send(Job::Link(e.into_path(), canon.clone())).is_err() {
                                return notices;
                            }
                        }
                        Ok(_) => {}
                        Err(err) => {
                            let path = err.path().map(Path::to_path_buf).unwrap_or_else(|| root.clone());
                            notices.push(Notice::Unreadable { path, error: err.to_string() });
                        }
                    }
                }
            }
            notices
        });
        for o in out_rx {
            match o {
                Out::Report { report, bytes, skipped, allowed } => {
                    summary.files += 1;
                    summary.bytes += bytes;
                    summary.skipped_binary += skipped as u64;
                    summary.allowed += allowed as u64;
                    if let Some(r) = report {
                        summary.reports.push(r);
                    }
                }
                Out::Notice(n, r) => {
                    summary.notices.push(n);
                    if let Some(r) = r {
                        summary.files += 1;
                        summary.bytes += r.size;
                        summary.reports.push(r);
                    }
                }
                Out::Nothing => {}
            }
        }
        if let Ok(n) = walker.join() {
            summary.notices.extend(n);
        }
    });
    summary.reports.sort_by(|a, b| a.path.cmp(&b.path));
    summary
}

enum Out {
    Report { report: Option<FileReport>, bytes: u64, skipped: bool, allowed: bool },
    Notice(Notice, Option<FileReport>),
    Nothing,
}

/// A symlink whose target leaves the scanned root.
fn link(p: &Path, root: &Path) -> Out {
    let Ok(target) = std::fs::canonicalize(p) else { return Out::Nothing };
    if target.starts_with(root) {
        return Out::Nothing;
    }
    let f = Finding {
        rule: "file.symlink-out-of-root".into(),
        score: 80,
        line: 0,
        reason: format!("symbolic link to {} outside the scanned root", target.display()),
    };
    Out::Report {
        report: Some(FileReport { path: p.to_path_buf(), sha256: String::new(), size: 0, findings: vec![f] }),
        bytes: 0,
        skipped: false,
        allowed: false,
    }
}

/// Whether bytes look like a binary with no server script inside. Random
/// bytes hold `<?` or `<%` by chance every few kilobytes, so a binary
/// counts as carrying a script only with a whole opener (`<?php`, `<?=`,
/// a page directive, `runat="server"`); a compressed archive is read by
/// nobody as a script.
fn binary_without_script(head: &[u8], all: &[u8]) -> bool {
    if memchr::memchr(0, &head[..head.len().min(8192)]).is_none() {
        return false;
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"\x1f\x8b") || head.starts_with(b"7z\xbc\xaf") {
        return true;
    }
    let opener = |needle: &[u8]| {
        let first = needle[0];
        memchr::memchr_iter(first, all).any(|p| all.get(p..p + needle.len()).is_some_and(|w| w.eq_ignore_ascii_case(needle)))
    };
    !(opener(b"<?php")
        || memchr::memmem::find(all, b"<?=").is_some()
        || opener(b"<%@ page")
        || opener(b"runat=\"server\"")
        || opener(b"<%eval")
        || opener(b"<%execute"))
}

fn scan_file(p: &Path, opts: &Options) -> Out {
    let mut f = match std::fs::File::open(p) {
        Ok(f) => f,
        Err(e) => return Out::Notice(Notice::Unreadable { path: p.to_path_buf(), error: e.to_string() }, None),
    };
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut data = Vec::with_capacity(size.min(opts.max_file_bytes) as usize);
    if let Err(e) = (&mut f).take(opts.max_file_bytes).read_to_end(&mut data) {
        return Out::Notice(Notice::Unreadable { path: p.to_path_buf(), error: e.to_string() }, None);
    }
    let digest: [u8; 32] = Sha256::digest(&data).into();
    let sha = hex::encode(digest);
    let bytes = data.len() as u64;
    let truncated = size > bytes;
    let allowed = !truncated && opts.allow.contains(&digest);
    let skipped = !allowed && binary_without_script(&data, &data);
    let mut findings = Vec::new();
    if !allowed && !skipped {
        let name = p.to_string_lossy();
        findings = crate::scan_bytes(&name, &data);
        findings.retain(|x| x.score >= opts.min_score);
    }
    let report = (!findings.is_empty() || opts.want_all).then(|| FileReport { path: p.to_path_buf(), sha256: sha, size: bytes, findings });
    if truncated {
        return Out::Notice(Notice::Truncated { path: p.to_path_buf(), size, read: bytes }, report);
    }
    Out::Report { report, bytes, skipped, allowed }
}

/// Read an allow-list: `sha256sum` lines (`<hex>  <path>`), `#` comments.
/// Bad lines are returned with their numbers; the rest are loaded.
pub fn load_allow(text: &str) -> (HashSet<[u8; 32]>, Vec<(usize, String)>) {
    let mut set = HashSet::new();
    let mut bad = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let h = l.split_whitespace().next().unwrap_or("");
        let mut d = [0u8; 32];
        match hex::decode_to_slice(h, &mut d) {
            Ok(()) => {
                set.insert(d);
            }
            Err(_) => bad.push((n + 1, line.to_string())),
        }
    }
    (set, bad)
}

/// Move a file aside: into `dir` under its digest, mode 0 so nothing
/// serves or runs it, with a manifest line recording where it was and
/// its permissions (JSON lines in `dir/manifest.jsonl`).
pub fn quarantine(report: &FileReport, dir: &Path) -> std::io::Result<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    std::fs::create_dir_all(dir)?;
    let meta = std::fs::symlink_metadata(&report.path)?;
    let base = report.path.file_name().map(|b| b.to_string_lossy().into_owned()).unwrap_or_default();
    let tag = if report.sha256.is_empty() { "link".to_string() } else { report.sha256[..16].to_string() };
    let dest = dir.join(format!("{tag}-{base}.quarantined"));
    if std::fs::rename(&report.path, &dest).is_err() {
        // Another file system: copy, then remove the original.
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&report.path)?;
            std::os::unix::fs::symlink(target, &dest)?;
        } else {
            std::fs::copy(&report.path, &dest)?;
        }
        std::fs::remove_file(&report.path)?;
    }
    if !meta.file_type().is_symlink() {
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o000))?;
    }
    let line = serde_json::json!({
        "original": report.path.to_string_lossy(),
        "quarantined": dest.to_string_lossy(),
        "sha256": report.sha256,
        "mode": format!("{:o}", meta.mode() & 0o7777),
        "uid": meta.uid(),
        "gid": meta.gid(),
        "mtime": meta.mtime(),
        "rules": report.findings.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
    });
    let mut m = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("manifest.jsonl"))?;
    writeln!(m, "{line}")?;
    m.sync_all()?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::binary_without_script;

    #[test]
    fn binaries_need_a_whole_opener() {
        let mut noise = vec![0u8; 64];
        noise.extend_from_slice(b"xx<%yy<?zz(");
        assert!(binary_without_script(&noise, &noise));
        let mut gif = b"GIF89a\x00\x01".to_vec();
        gif.extend_from_slice(b"<?php eval($_POST[1]); ?>");
        assert!(!binary_without_script(&gif, &gif));
        let zip = b"PK\x03\x04\x00\x00<?php system($_GET[1]);";
        assert!(binary_without_script(zip, zip));
        assert!(!binary_without_script(b"<?php echo 1;", b"<?php echo 1;"));
    }
}
