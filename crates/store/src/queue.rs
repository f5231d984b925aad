//! The window queue (取号/叫号): a visitor takes a numbered ticket at a centre, a clerk calls
//! the next one to a window, the wall screen shows who is called and who waits.
//!
//! Numbers restart each day (China time) per centre. Taking a number and calling one are
//! single conditional statements, so two clerks never call the same ticket and two kiosks
//! never print the same number, on either backend and across nodes.

use chrono::{DateTime, Utc};
use domain::msg;

use crate::sql::args;
use crate::{Result, Store, StoreError, Viewer, from_ms, to_ms};

/// How many times a racing insert is retried before giving up.
const RETRIES: usize = 8;

/// A queue ticket.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: i64,
    pub number: i64,
    /// waiting | called | done
    pub status: String,
    pub taken_at: DateTime<Utc>,
    pub called_at: Option<DateTime<Utc>>,
    /// The window it was called to.
    pub counter: Option<String>,
    /// The visitor's name, when they gave it at the kiosk.
    pub visitor_name: Option<String>,
    /// Their phone, masked (`138****5678`), when they gave it.
    pub phone_masked: Option<String>,
    /// The case the window registered for this ticket.
    pub case_id: Option<i64>,
}

/// Who takes a ticket at the kiosk, as far as they say: both optional.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    pub name: Option<String>,
    pub phone: Option<domain::contact::Phone>,
}

/// The state of one centre's queue today.
#[derive(Debug, Clone)]
pub struct QueueBoard {
    /// Tickets called, most recent first.
    pub called: Vec<Ticket>,
    /// Tickets waiting, in order.
    pub waiting: Vec<Ticket>,
}

type TicketRow = (i64, i64, String, i64, Option<i64>, Option<String>, Option<String>, Option<String>, Option<i64>);

fn ticket(
    (id, number, status, taken_at, called_at, counter, visitor_name, phone_masked, case_id): TicketRow,
) -> Ticket {
    Ticket {
        id,
        number,
        status,
        taken_at: from_ms(taken_at),
        called_at: called_at.map(from_ms),
        counter,
        visitor_name,
        phone_masked,
        case_id,
    }
}

fn day(now: DateTime<Utc>) -> String {
    now.with_timezone(&domain::china_time()).format("%Y-%m-%d").to_string()
}

const TICKET_COLUMNS: &str = "id, number, status, taken_at, called_at, counter, visitor_name, phone_masked, case_id";

impl Store {
    /// Takes the next number at centre `unit_id` (the clerk's, or the kiosk's), with what the
    /// visitor said of themselves (the phone encrypted).
    pub async fn queue_take(&self, unit_id: i64, visitor: &Visitor, now: DateTime<Utc>) -> Result<Ticket> {
        let day = day(now);
        let phone_cipher = visitor.phone.as_ref().map(|p| self.crypto.encrypt(p.as_str()));
        let phone_masked = visitor.phone.as_ref().map(|p| p.masked());
        for _ in 0..RETRIES {
            let inserted = self
                .execute(
                    "INSERT INTO queue_tickets (unit_id, day, number, status, taken_at, visitor_name, phone_cipher, phone_masked)
                     SELECT $1, $2, COALESCE(MAX(number), 0) + 1, 'waiting', $3, $4, $5, $6 FROM queue_tickets WHERE unit_id = $1 AND day = $2",
                    args![
                        unit_id,
                        day.as_str(),
                        to_ms(now),
                        visitor.name.as_deref(),
                        phone_cipher.as_deref(),
                        phone_masked.as_deref()
                    ],
                )
                .await;
            match inserted {
                Ok(_) => {
                    let sql = format!(
                        "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE unit_id = $1 AND day = $2 ORDER BY number DESC LIMIT 1"
                    );
                    let row: TicketRow = self.fetch_one(&sql, args![unit_id, day.as_str()]).await?;
                    return Ok(ticket(row));
                }
                Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::conflict("busy", msg!("queue.busy_taking")))
    }

    /// Calls the lowest waiting number to `counter`; the ticket this clerk called before is
    /// done. `None` when nobody waits.
    pub async fn queue_call_next(&self, viewer: &Viewer, counter: &str, now: DateTime<Utc>) -> Result<Option<Ticket>> {
        let day = day(now);
        self.execute(
            "UPDATE queue_tickets SET status = 'done' WHERE unit_id = $1 AND day = $2 AND status = 'called' AND called_by = $3",
            args![viewer.unit_id, day.as_str(), viewer.user_id],
        )
        .await?;
        for _ in 0..RETRIES {
            let sql = "SELECT id FROM queue_tickets WHERE unit_id = $1 AND day = $2 AND status = 'waiting' ORDER BY number LIMIT 1";
            let Some((id,)): Option<(i64,)> = self.fetch_optional(sql, args![viewer.unit_id, day.as_str()]).await?
            else {
                return Ok(None);
            };
            let claimed = self
                .execute(
                    "UPDATE queue_tickets SET status = 'called', called_at = $1, called_by = $2, counter = $3 WHERE id = $4 AND status = 'waiting'",
                    args![to_ms(now), viewer.user_id, counter, id],
                )
                .await?;
            if claimed == 1 {
                let sql = format!("SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE id = $1");
                return Ok(Some(ticket(self.fetch_one(&sql, args![id]).await?)));
            }
        }
        Err(StoreError::conflict("busy", msg!("queue.busy_calling")))
    }

    /// 重复叫号: calls again the ticket this clerk called last (the hall screen says it once
    /// more: a call is told apart by its time). `None` when the clerk has none called.
    pub async fn queue_recall(&self, viewer: &Viewer, now: DateTime<Utc>) -> Result<Option<Ticket>> {
        let day = day(now);
        self.execute(
            "UPDATE queue_tickets SET called_at = $1 WHERE unit_id = $2 AND day = $3 AND status = 'called' AND called_by = $4",
            args![to_ms(now), viewer.unit_id, day.as_str(), viewer.user_id],
        )
        .await?;
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE unit_id = $1 AND day = $2 AND status = 'called' AND called_by = $3 ORDER BY called_at DESC LIMIT 1"
        );
        let row: Option<TicketRow> =
            self.fetch_optional(&sql, args![viewer.unit_id, day.as_str(), viewer.user_id]).await?;
        Ok(row.map(ticket))
    }

