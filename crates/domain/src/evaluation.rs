//! 亮牌: the monthly evaluation of a unit. An administrator keeps the rules as data
//! ([`EvaluationRules`]); each unit starts a month at 100 points and loses points for its
//! overdue rate, the cases it returned, satisfaction below the target, the supervision orders
//! it received and the notices it left unanswered; the score falls into a red, yellow or green
//! card. Every deduction is a [`Reason`], stored with the card.

use serde::{Deserialize, Serialize};

use crate::msg;
use crate::validation::FieldError;

/// The rules of the evaluation, edited by an administrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvaluationRules {
    /// Points lost per percentage point of concluded cases concluded late.
    pub overdue_points: f64,
    /// Points lost per case the unit returned (退回).
    pub return_points: f64,
    /// The satisfaction rate (percent) below which points are lost.
    pub satisfaction_target: f64,
    /// Points lost per percentage point of satisfaction below the target.
    pub satisfaction_points: f64,
    /// Points lost per supervision order (督办令) received.
    pub order_points: f64,
    /// Points lost per notice not replied to by the end of the month.
    pub unanswered_points: f64,
    /// A score below this is a red card.
    pub red_below: f64,
    /// A score below this (and not red) is a yellow card.
    pub yellow_below: f64,
}

impl Default for EvaluationRules {
    fn default() -> Self {
        EvaluationRules {
            overdue_points: 1.0,
            return_points: 2.0,
            satisfaction_target: 90.0,
            satisfaction_points: 1.0,
            order_points: 5.0,
            unanswered_points: 3.0,
            red_below: 60.0,
            yellow_below: 80.0,
        }
    }
}

impl EvaluationRules {
    /// Checks the rules; each error names its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let points = [
            ("overdue_points", self.overdue_points),
            ("return_points", self.return_points),
            ("satisfaction_points", self.satisfaction_points),
            ("order_points", self.order_points),
            ("unanswered_points", self.unanswered_points),
        ];
        for (field, value) in points {
            if !value.is_finite() || !(0.0..=100.0).contains(&value) {
                errors.push(FieldError::new(field, "out_of_range", msg!("evaluation.points_range")));
            }
        }
        for (field, value) in [
            ("satisfaction_target", self.satisfaction_target),
            ("red_below", self.red_below),
            ("yellow_below", self.yellow_below),
        ] {
            if !value.is_finite() || !(0.0..=100.0).contains(&value) {
                errors.push(FieldError::new(field, "out_of_range", msg!("evaluation.percent_range")));
            }
        }
        if errors.is_empty() && self.red_below > self.yellow_below {
            errors.push(FieldError::new("yellow_below", "below_red", msg!("evaluation.yellow_below_red")));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// What a unit did in a month, the evaluation's input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitMonth {
    /// Cases the unit concluded in the month.
    pub concluded: i64,
    /// Of those, concluded after their time limit.
    pub overdue: i64,
    /// Concluded cases the parties rated.
    pub rated: i64,
    /// Of those, rated satisfied.
    pub satisfied: i64,
    /// Cases the unit returned (退回) in the month.
    pub returns: i64,
    /// Supervision orders (督办令) the unit received in the month.
    pub orders: i64,
    /// Notices issued to the unit in the month and not replied to.
    pub unanswered: i64,
}

/// A card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Card {
    Red,
    Yellow,
    Green,
}

impl Card {
    pub fn as_str(self) -> &'static str {
        match self {
            Card::Red => "red",
            Card::Yellow => "yellow",
            Card::Green => "green",
        }
    }

    pub fn parse(code: &str) -> Option<Card> {
        [Card::Red, Card::Yellow, Card::Green].into_iter().find(|c| c.as_str() == code)
    }
}

/// One deduction: which rule, the measured value and the points lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// `overdue_rate` | `returns` | `satisfaction` | `orders` | `unanswered`.
    pub rule: String,
    /// The measure: a percentage for the rates, a count otherwise.
    pub value: f64,
    /// The points lost.
    pub points: f64,
}

