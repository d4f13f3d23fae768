//! Which language a file is read as, and the code regions of server pages.

pub mod clike;
pub mod php;
pub mod vb;

use crate::token::Tokens;

#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Php,
    /// JSP pages and Java sources.
    Java,
    /// ASP.NET pages and handlers in C#.
    CSharp,
    /// Classic ASP (and ASP.NET pages in VB).
    VbScript,
    /// Classic ASP or ASP.NET in JScript.
    JScript,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Php => "php",
            Lang::Java => "java",
            Lang::CSharp => "csharp",
            Lang::VbScript => "vbscript",
            Lang::JScript => "jscript",
        }
    }
}

fn ext_of(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    base.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default()
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    find_ci(hay, needle).is_some()
}

/// The `Language=` of an ASP/ASP.NET page directive or server script tag.
fn page_language(src: &[u8]) -> Option<Lang> {
    let head = src[..src.len().min(64 * 1024)].to_ascii_lowercase();
    let head = head.as_slice();
    let mut p = 0;
    while let Some(off) = memchr::memmem::find(&head[p..], b"anguage") {
        let at = p + off + 7;
        let rest = &head[at..head.len().min(at + 24)];
        let v: Vec<u8> = rest.iter().copied().skip_while(|b| b" \t=\"'".contains(b)).take(8).map(|b| b.to_ascii_lowercase()).collect();
        if v.starts_with(b"c#") || v.starts_with(b"csharp") {
            return Some(Lang::CSharp);
        }
        if v.starts_with(b"vb") {
            return Some(Lang::VbScript);
        }
        if v.starts_with(b"jscript") || v.starts_with(b"javascript") {
            return Some(Lang::JScript);
        }
        if v.starts_with(b"java") {
            return Some(Lang::Java);
        }
        p = at;
    }
    None
}

/// Every language `name`'s content may run as on a web server. A file
/// can hold several (`CmdAsp.asp.php.txt`, an image with PHP appended),
/// and the extension is only a hint: a handler mapping or an include can
/// run any file.
pub fn languages(name: &str, src: &[u8]) -> Vec<Lang> {
    let ext = ext_of(name);
    let mut out = Vec::new();
    let php_ext = ext.starts_with("php") || matches!(ext.as_str(), "phtml" | "pht" | "phar" | "inc");
    let has_php_tag = memchr::memmem::find(src, b"<?").is_some_and(|_| {
        contains_ci(src, b"<?php")
            || memchr::memmem::find(src, b"<?=").is_some()
            || (php_ext && memchr::memmem::find(src, b"<? ").is_some())
    });
    if php_ext || has_php_tag {
        out.push(Lang::Php);
    }
    let page = memchr::memmem::find(src, b"<%").is_some() || contains_ci(src, b"runat");
    match ext.as_str() {
        "jsp" | "jspx" | "jspf" | "jsw" | "jsv" | "java" => out.push(Lang::Java),
        "aspx" | "ashx" | "asmx" | "ascx" | "asax" | "master" | "svc" | "cs" => {
            out.push(if ext == "cs" { Lang::CSharp } else { page_language(src).unwrap_or(Lang::CSharp) })
        }
        "vb" => out.push(Lang::VbScript),
        "asp" | "asa" | "cer" | "cdx" => out.push(match page_language(src) {
            Some(Lang::JScript) => Lang::JScript,
            Some(Lang::CSharp) => Lang::CSharp,
            _ => Lang::VbScript,
        }),
        _ if page => {
            // A server page under another name: its directive says which.
            if contains_ci(src, b"<%@ page") && (contains_ci(src, b"import=") || contains_ci(src, b"contenttype=")) {
                out.push(Lang::Java);
            }
            if let Some(l) = page_language(src)
                && !out.contains(&l)
            {
                out.push(l);
            }
            if !out.iter().any(|l| *l != Lang::Php) && memchr::memmem::find(src, b"<%").is_some() && !has_php_tag {
                out.push(Lang::VbScript);
            }
        }
        _ => {}
    }
    out
}

/// The file with everything that is not server code blanked (newlines
/// kept, so lines stay right): `<% … %>`, `<script runat="server">` and
/// JSPX `<jsp:scriptlet>` bodies. The end of each region becomes a
/// statement end. Java's unicode escapes are undone.
pub fn server_code(src: &[u8], lang: Lang) -> Vec<u8> {
    let whole = memchr::memmem::find(src, b"<%").is_none() && !contains_ci(src, b"runat") && !contains_ci(src, b"<jsp:");
    let code = if whole {
        src.to_vec()
    } else {
        let mut out: Vec<u8> = src.iter().map(|&b| if b == b'\n' { b'\n' } else { b' ' }).collect();
        let end_mark = if lang == Lang::VbScript { b':' } else { b';' };
        let mut i = 0;
        while i < src.len() {
            let rest = &src[i..];
            if rest.starts_with(b"<%--") {
                i += memchr::memmem::find(&rest[4..], b"--%>").map_or(rest.len(), |p| p + 8);
                continue;
            }
            if rest.starts_with(b"<%") {
                let mut b = i + 2;
                if matches!(src.get(b), Some(b'=' | b'!' | b'#' | b':' | b'$')) {
                    b += 1;
                }
                if src.get(b) == Some(&b'@') {
                    // A directive: not code.
                    i = memchr::memmem::find(&src[b..], b"%>").map_or(src.len(), |p| b + p + 2);
                    continue;
                }
                let e = memchr::memmem::find(&src[b..], b"%>").map_or(src.len(), |p| b + p);
                out[b..e].copy_from_slice(&src[b..e]);
                if e < src.len() {
                    out[e] = end_mark;
                }
                i = e + 2;
                continue;
            }
            if rest.len() > 7 && rest[0] == b'<' && (rest[1..7].eq_ignore_ascii_case(b"script") || rest[1..5].eq_ignore_ascii_case(b"jsp:"))
            {
                let tag_end = memchr::memchr(b'>', rest).map_or(rest.len(), |p| p + 1);
                let tag = &rest[..tag_end];
                let jsp = rest[1..5].eq_ignore_ascii_case(b"jsp:");
                if (jsp && (contains_ci(tag, b"scriptlet") || contains_ci(tag, b"declaration") || contains_ci(tag, b"expression")))
                    || (!jsp && contains_ci(tag, b"runat"))
                {
                    let b = i + tag_end;
                    let close: &[u8] = if jsp { b"</jsp:" } else { b"</script" };
                    let e = find_ci(&src[b..], close).map_or(src.len(), |p| b + p);
                    let body = &src[b..e];
                    if jsp {
                        let dec = xml_unescape(body);
                        out[b..b + dec.len()].copy_from_slice(&dec);
                    } else {
                        out[b..e].copy_from_slice(body);
                    }
                    if e < src.len() {
                        out[e] = end_mark;
                    }
                    i = e + 1;
                    continue;
                }
            }
            i += 1;
        }
        out
    };
    if lang == Lang::Java { clike::java_unicode(&code).into_owned() } else { code }
}

