//! 发展党员 files (DOMAIN.md §3): the applicant, the file as it stands, and the steps recorded on
//! it. A file is read and written through its branch, like a member: a branch sees its own
//! applicants and a 党委 those of its subtree. Steps are appended, never rewritten.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{
    Author, BeginWrite, Db, Param, Result, Scope, StoreError, bind_params, now, on_db, write_audit,
};

/// An applicant and where their file stands.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Applicant {
    pub id: i64,
    pub branch_id: i64,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub work_unit: Option<String>,
    /// The member category they will have (`in_service`, …).
    pub category: String,
    /// `rules_2014` or `rules_2026`.
    pub rule_version: String,
    /// `applicant`, `talked`, `activist`, … (domain::admission::Stage).
    pub stage: String,
    pub applied_on: NaiveDate,
    /// The earliest thing falling due on the file, and what it is.
    pub next_due_on: Option<NaiveDate>,
    pub next_due_what: Option<String>,
    /// The file of dated facts (domain::admission::File) as JSON.
    #[serde(skip)]
    pub file: String,
    /// The member record made at approval.
    pub member_id: Option<i64>,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new file, as opened on the application.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewApplicant {
    pub branch_id: i64,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub work_unit: Option<String>,
    pub category: String,
    pub rule_version: String,
    pub stage: String,
    pub applied_on: NaiveDate,
    pub next_due_on: Option<NaiveDate>,
    pub next_due_what: Option<String>,
    pub file: String,
}

/// One step as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApplicantStep {
    pub id: i64,
    pub applicant_id: i64,
    /// The kind of step (domain::admission::Action's tag).
    pub action: String,
    pub on_date: NaiveDate,
    pub handled_by: String,
    pub document: String,
    /// The step as the rules took it, as JSON.
    pub detail: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A step to append, with the file as it stands after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRecord {
    pub action: String,
    pub on_date: NaiveDate,
    pub handled_by: String,
    pub document: String,
    pub detail: String,
    /// Audit summary, in words.
    pub summary: String,
    pub stage: String,
    pub next_due_on: Option<NaiveDate>,
    pub next_due_what: Option<String>,
    pub file: String,
}

/// Which files a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplicantFilter {
    /// Files under this org's subtree only (within the scope).
    pub org_id: Option<i64>,
    pub stages: Vec<String>,
    /// Only files with something due on or before this day.
    pub due_by: Option<NaiveDate>,
}

const APPLICANT_COLUMNS: &str = "a.id, a.branch_id, a.name, a.id_number, a.phone, a.work_unit, a.category, \
     a.rule_version, a.stage, a.applied_on, a.next_due_on, a.next_due_what, a.file, a.member_id, a.version, \
     a.created_by, a.created_at, a.updated_at";

/// The most files one list returns; a district's year of applicants is a few thousand.
pub const APPLICANT_LIST_LIMIT: i64 = 2000;

