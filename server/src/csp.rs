//! The Content-Security-Policy: each side's policy for the name a request came in under, the
//! inline loader's hash, and the violation reports browsers send back.

use std::sync::Arc;

use crate::{ClientConfig, Side};

/// Where browsers report Content-Security-Policy violations (`report-uri`).
pub const CSP_REPORT_PATH: &str = crosstalk_protocol::catalog::paths::CSP_REPORT;
/// Largest report read; a longer body is cut there.
pub(crate) const MAX_REPORT_BYTES: usize = 16 * 1024;
/// How long a report's body may take to arrive.
pub(crate) const REPORT_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);
/// Reports kept (the count goes on).
const KEPT_REPORTS: usize = 16;

/// What marks a violation a test provokes on purpose: a page requested with `?csp-probe=NAME`
/// is served with a policy that reports to `/csp-report?csp-probe=NAME` (browsers strip a
/// cross-origin page's URL in reports, so the mark travels in the report's own address).
pub const CSP_PROBE_MARK: &str = "csp-probe=";

/// The probe's name in a query (`csp-probe=NAME`): letters, digits and dashes, at most 40.
pub fn probe_of(query: Option<&str>) -> Option<String> {
    let given = query?.split('&').find_map(|pair| pair.strip_prefix(CSP_PROBE_MARK))?;
    let name: String = given.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(40).collect();
    (!name.is_empty()).then_some(name)
}

/// Violation reports received by any origin: how many, the newest few, and apart from them the
/// reports tests provoked on purpose ([`CSP_PROBE_MARK`]).
#[derive(Debug, Clone, Default)]
pub struct CspReports(Arc<std::sync::Mutex<Reports>>);

#[derive(Debug, Default)]
struct Reports {
    count: u64,
    newest: std::collections::VecDeque<String>,
    probes: std::collections::VecDeque<String>,
}

fn keep_newest(kept: &mut std::collections::VecDeque<String>, report: String) {
    if kept.len() == KEPT_REPORTS {
        kept.pop_front();
    }
    kept.push_back(report);
}

impl CspReports {
    pub(crate) fn record(&self, report: String, probe: Option<String>) {
        let Ok(mut reports) = self.0.lock() else { return };
        if let Some(probe) = probe {
            return keep_newest(&mut reports.probes, format!("probe {probe}: {report}"));
        }
        eprintln!("crosstalk: the browser reported a Content-Security-Policy violation: {report}");
        reports.count += 1;
        keep_newest(&mut reports.newest, report);
    }

    /// How many unprovoked reports came in, and the newest few.
    pub fn snapshot(&self) -> (u64, Vec<String>) {
        self.0.lock().map(|r| (r.count, r.newest.iter().cloned().collect())).unwrap_or_default()
    }

    /// The newest reports tests provoked on purpose.
    pub fn probes(&self) -> Vec<String> {
        self.0.lock().map(|r| r.probes.iter().cloned().collect()).unwrap_or_default()
    }
}

/// `'sha256-…'` for every inline `<script>` of a page (trunk's loader), as CSP source expressions:
/// computed from the build being served, so the policy follows every rebuild by itself.
pub fn inline_script_hashes(html: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let Some(tag_end) = rest[start..].find('>').map(|i| start + i) else { break };
        let Some(close) = rest[tag_end..].find("</script>").map(|i| tag_end + i) else { break };
        if !rest[start..tag_end].contains("src=") {
            let digest = sha2::Sha256::digest(&rest.as_bytes()[tag_end + 1..close]);
            hashes.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &rest[close..];
    }
    hashes.join(" ")
}

/// The policy of every response of one side, for a request that came in as `origins`.
///
/// Scripts only from this origin, plus trunk's inline loader by its hash; wasm may compile; no
/// plugins, no `<base>`, no forms. The app frames the provider (and its own Origin lab page),
/// and may ask the provider's origin whether it can be reached; the provider frames nothing and
/// is framed by the app alone; the isolated origin frames nothing and is framed by nobody. The stranger runs nothing and may only frame the provider.
///
/// `probe` (tests only) marks where violations are reported ([`CSP_PROBE_MARK`]).
pub fn content_security_policy(
    side: Side,
    origins: &ClientConfig,
    scripts: &str,
    probe: Option<&str>,
) -> String {
    let provider = &origins.provider_origin;
    // The app's scripts by its origin too, not `'self'` alone: in a sandboxed frame (the Origin
    // lab's opaque attacker) WebKit matches `'self'` against the frame's opaque origin and runs
    // nothing; Chromium and Firefox match the URL's.
    let scripts_from = match side {
        Side::App => format!("'self' {}", origins.app_origin),
        _ => "'self'".to_owned(),
    };
    let (connect, frames, ancestors) = match side {
        Side::App => {
            // The relay's socket, on the app's origin: `ws://` beside `http://`, `wss://` beside
            // `https://` (a page over https may not open a `ws://` socket at all).
            let relay = match origins.app_origin.split_once("://") {
                Some(("https", rest)) => format!("wss://{rest}"),
                Some((_, rest)) => format!("ws://{rest}"),
                None => origins.app_origin.clone(),
            };
            (format!("'self' {relay} {provider}"), format!("'self' {provider}"), "'self'".to_owned())
        }
        Side::Provider => ("'self'".to_owned(), "'none'".to_owned(), origins.app_origin.clone()),
        // Isolated: it frames nothing and nobody frames it (COEP would refuse the frames anyway).
        Side::Isolated => ("'self'".to_owned(), "'none'".to_owned(), "'none'".to_owned()),
        #[cfg(any(test, feature = "stranger"))]
        Side::Stranger => return crate::stranger::content_security_policy(origins),
        #[cfg(not(any(test, feature = "stranger")))]
        Side::Stranger => return "default-src 'none'; frame-ancestors 'none'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src {scripts_from} {scripts} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src {connect}; worker-src 'self'; frame-src {frames}; \
         object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}; \
         report-uri {CSP_REPORT_PATH}{}",
        probe.map(|name| format!("?{CSP_PROBE_MARK}{name}")).unwrap_or_default()
    )
}
