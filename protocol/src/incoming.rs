//! A message as it arrived and before it is read: what the workers' services take, so the same
//! logic runs on wire text decoded by serde_json (natively, in tests) and on a value the browser's
//! own `JSON.parse` made (in the workers, which cannot afford serde_json).

use crate::{decode, preview, Body, DecodeError, Envelope};

/// A message not read yet: its verdict, and a preview of its text for a refusal.
pub trait Incoming<B> {
    fn decode(&self) -> Result<Envelope<B>, DecodeError>;
    /// The first `max_chars` of the text as the log shows it; empty when there was no text.
    fn preview(&self, max_chars: usize) -> String;
}

/// Wire text (or why the transport had none), decoded by [`decode`].
impl<B: Body, T: AsRef<str> + ?Sized> Incoming<B> for Result<&T, DecodeError> {
    fn decode(&self) -> Result<Envelope<B>, DecodeError> {
        match self {
            Ok(text) => decode::<B>(text.as_ref()),
            Err(error) => Err(error.clone()),
        }
    }

    fn preview(&self, max_chars: usize) -> String {
        match self {
            Ok(text) => preview(text.as_ref(), max_chars),
            Err(_) => String::new(),
        }
    }
}
