//! Who is connected, who is in which room, and fan-out: the relay's state, behind one lock.
//!
//! Every frame to a client is encoded here with that connection's own relay sender (so each
//! client sees the relay's envelopes numbered without gaps) and pushed onto its bounded queue.
//! A client whose queue is full is too slow: it is kicked with its own close code, leaves its
//! room, and the room carries on. Nothing a client does can make this grow without bound: the
//! connections, rooms, members of a room and each queue are capped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::ws::Utf8Bytes;
use crosstalk_protocol::relay::{close, RelayMsg};
use crosstalk_protocol::{Body as _, Envelope, Reason, ReasonCode, Sender, SenderId};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::health::Stats;
use super::RelayLimits;

pub type ConnId = u64;

/// Why the relay closes a connection: the close code and the reason sent with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kick {
    pub code: u16,
    pub reason: String,
}

/// The relay's end of one connection's outbound queue; the connection task holds the other.
#[derive(Debug, Clone)]
pub struct Outbox {
    frames: mpsc::Sender<Utf8Bytes>,
    /// Bytes waiting in the queue: the writer subtracts what it has written.
    pub queued_bytes: Arc<AtomicUsize>,
    /// Cancelled when the relay closes this connection; `kick` says why.
    pub kicked: CancellationToken,
    pub kick: Arc<std::sync::Mutex<Option<Kick>>>,
}

impl Outbox {
    /// A queue of at most `frames` frames, and its receiving end.
    pub fn new(frames: usize) -> (Outbox, mpsc::Receiver<Utf8Bytes>) {
        let (tx, rx) = mpsc::channel(frames.max(1));
        let outbox = Outbox {
            frames: tx,
            queued_bytes: Arc::default(),
            kicked: CancellationToken::new(),
            kick: Arc::default(),
        };
        (outbox, rx)
    }

    /// Closes this connection with `kick`, unless it was already being closed.
    pub fn kick(&self, kick: Kick) {
        if let Ok(mut slot) = self.kick.lock() {
            slot.get_or_insert(kick);
        }
        self.kicked.cancel();
    }

    /// Why the relay closed this connection, if it did.
    pub fn kicked_for(&self) -> Option<Kick> {
        self.kick.lock().ok().and_then(|k| k.clone())
    }
}

struct Conn {
    /// The relay's numbering towards this connection.
    relay: Sender,
    /// Who this connection speaks for: bound by its first envelope.
    speaks_for: Option<SenderId>,
    room: Option<String>,
    outbox: Outbox,
}

#[derive(Default)]
struct Room {
    /// The room's own numbering of the texts it relayed.
    seq: u64,
    members: BTreeSet<ConnId>,
}

/// Everything the relay knows about its clients.
pub struct Rooms {
    limits: RelayLimits,
    conns: BTreeMap<ConnId, Conn>,
    rooms: BTreeMap<String, Room>,
    next_conn: ConnId,
    stats: Arc<Stats>,
}

impl Rooms {
    pub fn new(limits: RelayLimits, stats: Arc<Stats>) -> Rooms {
        Rooms { limits, conns: BTreeMap::new(), rooms: BTreeMap::new(), next_conn: 1, stats }
    }

    pub fn connections(&self) -> usize {
        self.conns.len()
    }

    pub fn rooms(&self) -> usize {
        self.rooms.len()
    }

    /// Whether one more connection fits.
    pub fn has_room_for_a_connection(&self) -> bool {
        self.conns.len() < self.limits.max_connections
    }

    /// Registers a connection; `None` when the relay is full.
    pub fn connect(&mut self, outbox: Outbox) -> Option<ConnId> {
        if !self.has_room_for_a_connection() {
            return None;
        }
        let id = self.next_conn;
        self.next_conn += 1;
        let relay = Sender::new(SenderId(format!("relay-{id}")));
        self.conns.insert(id, Conn { relay, speaks_for: None, room: None, outbox });
        Some(id)
    }

