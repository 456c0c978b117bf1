//! The sentences the routes' states write into their logs, as templates with `{0}`, `{1}`… for
//! what varies. A log entry keeps the template and its arguments beside its English text, so the
//! log shows it in the chosen language while the entry's `payload` (what tests match and exports
//! carry) stays English. The English lives in `static/i18n/en.json` (the build makes `Say` from
//! it) and `zh.json` translates it.

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

// `Say`: one variant per `say.` key of `static/i18n/en.json`, with its English, written by the
// build (`build/words.rs`) so the English file is the one list of sentences.
include!(concat!(env!("OUT_DIR"), "/say_keys.rs"));

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
