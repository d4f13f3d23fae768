//! Administrator accounts: the password rules, argon2id hashes, TOTP
//! secrets and codes, API tokens. Rows live in the store
//! (`haetae_store::accounts`); this is what they mean.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use sha2::Digest;
use totp_rs::{Algorithm, TOTP};

use haetae_store::accounts::{Account, Token};
use haetae_store::{Audit, Store};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read only.
    Viewer,
    /// Sites in scope: modes, exceptions, rules, reload.
    Operator,
    /// Everything, accounts included.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Viewer => "viewer",
        }
    }
}

/// The rules a new password must meet; the first one it breaks.
pub fn check_password(pw: &str) -> Result<(), &'static str> {
    if pw.chars().count() < 10 {
        return Err("the password must be at least 10 characters long");
    }
    if !pw.chars().any(|c| c.is_ascii_digit()) {
        return Err("the password must contain a digit");
    }
    if !pw.chars().any(|c| c.is_uppercase()) {
        return Err("the password must contain an upper-case letter");
    }
    if !pw.chars().any(|c| c.is_lowercase()) {
        return Err("the password must contain a lower-case letter");
    }
    if !pw.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace()) {
        return Err("the password must contain a symbol");
    }
    Ok(())
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| format!("no randomness: {e}"))?;
    Ok(b)
}

/// `N` random bytes as hex (session ids, CSRF tokens, token ids).
pub(crate) fn random_hex<const N: usize>() -> Result<String, String> {
    random::<N>().map(hex::encode)
}

