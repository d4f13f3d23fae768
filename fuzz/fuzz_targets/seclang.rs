#![no_main]
use libfuzzer_sys::fuzz_target;

// Rule files are read from disk, but a hostile or broken one must give an
// error, never a panic or a hang; every transformation takes any bytes.
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = haetae_seclang::parse(&text);
    for t in haetae_seclang::vocab::TRANSFORMATIONS {
        let _ = haetae_seclang::transform::apply(t, data);
    }
});
