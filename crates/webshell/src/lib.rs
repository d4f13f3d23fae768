//! Haetae's web-shell scanner (guideline B1; also the upload stage's
//! content check). A file is read in every server language it could run
//! as ([`lex::languages`]); each language's tokens go through one
//! analysis ([`flow`]) with that language's [`vocab`]. Findings say which
//! rule, why, on which line, with a score; nothing matches a sample's
//! bytes or name.

pub mod flow;
pub mod lex;
pub mod risky;
pub mod token;
pub mod transform;
pub mod vocab;
pub mod walk;

use lex::Lang;
use token::Kind;

/// Findings at or above this score are reported by default.
pub const DEFAULT_MIN_SCORE: u8 = 70;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// `language.rule`, e.g. `php.code-exec-input`.
    pub rule: String,
    pub score: u8,
    pub line: u32,
    pub reason: String,
}

/// Everything suspicious in one file's bytes, highest score first.
/// `name` is its path or file name (the extension is a hint to the
/// language; the content decides as well).
pub fn scan_bytes(name: &str, data: &[u8]) -> Vec<Finding> {
    scan_bytes_depth(name, data, 0)
}

pub(crate) fn scan_bytes_depth(name: &str, data: &[u8], depth: u8) -> Vec<Finding> {
    let mut out = risky::check(name, data);
    for lang in lex::languages(name, data) {
        let page = !matches!(name.rsplit('.').next().map(|e| e.to_ascii_lowercase()).as_deref(), Some("java" | "cs" | "vb"));
        if lang == Lang::Php
            && let Some(f) = encoded_payload(data)
        {
            out.push(f);
        }
        let r = analyze(lang, data, false, page, depth);
        for h in r.hits {
            out.push(Finding { rule: format!("{}.{}", lang.as_str(), h.rule), score: h.score, line: h.line, reason: h.reason });
        }
        if r.exhausted {
            out.push(Finding {
                rule: format!("{}.analysis-budget", lang.as_str()),
                score: 50,
                line: 1,
                reason: "nesting too deep to read whole (the rest was not analysed)".into(),
            });
        }
    }
    out.sort_by(|a, b| b.score.cmp(&a.score).then(a.line.cmp(&b.line)));
    out
}

/// A PHP file that carries a long encoded literal (base64 or hex, no
/// text in it) and both decodes and runs code chosen at run time: the
/// shape of packed droppers whose own decoder the folder cannot run.
fn encoded_payload(src: &[u8]) -> Option<Finding> {
    let t = lex::php::lex(src, false);
    let mut blob_line = None;
    let (mut decodes, mut runs) = (false, false);
    // Literals joined by `.` count as one (`'KSwi…' . 'QJGV…' . …`).
    let mut run = 0usize;
    for i in 0..t.len() {
        match t.toks[i].kind {
            Kind::Str if blob_line.is_none() => {
                let raw = t.raw(i);
                if is_encoded(raw) {
                    run += raw.len();
                    if run >= 1024 {
                        blob_line = Some(t.line(i));
                    }
                    if !(t.is_op(i + 1, ".") && t.kind(i + 2) == Some(Kind::Str)) {
                        run = 0;
                    }
                } else {
                    run = 0;
                }
            }
            Kind::Ident if t.is_op(i + 1, "(") => {
                let n = t.name(i);
                decodes |= matches!(
                    n.as_str(),
                    "base64_decode"
                        | "gzinflate"
                        | "gzuncompress"
                        | "gzdecode"
                        | "str_rot13"
                        | "strrev"
                        | "hex2bin"
                        | "convert_uudecode"
                        | "bzdecompress"
                );
                runs |= matches!(
                    n.as_str(),
                    "eval" | "assert" | "create_function" | "preg_replace" | "call_user_func" | "call_user_func_array"
                );
            }
            Kind::Var if t.is_op(i + 1, "(") && !(i > 0 && (t.is_op(i - 1, "->") || t.is_op(i - 1, "::"))) => runs = true,
            _ => {}
        }
    }
    let line = blob_line?;
    (decodes && runs).then(|| Finding {
        rule: "php.encoded-payload".into(),
        score: 75,
        line,
        reason: "a long encoded literal, a decoder and code run through eval or a variable function".into(),
    })
}