/// A unit's card for a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub card: Card,
    pub score: f64,
    pub reasons: Vec<Reason>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Evaluates one unit's month by the rules.
pub fn evaluate(rules: &EvaluationRules, month: &UnitMonth) -> Evaluation {
    let mut reasons = Vec::new();
    let mut lose = |rule: &str, value: f64, points: f64| {
        if points > 0.0 {
            reasons.push(Reason { rule: rule.to_owned(), value: round1(value), points: round1(points) });
        }
    };
    if month.concluded > 0 {
        let rate = 100.0 * month.overdue as f64 / month.concluded as f64;
        lose("overdue_rate", rate, rate * rules.overdue_points);
    }
    lose("returns", month.returns as f64, month.returns as f64 * rules.return_points);
    if month.rated > 0 {
        let rate = 100.0 * month.satisfied as f64 / month.rated as f64;
        lose("satisfaction", rate, (rules.satisfaction_target - rate).max(0.0) * rules.satisfaction_points);
    }
    lose("orders", month.orders as f64, month.orders as f64 * rules.order_points);
    lose("unanswered", month.unanswered as f64, month.unanswered as f64 * rules.unanswered_points);
    let lost: f64 = reasons.iter().map(|r| r.points).sum();
    let score = round1((100.0 - lost).max(0.0));
    let card = if score < rules.red_below {
        Card::Red
    } else if score < rules.yellow_below {
        Card::Yellow
    } else {
        Card::Green
    };
    Evaluation { card, score, reasons }
}

/// The reason's rule as words (a catalogue key).
pub fn rule_message(rule: &str) -> crate::validation::Message {
    crate::validation::Message::new(match rule {
        "overdue_rate" => "evaluation.rule.overdue_rate",
        "returns" => "evaluation.rule.returns",
        "satisfaction" => "evaluation.rule.satisfaction",
        "orders" => "evaluation.rule.orders",
        _ => "evaluation.rule.unanswered",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_month_is_green_at_100() {
        let e = evaluate(
            &EvaluationRules::default(),
            &UnitMonth { concluded: 10, rated: 5, satisfied: 5, ..Default::default() },
        );
        assert_eq!((e.card, e.score), (Card::Green, 100.0));
        assert!(e.reasons.is_empty());
    }

    #[test]
    fn each_rule_deducts_by_its_points() {
        let rules = EvaluationRules::default();
        // 2 of 10 late: 20 points; 1 return: 2; satisfaction 50 %: 40 below 90 → 40.
        let e = evaluate(
            &rules,
            &UnitMonth { concluded: 10, overdue: 2, rated: 2, satisfied: 1, returns: 1, orders: 0, unanswered: 0 },
        );
        assert_eq!(e.score, 38.0);
        assert_eq!(e.card, Card::Red);
        let rules_of: Vec<&str> = e.reasons.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(rules_of, ["overdue_rate", "returns", "satisfaction"]);
        let e = evaluate(&rules, &UnitMonth { orders: 2, unanswered: 1, ..Default::default() });
        assert_eq!((e.score, e.card), (87.0, Card::Green));
        let e = evaluate(&rules, &UnitMonth { orders: 4, ..Default::default() });
        assert_eq!((e.score, e.card), (80.0, Card::Green));
        let e = evaluate(&rules, &UnitMonth { orders: 4, unanswered: 1, ..Default::default() });
        assert_eq!((e.score, e.card), (77.0, Card::Yellow));
    }

    #[test]
    fn rules_are_checked_field_by_field() {
        let bad = EvaluationRules { order_points: -1.0, red_below: 120.0, ..Default::default() };
        let fields: Vec<String> = bad.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["order_points", "red_below"]);
        let crossed = EvaluationRules { red_below: 90.0, yellow_below: 80.0, ..Default::default() };
        assert_eq!(crossed.validate().unwrap_err()[0].field, "yellow_below");
        assert!(EvaluationRules::default().validate().is_ok());
    }
}
