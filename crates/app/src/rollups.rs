//! Keeping the roll-ups (DESIGN.md, "Time, history and roll-ups"): taking a tree's figures
//! afresh (`dangjian rollups rebuild`, and the sweep on the first run of a month), checking them
//! against a recount of the raw rows (`dangjian rollups verify`), and refreshing the ledger
//! lights of the branches a change touched. The figures themselves are defined once, in
//! `domain::rollups`; member, dues and call writes move them in their own transactions.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::members::today;
use crate::{App, AppError, Result};
use domain::calls::{Case, SlaPolicy};
use domain::dues_ledger::Month;
use domain::rollups::{
    Contribution, RollupContext, Totals, call_contributions, ledger_contributions,
    member_contributions,
};
use domain::workcal::WorkCalendar;
use store::rollups::sum_up_tree;
use store::{RollupMeta, Scope};

/// Members and calls read per page when a tree's figures are taken afresh.
const PAGE: i64 = 20_000;

/// The metric families, by prefix: what a partial refresh replaces.
const ORGLIFE: &str = "orglife.";

/// One figure that differs between the tables and a recount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub org_id: i64,
    pub org_name: String,
    pub period: String,
    pub metric: String,
    pub stored: i64,
    pub recounted: i64,
}

/// What a rebuild did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RebuildReport {
    pub members: usize,
    pub calls: usize,
    /// Registrations, needs, claims and wishes of 一呼百应.
    pub service: usize,
    pub branches: usize,
    pub figures: usize,
}

/// What one call adds to the figures, as the call page's own figures count it.
pub fn call_figures(
    org_id: i64,
    case: &Case,
    sla: &SlaPolicy,
    calendar: &WorkCalendar,
) -> Vec<Contribution> {
    let figures = domain::calls::figures(std::iter::once((case, sla)), calendar);
    call_contributions(org_id, Month::of(case.submitted_at.date()), &figures)
}

/// The years whose ledgers the figures hold: this year and last (a twelve-month trend reaches
/// back into last year).
pub(crate) fn ledger_years(day: NaiveDate) -> [i32; 2] {
    [day.year() - 1, day.year()]
}

impl App {
    /// The context of fresh figures: this month, the instance's dues fixing rule.
    pub fn rollup_context_now(&self) -> RollupContext {
        RollupContext {
            today: today(),
            fixing: self.dues_settings().fixing,
        }
    }

    /// Every figure of the tree under `root`, recounted from the raw rows as of `ctx` (members,
    /// dues, calls) and `ledger_day` (the ledger lights), summed up the tree.
    async fn recount(
        &self,
        root: i64,
        ctx: &RollupContext,
        ledger_day: NaiveDate,
        report: &mut RebuildReport,
    ) -> Result<Totals> {
        let ancestors = self.db.org_ancestors(root).await?;
        let mut totals = Totals::new();
        let mut after = 0;
        loop {
            let page = self.db.member_facts_page(root, after, PAGE).await?;
            let Some((last, _)) = page.last() else { break };
            after = *last;
            report.members += page.len();
            sum_up_tree(
                page.iter().flat_map(|(_, f)| member_contributions(f, ctx)),
                &ancestors,
                &mut totals,
            );
        }
        report.calls += self.recount_calls(root, &ancestors, &mut totals).await?;
        let service = self
            .db
            .service_facts(root, &self.reporting_context(root, ctx.today).await?)
            .await?;
        report.service += service.rows;
        sum_up_tree(service.contributions, &ancestors, &mut totals);
        for (_, contributions) in self.ledger_figures(root, None, ledger_day).await? {
            report.branches += 1;
            sum_up_tree(contributions, &ancestors, &mut totals);
        }
        totals.retain(|_, v| *v != 0);
        Ok(totals)
    }

    /// Adds every call's figures of the tree into `totals`; returns how many calls there were.
    async fn recount_calls(
        &self,
        root: i64,
        ancestors: &HashMap<i64, Vec<i64>>,
        totals: &mut Totals,
    ) -> Result<usize> {
        let calendar = self.work_calendar(root).await?;
        let mut after = 0;
        let mut calls = 0;
        loop {
            let page = self.db.call_states_page(root, after, PAGE).await?;
            let Some((last, ..)) = page.last() else { break };
            after = *last;
            calls += page.len();
            for (_, org_id, state, sla) in &page {
                let (Ok(case), Ok(sla)) = (
                    serde_json::from_str::<Case>(state),
                    serde_json::from_str::<SlaPolicy>(sla),
                ) else {
                    continue;
                };
                sum_up_tree(
                    call_figures(*org_id, &case, &sla, &calendar),
                    ancestors,
                    totals,
                );
            }
        }
        Ok(calls)
    }

