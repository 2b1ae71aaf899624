//! Bulk loading for the demo district and benchmarks: many rows per statement, one transaction
//! per call, ids chosen by the caller so that trees and closures can be built in memory.

use crate::{BeginWrite, Db, Param, Result, bind_params, on_db};

impl Db {
    /// Inserts `rows` (each with one value per column) into `table` in one transaction.
    /// Only for trusted, generated data: table and column names are spliced into the SQL.
    pub async fn bulk_insert(
        &self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Param>],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let per_statement = (self.max_params_per_statement() / columns.len()).max(1);
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for chunk in rows.chunks(per_statement) {
                let mut n = 0;
                let values: Vec<String> = chunk
                    .iter()
                    .map(|_| {
                        let cols: Vec<String> = columns.iter().map(|_| { n += 1; format!("${n}") }).collect();
                        format!("({})", cols.join(","))
                    })
                    .collect();
                let sql = format!("INSERT INTO {table} ({}) VALUES {}", columns.join(","), values.join(","));
                let flat: Vec<&Param> = chunk.iter().flatten().collect();
                bind_params!(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())), flat.iter().copied()).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// After rows were inserted with explicit ids, moves PostgreSQL's identity sequences past
    /// them (SQLite picks max(id)+1 by itself).
    pub async fn reset_id_sequences(&self) -> Result<()> {
        if let Db::Postgres(pool) = self {
            for table in [
                "territories",
                "orgs",
                "concurrent_members",
                "members",
                "users",
                "api_tokens",
                "audit_log",
                "meetings",
                "calls",
                "call_events",
                "points_entries",
                "service_registrations",
                "service_reports",
                "service_feedback",
                "service_needs",
                "service_claims",
                "service_wishes",
            ] {
                // A database at an older release's schema (an upgrade test) lacks later tables.
                let (exists,): (bool,) = sqlx::query_as("SELECT to_regclass($1) IS NOT NULL")
                    .bind(table)
                    .fetch_one(pool)
                    .await?;
                if !exists {
                    continue;
                }
                crate::citus::execute_across_trees(
                    pool,
                    format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    ),
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The largest id in a table, so a generator can continue numbering after existing rows.
    pub async fn max_id(&self, table: &str) -> Result<i64> {
        let (n,): (i64,) = on_db!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))).fetch_one(pool).await?
        });
        Ok(n)
    }

    /// Whether the database holds any org yet (a fresh database needs set-up).
    pub async fn is_empty(&self) -> Result<bool> {
        let (n,): (i64,) = on_db!(self, pool => {
            sqlx::query_as("SELECT COUNT(*) FROM orgs").fetch_one(pool).await?
        });
        Ok(n == 0)
    }

    /// Refreshes planner statistics after a bulk load, so the first searches use the indexes.
    /// On PostgreSQL only the tables of the schema in use are analysed: a bare `ANALYZE` reads
    /// every schema of the database, which on a shared server can be many.
    pub async fn analyze(&self) -> Result<()> {
        match self {
            Db::Sqlite(pool) => {
                sqlx::query("ANALYZE").execute(pool).await?;
            }
            Db::Postgres(pool) => {
                let tables: Vec<(String,)> = sqlx::query_as(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
                )
                .fetch_all(pool)
                .await?;
                // VACUUM as well: after a bulk load the visibility map is empty, and until it is
                // set every index-only scan (the scope's closure rows, the name indexes) visits
                // the heap too. Measured on the 50,000-member demo: a member search 26 ms
                // before, 5 ms after.
                for (table,) in tables {
                    sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM ANALYZE \"{table}\"")))
                        .execute(pool)
                        .await?;
                }
            }
        }
        Ok(())
    }
}
