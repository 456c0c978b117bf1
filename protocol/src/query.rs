//! Reading a page's query string (`?peer-timeout-ms=600000&transport=storage`): the QA hooks the
//! routes take. Shared by the pages and the workers, which see their own URL's query.

/// The value of `name` in `search` (with or without its leading `?`), if present.
pub fn param<'a>(search: &'a str, name: &str) -> Option<&'a str> {
    search.trim_start_matches('?').split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// `text` as a URL query or fragment value, as `encodeURIComponent` writes it: every byte of its
/// UTF-8 but the unreserved marks is `%XX`.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => out.push(char::from(byte)),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_is_encoded_as_encode_uri_component_does() {
        assert_eq!(encode_component("order-1a"), "order-1a");
        assert_eq!(encode_component("http://127.0.0.1:8081"), "http%3A%2F%2F127.0.0.1%3A8081");
        assert_eq!(encode_component(r#"{"a":"b c"}&#="#), "%7B%22a%22%3A%22b%20c%22%7D%26%23%3D");
        assert_eq!(encode_component("!~*'()_.-"), "!~*'()_.-");
        assert_eq!(encode_component("价"), "%E4%BB%B7");
    }

    #[test]
    fn a_parameter_is_found_by_its_whole_name() {
        assert_eq!(param("?a=1&transport=storage", "transport"), Some("storage"));
        assert_eq!(param("transport=", "transport"), Some(""));
        assert_eq!(param("?transports=x", "transport"), None, "not a prefix of another name");
        assert_eq!(param("?slow-start", "slow-start"), None, "a bare flag has no value");
        assert_eq!(param("", "room"), None);
    }
}
