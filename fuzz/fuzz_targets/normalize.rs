#![no_main]
use libfuzzer_sys::fuzz_target;

// Normalization (URL, %u, HTML entities, JS escapes, UTF-8 folding) and
// path normalization on arbitrary bytes.
fuzz_target!(|data: &[u8]| {
    let (norm, _) = haetae_engine::normalize::normalize(data);
    let _ = haetae_engine::normalize::normalize_path(&norm);
});
