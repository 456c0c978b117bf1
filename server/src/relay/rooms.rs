//! Who is connected, who is in which room, and fan-out: the relay's state, behind one lock.
//!
//! Every frame to a client is encoded here with that connection's own relay sender (so each
//! client sees the relay's envelopes numbered without gaps) and pushed onto its bounded queue.
//! A client whose queue is full is too slow: it is kicked with its own close code, leaves its
//! room, and the room carries on. Nothing a client does can make this grow without bound: the
//! connections, rooms, members of a room and each queue are capped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;
use crosstalk_protocol::relay::{close, RelayMsg};
use crosstalk_protocol::{Body as _, Envelope, Reason, ReasonCode, Sender, SenderId};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::health::Stats;
use super::history::{Histories, Since};
use super::limits::RelayLimits;
use super::types::{ConnId, Draft, Headcount, Origin, Said};

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
    /// While it joins: the room's traffic that arrives before `joined` (and the replay) has
    /// gone out, held back so the client hears everything in the room's order. The number is
    /// the room's, for texts, so nothing replayed is sent twice.
    held: Option<Vec<(Option<u64>, RelayMsg)>>,
}

#[derive(Default)]
struct Room {
    /// This instance's members.
    members: BTreeSet<ConnId>,
    /// Members on every instance, as last counted.
    total: u32,
}

/// What the relay does next with a client's envelope once the rooms have checked it.
#[derive(Debug, Clone, PartialEq)]
pub enum NextStep {
    /// Refused (and told), or nothing more to do.
    Nothing,
    /// Join `room`, replaying what came after `after` if given.
    Join { room: String, after: Option<u64> },
    /// Number this text for its room and fan it out.
    Text(Draft),
}

/// A member that left while a broker counts members: for the broker to hear.
#[derive(Debug, Clone, PartialEq)]
pub struct Leave {
    pub room: String,
    pub conn: ConnId,
    pub who: SenderId,
}

/// One of this instance's rooms: its name, its members (connection, sender), its last number.
pub type LocalRoom = (String, Vec<(ConnId, SenderId)>, u64);

/// What became of a numbered text handed to [`Rooms::deliver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    Done,
    /// Its number was delivered already.
    Duplicate,
    /// Numbers after `after` and before it have not arrived: fetch them first.
    Gap {
        after: u64,
    },
}

/// Everything the relay knows about its clients.
pub struct Rooms {
    limits: RelayLimits,
    /// This instance's name on the bus (an `Origin`'s instance).
    instance: String,
    conns: BTreeMap<ConnId, Conn>,
    rooms: BTreeMap<String, Room>,
    next_conn: ConnId,
    stats: Arc<Stats>,
    /// Every room's recent texts: the history resuming clients get on the in-memory relay, and
    /// this instance's own copy (and numbering) while the broker is away.
    history: Histories,
    /// Whether a broker numbers the rooms and counts their members (Redis, up).
    shared: bool,
    leaves: Vec<Leave>,
}

impl Rooms {
    pub fn new(limits: RelayLimits, stats: Arc<Stats>) -> Rooms {
        Rooms::on_instance(limits, stats, "local")
    }

    pub fn on_instance(limits: RelayLimits, stats: Arc<Stats>, instance: &str) -> Rooms {
        Rooms {
            limits,
            instance: instance.to_owned(),
            conns: BTreeMap::new(),
            rooms: BTreeMap::new(),
            next_conn: 1,
            stats,
            history: Histories::new(limits.history),
            shared: false,
            leaves: Vec::new(),
        }
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
        self.conns.insert(id, Conn { relay, speaks_for: None, room: None, outbox, held: None });
        Some(id)
    }

