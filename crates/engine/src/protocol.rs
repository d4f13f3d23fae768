//! Findings from what the request parsers noticed (malformed bodies,
//! duplicated framing headers, evasion-prone encodings).

use haetae_model::Confidence::{self, High, Low, Medium};
use haetae_model::{Anomaly, Finding, Limit, Request};

use crate::detect::Hit;
use crate::make_finding;

pub fn check(req: &Request, out: &mut Vec<Finding>) {
    for a in &req.anomalies {
        let (id, shape, c, why, loc): (u32, &'static str, Confidence, String, &str) = match a {
            Anomaly::InvalidPercentEncoding(s) => {
                (1001, "protocol.invalid-percent-encoding", Low, "invalid percent-encoding".into(), s.collection())
            }
            Anomaly::Exceeded(Limit::Params, s) => (1002, "protocol.too-many-params", Medium, "too many parameters".into(), s.collection()),
            Anomaly::Exceeded(Limit::Depth, s) => (1003, "protocol.too-deep", Medium, "nesting too deep".into(), s.collection()),
            Anomaly::Exceeded(Limit::Cookies, _) => {
                (1008, "protocol.too-many-cookies", Medium, "too many cookies".into(), "REQUEST_COOKIES")
            }
            Anomaly::Exceeded(Limit::Parts, _) => {
                (1009, "protocol.too-many-parts", Medium, "too many multipart parts".into(), "REQUEST_BODY")
            }
            Anomaly::Exceeded(Limit::NameBytes, s) => (1010, "protocol.name-too-long", Medium, "name too long".into(), s.collection()),
            Anomaly::BodyTruncated => continue,
            Anomaly::MultipartMalformed(why) => {
                (1004, "protocol.multipart-malformed", Medium, format!("malformed multipart body: {why}"), "REQUEST_BODY")
            }
            Anomaly::JsonMalformed => (1005, "protocol.json-malformed", Low, "malformed JSON body".into(), "REQUEST_BODY"),
            Anomaly::XmlMalformed => (1006, "protocol.xml-malformed", Low, "malformed XML body".into(), "REQUEST_BODY"),
            Anomaly::DuplicateHeader(h) => {
                let c = if h == "content-length" || h == "transfer-encoding" || h == "host" { High } else { Medium };
                (1007, "protocol.duplicate-header", c, format!("duplicated {h} header"), "REQUEST_HEADERS")
            }
        };
        out.push(make_finding("protocol", loc, b"", Hit::new(id, c, format!("protocol: {why}"), 0).shape(shape)));
    }
}