    /// The trees whose roll-ups hold the figures of `org`: its own, or for a provincial
    /// committee each district linked under it ([`store::Db::org_link_root`]), since a
    /// district's figures are summed into the province under the district's own root.
    pub(crate) async fn figure_roots(&self, org: &store::Org) -> Result<Vec<i64>> {
        if org.kind != domain::OrgKind::ProvincialCommittee.code() {
            return Ok(vec![org.root_org_id]);
        }
        // The province's own tree holds no figures, only its districts' do.
        Ok(self
            .db
            .roots_within(Scope::Subtree(org.id))
            .await?
            .into_iter()
            .filter(|root| *root != org.id)
            .collect())
    }

    /// The figures of some orgs read from each of `roots` and added up, so that a province's
    /// figure is the sum of its districts'. This is the only read of the figures that spans
    /// top organisations; on Citus it is one single-shard read per district, not one
    /// statement over all shards.
    pub(crate) async fn figures_read(
        &self,
        roots: &[i64],
        org_ids: &[i64],
        periods: &[String],
        metrics: &[&str],
    ) -> Result<Vec<store::RollupRow>> {
        if let [root] = roots {
            return Ok(self
                .db
                .rollup_read_metrics(*root, org_ids, periods, metrics)
                .await?);
        }
        let mut sums: BTreeMap<(i64, String, String), i64> = BTreeMap::new();
        for root in roots {
            for row in self
                .db
                .rollup_read_metrics(*root, org_ids, periods, metrics)
                .await?
            {
                *sums
                    .entry((row.org_id, row.period, row.metric))
                    .or_default() += row.value;
            }
        }
        Ok(sums
            .into_iter()
            .map(|((org_id, period, metric), value)| store::RollupRow {
                org_id,
                period,
                metric,
                value,
            })
            .collect())
    }

    /// Takes the call figures of a tree afresh: the work calendar they are counted on changed.
    pub async fn rollups_refresh_calls(&self, root: i64) -> Result<()> {
        let Some(meta) = self.db.rollup_meta(root).await? else {
            return Ok(());
        };
        let ancestors = self.db.org_ancestors(root).await?;
        let mut totals = Totals::new();
        self.recount_calls(root, &ancestors, &mut totals).await?;
        totals.retain(|_, v| *v != 0);
        self.db
            .rollup_replace(root, &["calls."], &totals, &meta)
            .await?;
        Ok(())
    }

    /// What the ledgers of the branches of `root` (or only `branches`) add to the figures, for
    /// this year and last, as of `day`. Branches are listed whether or not they owe anything.
    async fn ledger_figures(
        &self,
        root: i64,
        branches: Option<&[i64]>,
        day: NaiveDate,
    ) -> Result<Vec<(i64, Vec<Contribution>)>> {
        let scope = Scope::Subtree(root);
        // The whole tree in one pass, or each named branch on its own: a meeting saved in one
        // branch must not recompute a district's ledgers.
        let tops = match branches {
            None => vec![self.db.org_get(scope, root).await?],
            Some(ids) => {
                let mut orgs = Vec::with_capacity(ids.len());
                for id in ids {
                    orgs.push(self.db.org_get(scope, *id).await?);
                }
                orgs
            }
        };
        let mut per_branch: BTreeMap<i64, Vec<Contribution>> = BTreeMap::new();
        for top in &tops {
            for year in ledger_years(day) {
                let cells = self.branch_cells(scope, top, year, day).await?;
                for branch in &cells.branches {
                    let branch_cells = cells
                        .cells_of
                        .get(&branch.id)
                        .map(Vec::as_slice)
                        .unwrap_or(&[]);
                    per_branch
                        .entry(branch.id)
                        .or_default()
                        .extend(ledger_contributions(
                            branch.id,
                            year,
                            branch_cells,
                            Month::of(day),
                        ));
                }
            }
        }
        Ok(per_branch.into_iter().collect())
    }

    /// Takes every figure of the tree under `root` afresh, as of now, and records when.
    pub async fn rollups_rebuild(&self, root: i64) -> Result<RebuildReport> {
        let ctx = self.rollup_context_now();
        let day = today();
        let mut report = RebuildReport::default();
        let totals = self.recount(root, &ctx, day, &mut report).await?;
        report.figures = totals.len();
        let meta = RollupMeta {
            root_org_id: root,
            month: ctx.this_month().to_string(),
            fixing: ctx.fixing.code().to_string(),
            orglife_day: Some(day.to_string()),
            updated_at: store::now(),
        };
        self.db.rollup_replace(root, &[], &totals, &meta).await?;
        Ok(report)
    }

