//! How long the recordings of video mediation (音视频笔录) are kept (保管期限). Mediation files
//! go to the archive (人民调解法 Art. 27) and are kept by the archives rules, locally 10 years
//! (短期), 30 years (长期) or for ever (DOMAIN.md §6.4); personal information is kept no longer
//! than necessary (个人信息保护法 Art. 19). A recording is the heaviest and most personal part
//! of a file: the administrator sets its period in years, by default the short term of 10
//! years, counted from the day its case was archived (归档). A recording whose case has a court
//! confirmation pending (司法确认) is held whatever its age, and so is one whose case staff
//! placed under a legal hold (录音录像保全), with its reason, until they release it.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::msg;
use crate::validation::{Checker, FieldError};

/// The longest reason for a legal hold, in characters.
pub const HOLD_REASON_MAX: usize = 500;

/// The longest period that may be set, in years (the archives' long term is 30).
pub const YEARS_MAX: i64 = 100;

/// The retention period of recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Years after its case was archived that a recording's file is kept.
    pub years: i64,
}

impl Default for Retention {
    /// The archives' short term (短期): 10 years.
    fn default() -> Self {
        Self { years: 10 }
    }
}

impl Retention {
    /// The period is a whole number of years from 1 to [`YEARS_MAX`].
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        if (1..=YEARS_MAX).contains(&self.years) {
            Ok(())
        } else {
            Err(vec![FieldError::new("years", "out_of_range", msg!("field.between", min = 1, max = YEARS_MAX))])
        }
    }

    /// The recordings of a case archived at or before this instant are past their period at
    /// `now` (calendar years: an archive on 29 February counts to 28 February).
    pub fn archived_by(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let months = u32::try_from(self.years.clamp(1, YEARS_MAX) * 12).unwrap_or(12);
        now.checked_sub_months(Months::new(months)).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// The reason for a legal hold on a case's recordings (录音录像保全): required (a hold no one
/// can explain outlives its purpose), trimmed, at most [`HOLD_REASON_MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldReason(String);

impl HoldReason {
    pub fn parse(text: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let mut checker = Checker::default();
        let reason = checker.required_text("reason", text, HOLD_REASON_MAX);
        checker.into_result()?;
        Ok(Self(reason.unwrap_or_default()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_whole_years_within_bounds() {
        assert!(Retention::default().validate().is_ok());
        assert!(Retention { years: YEARS_MAX }.validate().is_ok());
        for years in [0, -1, YEARS_MAX + 1] {
            let errors = Retention { years }.validate().unwrap_err();
            assert_eq!(errors[0].field, "years");
        }
    }

    #[test]
    fn the_period_counts_calendar_years_back_from_now() {
        let now: DateTime<Utc> = "2036-03-01T00:00:00Z".parse().unwrap();
        assert_eq!(Retention { years: 10 }.archived_by(now), "2026-03-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(Retention { years: 1 }.archived_by(now), "2035-03-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap());
    }

    #[test]
    fn a_hold_needs_a_reason_of_bounded_length() {
        assert_eq!(HoldReason::parse(Some("  诉讼中，法院调取  ")).unwrap().as_str(), "诉讼中，法院调取");
        for (text, code) in [(None, "required"), (Some(" "), "required"), (Some(&*"长".repeat(501)), "too_long")] {
            let errors = HoldReason::parse(text).unwrap_err();
            assert_eq!((errors[0].field.as_str(), errors[0].code), ("reason", code), "{text:?}");
        }
    }
}
