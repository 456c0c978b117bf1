//! The serving flags shared by `cargo xtask serve` and the `crosstalk-server` binary: where to
//! listen, which name other machines use, and Redis when rooms span several instances.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use crate::tls::TlsFiles;
use crate::{public_name, ConfigError, Scheme, SuiteConfig};

/// How the suite was asked to be served.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct ServeArgs {
    /// The app's port
    #[arg(long, value_name = "P", default_value_t = 8080)]
    pub port: u16,
    /// The payment provider's port [default: P+1]
    #[arg(long = "provider-port", value_name = "Q")]
    pub provider: Option<u16>,
    /// The cross-origin isolated origin's port, for /atomics [default: Q+1]
    #[arg(long = "isolated-port", value_name = "R")]
    pub isolated: Option<u16>,
    /// The address to listen on: 0.0.0.0 (or this machine's LAN address) lets other machines in
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// What other machines type, e.g. https://classroom.example:8080 (https needs --tls-cert and
    /// --tls-key) or http://192.168.1.20:8080
    #[arg(long = "public-origin", value_name = "URL")]
    pub public_origin: Option<String>,
    /// Behind a reverse proxy: the payment provider's public origin, e.g. https://pay.example
    /// (needs --trusted-proxy)
    #[arg(long = "provider-origin", value_name = "URL")]
    pub provider_origin: Option<String>,
    /// Behind a reverse proxy: the isolated origin's public origin (/atomics), e.g.
    /// https://atomics.example (needs --trusted-proxy)
    #[arg(long = "isolated-origin", value_name = "URL")]
    pub isolated_origin: Option<String>,
    /// A reverse proxy in front of this server (its address as this server sees it, e.g.
    /// 127.0.0.1): its X-Forwarded-For is believed, so the relay's per-address cap counts the
    /// clients it forwards for (repeatable). TLS may end there
    #[arg(long = "trusted-proxy", value_name = "ADDR")]
    pub trusted_proxies: Vec<IpAddr>,
    /// Serve every origin over https (and the relay over wss) with this certificate chain (PEM,
    /// the server's own certificate first); it must cover the --public-origin's name
    #[arg(long = "tls-cert", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM)
    #[arg(long = "tls-key", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Redis, to share the relay's rooms with every instance on it, e.g. redis://127.0.0.1:6379
    #[arg(long, value_name = "URL", value_parser = redis_url)]
    pub redis: Option<String>,
    /// An origin besides the app's own whose pages may use the relay: a load balancer in front of
    /// several instances, e.g. http://lb.lan (repeatable)
    #[arg(long = "relay-origin", value_name = "URL", value_parser = relay_origin_flag)]
    pub relay_origins: Vec<String>,
    /// Connections one client address may hold, on the HTTP side and the relay alike (behind a
    /// load balancer every client has the balancer's address: raise it there)
    #[arg(long = "per-address", value_name = "N", value_parser = at_least_one)]
    pub per_address: Option<usize>,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            port: 8080,
            provider: None,
            isolated: None,
            host: IpAddr::from([127, 0, 0, 1]),
            public_origin: None,
            provider_origin: None,
            isolated_origin: None,
            trusted_proxies: Vec::new(),
            tls_cert: None,
            tls_key: None,
            redis: None,
            relay_origins: Vec::new(),
            per_address: None,
        }
    }
}

fn redis_url(value: &str) -> Result<String, String> {
    match value.starts_with("redis://") {
        true => Ok(value.to_owned()),
        false => Err("a URL such as redis://127.0.0.1:6379".to_owned()),
    }
}

fn relay_origin_flag(value: &str) -> Result<String, crate::ConfigError> {
    crate::relay_origin(value).map(|_| value.to_owned())
}

fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("a number of connections above 0".to_owned()),
    }
}

/// `crosstalk-server`'s command line: the serving flags, and where trunk's output is.
#[derive(Debug, clap::Parser)]
#[command(
    name = "crosstalk-server",
    about = "The suite and its relay, serving a built dist/ (see the README)"
)]
pub struct ServerCli {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Trunk's output (`cargo xtask build` makes it) [default: the suite built into this binary
    /// by `cargo xtask dist`, else dist]
    #[arg(long, value_name = "DIR")]
    pub dist: Option<PathBuf>,
}

