//! `cargo xtask serve [--port P]` and `cargo xtask test`: the two commands a new user runs.
//!
//! This file reads the command line (clap) and holds what several commands share (the build, the
//! runtime, the suite). Each command lives in its own module: `serve`, `pipeline` (`test`), `e2e`,
//! `bench` (`bench` and `audit`); `tools` installs what is missing, `finish` is what the build does
//! after trunk.

mod audit;
mod bench;
mod caddy;
mod capabilities;
mod certs;
mod dev;
mod dist;
mod e2e;
mod finish;
mod pipeline;
mod relay_load;
mod run;
mod serve;
mod sizes;
mod split_sizes;
mod tools;
mod xvfb;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use clap::Parser;
use crosstalk_server::args::ServeArgs;
use crosstalk_server::{Suite, SuiteConfig};
use run::{fail, run, timed, Result};
use tools::Engine;

/// The developer's commands. `serve` and `test` are the two a new user runs.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
enum Cli {
    /// Install what is missing, build in release, serve the app (default 127.0.0.1:8080), the
    /// payment provider's origin on the next port, and the relay. For other machines: --host
    /// 0.0.0.0, --public-origin https://<the name they type>:8080, --tls-cert and --tls-key
    /// (docs/hosting.md)
    Serve(Box<ServeArgs>),
    /// The inner loop: a debug build (no wasm-opt, prerendering or compression), served with
    /// serve's flags, rebuilt on every change; open tabs reload themselves after each rebuild
    Dev {
        #[command(flatten)]
        serve: Box<ServeArgs>,
        /// Time an edit (a literal in src/pages/broadcast.rs, a value in en.json) until an open tab
        /// in headless Chromium shows it, three times each, and print the medians
        #[arg(long)]
        measure: bool,
    },
    /// Native tests, wasm tests in headless Chromium, the release build, end-to-end tests
    Test {
        /// One engine only: chromium, firefox or webkit [default: all three, in that order]
        #[arg(long, value_parser = Engine::parse_flag)]
        browser: Option<Engine>,
        /// Only the native and wasm tests: no lint, no release build, no end-to-end tests
        #[arg(long)]
        quick: bool,
    },
    /// Install what is missing and build in release into dist/
    Build,
    /// Build the suite into one crosstalk-server binary that serves it from an empty folder: the
    /// file to copy to a class's server (docs/hosting.md); its path is the last line printed
    Dist,
    /// Build in release and run only the end-to-end tests, with the servers and browser `test` uses
    E2e {
        /// One engine only: chromium, firefox or webkit [default: all three, in that order]
        #[arg(long, value_parser = Engine::parse_flag)]
        browser: Option<Engine>,
        /// Only the tests whose names contain one of these
        filters: Vec<String>,
    },
    /// /bench in headless Chromium (every mechanism through crosstalk and through plain JS,
    /// repeated until two runs agree within 10%), the shipped sizes against their budgets, the
    /// relay load run, and failovers on /stock. Figures are printed, not asserted
    Bench {
        /// The engine [default: chromium]
        #[arg(long, value_parser = Engine::parse_flag)]
        browser: Option<Engine>,
        /// Narrows the run: 'mechanisms=broadcast,storage&payloads=100', 'cloned=1', or
        /// 'failover' for the failovers alone, 'limit' for the Atomics limit row alone
        query: Option<String>,
    },
    /// The relay load run itself (what `bench` starts, built optimized)
    #[command(hide = true)]
    BenchRun,
    /// Lighthouse (mobile) and axe-core on every page a reader opens, or the PATHs given, in
    /// English and 中文, against the release build and their targets
    Audit {
        /// Pages to audit [default: every page a reader opens]
        paths: Vec<String>,
    },
    /// /capabilities in Chromium, Firefox and WebKitGTK, and the matrix they answered written
    /// into docs/capabilities.md
    Capabilities,
    /// The prototype of one wasm module per route (src/split.rs), cut with wasm-split-cli, and what
    /// each route would transfer; measured, not served
    SplitSizes,
}

