//! SecLang evaluation time per request with OWASP CRS v4.28 at paranoia
//! level 1 (the rules the peer's `crs4` nginx+ModSecurity instance runs),
//! over the four requests of the peer benchmark's `mix.lua`, and over
//! 1 MiB bodies. Each case
//! times what the proxy does per request: build the request model, then
//! evaluate the rules over it.
//!
//! Run: `cargo bench -p haetae-seclang --bench crs`

#[path = "../../engine/benches/requests.rs"]
mod requests;

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use haetae_model::ParseLimits;
use haetae_seclang::eval::RuleSet;
use requests::{big_bodies, mix, model};

fn crs_pl1() -> RuleSet {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let pl1 = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/crs4-pl1.conf");
    let files: Vec<PathBuf> =
        vec![shared.join("bench/peer/modsec/base.conf"), pl1, shared.join("crs/crs-setup.conf.example"), shared.join("crs/rules/*.conf")];
    let loaded = haetae_seclang::files::load(&files).unwrap_or_else(|e| panic!("{e} (the shared CRS files are needed)"));
    haetae_seclang::files::compile(&loaded).unwrap_or_else(|e| panic!("{e}"))
}

fn bench(c: &mut Criterion) {
    let rules = crs_pl1();
    let limits = ParseLimits { max_params: usize::MAX, ..ParseLimits::default() };
    let mut g = c.benchmark_group("crs_pl1");
    for r in mix() {
        let out = rules.evaluate(&model(&r, &limits), &r.body);
        assert!(out.is_empty(), "{} must pass CRS PL1: {out:?}", r.name);
        g.throughput(Throughput::Bytes(r.body.len() as u64));
        g.bench_function(r.name, |b| b.iter(|| black_box(rules.evaluate(&model(&r, &limits), black_box(&r.body)).len())));
    }
    g.finish();
    let mut g = c.benchmark_group("crs_pl1_big");
    g.sample_size(10);
    for r in big_bodies() {
        g.throughput(Throughput::Bytes(r.body.len() as u64));
        g.bench_function(r.name, |b| b.iter(|| black_box(rules.evaluate(&model(&r, &limits), black_box(&r.body)).len())));
    }
    g.finish();
    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    g.bench_function("crs_pl1", |b| b.iter(|| black_box(crs_pl1().len())));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
