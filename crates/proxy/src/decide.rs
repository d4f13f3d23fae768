//! What the proxy does with a request (or a response) once it has been
//! inspected: one pure function, used by the request and the response
//! side alike, so the two can never disagree about a mode.

use haetae_config::{Mode, OnTimeout};
use haetae_events::Disposition;

/// What the site's SecLang rules said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// No rule asked for an interruption.
    Quiet,
    /// A rule interrupted under `SecRuleEngine On`, with this status.
    Interrupt(u16),
    /// A rule would have interrupted, but the rules run `DetectionOnly`.
    WouldInterrupt,
}

/// How inspection went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inspection {
    /// It ran to the end: whether the native score reached the site's
    /// threshold, what the rules said, and whether anything was found at
    /// all (`noted`: findings below the threshold).
    Done { native_over: bool, rules: Rules, noted: bool },
    /// It ran past its time budget.
    Timeout,
    /// The engine failed (a panic, an internal error).
    Failed,
}

/// The site's settings the decision reads.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub mode: Mode,
    pub fail_open: bool,
    pub on_timeout: OnTimeout,
    /// Record findings below the threshold (`events.record_notes`).
    pub record_notes: bool,
}

/// What to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Forward the request (or pass the response on).
    Pass,
    /// The block page with this status.
    Block(u16),
    /// The neutral 503 page.
    Unavailable,
}

/// The decision: the answer, and the event to record (none for a clean
/// request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub answer: Answer,
    pub record: Option<Disposition>,
}

const PASS: Decision = Decision { answer: Answer::Pass, record: None };

pub fn decide(p: Policy, i: Inspection) -> Decision {
    match i {
        Inspection::Done { native_over: false, rules: Rules::Quiet, noted } => {
            if noted && p.record_notes {
                Decision { answer: Answer::Pass, record: Some(Disposition::Noted) }
            } else {
                PASS
            }
        }
        Inspection::Done { native_over, rules, .. } => {
            // Rules under `DetectionOnly` only report, whatever the mode.
            let enforce = native_over || matches!(rules, Rules::Interrupt(_));
            let status = match rules {
                Rules::Interrupt(s) => s,
                _ => 403,
            };
            match p.mode {
                Mode::Prevention if enforce => Decision { answer: Answer::Block(status), record: Some(Disposition::Blocked) },
                Mode::Prevention | Mode::Detection => Decision { answer: Answer::Pass, record: Some(Disposition::Logged) },
                Mode::Learning => Decision { answer: Answer::Pass, record: Some(Disposition::Learned) },
            }
        }
        // The client decides how long inspection takes: passing on a
        // timeout would let it buy its way past the engine.
        Inspection::Timeout if p.mode == Mode::Prevention && p.on_timeout == OnTimeout::Block => {
            Decision { answer: Answer::Unavailable, record: Some(Disposition::FailedClosed) }
        }
        Inspection::Timeout => Decision { answer: Answer::Pass, record: Some(Disposition::FailedOpen) },
        Inspection::Failed if p.fail_open => Decision { answer: Answer::Pass, record: Some(Disposition::FailedOpen) },
        Inspection::Failed => Decision { answer: Answer::Unavailable, record: Some(Disposition::FailedClosed) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Answer::*;
    use Disposition::*;

    /// Every mode × SecLang outcome × inspection result, with both
    /// `fail_open` settings and both timeout actions.
    #[test]
    fn the_whole_table() {
        let modes = [Mode::Prevention, Mode::Detection, Mode::Learning];
        let rules = [Rules::Quiet, Rules::Interrupt(406), Rules::WouldInterrupt];
        for mode in modes {
            for fail_open in [true, false] {
                for (on_timeout, record_notes) in [(OnTimeout::Block, true), (OnTimeout::Pass, false)] {
                    let p = Policy { mode, fail_open, on_timeout, record_notes };
                    for r in rules {
                        for (native_over, noted) in [(false, false), (false, true), (true, true)] {
                            let d = decide(p, Inspection::Done { native_over, rules: r, noted });
                            let found = native_over || r != Rules::Quiet;
                            let enforced = native_over || matches!(r, Rules::Interrupt(_));
                            let want = match (found, mode) {
                                (false, _) if noted && record_notes => Decision { answer: Pass, record: Some(Noted) },
                                (false, _) => Decision { answer: Pass, record: None },
                                (true, Mode::Prevention) if enforced => {
                                    let s = if let Rules::Interrupt(s) = r { s } else { 403 };
                                    Decision { answer: Block(s), record: Some(Blocked) }
                                }
                                (true, Mode::Prevention | Mode::Detection) => Decision { answer: Pass, record: Some(Logged) },
                                (true, Mode::Learning) => Decision { answer: Pass, record: Some(Learned) },
                            };
                            assert_eq!(d, want, "{mode:?} fail_open={fail_open} {on_timeout:?} {r:?} native={native_over}");
                        }
                    }
                    let t = decide(p, Inspection::Timeout);
                    if mode == Mode::Prevention && on_timeout == OnTimeout::Block {
                        assert_eq!(t, Decision { answer: Unavailable, record: Some(FailedClosed) });
                    } else {
                        assert_eq!(t, Decision { answer: Pass, record: Some(FailedOpen) }, "{mode:?} {on_timeout:?}");
                    }
                    let f = decide(p, Inspection::Failed);
                    let want = if fail_open { (Pass, FailedOpen) } else { (Unavailable, FailedClosed) };
                    assert_eq!(f, Decision { answer: want.0, record: Some(want.1) }, "{mode:?} fail_open={fail_open}");
                }
            }
        }
    }

    /// The disagreement this module replaced: prevention mode with rules
    /// under `DetectionOnly` was `logged` on the request side and
    /// `learned` on the response side.
    #[test]
    fn detection_only_rules_in_prevention_mode_are_logged() {
        let p = Policy { mode: Mode::Prevention, fail_open: true, on_timeout: OnTimeout::Block, record_notes: true };
        let d = decide(p, Inspection::Done { native_over: false, rules: Rules::WouldInterrupt, noted: false });
        assert_eq!(d, Decision { answer: Pass, record: Some(Logged) });
    }
}
