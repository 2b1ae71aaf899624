//! Citus (distributed PostgreSQL, DESIGN.md "Scale"): what `dangjian migrate` does on a Citus
//! coordinator, after the ordinary migrations.
//!
//! Every tree's data carries its top organisation's id (`root_org_id`), the distribution column.
//! A table distributes by it only when its primary and unique keys include it and it has no
//! foreign key Citus cannot keep across nodes (docs/CITUS_PROBE.md has the table-by-table
//! evidence). That holds for the roll-ups and the per-tree rule tables, which are what every
//! dashboard, list and report reads; and, once their keys are given the root and their foreign
//! keys dropped, for the audit log, which every change writes, and the outbox, which every sweep
//! writes. They are distributed, colocated with each other. The other tables
//! stay on the coordinator as ordinary tables until their keys carry the root (docs/SCALE.md,
//! "What Citus needs first").

use crate::{Db, Result, StoreError};

/// The tables distributed by `root_org_id`, colocated: their keys begin with the root (or are
/// given it first, [`KEYED_BY_ROOT_ON_CITUS`]) and they reference nothing. The first is the one
/// the others are colocated with.
pub const DISTRIBUTED_BY_ROOT: [&str; 6] = [
    "rollups",
    "rollup_meta",
    "service_rules",
    "work_calendar_years",
    "audit_log",
    "outbox",
];

/// Tables whose primary key is a surrogate `id` alone on one server, and `(root_org_id, id)` on
/// Citus, which requires every key of a distributed table to hold the distribution column. The
/// id stays unique by its own sequence; only the constraint that says so changes. Their foreign
/// keys, to tables that stay on the coordinator, are dropped: Citus cannot keep a key from a
/// distributed table to a local one (docs/CITUS_PROBE.md, (iv)). The outbox's point at the
/// users and members it is addressed to; the sweeps that write it read those rows first.
pub const KEYED_BY_ROOT_ON_CITUS: [&str; 2] = ["audit_log", "outbox"];

/// The tables that reach their top organisation through a parent row, with the column that
/// names the parent: each carries the parent's `root_org_id` too, written with the row, so that
/// it can be distributed beside its parent (docs/SCALE.md, "What has to change", step 2).
pub const CHILD_ROOTS: [(&str, &str, &str); 16] = [
    ("meeting_attendance", "meeting_id", "meetings"),
    ("meeting_revisions", "meeting_id", "meetings"),
    ("meeting_votes", "meeting_id", "meetings"),
    ("meeting_attachments", "meeting_id", "meetings"),
    ("call_supporting_units", "call_id", "calls"),
    ("call_events", "call_id", "calls"),
    ("call_photos", "call_id", "calls"),
    ("applicant_steps", "applicant_id", "applicants"),
    ("transfer_steps", "transfer_id", "transfers"),
    (
        "lost_contact_cases",
        "campaign_id",
        "lost_contact_campaigns",
    ),
    ("lost_contact_attempts", "case_id", "lost_contact_cases"),
    ("admission_grants", "org_id", "orgs"),
    ("appraisal_ballots", "campaign_id", "appraisal_campaigns"),
    ("appraisal_masses", "campaign_id", "appraisal_campaigns"),
    (
        "service_reports",
        "registration_id",
        "service_registrations",
    ),
    (
        "service_feedback",
        "registration_id",
        "service_registrations",
    ),
];

/// Why an embedded file cannot be distributed, and what to do first.
pub const NOT_POSTGRES: &str = "SQLite 文件不能分布式部署，请先用 dangjian copy 迁到 PostgreSQL";
/// Why a PostgreSQL server cannot be, as yet.
pub const NO_CITUS: &str =
    "该数据库未安装 Citus 扩展（需在协调节点上执行 CREATE EXTENSION citus），未做任何改动";

/// A coordinator with nowhere to put the shards yet.
pub const NO_WORKERS: &str =
    "Citus 协调节点上还没有工作节点，请先用 citus_add_node 加入工作节点，再执行迁移";

/// One table's place on a Citus cluster after [`Db::citus_distribute`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePlacement {
    pub table: String,
    /// "distributed" (sharded by `root_org_id`), or "local" (an ordinary table on the coordinator).
    pub kind: &'static str,
    /// Distributed by this run rather than found so.
    pub newly: bool,
}

/// Runs one statement that reads every top organisation's rows on purpose (moving the id
/// sequences past a bulk load), which on Citus touches every shard of a distributed table. A
/// session that flags or refuses multi-shard statements (`citus.multi_task_query_log_level`, as
/// an operator or the route tests set it) lets this one through; PostgreSQL without Citus keeps
/// the setting as an unused placeholder.
pub(crate) async fn execute_across_trees(pool: &sqlx::PgPool, sql: String) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL citus.multi_task_query_log_level = 'off'")
        .execute(&mut *tx)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