fn main() -> ExitCode {
    tools::prepare_path();
    // `--help` (on every command) and a wrong word, named with what is taken, are clap's.
    let result = match Cli::parse() {
        Cli::Serve(args) => serve::serve(*args),
        Cli::Dev { serve, measure } => dev::dev(*serve, measure),
        Cli::Test { browser, quick } => pipeline::test(engines_or_all(browser), quick),
        Cli::Build => tools::ensure_build_tools(&root()).and_then(|()| build_release(&root())),
        Cli::Dist => dist::dist(),
        Cli::E2e { browser, filters } => e2e::only_end_to_end(engines_or_all(browser), &filters),
        Cli::Bench { browser, query } => bench::bench(browser.unwrap_or(Engine::Chromium), query.as_deref()),
        Cli::BenchRun => bench::bench_run(),
        Cli::Audit { paths } => bench::audit(&paths),
        Cli::Capabilities => capabilities::capabilities(),
        Cli::SplitSizes => tools::ensure_build_tools(&root()).and_then(|()| split_sizes::measure(&root())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let message = failure.to_string();
            eprintln!("xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The engine `--browser` named, or every one.
fn engines_or_all(browser: Option<Engine>) -> Vec<Engine> {
    browser.map_or_else(|| Engine::ALL.to_vec(), |engine| vec![engine])
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

fn build_release(root: &Path) -> Result<()> {
    eprintln!("xtask: building the suite in release (trunk build --release)");
    timed("the release build (trunk build --release)", || {
        run(Command::new("trunk").args(["build", "--release"]).current_dir(root))
    })?;
    finish::finish(root, &root.join("dist"))?;
    eprint!("{}", sizes::report(&sizes::measure(&root.join("dist"))));
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .or_else(|e| fail(format!("cannot start the async runtime: {e}")))
}

fn start_suite(runtime: &tokio::runtime::Runtime, config: SuiteConfig) -> Result<Suite> {
    runtime.block_on(Suite::start(config)).or_else(|e| {
        let hint =
            if e.kind() == std::io::ErrorKind::AddrInUse { " (choose another with --port P)" } else { "" };
        fail(format!("{e}{hint}"))
    })
}

/// `1m06s`, `2.5s`.
fn took(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_their_flags() {
        let cli = |line: &str| Cli::try_parse_from(std::iter::once("xtask").chain(line.split_whitespace()));
        assert!(matches!(cli("test").unwrap(), Cli::Test { browser: None, quick: false }));
        assert!(matches!(cli("test --quick").unwrap(), Cli::Test { browser: None, quick: true }));
        assert!(matches!(
            cli("test --browser=firefox").unwrap(),
            Cli::Test { browser: Some(Engine::Firefox), quick: false }
        ));
        let wrong = cli("test --browser safari").unwrap_err().to_string();
        assert!(wrong.contains("--browser") && wrong.contains("chromium, firefox or webkit"), "{wrong}");
        assert!(matches!(
            cli("e2e --browser webkit").unwrap(),
            Cli::E2e { browser: Some(Engine::WebKit), .. }
        ));
        match cli("e2e --browser chromium paying forged").unwrap() {
            Cli::E2e { browser, filters } => {
                assert_eq!(
                    (browser, filters),
                    (Some(Engine::Chromium), vec!["paying".into(), "forged".into()])
                )
            }
            other => panic!("{other:?}"),
        }
        match cli("bench cloned=1").unwrap() {
            Cli::Bench { browser, query } => {
                assert_eq!((browser, query.as_deref()), (None, Some("cloned=1")))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(cli("serve --port 9000").unwrap(), Cli::Serve(args) if args.port == 9000));
        assert!(cli("launch").is_err());
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(took(Duration::from_millis(2500)), "2.5s");
        assert_eq!(took(Duration::from_secs(66)), "1m06s");
    }
}
