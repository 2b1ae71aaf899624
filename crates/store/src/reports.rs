//! The report archive: weekly and monthly reports with their figures frozen as JSON. The store
//! does not read the figures; the app freezes and thaws them. A report made before its period
//! ended may be replaced by a newer one for the same period; one made after the end is final,
//! which the upsert's `WHERE` enforces in the same statement.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{Db, Param, Result, Scope, StoreError, bind_params, now, on_db};

/// A report to archive. Dates are `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    pub org_id: i64,
    /// `weekly` or `monthly`.
    pub kind: String,
    /// `2026-W48` or `2026-11`.
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    /// The day the figures were taken.
    pub as_of: String,
    pub figures: String,
    /// Who made it: a login's display name, or the sweep.
    pub made_by: String,
}

/// A report in the archive list (without its figures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ReportEntry {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub kind: String,
    pub period: String,
    pub period_start: String,
    pub period_end: String,
    pub as_of: String,
    pub made_by: String,
    pub created_at: DateTime<Utc>,
}

/// A report with its frozen figures.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredReport {
    #[sqlx(flatten)]
    pub entry: ReportEntry,
    pub figures: String,
}

const ENTRY_COLUMNS: &str = "r.id, r.org_id, o.name AS org_name, r.kind, r.period, r.period_start, \
     r.period_end, r.as_of, r.made_by, r.created_at";

/// Whether a report may still be replaced: it was made before its period was over.
pub fn is_final(entry: &ReportEntry) -> bool {
    entry.as_of > entry.period_end
}

impl Db {
    /// Archives a report. Returns its id and whether these figures were kept: false when the
    /// period already has a final report, which stays as it was.
    pub async fn report_save(&self, report: &NewReport) -> Result<(i64, bool)> {
        if !matches!(report.kind.as_str(), "weekly" | "monthly") {
            return Err(StoreError::Invalid("报告类型只能是周报或月报".into()));
        }
        let saved: Option<(i64,)> = on_db!(self, pool => {
            sqlx::query_as(
                "INSERT INTO reports (root_org_id, org_id, kind, period, period_start, period_end, as_of, \
                 figures, made_by, created_at) \
                 SELECT o.root_org_id, o.id, $2, $3, $4, $5, $6, $7, $8, $9 FROM orgs o WHERE o.id = $1 \
                 ON CONFLICT (org_id, kind, period) DO UPDATE SET as_of = excluded.as_of, \
                 figures = excluded.figures, made_by = excluded.made_by, created_at = excluded.created_at \
                 WHERE reports.as_of <= reports.period_end \
                 RETURNING id",
            )
            .bind(report.org_id)
            .bind(&report.kind)
            .bind(&report.period)
            .bind(&report.period_start)
            .bind(&report.period_end)
            .bind(&report.as_of)
            .bind(&report.figures)
            .bind(&report.made_by)
            .bind(now())
            .fetch_optional(pool)
            .await?
        });
        if let Some((id,)) = saved {
            return Ok((id, true));
        }
        let kept: (i64,) = on_db!(self, pool => {
            sqlx::query_as("SELECT id FROM reports WHERE org_id = $1 AND kind = $2 AND period = $3")
                .bind(report.org_id)
                .bind(&report.kind)
                .bind(&report.period)
                .fetch_one(pool)
                .await?
        });
        Ok((kept.0, false))
    }

    /// One report, if its org is in the scope.
    pub async fn report_get(&self, scope: Scope, id: i64) -> Result<StoredReport> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT {ENTRY_COLUMNS}, r.figures FROM reports r JOIN orgs o ON o.id = r.org_id \
             WHERE r.id = $1 AND {}",
            scope.org_condition("r.org_id", &mut params)
        );
        let report = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, StoredReport>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_optional(pool)
                .await?
        });
        report.ok_or(StoreError::NotFound)
    }

    /// The archive of one org (which must be in the scope), newest period first.
    pub async fn report_list(
        &self,
        scope: Scope,
        org_id: i64,
        kind: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ReportEntry>> {
        let mut params = vec![Param::I64(org_id), Param::I64(limit)];
        let kind_condition = match kind {
            Some(kind) => {
                params.push(Param::Text(kind.to_string()));
                format!("r.kind = ${}", params.len())
            }
            None => "1 = 1".to_string(),
        };
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM reports r JOIN orgs o ON o.id = r.org_id \
             WHERE r.org_id = $1 AND {kind_condition} AND {} \
             ORDER BY r.period_end DESC, r.kind LIMIT $2",
            scope.org_condition("r.org_id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, ReportEntry>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// The latest report of the same org and kind whose period ended before `period_start`:
    /// what a new report compares itself with.
    pub async fn report_previous(
        &self,
        org_id: i64,
        kind: &str,
        period_start: &str,
    ) -> Result<Option<StoredReport>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS}, r.figures FROM reports r JOIN orgs o ON o.id = r.org_id \
             WHERE r.org_id = $1 AND r.kind = $2 AND r.period_end < $3 \
             ORDER BY r.period_end DESC LIMIT 1"
        );
        let report = on_db!(self, pool => {
            sqlx::query_as::<_, StoredReport>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(org_id)
                .bind(kind)
                .bind(period_start)
                .fetch_optional(pool)
                .await?
        });
        Ok(report)
    }

    /// The orgs of a tree that already have a final report for a period, so that the sweep
    /// makes each report once however often it runs.
    pub async fn report_final_orgs(&self, root: i64, kind: &str, period: &str) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT org_id FROM reports WHERE root_org_id = $1 AND kind = $2 AND period = $3 \
                 AND as_of > period_end",
            )
            .bind(root)
            .bind(kind)
            .bind(period)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}
