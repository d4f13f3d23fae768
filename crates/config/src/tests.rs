use std::path::Path;

use super::*;

const MIN: &str = r#"
[[site]]
name = "shop"
hosts = ["shop.example", "*"]
[site.upstream]
servers = ["127.0.0.1:9000"]
"#;

fn errs(src: &str) -> String {
    parse(src, Path::new("haetae.toml")).unwrap_err().to_string()
}

#[test]
fn minimal_config_gets_safe_defaults() {
    let c = parse(MIN, Path::new("haetae.toml")).unwrap();
    assert_eq!(c.sites[0].mode, Mode::Prevention);
    assert!(c.sites[0].fail_open);
    assert_eq!(c.sites[0].upstream.resolved[0].port(), 9000);
    assert_eq!(c.limits.inspect_body_bytes.0, 1 << 20);
    assert_eq!(*c.server.listen[0].get_ref(), "127.0.0.1:8080".parse().unwrap());
    assert!(c.sites[0].decode_base64);
    let c = parse(&MIN.replace("name = \"shop\"", "name = \"shop\"\ndecode_base64 = false"), Path::new("haetae.toml")).unwrap();
    assert!(!c.sites[0].decode_base64);
}

#[test]
fn unknown_key_is_an_error_with_position() {
    let e = errs(&format!("{MIN}blok_page = \"x\"\n"));
    assert!(e.starts_with("haetae.toml:7:1: unknown field `blok_page`"), "{e}");
}

#[test]
fn bad_values_point_at_the_value() {
    let e = errs(&MIN.replace("127.0.0.1:9000", "nowhere.invalid:x"));
    assert!(e.starts_with("haetae.toml:6:12: upstream `nowhere.invalid:x`"), "{e}");
    let e = errs(&format!("[limits]\nmax_body_bytes = \"12 parsecs\"\n{MIN}"));
    assert!(e.starts_with("haetae.toml:2:18: unknown size unit"), "{e}");
    let e = errs(&format!("[server]\ntrusted_proxies = [\"10.0.0.0/33\"]\n{MIN}"));
    assert!(e.starts_with("haetae.toml:2:20: `10.0.0.0/33` is not an IP address or CIDR range"), "{e}");
    let e = errs(&MIN.replace("mode", "x").replace("[site.upstream]", "mode = \"block\"\n[site.upstream]"));
    assert!(e.contains("unknown variant `block`"), "{e}");
}

#[test]
fn duplicate_hosts_and_missing_files() {
    let two = format!("{MIN}{}", MIN.replace("shop\"", "shop2\"").replace("\"shop.example\", \"*\"", "\"www.example\""));
    assert!(parse(&two, Path::new("h.toml")).is_ok());
    let e = errs(&format!("{MIN}{}", MIN.replace("shop\"", "shop2\"")));
    assert!(e.contains("host `shop.example` is already served by site `shop`"), "{e}");
    // Files the config points to are read when the runtime is built from
    // it (the proxy's tests check those errors), not here.
    assert!(
        parse(&MIN.replace("[site.upstream]", "block_page = \"/nonexistent/block.html\"\n[site.upstream]"), Path::new("h.toml")).is_ok()
    );
    assert!(errs("").contains("no [[site]]"));
}

#[test]
fn syntax_error_has_position() {
    let e = errs("[[site]\nname = 1");
    assert!(e.starts_with("haetae.toml:1:"), "{e}");
}