    /// Today's queue at the viewer's centre.
    pub async fn queue_board(&self, viewer: &Viewer, now: DateTime<Utc>) -> Result<QueueBoard> {
        let day = day(now);
        let called_sql = format!(
            "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE unit_id = $1 AND day = $2 AND status <> 'waiting' ORDER BY called_at DESC LIMIT 8"
        );
        let waiting_sql = format!(
            "SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE unit_id = $1 AND day = $2 AND status = 'waiting' ORDER BY number LIMIT 50"
        );
        let called: Vec<TicketRow> = self.fetch_all(&called_sql, args![viewer.unit_id, day.as_str()]).await?;
        let waiting: Vec<TicketRow> = self.fetch_all(&waiting_sql, args![viewer.unit_id, day.as_str()]).await?;
        Ok(QueueBoard {
            called: called.into_iter().map(ticket).collect(),
            waiting: waiting.into_iter().map(ticket).collect(),
        })
    }

    /// The visitor of the ticket this clerk has called, with the phone in full, while no case
    /// is registered for it: what the registration form starts with. `None` otherwise.
    pub async fn queue_called_visitor(
        &self,
        viewer: &Viewer,
        now: DateTime<Utc>,
    ) -> Result<Option<(i64, Option<String>, Option<String>)>> {
        let row: Option<(i64, Option<String>, Option<String>)> = self
            .fetch_optional(
                "SELECT id, visitor_name, phone_cipher FROM queue_tickets
                 WHERE unit_id = $1 AND day = $2 AND status = 'called' AND called_by = $3 AND case_id IS NULL
                   AND (visitor_name IS NOT NULL OR phone_cipher IS NOT NULL)
                 ORDER BY called_at DESC LIMIT 1",
                args![viewer.unit_id, day(now).as_str(), viewer.user_id],
            )
            .await?;
        let Some((id, name, cipher)) = row else { return Ok(None) };
        let phone = cipher.map(|c| self.crypto.decrypt(&c)).transpose()?;
        Ok(Some((id, name, phone)))
    }

    /// Records that the case was registered for the ticket this clerk called; a ticket of
    /// another clerk, another centre or already linked is left as it is.
    pub async fn queue_link(&self, viewer: &Viewer, ticket_id: i64, case_id: i64) -> Result<bool> {
        let linked = self
            .execute(
                "UPDATE queue_tickets SET case_id = $1 WHERE id = $2 AND unit_id = $3 AND called_by = $4 AND case_id IS NULL",
                args![case_id, ticket_id, viewer.unit_id, viewer.user_id],
            )
            .await?;
        Ok(linked == 1)
    }

    /// The mark that makes a browser this centre's kiosk: keyed by the deployment's secret, so
    /// that it cannot be made for another centre.
    pub fn kiosk_mark(&self, unit_id: i64) -> String {
        self.crypto.blind_index(&format!("kiosk:{unit_id}"))
    }
}
