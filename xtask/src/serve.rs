//! `cargo xtask serve`: build, then serve the suite and say where it is.

use std::path::Path;
use std::time::Instant;

use crosstalk_server::args::ServeArgs;
use crosstalk_server::{Suite, SuiteConfig};

use crate::run::Result;
use crate::tools::{self};
use crate::{build_release, root, runtime, start_suite, took};

/// The suite's configuration for `serve`'s flags.
pub(crate) fn serve_config(root: &Path, args: &ServeArgs) -> Result<SuiteConfig> {
    Ok(args.config(root.join("dist"))?)
}

/// Says what a command's output is for, on standard error (the relay's refusals and closes).
pub(crate) fn log_to_stderr() {
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_target(false)
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .try_init();
}

pub(crate) fn serve(args: ServeArgs) -> Result<()> {
    log_to_stderr();
    let root = root();
    let config = serve_config(&root, &args)?;
    // A certificate that cannot be served is said now, not after the build.
    config.check_tls()?;
    let setup = Instant::now();
    tools::ensure_build_tools(&root)?;
    eprintln!("xtask: tools ready in {}", took(setup.elapsed()));
    build_release(&root)?;
    let runtime = runtime()?;
    let suite = start_suite(&runtime, config)?;
    eprintln!("xtask: where the wait went:");
    eprint!("{}", crate::run::stages_report(setup.elapsed()));
    announce(&suite, &args);
    println!("(open the same address in several tabs to watch them talk; Ctrl-C stops the server)");
    until_ctrl_c(&runtime, suite);
    Ok(())
}

/// Serves until Ctrl-C, then closes every relay client properly.
pub(crate) fn until_ctrl_c(runtime: &tokio::runtime::Runtime, suite: Suite) {
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("xtask: stopping: every relay client is told 1001 (going away)");
        suite.shutdown().await;
    });
    eprintln!("xtask: stopped");
}

/// Where the suite is, as the reader should type it, and what else is served.
pub(crate) fn announce(suite: &Suite, args: &ServeArgs) {
    let app = suite.app_url();
    let open = match &args.public_origin {
        Some(origin) => origin.trim_end_matches('/').to_owned(),
        None if args.host.is_unspecified() => app.replace(&args.host.to_string(), "127.0.0.1"),
        None => app,
    };
    let on_port = |port: u16, url: String| match open.rsplit_once(':') {
        Some((name, _port)) => format!("{name}:{port}"),
        None => url,
    };
    let provider = on_port(suite.provider_port(), suite.provider_url());
    let isolated = on_port(suite.isolated_port(), suite.isolated_url());
    println!();
    println!("crosstalk is being served. Open {open}/");
    println!("(the payment provider's origin, framed by the Payment route: {provider}/)");
    println!("(the cross-origin isolated origin, where /atomics lives: {isolated}/atomics)");
    let relay = match open.split_once("://") {
        Some((scheme, rest)) => format!("{}://{rest}", if scheme == "https" { "wss" } else { "ws" }),
        None => open.clone(),
    };
    println!("(the relay of the WebSocket route: {relay}/ws, and how it is doing: {open}/health)");
    let secure = args.tls_cert.is_some();
    if args.host.is_unspecified() && args.public_origin.is_none() {
        println!(
            "(listening on every interface: for other machines, add --public-origin https://<this machine's name>:{} with --tls-cert and --tls-key; see docs/hosting.md)",
            args.port
        );
    } else if !args.host.is_loopback() && !secure {
        println!("(other machines reach it too, over plain http: only on a network you trust, and there Web Locks, the Service Worker and /atomics are off, for want of a secure context; docs/hosting.md)");
    }
    match &args.redis {
        Some(url) => {
            println!("(the relay's rooms are shared through Redis at {url} with every instance on it)")
        }
        None => {
            println!("(the relay's rooms live in this process; --redis URL shares them with other instances)")
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    #[test]
    fn serve_flag_forms() {
        let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        let parsed = |s: &str| crosstalk_server::args::parse_serve(&words(s));
        let loopback = IpAddr::from([127, 0, 0, 1]);
        let default = ServeArgs { port: 8080, host: loopback, ..ServeArgs::default() };
        assert_eq!(parsed("").unwrap(), default);
        assert_eq!(parsed("--port 9000").unwrap().port, 9000);
        let both = parsed("--port=9001 --provider-port 9100").unwrap();
        assert_eq!((both.port, both.provider), (9001, Some(9100)));
        let lan = parsed("--host 0.0.0.0 --public-origin=http://192.168.1.20:8080").unwrap();
        assert_eq!(
            (lan.host, lan.public_origin.as_deref()),
            (IpAddr::from([0, 0, 0, 0]), Some("http://192.168.1.20:8080"))
        );
        assert!(parsed("--port x").unwrap_err().contains("--port"));
        assert!(parsed("--port").unwrap_err().contains("--port"));
        assert!(parsed("--host mybox").unwrap_err().contains("--host"));
        assert!(parsed("--verbose 1").is_err());
    }

    #[test]
    fn a_public_origin_on_another_port_or_scheme_is_refused_before_anything_is_built() {
        let args = |origin: &str| ServeArgs {
            port: 8080,
            provider: None,
            host: IpAddr::from([0, 0, 0, 0]),
            public_origin: Some(origin.into()),
            ..ServeArgs::default()
        };
        let config = serve_config(Path::new("/x"), &args("http://mybox.lan:8080")).unwrap();
        assert_eq!(config.public_names, ["mybox.lan"]);
        assert!(serve_config(Path::new("/x"), &args("http://mybox.lan:9999"))
            .unwrap_err()
            .to_string()
            .contains("port 8080"));
        let https = serve_config(Path::new("/x"), &args("https://mybox.lan:8080")).unwrap_err().to_string();
        assert!(https.contains("--tls-cert"), "https needs a certificate: {https}");
        let last = ServeArgs { port: 65535, ..args("http://mybox.lan:65535") };
        assert!(serve_config(Path::new("/x"), &last).unwrap_err().to_string().contains("no next port"));
    }
}
