//! 定期报告 (issue 15): a centre's 日抽查, 周分析, 月通报 and 季问效 of its territory — issued by
//! the scheduler after each period (`reports_due`) or on demand (`report_issue`), one per
//! region, kind and period: a second request for the same one answers with the first (200, not
//! 201), whichever node it reaches. A report is numbered when claimed (〔2026〕月通报第3号, per
//! centre, kind and year), then made once: its figures from the figures' rollups against the
//! period before, the 亮牌 of its months (monthly and quarterly), the red cases registered in
//! the period and the cases overdue at its end — composed in the request that issues it, its PDF
//! and XLSX typeset right after the answer (typst is slower than a person should wait), stored
//! by hash and served as stored; a download that comes first waits for them. It is sent to the units it names — the issuing centre, the units handling
//! its red and overdue cases, the units with a red or yellow card — who read it on `/reports`
//! like a notice addressed to them.
//!
//! The official text of a report is Chinese (as the figures' names, the statuses and the card
//! labels of zh-CN), whatever the language of the one who issued it.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use domain::authz::{self, Permission, Resource};
use domain::evaluation::rule_message;
use domain::i18n::T;
use domain::ids::ReportId;
use domain::msg;
use domain::org::{RegionCode, Role, Scope};
use domain::report::ReportKind;
use domain::stats::{Breakdown, Figure, FigureValue};
use domain::validation::{Checker, FieldError};
use serde::{Deserialize, Serialize};
use store::figures::FigureQuery;
use store::reports::ReportCaseRow;
pub use store::reports::ReportRecord;

use crate::{App, AppError, Result, Viewer};

/// The most reports one pass of the scheduler typesets: after a first start (every centre's
/// four reports at once) they are spread over the next minutes, and a report asked for on
/// demand does not wait behind all of them.
pub const REPORTS_PER_PASS: usize = 8;

/// A figure's value in a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportValue {
    pub value: Option<f64>,
    pub numerator: Option<i64>,
    pub denominator: Option<i64>,
}

impl From<FigureValue> for ReportValue {
    fn from(v: FigureValue) -> Self {
        ReportValue { value: v.value, numerator: v.numerator, denominator: v.denominator }
    }
}

/// A figure of the period and of the one before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFigure {
    /// `received`, `resolved_rate` … as the figures table's codes; `red_cases` for the red cases.
    pub code: String,
    pub name: String,
    pub now: ReportValue,
    pub previous: ReportValue,
}

/// Cases received by category, this period and the one before (the chart).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportBar {
    pub category: String,
    pub label: String,
    pub now: i64,
    pub previous: i64,
}

/// A unit's 亮牌 card of a month of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportCard {
    pub month: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// red | yellow | green
    pub card: String,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// A case of the red or overdue list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportCase {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub status: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    /// The deadline it is overdue against (overdue list).
    pub due_at: Option<DateTime<Utc>>,
}

/// What a report says, as issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportContent {
    pub title: String,
    pub territory: String,
    pub previous_start: NaiveDate,
    pub previous_end: NaiveDate,
    pub figures: Vec<ReportFigure>,
    pub categories: Vec<ReportBar>,
    pub cards: Vec<ReportCard>,
    /// How many red cases; `red` lists the first of them.
    pub red_total: i64,
    pub red: Vec<ReportCase>,
    pub overdue_total: i64,
    pub overdue: Vec<ReportCase>,
}

/// A report of the archive with its content.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub record: ReportRecord,
    pub content: ReportContent,
    /// The units it was sent to.
    pub recipients: Vec<i64>,
}

/// The first instant of a China day.
fn day_start(date: NaiveDate) -> DateTime<Utc> {
    domain::china_instant(date, NaiveTime::MIN)
}

fn case_of(row: ReportCaseRow, t: &T) -> ReportCase {
    ReportCase {
        id: row.id,
        number: row.number,
        title: row.title,
        status: t.code("status", &row.status),
        unit_id: row.unit_id,
        unit_name: row.unit_name,
        due_at: row.due_at,
    }
}

