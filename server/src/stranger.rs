//! A stranger's site: a third origin, started only by the end-to-end tests, never by `serve`.
//!
//! It plays the attacker who frames the payment provider to trick a customer: its one page
//! frames `/provider`, which the provider's `frame-ancestors` must refuse. The URL it frames
//! carries [`CSP_PROBE_MARK`], so the violation report the browser sends is told apart from a
//! real one (see [`crate::probe_of`]), and `/csp-reports` lists those reports for the test to
//! check they came.

use axum::body::Body;
use axum::http::{header, Response, StatusCode, Uri};

use crate::{
    html_escape, probe_of, text_response, ClientConfig, CspReports, Relay, CSP_PROBE_MARK, PROVIDER_PAGE,
};

/// The page that frames the provider: `/frame-provider?csp-probe=NAME`.
pub const FRAME_PROVIDER_PAGE: &str = "/frame-provider";
/// Stop and resume the app's relay (the tests' "restart").
pub const RELAY_STOP: &str = "/relay/stop";
pub const RELAY_START: &str = "/relay/start";
/// The violation reports tests provoked, one per line.
pub const PROBES_PAGE: &str = "/csp-reports";

/// Nothing runs here; it may only frame the provider.
pub fn content_security_policy(origins: &ClientConfig) -> String {
    format!(
        "default-src 'none'; frame-src {}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        origins.provider_origin
    )
}

pub fn answer(uri: &Uri, origins: &ClientConfig, reports: &CspReports, relay: &Relay) -> Response<Body> {
    match uri.path() {
        // What a relay restart looks like to the pages: every client closed with 1001, new ones
        // refused until it resumes.
        RELAY_STOP => {
            relay.stop();
            text_response(StatusCode::OK, "relay stopped".into())
        }
        RELAY_START => {
            relay.resume();
            text_response(StatusCode::OK, "relay running".into())
        }
        FRAME_PROVIDER_PAGE => {
            let framed = format!(
                "{}{PROVIDER_PAGE}?{CSP_PROBE_MARK}{}",
                origins.provider_origin,
                probe_of(uri.query()).unwrap_or_else(|| "frame-ancestors".into())
            );
            let html = format!(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\" />\
                 <title>A stranger's site</title></head><body>\
                 <h1>A stranger's site</h1><p>It frames the payment provider, hoping to pass it off as its own.</p>\
                 <iframe data-testid=\"stranger-frame\" src=\"{}\" title=\"The provider, framed by a stranger\"></iframe>\
                 </body></html>",
                html_escape(&framed)
            );
            Response::builder()
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .body(Body::from(html))
                .unwrap_or_else(|_| {
                    text_response(StatusCode::INTERNAL_SERVER_ERROR, "cannot build response".into())
                })
        }
        PROBES_PAGE => text_response(StatusCode::OK, reports.probes().join("\n")),
        other => text_response(StatusCode::NOT_FOUND, format!("not found: {other}")),
    }
}
