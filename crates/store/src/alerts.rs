//! Early warning over the whole history (预警, issue 16): correlation rules an administrator
//! edits as data (`alert_rules`), and the alerts they open, each naming the cases behind it.
//!
//! A rule counts the cases that share a subject — a respondent (credit code, or an
//! organisation's name), a person (blind index of ID number or phone, never plaintext) —
//! within its window: at its threshold an orange alert, at `red_at` red (DOMAIN.md §5.2,
//! §5.5). The risk queue's worker (`risk_queue`) evaluates the subjects its batch of new and
//! changed cases touches, each once, with indexed queries; an open alert of the same rule and
//! subject is brought up to date instead of a second one being opened (the partial unique index
//! `alerts_open_subject`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use domain::case::{PartyKind, PartyRole, Risk};
use domain::msg;
use domain::validation::Message;

use crate::sql::{Tx, args};
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
/// A party's matching keys: case, role, kind, credit code, name key, ID-number index, phone
/// index, and the case's region.
type PartyKeys = (i64, String, String, Option<String>, String, Option<String>, Option<String>, String);

/// An open case: the only kind an alert turns red.
const OPEN: &str = "c.status IN ('registered', 'accepted', 'dispatched', 'in_progress')";

/// A subject a case touches under a rule: the rule, the key, and the condition on `parties p`
/// that finds the other cases of the same subject (`$2` is the key).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Subject {
    rule: &'static str,
    key: String,
    condition: &'static str,
}

/// A subject's alert as evaluated, to be written.
struct Opened<'a> {
    subject: &'a Subject,
    colour: Risk,
    reason: Message,
    /// The cases behind it, oldest first.
    case_ids: Vec<i64>,
    /// The region of the newest case touching it.
    region: &'a str,
}

/// What an evaluation of the alerts did: the subjects it evaluated, the cases it turned red.
#[derive(Debug, Default)]
pub(crate) struct AlertsEvaluated {
    pub subjects: usize,
    pub raised: Vec<i64>,
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

    /// Evaluates every rule on the subjects the cases touch (their respondents and their
    /// people), each subject once however many of the cases touch it: opens or brings up to date
    /// one alert per rule and subject, and turns red the open cases of a red one. The alerts and
    /// the cases turned red are written in one transaction.
    pub(crate) async fn alerts_evaluate_cases(&self, case_ids: &[i64], now: DateTime<Utc>) -> Result<AlertsEvaluated> {
        if case_ids.is_empty() {
            return Ok(AlertsEvaluated::default());
        }
        let rules = self.alert_rules().await?;
        let mut a = Vec::new();
        let list = crate::sql::in_list(&mut a, case_ids);
        let parties: Vec<PartyKeys> = self
            .fetch_all(
                &format!(
                    "SELECT p.case_id, p.role, p.kind, p.credit_code, p.name_key, p.id_number_index, p.phone_index, c.region_code
                     FROM parties p JOIN cases c ON c.id = p.case_id WHERE p.case_id IN ({list})"
                ),
                a,
            )
            .await?;
        // Each subject with the region of the newest of the cases touching it: an alert is seen
        // in the scope of its latest case.
        let mut subjects: BTreeMap<Subject, (i64, String)> = BTreeMap::new();
        for (case_id, role, kind, credit_code, name_key, id_index, phone_index, region) in parties {
            let mut touched = Vec::new();
            if role == PartyRole::Respondent.as_str() {
                let respondent = match (credit_code, kind == PartyKind::Organization.as_str(), &id_index) {
                    (Some(code), _, _) => Some((code, "p.role = 'respondent' AND p.credit_code = $2")),
                    (None, true, _) => {
                        Some((name_key, "p.role = 'respondent' AND p.kind = 'organization' AND p.name_key = $2"))
                    }
                    (None, false, Some(index)) => {
                        Some((index.clone(), "p.role = 'respondent' AND p.id_number_index = $2"))
                    }
                    (None, false, None) => None,
                };
                touched.extend(respondent.map(|(key, condition)| Subject { rule: "same_respondent", key, condition }));
            }
            let person = id_index.or(phone_index);
            touched.extend(person.map(|key| Subject {
                rule: "same_person",
                key,
                condition: "(p.id_number_index = $2 OR p.phone_index = $2)",
            }));
            for subject in touched {
                let newest = subjects.entry(subject).or_insert((case_id, region.clone()));
                if case_id > newest.0 {
                    *newest = (case_id, region.clone());
                }
            }
        }
        let mut opened = Vec::new();
        for (subject, (_, region)) in &subjects {
            let Some(rule) = rules.iter().find(|r| r.code == subject.rule && r.enabled) else { continue };
            let since = to_ms(now) - rule.window_days * 24 * 3600 * 1000;
            let sql = format!(
                "SELECT DISTINCT p.case_id FROM parties p JOIN cases c ON c.id = p.case_id
                 WHERE c.created_at >= $1 AND {} ORDER BY p.case_id DESC LIMIT {CASES_NAMED}",
                subject.condition
            );
            let found: Vec<(i64,)> = self.fetch_all(&sql, args![since, subject.key.clone()]).await?;
            let cases = i64::try_from(found.len()).unwrap_or(i64::MAX);
            if cases < rule.threshold {
                continue;
            }
            let colour = if cases >= rule.red_at { Risk::Red } else { Risk::Orange };
            let reason = match subject.rule {
                "same_respondent" => msg!("alert.reason.same_respondent", cases = cases, days = rule.window_days),
                _ => msg!("alert.reason.same_person", cases = cases, days = rule.window_days),
            };
            let mut case_ids: Vec<i64> = found.into_iter().map(|(id,)| id).collect();
            case_ids.reverse();
            opened.push(Opened { subject, colour, reason, case_ids, region: region.as_str() });
        }
        let raised = self.alerts_write(&opened, now).await?;
        Ok(AlertsEvaluated { subjects: subjects.len(), raised })
    }

