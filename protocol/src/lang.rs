//! The languages, and which one a visitor gets: the one asked for in the link (`?lang=zh`), else
//! the one chosen before, else the browser's first language crosstalk has, else English. The app
//! remembers the choice in localStorage and in a cookie, so the server can send each route's
//! prerendered HTML in the language the reader will see once the app runs.

/// Where the app remembers the choice, for every tab of the origin.
pub const STORAGE_KEY: &str = "crosstalk:lang";
/// The cookie the server reads the choice from (the app writes it beside [`STORAGE_KEY`]).
pub const COOKIE: &str = "crosstalk-lang";
/// The query parameter a link chooses the language with (`?lang=zh`), for a teacher's handout.
pub const QUERY: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The code of its file and of `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// Its name in itself, as the switch shows it.
    pub fn label(self) -> &'static str {
        match self {
            Lang::En => "EN",
            Lang::Zh => "中文",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The first of the browser's languages (`navigator.languages`, BCP 47 tags) crosstalk has.
    pub fn from_browser<'a>(tags: impl IntoIterator<Item = &'a str>) -> Option<Lang> {
        tags.into_iter().find_map(|tag| {
            let primary = tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
            Lang::parse(&primary)
        })
    }

    /// The remembered choice if it is a language, else the browser's, else English.
    pub fn pick<'a>(remembered: Option<&str>, browser: impl IntoIterator<Item = &'a str>) -> Lang {
        remembered.and_then(Lang::parse).or_else(|| Lang::from_browser(browser)).unwrap_or(Lang::En)
    }

    /// The language a query string asks for (`a=1&lang=zh`), if it names one.
    pub fn from_query(query: &str) -> Option<Lang> {
        let query = query.strip_prefix('?').unwrap_or(query);
        query.split('&').find_map(|pair| pair.strip_prefix(QUERY)?.strip_prefix('=')).and_then(Lang::parse)
    }

    /// The language a `Cookie` header remembers (`a=1; crosstalk-lang=zh`), if it names one.
    pub fn from_cookie(header: &str) -> Option<Lang> {
        header
            .split(';')
            .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
            .and_then(Lang::parse)
    }

    /// The tags of an `Accept-Language` header in the order given, weights dropped, and those
    /// refused (`q=0`) left out.
    pub fn accept_language(header: &str) -> impl Iterator<Item = &str> {
        header.split(',').filter_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let tag = parts.next().filter(|t| !t.is_empty())?;
            let refused =
                parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
            (!refused).then_some(tag)
        })
    }

    /// The name of a route's prerendered page in this language (`broadcast.zh.html`;
    /// `index.en.html` for `/`): the build writes it, the server looks it up.
    pub fn prerendered_file(self, path: &str) -> String {
        let stem = path.trim_start_matches('/');
        format!("{}.{}.html", if stem.is_empty() { "index" } else { stem }, self.code())
    }

    /// What the server answers a page request in: the link's `?lang=`, else the cookie, else the
    /// browser's `Accept-Language`, else English — the app's own order, read from the request.
    pub fn for_request(query: Option<&str>, cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        query
            .and_then(Lang::from_query)
            .or_else(|| cookie.and_then(Lang::from_cookie))
            .or_else(|| accept_language.and_then(|h| Lang::from_browser(Lang::accept_language(h))))
            .unwrap_or(Lang::En)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_choice_wins_then_the_browsers_first_known_language_then_english() {
        assert_eq!(Lang::pick(Some("zh"), ["en-US"]), Lang::Zh);
        assert_eq!(Lang::pick(Some("klingon"), ["fr-FR", "zh-Hans-CN", "en"]), Lang::Zh);
        assert_eq!(Lang::pick(None, ["zh_TW"]), Lang::Zh);
        assert_eq!(Lang::pick(None, ["fr", "de"]), Lang::En);
        assert_eq!(Lang::pick(None, []), Lang::En);
    }

    #[test]
    fn a_request_is_answered_in_the_links_language_then_the_cookies_then_the_browsers() {
        assert_eq!(Lang::for_request(Some("x=1&lang=zh"), Some("crosstalk-lang=en"), Some("en")), Lang::Zh);
        assert_eq!(Lang::for_request(Some("lang=xx"), Some("a=b; crosstalk-lang=zh"), Some("en")), Lang::Zh);
        assert_eq!(
            Lang::for_request(Some("language=zh"), None, Some("fr-FR,zh-CN;q=0.8,en;q=0.5")),
            Lang::Zh
        );
        assert_eq!(Lang::for_request(None, Some("other-lang=zh"), Some("zh;q=0, en")), Lang::En);
        assert_eq!(Lang::for_request(None, None, None), Lang::En);
        assert_eq!(Lang::from_query("?lang=zh"), Some(Lang::Zh));
        assert_eq!(Lang::Zh.prerendered_file("/broadcast"), "broadcast.zh.html");
        assert_eq!(Lang::En.prerendered_file("/"), "index.en.html");
    }
}
