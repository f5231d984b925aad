//! Deadlines and the supervision ladder (限时办理, 函单令督办): every change to a case
//! recomputes its four clocks; a sweep — an idempotent reconciler that any node may run at any
//! time — issues each notice that is due, exactly once; recipients acknowledge and reply.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use domain::authz::{self, Permission, Resource};
use domain::case::{Category, Channel, Risk, Status};
use domain::clocks::{self, ClockFacts, ClockKind, Deadline, ManualNotice, NoticeDue, NoticeKind};
use domain::i18n::T;
use domain::ids::{CaseId, NoticeId, UnitId};
use domain::msg;
use domain::org::{RegionCode, UnitKind};
use domain::validation::{FieldError, Message};

use crate::calendar::ClockContext;
use crate::command::{DueBucket, DueCountChanges};
use crate::org::UnitView;
use crate::sql::{Arg, Tx, args, from_row};
use crate::{Result, Store, StoreError, Viewer, from_ms, rfc3339, to_ms};

/// How long a node holds the sweep lease before another may take over.
const LEASE: Duration = Duration::minutes(5);
const SWEEP_BATCH: i64 = 500;

/// A notice of the supervision ladder.
#[derive(Debug, Clone)]
pub struct NoticeView {
    pub id: i64,
    /// 督办令〔2026〕12号
    pub number: String,
    /// reminder | warning | order
    pub kind: String,
    /// The case it is filed on; None for a notice on a watched person (重点人员).
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    pub watched_person_id: Option<i64>,
    pub clock: Option<String>,
    /// The recipient.
    pub unit_id: i64,
    pub cc_unit_id: Option<i64>,
    pub issuer_unit_id: Option<i64>,
    /// The ladder's: the clock's due time that was missed; by hand: when the reply is due.
    pub due_at: Option<DateTime<Utc>>,
    pub issued_at: DateTime<Utc>,
    /// The official text as issued, in Simplified Chinese.
    pub text: String,
    /// The ladder's words as a message of the catalogue (JSON), for the reader's language;
    /// None for the case clocks' notices and those issued by hand.
    pub message: Option<String>,
    /// Issued by hand, not by the ladder.
    pub manual: bool,
    /// Who issued it by hand (their name).
    pub issued_by_name: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub reply: Option<String>,
    pub replied_at: Option<DateTime<Utc>>,
}
from_row!(
    NoticeView {
        id,
        number,
        kind,
        case_id,
        case_number,
        watched_person_id,
        clock,
        unit_id,
        cc_unit_id,
        issuer_unit_id,
        text,
        message,
        manual,
        issued_by_name,
        reply
    },
    time { due_at, issued_at, acknowledged_at, replied_at }
);

impl NoticeView {
    /// What the notice says in the language of `t`: the ladder's words (`message`) read in it.
    /// A notice of a case's clocks or one issued by hand exists only as issued (`text`).
    pub fn text_in(&self, t: T) -> String {
        self.message
            .as_deref()
            .and_then(|m| serde_json::from_str::<Message>(m).ok())
            .map_or_else(|| self.text.clone(), |m| t.msg(&m))
    }
}

const NOTICE_COLUMNS: &str = "n.id, n.number, n.kind, n.case_id, c.number AS case_number, n.watched_person_id, n.clock, n.unit_id, n.cc_unit_id, n.issuer_unit_id, n.text, n.message,
    n.issued_by IS NOT NULL AS manual, (SELECT u.display_name FROM users u WHERE u.id = n.issued_by) AS issued_by_name, n.reply, n.due_at, n.issued_at, n.acknowledged_at, n.replied_at";

/// A notice with its case or watched person (重点人员), whichever it is filed on.
const NOTICE_FROM: &str =
    "notices n LEFT JOIN cases c ON c.id = n.case_id LEFT JOIN watched_people w ON w.id = n.watched_person_id";

/// The notices awaiting the viewer's unit's reply on one subject — a case, or a watched person
/// (重点人员) whose visit is overdue —: what the workbench lists, one line per subject however
/// many notices a catch-up issued.
#[derive(Debug, Clone)]
pub struct AwaitingSubject {
    /// The case they are filed on; None for a watched person's.
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    /// The watched person they are filed on; None for a case's.
    pub watched_person_id: Option<i64>,
    pub notices: i64,
    /// The weightiest kind among them: order | warning | reminder.
    pub kind: &'static str,
    pub last_issued_at: DateTime<Utc>,
}

/// The notices awaiting the viewer's unit's reply: the first lines, and how many cases and
/// watched people they concern in all.
#[derive(Debug, Clone)]
pub struct AwaitingNotices {
    pub lines: Vec<AwaitingSubject>,
    pub cases: i64,
    pub people: i64,
}

