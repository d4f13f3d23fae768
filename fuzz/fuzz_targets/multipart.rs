#![no_main]
use libfuzzer_sys::fuzz_target;

// First byte picks the boundary length; the rest is the body.
fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else { return };
    let n = (n as usize % 16).min(rest.len());
    let (boundary, body) = rest.split_at(n);
    let mut r = haetae_model::Request::default();
    haetae_model::multipart::parse_into(&mut r, Some(boundary), body, n % 2 == 0, &haetae_model::ParseLimits::default());
});
