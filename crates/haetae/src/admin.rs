//! `haetae admin …`, `haetae verify-log`, `haetae events export`: the
//! store's accounts and record, from the command line.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use haetae_console::accounts::{self, Role};
use haetae_store::{Audit, Store};

use crate::cli::{AdminCmd, EventsCmd};

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("haetae: {msg}");
    ExitCode::FAILURE
}

fn open(config: &Path) -> Result<(Arc<Store>, haetae_store::StoreConfig), String> {
    let cfg = haetae_config::load(config).map_err(|e| e.to_string())?;
    let sc = haetae_proxy::state::store_config(&cfg).ok_or_else(|| format!("{}: no [store] is configured", config.display()))?;
    Ok((Store::open(sc.clone()).map_err(|e| e.to_string())?, sc))
}

/// The first line of stdin, without its line end.
fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("reading the password from stdin: {e}"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

fn show_enrolment(user: &str, uri: &str) {
    println!("account {user}: add it to an authenticator app (TOTP, 30 s, 6 digits):");
    println!("{uri}");
    println!("{}", accounts::qr_text(uri));
}

pub fn run(cmd: &AdminCmd) -> ExitCode {
    match run_inner(cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn account(store: &Store, user: &str) -> Result<haetae_store::accounts::Account, String> {
    store.account(user).map_err(|e| e.to_string())?.ok_or_else(|| format!("no account named {user}"))
}

fn run_inner(cmd: &AdminCmd) -> Result<(), String> {
    match cmd {
        AdminCmd::Add { config, user, role, sites } => {
            let role = Role::parse(role).ok_or_else(|| format!("unknown role {role}: admin, operator or viewer"))?;
            let (store, _) = open(config)?;
            let pw = read_password()?;
            let e = accounts::add(&store, user, role, sites.clone(), &pw, "cli")?;
            show_enrolment(&e.account.name, &e.uri);
        }
        AdminCmd::List { config } => {
            let (store, _) = open(config)?;
            let tokens = store.tokens().map_err(|e| e.to_string())?;
            for a in store.accounts().map_err(|e| e.to_string())? {
                let sites = if a.sites.is_empty() { "all sites".to_owned() } else { a.sites.join(",") };
                println!("{}\t{}\t{}{}", a.name, a.role, sites, if a.disabled { "\tdisabled" } else { "" });
                for t in tokens.iter().filter(|t| t.account == a.name) {
                    println!("  token {}\t{}{}", t.id, t.name, if t.revoked { "\trevoked" } else { "" });
                }
            }
        }
        AdminCmd::Passwd { config, user } => {
            let (store, _) = open(config)?;
            let mut a = account(&store, user)?;
            let pw = read_password()?;
            accounts::check_password(&pw)?;
            a.password = accounts::hash_password(&pw)?;
            store.update_account(&a).map_err(|e| e.to_string())?;
            let _ = store.audit(&Audit::new("cli", "local", "account_passwd", user));
            println!("password of {user} changed");
        }
        AdminCmd::Disable { config, user } | AdminCmd::Enable { config, user } => {
            let disable = matches!(cmd, AdminCmd::Disable { .. });
            let (store, _) = open(config)?;
            let mut a = account(&store, user)?;
            let before = a.disabled;
            a.disabled = disable;
            store.update_account(&a).map_err(|e| e.to_string())?;
            let (b, n) = (if before { "disabled" } else { "enabled" }, if disable { "disabled" } else { "enabled" });
            let _ = store.audit(&Audit::new("cli", "local", if disable { "account_disable" } else { "account_enable" }, user).change(b, n));
            println!("{user} {n}");
        }
        AdminCmd::ResetTotp { config, user } => {
            let (store, _) = open(config)?;
            let mut a = account(&store, user)?;
            a.totp = accounts::new_totp_secret()?;
            store.update_account(&a).map_err(|e| e.to_string())?;
            let _ = store.audit(&Audit::new("cli", "local", "account_reset_totp", user));
            let uri = accounts::totp_uri(&a.totp, user).ok_or("could not make the TOTP URI")?;
            show_enrolment(user, &uri);
        }
        AdminCmd::Token { config, user, name, revoke } => {
            let (store, _) = open(config)?;
            if let Some(id) = revoke {
                if !store.revoke_token(id).map_err(|e| e.to_string())? {
                    return Err(format!("no live token {id}"));
                }
                let _ = store.audit(&Audit::new("cli", "local", "token_revoke", id));
                println!("token {id} revoked");
                return Ok(());
            }
            let user = user.as_deref().ok_or("--user is needed")?;
            let a = account(&store, user)?;
            let (t, secret) = accounts::new_token(&a.name, name)?;
            store.add_token(&t).map_err(|e| e.to_string())?;
            let _ = store.audit(&Audit::new("cli", "local", "token_add", user).detail(format!("token {} ({name})", t.id)));
            eprintln!("token {} for {user} ({}): shown once, keep it safe", t.id, a.role);
            println!("{secret}");
        }
    }
    Ok(())
}

fn read_checkpoints(p: &Path) -> Result<Vec<haetae_store::Checkpoint>, String> {
    let f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
    let mut out = Vec::new();
    for (i, l) in std::io::BufReader::new(f).lines().enumerate() {
        let l = l.map_err(|e| format!("{}: {e}", p.display()))?;
        if l.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str(&l).map_err(|e| format!("{}:{}: {e}", p.display(), i + 1))?);
    }
    Ok(out)
}

pub fn verify(config: Option<&Path>, file: Option<&Path>, checkpoints: Option<&Path>, key: Option<&str>) -> ExitCode {
    let report = match (config, file) {
        (_, Some(f)) => std::fs::File::open(f)
            .map_err(|e| format!("{}: {e}", f.display()))
            .and_then(|fh| haetae_store::verify::verify_export(std::io::BufReader::new(fh), key).map_err(|e| e.to_string())),
        (Some(c), None) => open(c).and_then(|(store, sc)| {
            let shipped = match checkpoints.or(sc.checkpoint_file.as_deref()) {
                Some(p) if p.exists() => read_checkpoints(p)?,
                Some(p) if checkpoints.is_some() => return Err(format!("{}: no such file", p.display())),
                _ => Vec::new(),
            };
            // The node's own key, when this machine has it.
            let own = haetae_store::NodeKey::load(&sc.key).ok().map(|k| k.public());
            let trusted = key.map(String::from).or(own);
            store.verify(trusted.as_deref(), &shipped).map_err(|e| e.to_string())
        }),
        (None, None) => Err("give --config or --file".into()),
    };
    let r = match report {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    for (chain, n) in &r.records {
        println!("{chain}: {n} record(s) checked");
    }
    println!(
        "checkpoints: {} ({})",
        r.checkpoints,
        if r.keys.is_empty() { "none".to_owned() } else { r.keys.iter().map(|k| &k[..16.min(k.len())]).collect::<Vec<_>>().join(", ") }
    );
    if r.ok() {
        println!("OK: no record was edited, inserted, deleted or truncated");
        return ExitCode::SUCCESS;
    }
    for p in &r.problems {
        println!("TAMPERED: {p}");
    }
    ExitCode::FAILURE
}

pub fn events(cmd: &EventsCmd) -> ExitCode {
    let EventsCmd::Export { config, site, from, to, out } = cmd;
    let Some(from) = haetae_events::time::parse_time(from) else { return fail(format!("--from {from}: not a time")) };
    let to = match to {
        Some(t) => match haetae_events::time::parse_time(t) {
            Some(v) => v,
            None => return fail(format!("--to {t}: not a time")),
        },
        None => haetae_events::time::unix_millis() as i64 + 1,
    };
    let r = open(config).and_then(|(store, sc)| {
        // The node's own key: one made here would sign for nobody.
        let key = haetae_store::NodeKey::load(&sc.key).map_err(|e| format!("node key {}: {e}", sc.key.display()))?;
        let f = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
        let mut w = std::io::BufWriter::new(f);
        let n = store.export(site.as_deref(), from, to, &key, &mut w).map_err(|e| e.to_string())?;
        w.flush().map_err(|e| format!("{}: {e}", out.display()))?;
        let _ = store.audit(
            &Audit::new("cli", "local", "events_export", site.as_deref().unwrap_or("*"))
                .detail(format!("{n} event(s) to {}", out.display())),
        );
        Ok((n, key.public()))
    });
    match r {
        Ok((n, key)) => {
            println!("{n} event(s) written to {}; signed by node key {key}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