/// Notices counted for one unit (they count in its evaluation).
#[derive(Debug, Clone)]
pub struct NoticeCount {
    pub unit_id: i64,
    pub unit_name: String,
    pub reminder: i64,
    pub warning: i64,
    pub order: i64,
    pub awaiting_reply: i64,
}

/// What one sweep did.
#[derive(Debug, Clone, Default)]
pub struct SweepReport {
    /// Another node holds the lease: this one did nothing.
    pub skipped: bool,
    pub cases_checked: u64,
    pub notices_issued: u64,
    /// The notices this sweep issued, for the live feed.
    pub issued: Vec<i64>,
}

/// Filters of the notice list.
#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    pub kind: Option<NoticeKind>,
    pub case_id: Option<i64>,
    pub awaiting_reply: bool,
    /// At most this many, newest first (default and ceiling 500).
    pub limit: Option<i64>,
    /// Skip this many (paging).
    pub offset: i64,
    /// Those awaiting the viewer's unit's reply before the rest.
    pub awaiting_first: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ClockRow {
    pub(crate) id: i64,
    pub(crate) number: String,
    pub(crate) status: String,
    pub(crate) category: String,
    pub(crate) channel: String,
    pub(crate) risk: String,
    pub(crate) description: String,
    pub(crate) created_at: i64,
    pub(crate) contacted_at: Option<i64>,
    pub(crate) first_dispatched_at: Option<i64>,
    pub(crate) dispatched_at: Option<i64>,
    pub(crate) concluded_at: Option<i64>,
    pub(crate) followed_up_at: Option<i64>,
    pub(crate) rejected_at: Option<i64>,
    pub(crate) extension_days: Option<i64>,
    pub(crate) lead_unit_id: Option<i64>,
    pub(crate) owner_unit_id: Option<i64>,
    pub(crate) registering_unit_id: i64,
    pub(crate) region_code: String,
    /// Where the case is counted in `open_case_dues` now (both `None` when it is not).
    pub(crate) due_unit_id: Option<i64>,
    pub(crate) due_day: Option<i64>,
}
from_row!(ClockRow {
    id,
    number,
    status,
    category,
    channel,
    risk,
    description,
    created_at,
    contacted_at,
    first_dispatched_at,
    dispatched_at,
    concluded_at,
    followed_up_at,
    rejected_at,
    extension_days,
    lead_unit_id,
    owner_unit_id,
    registering_unit_id,
    region_code,
    due_unit_id,
    due_day
});

const CLOCK_COLUMNS: &str = "c.id, c.number, c.status, c.category, c.channel, c.risk, c.description, c.created_at, c.contacted_at, c.first_dispatched_at,
    c.dispatched_at, c.concluded_at, c.followed_up_at, c.rejected_at, c.lead_unit_id, c.owner_unit_id, c.registering_unit_id,
    c.region_code, c.due_unit_id, c.due_day,
    (SELECT h.extension_days FROM hops h WHERE h.case_id = c.id ORDER BY h.id DESC LIMIT 1) AS extension_days";

/// The sweep's next batch: cases whose next notice may be due at `$1`, after id `$2`, `$3` at most.
pub(crate) fn sweep_candidates_sql() -> String {
    format!("SELECT {CLOCK_COLUMNS} FROM cases c WHERE c.next_notice_at <= $1 AND c.id > $2 ORDER BY c.id LIMIT $3")
}

/// The stored form of a case's clocks.
pub(crate) struct DeadlineColumns {
    pub respond_by: Option<i64>,
    pub dispatch_by: Option<i64>,
    pub conclude_by: Option<i64>,
    pub follow_up_by: Option<i64>,
    pub next_due_at: Option<i64>,
    pub next_notice_at: Option<i64>,
    pub provisional: bool,
    /// Where the case counts among the open cases' dues (`None` once it is no longer open).
    pub due: Option<DueBucket>,
}

/// The case row's columns of [`DeadlineColumns`], in the order of [`DeadlineColumns::values`].
pub(crate) const DEADLINE_COLUMNS: [&str; 9] = [
    "respond_by",
    "dispatch_by",
    "conclude_by",
    "follow_up_by",
    "next_due_at",
    "next_notice_at",
    "deadlines_provisional",
    "due_unit_id",
    "due_day",
];

impl DeadlineColumns {
    /// The values of [`DEADLINE_COLUMNS`].
    pub(crate) fn values(&self) -> Vec<Arg> {
        args![
            self.respond_by,
            self.dispatch_by,
            self.conclude_by,
            self.follow_up_by,
            self.next_due_at,
            self.next_notice_at,
            self.provisional,
            self.due.map(|b| b.unit_id),
            self.due.map(|b| b.due_day),
        ]
    }
}

