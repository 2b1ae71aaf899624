//! Weekly and monthly reports: the dashboard's figures of one org frozen on the day they were
//! taken, with what changed since the report before, kept in an archive (domain::reports for
//! the periods and the comparison, store::reports for the archive). The sweep makes the last
//! finished week's and month's reports for every committee (district, street, community) once;
//! an officer makes one on demand for the current or the last finished period.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::dashboard::Overview;
use crate::{Actor, App, AppError, Result};
use domain::dues_ledger::Month;
use domain::reports::{Headline, ReportKind, ReportPeriod, changes};
use domain::{OrgKind, Role};
use store::{NewReport, ReportEntry, StoredReport};

/// Who the archive names as the maker of a report the sweep made.
pub const SWEEP_MAKER: &str = "系统定时生成";

/// What is frozen in the archive: the figures, and the comparison made when they were taken.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Frozen {
    rule_version: String,
    overview: Overview,
    headline: Headline,
    changes: Vec<String>,
    previous_period: Option<String>,
}

/// A report as pages, the workbook and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// `weekly` or `monthly`.
    pub kind: String,
    pub kind_label: String,
    /// `2026-W48` or `2026-11`.
    pub period: String,
    pub period_label: String,
    pub period_start: String,
    pub period_end: String,
    /// The day the figures were taken.
    pub as_of: String,
    /// False while the period was not over when the figures were taken; such a report is
    /// replaced when the period's report is made again.
    pub is_final: bool,
    pub made_by: String,
    pub created_at: DateTime<Utc>,
    /// What changed since the previous report of the same org and kind, one phrase each.
    pub changes: Vec<String>,
    /// The period of that previous report, if there was one.
    pub previous_period: Option<String>,
    pub figures: Overview,
}

/// A line of the archive.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportListEntry {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub kind: String,
    pub kind_label: String,
    pub period: String,
    pub period_label: String,
    pub as_of: String,
    pub is_final: bool,
    pub made_by: String,
}

fn kind_of(code: &str) -> Result<ReportKind> {
    ReportKind::from_code(code)
        .ok_or_else(|| AppError::Invalid(format!("报告类型「{code}」无效，应为周报或月报")))
}

fn period_of(entry: &ReportEntry) -> Option<ReportPeriod> {
    ReportPeriod::parse(ReportKind::from_code(&entry.kind)?, &entry.period)
}

fn list_entry(entry: ReportEntry) -> ReportListEntry {
    let kind = ReportKind::from_code(&entry.kind);
    ReportListEntry {
        kind_label: kind.map_or("", |k| k.label()).to_string(),
        period_label: period_of(&entry).map_or_else(|| entry.period.clone(), |p| p.label()),
        is_final: store::reports::is_final(&entry),
        id: entry.id,
        org_id: entry.org_id,
        org_name: entry.org_name,
        kind: entry.kind,
        period: entry.period,
        as_of: entry.as_of,
        made_by: entry.made_by,
    }
}

/// A report whose archived figures no longer read is a fault of the server, not of the request:
/// it surfaces as an internal error with a reference in the log.
fn unfreeze(stored: &StoredReport) -> Result<Frozen> {
    serde_json::from_str(&stored.figures).map_err(|e| {
        AppError::Store(store::StoreError::Invalid(format!(
            "报告 {} 的存档数据无法读取：{e}",
            stored.entry.id
        )))
    })
}

fn thaw(stored: StoredReport) -> Result<Report> {
    let frozen = unfreeze(&stored)?;
    let item = list_entry(stored.entry.clone());
    let entry = stored.entry;
    Ok(Report {
        id: entry.id,
        org_id: entry.org_id,
        org_name: entry.org_name,
        kind: entry.kind,
        kind_label: item.kind_label,
        period: entry.period,
        period_label: item.period_label,
        period_start: entry.period_start,
        period_end: entry.period_end,
        as_of: entry.as_of,
        is_final: item.is_final,
        made_by: entry.made_by,
        created_at: entry.created_at,
        changes: frozen.changes,
        previous_period: frozen.previous_period,
        figures: frozen.overview,
    })
}

