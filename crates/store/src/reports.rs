//! 定期报告 (issue 15): the archive of periodic reports. A report is first claimed — its row
//! inserted with its number, one per region, kind and period (a unique key: a second node or a
//! second click finds the first) — and then fixed: its content (JSON) and the hashes of its PDF
//! and workbook, stored as blobs, set once by a conditional update (the first fixing wins).
//! A claimed report not fixed yet is fixed by whoever reads it next, or by the scheduler.
//! Also what a report is made of beyond the figures: the red cases and the overdue cases of
//! its territory and period, and the units it is sent to.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::authz::{self, Permission, Reach, Resource};
use domain::org::RegionCode;
use domain::report::{ReportKind, report_number};

use crate::sql::args;
use crate::{Result, Store, StoreError, Viewer, from_ms, to_ms};

/// The most cases a report lists on its red and overdue lists (the counts are exact).
pub const LIST_MAX: i64 = 200;

/// The statuses of a case still to be resolved.
const OPEN: &str = "c.status IN ('registered', 'accepted', 'dispatched', 'in_progress')";

/// A report of the archive. `content`, `pdf_sha256` and `xlsx_sha256` are empty until it is
/// fixed.
#[derive(Debug, Clone)]
pub struct ReportRecord {
    pub id: i64,
    pub number: String,
    pub kind: ReportKind,
    pub unit_id: i64,
    pub unit_name: String,
    pub region_code: String,
    pub region_name: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub content: String,
    pub pdf_sha256: String,
    pub xlsx_sha256: String,
    pub issued_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl ReportRecord {
    /// Its files are made (typeset after its content, in the background).
    pub fn fixed(&self) -> bool {
        !self.pdf_sha256.is_empty()
    }

    /// What it says is fixed: its figures, cases and recipients.
    pub fn composed(&self) -> bool {
        !self.content.is_empty()
    }
}

/// A case of a report's red or overdue list.
#[derive(Debug, Clone)]
pub struct ReportCaseRow {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
}

type RecordRow =
    (i64, String, String, i64, String, String, String, String, String, String, String, String, Option<i64>, i64);
type CaseRow = (i64, String, Option<String>, String, String, Option<i64>, Option<String>, Option<i64>);

const RECORD_COLUMNS: &str =
    "r.id, r.number, r.kind, r.unit_id, u.name, r.region_code, COALESCE(g.name, r.region_code),
    r.period_start, r.period_end, r.content, r.pdf_sha256, r.xlsx_sha256, r.issued_by, r.created_at";
const RECORD_FROM: &str = "reports r JOIN units u ON u.id = r.unit_id LEFT JOIN regions g ON g.code = r.region_code";

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap_or_default()
}

fn record(row: RecordRow) -> ReportRecord {
    let (
        id,
        number,
        kind,
        unit_id,
        unit_name,
        region_code,
        region_name,
        start,
        end,
        content,
        pdf,
        xlsx,
        issued_by,
        created_at,
    ) = row;
    ReportRecord {
        id,
        number,
        kind: ReportKind::parse(&kind).unwrap_or(ReportKind::Daily),
        unit_id,
        unit_name,
        region_code,
        region_name,
        period_start: date(&start),
        period_end: date(&end),
        content,
        pdf_sha256: pdf,
        xlsx_sha256: xlsx,
        issued_by,
        created_at: from_ms(created_at),
    }
}

/// Whether the viewer reads the reports of their whole territory (else only those sent to
/// their unit).
fn reads_territory(viewer: &Viewer) -> bool {
    authz::grant(viewer.role, Permission::ReportRead) == Some(Reach::Scope)
}

