#![no_main]
use libfuzzer_sys::fuzz_target;

// The config parser and validator on any text; a config that parses is
// written back and must read the same (what a program that edits configs
// relies on), and an in-place edit of its first site must keep it valid.
fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let path = std::path::Path::new("fuzz.toml");
    let Ok(a) = haetae_config::parse(s, path) else { return };
    let written = haetae_config::to_toml(&a).expect("a parsed config serializes");
    let b = haetae_config::parse(&written, path).unwrap_or_else(|e| panic!("written back does not parse: {e}\n{written}"));
    assert_eq!(a, b, "written back differs:\n{written}");
    if let Ok(mut d) = haetae_config::Document::parse(s, path)
        && let Some(first) = d.sites().first().cloned()
    {
        d.set_site_mode(&first, haetae_config::Mode::Learning).expect("the site exists");
        let c = d.config().unwrap_or_else(|e| panic!("edited document does not parse: {e}\n{}", d.text()));
        assert_eq!(c.sites[0].mode, haetae_config::Mode::Learning);
    }
});
