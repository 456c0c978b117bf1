//! A route's log as one rendered frame sees it: the hook that owns the log hands a view to the
//! log and the diagram, which compare views by version to know whether to draw again.

use std::cell::Ref;
use std::rc::Rc;

use crate::log::LogBook;

/// Read access to a log, whatever the state around it.
pub trait LogSource {
    fn log(&self) -> Ref<'_, LogBook>;
}

/// A route's log as of one rendered frame.
#[derive(Clone)]
pub struct LogView {
    source: Rc<dyn LogSource>,
    version: u64,
}

impl LogView {
    pub fn new(source: Rc<dyn LogSource>, version: u64) -> LogView {
        LogView { source, version }
    }

    /// The log, for reading while this frame renders.
    pub fn book(&self) -> std::cell::Ref<'_, LogBook> {
        self.source.log()
    }

    /// A fixed log (tests, and pages whose log never changes).
    pub fn of(book: LogBook) -> LogView {
        LogView { source: Rc::new(std::cell::RefCell::new(book)), version: 0 }
    }
}

impl LogSource for std::cell::RefCell<LogBook> {
    fn log(&self) -> std::cell::Ref<'_, LogBook> {
        self.borrow()
    }
}

impl PartialEq for LogView {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.source, &other.source) && self.version == other.version
    }
}