    /// Recounts the tree's figures as of when they were taken and lists every figure that
    /// differs from the tables (none, when the writes kept them right).
    pub async fn rollups_verify(&self, root: i64) -> Result<Vec<Difference>> {
        let meta = self.db.rollup_meta(root).await?.ok_or_else(|| {
            AppError::Invalid("统计数据尚未生成，请先运行 dangjian rollups rebuild".into())
        })?;
        let ctx = meta.context();
        let day = meta
            .orglife_day
            .as_deref()
            .and_then(|d| d.parse::<NaiveDate>().ok())
            .unwrap_or(ctx.today);
        let recounted = self
            .recount(root, &ctx, day, &mut RebuildReport::default())
            .await?;
        let mut stored = self.db.rollup_all(root).await?;
        stored.retain(|_, v| *v != 0);
        let mut keys: Vec<&(i64, String, String)> = recounted.keys().chain(stored.keys()).collect();
        keys.sort();
        keys.dedup();
        let names: HashMap<i64, String> = self.db.org_names(root).await?.into_iter().collect();
        Ok(keys
            .into_iter()
            .filter_map(|key| {
                let (s, r) = (
                    stored.get(key).copied().unwrap_or(0),
                    recounted.get(key).copied().unwrap_or(0),
                );
                (s != r).then(|| Difference {
                    org_id: key.0,
                    org_name: names.get(&key.0).cloned().unwrap_or_default(),
                    period: key.1.clone(),
                    metric: key.2.clone(),
                    stored: s,
                    recounted: r,
                })
            })
            .collect())
    }

    /// Refreshes the ledger lights of some branches after a change that touched them (a meeting,
    /// an exemption, a member who counts towards the 支委会 threshold), as of the day the
    /// tree's ledger figures were taken for.
    pub async fn rollups_refresh_branches(&self, root: i64, branches: &[i64]) -> Result<()> {
        let Some(meta) = self.db.rollup_meta(root).await? else {
            return Ok(());
        };
        let day = meta
            .orglife_day
            .as_deref()
            .and_then(|d| d.parse::<NaiveDate>().ok())
            .unwrap_or_else(today);
        let figures = self.ledger_figures(root, Some(branches), day).await?;
        self.db
            .rollup_refresh_branches(root, ORGLIFE, &figures)
            .await?;
        Ok(())
    }

    /// Refreshes the ledger lights of the branches of an org's tree after a change that may touch
    /// any of them (a rule set, a calendar year), or only `branches` when the change names them.
    pub async fn rollups_after_change(&self, org_id: i64, branches: Option<&[i64]>) -> Result<()> {
        let root = self
            .db
            .org_get(Scope::Subtree(org_id), org_id)
            .await?
            .root_org_id;
        match branches {
            Some(b) if b.len() <= 200 => self.rollups_refresh_branches(root, b).await,
            _ => {
                let Some(meta) = self.db.rollup_meta(root).await? else {
                    return Ok(());
                };
                let day = meta
                    .orglife_day
                    .as_deref()
                    .and_then(|d| d.parse::<NaiveDate>().ok())
                    .unwrap_or_else(today);
                let ancestors = self.db.org_ancestors(root).await?;
                let mut totals = Totals::new();
                for (_, contributions) in self.ledger_figures(root, None, day).await? {
                    sum_up_tree(contributions, &ancestors, &mut totals);
                }
                totals.retain(|_, v| *v != 0);
                self.db
                    .rollup_replace(root, &[ORGLIFE], &totals, &meta)
                    .await?;
                Ok(())
            }
        }
    }

    /// The 正式党员 figures (`m.formal`) of some branches for every month the figures keep, as
    /// they stand now: what the 支委会 requirement of their ledgers turns on (DOMAIN.md §4).
    pub(crate) async fn formal_figures(
        &self,
        root: i64,
        branches: &[i64],
    ) -> Result<HashMap<(i64, String), i64>> {
        let periods: Vec<String> = self
            .rollup_context_now()
            .months()
            .iter()
            .map(ToString::to_string)
            .collect();
        let mut figures = HashMap::new();
        // Within SQLite's bound on a statement's parameters, with the periods beside them.
        for chunk in branches.chunks(900 - periods.len()) {
            for row in self
                .db
                .rollup_read_metrics(root, chunk, &periods, &["m.formal"])
                .await?
            {
                figures.insert((row.org_id, row.period), row.value);
            }
        }
        Ok(figures)
    }

