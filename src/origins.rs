//! The page's own configuration: which origin is the app and which the payment provider, from
//! `<meta name="crosstalk-config">` (filled in by the crosstalk server; the format is
//! `crosstalk_protocol::config`).

use crosstalk_protocol::config::{parse, Origins};

/// The configuration of the page this runs in.
pub fn origins() -> Result<Origins, String> {
    let content = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=\"crosstalk-config\"]").ok().flatten())
        .and_then(|meta| meta.get_attribute("content"))
        .unwrap_or_default();
    parse(&content)
}