pub fn hash_password(pw: &str) -> Result<String, String> {
    let salt = SaltString::encode_b64(&random::<16>()?).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(pw.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

pub fn verify_password(pw: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

/// A hash to compare against when the account does not exist, so the
/// answer takes as long either way.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("Dummy-password-1").unwrap_or_default())
}

fn totp_of(secret_b32: &str, user: &str) -> Option<TOTP> {
    let secret = totp_rs::Secret::Encoded(secret_b32.to_owned()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret, Some("Haetae".into()), user.to_owned()).ok()
}

/// A new TOTP secret (base32, 160 bits).
pub fn new_totp_secret() -> Result<String, String> {
    Ok(totp_rs::Secret::Raw(random::<20>()?.to_vec()).to_encoded().to_string())
}

/// The `otpauth://totp/…` URI an authenticator app enrols from.
pub fn totp_uri(secret_b32: &str, user: &str) -> Option<String> {
    totp_of(secret_b32, user).map(|t| t.get_url())
}

/// The code for `unix` seconds (tests, `haetae admin totp-code`).
pub fn totp_code(secret_b32: &str, unix: u64) -> Option<String> {
    totp_of(secret_b32, "x").map(|t| t.generate(unix))
}

/// The time step `code` is valid for, within one step either side of
/// `unix` (clock drift), or None.
pub fn totp_step(secret_b32: &str, code: &str, unix: u64) -> Option<i64> {
    let t = totp_of(secret_b32, "x")?;
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = unix / 30;
    [now, now.saturating_sub(1), now + 1]
        .into_iter()
        .find(|&s| constant_eq(t.generate(s * 30).as_bytes(), code.as_bytes()))
        .map(|s| s as i64)
}

/// Equal, in time that does not depend on where they differ.
pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The enrolment QR code, in block characters for a terminal.
pub fn qr_text(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(c) => c.render::<qrcode::render::unicode::Dense1x2>().quiet_zone(true).build(),
        Err(_) => String::new(),
    }
}

pub fn token_hash(secret: &str) -> String {
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

/// A new API token: (its row, the secret shown once). `htk_` + 32 bytes
/// hex; only the SHA-256 is stored.
pub fn new_token(account: &str, name: &str) -> Result<(Token, String), String> {
    let id = random_hex::<6>()?;
    let secret = format!("htk_{}", random_hex::<32>()?);
    let t = Token {
        id,
        account: account.into(),
        name: name.into(),
        hash: token_hash(&secret),
        created: haetae_events::time::unix_millis() as i64,
        revoked: false,
        last_used: 0,
    };
    Ok((t, secret))
}

/// Why a login was refused (told to the audit trail, never the client),
/// or that the store could not be asked.
#[derive(Debug)]
pub enum LoginError {
    Refused(&'static str),
    Store(String),
}

/// Checks a login: the password (as slowly for an unknown account), the
/// account enabled, the TOTP code for `unix` (±1 step), and marks its
/// step used so the same code cannot log in twice.
pub fn authenticate(store: &Store, user: &str, password: &str, totp: &str, unix: u64) -> Result<Account, LoginError> {
    let db = |e: haetae_store::StoreError| LoginError::Store(e.to_string());
    let Some(a) = store.account(user).map_err(db)? else {
        // As slow as a real check, so timing tells nothing.
        verify_password(password, dummy_hash());
        return Err(LoginError::Refused("no such account"));
    };
    if !verify_password(password, &a.password) {
        return Err(LoginError::Refused("wrong password"));
    }
    if a.disabled {
        return Err(LoginError::Refused("account disabled"));
    }
    let step = totp_step(&a.totp, totp, unix).ok_or(LoginError::Refused("wrong TOTP code"))?;
    if !store.use_totp_step(&a.name, step).map_err(db)? {
        return Err(LoginError::Refused("replayed TOTP code"));
    }
    Ok(a)
}

/// What `haetae admin add` made: the account and how to enrol its TOTP.
pub struct Enrolled {
    pub account: Account,
    pub uri: String,
}

/// Adds an account (password already read), audited as `actor`.
pub fn add(store: &Store, user: &str, role: Role, sites: Vec<String>, password: &str, actor: &str) -> Result<Enrolled, String> {
    if user.is_empty() || user.len() > 64 || !user.chars().all(|c| c.is_alphanumeric() || "._-@".contains(c)) {
        return Err("the user name must be 1 to 64 letters, digits or . _ - @".into());
    }
    check_password(password).map_err(String::from)?;
    let secret = new_totp_secret()?;
    let uri = totp_uri(&secret, user).ok_or("could not make the TOTP secret")?;
    let account = Account {
        name: user.into(),
        role: role.as_str().into(),
        sites,
        password: hash_password(password)?,
        totp: secret,
        totp_last: 0,
        disabled: false,
        created: 0,
        updated: 0,
    };
    if !store.add_account(&account).map_err(|e| e.to_string())? {
        return Err(format!("an account named {user} exists already"));
    }
    let scope = if account.sites.is_empty() { "all sites".to_owned() } else { account.sites.join(",") };
    let _ = store.audit(&Audit::new(actor, "local", "account_add", user).detail(format!("role {}, {scope}", role.as_str())));
    Ok(Enrolled { account, uri })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_rules_each_say_what_failed() {
        assert!(check_password("Str0ng-enough").is_ok());
        assert!(check_password("Sh0rt-1").unwrap_err().contains("10 characters"));
        assert!(check_password("no-digits-Here").unwrap_err().contains("digit"));
        assert!(check_password("lower-only-123").unwrap_err().contains("upper"));
        assert!(check_password("UPPER-ONLY-123").unwrap_err().contains("lower"));
        assert!(check_password("NoSymbols1234").unwrap_err().contains("symbol"));
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("Str0ng-enough").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Str0ng-enough", &h));
        assert!(!verify_password("Str0ng-enougH", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn totp_codes_match_their_step_and_one_either_side() {
        let s = new_totp_secret().unwrap();
        let t = 1_764_681_300u64;
        let code = totp_code(&s, t).unwrap();
        assert_eq!(totp_step(&s, &code, t), Some((t / 30) as i64));
        assert_eq!(totp_step(&s, &code, t + 30), Some((t / 30) as i64), "one step late");
        assert_eq!(totp_step(&s, &code, t - 30), Some((t / 30) as i64), "one step early");
        assert_eq!(totp_step(&s, &code, t + 90), None, "three steps late");
        assert_eq!(totp_step(&s, "12345", t), None);
        assert_eq!(totp_step(&s, "abcdef", t), None);
        assert!(totp_uri(&s, "alice").unwrap().starts_with("otpauth://totp/"));
        assert!(totp_uri(&s, "alice").unwrap().contains(&format!("secret={s}")));
    }
}