impl ClockRow {
    /// What the case row stores of its clocks.
    pub(crate) fn deadline_columns(&self, context: &ClockContext, now: DateTime<Utc>) -> DeadlineColumns {
        let (deadlines, policy) = self.deadlines(context, now);
        let due = |kind: ClockKind| deadlines.iter().find(|d| d.clock == kind).and_then(|d| d.due_at).map(to_ms);
        let next_due_at = clocks::next_due(&deadlines).map(to_ms);
        DeadlineColumns {
            respond_by: due(ClockKind::Respond),
            dispatch_by: due(ClockKind::Dispatch),
            conclude_by: due(ClockKind::Conclude),
            follow_up_by: due(ClockKind::FollowUp),
            next_due_at,
            next_notice_at: next_notice(&deadlines, &policy, context, None),
            provisional: deadlines.iter().any(|d| d.provisional),
            due: self.due_bucket_after(next_due_at),
        }
    }

    /// Where the case counts once its next clock falls due at `next_due_at`: under its
    /// responsible unit while it is open, nowhere after.
    fn due_bucket_after(&self, next_due_at: Option<i64>) -> Option<DueBucket> {
        let status = Status::parse(&self.status).unwrap_or(Status::Registered);
        status.is_open().then(|| DueBucket::new(self.lead_unit_id.or(self.owner_unit_id), next_due_at))
    }

    /// Where the case is counted now, as its row says.
    fn due_bucket_counted(&self) -> Option<DueBucket> {
        Some(DueBucket { unit_id: self.due_unit_id?, due_day: self.due_day? })
    }

    fn deadlines(&self, context: &ClockContext, now: DateTime<Utc>) -> (Vec<Deadline>, clocks::ClockPolicy) {
        let category = Category::parse(&self.category).unwrap_or(Category::Other);
        let channel = Channel::parse(&self.channel).unwrap_or(Channel::Window);
        let risk = Risk::parse(&self.risk).unwrap_or(Risk::None);
        let policy = context.policy(category, channel, risk);
        let facts = ClockFacts {
            status: Status::parse(&self.status).unwrap_or(Status::Registered),
            registered_at: from_ms(self.created_at),
            contacted_at: self.contacted_at.map(from_ms),
            first_dispatched_at: self.first_dispatched_at.map(from_ms),
            dispatched_at: self.dispatched_at.map(from_ms),
            extension_days: self.extension_days.unwrap_or(0),
            concluded_at: self.concluded_at.map(from_ms),
            followed_up_at: self.followed_up_at.map(from_ms),
            rejected_at: self.rejected_at.map(from_ms),
        };
        (clocks::deadlines(&facts, &policy, &context.calendar, now), policy)
    }

    /// The unit a clock's notices go to: the lead unit for the conclude clock, the responsible
    /// centre for the others.
    fn responsible_unit(&self, clock: ClockKind) -> i64 {
        let centre = self.owner_unit_id.unwrap_or(self.registering_unit_id);
        match clock {
            ClockKind::Conclude => self.lead_unit_id.unwrap_or(centre),
            _ => centre,
        }
    }
}

/// The earliest delivery among the rungs of the running clocks, after `after` if given.
fn next_notice(
    deadlines: &[Deadline],
    policy: &clocks::ClockPolicy,
    context: &ClockContext,
    after: Option<DateTime<Utc>>,
) -> Option<i64> {
    deadlines
        .iter()
        .flat_map(|d| clocks::ladder(d, policy, &context.calendar))
        .map(|n| n.deliver_at)
        .filter(|at| after.is_none_or(|after| *at > after))
        .min()
        .map(to_ms)
}

impl Store {
    /// Recomputes the clocks of one case inside the transaction that changed it.
    pub(crate) async fn deadlines_refresh(
        &self,
        tx: &mut Tx,
        case_id: i64,
        context: &ClockContext,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let row: ClockRow =
            tx.fetch_one(&format!("SELECT {CLOCK_COLUMNS} FROM cases c WHERE c.id = $1"), args![case_id]).await?;
        let d = row.deadline_columns(context, now);
        let set: Vec<String> = DEADLINE_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
        let mut values = d.values();
        values.push(case_id.into());
        tx.execute(&format!("UPDATE cases SET {} WHERE id = ${}", set.join(", "), values.len()), values).await?;
        let counted = row.due_bucket_counted();
        if counted != d.due {
            let mut dues = DueCountChanges::default();
            dues.add(&row.region_code, counted, -1);
            dues.add(&row.region_code, d.due, 1);
            dues.write(tx).await?;
        }
        Ok(())
    }

