//! Variables: which collection a rule reads, which members it selects,
//! and the walk over a collection's members, borrowed from the request
//! model (or the response) in place.

use haetae_model::body::BodyKind;
use haetae_model::{Anomaly, Source};
use regex::bytes::Regex;

use super::transaction::Transaction;

/// The collections Haetae fills. Names the parser accepts but no request
/// fills (persistent collections, server facts) read as [`Coll::Empty`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coll {
    Args,
    ArgsNames,
    ArgsGet,
    ArgsGetNames,
    ArgsPost,
    ArgsPostNames,
    ArgsCombinedSize,
    Xml,
    RequestHeaders,
    RequestHeadersNames,
    RequestCookies,
    RequestCookiesNames,
    RequestUri,
    RequestFilename,
    RequestBasename,
    QueryString,
    RequestMethod,
    RequestProtocol,
    RequestLine,
    RequestBody,
    RequestBodyLength,
    Files,
    FilesNames,
    FilesSizes,
    FilesCombinedSize,
    FilesTmpContent,
    MultipartPartHeaders,
    RemoteAddr,
    ServerName,
    UniqueId,
    ReqbodyProcessor,
    ReqbodyError,
    ReqbodyErrorMsg,
    MultipartStrictError,
    InboundDataError,
    Tx,
    MatchedVar,
    MatchedVarName,
    MatchedVars,
    MatchedVarsNames,
    HighestSeverity,
    ResponseStatus,
    ResponseProtocol,
    ResponseHeaders,
    ResponseHeadersNames,
    ResponseBody,
    ResponseContentType,
    ResponseContentLength,
    StatusLine,
    Zero,
    Empty,
}

impl Coll {
    pub fn from_name(name: &str) -> Coll {
        use Coll::*;
        match name.to_ascii_uppercase().as_str() {
            "ARGS" => Args,
            "ARGS_NAMES" => ArgsNames,
            "ARGS_GET" => ArgsGet,
            "ARGS_GET_NAMES" => ArgsGetNames,
            "ARGS_POST" => ArgsPost,
            "ARGS_POST_NAMES" => ArgsPostNames,
            "ARGS_COMBINED_SIZE" => ArgsCombinedSize,
            "XML" => Xml,
            "REQUEST_HEADERS" => RequestHeaders,
            "REQUEST_HEADERS_NAMES" => RequestHeadersNames,
            "REQUEST_COOKIES" => RequestCookies,
            "REQUEST_COOKIES_NAMES" => RequestCookiesNames,
            "REQUEST_URI" | "REQUEST_URI_RAW" => RequestUri,
            "REQUEST_FILENAME" | "PATH_INFO" => RequestFilename,
            "REQUEST_BASENAME" => RequestBasename,
            "QUERY_STRING" => QueryString,
            "REQUEST_METHOD" => RequestMethod,
            "REQUEST_PROTOCOL" => RequestProtocol,
            "REQUEST_LINE" => RequestLine,
            "REQUEST_BODY" | "FULL_REQUEST" => RequestBody,
            "REQUEST_BODY_LENGTH" | "FULL_REQUEST_LENGTH" => RequestBodyLength,
            "FILES" | "MULTIPART_FILENAME" => Files,
            "FILES_NAMES" | "MULTIPART_NAME" => FilesNames,
            "FILES_SIZES" => FilesSizes,
            "FILES_COMBINED_SIZE" => FilesCombinedSize,
            "FILES_TMP_CONTENT" => FilesTmpContent,
            "MULTIPART_PART_HEADERS" => MultipartPartHeaders,
            "REMOTE_ADDR" => RemoteAddr,
            "SERVER_NAME" => ServerName,
            "UNIQUE_ID" => UniqueId,
            "REQBODY_PROCESSOR" => ReqbodyProcessor,
            "REQBODY_ERROR" | "REQBODY_PROCESSOR_ERROR" => ReqbodyError,
            "REQBODY_ERROR_MSG" | "REQBODY_PROCESSOR_ERROR_MSG" => ReqbodyErrorMsg,
            "MULTIPART_STRICT_ERROR" | "MULTIPART_INVALID_PART" | "MULTIPART_INVALID_QUOTING" | "MULTIPART_INVALID_HEADER_FOLDING" => {
                MultipartStrictError
            }
            "INBOUND_DATA_ERROR" => InboundDataError,
            "TX" => Tx,
            "MATCHED_VAR" => MatchedVar,
            "MATCHED_VAR_NAME" => MatchedVarName,
            "MATCHED_VARS" => MatchedVars,
            "MATCHED_VARS_NAMES" => MatchedVarsNames,
            "HIGHEST_SEVERITY" => HighestSeverity,
            "RESPONSE_STATUS" => ResponseStatus,
            "RESPONSE_PROTOCOL" => ResponseProtocol,
            "RESPONSE_HEADERS" => ResponseHeaders,
            "RESPONSE_HEADERS_NAMES" => ResponseHeadersNames,
            "RESPONSE_BODY" => ResponseBody,
            "RESPONSE_CONTENT_TYPE" => ResponseContentType,
            "RESPONSE_CONTENT_LENGTH" => ResponseContentLength,
            "STATUS_LINE" => StatusLine,
            // Flags of parser quirks Haetae's parsers reject or repair.
            "MULTIPART_UNMATCHED_BOUNDARY"
            | "MULTIPART_BOUNDARY_QUOTED"
            | "MULTIPART_BOUNDARY_WHITESPACE"
            | "MULTIPART_DATA_BEFORE"
            | "MULTIPART_DATA_AFTER"
            | "MULTIPART_HEADER_FOLDING"
            | "MULTIPART_LF_LINE"
            | "MULTIPART_CRLF_LF_LINES"
            | "MULTIPART_MISSING_SEMICOLON"
            | "MULTIPART_FILE_LIMIT_EXCEEDED"
            | "OUTBOUND_DATA_ERROR"
            | "URLENCODED_ERROR"
            | "MSC_PCRE_LIMITS_EXCEEDED" => Zero,
            _ => Empty,
        }
    }

