//! Running other programs: plain, quiet (for version probes), and test runners whose
//! `test result:` lines are counted.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::thread;

/// A failure: one line a person can act on.
pub type Failure = anyhow::Error;

pub type Result<T> = anyhow::Result<T>;

pub fn fail<T>(message: impl Into<String>) -> Result<T> {
    Err(anyhow::anyhow!(message.into()))
}

/// `program args…` as one string, for messages.
pub fn describe(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.join(" ")
}

/// Runs to completion with inherited output; fails unless it exits 0.
/// What took how long in this run, in order: a first `serve` prints them (where the wait went).
static STAGES: std::sync::Mutex<Vec<(String, std::time::Duration)>> = std::sync::Mutex::new(Vec::new());

/// Runs `body` as one stage of the wait, and notes how long it took.
pub fn timed<T>(stage: &str, body: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = std::time::Instant::now();
    let result = body();
    if let Ok(mut stages) = STAGES.lock() {
        stages.push((stage.to_owned(), started.elapsed()));
    }
    result
}

/// The stages noted so far, one line each, with their share of `total`.
pub fn stages_report(total: std::time::Duration) -> String {
    let stages = STAGES.lock().map(|s| s.clone()).unwrap_or_default();
    let mut out = String::new();
    for (stage, took) in &stages {
        let share = 100.0 * took.as_secs_f64() / total.as_secs_f64().max(0.001);
        out.push_str(&format!("xtask:   {stage:<44} {:>7}  {share:>3.0}%\n", crate::took(*took)));
    }
    out.push_str(&format!("xtask:   {:<44} {:>7}\n", "the first page, in all", crate::took(total)));
    out
}

pub fn run(command: &mut Command) -> Result<()> {
    let what = describe(command);
    let status = command.status().map_err(|e| spawn_failure(&what, &e))?;
    if status.success() {
        Ok(())
    } else {
        fail(format!("`{what}` failed ({status})"))
    }
}

/// Runs and returns stdout (trimmed) when it exits 0; `None` if it cannot run or fails.
pub fn output_of(program: impl AsRef<OsStr>, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn spawn_failure(what: &str, error: &std::io::Error) -> Failure {
    let program = what.split_whitespace().next().unwrap_or(what);
    if error.kind() == std::io::ErrorKind::NotFound {
        anyhow::anyhow!("`{program}` is not installed or not on PATH (needed for `{what}`)")
    } else {
        anyhow::anyhow!("cannot run `{what}`: {error}")
    }
}

/// Totals read from libtest-style `test result:` lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub ignored: u64,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.ignored += other.ignored;
    }

    /// Reads `test result: ok. 27 passed; 0 failed; 1 ignored; …` (libtest and wasm-bindgen-test).
    pub fn parse_line(line: &str) -> Option<Counts> {
        let rest = line.trim().strip_prefix("test result:")?;
        let mut counts = Counts::default();
        for part in rest.split([';', '.']) {
            let mut words = part.split_whitespace();
            let (Some(number), Some(word)) = (words.next(), words.next()) else { continue };
            let Ok(n) = number.parse::<u64>() else { continue };
            match word {
                "passed" => counts.passed = n,
                "failed" => counts.failed = n,
                "ignored" => counts.ignored = n,
                _ => {}
            }
        }
        Some(counts)
    }
}

/// Runs a test command, echoing its output, and counts what its `test result:` lines report.
/// Fails when the command fails, or when it reports no test at all.
pub fn run_tests(command: &mut Command) -> (Counts, Result<()>) {
    let what = describe(command);
    let mut child = match command.stdout(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => return (Counts::default(), Err(spawn_failure(&what, &e))),
    };
    let stdout = child.stdout.take();
    let reader = thread::spawn(move || {
        let mut counts = Counts::default();
        if let Some(stdout) = stdout {
            for line in BufReader::new(stdout).lines().map_while(std::result::Result::ok) {
                println!("{line}");
                if let Some(found) = Counts::parse_line(&line) {
                    counts.add(found);
                }
            }
        }
        counts
    });
    let status = child.wait();
    let counts = reader.join().unwrap_or_default();
    let result = match status {
        Ok(status) if status.success() && counts.passed + counts.failed == 0 => {
            fail(format!("`{what}` ran no test"))
        }
        Ok(status) if status.success() => Ok(()),
        Ok(status) => fail(format!("`{what}` failed ({status})")),
        Err(e) => fail(format!("`{what}`: {e}")),
    };
    (counts, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_libtest_and_wasm_bindgen_test_summaries() {
        let line =
            "test result: ok. 27 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(Counts::parse_line(line), Some(Counts { passed: 27, failed: 0, ignored: 1 }));
        let line = "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(Counts::parse_line(line), Some(Counts { passed: 3, failed: 2, ignored: 0 }));
        assert_eq!(Counts::parse_line("running 3 tests"), None);
    }

    #[test]
    fn a_runner_that_runs_nothing_is_a_failure() {
        let (counts, result) = run_tests(Command::new("true").arg("ignored"));
        assert_eq!(counts, Counts::default());
        assert!(result.unwrap_err().to_string().contains("ran no test"));
    }

    #[test]
    fn counts_come_from_the_runners_output() {
        let script = "echo 'test result: ok. 2 passed; 0 failed; 0 ignored'; echo 'test result: ok. 1 passed; 0 failed'";
        let (counts, result) = run_tests(Command::new("sh").args(["-c", script]));
        assert_eq!(counts.passed, 3);
        assert!(result.is_ok());
        let (_, result) =
            run_tests(Command::new("sh").args(["-c", "echo 'test result: ok. 1 passed; 0 failed'; exit 3"]));
        assert!(result.is_err());
    }

    #[test]
    fn a_missing_program_says_what_to_install() {
        let error = run(&mut Command::new("crosstalk-no-such-program")).unwrap_err();
        assert!(error.to_string().contains("is not installed"), "{error}");
    }
}
