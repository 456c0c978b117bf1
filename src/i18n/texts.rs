//! A language's words, loaded from its file, and the context every view reads them from.

use std::rc::Rc;

use gloo::events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use crosstalk_protocol::ReasonCode;

use super::keys::{diagram_key, lesson_key, lesson_slugs, reason_key, LESSON_PARTS};
use super::lang::{COOKIE, STORAGE_KEY};
use super::says::{pieces, Piece};
use super::{fill, Lang, Said, Say, Text};

/// The words of one language: one per [`Text`] in declaration order, and one per reason code.
#[derive(Debug, PartialEq)]
pub struct Texts {
    lang: Lang,
    words: Vec<String>,
    reasons: Vec<String>,
    /// Every lesson's parts, mechanism by mechanism in catalog order, parts in [`LESSON_PARTS`] order.
    lessons: Vec<String>,
    /// Every diagram's words, by the English word the code names them with.
    diagrams: std::collections::BTreeMap<&'static str, String>,
    /// The log's sentences, one per [`Say`] in declaration order.
    says: Vec<String>,
}

impl Texts {
    /// Builds the words from `word(key)`; a key it lacks shows as `⟦key⟧`, visibly. The
    /// diagrams' words are the ones the caller names (the catalog knows them; this layer does not).
    pub fn from_words(
        lang: Lang,
        diagram_words: &[&'static str],
        word: impl Fn(&str) -> Option<String>,
    ) -> Texts {
        let or_key = |key: &str| word(key).unwrap_or_else(|| format!("⟦{key}⟧"));
        let words = Text::ALL.iter().map(|t| or_key(t.key())).collect();
        let reasons = ReasonCode::ALL.iter().map(|c| or_key(&reason_key(*c))).collect();
        let lessons = lesson_slugs()
            .flat_map(|slug| LESSON_PARTS.iter().map(move |part| lesson_key(slug, part)))
            .map(|key| or_key(&key))
            .collect();
        let diagrams = diagram_words.iter().map(|w| (*w, or_key(&diagram_key(w)))).collect();
        let says = Say::ALL.iter().map(|s| word(s.key()).unwrap_or_else(|| s.english().to_owned())).collect();
        Texts { lang, words, reasons, lessons, diagrams, says }
    }

    pub fn get(&self, text: Text) -> &str {
        self.words.get(text as usize).map_or("", String::as_str)
    }

    /// What a reason code means, in a few words of this language.
    pub fn reason(&self, code: ReasonCode) -> &str {
        let at = ReasonCode::ALL.iter().position(|c| *c == code);
        at.and_then(|at| self.reasons.get(at)).map_or(code.as_str(), String::as_str)
    }

    /// A log sentence in this language (in English where the file lacks it).
    pub fn said(&self, said: &Said) -> String {
        // `says` follows `Say::ALL`, which is declaration order: a sentence's discriminant is its index.
        let template = self.says.get(said.say as usize).map_or(said.say.english(), String::as_str);
        match &said.inner {
            Some(inner) => {
                let mut args = said.args.clone();
                if let Some(first) = args.first_mut() {
                    *first = self.said(inner);
                }
                fill(template, &args)
            }
            None => fill(template, &said.args),
        }
    }

    /// A diagram's word in this language (the word itself for one no diagram has).
    pub fn diagram<'a>(&'a self, word: &'a str) -> &'a str {
        self.diagrams.get(word).map_or(word, String::as_str)
    }

    /// One part of a mechanism's lesson (empty for a slug or part there is none of).
    pub fn lesson(&self, slug: &str, part: &str) -> &str {
        let mechanism = lesson_slugs().position(|s| s == slug);
        let part = LESSON_PARTS.iter().position(|p| *p == part);
        let at = mechanism.zip(part).map(|(m, p)| m * LESSON_PARTS.len() + p);
        at.and_then(|at| self.lessons.get(at)).map_or("", String::as_str)
    }
}

/// One hole of a [`I18n::phrase`]: the node shown there, and the count its plurals follow.
pub struct Hole {
    count: String,
    node: Html,
}

impl Hole {
    pub fn new(count: impl ToString, node: Html) -> Hole {
        Hole { count: count.to_string(), node }
    }
}

/// What every view reads: the language, its words, and how to choose another.
#[derive(Clone)]
pub struct I18n {
    pub lang: Lang,
    texts: Rc<Texts>,
    pub choose: Callback<Lang>,
}

impl PartialEq for I18n {
    fn eq(&self, other: &Self) -> bool {
        self.lang == other.lang && Rc::ptr_eq(&self.texts, &other.texts)
    }
}

impl I18n {
    /// One language's words that never change (the build's prerenderer; nothing to choose there).
    pub fn fixed(texts: Rc<Texts>) -> I18n {
        I18n { lang: texts.lang, texts, choose: Callback::noop() }
    }

