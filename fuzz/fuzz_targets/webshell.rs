//! The scanner's readers (PHP, JSP/Java, ASP/VBScript, ASP.NET, JScript)
//! on arbitrary bytes: the first byte picks the file name (and so the
//! language the extension suggests); no panic, no hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &["a.php", "a.jsp", "a.asp", "a.aspx", "a.jpg", ".htaccess", ".user.ini", "a.txt", "a.cs", "a.jspx"];

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else { return };
    let _ = haetae_webshell::scan_bytes(NAMES[k as usize % NAMES.len()], rest);
});
