//! Pieces every route uses.

pub mod compose;
pub mod fault_picker;
pub mod guide;
pub mod home_origin;
pub mod key_value_form;
pub mod lesson;
pub mod log_and_diagram;
pub mod message_log;
pub mod missing_api;
pub mod name_field;
pub mod nav;
pub mod open_tab;
pub mod raw_composer;
pub mod route_frame;
pub mod sequence_diagram;
pub mod status;
