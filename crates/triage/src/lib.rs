//! Triage (分析研判): what kind of dispute a case is, how dangerous, where it belongs and who
//! should lead it — each suggestion with its reasons. Pure: the rules, thresholds, organisation
//! and history it needs are passed in; nothing here reads a database or the clock.

pub mod address;
pub mod classifier;
pub mod risk;
pub mod routing;
