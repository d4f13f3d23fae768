#![no_main]
use libfuzzer_sys::fuzz_target;

// Rule files are read from disk, but a hostile or broken one must give an
// error, never a panic or a hang; every transformation takes any bytes;
// operators compile within their size limits or fail.
fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(directives) = haetae_seclang::parse(&text) {
        for d in directives {
            if let haetae_seclang::Directive::Rule(r) = d
                && let Ok(op) = haetae_seclang::operator::compile(&r.operator, &|f| Err(f.to_owned()))
            {
                let _ = op.matches(data, &|a| a.to_owned(), &mut Vec::new());
            }
        }
    }
    for t in haetae_seclang::vocab::TRANSFORMATIONS {
        let _ = haetae_seclang::transform::apply(t, data);
    }
});
