//! Reusable state for pages.

pub mod use_progress;
pub mod use_route;

pub use use_progress::use_progress;
pub use use_route::{use_route, RouteHandle, RouteState, Slot};
