//! Risky files that are not code themselves (B1): server configuration
//! dropped into a document root to make other files run, and server code
//! hidden in files served as data.

use crate::Finding;

const IMAGE_EXT: &[&str] =
    &["jpg", "jpeg", "png", "gif", "bmp", "ico", "webp", "tif", "tiff", "svg", "mp3", "mp4", "pdf", "zip", "woff", "woff2", "ttf"];

fn finding(rule: &str, score: u8, line: u32, reason: impl Into<String>) -> Finding {
    Finding { rule: rule.into(), score, line, reason: reason.into() }
}

pub fn check(name: &str, data: &[u8]) -> Vec<Finding> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase();
    let ext = base.rsplit_once('.').map(|(_, e)| e.to_string()).unwrap_or_default();
    let mut out = Vec::new();
    if base == ".htaccess" {
        htaccess(data, &mut out);
    }
    if base == ".user.ini" || base == "php.ini" {
        for (n, line) in lines(data) {
            let l = line.trim_ascii().to_ascii_lowercase();
            if (l.starts_with(b"auto_prepend_file") || l.starts_with(b"auto_append_file"))
                && l.contains(&b'=')
                && !l.ends_with(b"=")
                && !l.ends_with(b"none")
            {
                out.push(finding("config.auto-prepend", 85, n, "PHP configuration that runs a file before or after every script"));
            }
        }
    }
    // The Windows Script Encoder's output (`#@~^XXXXXX==…^#~@`): server
    // code hidden from reading; application code ships readable.
    if let Some(p) = memchr::memmem::find(data, b"#@~^")
        && data.get(p + 10..p + 12) == Some(b"==")
        && memchr::memmem::find(&data[p..], b"^#~@").is_some()
    {
        let line = 1 + memchr::memchr_iter(b'\n', &data[..p]).count() as u32;
        out.push(finding(
            "file.encoded-script",
            80,
            line,
            "server script hidden by the Windows Script Encoder (VBScript.Encode/JScript.Encode)",
        ));
    }
    if IMAGE_EXT.contains(&ext.as_str()) {
        let low: Vec<u8> = data.iter().map(|c| c.to_ascii_lowercase()).collect();
        if let Some(p) = memchr::memmem::find(&low, b"<?php").or_else(|| memchr::memmem::find(&low, b"<?=")) {
            let line = 1 + memchr::memchr_iter(b'\n', &data[..p]).count() as u32;
            out.push(finding(
                "file.script-in-data",
                75,
                line,
                format!("a .{ext} file holds PHP code (runs if a handler or include reaches it)"),
            ));
        } else if let Some(p) = memchr::memmem::find(&low, b"<%@ page").or_else(|| memchr::memmem::find(&low, b"runat=\"server\"")) {
            let line = 1 + memchr::memchr_iter(b'\n', &data[..p]).count() as u32;
            out.push(finding("file.script-in-data", 75, line, format!("a .{ext} file holds server page code")));
        }
    }
    out
}

/// A file name a web server would run as a script.
pub fn script_ext(name: &str) -> bool {
    let low = name.to_ascii_lowercase();
    let ext = low.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    ext.starts_with("php")
        || ext.starts_with("pht")
        || matches!(ext, "phar" | "jsp" | "jspx" | "asp" | "aspx" | "asa" | "cer" | "ashx" | "cgi" | "pl")
}

fn lines(data: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    data.split(|&c| c == b'\n').enumerate().map(|(i, l)| (i as u32 + 1, l))
}

/// `.htaccess` that hands data files to the PHP handler, or prepends code.
fn htaccess(data: &[u8], out: &mut Vec<Finding>) {
    for (n, line) in lines(data) {
        let l = String::from_utf8_lossy(line).trim().to_ascii_lowercase();
        if l.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = l.split_whitespace().collect();
        let Some(&directive) = words.first() else { continue };
        let php_handler = |w: &str| w.contains("php") || w.contains("cgi-script") || w == "server-parsed";
        match directive {
            "addtype" | "addhandler" if words.get(1).is_some_and(|h| php_handler(h)) => {
                let data_ext = words[2..].iter().any(|e| {
                    let e = e.trim_start_matches('.');
                    IMAGE_EXT.contains(&e) || matches!(e, "txt" | "html" | "htm" | "css" | "js" | "log" | "dat")
                });
                if data_ext {
                    out.push(finding("config.handler-remap", 85, n, "`.htaccess` makes data files (images, text) run as scripts"));
                }
            }
            "sethandler" | "forcetype" if words.get(1).is_some_and(|h| php_handler(h)) => {
                out.push(finding("config.handler-remap", 80, n, "`.htaccess` runs every file here as a script"));
            }
            "php_value" | "php_admin_value"
                if words.get(1).is_some_and(|k| *k == "auto_prepend_file" || *k == "auto_append_file")
                    && words.get(2).is_some_and(|v| *v != "none") =>
            {
                out.push(finding("config.auto-prepend", 85, n, "`.htaccess` runs a file before or after every script"));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htaccess_remaps() {
        assert_eq!(check("up/.htaccess", b"AddType application/x-httpd-php .jpg\n")[0].rule, "config.handler-remap");
        assert!(check(".htaccess", b"AddType application/x-httpd-php .php\nRewriteEngine On\n").is_empty());
        assert_eq!(check(".htaccess", b"# x\nphp_value auto_prepend_file /tmp/x.php")[0].line, 2);
        assert_eq!(check("a/.user.ini", b"auto_prepend_file = shell.png")[0].rule, "config.auto-prepend");
        assert!(check(".user.ini", b"auto_prepend_file =\n").is_empty());
    }

    #[test]
    fn script_in_image() {
        assert_eq!(check("x.gif", b"GIF89a\n<?php echo 1;")[0].line, 2);
        assert!(check("x.gif", b"GIF89a binary").is_empty());
    }
}
