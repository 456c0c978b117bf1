//! Finding and installing what the build and the tests need. Every check is a quick version
//! probe, so a machine that has everything pays a second or two; what is missing is installed
//! from the package registries only (nothing is downloaded from anywhere else).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run::{fail, output_of, run, timed, Result};

/// trunk 0.22 needs a newer rustc than this machine has; 0.21.14 installs and works.
pub const TRUNK_VERSION: &str = "0.21.14";
/// Debian's binaryen (108) and crates.io's wasm-opt (116) cannot read rustc 1.95's output; npm's 132 can.
pub const BINARYEN_VERSION: &str = "132";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn say(message: &str) {
    eprintln!("xtask: {message}");
}

/// Where `cargo install` puts binaries.
fn cargo_bin() -> PathBuf {
    let home = env::var_os("CARGO_HOME").map(PathBuf::from).unwrap_or_else(|| home_dir().join(".cargo"));
    home.join("bin")
}

fn home_dir() -> PathBuf {
    env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"))
}

/// The project's cache, shared by every clone on the machine (`~/.cache/crosstalk`).
pub fn cache_dir() -> PathBuf {
    let cache = env::var_os("XDG_CACHE_HOME").map(PathBuf::from).unwrap_or_else(|| home_dir().join(".cache"));
    cache.join("crosstalk")
}

/// Where the npm-installed binaryen lives.
fn binaryen_dir() -> PathBuf {
    cache_dir().join(format!("binaryen-{BINARYEN_VERSION}"))
}

/// Puts the installed tools first on this process's PATH, so that trunk and every child finds them.
pub fn prepare_path() {
    let mut dirs = vec![binaryen_dir().join("node_modules").join(".bin"), cargo_bin()];
    if let Some(path) = env::var_os("PATH") {
        dirs.extend(env::split_paths(&path));
    }
    if let Ok(path) = env::join_paths(dirs) {
        // Called once at start-up, before any thread exists, so no one reads PATH meanwhile.
        env::set_var("PATH", path);
    }
}

/// Everything `trunk build --release` needs.
pub fn ensure_build_tools(root: &Path) -> Result<()> {
    ensure_dev_tools(root)?;
    ensure_wasm_opt()
}

/// Everything a debug build needs (`cargo xtask dev`): no wasm-opt.
pub fn ensure_dev_tools(root: &Path) -> Result<()> {
    ensure_wasm_target()?;
    ensure_trunk()?;
    ensure_wasm_bindgen(root)
}

fn ensure_wasm_target() -> Result<()> {
    let Some(installed) = output_of("rustup", &["target", "list", "--installed"]) else {
        return fail(format!(
            "rustup is not available to check the {WASM_TARGET} target: install Rust with rustup (https://rustup.rs)"
        ));
    };
    if installed.lines().any(|t| t.trim() == WASM_TARGET) {
        return Ok(());
    }
    say(&format!("adding the {WASM_TARGET} target"));
    timed("the wasm target added", || run(Command::new("rustup").args(["target", "add", WASM_TARGET])))
}

fn ensure_trunk() -> Result<()> {
    let wanted = format!("trunk {TRUNK_VERSION}");
    if output_of("trunk", &["--version"]).as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    say(&format!("installing trunk {TRUNK_VERSION} (cargo install; about 2.5 minutes on 2 cores, once)"));
    timed("trunk installed", || {
        run(cargo_install(Speed::Unimportant).args(["trunk", "--version", TRUNK_VERSION, "--locked"]))
    })
}

/// Whether a tool's own speed matters to anyone waiting on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speed {
    /// It runs on every build (wasm-bindgen, on every module of every rebuild): as its
    /// manifest builds it.
    Matters,
    /// It starts other programs and waits (trunk): built without optimization. trunk then
    /// installs in 2m24 instead of about 7 minutes on 2 cores (its manifest asks for fat LTO and
    /// one codegen unit), and a build it drives takes 0.2 s longer.
    Unimportant,
}

