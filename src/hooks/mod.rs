//! Reusable state for pages.

pub mod use_route;

pub use use_route::{use_route, RouteHandle, RouteState, Slot};