    /// `text` in the chosen language.
    pub fn t(&self, text: Text) -> &str {
        self.texts.get(text)
    }

    /// What a reason code means, in the chosen language.
    pub fn reason(&self, code: ReasonCode) -> &str {
        self.texts.reason(code)
    }

    /// `text` as a whole sentence whose numbers are elements of their own (a readout's
    /// `data-testid` span): each `{n}` is `holes[n]`'s node, each `{n|one|other}` is chosen by
    /// its count. Every language orders the sentence its own way.
    pub fn phrase(&self, text: Text, holes: &[Hole]) -> Html {
        let nodes = pieces(self.t(text)).into_iter().map(|piece| match piece {
            Piece::Words(words) => Html::from(words.to_owned()),
            Piece::Hole(n) => holes.get(n).map_or_else(|| Html::from(format!("{{{n}}}")), |h| h.node.clone()),
            Piece::Plural { n, one, other } => {
                let count = holes.get(n).map_or("", |h| h.count.as_str());
                Html::from(Piece::choose(one, other, count).to_owned())
            }
        });
        html! { {for nodes} }
    }

    /// A log sentence, in the chosen language.
    pub fn said(&self, said: &Said) -> String {
        self.texts.said(said)
    }

    /// A sequence diagram's word, in the chosen language.
    pub fn diagram<'a>(&'a self, word: &'a str) -> &'a str {
        self.texts.diagram(word)
    }

    /// One part of a mechanism's lesson, in the chosen language.
    pub fn lesson(&self, slug: &str, part: &str) -> &str {
        self.texts.lesson(slug, part)
    }
}

/// The current language's words (the keys themselves outside an [`I18nProvider`], as in tests).
#[hook]
pub fn use_i18n() -> I18n {
    let fallback = use_memo((), |_| Rc::new(Texts::from_words(Lang::En, &[], |_| None)));
    use_context::<I18n>().unwrap_or_else(|| I18n {
        lang: Lang::En,
        texts: Rc::clone(&fallback),
        choose: Callback::noop(),
    })
}

/// Fetches `/i18n/<code>.json` and reads every key from it with the browser's JSON parser.
async fn load(lang: Lang, diagram_words: &'static [&'static str]) -> Texts {
    match fetch_words(lang).await {
        Ok(words) => Texts::from_words(lang, diagram_words, |key| {
            js_sys::Reflect::get(&words, &JsValue::from_str(key)).ok().and_then(|v| v.as_string())
        }),
        Err(why) => {
            gloo::console::error!(format!("crosstalk: the {} words did not load: {why}", lang.code()));
            Texts::from_words(lang, diagram_words, |_| None)
        }
    }
}

async fn fetch_words(lang: Lang) -> Result<JsValue, String> {
    let window = web_sys::window().ok_or("no window")?;
    let url = words_url(lang);
    let response = JsFuture::from(window.fetch_with_str(&url)).await.map_err(|e| format!("{e:?}"))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not a response")?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let body = response.json().map_err(|e| format!("{e:?}"))?;
    JsFuture::from(body).await.map_err(|e| format!("{url} is not JSON: {e:?}"))
}

/// Where a language's words are: the content-hashed name the build wrote into the page
/// (`<meta name="crosstalk-i18n" content="en=/i18n/en-1a2b….json zh=…">`, cached for a year),
/// else the plain name (a build that did not hash them, which revalidates).
fn words_url(lang: Lang) -> String {
    let listed = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(r#"meta[name="crosstalk-i18n"]"#).ok().flatten())
        .and_then(|meta| meta.get_attribute("content"));
    listed
        .as_deref()
        .and_then(|list| hashed_words_url(list, lang))
        .unwrap_or_else(|| format!("/i18n/{}.json", lang.code()))
}

/// `lang`'s entry of a `crosstalk-i18n` list, if it names a file under `/i18n/`.
fn hashed_words_url(list: &str, lang: Lang) -> Option<String> {
    list.split_whitespace()
        .filter_map(|entry| entry.split_once('='))
        .find(|(code, _)| *code == lang.code())
        .map(|(_, url)| url)
        .filter(|url| url.starts_with("/i18n/") && !url.contains("..") && url.ends_with(".json"))
        .map(str::to_owned)
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The language this visitor starts in. A link's `?lang=zh` wins and is remembered, so a teacher
/// can hand out a link in 中文.
fn first_lang() -> Lang {
    let asked = web_sys::window().and_then(|w| w.location().search().ok()).and_then(|q| Lang::from_query(&q));
    if let Some(lang) = asked {
        remember(lang);
        return lang;
    }
    // This origin's choice, else the cookie: cookies are per host, not per port, so a choice
    // made on the app's origin follows the reader to the isolated origin (/atomics).
    let remembered =
        local_storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()).or_else(cookie_lang);
    let browser: Vec<String> = web_sys::window()
        .map(|w| w.navigator().languages().iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    Lang::pick(remembered.as_deref(), browser.iter().map(String::as_str))
}

/// The language the cookie remembers, if any.
fn cookie_lang() -> Option<String> {
    let document: web_sys::HtmlDocument = web_sys::window()?.document()?.dyn_into().ok()?;
    let cookies = document.cookie().ok()?;
    cookies.split(';').find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('=').map(str::to_owned))
}

/// Remembers the choice for every tab of the origin.
fn remember(lang: Lang) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(STORAGE_KEY, lang.code());
    }
}

