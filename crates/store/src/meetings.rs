//! Meeting records (三会一课, 主题党日 …, DOMAIN.md §2) with attendance. An amended record keeps
//! its earlier versions in `meeting_revisions`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{
    Author, BeginWrite, Db, Param, Result, Scope, StoreError, bind_params, now, on_db, write_audit,
};

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Meeting {
    pub id: i64,
    pub org_id: i64,
    pub institution: String,
    pub held_on: NaiveDate,
    pub place: String,
    pub chair: String,
    pub recorder: String,
    pub agenda: String,
    pub minutes: String,
    pub resolutions: String,
    pub revision: i64,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// What a person records about a meeting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeetingFields {
    pub institution: String,
    pub held_on: NaiveDate,
    pub place: String,
    pub chair: String,
    pub recorder: String,
    pub agenda: String,
    pub minutes: String,
    pub resolutions: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttendanceEntry {
    pub member_id: i64,
    pub present: bool,
    pub absence_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Attendance {
    pub member_id: i64,
    pub name: String,
    pub present: bool,
    pub absence_reason: Option<String>,
    /// When the member signed in on their own phone; `None` when the recorder ticked them.
    pub signed_in_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MeetingRevision {
    pub revision: i64,
    pub snapshot: String,
    pub replaced_by: String,
    pub replaced_at: DateTime<Utc>,
}

/// Writes a meeting's attendance rows on an open transaction (used by both create and amend).
/// `$signed_in` gives the sign-in time a member recorded themselves, kept while they stay present.
macro_rules! insert_attendance {
    ($exec:expr, $meeting:expr, $attendance:expr, $signed_in:expr) => {
        for entry in $attendance {
            let signed_in_at: Option<DateTime<Utc>> = if entry.present { $signed_in(entry.member_id) } else { None };
            sqlx::query("INSERT INTO meeting_attendance (meeting_id, member_id, present, absence_reason, signed_in_at, root_org_id) \
                          SELECT $1, $2, $3, $4, $5, mt.root_org_id FROM meetings mt WHERE mt.id = $1")
                .bind($meeting)
                .bind(entry.member_id)
                .bind(entry.present)
                .bind(&entry.absence_reason)
                .bind(signed_in_at)
                .execute($exec)
                .await?;
        }
    };
}

pub(crate) const MEETING_COLUMNS: &str = "mt.id, mt.org_id, mt.institution, mt.held_on, mt.place, mt.chair, mt.recorder, \
     mt.agenda, mt.minutes, mt.resolutions, mt.revision, mt.recorded_by, mt.recorded_at";

impl Db {
    /// Every attendee must belong to the meeting's org (or a branch below it).
    async fn check_attendees(&self, org_id: i64, attendance: &[AttendanceEntry]) -> Result<()> {
        for entry in attendance {
            let (n,): (i64,) = on_db!(self, pool => {
                sqlx::query_as(
                    "SELECT COUNT(*) FROM members m JOIN org_closure c ON c.descendant_id = m.branch_id \
                     WHERE m.id = $1 AND c.ancestor_id = $2",
                )
                .bind(entry.member_id)
                .bind(org_id)
                .fetch_one(pool)
                .await?
            });
            if n != 1 {
                return Err(StoreError::Invalid(format!(
                    "党员（编号 {}）不属于本组织",
                    entry.member_id
                )));
            }
        }
        Ok(())
    }

    /// Records a meeting of an org in the scope with its attendance.
    pub async fn meeting_create(
        &self,
        scope: Scope,
        org_id: i64,
        fields: &MeetingFields,
        attendance: &[AttendanceEntry],
        author: &Author,
    ) -> Result<i64> {
        let org = self.org_get(scope, org_id).await?;
        self.check_attendees(org_id, attendance).await?;
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO meetings (org_id, root_org_id, institution, held_on, place, chair, recorder, agenda, minutes, \
                 resolutions, revision, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $12) \
                 RETURNING id",
            )
            .bind(org_id)
            .bind(org.root_org_id)
            .bind(&fields.institution)
            .bind(fields.held_on)
            .bind(&fields.place)
            .bind(&fields.chair)
            .bind(&fields.recorder)
            .bind(&fields.agenda)
            .bind(&fields.minutes)
            .bind(&fields.resolutions)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            insert_attendance!(&mut *tx, id, attendance, |_| None);
            let present = attendance.iter().filter(|a| a.present).count();
            write_audit!(
                &mut *tx, org_id, author, "create", "meeting", Some(id),
                format!("记录{} {}（应到 {} 人，实到 {} 人）", fields.institution, fields.held_on, attendance.len(), present),
                crate::audit::created(fields)
            )?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// A meeting of an org in the scope, with its attendance.
    pub async fn meeting_get(&self, scope: Scope, id: i64) -> Result<(Meeting, Vec<Attendance>)> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT {MEETING_COLUMNS} FROM meetings mt WHERE mt.id = $1 AND {}",
            scope.org_condition("mt.org_id", &mut params)
        );
        let found = on_db!(self, pool => {
            let meeting = bind_params!(sqlx::query_as::<_, Meeting>(sqlx::AssertSqlSafe(sql.as_str())), &params)
                .fetch_optional(pool)
                .await?;
            match meeting {
                Some(meeting) => {
                    let attendance = sqlx::query_as::<_, Attendance>(
                        "SELECT a.member_id, m.name, a.present, a.absence_reason, a.signed_in_at FROM meeting_attendance a \
                         JOIN members m ON m.id = a.member_id WHERE a.meeting_id = $1 ORDER BY m.name_pinyin",
                    )
                    .bind(id)
                    .fetch_all(pool)
                    .await?;
                    Some((meeting, attendance))
                }
                None => None,
            }
        });
        found.ok_or(StoreError::NotFound)
    }

    /// Amends a meeting record; the version it replaces is kept.
    pub async fn meeting_update(
        &self,
        scope: Scope,
        id: i64,
        fields: &MeetingFields,
        attendance: &[AttendanceEntry],
        author: &Author,
    ) -> Result<()> {
        let (old, old_attendance) = self.meeting_get(scope, id).await?;
        self.check_attendees(old.org_id, attendance).await?;
        let snapshot =
            serde_json::json!({"meeting": old, "attendance": old_attendance}).to_string();
        let old_fields = MeetingFields {
            institution: old.institution.clone(),
            held_on: old.held_on,
            place: old.place.clone(),
            chair: old.chair.clone(),
            recorder: old.recorder.clone(),
            agenda: old.agenda.clone(),
            minutes: old.minutes.clone(),
            resolutions: old.resolutions.clone(),
        };
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO meeting_revisions (meeting_id, revision, snapshot, replaced_by, replaced_at, root_org_id) \
                          SELECT $1, $2, $3, $4, $5, mt.root_org_id FROM meetings mt WHERE mt.id = $1")
                .bind(id)
                .bind(old.revision)
                .bind(&snapshot)
                .bind(&author.name)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE meetings SET institution = $2, held_on = $3, place = $4, chair = $5, recorder = $6, agenda = $7, \
                 minutes = $8, resolutions = $9, revision = revision + 1 WHERE id = $1",
            )
            .bind(id)
            .bind(&fields.institution)
            .bind(fields.held_on)
            .bind(&fields.place)
            .bind(&fields.chair)
            .bind(&fields.recorder)
            .bind(&fields.agenda)
            .bind(&fields.minutes)
            .bind(&fields.resolutions)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM meeting_attendance WHERE meeting_id = $1").bind(id).execute(&mut *tx).await?;
            let signed_in = |member: i64| {
                old_attendance.iter().find(|a| a.member_id == member).and_then(|a| a.signed_in_at)
            };
            insert_attendance!(&mut *tx, id, attendance, signed_in);
            write_audit!(
                &mut *tx, old.org_id, author, "update", "meeting", Some(id),
                format!("修改会议记录（第 {} 版）", old.revision + 1),
                crate::audit::diff(&old_fields, fields)
            )?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The versions a meeting record replaced, newest first.
    pub async fn meeting_revisions(&self, scope: Scope, id: i64) -> Result<Vec<MeetingRevision>> {
        self.meeting_get(scope, id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, MeetingRevision>(
                "SELECT revision, snapshot, replaced_by, replaced_at FROM meeting_revisions WHERE meeting_id = $1 ORDER BY revision DESC",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Meetings of `org_id` and the orgs below it held between two dates, in the scope.
    pub async fn meetings_between(
        &self,
        scope: Scope,
        org_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Meeting>> {
        let mut params = vec![Param::I64(org_id), Param::Date(from), Param::Date(to)];
        let sql = format!(
            "SELECT {MEETING_COLUMNS} FROM meetings mt \
             WHERE mt.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) \
             AND mt.held_on >= $2 AND mt.held_on <= $3 AND {} ORDER BY mt.held_on, mt.id",
            scope.org_condition("mt.org_id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Meeting>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// What the ledger needs of each meeting between two dates, at or below `org_id` in the
    /// scope: (org, institution code, date). The full rows carry minutes and agendas that a
    /// district's roll-up would decode for nothing (measured: half of its time on 36,000
    /// meetings).
    pub async fn meeting_facts_between(
        &self,
        scope: Scope,
        org_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(i64, String, NaiveDate)>> {
        let mut params = vec![Param::I64(org_id), Param::Date(from), Param::Date(to)];
        let sql = format!(
            "SELECT mt.org_id, mt.institution, mt.held_on FROM meetings mt \
             WHERE mt.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) \
             AND mt.held_on >= $2 AND mt.held_on <= $3 AND {}",
            scope.org_condition("mt.org_id", &mut params)
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, (i64, String, NaiveDate)>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }
}