/// `cargo install` into one build folder for every tool (`~/.cache/crosstalk/install-target`),
/// so that what two tools share is built once, and a new version rebuilds only what changed.
pub fn cargo_install(speed: Speed) -> Command {
    let mut command = Command::new(cargo());
    command.arg("install").arg("--target-dir").arg(cache_dir().join("install-target"));
    if speed == Speed::Unimportant {
        command
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", INSTALL_OPT_LEVEL);
    }
    command
}

/// The optimization of a tool whose speed does not matter (see [`Speed::Unimportant`]).
const INSTALL_OPT_LEVEL: &str = "0";

/// The wasm-bindgen version in Cargo.lock: the CLI must be exactly this version.
pub fn locked_wasm_bindgen_version(root: &Path) -> Result<String> {
    let manifest = root.join("Cargo.toml");
    let manifest = manifest.to_string_lossy();
    let Some(pkgid) = output_of(cargo(), &["pkgid", "--manifest-path", &manifest, "-p", "wasm-bindgen"])
    else {
        return fail(
            "cannot read the wasm-bindgen version from Cargo.lock (`cargo pkgid -p wasm-bindgen` failed)",
        );
    };
    match version_from_pkgid(&pkgid) {
        Some(version) => Ok(version),
        None => fail(format!("cannot read a version from `{pkgid}`")),
    }
}

/// `registry+https://…#wasm-bindgen@0.2.130` (or the older `…#0.2.130`) → `0.2.130`.
pub fn version_from_pkgid(pkgid: &str) -> Option<String> {
    let tail = pkgid.rsplit('#').next()?;
    let version = tail.rsplit(['@', ':']).next()?;
    let looks_right = !version.is_empty()
        && version
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    looks_right.then(|| version.to_owned())
}

fn ensure_wasm_bindgen(root: &Path) -> Result<()> {
    let version = locked_wasm_bindgen_version(root)?;
    let wanted = format!("wasm-bindgen {version}");
    let cli_ok = output_of("wasm-bindgen", &["--version"]).as_deref() == Some(wanted.as_str());
    let runner_ok =
        output_of("wasm-bindgen-test-runner", &["--version"]).is_some_and(|v| v.ends_with(&version));
    if cli_ok && runner_ok {
        return Ok(());
    }
    say(&format!("installing wasm-bindgen-cli {version} (the version in Cargo.lock; about 3 minutes, once)"));
    // Not --locked: that lockfile names a webpki-roots version the registry no longer serves.
    timed("wasm-bindgen-cli installed", || {
        run(cargo_install(Speed::Matters).args(["wasm-bindgen-cli", "--version", &version]))
    })
}

fn ensure_wasm_opt() -> Result<()> {
    let wanted = format!("version_{BINARYEN_VERSION}");
    if output_of("wasm-opt", &["--version"]).is_some_and(|v| v.contains(&wanted)) {
        return Ok(());
    }
    if output_of("npm", &["--version"]).is_none() {
        return fail(format!(
            "npm is needed to install a wasm-opt that works (binaryen@{BINARYEN_VERSION}): install Node.js and npm (apt-get install npm)"
        ));
    }
    let dir = binaryen_dir();
    say(&format!("installing wasm-opt (npm binaryen@{BINARYEN_VERSION}) into {}", dir.display()));
    std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    timed("wasm-opt installed (npm)", || {
        run(Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg(format!("binaryen@{BINARYEN_VERSION}")))
    })?;
    match output_of("wasm-opt", &["--version"]) {
        Some(v) if v.contains(&wanted) => Ok(()),
        other => fail(format!("installed binaryen@{BINARYEN_VERSION}, but wasm-opt reports {other:?}")),
    }
}

/// geckodriver, pinned: the version checked with Debian's Firefox ESR (153) here.
pub const GECKODRIVER_VERSION: &str = "0.37.1";

/// A browser engine the end-to-end suite runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    Firefox,
    /// WebKitGTK (Debian's MiniBrowser under Xvfb): WebKit, not Safari.
    WebKit,
}