    /// Recomputes every open case's clocks (after a calendar or policy change), in batches.
    pub async fn deadlines_recompute_open(&self, now: DateTime<Utc>) -> Result<u64> {
        let context = self.clock_context().await?;
        let mut after = 0_i64;
        let mut count = 0;
        loop {
            let ids: Vec<(i64,)> = self
                .fetch_all(
                    "SELECT id FROM cases WHERE id > $1 AND status IN ('registered', 'accepted', 'dispatched', 'in_progress', 'concluded') ORDER BY id LIMIT $2",
                    args![after, SWEEP_BATCH],
                )
                .await?;
            let Some(&(last,)) = ids.last() else { break };
            let mut tx = self.begin().await?;
            for (id,) in &ids {
                self.deadlines_refresh(&mut tx, *id, &context, now).await?;
            }
            // A concluded case's deadline moved: whether it was concluded on time may have too.
            let ids: Vec<i64> = ids.iter().map(|(id,)| *id).collect();
            crate::figures::figures_refresh(&mut tx, &ids).await?;
            tx.commit().await?;
            count += ids.len() as u64;
            after = last;
        }
        Ok(count)
    }

    /// Each clock of a case with its reasons.
    pub async fn case_deadlines(&self, viewer: &Viewer, case_id: CaseId, now: DateTime<Utc>) -> Result<Vec<Deadline>> {
        let case_id = case_id.get();
        self.case_row(viewer, case_id).await?;
        let context = self.clock_context().await?;
        let row: ClockRow =
            self.fetch_one(&format!("SELECT {CLOCK_COLUMNS} FROM cases c WHERE c.id = $1"), args![case_id]).await?;
        Ok(row.deadlines(&context, now).0)
    }

    /// How many cases are open (a clock may run on them).
    pub async fn count_open_cases(&self) -> Result<i64> {
        let (count,): (i64,) = self
            .fetch_one("SELECT COUNT(*) FROM cases WHERE status IN ('registered', 'accepted', 'dispatched', 'in_progress', 'concluded')", args![])
            .await?;
        Ok(count)
    }

