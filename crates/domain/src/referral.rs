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

/// Where a referral stands. `received`, `accepted` and `declined` are recorded; `mediating`
/// (the other party contacted), `succeeded` and `failed` follow from the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Received,
    Accepted,
    Declined,
    Mediating,
    Succeeded,
    Failed,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Received => "received",
            State::Accepted => "accepted",
            State::Declined => "declined",
            State::Mediating => "mediating",
            State::Succeeded => "succeeded",
            State::Failed => "failed",
        }
    }

    pub const ALL: [State; 6] =
        [State::Received, State::Accepted, State::Declined, State::Mediating, State::Succeeded, State::Failed];

    pub fn parse(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// The state of a referral recorded as `recorded` whose case stands at `status`/`outcome`,
    /// `contacted` once the other party was reached.
    pub fn of(recorded: &str, status: Status, outcome: Option<Outcome>, contacted: bool) -> State {
        match recorded {
            "declined" => State::Declined,
            "received" => State::Received,
            _ if matches!(status, Status::Concluded | Status::FollowedUp | Status::Archived) => {
                if outcome == Some(Outcome::Resolved) { State::Succeeded } else { State::Failed }
            }
            _ if contacted => State::Mediating,
            _ => State::Accepted,
        }
    }

    /// Whether the referral has a clock of its own still running.
    pub fn is_open(self) -> bool {
        matches!(self, State::Received | State::Accepted | State::Mediating)
    }
}

/// The referral's clock that is due next while it is open: confirm, contact, or mediate by.
pub fn due(
    state: State,
    confirm_by: DateTime<Utc>,
    contact_by: Option<DateTime<Utc>>,
    mediate_by: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match state {
        State::Received => Some(confirm_by),
        State::Accepted => contact_by.into_iter().chain(mediate_by).min(),
        State::Mediating => mediate_by,
        _ => None,
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
        assert_eq!(State::of("received", Status::Registered, None, false), State::Received);
        assert_eq!(State::of("accepted", Status::InProgress, None, false), State::Accepted);
        assert_eq!(State::of("accepted", Status::InProgress, None, true), State::Mediating);
        assert_eq!(State::of("accepted", Status::Concluded, Some(Outcome::Resolved), true), State::Succeeded);
        assert_eq!(State::of("accepted", Status::Concluded, Some(Outcome::Unresolved), true), State::Failed);
        assert_eq!(State::of("declined", Status::Registered, None, false), State::Declined);
    }

    #[test]
    fn the_clock_due_next_follows_the_state() {
        let at = |d: u32| chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, d, 0, 0, 0).unwrap();
        assert_eq!(due(State::Received, at(5), None, None), Some(at(5)));
        assert_eq!(due(State::Accepted, at(5), Some(at(6)), Some(at(30))), Some(at(6)));
        assert_eq!(due(State::Mediating, at(5), Some(at(6)), Some(at(30))), Some(at(30)));
        assert_eq!(due(State::Succeeded, at(5), Some(at(6)), Some(at(30))), None);
    }
}
