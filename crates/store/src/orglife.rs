//! Organisational life beyond the meeting record itself (DOMAIN.md §2): the rule sets admins edit,
//! approved exemptions, votes, attachments and members signing in on their own phone.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{
    Author, BeginWrite, Db, Meeting, Param, Result, Scope, StoreError, bind_params, now, on_db,
    write_audit,
};

/// One saved version of the rules for a branch kind (`*` for every kind without its own).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RuleSetVersion {
    pub id: i64,
    pub branch_kind: String,
    pub effective_year: i64,
    pub version: i64,
    /// JSON of `domain::orglife::Rule` values.
    pub rules: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ExemptionRow {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// `None` exempts every institution.
    pub institution: Option<String>,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    pub reason: String,
    pub approval: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewExemption {
    pub institution: Option<String>,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    pub reason: String,
    pub approval: String,
}

/// A vote as counted; `passed` is computed by the domain rules named in `rule_version`.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct MeetingVote {
    pub id: i64,
    pub meeting_id: i64,
    pub decision: String,
    pub subject: String,
    pub expected: i64,
    pub present: i64,
    pub yes: i64,
    pub against: i64,
    pub abstain: i64,
    pub written_yes: i64,
    pub passed: bool,
    pub rule_version: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewVote {
    pub decision: String,
    pub subject: String,
    pub expected: i64,
    pub present: i64,
    pub yes: i64,
    pub against: i64,
    pub abstain: i64,
    pub written_yes: i64,
    pub passed: bool,
    pub rule_version: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttachmentMeta {
    pub id: i64,
    pub meeting_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

/// A meeting a member may sign in to, with when they did.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SignInMeeting {
    #[sqlx(flatten)]
    pub meeting: Meeting,
    pub signed_in_at: Option<DateTime<Utc>>,
    /// As the recorder has it: `None` when the member is not on the list yet.
    pub present: Option<bool>,
    pub absence_reason: Option<String>,
}

const EXEMPTION_COLUMNS: &str = "e.id, e.org_id, o.name AS org_name, e.institution, e.from_date, e.to_date, e.reason, \
     e.approval, e.created_by, e.created_at";

const VOTE_COLUMNS: &str = "v.id, v.meeting_id, v.decision, v.subject, v.expected, v.present, v.yes, v.against, \
     v.abstain, v.written_yes, v.passed, v.rule_version, v.recorded_by, v.recorded_at";

impl Db {
    /// The top organisations with a tree of their own (one per district that shares the
    /// database, whether or not it is linked under a province): the sweeps run once for each.
    /// A provincial committee is not among them: it holds no members, and its figures are its
    /// districts' ([`Db::org_link_root`]).
    pub async fn org_root_ids(&self) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT id FROM orgs WHERE id = root_org_id AND kind <> 'provincial_committee' ORDER BY id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Every saved rule-set version of the instance, newest first.
    pub async fn rule_set_versions(&self, root_org_id: i64) -> Result<Vec<RuleSetVersion>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, RuleSetVersion>(
                "SELECT id, branch_kind, effective_year, version, rules, created_by, created_at FROM orglife_rule_sets \
                 WHERE root_org_id = $1 ORDER BY branch_kind, version DESC",
            )
            .bind(root_org_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Saves a new version of a branch kind's rules; earlier versions stay for old ledgers.
    /// Returns the version number.
    pub async fn rule_set_save(
        &self,
        root_org_id: i64,
        branch_kind: &str,
        effective_year: i32,
        rules_json: &str,
        author: &Author,
    ) -> Result<i64> {
        let version = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (version,): (i64,) = sqlx::query_as(
                "INSERT INTO orglife_rule_sets (root_org_id, branch_kind, effective_year, version, rules, created_by, created_at) \
                 SELECT $1, $2, $3, COALESCE(MAX(version), 0) + 1, $4, $5, $6 FROM orglife_rule_sets \
                 WHERE root_org_id = $1 AND branch_kind = $2 RETURNING version",
            )
            .bind(root_org_id)
            .bind(branch_kind)
            .bind(i64::from(effective_year))
            .bind(rules_json)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(
                &mut *tx, root_org_id, author, "update", "orglife_rules", Some(version),
                format!("组织生活规则（{branch_kind}）第 {version} 版，自 {effective_year} 年起执行"),
                serde_json::json!({"rules": [serde_json::Value::Null, rules_json]}).to_string()
            )?;
            tx.commit().await?;
            version
        });
        Ok(version)
    }

    /// Records an approved exemption for an org in the scope.
    pub async fn exemption_create(
        &self,
        scope: Scope,
        org_id: i64,
        new: &NewExemption,
        author: &Author,
    ) -> Result<i64> {
        let org = self.org_get(scope, org_id).await?;
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO orglife_exemptions (org_id, root_org_id, institution, from_date, to_date, reason, approval, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(org_id)
            .bind(org.root_org_id)
            .bind(&new.institution)
            .bind(new.from_date)
            .bind(new.to_date)
            .bind(&new.reason)
            .bind(&new.approval)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(
                &mut *tx, org_id, author, "create", "exemption", Some(id),
                format!("批准免于组织生活要求 {} 至 {}：{}", new.from_date, new.to_date, new.reason),
                crate::audit::created(new)
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Exemptions of `org_id` and the orgs below it, in the scope, by start date.
    pub async fn exemptions_under(&self, scope: Scope, org_id: i64) -> Result<Vec<ExemptionRow>> {
        let mut params = vec![Param::I64(org_id)];
        let sql = format!(
            "SELECT {EXEMPTION_COLUMNS} FROM orglife_exemptions e JOIN orgs o ON o.id = e.org_id \
             WHERE e.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) AND {} \
             ORDER BY e.from_date, e.id",
            scope.org_condition("e.org_id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, ExemptionRow>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Withdraws an exemption entered by mistake; the audit row keeps what it was.
    pub async fn exemption_delete(&self, scope: Scope, id: i64, author: &Author) -> Result<()> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT {EXEMPTION_COLUMNS} FROM orglife_exemptions e JOIN orgs o ON o.id = e.org_id WHERE e.id = $1 AND {}",
            scope.org_condition("e.org_id", &mut params)
        );
        on_db!(self, pool => {
            let old = bind_params!(sqlx::query_as::<_, ExemptionRow>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)?;
            let mut tx = pool.begin_write().await?;
            sqlx::query("DELETE FROM orglife_exemptions WHERE id = $1").bind(id).execute(&mut *tx).await?;
            write_audit!(
                &mut *tx, old.org_id, author, "delete", "exemption", Some(id),
                format!("撤销免于组织生活要求 {} 至 {}", old.from_date, old.to_date),
                serde_json::json!({"deleted": old}).to_string()
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds a counted vote to a meeting in the scope.
    pub async fn meeting_vote_add(
        &self,
        scope: Scope,
        meeting_id: i64,
        vote: &NewVote,
        author: &Author,
    ) -> Result<i64> {
        let (meeting, _) = self.meeting_get(scope, meeting_id).await?;
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO meeting_votes (meeting_id, decision, subject, expected, present, yes, against, abstain, written_yes, \
                 passed, rule_version, recorded_by, recorded_at, root_org_id) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                 mt.root_org_id FROM meetings mt WHERE mt.id = $1 RETURNING id",
            )
            .bind(meeting_id)
            .bind(&vote.decision)
            .bind(&vote.subject)
            .bind(vote.expected)
            .bind(vote.present)
            .bind(vote.yes)
            .bind(vote.against)
            .bind(vote.abstain)
            .bind(vote.written_yes)
            .bind(vote.passed)
            .bind(&vote.rule_version)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(
                &mut *tx, meeting.org_id, author, "create", "meeting_vote", Some(id),
                format!("表决「{}」：赞成 {} 票，{}", vote.subject, vote.yes, if vote.passed { "通过" } else { "未通过" }),
                crate::audit::created(vote)
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    pub async fn meeting_votes(&self, scope: Scope, meeting_id: i64) -> Result<Vec<MeetingVote>> {
        self.meeting_get(scope, meeting_id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, MeetingVote>(sqlx::AssertSqlSafe(format!(
                "SELECT {VOTE_COLUMNS} FROM meeting_votes v WHERE v.meeting_id = $1 ORDER BY v.id"
            )))
            .bind(meeting_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Stores a photo or scanned sign-in sheet with a meeting in the scope.
    pub async fn meeting_attachment_add(
        &self,
        scope: Scope,
        meeting_id: i64,
        file_name: &str,
        content_type: &str,
        content: &[u8],
        author: &Author,
    ) -> Result<i64> {
        let (meeting, _) = self.meeting_get(scope, meeting_id).await?;
        let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO meeting_attachments (meeting_id, file_name, content_type, size_bytes, content, uploaded_by, uploaded_at, root_org_id) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, mt.root_org_id FROM meetings mt WHERE mt.id = $1 RETURNING id",
            )
            .bind(meeting_id)
            .bind(file_name)
            .bind(content_type)
            .bind(size)
            .bind(content)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            write_audit!(
                &mut *tx, meeting.org_id, author, "create", "meeting_attachment", Some(id),
                format!("上传会议附件「{file_name}」（{} KB）", (size + 1023) / 1024),
                "{}"
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    pub async fn meeting_attachments(
        &self,
        scope: Scope,
        meeting_id: i64,
    ) -> Result<Vec<AttachmentMeta>> {
        self.meeting_get(scope, meeting_id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, AttachmentMeta>(
                "SELECT id, meeting_id, file_name, content_type, size_bytes, uploaded_by, uploaded_at FROM meeting_attachments \
                 WHERE meeting_id = $1 ORDER BY id",
            )
            .bind(meeting_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// An attachment with its bytes, if its meeting is in the scope.
    pub async fn meeting_attachment_get(
        &self,
        scope: Scope,
        id: i64,
    ) -> Result<(AttachmentMeta, Vec<u8>)> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT a.id, a.meeting_id, a.file_name, a.content_type, a.size_bytes, a.uploaded_by, a.uploaded_at \
             FROM meeting_attachments a JOIN meetings mt ON mt.id = a.meeting_id WHERE a.id = $1 AND {}",
            scope.org_condition("mt.org_id", &mut params)
        );
        let found = on_db!(self, pool => {
            let meta = bind_params!(sqlx::query_as::<_, AttachmentMeta>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_optional(pool)
                .await?;
            match meta {
                Some(meta) => {
                    let (content,): (Vec<u8>,) = sqlx::query_as("SELECT content FROM meeting_attachments WHERE id = $1")
                        .bind(id)
                        .fetch_one(pool)
                        .await?;
                    Some((meta, content))
                }
                None => None,
            }
        });
        found.ok_or(StoreError::NotFound)
    }

    /// Meetings held on `day` that a member may sign in to: their own branch's, and any other
    /// meeting that lists them as expected.
    pub async fn meetings_to_sign_in(
        &self,
        member_id: i64,
        day: NaiveDate,
    ) -> Result<Vec<SignInMeeting>> {
        let sql = format!(
            "SELECT {}, a.signed_in_at, a.present, a.absence_reason FROM meetings mt \
             JOIN members m ON m.id = $1 \
             LEFT JOIN meeting_attendance a ON a.meeting_id = mt.id AND a.member_id = m.id \
             WHERE mt.held_on = $2 AND (mt.org_id = m.branch_id OR a.member_id IS NOT NULL) ORDER BY mt.id",
            crate::meetings::MEETING_COLUMNS
        );
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, SignInMeeting>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(member_id)
                .bind(day)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// The meetings a member was expected at or attended between two days, newest first: those of
    /// the branch that held them on the day (DOMAIN.md §8) and any with an attendance line for
    /// them, with how they attended.
    pub async fn member_meetings(
        &self,
        member_id: i64,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<SignInMeeting>> {
        let sql = format!(
            "SELECT {}, a.signed_in_at, a.present, a.absence_reason FROM meetings mt \
             LEFT JOIN meeting_attendance a ON a.meeting_id = mt.id AND a.member_id = $1 \
             WHERE mt.held_on BETWEEN $2 AND $3 AND (a.member_id IS NOT NULL OR EXISTS ( \
               SELECT 1 FROM memberships s WHERE s.member_id = $1 AND s.branch_id = mt.org_id \
               AND s.from_on <= mt.held_on AND (s.until_on IS NULL OR s.until_on > mt.held_on))) \
             ORDER BY mt.held_on DESC, mt.id DESC",
            crate::meetings::MEETING_COLUMNS
        );
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, SignInMeeting>(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(member_id)
                .bind(from)
                .bind(until)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// A member signs in to a meeting held on `day` (their own phone, so the time is recorded).
    /// Refused for a meeting on another day or one the member is not expected at.
    pub async fn meeting_sign_in(
        &self,
        member_id: i64,
        meeting_id: i64,
        day: NaiveDate,
        author: &Author,
    ) -> Result<()> {
        let open = self.meetings_to_sign_in(member_id, day).await?;
        let Some(found) = open.iter().find(|m| m.meeting.id == meeting_id) else {
            return Err(StoreError::NotFound);
        };
        // Already there, by their own hand or the recorder's.
        if found.present == Some(true) {
            return Ok(());
        }
        let org_id = found.meeting.org_id;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO meeting_attendance (meeting_id, member_id, present, absence_reason, signed_in_at, root_org_id) \
                 SELECT $1, $2, $3, NULL, $4, mt.root_org_id FROM meetings mt WHERE mt.id = $1 \
                 ON CONFLICT (meeting_id, member_id) DO UPDATE SET present = $3, absence_reason = NULL, signed_in_at = $4",
            )
            .bind(meeting_id)
            .bind(member_id)
            .bind(true)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            write_audit!(
                &mut *tx, org_id, author, "update", "meeting", Some(meeting_id),
                "党员本人签到".to_string(),
                "{}"
            )?;
            tx.commit().await?;
        });
        Ok(())
    }
}
