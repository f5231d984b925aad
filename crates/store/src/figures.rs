//! The figures table (统计指标) and its drill-through: each case's marks in `case_figures`,
//! rewritten in the transaction of every step by [`figures_refresh`], summed per day, region
//! and dimension in `figure_rollups`; the table reads the rollups, the drill-through the marks
//! (definitions in `domain::stats::Figure`). The administrative data behind 万人成讼率 —
//! population and the courts' first-instance counts — lives here too.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::msg;
use domain::org::RegionCode;
use domain::stats::{
    Breakdown, CaseFacts, Figure, Litigation, Marks, china_day, day_date, day_number, month_days, population_of,
};
use domain::validation::FieldError;

use crate::cases::{CaseListRow, CaseRow};
use crate::sql::{Arg, Tx, args, from_row, in_list};
use crate::{Result, Store, StoreError, Viewer};

/// What the figures table is asked for: a region (in the viewer's scope), a period of China
/// days (inclusive) and what the rows are.
#[derive(Debug, Clone)]
pub struct FigureQuery {
    pub region: RegionCode,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub by: Breakdown,
}

/// One row of the table: its key (a region code, a unit id, a category or channel code, a
/// month `YYYY-MM`), the name of a region or unit, the summed marks and, for rows of regions
/// and months, the litigation data.
#[derive(Debug, Clone)]
pub struct FigureRow {
    pub key: String,
    pub name: Option<String>,
    pub marks: Marks,
    pub litigation: Option<Litigation>,
}

/// The figures table: its rows, largest first (months in order), and the whole region's total.
#[derive(Debug, Clone)]
pub struct FigureTable {
    pub rows: Vec<FigureRow>,
    pub total: FigureRow,
}

/// The administrative data of 万人成讼率 in a region's subtree.
#[derive(Debug, Clone, Default)]
pub struct LitigationData {
    /// `(region, year, population)`.
    pub populations: Vec<(String, i64, i64)>,
    /// `(region, yyyymm, first-instance cases)`.
    pub filings: Vec<(String, i64, i64)>,
}

/// The drill-through's key of the table's total: every case of the region and period.
pub const TOTAL_KEY: &str = "all";

/// The dimensions a case's marks are summed under, besides `all`.
const DIMENSIONS: [&str; 4] = ["all", "unit", "category", "channel"];

/// What a case is filed under and its marks.
#[derive(Debug, Clone, PartialEq)]
struct Filed {
    day: i64,
    region_code: String,
    unit_id: i64,
    category: String,
    channel: String,
    marks: Marks,
}

impl Filed {
    fn value_of(&self, dimension: &str) -> String {
        match dimension {
            "unit" => self.unit_id.to_string(),
            "category" => self.category.clone(),
            "channel" => self.channel.clone(),
            _ => String::new(),
        }
    }
}

struct FactsRow {
    id: i64,
    created_at: DateTime<Utc>,
    region_code: String,
    unit_id: i64,
    category: String,
    channel: String,
    status: String,
    outcome: Option<String>,
    concluded_at: Option<DateTime<Utc>>,
    conclude_by: Option<DateTime<Utc>>,
    satisfaction: Option<String>,
    hops: i64,
    signed_hops: i64,
}
from_row!(
    FactsRow { id, region_code, unit_id, category, channel, status, outcome, satisfaction, hops, signed_hops },
    time { created_at, concluded_at, conclude_by }
);

struct FiledRow {
    case_id: i64,
    day: i64,
    region_code: String,
    unit_id: i64,
    category: String,
    channel: String,
    received: i64,
    resolved: i64,
    mediated: i64,
    concluded: i64,
    concluded_on_time: i64,
    rated: i64,
    satisfied: i64,
    dispatched: i64,
    first_time_right: i64,
    referred: i64,
}
from_row!(FiledRow {
    case_id,
    day,
    region_code,
    unit_id,
    category,
    channel,
    received,
    resolved,
    mediated,
    concluded,
    concluded_on_time,
    rated,
    satisfied,
    dispatched,
    first_time_right,
    referred
});

