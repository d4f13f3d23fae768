//! `haetae scan` as an operator runs it on a document root: findings as
//! JSON lines, exit status, quarantine, allow-lists, and the files that
//! must not crash or stall it.

use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use crate::harness::{TempDir, bin};

fn scan(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin()).arg("scan").args(args).output().expect("run haetae scan");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}"))).collect()
}

/// A hosted site with one shell among ordinary files, and the hostile
/// shapes a scanner meets.
fn docroot(d: &TempDir) -> std::path::PathBuf {
    let root = d.path("www");
    std::fs::create_dir_all(root.join("wp-content/uploads/2026")).expect("mkdir");
    std::fs::write(
        root.join("index.php"),
        "<?php\n// 홈페이지 첫 화면\nrequire __DIR__ . '/wp-load.php';\necho htmlspecialchars($_GET['q'] ?? '');\n",
    )
    .expect("write");
    std::fs::write(root.join("wp-content/uploads/2026/thumb.php"), "<?php\n$k = 'as' . 'sert';\n$k($_POST['z']);\n").expect("write");
    std::fs::write(root.join("wp-content/uploads/2026/photo.jpg"), b"\xff\xd8\xff\xe0\x00\x10JFIF\x00binary image data").expect("write");
    std::fs::write(root.join("deep.php"), format!("<?php $x = {}1{};", "(".repeat(100_000), ")".repeat(100_000))).expect("write");
    std::fs::write(root.join("big.txt"), vec![b'a'; 3 << 20]).expect("write");
    // A file name that is not UTF-8, holding a one-line shell.
    std::fs::write(root.join(std::ffi::OsStr::from_bytes(b"x\xff\xfe.php")), "<?php system($_GET['c']);").expect("write");
    // Symbolic links: a loop, and one out of the root (to another site).
    let _ = std::os::unix::fs::symlink(&root, root.join("loop"));
    std::fs::create_dir_all(d.path("other")).expect("mkdir");
    std::fs::write(d.path("other/wp-config.php"), "<?php define('DB_PASSWORD', 'x');").expect("write");
    let _ = std::os::unix::fs::symlink(d.path("other/wp-config.php"), root.join("cfg.txt"));
    root
}

#[test]
fn scan_reports_quarantines_and_allows() {
    let d = TempDir::new("scan");
    let root = docroot(&d);
    let r = root.to_string_lossy().into_owned();
    let (code, out, err) = scan(&[&r, "--format", "json", "--max-file-bytes", "1048576"]);
    assert_eq!(code, 1, "{err}");
    let found = lines(&out);
    let paths: Vec<String> = found.iter().map(|v| v["path"].as_str().unwrap_or("").to_string()).collect();
    assert!(paths.iter().any(|p| p.ends_with("uploads/2026/thumb.php")), "{out}");
    assert!(paths.iter().any(|p| p.contains("x\u{fffd}\u{fffd}.php")), "{out}");
    assert!(paths.iter().any(|p| p.ends_with("cfg.txt")), "symlink out of the root: {out}");
    assert!(!paths.iter().any(|p| p.ends_with("/index.php") || p.ends_with("photo.jpg") || p.ends_with("deep.php")), "{out}");
    for v in &found {
        assert!(v["path"].as_str().is_some_and(|p| p.starts_with(&r)), "path as given: {v}");
        for k in ["sha256", "rule", "reason"] {
            assert!(v[k].is_string(), "{k} in {v}");
        }
    }
    let thumb = found.iter().find(|v| v["path"].as_str().is_some_and(|p| p.ends_with("thumb.php"))).expect("thumb.php");
    assert_eq!(thumb["line"], 3);
    assert_eq!(thumb["sha256"].as_str().map(str::len), Some(64));
    assert!(err.contains("big.txt") && err.contains("only the first 1048576"), "truncated file reported: {err}");

    // Table output, the same exit status.
    let (code, table, _) = scan(&[&root.join("wp-content").to_string_lossy()]);
    assert_eq!(code, 1);
    assert!(table.contains("thumb.php:3\t"), "{table}");

    // Nothing found: 0. Usage errors: 2.
    assert_eq!(scan(&[&root.join("index.php").to_string_lossy()]).0, 0);
    assert_eq!(scan(&[&d.path("nope").to_string_lossy()]).0, 2);
    assert_eq!(scan(&[]).0, 2);
    assert_eq!(scan(&[&r, "--min-score", "300"]).0, 2);

    // Quarantine: the shell leaves the document root, mode 000, recorded.
    let q = d.path("quarantine");
    let (code, _, err) = scan(&[&root.join("wp-content").to_string_lossy(), "--quarantine", &q.to_string_lossy()]);
    assert_eq!(code, 1, "{err}");
    assert!(!root.join("wp-content/uploads/2026/thumb.php").exists());
    let manifest = std::fs::read_to_string(q.join("manifest.jsonl")).expect("manifest");
    let m: serde_json::Value = serde_json::from_str(manifest.lines().next().unwrap_or("")).expect("manifest line");
    assert!(m["original"].as_str().is_some_and(|p| p.ends_with("thumb.php")));
    assert_eq!(m["mode"], "644");
    let moved = std::path::PathBuf::from(m["quarantined"].as_str().unwrap_or(""));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&moved).map(|x| x.permissions().mode() & 0o777).ok(), Some(0));
    assert_eq!(scan(&[&root.join("wp-content").to_string_lossy()]).0, 0, "nothing left after quarantine");

    // An allow-list recorded from a trusted tree silences its files; a
    // junk line is reported with its number and the rest still load.
    let trusted = d.path("trusted");
    std::fs::create_dir_all(&trusted).expect("mkdir");
    std::fs::write(trusted.join("tool.php"), "<?php $f = $_GET['f']; $f();").expect("write");
    let list = d.path("known-good.txt");
    let (code, _, _) = scan(&[&trusted.to_string_lossy(), "--min-score", "100", "--record-allowlist", &list.to_string_lossy()]);
    assert_eq!(code, 1);
    let recorded = std::fs::read_to_string(&list).unwrap_or_default();
    assert!(recorded.is_empty(), "files with findings are not recorded as known-good: {recorded}");
    let digest = {
        let (_, out, _) = scan(&[&trusted.to_string_lossy(), "--format", "json"]);
        lines(&out)[0]["sha256"].as_str().unwrap_or("").to_string()
    };
    std::fs::write(&list, format!("not a digest\n{digest}  tool.php\n")).expect("write");
    let (code, _, err) = scan(&[&trusted.to_string_lossy(), "--allow", &list.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("known-good.txt:1"), "{err}");
}

#[test]
fn unreadable_files_and_fifos_do_not_stop_it() {
    let d = TempDir::new("scan-unreadable");
    // A named pipe in a document root would block a reader forever.
    let fifo = std::ffi::CString::new(d.path("pipe.php").as_os_str().as_bytes()).expect("path");
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let f = d.path("a.php");
    std::fs::write(&f, "<?php system($_GET['c']);").expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let (code, out, err) = scan(&[&d.0.to_string_lossy()]);
    // root reads any file; an ordinary user gets a report naming it.
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!(code, 1, "{err}");
        assert!(out.contains("a.php"), "{out}");
    } else {
        assert!(err.contains("a.php: cannot read"), "{err}");
        assert_eq!(code, 0);
    }
}