    /// Writes the alerts as evaluated and turns red the open cases of the red ones that are not
    /// red yet, each with an event (`risk_raised`) recording the new colour and its reason; in
    /// one transaction. Returns the cases turned red.
    async fn alerts_write(&self, opened: &[Opened<'_>], now: DateTime<Utc>) -> Result<Vec<i64>> {
        if opened.is_empty() {
            return Ok(Vec::new());
        }
        // Most of a red alert's cases are red already: find the others in one read, so that a
        // batch touching a respondent with hundreds of cases does not lock each of them.
        let mut red: Vec<i64> =
            opened.iter().filter(|o| o.colour == Risk::Red).flat_map(|o| o.case_ids.iter().copied()).collect();
        red.sort_unstable();
        red.dedup();
        let mut to_raise = std::collections::BTreeSet::new();
        for chunk in red.chunks(CASES_NAMED as usize) {
            let mut a = Vec::new();
            let list = crate::sql::in_list(&mut a, chunk);
            let found: Vec<(i64,)> = self
                .fetch_all(&format!("SELECT id FROM cases c WHERE id IN ({list}) AND risk <> 'red' AND {OPEN}"), a)
                .await?;
            to_raise.extend(found.into_iter().map(|(id,)| id));
        }
        let at = to_ms(now);
        let mut raised = Vec::new();
        let mut tx = self.begin().await?;
        for o in opened {
            let subject = (o.subject.rule, o.subject.key.as_str());
            alert_open(&mut tx, subject, o.colour, std::slice::from_ref(&o.reason), &o.case_ids, o.region, now).await?;
            if o.colour != Risk::Red {
                continue;
            }
            let reason = msg!("risk.reason.alert_red", cases = o.case_ids.len());
            for case_id in o.case_ids.iter().filter(|id| to_raise.remove(*id)) {
                // Under the case's lock: a case another evaluation turned red meanwhile is left be.
                let row: Option<(String,)> = tx
                    .fetch_optional_for_update(
                        &format!("SELECT risk_reasons FROM cases c WHERE id = $1 AND risk <> 'red' AND {OPEN}"),
                        args![*case_id],
                    )
                    .await?;
                let Some((reasons,)) = row else { continue };
                let mut reasons: Vec<Message> = serde_json::from_str(&reasons).unwrap_or_default();
                reasons.push(reason.clone());
                tx.execute(
                    // A new version: a client holding the case as it was sees that it changed.
                    "UPDATE cases SET risk = 'red', risk_reasons = $1, version = version + 1, updated_at = $2 WHERE id = $3",
                    args![serde_json::to_string(&reasons).unwrap_or_default(), at, *case_id],
                )
                .await?;
                let mut data = serde_json::json!({"risk": Risk::Red.as_str(), "risk_reasons": [reason]});
                data["recorded"] = crate::cases::write::recorded_now(&mut tx, *case_id).await?;
                crate::cases::append_event_locked(&mut tx, *case_id, at, "system", "risk_raised", &data).await?;
                raised.push(*case_id);
            }
        }
        tx.commit().await?;
        Ok(raised)
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

/// Opens the alert of a rule and subject (`(rule, subject key)`), or brings the open one up to
/// date.
pub(crate) async fn alert_open(
    tx: &mut Tx,
    (rule, key): (&str, &str),
    colour: Risk,
    reasons: &[Message],
    case_ids: &[i64],
    region: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let reasons = serde_json::to_string(reasons).unwrap_or_default();
    let cases = serde_json::to_string(case_ids).unwrap_or_default();
    tx.execute(
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
