//! TLS with one certificate per site, chosen by SNI. rustls with the `ring`
//! provider: no OpenSSL in the data path and no C toolchain beyond `cc`.

use std::collections::HashMap;
use std::sync::Arc;

use haetae_config::{Config, ConfigError};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug)]
struct SniResolver {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    default: Option<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        hello.server_name().and_then(|n| self.by_name.get(&n.to_ascii_lowercase())).cloned().or_else(|| self.default.clone())
    }
}

/// Loads a certificate chain and its key, and checks that the key is the
/// certificate's: a mismatched pair loads fine and then fails every
/// handshake, silently. `at` is the key's place in the config.
fn load(cfg: &Config, t: &haetae_config::SiteTls) -> Result<Arc<CertifiedKey>, ConfigError> {
    let (cert, key) = (t.cert.get_ref(), t.key.get_ref());
    let certs = match CertificateDer::pem_file_iter(cert).and_then(|i| i.collect::<Result<Vec<_>, _>>()) {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => return Err(cfg.error_at(t.cert.span(), format!("`{}` holds no certificate", cert.display()))),
        Err(e) => return Err(cfg.error_at(t.cert.span(), format!("cannot read certificate `{}`: {e}", cert.display()))),
    };
    let key_der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| cfg.error_at(t.key.span(), format!("cannot read private key `{}`: {e}", key.display())))?;
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| cfg.error_at(t.key.span(), format!("private key `{}`: {e}", key.display())))?;
    let ck = CertifiedKey::new(certs, signing);
    match ck.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(Arc::new(ck)),
        Err(rustls::Error::InconsistentKeys(_)) => Err(cfg.error_at(
            t.key.span(),
            format!("the private key `{}` does not belong to the certificate `{}`", key.display(), cert.display()),
        )),
        Err(e) => Err(cfg.error_at(t.cert.span(), format!("certificate `{}`: {e}", cert.display()))),
    }
}

/// Builds the server TLS config: SNI → site certificate; unknown names get
/// the `"*"` site's certificate, else the first site's. ALPN offers h2.
pub fn server_config(cfg: &Config) -> Result<Arc<rustls::ServerConfig>, ConfigError> {
    let mut by_name = HashMap::new();
    let mut default = None;
    let mut first = None;
    for s in &cfg.sites {
        let Some(t) = &s.tls else { continue };
        let ck = load(cfg, t)?;
        first.get_or_insert_with(|| ck.clone());
        for h in &s.hosts {
            if h.get_ref() == "*" {
                default = Some(ck.clone());
            } else {
                by_name.insert(h.get_ref().clone(), ck.clone());
            }
        }
    }
    let resolver = SniResolver { by_name, default: default.or(first) };
    let mut sc = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| cfg.error_at(0..0, format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    sc.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(sc))
}