    /// Its values are borrowed from the request or response, so their
    /// address identifies them for the whole transaction (others are
    /// built on the fly or change as rules run).
    pub fn stable(self) -> bool {
        use Coll::*;
        !matches!(
            self,
            ArgsCombinedSize
                | RequestLine
                | RequestBodyLength
                | FilesSizes
                | FilesCombinedSize
                | RemoteAddr
                | ReqbodyErrorMsg
                | Tx
                | MatchedVar
                | MatchedVarName
                | MatchedVars
                | MatchedVarsNames
                | HighestSeverity
                | ResponseStatus
                | StatusLine
        )
    }

    /// One value with no key (a `&` count of it is 1).
    fn is_scalar(self) -> bool {
        use Coll::*;
        !matches!(
            self,
            Args | ArgsNames
                | ArgsGet
                | ArgsGetNames
                | ArgsPost
                | ArgsPostNames
                | Xml
                | RequestHeaders
                | RequestHeadersNames
                | RequestCookies
                | RequestCookiesNames
                | Files
                | FilesNames
                | FilesSizes
                | FilesTmpContent
                | MultipartPartHeaders
                | Tx
                | MatchedVars
                | MatchedVarsNames
                | ResponseHeaders
                | ResponseHeadersNames
                | Empty
        )
    }
}

/// Which members of a collection a variable selects.
#[derive(Debug)]
pub enum Sel {
    All,
    /// A key, lower-cased (keys compare without case).
    Key(Vec<u8>),
    Regex(Regex),
    /// `XML:/*`: element text.
    XmlText,
    /// `XML://@*`: attribute values.
    XmlAttr,
}

impl Sel {
    pub fn selects(&self, key: &[u8]) -> bool {
        match self {
            Sel::All => true,
            Sel::Key(k) => key.eq_ignore_ascii_case(k),
            Sel::Regex(re) => re.is_match(key),
            Sel::XmlText => key != b"!DOCTYPE" && memchr::memmem::find(key, b"/@").is_none(),
            Sel::XmlAttr => memchr::memmem::find(key, b"/@").is_some(),
        }
    }
}

/// One variable of a rule: `ARGS`, `ARGS:q`, `&TX:x`, `!REQUEST_COOKIES:/^_ga/`.
#[derive(Debug)]
pub struct VarSpec {
    pub coll: Coll,
    /// As ModSecurity names it in `MATCHED_VAR_NAME`.
    pub name: &'static str,
    pub sel: Sel,
    pub count: bool,
}

