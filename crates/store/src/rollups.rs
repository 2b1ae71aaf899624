//! The roll-up tables: figures per org node and period (`domain::rollups`), moved by every write
//! in the write's own transaction, read by dashboards and reports at the cost of the rows they
//! show, and rebuilt or verified from the raw rows by `dangjian rollups`.
//!
//! A write reads what the records it changes contributed before and after it, and adds the
//! difference to the contribution's org and every ancestor through `org_closure`. Member and
//! dues figures are taken as of the month in `rollup_meta` (not the wall clock), so that a write
//! on the 1st, before the sweep has taken the new month, still moves the figures it added.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::dues::Fen;
use domain::dues_ledger::{FixingRule, Month};
use domain::membership::Span;
use domain::rollups::{BaseFact, Contribution, MemberFacts, RollupContext, Totals};

use crate::memberships::SpanRow;
use crate::{BeginWrite, Db, Param, Result, bind_params, now, on_db};

/// How many (period, metric) pairs of one org go into one statement.
pub(crate) const APPLY_CHUNK: usize = 300;

/// When the figures of a tree were taken.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RollupMeta {
    pub root_org_id: i64,
    pub month: String,
    pub fixing: String,
    pub orglife_day: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl RollupMeta {
    /// The context writes compute contributions in: the meta's month (any day of it gives the
    /// same member and dues figures) and fixing rule.
    pub fn context(&self) -> RollupContext {
        RollupContext {
            today: Month::parse(&self.month)
                .map(Month::first_day)
                .unwrap_or_else(crate::today),
            fixing: FixingRule::from_code(&self.fixing).unwrap_or_default(),
        }
    }
}

/// One stored figure.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct RollupRow {
    pub org_id: i64,
    pub period: String,
    pub metric: String,
    pub value: i64,
}

/// Reads the context of a tree's figures on an open transaction; a tree whose figures were
/// never taken (a fresh database before its first sweep) uses this month and the default rule.
#[macro_export]
macro_rules! rollup_context {
    ($tx:expr, $root:expr) => {{
        let meta: Option<$crate::rollups::RollupMeta> = sqlx::query_as(
            "SELECT root_org_id, month, fixing, orglife_day, updated_at FROM rollup_meta WHERE root_org_id = $1",
        )
        .bind($root)
        .fetch_optional(&mut *$tx)
        .await?;
        meta.map(|m| m.context()).unwrap_or_else(|| domain::rollups::RollupContext {
            today: $crate::today(),
            fixing: Default::default(),
        })
    }};
}

/// Adds contributions to their orgs and every ancestor, on an open transaction. A write that
/// touches a few orgs lets the statement join the closure table; one that touches many (an
/// import into every branch) sums up the tree here first, so that each figure of a shared
/// ancestor is written once instead of once per branch below it (a 100,000-row import into
/// 1,514 branches: 900,000 upserts down to 250,000).
#[macro_export]
macro_rules! apply_rollups {
    ($tx:expr, $root:expr, $contributions:expr) => {{
        let leaves = $crate::rollups::by_leaf($contributions);
        $crate::apply_rollup_leaves!($tx, $root, leaves)
    }};
}

