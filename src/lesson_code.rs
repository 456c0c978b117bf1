//! Each lesson's code, taken from the real source by `build.rs` (the `// lesson: <slug>` regions),
//! so the code a route shows is the code that runs.

/// One marked region of the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// The mechanism's catalog slug.
    pub slug: &'static str,
    /// The file, relative to the repository root.
    pub file: &'static str,
    /// The region's first line in that file (1-based).
    pub line: usize,
    pub code: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/lesson_code.rs"));

/// The regions of one mechanism's lesson, in file order.
pub fn regions_of(slug: &str) -> impl Iterator<Item = &'static Region> + '_ {
    REGIONS.iter().filter(move |r| r.slug == slug)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crosstalk_protocol::catalog::MECHANISMS;

    #[test]
    fn every_working_mechanism_shows_code_and_every_region_belongs_to_one() {
        for m in MECHANISMS {
            assert!(regions_of(m.slug).next().is_some(), "{} has no `// lesson: {}` region", m.slug, m.slug);
        }
        for r in REGIONS {
            assert!(
                MECHANISMS.iter().any(|m| m.slug == r.slug),
                "{}:{}: unknown slug {:?}",
                r.file,
                r.line,
                r.slug
            );
        }
    }

    #[test]
    fn a_region_is_the_source_itself_between_its_markers() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        for r in REGIONS {
            assert!(!r.code.trim().is_empty(), "{}:{} is empty", r.file, r.line);
            let text = std::fs::read_to_string(format!("{root}{}", r.file)).expect("the region's file");
            let lines: Vec<&str> = text.lines().collect();
            let first = r.code.lines().next().unwrap_or_default();
            let at = lines.get(r.line - 1).map(|l| l.trim());
            assert_eq!(at, Some(first.trim()), "{}:{} does not start the region", r.file, r.line);
            assert_eq!(
                lines.get(r.line - 2).map(|l| l.trim()),
                Some(format!("// lesson: {}", r.slug).as_str())
            );
            assert!(!r.code.contains("// lesson"), "{}:{}: markers leak into the code", r.file, r.line);
        }
    }
}