impl FiledRow {
    fn filed(self) -> (i64, Filed) {
        let marks = Marks {
            received: self.received,
            resolved: self.resolved,
            mediated: self.mediated,
            concluded: self.concluded,
            concluded_on_time: self.concluded_on_time,
            rated: self.rated,
            satisfied: self.satisfied,
            dispatched: self.dispatched,
            first_time_right: self.first_time_right,
            referred: self.referred,
        };
        let filed = Filed {
            day: self.day,
            region_code: self.region_code,
            unit_id: self.unit_id,
            category: self.category,
            channel: self.channel,
            marks,
        };
        (self.case_id, filed)
    }
}

/// A row of the rollups summed under one group: the group's key and the sums.
struct SumRow {
    key: String,
    received: i64,
    resolved: i64,
    mediated: i64,
    concluded: i64,
    concluded_on_time: i64,
    rated: i64,
    satisfied: i64,
    dispatched: i64,
    first_time_right: i64,
    referred: i64,
}
from_row!(SumRow {
    key,
    received,
    resolved,
    mediated,
    concluded,
    concluded_on_time,
    rated,
    satisfied,
    dispatched,
    first_time_right,
    referred
});

impl SumRow {
    fn marks(&self) -> Marks {
        Marks {
            received: self.received,
            resolved: self.resolved,
            mediated: self.mediated,
            concluded: self.concluded,
            concluded_on_time: self.concluded_on_time,
            rated: self.rated,
            satisfied: self.satisfied,
            dispatched: self.dispatched,
            first_time_right: self.first_time_right,
            referred: self.referred,
        }
    }
}

/// Cases whose marks one statement reads and writes.
const REFRESH_BATCH: usize = 2_000;

/// Files the given cases anew — their marks from what each has become, under their day,
/// region, handling unit, category and channel — and moves the rollups by the difference.
/// Called inside the transaction of every step that changes a case, after its writes.
pub(crate) async fn figures_refresh(tx: &mut Tx, ids: &[i64]) -> Result<()> {
    for ids in ids.chunks(REFRESH_BATCH) {
        refresh_batch(tx, ids).await?;
    }
    Ok(())
}

