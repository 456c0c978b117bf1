//! Which origin is the app and which the payment provider: read from
//! `<meta name="crosstalk-config">`, which the crosstalk server fills in (never guessed from the URL).

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Origins {
    pub app_origin: String,
    pub provider_origin: String,
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
    for origin in [&config.app_origin, &config.provider_origin] {
        if !(origin.starts_with("http://") || origin.starts_with("https://")) || origin.ends_with('/') {
            return Err(format!("\"{origin}\" is not an origin (scheme://host:port)"));
        }
    }
    if config.app_origin == config.provider_origin {
        return Err("the app and the provider are configured on the same origin: the lesson needs two".into());
    }
    Ok(config)
}

/// The configuration of the page this runs in.
pub fn origins() -> Result<Origins, String> {
    let content = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=\"crosstalk-config\"]").ok().flatten())
        .and_then(|meta| meta.get_attribute("content"))
        .unwrap_or_default();
    parse(&content)
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
                provider_origin: "http://127.0.0.1:8081".into()
            })
        );
    }

    #[test]
    fn missing_broken_or_odd_configuration_says_what_to_do() {
        assert!(parse("").unwrap_err().contains("cargo xtask serve"));
        assert!(parse("{").unwrap_err().contains("unreadable"));
        let slash = parse(r#"{"app_origin":"http://a/","provider_origin":"http://b"}"#);
        assert!(slash.unwrap_err().contains("not an origin"));
        let same = parse(r#"{"app_origin":"http://a","provider_origin":"http://a"}"#);
        assert!(same.unwrap_err().contains("same origin"));
    }
}
