//! A config file as its author wrote it, changed in place: a program (the
//! console, a `haetae` subcommand) sets one key of one site and writes the
//! file back with every comment, blank line and key order kept. Nothing is
//! written that does not validate.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, Value};

use crate::{Config, ConfigError, Diagnostic, Exception, Mode};

pub struct Document {
    doc: DocumentMut,
    path: PathBuf,
}

fn syntax_error(path: &Path, src: &str, e: &toml_edit::TomlError) -> ConfigError {
    let (line, col) = e.span().map_or((1, 1), |s| crate::line_col(src, s.start));
    ConfigError { file: path.to_owned(), diagnostics: vec![Diagnostic { line, col, message: e.message().trim().replace('\n', " ") }] }
}

fn problem(path: &Path, message: impl Into<String>) -> ConfigError {
    ConfigError { file: path.to_owned(), diagnostics: vec![Diagnostic { line: 1, col: 1, message: message.into() }] }
}

impl Document {
    /// Parses `src` (it must also be a valid config: a program never
    /// starts from a file `haetae check` would refuse).
    pub fn parse(src: &str, path: &Path) -> Result<Self, ConfigError> {
        crate::parse(src, path)?;
        let doc = src.parse::<DocumentMut>().map_err(|e| syntax_error(path, src, &e))?;
        Ok(Self { doc, path: path.to_owned() })
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let src = std::fs::read_to_string(path).map_err(|e| problem(path, format!("cannot read the file: {e}")))?;
        Self::parse(&src, path)
    }

    /// The file's text as it stands, edits included.
    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    /// The config the text means now.
    pub fn config(&self) -> Result<Config, ConfigError> {
        crate::parse(&self.text(), &self.path)
    }

    /// Names of the `[[site]]`s, in file order.
    pub fn sites(&self) -> Vec<String> {
        let Some(sites) = self.doc.get("site").and_then(Item::as_array_of_tables) else { return Vec::new() };
        sites.iter().filter_map(|t| t.get("name").and_then(Item::as_str).map(str::to_owned)).collect()
    }

    fn site_mut(&mut self, site: &str) -> Result<&mut Table, String> {
        let sites = self.doc.get_mut("site").and_then(Item::as_array_of_tables_mut).ok_or("the file has no [[site]]")?;
        sites.iter_mut().find(|t| t.get("name").and_then(Item::as_str) == Some(site)).ok_or_else(|| format!("no site named `{site}`"))
    }

    /// Sets `key` (dotted for nested tables: `upstream.balance`) of the site
    /// named `site`, keeping the comments around it. Tables on the way are
    /// created when missing.
    pub fn set_site_value(&mut self, site: &str, key: &str, value: impl Into<Value>) -> Result<(), String> {
        let mut table = self.site_mut(site)?;
        let mut parts: Vec<&str> = key.split('.').collect();
        let last = parts.pop().filter(|k| !k.is_empty()).ok_or("empty key")?;
        for p in parts {
            if !table.contains_key(p) {
                let mut t = Table::new();
                t.set_implicit(false);
                table.insert(p, Item::Table(t));
            }
            table = table.get_mut(p).and_then(Item::as_table_mut).ok_or_else(|| format!("`{p}` is not a table"))?;
        }
        let mut value = value.into();
        match table.get_mut(last) {
            Some(Item::Value(old)) => {
                // The new value takes the old one's surroundings (the blank
                // before it, a comment after it).
                *value.decor_mut() = old.decor().clone();
                *old = value;
            }
            _ => {
                table.insert(last, Item::Value(value));
            }
        }
        Ok(())
    }

    pub fn set_site_mode(&mut self, site: &str, mode: Mode) -> Result<(), String> {
        self.set_site_value(site, "mode", mode.as_str())
    }

