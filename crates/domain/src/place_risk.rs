//! 地点风险: the risk colour of a place — a grid, a community, a street — from the open cases
//! and the open alerts within it, with its reasons (DOMAIN.md §5.2). A place is as red as the
//! reddest thing in it; yellow cases piling up in one place turn it orange.

use crate::case::Risk;
use crate::msg;
use crate::validation::Message;

/// This many open yellow cases in one place turn it orange.
pub const YELLOW_PILE: i64 = 5;

/// What is open within a place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlaceCounts {
    pub red_cases: i64,
    pub orange_cases: i64,
    pub yellow_cases: i64,
    pub red_alerts: i64,
    pub orange_alerts: i64,
}

/// The colour of a place and why.
pub fn place_colour(c: &PlaceCounts) -> (Risk, Vec<Message>) {
    let mut reasons = Vec::new();
    if c.red_cases > 0 {
        reasons.push(msg!("place_risk.red_cases", cases = c.red_cases));
    }
    if c.red_alerts > 0 {
        reasons.push(msg!("place_risk.red_alerts", alerts = c.red_alerts));
    }
    if !reasons.is_empty() {
        return (Risk::Red, reasons);
    }
    if c.orange_cases > 0 {
        reasons.push(msg!("place_risk.orange_cases", cases = c.orange_cases));
    }
    if c.orange_alerts > 0 {
        reasons.push(msg!("place_risk.orange_alerts", alerts = c.orange_alerts));
    }
    if c.yellow_cases >= YELLOW_PILE {
        reasons.push(msg!("place_risk.yellow_pile", cases = c.yellow_cases));
    }
    if !reasons.is_empty() {
        return (Risk::Orange, reasons);
    }
    if c.yellow_cases > 0 {
        return (Risk::Yellow, vec![msg!("place_risk.yellow_cases", cases = c.yellow_cases)]);
    }
    (Risk::None, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_is_as_red_as_its_reddest_case_or_alert() {
        let red = PlaceCounts { red_cases: 1, yellow_cases: 9, ..PlaceCounts::default() };
        assert_eq!(place_colour(&red).0, Risk::Red);
        let alert = PlaceCounts { red_alerts: 1, ..PlaceCounts::default() };
        assert_eq!(place_colour(&alert), (Risk::Red, vec![msg!("place_risk.red_alerts", alerts = 1)]));
        let orange = PlaceCounts { orange_alerts: 2, ..PlaceCounts::default() };
        assert_eq!(place_colour(&orange).0, Risk::Orange);
        assert_eq!(place_colour(&PlaceCounts::default()), (Risk::None, vec![]));
    }

    #[test]
    fn yellow_cases_piling_up_turn_a_place_orange_at_the_threshold() {
        let below = PlaceCounts { yellow_cases: YELLOW_PILE - 1, ..PlaceCounts::default() };
        assert_eq!(place_colour(&below), (Risk::Yellow, vec![msg!("place_risk.yellow_cases", cases = 4)]));
        let at = PlaceCounts { yellow_cases: YELLOW_PILE, ..PlaceCounts::default() };
        assert_eq!(place_colour(&at), (Risk::Orange, vec![msg!("place_risk.yellow_pile", cases = 5)]));
    }
}