/// The figures a report compares with the one before it.
pub fn headline(o: &Overview) -> Headline {
    let probationary = o
        .members
        .by_status
        .iter()
        .find(|p| p.code == "probationary")
        .map_or(0, |p| p.value);
    Headline {
        members: o.members.total,
        probationary,
        lost_contact: o.members.lost_contact,
        orglife_rate_permille: o.orglife.rate_permille,
        red_branches: o.orglife.red,
        dues_rate_permille: o.dues.this_month.rate_permille,
        arrears_fen: o.dues.arrears_fen,
        calls_received: o.calls.year.received,
        calls_closure_rate_permille: o.calls.year.closure_rate_permille,
        calls_satisfaction_rate_permille: o.calls.year.satisfaction_rate_permille,
    }
}

/// The periods an officer may report on today: the current one (figures so far) and the last
/// finished one. Older periods cannot be reported afresh, because the composition figures
/// describe the register as it is now, not as it was then; their reports are in the archive.
pub fn reportable_periods(kind: ReportKind, today: NaiveDate) -> [ReportPeriod; 2] {
    [
        ReportPeriod::last_finished(kind, today),
        ReportPeriod::containing(kind, today),
    ]
}

impl App {
    /// Makes (or, for a period whose report is final, finds) the report of `org_id` for a
    /// period, and returns its id. `period` is a key of [`reportable_periods`]; the last
    /// finished period when `None`.
    pub async fn report_make(
        &self,
        actor: &Actor,
        org_id: Option<i64>,
        kind: &str,
        period: Option<&str>,
    ) -> Result<i64> {
        actor.require_staff()?;
        let kind = kind_of(kind)?;
        let today = crate::members::today();
        let allowed = reportable_periods(kind, today);
        let chosen = match period.map(str::trim).filter(|p| !p.is_empty()) {
            None => allowed[0],
            Some(key) => *allowed.iter().find(|p| p.key() == key).ok_or_else(|| {
                AppError::Invalid(format!(
                    "只能生成{}或{}的{}；更早的报告请在报告档案中查看",
                    allowed[1].label(),
                    allowed[0].label(),
                    kind.label()
                ))
            })?,
        };
        let org = self
            .db
            .org_get(actor.scope(), org_id.unwrap_or(actor.org_id))
            .await?;
        let maker = format!("{}（{}）", actor.display_name, actor.username);
        self.report_make_for(actor, org.id, chosen, today, &maker)
            .await
            .map(|(id, _)| id)
    }

    async fn report_make_for(
        &self,
        actor: &Actor,
        org_id: i64,
        period: ReportPeriod,
        today: NaiveDate,
        maker: &str,
    ) -> Result<(i64, bool)> {
        let overview = self
            .overview_until(actor, Some(org_id), Some(Month::of(period.end.min(today))))
            .await?;
        let now = headline(&overview);
        let start = period.start.to_string();
        let previous = self
            .db
            .report_previous(org_id, period.kind.code(), &start)
            .await?;
        let (changes, previous_period) = match previous {
            Some(stored) => {
                let before = unfreeze(&stored)?;
                (
                    changes(&before.headline, &now),
                    Some(
                        period_of(&stored.entry)
                            .map_or_else(|| stored.entry.period.clone(), |p| p.label()),
                    ),
                )
            }
            None => (Vec::new(), None),
        };
        let frozen = Frozen {
            rule_version: domain::reports::RULE_VERSION.to_string(),
            overview,
            headline: now,
            changes,
            previous_period,
        };
        let figures = serde_json::to_string(&frozen).map_err(|e| {
            AppError::Store(store::StoreError::Invalid(format!("报告数据无法保存：{e}")))
        })?;
        Ok(self
            .db
            .report_save(&NewReport {
                org_id,
                kind: period.kind.code().to_string(),
                period: period.key(),
                period_start: start,
                period_end: period.end.to_string(),
                as_of: today.to_string(),
                figures,
                made_by: maker.to_string(),
            })
            .await?)
    }

