//! One page per route.

pub mod atomics;
pub mod bench;
pub mod bench_peer;
pub mod broadcast;
pub mod capabilities;
pub mod home;
pub mod indexeddb;
pub mod inspector;
pub mod learn;
pub mod not_found;
pub mod payment;
pub mod provider;
pub mod service_worker;
pub mod shared_worker;
pub mod stock;
pub mod storage;
pub mod web_locks;
pub mod webrtc;
pub mod websocket;
pub mod worker_port;
