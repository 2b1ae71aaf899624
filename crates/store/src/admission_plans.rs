//! A 党委's yearly 发展党员 plan and how far it has got, and the grants that let a 社区党委 or
//! 村党委 approve admissions (DOMAIN.md §3). Progress is counted from the files' steps.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{Author, BeginWrite, Db, Param, Result, Scope, bind_params, now, on_db, write_audit};

/// A year's quotas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Quotas {
    pub activists: i64,
    pub dev_objects: i64,
    pub probationary: i64,
}

/// A stored plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AdmissionPlan {
    pub org_id: i64,
    pub year: i64,
    #[sqlx(flatten)]
    pub quotas: Quotas,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// The steps that count towards a plan.
const COUNTED: [(&str, usize); 3] = [("name_activist", 0), ("name_dev_object", 1), ("approve", 2)];

impl Db {
    /// The plan of an org of the scope for `year`, if one was set.
    pub async fn admission_plan(
        &self,
        scope: Scope,
        org_id: i64,
        year: i32,
    ) -> Result<Option<AdmissionPlan>> {
        self.org_get(scope, org_id).await?;
        let row = on_db!(self, pool => {
            sqlx::query_as::<_, AdmissionPlan>(
                "SELECT org_id, year, activists, dev_objects, probationary, updated_by, updated_at \
                 FROM admission_plans WHERE org_id = $1 AND year = $2",
            )
            .bind(org_id)
            .bind(i64::from(year))
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }

    /// Sets the plan of an org of the scope for `year`. Audited.
    pub async fn admission_plan_save(
        &self,
        scope: Scope,
        org_id: i64,
        year: i32,
        quotas: Quotas,
        author: &Author,
    ) -> Result<()> {
        let org = self.org_get(scope, org_id).await?;
        let before = self.admission_plan(scope, org_id, year).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO admission_plans (root_org_id, org_id, year, activists, dev_objects, probationary, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (org_id, year) DO UPDATE SET activists = excluded.activists, \
                 dev_objects = excluded.dev_objects, probationary = excluded.probationary, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(org.root_org_id)
            .bind(org_id)
            .bind(i64::from(year))
            .bind(quotas.activists)
            .bind(quotas.dev_objects)
            .bind(quotas.probationary)
            .bind(&author.name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            let old = before.map(|p| p.quotas);
            write_audit!(
                &mut *tx, org_id, author, if old.is_some() { "update" } else { "create" }, "admission_plan", Some(org_id),
                format!("{year}年发展党员计划：积极分子 {}，发展对象 {}，预备党员 {}", quotas.activists, quotas.dev_objects, quotas.probationary),
                serde_json::json!({
                    "activists": [old.map(|q| q.activists), quotas.activists],
                    "dev_objects": [old.map(|q| q.dev_objects), quotas.dev_objects],
                    "probationary": [old.map(|q| q.probationary), quotas.probationary],
                }).to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// How many 入党积极分子 and 发展对象 were named and 预备党员 approved in `year` in the
    /// branches under an org of the scope, counted from the steps recorded.
    pub async fn admission_done(&self, scope: Scope, org_id: i64, year: i32) -> Result<Quotas> {
        self.org_get(scope, org_id).await?;
        let (from, until) = (
            NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
            NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or_default(),
        );
        let mut params = vec![Param::Date(from), Param::Date(until), Param::I64(org_id)];
        let marks: Vec<String> = COUNTED
            .iter()
            .map(|(action, _)| {
                params.push(Param::Text((*action).into()));
                format!("${}", params.len())
            })
            .collect();
        let sql = format!(
            "SELECT s.action, COUNT(*) FROM applicant_steps s JOIN applicants a ON a.id = s.applicant_id \
             WHERE s.on_date >= $1 AND s.on_date < $2 \
             AND a.branch_id IN (SELECT fc.descendant_id FROM org_closure fc WHERE fc.ancestor_id = $3) \
             AND s.action IN ({}) GROUP BY s.action",
            marks.join(", ")
        );
        let rows: Vec<(String, i64)> = on_db!(self, pool => {
            bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_all(pool)
                .await?
        });
        let mut done = [0_i64; 3];
        for (action, n) in rows {
            if let Some((_, i)) = COUNTED.iter().find(|(a, _)| *a == action) {
                done[*i] = n;
            }
        }
        Ok(Quotas {
            activists: done[0],
            dev_objects: done[1],
            probationary: done[2],
        })
    }

    /// Grants (with the document) or withdraws (`None`) the power to approve admissions to an
    /// org of the scope. Audited.
    pub async fn admission_grant_set(
        &self,
        scope: Scope,
        org_id: i64,
        document: Option<&str>,
        author: &Author,
    ) -> Result<()> {
        self.org_get(scope, org_id).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM admission_grants WHERE org_id = $1")
                .bind(org_id)
                .execute(&mut *tx)
                .await?;
            if let Some(document) = document {
                sqlx::query(
                    "INSERT INTO admission_grants (org_id, document, granted_by, granted_at, root_org_id) \
                     SELECT $1, $2, $3, $4, o.root_org_id FROM orgs o WHERE o.id = $1",
                )
                .bind(org_id)
                .bind(document)
                .bind(&author.name)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            }
            write_audit!(
                &mut *tx, org_id, author, "update", "admission_grant", Some(org_id),
                if document.is_some() { "授予发展党员审批权".to_string() } else { "收回发展党员审批权".to_string() },
                serde_json::json!({"document": [null, document]}).to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Which of `org_ids` were granted the power to approve admissions, with the document.
    pub async fn admission_grants(&self, org_ids: &[i64]) -> Result<Vec<(i64, String)>> {
        if org_ids.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<Param> = org_ids.iter().map(|id| Param::I64(*id)).collect();
        let marks: Vec<String> = (1..=params.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT org_id, document FROM admission_grants WHERE org_id IN ({}) ORDER BY org_id",
            marks.join(", ")
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }
}
