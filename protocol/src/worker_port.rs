//! Messages of the Worker port route: the page, a dedicated worker, and the MessagePort between them.
//!
//! ```text
//! page                                   worker
//!  |  new Worker(/echo_worker_loader.js)   |
//!  |<------------- ready ------------------|  (on the worker itself; Rust is listening now)
//!  |-------------- connect + [port2] ----->|  (port2 transferred, page keeps port1)
//!  |<============= greeting ===============|  (everything from here on goes over the port)
//!  |============== text =================>|
//!  |<============= echo ===================|  (worker's own seq, its receive time)
//! ```

use crate::Payload;
use crate::{Envelope, Incoming, Reason, ReasonCode, Sender};

/// What the worker says first, over the port, once it has it.
pub const GREETING: &str = "Hello from worker!";

crate::bodies! {
    @parsed
    #[derive(Debug, Clone, PartialEq)]
    pub enum WorkerPortMsg {
        /// Worker → page, on the worker itself: the Rust side has started and is listening.
        Ready = "ready",
        /// Page → worker, on the worker itself, with the page's `port2` in `event.ports`.
        Connect = "connect",
        /// Worker → page, over the port, first thing after `connect`.
        Greeting { text: Payload } = "greeting",
        /// Page → worker, over the port.
        Text { text: Payload } = "text",
        /// Worker → page, over the port: what the worker received, with when it received it.
        Echo { text: Payload, reply_to: u64, received_at: f64 } = "echo",
        /// Worker → page: the worker refused a message, and why.
        Rejected { code: ReasonCode, reason: String, preview: String } = "rejected",
    }
}

impl WorkerPortMsg {
    fn refusal(reason: Reason, raw: &impl Incoming<WorkerPortMsg>) -> WorkerPortMsg {
        WorkerPortMsg::Rejected {
            code: reason.code,
            reason: reason.text,
            preview: raw.preview(PREVIEW_CHARS),
        }
    }
}

/// The worker's side of the conversation, free of any browser API so it can be tested natively.
#[derive(Debug, Clone)]
pub struct EchoService {
    sender: Sender,
}

impl EchoService {
    pub fn new(sender: Sender) -> Self {
        EchoService { sender }
    }

    pub fn ready(&mut self, now_ms: f64) -> Envelope<WorkerPortMsg> {
        self.sender.envelope(WorkerPortMsg::Ready, now_ms)
    }

    pub fn greeting(&mut self, now_ms: f64) -> Envelope<WorkerPortMsg> {
        self.sender.envelope(WorkerPortMsg::Greeting { text: GREETING.into() }, now_ms)
    }

    /// Judges a message that arrived on the worker itself (not the port). `Ok` means it is a
    /// `connect` that carries a port: the caller installs the port, then sends [`Self::greeting`].
    /// Anything else gets a refusal to post back on the worker.
    pub fn on_worker_message(
        &mut self,
        raw: impl Incoming<WorkerPortMsg>,
        has_port: bool,
        now_ms: f64,
    ) -> Result<(), Envelope<WorkerPortMsg>> {
        let reason = match raw.decode() {
            Ok(Envelope { body: WorkerPortMsg::Connect, .. }) if has_port => return Ok(()),
            Ok(Envelope { body: WorkerPortMsg::Connect, .. }) => {
                Reason::new(ReasonCode::NoPort, "\"connect\" came without a transferred port")
            }
            Ok(other) => Reason::new(
                ReasonCode::UnexpectedKind,
                format!("only \"connect\" is taken on the worker itself, not \"{}\"", other.kind()),
            ),
            Err(error) => error.reason(),
        };
        Err(self.sender.envelope(WorkerPortMsg::refusal(reason, &raw), now_ms))
    }

    /// The reply to one message that arrived on the port (already read as text, or not text).
    pub fn on_port_message(
        &mut self,
        raw: impl Incoming<WorkerPortMsg>,
        now_ms: f64,
    ) -> Envelope<WorkerPortMsg> {
        let reply = match raw.decode() {
            Ok(Envelope { seq, body: WorkerPortMsg::Text { text }, .. }) => {
                WorkerPortMsg::Echo { text, reply_to: seq, received_at: now_ms }
            }
            Ok(other) => WorkerPortMsg::refusal(
                Reason::new(
                    ReasonCode::UnexpectedKind,
                    format!("the worker does not take \"{}\" on the port", other.kind()),
                ),
                &raw,
            ),
            Err(error) => WorkerPortMsg::refusal(error.reason(), &raw),
        };
        self.sender.envelope(reply, now_ms)
    }
}