    /// Takes or renews a named lease; false when another holder has it.
    pub async fn lease_acquire(&self, name: &str, holder: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool> {
        let taken = self
            .execute(
                "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET holder = $2, expires_at = $3 WHERE leases.expires_at < $4 OR leases.holder = $2",
                args![name, holder, to_ms(now + ttl), to_ms(now)],
            )
            .await?;
        Ok(taken > 0)
    }

    pub async fn lease_release(&self, name: &str, holder: &str) -> Result<()> {
        self.execute("DELETE FROM leases WHERE name = $1 AND holder = $2", args![name, holder]).await?;
        Ok(())
    }

    /// 督办扫描: issues every notice due as of `now` that has not been issued, once. Safe on
    /// several nodes: a lease lets one sweep at a time, and each scheduled notice has a unique
    /// key, so even two sweeps could not issue it twice. After downtime it catches up.
    pub async fn supervision_sweep(&self, holder: &str, now: DateTime<Utc>) -> Result<SweepReport> {
        if !self.lease_acquire("supervision", holder, now, LEASE).await? {
            return Ok(SweepReport { skipped: true, ..SweepReport::default() });
        }
        let mut result = self.sweep_due_cases(now).await;
        if let Ok(report) = &mut result
            && let Err(error) = self.sweep_late_work(now, report).await
        {
            result = Err(error);
        }
        self.lease_release("supervision", holder).await?;
        result
    }

    async fn sweep_due_cases(&self, now: DateTime<Utc>) -> Result<SweepReport> {
        let context = self.clock_context().await?;
        let units: HashMap<i64, UnitView> = self.units().await?.into_iter().map(|u| (u.id, u)).collect();
        let organisation = self.triage_context().await?;
        let mut report = SweepReport::default();
        let mut after = 0_i64;
        loop {
            let rows: Vec<ClockRow> =
                self.fetch_all(&sweep_candidates_sql(), args![to_ms(now), after, SWEEP_BATCH]).await?;
            let Some(last) = rows.last().map(|r| r.id) else { break };
            for row in rows {
                report.cases_checked += 1;
                let (deadlines, policy) = row.deadlines(&context, now);
                let due = clocks::notices_due(&deadlines, &policy, &context.calendar, now);
                let mut tx = self.begin().await?;
                for notice in &due {
                    if let Some(id) =
                        self.notice_issue_scheduled(&mut tx, &row, notice, &units, organisation.centres(), now).await?
                    {
                        report.notices_issued += 1;
                        report.issued.push(id);
                    }
                }
                tx.execute(
                    "UPDATE cases SET next_notice_at = $1 WHERE id = $2",
                    args![next_notice(&deadlines, &policy, &context, Some(now)), row.id],
                )
                .await?;
                tx.commit().await?;
            }
            after = last;
        }
        Ok(report)
    }

    /// Issues one scheduled notice unless it exists; its id when issued.
    async fn notice_issue_scheduled(
        &self,
        tx: &mut Tx,
        case: &ClockRow,
        notice: &NoticeDue,
        units: &HashMap<i64, UnitView>,
        centres: &[triage::routing::Centre],
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let key = format!("{}:{}:{}:{}", case.id, notice.clock, notice.kind, to_ms(notice.due_at));
        let exists: Option<(i64,)> =
            tx.fetch_optional("SELECT id FROM notices WHERE dedupe_key = $1", args![key.clone()]).await?;
        if exists.is_some() {
            return Ok(None);
        }
        let recipient = case.responsible_unit(notice.clock);
        let supervisor = supervisor_of(recipient, units, centres);
        let (cc, issuer) = match notice.kind {
            NoticeKind::Reminder => (None, supervisor),
            NoticeKind::Warning => (supervisor, supervisor),
            NoticeKind::Order => (None, supervisor.and_then(|s| supervisor_of(s, units, centres)).or(supervisor)),
        };
        let name = |id: Option<i64>| id.and_then(|id| units.get(&id)).map(|u| u.name.clone()).unwrap_or_default();
        let mut text = scheduled_text(case, notice, &name(Some(recipient)), &name(cc), &name(issuer));
        // A catch-up after downtime issues the highest rung only, and says which it stands for.
        // The notice is an official text, kept as issued: in Simplified Chinese, from the catalogue.
        let simplified = T::default();
        let mut missed = Vec::new();
        for kind in &notice.passed_over {
            let key = format!("{}:{}:{}:{}", case.id, notice.clock, kind, to_ms(notice.due_at));
            let issued: Option<(i64,)> =
                tx.fetch_optional("SELECT id FROM notices WHERE dedupe_key = $1", args![key]).await?;
            if issued.is_none() {
                missed.push(simplified.code("notice", kind.as_str()));
            }
        }
        if !missed.is_empty() {
            text.push_str(&simplified.msg(&msg!("notice.stands_for", kinds = missed.join("、"))));
        }
        let id = self
            .notice_insert(
                tx,
                NewNotice {
                    kind: notice.kind,
                    case_id: Some(case.id),
                    watched_person_id: None,
                    clock: Some(notice.clock),
                    unit_id: recipient,
                    cc_unit_id: cc,
                    issuer_unit_id: issuer,
                    due_at: Some(notice.due_at),
                    text,
                    message: None,
                    dedupe_key: Some(key),
                    issued_by: None,
                },
                "system",
                now,
            )
            .await?;
        Ok(Some(id))
    }

    pub(crate) async fn notice_insert(
        &self,
        tx: &mut Tx,
        notice: NewNotice,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let year = now.with_timezone(&domain::china_time()).year();
        let (serial,): (i64,) = tx
            .fetch_one(
                "INSERT INTO case_number_serials (region, year, last_serial) VALUES ($1, $2, 1)
                 ON CONFLICT (region, year) DO UPDATE SET last_serial = case_number_serials.last_serial + 1 RETURNING last_serial",
                args![format!("notice:{}", notice.kind), i64::from(year)],
            )
            .await?;
        let number = format!("{}〔{year}〕{serial}号", notice.kind.name_zh());
        let (id,): (i64,) = tx
            .fetch_one(
                "INSERT INTO notices (number, kind, case_id, watched_person_id, clock, unit_id, cc_unit_id, issuer_unit_id, due_at, issued_at, text, message, dedupe_key, issued_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
                args![
                    number.clone(),
                    notice.kind.as_str(),
                    notice.case_id,
                    notice.watched_person_id,
                    notice.clock.map(|c| c.as_str()),
                    notice.unit_id,
                    notice.cc_unit_id,
                    notice.issuer_unit_id,
                    notice.due_at.map(to_ms),
                    to_ms(now),
                    notice.text.clone(),
                    notice.message.as_ref().map(|m| serde_json::to_string(m).unwrap_or_default()),
                    notice.dedupe_key,
                    notice.issued_by,
                ],
            )
            .await?;
        let mut data = serde_json::json!({"notice_id": id, "number": number, "kind": notice.kind, "clock": notice.clock, "unit_id": notice.unit_id});
        if notice.issued_by.is_some() {
            // By hand: the issuer's reason and when the reply is due belong to the record.
            data["manual"] = true.into();
            data["reason"] = notice.text.clone().into();
            data["reply_by"] = notice.due_at.map(|at| rfc3339(to_ms(at))).into();
        }
        // A notice on a watched person has no case history to join; the notice is its record.
        if let Some(case_id) = notice.case_id {
            crate::cases::append_event_locked(tx, case_id, to_ms(now), actor, "notice_issued", &data).await?;
        }
        Ok(id)
    }

    /// A notice issued by hand (人工督办): to the unit responsible now unless another is named,
    /// with the reply due after the notice's working days. A dispatcher reaches only a unit
    /// below their centre (`domain::authz`, asked here with the recipient the store reads).
    pub async fn notice_issue_manual(
        &self,
        viewer: &Viewer,
        case_id: CaseId,
        notice: ManualNotice,
        unit_id: Option<UnitId>,
        now: DateTime<Utc>,
    ) -> Result<NoticeView> {
        let case_id = case_id.get();
        let (row, recipient) = self.notice_recipient(viewer, case_id, unit_id).await?;
        if matches!(row.status.as_str(), "rejected" | "archived") {
            return Err(StoreError::conflict("case_closed", msg!("notice.case_closed")));
        }
        let reply_by = notice.reply_by(now, &self.clock_context().await?.calendar);
        let mut tx = self.begin().await?;
        let id = self
            .notice_insert(
                &mut tx,
                NewNotice {
                    kind: notice.kind,
                    case_id: Some(case_id),
                    watched_person_id: None,
                    clock: None,
                    unit_id: recipient.id,
                    cc_unit_id: None,
                    issuer_unit_id: Some(viewer.unit_id),
                    due_at: Some(reply_by),
                    text: notice.text,
                    message: None,
                    dedupe_key: None,
                    issued_by: Some(viewer.user_id),
                },
                &viewer.username,
                now,
            )
            .await?;
        tx.commit().await?;
        self.notice(id).await
    }

    /// Whether the viewer may issue a notice by hand on the case now (to the unit responsible):
    /// what the case page offers.
    pub async fn notice_issue_allowed(&self, viewer: &Viewer, case_id: CaseId) -> Result<bool> {
        match self.notice_recipient(viewer, case_id.get(), None).await {
            Ok((row, _)) => Ok(!matches!(row.status.as_str(), "rejected" | "archived")),
            Err(StoreError::Forbidden { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// The case (in scope) and the recipient of a notice by hand — the unit named, else the
    /// one responsible now — once the policy allows the viewer to issue it to that unit: a
    /// dispatcher's grant reaches only a unit below their centre.
    async fn notice_recipient(
        &self,
        viewer: &Viewer,
        case_id: i64,
        unit_id: Option<UnitId>,
    ) -> Result<(ClockRow, UnitView)> {
        self.case_row(viewer, case_id).await?;
        let row: ClockRow =
            self.fetch_one(&format!("SELECT {CLOCK_COLUMNS} FROM cases c WHERE c.id = $1"), args![case_id]).await?;
        let recipient_id = unit_id.map_or_else(|| row.responsible_unit(ClockKind::Conclude), UnitId::get);
        let recipient = self.unit(UnitId(recipient_id)).await?.ok_or_else(|| {
            StoreError::invalid(FieldError::new(
                "unit_id",
                "unknown_unit",
                msg!("field.no_such_unit", id = recipient_id),
            ))
        })?;
        let issuer = self.unit(UnitId(viewer.unit_id)).await?;
        let supervising = issuer.is_some_and(|u| u.kind == UnitKind::Centre.as_str())
            && recipient.id != viewer.unit_id
            && RegionCode::parse(&recipient.region_code).is_ok_and(|r| viewer.scope.covers_region(&r));
        authz::may(viewer.role, Permission::NoticeIssue, Resource { supervising, ..Resource::ANY })?;
        Ok((row, recipient))
    }

    async fn notice(&self, id: i64) -> Result<NoticeView> {
        let row: Option<NoticeView> = self
            .fetch_optional(&format!("SELECT {NOTICE_COLUMNS} FROM {NOTICE_FROM} WHERE n.id = $1"), args![id])
            .await?;
        row.ok_or(StoreError::NotFound { what: "notice" })
    }

    /// Notices to, copied to or issued by the viewer's unit; for centre staff also those on
    /// cases in their region.
    pub async fn notices(&self, viewer: &Viewer, filter: &NoticeFilter) -> Result<Vec<NoticeView>> {
        let (condition, args) = notice_condition(viewer, filter);
        let first =
            if filter.awaiting_first { "CASE WHEN n.unit_id = $1 AND n.reply IS NULL THEN 0 ELSE 1 END, " } else { "" };
        let sql = format!(
            "SELECT {NOTICE_COLUMNS} FROM {NOTICE_FROM} WHERE {condition}
             ORDER BY {first}n.issued_at DESC, n.id DESC LIMIT {} OFFSET {}",
            filter.limit.unwrap_or(500).clamp(1, 500),
            filter.offset.max(0)
        );
        self.fetch_all(&sql, args).await
    }

    /// How many notices the filter finds (its limit and offset aside).
    pub async fn notices_count(&self, viewer: &Viewer, filter: &NoticeFilter) -> Result<i64> {
        let (condition, args) = notice_condition(viewer, filter);
        let sql = format!("SELECT COUNT(*) FROM {NOTICE_FROM} WHERE {condition}");
        let (count,): (i64,) = self.fetch_one(&sql, args).await?;
        Ok(count)
    }

    /// How many notices to the viewer's unit await a written reply: the number beside
    /// 函单令 on every page, so one count, not a list.
    pub async fn notices_awaiting_count(&self, viewer: &Viewer) -> Result<i64> {
        let (count,): (i64,) = self
            .fetch_one("SELECT COUNT(*) FROM notices WHERE unit_id = $1 AND reply IS NULL", args![viewer.unit_id])
            .await?;
        Ok(count)
    }

    /// The notices awaiting the viewer's unit's reply, one line per case or watched person, the
    /// latest first, at most `limit` lines; with the number of cases and of people they concern.
    pub async fn notices_awaiting_by_subject(&self, viewer: &Viewer, limit: i64) -> Result<AwaitingNotices> {
        // case id, case number, watched person, notices, the heaviest kind's weight, last issued.
        type Line = (Option<i64>, Option<String>, Option<i64>, i64, i64, i64);
        let rows: Vec<Line> = self
            .fetch_all(
                "SELECT n.case_id, c.number, n.watched_person_id, COUNT(*),
                    CAST(MAX(CASE n.kind WHEN 'order' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END) AS BIGINT), MAX(n.issued_at)
                 FROM notices n LEFT JOIN cases c ON c.id = n.case_id WHERE n.unit_id = $1 AND n.reply IS NULL
                 GROUP BY n.case_id, c.number, n.watched_person_id
                 ORDER BY MAX(n.issued_at) DESC, COALESCE(n.case_id, 0) DESC, COALESCE(n.watched_person_id, 0) DESC LIMIT $2",
                args![viewer.unit_id, limit.clamp(1, 500)],
            )
            .await?;
        let (cases, people): (i64, i64) = self
            .fetch_one(
                "SELECT COUNT(DISTINCT case_id), COUNT(DISTINCT watched_person_id) FROM notices WHERE unit_id = $1 AND reply IS NULL",
                args![viewer.unit_id],
            )
            .await?;
        let lines = rows
            .into_iter()
            .map(|(case_id, case_number, watched_person_id, notices, weight, last_issued_at)| AwaitingSubject {
                case_id,
                case_number,
                watched_person_id,
                notices,
                kind: ["reminder", "warning", "order"][weight.clamp(0, 2) as usize],
                last_issued_at: from_ms(last_issued_at),
            })
            .collect();
        Ok(AwaitingNotices { lines, cases, people })
    }

    /// 签收: the recipient unit acknowledges a notice.
    pub async fn notice_acknowledge(&self, viewer: &Viewer, id: NoticeId, now: DateTime<Utc>) -> Result<NoticeView> {
        let id = id.get();
        let notice = self.notice_for_recipient(viewer, id).await?;
        if notice.acknowledged_at.is_none() {
            self.execute("UPDATE notices SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND acknowledged_at IS NULL", args![to_ms(now), viewer.user_id, id]).await?;
        }
        self.notice(id).await
    }

    /// 书面回复: the recipient unit replies in writing (which acknowledges it too). Once.
    pub async fn notice_reply(
        &self,
        viewer: &Viewer,
        id: NoticeId,
        text: String,
        now: DateTime<Utc>,
    ) -> Result<NoticeView> {
        let id = id.get();
        let notice = self.notice_for_recipient(viewer, id).await?;
        if notice.reply.is_some() {
            return Err(StoreError::conflict("already_replied", msg!("supervision.already_replied")));
        }
        let mut tx = self.begin().await?;
        let changed = tx
            .execute(
                "UPDATE notices SET reply = $1, replied_at = $2, replied_by = $3, acknowledged_at = COALESCE(acknowledged_at, $2), acknowledged_by = COALESCE(acknowledged_by, $3)
                 WHERE id = $4 AND reply IS NULL",
                args![text, to_ms(now), viewer.user_id, id],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::conflict("already_replied", msg!("supervision.already_replied")));
        }
        if let Some(case_id) = notice.case_id {
            let data = serde_json::json!({"notice_id": id, "number": notice.number});
            crate::cases::append_event_locked(&mut tx, case_id, to_ms(now), &viewer.username, "notice_replied", &data)
                .await?;
        }
        tx.commit().await?;
        self.notice(id).await
    }

    async fn notice_for_recipient(&self, viewer: &Viewer, id: i64) -> Result<NoticeView> {
        authz::may_at_all(viewer.role, Permission::NoticeReply)?;
        let notice = self.notice(id).await?;
        if notice.unit_id != viewer.unit_id {
            let visible = self
                .notices(viewer, &NoticeFilter { case_id: notice.case_id, ..NoticeFilter::default() })
                .await?
                .iter()
                .any(|n| n.id == id);
            if !visible {
                return Err(StoreError::NotFound { what: "notice" });
            }
        }
        let addressed = notice.unit_id == viewer.unit_id;
        authz::may(viewer.role, Permission::NoticeReply, Resource { addressed, ..Resource::ANY })?;
        Ok(notice)
    }

    /// Notices counted per unit, for the units in the viewer's region.
    pub async fn notice_counts(&self, viewer: &Viewer) -> Result<Vec<NoticeCount>> {
        let (low, high) = viewer.scope.region.subtree_range();
        let rows: Vec<(i64, String, i64, i64, i64, i64)> = self
            .fetch_all(
                "SELECT u.id, u.name,
                    COALESCE(SUM(CASE WHEN n.kind = 'reminder' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN n.kind = 'warning' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN n.kind = 'order' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN n.id IS NOT NULL AND n.reply IS NULL THEN 1 ELSE 0 END), 0)
                 FROM units u JOIN notices n ON n.unit_id = u.id
                 WHERE u.region_code BETWEEN $1 AND $2 OR u.id = $3
                 GROUP BY u.id, u.name ORDER BY u.id",
                args![low, high, viewer.unit_id],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(unit_id, unit_name, reminder, warning, order, awaiting_reply)| NoticeCount {
                unit_id,
                unit_name,
                reminder,
                warning,
                order,
                awaiting_reply,
            })
            .collect())
    }
}

pub(crate) struct NewNotice {
    pub(crate) kind: NoticeKind,
    /// The case it is filed on; None for a notice on a watched person (重点人员).
    pub(crate) case_id: Option<i64>,
    pub(crate) watched_person_id: Option<i64>,
    pub(crate) clock: Option<ClockKind>,
    pub(crate) unit_id: i64,
    pub(crate) cc_unit_id: Option<i64>,
    pub(crate) issuer_unit_id: Option<i64>,
    pub(crate) due_at: Option<DateTime<Utc>>,
    pub(crate) text: String,
    /// The ladder's words as a message of the catalogue, read in each language.
    pub(crate) message: Option<Message>,
    pub(crate) dedupe_key: Option<String>,
    pub(crate) issued_by: Option<i64>,
}

/// The centre that supervises a unit: for a centre, the centre one level up; for any other
/// unit, the centre of its own region (or the nearest one above).
pub(crate) fn supervisor_of(
    unit_id: i64,
    units: &HashMap<i64, UnitView>,
    centres: &[triage::routing::Centre],
) -> Option<i64> {
    let unit = units.get(&unit_id)?;
    let region = RegionCode::parse(&unit.region_code).ok()?;
    let start = if unit.kind == UnitKind::Centre.as_str() { region.parent()? } else { region };
    triage::routing::territorial_centre(&start, start.level(), centres).map(|c| c.unit_id).filter(|id| *id != unit_id)
}

/// The notices a viewer sees — addressed to, copied to or issued by their unit, or on a case in
/// their region — narrowed by the filter: the condition and its arguments (`$1` is the unit).
fn notice_condition(viewer: &Viewer, filter: &NoticeFilter) -> (String, Vec<crate::sql::Arg>) {
    let (low, high) = viewer.scope.region.subtree_range();
    let mut args = args![viewer.unit_id, low, high];
    let mut condition = String::from(
        "(n.unit_id = $1 OR n.cc_unit_id = $1 OR n.issuer_unit_id = $1 OR COALESCE(c.region_code, w.region_code) BETWEEN $2 AND $3)",
    );
    if filter.awaiting_reply {
        condition.push_str(" AND n.unit_id = $1 AND n.reply IS NULL");
    }
    if let Some(kind) = filter.kind {
        args.push(kind.as_str().into());
        condition.push_str(&format!(" AND n.kind = ${}", args.len()));
    }
    if let Some(case_id) = filter.case_id {
        args.push(case_id.into());
        condition.push_str(&format!(" AND n.case_id = ${}", args.len()));
    }
    (condition, args)
}

fn scheduled_text(case: &ClockRow, notice: &NoticeDue, recipient: &str, cc: &str, issuer: &str) -> String {
    let due = rfc3339(to_ms(notice.due_at)).replace('T', " ");
    let due = &due[..16];
    let excerpt: String = case.description.chars().take(30).collect();
    let clock = notice.clock.name_zh();
    match notice.kind {
        NoticeKind::Reminder => format!(
            "{recipient}：案件 {}（{excerpt}…）的“{clock}”时限将于 {due} 到期，请抓紧办理并及时反馈。",
            case.number
        ),
        NoticeKind::Warning => {
            let copy = if cc.is_empty() { String::new() } else { format!("抄送：{cc}。") };
            format!(
                "{recipient}：案件 {}（{excerpt}…）的“{clock}”时限已于 {due} 到期，现予预警，请立即办理并书面说明情况。{copy}",
                case.number
            )
        }
        NoticeKind::Order => format!(
            "{recipient}：案件 {}（{excerpt}…）的“{clock}”时限已于 {due} 到期，超期未办结，{issuer}现予督办，请在收到本令后 3 个工作日内书面回复办理情况。",
            case.number
        ),
    }
}
