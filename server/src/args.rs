//! The serving flags shared by `cargo xtask serve` and the `crosstalk-server` binary: where to
//! listen, which name other machines use, and Redis when rooms span several instances.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use crate::{public_name, SuiteConfig};

/// How the suite was asked to be served.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeArgs {
    pub port: u16,
    pub provider: Option<u16>,
    /// The address to listen on: loopback unless other machines should reach the suite.
    pub host: IpAddr,
    /// What other machines type, e.g. `http://192.168.1.20:8080`.
    pub public_origin: Option<String>,
    /// Redis, for rooms shared by several relay instances (`redis://127.0.0.1:6379`).
    pub redis: Option<String>,
    /// Origins besides the app's own whose pages may use the relay: a load balancer in front
    /// of several instances (`--relay-origin http://lb.lan`).
    pub relay_origins: Vec<String>,
    /// Trunk's output (the binary only; `cargo xtask serve` builds and serves `dist/`).
    pub dist: Option<PathBuf>,
    /// Connections one client address may hold, on the HTTP side and the relay alike (behind a
    /// load balancer every client has the balancer's address: raise it there).
    pub per_address: Option<usize>,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            port: 8080,
            provider: None,
            host: IpAddr::from([127, 0, 0, 1]),
            public_origin: None,
            redis: None,
            relay_origins: Vec::new(),
            dist: None,
            per_address: None,
        }
    }
}

/// The flags, each as `--flag value` or `--flag=value`; `--dist` only where `takes_dist`.
pub const FLAGS: &str =
    "--port P, --provider-port Q, --host ADDR, --public-origin URL, --redis URL, --relay-origin URL and --per-address N";

/// Reads the flags; a wrong one is an error that says what is taken.
pub fn parse_serve(args: &[String], takes_dist: bool) -> Result<ServeArgs, String> {
    let mut serve = ServeArgs::default();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (word.as_str(), None),
        };
        let value = inline.or_else(|| words.next().cloned()).ok_or(format!("{flag} needs a value"))?;
        let port = || value.parse::<u16>().map_err(|_| format!("{flag} takes a port number, not `{value}`"));
        match flag {
            "--port" => serve.port = port()?,
            "--provider-port" => serve.provider = Some(port()?),
            "--host" => {
                serve.host = value.parse().map_err(|_| {
                    format!(
                    "--host takes an IP address to listen on (0.0.0.0 for every interface), not `{value}`"
                )
                })?
            }
            "--public-origin" => serve.public_origin = Some(value),
            "--redis" if value.starts_with("redis://") => serve.redis = Some(value),
            "--redis" => {
                return Err(format!("--redis takes a URL such as redis://127.0.0.1:6379, not `{value}`"))
            }
            "--relay-origin" => {
                crate::relay_origin(&value)?;
                serve.relay_origins.push(value);
            }
            "--dist" if takes_dist => serve.dist = Some(PathBuf::from(value)),
            "--per-address" => match value.parse::<usize>() {
                Ok(n) if n > 0 => serve.per_address = Some(n),
                _ => {
                    return Err(format!("--per-address takes a number of connections above 0, not `{value}`"))
                }
            },
            other => {
                let dist = if takes_dist { ", --dist DIR" } else { "" };
                return Err(format!("serve takes {FLAGS}{dist}, not `{other}`"));
            }
        }
    }
    Ok(serve)
}

impl ServeArgs {
    /// The suite's configuration for these flags, serving `dist`.
    pub fn config(&self, dist: PathBuf) -> Result<SuiteConfig, String> {
        let app = SocketAddr::new(self.host, self.port);
        let mut config = SuiteConfig::on_ports(dist, app, self.provider)?;
        if let Some(origin) = &self.public_origin {
            config.public_names.push(public_name(origin, self.port)?);
        }
        config.redis = self.redis.clone();
        if let Some(n) = self.per_address {
            config.relay_limits.max_connections_per_address = n;
            config.http_limits.max_connections_per_address = n;
        }
        for origin in &self.relay_origins {
            let (origin, name) = crate::relay_origin(origin)?;
            config.relay_origins.push(origin);
            config.public_names.push(name);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn flags_read_in_either_form_and_redis_is_a_url() {
        let serve = parse_serve(&words("--port=9000 --redis redis://10.0.0.5:6379"), false).unwrap();
        assert_eq!((serve.port, serve.redis.as_deref()), (9000, Some("redis://10.0.0.5:6379")));
        assert!(parse_serve(&words("--redis localhost"), false).unwrap_err().contains("redis://"));
        assert!(parse_serve(&words("--dist dist"), false).unwrap_err().contains("not `--dist`"));
        assert_eq!(parse_serve(&words("--dist out"), true).unwrap().dist, Some(PathBuf::from("out")));
        assert!(parse_serve(&words("--port"), false).unwrap_err().contains("needs a value"));
        let config = parse_serve(&words("--per-address 2000"), false).unwrap().config("d".into()).unwrap();
        assert_eq!(config.relay_limits.max_connections_per_address, 2000);
        assert_eq!(config.http_limits.max_connections_per_address, 2000);
        assert!(parse_serve(&words("--per-address 0"), false).unwrap_err().contains("above 0"));
        let config = parse_serve(&words("--redis redis://h:1"), false).unwrap().config("d".into()).unwrap();
        assert_eq!(config.redis.as_deref(), Some("redis://h:1"));
        let behind =
            parse_serve(&words("--relay-origin http://LB.lan/ --relay-origin http://127.0.0.1:9000"), false)
                .unwrap()
                .config("d".into())
                .unwrap();
        assert_eq!(behind.relay_origins, ["http://lb.lan", "http://127.0.0.1:9000"]);
        assert!(behind.public_names.contains(&"lb.lan".to_owned()), "its Host is answered");
        assert!(parse_serve(&words("--relay-origin https://lb.lan"), false).is_err());
    }
}