/// Ids of ASP.NET server controls a client fills in: text boxes, hidden
/// fields, selects, text areas marked `runat="server"`.
pub fn input_controls(src: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if !contains_ci(src, b"runat") {
        return out;
    }
    let mut p = 0;
    while let Some(off) = memchr::memchr(b'<', &src[p..]) {
        let at = p + off;
        let end = memchr::memchr(b'>', &src[at..]).map_or(src.len(), |e| at + e);
        let tag = src[at + 1..end].to_ascii_lowercase();
        p = end.max(at + 1);
        let name_end = tag.iter().position(|c| c.is_ascii_whitespace()).unwrap_or(tag.len());
        let tname = &tag[..name_end];
        let input = matches!(
            tname,
            b"asp:textbox" | b"input" | b"textarea" | b"asp:hiddenfield" | b"asp:dropdownlist" | b"select" | b"asp:listbox"
        );
        if !input || !contains_ci(&tag, b"runat") {
            continue;
        }
        if let Some(i) = find_ci(&tag, b"id=") {
            let v: String = tag[i + 3..]
                .iter()
                .skip_while(|&&c| c == b'"' || c == b'\'')
                .take_while(|&&c| c != b'"' && c != b'\'' && !c.is_ascii_whitespace())
                .map(|&c| c as char)
                .collect();
            if !v.is_empty() && i > 0 && !tag[i - 1].is_ascii_alphanumeric() {
                out.push(v);
            }
        }
    }
    out
}

/// Case-insensitive search: candidates by the first byte in either case
/// (memchr2), then a comparison.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    memchr::memchr2_iter(lo, up, hay).find(|&p| hay.get(p..p + needle.len()).is_some_and(|w| w.eq_ignore_ascii_case(needle)))
}

/// XML entities of JSPX bodies, padded with blanks to the same length.
fn xml_unescape(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let rest = &body[i..];
        let rep: Option<(&[u8], u8)> = [(&b"&lt;"[..], b'<'), (b"&gt;", b'>'), (b"&amp;", b'&'), (b"&quot;", b'"'), (b"&apos;", b'\'')]
            .into_iter()
            .find(|(e, _)| rest.starts_with(e));
        match rep {
            Some((e, c)) => {
                out.push(c);
                out.extend(std::iter::repeat_n(b' ', e.len() - 1));
                i += e.len();
            }
            None => {
                out.push(body[i]);
                i += 1;
            }
        }
    }
    out
}

/// Tokens of a server page's code in `lang` (not PHP: see [`php::lex`]).
pub fn lex_page(code: &[u8], lang: Lang) -> Tokens<'_> {
    let mut t = Tokens::new(code);
    let mut line = 1;
    match lang {
        Lang::VbScript => vb::lex_region(&mut t, 0, code.len(), &mut line),
        _ => clike::lex_region(&mut t, 0, code.len(), &mut line),
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_by_name_and_content() {
        assert_eq!(languages("a.php", b"hello"), [Lang::Php]);
        assert_eq!(languages("a.jpg", b"GIF89a<?php eval($_POST[1]);"), [Lang::Php]);
        assert_eq!(languages("a.jsp", b"<% out.println(1); %>"), [Lang::Java]);
        assert_eq!(languages("a.aspx", b"<%@ Page Language=\"VB\" %>"), [Lang::VbScript]);
        assert_eq!(languages("a.asp", b"<%@ LANGUAGE = JScript %>"), [Lang::JScript]);
        assert_eq!(languages("a.txt", b"<%@ page import=\"java.io.*\" %><% x %>"), [Lang::Java]);
        assert_eq!(languages("a.css", b"body { color: red }"), Vec::<Lang>::new());
    }

    #[test]
    fn server_code_blanks_html_keeps_lines() {
        let src = b"<html>\n<% a = 1 %>\n<b>eval(</b>\n<%-- exec( --%><%= x %>";
        let c = server_code(src, Lang::Java);
        assert_eq!(c.len(), src.len());
        let s = String::from_utf8_lossy(&c);
        assert!(s.contains(" a = 1 ;"));
        assert!(!s.contains("eval") && !s.contains("exec"));
        assert_eq!(s.matches('\n').count(), 3);
        let j = server_code(b"<jsp:scriptlet>if (a &lt; b) x();</jsp:scriptlet>", Lang::Java);
        assert!(String::from_utf8_lossy(&j).contains("if (a <    b) x();"));
    }
}
