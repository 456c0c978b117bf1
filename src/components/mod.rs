//! Pieces every route uses.

pub mod message_log;
pub mod nav;
pub mod open_tab;
pub mod sequence_diagram;
pub mod status;