/// Base64 or hex with no blanks or punctuation of text, and varied.
fn is_encoded(raw: &[u8]) -> bool {
    let ok = raw.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'\n' | b'\r' | b'_' | b'-'));
    if !ok {
        return false;
    }
    let mut seen = [false; 256];
    for &c in raw {
        seen[c as usize] = true;
    }
    raw.len() >= 16 && seen.iter().filter(|&&x| x).count() >= 12
}

pub(crate) struct Analysis {
    pub hits: Vec<flow::Hit>,
    pub exhausted: bool,
}

/// Code a sink runs (already in code mode), with the parameter names of
/// a function made at run time.
pub(crate) fn analyze_code(lang: Lang, src: &[u8], page: bool, depth: u8, params: &[Vec<u8>]) -> Analysis {
    if params.is_empty() || lang != Lang::Php {
        return analyze(lang, src, true, page, depth);
    }
    let t = lex::php::lex(src, true);
    let mut f = flow::Flow::new(&t, lang, page, depth);
    f.lambda_params(params);
    f.run();
    Analysis { hits: std::mem::take(&mut f.hits), exhausted: f.exhausted }
}

/// One language's analysis of `src`; `code` when `src` is code already
/// (what `eval` runs) rather than a file.
pub(crate) fn analyze(lang: Lang, src: &[u8], code: bool, page: bool, depth: u8) -> Analysis {
    let controls = if matches!(lang, Lang::CSharp | Lang::VbScript | Lang::JScript) { lex::input_controls(src) } else { Vec::new() };
    let run = |t: &token::Tokens| {
        let mut f = flow::Flow::new(t, lang, page, depth);
        f.set_controls(controls.clone());
        f.run();
        Analysis { hits: std::mem::take(&mut f.hits), exhausted: f.exhausted }
    };
    match lang {
        Lang::Php => run(&lex::php::lex(src, code)),
        _ => {
            let view = if code { src.to_vec() } else { lex::server_code(src, lang) };
            run(&lex::lex_page(&view, lang))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(name: &str, src: &str) -> Vec<String> {
        scan_bytes(name, src.as_bytes()).into_iter().filter(|f| f.score >= DEFAULT_MIN_SCORE).map(|f| f.rule).collect()
    }

    fn flagged(name: &str, src: &str) -> bool {
        !rules(name, src).is_empty()
    }

    #[test]
    fn request_input_into_php_sinks() {
        assert!(rules("a.php", "<?php eval($_REQUEST['q']);").contains(&"php.code-exec-input".to_string()));
        assert!(rules("a.php", "<?php $q = trim($_COOKIE['k']); @system($q);").contains(&"php.command-exec-input".to_string()));
        assert!(flagged("a.php", "<?php $out = `{$_GET['run']}`; echo $out;"));
        assert!(flagged("a.php", "<? passthru(getallheaders()['X-Run']); ?>"));
        assert!(flagged("a.php", "<?php include $_POST['page'];"));
        assert!(flagged("x.php", "<?php $_GET['f']($_GET['a']);"));
    }

    #[test]
    fn names_assembled_at_run_time() {
        assert!(flagged("a.php", "<?php $f = 'sys' . 'tem'; $f($_POST['c']);"));
        assert!(flagged("a.php", "<?php $f = strrev('tressa'); $f($_POST['c']);"));
        assert!(flagged("a.php", "<?php $f = str_rot13('flfgrz'); $f(\"id\");"));
        assert!(flagged("a.php", "<?php $f = chr(101).chr(118).chr(97).chr(108); $g = 'create_' . 'function'; $h = $g('', $_POST['z']);"));
        assert!(flagged("a.php", "<?php $a = \"\\x61\\163\\u{73}ert\"; $a($_POST['p']);"));
        // `${'_PO'.'ST'}`: a superglobal named by an expression.
        assert!(flagged("a.php", "<?php $n = strtoupper('_post'); eval(${$n}['k']);"));
        assert!(flagged("a.php", "<?php $a = ('?' ^ '^') . 'ssert'; $a($_POST[1]);"));
        assert!(flagged("a.php", "<?php $t['x'] = 'as'.'sert'; $list[] = $t; $list[0]['x']($_POST['q']);"));
    }

    #[test]
    fn decoded_payloads_are_read() {
        // eval of a deflated, base64 payload that itself reads the request.
        use std::io::Write;
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = e.write_all(b"if (isset($_POST['k'])) { system($_POST['k']); }");
        let z = e.finish().unwrap_or_default();
        let b64 = b64(&z);
        let src = format!("<?php eval(gzinflate(base64_decode('{b64}')));");
        let r = rules("a.php", &src);
        assert!(r.contains(&"php.code-exec-decoded".to_string()), "{r:?}");
        assert!(r.contains(&"php.command-exec-input".to_string()), "{r:?}");
        // A preg_replace /e built from character codes.
        assert!(flagged("a.php", "<?php preg_replace('/x/' . chr(101), $_POST['r'], 'x');"));
        assert!(!flagged("a.php", "<?php echo preg_replace('/x/i', $_POST['r'], 'x');"));
    }

    fn b64(data: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in data.chunks(3) {
            let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
            for k in 0..4 {
                if k <= c.len() {
                    s.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s
    }

    #[test]
    fn callbacks_wrappers_and_droppers() {
        assert!(flagged("a.php", "<?php array_map('assert', array($_POST['x']));"));
        assert!(flagged("a.php", "<?php $cb = $_GET['cb']; usort($list, $cb);"));
        assert!(flagged("a.php", "<?php filter_var($_GET['v'], FILTER_CALLBACK, array('options' => 'system'));"));
        assert!(flagged("a.php", "<?php function run($c) { return shell_exec($c . ' 2>&1'); } echo run($_POST['c']);"));
        assert!(flagged("a.php", "<?php $f = create_function('$a', 'return eval($a);'); $f($_GET['x']);"));
        assert!(flagged("a.php", "<?php file_put_contents('x.php', '<?php eval($_POST[\"p\"]); ?>');"));
        assert!(flagged("a.php", "<?php move_uploaded_file($_FILES['f']['tmp_name'], './' . $_FILES['f']['name']);"));
        assert!(flagged("a.php", "<?php $r = new ReflectionFunction('system'); $r->invoke($_GET['c']);"));
    }

    #[test]
    fn packed_payloads() {
        let mut x: u32 = 7;
        let noise: Vec<u8> = (0..3000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (x >> 16) as u8
            })
            .collect();
        let blob = b64(&noise);
        let (a, b) = blob.split_at(blob.len() / 2);
        let packed = format!("<?php $p = '{a}' . '{b}';\n$s = base64_decode($p); $g = own_unpack($s); $g();");
        assert!(rules("a.php", &packed).contains(&"php.encoded-payload".to_string()), "{:?}", rules("a.php", &packed));
        // The same literal decoded and sent as an image is not a dropper.
        let image = format!("<?php header('Content-Type: image/png'); echo base64_decode('{blob}');");
        assert!(!flagged("a.php", &image));
    }

    #[test]
    fn commands_run_through_other_programs() {
        assert!(flagged("a.php", "<?php $c = $_POST['c']; echo shell_exec('echo x | sudo -u www -S ' . $c);"));
        assert!(flagged("a.php", "<?php system('nohup ' . $_GET['job'] . ' &');"));
        assert!(!flagged("a.php", "<?php exec('sudo /usr/local/bin/reload-site ' . escapeshellarg($_POST['site']));"));
        assert!(!flagged("a.php", "<?php exec('sudo -u www /usr/bin/convert ' . $_GET['f'] . ' out.png');"));
    }

    #[test]
    fn file_managers_and_bitwise_names() {
        assert!(flagged("a.php", "<?php $h = fopen($_POST['to'], 'w'); fwrite($h, $_POST['body']);"));
        assert!(flagged("a.php", "<?php $t = $_FILES['u']['tmp_name']; copy($t, $_POST['dir'] . '/' . $_FILES['u']['name']);"));
        // `'I' | 'a'`-style names: PHP's bitwise operators on strings.
        assert!(flagged("a.php", "<?php $f = ('a' & 'c') . ('s' | 's') . 'sert'; $f($_POST['v']);"));
    }

    #[test]
    fn application_code_is_left_alone() {
        // A value cleaned in place by the application's own function, an
        // element of a registry picked with request data, a file moved by
        // the application (not an upload).
        assert!(!flagged(
            "a.php",
            "<?php $n = $_POST['n']; $n = clean_name($n); move_uploaded_file($_FILES['f']['tmp_name'], DIR . '/' . $n);"
        ));
        assert!(!flagged(
            "a.php",
            "<?php $c = $reg[$id]; $c['label'] = 'x-' . $_POST['k']; $reg[$id] = $c; $d = $reg[$_GET['w']]; call_user_func($d['callback']);"
        ));
        assert!(!flagged("a.php", "<?php $f = $dir . $_GET['file']; rename($f, substr($f, 0, -4));"));
        // A closure that reads the environment is code, not input; the
        // environment's own variables are not the request's.
        assert!(!flagged(
            "a.php",
            "<?php $init = function () { putenv('X=' . $_ENV['HTTP_X']); }; $init(); require $_ENV['SCRIPT_FILENAME'];"
        ));
        // Input as an argument of a fixed program, through an own function,
        // a whitelist filter, a cast, a registry lookup, a checked include.
        assert!(!flagged("a.php", "<?php $id = (int) $_GET['id']; exec('/usr/bin/convert ' . escapeshellarg($_GET['f']) . ' out.png');"));
        assert!(!flagged("a.php", "<?php $t = preg_replace('/[^a-z0-9_]/i', '', $_REQUEST['t']); include './skin/' . $t . '/head.php';"));
        assert!(!flagged("a.php", "<?php $handlers = array('a' => 'show_a'); call_user_func($handlers[$_GET['h']]);"));
        assert!(!flagged(
            "a.php",
            "<?php $name = sanitize_file_name($_FILES['f']['name']); move_uploaded_file($_FILES['f']['tmp_name'], $dir . '/' . $name);"
        ));
        assert!(!flagged("a.php", "<?php if (!filter_var($_POST['email'], FILTER_VALIDATE_EMAIL)) { die('bad'); }"));
        assert!(!flagged("a.php", "<?php $cb = 'intval'; echo array_sum(array_map($cb, $_POST['n']));"));
        assert!(!flagged("a.php", "<?php // eval($_POST['x']);\n/* system($_GET['c']) */ echo 'eval($_POST[1])';"));
        assert!(!flagged("a.php", "<b>eval($_POST['x'])</b>"));
        // Hangul text and a long Korean comment are text, not obfuscation.
        assert!(!flagged("a.php", "<?php // 게시판 설정을 불러옵니다\n$msg = '올바른 관리자 E-mail 주소를 입력하세요.'; echo $msg;"));
    }

    #[test]
    fn server_pages() {
        let jsp = r#"<%@ page import="java.io.*" %><% String c = request.getParameter("c"); Process p = Runtime.getRuntime().exec(c); %>"#;
        assert!(rules("a.jsp", jsp).contains(&"java.command-exec-input".to_string()));
        let jsp2 = r#"<%! class L extends ClassLoader { Class d(byte[] b) { return super.defineClass(b, 0, b.length); } } %><% new L().d(java.util.Base64.getDecoder().decode(request.getReader().readLine())); %>"#;
        assert!(flagged("a.jsp", jsp2));
        assert!(flagged("a.jsp", r#"<% Class.forName("java.lang." + "Runtime").getMethod("exec", String.class); %>"#));
        let asp = "<%\nSet sh = Server.CreateObject(\"WScript.Shell\")\nSet r = sh.Exec(\"cmd /c \" & Request.Form(\"c\"))\n%>";
        assert!(rules("a.asp", asp).contains(&"vbscript.command-exec-input".to_string()), "{:?}", rules("a.asp", asp));
        assert!(flagged("a.asp", "<% Execute Request(\"x\") %>"));
        assert!(flagged("a.asp", "<% e = Chr(101) & \"val\" : Eval(Request.QueryString(\"q\")) %>"));
        let aspx = r#"<%@ Page Language="C#" %><script runat="server">void R(object s, EventArgs e) { var p = new System.Diagnostics.Process(); p.StartInfo.FileName = "cmd.exe"; p.StartInfo.Arguments = "/c " + cmdbox.Text; p.Start(); }</script><asp:TextBox id="cmdbox" runat="server" />"#;
        assert!(flagged("a.aspx", aspx), "{:?}", rules("a.aspx", aspx));
        assert!(flagged(
            "a.aspx",
            r#"<%@ Page Language="C#" %><% System.Reflection.Assembly.Load(Convert.FromBase64String(Request.Form["k"])); %>"#
        ));
        // Ordinary pages reading parameters.
        assert!(!flagged(
            "a.jsp",
            r#"<% String n = request.getParameter("name"); out.println(n == null ? "" : n.replace("<", "&lt;")); %>"#
        ));
        assert!(!flagged("a.asp", "<% If Request(\"a\") = \"1\" Then Response.Write \"ok\" %>"));
        assert!(!flagged(
            "a.aspx",
            r#"<%@ Page Language="C#" %><script runat="server">void L(object s, EventArgs e) { title.Text = Request.QueryString["t"]; }</script>"#
        ));
    }

    #[test]
    fn hostile_shapes_end() {
        // 100,000 nested parentheses, an unterminated heredoc, binary noise.
        let deep = format!("<?php eval({}$_POST[1]{});", "(".repeat(100_000), ")".repeat(100_000));
        let t = std::time::Instant::now();
        let _ = scan_bytes("a.php", deep.as_bytes());
        let calls = format!("<?php {}1{};", "eval(".repeat(20_000), ")".repeat(20_000));
        let _ = scan_bytes("a.php", calls.as_bytes());
        let _ = scan_bytes("a.php", b"<?php $a = <<<X\n never closed");
        // Unclosed calls by the hundred thousand, in every language.
        let open_calls = format!("<?php <% {}", "f(a, ".repeat(100_000));
        for name in ["a.php", "a.asp", "a.aspx", "a.jsp"] {
            let _ = scan_bytes(name, open_calls.as_bytes());
        }
        let noise: Vec<u8> = (0..200_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let _ = scan_bytes("a.php", &noise);
        let _ = scan_bytes("a.aspx", &noise);
        let _ = scan_bytes("a.asp", &noise);
        let _ = scan_bytes("a.jsp", &noise);
        assert!(t.elapsed().as_secs() < 20, "took {:?}", t.elapsed());
    }

    #[test]
    fn mutated_samples_never_panic() {
        // A cheap stand-in for the fuzz target on every test run: bytes
        // of real-looking code flipped, cut and repeated.
        let seeds: [&[u8]; 5] = [
            b"<?php $a = 'as'.'sert'; $a(${'_PO'.'ST'}['x']); eval(gzinflate(base64_decode('y0zLAQA='))); ?>",
            b"<% String c = request.getParameter(\"c\"); Runtime.getRuntime().exec(new String[]{\"sh\",\"-c\",c}); %>",
            b"<%\nSet o = CreateObject(\"WScript.Shell\") : o.Run Request(\"c\") & _\n Chr(&H41)\n%>",
            b"<%@ Page Language=\"C#\" %><script runat=\"server\">void L(){ Process.Start(Request[\"x\"]); }</script>",
            b"<?php $s = <<<'E'\n eval($_GET[1]);\nE;\n preg_replace('/x/e', `$_GET[c]`, ~\"\\x9e\");",
        ];
        let names = ["a.php", "a.jsp", "a.asp", "a.aspx", "a.phtml"];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..4000 {
            let seed = seeds[i % seeds.len()];
            let mut v = seed.to_vec();
            for _ in 0..(next() % 6) {
                let r = next() as usize;
                match r % 4 {
                    0 if !v.is_empty() => {
                        let p = r / 4 % v.len();
                        v[p] = (next() & 0xff) as u8;
                    }
                    1 if !v.is_empty() => {
                        let p = r / 4 % v.len();
                        v.truncate(p);
                    }
                    2 => {
                        let p = if v.is_empty() { 0 } else { r / 4 % v.len() };
                        let chunk: Vec<u8> = v[p..].iter().take(16).copied().collect();
                        for _ in 0..(next() % 64) {
                            v.extend_from_slice(&chunk);
                        }
                    }
                    _ => {
                        let pool = b"()[]{}'\"`$<%?>;\\";
                        v.insert(if v.is_empty() { 0 } else { r / 4 % v.len() }, pool[r % pool.len()]);
                    }
                }
            }
            let _ = scan_bytes(names[(i / 5) % names.len()], &v);
        }
    }
}
