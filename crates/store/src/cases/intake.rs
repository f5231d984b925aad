//! 受理的分组提交: registrations that arrive together are written in one transaction.
//!
//! A registration's triage, clocks and encryption are worked out before it queues; what queues
//! is only what must be written under the write lock — the case number's serial, the case, its
//! parties, its first event, the rollups and the applicant's SMS. The first caller to find the
//! writer free becomes the batch's leader: it takes every registration waiting (up to
//! `BATCH_MAX`), writes them in one transaction, and answers each. One commit then serves many
//! cases: one WAL append on SQLite, one flush on PostgreSQL, one lock of each county's serial
//! row. Every caller is answered only after its batch commits, so an acknowledged
//! registration survives a crash as before.

use chrono::{DateTime, Datelike, Utc};
use tokio::sync::oneshot;

use domain::case::NewParty;

use super::write::{CaseRecord, EventRecord};
use crate::sql::{Tx, args};
use crate::supervision::DeadlineColumns;
use crate::{Result, Store, StoreError};

/// The most registrations one transaction writes.
const BATCH_MAX: usize = 64;

/// A registration ready to be written: everything but its number.
pub(crate) struct ReadyCase {
    pub record: CaseRecord,
    pub deadlines: DeadlineColumns,
    pub parties: Vec<NewParty>,
    /// The county whose yearly serial numbers the case.
    pub county: String,
    /// The first event, whose data gets the case's `number`.
    pub registered: EventRecord,
    /// The centre named in the applicant's SMS.
    pub centre: String,
    pub now: DateTime<Utc>,
}

struct Waiting {
    case: ReadyCase,
    answer: oneshot::Sender<Result<i64>>,
}

/// The registrations waiting for the writer, and the writer's turn.
#[derive(Default)]
pub(crate) struct IntakeGroup {
    waiting: std::sync::Mutex<Vec<Waiting>>,
    writing: tokio::sync::Mutex<()>,
}

impl Store {
    /// Writes `case` with whatever registrations arrive meanwhile; its id once committed.
    pub(crate) async fn case_write_grouped(&self, case: ReadyCase) -> Result<i64> {
        let (answer, mut answered) = oneshot::channel();
        self.intake.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(Waiting { case, answer });
        loop {
            let turn = self.intake.writing.lock().await;
            // A leader before us may have written ours already.
            if let Ok(result) = answered.try_recv() {
                return result;
            }
            let batch: Vec<Waiting> = {
                let mut waiting = self.intake.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let n = waiting.len().min(BATCH_MAX);
                waiting.drain(..n).collect()
            };
            // Written by a task of its own: a leader whose client goes away does not take its
            // neighbours' registrations with it.
            let store = self.clone();
            let written = tokio::spawn(async move { store.cases_write_batch(batch).await }).await;
            drop(turn);
            if let Err(e) = written {
                return Err(StoreError::Setup(format!("registration batch failed: {e}")));
            }
            match answered.try_recv() {
                Ok(result) => return result,
                // Not in that batch (more than `BATCH_MAX` were waiting ahead of it): the next.
                Err(oneshot::error::TryRecvError::Empty) => continue,
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(StoreError::Setup("registration batch lost its answer".into()));
                }
            }
        }
    }

    /// Writes a batch in one transaction and answers each registration. When the batch fails,
    /// each is written again alone, so that one registration's fault is its own.
    async fn cases_write_batch(&self, batch: Vec<Waiting>) {
        if batch.len() > 1 {
            let cases: Vec<&ReadyCase> = batch.iter().map(|w| &w.case).collect();
            if let Ok(ids) = self.cases_write_together(&cases).await {
                for (waiting, id) in batch.into_iter().zip(ids) {
                    let _ = waiting.answer.send(Ok(id));
                }
                return;
            }
        }
        for waiting in batch {
            let written = self.cases_write_together(&[&waiting.case]).await.map(|ids| ids[0]);
            let _ = waiting.answer.send(written);
        }
    }

    /// The next case number of `county` in the year (China time) of `registered_at`, its
    /// serial taken inside the caller's transaction.
    pub(crate) async fn case_number_next(
        &self,
        tx: &mut Tx,
        county: &str,
        registered_at: DateTime<Utc>,
    ) -> Result<String> {
        let year = registered_at.with_timezone(&domain::china_time()).year();
        let (serial,): (i64,) = tx
            .fetch_one(
                "INSERT INTO case_number_serials (region, year, last_serial) VALUES ($1, $2, 1)
                 ON CONFLICT (region, year) DO UPDATE SET last_serial = case_number_serials.last_serial + 1
                 RETURNING last_serial",
                args![county, i64::from(year)],
            )
            .await?;
        Ok(self.options.case_number_format.render(year, county, serial))
    }

    async fn cases_write_together(&self, cases: &[&ReadyCase]) -> Result<Vec<i64>> {
        let mut tx = self.begin().await?;
        let mut ids = Vec::with_capacity(cases.len());
        for case in cases {
            let mut record = case.record.clone();
            record.number = self.case_number_next(&mut tx, &case.county, case.now).await?;
            let mut registered = case.registered.clone();
            registered.data["number"] = record.number.clone().into();
            let id = self.case_insert(&mut tx, &record, &case.deadlines, &case.parties, &[registered]).await?;
            self.sms_registered(&mut tx, id, &record.number, &case.centre, &case.deadlines, case.now).await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }
}
