//! The schema and its migrations: one set of files for both backends, rendered per dialect.
//!
//! A migration is plain SQL with a few placeholders for what the two databases spell
//! differently (`{id}` for an auto-numbered primary key). Applied migrations are recorded in
//! `fengqiao_migrations`; on PostgreSQL an advisory lock lets several nodes start at once.

use crate::{Db, Result, Store, StoreError, on_db};

/// The migrations, in order. Never edit one that has shipped: add the next.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "spine", include_str!("../migrations/0001_spine.sql")),
    (2, "supervision", include_str!("../migrations/0002_supervision.sql")),
    (3, "rollups", include_str!("../migrations/0003_rollups.sql")),
    (4, "triage", include_str!("../migrations/0004_triage.sql")),
    (5, "queue", include_str!("../migrations/0005_queue.sql")),
    (6, "mediation", include_str!("../migrations/0006_mediation.sql")),
    (7, "login_attempts", include_str!("../migrations/0007_login_attempts.sql")),
    (8, "outbox_sealed", include_str!("../migrations/0008_outbox_sealed.sql")),
    (9, "audit_checkpoints", include_str!("../migrations/0009_audit_checkpoints.sql")),
    (10, "delivery", include_str!("../migrations/0010_delivery.sql")),
    (11, "units_active", include_str!("../migrations/0011_units_active.sql")),
    (12, "org_import", include_str!("../migrations/0012_org_import.sql")),
    (13, "audit_keyed", include_str!("../migrations/0013_audit_keyed.sql")),
    (14, "early_warning", include_str!("../migrations/0014_early_warning.sql")),
    (15, "figures", include_str!("../migrations/0015_figures.sql")),
    (16, "citizen_portal", include_str!("../migrations/0016_citizen_portal.sql")),
    (17, "evaluations", include_str!("../migrations/0017_evaluations.sql")),
    (19, "integration", include_str!("../migrations/0019_integration.sql")),
    (20, "video", include_str!("../migrations/0020_video.sql")),
    (22, "kiosk", include_str!("../migrations/0022_kiosk.sql")),
    (23, "risk_lists", include_str!("../migrations/0023_risk_lists.sql")),
    (25, "webhooks", include_str!("../migrations/0025_webhooks.sql")),
    (27, "citizen_real_name", include_str!("../migrations/0027_citizen_real_name.sql")),
    (28, "hops_by_case", include_str!("../migrations/0028_hops_by_case.sql")),
    (29, "reports", include_str!("../migrations/0029_reports.sql")),
    (30, "connectors", include_str!("../migrations/0030_connectors.sql")),
    (31, "law", include_str!("../migrations/0031_law.sql")),
    (32, "region_boundaries", include_str!("../migrations/0032_region_boundaries.sql")),
    (33, "risk_response", include_str!("../migrations/0033_risk_response.sql")),
    (34, "grid_work", include_str!("../migrations/0034_grid_work.sql")),
    (35, "work_orders", include_str!("../migrations/0035_work_orders.sql")),
    (36, "place_risk", include_str!("../migrations/0036_place_risk.sql")),
    (37, "video_plays", include_str!("../migrations/0037_video_plays.sql")),
    (38, "joint_meetings", include_str!("../migrations/0038_joint_meetings.sql")),
    (39, "petitions", include_str!("../migrations/0039_petitions.sql")),
    (40, "webhook_admin", include_str!("../migrations/0040_webhook_admin.sql")),
    (42, "people_watch", include_str!("../migrations/0042_people_watch.sql")),
    (43, "diversion_rate", include_str!("../migrations/0043_diversion_rate.sql")),
    (44, "police_incidents", include_str!("../migrations/0044_police_incidents.sql")),
    (46, "room_minutes", include_str!("../migrations/0046_room_minutes.sql")),
    (47, "recording_retention", include_str!("../migrations/0047_recording_retention.sql")),
    (48, "recording_holds", include_str!("../migrations/0048_recording_holds.sql")),
    (50, "external_ref_namespaces", include_str!("../migrations/0050_external_ref_namespaces.sql")),
    (51, "risk_list_record", include_str!("../migrations/0051_risk_list_record.sql")),
    (52, "open_place_index", include_str!("../migrations/0052_open_place_index.sql")),
    (55, "court_ref_namespace", include_str!("../migrations/0055_court_ref_namespace.sql")),
    (56, "place_open_cases", include_str!("../migrations/0056_place_open_cases.sql")),
    (57, "open_case_dues", include_str!("../migrations/0057_open_case_dues.sql")),
    (58, "party_case_indexes", include_str!("../migrations/0058_party_case_indexes.sql")),
];

/// What differs between SQLite and PostgreSQL. Everything else is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of(db: &Db) -> Self {
        match db {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The statements of a migration for this database: `--` comments removed (so that they
    /// may contain any punctuation), split at semicolons, placeholders rendered;
    /// `{sequence_reset table}` is [`Dialect::sequence_reset`] (nothing on SQLite).
    pub fn statements(self, sql: &str) -> Vec<String> {
        let code: String =
            sql.lines().map(|line| line.split("--").next().unwrap_or_default()).collect::<Vec<_>>().join("\n");
        code.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .filter_map(|s| match s.strip_prefix("{sequence_reset ").and_then(|t| t.strip_suffix('}')) {
                // A table rebuilt with its ids kept: its sequence moves past them.
                Some(table) => self.sequence_reset(table),
                None => Some(self.render(s)),
            })
            .collect()
    }

    /// After rows were inserted with explicit ids, the statement that moves the table's id
    /// sequence past them (PostgreSQL; SQLite needs none).
    pub fn sequence_reset(self, table: &str) -> Option<String> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )),
        }
    }

    /// The placeholder of the `n`th parameter in a bulk insert. SQLite gets anonymous `?`:
    /// it looks named (`$N`) parameters up linearly, which makes statements with thousands of
    /// them cost quadratically; positional ones bind in order at no cost.
    pub fn bulk_placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// Renders the placeholders of a statement for this database.
    pub fn render(self, sql: &str) -> String {
        let id = match self {
            Dialect::Sqlite => "INTEGER PRIMARY KEY",
            Dialect::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        };
        sql.replace("{id}", id)
    }
}

impl Store {
    /// Brings the schema up to date and loads the shipped calendar years the database lacks;
    /// returns how many migrations were applied.
    pub async fn migrate(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize> {
        let dialect = Dialect::of(&self.db);
        let applied = on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            if dialect == Dialect::Postgres {
                // Serialises concurrent starts of several nodes; released at commit.
                sqlx::query("SELECT pg_advisory_xact_lock(7201000001)").execute(&mut *tx).await?;
            }
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS fengqiao_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .execute(&mut *tx)
            .await?;
            let applied: Vec<(i64,)> =
                sqlx::query_as("SELECT version FROM fengqiao_migrations").fetch_all(&mut *tx).await?;
            let mut count = 0;
            for (version, name, sql) in MIGRATIONS {
                if applied.iter().any(|(v,)| v == version) {
                    continue;
                }
                for statement in dialect.statements(sql) {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone())).execute(&mut *tx).await.map_err(|e| {
                        StoreError::Setup(format!("migration {version} {name} failed: {e}\n{statement}"))
                    })?;
                }
                sqlx::query("INSERT INTO fengqiao_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(version)
                    .bind(name)
                    .bind(crate::to_ms(now))
                    .execute(&mut *tx)
                    .await?;
                count += 1;
            }
            tx.commit().await?;
            Ok::<usize, StoreError>(count)
        })?;
        self.calendar_seed(now).await?;
        Ok(applied)
    }
}
