//! Administrator accounts and API tokens as stored. Passwords arrive here
//! already hashed (argon2id) and token secrets as their SHA-256; this
//! module only keeps rows. The TOTP step check is one conditional
//! update, so a code is accepted once even with several nodes.

use serde::Serialize;

use crate::db::Val;
use crate::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub name: String,
    pub role: String,
    /// Sites in scope; empty is every site.
    pub sites: Vec<String>,
    #[serde(skip)]
    pub password: String,
    #[serde(skip)]
    pub totp: String,
    #[serde(skip)]
    pub totp_last: i64,
    pub disabled: bool,
    pub created: i64,
    pub updated: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Token {
    pub id: String,
    pub account: String,
    pub name: String,
    #[serde(skip)]
    pub hash: String,
    pub created: i64,
    pub revoked: bool,
    pub last_used: i64,
}

fn sites_text(s: &[String]) -> String {
    s.join(",")
}

fn sites_of(t: &str) -> Vec<String> {
    t.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
}

fn account_of(r: &[Val]) -> Account {
    Account {
        name: r[0].text(),
        role: r[1].text(),
        sites: sites_of(&r[2].text()),
        password: r[3].text(),
        totp: r[4].text(),
        totp_last: r[5].int(),
        disabled: r[6].int() != 0,
        created: r[7].int(),
        updated: r[8].int(),
    }
}

const TOKEN_COLS: &str = "id, account, name, hash, created, revoked, last_used";

fn token_of(r: &[Val]) -> Token {
    Token {
        id: r[0].text(),
        account: r[1].text(),
        name: r[2].text(),
        hash: r[3].text(),
        created: r[4].int(),
        revoked: r[5].int() != 0,
        last_used: r[6].int(),
    }
}

const ACCOUNT_COLS: &str = "name, role, sites, password, totp, totp_last, disabled, created, updated";

impl Store {
    pub fn account(&self, name: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE name = $1");
        let rows = self.lease()?.run(|c| c.query(&sql, &[Val::from(name)]))?;
        Ok(rows.first().map(|r| account_of(r)))
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts ORDER BY name");
        let rows = self.lease()?.run(|c| c.query(&sql, &[]))?;
        Ok(rows.iter().map(|r| account_of(r)).collect())
    }

    /// Adds an account; false if the name is taken.
    pub fn add_account(&self, a: &Account) -> Result<bool> {
        self.write_account(
            "INSERT INTO accounts (name, role, sites, password, totp, totp_last, disabled, created, updated) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $7) ON CONFLICT (name) DO NOTHING",
            a,
        )
    }

    /// Replaces an account's role, sites, password, TOTP secret and
    /// disabled flag (a new secret forgets the last used step).
    pub fn update_account(&self, a: &Account) -> Result<bool> {
        self.write_account(
            "UPDATE accounts SET role = $2, sites = $3, password = $4, \
             totp_last = CASE WHEN totp = $5 THEN totp_last ELSE 0 END, totp = $5, disabled = $6, updated = $7 WHERE name = $1",
            a,
        )
    }

    /// Runs `sql` with the account's fields as $1…$7 (name, role, sites,
    /// password, totp, disabled, now); true if it touched one row.
    fn write_account(&self, sql: &str, a: &Account) -> Result<bool> {
        let vals = [
            Val::from(a.name.as_str()),
            Val::from(a.role.as_str()),
            Val::Text(sites_text(&a.sites)),
            Val::from(a.password.as_str()),
            Val::from(a.totp.as_str()),
            Val::Int(i64::from(a.disabled)),
            Val::Int(crate::now_millis()),
        ];
        Ok(self.lease()?.run(|c| c.exec(sql, &vals))? == 1)
    }

    /// Marks TOTP `step` used by `name`; false if it (or a later one) was
    /// used already: a replayed code.
    pub fn use_totp_step(&self, name: &str, step: i64) -> Result<bool> {
        let n = self
            .lease()?
            .run(|c| c.exec("UPDATE accounts SET totp_last = $2 WHERE name = $1 AND totp_last < $2", &[Val::from(name), Val::Int(step)]))?;
        Ok(n == 1)
    }

    pub fn add_token(&self, t: &Token) -> Result<()> {
        self.lease()?.run(|c| {
            c.exec(
                "INSERT INTO tokens (id, account, name, hash, created, revoked, last_used) VALUES ($1, $2, $3, $4, $5, 0, 0)",
                &[
                    Val::from(t.id.as_str()),
                    Val::from(t.account.as_str()),
                    Val::from(t.name.as_str()),
                    Val::from(t.hash.as_str()),
                    Val::Int(t.created),
                ],
            )
        })?;
        Ok(())
    }

    /// The live token with this hash, and its account.
    pub fn token_by_hash(&self, hash: &str) -> Result<Option<(Token, Account)>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM tokens WHERE hash = $1 AND revoked = 0");
        let rows = self.lease()?.run(|c| c.query(&sql, &[Val::from(hash)]))?;
        let Some(t) = rows.first().map(|r| token_of(r)) else { return Ok(None) };
        let Some(a) = self.account(&t.account)? else { return Ok(None) };
        // Coarse: one write a minute per token at most.
        if crate::now_millis() - t.last_used > 60_000 {
            let id = t.id.clone();
            let _ = self
                .lease()?
                .run(|c| c.exec("UPDATE tokens SET last_used = $2 WHERE id = $1", &[Val::Text(id), Val::Int(crate::now_millis())]));
        }
        Ok(Some((t, a)))
    }

    /// Every token, oldest first.
    pub fn tokens(&self) -> Result<Vec<Token>> {
        let sql = format!("SELECT {TOKEN_COLS} FROM tokens ORDER BY created");
        let rows = self.lease()?.run(|c| c.query(&sql, &[]))?;
        Ok(rows.iter().map(|r| token_of(r)).collect())
    }

    pub fn revoke_token(&self, id: &str) -> Result<bool> {
        let n = self.lease()?.run(|c| c.exec("UPDATE tokens SET revoked = 1 WHERE id = $1 AND revoked = 0", &[Val::from(id)]))?;
        Ok(n == 1)
    }
}
