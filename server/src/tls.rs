//! TLS (`--tls-cert FILE --tls-key FILE`): the certificate and key read and checked before anything
//! listens, and what a TLS port does with a client that does not speak TLS.
//!
//! Every check here fails at start with one line that names the flag, the file and the problem,
//! so a server never starts half-configured: a key that is not the certificate's would otherwise
//! fail every handshake, and a certificate that does not cover the public name would make every
//! student's browser refuse the page.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls::crypto::aws_lc_rs::default_provider;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::server::ParsedCertificate;
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The PEM files `--tls-cert` and `--tls-key` name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, the server's own certificate first.
    pub cert: PathBuf,
    /// Its private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why the certificate or key cannot be served; each message names the flag and the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    #[error("{flag} {}: cannot read it: {why}", path.display())]
    Unreadable { flag: &'static str, path: PathBuf, why: String },
    #[error("--tls-cert {}: no certificate in it (a PEM file with -----BEGIN CERTIFICATE-----)", path.display())]
    NoCertificate { path: PathBuf },
    #[error("--tls-cert {}: the certificate does not parse: {why}", path.display())]
    BadCertificate { path: PathBuf, why: String },
    #[error("--tls-key {}: no private key in it (a PEM file with -----BEGIN PRIVATE KEY-----)", path.display())]
    NoKey { path: PathBuf },
    #[error("--tls-key {}: the key cannot be used: {why}", path.display())]
    BadKey { path: PathBuf, why: String },
    #[error("--tls-key {} is not the key of --tls-cert {}: they do not match", key.display(), cert.display())]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("--tls-cert {} does not cover {name} (the --public-origin's name): browsers would refuse it; make one whose subject alternative names include {name}", path.display())]
    NameNotCovered { path: PathBuf, name: String },
}

/// What both ends of a TLS connection agree to speak, best first (ALPN).
pub const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Reads and checks the certificate and key, and that the certificate covers every name in
/// `names`; the acceptor every TLS listener shares.
pub fn acceptor(files: &TlsFiles, names: &[String]) -> Result<TlsAcceptor, TlsError> {
    let chain = certificates(&files.cert)?;
    let key = private_key(&files.key)?;
    let provider = Arc::new(default_provider());
    let mismatch = || TlsError::Mismatch { cert: files.cert.clone(), key: files.key.clone() };
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| TlsError::BadKey { path: files.key.clone(), why: e.to_string() })?;
    let certified = rustls::sign::CertifiedKey::new(chain.clone(), signing);
    match certified.keys_match() {
        Ok(()) => {}
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => return Err(mismatch()),
        Err(e) => return Err(TlsError::BadCertificate { path: files.cert.clone(), why: e.to_string() }),
    }
    let leaf = ParsedCertificate::try_from(&chain[0])
        .map_err(|e| TlsError::BadCertificate { path: files.cert.clone(), why: e.to_string() })?;
    for name in names {
        let covered = ServerName::try_from(name.as_str())
            .ok()
            .is_some_and(|server| rustls::client::verify_server_name(&leaf, &server).is_ok());
        if !covered {
            return Err(TlsError::NameNotCovered { path: files.cert.clone(), name: name.clone() });
        }
    }
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::BadKey { path: files.key.clone(), why: e.to_string() })?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn read(flag: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Unreadable { flag, path: path.to_owned(), why: e.to_string() })
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read("--tls-cert", path)?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadCertificate { path: path.to_owned(), why: e.to_string() })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: path.to_owned() });
    }
    Ok(chain)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    use rustls::pki_types::pem::Error as PemError;
    let pem = read("--tls-key", path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        PemError::NoItemsFound => TlsError::NoKey { path: path.to_owned() },
        other => TlsError::BadKey { path: path.to_owned(), why: other.to_string() },
    })
}

/// A TLS record starts with this byte (a handshake); an HTTP request starts with a letter.
pub const HANDSHAKE_RECORD: u8 = 0x16;

/// What a TLS port answers a client that sent plain http: one short answer that says so, then the
/// connection is closed.
pub const PLAIN_HTTP_ANSWER: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
content-type: text/plain; charset=utf-8\r\n\
content-length: 59\r\n\
connection: close\r\n\
\r\n\
this port speaks https only: open it with https:// instead\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_http_answer_says_its_own_length() {
        let text = std::str::from_utf8(PLAIN_HTTP_ANSWER).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
    }
}
