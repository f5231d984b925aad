//! Early warning over the whole history (预警, issue 16): correlation rules an administrator
//! edits as data (`alert_rules`), and the alerts they open, each naming the cases behind it.
//!
//! A rule counts the cases that share a subject — a respondent (credit code, or an
//! organisation's name), a person (blind index of ID number or phone, never plaintext) —
//! within its window: at its threshold an orange alert, at `red_at` red (DOMAIN.md §5.2,
//! §5.5). Registration evaluates what the new case touches with indexed queries; an open alert
//! of the same rule and subject is brought up to date instead of a second one being opened
//! (the partial unique index `alerts_open_subject`).

use chrono::{DateTime, Utc};
use domain::case::{PartyKind, PartyRole, Risk};
use domain::msg;
use domain::validation::Message;

use crate::place_risk::PlaceCountChanges;
use crate::sql::{Arg, args};
use crate::{Result, Store, Viewer, from_ms, to_ms};

/// The most cases an alert names: the newest ones beyond it are still counted.
const CASES_NAMED: i64 = 200;

/// One correlation rule as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRule {
    /// same_respondent | same_person
    pub code: String,
    pub enabled: bool,
    /// This many cases within the window open an orange alert …
    pub threshold: i64,
    /// … and this many a red one.
    pub red_at: i64,
    pub window_days: i64,
}

/// An alert as the list shows it.
#[derive(Debug, Clone)]
pub struct AlertView {
    pub id: i64,
    pub rule: String,
    pub colour: Risk,
    pub reasons: Vec<Message>,
    /// The cases behind it, oldest first.
    pub case_ids: Vec<i64>,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

type AlertRow = (i64, String, String, String, String, String, i64);
/// A party's matching keys: role, kind, credit code, name key, ID-number index, phone index.
type PartyKeys = (String, String, Option<String>, String, Option<String>, Option<String>);

/// A subject a case touches under a rule: the rule, the key, and the conditions on `parties p`
/// that find the cases of the same subject (`$2` is the key), one indexed equality each (an
/// `OR` of two columns made SQLite 3.51 read every party; see [`Store::cases_with_party`]).
struct Subject {
    rule: &'static str,
    key: String,
    arms: &'static [&'static str],
}

impl Store {
    /// The correlation rules, by code.
    pub async fn alert_rules(&self) -> Result<Vec<AlertRule>> {
        let rows: Vec<(String, bool, i64, i64, i64)> = self
            .fetch_all("SELECT code, enabled, threshold, red_at, window_days FROM alert_rules ORDER BY code", args![])
            .await?;
        Ok(rows
            .into_iter()
            .map(|(code, enabled, threshold, red_at, window_days)| AlertRule {
                code,
                enabled,
                threshold,
                red_at,
                window_days,
            })
            .collect())
    }

    /// Evaluates every rule on the subjects a case touches (its respondents and its people),
    /// opening or bringing up to date one alert per rule and subject, seen in the case's
    /// `region`. Returns the places (region and grid) of the cases a red alert turned red.
    pub(crate) async fn alerts_evaluate_case(
        &self,
        case_id: i64,
        region: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, Option<i64>)>> {
        let rules = self.alert_rules().await?;
        let parties: Vec<PartyKeys> = self
            .fetch_all(
                "SELECT role, kind, credit_code, name_key, id_number_index, phone_index FROM parties WHERE case_id = $1",
                args![case_id],
            )
            .await?;
        let mut subjects: Vec<Subject> = Vec::new();
        for (role, kind, credit_code, name_key, id_index, phone_index) in parties {
            if role == PartyRole::Respondent.as_str() {
                let respondent = match (credit_code, kind == PartyKind::Organization.as_str(), &id_index) {
                    (Some(code), _, _) => Some((code, &["p.role = 'respondent' AND p.credit_code = $2"][..])),
                    (None, true, _) => {
                        Some((name_key, &["p.role = 'respondent' AND p.kind = 'organization' AND p.name_key = $2"][..]))
                    }
                    (None, false, Some(index)) => {
                        Some((index.clone(), &["p.role = 'respondent' AND p.id_number_index = $2"][..]))
                    }
                    (None, false, None) => None,
                };
                subjects.extend(respondent.map(|(key, arms)| Subject { rule: "same_respondent", key, arms }));
            }
            let person = id_index.or(phone_index);
            subjects.extend(person.map(|key| Subject {
                rule: "same_person",
                key,
                arms: &["p.id_number_index = $2", "p.phone_index = $2"],
            }));
        }
        let mut raised = Vec::new();
        for subject in subjects {
            let Some(rule) = rules.iter().find(|r| r.code == subject.rule && r.enabled) else { continue };
            let since = to_ms(now) - rule.window_days * 24 * 3600 * 1000;
            let arms: Vec<(&str, Arg)> = subject.arms.iter().map(|arm| (*arm, subject.key.clone().into())).collect();
            let found = self.cases_with_party(&arms, since, CASES_NAMED).await?;
            let cases = i64::try_from(found.len()).unwrap_or(i64::MAX);
            if cases < rule.threshold {
                continue;
            }
            let colour = if cases >= rule.red_at { Risk::Red } else { Risk::Orange };
            let reason = match subject.rule {
                "same_respondent" => msg!("alert.reason.same_respondent", cases = cases, days = rule.window_days),
                _ => msg!("alert.reason.same_person", cases = cases, days = rule.window_days),
            };
            let mut case_ids = found;
            case_ids.reverse();
            self.alert_open((subject.rule, &subject.key), colour, &[reason], &case_ids, region, now).await?;
            if colour == Risk::Red {
                raised.extend(self.cases_raise_to_red(&case_ids, now).await?);
            }
        }
        Ok(raised)
    }