async fn refresh_batch(tx: &mut Tx, ids: &[i64]) -> Result<()> {
    let mut values = Vec::new();
    let listed = in_list(&mut values, ids);
    let facts: Vec<FactsRow> = tx
        .fetch_all(
            &format!(
                "SELECT c.id, c.created_at, c.region_code, COALESCE(c.lead_unit_id, c.owner_unit_id, c.registering_unit_id) AS unit_id,
                    c.category, c.channel, c.status, c.outcome, c.concluded_at, c.conclude_by, c.satisfaction,
                    (SELECT COUNT(*) FROM hops h WHERE h.case_id = c.id) AS hops,
                    (SELECT COUNT(*) FROM hops h WHERE h.case_id = c.id AND h.signed_at IS NOT NULL AND h.returned_at IS NULL) AS signed_hops
                 FROM cases c WHERE c.id IN ({listed})"
            ),
            values.clone(),
        )
        .await?;
    let filed: Vec<FiledRow> = tx
        .fetch_all(
            &format!("SELECT case_id, day, region_code, unit_id, category, channel, {} FROM case_figures WHERE case_id IN ({listed})", Marks::COLUMNS.join(", ")),
            values,
        )
        .await?;
    let mut before: HashMap<i64, Filed> = filed.into_iter().map(FiledRow::filed).collect();
    let mut deltas: HashMap<(&'static str, String, i64, String), Marks> = HashMap::new();
    let mut rows = Vec::new();
    for fact in facts {
        let concluded = matches!(fact.status.as_str(), "concluded" | "followed_up" | "archived");
        let marks = Marks::of(&CaseFacts {
            outcome: fact.outcome.as_deref().filter(|_| concluded),
            concluded_at: fact.concluded_at,
            conclude_by: fact.conclude_by,
            satisfaction: fact.satisfaction.as_deref(),
            hops: fact.hops,
            first_hop_signed: fact.signed_hops > 0,
            channel: &fact.channel,
        });
        let now = Filed {
            day: china_day(fact.created_at),
            region_code: fact.region_code,
            unit_id: fact.unit_id,
            category: fact.category,
            channel: fact.channel,
            marks,
        };
        let old = before.remove(&fact.id);
        if old.as_ref() == Some(&now) {
            continue;
        }
        for dimension in DIMENSIONS {
            if let Some(old) = &old {
                let key = (dimension, old.region_code.clone(), old.day, old.value_of(dimension));
                let delta = deltas.entry(key).or_default();
                *delta = delta.minus(&old.marks);
            }
            let key = (dimension, now.region_code.clone(), now.day, now.value_of(dimension));
            deltas.entry(key).or_default().add(&now.marks);
        }
        let mut row = args![fact.id, now.day, now.region_code, now.unit_id, now.category, now.channel];
        row.extend(now.marks.values().into_iter().map(Arg::from));
        rows.push(row);
    }
    let columns = Marks::COLUMNS.join(", ");
    let replace: Vec<String> = ["day", "region_code", "unit_id", "category", "channel"]
        .iter()
        .chain(Marks::COLUMNS.iter())
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    tx.insert_rows(
        "case_figures",
        &format!("case_id, day, region_code, unit_id, category, channel, {columns}"),
        rows,
        &format!("ON CONFLICT (case_id) DO UPDATE SET {}", replace.join(", ")),
    )
    .await?;
    let rows = deltas
        .into_iter()
        .filter(|(_, marks)| !marks.is_empty())
        .map(|((dimension, region, day, value), marks)| {
            let mut row = args![day, region, dimension, value];
            row.extend(marks.values().into_iter().map(Arg::from));
            row
        })
        .collect();
    let add: Vec<String> = Marks::COLUMNS.iter().map(|c| format!("{c} = figure_rollups.{c} + excluded.{c}")).collect();
    tx.insert_rows(
        "figure_rollups",
        &format!("day, region_code, dimension, value, {columns}"),
        rows,
        &format!("ON CONFLICT (dimension, region_code, day, value) DO UPDATE SET {}", add.join(", ")),
    )
    .await
}

/// The month `yyyymm` of a date.
fn month_number(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 100 + i64::from(date.month())
}

impl Store {
    /// Files every case that has no marks yet (a database from before the figures, a restore):
    /// an idempotent reconciler, run at start. Returns how many cases it filed.
    pub async fn figures_catch_up(&self) -> Result<u64> {
        let mut count = 0;
        loop {
            let ids: Vec<(i64,)> = self
                .fetch_all(
                    "SELECT c.id FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_figures f WHERE f.case_id = c.id) ORDER BY c.id LIMIT $1",
                    args![REFRESH_BATCH as i64],
                )
                .await?;
            if ids.is_empty() {
                return Ok(count);
            }
            let ids: Vec<i64> = ids.into_iter().map(|(id,)| id).collect();
            let mut tx = self.begin().await?;
            figures_refresh(&mut tx, &ids).await?;
            tx.commit().await?;
            count += ids.len() as u64;
        }
    }

    /// The figures table of a region and period, from the rollups (a region outside the
    /// viewer's territory is refused).
    pub async fn figures_table(&self, viewer: &Viewer, query: &FigureQuery) -> Result<FigureTable> {
        in_territory(viewer, &query.region)?;
        let (low, high) = query.region.subtree_range();
        let (from, to) = (day_number(query.from), day_number(query.to));
        let (dimension, group) = match query.by {
            Breakdown::Region => ("all", "region_code"),
            Breakdown::Month => ("all", "CAST(day AS TEXT)"),
            Breakdown::Unit => ("unit", "value"),
            Breakdown::Category => ("category", "value"),
            Breakdown::Channel => ("channel", "value"),
        };
        let sums: Vec<String> =
            Marks::COLUMNS.iter().map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT) AS {c}")).collect();
        let sql = format!(
            "SELECT {group} AS key, {} FROM figure_rollups WHERE dimension = $1 AND region_code BETWEEN $2 AND $3 AND day BETWEEN $4 AND $5 GROUP BY {group}",
            sums.join(", ")
        );
        let sums: Vec<SumRow> = self.fetch_all(&sql, args![dimension, low, high, from, to]).await?;
        let mut grouped: BTreeMap<String, Marks> = BTreeMap::new();
        let mut total = Marks::default();
        for row in &sums {
            let key = match query.by {
                Breakdown::Region => RegionCode::parse(&row.key)
                    .map(|code| query.region.child_toward(&code).as_str().to_owned())
                    .unwrap_or_else(|_| row.key.clone()),
                Breakdown::Month => {
                    let day = row.key.parse::<i64>().unwrap_or_default();
                    day_date(day).format("%Y-%m").to_string()
                }
                _ => row.key.clone(),
            };
            grouped.entry(key).or_default().add(&row.marks());
            total.add(&row.marks());
        }
        let litigation = self.litigation_data(&query.region).await?;
        let names = self.figure_names(query.by, grouped.keys()).await?;
        let mut rows: Vec<FigureRow> = grouped
            .into_iter()
            .filter(|(_, marks)| marks.received > 0)
            .map(|(key, marks)| FigureRow {
                name: names.get(&key).cloned(),
                litigation: row_litigation(query, &key, &litigation),
                key,
                marks,
            })
            .collect();
        if query.by != Breakdown::Month {
            rows.sort_by(|a, b| b.marks.received.cmp(&a.marks.received).then_with(|| a.key.cmp(&b.key)));
        }
        let region_name = self.figure_names(Breakdown::Region, [query.region.as_str().to_owned()].iter()).await?;
        let total = FigureRow {
            key: query.region.as_str().to_owned(),
            name: region_name.get(query.region.as_str()).cloned(),
            marks: total,
            litigation: Some(litigation_of(&query.region, query.from, query.to, &litigation)),
        };
        Ok(FigureTable { rows, total })
    }

    /// 钻取: the cases counted in a figure's numerator for one row of the table (`key`), newest
    /// first, and how many there are — exactly the numerator.
    pub async fn figure_cases(
        &self,
        viewer: &Viewer,
        query: &FigureQuery,
        figure: Figure,
        key: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CaseListRow>, i64)> {
        in_territory(viewer, &query.region)?;
        let Some(column) = figure.numerator_column() else {
            return Err(StoreError::invalid(FieldError::new("figure", "not_cases", msg!("figures.not_cases"))));
        };
        let (low, high) = query.region.subtree_range();
        let mut args = args![low, high, day_number(query.from), day_number(query.to)];
        let mut conditions =
            vec![format!("f.region_code BETWEEN $1 AND $2 AND f.day BETWEEN $3 AND $4 AND f.{column} = 1")];
        let bad_key = || StoreError::invalid(FieldError::new("key", "invalid_key", msg!("figures.bad_key")));
        match query.by {
            _ if key == TOTAL_KEY => {}
            Breakdown::Region => {
                let code = RegionCode::parse(key).map_err(|_| bad_key())?;
                if code == query.region {
                    args.push(code.as_str().into());
                    conditions.push(format!("f.region_code = ${}", args.len()));
                } else {
                    let (low, high) = code.subtree_range();
                    args.extend(args![low, high]);
                    conditions.push(format!("f.region_code BETWEEN ${} AND ${}", args.len() - 1, args.len()));
                }
            }
            Breakdown::Unit => {
                args.push(key.parse::<i64>().map_err(|_| bad_key())?.into());
                conditions.push(format!("f.unit_id = ${}", args.len()));
            }
            Breakdown::Category | Breakdown::Channel => {
                args.push(key.into());
                conditions.push(format!("f.{} = ${}", query.by.code(), args.len()));
            }
            Breakdown::Month => {
                let (first, last) = month_days(key).ok_or_else(bad_key)?;
                args.extend(args![day_number(first), day_number(last)]);
                conditions.push(format!("f.day BETWEEN ${} AND ${}", args.len() - 1, args.len()));
            }
        }
        let where_clause = conditions.join(" AND ");
        let (total,): (i64,) =
            self.fetch_one(&format!("SELECT COUNT(*) FROM case_figures f WHERE {where_clause}"), args.clone()).await?;
        let n = args.len();
        args.extend(args![limit.clamp(1, 200), offset.max(0)]);
        let sql = format!(
            "SELECT {columns} FROM cases WHERE id IN (SELECT f.case_id FROM case_figures f WHERE {where_clause} ORDER BY f.case_id DESC LIMIT ${} OFFSET ${}) ORDER BY id DESC",
            n + 1,
            n + 2,
            columns = crate::cases::CASE_COLUMNS,
        );
        let rows: Vec<CaseRow> = self.fetch_all(&sql, args).await?;
        Ok((rows.into_iter().map(CaseListRow::from).collect(), total))
    }

    /// The population entries and court filings recorded in a region's subtree.
    pub async fn litigation_data(&self, region: &RegionCode) -> Result<LitigationData> {
        let (low, high) = region.subtree_range();
        let populations = self
            .fetch_all(
                "SELECT region_code, year, population FROM region_population WHERE region_code BETWEEN $1 AND $2 ORDER BY region_code, year",
                args![low.clone(), high.clone()],
            )
            .await?;
        let filings = self
            .fetch_all(
                "SELECT region_code, month, first_instance FROM court_filings WHERE region_code BETWEEN $1 AND $2 ORDER BY region_code, month",
                args![low, high],
            )
            .await?;
        Ok(LitigationData { populations, filings })
    }

    /// Records a region's population for a year (replacing what was recorded).
    pub async fn population_set(&self, region: &RegionCode, year: i64, population: i64) -> Result<()> {
        self.region_known(region).await?;
        self.execute(
            "INSERT INTO region_population (region_code, year, population) VALUES ($1, $2, $3)
             ON CONFLICT (region_code, year) DO UPDATE SET population = excluded.population",
            args![region.as_str(), year, population],
        )
        .await?;
        Ok(())
    }

    /// Records the courts' first-instance cases of a region in a month `yyyymm` (replacing).
    pub async fn court_filings_set(&self, region: &RegionCode, month: i64, first_instance: i64) -> Result<()> {
        self.region_known(region).await?;
        self.execute(
            "INSERT INTO court_filings (region_code, month, first_instance) VALUES ($1, $2, $3)
             ON CONFLICT (region_code, month) DO UPDATE SET first_instance = excluded.first_instance",
            args![region.as_str(), month, first_instance],
        )
        .await?;
        Ok(())
    }

    async fn region_known(&self, region: &RegionCode) -> Result<()> {
        let found: Option<(String,)> =
            self.fetch_optional("SELECT code FROM regions WHERE code = $1", args![region.as_str()]).await?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::invalid(FieldError::new(
                "region",
                "unknown_region",
                msg!("figures.unknown_region", region = region.as_str()),
            ))),
        }
    }

    /// The names of the rows' regions or units.
    async fn figure_names<'a>(
        &self,
        by: Breakdown,
        keys: impl Iterator<Item = &'a String>,
    ) -> Result<HashMap<String, String>> {
        let table = match by {
            Breakdown::Region => "SELECT code AS key, name FROM regions WHERE code IN",
            Breakdown::Unit => "SELECT CAST(id AS TEXT) AS key, name FROM units WHERE CAST(id AS TEXT) IN",
            _ => return Ok(HashMap::new()),
        };
        let keys: Vec<String> = keys.cloned().collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let mut values = Vec::new();
        let listed = in_list(&mut values, &keys);
        let names: Vec<(String, String)> = self.fetch_all(&format!("{table} ({listed})"), values).await?;
        Ok(names.into_iter().collect())
    }
}