/// [`apply_rollups!`] from contributions already summed per org by [`by_leaf`]: an import
/// sums them on another thread while its rows are written.
#[macro_export]
macro_rules! apply_rollup_leaves {
    ($tx:expr, $root:expr, $leaves:expr) => {{
        let leaves: Vec<(i64, $crate::rollups::OrgFigures)> = $leaves;
        if leaves.len() > $crate::rollups::SUM_HERE_FROM_LEAVES {
            let mut ancestors: std::collections::HashMap<i64, Vec<i64>> =
                std::collections::HashMap::new();
            let ids: Vec<i64> = leaves.iter().map(|(leaf, _)| *leaf).collect();
            for chunk in ids.chunks($crate::rollups::APPLY_CHUNK) {
                let sql = $crate::rollups::closure_sql(chunk.len());
                let mut query = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql.as_str()));
                for id in chunk {
                    query = query.bind(*id);
                }
                for (descendant, ancestor) in query.fetch_all(&mut *$tx).await? {
                    ancestors.entry(descendant).or_default().push(ancestor);
                }
            }
            let mut totals = domain::rollups::Totals::new();
            $crate::rollups::sum_up_tree(
                leaves.into_iter().flat_map(|(org_id, entries)| {
                    entries.into_iter().map(move |(period, metric, value)| {
                        domain::rollups::Contribution {
                            org_id,
                            period,
                            metric,
                            value,
                        }
                    })
                }),
                &ancestors,
                &mut totals,
            );
            let rows: Vec<_> = totals.into_iter().filter(|(_, v)| *v != 0).collect();
            for chunk in rows.chunks($crate::rollups::APPLY_CHUNK) {
                let sql = $crate::rollups::upsert_sql(chunk.len());
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind($root);
                for ((org, period, metric), value) in chunk {
                    query = query
                        .bind(*org)
                        .bind(period.clone())
                        .bind(metric.clone())
                        .bind(*value);
                }
                query.execute(&mut *$tx).await?;
            }
        } else {
            for (leaf, entries) in leaves {
                for chunk in entries.chunks($crate::rollups::APPLY_CHUNK) {
                    let sql = $crate::rollups::apply_sql(chunk.len());
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                        .bind($root)
                        .bind(leaf);
                    for (period, metric, value) in chunk {
                        query = query.bind(period.clone()).bind(metric.clone()).bind(*value);
                    }
                    query.execute(&mut *$tx).await?;
                }
            }
        }
    }};
}

/// Above this many orgs written directly, [`apply_rollups!`] sums up the tree itself.
pub const SUM_HERE_FROM_LEAVES: usize = 16;

/// The ancestors (the org itself included) of `n` orgs.
pub fn closure_sql(n: usize) -> String {
    let ids: Vec<String> = (1..=n).map(|i| format!("${i}")).collect();
    format!(
        "SELECT descendant_id, ancestor_id FROM org_closure WHERE descendant_id IN ({})",
        ids.join(", ")
    )
}

/// One statement adding `n` figures, each naming its org, to what is stored.
pub fn upsert_sql(n: usize) -> String {
    let values: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "($1, ${}, ${}, ${}, ${})",
                2 + i * 4,
                3 + i * 4,
                4 + i * 4,
                5 + i * 4
            )
        })
        .collect();
    format!(
        "INSERT INTO rollups (root_org_id, org_id, period, metric, value) VALUES {} \
         ON CONFLICT (root_org_id, org_id, period, metric) DO UPDATE SET value = rollups.value + excluded.value",
        values.join(", ")
    )
}

/// One org's figures to move: (period, metric, by how much).
pub type OrgFigures = Vec<(String, String, i64)>;

/// Contributions summed per org, then per (period, metric), zeros dropped.
pub fn by_leaf(contributions: &[Contribution]) -> Vec<(i64, OrgFigures)> {
    let mut totals = Totals::new();
    domain::rollups::add_into(&mut totals, contributions, 1);
    let mut leaves: HashMap<i64, OrgFigures> = HashMap::new();
    for ((org, period, metric), value) in totals {
        if value != 0 {
            leaves.entry(org).or_default().push((period, metric, value));
        }
    }
    let mut out: Vec<_> = leaves.into_iter().collect();
    out.sort_by_key(|(org, _)| *org);
    for (_, entries) in &mut out {
        entries.sort();
    }
    out
}

/// One statement adding `n` figures of one org to it and its ancestors. PostgreSQL and SQLite
/// both name a VALUES list's columns column1, column2, …; `WHERE true` keeps SQLite from reading
/// the upsert's `ON CONFLICT` as part of the join.
pub fn apply_sql(n: usize) -> String {
    let values: Vec<String> = (0..n)
        .map(|i| format!("(${}, ${}, ${})", 3 + i * 3, 4 + i * 3, 5 + i * 3))
        .collect();
    format!(
        "INSERT INTO rollups (root_org_id, org_id, period, metric, value) \
         SELECT $1, c.ancestor_id, v.column1, v.column2, v.column3 \
         FROM (VALUES {}) AS v JOIN org_closure c ON c.descendant_id = $2 WHERE true \
         ON CONFLICT (root_org_id, org_id, period, metric) DO UPDATE SET value = rollups.value + excluded.value",
        values.join(", ")
    )
}

