//! A `redis-server` of one's own, for the relay's tests and `cargo xtask bench`: on a free
//! loopback port, saving nothing, in a folder of its own; stopped (and the folder removed) on
//! drop. Nothing else on the machine is touched. Debian's package (`cargo xtask test` installs it);
//! `CROSSTALK_REDIS_SERVER` names another binary.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct LocalRedis {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl LocalRedis {
    /// Starts one and waits until it answers PING.
    pub fn start(name: &str) -> Result<LocalRedis, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port for redis-server: {e}"))?
            .port();
        let dir = std::env::temp_dir().join(format!("crosstalk-redis-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        let mut redis = LocalRedis { child: None, port, dir };
        redis.resume()?;
        Ok(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it again, on the same port (empty: it saved nothing).
    pub fn resume(&mut self) -> Result<(), String> {
        let binary = std::env::var("CROSSTALK_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let port = self.port.to_string();
        let child = Command::new(&binary)
            .args(["--port", &port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {binary} ({e}): `cargo xtask test` installs it (apt-get install redis-server)"))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers() {
            if Instant::now() > deadline {
                return Err(format!("redis-server on port {port} never answered PING"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn answers(&self) -> bool {
        let Ok(client) = redis::Client::open(self.url()) else { return false };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_millis(200)) else {
            return false;
        };
        redis::cmd("PING").query::<String>(&mut conn).is_ok_and(|pong| pong == "PONG")
    }

    /// Stops it (SIGKILL: what a crashed broker looks like).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for LocalRedis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
