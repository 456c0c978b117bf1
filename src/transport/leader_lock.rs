//! Leadership through the Web Locks API: every tab asks for one exclusive lock; the browser
//! grants it to one tab at a time and to the next waiter the moment it is released — when the
//! holder lets go, closes, or its renderer crashes. The request itself is [`LockRequest`].

use super::lock_request::{locks, Ask, LockRequest, Outcome};

pub fn supported() -> bool {
    locks().is_some()
}

/// One tab's request for the lock: waiting, then held until released or dropped.
pub struct LeaderLock(LockRequest);

impl LeaderLock {
    /// Asks for the lock `name`; `granted` runs when this tab gets it.
    pub fn request(name: &str, granted: impl Fn() + 'static) -> Result<LeaderLock, String> {
        let why = || super::missing::why_missing(&crosstalk_protocol::catalog::WEB_LOCKS.needs);
        let locks = locks().ok_or_else(|| why().unwrap_or_else(|| "no navigator.locks".into()))?;
        // lesson: stock-sync
        let request = LockRequest::request(&locks, name, Ask::EXCLUSIVE, move |outcome| {
            if outcome == Outcome::Granted {
                granted();
            }
        })?;
        // lesson end
        Ok(LeaderLock(request))
    }

    /// Whether this tab holds the lock now.
    pub fn is_held(&self) -> bool {
        self.0.is_held()
    }

    /// Lets the lock go (the next waiter gets it) or stops waiting for it.
    pub fn release(&self) {
        self.0.release();
    }
}
