//! Typed ids: each record's id is its own type, so a case's id cannot be passed where an
//! agreement's is expected. They are taken by the use cases (`app`) and the store's entry
//! points, and produced from the path by the web layer's `InPath` extractor; inside a query
//! they are plain integers again ([`get`](CaseId::get)).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident => $what:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// What the id names, in the words of an error ("case not found").
            pub const WHAT: &'static str = $what;

            /// The integer the database keeps.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }
    )*};
}

ids! {
    /// A dispute case (纠纷案件).
    CaseId => "case";
    /// A mediation agreement (调解协议).
    AgreementId => "agreement";
    /// A mediation session (调解会议).
    SessionId => "session";
    /// A supervision notice of the ladder (提醒、预警、督办).
    NoticeId => "notice";
    /// A centre's risk list (风险隐患清单, 三色三单).
    RiskListId => "risk_list";
    /// An item of a risk list (交办单).
    RiskItemId => "risk_item";
    /// A centre's joint assessment meeting (联席研判会).
    JointMeetingId => "joint_meeting";
    /// A joint meeting's decision: a task for a unit (交办事项).
    JointDecisionId => "joint_decision";
    /// A referral of a case to the police (移送公安).
    PoliceReferralId => "police_referral";
    /// A grid worker's patrol (日巡查).
    PatrolId => "patrol";
    /// A hazard or dispute clue of the register (隐患台账).
    HazardId => "hazard";
    /// A person on the register of people who need attention (重点人员).
    WatchedPersonId => "watched_person";
    /// A case's task force (一案一专班).
    TaskForceId => "task_force";
    /// A milestone of a task force's plan (工作节点).
    MilestoneId => "milestone";
    /// A periodic report (定期报告: 日抽查, 周分析, 月通报, 季问效).
    ReportId => "report";
    /// A piece of evidence (证据材料).
    EvidenceId => "evidence";
    /// An organisational unit.
    UnitId => "unit";
    /// A grid (网格) of a community.
    GridId => "grid";
    /// A user of the system.
    UserId => "user";
    /// A message of the SMS outbox.
    MessageId => "message";
    /// A citizen signed in to the portal by phone (群众).
    CitizenId => "citizen";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_write_as_their_integer() {
        let id: CaseId = "42".parse().unwrap();
        assert_eq!(id, CaseId(42));
        assert_eq!(id.to_string(), "42");
        assert_eq!(serde_json::to_string(&id).unwrap(), "42");
        assert_eq!(serde_json::from_str::<AgreementId>("7").unwrap(), AgreementId(7));
        assert!("4x".parse::<CaseId>().is_err());
        assert_eq!(NoticeId::WHAT, "notice");
    }
}
