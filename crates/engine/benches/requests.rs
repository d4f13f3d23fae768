//! The requests the benchmarks time, shared by the engine and SecLang
//! benches (included with `#[path]`): the four requests of the peer
//! benchmark's `mix.lua` (bodies read from `../shared/bench/peer/mix.lua`,
//! so both sides measure the same bytes) and 1 MiB bodies.

#![allow(dead_code)]

use std::path::Path;

use haetae_model::{ParseLimits, Request, RequestBuilder};

const UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

pub struct Req {
    pub name: &'static str,
    pub method: &'static str,
    pub target: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// The string literals assigned to `local NAME = … ..` in a Lua file.
fn lua_string(src: &str, name: &str) -> Option<String> {
    let key = format!("local {name} =");
    let start = src.find(&key)? + key.len();
    let mut out = String::new();
    for line in src[start..].lines().filter(|l| !l.trim().is_empty()) {
        let t = line.trim();
        let q = t.chars().next()?;
        if q != '"' && q != '\'' {
            break;
        }
        let end = t[1..].find(q)? + 1;
        out.push_str(&t[1..end]);
        if !t.ends_with("..") {
            break;
        }
    }
    Some(out)
}

fn browser(extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("Host", "localhost".to_owned()),
        ("User-Agent", UA.to_owned()),
        ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8".to_owned()),
        ("Accept-Language", "en-US,en;q=0.9,ko;q=0.8".to_owned()),
        ("Accept-Encoding", "gzip, deflate, br".to_owned()),
    ];
    h.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    h
}

pub fn mix() -> Vec<Req> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/peer/mix.lua");
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (the peer benchmark files are needed)", path.display()));
    let form = lua_string(&src, "form_body").expect("form_body in mix.lua");
    let json = lua_string(&src, "json_body").expect("json_body in mix.lua");
    vec![
        Req {
            name: "mix1_search",
            method: "GET",
            target: "/search?q=hello+world&page=2&sort=relevance&lang=en-US&category=books",
            headers: browser(&[("Referer", "http://localhost/")]),
            body: Vec::new(),
        },
        Req {
            name: "mix2_form",
            method: "POST",
            target: "/echo",
            headers: browser(&[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", "http://localhost"),
                ("Referer", "http://localhost/contact"),
            ]),
            body: form.into_bytes(),
        },
        Req {
            name: "mix3_json",
            method: "POST",
            target: "/echo",
            headers: browser(&[
                ("Content-Type", "application/json"),
                ("Origin", "http://localhost"),
                ("X-Requested-With", "XMLHttpRequest"),
            ]),
            body: json.into_bytes(),
        },
        Req {
            name: "mix4_dashboard",
            method: "GET",
            target: "/account/dashboard",
            headers: browser(&[
                ("Referer", "http://localhost/search?q=hello+world&page=2"),
                (
                    "Cookie",
                    "sessionid=6f1c2e8a9b7d4c3e8f0a1b2c3d4e5f60; csrftoken=Zk3Lq9WmX2pR7tY4uV8sN1bC6dH0jF5g; theme=dark; lang=en-US; _ga=GA1.1.1234567890.1700000000; _gid=GA1.1.987654321.1700000000",
                ),
                ("Cache-Control", "max-age=0"),
                ("Upgrade-Insecure-Requests", "1"),
                ("Sec-Fetch-Dest", "document"),
                ("Sec-Fetch-Mode", "navigate"),
                ("Sec-Fetch-Site", "same-origin"),
                ("Sec-Fetch-User", "?1"),
                ("DNT", "1"),
            ]),
            body: Vec::new(),
        },
    ]
}

pub fn big_bodies() -> Vec<Req> {
    const MIB: usize = 1 << 20;
    let prose = "the quick brown fox jumps over the lazy dog while 고객 reads the order notes; ";
    let mut form = String::from("message=");
    while form.len() < MIB {
        form.push_str(&prose.replace(' ', "+").replace(';', "%3B"));
    }
    let mut json = String::from("{\"items\":[");
    while json.len() < MIB {
        json.push_str("{\"sku\":\"BK1001\",\"title\":\"Programming Rust\",\"note\":\"leave it with the neighbour\"},");
    }
    json.push_str("{}]}");
    // Hostile: fragments every detector starts on, never completing.
    let mut hostile = String::from("x=");
    while hostile.len() < MIB {
        hostile.push_str("%27%22%3C%28%3B%7C%24%7B%7B..%2F");
    }
    let ct = |t: &str| vec![("Host", "localhost".to_owned()), ("Content-Type", t.to_owned())];
    vec![
        Req {
            name: "1mib_form_prose",
            method: "POST",
            target: "/echo",
            headers: ct("application/x-www-form-urlencoded"),
            body: form.into_bytes(),
        },
        Req { name: "1mib_json", method: "POST", target: "/echo", headers: ct("application/json"), body: json.into_bytes() },
        Req {
            name: "1mib_hostile",
            method: "POST",
            target: "/echo",
            headers: ct("application/x-www-form-urlencoded"),
            body: hostile.into_bytes(),
        },
    ]
}

/// Pads a hostile client fills a 1 MiB form body with (each a fragment
/// that starts a detector's work and never completes), followed by a real
/// SQL injection: inspection must stay linear and cheap on every one, or
/// the padding buys the attacker the inspection budget.
pub const PADS: &[(&str, &str)] = &[
    ("ldap_parens", ")(|("),
    ("percent", "%"),
    ("backtick", "`"),
    ("html_comment", "<!--"),
    ("quote_or", "' or "),
    ("dot_dot_slash", "../"),
    ("php_open", "<?php "),
    ("dollar_paren", "$("),
    ("dollar_brace", "${"),
    ("paren", "("),
    ("newline", "\n"),
    ("angle", "<"),
    ("double_quote", "\""),
    ("comment_open", "/*"),
];

/// The padded bodies of [`PADS`] (form-encoded as a browser would send the
/// pad characters raw; `\n` as `%0A`).
pub fn padded_bodies() -> Vec<Req> {
    const MIB: usize = 1 << 20;
    PADS.iter()
        .map(|(name, pad)| {
            let pad = pad.replace('\n', "%0A");
            let mut body = String::from("pad=");
            while body.len() < MIB {
                body.push_str(&pad);
            }
            body.push_str("&q=1%27+UNION+SELECT+password+FROM+users--");
            Req {
                name,
                method: "POST",
                target: "/echo",
                headers: vec![("Host", "localhost".to_owned()), ("Content-Type", "application/x-www-form-urlencoded".to_owned())],
                body: body.into_bytes(),
            }
        })
        .collect()
}

/// The request model of `r`, as the proxy builds it.
pub fn model(r: &Req, limits: &ParseLimits) -> Request {
    let mut b = RequestBuilder::new(r.method, r.target, limits);
    for (k, v) in &r.headers {
        b.header(k, v.as_bytes());
    }
    // As the client sends it (wrk does).
    if !r.body.is_empty() {
        b.header("Content-Length", r.body.len().to_string().as_bytes());
    }
    b.body(&r.body, false);
    b.build()
}