impl Engine {
    /// What `cargo xtask test` runs when no `--browser` is given, in this order: every engine
    /// (WebKit's few proven marks are in docs/webkit.md).
    pub const ALL: [Engine; 3] = [Engine::Chromium, Engine::Firefox, Engine::WebKit];
    /// Every engine `--browser` takes.
    pub const KNOWN: [Engine; 3] = Engine::ALL;

    pub fn name(self) -> &'static str {
        match self {
            Engine::Chromium => "chromium",
            Engine::Firefox => "firefox",
            Engine::WebKit => "webkit",
        }
    }

    /// `--browser NAME`, as clap reads it.
    pub fn parse_flag(name: &str) -> std::result::Result<Engine, String> {
        Engine::parse(name).map_err(|e| e.to_string())
    }

    /// `--browser NAME`.
    pub fn parse(name: &str) -> Result<Engine> {
        Engine::KNOWN
            .into_iter()
            .find(|e| e.name() == name)
            .map_or_else(|| fail(format!("--browser takes chromium, firefox or webkit, not `{name}`")), Ok)
    }

    /// Flags for tests here. Chromium: root needs --no-sandbox, the closed network the rest.
    /// Firefox: headless, the same window size.
    pub fn args(self) -> &'static [&'static str] {
        match self {
            Engine::Chromium => &[
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--window-size=1280,900",
            ],
            Engine::Firefox => &["-headless", "--width=1280", "--height=900"],
            // MiniBrowser takes orders from WebDriver only with --automation; it draws on Xvfb.
            // Tests open windows from scripts; a blocked popup is not what they test (Firefox
            // gets the same through a preference).
            Engine::WebKit => &["--automation", "--javascript-can-open-windows-automatically=true"],
        }
    }
}

/// A browser and its WebDriver server, for the wasm-bindgen tests and the end-to-end tests.
pub struct Browser {
    pub engine: Engine,
    pub binary: PathBuf,
    pub driver: PathBuf,
}

/// The engine's browser and driver, installed when missing: Debian's packages (`chromium`,
/// `chromium-driver`, `firefox-esr`) and, for Firefox, geckodriver from crates.io (pinned).
pub fn ensure_browser(engine: Engine) -> Result<Browser> {
    match engine {
        Engine::Chromium => ensure_chromium(),
        Engine::Firefox => ensure_firefox(),
        Engine::WebKit => ensure_webkit(),
    }
}

/// Debian's WebKitGTK MiniBrowser (in its library package) and its WebDriver server, and Xvfb,
/// which the browser draws on (it has no headless mode).
pub const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

fn ensure_webkit() -> Result<Browser> {
    let binary = PathBuf::from(MINIBROWSER);
    let found = || (binary.is_file(), which("WebKitWebDriver"), which("Xvfb"));
    if !matches!(found(), (true, Some(_), Some(_))) {
        apt_install(&["webkit2gtk-driver", "xvfb"], "WebKitGTK's WebDriver and Xvfb")?;
    }
    match found() {
        (true, Some(driver), Some(_)) => Ok(Browser { engine: Engine::WebKit, binary, driver }),
        _ => fail(format!("apt-get installed webkit2gtk-driver and xvfb, but {MINIBROWSER}, WebKitWebDriver or Xvfb is missing")),
    }
}

fn ensure_chromium() -> Result<Browser> {
    let found = |binary, driver| Browser { engine: Engine::Chromium, binary, driver };
    if let (Some(chromium), Some(chromedriver)) = (which("chromium"), which("chromedriver")) {
        return Ok(found(chromium, chromedriver));
    }
    apt_install(&["chromium", "chromium-driver"], "Chromium and its driver")?;
    match (which("chromium"), which("chromedriver")) {
        (Some(chromium), Some(chromedriver)) => Ok(found(chromium, chromedriver)),
        _ => fail("apt-get installed chromium and chromium-driver, but they are not on PATH"),
    }
}