impl VarSpec {
    /// Same collection and the same selector (for `SecRuleUpdateTarget`'s
    /// replacement form).
    pub fn same_target(&self, o: &VarSpec) -> bool {
        self.coll == o.coll
            && self.count == o.count
            && match (&self.sel, &o.sel) {
                (Sel::All, Sel::All) | (Sel::XmlText, Sel::XmlText) | (Sel::XmlAttr, Sel::XmlAttr) => true,
                (Sel::Key(a), Sel::Key(b)) => a == b,
                (Sel::Regex(a), Sel::Regex(b)) => a.as_str() == b.as_str(),
                _ => false,
            }
    }

    /// `ARGS:q` for a member, `REQUEST_URI` for a scalar.
    pub fn display(&self, key: &[u8]) -> String {
        if self.coll.is_scalar() && key.is_empty() {
            self.name.to_owned()
        } else {
            format!("{}:{}", self.name, String::from_utf8_lossy(key))
        }
    }
}

fn body_error(a: &Anomaly) -> bool {
    matches!(
        a,
        Anomaly::MultipartMalformed(_) | Anomaly::JsonMalformed | Anomaly::XmlMalformed | Anomaly::Exceeded(haetae_model::Limit::Depth, _)
    )
}

impl Transaction<'_> {
    /// Calls `f(key, value)` for every member of `coll`; scalars have an
    /// empty key.
    pub(super) fn walk(&self, coll: Coll, f: &mut dyn FnMut(&[u8], &[u8])) {
        use Coll::*;
        let req = self.req;
        let params = |f: &mut dyn FnMut(&[u8], &[u8]), keep: &dyn Fn(Source) -> bool, names: bool| {
            for p in req.params().filter(|p| keep(p.source) && !p.name.is_empty()) {
                f(p.name, if names { p.name } else { p.value });
            }
        };
        // XML leaves are `XML:`, not arguments (as in ModSecurity).
        let any = |s: Source| s != Source::Xml;
        let get = |s: Source| s == Source::Query;
        let post = |s: Source| s != Source::Query && s != Source::Xml;
        let number = |f: &mut dyn FnMut(&[u8], &[u8]), n: usize| f(b"", n.to_string().as_bytes());
        match coll {
            Args => params(f, &any, false),
            ArgsNames => params(f, &any, true),
            ArgsGet => params(f, &get, false),
            ArgsGetNames => params(f, &get, true),
            ArgsPost => params(f, &post, false),
            ArgsPostNames => params(f, &post, true),
            ArgsCombinedSize => number(f, req.params().filter(|p| any(p.source)).map(|p| p.name.len() + p.value.len()).sum()),
            Xml => {
                for p in req.params().filter(|p| p.source == Source::Xml) {
                    f(p.name, p.value);
                }
            }
            RequestHeaders => req.headers().for_each(|(n, v)| f(n.as_bytes(), v)),
            RequestHeadersNames => req.headers().for_each(|(n, _)| f(n.as_bytes(), n.as_bytes())),
            RequestCookies => req.cookies().for_each(|(n, v)| f(n, v)),
            RequestCookiesNames => req.cookies().for_each(|(n, _)| f(n, n)),
            RequestUri => f(b"", req.uri.as_bytes()),
            // Percent-decoded once, as ModSecurity sets them.
            RequestFilename => f(b"", &req.path),
            RequestBasename => f(b"", req.path.rsplit(|&b| b == b'/').next().unwrap_or(&[])),
            QueryString => f(b"", req.query()),
            RequestMethod => f(b"", req.method.as_bytes()),
            RequestProtocol => f(b"", self.st.protocol.as_bytes()),
            RequestLine => f(b"", format!("{} {} {}", req.method, req.uri, self.st.protocol).as_bytes()),
            // As ModSecurity: the raw body is a variable only where no
            // structured body processor (multipart, JSON, XML) took it.
            RequestBody => {
                if self.st.force_body || !matches!(req.body_kind, BodyKind::Multipart | BodyKind::Json | BodyKind::Xml) {
                    f(b"", self.body)
                }
            }
            RequestBodyLength => number(f, self.body.len()),
            Files => req.files.iter().for_each(|p| f(&p.field, &p.filename)),
            FilesNames => req.files.iter().for_each(|p| f(&p.field, &p.field)),
            FilesSizes => req.files.iter().for_each(|p| f(&p.field, p.size.to_string().as_bytes())),
            FilesTmpContent => req.files.iter().for_each(|p| f(&p.field, &p.head)),
            MultipartPartHeaders => req.part_headers.iter().for_each(|(n, l)| f(n, l)),
            FilesCombinedSize => number(f, req.files.iter().map(|p| p.size).sum()),
            RemoteAddr => f(b"", req.client_ip.map_or_else(|| "127.0.0.1".to_owned(), |ip| ip.to_string()).as_bytes()),
            ServerName => {
                let host = req.header("host").unwrap_or_default();
                let name = if host.starts_with(b"[") {
                    &host[..host.iter().position(|&b| b == b']').map_or(host.len(), |p| p + 1)]
                } else {
                    host.split(|&b| b == b':').next().unwrap_or(host)
                };
                f(b"", name)
            }
            UniqueId => f(b"", self.st.unique_id.as_bytes()),
            ReqbodyProcessor => {
                // Set by `ctl:requestBodyProcessor`, else the processor the
                // body was parsed with, else the one its Content-Type names
                // (ModSecurity picks it from the header, body or not).
                let by_type = || {
                    let ct = req.header("content-type").unwrap_or_default().to_ascii_lowercase();
                    if ct.starts_with(b"application/x-www-form-urlencoded") {
                        "URLENCODED"
                    } else if ct.starts_with(b"multipart/form-data") {
                        "MULTIPART"
                    } else if memchr::memmem::find(&ct, b"json").is_some() {
                        "JSON"
                    } else if memchr::memmem::find(&ct, b"xml").is_some() {
                        "XML"
                    } else {
                        ""
                    }
                };
                let name = match (&self.st.body_processor, req.body_kind) {
                    (Some(p), _) => p.as_str(),
                    (None, BodyKind::UrlEncoded) => "URLENCODED",
                    (None, BodyKind::Multipart) => "MULTIPART",
                    (None, BodyKind::Json) => "JSON",
                    (None, BodyKind::Xml) => "XML",
                    (None, _) => by_type(),
                };
                f(b"", name.as_bytes())
            }
            ReqbodyError => f(b"", if req.anomalies.iter().any(body_error) { b"1" } else { b"0" }),
            ReqbodyErrorMsg => {
                let msg: Vec<String> = req.anomalies.iter().filter(|a| body_error(a)).map(|a| format!("{a:?}")).collect();
                f(b"", msg.join("; ").as_bytes())
            }
            MultipartStrictError => {
                f(b"", if req.anomalies.iter().any(|a| matches!(a, Anomaly::MultipartMalformed(_))) { b"1" } else { b"0" })
            }
            InboundDataError => f(b"", if req.anomalies.contains(&Anomaly::BodyTruncated) { b"1" } else { b"0" }),
            Tx => self.st.tx.iter().for_each(|(k, v)| f(k.as_bytes(), v.as_bytes())),
            MatchedVar => {
                if let Some((_, v)) = self.matched.last() {
                    f(b"", v)
                }
            }
            MatchedVarName => {
                if let Some((n, _)) = self.matched.last() {
                    f(b"", n.as_bytes())
                }
            }
            MatchedVars => self.matched.iter().for_each(|(n, v)| f(n.as_bytes(), v)),
            MatchedVarsNames => self.matched.iter().for_each(|(n, _)| f(n.as_bytes(), n.as_bytes())),
            HighestSeverity => number(f, self.st.matches.iter().filter_map(|m| m.severity).min().map_or(255, usize::from)),
            ResponseStatus
            | ResponseProtocol
            | ResponseHeaders
            | ResponseHeadersNames
            | ResponseBody
            | ResponseContentType
            | ResponseContentLength
            | StatusLine => {
                let Some(r) = &self.response else { return };
                match coll {
                    ResponseStatus => f(b"", r.status.to_string().as_bytes()),
                    ResponseProtocol => f(b"", r.protocol.as_bytes()),
                    StatusLine => f(b"", format!("{} {}", r.protocol, r.status).as_bytes()),
                    ResponseHeaders => r.headers.iter().for_each(|(n, v)| f(n.as_bytes(), v)),
                    ResponseHeadersNames => r.headers.iter().for_each(|(n, _)| f(n.as_bytes(), n.as_bytes())),
                    ResponseBody => {
                        if self.set.response_body_access {
                            f(b"", r.body)
                        }
                    }
                    ResponseContentType => {
                        if let Some((_, v)) = r.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
                            f(b"", v)
                        }
                    }
                    _ => {
                        if let Some((_, v)) = r.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-length")) {
                            f(b"", v)
                        }
                    }
                }
            }
            Zero => f(b"", b"0"),
            Empty => {}
        }
    }
}
