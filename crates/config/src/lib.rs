//! The configuration file. TOML, because hosting operators edit it by hand
//! and TOML has no indentation traps; unknown keys are errors so a typo
//! never silently turns a protection off. Every error carries
//! `file:line:col`.
//!
//! The reference, key by key, is `docs/CONFIG.md`.

pub mod document;
pub mod model;
pub mod units;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

pub use document::Document;
pub use model::*;
pub use units::{ByteSize, Dur};
pub use validate::DETECTORS;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Everything wrong with a config file, each with its place.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub file: PathBuf,
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}:{}: {}", self.file.display(), d.line, d.col, d.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let mut at = offset;
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Parses and validates config text. `file` is used in messages and to
/// resolve relative paths (certificates, block page, log files).
pub fn parse(src: &str, file: &Path) -> Result<Config, ConfigError> {
    let err = |line, col, message| ConfigError { file: file.to_owned(), diagnostics: vec![Diagnostic { line, col, message }] };
    let mut cfg: Config = match toml::from_str(src) {
        Ok(c) => c,
        Err(e) => {
            let (line, col) = e.span().map_or((1, 1), |s| line_col(src, s.start));
            let msg = e.message().trim().replace('\n', " ");
            return Err(err(line, col, msg));
        }
    };
    let base = file.parent().map(Path::to_owned).unwrap_or_default();
    let diags = validate::validate(&mut cfg, src, &base);
    if diags.is_empty() {
        cfg.origin = Origin { file: Some(file.to_owned()), text: Some(src.into()) };
        Ok(cfg)
    } else {
        Err(ConfigError { file: file.to_owned(), diagnostics: diags })
    }
}

/// Reads and parses a config file. Relative paths inside it are resolved
/// against the file's folder made absolute first, so the same file read
/// from another working folder (a reload) means the same paths.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let src = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: path.to_owned(),
        diagnostics: vec![Diagnostic { line: 1, col: 1, message: format!("cannot read the file: {e}") }],
    })?;
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    parse(&src, &path)
}

/// The config as TOML text (every setting, defaults included; comments
/// and layout are not kept — [`Document`] edits a file in place).
pub fn to_toml(cfg: &Config) -> Result<String, String> {
    toml::to_string(cfg).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