    /// Appends an `[[site.exceptions]]` to the site.
    pub fn add_site_exception(&mut self, site: &str, e: &Exception) -> Result<(), String> {
        let table = self.site_mut(site)?;
        let mut t = Table::new();
        if let Some(p) = &e.path {
            t.insert("path", toml_edit::value(p.as_str()));
        }
        if let Some(p) = &e.param {
            t.insert("param", toml_edit::value(p.as_str()));
        }
        let strings = |v: &[String]| Item::Value(Value::Array(v.iter().map(String::as_str).collect()));
        if !e.detectors.is_empty() {
            t.insert("detectors", strings(&e.detectors));
        }
        if !e.shapes.is_empty() {
            t.insert("shapes", strings(&e.shapes));
        }
        if !e.rules.is_empty() {
            t.insert("rules", Item::Value(Value::Array(e.rules.iter().map(|r| i64::from(*r)).collect())));
        }
        match table.get_mut("exceptions") {
            Some(Item::ArrayOfTables(a)) => a.push(t),
            Some(_) => return Err("`exceptions` is not a list of tables".into()),
            None => {
                let mut a = toml_edit::ArrayOfTables::new();
                a.push(t);
                table.insert("exceptions", Item::ArrayOfTables(a));
            }
        }
        Ok(())
    }

    /// Writes the file if the text validates (atomically: a temporary file
    /// renamed over it, so a reader never sees half a config); returns the
    /// config it means.
    pub fn save(&self) -> Result<Config, ConfigError> {
        let text = self.text();
        let cfg = crate::parse(&text, &self.path)?;
        let tmp = self.path.with_extension("toml.tmp");
        std::fs::write(&tmp, &text)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|e| problem(&self.path, format!("cannot write the file: {e}")))?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"# Front of the shop. Edited by hand.
[server]
listen = ["127.0.0.1:8080"]   # public port

[[site]]
name = "shop"
hosts = ["shop.example"]
mode = "detection"            # until the exceptions settle
[site.upstream]
servers = ["127.0.0.1:9000"]

# The blog is quiet.
[[site]]
name = "blog"
hosts = ["blog.example"]
[site.upstream]
servers = ["127.0.0.1:9001"]
balance = "least_conn"
"#;

    #[test]
    fn a_mode_change_touches_that_value_and_nothing_else() {
        let mut d = Document::parse(FILE, Path::new("h.toml")).unwrap();
        d.set_site_mode("shop", Mode::Prevention).unwrap();
        let want = FILE.replace("mode = \"detection\"            #", "mode = \"prevention\"            #");
        assert_eq!(d.text(), want);
        assert_eq!(d.config().unwrap().sites[0].mode, Mode::Prevention);
        // A site without the key gets it, the other site stays as it was.
        d.set_site_mode("blog", Mode::Learning).unwrap();
        let text = d.text();
        assert!(text.starts_with(&want[..want.find("# The blog").unwrap()]), "{text}");
        assert_eq!(d.config().unwrap().sites[1].mode, Mode::Learning);
        assert!(d.set_site_mode("nope", Mode::Learning).is_err());
    }

    #[test]
    fn nested_keys_and_exceptions() {
        let mut d = Document::parse(FILE, Path::new("h.toml")).unwrap();
        d.set_site_value("blog", "upstream.balance", "ip_hash").unwrap();
        d.set_site_value("shop", "response.strip_html_comments", true).unwrap();
        d.add_site_exception(
            "shop",
            &Exception { path: Some("/board".into()), shapes: vec!["xss.event-attr".into()], ..Default::default() },
        )
        .unwrap();
        let c = d.config().unwrap();
        assert_eq!(c.sites[1].upstream.balance, crate::Balance::IpHash);
        assert!(c.sites[0].response.strip_html_comments);
        assert_eq!(c.sites[0].exceptions[0].shapes, ["xss.event-attr"]);
        assert!(d.text().contains("# Front of the shop. Edited by hand."));
    }

    #[test]
    fn an_edit_that_does_not_validate_is_not_written() {
        let dir = std::env::temp_dir().join(format!("haetae-doc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("h.toml");
        std::fs::write(&path, FILE).unwrap();
        let mut d = Document::load(&path).unwrap();
        d.set_site_value("shop", "mode", "block").unwrap();
        let e = d.save().unwrap_err().to_string();
        assert!(e.contains("unknown variant `block`"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), FILE, "unchanged on disk");
        d.set_site_value("shop", "mode", "learning").unwrap();
        assert_eq!(d.save().unwrap().sites[0].mode, Mode::Learning);
        assert!(std::fs::read_to_string(&path).unwrap().contains("mode = \"learning\"            # until"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