/// A value as the document prints it: a count, a rate in per cent, 万人成讼率 to 2 decimals.
fn shown(code: &str, v: Option<f64>) -> String {
    match v {
        None => "—".to_owned(),
        Some(v) if code == "received" || code == "red_cases" => format!("{v:.0}"),
        Some(v) if code == "litigation_per_10k" => format!("{v:.2}"),
        Some(v) => format!("{:.1}%", v * 100.0),
    }
}

fn change(code: &str, now: Option<f64>, previous: Option<f64>) -> String {
    match (now, previous) {
        (Some(a), Some(b)) if code == "received" || code == "red_cases" => format!("{:+.0}", a - b),
        (Some(a), Some(b)) if code == "litigation_per_10k" => format!("{:+.2}", a - b),
        (Some(a), Some(b)) => format!("{:+.1} 个百分点", (a - b) * 100.0),
        _ => "—".to_owned(),
    }
}

fn card_label(card: &str) -> &'static str {
    match card {
        "red" => "红牌",
        "yellow" => "黄牌",
        _ => "绿牌",
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

impl App {
    /// Issues the report of `kind` for `region` (in the viewer's territory) and the period from
    /// `period_start`, as the viewer's centre — or finds the one issued already. Each field at
    /// fault is named (422): an unknown kind, a date that does not start a period of the kind
    /// (a Monday, the 1st, a quarter's 1st), a period not over yet; a region outside the
    /// territory is refused like the statistics (403). `true` when this call issued it.
    pub async fn report_issue(
        &self,
        viewer: &Viewer,
        kind: Option<&str>,
        region: Option<&str>,
        period_start: Option<&str>,
    ) -> Result<(ReportView, bool)> {
        authz::may(viewer.role, Permission::ReportIssue, Resource::ANY)?;
        let mut c = Checker::default();
        let kind = match kind.map(str::trim).filter(|k| !k.is_empty()) {
            None => {
                c.push(FieldError::required("kind"));
                None
            }
            Some(k) => {
                let parsed = ReportKind::parse(k);
                if parsed.is_none() {
                    c.push(FieldError::not_one_of("kind", "daily, weekly, monthly, quarterly"));
                }
                parsed
            }
        };
        let region = match region.map(str::trim).filter(|r| !r.is_empty()) {
            None => {
                c.push(FieldError::required("region"));
                None
            }
            Some(r) => {
                c.check(RegionCode::parse(r).map_err(|e| FieldError::new("region", "invalid_code", e.message())))
            }
        };
        let start = c.check(domain::calendar::parse_date("period_start", period_start));
        let today = self.now().with_timezone(&domain::china_time()).date_naive();
        if let (Some(kind), Some(start)) = (kind, start) {
            if !kind.is_period_start(start) {
                let message = match kind {
                    ReportKind::Weekly => msg!("report.not_start.weekly"),
                    ReportKind::Quarterly => msg!("report.not_start.quarterly"),
                    _ => msg!("report.not_start.monthly"),
                };
                c.push(FieldError::new("period_start", "not_period_start", message));
            } else if kind.period_end(start) >= today {
                c.push(FieldError::new("period_start", "not_ended", msg!("report.not_ended")));
            }
        }
        c.into_result()?;
        let (Some(kind), Some(region), Some(start)) = (kind, region, start) else {
            return Err(AppError::Internal("checked fields missing".into()));
        };
        if !viewer.scope.covers_region(&region) {
            return Err(AppError::Forbidden { message: msg!("stats.region_out_of_scope", region = region.as_str()) });
        }
        let (id, created) = self.report_make(viewer.unit_id, &region, kind, start, Some(viewer.user_id)).await?;
        Ok((self.report(viewer, ReportId(id)).await?, created))
    }

    /// Claims the report (once across nodes) and composes it unless it is composed; reading it
    /// ([`App::report`]) has its files typeset after the answer.
    async fn report_make(
        &self,
        unit_id: i64,
        region: &RegionCode,
        kind: ReportKind,
        start: NaiveDate,
        issued_by: Option<i64>,
    ) -> Result<(i64, bool)> {
        let (id, created) = self.store.report_claim(unit_id, region, kind, start, issued_by, self.now()).await?;
        self.report_compose(id).await?;
        Ok((id, created))
    }

    /// Fixes what a claimed report says unless it is fixed: its content and the units it is
    /// sent to (who see it at once). Whoever composes it first wins; the others change nothing.
    async fn report_compose(&self, id: i64) -> Result<()> {
        let record = self.store.report_record(id).await?;
        if record.composed() {
            return Ok(());
        }
        let content = self.report_content(&record).await?;
        let mut recipients: Vec<i64> = std::iter::once(record.unit_id)
            .chain(content.red.iter().chain(&content.overdue).filter_map(|c| c.unit_id))
            .chain(content.cards.iter().filter(|c| c.card != "green").map(|c| c.unit_id))
            .collect();
        recipients.sort_unstable();
        recipients.dedup();
        let json = serde_json::to_string(&content).map_err(internal)?;
        self.store.report_content_fix(id, &json, &recipients).await?;
        Ok(())
    }

    /// Typesets the report's PDF and workbook after the answer: typst takes longer than a person
    /// should wait for a button. If it fails, the report reads all the same; the scheduler's
    /// next pass ([`App::reports_due`]) or the first download typesets it.
    fn report_typeset_later(&self, id: i64) {
        let app = self.clone();
        tokio::spawn(async move {
            if let Err(error) = app.report_typeset(id).await {
                tracing::error!(report = id, %error, "the report's files are not made yet; the scheduler retries");
            }
        });
    }

    /// Typesets a composed report's PDF and workbook unless they are made, stored by hash. On
    /// this node one report is typeset at a time: a download waiting for the files waits here
    /// for the background typesetting, then finds them made.
    async fn report_typeset(&self, id: i64) -> Result<()> {
        let _making = self.documents.reports.lock().await;
        let record = self.store.report_record(id).await?;
        if record.fixed() || !record.composed() {
            return Ok(());
        }
        let content: ReportContent = serde_json::from_str(&record.content).map_err(internal)?;
        let document = report_document(&record, &content);
        let fonts = self.documents.fonts()?;
        let (pdf, xlsx) = tokio::task::spawn_blocking(move || {
            Ok::<_, docs::DocError>((docs::report_pdf(&fonts, &document)?, docs::report_xlsx(&document)?))
        })
        .await
        .map_err(internal)?
        .map_err(internal)?;
        let pdf_sha = self.blobs.put(&pdf)?;
        let xlsx_sha = self.blobs.put(&xlsx)?;
        self.store.report_files_fix(id, &pdf_sha, &xlsx_sha).await?;
        Ok(())
    }

    /// What the report says: its figures against the period before, received by category, the
    /// cards of its months, its red and overdue cases.
    async fn report_content(&self, record: &ReportRecord) -> Result<ReportContent> {
        let t = T::default();
        let region = RegionCode::parse(&record.region_code).map_err(|_| internal("a report's region code"))?;
        // The figures are read as the issuing centre over the report's territory.
        let centre = Viewer {
            user_id: record.issued_by.unwrap_or_default(),
            username: String::new(),
            role: Role::Leader,
            unit_id: record.unit_id,
            scope: Scope { region: region.clone(), unit_id: record.unit_id },
        };
        let kind = record.kind;
        let (start, end) = (record.period_start, record.period_end);
        let previous_start = kind.previous(start);
        let previous_end = kind.period_end(previous_start);
        let table = |from: NaiveDate, to: NaiveDate, by: Breakdown| {
            let query = FigureQuery { region: region.clone(), from, to, by };
            let centre = &centre;
            async move { self.store.figures_table(centre, &query).await }
        };
        let now = table(start, end, Breakdown::Category).await?;
        let before = table(previous_start, previous_end, Breakdown::Category).await?;
        let (red_total, red) =
            self.store.report_red_cases(&region, day_start(start), day_start(kind.next(start))).await?;
        let (red_before, _) = self.store.report_red_cases(&region, day_start(previous_start), day_start(start)).await?;
        let (overdue_total, overdue) = self.store.report_overdue_cases(&region, day_start(kind.next(start))).await?;
        let mut figures: Vec<ReportFigure> = Figure::ALL
            .into_iter()
            .map(|f| ReportFigure {
                code: f.code().to_owned(),
                name: t.msg(&f.name()),
                now: f.evaluate(&now.total.marks, now.total.litigation.as_ref()).into(),
                previous: f.evaluate(&before.total.marks, before.total.litigation.as_ref()).into(),
            })
            .collect();
        let count = |n: i64| ReportValue { value: Some(n as f64), numerator: Some(n), denominator: None };
        figures.push(ReportFigure {
            code: "red_cases".to_owned(),
            name: t.s("红色风险案件").into_owned(),
            now: count(red_total),
            previous: count(red_before),
        });
        let received = |rows: &[store::figures::FigureRow], key: &str| {
            rows.iter().find(|r| r.key == key).map_or(0, |r| r.marks.received)
        };
        let mut categories: Vec<ReportBar> = now
            .rows
            .iter()
            .map(|r| r.key.clone())
            .chain(before.rows.iter().map(|r| r.key.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|key| ReportBar {
                label: t.code("category", &key),
                now: received(&now.rows, &key),
                previous: received(&before.rows, &key),
                category: key,
            })
            .collect();
        categories
            .sort_by(|a, b| b.now.cmp(&a.now).then(b.previous.cmp(&a.previous)).then(a.category.cmp(&b.category)));
        categories.truncate(8);
        let mut cards = Vec::new();
        for month in kind.card_months(start) {
            let mut stored = self.store.evaluations(&region, &month).await?;
            if stored.is_empty() {
                let Some((first, last)) = domain::stats::month_days(&month) else { continue };
                self.evaluations_compute(&region, &month, day_start(first), day_start(last.succ_opt().unwrap_or(last)))
                    .await?;
                stored = self.store.evaluations(&region, &month).await?;
            }
            cards.extend(stored.into_iter().map(|e| ReportCard {
                month: month.clone(),
                unit_id: e.unit_id,
                unit_name: e.unit_name,
                card: e.card.as_str().to_owned(),
                score: e.score,
                reasons: e.reasons.iter().map(|r| format!("{} −{}", t.msg(&rule_message(&r.rule)), r.points)).collect(),
            }));
        }
        let territory = self.store.region(&region).await?.map_or_else(|| region.as_str().to_owned(), |r| r.name);
        Ok(ReportContent {
            title: format!("{}{}", record.unit_name, kind.title_zh()),
            territory,
            previous_start,
            previous_end,
            figures,
            categories,
            cards,
            red_total,
            red: red.into_iter().map(|c| case_of(c, &t)).collect(),
            overdue_total,
            overdue: overdue.into_iter().map(|c| case_of(c, &t)).collect(),
        })
    }

    /// A report with its content, for those who read the territory's reports and the units it
    /// was sent to (composed now if a claim was left uncomposed); its files may still be being
    /// typeset (`record.fixed()` says).
    pub async fn report(&self, viewer: &Viewer, id: ReportId) -> Result<ReportView> {
        let id = id.get();
        let mut record = self.store.report(viewer, id).await?;
        if !record.composed() {
            self.report_compose(id).await?;
            record = self.store.report_record(id).await?;
        }
        // Composed but not typeset (the typesetting failed, or the node stopped before it
        // finished): typeset now, after the answer.
        if !record.fixed() {
            self.report_typeset_later(id);
        }
        let content = serde_json::from_str(&record.content).map_err(internal)?;
        let recipients = self.store.report_recipients(id).await?;
        Ok(ReportView { record, content, recipients })
    }

    /// The reports the viewer sees, newest period first, of one kind (a code) or all.
    pub async fn reports(
        &self,
        viewer: &Viewer,
        kind: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(i64, Vec<ReportRecord>)> {
        authz::may_at_all(viewer.role, Permission::ReportRead)?;
        let kind = match kind.map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(ReportKind::parse(k).ok_or_else(|| {
                AppError::Invalid(vec![FieldError::not_one_of("kind", "daily, weekly, monthly, quarterly")])
            })?),
        };
        Ok(self.store.reports(viewer, kind, limit, offset).await?)
    }

    /// A report's file as issued: `pdf` or `xlsx`, checked against its recorded hash — typeset
    /// now (or waited for) when the background has not made it yet.
    pub async fn report_file(&self, viewer: &Viewer, id: ReportId, pdf: bool) -> Result<(ReportRecord, Vec<u8>)> {
        let mut view = self.report(viewer, id).await?;
        if !view.record.fixed() {
            self.report_typeset(view.record.id).await?;
            view.record = self.store.report_record(view.record.id).await?;
        }
        let sha = if pdf { &view.record.pdf_sha256 } else { &view.record.xlsx_sha256 };
        let bytes = self.blobs.get(sha)?;
        Ok((view.record, bytes))
    }

    /// The scheduler's pass: for each centre's territory, the report of every kind whose last
    /// period has ended and has none yet (yesterday's, last week's, last month's, last
    /// quarter's), at most [`REPORTS_PER_PASS`] (the next pass goes on); the claims left unmade
    /// are made. A report that cannot be made is logged and left for the next pass; the others
    /// are made all the same. Safe on several nodes: the claim is unique. Returns how many it
    /// issued.
    pub async fn reports_due(&self) -> Result<usize> {
        let today = self.now().with_timezone(&domain::china_time()).date_naive();
        let mut issued = 0;
        'centres: for (unit_id, region) in self.store.risk_list_centres().await? {
            let Ok(code) = RegionCode::parse(&region) else { continue };
            for kind in ReportKind::ALL {
                if issued >= REPORTS_PER_PASS {
                    break 'centres;
                }
                let (id, created) =
                    self.store.report_claim(unit_id, &code, kind, kind.last_ended(today), None, self.now()).await?;
                self.report_complete(id).await;
                issued += usize::from(created);
            }
        }
        for id in self.store.reports_unfixed().await? {
            self.report_complete(id).await;
        }
        Ok(issued)
    }

    /// Composes and typesets a claimed report, logging a failure for the next pass.
    async fn report_complete(&self, id: i64) {
        let made = async {
            self.report_compose(id).await?;
            self.report_typeset(id).await
        };
        if let Err(error) = made.await {
            tracing::error!(report = id, %error, "a periodic report could not be made; the next pass retries");
        }
    }
}

/// The document to render: the content worded as the PDF and the workbook print it.
fn report_document(record: &ReportRecord, content: &ReportContent) -> docs::Report {
    let generated = record.created_at.with_timezone(&domain::china_time()).format("%Y年%-m月%-d日 %H:%M");
    let case = |c: &ReportCase| docs::ReportCase {
        number: c.number.clone(),
        title: c.title.clone(),
        status: c.status.clone(),
        unit: c.unit_name.clone().unwrap_or_default(),
    };
    docs::Report {
        title: content.title.clone(),
        number: record.number.clone(),
        territory: content.territory.clone(),
        period: format!("{} 至 {}", record.period_start, record.period_end),
        generated: generated.to_string(),
        figures: content
            .figures
            .iter()
            .map(|f| docs::ReportFigure {
                name: f.name.clone(),
                now: shown(&f.code, f.now.value),
                previous: shown(&f.code, f.previous.value),
                change: change(&f.code, f.now.value, f.previous.value),
                now_value: f.now.value,
                previous_value: f.previous.value,
            })
            .collect(),
        chart: content
            .categories
            .iter()
            .map(|b| docs::ChartBar { label: b.label.clone(), now: b.now, previous: b.previous })
            .collect(),
        cards: content
            .cards
            .iter()
            .map(|c| docs::CardRow {
                unit: if content.cards.iter().any(|o| o.month != c.month) {
                    format!("{}（{}）", c.unit_name, c.month)
                } else {
                    c.unit_name.clone()
                },
                card: c.card.clone(),
                card_label: card_label(&c.card).to_owned(),
                score: format!("{:.1}", c.score),
                reasons: c.reasons.join("；"),
            })
            .collect(),
        red: content.red.iter().map(case).collect(),
        overdue: content.overdue.iter().map(case).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_worded_by_kind() {
        assert_eq!(shown("received", Some(12.0)), "12");
        assert_eq!(shown("resolved_rate", Some(0.5)), "50.0%");
        assert_eq!(change("resolved_rate", Some(0.5), Some(0.25)), "+25.0 个百分点");
        assert_eq!(change("received", Some(3.0), Some(5.0)), "-2");
        assert_eq!(shown("on_time_rate", None), "—");
    }
}