/// A dues base row as the figures read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct BaseRow {
    pub member_id: i64,
    pub effective_month: String,
    pub monthly_fen: i64,
    pub assessed_from: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct FactsRow {
    pub id: i64,
    pub root_org_id: i64,
    pub branch_id: i64,
    pub gender: String,
    pub category: String,
    pub status: String,
    pub birth_date: NaiveDate,
    pub admitted_on: NaiveDate,
    pub full_on: Option<NaiveDate>,
    pub lost_contact: bool,
    pub pocket: bool,
    pub education: Option<String>,
    pub left_on: Option<NaiveDate>,
}

pub(crate) const FACTS_COLUMNS: &str = "m.id, m.root_org_id, m.branch_id, m.gender, m.category, \
     m.status, m.birth_date, m.admitted_on, m.full_on, m.lost_contact, m.pocket, m.education, m.left_on";

/// Puts one member's rows together into the facts the figures read.
pub(crate) fn member_facts(
    row: &FactsRow,
    spans: Vec<Span>,
    bases: &[BaseRow],
    paid: &[(i64, String, i64)],
    waivers: &[(i64, String, String)],
) -> MemberFacts {
    MemberFacts {
        branch_id: row.branch_id,
        gender: row.gender.clone(),
        category: row.category.clone(),
        status: row.status.clone(),
        birth_date: row.birth_date,
        admitted_on: row.admitted_on,
        full_on: row.full_on,
        lost_contact: row.lost_contact,
        pocket: row.pocket,
        left: row.left_on.is_some(),
        education: row.education.clone(),
        spans,
        bases: bases
            .iter()
            .filter(|b| b.member_id == row.id)
            .filter_map(|b| {
                let effective = Month::parse(&b.effective_month)?;
                Some(BaseFact {
                    effective,
                    monthly: Fen(b.monthly_fen),
                    assessed_from: b
                        .assessed_from
                        .as_deref()
                        .and_then(Month::parse)
                        .unwrap_or(effective),
                })
            })
            .collect(),
        paid: paid
            .iter()
            .filter(|p| p.0 == row.id)
            .filter_map(|(_, m, fen)| Some((Month::parse(m)?, Fen(*fen))))
            .collect(),
        waivers: waivers
            .iter()
            .filter(|w| w.0 == row.id)
            .filter_map(|(_, from, to)| Some((Month::parse(from)?, Month::parse(to)?)))
            .collect(),
    }
}

/// One member's facts read on an open transaction, with their root org; `None` for a member
/// that does not exist.
#[macro_export]
macro_rules! load_member_facts {
    ($tx:expr, $member:expr) => {{
        let row: Option<$crate::rollups::FactsRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM members m WHERE m.id = $1",
            $crate::rollups::FACTS_COLUMNS
        )))
        .bind($member)
        .fetch_optional(&mut *$tx)
        .await?;
        match row {
            None => None,
            Some(row) => {
                let spans: Vec<domain::membership::Span> =
                    sqlx::query_as::<_, $crate::memberships::SpanRow>($crate::memberships::SELECT_SPANS)
                        .bind($member)
                        .fetch_all(&mut *$tx)
                        .await?
                        .iter()
                        .map($crate::memberships::SpanRow::span)
                        .collect();
                let bases: Vec<$crate::rollups::BaseRow> = sqlx::query_as(
                    "SELECT member_id, effective_month, monthly_fen, assessed_from FROM dues_bases WHERE member_id = $1",
                )
                .bind($member)
                .fetch_all(&mut *$tx)
                .await?;
                let paid: Vec<(i64, String, i64)> = sqlx::query_as(
                    "SELECT member_id, month, amount_fen FROM dues_payments WHERE member_id = $1",
                )
                .bind($member)
                .fetch_all(&mut *$tx)
                .await?;
                let waivers: Vec<(i64, String, String)> = sqlx::query_as(
                    "SELECT member_id, from_month, to_month FROM dues_waivers WHERE member_id = $1",
                )
                .bind($member)
                .fetch_all(&mut *$tx)
                .await?;
                Some((
                    row.root_org_id,
                    $crate::rollups::member_facts(&row, spans, &bases, &paid, &waivers),
                ))
            }
        }
    }};
}

