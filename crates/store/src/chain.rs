//! The hash chain and the node's signed checkpoints.
//!
//! Each stored record carries the hash of the one before it
//! (`hash = SHA-256(prev ‖ "\n" ‖ SHA-256(body))`, hex), so editing, inserting or
//! deleting a record breaks every link after it. A checkpoint signs
//! (chain, node, seq, hash) with the node's Ed25519 key every N records;
//! checkpoints shipped off the box also catch a truncated tail.

use std::io::Write;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev` of a chain's first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub fn link(prev: &str, body: &str) -> String {
    link_digest(prev, &digest(body))
}

/// The body's own hash: an export may carry it instead of a record it
/// leaves out (another site's event), and the chain still verifies.
pub fn digest(body: &str) -> String {
    hex::encode(Sha256::digest(body.as_bytes()))
}

pub fn link_digest(prev: &str, digest: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(digest.as_bytes());
    hex::encode(h.finalize())
}

/// A signed statement that record `seq` of a chain has hash `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub chain: String,
    pub node: String,
    pub seq: i64,
    pub hash: String,
    pub ts: i64,
    /// The signer's public key, hex.
    pub key: String,
    pub sig: String,
}

fn message(chain: &str, node: &str, seq: i64, hash: &str) -> Vec<u8> {
    format!("haetae-checkpoint\n{chain}\n{node}\n{seq}\n{hash}").into_bytes()
}

impl Checkpoint {
    /// The signature is good for the key it names.
    pub fn signed(&self) -> bool {
        let (Ok(k), Ok(s)) = (hex::decode(&self.key), hex::decode(&self.sig)) else { return false };
        let (Ok(k), Ok(s)) = (<[u8; 32]>::try_from(k.as_slice()), <[u8; 64]>::try_from(s.as_slice())) else { return false };
        let Ok(vk) = VerifyingKey::from_bytes(&k) else { return false };
        vk.verify(&message(&self.chain, &self.node, self.seq, &self.hash), &Signature::from_bytes(&s)).is_ok()
    }
}

/// The node's signing key, kept in a file of its own (0600).
pub struct NodeKey {
    key: SigningKey,
}

impl NodeKey {
    /// Reads the key at `path`.
    pub fn load(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let seed = hex::decode(text.trim())
            .ok()
            .and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok())
            .ok_or_else(|| std::io::Error::other(format!("{}: not a haetae node key", path.display())))?;
        Ok(Self { key: SigningKey::from_bytes(&seed) })
    }

    /// Reads the key at `path`, or makes one there if there is none.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        match Self::load(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|e| std::io::Error::other(e.to_string()))?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let mut f = private_file(path)?;
                f.write_all(hex::encode(seed).as_bytes())?;
                f.sync_all()?;
                Ok(Self { key: SigningKey::from_bytes(&seed) })
            }
            r => r,
        }
    }

    pub fn public(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    pub fn checkpoint(&self, chain: &str, node: &str, seq: i64, hash: &str, ts: i64) -> Checkpoint {
        let sig = self.key.sign(&message(chain, node, seq, hash));
        Checkpoint {
            chain: chain.into(),
            node: node.into(),
            seq,
            hash: hash.into(),
            ts,
            key: self.public(),
            sig: hex::encode(sig.to_bytes()),
        }
    }
}

/// A new file only its owner reads (keys, the database).
pub fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_and_any_change_breaks_it() {
        let dir = std::env::temp_dir().join(format!("haetae-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let k = NodeKey::load_or_create(&dir.join("node.key")).unwrap();
        let again = NodeKey::load_or_create(&dir.join("node.key")).unwrap();
        assert_eq!(k.public(), again.public(), "the key is kept");
        let c = k.checkpoint("events", "n1", 10, &link(GENESIS, "x"), 1);
        assert!(c.signed());
        for bad in [
            Checkpoint { seq: 11, ..c.clone() },
            Checkpoint { hash: link(GENESIS, "y"), ..c.clone() },
            Checkpoint { node: "n2".into(), ..c.clone() },
            Checkpoint { sig: "00".into(), ..c.clone() },
        ] {
            assert!(!bad.signed(), "{bad:?}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("node.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn links_depend_on_the_previous_hash_and_the_body() {
        let a = link(GENESIS, "one");
        assert_ne!(link(&a, "two"), link(GENESIS, "two"));
        assert_ne!(link(&a, "two"), link(&a, "two "));
        assert_eq!(a.len(), 64);
    }
}
