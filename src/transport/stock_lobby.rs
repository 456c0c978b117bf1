//! The Stock sync route's lobby: a BroadcastChannel every `/stock` tab of the origin listens on,
//! whatever transport its ticks use, where a tab that has just opened asks where the market is
//! and the tab speaking for the market answers (the rules: `crosstalk_protocol::stock::AtTheLobby`).
//!
//! Implementation note: the ticks' own transport cannot carry this question. A tab opened on
//! BroadcastChannel while the market ticks over the shared worker hears nothing there, and the
//! leader holds the Web Lock, so the newcomer would wait as `stale` for ever.

use std::cell::RefCell;
use std::rc::Rc;

use crosstalk_protocol::stock::{StockMsg, LOBBY_CHANNEL};
use crosstalk_protocol::{Reason, Sender};
use web_sys::{BroadcastChannel, MessageEvent};

use super::core::{js_error_text, Core, LinkState, Via};
use super::stock::StockEvent;

pub const VIA_LOBBY: Via = "stock lobby";

/// This tab in the lobby. Dropping it leaves.
pub struct StockLobbyLink {
    core: Rc<Core<StockMsg>>,
    channel: BroadcastChannel,
}

impl StockLobbyLink {
    pub fn open(
        sender: Rc<RefCell<Sender>>,
        sink: impl Fn(StockEvent) + 'static,
    ) -> Result<StockLobbyLink, String> {
        let channel = BroadcastChannel::new(LOBBY_CHANNEL).map_err(|e| js_error_text(&e))?;
        let core = Core::new(sender, LinkState::Ready, sink);
        core.listen::<MessageEvent>(&channel, "message", |core, event| {
            if let Some(envelope) = core.read(&event.data(), VIA_LOBBY) {
                core.received(envelope, VIA_LOBBY);
            }
        });
        Ok(StockLobbyLink { core, channel })
    }

    /// Says `body` to every other tab in the lobby.
    pub fn say(&self, body: StockMsg) -> Result<(), Reason> {
        self.core.send(body, VIA_LOBBY, |text| self.channel.post_message(text))
    }
}

impl Drop for StockLobbyLink {
    fn drop(&mut self) {
        self.core.stop();
        self.channel.close();
    }
}
