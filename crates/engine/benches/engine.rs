//! Engine time per request: the four requests of the peer benchmark's
//! `mix.lua`, and 1 MiB bodies (benign and hostile) to show cost stays
//! linear (see `requests.rs`). Each case times what the proxy does per request:
//! build the request model, then inspect it.
//!
//! Run: `cargo bench -p haetae-engine --bench engine`

mod requests;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use haetae_engine::Engine;
use haetae_model::ParseLimits;
use requests::{Req, big_bodies, mix, model, padded_bodies};

fn verdict(engine: &Engine, limits: &ParseLimits, r: &Req) -> haetae_model::Verdict {
    engine.inspect(&model(r, limits))
}

fn run(engine: &Engine, limits: &ParseLimits, r: &Req) -> u32 {
    verdict(engine, limits, r).score
}

fn bench(c: &mut Criterion) {
    let engine = Engine::default();
    let limits = ParseLimits { max_params: usize::MAX, ..ParseLimits::default() };
    let mut g = c.benchmark_group("mix");
    for r in mix() {
        let v = verdict(&engine, &limits, &r);
        assert_eq!(v.score, 0, "{} must be benign: {:?}", r.name, v.findings);
        g.throughput(Throughput::Bytes(r.body.len() as u64));
        g.bench_function(r.name, |b| b.iter(|| black_box(run(&engine, &limits, black_box(&r)))));
    }
    g.finish();
    // The request model alone (the parsers' share of the time above).
    let mut g = c.benchmark_group("model_only");
    for r in mix() {
        g.bench_function(r.name, |b| b.iter(|| black_box(model(&r, &limits).param_count())));
    }
    g.finish();
    let mut g = c.benchmark_group("big");
    g.sample_size(10);
    for r in big_bodies() {
        g.throughput(Throughput::Bytes(r.body.len() as u64));
        g.bench_function(r.name, |b| b.iter(|| black_box(run(&engine, &limits, black_box(&r)))));
    }
    g.finish();
    // Hostile padding (issue: padded bodies bought the inspection budget).
    let mut g = c.benchmark_group("pad");
    g.sample_size(10);
    let default_limits = ParseLimits::default();
    for r in padded_bodies() {
        let v = verdict(&engine, &default_limits, &r);
        assert!(v.is_block(), "{}: the injection after the pad must be found: {:?}", r.name, v.findings);
        g.throughput(Throughput::Bytes(r.body.len() as u64));
        g.bench_function(r.name, |b| b.iter(|| black_box(run(&engine, &default_limits, black_box(&r)))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