impl Store {
    /// Claims the report of `region`, `kind` and the period from `start`, for the centre
    /// `unit_id`: its number is the centre's next of the kind in the year of `now`. When the
    /// report exists already (another node or request claimed it), nothing is allocated and
    /// its id is returned with `false`.
    pub async fn report_claim(
        &self,
        unit_id: i64,
        region: &RegionCode,
        kind: ReportKind,
        start: NaiveDate,
        issued_by: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(i64, bool)> {
        if let Some(id) = self.report_find(region, kind, start).await? {
            return Ok((id, false));
        }
        let year = now.with_timezone(&domain::china_time()).year();
        let mut tx = self.begin().await?;
        // The serial's row is locked until commit: claims of one centre, kind and year queue here.
        let (serial,): (i64,) = tx
            .fetch_one(
                "INSERT INTO report_serials (unit_id, kind, year, last_serial) VALUES ($1, $2, $3, 1)
                 ON CONFLICT (unit_id, kind, year) DO UPDATE SET last_serial = report_serials.last_serial + 1
                 RETURNING last_serial",
                args![unit_id, kind.as_str(), i64::from(year)],
            )
            .await?;
        let inserted: Option<(i64,)> = tx
            .fetch_optional(
                "INSERT INTO reports (number, kind, unit_id, region_code, period_start, period_end, content, pdf_sha256,
                     xlsx_sha256, issued_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, '', '', '', $7, $8)
                 ON CONFLICT (region_code, kind, period_start) DO NOTHING RETURNING id",
                args![
                    report_number(kind, year, serial),
                    kind.as_str(),
                    unit_id,
                    region.as_str(),
                    start.to_string(),
                    kind.period_end(start).to_string(),
                    issued_by,
                    to_ms(now)
                ],
            )
            .await?;
        match inserted {
            Some((id,)) => {
                tx.commit().await?;
                Ok((id, true))
            }
            // Another claim came first: its number stands, ours is given back (rolled back).
            None => {
                drop(tx);
                let id = self.report_find(region, kind, start).await?;
                Ok((id.ok_or(StoreError::NotFound { what: "report" })?, false))
            }
        }
    }

    async fn report_find(&self, region: &RegionCode, kind: ReportKind, start: NaiveDate) -> Result<Option<i64>> {
        let row: Option<(i64,)> = self
            .fetch_optional(
                "SELECT id FROM reports WHERE region_code = $1 AND kind = $2 AND period_start = $3",
                args![region.as_str(), kind.as_str(), start.to_string()],
            )
            .await?;
        Ok(row.map(|(id,)| id))
    }

    /// A report as stored, whoever asks (the use cases decide who may).
    pub async fn report_record(&self, id: i64) -> Result<ReportRecord> {
        let row: Option<RecordRow> = self
            .fetch_optional(&format!("SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE r.id = $1"), args![id])
            .await?;
        row.map(record).ok_or(StoreError::NotFound { what: "report" })
    }

    /// A report as the viewer may see it: in their territory when they read the territory's
    /// reports, or sent to their unit. 404 outside their scope, 403 inside it.
    pub async fn report(&self, viewer: &Viewer, id: i64) -> Result<ReportRecord> {
        let report = self.report_record(id).await?;
        let in_scope = RegionCode::parse(&report.region_code).is_ok_and(|r| viewer.scope.covers_region(&r));
        let addressed: Option<(i64,)> = self
            .fetch_optional(
                "SELECT unit_id FROM report_recipients WHERE report_id = $1 AND unit_id = $2",
                args![id, viewer.unit_id],
            )
            .await?;
        if in_scope && reads_territory(viewer) {
            return Ok(report);
        }
        if addressed.is_none() && !in_scope {
            return Err(StoreError::NotFound { what: "report" });
        }
        authz::may(viewer.role, Permission::ReportRead, Resource { addressed: addressed.is_some(), ..Resource::ANY })?;
        Ok(report)
    }

