//! Uploads of files a web server could execute (A1 file upload attack,
//! B5): by extension, including disguises like `a.php.jpg` and `a.php%00.jpg`,
//! and by content (script openers in an "image").

use haetae_model::Confidence::{High, Medium};
use haetae_model::{Finding, Request};

use crate::detect::{Hit, find};
use crate::make_finding;

const EXEC_EXT: &[&str] = &[
    "php", "php3", "php4", "php5", "php7", "php8", "phtml", "phar", "pht", "phps", "pgif", "shtml", "inc", "jsp", "jspx", "jsw", "jsv",
    "jspf", "asp", "aspx", "asa", "asax", "ascx", "ashx", "asmx", "cer", "cfm", "cfml", "cgi", "pl", "py", "rb", "sh", "bash", "exe",
    "dll", "bat", "cmd", "com", "msi", "vbs", "ps1", "war", "jar", "htaccess", "config", "svg", "html", "htm", "xhtml",
];

/// Headers some upload APIs (and exploits) use to name the file.
fn is_filename_header(name: &str) -> bool {
    let n: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    matches!(n.as_str(), "xfilename" | "xfile" | "xuploadfilename" | "filename")
}

/// An executable extension, last or inner (`a.php.jpg` runs on Apache with
/// AddHandler). True when the name alone is a high finding.
fn judge_name(name: &[u8], loc: &str, out: &mut Vec<Finding>) -> bool {
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let name = name.trim_end_matches(['.', ' ']).replace(['\0', ' '], "");
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    // Configuration and secrets a web server reads: overwriting one (or a
    // copy the server may serve) is never an upload.
    if ["wp-config", ".htaccess", ".htpasswd", "web.config", ".user.ini", "php.ini"].iter().any(|c| base.contains(c)) {
        out.push(make_finding("upload", loc, name.as_bytes(), Hit::new(2314, High, "upload: server configuration file name", 0)));
        return true;
    }
    // A hidden file (`.boto`, `.bashrc`, `.ssh/…`): tool configuration and
    // credentials, never an upload.
    if base.starts_with('.') && base.len() > 1 && !base[1..].starts_with('.') {
        out.push(make_finding("upload", loc, name.as_bytes(), Hit::new(2314, High, "upload: hidden (dot) file name", 0)));
        return true;
    }
    // A PHP session file: writing one plants code the session loader runs.
    if base.starts_with("sess_") && base.len() >= 16 {
        out.push(make_finding("upload", loc, name.as_bytes(), Hit::new(2313, High, "upload: PHP session file name", 0)));
        return true;
    }
    let parts: Vec<&str> = base.split('.').collect();
    // `.php907`, `.phpt`: Apache's handler matches the prefix.
    let exec = |e: &&&str| EXEC_EXT.contains(e) || e.starts_with("php") || e.starts_with("pht") || e.starts_with("phar");
    if parts.len() > 1
        && let Some(ext) = parts[1..].iter().find(exec)
    {
        let c = if parts.last() == Some(ext) { High } else { Medium };
        out.push(make_finding(
            "upload",
            loc,
            name.as_bytes(),
            Hit::new(2311, c, format!("upload: executable or script file type .{ext}"), 0).shape("upload.executable-type"),
        ));
        return c == High;
    }
    false
}

pub fn check(req: &Request, out: &mut Vec<Finding>) {
    for (n, v) in req.headers() {
        if is_filename_header(n) {
            judge_name(v, &format!("REQUEST_HEADERS:{n}"), out);
        }
    }
    for f in &req.files {
        let loc = format!("FILES:{}", String::from_utf8_lossy(&f.field));
        if judge_name(&f.filename, &loc, out) {
            continue;
        }
        let name = String::from_utf8_lossy(&f.filename).to_ascii_lowercase();
        let head = f.head.to_ascii_lowercase();
        if find(&head, b"<?php").is_some()
            || find(&head, b"<%@").is_some()
            || find(&head, b"<?=").is_some()
            || find(&head, b"<script").is_some() && !name.ends_with(".txt")
        {
            out.push(make_finding("upload", loc.as_str(), name.as_bytes(), Hit::new(2312, High, "upload: script content in file", 0)));
        }
    }
}
