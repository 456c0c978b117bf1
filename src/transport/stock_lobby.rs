//! The Stock sync route's lobby: a BroadcastChannel every `/stock` tab of the origin listens on,
//! whatever transport its ticks use, where a tab that has just opened asks where the market is
//! and the tab speaking for the market answers (the rules: `crosstalk_protocol::stock::AtTheLobby`).
//!
//! Implementation note: the ticks' own transport cannot carry this question. A tab opened on
//! BroadcastChannel while the market ticks over the shared worker hears nothing there, and the
//! leader holds the Web Lock, so the newcomer would wait as `stale` for ever.

use std::cell::RefCell;
use std::rc::Rc;

use super::channel::ChannelLink;
use super::core::{Core, LinkState, Via};
use super::stock::StockEvent;
use crosstalk_protocol::stock::{StockMsg, LOBBY_CHANNEL};
use crosstalk_protocol::{Reason, Sender};

pub const VIA_LOBBY: Via = "stock lobby";

/// This tab in the lobby. Dropping it leaves.
pub struct StockLobbyLink {
    core: Rc<Core<StockMsg>>,
    channel: ChannelLink,
}

impl StockLobbyLink {
    pub fn open(
        sender: Rc<RefCell<Sender>>,
        sink: impl Fn(StockEvent) + 'static,
    ) -> Result<StockLobbyLink, String> {
        let channel = ChannelLink::new(LOBBY_CHANNEL)?;
        let core = Core::new(sender, LinkState::Ready, sink);
        channel.listen(&core, VIA_LOBBY, |core, envelope| core.received(envelope, VIA_LOBBY));
        Ok(StockLobbyLink { core, channel })
    }

    /// Says `body` to every other tab in the lobby.
    pub fn say(&self, body: StockMsg) -> Result<(), Reason> {
        self.core.send(body, VIA_LOBBY, self.channel.post())
    }
}

impl Drop for StockLobbyLink {
    fn drop(&mut self) {
        self.core.stop();
        self.channel.close();
    }
}