    /// One envelope from `conn`, already decoded: joins, relays, or refuses with an error frame.
    pub fn receive(&mut self, conn: ConnId, envelope: Envelope<RelayMsg>, now_ms: f64) {
        let Some(speaks_for) = self
            .conns
            .get_mut(&conn)
            .map(|c| c.speaks_for.get_or_insert_with(|| envelope.from.clone()).clone())
        else {
            return;
        };
        if speaks_for != envelope.from {
            let said = format!("this connection speaks for {speaks_for}, not {}", envelope.from);
            return self.refuse(conn, Reason::new(ReasonCode::WrongSender, said), now_ms);
        }
        match envelope.body {
            RelayMsg::Join { room } => self.join(conn, &room, now_ms),
            RelayMsg::Text { text } => self.relay(conn, envelope.seq, envelope.sent_at, text, now_ms),
            other => {
                let said = format!("the relay does not take \"{}\" from a client", other.kind());
                self.refuse(conn, Reason::new(ReasonCode::UnexpectedKind, said), now_ms);
            }
        }
    }

    /// Tells `conn` its frame was refused (and not relayed).
    pub fn refuse(&mut self, conn: ConnId, reason: Reason, now_ms: f64) {
        self.send(conn, RelayMsg::Error { code: reason.code, reason: reason.text }, now_ms);
        self.settle(now_ms);
    }

    fn join(&mut self, conn: ConnId, name: &str, now_ms: f64) {
        let name = match crosstalk_protocol::relay::room_name(name) {
            Ok(name) => name.to_owned(),
            Err(reason) => return self.refuse(conn, reason, now_ms),
        };
        let full = match self.rooms.get(&name) {
            Some(room) => room.members.len() >= self.limits.max_members,
            None => self.rooms.len() >= self.limits.max_rooms,
        };
        if full {
            let said = format!(
                "room {name} cannot be joined: a room holds at most {} members, the relay at most {} rooms",
                self.limits.max_members, self.limits.max_rooms
            );
            return self.refuse(conn, Reason::new(ReasonCode::RoomFull, said), now_ms);
        }
        self.leave_room(conn, now_ms);
        let room = self.rooms.entry(name.clone()).or_default();
        room.members.insert(conn);
        let members = room.members.len() as u32;
        let others: Vec<ConnId> = room.members.iter().copied().filter(|m| *m != conn).collect();
        let who = self.conns.get_mut(&conn).and_then(|c| {
            c.room = Some(name.clone());
            c.speaks_for.clone()
        });
        self.send(conn, RelayMsg::Joined { room: name.clone(), members }, now_ms);
        for other in others {
            let notice = RelayMsg::Members { room: name.clone(), members, joined: who.clone(), left: None };
            self.send(other, notice, now_ms);
        }
        self.settle(now_ms);
    }

    fn relay(&mut self, conn: ConnId, seq: u64, sent_at: f64, text: String, now_ms: f64) {
        let (Some(name), Some(from)) = (
            self.conns.get(&conn).and_then(|c| c.room.clone()),
            self.conns.get(&conn).and_then(|c| c.speaks_for.clone()),
        ) else {
            return self.refuse(conn, Reason::new(ReasonCode::NotReady, "join a room first"), now_ms);
        };
        let Some(room) = self.rooms.get_mut(&name) else { return };
        room.seq += 1;
        let room_seq = room.seq;
        let others: Vec<ConnId> = room.members.iter().copied().filter(|m| *m != conn).collect();
        self.stats.relayed();
        self.send(conn, RelayMsg::Accepted { reply_to: seq, room_seq }, now_ms);
        for other in others {
            let body = RelayMsg::Relayed { room_seq, from: from.clone(), seq, sent_at, text: text.clone() };
            self.send(other, body, now_ms);
        }
        self.settle(now_ms);
    }

