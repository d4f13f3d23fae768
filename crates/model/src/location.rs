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

/// How a value was read before a detector saw it: as sent, decoded from
/// base64, or a name read as a value (`pay%3DAND…` arriving as one name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    #[default]
    Raw,
    Base64,
    NameAsValue,
}

impl Reading {
    fn suffix(self) -> &'static str {
        match self {
            Reading::Raw => "",
            Reading::Base64 => " (base64)",
            Reading::NameAsValue => " (value)",
        }
    }
}

/// Where a finding matched: a collection (`ARGS`, `ARGS_NAMES`,
/// `REQUEST_COOKIES`, `REQUEST_PATH`…), the key inside it, and the reading.
/// Shown as today's string (`ARGS:data (base64)`), compared as data: an
/// exception for `param = "data"` covers every reading of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub collection: std::borrow::Cow<'static, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default)]
    pub reading: Reading,
}

impl Location {
    pub fn new(collection: impl Into<std::borrow::Cow<'static, str>>, key: Option<String>, reading: Reading) -> Self {
        Self { collection: collection.into(), key, reading }
    }

    /// `ARGS:q`, `REQUEST_HEADERS`, `TX:anomaly_score` (SecLang's
    /// variable names), read back into parts.
    pub fn parse(s: &str) -> Self {
        let (body, reading) = if let Some(b) = s.strip_suffix(" (base64)") {
            (b, Reading::Base64)
        } else if let Some(b) = s.strip_suffix(" (value)") {
            (b, Reading::NameAsValue)
        } else {
            (s, Reading::Raw)
        };
        match body.split_once(':') {
            Some((c, k)) => Self { collection: c.to_owned().into(), key: Some(k.to_owned()), reading },
            None => Self { collection: body.to_owned().into(), key: None, reading },
        }
    }

    /// Whether an exception's `param` names this place: the bare key
    /// (`q`) or collection and key (`ARGS:q`), whatever the reading.
    pub fn matches_param(&self, param: &str) -> bool {
        let Some(key) = &self.key else { return param == self.collection };
        match param.split_once(':') {
            Some((c, k)) => k == key && (c == self.collection || self.collection.strip_suffix("_NAMES") == Some(c)),
            None => param == key,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) => write!(f, "{}:{}{}", self.collection, k, self.reading.suffix()),
            None => write!(f, "{}{}", self.collection, self.reading.suffix()),
        }
    }
}

impl From<&str> for Location {
    fn from(s: &str) -> Self {
        Location::parse(s)
    }
}

impl From<String> for Location {
    fn from(s: String) -> Self {
        Location::parse(&s)
    }
}

impl PartialEq<&str> for Location {
    fn eq(&self, other: &&str) -> bool {
        *self == Location::parse(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_as_before_compared_as_data() {
        let l = Location::new("ARGS", Some("data".into()), Reading::Base64);
        assert_eq!(l.to_string(), "ARGS:data (base64)");
        assert_eq!(Location::parse("ARGS:data (base64)"), l);
        assert!(l.matches_param("data") && l.matches_param("ARGS:data") && !l.matches_param("ARGS:other"));
        assert!(Location::new("ARGS_NAMES", Some("x".into()), Reading::Raw).matches_param("ARGS:x"));
        assert!(!Location::new("REQUEST_COOKIES", Some("x".into()), Reading::Raw).matches_param("ARGS:x"));
        assert_eq!(Location::parse("REQUEST_HEADERS"), Location::new("REQUEST_HEADERS", None, Reading::Raw));
    }
}
