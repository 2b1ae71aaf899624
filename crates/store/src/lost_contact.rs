//! 摸查 campaigns and the search for 失联 members (DOMAIN.md §17). A campaign lists the suspects
//! the data shows on the day it starts; each is a case a branch works on, with every attempt to
//! find the member appended and never rewritten. A case is seen through its member's branch,
//! so a street's campaign shows each branch its own members.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::member_effects::MemberEffect;
use crate::{
    Author, BeginWrite, Db, Param, Result, Scope, StoreError, bind_params, now, on_db, write_audit,
};

/// A campaign, with how its cases visible to the reader stand.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Campaign {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub title: String,
    pub started_on: NaiveDate,
    pub quiet_months: i64,
    pub created_by: String,
    pub cases: i64,
    pub open_cases: i64,
}

/// One member's case.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Case {
    pub id: i64,
    pub campaign_id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub branch_id: i64,
    pub branch_name: String,
    /// `quiet` or `unreceived_letter`.
    pub why: String,
    pub last_activity: Option<NaiveDate>,
    /// `searching`, `found`, `lost`, `suspended` or `removed`.
    pub state: String,
    /// The cause code once known (domain::lost_contact::Cause).
    pub cause: Option<String>,
    pub opened_on: NaiveDate,
    pub found_on: Option<NaiveDate>,
    pub lost_on: Option<NaiveDate>,
    pub suspended_on: Option<NaiveDate>,
    pub removed_on: Option<NaiveDate>,
    pub attempts: i64,
    pub version: i64,
}

/// One attempt to find a member.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Attempt {
    pub id: i64,
    pub case_id: i64,
    pub on_date: NaiveDate,
    /// domain::lost_contact::Attempt code.
    pub method: String,
    pub reached: bool,
    pub note: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A member the data makes a suspect, with the last activity it shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suspect {
    pub member_id: i64,
    pub branch_id: i64,
    pub why: String,
    pub last_activity: Option<NaiveDate>,
}

/// A member of an org's subtree with the last day the data shows them at 组织生活 or paying.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Activity {
    pub member_id: i64,
    pub branch_id: i64,
    pub last_meeting: Option<NaiveDate>,
    pub last_paid: Option<NaiveDate>,
    /// A letter issued for the member that nobody received, and when.
    pub unreceived_letter_on: Option<NaiveDate>,
    /// The day the member came to their present branch (admitted, or received on transfer).
    pub joined_on: Option<NaiveDate>,
}

/// A decision on a case: the facts after it and what it does to the member.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseDecision {
    pub state: String,
    pub cause: Option<String>,
    pub found_on: Option<NaiveDate>,
    pub lost_on: Option<NaiveDate>,
    pub suspended_on: Option<NaiveDate>,
    pub removed_on: Option<NaiveDate>,
    pub summary: String,
    pub member_effects: Vec<MemberEffect>,
}

const CASE_COLUMNS: &str = "c.id, c.campaign_id, c.member_id, m.name AS member_name, c.branch_id, \
     o.name AS branch_name, c.why, c.last_activity, c.state, c.cause, g.started_on AS opened_on, \
     c.found_on, c.lost_on, c.suspended_on, c.removed_on, \
     (SELECT COUNT(*) FROM lost_contact_attempts a WHERE a.case_id = c.id) AS attempts, c.version \
     FROM lost_contact_cases c JOIN members m ON m.id = c.member_id JOIN orgs o ON o.id = c.branch_id \
     JOIN lost_contact_campaigns g ON g.id = c.campaign_id";