    /// Encodes `body` for `conn` and queues it; a full queue kicks the connection as too slow.
    fn send(&mut self, conn: ConnId, body: RelayMsg, now_ms: f64) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.outbox.kicked.is_cancelled() {
            return;
        }
        let Ok(wire) = c.relay.envelope(body, now_ms).encode() else { return };
        let bytes = wire.len();
        let queued = c.outbox.queued_bytes.load(Ordering::Relaxed);
        let fits = queued + bytes <= self.limits.queue_bytes
            && c.outbox.frames.try_send(Utf8Bytes::from(wire)).is_ok();
        if fits {
            c.outbox.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
        } else {
            let reason = format!("too slow: {queued} bytes were still waiting to be read");
            c.outbox.kick(Kick { code: close::TOO_SLOW, reason });
        }
    }

    /// Takes every connection kicked so far out of its room, telling the others; repeats until
    /// those notices kick nobody else.
    fn settle(&mut self, now_ms: f64) {
        loop {
            let kicked: Vec<ConnId> = self
                .conns
                .iter()
                .filter(|(_, c)| c.outbox.kicked.is_cancelled() && c.room.is_some())
                .map(|(id, _)| *id)
                .collect();
            if kicked.is_empty() {
                return;
            }
            for conn in kicked {
                self.leave_room(conn, now_ms);
            }
        }
    }

    /// `conn` leaves its room (if any); the others are told; an empty room is forgotten.
    fn leave_room(&mut self, conn: ConnId, now_ms: f64) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        let (Some(name), who) = (c.room.take(), c.speaks_for.clone()) else { return };
        let Some(room) = self.rooms.get_mut(&name) else { return };
        room.members.remove(&conn);
        let members = room.members.len() as u32;
        let others: Vec<ConnId> = room.members.iter().copied().collect();
        if others.is_empty() {
            self.rooms.remove(&name);
        }
        for other in others {
            let notice = RelayMsg::Members { room: name.clone(), members, joined: None, left: who.clone() };
            self.send(other, notice, now_ms);
        }
    }

    /// The connection is gone: out of its room and forgotten.
    pub fn disconnect(&mut self, conn: ConnId, now_ms: f64) {
        self.leave_room(conn, now_ms);
        self.conns.remove(&conn);
        self.settle(now_ms);
    }

    /// Closes every connection with `kick` (the relay stopping or going away).
    pub fn kick_all(&mut self, kick: &Kick) {
        for c in self.conns.values() {
            c.outbox.kick(kick.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RelayLimits {
        RelayLimits {
            queue_frames: 4,
            queue_bytes: 4096,
            max_members: 3,
            max_rooms: 2,
            ..RelayLimits::default()
        }
    }

    struct Client {
        id: ConnId,
        sender: Sender,
        rx: mpsc::Receiver<Utf8Bytes>,
        outbox: Outbox,
    }

    impl Client {
        fn connect(rooms: &mut Rooms, name: &str) -> Client {
            let (outbox, rx) = Outbox::new(rooms.limits.queue_frames);
            let id = rooms.connect(outbox.clone()).expect("room for a connection");
            Client { id, sender: Sender::new(SenderId(name.into())), rx, outbox }
        }
        fn say(&mut self, rooms: &mut Rooms, body: RelayMsg) {
            let envelope = self.sender.envelope(body, 0.0);
            rooms.receive(self.id, envelope, 0.0);
        }
        /// Everything queued for this client, decoded, and the queue's byte count emptied.
        fn heard(&mut self) -> Vec<RelayMsg> {
            let mut heard = Vec::new();
            while let Ok(frame) = self.rx.try_recv() {
                self.outbox.queued_bytes.fetch_sub(frame.len(), Ordering::Relaxed);
                heard.push(crosstalk_protocol::decode::<RelayMsg>(frame.as_str()).unwrap().body);
            }
            heard
        }
    }

    fn rooms() -> Rooms {
        Rooms::new(limits(), Arc::default())
    }

    #[test]
    fn texts_go_to_the_other_members_in_order_numbered_by_the_room() {
        let mut rooms = rooms();
        let (mut a, mut b, mut c) = (
            Client::connect(&mut rooms, "a"),
            Client::connect(&mut rooms, "b"),
            Client::connect(&mut rooms, "c"),
        );
        for client in [&mut a, &mut b] {
            client.say(&mut rooms, RelayMsg::Join { room: "lobby".into() });
        }
        c.say(&mut rooms, RelayMsg::Join { room: "elsewhere".into() });
        a.heard();
        b.heard();
        c.heard();
        a.say(&mut rooms, RelayMsg::Text { text: "one".into() });
        a.say(&mut rooms, RelayMsg::Text { text: "two".into() });
        assert_eq!(
            a.heard(),
            [
                RelayMsg::Accepted { reply_to: 2, room_seq: 1 },
                RelayMsg::Accepted { reply_to: 3, room_seq: 2 }
            ],
            "the sender hears its numbers, never its own text"
        );
        let texts: Vec<(u64, String)> = b
            .heard()
            .into_iter()
            .map(|m| match m {
                RelayMsg::Relayed { room_seq, text, .. } => (room_seq, text),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(texts, [(1, "one".to_owned()), (2, "two".to_owned())]);
        assert!(c.heard().is_empty(), "another room hears nothing");
    }

    #[test]
    fn joining_and_leaving_are_told_to_the_others() {
        let mut rooms = rooms();
        let (mut a, mut b) = (Client::connect(&mut rooms, "a"), Client::connect(&mut rooms, "b"));
        a.say(&mut rooms, RelayMsg::Join { room: "lobby".into() });
        assert_eq!(a.heard(), [RelayMsg::Joined { room: "lobby".into(), members: 1 }]);
        b.say(&mut rooms, RelayMsg::Join { room: "lobby".into() });
        let joined = Some(SenderId("b".into()));
        assert_eq!(a.heard(), [RelayMsg::Members { room: "lobby".into(), members: 2, joined, left: None }]);
        rooms.disconnect(b.id, 0.0);
        let left = Some(SenderId("b".into()));
        assert_eq!(a.heard(), [RelayMsg::Members { room: "lobby".into(), members: 1, joined: None, left }]);
        rooms.disconnect(a.id, 0.0);
        assert_eq!((rooms.connections(), rooms.rooms()), (0, 0), "nothing left behind");
    }

    #[test]
    fn refusals_come_back_as_error_frames_with_their_code() {
        let mut rooms = rooms();
        let mut a = Client::connect(&mut rooms, "a");
        a.say(&mut rooms, RelayMsg::Text { text: "too early".into() });
        a.say(&mut rooms, RelayMsg::Join { room: "no spaces".into() });
        a.say(&mut rooms, RelayMsg::Accepted { reply_to: 1, room_seq: 1 });
        let forged =
            Sender::new(SenderId("mallory".into())).envelope(RelayMsg::Join { room: "x".into() }, 0.0);
        rooms.receive(a.id, forged, 0.0);
        let codes: Vec<ReasonCode> = a
            .heard()
            .into_iter()
            .map(|m| match m {
                RelayMsg::Error { code, .. } => code,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            codes,
            [ReasonCode::NotReady, ReasonCode::BadRoom, ReasonCode::UnexpectedKind, ReasonCode::WrongSender]
        );
    }

    #[test]
    fn rooms_members_and_connections_are_capped() {
        let mut rooms = rooms();
        let mut clients: Vec<Client> =
            (0..4).map(|n| Client::connect(&mut rooms, &format!("c{n}"))).collect();
        for client in clients.iter_mut() {
            client.say(&mut rooms, RelayMsg::Join { room: "lobby".into() });
        }
        assert!(matches!(clients[3].heard()[..], [RelayMsg::Error { code: ReasonCode::RoomFull, .. }]));
        clients[0].say(&mut rooms, RelayMsg::Join { room: "second".into() });
        clients[1].say(&mut rooms, RelayMsg::Join { room: "third".into() });
        assert_eq!(rooms.rooms(), 2, "lobby and second; a third room is refused");
        assert!(clients[1]
            .heard()
            .iter()
            .any(|m| matches!(m, RelayMsg::Error { code: ReasonCode::RoomFull, .. })));

        let mut tight = Rooms::new(RelayLimits { max_connections: 1, ..limits() }, Arc::default());
        let _only = Client::connect(&mut tight, "only");
        assert!(!tight.has_room_for_a_connection());
        assert!(tight.connect(Outbox::new(1).0).is_none());
    }

    #[test]
    fn a_client_that_does_not_read_is_kicked_as_too_slow_and_the_room_carries_on() {
        let mut rooms = rooms();
        let (mut a, mut b, mut slow) = (
            Client::connect(&mut rooms, "a"),
            Client::connect(&mut rooms, "b"),
            Client::connect(&mut rooms, "slow"),
        );
        for client in [&mut a, &mut b, &mut slow] {
            client.say(&mut rooms, RelayMsg::Join { room: "lobby".into() });
        }
        a.heard();
        b.heard();
        for n in 0..10 {
            a.say(&mut rooms, RelayMsg::Text { text: format!("message {n}") });
            a.heard();
            let want = format!("message {n}");
            assert!(
                b.heard().iter().any(|m| matches!(m, RelayMsg::Relayed { text, .. } if *text == want)),
                "b keeps up"
            );
        }
        let kick = slow.outbox.kicked_for().expect("kicked");
        assert_eq!(kick.code, close::TOO_SLOW);
        assert!(slow.rx.len() <= limits().queue_frames, "its queue never grew past the cap");
        a.say(&mut rooms, RelayMsg::Text { text: "after".into() });
        assert!(matches!(&b.heard()[..], [RelayMsg::Relayed { text, .. }] if text == "after"));
    }
}