    pub async fn report(&self, actor: &Actor, id: i64) -> Result<Report> {
        actor.require_staff()?;
        thaw(self.db.report_get(actor.scope(), id).await?)
    }

    /// The archive of one org (the actor's own when `None`), newest first.
    pub async fn reports(
        &self,
        actor: &Actor,
        org_id: Option<i64>,
        kind: Option<&str>,
    ) -> Result<Vec<ReportListEntry>> {
        actor.require_staff()?;
        let kind = match kind.map(str::trim).filter(|k| !k.is_empty()) {
            Some(code) => Some(kind_of(code)?.code()),
            None => None,
        };
        let org = self
            .db
            .org_get(actor.scope(), org_id.unwrap_or(actor.org_id))
            .await?;
        Ok(self
            .db
            .report_list(actor.scope(), org.id, kind, 200)
            .await?
            .into_iter()
            .map(list_entry)
            .collect())
    }

    /// A report as a workbook: the dashboard's sheets as they were frozen, after a first sheet
    /// with the heading, the changes and the signature lines.
    pub async fn report_xlsx(&self, actor: &Actor, id: i64) -> Result<(Vec<u8>, String)> {
        use crate::tabular::{Figure, FigureSheet};
        let report = self.report(actor, id).await?;
        let text = |s: &str| Figure::Text(s.to_string());
        let mut summary = vec![
            vec![text("党组织"), text(&report.org_name)],
            vec![text("报告期"), text(&report.period_label)],
            vec![text("统计日期"), text(&report.as_of)],
            vec![text("生成"), text(&report.made_by)],
        ];
        match &report.previous_period {
            Some(previous) => {
                summary.push(vec![text("较上期"), text(previous)]);
                summary.extend(report.changes.iter().map(|c| vec![text(""), text(c)]));
            }
            None => summary.push(vec![text("较上期"), text("（无上期报告）")]),
        }
        summary.push(vec![text("审核人"), text("")]);
        summary.push(vec![text("填报人"), text("")]);
        let mut sheets = vec![FigureSheet {
            name: report.kind_label.clone(),
            title: format!(
                "{}{}（{}）",
                report.org_name, report.kind_label, report.period_label
            ),
            headers: vec!["项目".into(), "内容".into()],
            rows: summary,
        }];
        sheets.extend(report.figures.sheets());
        let bytes = crate::tabular::figures_xlsx(&sheets)?;
        self.db
            .audit_event(
                report.org_id,
                &actor.author(),
                "export",
                "report",
                &format!(
                    "导出{} {} {}",
                    report.kind_label, report.org_name, report.period_label
                ),
            )
            .await?;
        Ok((
            bytes,
            format!(
                "{}{}{}.xlsx",
                report.org_name, report.kind_label, report.period
            ),
        ))
    }

    /// The sweep's part: the last finished week's and month's reports of every committee of
    /// the tree (district, street or town, community or village) that has no final one yet.
    /// Returns how many it made.
    pub async fn reports_due(&self, root: i64, today: NaiveDate) -> Result<usize> {
        let system = Actor {
            user_id: 0,
            username: "system".into(),
            display_name: SWEEP_MAKER.into(),
            role: Role::Admin,
            org_id: root,
            member_id: None,
            call_unit_id: None,
        };
        if self.db.rollup_meta(root).await?.is_none() {
            return Ok(0);
        }
        let scope = system.scope();
        let mut committees = Vec::new();
        for kind in OrgKind::ALL.iter().filter(|k| k.level() <= 2) {
            committees.extend(self.db.org_list_kind(scope, kind.code()).await?);
        }
        let mut made = 0;
        for kind in ReportKind::ALL {
            let period = ReportPeriod::last_finished(*kind, today);
            let done = self
                .db
                .report_final_orgs(root, kind.code(), &period.key())
                .await?;
            for org in committees.iter().filter(|o| !done.contains(&o.id)) {
                if self
                    .report_make_for(&system, org.id, period, today, SWEEP_MAKER)
                    .await?
                    .1
                {
                    made += 1;
                }
            }
        }
        Ok(made)
    }
}
