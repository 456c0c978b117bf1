//! Which origin is the app and which the payment provider. The server writes it into
//! `<meta name="crosstalk-config">` ([`Origins::to_json`]); the app reads it back ([`parse`]), so
//! neither side guesses from a URL and both agree on one format.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origins {
    pub app_origin: String,
    pub provider_origin: String,
    /// The cross-origin isolated origin (`/atomics`); empty where a configuration predates it.
    #[serde(default)]
    pub isolated_origin: String,
}

/// Reads the meta tag's `content`.
pub fn parse(content: &str) -> Result<Origins, String> {
    if content.trim().is_empty() {
        return Err(
            "the suite's origins are not configured: serve it with `cargo xtask serve`, which fills in \
                    <meta name=\"crosstalk-config\">"
                .into(),
        );
    }
    let config: Origins =
        serde_json::from_str(content).map_err(|e| format!("the suite's configuration is unreadable: {e}"))?;
    let isolated = Some(&config.isolated_origin).filter(|o| !o.is_empty());
    for origin in [&config.app_origin, &config.provider_origin].into_iter().chain(isolated) {
        if !(origin.starts_with("http://") || origin.starts_with("https://")) || origin.ends_with('/') {
            return Err(format!("\"{origin}\" is not an origin (scheme://host:port)"));
        }
    }
    if config.app_origin == config.provider_origin {
        return Err("the app and the provider are configured on the same origin: the lesson needs two".into());
    }
    if isolated.is_some_and(|o| *o == config.app_origin || *o == config.provider_origin) {
        return Err(
            "the isolated origin must be an origin of its own: isolation would break the others".into()
        );
    }
    Ok(config)
}

impl Origins {
    /// The meta tag's `content`, as JSON (the server HTML-escapes it into the attribute).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_origins() {
        let config =
            parse(r#"{"app_origin":"http://127.0.0.1:8080","provider_origin":"http://127.0.0.1:8081"}"#);
        assert_eq!(
            config,
            Ok(Origins {
                app_origin: "http://127.0.0.1:8080".into(),
                provider_origin: "http://127.0.0.1:8081".into(),
                isolated_origin: String::new(),
            })
        );
    }

    #[test]
    fn what_the_server_writes_the_app_reads() {
        let origins = Origins {
            app_origin: "http://a:1".into(),
            provider_origin: "http://b\"<x>:2".into(),
            isolated_origin: "http://a:3".into(),
        };
        assert_eq!(
            origins.to_json(),
            r#"{"app_origin":"http://a:1","provider_origin":"http://b\"<x>:2","isolated_origin":"http://a:3"}"#
        );
        let sane = Origins {
            app_origin: "http://a:1".into(),
            provider_origin: "http://b:2".into(),
            isolated_origin: "http://a:3".into(),
        };
        assert_eq!(parse(&sane.to_json()), Ok(sane));
    }

    #[test]
    fn missing_broken_or_odd_configuration_says_what_to_do() {
        assert!(parse("").unwrap_err().contains("cargo xtask serve"));
        assert!(parse("{").unwrap_err().contains("unreadable"));
        let slash = parse(r#"{"app_origin":"http://a/","provider_origin":"http://b"}"#);
        assert!(slash.unwrap_err().contains("not an origin"));
        let same = parse(r#"{"app_origin":"http://a","provider_origin":"http://a"}"#);
        assert!(same.unwrap_err().contains("same origin"));
        let shared =
            parse(r#"{"app_origin":"http://a","provider_origin":"http://b","isolated_origin":"http://a"}"#);
        assert!(shared.unwrap_err().contains("of its own"));
    }
}
