use std::process::Command;

use crate::harness::*;

/// `haetae eval --proxy` sends each request to a running Haetae and counts
/// its 403s: attacks from a go-ftw file are stopped, benign lines pass.
#[test]
fn eval_through_the_running_proxy() {
    let (_o, up) = origin();
    let port = free_port();
    let _p =
        spawn(&["proxy", "--listen", &format!("127.0.0.1:{port}"), "--upstream", &format!("127.0.0.1:{up}"), "--admin", "off"], &[port]);
    let dir = TempDir::new("eval");
    let tests = dir.path("tests");
    std::fs::create_dir_all(&tests).unwrap();
    std::fs::write(
        tests.join("942100.yaml"),
        r#"---
rule_id: 942100
tests:
  - test_id: 1
    stages:
      - input:
          headers:
            Host: localhost
          method: POST
          uri: "/echo"
          data: "var=1' or '1'='1"
        output:
          log:
            expect_ids: [942100]
  - test_id: 2
    stages:
      - input:
          headers:
            Host: localhost
          uri: "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
        output:
          log:
            expect_ids: [941100]
"#,
    )
    .unwrap();
    let benign = dir.path("benign.jsonl");
    std::fs::write(
        &benign,
        "{\"category\":\"search\",\"method\":\"GET\",\"path\":\"/search?q=rust+book\",\"headers\":{},\"body\":null}\n\
         {\"category\":\"login\",\"method\":\"POST\",\"path\":\"/login\",\"headers\":{\"Content-Type\":\"application/x-www-form-urlencoded\"},\"body\":\"user=kim&pw=s3cret\"}\n",
    )
    .unwrap();
    let out = Command::new(bin())
        .args([
            "eval",
            "--proxy",
            &format!("127.0.0.1:{port}"),
            "--crs-tests",
            tests.to_str().unwrap(),
            "--benign",
            benign.to_str().unwrap(),
        ])
        .args(["--min-detection", "100", "--max-false-positives", "0"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("    2/2     100.0%"), "{text}");
    // The demo login answers a wrong password with 401: passed, not stopped.
    assert!(text.contains("Statuses seen: 200: 1, 401: 1, 403: 2"), "{text}");

    // The same files in-process, with a floor it cannot meet: exit status 1.
    let out = Command::new(bin()).args(["eval", "--benign", benign.to_str().unwrap(), "--max-false-positives", "0"]).output().unwrap();
    assert!(out.status.success());
    let out = Command::new(bin()).args(["eval"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to measure"));
}