/// Tells the server the language shown (each time one loads, however it was chosen), so it
/// sends each route's prerendered HTML in it.
fn write_cookie(lang: Lang) {
    let document = web_sys::window().and_then(|w| w.document());
    if let Some(document) = document.and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok()) {
        let _ =
            document.set_cookie(&format!("{COOKIE}={}; path=/; max-age=31536000; samesite=lax", lang.code()));
    }
}

fn mark_document(lang: Lang) {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", lang.code());
    }
}

#[derive(Properties, PartialEq)]
pub struct I18nProviderProps {
    pub children: Html,
    /// The diagrams' words, to read from the words file with the rest.
    #[prop_or_default]
    pub diagram_words: &'static [&'static str],
}

/// Loads the visitor's language, then shows the app in it; switches when asked, or when another
/// tab switches.
#[component]
pub fn I18nProvider(props: &I18nProviderProps) -> Html {
    let loaded = use_state(|| None::<Rc<Texts>>);
    let diagram_words = props.diagram_words;
    let switch = {
        let loaded = loaded.clone();
        use_callback((), move |lang: Lang, _| {
            let loaded = loaded.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let texts = load(lang, diagram_words).await;
                mark_document(lang);
                write_cookie(lang);
                loaded.set(Some(Rc::new(texts)));
            });
        })
    };
    {
        let switch = switch.clone();
        use_effect_with((), move |_| {
            switch.emit(first_lang());
            // Another tab chose: follow it at once.
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "storage", move |event| {
                    let Some(event) = event.dyn_ref::<web_sys::StorageEvent>() else { return };
                    if event.key().as_deref() == Some(STORAGE_KEY) {
                        if let Some(lang) = event.new_value().as_deref().and_then(Lang::parse) {
                            switch.emit(lang);
                        }
                    }
                })
            });
            move || drop(listener)
        });
    }
    let Some(texts) = (*loaded).clone() else {
        return html! { <p class="loading" data-testid="loading" aria-busy="true">{"…"}</p> };
    };
    let choose = Callback::from(move |lang: Lang| {
        remember(lang);
        switch.emit(lang);
    });
    let i18n = I18n { lang: texts.lang, texts, choose };
    html! {
        <ContextProvider<I18n> context={i18n}>
            {props.children.clone()}
        </ContextProvider<I18n>>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_word_shows_its_key_and_every_other_comes_from_the_file() {
        let texts =
            Texts::from_words(Lang::Zh, &["leader"], |key| (key != "home.lead").then(|| format!("字 {key}")));
        assert_eq!(texts.get(Text::HomeLead), "⟦home.lead⟧");
        assert_eq!(texts.get(Text::NavBench), "字 nav.bench");
        assert_eq!(texts.reason(ReasonCode::Gap), "字 reason.gap");
        assert_eq!(texts.lesson("storage", "pitfalls"), "字 lesson.storage.pitfalls");
        assert_eq!(texts.lesson("storage", "no-such-part"), "");
        assert_eq!(texts.diagram("leader"), "字 diagram.leader");
        let nested = Said::around(Say::FromSender, crate::said!(Claims, 3), vec!["tab-a".into()]);
        assert_eq!(nested.english(), "claims term 3 · from tab-a");
        assert_eq!(texts.said(&nested), "字 say.from-sender");
        let zh = Texts::from_words(Lang::Zh, &[], |key| match key {
            "say.from-sender" => Some("{0}，来自 {1}".into()),
            "say.claims" => Some("声明第 {0} 任期".into()),
            _ => None,
        });
        assert_eq!(zh.said(&nested), "声明第 3 任期，来自 tab-a");
        let list = "en=/i18n/en-00ff.json zh=/i18n/zh-11aa.json";
        assert_eq!(hashed_words_url(list, Lang::Zh).as_deref(), Some("/i18n/zh-11aa.json"));
        assert_eq!(hashed_words_url("zh=https://evil.example/zh.json", Lang::Zh), None);
        assert_eq!(hashed_words_url("en=/i18n/en.json", Lang::Zh), None);
        assert_eq!(texts.diagram("no diagram says this"), "no diagram says this");
        for text in Text::ALL {
            assert!(!texts.get(*text).is_empty());
        }
    }
}
