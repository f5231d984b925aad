//! 诉前委派 (DOMAIN.md §5.6): a court's pre-filing referral to the centre and its clocks on
//! the working-day calendar — confirm or decline within 3 working days (特邀调解规定 art. 12),
//! contact the other party within 3 working days of confirming (art. 15), mediate within 30
//! days of confirming (art. 24) — and how it ends.

use chrono::{DateTime, Duration, NaiveTime, Utc};

use crate::calendar::Calendar;
use crate::case::{Outcome, Status};

pub const CONFIRM_WORKING_DAYS: u32 = 3;
pub const CONTACT_WORKING_DAYS: u32 = 3;
pub const MEDIATION_DAYS: i64 = 30;

/// Where a referral stands. `received`, `accepted` and `declined` are recorded; `succeeded` and
/// `failed` follow from the case once it is concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Received,
    Accepted,
    Declined,
    Succeeded,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Accepted => "accepted",
            State::Declined => "declined",
            State::Succeeded => "succeeded",
            State::Failed => "failed",
        }
    }

    /// The state of a referral recorded as `recorded` whose case stands at `status`/`outcome`.
    pub fn of(recorded: &str, status: Status, outcome: Option<Outcome>) -> State {
        match recorded {
            "declined" => State::Declined,
            "received" => State::Received,
            _ if matches!(status, Status::Concluded | Status::FollowedUp | Status::Archived) => {
                if outcome == Some(Outcome::Resolved) { State::Succeeded } else { State::Failed }
            }
            _ => State::Accepted,
        }
    }
}

/// The end (23:59:59 China time) of the `n`th working day after `from`'s day.
fn working_deadline(calendar: &Calendar, from: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    let day = from.with_timezone(&crate::china_time()).date_naive();
    let date = calendar.add_working_days(day, n).date;
    crate::china_instant(date, NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time"))
}

/// By when a referral received at `received` must be confirmed or declined.
pub fn confirm_by(calendar: &Calendar, received: DateTime<Utc>) -> DateTime<Utc> {
    working_deadline(calendar, received, CONFIRM_WORKING_DAYS)
}

/// By when the other party must be contacted, and the mediation concluded, after confirming at
/// `accepted`.
pub fn after_confirming(calendar: &Calendar, accepted: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = accepted.with_timezone(&crate::china_time()).date_naive() + Duration::days(MEDIATION_DAYS);
    let mediate_by = crate::china_instant(day, NaiveTime::from_hms_opt(23, 59, 59).expect("a valid time"));
    (working_deadline(calendar, accepted, CONTACT_WORKING_DAYS), mediate_by)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concluded_case_ends_the_referral_by_its_outcome() {
        assert_eq!(State::of("received", Status::Registered, None), State::Received);
        assert_eq!(State::of("accepted", Status::InProgress, None), State::Accepted);
        assert_eq!(State::of("accepted", Status::Concluded, Some(Outcome::Resolved)), State::Succeeded);
        assert_eq!(State::of("accepted", Status::Concluded, Some(Outcome::Unresolved)), State::Failed);
        assert_eq!(State::of("declined", Status::Registered, None), State::Declined);
    }
}