    /// The fixed reports the viewer sees, newest first, of one kind or all: a page and how many.
    pub async fn reports(
        &self,
        viewer: &Viewer,
        kind: Option<ReportKind>,
        limit: i64,
        offset: i64,
    ) -> Result<(i64, Vec<ReportRecord>)> {
        let (low, high) = viewer.scope.region.subtree_range();
        // $1: whether the viewer reads the territory's reports; else those sent to their unit ($4).
        let condition = "r.content <> '' AND ($5 = '' OR r.kind = $5) AND (($1 = 1 AND r.region_code BETWEEN $2 AND $3)
            OR ($1 = 0 AND EXISTS (SELECT 1 FROM report_recipients p WHERE p.report_id = r.id AND p.unit_id = $4)))";
        let territory = i64::from(reads_territory(viewer));
        let kind = kind.map(ReportKind::as_str).unwrap_or_default();
        let (total,): (i64,) = self
            .fetch_one(
                &format!("SELECT COUNT(*) FROM reports r WHERE {condition}"),
                args![territory, low.clone(), high.clone(), viewer.unit_id, kind],
            )
            .await?;
        let rows: Vec<RecordRow> = self
            .fetch_all(
                &format!(
                    "SELECT {RECORD_COLUMNS} FROM {RECORD_FROM} WHERE {condition}
                     ORDER BY r.period_start DESC, r.id DESC LIMIT $6 OFFSET $7"
                ),
                args![territory, low, high, viewer.unit_id, kind, limit, offset],
            )
            .await?;
        Ok((total, rows.into_iter().map(record).collect()))
    }

    /// The claimed reports not fixed yet (rendering failed or was cut short).
    pub async fn reports_unfixed(&self) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> =
            self.fetch_all("SELECT id FROM reports WHERE pdf_sha256 = '' ORDER BY id LIMIT 20", args![]).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Fixes what a claimed report says — its content and the units it is sent to — once (a
    /// second fixing, by another node, changes nothing and returns false).
    pub async fn report_content_fix(&self, id: i64, content: &str, recipients: &[i64]) -> Result<bool> {
        let mut tx = self.begin().await?;
        let fixed =
            tx.execute("UPDATE reports SET content = $1 WHERE id = $2 AND content = ''", args![content, id]).await?;
        if fixed == 0 {
            return Ok(false);
        }
        for unit in recipients {
            tx.execute(
                "INSERT INTO report_recipients (report_id, unit_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                args![id, *unit],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Fixes a report's files by their hashes, once (a second fixing changes nothing).
    pub async fn report_files_fix(&self, id: i64, pdf_sha256: &str, xlsx_sha256: &str) -> Result<bool> {
        let sql =
            "UPDATE reports SET pdf_sha256 = $1, xlsx_sha256 = $2 WHERE id = $3 AND pdf_sha256 = '' AND content <> ''";
        Ok(self.execute(sql, args![pdf_sha256, xlsx_sha256, id]).await? > 0)
    }

    /// The units a report was sent to.
    pub async fn report_recipients(&self, id: i64) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = self
            .fetch_all("SELECT unit_id FROM report_recipients WHERE report_id = $1 ORDER BY unit_id", args![id])
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The red cases registered in the territory in the period (`from`..`to`, instants): at
    /// most [`LIST_MAX`], oldest first, and how many there are.
    pub async fn report_red_cases(
        &self,
        region: &RegionCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(i64, Vec<ReportCaseRow>)> {
        let (low, high) = region.subtree_range();
        let condition =
            "c.region_code BETWEEN $1 AND $2 AND c.created_at >= $3 AND c.created_at < $4 AND c.risk = 'red'";
        self.report_cases(condition, "c.created_at, c.id", args![low, high, to_ms(from), to_ms(to)]).await
    }

    /// The overdue cases of the territory at the end of the period (`to`): still open, a
    /// running deadline passed before it. At most [`LIST_MAX`], the longest overdue first.
    pub async fn report_overdue_cases(
        &self,
        region: &RegionCode,
        to: DateTime<Utc>,
    ) -> Result<(i64, Vec<ReportCaseRow>)> {
        let (low, high) = region.subtree_range();
        let condition = format!("c.region_code BETWEEN $1 AND $2 AND {OPEN} AND c.next_due_at < $3");
        self.report_cases(&condition, "c.next_due_at, c.id", args![low, high, to_ms(to)]).await
    }

    async fn report_cases(
        &self,
        condition: &str,
        order: &str,
        args: Vec<crate::sql::Arg>,
    ) -> Result<(i64, Vec<ReportCaseRow>)> {
        let (total,): (i64,) =
            self.fetch_one(&format!("SELECT COUNT(*) FROM cases c WHERE {condition}"), args.clone()).await?;
        let n = args.len();
        let mut all = args;
        all.push(LIST_MAX.into());
        let rows: Vec<CaseRow> = self
            .fetch_all(
                &format!(
                    "SELECT c.id, c.number, c.title, c.description, c.status, COALESCE(c.lead_unit_id, c.owner_unit_id), u.name, c.next_due_at
                     FROM cases c LEFT JOIN units u ON u.id = COALESCE(c.lead_unit_id, c.owner_unit_id)
                     WHERE {condition} ORDER BY {order} LIMIT ${}",
                    n + 1
                ),
                all,
            )
            .await?;
        let cases = rows
            .into_iter()
            .map(|(id, number, title, description, status, unit_id, unit_name, due)| ReportCaseRow {
                id,
                number,
                title: title.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| description.chars().take(30).collect()),
                status,
                unit_id,
                unit_name,
                due_at: due.map(from_ms),
            })
            .collect();
        Ok((total, cases))
    }
}
