//! 党员积分制 (DOMAIN.md §5): the schemes an org sets, versioned by year, and the append-only
//! ledger of points with the monthly register (一月一登记). The rules (caps, totals, grades) are
//! `domain::points`; this module keeps the facts.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::{
    Author, BeginWrite, Db, Param, Result, Scope, StoreError, bind_params, now, on_db, write_audit,
};

/// A saved version of a scheme: the org's rules for its members (or for one category of them)
/// from `from_year` on, until a later version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PointsSchemeRow {
    pub id: i64,
    pub org_id: i64,
    pub category: Option<String>,
    pub from_year: i64,
    pub preset: Option<String>,
    /// The scheme itself, as `domain::points::Scheme` serialises it.
    pub body: String,
    pub saved_by: String,
    pub saved_at: DateTime<Utc>,
}

/// An entry of the ledger, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PointsEntry {
    pub id: i64,
    pub member_id: i64,
    pub branch_id: i64,
    pub year: i64,
    pub on_date: NaiveDate,
    pub item_code: String,
    /// Hundredths of a point, signed: a deduction or a reversal is negative.
    pub points: i64,
    pub source: String,
    pub source_key: Option<String>,
    pub source_id: Option<i64>,
    pub reason: String,
    pub approver: Option<String>,
    pub reverses: Option<i64>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// An entry to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPointsEntry {
    pub member_id: i64,
    /// The branch the fact belongs to (a meeting's branch); `None` for the member's own branch.
    pub branch_id: Option<i64>,
    pub on_date: NaiveDate,
    pub item_code: String,
    pub points: i64,
    /// `meeting`, `dues`, `service` or `manual`.
    pub source: String,
    /// Set for an automatic entry: the fact it comes from, so that it is recorded once.
    pub source_key: Option<String>,
    /// The record the fact is part of (a meeting's id).
    pub source_id: Option<i64>,
    pub reason: String,
    pub approver: Option<String>,
    pub reverses: Option<i64>,
}

/// A month the branch confirmed (一月一登记).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PointsRegister {
    pub branch_id: i64,
    pub month: String,
    pub entries: i64,
    pub confirmed_by: String,
    pub confirmed_at: DateTime<Utc>,
}

const ENTRY_COLUMNS: &str = "e.id, e.member_id, e.branch_id, e.year, e.on_date, e.item_code, e.points, \
     e.source, e.source_key, e.source_id, e.reason, e.approver, e.reverses, e.recorded_by, e.recorded_at";

