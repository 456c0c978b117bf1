//! Where a relay's rooms live, behind one trait, [`Bus`], with two adapters as sockudo has them:
//! [`MemoryBus`], the default, where this process is the whole relay; and `redis_bus::RedisBus`,
//! where every instance shares its rooms through Redis (and falls back to this process's own
//! members while Redis is away). The relay asks its bus to join, publish and tell of leaves, and
//! never asks which bus it has.

use std::future::Future;
use std::pin::Pin;

use crosstalk_protocol::SenderId;

use super::clock::now_ms;
use super::rooms::{Leave, RoomsHandle};
use super::types::{BusState, ConnId, Draft};

/// What a bus's step returns: done when the rooms have been told.
pub type Pending<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// How a join, a text and a leave reach every member of a room, wherever its members are.
pub trait Bus: Send + Sync + 'static {
    /// `conn`, speaking for `who`, joins `room` (its seat already taken by `Rooms::begin_join`):
    /// it learns the members on every instance and, given `after`, is replayed what it missed.
    fn join<'a>(
        &'a self,
        rooms: &'a RoomsHandle,
        conn: ConnId,
        room: &'a str,
        who: &'a SenderId,
        after: Option<u64>,
    ) -> Pending<'a>;

    /// Numbers `draft` for its room, once across every instance, and delivers it to every member.
    fn publish<'a>(&'a self, rooms: &'a RoomsHandle, draft: Draft) -> Pending<'a>;

    /// Members that left here: the other instances hear it. In order, so a connection that
    /// leaves a room and joins it again is removed before it is added.
    fn leave(&self, leaves: Vec<Leave>) -> Pending<'_>;

    /// What `/health` says of it.
    fn state(&self) -> BusState;

    /// The relay is shutting down: stop talking to the broker (once its members' leaves are told).
    fn stop(&self) {}
}

/// One process, no broker: every member is here, and this instance numbers each room's texts.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryBus;

impl Bus for MemoryBus {
    fn join<'a>(
        &'a self,
        rooms: &'a RoomsHandle,
        conn: ConnId,
        room: &'a str,
        _who: &'a SenderId,
        after: Option<u64>,
    ) -> Pending<'a> {
        Box::pin(async move { rooms.rooms().join_locally(conn, room, after, now_ms()) })
    }

    fn publish<'a>(&'a self, rooms: &'a RoomsHandle, draft: Draft) -> Pending<'a> {
        Box::pin(async move { rooms.rooms().publish_locally(draft, now_ms()) })
    }

    fn leave(&self, _leaves: Vec<Leave>) -> Pending<'_> {
        // Nobody else to tell: the rooms told this instance's members already.
        Box::pin(async {})
    }

    fn state(&self) -> BusState {
        BusState::Memory
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crosstalk_protocol::relay::RelayMsg;
    use crosstalk_protocol::{decode, Sender};
    use tokio::sync::mpsc;

    use super::*;
    use crate::relay::rooms::{NextStep, Outbox, Rooms};
    use crate::relay::RelayLimits;

    struct Member {
        id: ConnId,
        sender: Sender,
        frames: mpsc::Receiver<axum::extract::ws::Utf8Bytes>,
    }

    impl Member {
        fn connect(rooms: &RoomsHandle, name: &str) -> Member {
            let (outbox, frames) = Outbox::new(16);
            let id = rooms.rooms().connect(outbox).expect("room for a connection");
            Member { id, sender: Sender::new(SenderId(name.into())), frames }
        }

        /// What the rooms make of this member's next message: the step the bus then takes.
        fn says(&mut self, rooms: &RoomsHandle, body: RelayMsg) -> NextStep {
            let envelope = self.sender.envelope(body, 0.0);
            rooms.rooms().receive(self.id, envelope, 0.0)
        }

        fn heard(&mut self) -> Vec<RelayMsg> {
            std::iter::from_fn(|| self.frames.try_recv().ok())
                .map(|frame| decode::<RelayMsg>(frame.as_str()).expect("the relay's own frame").body)
                .collect()
        }
    }

    /// Joins through `bus`, as the relay does once the rooms have said to.
    async fn join(bus: &dyn Bus, rooms: &RoomsHandle, member: &mut Member, room: &str) {
        let NextStep::Join { room: named, after } =
            member.says(rooms, RelayMsg::Join { room: room.into(), after: None })
        else {
            panic!("the rooms did not say to join")
        };
        let who = rooms.rooms().begin_join(member.id, &named, 0.0).expect("a seat");
        bus.join(rooms, member.id, &named, &who, after).await;
    }

    #[tokio::test]
    async fn in_memory_a_join_is_counted_and_a_text_reaches_the_other_member_numbered() {
        let rooms = RoomsHandle::new(Rooms::new(RelayLimits::default(), Arc::default()), Arc::default());
        let (mut a, mut b) = (Member::connect(&rooms, "a"), Member::connect(&rooms, "b"));
        join(&MemoryBus, &rooms, &mut a, "lobby").await;
        join(&MemoryBus, &rooms, &mut b, "lobby").await;
        assert!(b.heard().contains(&RelayMsg::Joined { room: "lobby".into(), members: 2 }));
        a.heard();
        let NextStep::Text(draft) = a.says(&rooms, RelayMsg::Text { text: "hi".into() }) else {
            panic!("the rooms did not pass the text on")
        };
        MemoryBus.publish(&rooms, draft).await;
        let relayed: Vec<(u64, String)> = b
            .heard()
            .into_iter()
            .filter_map(|m| match m {
                RelayMsg::Relayed { room_seq, text, .. } => Some((room_seq, text.to_string())),
                _ => None,
            })
            .collect();
        assert_eq!(relayed, [(1, "hi".to_owned())]);
        assert!(matches!(a.heard()[..], [RelayMsg::Accepted { room_seq: 1, .. }]));
        assert_eq!(MemoryBus.state(), BusState::Memory);
    }
}
