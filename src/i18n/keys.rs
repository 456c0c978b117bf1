//! Every key of the language files: the enum the views use (generated from the English file),
//! one key per reason code, lesson part and diagram word, and the tests that hold every language
//! to the same keys, and every translation to the holes and plurals of its English.

use crosstalk_protocol::ReasonCode;

// `Text`: one variant per key of `static/i18n/en.json` a view names, written by the build
// (`build/words.rs`) so the English file is the one list of keys.
include!(concat!(env!("OUT_DIR"), "/text_keys.rs"));

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
    /// A capability row's label, by its slug (`capability.<slug>`).
    pub fn capability(slug: &str) -> Option<Text> {
        let key = format!("capability.{slug}");
        Text::ALL.iter().copied().find(|text| text.key() == key)
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

    /// The arguments a template names, by number (holes and plurals alike).
    fn holes(template: &str) -> BTreeSet<usize> {
        crate::i18n::pieces(template)
            .into_iter()
            .filter_map(|piece| match piece {
                crate::i18n::Piece::Hole(n) | crate::i18n::Piece::Plural { n, .. } => Some(n),
                crate::i18n::Piece::Words(_) => None,
            })
            .collect()
    }

    /// A brace and a digit that did not make a hole or a plural (`{0|tab}`, `{1`): a typo.
    fn broken(template: &str) -> bool {
        crate::i18n::pieces(template).into_iter().any(|piece| match piece {
            crate::i18n::Piece::Words(words) => words
                .char_indices()
                .any(|(at, c)| c == '{' && words[at + 1..].starts_with(|d: char| d.is_ascii_digit())),
            _ => false,
        })
    }

    #[test]
    fn every_translation_keeps_every_hole_of_its_english_and_no_template_is_broken() {
        let english = file(Lang::En);
        for lang in Lang::ALL {
            let words = file(lang);
            for (key, text) in &words {
                let text = text.as_str().unwrap_or_default();
                let theirs = english.get(key).and_then(|v| v.as_str()).unwrap_or_default();
                assert_eq!(
                    holes(text),
                    holes(theirs),
                    "{}: {key} names other arguments than its English",
                    lang.code()
                );
                assert!(
                    !broken(text),
                    "{}: {key} has a brace that is neither a hole nor a plural: {text}",
                    lang.code()
                );
            }
        }
        assert!(broken("{0|tab} connected") && broken("{1 left") && !broken("{ not a hole }"));
        assert_eq!(holes("{0} other {0|tab|tabs}, {2}"), BTreeSet::from([0, 2]));
    }

    #[test]
    fn every_text_of_the_words_is_shown_somewhere() {
        // An English key no view names would be a word nobody reads (and one to translate).
        let mut source = String::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(path) = stack.pop() {
            for entry in std::fs::read_dir(&path).expect("src/ is readable").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    source.push_str(&std::fs::read_to_string(&path).expect("readable"));
                }
            }
        }
        for text in Text::ALL {
            // Capability rows are looked up by their slug (`Text::capability`).
            if text.key().starts_with("capability.") {
                continue;
            }
            let named = format!("Text::{text:?}");
            let used = source.match_indices(&named).any(|(at, _)| {
                !source[at + named.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            });
            assert!(used, "\"{}\" ({named}) is in the words but no view shows it", text.key());
        }
    }

    #[test]
    fn every_capability_row_has_its_words() {
        for (slug, _) in crate::state::capabilities::ROWS {
            assert!(Text::capability(slug).is_some(), "{slug}");
        }
    }
}
