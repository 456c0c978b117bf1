//! The BroadcastChannel adapter: one tab's membership of one named channel.
//!
//! A `BroadcastChannel` delivers each message to every *other* same-origin context on the same
//! name, never back to the sender. On top of it this keeps a roster (hello/here, pings answered
//! by pongs, goodbye on `pagehide`, expiry of the silent) and checks each sender's ordering. What
//! to do with each message is decided by `protocol::broadcast::Membership`; this carries it out.

use std::cell::RefCell;
use std::rc::Rc;

use crosstalk_protocol::broadcast::{BroadcastMsg, Membership, Take, PING_INTERVAL_MS};
use crosstalk_protocol::roster::Roster;
use crosstalk_protocol::{Payload, Reason, Sender, SenderId};

use super::channel::ChannelLink;
use super::core::{Core, Event, LinkState, Via};
use crate::clock::now_ms;

pub const VIA_CHANNEL: Via = "channel";

/// The number of other tabs on the channel changed; `left` are those that expired.
#[derive(Debug, Clone, PartialEq)]
pub struct Peers {
    pub count: usize,
    pub left: Vec<SenderId>,
}

pub type BroadcastEvent = Event<BroadcastMsg, Peers>;

/// This tab on one channel. Dropping it says goodbye and leaves.
pub struct BroadcastLink {
    core: Rc<Core<BroadcastMsg, Peers>>,
    channel: ChannelLink,
    membership: Rc<RefCell<Membership>>,
}

impl BroadcastLink {
    /// Joins the channel `name`, sending as `sender` (shared so numbering continues across channels).
    pub fn join(
        name: &str,
        sender: Rc<RefCell<Sender>>,
        sink: impl Fn(BroadcastEvent) + 'static,
    ) -> Result<BroadcastLink, String> {
        Self::join_with(name, sender, Roster::default(), sink)
    }

    /// The same, with a roster of its own (another expiry).
    pub fn join_with(
        name: &str,
        sender: Rc<RefCell<Sender>>,
        roster: Roster,
        sink: impl Fn(BroadcastEvent) + 'static,
    ) -> Result<BroadcastLink, String> {
        let channel = ChannelLink::new(name)?;
        let core = Core::checking_order(sender, LinkState::Ready, sink);
        let membership = Rc::new(RefCell::new(Membership::new(roster)));
        let (replies, members) = (channel.clone(), Rc::clone(&membership));
        channel.listen(&core, VIA_CHANNEL, move |core, envelope| {
            let from = envelope.from.clone();
            // The decisions are pure (`Membership::hear`, tested natively); this carries them out.
            let reaction = members.borrow_mut().hear(&from, &envelope.body, now_ms());
            match reaction.take {
                Take::Decline(reason) => return core.decline(envelope, reason, VIA_CHANNEL),
                Take::Upkeep => core.note_upkeep(envelope, VIA_CHANNEL),
                Take::Deliver => core.received(envelope, VIA_CHANNEL),
            }
            if let Some(answer) = reaction.answer {
                core.send_upkeep(answer, replies.post());
            }
            if reaction.forget {
                core.forget_sender(&from);
            }
            if reaction.peers_changed {
                let count = members.borrow().len();
                core.emit(Event::Other(Peers { count, left: Vec::new() }));
            }
        });
        // A delayed message (fault injection) goes out on the same channel, later.
        let later = channel.clone();
        core.post_later_with(move |text| later.post()(text));
        let goodbye = channel.clone();
        core.goodbye_on_pagehide(move |core| core.send_upkeep(BroadcastMsg::Goodbye, goodbye.post()));
        let (pinging, expiring) = (channel.clone(), Rc::clone(&membership));
        core.every(PING_INTERVAL_MS, move |core| {
            core.send_upkeep(BroadcastMsg::Ping, pinging.post());
            let left = expiring.borrow_mut().expire(now_ms());
            left.iter().for_each(|peer| core.forget_sender(peer));
            if !left.is_empty() {
                let count = expiring.borrow().len();
                core.emit(Event::Other(Peers { count, left }));
            }
        });
        if let Err(reason) = core.send(BroadcastMsg::Hello, VIA_CHANNEL, channel.post()) {
            core.emit(Event::Refused(reason));
        }
        Ok(BroadcastLink { core, channel, membership })
    }

    pub fn name(&self) -> String {
        self.channel.name()
    }

    pub fn sender_id(&self) -> SenderId {
        self.core.sender_id()
    }

    /// How many other tabs are on the channel now.
    pub fn peers(&self) -> usize {
        self.membership.borrow().len()
    }

    /// Sends envelopes as text or as cloned objects from now on (the benchmark's switch).
    pub fn set_wire(&self, wire: super::js_wire::Wire) {
        self.core.set_wire(wire);
    }

    /// What fault injection does to this tab's messages on the channel from now on.
    pub fn set_fault(&self, fault: super::core::Fault) {
        self.core.set_fault(fault);
    }

    // lesson: broadcast
    pub fn send_text(&self, text: impl Into<Payload>) -> Result<(), Reason> {
        self.core.send(BroadcastMsg::Text { text: text.into() }, VIA_CHANNEL, self.channel.post())
    }
    // lesson end

    /// Sends raw text that is not an envelope, to show the others refusing it (fault injection).
    pub fn send_raw(&self, text: &str) -> Result<(), Reason> {
        self.core.send_raw(text, VIA_CHANNEL, self.channel.post())
    }

    /// Leaves the channel without a goodbye, as a crashed or frozen tab does: no more pings, no
    /// more answers. The others drop this tab only when its silence outlasts their timeout.
    pub fn vanish(&self) {
        self.core.stop();
        self.channel.close();
    }

    /// Whether this member vanished (and will say no goodbye when dropped).
    pub fn vanished(&self) -> bool {
        self.core.is_stopped()
    }
}

impl Drop for BroadcastLink {
    fn drop(&mut self) {
        if self.core.is_stopped() {
            return;
        }
        self.core.send_upkeep(BroadcastMsg::Goodbye, self.channel.post());
        self.core.stop();
        self.channel.close();
    }
}