    /// Turns red the open cases of a red alert that are not red yet, each with an event
    /// (`risk_raised`) recording the new colour and its reason.
    /// Returns the places (region and grid) of the cases it turned red.
    async fn cases_raise_to_red(&self, case_ids: &[i64], now: DateTime<Utc>) -> Result<Vec<(String, Option<i64>)>> {
        let mut raised = Vec::new();
        if case_ids.is_empty() {
            return Ok(raised);
        }
        let reason = msg!("risk.reason.alert_red", cases = case_ids.len());
        // Most of a red alert's cases are red already: find the others in one read, so that a
        // registration against a respondent with hundreds of cases does not open a transaction
        // for each of them.
        let mut a = Vec::new();
        let list = crate::sql::in_list(&mut a, case_ids);
        let to_raise: Vec<(i64,)> = self
            .fetch_all(
                &format!(
                    "SELECT id FROM cases WHERE id IN ({list}) AND risk <> 'red'
                         AND status IN ('registered', 'accepted', 'dispatched', 'in_progress')"
                ),
                a,
            )
            .await?;
        for (case_id,) in to_raise {
            let mut tx = self.begin().await?;
            let row: Option<(String, String, String, Option<i64>)> = tx
                .fetch_optional(
                    "SELECT risk_reasons, risk, region_code, grid_id FROM cases WHERE id = $1 AND risk <> 'red'
                         AND status IN ('registered', 'accepted', 'dispatched', 'in_progress')",
                    args![case_id],
                )
                .await?;
            let Some((reasons, risk, region, grid)) = row else { continue };
            let mut counts = PlaceCountChanges::default();
            counts.add(&region, grid, Risk::parse(&risk).unwrap_or(Risk::None), -1);
            counts.add(&region, grid, Risk::Red, 1);
            counts.write(&mut tx).await?;
            let mut reasons: Vec<Message> = serde_json::from_str(&reasons).unwrap_or_default();
            reasons.push(reason.clone());
            tx.execute(
                // A new version: a client holding the case as it was sees that it changed.
                "UPDATE cases SET risk = 'red', risk_reasons = $1, version = version + 1, updated_at = $2 WHERE id = $3",
                args![serde_json::to_string(&reasons).unwrap_or_default(), to_ms(now), case_id],
            )
            .await?;
            let mut data = serde_json::json!({"risk": Risk::Red.as_str(), "risk_reasons": [reason]});
            data["recorded"] = crate::cases::write::recorded_now(&mut tx, case_id).await?;
            crate::cases::append_event_locked(&mut tx, case_id, to_ms(now), "system", "risk_raised", &data).await?;
            tx.commit().await?;
            raised.push((region, grid));
        }
        Ok(raised)
    }

    /// Opens the alert of a rule and subject (`(rule, subject key)`), or brings the open one up
    /// to date.
    pub(crate) async fn alert_open(
        &self,
        (rule, key): (&str, &str),
        colour: Risk,
        reasons: &[Message],
        case_ids: &[i64],
        region: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let reasons = serde_json::to_string(reasons).unwrap_or_default();
        let cases = serde_json::to_string(case_ids).unwrap_or_default();
        self.execute(
            "INSERT INTO alerts (rule, subject_key, colour, reasons, case_ids, region_code, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $7)
             ON CONFLICT (rule, subject_key) WHERE status = 'open'
             DO UPDATE SET colour = excluded.colour, reasons = excluded.reasons, case_ids = excluded.case_ids,
                 region_code = excluded.region_code, updated_at = excluded.updated_at",
            args![rule, key, colour.as_str(), reasons, cases, region, to_ms(now)],
        )
        .await?;
        Ok(())
    }

    /// The alerts of a status in the viewer's region, newest first.
    pub async fn alert_list(&self, viewer: &Viewer, status: &str) -> Result<Vec<AlertView>> {
        let (low, high) = viewer.scope.region.subtree_range();
        let rows: Vec<AlertRow> = self
            .fetch_all(
                "SELECT id, rule, colour, reasons, case_ids, status, created_at FROM alerts
                 WHERE status = $1 AND region_code BETWEEN $2 AND $3 ORDER BY id DESC",
                args![status, low, high],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, rule, colour, reasons, case_ids, status, created_at)| AlertView {
                id,
                rule,
                colour: Risk::parse(&colour).unwrap_or(Risk::Orange),
                reasons: serde_json::from_str(&reasons).unwrap_or_default(),
                case_ids: serde_json::from_str(&case_ids).unwrap_or_default(),
                status,
                created_at: from_ms(created_at),
            })
            .collect())
    }
}
