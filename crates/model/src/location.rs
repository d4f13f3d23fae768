use std::fmt;

/// Where in the request a value came from. The display form follows the
/// ModSecurity collection names users already know (`ARGS:q`,
/// `REQUEST_COOKIES:sid`), plus `JSON:`/`XML:` for structured bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// Query-string argument.
    Query,
    /// `application/x-www-form-urlencoded` body field.
    Form,
    /// Multipart form field (not a file).
    Multipart,
    /// JSON leaf value.
    Json,
    /// XML text or attribute.
    Xml,
    /// Request header.
    Header,
    /// Cookie.
    Cookie,
    /// Uploaded file (name and first bytes).
    File,
    /// The request path.
    Path,
    /// A body that no parser understood, inspected as a whole.
    RawBody,
}

impl Source {
    pub fn collection(self) -> &'static str {
        match self {
            Source::Query | Source::Form | Source::Multipart => "ARGS",
            Source::Json => "JSON",
            Source::Xml => "XML",
            Source::Header => "REQUEST_HEADERS",
            Source::Cookie => "REQUEST_COOKIES",
            Source::File => "FILES",
            Source::Path => "REQUEST_PATH",
            Source::RawBody => "REQUEST_BODY",
        }
    }
}

/// A collection plus the key inside it, e.g. `ARGS:q`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub source: Source,
    pub key: String,
    /// True when the finding is in the name (key) rather than the value.
    pub in_name: bool,
}

impl Location {
    pub fn new(source: Source, key: impl Into<String>) -> Self {
        Self { source, key: key.into(), in_name: false }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = if self.in_name { "_NAMES" } else { "" };
        if self.key.is_empty() {
            write!(f, "{}{}", self.source.collection(), names)
        } else {
            write!(f, "{}{}:{}", self.source.collection(), names, self.key)
        }
    }
}
