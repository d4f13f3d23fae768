#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = haetae_model::cookie::parse(data, &haetae_model::ParseLimits::default());
});
