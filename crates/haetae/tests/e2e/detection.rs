//! Detection as a user meets it through the binary: what the engine blocks
//! and lets through with the default configuration, and the switches an
//! operator has over it.

use crate::harness::*;

const INTROSPECTION: &str = r#"{"query":"query { __schema { types { name fields { name } } } }"}"#;

fn graphql(port: u16, body: &str) -> Resp {
    request(port, "POST", "/graphql", &[("Content-Type", "application/json")], body.as_bytes())
}

/// A GraphQL document is judged by its selection tree: introspection is
/// refused, a client's query passes, and `disabled_detectors` turns the
/// family off for a site.
#[test]
fn graphql_abuse_is_refused_and_the_family_can_be_switched_off() {
    let (_o, up) = origin();
    let up = format!("127.0.0.1:{up}");
    let h = Haetae::run("", SITE, &up);
    assert_eq!(graphql(h.port, INTROSPECTION).status, 403);
    let client = r#"{"query":"query Product($id: ID!) { product(id: $id) { id name __typename images(first: 5) { url } } }","variables":{"id":"7"}}"#;
    assert_ne!(graphql(h.port, client).status, 403);

    let off = SITE.replace("mode = \"prevention\"", "mode = \"prevention\"\ndisabled_detectors = [\"graphql\"]");
    let h = Haetae::run("", &off, &up);
    assert_ne!(graphql(h.port, INTROSPECTION).status, 403);
}

/// Real traffic the default configuration must pass: a real-user-monitoring
/// beacon with a 17 KB query string (8 KiB, nginx's default, refused it),
/// an analytics cookie string with `cp=Y;`, a User-Agent with `ARM; Touch;`.
#[test]
fn real_traffic_shapes_pass_with_the_defaults() {
    let (_o, up) = origin();
    let up = format!("127.0.0.1:{up}");
    let h = Haetae::run("", SITE, &up);
    let blob = "%7B%22id%22%3A%22201%22%2C%22ty%22%3A%22BreadCrumb%22%7D%2C".repeat(300);
    let r = get(h.port, &format!("/?ee=&co={blob}"), &[]);
    assert!(r.status < 400, "{}", r.head);
    let r = get(
        h.port,
        "/",
        &[
            ("Cookie", "s_sess=%20ent%3DElectronics%253ATV%3B%20cp%3DY%3B%20chan%3Dorg%3B"),
            ("User-Agent", "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; ARM; Touch; NOKIA; Lumia 920)"),
        ],
    );
    assert!(r.status < 400, "{}", r.head);
    // A 40 KB request target is still refused, naming the limit.
    assert_eq!(get(h.port, &format!("/x?a={}", "b".repeat(40 * 1024)), &[]).status, 414);
}
