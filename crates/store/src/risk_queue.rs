//! 风险复核队列 (issue 16): the risk a registration or a workflow step touches, evaluated after
//! its answer and coalesced.
//!
//! The step writes a row naming its case in its own transaction (`risk_queue_push`), so a
//! committed case is always either evaluated or still queued: a crash loses nothing. After its
//! commit it wakes this node's worker (`risk_queue_queued`); the worker also polls, for what
//! other nodes queued. One node at a time drains — the `risk_queue` lease — in batches
//! (`risk_queue_drain`): every correlation subject (a respondent, a person) and every place (a
//! grid, a community, a street) that the batch's cases touch is evaluated once, however many of
//! them touch it, and the rows are deleted only after the evaluation has committed. Should two
//! nodes evaluate at once all the same (a lease lost to a stalled node), each write re-reads
//! under lock what it changes, so a case turns red once and a place's change is recorded once.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::sql::{Tx, args};
use crate::{Result, Store, to_ms};

/// The most rows one batch takes.
const BATCH: i64 = 256;

/// The lease that gives the queue to one node at a time: renewed by every batch, released when
/// the queue is empty, taken over by another node this long after a holder stopped.
const LEASE: &str = "risk_queue";
const LEASE_TTL: chrono::Duration = chrono::Duration::seconds(60);

/// This node's side of the queue: the wake-up of its worker and what the queue has cost so far.
#[derive(Default)]
pub(crate) struct RiskQueue {
    queued: tokio::sync::Notify,
    totals: std::sync::Mutex<RiskQueueTotals>,
}

/// What the queue has cost on this node since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RiskQueueTotals {
    /// Rows written by registrations and steps …
    pub queued: u64,
    /// … and the time those statements took inside their transactions.
    pub queue_time: Duration,
    /// Batches drained, and what was in them.
    pub batches: u64,
    pub drained: RiskDrain,
    /// The time the batches took, from reading the rows to deleting them.
    pub evaluate_time: Duration,
}

/// What a drain did: rows taken, the distinct cases they named, the subjects and places
/// evaluated, the cases an alert turned red.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RiskDrain {
    pub rows: u64,
    pub cases: u64,
    pub subjects: u64,
    pub places: u64,
    pub raised: u64,
}

impl RiskDrain {
    pub fn add(&mut self, other: RiskDrain) {
        self.rows += other.rows;
        self.cases += other.cases;
        self.subjects += other.subjects;
        self.places += other.places;
        self.raised += other.raised;
    }
}

impl RiskQueueTotals {
    /// What happened between `earlier` and these totals.
    pub fn since(&self, earlier: &RiskQueueTotals) -> RiskQueueTotals {
        let d = |now: u64, then: u64| now.saturating_sub(then);
        RiskQueueTotals {
            queued: d(self.queued, earlier.queued),
            queue_time: self.queue_time.saturating_sub(earlier.queue_time),
            batches: d(self.batches, earlier.batches),
            drained: RiskDrain {
                rows: d(self.drained.rows, earlier.drained.rows),
                cases: d(self.drained.cases, earlier.drained.cases),
                subjects: d(self.drained.subjects, earlier.drained.subjects),
                places: d(self.drained.places, earlier.drained.places),
                raised: d(self.drained.raised, earlier.drained.raised),
            },
            evaluate_time: self.evaluate_time.saturating_sub(earlier.evaluate_time),
        }
    }
}

impl Store {
    /// Queues each case for evaluation, inside the transaction of the step that calls for it.
    /// The caller wakes the worker after its commit ([`Store::risk_queue_wake`]).
    pub(crate) async fn risk_queue_push(&self, tx: &mut Tx, cases: &[(i64, DateTime<Utc>)]) -> Result<()> {
        let started = Instant::now();
        let rows = cases.iter().map(|(case_id, at)| args![*case_id, to_ms(*at)]).collect();
        tx.insert_rows("risk_queue", "case_id, queued_at", rows, "").await?;
        let mut totals = self.risk_queue.totals.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        totals.queued += cases.len() as u64;
        totals.queue_time += started.elapsed();
        Ok(())
    }

    /// Wakes this node's worker: called after the commit of a transaction that queued.
    pub(crate) fn risk_queue_wake(&self) {
        self.risk_queue.queued.notify_one();
    }

    /// Resolves once something was queued on this node since the last time it resolved.
    pub async fn risk_queue_queued(&self) {
        self.risk_queue.queued.notified().await;
    }

    /// How many rows wait in the queue, from every node.
    pub async fn risk_queue_len(&self) -> Result<i64> {
        let (n,): (i64,) = self.fetch_one("SELECT COUNT(*) FROM risk_queue", args![]).await?;
        Ok(n)
    }

    /// What the queue has cost on this node since it started.
    pub fn risk_queue_totals(&self) -> RiskQueueTotals {
        *self.risk_queue.totals.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Evaluates one batch of the queue as `holder`, under the queue's lease: the alerts of every
    /// subject its cases touch, then the colour of every place they and the cases an alert
    /// turned red lie in; then deletes the batch's rows. Nothing when the queue is empty (a read,
    /// no lease taken) or another node holds the lease (`None`).
    pub async fn risk_queue_drain(&self, holder: &str, now: DateTime<Utc>) -> Result<Option<RiskDrain>> {
        let first: Option<(i64,)> =
            self.fetch_optional("SELECT id FROM risk_queue ORDER BY id LIMIT 1", args![]).await?;
        if first.is_none() {
            return Ok(Some(RiskDrain::default()));
        }
        if !self.lease_acquire(LEASE, holder, now, LEASE_TTL).await? {
            return Ok(None);
        }
        let started = Instant::now();
        let rows: Vec<(i64, i64)> =
            self.fetch_all(&format!("SELECT id, case_id FROM risk_queue ORDER BY id LIMIT {BATCH}"), args![]).await?;
        let mut cases: Vec<i64> = rows.iter().map(|(_, case_id)| *case_id).collect();
        cases.sort_unstable();
        cases.dedup();
        let alerts = self.alerts_evaluate_cases(&cases, now).await?;
        let mut touched = cases.clone();
        touched.extend(&alerts.raised);
        touched.sort_unstable();
        touched.dedup();
        let places = self.place_risk_evaluate_cases(&touched, now).await?;
        let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
        let mut a = Vec::new();
        let list = crate::sql::in_list(&mut a, &ids);
        self.execute(&format!("DELETE FROM risk_queue WHERE id IN ({list})"), a).await?;
        let drain = RiskDrain {
            rows: rows.len() as u64,
            cases: cases.len() as u64,
            subjects: alerts.subjects as u64,
            places: places as u64,
            raised: alerts.raised.len() as u64,
        };
        let mut totals = self.risk_queue.totals.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        totals.batches += 1;
        totals.drained.add(drain);
        totals.evaluate_time += started.elapsed();
        Ok(Some(drain))
    }

    /// Gives the queue's lease back, so that another node may drain at once.
    pub async fn risk_queue_release(&self, holder: &str) -> Result<()> {
        self.lease_release(LEASE, holder).await
    }
}
