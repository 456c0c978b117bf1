//! The languages, and which one a visitor gets: the one chosen before (remembered in
//! localStorage), else the browser's first language crosstalk has, else English.

/// Where the choice is remembered, for every tab of the origin.
pub const STORAGE_KEY: &str = "crosstalk:lang";

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
}
