//! The ModSecurity rule language (SecLang) front end.
//!
//! [`parse`] reads the text of one rule file into [`Directive`]s: logical
//! lines are joined across `\` continuations, arguments are split with
//! SecLang's quoting, and `SecRule`/`SecAction` are broken into variables,
//! an operator and actions. Every name is checked against what Haetae
//! supports ([`vocab`]); anything unknown or malformed is an [`Error`]
//! with the line it starts on — never silently skipped.
//!
//! Only [`files`] touches the file system (following `Include`, reading
//! data files); parsing, compiling and evaluating work on text and the
//! request model, so they can be fuzzed and benchmarked alone.

pub mod ast;
pub mod eval;
pub mod files;
pub mod lexer;
pub mod operator;
pub mod parse;
pub mod transform;
pub mod vocab;

pub use ast::{Action, Directive, Operator, Rule, Variable};
pub use parse::parse;

/// A problem in a rule file, with the line its directive starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

impl std::error::Error for Error {}
