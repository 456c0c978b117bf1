fn main() {
    // The app mounts on `#app`, not on `<body>`: Yew clears its host when it mounts, and the body
    // also holds the route's prerendered page (`#prerendered`), which stays until the app has its
    // words and removes it (`shell::DropShell`), so the reader never sees a blank page between.
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(crosstalk::shell::APP_ID));
    // A debug build is `cargo xtask dev`'s: its tabs reload themselves after each rebuild.
    #[cfg(debug_assertions)]
    crosstalk::dev_reload::start();
    match root {
        Some(root) => yew::Renderer::<crosstalk::app::App>::with_root(root).render(),
        None => yew::Renderer::<crosstalk::app::App>::new().render(),
    };
}
