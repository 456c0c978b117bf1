//! Reading a page's query string (`?peer-timeout-ms=600000&transport=storage`): the QA hooks the
//! routes take. Shared by the pages and the workers, which see their own URL's query.

/// The value of `name` in `search` (with or without its leading `?`), if present.
pub fn param<'a>(search: &'a str, name: &str) -> Option<&'a str> {
    search.trim_start_matches('?').split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_is_found_by_its_whole_name() {
        assert_eq!(param("?a=1&transport=storage", "transport"), Some("storage"));
        assert_eq!(param("transport=", "transport"), Some(""));
        assert_eq!(param("?transports=x", "transport"), None, "not a prefix of another name");
        assert_eq!(param("?slow-start", "slow-start"), None, "a bare flag has no value");
        assert_eq!(param("", "room"), None);
    }
}
