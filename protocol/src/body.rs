//! Message bodies: one enum per mechanism, declared with [`bodies!`](crate::bodies), which writes
//! the wire kind of every variant once and derives everything else from it — the list of kinds,
//! `kind()`, and how each body is written and read. A new variant cannot be forgotten in a
//! hand-kept list, because there is none.

use serde::ser::SerializeMap;
use serde::Deserializer;

/// A typed message body: the `kind` and `body` fields of an envelope.
pub trait Body: Sized {
    /// Every `kind` this body type knows, in declaration order; anything else is
    /// [`DecodeError::UnknownKind`](crate::DecodeError::UnknownKind).
    const KINDS: &'static [&'static str];

    /// The wire kind of this body (one of [`Self::KINDS`]).
    fn kind(&self) -> &'static str;

    /// Writes the `body` entry, if the variant has fields.
    fn write_body<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;

    /// Reads the `body` of a message of `kind` (one of [`Self::KINDS`]).
    fn read_body<'de, D: Deserializer<'de>>(kind: &str, body: D) -> Result<Self, D::Error>;

    /// The body of a `kind` that carries no fields, for a message without a `body` entry.
    fn without_body(kind: &str) -> Option<Self>;
}

/// Declares a body enum: `Variant = "kind"` or `Variant { field: Type, … } = "kind"`.
///
/// ```
/// crosstalk_protocol::bodies! {
///     #[derive(Debug, Clone, PartialEq)]
///     pub enum ChatMsg {
///         /// I am here.
///         Hello = "hello",
///         Text { text: String } = "text",
///     }
/// }
/// use crosstalk_protocol::Body;
/// assert_eq!(ChatMsg::KINDS, ["hello", "text"]);
/// assert_eq!(ChatMsg::Text { text: "hi".into() }.kind(), "text");
/// ```
#[macro_export]
macro_rules! bodies {
    // `@parsed` first: also readable from, and writable to, a parsed value
    // ([`ParsedBody`](crate::parsed::ParsedBody)) — what the workers speak, without serde_json.
    (@parsed $($rest:tt)*) => {
        $crate::bodies! { $($rest)* }
        $crate::__parsed_body! { $($rest)* }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident $({ $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? })? = $kind:literal
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant $({ $($(#[$fmeta])* $field: $ty),* })? ),*
        }

        impl $crate::Body for $name {
            const KINDS: &'static [&'static str] = &[$($kind),*];

            fn kind(&self) -> &'static str {
                match self {
                    $( $name::$variant { .. } => $kind ),*
                }
            }

            #[allow(unused_variables)]
            fn write_body<M: $crate::body::__private::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                match self {
                    $( $name::$variant { $($($field),*)? } => {
                        $crate::__body_write!(map $(, $($field : $ty),*)?)
                    } )*
                }
            }

            fn read_body<'de, D: $crate::body::__private::Deserializer<'de>>(
                kind: &str,
                body: D,
            ) -> Result<Self, D::Error> {
                match kind {
                    $( $kind => $crate::__body_read!(body, $name::$variant $(, $($field : $ty),*)?), )*
                    other => Err(<D::Error as $crate::body::__private::DeError>::unknown_variant(other, Self::KINDS)),
                }
            }

            fn without_body(kind: &str) -> Option<Self> {
                match kind {
                    $( $kind => $crate::__body_unit!($name::$variant $(, $($field),*)?), )*
                    _ => None,
                }
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __body_write {
    ($map:ident) => {
        Ok(())
    };
    ($map:ident, $($field:ident : $ty:ty),*) => {{
        #[derive($crate::body::__private::Serialize)]
        struct Fields<'a> {
            $($field: &'a $ty),*
        }
        $map.serialize_entry("body", &Fields { $($field),* })
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __body_read {
    ($body:ident, $path:path) => {{
        <$crate::body::__private::IgnoredAny as $crate::body::__private::Deserialize>::deserialize($body)?;
        Ok($path)
    }};
    ($body:ident, $name:ident :: $variant:ident, $($field:ident : $ty:ty),*) => {{
        #[derive($crate::body::__private::Deserialize)]
        struct Fields {
            $($field: $ty),*
        }
        let fields = <Fields as $crate::body::__private::Deserialize>::deserialize($body)?;
        Ok($name::$variant { $($field: fields.$field),* })
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __body_unit {
    ($path:path) => {
        Some($path)
    };
    ($path:path, $($field:ident),*) => {
        None
    };
}

#[doc(hidden)]
pub mod __private {
    pub use serde;
    pub use serde::de::{Error as DeError, IgnoredAny};
    pub use serde::ser::SerializeMap;
    pub use serde::{Deserialize, Deserializer, Serialize};
}