impl Db {
    /// Rows of [`CHILD_ROOTS`] whose `root_org_id` is not their parent's, per table (none, when
    /// every writer passed the root on): a row in the wrong shard would be invisible to its
    /// district's single-shard reads.
    pub async fn misplaced_child_rows(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for (child, parent_column, parent) in CHILD_ROOTS {
            let sql = format!(
                "SELECT COUNT(*) FROM {child} c JOIN {parent} p ON p.id = c.{parent_column} \
                 WHERE c.root_org_id <> p.root_org_id"
            );
            let (n,): (i64,) = crate::on_db!(self, pool => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await?
            });
            if n > 0 {
                out.push((child, n));
            }
        }
        Ok(out)
    }

    /// The Citus extension's version when this database has it (a coordinator), else None.
    pub async fn citus_version(&self) -> Result<Option<String>> {
        let Db::Postgres(pool) = self else {
            return Ok(None);
        };
        let version: Option<(String,)> =
            sqlx::query_as("SELECT extversion FROM pg_extension WHERE extname = 'citus'")
                .fetch_optional(pool)
                .await?;
        Ok(version.map(|(v,)| v))
    }

    /// Distributes [`DISTRIBUTED_BY_ROOT`] by `root_org_id` on a Citus coordinator, leaving
    /// tables that already are as they are, so that every `migrate` may run it. Existing rows
    /// move into the shards. Refused, in Chinese, where Citus is not installed. Returns every
    /// table of the schema with where it now lives.
    pub async fn citus_distribute(&self) -> Result<Vec<TablePlacement>> {
        let Db::Postgres(pool) = self else {
            return Err(StoreError::Invalid(NOT_POSTGRES.into()));
        };
        if self.citus_version().await?.is_none() {
            return Err(StoreError::Invalid(NO_CITUS.into()));
        }
        let (workers,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_dist_node WHERE groupid <> 0 AND isactive AND noderole = 'primary'",
        )
        .fetch_one(pool)
        .await?;
        if workers == 0 {
            return Err(StoreError::Invalid(NO_WORKERS.into()));
        }
        let mut newly = Vec::new();
        for (i, table) in DISTRIBUTED_BY_ROOT.iter().enumerate() {
            if self.citus_is_distributed(table).await? {
                continue;
            }
            if KEYED_BY_ROOT_ON_CITUS.contains(table) {
                self.citus_key_by_root(table).await?;
            }
            // Each call runs on its own: Citus moves the table's rows into shards and will not
            // do that inside a transaction that has written anything else.
            let colocate_with = if i == 0 {
                "default"
            } else {
                DISTRIBUTED_BY_ROOT[0]
            };
            sqlx::query(
                "SELECT create_distributed_table(to_regclass($1), 'root_org_id', \
                 colocate_with => $2)",
            )
            .bind(*table)
            .bind(colocate_with)
            .execute(pool)
            .await?;
            newly.push(*table);
        }
        let mut placements = Vec::new();
        for table in self.base_tables().await? {
            let distributed = self.citus_is_distributed(&table).await?;
            placements.push(TablePlacement {
                newly: newly.contains(&table.as_str()),
                kind: if distributed { "distributed" } else { "local" },
                table,
            });
        }
        Ok(placements)
    }

    /// Drops `table`'s foreign keys and gives its primary key the root in front, unless that is
    /// done already (a run that stopped between this and the distribution).
    async fn citus_key_by_root(&self, table: &str) -> Result<()> {
        let Db::Postgres(pool) = self else {
            return Err(StoreError::Invalid(NOT_POSTGRES.into()));
        };
        let (key, columns): (String, Vec<String>) = sqlx::query_as(
            "SELECT c.conname::text, array_agg(a.attname::text ORDER BY k.ord) \
             FROM pg_constraint c \
             CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
             WHERE c.conrelid = to_regclass($1) AND c.contype = 'p' GROUP BY c.conname",
        )
        .bind(table)
        .fetch_one(pool)
        .await?;
        let foreign: Vec<(String,)> = sqlx::query_as(
            "SELECT conname::text FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'f' \
             ORDER BY conname",
        )
        .bind(table)
        .fetch_all(pool)
        .await?;
        for (name,) in foreign {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE {table} DROP CONSTRAINT {name}"
            )))
            .execute(pool)
            .await?;
        }
        if columns.first().map(String::as_str) == Some("root_org_id") {
            return Ok(());
        }
        // One statement, so the table is never without a key.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER TABLE {table} DROP CONSTRAINT {key}, ADD PRIMARY KEY (root_org_id, id)"
        )))
        .execute(pool)
        .await?;
        Ok(())
    }

    async fn citus_is_distributed(&self, table: &str) -> Result<bool> {
        let Db::Postgres(pool) = self else {
            return Ok(false);
        };
        let found: Option<(i32,)> =
            sqlx::query_as("SELECT 1 FROM pg_dist_partition WHERE logicalrelid = to_regclass($1)")
                .bind(table)
                .fetch_optional(pool)
                .await?;
        Ok(found.is_some())
    }
}
