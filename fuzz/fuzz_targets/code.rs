#![no_main]
use libfuzzer_sys::fuzz_target;

// The code detector on arbitrary bytes, normalized, as every kind
// of target (value, name, cookie, header, path, file name).
fuzz_target!(|data: &[u8]| {
    let _ = haetae_engine::detect::check_as_every_kind("code", data);
});
