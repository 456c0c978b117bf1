//! The end-to-end run's own certificate authority, so that the suite can be tested over https
//! under a name that is not `localhost` (browsers treat every `*.localhost` name as a secure
//! context, so only such a name shows what plain http loses). A CA made for the run signs a
//! certificate for [`SECURE_NAME`]; each engine is made to trust the CA the way it trusts one:
//! Chromium reads the NSS database under the `HOME` its driver starts it with, Firefox the one in
//! its profile (handed to geckodriver as an encoded profile). Nothing on the machine is touched.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    IsCa, KeyPair, KeyUsagePurpose,
};

use crate::run::{fail, run, Result};
use crate::tools;

/// The name the https tests reach the suite by (resolved to loopback inside each browser).
pub(crate) const SECURE_NAME: &str = "classroom.test";
/// The three names of the suite behind the reverse proxy: the app's, the provider's, the isolated
/// origin's.
pub(crate) const PROXIED_NAMES: [&str; 3] =
    ["classroom.test", "pay.classroom.test", "atomics.classroom.test"];

/// What the run made: the server's certificate and key, and each engine's trust in the CA.
pub(crate) struct TestTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Chromium's driver starts with this as `HOME`: `.pki/nssdb` below it trusts the CA.
    pub chromium_home: PathBuf,
    /// A Firefox profile that trusts the CA, zipped and base64-encoded, as geckodriver takes one.
    pub firefox_profile: PathBuf,
    /// A hosts file naming every test name loopback, for WebKitGTK, which resolves names through
    /// the system and has no resolver rules: its driver runs in a mount namespace of its own with
    /// this file over `/etc/hosts` (the machine's own is never touched).
    pub hosts: PathBuf,
}

/// Makes the CA, the certificate and both trust stores in `dir` (emptied first).
pub(crate) fn make(dir: &Path) -> Result<TestTls> {
    tools::ensure_certutil()?;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).or_else(|e| fail(format!("cannot make {}: {e}", dir.display())))?;
    let write = |name: &str, text: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, text).map(|()| path).or_else(|e| fail(format!("cannot write {name}: {e}")))
    };
    let (ca_pem, cert_pem, key_pem) = sign().or_else(|e| fail(format!("cannot make the test CA: {e}")))?;
    let ca = write("ca.pem", ca_pem.as_bytes())?;
    let tls = TestTls {
        cert: write("server.pem", cert_pem.as_bytes())?,
        key: write("server.key", key_pem.as_bytes())?,
        chromium_home: dir.join("chromium-home"),
        firefox_profile: dir.join("firefox-profile.b64"),
        hosts: write("hosts", hosts_file().as_bytes())?,
    };
    trust(&tls.chromium_home.join(".pki").join("nssdb"), &ca)?;
    let profile = dir.join("firefox-profile");
    trust(&profile, &ca)?;
    let encoded =
        encode_profile(&profile).or_else(|e| fail(format!("cannot zip the Firefox profile: {e}")))?;
    write("firefox-profile.b64", encoded.as_bytes())?;
    Ok(tls)
}

/// Every name the tests reach the suite by, on loopback (`crosstalk.localhost` too: Chromium and
/// Firefox know `*.localhost` is loopback, the system resolver does not).
fn hosts_file() -> String {
    let mut names: Vec<&str> = PROXIED_NAMES.to_vec();
    names.push(crate::e2e::TEST_PUBLIC_NAME);
    format!("127.0.0.1 localhost\n::1 localhost\n127.0.0.1 {}\n", names.join(" "))
}

/// The CA's certificate, and a certificate for [`SECURE_NAME`] and [`PROXIED_NAMES`] it signed with
/// its key: PEM.
fn sign() -> std::result::Result<(String, String, String), rcgen::Error> {
    let now = time::OffsetDateTime::now_utc();
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name.push(DnType::CommonName, "crosstalk end-to-end test CA");
    // Short-lived on purpose: a run's CA is of no use after the run.
    (ca.not_before, ca.not_after) = (now - time::Duration::days(1), now + time::Duration::days(7));
    let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;
    let mut names = vec![SECURE_NAME.to_owned()];
    names.extend(PROXIED_NAMES.iter().filter(|n| **n != SECURE_NAME).map(|n| (*n).to_owned()));
    let mut server = CertificateParams::new(names)?;
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    (server.not_before, server.not_after) = (now - time::Duration::days(1), now + time::Duration::days(7));
    let key = KeyPair::generate()?;
    let cert = server.signed_by(&key, &issuer)?;
    Ok((issuer.pem(), cert.pem(), key.serialize_pem()))
}

/// An NSS database at `db` that trusts `ca` to identify web sites (`certutil`, libnss3-tools).
fn trust(db: &Path, ca: &Path) -> Result<()> {
    std::fs::create_dir_all(db).or_else(|e| fail(format!("cannot make {}: {e}", db.display())))?;
    let at = format!("sql:{}", db.display());
    run(Command::new("certutil").args(["-N", "--empty-password", "-d", &at]))?;
    run(Command::new("certutil")
        .args(["-A", "-t", "C,,", "-n", "crosstalk-test-ca", "-d", &at, "-i"])
        .arg(ca))
}

/// The profile folder's files, zipped (stored) and base64-encoded.
fn encode_profile(profile: &Path) -> std::io::Result<String> {
    use base64::Engine as _;
    let mut zipped = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for entry in std::fs::read_dir(profile)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            zipped.start_file(entry.file_name().to_string_lossy(), stored).map_err(std::io::Error::other)?;
            zipped.write_all(&std::fs::read(entry.path())?)?;
        }
    }
    let bytes = zipped.finish().map_err(std::io::Error::other)?.into_inner();
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}
