//! Controllers: the routes whose glue outgrew a page. A controller sits beside its route's state,
//! runs the pure rules (`crosstalk_protocol`, `state/`) and carries out what they decide through
//! the transports, reporting every change to the state with a [`Dispatch`](crate::state::Dispatch).
//! Its page only shows the state and hands it clicks. Routes with little glue keep it in a hook.

pub mod atomics_limit;
pub mod bench;
pub mod payment;
pub mod stock;
