//! The request model the proxy fills and the detection engine reads, and the
//! verdict the engine hands back. Everything here is pure (no I/O, no async),
//! so it can be fuzzed and benchmarked on its own.
//!
//! Values are kept as bytes: percent-decoding can yield invalid or overlong
//! UTF-8, and that is itself a signal the engine must see, not something a
//! lossy conversion should hide.

pub mod body;
pub mod cookie;
pub mod json;
pub mod limits;
pub mod location;
pub mod multipart;
pub mod pct;
pub mod query;
pub mod request;
pub mod verdict;
pub mod xml;

pub use limits::{Limit, ParseLimits};
pub use location::{Location, Reading, Source};
pub use request::{Anomaly, FilePart, Param, Request, RequestBuilder};
pub use verdict::{Action, Confidence, Finding, Verdict};
