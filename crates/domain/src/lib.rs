//! Fengqiao's pure domain: the rules of DOMAIN.md as functions and types. No I/O, no async,
//! no clock reads — `now` is always a parameter — so that every rule is tested with plain unit
//! and property tests.

pub mod authz;
pub mod calendar;
pub mod case;
pub mod case_import;
pub mod case_number;
pub mod clocks;
pub mod contact;
pub mod evaluation;
pub mod geo;
pub mod grid;
pub mod history;
pub mod i18n;
pub mod identity;
pub mod ids;
pub mod import;
pub mod mediation;
pub mod open311;
pub mod org;
pub mod petition;
pub mod place_risk;
pub mod police_incident;
pub mod recording;
pub mod referral;
pub mod report;
pub mod stats;
pub mod validation;
pub mod watch;
pub mod work_order;
pub mod workflow;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};

/// Asia/Shanghai: China observes no daylight saving time, so a fixed +08:00 offset is exact.
pub fn china_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// The instant at which it is `time` on `date` in China time (a fixed offset: never ambiguous).
pub fn china_instant(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    (date.and_time(time) - chrono::Duration::hours(8)).and_utc()
}
