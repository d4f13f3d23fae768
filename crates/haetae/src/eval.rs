//! `haetae eval`: detection and false-positive rates.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use haetae_engine::{Engine, EngineConfig, Sensitivity};
use haetae_eval::{Judge, benign, crs_rules, evaluate, ftw};

use crate::cli::{EvalArgs, SensitivityArg};

pub fn run(a: &EvalArgs) -> ExitCode {
    match run_inner(a) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("haetae eval: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(a: &EvalArgs) -> Result<ExitCode, String> {
    if a.crs_tests.is_none() && a.benign.is_none() {
        return Err("nothing to measure: give --crs-tests DIR and/or --benign FILE".into());
    }
    let cases = match &a.crs_tests {
        Some(d) => ftw::load_dir(d)?,
        None => Vec::new(),
    };
    let levels = match &a.crs_rules {
        Some(d) => crs_rules::paranoia_levels(d)?,
        // Without the rules every attack counts as paranoia level 1.
        None => HashMap::new(),
    };
    let samples = match &a.benign {
        Some(f) => benign::load(f)?,
        None => Vec::new(),
    };
    let judge = match a.proxy {
        Some(addr) => Judge::Proxy { addr, timeout: Duration::from_secs(10) },
        None => {
            let sensitivity = match a.sensitivity {
                SensitivityArg::Low => Sensitivity::Low,
                SensitivityArg::Medium => Sensitivity::Medium,
                SensitivityArg::High => Sensitivity::High,
            };
            Judge::Engine(Box::new(Engine::new(EngineConfig { sensitivity, ..Default::default() })))
        }
    };
    let report = evaluate(&judge, &cases, &levels, &samples);
    print!("{}", report.render(a.misses));
    let detection = report.attacks_at(1..=2);
    let fp = report.false_positives();
    let mut ok = true;
    if let Some(min) = a.min_detection
        && detection.total > 0
        && detection.rate() < min
    {
        eprintln!("haetae eval: PL 1-2 detection {:.2}% is below {min}%", detection.rate());
        ok = false;
    }
    if let Some(max) = a.max_false_positives
        && fp.total > 0
        && fp.rate() > max
    {
        eprintln!("haetae eval: false positives {:.2}% are above {max}%", fp.rate());
        ok = false;
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
