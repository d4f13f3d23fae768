//! Scanner throughput on clean PHP (the bulk of a hosting document root):
//! `cargo bench -p haetae-webshell`. Reads the clean CMS trees of
//! `../shared/webshells/clean`; throughput is reported in bytes/s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let here = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = here
        .ancestors()
        .map(|a| a.join("shared/webshells/clean"))
        .find(|p| p.is_dir())
        .unwrap_or_else(|| here.join("../../../shared/webshells/clean"));
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(&root).into_iter().flatten() {
        let p = e.path();
        if e.file_type().is_file()
            && p.extension().is_some_and(|x| x == "php")
            && let Ok(d) = std::fs::read(p)
        {
            files.push((p.to_string_lossy().into_owned(), d));
        }
    }
    files
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    let bytes: usize = files.iter().map(|f| f.1.len()).sum();
    let mut g = c.benchmark_group("scan");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function(format!("clean_php_{}_files", files.len()), |b| {
        b.iter(|| files.iter().map(|(n, d)| haetae_webshell::scan_bytes(n, d).len()).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