impl Db {
    /// Saves a version of an org's scheme, applying from `from_year`; a version for the same
    /// org, category and year replaces the earlier save of it. Audited.
    #[allow(clippy::too_many_arguments)]
    pub async fn points_scheme_save(
        &self,
        scope: Scope,
        org_id: i64,
        category: Option<&str>,
        from_year: i32,
        preset: Option<&str>,
        body: &str,
        summary: &str,
        author: &Author,
    ) -> Result<()> {
        let org = self.org_get(scope, org_id).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "DELETE FROM points_schemes WHERE org_id = $1 AND COALESCE(category, '') = COALESCE($2, '') AND from_year = $3",
            )
            .bind(org_id)
            .bind(category)
            .bind(i64::from(from_year))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO points_schemes (root_org_id, org_id, category, from_year, preset, body, saved_by, saved_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(org.root_org_id)
            .bind(org_id)
            .bind(category)
            .bind(i64::from(from_year))
            .bind(preset)
            .bind(body)
            .bind(&author.name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            write_audit!(&mut *tx, org_id, author, "update", "points_scheme", Some(org_id), summary, "{}")?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every scheme version saved by the org or by any org above it, nearest org first and
    /// latest year first within an org: whoever picks the scheme in force reads down the list.
    pub async fn points_schemes_over(
        &self,
        scope: Scope,
        org_id: i64,
    ) -> Result<Vec<PointsSchemeRow>> {
        self.org_get(scope, org_id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, PointsSchemeRow>(
                "SELECT s.id, s.org_id, s.category, s.from_year, s.preset, s.body, s.saved_by, s.saved_at \
                 FROM points_schemes s JOIN org_closure c ON c.ancestor_id = s.org_id \
                 WHERE c.descendant_id = $1 ORDER BY c.depth ASC, s.from_year DESC",
            )
            .bind(org_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Records an entry for a member of the scope, in the branch that holds them. An automatic
    /// entry whose fact was already recorded is not recorded again: `None`.
    pub async fn points_entry_add(
        &self,
        scope: Scope,
        entry: &NewPointsEntry,
        author: &Author,
    ) -> Result<Option<i64>> {
        let member = self.member_get(scope, entry.member_id).await?;
        let year = i64::from(chrono::Datelike::year(&entry.on_date));
        let summary = format!(
            "{}：{}{} 分（{}）",
            member.name,
            if entry.points >= 0 { "+" } else { "" },
            hundredths(entry.points),
            entry.reason
        );
        let result = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let inserted: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
                "INSERT INTO points_entries (root_org_id, member_id, branch_id, year, on_date, item_code, points, source, \
                 source_key, source_id, reason, approver, reverses, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            )
            .bind(member.root_org_id)
            .bind(member.id)
            .bind(entry.branch_id.unwrap_or(member.branch_id))
            .bind(year)
            .bind(entry.on_date)
            .bind(&entry.item_code)
            .bind(entry.points)
            .bind(&entry.source)
            .bind(&entry.source_key)
            .bind(entry.source_id)
            .bind(&entry.reason)
            .bind(&entry.approver)
            .bind(entry.reverses)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await;
            match inserted {
                Ok((id,)) => {
                    // Automatic entries are the sources' own consequences, already audited there.
                    if entry.source == "manual" {
                        let action = if entry.reverses.is_some() { "reverse" } else { "create" };
                        write_audit!(&mut *tx, member.branch_id, author, action, "points_entry", Some(id), summary, "{}")?;
                    }
                    tx.commit().await?;
                    Some(id)
                }
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() && entry.reverses.is_none() => None,
                Err(e) => return Err(StoreError::from(e)),
            }
        });
        Ok(result)
    }

    /// One entry of a member of the scope.
    pub async fn points_entry_get(&self, scope: Scope, id: i64) -> Result<PointsEntry> {
        let mut params = vec![Param::I64(id)];
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM points_entries e JOIN members m ON m.id = e.member_id \
             WHERE e.id = $1 AND {}",
            scope.member_condition("m", &mut params)
        );
        let row = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, PointsEntry>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_optional(pool).await?
        });
        row.ok_or(StoreError::NotFound)
    }

