//! Triage (分析研判): what kind of dispute a case is, how dangerous, where it belongs and who
//! should lead it — each suggestion with its reasons. Pure: the rules, thresholds, organisation
//! and history it needs are passed in; nothing here reads a database or the clock.

pub mod address;
pub mod classifier;
pub mod risk;
pub mod routing;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The rules an administrator edits as one document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct TriageRules {
    pub risk: risk::RiskRules,
    pub levels: routing::LevelRules,
}
