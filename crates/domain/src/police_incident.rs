//! 警调对接 (issue 18): a 110 non-emergency dispute (警情) a police unit hands over to the centre,
//! by its own incident number (警情编号), and the result that goes back to the police once the
//! case ends — mediated successfully with its agreement, failed with the reason, or not taken
//! on (不予受理) with the reason. Where it stands follows from its case.

use serde_json::{Value, json};

use crate::case::{Outcome, Status};

/// The longest incident number.
pub const NUMBER_MAX: usize = 100;
/// The longest name of the officer who attended.
pub const OFFICER_MAX: usize = 100;

/// Where a hand-over stands, from its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// 办理中: the case is open.
    InProgress,
    /// 调解成功
    Succeeded,
    /// 调解不成
    Failed,
    /// 不予受理
    Rejected,
}

impl State {
    pub const ALL: [State; 4] = [State::InProgress, State::Succeeded, State::Failed, State::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            State::InProgress => "in_progress",
            State::Succeeded => "succeeded",
            State::Failed => "failed",
            State::Rejected => "rejected",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// The codes, for an error naming them.
    pub fn codes() -> String {
        Self::ALL.map(State::as_str).join(" | ")
    }

    /// The state of a hand-over whose case stands at `status`/`outcome`.
    pub fn of(status: Status, outcome: Option<Outcome>) -> State {
        match status {
            Status::Rejected => State::Rejected,
            Status::Concluded | Status::FollowedUp | Status::Archived => {
                if outcome == Some(Outcome::Resolved) {
                    State::Succeeded
                } else {
                    State::Failed
                }
            }
            _ => State::InProgress,
        }
    }

    /// Whether the case has ended and its result went back to the police.
    pub fn ended(self) -> bool {
        self != State::InProgress
    }

    /// What a case at this state is found by: the statuses it may have, and whether its
    /// outcome must be resolved (`Some(true)`), must not be (`Some(false)`) or does not matter.
    pub fn case_condition(self) -> (Vec<Status>, Option<bool>) {
        let statuses = Status::ALL
            .iter()
            .copied()
            .filter(|s| [Some(Outcome::Resolved), Some(Outcome::Unresolved)].iter().any(|o| State::of(*s, *o) == self))
            .collect();
        let resolved = match self {
            State::Succeeded => Some(true),
            State::Failed => Some(false),
            State::InProgress | State::Rejected => None,
        };
        (statuses, resolved)
    }
}

/// What goes back to the police when a case event ends the hand-over — a conclusion
/// (`conclude`, its data `{outcome, summary}`) or a rejection (`reject`, `{reason}`): the
/// outcome, with the agreement's summary when it succeeded or the reason otherwise. None for
/// any other event.
pub fn result(action: &str, data: &Value) -> Option<Value> {
    let text = |key: &str| data[key].as_str().map(str::to_owned);
    match action {
        "conclude" if data["outcome"].as_str() == Some(Outcome::Resolved.as_str()) => {
            Some(json!({"outcome": State::Succeeded.as_str(), "agreement_summary": text("summary"), "reason": null}))
        }
        "conclude" => {
            Some(json!({"outcome": State::Failed.as_str(), "agreement_summary": null, "reason": text("summary")}))
        }
        "reject" => {
            Some(json!({"outcome": State::Rejected.as_str(), "agreement_summary": null, "reason": text("reason")}))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_case_decides_where_a_hand_over_stands() {
        assert_eq!(State::of(Status::InProgress, None), State::InProgress);
        assert_eq!(State::of(Status::Concluded, Some(Outcome::Resolved)), State::Succeeded);
        assert_eq!(State::of(Status::FollowedUp, Some(Outcome::Unresolved)), State::Failed);
        assert_eq!(State::of(Status::Rejected, None), State::Rejected);
        let (statuses, resolved) = State::Succeeded.case_condition();
        assert_eq!((statuses.len(), resolved), (3, Some(true)));
        assert!(!State::InProgress.case_condition().0.contains(&Status::Rejected));
    }

    #[test]
    fn a_conclusion_or_a_rejection_is_the_result_and_nothing_else_is() {
        let ok = result("conclude", &json!({"outcome": "resolved", "summary": "赔偿 800 元"})).unwrap();
        assert_eq!(ok["outcome"], "succeeded");
        assert_eq!(ok["agreement_summary"], "赔偿 800 元");
        let failed = result("conclude", &json!({"outcome": "unresolved", "summary": "双方分歧大"})).unwrap();
        assert_eq!((failed["outcome"].as_str(), failed["reason"].as_str()), (Some("failed"), Some("双方分歧大")));
        let rejected = result("reject", &json!({"reason": "不属调解范围"})).unwrap();
        assert_eq!(rejected["outcome"], "rejected");
        assert!(result("accept", &json!({})).is_none());
    }
}