impl ServerCli {
    /// The folder to serve: `--dist`, else the suite inside the binary (unpacked), else `dist`.
    pub fn dist_folder(&self) -> std::io::Result<PathBuf> {
        match &self.dist {
            Some(dist) => Ok(dist.clone()),
            #[cfg(feature = "embed")]
            None => crate::embedded::unpack(),
            #[cfg(not(feature = "embed"))]
            None => Ok(PathBuf::from("dist")),
        }
    }
}

/// Reads the serving flags alone (the tests' way in): clap's error, rendered, when they are wrong.
pub fn parse_serve(args: &[String]) -> Result<ServeArgs, String> {
    #[derive(clap::Parser)]
    #[command(no_binary_name = true)]
    struct Only {
        #[command(flatten)]
        serve: ServeArgs,
    }
    <Only as clap::Parser>::try_parse_from(args).map(|only| only.serve).map_err(|e| e.to_string())
}

impl ServeArgs {
    /// The suite's configuration for these flags, serving `dist`.
    pub fn config(&self, dist: PathBuf) -> Result<SuiteConfig, crate::ConfigError> {
        let app = SocketAddr::new(self.host, self.port);
        let mut config = SuiteConfig::on_ports(dist, app, self.provider)?;
        if let Some(port) = self.isolated {
            config.isolated_addr.set_port(port);
        }
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            config.tls = Some(TlsFiles { cert: cert.clone(), key: key.clone() });
            config.scheme = Scheme::Https;
        }
        if !self.trusted_proxies.is_empty() {
            return self.behind_a_proxy(config);
        }
        for (flag, given) in
            [("--provider-origin", &self.provider_origin), ("--isolated-origin", &self.isolated_origin)]
        {
            if given.is_some() {
                return Err(ConfigError::OriginsNeedAProxy { flag });
            }
        }
        if let Some(origin) = &self.public_origin {
            let (scheme, name) = public_name(origin, self.port)?;
            match (scheme, config.scheme) {
                (Scheme::Https, Scheme::Http) => {
                    return Err(ConfigError::HttpsWithoutTls { origin: origin.clone() });
                }
                (Scheme::Http, Scheme::Https) => {
                    let port = self.port;
                    return Err(ConfigError::PlainOriginOverTls { origin: origin.clone(), name, port });
                }
                _ => {}
            }
            if config.tls.is_some() {
                config.certified_names.push(name.clone());
            }
            config.public_names.push(name);
        }
        config.redis = self.redis.clone();
        if let Some(n) = self.per_address {
            config.relay_limits.max_connections_per_address = n;
            config.http_limits.max_connections_per_address = n;
        }
        self.relay_origins_into(&mut config)?;
        Ok(config)
    }

    fn relay_origins_into(&self, config: &mut SuiteConfig) -> Result<(), ConfigError> {
        for origin in &self.relay_origins {
            let (origin, name) = crate::relay_origin(origin)?;
            config.relay_origins.push(origin);
            config.public_names.push(name);
        }
        Ok(())
    }

    /// Behind a reverse proxy: the three public origins named, on the proxy's names and ports;
    /// https there needs no certificate here (TLS may end at the proxy).
    fn behind_a_proxy(&self, mut config: SuiteConfig) -> Result<SuiteConfig, ConfigError> {
        let (Some(app), Some(provider), Some(isolated)) =
            (&self.public_origin, &self.provider_origin, &self.isolated_origin)
        else {
            return Err(ConfigError::NameEachOrigin);
        };
        let (origins, names) = crate::public_origins(app, provider, isolated)?;
        if config.tls.is_some() {
            config.certified_names = names;
        }
        config.public_origins = Some(origins);
        config.trusted_proxies = self.trusted_proxies.clone();
        self.relay_origins_into(&mut config)?;
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
        assert_eq!(parse_serve(&[]).unwrap(), ServeArgs::default(), "clap's defaults are Default's");
        let serve = parse_serve(&words("--port=9000 --redis redis://10.0.0.5:6379")).unwrap();
        assert_eq!((serve.port, serve.redis.as_deref()), (9000, Some("redis://10.0.0.5:6379")));
        let wrong = parse_serve(&words("--redis localhost")).unwrap_err();
        assert!(wrong.contains("--redis") && wrong.contains("redis://"), "{wrong}");
        assert!(parse_serve(&words("--dist dist")).unwrap_err().contains("--dist"), "only the binary has it");
        let cli =
            <ServerCli as clap::Parser>::try_parse_from(["crosstalk-server", "--dist", "out", "--port", "1"]);
        assert_eq!(cli.map(|c| (c.dist, c.serve.port)).unwrap(), (Some(PathBuf::from("out")), 1));
        assert!(parse_serve(&words("--port")).unwrap_err().contains("--port"));
        let config = parse_serve(&words("--per-address 2000")).unwrap().config("d".into()).unwrap();
        assert_eq!(config.relay_limits.max_connections_per_address, 2000);
        assert_eq!(config.http_limits.max_connections_per_address, 2000);
        assert!(parse_serve(&words("--per-address 0")).unwrap_err().contains("above 0"));
        let config = parse_serve(&words("--redis redis://h:1")).unwrap().config("d".into()).unwrap();
        assert_eq!(config.redis.as_deref(), Some("redis://h:1"));
        let behind =
            parse_serve(&words("--relay-origin http://LB.lan/ --relay-origin http://127.0.0.1:9000"))
                .unwrap()
                .config("d".into())
                .unwrap();
        assert_eq!(behind.relay_origins, ["http://lb.lan", "http://127.0.0.1:9000"]);
        assert!(behind.public_names.contains(&"lb.lan".to_owned()), "its Host is answered");
        let https = parse_serve(&words("--relay-origin https://lb.lan")).unwrap().config("d".into()).unwrap();
        assert_eq!(https.relay_origins, ["https://lb.lan"], "the default port is left out, as browsers do");
        assert!(parse_serve(&words("--relay-origin ftp://lb.lan")).is_err());
    }

    #[test]
    fn https_needs_a_certificate_and_a_certificate_makes_every_origin_https() {
        let config = |line: &str| parse_serve(&words(line)).map(|s| s.config("d".into()));
        let alone = config("--public-origin https://classroom.test:8080").unwrap().unwrap_err().to_string();
        assert!(alone.contains("--tls-cert") && alone.contains("--public-origin"), "{alone}");
        let tls = "--tls-cert c.pem --tls-key k.pem";
        let served = config(&format!("{tls} --public-origin https://Classroom.test:8080")).unwrap().unwrap();
        assert_eq!(served.scheme, Scheme::Https);
        assert_eq!(served.certified_names, ["classroom.test"], "the certificate must cover it");
        assert_eq!(served.tls.map(|t| t.key), Some(PathBuf::from("k.pem")));
        let plain =
            config(&format!("{tls} --public-origin http://classroom.test:8080")).unwrap().unwrap_err();
        assert!(plain.to_string().contains("https://classroom.test:8080"), "{plain}");
        let half = parse_serve(&words("--tls-cert c.pem")).unwrap_err();
        assert!(half.contains("--tls-key"), "{half}");
        assert_eq!(config("").unwrap().unwrap().scheme, Scheme::Http);
    }

    #[test]
    fn behind_a_proxy_each_public_origin_is_named_and_https_may_end_there() {
        let config = |line: &str| parse_serve(&words(line)).map(|s| s.config("d".into()));
        let three = "--public-origin https://Class.example --provider-origin https://pay.example \
                     --isolated-origin https://class.example:8443";
        let behind = config(&format!("--trusted-proxy 127.0.0.1 {three}")).unwrap().unwrap();
        let origins = behind.public_origins.expect("the three origins");
        assert_eq!(
            (origins.app_origin.as_str(), origins.provider_origin.as_str(), origins.isolated_origin.as_str()),
            ("https://class.example", "https://pay.example", "https://class.example:8443")
        );
        assert_eq!(behind.scheme, Scheme::Http, "TLS ends at the proxy: this server speaks http");
        assert_eq!(behind.trusted_proxies, [IpAddr::from([127, 0, 0, 1])]);
        assert!(behind.certified_names.is_empty(), "no certificate here to cover them");
        let said = |line: &str| config(line).map_or_else(|e| e, |c| c.unwrap_err().to_string());
        assert!(said("--trusted-proxy 127.0.0.1 --public-origin https://a.example").contains("name each"));
        assert!(said(&three.replace("--trusted-proxy 127.0.0.1 ", "")).contains("--trusted-proxy"));
        let same = "--trusted-proxy 127.0.0.1 --public-origin https://a.example --provider-origin \
                    https://A.example:443 --isolated-origin https://c.example";
        assert!(said(same).contains("three different origins"), "{}", said(same));
        let mixed = "--trusted-proxy 127.0.0.1 --public-origin https://a.example --provider-origin \
                     http://b.example --isolated-origin https://c.example";
        assert!(said(mixed).contains("same scheme"), "{}", said(mixed));
        assert!(said("--trusted-proxy not-an-address").contains("--trusted-proxy"));
    }
}
