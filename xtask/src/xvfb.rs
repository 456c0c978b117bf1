//! An X display of the run's own (Xvfb), for WebKitGTK's MiniBrowser, which has no headless mode.
//! Stopped on drop; nothing else on the machine is touched.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::run::{fail, Result};

pub(crate) struct Xvfb {
    child: Child,
    /// `:N`, for `DISPLAY`.
    pub display: String,
}

impl Xvfb {
    /// Starts Xvfb on the first free display from :90 and waits until it takes clients.
    pub(crate) fn start() -> Result<Xvfb> {
        let free = (90..190).find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        });
        let Some(number) = free else { return fail("no free X display between :90 and :189") };
        let display = format!(":{number}");
        let child = Command::new("Xvfb")
            .args([display.as_str(), "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .or_else(|e| fail(format!("cannot start Xvfb: {e}")))?;
        let mut xvfb = Xvfb { child, display };
        let socket = format!("/tmp/.X11-unix/X{number}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !Path::new(&socket).exists() {
            if let Ok(Some(status)) = xvfb.child.try_wait() {
                return fail(format!("Xvfb {} stopped at start ({status})", xvfb.display));
            }
            if Instant::now() > deadline {
                return fail(format!("Xvfb {} did not start within 20 s", xvfb.display));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(xvfb)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