/// Moves the figures by what a write changed about one member: `before` is what the member
/// contributed before the write (read with [`load_member_facts!`] before it), and the member is
/// read again now, on the same transaction.
#[macro_export]
macro_rules! member_rollups_moved {
    ($tx:expr, $member:expr, $before:expr) => {{
        let after = $crate::load_member_facts!($tx, $member);
        let root = after
            .as_ref()
            .map(|(r, _)| *r)
            .or($before.as_ref().map(|(r, _)| *r));
        if let Some(root) = root {
            let ctx = $crate::rollup_context!($tx, root);
            let old = $before
                .as_ref()
                .map(|(_, f)| domain::rollups::member_contributions(f, &ctx))
                .unwrap_or_default();
            let new = after
                .as_ref()
                .map(|(_, f)| domain::rollups::member_contributions(f, &ctx))
                .unwrap_or_default();
            let moved = domain::rollups::difference(&old, &new);
            $crate::apply_rollups!($tx, root, &moved);
        }
    }};
}

impl Db {
    /// When the figures of the tree under `root` were taken, if ever.
    pub async fn rollup_meta(&self, root: i64) -> Result<Option<RollupMeta>> {
        let meta = on_db!(self, pool => {
            sqlx::query_as::<_, RollupMeta>(
                "SELECT root_org_id, month, fixing, orglife_day, updated_at FROM rollup_meta WHERE root_org_id = $1",
            )
            .bind(root)
            .fetch_optional(pool)
            .await?
        });
        Ok(meta)
    }

    /// The figures of some orgs for some periods (a dashboard's, a report's). The caller has
    /// checked that the orgs are in the actor's scope.
    pub async fn rollup_read(
        &self,
        root: i64,
        org_ids: &[i64],
        periods: &[String],
    ) -> Result<Vec<RollupRow>> {
        self.rollup_read_metrics(root, org_ids, periods, &[]).await
    }