    /// Of the branches an import added members to, those whose ledgers it can have changed:
    /// adding members changes a branch's requirements only where its 正式党员 count crossed
    /// the 支委会 threshold in some month (DOMAIN.md §4). The months ahead in this year count as
    /// this month does, since members are never added with dates to come.
    pub(crate) fn crossed_committee_threshold(
        branches: &[i64],
        before: &HashMap<(i64, String), i64>,
        after: &HashMap<(i64, String), i64>,
    ) -> Vec<i64> {
        let threshold = i64::from(domain::orglife::COMMITTEE_MIN_FORMAL_MEMBERS);
        let side = |figures: &HashMap<(i64, String), i64>, key: &(i64, String)| {
            figures.get(key).copied().unwrap_or(0) >= threshold
        };
        let changed: std::collections::HashSet<i64> = before
            .keys()
            .chain(after.keys())
            .filter(|key| side(before, key) != side(after, key))
            .map(|(org, _)| *org)
            .collect();
        branches
            .iter()
            .copied()
            .filter(|b| changed.contains(b))
            .collect()
    }

    /// After a write that changed what some branches owe or held (a meeting, an exemption, a
    /// member counted towards the 支委会 threshold, a 党小组 set up or dissolved), refreshes their
    /// ledger lights; `None` for a change that may touch every branch (a rule set). The write
    /// itself has been saved whatever happens here: a failure is logged, and the next sweep's
    /// refresh, or `dangjian rollups rebuild`, puts the figures right.
    pub(crate) async fn ledgers_touched(&self, org_id: i64, branches: Option<&[i64]>) {
        if let Err(e) = self.rollups_after_change(org_id, branches).await {
            tracing::warn!(org_id, error = %e, "ledger figures not refreshed after a change");
        }
    }

    /// What the sweep does for the figures: takes them afresh on the first run of a month (or
    /// when the fixing rule changed, or they were never taken), and refreshes the ledger lights
    /// once a day, since a period that ends turns its open cells into missed ones.
    pub async fn rollups_keep(&self, root: i64) -> Result<Option<RebuildReport>> {
        let ctx = self.rollup_context_now();
        let meta = self.db.rollup_meta(root).await?;
        let stale = meta.as_ref().is_none_or(|m| {
            m.month != ctx.this_month().to_string() || m.fixing != ctx.fixing.code()
        });
        if stale {
            return self.rollups_rebuild(root).await.map(Some);
        }
        let day = today();
        if meta.and_then(|m| m.orglife_day) != Some(day.to_string()) {
            let mut totals = Totals::new();
            let ancestors = self.db.org_ancestors(root).await?;
            for (_, contributions) in self.ledger_figures(root, None, day).await? {
                sum_up_tree(contributions, &ancestors, &mut totals);
            }
            totals.retain(|_, v| *v != 0);
            let meta = RollupMeta {
                root_org_id: root,
                month: ctx.this_month().to_string(),
                fixing: ctx.fixing.code().to_string(),
                orglife_day: Some(day.to_string()),
                updated_at: store::now(),
            };
            self.db
                .rollup_replace(root, &[ORGLIFE], &totals, &meta)
                .await?;
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_branches_whose_formal_count_crossed_the_committee_threshold_are_refreshed() {
        let figures = |rows: &[(i64, &str, i64)]| -> HashMap<(i64, String), i64> {
            rows.iter()
                .map(|(o, p, v)| ((*o, p.to_string()), *v))
                .collect()
        };
        let before = figures(&[
            (1, "2026-10", 6),
            (1, "2026-11", 6),
            (2, "2026-11", 7),
            (3, "2026-11", 2),
        ]);
        let after = figures(&[
            (1, "2026-10", 6),
            (1, "2026-11", 7),
            (2, "2026-11", 30),
            (3, "2026-11", 4),
            (4, "2026-11", 9),
        ]);
        // 1 crossed in November; 2 was already over; 3 stayed under; 4 had no figures before.
        assert_eq!(
            App::crossed_committee_threshold(&[1, 2, 3, 4, 5], &before, &after),
            vec![1, 4]
        );
        assert!(App::crossed_committee_threshold(&[1, 2], &before, &before).is_empty());
    }
}
