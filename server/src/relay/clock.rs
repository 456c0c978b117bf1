//! The relay's clock and its source of random bits: a leaf, like `types`.

/// Milliseconds since the epoch: the relay's clock for envelopes and history.
pub fn now_ms() -> f64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Random bits from the standard library's per-process hash keys: enough for names and jitter
/// (not for secrets), without a dependency for it.
pub fn random_bits() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::Instant::now())
}
