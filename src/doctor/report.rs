//! What the doctor found: one `Check` per question, each PASS, WARN or FAIL with its evidence and remedy, and the
//! exit code the whole report earns (0 all pass, 1 warnings, 2 a failure). Printed as text or as one JSON
//! document.

use std::fmt::Write;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub verdict: Verdict,
    /// What was seen: status codes, timings, counts.
    pub evidence: String,
    /// What to do, when it is not a pass.
    pub remedy: Option<String>,
}

impl Check {
    pub fn pass(name: &'static str, evidence: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Pass,
            evidence: evidence.into(),
            remedy: None,
        }
    }

    pub fn warn(
        name: &'static str,
        evidence: impl Into<String>,
        remedy: impl Into<String>,
    ) -> Check {
        Check {
            name,
            verdict: Verdict::Warn,
            evidence: evidence.into(),
            remedy: Some(remedy.into()),
        }
    }

    pub fn fail(
        name: &'static str,
        evidence: impl Into<String>,
        remedy: impl Into<String>,
    ) -> Check {
        Check {
            name,
            verdict: Verdict::Fail,
            evidence: evidence.into(),
            remedy: Some(remedy.into()),
        }
    }

    /// The same check, its evidence saying which of dalal's paths the thing checked serves.
    pub fn serving(mut self, paths: &str) -> Check {
        self.evidence = format!("{}; serves {paths}", self.evidence);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    pub broker: String,
    pub checks: Vec<Check>,
}

impl DoctorReport {
    pub fn worst(&self) -> Verdict {
        self.checks
            .iter()
            .map(|c| c.verdict)
            .max()
            .unwrap_or(Verdict::Pass)
    }

    pub fn exit_code(&self) -> u8 {
        match self.worst() {
            Verdict::Pass => 0,
            Verdict::Warn => 1,
            Verdict::Fail => 2,
        }
    }

    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

    pub fn to_text(&self) -> String {
        let mut out = format!("dalal doctor: {}\n", self.broker);
        for (i, check) in self.checks.iter().enumerate() {
            let _ = writeln!(
                out,
                "{:>2}. {} {:<14} {}",
                i + 1,
                check.verdict.label(),
                check.name,
                check.evidence
            );
            if let Some(remedy) = &check.remedy {
                let _ = writeln!(out, "    {:<19} → {remedy}", "");
            }
        }
        let passed = self
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Pass)
            .count();
        let _ = writeln!(
            out,
            "{passed} of {} checks passed; exit {}",
            self.checks.len(),
            self.exit_code()
        );
        out
    }
}
