//! Membership history: the spans in which each branch held a member (组织关系, DOMAIN.md §8).
//! `members.branch_id` is the branch of the open span; every write that moves a member changes
//! both in one transaction, through the rules of `domain::membership`.

use chrono::{DateTime, NaiveDate, Utc};
use domain::membership::{MembershipReason, Span};
use serde::Serialize;

use crate::{Db, Param, Result, Scope, StoreError, bind_params, on_db};

/// One span as the member's page lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MembershipRow {
    pub id: i64,
    pub member_id: i64,
    pub branch_id: i64,
    pub branch_name: String,
    pub from_on: NaiveDate,
    /// The first day the branch no longer held the member; `None` while it does.
    pub until_on: Option<NaiveDate>,
    /// `MembershipReason` code.
    pub reason: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// How a member moves when their branch changes: on which day and why. A correction rewrites
/// what was recorded from `on`; a transfer or reorganisation starts a new span on `on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BranchMove {
    pub on: NaiveDate,
    pub reason: MembershipReason,
}

/// A stored span with its row id, as a write transaction reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SpanRow {
    pub id: i64,
    pub branch_id: i64,
    pub from_on: NaiveDate,
    pub until_on: Option<NaiveDate>,
    pub reason: String,
}

impl SpanRow {
    pub fn span(&self) -> Span {
        Span {
            branch_id: self.branch_id,
            from: self.from_on,
            until: self.until_on,
            reason: MembershipReason::from_code(&self.reason)
                .unwrap_or(MembershipReason::Admission),
        }
    }
}

pub(crate) const SELECT_SPANS: &str = "SELECT id, branch_id, from_on, until_on, reason FROM memberships \
     WHERE member_id = $1 ORDER BY from_on, id";

pub(crate) const INSERT_SPAN: &str = "INSERT INTO memberships \
     (root_org_id, member_id, branch_id, from_on, until_on, reason, recorded_by, recorded_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// What to change so the stored spans become `new`: spans that are unchanged but for their end
/// are updated (they keep who recorded them), the rest of the old ones are deleted and the rest
/// of the new ones inserted.
pub(crate) struct SpanChanges {
    pub end_changes: Vec<(i64, Option<NaiveDate>)>,
    pub deletions: Vec<i64>,
    pub insertions: Vec<Span>,
}

pub(crate) fn span_changes(old: &[SpanRow], new: &[Span]) -> SpanChanges {
    let same_start = |o: &SpanRow, n: &Span| {
        o.branch_id == n.branch_id && o.from_on == n.from && o.span().reason == n.reason
    };
    let kept = old
        .iter()
        .zip(new)
        .take_while(|(o, n)| same_start(o, n))
        .count();
    SpanChanges {
        end_changes: old[..kept]
            .iter()
            .zip(&new[..kept])
            .filter(|(o, n)| o.until_on != n.until)
            .map(|(o, n)| (o.id, n.until))
            .collect(),
        deletions: old[kept..].iter().map(|o| o.id).collect(),
        insertions: new[kept..].to_vec(),
    }
}

/// The history as the audit log shows it, in words: "甲支部（2019-09-05 至 2026-10-14，入党编入）；
/// 乙支部（2026-10-15 起，组织关系转接）". Branch names are looked up by the caller, since the
/// log is read long after a branch may have been renamed or dissolved.
pub(crate) fn spans_text(spans: &[Span], names: &std::collections::HashMap<i64, String>) -> String {
    spans
        .iter()
        .map(|s| {
            let name = names
                .get(&s.branch_id)
                .cloned()
                .unwrap_or_else(|| "（已删除的党支部）".into());
            let when = match s.until.and_then(|u| u.pred_opt()) {
                Some(last) => format!("{} 至 {last}", s.from),
                None => format!("{} 起", s.from),
            };
            format!("{name}（{when}，{}）", s.reason.label())
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// The names of the branches in `spans`, read on an open transaction.
#[macro_export]
macro_rules! branch_names {
    ($tx:expr, $spans:expr) => {{
        let mut names = std::collections::HashMap::new();
        for span in $spans {
            if !names.contains_key(&span.branch_id) {
                let row: Option<(String,)> = sqlx::query_as("SELECT name FROM orgs WHERE id = $1")
                    .bind(span.branch_id)
                    .fetch_optional(&mut *$tx)
                    .await?;
                if let Some((name,)) = row {
                    names.insert(span.branch_id, name);
                }
            }
        }
        names
    }};
}

/// Applies [`span_changes`] on an open transaction.
#[macro_export]
macro_rules! save_spans {
    ($tx:expr, $root:expr, $member:expr, $old:expr, $new:expr, $author:expr) => {{
        let changes = $crate::memberships::span_changes($old, $new);
        for (id, until) in &changes.end_changes {
            sqlx::query("UPDATE memberships SET until_on = $2 WHERE id = $1")
                .bind(*id)
                .bind(*until)
                .execute(&mut *$tx)
                .await?;
        }
        for id in &changes.deletions {
            sqlx::query("DELETE FROM memberships WHERE id = $1")
                .bind(*id)
                .execute(&mut *$tx)
                .await?;
        }
        for span in &changes.insertions {
            sqlx::query($crate::memberships::INSERT_SPAN)
                .bind($root)
                .bind($member)
                .bind(span.branch_id)
                .bind(span.from)
                .bind(span.until)
                .bind(span.reason.code())
                .bind($author.name.clone())
                .bind($crate::now())
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

impl Db {
    /// The member's spans, oldest first, if the member is in the scope now.
    pub async fn member_history(&self, scope: Scope, member_id: i64) -> Result<Vec<MembershipRow>> {
        let mut params = vec![Param::I64(member_id)];
        let cond = scope.member_condition("m", &mut params);
        let sql = format!(
            "SELECT p.id, p.member_id, p.branch_id, o.name AS branch_name, p.from_on, p.until_on, p.reason, \
             p.recorded_by, p.recorded_at FROM memberships p \
             JOIN members m ON m.id = p.member_id JOIN orgs o ON o.id = p.branch_id \
             WHERE p.member_id = $1 AND {cond} ORDER BY p.from_on, p.id"
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, MembershipRow>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        if rows.is_empty() {
            // Either not in scope or (impossible once migrated) without history: both read as
            // "not found" to the caller.
            self.member_get(scope, member_id).await?;
        }
        Ok(rows)
    }
}

/// The domain's refusal of a move, in the store's terms.
pub(crate) fn history_error(e: domain::membership::HistoryError) -> StoreError {
    StoreError::Invalid(e.to_string())
}