impl Db {
    /// The members under `org_id` (within the scope) still on the roll, with their last
    /// activity and any letter issued for them that nobody received. Members already in an
    /// open case are left out.
    pub async fn lost_contact_activity(&self, scope: Scope, org_id: i64) -> Result<Vec<Activity>> {
        self.org_get(scope, org_id).await?;
        let mut params = vec![Param::Bool(true)];
        let scope_sql = scope.member_condition("m", &mut params);
        params.push(Param::I64(org_id));
        let sql = format!(
            "SELECT m.id AS member_id, m.branch_id, \
             (SELECT MAX(mt.held_on) FROM meeting_attendance a JOIN meetings mt ON mt.id = a.meeting_id \
              WHERE a.member_id = m.id AND a.present = $1) AS last_meeting, \
             (SELECT MAX(p.paid_on) FROM dues_payments p WHERE p.member_id = m.id) AS last_paid, \
             (SELECT MIN(t.issued_on) FROM transfers t WHERE t.member_id = m.id AND t.state IN ('issued', 'expired')) \
              AS unreceived_letter_on, \
             (SELECT MAX(s.from_on) FROM memberships s WHERE s.member_id = m.id) AS joined_on \
             FROM members m WHERE {scope_sql} AND m.left_on IS NULL \
             AND m.branch_id IN (SELECT fc.descendant_id FROM org_closure fc WHERE fc.ancestor_id = ${}) \
             AND NOT EXISTS (SELECT 1 FROM lost_contact_cases c WHERE c.member_id = m.id \
                             AND c.state IN ('searching', 'lost', 'suspended')) \
             ORDER BY m.id",
            params.len()
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Activity>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Starts a campaign under `org_id` with the suspects found. Audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn lost_contact_campaign_create(
        &self,
        scope: Scope,
        org_id: i64,
        title: &str,
        started_on: NaiveDate,
        quiet_months: i64,
        suspects: &[Suspect],
        author: &Author,
    ) -> Result<i64> {
        let org = self.org_get(scope, org_id).await?;
        let at = now();
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO lost_contact_campaigns (root_org_id, org_id, title, started_on, quiet_months, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(org.root_org_id)
            .bind(org_id)
            .bind(title)
            .bind(started_on)
            .bind(quiet_months)
            .bind(&author.name)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            for s in suspects {
                sqlx::query(
                    "INSERT INTO lost_contact_cases (campaign_id, member_id, branch_id, why, last_activity, state, updated_at, \
                     root_org_id) SELECT $1, $2, $3, $4, $5, 'searching', $6, c.root_org_id FROM lost_contact_campaigns c \
                     WHERE c.id = $1",
                )
                .bind(id)
                .bind(s.member_id)
                .bind(s.branch_id)
                .bind(&s.why)
                .bind(s.last_activity)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            write_audit!(
                &mut *tx, org_id, author, "create", "lost_contact_campaign", Some(id),
                format!("开展失联党员排查：{title}（{} 名疑似失联或口袋党员）", suspects.len()),
                serde_json::json!({"title": [null, title], "quiet_months": [null, quiet_months]}).to_string()
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The campaigns the scope takes part in (started in it, or with cases in it), newest first,
    /// with the reader's cases counted.
    pub async fn lost_contact_campaigns(&self, scope: Scope) -> Result<Vec<Campaign>> {
        let mut params = Vec::new();
        let case_scope = scope.org_condition("c.branch_id", &mut params);
        let org_scope = scope.org_condition("g.org_id", &mut params);
        let sql = format!(
            "SELECT g.id, g.org_id, o.name AS org_name, g.title, g.started_on, g.quiet_months, g.created_by, \
             (SELECT COUNT(*) FROM lost_contact_cases c WHERE c.campaign_id = g.id AND {case_scope}) AS cases, \
             (SELECT COUNT(*) FROM lost_contact_cases c WHERE c.campaign_id = g.id AND {case_scope} \
              AND c.state IN ('searching', 'lost', 'suspended')) AS open_cases \
             FROM lost_contact_campaigns g JOIN orgs o ON o.id = g.org_id \
             WHERE {org_scope} OR EXISTS (SELECT 1 FROM lost_contact_cases c WHERE c.campaign_id = g.id AND {case_scope}) \
             ORDER BY g.started_on DESC, g.id DESC LIMIT 200"
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Campaign>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// One campaign the scope takes part in.
    pub async fn lost_contact_campaign(&self, scope: Scope, id: i64) -> Result<Campaign> {
        self.lost_contact_campaigns(scope)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// The cases of a campaign in the scope, open ones first.
    pub async fn lost_contact_cases(&self, scope: Scope, campaign_id: i64) -> Result<Vec<Case>> {
        let mut params = vec![Param::I64(campaign_id)];
        let sql = format!(
            "SELECT {CASE_COLUMNS} WHERE c.campaign_id = $1 AND {} \
             ORDER BY CASE c.state WHEN 'searching' THEN 0 WHEN 'lost' THEN 1 WHEN 'suspended' THEN 2 ELSE 3 END, o.name, m.name_pinyin",
            scope.org_condition("c.branch_id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Case>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// One case in the scope.
    pub async fn lost_contact_case(&self, scope: Scope, id: i64) -> Result<Case> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT {CASE_COLUMNS} WHERE c.id = $1 AND {}",
            scope.org_condition("c.branch_id", &mut params)
        );
        let row = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Case>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_optional(pool)
                .await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// The attempts on a case in the scope, oldest first.
    pub async fn lost_contact_attempts(&self, scope: Scope, case_id: i64) -> Result<Vec<Attempt>> {
        self.lost_contact_case(scope, case_id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, Attempt>(
                "SELECT id, case_id, on_date, method, reached, note, recorded_by, recorded_at \
                 FROM lost_contact_attempts WHERE case_id = $1 ORDER BY on_date, id",
            )
            .bind(case_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Appends an attempt to find the member of a case in the scope. Audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn lost_contact_attempt_add(
        &self,
        scope: Scope,
        case_id: i64,
        on: NaiveDate,
        method: &str,
        reached: bool,
        note: &str,
        author: &Author,
    ) -> Result<()> {
        let case = self.lost_contact_case(scope, case_id).await?;
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO lost_contact_attempts (case_id, on_date, method, reached, note, recorded_by, recorded_at, \
                 root_org_id) SELECT $1, $2, $3, $4, $5, $6, $7, c.root_org_id FROM lost_contact_cases c WHERE c.id = $1",
            )
            .bind(case_id)
            .bind(on)
            .bind(method)
            .bind(reached)
            .bind(note)
            .bind(&author.name)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            write_audit!(
                &mut *tx, case.branch_id, author, "create", "lost_contact_attempt", Some(case_id),
                format!("查找 {}（{on}）：{}", case.member_name, if reached { "已联系上" } else { "未联系上" }),
                serde_json::json!({"method": [null, method], "note": [null, note]}).to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records a decision on a case of the scope still at `version`, with what it does to the
    /// member, on one transaction. Audited.
    pub async fn lost_contact_decide(
        &self,
        scope: Scope,
        case_id: i64,
        version: i64,
        decision: &CaseDecision,
        author: &Author,
    ) -> Result<()> {
        let case = self.lost_contact_case(scope, case_id).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let updated = sqlx::query(
                "UPDATE lost_contact_cases SET state = $1, cause = COALESCE($2, cause), found_on = $3, lost_on = $4, \
                 suspended_on = $5, removed_on = $6, version = version + 1, updated_at = $7 \
                 WHERE id = $8 AND version = $9",
            )
            .bind(&decision.state)
            .bind(&decision.cause)
            .bind(decision.found_on)
            .bind(decision.lost_on)
            .bind(decision.suspended_on)
            .bind(decision.removed_on)
            .bind(now())
            .bind(case_id)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Conflict("该记录刚被他人更新，请刷新后重新记录".into()));
            }
            for effect in &decision.member_effects {
                crate::apply_member_effect!(tx, case.member_id, *effect, author);
            }
            write_audit!(
                &mut *tx, case.branch_id, author, "update", "lost_contact_case", Some(case_id),
                format!("{}：{}", case.member_name, decision.summary),
                serde_json::json!({"state": [case.state, decision.state]}).to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }
}