    /// A member's entries of a year, in the order they were recorded.
    pub async fn points_entries_of_member(
        &self,
        scope: Scope,
        member_id: i64,
        year: i32,
    ) -> Result<Vec<PointsEntry>> {
        self.member_get(scope, member_id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, PointsEntry>(sqlx::AssertSqlSafe(format!(
                "SELECT {ENTRY_COLUMNS} FROM points_entries e WHERE e.member_id = $1 AND e.year = $2 ORDER BY e.id"
            )))
            .bind(member_id)
            .bind(i64::from(year))
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// The entries recorded in a branch of the scope between two dates (inclusive), in the
    /// order they were recorded: the facts behind the branch's table for a period.
    pub async fn points_entries_of_branch(
        &self,
        scope: Scope,
        branch_id: i64,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<PointsEntry>> {
        self.org_get(scope, branch_id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, PointsEntry>(sqlx::AssertSqlSafe(format!(
                "SELECT {ENTRY_COLUMNS} FROM points_entries e WHERE e.branch_id = $1 AND e.year BETWEEN $2 AND $3 \
                 AND e.on_date >= $4 AND e.on_date <= $5 ORDER BY e.id"
            )))
            .bind(branch_id)
            .bind(i64::from(chrono::Datelike::year(&from)))
            .bind(i64::from(chrono::Datelike::year(&until)))
            .bind(from)
            .bind(until)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Confirms a branch's month (`YYYY-MM`) with the number of entries it then held; confirming
    /// again records the later count. Audited.
    pub async fn points_register_confirm(
        &self,
        scope: Scope,
        branch_id: i64,
        month: &str,
        entries: i64,
        author: &Author,
    ) -> Result<()> {
        let branch = self.org_get(scope, branch_id).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO points_registers (root_org_id, branch_id, month, entries, confirmed_by, confirmed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (branch_id, month) DO UPDATE SET \
                 entries = excluded.entries, confirmed_by = excluded.confirmed_by, confirmed_at = excluded.confirmed_at",
            )
            .bind(branch.root_org_id)
            .bind(branch_id)
            .bind(month)
            .bind(entries)
            .bind(&author.name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            write_audit!(&mut *tx, branch_id, author, "confirm", "points_register", Some(branch_id),
                format!("{} 积分登记确认（{entries} 条）", month), "{}")?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The months a branch of the scope confirmed in a year.
    pub async fn points_registers(
        &self,
        scope: Scope,
        branch_id: i64,
        year: i32,
    ) -> Result<Vec<PointsRegister>> {
        self.org_get(scope, branch_id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, PointsRegister>(
                "SELECT branch_id, month, entries, confirmed_by, confirmed_at FROM points_registers \
                 WHERE branch_id = $1 AND month LIKE $2 ORDER BY month",
            )
            .bind(branch_id)
            .bind(format!("{year}-%"))
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}

/// Hundredths as the audit log shows them ("3", "-2.5").
fn hundredths(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let (whole, part) = (v.unsigned_abs() / 100, v.unsigned_abs() % 100);
    match part {
        0 => format!("{sign}{whole}"),
        p if p % 10 == 0 => format!("{sign}{whole}.{}", p / 10),
        p => format!("{sign}{whole}.{p:02}"),
    }
}

/// A member on a branch's points table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PointsMember {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub birth_date: NaiveDate,
}

impl Db {
    /// The members a branch of the scope scores for a year: those it holds now, and those who
    /// left it during the year but have entries there, since their points are the branch's past.
    pub async fn points_members_of_branch(
        &self,
        scope: Scope,
        branch_id: i64,
        year: i32,
    ) -> Result<Vec<PointsMember>> {
        self.org_get(scope, branch_id).await?;
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, PointsMember>(
                "SELECT m.id, m.name, m.category, m.birth_date FROM members m \
                 WHERE (m.branch_id = $1 AND m.left_on IS NULL) \
                 OR m.id IN (SELECT e.member_id FROM points_entries e WHERE e.branch_id = $1 AND e.year = $2) \
                 ORDER BY m.name_pinyin, m.id",
            )
            .bind(branch_id)
            .bind(i64::from(year))
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}

impl Db {
    /// Every automatic entry a source record gave (`meeting`, its id), reversals included: what
    /// the source already recorded, for it to reconcile against its facts.
    pub async fn points_entries_from_source(
        &self,
        source: &str,
        source_id: i64,
    ) -> Result<Vec<PointsEntry>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, PointsEntry>(sqlx::AssertSqlSafe(format!(
                "SELECT {ENTRY_COLUMNS} FROM points_entries e WHERE e.source = $1 AND e.source_id = $2 ORDER BY e.id"
            )))
            .bind(source)
            .bind(source_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}

/// What a generated district's facts score, for [`Db::points_seed_from_facts`].
#[derive(Debug, Clone, Copy)]
pub struct SeedPoints {
    pub meeting_attended: i64,
    pub dues_on_time: i64,
    pub dues_late: i64,
}

impl Db {
    /// Gives every attendance and dues payment of the tree under `root` already on record the
    /// entry it would have got
    /// when it was recorded, in one statement per source: for a generated demo, whose facts
    /// are written in bulk rather than through the use cases. History entered from before the
    /// system (历史补录) scores nothing, as in the use case. Returns the entries written.
    pub async fn points_seed_from_facts(
        &self,
        root: i64,
        points: SeedPoints,
        author: &str,
    ) -> Result<u64> {
        let (year_of_meeting, year_of_payment, day_text, month_of_payment) = match self {
            Db::Sqlite(_) => (
                "CAST(substr(mt.held_on, 1, 4) AS INTEGER)",
                "CAST(substr(p.paid_on, 1, 4) AS INTEGER)",
                "mt.held_on",
                "substr(p.paid_on, 1, 7)",
            ),
            Db::Postgres(_) => (
                "EXTRACT(YEAR FROM mt.held_on)::bigint",
                "EXTRACT(YEAR FROM p.paid_on)::bigint",
                "to_char(mt.held_on, 'YYYY-MM-DD')",
                "to_char(p.paid_on, 'YYYY-MM')",
            ),
        };
        let institution_label = {
            let arms: Vec<String> = domain::orglife::Institution::ALL
                .iter()
                .map(|i| format!("WHEN '{}' THEN '{}'", i.code(), i.label()))
                .collect();
            format!("CASE mt.institution {} ELSE '组织生活' END", arms.join(" "))
        };
        let meetings = format!(
            "INSERT INTO points_entries (root_org_id, member_id, branch_id, year, on_date, item_code, points, source, \
             source_key, source_id, reason, approver, reverses, recorded_by, recorded_at) \
             SELECT m.root_org_id, a.member_id, mt.org_id, {year_of_meeting}, mt.held_on, 'meeting_attended', CAST($1 AS BIGINT), 'meeting', \
             'meeting:' || mt.id || ':0', mt.id, '出席' || {institution_label} || '（' || {day_text} || '）', NULL, NULL, $2, $3 \
             FROM meeting_attendance a JOIN meetings mt ON mt.id = a.meeting_id JOIN members m ON m.id = a.member_id \
             WHERE a.present AND mt.root_org_id = $4"
        );
        let dues = format!(
            "INSERT INTO points_entries (root_org_id, member_id, branch_id, year, on_date, item_code, points, source, \
             source_key, source_id, reason, approver, reverses, recorded_by, recorded_at) \
             SELECT p.root_org_id, p.member_id, p.branch_id, {year_of_payment}, p.paid_on, \
             CASE WHEN {month_of_payment} <= p.month THEN 'dues_on_time' ELSE 'dues_late' END, \
             CASE WHEN {month_of_payment} <= p.month THEN CAST($1 AS BIGINT) ELSE CAST($2 AS BIGINT) END, 'dues', 'dues:' || p.month, NULL, \
             CASE WHEN {month_of_payment} <= p.month THEN '按时交纳 ' || p.month || ' 党费' ELSE p.month || ' 党费补交' END, \
             NULL, NULL, $3, $4 FROM dues_payments p WHERE p.method <> 'history' AND p.root_org_id = $5"
        );
        let written = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let a = sqlx::query(sqlx::AssertSqlSafe(meetings.as_str()))
                .bind(points.meeting_attended)
                .bind(author)
                .bind(now())
                .bind(root)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let b = sqlx::query(sqlx::AssertSqlSafe(dues.as_str()))
                .bind(points.dues_on_time)
                .bind(points.dues_late)
                .bind(author)
                .bind(now())
                .bind(root)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            a + b
        });
        Ok(written)
    }
}

impl Db {
    /// Every member on a roll in the tree under `root`, as (branch, member), by branch: what a
    /// generated demo's last appraisal grades.
    pub async fn points_members_by_branch(&self, root: i64) -> Result<Vec<(i64, i64)>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT branch_id, id FROM members WHERE root_org_id = $1 AND left_on IS NULL ORDER BY branch_id, id",
            )
            .bind(root)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}
