//! `crosstalk-server`: the suite and its relay without the build steps of `cargo xtask serve`: the
//! one file a class's server needs (`cargo xtask dist` builds the suite into it; docs/hosting.md),
//! or several relay instances against one Redis (see the README).
//!
//! ```sh
//! crosstalk-server --dist dist --port 8080 --redis redis://127.0.0.1:6379
//! crosstalk-server --dist dist --port 8090 --redis redis://127.0.0.1:6379
//! ```

use std::process::ExitCode;

use clap::Parser;
use crosstalk_server::args::ServerCli;
use crosstalk_server::Suite;

fn main() -> ExitCode {
    let _ = tracing_subscriber::fmt().with_target(false).with_writer(std::io::stderr).try_init();
    // `--help`, and a wrong flag named with what it takes, are clap's.
    let cli = ServerCli::parse();
    let dist = match cli.dist_folder() {
        Ok(dist) => dist,
        Err(e) => {
            eprintln!("crosstalk-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    let serve = cli.serve;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("crosstalk-server: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(async {
        let suite =
            Suite::start(serve.config(dist).map_err(|e| e.to_string())?).await.map_err(|e| e.to_string())?;
        let bus = serve.redis.as_deref().unwrap_or("this process only (no --redis)");
        // One line for scripts to wait on: where it is, and where rooms live.
        println!(
            "crosstalk-server: serving {} (provider {}, isolated {}), rooms: {bus}",
            suite.app_url(),
            suite.provider_url(),
            suite.isolated_url()
        );
        let _ = tokio::signal::ctrl_c().await;
        suite.shutdown().await;
        Ok::<_, String>(())
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("crosstalk-server: {why}");
            ExitCode::FAILURE
        }
    }
}
