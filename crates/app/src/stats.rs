//! The statistics of DOMAIN.md §5.4: the summary for a region and a period, and the figures
//! table (统计指标) with its drill-through, its workbook and the administrative data behind
//! 万人成讼率 (definitions in `domain::stats::Figure`).

use chrono::NaiveDate;
use domain::authz::{self, Permission, Resource};
use domain::i18n::T;
use domain::msg;
use domain::org::RegionCode;
use domain::stats::{Breakdown, Figure, FigureValue, Summary};
use domain::validation::FieldError;
use store::cases::CaseListRow;
pub use store::figures::{FigureQuery, FigureRow, FigureTable, LitigationData, TOTAL_KEY};

use crate::{App, AppError, Result, Viewer};

/// A row of the figures table as shown: key, label in the reader's language, each figure.
#[derive(Debug, Clone)]
pub struct FiguresRow {
    pub key: String,
    pub label: String,
    pub figures: Vec<(Figure, FigureValue)>,
}

/// The figures table as shown: each figure's definition, the rows and the region's total.
#[derive(Debug, Clone)]
pub struct Figures {
    pub definitions: Vec<(Figure, String, String)>,
    pub rows: Vec<FiguresRow>,
    pub total: FiguresRow,
}

impl App {
    /// The figures of `region` (by default the viewer's) from `from` to `to`, inclusive;
    /// a region outside the viewer's scope is refused.
    pub async fn stats_summary(
        &self,
        viewer: &Viewer,
        region: Option<RegionCode>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Summary> {
        Ok(self.store.stats_summary(viewer, region, from, to).await?)
    }

    /// The figures table of a region in the viewer's territory, rows labelled in `t`'s language.
    pub async fn stats_figures(&self, viewer: &Viewer, query: &FigureQuery, t: &T) -> Result<Figures> {
        let table: FigureTable = self.store.figures_table(viewer, query).await?;
        let definitions = Figure::ALL
            .into_iter()
            .map(|figure| (figure, t.msg(&figure.name()), t.msg(&figure.definition())))
            .collect();
        let shown = |row: &FigureRow| FiguresRow {
            key: row.key.clone(),
            label: row_label(t, query, row),
            figures: Figure::ALL.into_iter().map(|f| (f, f.evaluate(&row.marks, row.litigation.as_ref()))).collect(),
        };
        let mut total = shown(&table.total);
        total.label = t.s("合计").into_owned();
        Ok(Figures { definitions, rows: table.rows.iter().map(shown).collect(), total })
    }

    /// The cases counted in a figure's numerator for one row: a page of them and their number.
    pub async fn stats_figure_cases(
        &self,
        viewer: &Viewer,
        query: &FigureQuery,
        figure: Figure,
        key: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CaseListRow>, i64)> {
        Ok(self.store.figure_cases(viewer, query, figure, key, limit, offset).await?)
    }

    /// The figures table as an .xlsx workbook in `t`'s language: one sheet of values, with the
    /// numerators and denominators beside them, and one of the definitions.
    pub async fn stats_figures_xlsx(&self, viewer: &Viewer, query: &FigureQuery, t: &T) -> Result<Vec<u8>> {
        use docs::{Cell, Sheet};
        let figures = self.stats_figures(viewer, query, t).await?;
        let mut header = vec![t.s("行").into_owned()];
        for (_, name, _) in &figures.definitions {
            header.extend([name.clone(), format!("{name} {}", t.s("分子")), format!("{name} {}", t.s("分母"))]);
        }
        let number = |v: Option<f64>| v.map_or(Cell::Empty, Cell::Number);
        let count = |v: Option<i64>| v.map_or(Cell::Empty, |n| Cell::Number(n as f64));
        let rows = figures
            .rows
            .iter()
            .chain([&figures.total])
            .map(|row| {
                let mut cells = vec![Cell::Text(row.label.clone())];
                for (_, value) in &row.figures {
                    cells.extend([number(value.value), count(value.numerator), count(value.denominator)]);
                }
                cells
            })
            .collect();
        let definitions = Sheet {
            name: t.s("指标定义").into_owned(),
            header: vec![t.s("指标").into_owned(), t.s("定义").into_owned()],
            rows: figures
                .definitions
                .iter()
                .map(|(_, name, definition)| vec![Cell::Text(name.clone()), Cell::Text(definition.clone())])
                .collect(),
        };
        let sheets = [Sheet { name: t.s("统计指标").into_owned(), header, rows }, definitions];
        tokio::task::spawn_blocking(move || docs::workbook_xlsx(&sheets))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The population and court filings recorded in a region's subtree (administrators).
    pub async fn stats_litigation_data(&self, viewer: &Viewer, region: &RegionCode) -> Result<LitigationData> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        Ok(self.store.litigation_data(region).await?)
    }

    /// Records a region's population (常住 + 登记流动人口) for a year (administrators).
    pub async fn stats_population_set(
        &self,
        viewer: &Viewer,
        region: &RegionCode,
        year: i64,
        population: i64,
    ) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        whole("population", population)?;
        Ok(self.store.population_set(region, year, population).await?)
    }

    /// Records the courts' first-instance cases of a region in a month `yyyymm` (administrators).
    pub async fn stats_court_filings_set(
        &self,
        viewer: &Viewer,
        region: &RegionCode,
        month: i64,
        first_instance: i64,
    ) -> Result<()> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        whole("first_instance", first_instance)?;
        Ok(self.store.court_filings_set(region, month, first_instance).await?)
    }
}

fn whole(field: &str, value: i64) -> Result<()> {
    if value < 0 {
        return Err(AppError::field(FieldError::new(field, "out_of_range", msg!("figures.whole_number"))));
    }
    Ok(())
}

/// A row's label: a region's or unit's name, a category's or channel's label, a month.
fn row_label(t: &T, query: &FigureQuery, row: &FigureRow) -> String {
    match query.by {
        Breakdown::Region if row.key == query.region.as_str() => {
            format!("{}（{}）", row.name.clone().unwrap_or_else(|| row.key.clone()), t.s("本级"))
        }
        Breakdown::Region | Breakdown::Unit => row.name.clone().unwrap_or_else(|| row.key.clone()),
        Breakdown::Category => t.code("category", &row.key),
        Breakdown::Channel => t.code("channel", &row.key),
        Breakdown::Month => row.key.clone(),
    }
}
