//! Time and randomness for any context: a window, a dedicated worker or a shared worker.

use wasm_bindgen::JsCast;

thread_local! {
    /// This context's `performance` and its time origin, looked up once: `now_ms` runs for
    /// every message sent and logged, and a global lookup each time showed in the benchmark.
    static PERFORMANCE: Option<(web_sys::Performance, f64)> =
        js_sys::Reflect::get(&js_sys::global(), &"performance".into())
            .ok()
            .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
            .map(|p| {
                let origin = p.time_origin();
                (p, origin)
            });
}

/// Milliseconds since the Unix epoch, with the sub-millisecond part where the context allows
/// (`performance.timeOrigin + performance.now()`, which the browser may coarsen to 100 µs).
pub fn now_ms() -> f64 {
    PERFORMANCE.with(|p| match p {
        Some((performance, origin)) => origin + performance.now(),
        None => js_sys::Date::now(),
    })
}

/// A number in [0, 1), for ids (not for secrets).
pub fn random() -> f64 {
    js_sys::Math::random()
}

/// `HH:MM:SS.mmm` in the viewer's local time, for log lines.
pub fn clock_time(at_ms: f64) -> String {
    let date = js_sys::Date::new(&at_ms.into());
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds(),
        date.get_milliseconds()
    )
}
