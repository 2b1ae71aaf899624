//! Restrictions of a member's rights (留党察看, 停止党员权利; DOMAIN.md §2.1), and the facts a
//! meeting's vote is counted from. Restrictions are read and written through the member's branch,
//! like the member record itself. A restriction is never rewritten: ending it records the day the
//! member's rights were restored.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::members::MEMBER_COLUMNS;
use crate::{
    Author, BeginWrite, Db, Member, Param, Result, Scope, StoreError, bind_params, now, on_db,
    write_audit,
};

/// One restriction as recorded. `ended_on` is the day rights were restored; `None` while the
/// restriction is in force.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MemberRestriction {
    pub id: i64,
    pub member_id: i64,
    /// `party_probation` (留党察看) or `rights_suspended` (停止党员权利).
    pub kind: String,
    pub from_date: NaiveDate,
    /// 留党察看 term in months (12 or 24); none for a suspension.
    pub term_months: Option<i64>,
    pub reason: String,
    /// The decision or approval it rests on (文号).
    pub approval: String,
    pub ended_on: Option<NaiveDate>,
    /// The decision that restored the member's rights.
    pub end_approval: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub ended_by: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewRestriction {
    pub kind: String,
    pub from_date: NaiveDate,
    pub term_months: Option<i64>,
    pub reason: String,
    pub approval: String,
}

/// The restoration of a member's rights that ends a restriction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestrictionEnd {
    /// The first day the member has their rights again.
    pub ended_on: NaiveDate,
    /// The decision that restored them.
    pub end_approval: String,
}

/// What a vote is counted from, per member on a meeting's attendance list.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct AttendeeFacts {
    pub member_id: i64,
    pub present: bool,
    pub status: String,
    pub admitted_on: NaiveDate,
    pub full_on: Option<NaiveDate>,
}

const RESTRICTION_COLUMNS: &str = "r.id, r.member_id, r.kind, r.from_date, r.term_months, r.reason, r.approval, \
     r.ended_on, r.end_approval, r.created_by, r.created_at, r.ended_by, r.ended_at";

/// A check run inside the write transaction on the locked member and their restrictions, so that
/// two saves cannot both pass it; `Err` carries the message for the user.
pub type RestrictionCheck<'a> =
    Box<dyn FnOnce(&Member, &[MemberRestriction]) -> std::result::Result<(), String> + Send + 'a>;

/// The same for ending a restriction, run on the locked restriction.
pub type EndCheck<'a> =
    Box<dyn FnOnce(&MemberRestriction) -> std::result::Result<(), String> + Send + 'a>;

