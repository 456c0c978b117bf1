//! The sentences the routes' states write into their logs, as templates with `{0}`, `{1}`… for
//! what varies. A log entry keeps the template and its arguments beside its English text, so the
//! log shows it in the chosen language while the entry's `payload` (what tests match and exports
//! carry) stays English. The English lives here; `static/i18n/en.json` repeats it (a test holds
//! the two equal) and `zh.json` translates it.

macro_rules! says {
    ($( $variant:ident = ($key:literal, $english:literal), )*) => {
        /// A sentence a state writes into a log.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Say {
            $( $variant, )*
        }

        impl Say {
            pub const ALL: &'static [Say] = &[$(Say::$variant),*];

            /// The key in the language files.
            pub fn key(self) -> &'static str {
                match self {
                    $( Say::$variant => $key, )*
                }
            }

            /// The English template.
            pub fn english(self) -> &'static str {
                match self {
                    $( Say::$variant => $english, )*
                }
            }
        }
    };
}

/// A sentence and what fills it.
#[derive(Debug, Clone, PartialEq)]
pub struct Said {
    pub say: Say,
    /// What fills `{0}`, `{1}`…, in English.
    pub args: Vec<String>,
    /// When `{0}` is itself a sentence (`args[0]` is its English): translated with the rest.
    pub inner: Option<Box<Said>>,
}

impl Said {
    pub fn new(say: Say, args: Vec<String>) -> Said {
        Said { say, args, inner: None }
    }

    /// `say` with the sentence `inner` as `{0}` and `more` as `{1}`, `{2}`…
    pub fn around(say: Say, inner: Said, more: Vec<String>) -> Said {
        let mut args = vec![inner.english()];
        args.extend(more);
        Said { say, args, inner: Some(Box::new(inner)) }
    }

    /// The sentence in English.
    pub fn english(&self) -> String {
        fill(self.say.english(), &self.args)
    }
}

/// One piece of a sentence's template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Words(&'a str),
    /// `{n}`: the n-th argument.
    Hole(usize),
    /// `{n|one|other}`: `one` when the n-th argument is 1, else `other` (English's plurals; a
    /// language without them writes none).
    Plural {
        n: usize,
        one: &'a str,
        other: &'a str,
    },
}

impl<'a> Piece<'a> {
    /// The words of a plural for `count` (the argument as shown).
    pub fn choose(one: &'a str, other: &'a str, count: &str) -> &'a str {
        if count.trim() == "1" {
            one
        } else {
            other
        }
    }
}

/// `template` cut into words, holes and plurals. A brace that opens nothing of the kind is words.
pub fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    let mut words_from = 0;
    let mut at = 0;
    while let Some(open) = rest[at..].find('{').map(|o| at + o) {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let inside = &after[..close];
        let piece = match inside.split('|').collect::<Vec<_>>()[..] {
            [n] => n.parse().ok().map(Piece::Hole),
            [n, one, other] => n.parse().ok().map(|n| Piece::Plural { n, one, other }),
            _ => None,
        };
        match piece {
            Some(piece) => {
                if words_from < open {
                    out.push(Piece::Words(&rest[words_from..open]));
                }
                out.push(piece);
                let end = open + 1 + close + 1;
                (rest, words_from, at) = (&rest[end..], 0, 0);
            }
            None => at = open + 1,
        }
    }
    if words_from < rest.len() {
        out.push(Piece::Words(&rest[words_from..]));
    }
    out
}

/// `template` with each `{n}` replaced by `args[n]` and each `{n|one|other}` chosen by it (left as
/// it is when there is no such argument).
pub fn fill(template: &str, args: &[String]) -> String {
    let mut out = String::with_capacity(template.len() + args.iter().map(String::len).sum::<usize>());
    for piece in pieces(template) {
        match piece {
            Piece::Words(words) => out.push_str(words),
            Piece::Hole(n) => match args.get(n) {
                Some(arg) => out.push_str(arg),
                None => out.push_str(&format!("{{{n}}}")),
            },
            Piece::Plural { n, one, other } => match args.get(n) {
                Some(arg) => out.push_str(Piece::choose(one, other, arg)),
                None => out.push_str(&format!("{{{n}|{one}|{other}}}")),
            },
        }
    }
    out
}

