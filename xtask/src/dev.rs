//! `cargo xtask dev`: the inner loop. A debug build (no wasm-opt, no prerendering, no
//! compression), served with `serve`'s flags and rebuilt by `trunk watch` on every change to the
//! app's sources or words; the server reads each new build as trunk finishes it, and open tabs
//! reload themselves (`src/dev_reload.rs`). `--measure` times an edit to the open tab.

use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crosstalk_server::args::ServeArgs;
use crosstalk_server::Suite;

use crate::e2e::{session_env, Drivers};
use crate::run::{fail, run, Result};
use crate::serve;
use crate::tools::{self, cargo, Engine};
use crate::{root, runtime, start_suite, took};

/// What trunk need not watch: a change there does not change the app.
const NOT_THE_APP: &[&str] = &["docs", "e2e", "xtask", "server", "tests", ".ci", "README.md"];

pub(crate) fn dev(args: ServeArgs, measure: bool) -> Result<()> {
    serve::log_to_stderr();
    let root = root();
    let dist = root.join("target").join("dev").join("dist");
    let mut config = args.config(dist.clone())?;
    config.watch_dist = true;
    config.check_tls()?;
    let setup = Instant::now();
    tools::ensure_dev_tools(&root)?;
    let mut watch = TrunkWatch::start(&root, &dist)?;
    watch.first_build(&dist)?;
    eprintln!("xtask: first debug build served {} after the start", took(setup.elapsed()));
    let runtime = runtime()?;
    let suite = start_suite(&runtime, config)?;
    if measure {
        let measured = measure_loop(&root, &suite);
        runtime.block_on(suite.shutdown());
        return measured;
    }
    serve::announce(&suite, &args);
    println!("(a debug build: trunk rebuilds it on each change, and open tabs reload themselves; Ctrl-C stops both)");
    serve::until_ctrl_c(&runtime, suite);
    drop(watch);
    Ok(())
}

/// `trunk watch`, in a process group of its own so that stopping it stops its cargo too.
struct TrunkWatch {
    child: Child,
}

impl TrunkWatch {
    fn start(root: &Path, dist: &Path) -> Result<TrunkWatch> {
        let mut command = Command::new("trunk");
        command.arg("watch").arg("--dist").arg(dist).current_dir(root).process_group(0);
        for ignored in NOT_THE_APP {
            command.arg("--ignore").arg(root.join(ignored));
        }
        eprintln!("xtask: building in debug and watching for changes (trunk watch)");
        match command.spawn() {
            Ok(child) => Ok(TrunkWatch { child }),
            Err(e) => fail(format!("cannot start trunk watch: {e}")),
        }
    }

    /// Waits for trunk's first build to be in place (its staging folder gone); a page left by an
    /// earlier `dev` is removed first, so it is not taken for this one.
    fn first_build(&mut self, dist: &Path) -> Result<()> {
        let _ = std::fs::remove_file(dist.join("index.html"));
        loop {
            if dist.join("index.html").is_file() && !dist.join(".stage").exists() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return fail(format!("trunk watch stopped before its first build ({status}): see above"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for TrunkWatch {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// Times an edit to an open tab in headless Chromium (`e2e/src/bin/dev_loop.rs`).
fn measure_loop(root: &Path, suite: &Suite) -> Result<()> {
    let browser = tools::ensure_browser(Engine::Chromium)?;
    let drivers = Drivers::start(&browser, 1, None)?;
    let mut command = Command::new(cargo());
    session_env(&mut command, &browser, &drivers);
    let result = run(command
        .args(["run", "--quiet", "-p", "crosstalk-e2e", "--bin", "dev_loop"])
        .env("CROSSTALK_BASE_URL", suite.app_url())
        .env("CROSSTALK_ROOT", root)
        .current_dir(root));
    drop(drivers);
    result
}
