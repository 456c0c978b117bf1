//! Certificates made on the spot for the TLS tests: a CA of the test's own, and server
//! certificates it signs for the names a test asks for, written as PEM files in a folder removed
//! on drop.

use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

/// A CA and a folder to write what it signs into.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    dir: tempfile::TempDir,
}

/// The files of one server certificate.
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        TestCa { issuer, dir: tempfile::tempdir().unwrap() }
    }

    /// The CA's certificate, DER, for a client's root store.
    pub fn root(&self) -> tokio_rustls::rustls::pki_types::CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A certificate for `names` and its key, as `NAME.pem` and `NAME.key`.
    pub fn issue(&self, file: &str, names: &[&str]) -> Issued {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let cert = CertificateParams::new(names).unwrap().signed_by(&key, &self.issuer).unwrap();
        let issued = Issued {
            cert: self.dir.path().join(format!("{file}.pem")),
            key: self.dir.path().join(format!("{file}.key")),
        };
        std::fs::write(&issued.cert, cert.pem()).unwrap();
        std::fs::write(&issued.key, key.serialize_pem()).unwrap();
        issued
    }

    /// A file in the CA's folder with `text` in it.
    pub fn write(&self, file: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        path
    }
}