impl Db {
    /// A member's restrictions, oldest first; not found when the member is outside the scope.
    pub async fn member_restrictions(
        &self,
        scope: Scope,
        member_id: i64,
    ) -> Result<Vec<MemberRestriction>> {
        self.member_get(scope, member_id).await?;
        let mut params = vec![Param::I64(member_id)];
        let sql = format!(
            "SELECT {RESTRICTION_COLUMNS} FROM member_restrictions r JOIN members m ON m.id = r.member_id \
             WHERE r.member_id = $1 AND {} ORDER BY r.from_date, r.id",
            scope.member_condition("m", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, MemberRestriction>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Records a restriction of a member in the scope, after `check` accepted it on the locked
    /// member and their current restrictions. Audited in the same transaction.
    pub async fn member_restriction_add(
        &self,
        scope: Scope,
        member_id: i64,
        new: &NewRestriction,
        author: &Author,
        check: RestrictionCheck<'_>,
    ) -> Result<i64> {
        let lock_sql = format!("SELECT id FROM members WHERE id = $1{}", self.for_update());
        let mut params = vec![Param::I64(member_id)];
        let member_sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = $1 AND {}",
            scope.member_condition("m", &mut params)
        );
        let list_sql = format!(
            "SELECT {RESTRICTION_COLUMNS} FROM member_restrictions r WHERE r.member_id = $1 ORDER BY r.from_date, r.id"
        );
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Locked by id alone first, then read with the scope (see `member_update`).
            sqlx::query(sqlx::AssertSqlSafe(lock_sql.as_str())).bind(member_id).fetch_optional(&mut *tx).await?;
            let member: Member = bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(member_sql.as_str())), &params)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let existing = sqlx::query_as::<_, MemberRestriction>(sqlx::AssertSqlSafe(list_sql.as_str()))
                .bind(member_id)
                .fetch_all(&mut *tx)
                .await?;
            check(&member, &existing).map_err(StoreError::Invalid)?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO member_restrictions (member_id, root_org_id, kind, from_date, term_months, reason, approval, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(member_id)
            .bind(member.root_org_id)
            .bind(&new.kind)
            .bind(new.from_date)
            .bind(new.term_months)
            .bind(&new.reason)
            .bind(&new.approval)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            let mut changes = serde_json::to_value(new).unwrap_or_default();
            changes["id"] = serde_json::json!(id);
            write_audit!(
                &mut *tx, member.branch_id, author, "create", "member_restriction", Some(member_id),
                format!("登记{}：{} 起，{}（{}）", kind_label(&new.kind), new.from_date, new.reason, new.approval),
                crate::audit::created(&changes)
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Ends a restriction of a member in the scope: the member's rights were restored.
    /// `check` runs on the locked restriction first.
    pub async fn member_restriction_end(
        &self,
        scope: Scope,
        member_id: i64,
        id: i64,
        end: &RestrictionEnd,
        author: &Author,
        check: EndCheck<'_>,
    ) -> Result<()> {
        let lock_sql = format!(
            "SELECT id FROM member_restrictions WHERE id = $1{}",
            self.for_update()
        );
        let mut params = vec![Param::I64(id), Param::I64(member_id)];
        let read_sql = format!(
            "SELECT {RESTRICTION_COLUMNS} FROM member_restrictions r JOIN members m ON m.id = r.member_id \
             WHERE r.id = $1 AND r.member_id = $2 AND {}",
            scope.member_condition("m", &mut params)
        );
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sqlx::AssertSqlSafe(lock_sql.as_str())).bind(id).fetch_optional(&mut *tx).await?;
            let old: MemberRestriction = bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(read_sql.as_str())), &params)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let (branch,): (i64,) = sqlx::query_as("SELECT branch_id FROM members WHERE id = $1")
                .bind(member_id)
                .fetch_one(&mut *tx)
                .await?;
            check(&old).map_err(StoreError::Invalid)?;
            let at = now();
            sqlx::query(
                "UPDATE member_restrictions SET ended_on = $2, end_approval = $3, ended_by = $4, ended_at = $5 \
                 WHERE id = $1 AND ended_on IS NULL",
            )
            .bind(id)
            .bind(end.ended_on)
            .bind(&end.end_approval)
            .bind(&author.name)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            write_audit!(
                &mut *tx, branch, author, "update", "member_restriction", Some(member_id),
                format!("{}（{} 起）结束，{} 恢复党员权利（{}）", kind_label(&old.kind), old.from_date, end.ended_on, end.end_approval),
                serde_json::json!({
                    "id": id,
                    "ended_on": [serde_json::Value::Null, end.ended_on],
                    "end_approval": [serde_json::Value::Null, &end.end_approval],
                })
                .to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Everyone on a meeting's attendance list with the facts their vote depends on, and their
    /// restrictions; not found when the meeting is outside the scope. Scoped through the meeting,
    /// as its attendance list is: a member who has since moved still counts as they were.
    pub async fn meeting_voter_facts(
        &self,
        scope: Scope,
        meeting_id: i64,
    ) -> Result<(Vec<AttendeeFacts>, Vec<MemberRestriction>)> {
        self.meeting_get(scope, meeting_id).await?;
        let rows = on_db!(self, pool => {
            let attendees = sqlx::query_as::<_, AttendeeFacts>(
                "SELECT a.member_id, a.present, m.status, m.admitted_on, m.full_on FROM meeting_attendance a \
                 JOIN members m ON m.id = a.member_id WHERE a.meeting_id = $1 ORDER BY a.member_id",
            )
            .bind(meeting_id)
            .fetch_all(pool)
            .await?;
            let restrictions = sqlx::query_as::<_, MemberRestriction>(sqlx::AssertSqlSafe(format!(
                "SELECT {RESTRICTION_COLUMNS} FROM member_restrictions r JOIN meeting_attendance a ON a.member_id = r.member_id \
                 WHERE a.meeting_id = $1 ORDER BY r.member_id, r.from_date, r.id"
            )))
            .bind(meeting_id)
            .fetch_all(pool)
            .await?;
            (attendees, restrictions)
        });
        Ok(rows)
    }
}

/// The audit summary names the kind in Chinese; the codes are the domain's.
fn kind_label(code: &str) -> &'static str {
    domain::rights::RestrictionKind::from_code(code)
        .map(|k| k.label())
        .unwrap_or("限制")
}
