//! A reverse proxy in front of a suite, for the end-to-end run: Debian's Caddy running the docs'
//! own configuration (`docs/Caddyfile`), with the run's names, free loopback ports and test
//! certificate given through the environment — so the configuration a reader copies is the one
//! tested. TLS ends at Caddy; the three origins are three names on one port. Stopped on drop.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::certs::{TestTls, PROXIED_NAMES};
use crate::e2e::Scratch;
use crate::run::{fail, Result};
use crate::tools;

/// A running Caddy: the one port its three names share.
pub(crate) struct Caddy {
    child: Child,
    pub port: u16,
    _scratch: Scratch,
}

/// A port nobody listens on now (the kernel's pick, let go of at once).
pub(crate) fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .or_else(|e| fail(format!("cannot find a free port: {e}")))
}

impl Caddy {
    /// Caddy with `docs/Caddyfile` in front of `upstreams` (the app's, the provider's and the
    /// isolated origin's listeners), on loopback, with the run's certificate.
    pub(crate) fn start(root: &Path, tls: &TestTls, upstreams: [SocketAddr; 3]) -> Result<Caddy> {
        let caddy = tools::ensure_caddy()?;
        let scratch = Scratch::new("caddy")?;
        let (port, http_port) = (free_port()?, free_port()?);
        let [app, provider, isolated] = PROXIED_NAMES;
        let log = std::fs::File::create(scratch.path().join("caddy.log"))
            .or_else(|e| fail(format!("cannot write Caddy's log: {e}")))?;
        let child = Command::new(caddy)
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(root.join("docs").join("Caddyfile"))
            .env("CROSSTALK_BIND", "127.0.0.1")
            .env("CROSSTALK_HTTPS_PORT", port.to_string())
            .env("CROSSTALK_HTTP_PORT", http_port.to_string())
            .env("CROSSTALK_APP_NAME", app)
            .env("CROSSTALK_PROVIDER_NAME", provider)
            .env("CROSSTALK_ISOLATED_NAME", isolated)
            .env("CROSSTALK_APP_UPSTREAM", upstreams[0].to_string())
            .env("CROSSTALK_PROVIDER_UPSTREAM", upstreams[1].to_string())
            .env("CROSSTALK_ISOLATED_UPSTREAM", upstreams[2].to_string())
            .env("CROSSTALK_TLS", format!("tls {} {}", tls.cert.display(), tls.key.display()))
            // Its storage (locks, OCSP) in the run's scratch folder, not the machine's.
            .env("XDG_DATA_HOME", scratch.path())
            .env("XDG_CONFIG_HOME", scratch.path())
            .env("HOME", scratch.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().or_else(|e| fail(format!("Caddy's log: {e}")))?)
            .stderr(log)
            .spawn()
            .or_else(|e| fail(format!("cannot start caddy: {e}")))?;
        let mut running = Caddy { child, port, _scratch: scratch };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = running.child.try_wait() {
                let said =
                    std::fs::read_to_string(running._scratch.path().join("caddy.log")).unwrap_or_default();
                return fail(format!("caddy stopped at start ({status}): {said}"));
            }
            if Instant::now() > deadline {
                return fail("caddy did not start listening within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(running)
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