/// `Said` from a sentence and its arguments: `said!(JoinedChannel, name)`.
#[macro_export]
macro_rules! said {
    ($say:ident $(, $arg:expr)* $(,)?) => {
        $crate::i18n::Said::new($crate::i18n::Say::$say, vec![$($arg.to_string()),*])
    };
}

says! {
    // Words that are not a sentence (a message's kind, what it said): the same in every language.
    Plain = ("say.plain", "{0}"),
    // /stock: the seed's example
    SeedPosted = ("say.seed-posted", "window.postMessage(…) called on this tab's own window, as the seed does"),
    SeedArrivedHere = ("say.seed-arrived-here", "it arrived here, in the tab that posted it: window.postMessage posts to the window it is called on, so the other tabs heard nothing"),
    // /broadcast
    JoinedChannel = ("say.joined-channel", "joined channel {0}"),
    VanishedFromChannel = ("say.vanished-from-channel", "left channel {0} without a goodbye: the other tabs drop this one when its pings stop"),
    LeftChannel = ("say.left-channel", "left channel {0} (said goodbye)"),
    CannotJoin = ("say.cannot-join", "cannot join: {0}"),
    NotSent = ("say.not-sent", "not sent"),
    NoEcho = ("say.no-echo", "delivered to the {0} other {0|tab|tabs} on this channel, never back to this one: BroadcastChannel does not deliver to the sender"),
    HelloThisTabJoins = ("say.hello-this-tab-joins", "hello: this tab joins"),
    HelloJoined = ("say.hello-joined", "hello: joined the channel"),
    HereAlready = ("say.here-already", "here: already on the channel"),
    GoodbyeLeft = ("say.goodbye-left", "goodbye: left the channel"),
    StoppedAnswering = ("say.stopped-answering", "{0} stopped answering and left the roster"),
    // /worker-port
    WorkerListening = ("say.worker-listening", "the worker is listening"),
    HereIsPort2 = ("say.here-is-port2", "here is port2 (transferred, no longer usable here)"),
    Refused = ("say.refused", "refused: {0}"),
    RestartingWorker = ("say.restarting-worker", "restarting the worker with a fresh port"),
    WorkerLoading = ("say.worker-loading", "loading: starting the worker, waiting for it to say ready"),
    WorkerReady = ("say.worker-ready", "ready: the worker greeted over the port"),
    WorkerTerminated = ("say.worker-terminated", "terminated: the worker is stopped and the port closed"),
    StateError = ("say.state-error", "error: {0}"),
    NoWorkersHere = ("say.no-workers-here", "error: no workers here"),
    // /storage
    NoEventForWriter = ("say.no-event-for-writer", "the other tabs get a storage event for this write; this tab gets none (turn on same-tab notifications for the workaround)"),
    SameTabOn = ("say.same-tab-on", "same-tab notifications on: this tab now dispatches a storage event to itself after each write"),
    SameTabOff = ("say.same-tab-off", "same-tab notifications off: this tab hears only other tabs' writes"),
    QuotaRefused = ("say.quota-refused", "the browser refused after {0} M characters"),
    QuotaTaken = ("say.quota-taken", "the browser took {0} M characters without refusing"),
    FillerLeft = ("say.filler-left", "{0} filler keys could not be removed"),
    // /stock
    Tick = ("say.tick", "#{0} (term {1}): {2}"),
    Claims = ("say.claims", "claims term {0}"),
    ResignsTo = ("say.resigns-to", "resigns term {0}, handing over to {1}"),
    Resigns = ("say.resigns", "resigns term {0}"),
    EveryoneMoves = ("say.everyone-moves", "everyone moves to {0}"),
    FromSender = ("say.from-sender", "{0} · from {1}"),
    // /payment and /provider
    ProviderListening = ("say.provider-listening", "the provider's page is listening"),
    OrderAmount = ("say.order-amount", "order {0}: {1}"),
    OrderOutcome = ("say.order-outcome", "order {1}: {0}"),
    Paid = ("say.paid", "paid ({0})"),
    Declined = ("say.declined", "declined: {0}"),
    CancelledByCustomer = ("say.cancelled-by-customer", "cancelled by the customer"),
    ToTargetOrigin = ("say.to-target-origin", "{0} · targetOrigin {1}"),
    FromCheckoutFrame = ("say.from-checkout-frame", "{0} · from {1} (the checkout frame)"),
    FromAnotherWindow = ("say.from-another-window", "{0} · from {1} (another window)"),
    // /stock's freeze
    FrozenFor = ("say.frozen-for", "frozen for {0} ms: no ticks, nothing heard, the lock still held"),
    Woke = ("say.woke", "awake again: ticking and listening"),
    // /websocket
    JoinRoom = ("say.join-room", "join room \"{0}\""),
    JoinedRoom = ("say.joined-room", "joined room \"{0}\": {1} {1|member|members} with this tab"),
    ResumeRoom = ("say.resume-room", "join room \"{0}\" again, after relay #{1}"),
    Resumed = ("say.resumed", "back in the room: {0} missed {0|message follows|messages follow}, after relay #{1}"),
    ResumedLost = ("say.resumed-lost", "back in the room: {0} missed {0|message follows|messages follow}; {1} more are past the room's history"),
    Replayed = ("say.replayed", "{0} · relay #{1} from {2} (missed, replayed)"),
    MemberJoined = ("say.member-joined", "{0} joined: {1} {1|member|members}"),
    MemberLeft = ("say.member-left", "{0} left: {1} {1|member|members}"),
    Members = ("say.members", "{0} {0|member|members}"),
    Accepted = ("say.accepted", "your #{0} is relay #{1} of the room"),
    Relayed = ("say.relayed", "{0} · relay #{1} from {2}"),
    NotRelayed = ("say.not-relayed", "not relayed"),
    RelayConnected = ("say.relay-connected", "connected to the relay"),
    Reconnecting = ("say.reconnecting", "closed {0}: attempt {1} in {2} ms"),
    Closed = ("say.closed", "closed {0}"),
    Queued = ("say.queued", "\"{0}\" waits for the relay ({1} waiting)"),
    Flushed = ("say.flushed", "{0} waiting {0|message|messages} sent"),
    // /stock
    LeadsTerm = ("say.leads-term", "this tab leads term {0}: {1}"),
    CaughtUp = ("say.caught-up", "missed {0} {0|tick|ticks}; caught up from the next one"),
    NewLeader = ("say.new-leader", "{0} leads term {1}: {2} ms passed without ticks"),
    TicksTravel = ("say.ticks-travel", "ticks now travel over {0}"),
    WhereIsTheMarket = ("say.where-is-the-market", "where is the market?"),
    MarketIsOn = ("say.market-is-on", "the market is on {0} (term {1})"),
    MarketFound = ("say.market-found", "the market is on {0} (term {1}): this tab moves there"),
    HereToo = ("say.here-too", "this tab is here too"),
    GoingAway = ("say.going-away", "this tab is going away"),
    // /payment
    OpeningProvider = ("say.opening-provider", "order {0} for {1}: opening the provider's page"),
    NoAnswerWithin = ("say.no-answer-within", "no answer for order {0} within {1} s: a late answer will be refused"),
    OrderEnded = ("say.order-ended", "order {0} ended"),
    LabOpaque = ("say.lab-opaque", "a sandboxed frame with an opaque origin posts a forged success for order {0}"),
    LabImpostor = ("say.lab-impostor", "a second frame from the provider's own origin posts a forged success for order {0}"),
    LabHijacked = ("say.lab-hijacked", "the checkout frame is navigated to {0}, a page of another origin; the shop then posts order {1} again, to the provider's origin only, so the browser delivers nothing to the page now in the frame (it shows what it overhears)"),
    LabSelfPost = ("say.lab-self-post", "this page posts a forged success for order {0} to itself (the seed's multi-tab mistake)"),
    // /bench and /capabilities
    Measuring = ("say.measuring", "measuring {0}"),
    BenchFinished = ("say.bench-finished", "finished: the table and the chart below are this browser's"),
    CasesReady = ("say.cases-ready", "{0} cases ready to run"),
    ProbesDone = ("say.probes-done", "{0} probes answered: this is what this browser does"),
    ProbesAnswered = ("say.probes-answered", "{0} of {1} probes answered"),
    // the log itself
    OlderDropped = ("say.older-dropped", "{0} older entries dropped"),
    // status details
    WorkerStarting = ("say.worker-starting", "starting the worker and handing it a port…"),
    WorkerAnswers = ("say.worker-answers", "the worker answers over the port"),
    WorkerStopped = ("say.worker-stopped", "the worker is stopped; restart it to talk again"),
    CannotStartWorker = ("say.cannot-start-worker", "this browser cannot start the worker"),
    OneStore = ("say.one-store", "one store for every tab of this origin"),
    ConnectingToRelay = ("say.connecting-to-relay", "connecting to the relay"),
    InRoom = ("say.in-room", "in room \"{0}\""),
    RelayAway = ("say.relay-away", "the relay is away: attempt {0} in {1} ms"),
    ClosedShort = ("say.closed-short", "closed"),
    ListeningForStorage = ("say.listening-for-storage", "listening for storage events from other tabs"),
    GoneWithoutGoodbye = ("say.gone-without-goodbye", "gone without a goodbye: change the channel, or reload, to join again"),
    OnChannel = ("say.on-channel", "on channel \"{0}\""),
    TickerDetail = ("say.ticker-detail", "term {0} · leader {1} · leader chosen by {2}"),
    Watching = ("say.watching", "{0} {0|tab|tabs} heard from, {1} {1|batch|batches}"),
    NothingToWatchWith = ("say.nothing-to-watch-with", "this browser has no BroadcastChannel: nothing to watch with"),
    // /shared-worker
    StoreConnecting = ("say.store-connecting", "connecting to the shared worker"),
    StoreConnected = ("say.store-connected", "connected: the shared worker welcomed this tab"),
    NoSharedWorker = ("say.no-shared-worker", "this browser has no SharedWorker"),
    Disconnected = ("say.disconnected", "disconnected"),
    StoreSet = ("say.store-set", "set {0} = \"{1}\""),
    StoreGet = ("say.store-get", "get {0}"),
    StoreWelcome = ("say.store-welcome", "welcome: {0} {0|tab|tabs} connected, {1} {1|key|keys} stored"),
    StoreRoster = ("say.store-roster", "{0} {0|tab|tabs} connected"),
    StoreAck = ("say.store-ack", "stored {0} (was {1}) ↩ #{2}"),
    StoreValue = ("say.store-value", "{0} = {1} (set by {2}) ↩ #{3}"),
    StoreNotSet = ("say.store-not-set", "{0} is not set: nobody has set it ↩ #{1}"),
    StoreChanged = ("say.store-changed", "{0} set {1}: {2} → \"{3}\""),
    // /web-locks
    LocksOpened = ("say.locks-opened", "this tab is {0}: it holds its life lock, and the others watch it"),
    LocksUnavailable = ("say.locks-unavailable", "no Web Locks here: {0}"),
    LocksReady = ("say.locks-ready", "navigator.locks is here; the queue is read from the browser every second and on every notice"),
    // /webrtc
    RtcSignallingStarting = ("say.rtc-signalling-starting", "signalling is starting"),
    RtcSignallingReady = ("say.rtc-signalling-ready", "signalling is up; {0} other tabs heard"),
    RtcSignallingClosed = ("say.rtc-signalling-closed", "signalling is closed"),
    RtcUnsupported = ("say.rtc-unsupported", "no RTCPeerConnection in this browser"),
    RtcSignallingUp = ("say.rtc-signalling-up", "signalling is up: hello sent to the others"),
    RtcThisTab = ("say.rtc-this-tab", "this tab is {0} on the signalling channel"),
    RtcPeerHeard = ("say.rtc-peer-heard", "{0} is here: a peer to connect to"),
    RtcOffering = ("say.rtc-offering", "offering a session to {0} (session {1})"),
    RtcAnswering = ("say.rtc-answering", "{0} offered a session (session {1}): answering"),
    RtcSessionOver = ("say.rtc-session-over", "the session is over: {0}"),
    RtcConnection = ("say.rtc-connection", "connectionState: {0}"),
    RtcChannelOpen = ("say.rtc-channel-open", "the data channel is open, directly between the browsers: ordered {0}, maxRetransmits {1}, maxMessageSize {2}"),
    RtcChannelClosed = ("say.rtc-channel-closed", "the data channel closed"),
    RtcPaused = ("say.rtc-paused", "paused with {0} bytes buffered: waiting for bufferedamountlow"),
    RtcFlooded = ("say.rtc-flooded", "{0} messages sent; paused {1} times for the buffer to drain"),
    // /atomics
    AtomicsLimitRunning = ("say.atomics-limit-running", "measuring the limit row: the ring and postMessage, through crosstalk and in plain JS"),
    AtomicsLimitRow = ("say.atomics-limit-row", "{0}, {1}: {2} µs a round trip, {3} messages a second"),
    AtomicsLimitDone = ("say.atomics-limit-done", "the limit row is measured"),
    AtomicsStarting = ("say.atomics-starting", "starting the worker; the buffer goes to it once it is listening"),
    AtomicsReady = ("say.atomics-ready", "the worker blocks in Atomics.wait on the ring; nothing crosses by postMessage any more"),
    AtomicsNotIsolated = ("say.atomics-not-isolated", "this page is not cross-origin isolated: no SharedArrayBuffer here"),
    AtomicsNoSharedMemory = ("say.atomics-no-shared-memory", "this page is cross-origin isolated, but this browser has no SharedArrayBuffer"),
    AtomicsAttached = ("say.atomics-attached", "the worker attached the buffer: the ring is ready"),
    AtomicsWorkerReady = ("say.atomics-worker-ready", "the worker listens: the page posts it the SharedArrayBuffer, the one postMessage of the exchange"),
    AtomicsWorkerAttached = ("say.atomics-worker-attached", "attached: {0} bytes, {1} slots; the worker now blocks in Atomics.wait"),
    AtomicsIsolatedYes = ("say.atomics-isolated-yes", "crossOriginIsolated is true: COOP and COEP made this page isolated, and SharedArrayBuffer exists"),
    AtomicsIsolatedNo = ("say.atomics-isolated-no", "crossOriginIsolated is false: without COOP and COEP there is no SharedArrayBuffer"),
    AtomicsWaitsWith = ("say.atomics-waits-with", "the page waits for replies with {0}"),
    AtomicsWrote = ("say.atomics-wrote", "\"{0}\" written into slot {1} (length {2}), Atomics.notify"),
    AtomicsRead = ("say.atomics-read", "\"{0}\" read from slot {1}, {2} ms after it was written"),
    AtomicsSlotRefused = ("say.atomics-slot-refused", "slot {0} refused"),
    AtomicsRun = ("say.atomics-run", "{0} hops in {1} ms: {2} round trips a second"),
    AtomicsBlockRefused = ("say.atomics-block-refused", "Atomics.wait on the main thread: the browser refused"),
    AtomicsOffered = ("say.atomics-offered", "the SharedArrayBuffer was posted on BroadcastChannel \"crosstalk:atomics\"; the other tabs cannot deserialise it"),
    AtomicsOfferThrew = ("say.atomics-offer-threw", "posting the SharedArrayBuffer to the other tabs threw"),
    AtomicsOfferUnreadable = ("say.atomics-offer-unreadable", "another tab's SharedArrayBuffer could not be read here"),
    AtomicsOfferArrived = ("say.atomics-offer-arrived", "another tab's SharedArrayBuffer arrived and was readable: this browser broke the rule"),
    HoldForeverOn = ("say.hold-forever-on", "hold forever is on: a release is ignored, and the lock outlives this route until the tab closes or someone steals it"),
    HoldForeverOff = ("say.hold-forever-off", "hold forever is off: a release lets go"),
    LockGranted = ("say.lock-granted", "granted {0} ({1}): the callback runs, and the lock is held until its promise settles"),
    LockHandedOver = ("say.lock-handed-over", "granted {0} ({1}) the moment the tab ahead let go: the queue moved"),
    LockNotAvailable = ("say.lock-not-available", "{0} is not available: another holds it, and ifAvailable does not wait (the callback got null)"),
    LockReleased = ("say.lock-released", "released {0}: the next in the queue is granted"),
    LockGaveUp = ("say.lock-gave-up", "stopped waiting for {0} (the request was aborted)"),
    ReleaseIgnored = ("say.release-ignored", "release ignored: holding {0} forever (fault injection); only closing this tab or a steal frees it"),
    LockStolen = ("say.lock-stolen", "{0} was stolen: another tab asked with steal, and this tab's request rejected with AbortError"),
    LockRefused = ("say.lock-refused", "the browser refused the request for {0}"),
    WatchingLife = ("say.watching-life", "{0} is here: this tab asks for its life lock, granted only when {0} is gone"),
    NotWatching = ("say.not-watching", "{0} is here, but this tab watches too many already"),
    DeathNotice = ("say.death-notice", "death notice: {0} is gone — its life lock was granted to this tab, with no word from {0}"),
    CensusUnread = ("say.census-unread", "the census (locks.query()) could not be read"),
    CensusSnapshot = ("say.census-snapshot", "a snapshot from navigator.locks.query() at {0}: stale the moment it is read"),
    HoldFree = ("say.hold-free", "this tab holds no lock"),
    HoldWaiting = ("say.hold-waiting", "this tab waits for \"{0}\" ({1})"),
    HoldHeld = ("say.hold-held", "this tab holds \"{0}\" ({1})"),
    // /indexeddb
    IdbUnavailable = ("say.idb-unavailable", "no IndexedDB here: {0}"),
    IdbAskUpgrade = ("say.idb-ask-upgrade", "this tab closes its own connection and opens version {1} (from {0}): every other tab must close theirs"),
    IdbRefuseOn = ("say.idb-refuse-on", "this tab now refuses to close for another tab's upgrade: that upgrade will be blocked"),
    IdbRefuseOff = ("say.idb-refuse-off", "this tab cooperates again: it closes for an upgrade (at once, if one waits on it)"),
    IdbNoticeWrote = ("say.idb-notice-wrote", "{1} committed a write of {0}: the notice carries only the key, so this tab reads the value from the store"),
    IdbNoticeUpgraded = ("say.idb-notice-upgraded", "{0} upgraded the database to version {1}"),
    IdbOpened = ("say.idb-opened", "the database is open at version {0}"),
    IdbUpgraded = ("say.idb-upgraded", "upgraded from version {0} to {1}: every tab that kept the old version open has closed it"),
    IdbUpgradeNeeded = ("say.idb-upgrade-needed", "upgradeneeded from version {0} to {1}: the schema changes here, and only here (stores added: {2})"),
    IdbBlocked = ("say.idb-blocked", "blocked: another tab keeps version {0} open and will not close, so the upgrade to {1} waits"),
    IdbRefusing = ("say.idb-refusing", "versionchange: another tab asks for version {1}; this tab refuses to close version {0}, and blocks it"),
    IdbClosing = ("say.idb-closing", "versionchange: another tab asks for version {1}; this tab closes version {0} so that it can go on"),
    IdbSilentlyBlocked = ("say.idb-silently-blocked", "no answer to the upgrade from version {0} to {1}: another tab keeps the old version open, and this browser sent no blocked event to say so"),
    IdbClosed = ("say.idb-closed", "closed for the upgrade to version {0}; it opens again once the upgrading tab says it is done"),
    IdbCommitted = ("say.idb-committed", "put {0}: the transaction committed, and the other tabs are told the key"),
    IdbReadAbsent = ("say.idb-read-absent", "{0} holds nothing"),
    IdbReadValue = ("say.idb-read-value", "{0} = \"{1}\" (written by {2}), read from the store"),
    IdbReadInvalid = ("say.idb-read-invalid", "{0} holds {1}, which is no value of this page's"),
    IdbInactive = ("say.idb-inactive", "the write after the await failed: a transaction commits itself as soon as nothing is pending, so awaiting anything else inside it ends it"),
    IdbWaitingForOthers = ("say.idb-waiting-for-others", "the upgrade waits: another tab keeps the old version open"),
    IdbHoldingUp = ("say.idb-holding-up", "this tab holds up the upgrade to version {0}"),
    IdbAtVersion = ("say.idb-at-version", "one store shared by every tab of this origin, at version {0}"),
    // /service-worker
    SwUnavailable = ("say.sw-unavailable", "no service worker here: {0}"),
    SwWelcome = ("say.sw-welcome", "welcome from {0} (script v{1}): it has handled {2} {2|message|messages} since it started, and sees {3} {3|tab|tabs}"),
    SwDelivered = ("say.sw-delivered", "the worker forwarded #{0} to {1} of the {2} {2|tab|tabs} it found (message {3} of this instance)"),
    SwRestarted = ("say.sw-restarted", "a new instance answers: the browser stopped the idle worker, and its count went from {0} back to {1} — what a worker keeps in memory does not last"),
    SwRefused = ("say.sw-refused", "the worker could not read what this tab sent, and said why"),
    SwFound = ("say.sw-found", "found the registration of the origin's root ({0}): not registered again, so another tab's update is not undone"),
    SwRegistered = ("say.sw-registered", "registered {0} for the scope /"),
    SwWaiting = ("say.sw-waiting", "script v{0} is installed and waiting: v{1} still controls tabs, and keeps them until every one closes, unless the new one calls skipWaiting()"),
    SwLifecycle = ("say.sw-lifecycle", "script v{0}: {1}"),
    SwControllerChange = ("say.sw-controller-change", "controllerchange: this page is now controlled by script v{0}"),
    SwControlledBy = ("say.sw-controlled-by", "controlled by script v{0}"),
    SwNotControlled = ("say.sw-not-controlled", "not controlled: navigator.serviceWorker.controller is null (the first load, until the worker calls clients.claim())"),
    SwBypassed = ("say.sw-bypassed", "this load bypassed the worker: the scope has an active one, yet this page has no controller (a shift-reload does that)"),
    SwUpdating = ("say.sw-updating", "asked for an update: the script of v{0} is registered for the same scope"),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_filled_hole_by_hole_and_a_stray_brace_is_kept() {
        let args = vec!["a".to_owned(), "{1}".to_owned()];
        assert_eq!(fill("x {0} y {1} z", &args), "x a y {1} z");
        assert_eq!(fill("{2} {x} {", &args), "{2} {x} {");
        assert_eq!(fill("二{0}一", &args), "二a一");
    }

    #[test]
    fn every_key_is_said_once() {
        let mut keys: Vec<&str> = Say::ALL.iter().map(|s| s.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), Say::ALL.len());
    }
}
