//! Fault injection, a wrapper around a core's sending: what the fault picked on a route does to
//! each message this page sends (never to upkeep). Dropped, it is numbered all the same, so the
//! other side sees a gap; duplicated, it is posted twice; reordered, it is held back and posted
//! right after the next one; delayed, it is posted a few seconds later. Each says so in the log as
//! `fault-injected`, so a reader can tell the lesson's fault from a real one.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crosstalk_protocol::parsed::ParsedBody;
use crosstalk_protocol::{Envelope, Reason, ReasonCode};
use gloo::timers::callback::Timeout;
use wasm_bindgen::JsValue;

use super::core::{post_refusal, Core, Event, Fault, Via, FAULT_DELAY_MS};

/// Posts wire text (a JS string) on a transport's channel.
type PostText = dyn Fn(&JsValue) -> Result<(), JsValue>;

/// The most messages delayed at once; beyond, one is dropped and says so.
const MAX_DELAYED: usize = 64;

/// A core's fault injection: the fault picked, and what it holds back or delays.
pub struct Faults<B> {
    fault: Cell<Fault>,
    /// A message held back by [`Fault::Reorder`], posted right after the next one.
    held: RefCell<Option<(Envelope<B>, JsValue, Via)>>,
    /// How a [`Fault::Delay`]ed message is posted later: only adapters whose channel outlives a
    /// call can (see `Core::post_later_with`).
    later: RefCell<Option<Rc<PostText>>>,
    /// Delayed messages still waiting, with their timers (dropped with the core).
    delayed: RefCell<Vec<Timeout>>,
    delayed_pending: Cell<usize>,
}

impl<B> Default for Faults<B> {
    fn default() -> Self {
        Faults {
            fault: Cell::new(Fault::None),
            held: RefCell::default(),
            later: RefCell::default(),
            delayed: RefCell::default(),
            delayed_pending: Cell::new(0),
        }
    }
}

impl<B> Faults<B> {
    pub fn set(&self, fault: Fault) {
        self.fault.set(fault);
    }

    pub fn post_later_with(&self, post: Rc<PostText>) {
        *self.later.borrow_mut() = Some(post);
    }
}

impl<B: ParsedBody + Clone + 'static> Faults<B> {
    /// Posts `envelope` (already numbered, as `wire`) through `post` as the fault says, and
    /// reports through `core` what went out and what the fault did.
    pub fn post<X: 'static>(
        &self,
        core: &Core<B, X>,
        envelope: Envelope<B>,
        wire: JsValue,
        via: Via,
        post: &dyn Fn(&JsValue) -> Result<(), JsValue>,
    ) -> Result<(), Reason> {
        match self.fault.get() {
            Fault::None => post(&wire).map_err(post_refusal)?,
            Fault::Drop => {
                let said = format!(
                    "fault injection: #{} ({}) was dropped, never posted; the other side sees a gap at the next one",
                    envelope.seq,
                    envelope.kind()
                );
                core.emit(Event::Refused(Reason::new(ReasonCode::FaultInjected, said)));
                return Ok(());
            }
            Fault::Duplicate => {
                post(&wire).map_err(post_refusal)?;
                core.emit(Event::Sent { envelope: envelope.clone(), via });
                post(&wire).map_err(post_refusal)?;
            }
            Fault::Reorder if self.held.borrow().is_none() => {
                let said = format!(
                    "fault injection: #{} ({}) is held back; it goes out right after the next message, which overtakes it",
                    envelope.seq,
                    envelope.kind()
                );
                core.emit(Event::Refused(Reason::new(ReasonCode::FaultInjected, said)));
                *self.held.borrow_mut() = Some((envelope, wire, via));
                return Ok(());
            }
            Fault::Reorder => post(&wire).map_err(post_refusal)?,
            Fault::Delay => return self.post_later(core, envelope, wire, via, post),
        }
        core.emit(Event::Sent { envelope, via });
        // A message held back by `Reorder` goes out right after the one that overtook it.
        let held = self.held.borrow_mut().take();
        if let Some((envelope, wire, via)) = held {
            post(&wire).map_err(post_refusal)?;
            core.emit(Event::Sent { envelope, via });
        }
        Ok(())
    }

    fn post_later<X: 'static>(
        &self,
        core: &Core<B, X>,
        envelope: Envelope<B>,
        wire: JsValue,
        via: Via,
        post_now: &dyn Fn(&JsValue) -> Result<(), JsValue>,
    ) -> Result<(), Reason> {
        // A transport that cannot post later (no picker offers it the fault) posts at once.
        let Some(later) = self.later.borrow().clone() else {
            post_now(&wire).map_err(post_refusal)?;
            core.emit(Event::Sent { envelope, via });
            return Ok(());
        };
        if self.delayed_pending.get() >= MAX_DELAYED {
            let said = format!(
                "fault injection: {MAX_DELAYED} messages are delayed already; #{} was dropped",
                envelope.seq
            );
            return Err(Reason::new(ReasonCode::FaultInjected, said));
        }
        let said = format!(
            "fault injection: #{} ({}) is delayed {} s; what goes out meanwhile overtakes it",
            envelope.seq,
            envelope.kind(),
            FAULT_DELAY_MS / 1000
        );
        core.emit(Event::Refused(Reason::new(ReasonCode::FaultInjected, said)));
        self.delayed_pending.set(self.delayed_pending.get() + 1);
        let me = core.weak();
        let timer = Timeout::new(FAULT_DELAY_MS, move || {
            let Some(core) = me.upgrade() else { return };
            match later(&wire) {
                Ok(()) => core.emit(Event::Sent { envelope, via }),
                Err(error) => core.emit(Event::Refused(post_refusal(error))),
            }
            let faults = core.faults();
            let pending = faults.delayed_pending.get().saturating_sub(1);
            faults.delayed_pending.set(pending);
            if pending == 0 {
                // Every timer has fired: their handles can go (this one is dropped after it returns).
                let done = std::mem::take(&mut *faults.delayed.borrow_mut());
                wasm_bindgen_futures::spawn_local(async move { drop(done) });
            }
        });
        self.delayed.borrow_mut().push(timer);
        Ok(())
    }
}
