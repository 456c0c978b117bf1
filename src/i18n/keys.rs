//! Every key of the language files, declared once: the enum the views use, one key per reason
//! code, and the list the test holds both files to.

use crosstalk_protocol::ReasonCode;

macro_rules! texts {
    ($( $(#[$doc:meta])* $variant:ident = $key:literal, )*) => {
        /// A piece of text the UI shows, looked up in the chosen language.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Text {
            $( $(#[$doc])* $variant, )*
        }

        impl Text {
            /// Every key, in declaration order (the index of a text in a loaded language).
            pub const ALL: &'static [Text] = &[$(Text::$variant),*];

            /// The key in the language files.
            pub fn key(self) -> &'static str {
                match self {
                    $( Text::$variant => $key, )*
                }
            }
        }
    };
}

texts! {
    CapabilityBroadcastChannel = "capability.broadcast-channel",
    CapabilitySharedWorker = "capability.shared-worker",
    CapabilityModuleWorker = "capability.module-worker",
    CapabilityWebLocks = "capability.web-locks",
    CapabilityLocalStorage = "capability.local-storage",
    CapabilityStorageQuota = "capability.storage-quota",
    CapabilityCrossOriginIsolated = "capability.cross-origin-isolated",
    CapabilityWebsocket = "capability.websocket",
    CapabilityTransferPort = "capability.transfer-port",
    CapabilityCloneMap = "capability.clone-map",
    CapabilityCloneDate = "capability.clone-date",
    CapabilityCloneBlob = "capability.clone-blob",
    CapabilityTransferArrayBuffer = "capability.transfer-array-buffer",
    CapabilityCloneFunction = "capability.clone-function",
    CapabilityBroadcastCloneMap = "capability.broadcast-clone-map",
    CapabilitiesTitle = "capabilities.title",
    CapabilitiesLead = "capabilities.lead",
    CapabilitiesCapability = "capabilities.capability",
    CapabilitiesSeen = "capabilities.seen",
    /// The verdict column's header (an empty header is an accessibility fault).
    CapabilitiesSupported = "capabilities.supported",
    CapabilitiesCopy = "capabilities.copy",
    CapabilitiesExport = "capabilities.export",
    CapabilitiesYes = "capabilities.yes",
    CapabilitiesNo = "capabilities.no",
    CapabilitiesChecking = "capabilities.checking",
    LogRejected = "log.rejected",
    NavBench = "nav.bench",
    NavCapabilities = "nav.capabilities",
    NavInspector = "nav.inspector",
    InspectorTitle = "inspector.title",
    InspectorLead = "inspector.lead",
    InspectorTabs = "inspector.tabs",
    InspectorRecords = "inspector.records",
    InspectorRefresh = "inspector.refresh",
    InspectorClear = "inspector.clear",
    InspectorMechanism = "inspector.mechanism",
    InspectorContext = "inspector.context",
    InspectorAll = "inspector.all",
    InspectorEmpty = "inspector.empty",
    NavLanguage = "nav.language",
    HomeLead = "home.lead",
    MechanismWorkerPortName = "mechanism.worker-port.name",
    MechanismWorkerPortSummary = "mechanism.worker-port.summary",
    MechanismBroadcastName = "mechanism.broadcast.name",
    MechanismBroadcastSummary = "mechanism.broadcast.summary",
    MechanismStorageName = "mechanism.storage.name",
    MechanismStorageSummary = "mechanism.storage.summary",
    MechanismSharedWorkerName = "mechanism.shared-worker.name",
    MechanismSharedWorkerSummary = "mechanism.shared-worker.summary",
    MechanismPaymentName = "mechanism.payment.name",
    MechanismPaymentSummary = "mechanism.payment.summary",
    MechanismStockSyncName = "mechanism.stock-sync.name",
    MechanismStockSyncSummary = "mechanism.stock-sync.summary",
    MechanismWebsocketName = "mechanism.websocket.name",
    MechanismWebsocketSummary = "mechanism.websocket.summary",
    UiSend = "ui.send",
    UiLogTitle = "ui.log-title",
    UiLogClear = "ui.log-clear",
    UiLogExport = "ui.log-export",
    UiLogEmpty = "ui.log-empty",
    UiOpenTab = "ui.open-tab",
    UiRawLabel = "ui.raw-label",
    UiRawSend = "ui.raw-send",
    UiFaultLead = "ui.fault-lead",
    FaultNone = "fault.none",
    FaultDrop = "fault.drop",
    FaultDuplicate = "fault.duplicate",
    FaultReorder = "fault.reorder",
    FaultDelay = "fault.delay",
    UiKey = "ui.key",
    UiValue = "ui.value",
    PageOtherTabSOnTheChannel = "page.other-tab-s-on-the-channel",
    PageReceived = "page.received",
    PageOutOfOrder = "page.out-of-order",
    PageChannel = "page.channel",
    PageChangeItAndPressEnterThis = "page.change-it-and-press-enter-this",
    PageFaultInjection = "page.fault-injection",
    PagePostAMessageThatIsNot = "page.post-a-message-that-is-not",
    PageAnyScriptOfThisOriginCan = "page.any-script-of-this-origin-can",
    PageVanishWithoutAGoodbyeAsA = "page.vanish-without-a-goodbye-as-a",
    PageNoGoodbyeNoMorePingsThe = "page.no-goodbye-no-more-pings-the",
    PageADroppedMessageStillUsesUp = "page.a-dropped-message-still-uses-up",
    PageRosterAndOrdering = "page.roster-and-ordering",
    PageEachTabSaysHelloWhenIt = "page.each-tab-says-hello-when-it",
    PageEveryMessageCarriesItsSenderS = "page.every-message-carries-its-sender-s",
    PageTerminate = "page.terminate",
    PageRestart = "page.restart",
    PageStartWith = "page.start-with",
    PageSendAMalformedMessage = "page.send-a-malformed-message",
    PageWhyThePageWaitsForReady = "page.why-the-page-waits-for-ready",
    PageAWasmWorkerStartsAsynchronouslyIts = "page.a-wasm-worker-starts-asynchronously-its",
    PageATransferredPortBelongsToThe = "page.a-transferred-port-belongs-to-the",
    PageSameTabNotificationsTheWorkaround = "page.same-tab-notifications-the-workaround",
    PageWrittenUnderTheDemoKeyRaw = "page.written-under-the-demo-key-raw",
    PageDemoKeysInLocalstorage = "page.demo-keys-in-localstorage",
    PageKey = "page.key",
    PageValue = "page.value",
    PageBy = "page.by",
    PageNoDemoKeysYet = "page.no-demo-keys-yet",
    PageQuirks = "page.quirks",
    PageTheStorageEventNeverFiresIn = "page.the-storage-event-never-fires-in",
    PageWhenStorageIsFullSetitemThrows = "page.when-storage-is-full-setitem-throws",
    PageValuesWrittenByAnyoneElseAre = "page.values-written-by-anyone-else-are",
    PageNothingFetchedYetPressGet = "page.nothing-fetched-yet-press-get",
    PageTabSConnected = "page.tab-s-connected",
    PageThisBrowserHasNoSharedworker = "page.this-browser-has-no-sharedworker",
    PageChromeOnAndroidAndSomeEmbedded = "page.chrome-on-android-and-some-embedded",
    PageTheUsualFallbacksABroadcastchannelTo = "page.the-usual-fallbacks-a-broadcastchannel-to",
    PageLastGet = "page.last-get",
    PageWorker = "page.worker",
    PageStartsNormally = "page.starts-normally",
    PageStartsSlowlyTheFirstConnectRace = "page.starts-slowly-the-first-connect-race",
    PageHowTheWorkerKnowsWhoIs = "page.how-the-worker-knows-who-is",
    PageASharedworkerIsToldWhenA = "page.a-sharedworker-is-told-when-a",
    PageTheFirstTabSConnectEvent = "page.the-first-tab-s-connect-event",
    PageInTheRoom = "page.in-the-room",
    PageWaiting = "page.waiting",
    PageGaps = "page.gaps",
    PageRoom = "page.room",
    PageChangeItAndPressEnterTo = "page.change-it-and-press-enter-to",
    PageCutTheConnectionItReconnects = "page.cut-the-connection-it-reconnects",
    PageGoOffline = "page.go-offline",
    PageFreezeThisTab = "page.freeze-this-tab",
    PageComeBack = "page.come-back",
    PageLastSeen = "page.last-seen",
    PageSendAFrameThatIsNot = "page.send-a-frame-that-is-not",
    PageSendA65KibFrameThe = "page.send-a-65-kib-frame-the",
    PageWhatARelayAddsAndWhat = "page.what-a-relay-adds-and-what",
    PageAddsReachBroadcastchannelStorageEventsAnd = "page.adds-reach-broadcastchannel-storage-events-and",
    PageCostsAServerToRunAnd = "page.costs-a-server-to-run-and",
    PageSocketsGoAwayThisPageReconnects = "page.sockets-go-away-this-page-reconnects",
    PageLastTick = "page.last-tick",
    PageAgo = "page.ago",
    PageMissed = "page.missed",
    PageTransport = "page.transport",
    PageHandOverTheLead = "page.hand-over-the-lead",
    PageOpenAFollowerWindow = "page.open-a-follower-window",
    PageTheSeedSIdeaWorkingPost = "page.the-seed-s-idea-working-post",
    PagePostAMalformedTickAsA = "page.post-a-malformed-tick-as-a",
    PageElectByMessagesInThisTab = "page.elect-by-messages-in-this-tab",
    PageWhyTheSeedSVersionNever = "page.why-the-seed-s-version-never",
    PageTheSeedCallsWindowPostmessageIn = "page.the-seed-calls-window-postmessage-in",
    PageLeaderElectionEveryTabAsksThe = "page.leader-election-every-tab-asks-the",
    PageShop = "page.shop",
    PageProvider = "page.provider",
    PageAmountEur = "page.amount-eur",
    PageTimeLimitS = "page.time-limit-s",
    PageCheckout = "page.checkout",
    PageOrder = "page.order",
    PageOriginLab = "page.origin-lab",
    PageTheFirstThreePostAForged = "page.the-first-three-post-a-forged",
    PageForgeFromAnOpaqueFrame = "page.forge-from-an-opaque-frame",
    PageForgeFromAnotherProviderOriginFrame = "page.forge-from-another-provider-origin-frame",
    PageForgeByPostingToThisPage = "page.forge-by-posting-to-this-page",
    PageNavigateTheCheckoutFrameAwayThen = "page.navigate-the-checkout-frame-away-then",
    PageExplainWhatWeakerChecksWouldHave = "page.explain-what-weaker-checks-would-have",
    PageRawTextGoesToTheCheckout = "page.raw-text-goes-to-the-checkout",
    PageTheChecksAndWhatEachOne = "page.the-checks-and-what-each-one",
    PageOriginOnlyTheProviderSOrigin = "page.origin-only-the-provider-s-origin",
    PageSourceOnlyTheCheckoutIframeS = "page.source-only-the-checkout-iframe-s",
    PageOrderAndOnceAResultMust = "page.order-and-once-a-result-must",
    PageOutgoingTheOrderIsPostedWith = "page.outgoing-the-order-is-posted-with",
    PageWaitingForTheShopSOrder = "page.waiting-for-the-shop-s-order",
    PagePay = "page.pay",
    PageForOrder = "page.for-order",
    PagePay2 = "page.pay-2",
    PageDecline = "page.decline",
    PageCancel = "page.cancel",
    PageProviderPageOn = "page.provider-page-on",
    PageQaMisbehave = "page.qa-misbehave",
    PageSendAMalformedResult = "page.send-a-malformed-result",
    PageSendTheLastResultAgain = "page.send-the-last-result-again",
    PagePayAnotherOrder = "page.pay-another-order",
    SubjectChannel = "subject.channel",
    SubjectSharedWorker = "subject.shared-worker",
    SubjectTicker = "subject.ticker",
    SubjectStorage = "subject.storage",
    SubjectRelay = "subject.relay",
    SubjectWorker = "subject.worker",
    SubjectInspector = "subject.inspector",
    PlaceholderEveryOtherTab = "placeholder.every-other-tab",
    PlaceholderRoom = "placeholder.room",
    PlaceholderWorker = "placeholder.worker",
    FormSet = "form.set",
    FormGet = "form.get",
    FormRemove = "form.remove",
    FormClear = "form.clear",
    FormFillQuota = "form.fill-quota",
    BenchTitle = "bench.title",
    BenchLead = "bench.lead",
    BenchRun = "bench.run",
    BenchExport = "bench.export",
    BenchCloned = "bench.cloned",
    BenchClonedHint = "bench.cloned-hint",
    BenchMechanism = "bench.mechanism",
    BenchPayload = "bench.payload",
    BenchRtt = "bench.rtt",
    BenchPlainJs = "bench.plain-js",
    BenchRatio = "bench.ratio",
    BenchMsgs = "bench.msgs",
    BenchNote = "bench.note",
    BenchEchoPerMechanism = "bench.echo-per-mechanism",
    NotFoundTitle = "notfound.title",
    NotFoundText = "notfound.text",
    NotFoundLink = "notfound.link",
    /// Where a prerendered page's controls will be, until the app has loaded.
    AppStarting = "app.starting",
    BenchAxis = "bench.axis",
    BenchKeyRtt = "bench.key-rtt",
    BenchKeyRate = "bench.key-rate",
    CapabilitiesCopied = "capabilities.copied",
    CapabilitiesNoClipboard = "capabilities.no-clipboard",
    SubjectProbes = "subject.probes",
    LessonHeading = "lesson.heading",
    LessonWhen = "lesson.when",
    LessonCannot = "lesson.cannot",
    LessonPitfalls = "lesson.pitfalls",
    LessonSupport = "lesson.support",
    LessonCode = "lesson.code",
    LessonCodeFrom = "lesson.code-from",
}

/// The parts of every mechanism's lesson, in the order a route shows them: `lead` under its title,
/// the rest in its lesson panel. `pitfalls` holds one pitfall per line.
pub const LESSON_PARTS: &[&str] = &["lead", "when", "cannot", "pitfalls", "support"];

/// The mechanisms that have a lesson: every one of the shared catalog, by slug.
pub fn lesson_slugs() -> impl Iterator<Item = &'static str> {
    crosstalk_protocol::catalog::MECHANISMS.iter().map(|m| m.slug)
}

/// The key of a diagram's word: `diagram.<the English word>` (the code names them in English).
pub fn diagram_key(word: &str) -> String {
    format!("diagram.{word}")
}

/// The key of one part of a lesson: `lesson.<slug>.<part>`.
pub fn lesson_key(slug: &str, part: &str) -> String {
    format!("lesson.{slug}.{part}")
}

/// The key of a reason code's words: `reason.<code>`, one for every [`ReasonCode`].
pub fn reason_key(code: ReasonCode) -> String {
    format!("reason.{}", code.as_str())
}

impl Text {
    /// A capability row's label, by its slug.
    pub fn capability(slug: &str) -> Option<Text> {
        Some(match slug {
            "broadcast-channel" => Text::CapabilityBroadcastChannel,
            "shared-worker" => Text::CapabilitySharedWorker,
            "module-worker" => Text::CapabilityModuleWorker,
            "web-locks" => Text::CapabilityWebLocks,
            "local-storage" => Text::CapabilityLocalStorage,
            "storage-quota" => Text::CapabilityStorageQuota,
            "cross-origin-isolated" => Text::CapabilityCrossOriginIsolated,
            "websocket" => Text::CapabilityWebsocket,
            "transfer-port" => Text::CapabilityTransferPort,
            "clone-map" => Text::CapabilityCloneMap,
            "clone-date" => Text::CapabilityCloneDate,
            "clone-blob" => Text::CapabilityCloneBlob,
            "transfer-array-buffer" => Text::CapabilityTransferArrayBuffer,
            "clone-function" => Text::CapabilityCloneFunction,
            "broadcast-clone-map" => Text::CapabilityBroadcastCloneMap,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::i18n::Lang;

    fn file(lang: Lang) -> serde_json::Map<String, serde_json::Value> {
        let path = format!("{}/static/i18n/{}.json", env!("CARGO_MANIFEST_DIR"), lang.code());
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not a JSON object: {e}"))
    }

    #[test]
    fn every_language_has_every_key_and_no_other() {
        let reasons: Vec<String> = ReasonCode::ALL.iter().map(|c| reason_key(*c)).collect();
        let mut keys: BTreeSet<&str> = Text::ALL.iter().map(|t| t.key()).collect();
        assert_eq!(keys.len(), Text::ALL.len(), "a key is declared twice");
        keys.extend(reasons.iter().map(String::as_str));
        let lessons: Vec<String> = lesson_slugs()
            .flat_map(|slug| LESSON_PARTS.iter().map(move |part| lesson_key(slug, part)))
            .collect();
        keys.extend(lessons.iter().map(String::as_str));
        let diagrams: Vec<String> =
            crate::catalog::diagram_words().iter().copied().map(diagram_key).collect();
        keys.extend(diagrams.iter().map(String::as_str));
        keys.extend(crate::i18n::Say::ALL.iter().map(|s| s.key()));
        for lang in Lang::ALL {
            let words = file(lang);
            for key in &keys {
                let text = words.get(*key).and_then(|v| v.as_str());
                assert!(
                    text.is_some_and(|t| !t.trim().is_empty()),
                    "{}: \"{key}\" is missing or empty",
                    lang.code()
                );
            }
            let extra: Vec<&String> = words.keys().filter(|k| !keys.contains(k.as_str())).collect();
            assert!(extra.is_empty(), "{}: keys nothing uses: {extra:?}", lang.code());
        }
    }

    #[test]
    fn the_english_file_says_each_log_sentence_as_the_code_does() {
        let words = file(Lang::En);
        for say in crate::i18n::Say::ALL {
            assert_eq!(words.get(say.key()).and_then(|v| v.as_str()), Some(say.english()), "{}", say.key());
        }
    }

    #[test]
    fn every_translation_keeps_every_hole_of_its_sentence() {
        for lang in Lang::ALL {
            let words = file(lang);
            for say in crate::i18n::Say::ALL {
                let text = words.get(say.key()).and_then(|v| v.as_str()).unwrap_or_default();
                for n in 0..8 {
                    let hole = format!("{{{n}}}");
                    assert_eq!(
                        say.english().contains(&hole),
                        text.contains(&hole),
                        "{}: {} {hole}",
                        lang.code(),
                        say.key()
                    );
                }
            }
        }
    }

    #[test]
    fn every_capability_row_has_its_words() {
        for (slug, _) in crate::state::capabilities::ROWS {
            assert!(Text::capability(slug).is_some(), "{slug}");
        }
    }
}
