//! The suite's words in English and 中文. Each language's text is a JSON file of its own
//! (`static/i18n/en.json`, `static/i18n/zh.json`), fetched when that language is chosen: the wasm
//! carries the keys, not the words, so a second language does not grow the app. A native test
//! fails when a key is missing, empty or extra in either file.
//!
//! QA hooks: `lang` (a select of `en|zh`); `<html lang>` follows it. The choice is remembered in
//! localStorage (`crosstalk:lang`), follows to the other tabs at once, and starts from the
//! browser's language.

mod keys;
mod says;
mod texts;

pub use crosstalk_protocol::lang::{self, Lang};
pub use keys::Text;
pub use says::{fill, pieces, Piece, Said, Say};
pub use texts::{use_i18n, Hole, I18n, I18nProvider, Texts};