    /// One envelope from `conn`, already decoded: checked here (its sender, its kind, its room
    /// name, its being in a room), refused with an error frame, or handed back as what to do.
    pub fn receive(&mut self, conn: ConnId, envelope: Envelope<RelayMsg>, now_ms: f64) -> NextStep {
        let Some(speaks_for) = self
            .conns
            .get_mut(&conn)
            .map(|c| c.speaks_for.get_or_insert_with(|| envelope.from.clone()).clone())
        else {
            return NextStep::Nothing;
        };
        if speaks_for != envelope.from {
            let said = format!("this connection speaks for {speaks_for}, not {}", envelope.from);
            self.refuse(conn, Reason::new(ReasonCode::WrongSender, said), now_ms);
            return NextStep::Nothing;
        }
        match envelope.body {
            RelayMsg::Join { room, after } => match crosstalk_protocol::relay::room_name(&room) {
                Ok(room) => NextStep::Join { room: room.to_owned(), after },
                Err(reason) => {
                    self.refuse(conn, reason, now_ms);
                    NextStep::Nothing
                }
            },
            RelayMsg::Text { text } => {
                let Some(room) = self.conns.get(&conn).and_then(|c| c.room.clone()) else {
                    self.refuse(conn, Reason::new(ReasonCode::NotReady, "join a room first"), now_ms);
                    return NextStep::Nothing;
                };
                self.stats.relayed();
                let origin = Origin { instance: self.instance.clone(), conn };
                let (seq, sent_at) = (envelope.seq, envelope.sent_at);
                NextStep::Text(Draft {
                    room,
                    from: speaks_for,
                    seq,
                    sent_at,
                    text: text.to_text().into_owned(),
                    origin,
                })
            }
            other => {
                let said = format!("the relay does not take \"{}\" from a client", other.kind());
                self.refuse(conn, Reason::new(ReasonCode::UnexpectedKind, said), now_ms);
                NextStep::Nothing
            }
        }
    }

    /// Does `next` within this process: the in-memory relay, or any instance while its broker
    /// is away.
    pub fn locally(&mut self, conn: ConnId, next: NextStep, now_ms: f64) {
        match next {
            NextStep::Nothing => {}
            NextStep::Join { room, after } => {
                if self.begin_join(conn, &room, now_ms).is_some() {
                    self.join_locally(conn, &room, after, now_ms);
                }
            }
            NextStep::Text(draft) => self.publish_locally(draft, now_ms),
        }
    }

    /// Tells `conn` its frame was refused (and not relayed).
    pub fn refuse(&mut self, conn: ConnId, reason: Reason, now_ms: f64) {
        self.send_now(conn, RelayMsg::Error { code: reason.code, reason: reason.text }, now_ms);
        self.settle(now_ms);
    }

    /// The first half of a join: room caps checked, the old room left, and `conn` a member of
    /// `name` that hears nothing yet (what arrives is held). Its sender id when it may go on.
    pub fn begin_join(&mut self, conn: ConnId, name: &str, now_ms: f64) -> Option<SenderId> {
        let full = match self.rooms.get(name) {
            Some(room) => room.members.len() >= self.limits.max_members,
            None => self.rooms.len() >= self.limits.max_rooms,
        };
        if full {
            let said = format!(
                "room {name} cannot be joined: a room holds at most {} members, the relay at most {} rooms",
                self.limits.max_members, self.limits.max_rooms
            );
            self.refuse(conn, Reason::new(ReasonCode::RoomFull, said), now_ms);
            return None;
        }
        self.leave_room(conn, now_ms);
        let who = self.conns.get(&conn)?.speaks_for.clone()?;
        self.rooms.entry(name.to_owned()).or_default().members.insert(conn);
        if let Some(c) = self.conns.get_mut(&conn) {
            c.room = Some(name.to_owned());
            c.held = Some(Vec::new());
        }
        Some(who)
    }

    /// The second half of a join within this process: counted here, the others told, the
    /// history replayed from here.
    pub fn join_locally(&mut self, conn: ConnId, name: &str, after: Option<u64>, now_ms: f64) {
        let Some(room) = self.rooms.get_mut(name) else { return };
        let members = room.members.len() as u32;
        room.total = members;
        let others: Vec<ConnId> = room.members.iter().copied().filter(|m| *m != conn).collect();
        let who = self.conns.get(&conn).and_then(|c| c.speaks_for.clone());
        for other in others {
            let notice =
                RelayMsg::Members { room: name.to_owned(), members, joined: who.clone(), left: None };
            self.send(other, notice, now_ms);
        }
        let since = after.map(|after| (after, self.history.since(name, after, now_ms)));
        self.finish_join(conn, name, members, since, now_ms);
    }