fn in_territory(viewer: &Viewer, region: &RegionCode) -> Result<()> {
    if viewer.scope.region.contains(region) {
        return Ok(());
    }
    Err(StoreError::forbidden(msg!("stats.region_out_of_scope", region = region.as_str())))
}

/// A row's litigation data: a region's below the one asked for (its subtree's), a month's (the
/// region asked for), none for the region's own cases, units, categories and channels.
fn row_litigation(query: &FigureQuery, key: &str, data: &LitigationData) -> Option<Litigation> {
    match query.by {
        Breakdown::Region => {
            let code = RegionCode::parse(key).ok().filter(|code| *code != query.region)?;
            Some(litigation_of(&code, query.from, query.to, data))
        }
        Breakdown::Month => {
            let (first, last) = month_days(key)?;
            let (first, last) = (first.max(query.from), last.min(query.to));
            Some(litigation_of(&query.region, first, last, data))
        }
        _ => None,
    }
}

/// The courts' first-instance cases of the months from `from` to `to` in the region, and its
/// population in the year of `to`.
fn litigation_of(region: &RegionCode, from: NaiveDate, to: NaiveDate, data: &LitigationData) -> Litigation {
    let (first, last) = (month_number(from), month_number(to));
    let within = |code: &str| RegionCode::parse(code).is_ok_and(|c| region.contains(&c));
    let first_instance = data
        .filings
        .iter()
        .filter(|(code, month, _)| (first..=last).contains(month) && within(code))
        .map(|(_, _, count)| count)
        .sum();
    let entries: Vec<(RegionCode, i64, i64)> = data
        .populations
        .iter()
        .filter_map(|(code, year, population)| Some((RegionCode::parse(code).ok()?, *year, *population)))
        .collect();
    Litigation { first_instance, population: population_of(region, i64::from(to.year()), &entries) }
}
