//! 查询计划: the plans of the hot queries, as the database would run them now — for
//! `fengqiao bench` to print beside its figures and for a test that fails when a hot query would
//! read a large table from end to end (issue 19). The statements are the ones the store runs
//! (the same builders and constants), with arguments taken from the data.
//!
//! On PostgreSQL each is explained with sequential scans, hash joins and merge joins disabled
//! for the transaction — what the planner does when the tables are large, and what a small
//! test database would otherwise hide behind a cheap full read: a plan that still reads a large
//! table sequentially (or walks its primary key backwards) has no index path to use — [`QueryPlan::full_reads`] names those lines. On SQLite the plan is `EXPLAIN QUERY
//! PLAN`'s, reported as it is.

use chrono::{DateTime, Utc};

use crate::cases::{CaseFilter, ListCursor, case_list_statements};
use crate::schema::Dialect;
use crate::sql::{Arg, args};
use crate::supervision::sweep_candidates_sql;
use crate::{Result, Store, Viewer, to_ms};

/// The tables that grow with the cases: a full read of any of them is what a hot query must
/// never do.
pub const LARGE_TABLES: &[&str] = &["cases", "parties", "hops", "case_events", "case_units"];

/// One hot query and how the database would run it.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    pub name: &'static str,
    /// The plan's lines, as the database prints them.
    pub lines: Vec<String>,
}

impl QueryPlan {
    /// The lines of a PostgreSQL plan that read a large table from end to end: a sequential
    /// scan, or a backward walk of its primary key.
    pub fn full_reads(&self) -> Vec<&str> {
        self.lines
            .iter()
            .map(String::as_str)
            .filter(|line| {
                LARGE_TABLES.iter().any(|table| {
                    let line = line.trim_end();
                    line.contains(&format!("Seq Scan on {table} "))
                        || line.ends_with(&format!("Seq Scan on {table}"))
                        || line.contains(&format!("Backward using {table}_pkey"))
                })
            })
            .collect()
    }
}

impl Store {
    /// The plans of the hot queries for `viewer` (their scope) at `now`: the supervision
    /// sweep's candidates with their last hop, the case list in the viewer's scope (all, open
    /// and overdue, a deep page after a cursor), a case's history and the related cases of a person.
    pub async fn hot_query_plans(&self, viewer: &Viewer, now: DateTime<Utc>) -> Result<Vec<QueryPlan>> {
        let case_id = self.case_id_max().await?;
        let person: Option<(Option<String>,)> = self
            .fetch_optional("SELECT id_number_index FROM parties WHERE id_number_index IS NOT NULL LIMIT 1", args![])
            .await?;
        let person = person.and_then(|(p,)| p).unwrap_or_default();
        let list = |filter: CaseFilter| case_list_statements(viewer, &CaseFilter { limit: 50, ..filter }, now);
        let everything = list(CaseFilter::default());
        let overdue = list(CaseFilter { overdue: Some(true), ..CaseFilter::default() });
        let mine = list(CaseFilter { mine: Some(viewer.unit_id), ..CaseFilter::default() });
        let deep = list(CaseFilter {
            after: ListCursor::parse(&format!("{}-{case_id}", to_ms(now))),
            ..CaseFilter::default()
        });
        let queries: Vec<(&'static str, String, Vec<Arg>)> = vec![
            ("sweep candidates", sweep_candidates_sql(), args![to_ms(now), 0_i64, 500_i64]),
            ("case list: page", everything.page_sql, everything.page_args),
            ("case list: count", everything.count_sql, everything.count_args),
            ("case list: overdue", overdue.page_sql, overdue.page_args),
            ("work list of a unit", mine.page_sql, mine.page_args),
            ("case list: a deep page (keyset)", deep.page_sql, deep.page_args),
            (
                "a case's history",
                "SELECT seq, at, actor, action, data, hash FROM case_events WHERE case_id = $1 ORDER BY seq".into(),
                args![case_id],
            ),
            (
                "a person's cases",
                "SELECT case_id FROM parties WHERE id_number_index = $1 UNION SELECT case_id FROM parties WHERE phone_index = $1"
                    .into(),
                args![person],
            ),
        ];
        let mut plans = Vec::new();
        for (name, sql, args) in queries {
            plans.push(QueryPlan { name, lines: self.explain(&sql, args).await? });
        }
        Ok(plans)
    }

    async fn explain(&self, sql: &str, args: Vec<Arg>) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        let lines = match Dialect::of(&self.db) {
            Dialect::Postgres => {
                for setting in ["enable_seqscan", "enable_hashjoin", "enable_mergejoin"] {
                    tx.execute(&format!("SET LOCAL {setting} = off"), args![]).await?;
                }
                let rows: Vec<(String,)> = tx.fetch_all(&format!("EXPLAIN {sql}"), args).await?;
                rows.into_iter().map(|(line,)| line).collect()
            }
            Dialect::Sqlite => {
                let rows: Vec<(i64, i64, i64, String)> =
                    tx.fetch_all(&format!("EXPLAIN QUERY PLAN {sql}"), args).await?;
                rows.into_iter().map(|(.., detail)| detail).collect()
            }
        };
        // Nothing was written: the transaction ends unused (and the setting with it).
        drop(tx);
        Ok(lines)
    }
}