    /// The last half of any join: `joined`, then (resuming) `resumed` and the texts after the
    /// client's last seen, then what was held meanwhile, without repeats; from then on, live.
    pub fn finish_join(
        &mut self,
        conn: ConnId,
        name: &str,
        members: u32,
        since: Option<(u64, Since)>,
        now_ms: f64,
    ) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if c.room.as_deref() != Some(name) {
            return;
        }
        let held = c.held.take().unwrap_or_default();
        if let Some(room) = self.rooms.get_mut(name) {
            room.total = members;
        }
        self.send_now(conn, RelayMsg::Joined { room: name.to_owned(), members }, now_ms);
        let mut last = 0;
        if let Some((after, since)) = since {
            // Half the client's queue at most, so live traffic still fits behind the replay.
            let frames = self.conns.get(&conn).map_or(0, |c| c.outbox.frames.max_capacity());
            let since = since.fitting(frames / 2, self.limits.queue_bytes / 2);
            let resumed = RelayMsg::Resumed {
                room: name.to_owned(),
                after,
                replaying: since.items.len() as u64,
                missed: since.missed,
            };
            self.send_now(conn, resumed, now_ms);
            for said in since.items {
                last = last.max(said.room_seq);
                self.send_now(conn, relayed(said), now_ms);
            }
        }
        for (room_seq, body) in held {
            if room_seq.is_none_or(|n| n > last) {
                self.send_now(conn, body, now_ms);
            }
        }
        self.settle(now_ms);
    }

    /// Numbers `draft` here (after the highest number this instance knows for the room) and
    /// delivers it.
    pub fn publish_locally(&mut self, draft: Draft, now_ms: f64) {
        let room = draft.room.clone();
        let said = draft.numbered(self.history.head(&room) + 1, now_ms);
        self.deliver(&room, said, now_ms);
    }

    /// A numbered text for `room`: kept, then the sender's connection (if here) gets `accepted`
    /// and this instance's other members `relayed` — unless its number came already, or numbers
    /// before it are missing.
    pub fn deliver(&mut self, room: &str, said: Said, now_ms: f64) -> Delivered {
        let head = self.history.head(room);
        if head != 0 && said.room_seq <= head {
            return Delivered::Duplicate;
        }
        if head != 0 && said.room_seq > head + 1 {
            return Delivered::Gap { after: head };
        }
        self.history.keep(room, said.clone(), now_ms);
        let members: Vec<ConnId> =
            self.rooms.get(room).map(|r| r.members.iter().copied().collect()).unwrap_or_default();
        let ours = (said.origin.instance == self.instance).then_some(said.origin.conn);
        let room_seq = said.room_seq;
        for member in members {
            let body = match ours == Some(member) {
                true => RelayMsg::Accepted { reply_to: said.seq, room_seq },
                false => relayed(said.clone()),
            };
            self.send_numbered(member, Some(room_seq), body, now_ms);
        }
        self.settle(now_ms);
        Delivered::Done
    }

    /// Someone joined or left on some instance (or this one): this instance's members hear the
    /// new count, except the one it is about.
    pub fn headcount(&mut self, count: Headcount, now_ms: f64) {
        let Some(room) = self.rooms.get_mut(&count.room) else { return };
        room.total = count.members;
        let about = (count.origin.instance == self.instance).then_some(count.origin.conn);
        let members: Vec<ConnId> = room.members.iter().copied().filter(|m| Some(*m) != about).collect();
        for member in members {
            let Headcount { room, members, joined, left, .. } = count.clone();
            self.send(member, RelayMsg::Members { room, members, joined, left }, now_ms);
        }
        self.settle(now_ms);
    }

    /// The broker counted `members` in `room`: told to this instance's members if it changed.
    pub fn recount(&mut self, name: &str, members: u32, now_ms: f64) {
        let Some(room) = self.rooms.get_mut(name) else { return };
        if room.total == members {
            return;
        }
        room.total = members;
        let all: Vec<ConnId> = room.members.iter().copied().collect();
        for member in all {
            let notice = RelayMsg::Members { room: name.to_owned(), members, joined: None, left: None };
            self.send(member, notice, now_ms);
        }
        self.settle(now_ms);
    }

    /// The broker came (`true`) or went: without it, rooms count this instance's members alone.
    pub fn set_shared(&mut self, shared: bool, now_ms: f64) {
        self.shared = shared;
        if !shared {
            let counts: Vec<(String, u32)> =
                self.rooms.iter().map(|(name, room)| (name.clone(), room.members.len() as u32)).collect();
            for (name, members) in counts {
                self.recount(&name, members, now_ms);
            }
        }
    }

    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// This instance's rooms: each with its members (connection, sender) and its last number.
    pub fn local_rooms(&self) -> Vec<LocalRoom> {
        self.rooms
            .iter()
            .map(|(name, room)| {
                let members = room
                    .members
                    .iter()
                    .filter_map(|m| Some((*m, self.conns.get(m)?.speaks_for.clone()?)))
                    .collect();
                (name.clone(), members, self.history.head(name))
            })
            .collect()
    }

    /// The broker numbered `room` up to `head` elsewhere.
    pub fn raise_head(&mut self, room: &str, head: u64) {
        self.history.raise_head(room, head);
    }

    /// Members that left since the last call, for the broker.
    pub fn take_leaves(&mut self) -> Vec<Leave> {
        std::mem::take(&mut self.leaves)
    }

    /// Encodes `body` for `conn` and queues it (room traffic: held while `conn` joins).
    fn send(&mut self, conn: ConnId, body: RelayMsg, now_ms: f64) {
        self.send_numbered(conn, None, body, now_ms);
    }

    fn send_numbered(&mut self, conn: ConnId, room_seq: Option<u64>, body: RelayMsg, now_ms: f64) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        if let Some(held) = c.held.as_mut() {
            if held.len() < self.limits.queue_frames {
                held.push((room_seq, body));
            } else {
                let reason = format!("too slow: {} messages arrived while it joined", held.len());
                c.outbox.kick(Kick { code: close::TOO_SLOW, reason });
            }
            return;
        }
        self.send_now(conn, body, now_ms);
    }

    /// Encodes `body` for `conn` and queues it; a full queue kicks the connection as too slow.
    fn send_now(&mut self, conn: ConnId, body: RelayMsg, now_ms: f64) {
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

    /// `conn` leaves its room (if any); the others are told (by the broker, when one counts);
    /// an empty room is forgotten (its history is kept).
    fn leave_room(&mut self, conn: ConnId, now_ms: f64) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        c.held = None;
        let (Some(name), who) = (c.room.take(), c.speaks_for.clone()) else { return };
        let Some(room) = self.rooms.get_mut(&name) else { return };
        room.members.remove(&conn);
        let others: Vec<ConnId> = room.members.iter().copied().collect();
        if others.is_empty() {
            self.rooms.remove(&name);
        }
        if self.shared {
            if let Some(who) = who {
                self.leaves.push(Leave { room: name, conn, who });
            }
            return;
        }
        let members = others.len() as u32;
        if let Some(room) = self.rooms.get_mut(&name) {
            room.total = members;
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

/// A numbered text as the other members get it.
fn relayed(said: Said) -> RelayMsg {
    let Said { room_seq, from, seq, sent_at, text, .. } = said;
    RelayMsg::Relayed { room_seq, from, seq, sent_at, text: text.into() }
}

/// What the Redis adapter may touch: this instance's rooms and the relay's counters, and nothing
/// else of the relay.
#[derive(Clone)]
pub struct RoomsHandle {
    rooms: Arc<Mutex<Rooms>>,
    stats: Arc<Stats>,
}

impl RoomsHandle {
    pub fn new(rooms: Rooms, stats: Arc<Stats>) -> RoomsHandle {
        RoomsHandle { rooms: Arc::new(Mutex::new(rooms)), stats }
    }

    pub fn rooms(&self) -> MutexGuard<'_, Rooms> {
        // A panic while holding the lock leaves consistent-enough maps; keep serving.
        self.rooms.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
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
            let frames = rooms.limits.queue_frames;
            Client::connect_with(rooms, name, frames)
        }
        /// A client with a queue of `frames` (the default four are few for a replay).
        fn connect_with(rooms: &mut Rooms, name: &str, frames: usize) -> Client {
            let (outbox, rx) = Outbox::new(frames);
            let id = rooms.connect(outbox.clone()).expect("room for a connection");
            Client { id, sender: Sender::new(SenderId(name.into())), rx, outbox }
        }
        fn say(&mut self, rooms: &mut Rooms, body: RelayMsg) {
            let envelope = self.sender.envelope(body, 0.0);
            let next = rooms.receive(self.id, envelope, 0.0);
            rooms.locally(self.id, next, 0.0);
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
            client.say(&mut rooms, RelayMsg::Join { after: None, room: "lobby".into() });
        }
        c.say(&mut rooms, RelayMsg::Join { after: None, room: "elsewhere".into() });
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
                RelayMsg::Relayed { room_seq, text, .. } => (room_seq, text.to_string()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(texts, [(1, "one".to_owned()), (2, "two".to_owned())]);
        assert!(c.heard().is_empty(), "another room hears nothing");
    }

    fn numbers(heard: &[RelayMsg]) -> Vec<(String, u64)> {
        heard
            .iter()
            .filter_map(|m| match m {
                RelayMsg::Relayed { room_seq, text, .. } => Some((text.to_string(), *room_seq)),
                RelayMsg::Accepted { room_seq, .. } => Some(("(accepted)".into(), *room_seq)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_client_that_comes_back_with_its_last_seen_gets_exactly_what_it_missed_then_live() {
        let mut rooms = rooms();
        let (mut a, mut b) = (Client::connect(&mut rooms, "a"), Client::connect(&mut rooms, "b"));
        for client in [&mut a, &mut b] {
            client.say(&mut rooms, RelayMsg::Join { after: None, room: "lobby".into() });
        }
        a.say(&mut rooms, RelayMsg::Text { text: "seen".into() });
        assert_eq!(numbers(&b.heard()), [("seen".to_owned(), 1)]);
        rooms.disconnect(b.id, 0.0);
        a.heard();
        for text in ["one", "two", "three"] {
            a.say(&mut rooms, RelayMsg::Text { text: text.into() });
            a.heard();
        }
        // b comes back on a new connection, as the same sender, having seen #1.
        let (outbox, rx) = Outbox::new(16);
        let id = rooms.connect(outbox.clone()).unwrap();
        let mut back = Client { id, sender: b.sender, rx, outbox };
        back.say(&mut rooms, RelayMsg::Join { after: Some(1), room: "lobby".into() });
        a.say(&mut rooms, RelayMsg::Text { text: "live".into() });
        let heard = back.heard();
        assert_eq!(heard[0], RelayMsg::Joined { room: "lobby".into(), members: 2 });
        assert_eq!(heard[1], RelayMsg::Resumed { room: "lobby".into(), after: 1, replaying: 3, missed: 0 });
        let texts: Vec<(String, u64)> =
            ["one", "two", "three", "live"].iter().zip(2..).map(|(t, n)| (t.to_string(), n)).collect();
        assert_eq!(numbers(&heard), texts, "the missed ones in order, once each, then live");
    }

    #[test]
    fn a_replay_longer_than_the_clients_queue_is_cut_to_the_newest_and_says_so_instead_of_closing_it() {
        let mut rooms = rooms();
        let mut a = Client::connect_with(&mut rooms, "a", 64);
        a.say(&mut rooms, RelayMsg::Join { after: None, room: "lobby".into() });
        for n in 1..=10 {
            a.say(&mut rooms, RelayMsg::Text { text: format!("#{n}").into() });
        }
        let mut b = Client::connect_with(&mut rooms, "b", 8);
        b.say(&mut rooms, RelayMsg::Join { after: Some(0), room: "lobby".into() });
        assert!(b.outbox.kicked_for().is_none(), "not closed by its own replay");
        let heard = b.heard();
        assert_eq!(heard[1], RelayMsg::Resumed { room: "lobby".into(), after: 0, replaying: 4, missed: 6 });
        let texts: Vec<u64> = numbers(&heard).into_iter().map(|(_, n)| n).collect();
        assert_eq!(texts, [7, 8, 9, 10], "the newest four: half its queue");
    }

    #[test]
    fn what_arrives_while_a_client_joins_is_held_and_never_repeats_the_replay() {
        let mut rooms = rooms();
        let mut a = Client::connect(&mut rooms, "a");
        a.say(&mut rooms, RelayMsg::Join { after: None, room: "lobby".into() });
        for text in ["one", "two"] {
            a.say(&mut rooms, RelayMsg::Text { text: text.into() });
        }
        let mut b = Client::connect_with(&mut rooms, "b", 16);
        let envelope = b.sender.envelope(RelayMsg::Join { after: Some(0), room: "lobby".into() }, 0.0);
        let NextStep::Join { room, after } = rooms.receive(b.id, envelope, 0.0) else { panic!() };
        rooms.begin_join(b.id, &room, 0.0).unwrap();
        // While the broker is asked: "three" is numbered and delivered, and the history read
        // afterwards holds it too.
        a.say(&mut rooms, RelayMsg::Text { text: "three".into() });
        assert!(b.heard().is_empty(), "nothing before joined");
        let since = rooms.history.since(&room, after.unwrap(), 0.0);
        rooms.finish_join(b.id, &room, 2, Some((0, since)), 0.0);
        let heard = b.heard();
        assert!(matches!(heard[0], RelayMsg::Joined { .. }));
        let texts: Vec<(String, u64)> =
            ["one", "two", "three"].iter().zip(1..).map(|(t, n)| (t.to_string(), n)).collect();
        assert_eq!(numbers(&heard), texts);
    }

    #[test]
    fn a_broker_delivers_in_number_order_duplicates_dropped_gaps_reported() {
        let mut rooms = rooms();
        let mut a = Client::connect(&mut rooms, "a");
        a.say(&mut rooms, RelayMsg::Join { after: None, room: "lobby".into() });
        a.heard();
        let said = |room_seq: u64, conn: ConnId| Said {
            room_seq,
            at: 0.0,
            from: SenderId("x".into()),
            seq: 9,
            sent_at: 0.0,
            text: format!("#{room_seq}"),
            origin: Origin { instance: "local".into(), conn },
        };
        assert_eq!(rooms.deliver("lobby", said(1, 99), 0.0), Delivered::Done);
        assert_eq!(rooms.deliver("lobby", said(1, 99), 0.0), Delivered::Duplicate);
        assert_eq!(rooms.deliver("lobby", said(3, 99), 0.0), Delivered::Gap { after: 1 });
        assert_eq!(rooms.deliver("lobby", said(2, a.id), 0.0), Delivered::Done);
        assert_eq!(numbers(&a.heard()), [("#1".to_owned(), 1), ("(accepted)".to_owned(), 2)]);
    }

    #[test]
    fn joining_and_leaving_are_told_to_the_others() {
        let mut rooms = rooms();
        let (mut a, mut b) = (Client::connect(&mut rooms, "a"), Client::connect(&mut rooms, "b"));
        a.say(&mut rooms, RelayMsg::Join { after: None, room: "lobby".into() });
        assert_eq!(a.heard(), [RelayMsg::Joined { room: "lobby".into(), members: 1 }]);
        b.say(&mut rooms, RelayMsg::Join { after: None, room: "lobby".into() });
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
        a.say(&mut rooms, RelayMsg::Join { after: None, room: "no spaces".into() });
        a.say(&mut rooms, RelayMsg::Accepted { reply_to: 1, room_seq: 1 });
        let forged = Sender::new(SenderId("mallory".into()))
            .envelope(RelayMsg::Join { after: None, room: "x".into() }, 0.0);
        assert_eq!(rooms.receive(a.id, forged, 0.0), NextStep::Nothing);
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
            client.say(&mut rooms, RelayMsg::Join { after: None, room: "lobby".into() });
        }
        assert!(matches!(clients[3].heard()[..], [RelayMsg::Error { code: ReasonCode::RoomFull, .. }]));
        clients[0].say(&mut rooms, RelayMsg::Join { after: None, room: "second".into() });
        clients[1].say(&mut rooms, RelayMsg::Join { after: None, room: "third".into() });
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
            client.say(&mut rooms, RelayMsg::Join { after: None, room: "lobby".into() });
        }
        a.heard();
        b.heard();
        for n in 0..10 {
            a.say(&mut rooms, RelayMsg::Text { text: format!("message {n}").into() });
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