fn ensure_firefox() -> Result<Browser> {
    let firefox = || which("firefox-esr").or_else(|| which("firefox"));
    if firefox().is_none() {
        apt_install(&["firefox-esr"], "Firefox ESR")?;
    }
    let binary =
        firefox().map_or_else(|| fail("apt-get installed firefox-esr, but it is not on PATH"), Ok)?;
    let wanted = format!("geckodriver {GECKODRIVER_VERSION}");
    let has = |v: String| v.lines().next().is_some_and(|l| l.starts_with(&wanted));
    if !output_of("geckodriver", &["--version"]).is_some_and(has) {
        say(&format!("installing geckodriver {GECKODRIVER_VERSION} (cargo install; about 2 minutes, once)"));
        run(cargo_install(Speed::Unimportant).args([
            "geckodriver",
            "--version",
            GECKODRIVER_VERSION,
            "--locked",
        ]))?;
    }
    let driver =
        which("geckodriver").map_or_else(|| fail("geckodriver was installed but is not on PATH"), Ok)?;
    Ok(Browser { engine: Engine::Firefox, binary, driver })
}

/// `redis-server`, for the tests of rooms shared by several relay instances (each test starts
/// its own on a free port and stops it; nothing else on the machine is touched). Debian's
/// package, as for Chromium; its service is not started here.
pub fn ensure_redis() -> Result<PathBuf> {
    if let Some(redis) = which("redis-server") {
        return Ok(redis);
    }
    apt_install(&["redis-server"], "Redis (for the relay's tests across instances)")?;
    which("redis-server").map_or_else(|| fail("apt-get installed redis-server, but it is not on PATH"), Ok)
}

/// `certutil` (Debian's libnss3-tools), which makes the NSS databases the https tests' browsers
/// trust the run's own CA through.
pub fn ensure_certutil() -> Result<()> {
    if which("certutil").is_some() {
        return Ok(());
    }
    apt_install(&["libnss3-tools"], "certutil (for the https tests' certificate authority)")?;
    which("certutil")
        .map_or_else(|| fail("apt-get installed libnss3-tools, but certutil is not on PATH"), |_| Ok(()))
}

/// Caddy (Debian's package), the reverse proxy the end-to-end run puts in front of a suite the way
/// `docs/hosting.md` does; its service is not started here.
pub fn ensure_caddy() -> Result<PathBuf> {
    if let Some(caddy) = which("caddy") {
        return Ok(caddy);
    }
    apt_install(&["caddy"], "Caddy (for the test behind a reverse proxy)")?;
    which("caddy").map_or_else(|| fail("apt-get installed caddy, but it is not on PATH"), Ok)
}

/// Installs Debian `packages` when run as root, or says how to.
fn apt_install(packages: &[&str], what: &str) -> Result<()> {
    let is_root = output_of("id", &["-u"]).as_deref() == Some("0");
    let list = packages.join(" ");
    if !is_root || which("apt-get").is_none() {
        return fail(format!("{what} missing: install with `sudo apt-get install {list}`"));
    }
    say(&format!("installing {list} with apt-get (once)"));
    run(Command::new("apt-get").args(["update", "-q"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

/// The first `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path).map(|dir| dir.join(name)).find(|candidate| candidate.is_file())
}

/// The cargo that runs us (so a rustup toolchain override applies to children too).
pub fn cargo() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_both_pkgid_formats() {
        let new = "registry+https://github.com/rust-lang/crates.io-index#wasm-bindgen@0.2.130";
        assert_eq!(version_from_pkgid(new).as_deref(), Some("0.2.130"));
        let old = "https://github.com/rust-lang/crates.io-index#wasm-bindgen:0.2.92";
        assert_eq!(version_from_pkgid(old).as_deref(), Some("0.2.92"));
        assert_eq!(version_from_pkgid("garbage#"), None);
    }

    #[test]
    fn the_locked_wasm_bindgen_is_pinned_exactly_in_the_manifest() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let locked = locked_wasm_bindgen_version(root).unwrap();
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains(&format!("wasm-bindgen = \"={locked}\"")),
            "pin wasm-bindgen = \"={locked}\""
        );
    }
}
