//! crosstalk: every way browser contexts talk to each other, as a Yew app.
//!
//! A mechanism lives in four places with matching names: its wire messages in the
//! `crosstalk-protocol` crate, its transport adapter in [`transport`] (on the shared core), its
//! state in [`state`], and its page in [`pages`] — plus, where it has one, its worker in `workers/`.
//! [`hooks::use_route`] bridges a transport to a page; [`components`] are the pieces every page
//! shares; [`catalog`] lists them all.
//!
//! The modules stand in layers, each using only its own and those below ([`LAYERS`], held by a
//! test): a pure model (the log and its view, diagrams, faults, sentences and words), the
//! transports, the routes' states, their controllers, the catalog, the hooks, the components, the pages, and the
//! app around them.

pub mod app;
pub mod catalog;
pub mod components;
pub mod controller;
#[cfg(debug_assertions)]
pub mod dev_reload;
pub mod diagram;
pub mod download;
pub mod fault;
pub mod hooks;
pub mod i18n;
pub mod learn;
pub mod lesson_code;
pub mod log;
pub mod log_export;
pub mod log_text;
pub mod log_view;
pub mod origins;
pub mod page_query;
pub mod pages;
pub mod shell;
#[cfg(feature = "split")]
pub mod split;
pub mod state;
pub mod transport;

/// Time and randomness for any context, shared with the workers (`crosstalk-glue`).
pub use crosstalk_glue::clock;
/// The wire protocol, shared with the workers and the server.
pub use crosstalk_protocol as protocol;

// The allocator of every wasm module is `crosstalk-glue`'s, which the app and each worker link.

/// The app's modules from the bottom up: a module uses only those of its own layer and below.
pub const LAYERS: &[&[&str]] = &[
    &[
        "clock",
        "dev_reload",
        "diagram",
        "download",
        "fault",
        "i18n",
        "learn",
        "lesson_code",
        "log",
        "log_export",
        "log_text",
        "log_view",
        "origins",
        "page_query",
        "said",
    ],
    &["transport"],
    &["state"],
    &["controller"],
    &["catalog"],
    &["hooks"],
    &["components"],
    &["pages"],
    &["app", "shell", "split", "prerender"],
];

#[cfg(test)]
mod layers {
    use super::LAYERS;

    fn layer_of(module: &str) -> Option<usize> {
        LAYERS.iter().position(|layer| layer.contains(&module))
    }

    /// Every `crate::x` a file names outside its tests and its comments.
    fn uses(text: &str) -> Vec<String> {
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
        let code: String =
            text.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        let text = code.as_str();
        text.match_indices("crate::")
            .map(|(at, _)| {
                let rest = &text[at + "crate::".len()..];
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
            })
            .collect()
    }

    fn files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                files(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }

    #[test]
    fn every_module_uses_only_its_layer_and_those_below() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut found = Vec::new();
        files(&src, &mut found);
        let mut checked = 0;
        for path in found {
            let relative = path.strip_prefix(&src).expect("under src/");
            let top =
                relative.iter().next().and_then(|p| p.to_str()).unwrap_or_default().trim_end_matches(".rs");
            if matches!(top, "lib" | "main") {
                continue;
            }
            let Some(own) = layer_of(top) else { panic!("src/{top} is in no layer of LAYERS") };
            let text = std::fs::read_to_string(&path).expect("readable");
            for used in uses(&text) {
                if let Some(theirs) = layer_of(&used) {
                    assert!(
                        theirs <= own,
                        "{} uses crate::{used}, a layer above it (see LAYERS in src/lib.rs)",
                        relative.display()
                    );
                }
            }
            checked += 1;
        }
        assert!(checked > 50, "only {checked} files read");
    }

    /// The crates a manifest depends on, by name.
    fn dependencies(manifest: &str) -> Vec<String> {
        let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(manifest))
            .expect("the manifest is readable");
        let mut in_dependencies = false;
        let mut names = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                in_dependencies = line.ends_with("dependencies]");
            } else if let (true, Some((name, _))) = (in_dependencies, line.split_once('=')) {
                names.push(name.trim().to_owned());
            }
        }
        names
    }

    #[test]
    fn a_worker_links_the_protocol_and_the_glue_never_the_app() {
        for manifest in ["workers/Cargo.toml", "glue/Cargo.toml"] {
            let named = dependencies(manifest);
            assert!(named.iter().any(|d| d == "crosstalk-protocol"), "{manifest}: {named:?}");
            for app_only in ["crosstalk", "yew", "yew-router", "serde_json"] {
                assert!(!named.iter().any(|d| d == app_only), "{manifest} depends on {app_only}");
            }
        }
        assert!(dependencies("workers/Cargo.toml").iter().any(|d| d == "crosstalk-glue"));
    }
}

#[cfg(test)]
mod shape {
    /// The transport handle a page holds is named `<Name>Link`: a handle named another way (a
    /// `…Desk`, a `…Client`, a `…Bus`) fails here, naming the page.
    #[test]
    fn every_transport_handle_a_page_holds_is_a_link() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut transports = String::new();
        for dir in [src.join("transport"), src.join("transport/webrtc")] {
            for entry in std::fs::read_dir(dir).expect("readable").flatten() {
                if entry.path().is_file() {
                    transports.push_str(&std::fs::read_to_string(entry.path()).expect("readable"));
                }
            }
        }
        let mut held = Vec::new();
        for entry in std::fs::read_dir(src.join("pages")).expect("readable").flatten() {
            let text = std::fs::read_to_string(entry.path()).expect("readable");
            for open in ["Slot<", "None::<", "Option<"] {
                for (at, _) in text.match_indices(open) {
                    let rest = &text[at + open.len()..];
                    let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
                    if transports.contains(&format!("pub struct {name} "))
                        || transports.contains(&format!("pub struct {name}<"))
                    {
                        held.push((entry.file_name().to_string_lossy().into_owned(), name));
                    }
                }
            }
        }
        assert!(held.len() >= 10, "the pages' handles were found: {held:?}");
        let odd: Vec<_> = held.iter().filter(|(_, name)| !name.ends_with("Link")).collect();
        assert!(odd.is_empty(), "transport handles not named <Name>Link: {odd:?}");
    }

    /// Every adapter that listens on a BroadcastChannel opens it through `transport/channel.rs`;
    /// only the buffer share (objects, not envelopes) and the capability probe make their own.
    #[test]
    fn every_broadcast_channel_is_opened_through_the_channel_link() {
        let transport = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/transport");
        let mut own = Vec::new();
        let mut stack = vec![transport.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).expect("readable").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("readable");
                let name = path.strip_prefix(&transport).expect("under transport").display().to_string();
                if text.contains("BroadcastChannel::new(")
                    && !["channel.rs", "atomics.rs", "detect.rs"].contains(&name.as_str())
                {
                    own.push(name);
                }
            }
        }
        assert!(own.is_empty(), "BroadcastChannels opened outside transport/channel.rs: {own:?}");
    }
}