impl Db {
    /// Opens a file in a branch of the scope. Audited.
    pub async fn applicant_create(
        &self,
        scope: Scope,
        new: &NewApplicant,
        author: &Author,
    ) -> Result<i64> {
        let mut params = vec![Param::I64(new.branch_id)];
        let branch_sql = format!(
            "SELECT o.root_org_id FROM orgs o WHERE o.id = $1 AND o.kind = 'branch' AND {}",
            scope.org_condition("o.id", &mut params)
        );
        let at = now();
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (root,): (i64,) = bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(branch_sql.as_str())), &params)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO applicants (root_org_id, branch_id, name, id_number, phone, work_unit, category, \
                 rule_version, stage, applied_on, next_due_on, next_due_what, file, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
            )
            .bind(root)
            .bind(new.branch_id)
            .bind(&new.name)
            .bind(&new.id_number)
            .bind(&new.phone)
            .bind(&new.work_unit)
            .bind(&new.category)
            .bind(&new.rule_version)
            .bind(&new.stage)
            .bind(new.applied_on)
            .bind(new.next_due_on)
            .bind(&new.next_due_what)
            .bind(&new.file)
            .bind(&author.name)
            .bind(at)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            let mut changes = serde_json::to_value(new).unwrap_or_default();
            if let Some(map) = changes.as_object_mut() {
                map.remove("file");
                map.insert("id".into(), serde_json::json!(id));
            }
            write_audit!(
                &mut *tx, new.branch_id, author, "create", "applicant", Some(id),
                format!("受理入党申请：{}（{}）", new.name, new.applied_on),
                crate::audit::created(&changes)
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// One file in the scope.
    pub async fn applicant_get(&self, scope: Scope, id: i64) -> Result<Applicant> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT {APPLICANT_COLUMNS} FROM applicants a WHERE a.id = $1 AND {}",
            scope.org_condition("a.branch_id", &mut params)
        );
        let row = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Applicant>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// The files of the scope that `filter` selects, those falling due first.
    pub async fn applicants(
        &self,
        scope: Scope,
        filter: &ApplicantFilter,
    ) -> Result<Vec<Applicant>> {
        let mut params = Vec::new();
        let mut conditions = vec![scope.org_condition("a.branch_id", &mut params)];
        if let Some(org) = filter.org_id {
            conditions.push(Scope::Subtree(org).org_condition("a.branch_id", &mut params));
        }
        if !filter.stages.is_empty() {
            let marks: Vec<String> = filter
                .stages
                .iter()
                .map(|s| {
                    params.push(Param::Text(s.clone()));
                    format!("${}", params.len())
                })
                .collect();
            conditions.push(format!("a.stage IN ({})", marks.join(", ")));
        }
        if let Some(day) = filter.due_by {
            params.push(Param::Date(day));
            conditions.push(format!("a.next_due_on <= ${}", params.len()));
        }
        let sql = format!(
            "SELECT {APPLICANT_COLUMNS} FROM applicants a WHERE {} \
             ORDER BY CASE WHEN a.next_due_on IS NULL THEN 1 ELSE 0 END, a.next_due_on, a.id LIMIT {APPLICANT_LIST_LIMIT}",
            conditions.join(" AND ")
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Applicant>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// The steps recorded on a file of the scope, by the day they were done (a committee's
    /// 备案 may be entered after later steps of the branch).
    pub async fn applicant_steps(&self, scope: Scope, id: i64) -> Result<Vec<ApplicantStep>> {
        self.applicant_get(scope, id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, ApplicantStep>(
                "SELECT id, applicant_id, action, on_date, handled_by, document, detail, recorded_by, recorded_at \
                 FROM applicant_steps WHERE applicant_id = $1 ORDER BY on_date, id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Appends a step to a file of the scope that is still at `version`, and stores the file
    /// as it stands after it. A file changed meanwhile is a conflict. Audited.
    pub async fn applicant_record_step(
        &self,
        scope: Scope,
        id: i64,
        version: i64,
        step: &StepRecord,
        author: &Author,
    ) -> Result<()> {
        let current = self.applicant_get(scope, id).await?;
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE applicants SET stage = $1, next_due_on = $2, next_due_what = $3, file = $4, \
                 version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7",
            )
            .bind(&step.stage)
            .bind(step.next_due_on)
            .bind(&step.next_due_what)
            .bind(&step.file)
            .bind(at)
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Conflict(
                    "该档案刚被他人更新，请刷新后重新记录".into(),
                ));
            }
            sqlx::query(
                "INSERT INTO applicant_steps (applicant_id, action, on_date, handled_by, document, detail, recorded_by, recorded_at, \
                 root_org_id) SELECT $1, $2, $3, $4, $5, $6, $7, $8, a.root_org_id FROM applicants a WHERE a.id = $1",
            )
            .bind(id)
            .bind(&step.action)
            .bind(step.on_date)
            .bind(&step.handled_by)
            .bind(&step.document)
            .bind(&step.detail)
            .bind(&author.name)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            let changes = serde_json::json!({
                "stage": [current.stage, step.stage],
                "action": [null, step.action],
            });
            write_audit!(
                &mut *tx, current.branch_id, author, "update", "applicant", Some(id),
                format!("{}：{}", current.name, step.summary),
                changes.to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Links the member record made at approval to its file.
    pub async fn applicant_link_member(&self, scope: Scope, id: i64, member_id: i64) -> Result<()> {
        self.applicant_get(scope, id).await?;
        on_db!(self, pool => {
            sqlx::query("UPDATE applicants SET member_id = $1, updated_at = $2 WHERE id = $3")
                .bind(member_id)
                .bind(now())
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Whether an open file (or a member) already has this identity number.
    pub async fn applicant_id_number_taken(&self, id_number: &str) -> Result<bool> {
        let (n,): (i64,) = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM applicants WHERE id_number = $1 AND stage NOT IN ('closed', 'cancelled')) \
                 + (SELECT COUNT(*) FROM members WHERE id_number = $1)",
            )
            .bind(id_number)
            .fetch_one(pool)
            .await?
        });
        Ok(n > 0)
    }
}
