//! TLS for the server: a certificate and key from PEM files, or (`--dev-tls`) a self-signed
//! certificate made at start for trying the server out. Plain HTTP is allowed only on a
//! loopback address (tests, and a reverse proxy on the same machine).

use anyhow::Context;
use axum_server::tls_rustls::RustlsConfig;
use std::path::Path;

/// Use ring for rustls everywhere in this process (installed once).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub async fn from_files(cert: &Path, key: &Path) -> anyhow::Result<RustlsConfig> {
    install_crypto();
    RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| format!("cannot use the certificate {} with the key {}", cert.display(), key.display()))
}

/// A self-signed certificate for `localhost` and the loopback addresses. Its PEM is written to
/// `cert_out` so desktops can be told to trust it (`mandate sync connect --ca FILE`); the private
/// key stays in memory.
pub async fn dev(cert_out: &Path, extra_names: &[String]) -> anyhow::Result<RustlsConfig> {
    install_crypto();
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    names.extend(extra_names.iter().cloned());
    let cert = rcgen::generate_simple_self_signed(names).context("cannot make a self-signed certificate")?;
    let pem = cert.cert.pem();
    std::fs::write(cert_out, &pem).with_context(|| format!("cannot write {}", cert_out.display()))?;
    RustlsConfig::from_pem(pem.into_bytes(), cert.key_pair.serialize_pem().into_bytes())
        .await
        .context("cannot load the self-signed certificate")
}
