//! Java attacks that name the platform's own machinery: gadget classes of
//! deserialization chains, OGNL/Struts internals, reflection and process
//! APIs, and fully-qualified names in the packages exploits reach for
//! (`java.lang.Runtime`, `com.sun.org.apache…`, `org.apache.commons…`).
//! Benign form input has no reason to name `java.io.ObjectInputStream`.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use haetae_model::Confidence::High;

use super::{Hit, Target, is_ident};

/// Names that only Java exploitation (or Java internals) use.
const INTERNALS: &[&str] = &[
    "processbuilder",
    "getruntime",
    "clonetransformer",
    "invokertransformer",
    "chainedtransformer",
    "instantiatetransformer",
    "instantiatefactory",
    "prototypeclonefactory",
    "prototypeserializationfactory",
    "forclosure",
    "whileclosure",
    "transformedmap",
    "defaultedmap",
    "constanttransformer",
    "lazymap",
    "templatesimpl",
    "jdbcrowsetimpl",
    "xmldecoder",
    "ognlcontext",
    "ognlutil",
    "_memberaccess",
    "opensymphony",
    "xwork2",
    "scriptenginemanager",
    "propertyutilsbean",
    "javassist",
    "bsh.interpreter",
    "groovy.lang",
    "org.codehaus.groovy",
    "freemarker.template",
    "freemarker.core",
    "freemarker.ext",
    "classloader",
    "declaredclass",
    "getdeclaredmethod",
    "getdeclaredfield",
    "getdeclaredconstructor",
    ".forname(",
    ".newinstance(",
    "java.beans.xmldecode",
    "filesystemxmlapplicationcontext",
    "classpathxmlapplicationcontext",
    // The double that hangs Java's and PHP's float parsers (CVE-2010-4476).
    "2.225073858507201",
];

/// Package roots that exploits name; a dotted name under one of them is a
/// class reference.
const PACKAGES: &[&str] = &[
    "java.",
    "javax.",
    "jdk.",
    "sun.",
    "com.sun.",
    "org.apache.commons",
    "org.apache.struts",
    "org.apache.xalan",
    "org.apache.naming",
    "org.springframework",
    "com.bea.",
    "weblogic.",
    "org.omg",
    "org.dom4j",
    "org.jdom",
    "org.xml.sax",
    "com.mchange",
    "com.alibaba.fastjson",
    "org.hibernate",
    "org.mozilla.javascript",
];

fn automaton() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        let pats: Vec<&str> = INTERNALS.iter().chain(PACKAGES).copied().collect();
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(pats)
            .unwrap_or_else(|_| AhoCorasick::new(["\u{0}"]).expect("trivial"))
    })
}

/// `pkg.sub.Name`: at least two more dot-separated identifier parts after
/// the root, so `java.com` or `sun.png` stay prose.
fn dotted_parts(s: &[u8]) -> usize {
    let mut parts = 0;
    let mut in_part = false;
    for &b in s.iter().take(200) {
        if is_ident(b) || b == b'$' {
            in_part = true;
        } else if b == b'.' && in_part {
            parts += 1;
            in_part = false;
        } else {
            break;
        }
    }
    parts + usize::from(in_part)
}

pub fn check(t: &Target<'_>) -> Option<Hit> {
    let s = t.norm;
    if s.len() < 5 {
        return None;
    }
    for m in automaton().find_iter(s) {
        let at = m.start();
        let pat = m.pattern().as_usize();
        if at > 0 && is_ident(s[at - 1]) && !s[at..].starts_with(b".") {
            continue;
        }
        if pat < INTERNALS.len() {
            let name = INTERNALS[pat].trim_matches(['.', '(']);
            return Some(Hit::new(2621, High, format!("Java: {name} (exploitation internals)"), at).shape("java.exploitation-internals"));
        }
        // A short root (`java.`) needs a package and a name after it; a
        // long one (`org.apache.commons`) is specific on its own.
        let root = PACKAGES[pat - INTERNALS.len()];
        let rest = &s[m.end()..];
        let whole_word = rest.first().is_none_or(|&b| !is_ident(b));
        if (root.ends_with('.') && dotted_parts(rest) >= 2) || (!root.ends_with('.') && whole_word) {
            let end = at + root.len() + rest.iter().take_while(|&&b| is_ident(b) || b == b'.').count();
            return Some(
                Hit::new(2622, High, format!("Java: class reference {}", String::from_utf8_lossy(&s[at..end.min(at + 60)])), at)
                    .shape("java.class-reference"),
            );
        }
    }
    if let Some(r) = super::find(s, b"runtime.exec(").or_else(|| super::find(s, b"runtime().exec(")) {
        return Some(Hit::new(2623, High, "Java: Runtime.exec", r));
    }
    // `java.Runtime`, `java.evil.runtime`: the platform and its process API.
    // Dotted, as a class path: "Java Runtime Environment" is prose.
    if let Some(j) = super::find(s, b"java.")
        && let Some(r) = super::find(s, b"runtime")
        && j.abs_diff(r) < 64
    {
        return Some(Hit::new(2623, High, "Java: Runtime reference", j.min(r)));
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
    fn catches_java_machinery() {
        for a in [
            "java.lang.Runtime",
            "com.opensymphony.xwork2.ActionContext",
            "com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl",
            "org.apache.commons.collections.functors.InvokerTransformer",
            "java.io.ObjectInputStream",
            "ProcessBuilder.evil.clonetransformer",
            "java.Runtime",
            "java.evil.runtime",
            "x=Class.forName('java.lang.Runtime')",
            "javax.naming.InitialContext",
        ] {
            assert_eq!(conf(a), Some(High), "{a}");
        }
    }

    #[test]
    fn passes_prose_and_hosts() {
        for b in [
            "download from java.com today",
            "sun.png",
            "the runtime was 2 hours",
            "I love java and coffee",
            "java runtime environment download",
            "javascript.info",
            "org.apache.log is fine? no: org.apache.commons is",
        ] {
            // The last one names a real gadget package.
            if b.contains("commons") {
                continue;
            }
            assert_eq!(conf(b), None, "{b}");
        }
    }
}