/// How much of a refused message the worker sends back for the page's log.
const PREVIEW_CHARS: usize = 80;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DecodeError, SenderId, PROTOCOL_VERSION};

    fn service() -> EchoService {
        EchoService::new(Sender::new(SenderId("worker-test".into())))
    }

    fn page_text(seq: u64, text: &str) -> String {
        let mut page = Sender::new(SenderId("tab-test".into()));
        let mut env = page.envelope(WorkerPortMsg::Text { text: text.into() }, 1.0);
        env.seq = seq;
        env.encode().unwrap()
    }

    #[test]
    fn greets_after_ready_with_its_own_sequence() {
        let mut w = service();
        let ready = w.ready(10.0);
        let hello = w.greeting(11.0);
        assert_eq!((ready.seq, hello.seq), (1, 2));
        assert_eq!(hello.body, WorkerPortMsg::Greeting { text: "Hello from worker!".into() });
        assert_eq!(hello.v, PROTOCOL_VERSION);
    }

    #[test]
    fn echoes_text_with_the_senders_seq_and_its_receive_time() {
        let mut w = service();
        let reply = w.on_port_message(Ok(&page_text(41, "ping 你好")), 99.5);
        assert_eq!(reply.seq, 1);
        assert_eq!(reply.from.0, "worker-test");
        assert_eq!(
            reply.body,
            WorkerPortMsg::Echo { text: "ping 你好".into(), reply_to: 41, received_at: 99.5 }
        );
    }

    #[test]
    fn refuses_malformed_input_and_keeps_counting() {
        let mut w = service();
        let bad = w.on_port_message(Ok("not json"), 1.0);
        assert!(
            matches!(&bad.body, WorkerPortMsg::Rejected { code: ReasonCode::BadJson, reason, preview } if reason.starts_with("not JSON") && preview == "not json")
        );
        let not_text =
            w.on_port_message(Err::<&str, _>(DecodeError::NotText { got: "an object".into() }), 2.0);
        assert!(
            matches!(&not_text.body, WorkerPortMsg::Rejected { reason, .. } if reason.contains("an object"))
        );
        let ok = w.on_port_message(Ok(&page_text(1, "still here")), 3.0);
        assert_eq!(ok.seq, 3);
        assert!(matches!(ok.body, WorkerPortMsg::Echo { .. }));
    }

    #[test]
    fn refuses_kinds_that_do_not_belong_on_the_port() {
        let mut w = service();
        let mut page = Sender::new(SenderId("tab-test".into()));
        let wire = page.envelope(WorkerPortMsg::Connect, 0.0).encode().unwrap();
        let reply = w.on_port_message(Ok(&wire), 0.0);
        assert!(
            matches!(&reply.body, WorkerPortMsg::Rejected { code: ReasonCode::UnexpectedKind, reason, .. } if reason.contains("\"connect\""))
        );
    }

    #[test]
    fn takes_connect_only_with_a_port() {
        let mut w = service();
        let mut page = Sender::new(SenderId("tab-test".into()));
        let connect = page.envelope(WorkerPortMsg::Connect, 0.0).encode().unwrap();
        assert_eq!(w.on_worker_message(Ok(&connect), true, 0.0), Ok(()));
        let without_port = w.on_worker_message(Ok(&connect), false, 0.0).unwrap_err();
        assert!(
            matches!(&without_port.body, WorkerPortMsg::Rejected { code: ReasonCode::NoPort, reason, .. } if reason.contains("without a transferred port"))
        );
        let text = page_text(3, "hi");
        let wrong_channel = w.on_worker_message(Ok(&text), true, 0.0).unwrap_err();
        assert!(
            matches!(&wrong_channel.body, WorkerPortMsg::Rejected { reason, .. } if reason.contains("not \"text\""))
        );
        let garbage = w.on_worker_message(Ok("{}"), true, 0.0).unwrap_err();
        assert!(
            matches!(&garbage.body, WorkerPortMsg::Rejected { code: ReasonCode::NoVersion, reason, .. } if reason.contains("version"))
        );
    }
}