    /// [`Db::rollup_read`] limited to some metrics (all when `metrics` is empty): a list of
    /// subordinate orgs needs a few figures of each, not the hundreds a dashboard draws.
    pub async fn rollup_read_metrics(
        &self,
        root: i64,
        org_ids: &[i64],
        periods: &[String],
        metrics: &[&str],
    ) -> Result<Vec<RollupRow>> {
        if org_ids.is_empty() || periods.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = vec![Param::I64(root)];
        let orgs: Vec<String> = org_ids
            .iter()
            .map(|o| {
                params.push(Param::I64(*o));
                format!("${}", params.len())
            })
            .collect();
        let periods: Vec<String> = periods
            .iter()
            .map(|p| {
                params.push(Param::Text(p.clone()));
                format!("${}", params.len())
            })
            .collect();
        let metric_condition = if metrics.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = metrics
                .iter()
                .map(|m| {
                    params.push(Param::Text(m.to_string()));
                    format!("${}", params.len())
                })
                .collect();
            format!(" AND metric IN ({})", list.join(", "))
        };
        let sql = format!(
            "SELECT org_id, period, metric, value FROM rollups WHERE root_org_id = $1 \
             AND org_id IN ({}) AND period IN ({}){metric_condition}",
            orgs.join(", "),
            periods.join(", ")
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, RollupRow>(sqlx::AssertSqlSafe(sql.as_str())), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// The first `limit` branches by name at or below `org_id` whose figure `metric` for
    /// `period` is above zero (the branches red this year, say); how many there are is the
    /// org's own figure. The caller has checked that `org_id` is in the actor's scope.
    pub async fn rollup_branches_with(
        &self,
        root: i64,
        org_id: i64,
        period: &str,
        metric: &str,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT o.id, o.name FROM rollups r JOIN orgs o ON o.id = r.org_id \
                 JOIN org_closure c ON c.descendant_id = r.org_id AND c.ancestor_id = $2 \
                 WHERE r.root_org_id = $1 AND r.period = $3 AND r.metric = $4 AND r.value > 0 \
                 AND o.kind = 'branch' ORDER BY o.name, o.id LIMIT $5",
            )
            .bind(root).bind(org_id).bind(period).bind(metric).bind(limit)
            .fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// Every stored figure of a tree (verification).
    pub async fn rollup_all(&self, root: i64) -> Result<Totals> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, RollupRow>(
                "SELECT org_id, period, metric, value FROM rollups WHERE root_org_id = $1",
            )
            .bind(root)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| ((r.org_id, r.period, r.metric), r.value))
            .collect())
    }

    /// Replaces a tree's figures whose metric starts with one of `families` (all of them when
    /// empty) with `totals` (already summed up the tree), and records the context they were
    /// taken in, in one transaction: readers see the old figures or the new ones, never a mix.
    pub async fn rollup_replace(
        &self,
        root: i64,
        families: &[&str],
        totals: &Totals,
        meta: &RollupMeta,
    ) -> Result<()> {
        let mut params = vec![Param::I64(root)];
        let filter = if families.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> = families
                .iter()
                .map(|f| {
                    params.push(Param::Text(format!("{f}%")));
                    format!("metric LIKE ${}", params.len())
                })
                .collect();
            format!(" AND ({})", parts.join(" OR "))
        };
        let delete = format!("DELETE FROM rollups WHERE root_org_id = $1{filter}");
        let rows: Vec<(&(i64, String, String), &i64)> =
            totals.iter().filter(|(_, v)| **v != 0).collect();
        let per_statement = (self.max_params_per_statement() / 5).max(1);
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            bind_params!(sqlx::query(sqlx::AssertSqlSafe(delete.as_str())), &params).execute(&mut *tx).await?;
            for chunk in rows.chunks(per_statement) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| format!("(${}, ${}, ${}, ${}, ${})", i * 5 + 1, i * 5 + 2, i * 5 + 3, i * 5 + 4, i * 5 + 5))
                    .collect();
                let sql = format!(
                    "INSERT INTO rollups (root_org_id, org_id, period, metric, value) VALUES {}",
                    values.join(", ")
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
                for ((org, period, metric), value) in chunk {
                    query = query.bind(root).bind(*org).bind(period.clone()).bind(metric.clone()).bind(**value);
                }
                query.execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO rollup_meta (root_org_id, month, fixing, orglife_day, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (root_org_id) DO UPDATE SET month = excluded.month, fixing = excluded.fixing, \
                 orglife_day = excluded.orglife_day, updated_at = excluded.updated_at",
            )
            .bind(root)
            .bind(&meta.month)
            .bind(&meta.fixing)
            .bind(&meta.orglife_day)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Moves a tree's figures by `contributions` (already differences), in one transaction:
    /// for figures a caller computed outside a write (a branch's ledger refreshed after a
    /// meeting was recorded).
    pub async fn rollup_apply(&self, root: i64, contributions: &[Contribution]) -> Result<()> {
        if contributions.is_empty() {
            return Ok(());
        }
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            apply_rollups!(tx, root, contributions);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Replaces what some branches contribute to the figures whose metric starts with `family`,
    /// in one transaction: the branches' own rows (a branch has no descendant that contributes
    /// to them) are what they contributed so far, and the difference goes up the tree.
    pub async fn rollup_refresh_branches(
        &self,
        root: i64,
        family: &str,
        branches: &[(i64, Vec<Contribution>)],
    ) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for (branch, new) in branches {
                let old: Vec<RollupRow> = sqlx::query_as(
                    "SELECT org_id, period, metric, value FROM rollups WHERE root_org_id = $1 AND org_id = $2 AND metric LIKE $3",
                )
                .bind(root)
                .bind(*branch)
                .bind(format!("{family}%"))
                .fetch_all(&mut *tx)
                .await?;
                let old: Vec<Contribution> = old
                    .into_iter()
                    .map(|r| Contribution { org_id: r.org_id, period: r.period, metric: r.metric, value: r.value })
                    .collect();
                let moved = domain::rollups::difference(&old, new);
                apply_rollups!(tx, root, &moved);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Records the day the ledger lights were refreshed for.
    pub async fn rollup_mark_orglife(&self, root: i64, day: NaiveDate) -> Result<()> {
        on_db!(self, pool => {
            sqlx::query("UPDATE rollup_meta SET orglife_day = $2, updated_at = $3 WHERE root_org_id = $1")
                .bind(root)
                .bind(day.to_string())
                .bind(now())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Members with ids above `after`, up to `limit`, with everything the figures read: the
    /// rebuild and the verification walk a tree's members in such pages.
    pub async fn member_facts_page(
        &self,
        root: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, MemberFacts)>> {
        let rows: Vec<FactsRow> = on_db!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {FACTS_COLUMNS} FROM members m WHERE m.root_org_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3"
            )))
            .bind(root)
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(Vec::new());
        };
        let (lo, hi) = (first.id, last.id);
        let (spans, bases, paid, waivers) = on_db!(self, pool => {
            let spans: Vec<(i64, i64, NaiveDate, Option<NaiveDate>, String)> = sqlx::query_as(
                "SELECT member_id, branch_id, from_on, until_on, reason FROM memberships \
                 WHERE member_id BETWEEN $1 AND $2 ORDER BY member_id, from_on, id",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(pool)
            .await?;
            let bases: Vec<BaseRow> = sqlx::query_as(
                "SELECT member_id, effective_month, monthly_fen, assessed_from FROM dues_bases WHERE member_id BETWEEN $1 AND $2",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(pool)
            .await?;
            let paid: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT member_id, month, amount_fen FROM dues_payments WHERE member_id BETWEEN $1 AND $2",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(pool)
            .await?;
            let waivers: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT member_id, from_month, to_month FROM dues_waivers WHERE member_id BETWEEN $1 AND $2",
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(pool)
            .await?;
            (spans, bases, paid, waivers)
        });
        let mut spans_of: HashMap<i64, Vec<Span>> = HashMap::new();
        for (member, branch_id, from_on, until_on, reason) in spans {
            let row = SpanRow {
                id: 0,
                branch_id,
                from_on,
                until_on,
                reason,
            };
            spans_of.entry(member).or_default().push(row.span());
        }
        Ok(rows
            .iter()
            .map(|row| {
                let spans = spans_of.remove(&row.id).unwrap_or_default();
                (row.id, member_facts(row, spans, &bases, &paid, &waivers))
            })
            .collect())
    }

    /// Every org's ancestors, itself included, in a tree: a rebuild sums figures up the tree in
    /// memory.
    pub async fn org_ancestors(&self, root: i64) -> Result<HashMap<i64, Vec<i64>>> {
        let rows: Vec<(i64, i64)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT c.descendant_id, c.ancestor_id FROM org_closure c JOIN orgs o ON o.id = c.descendant_id \
                 WHERE o.root_org_id = $1",
            )
            .bind(root)
            .fetch_all(pool)
            .await?
        });
        let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
        for (descendant, ancestor) in rows {
            out.entry(descendant).or_default().push(ancestor);
        }
        Ok(out)
    }
}

/// Sums contributions up the tree: each one is added to its org and every ancestor.
pub fn sum_up_tree(
    contributions: impl IntoIterator<Item = Contribution>,
    ancestors: &HashMap<i64, Vec<i64>>,
    totals: &mut Totals,
) {
    for c in contributions {
        match ancestors.get(&c.org_id) {
            Some(up) => {
                for org in up {
                    *totals
                        .entry((*org, c.period.clone(), c.metric.clone()))
                        .or_insert(0) += c.value;
                }
            }
            None => {
                *totals.entry((c.org_id, c.period, c.metric)).or_insert(0) += c.value;
            }
        }
    }
}
