//! Reads the paranoia level of each rule from the CRS rule files, so the
//! report can split attacks the way the targets are stated (PL 1–2 vs 3–4).

use std::collections::HashMap;
use std::path::Path;

/// Rule id → paranoia level, from `id:N` and `tag:'paranoia-level/L'` in
/// the same rule (a rule without the tag counts as level 1).
pub fn paranoia_levels(rules_dir: &Path) -> Result<HashMap<u32, u8>, String> {
    let mut out = HashMap::new();
    let rd = std::fs::read_dir(rules_dir).map_err(|e| format!("{}: {e}", rules_dir.display()))?;
    let mut files: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "conf")).collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        scan(&text, &mut out);
    }
    if out.is_empty() {
        return Err(format!("{}: no rules with ids found", rules_dir.display()));
    }
    Ok(out)
}

/// Splits the text into rules at each line starting a directive and reads
/// the id and level of each.
fn scan(text: &str, out: &mut HashMap<u32, u8>) {
    let mut rule = String::new();
    let flush = |rule: &str, out: &mut HashMap<u32, u8>| {
        if let Some(id) = after_num(rule, "id:") {
            let pl = after_num(rule, "paranoia-level/").map_or(1, |l| l.min(4) as u8);
            out.entry(id).or_insert(pl);
        }
    };
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("SecRule") || t.starts_with("SecAction") || t.starts_with("SecMarker") {
            // A chained rule has no id of its own, so it adds nothing here.
            flush(&rule, out);
            rule.clear();
        }
        rule.push_str(line);
        rule.push('\n');
    }
    flush(&rule, out);
}

fn after_num(s: &str, key: &str) -> Option<u32> {
    let i = s.find(key)? + key.len();
    let digits: String = s[i..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_and_levels() {
        let text = r#"
SecRule ARGS "@rx a" \
    "id:942100,\
    phase:2,\
    chain,\
    tag:'paranoia-level/1'"
    SecRule ARGS "@rx b" "t:none"
SecRule ARGS "@rx c" \
    "id:942101,\
    tag:'paranoia-level/2'"
SecRule ARGS "@rx c" "id:900001,pass"
"#;
        let mut m = HashMap::new();
        scan(text, &mut m);
        assert_eq!(m.get(&942100), Some(&1));
        assert_eq!(m.get(&942101), Some(&2));
        assert_eq!(m.get(&900001), Some(&1));
    }
}
