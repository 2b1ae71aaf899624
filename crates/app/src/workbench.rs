//! The home page's to-do list (工作台): what needs doing today in the user's scope, each item
//! with the page where it is handled. Everything here is read from the roll-ups, from indexes
//! that find the day's rows, or from one branch's ledger: none of it counts a district's rows.

use serde::Serialize;

use crate::members::today;
use crate::{Actor, App, Result};
use domain::Role;
use domain::calls::Status;
use domain::dues_ledger::Month;
use domain::orglife::Status as CellStatus;

/// How many names a to-do item lists before saying "and N more".
const SHOWN: i64 = 8;
/// A running time limit this close (working minutes) counts as near.
const NEAR_MINUTES: i64 = 240;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Workbench {
    /// Branches with a missed meeting this year (red in the ledger), and how many in all.
    pub red_branches: Vec<(i64, String)>,
    pub red_total: i64,
    /// Residents' calls waiting for 签收, near a time limit, and past one.
    pub calls_new: usize,
    pub calls_near: usize,
    pub calls_overdue: usize,
    /// This month's dues: ‰ of those who owed who paid, and members not yet paid.
    pub dues_month: String,
    pub dues_rate_permille: Option<u32>,
    pub dues_unpaid: i64,
    /// For a branch officer: what the branch still owes this period (institution labels).
    pub meetings_due: Vec<String>,
    pub branch_id: Option<i64>,
    /// Today's political birthdays, and how many in all.
    pub birthdays: Vec<(i64, String)>,
    pub birthdays_total: i64,
    pub unread: i64,
    /// 发展党员 files with a time limit past, and within the next 30 days.
    pub admission_overdue: usize,
    pub admission_soon: usize,
}

impl Workbench {
    pub fn is_empty(&self) -> bool {
        self.red_total == 0
            && self.calls_new + self.calls_near + self.calls_overdue == 0
            && self.dues_unpaid == 0
            && self.meetings_due.is_empty()
            && self.birthdays_total == 0
            && self.unread == 0
            && self.admission_overdue + self.admission_soon == 0
    }
}

impl App {
    /// The to-do list of a staff user, over their own org's scope.
    pub async fn workbench(&self, actor: &Actor) -> Result<Workbench> {
        actor.require_staff()?;
        let scope = actor.scope();
        let org = self.db.org_get(scope, actor.org_id).await?;
        let roots = self.figure_roots(&org).await?;
        let meta = match roots.first() {
            Some(first) => self.db.rollup_meta(*first).await?,
            None => None,
        };
        let month = meta
            .as_ref()
            .and_then(|m| Month::parse(&m.month))
            .unwrap_or_else(|| Month::of(today()));
        let mut wb = Workbench {
            dues_month: month.to_string(),
            ..Default::default()
        };
        if meta.is_some() {
            let mut red = Vec::new();
            for root in &roots {
                red.extend(
                    self.db
                        .rollup_branches_with(
                            *root,
                            org.id,
                            &month.year.to_string(),
                            "orglife.red",
                            SHOWN,
                        )
                        .await?,
                );
            }
            red.truncate(SHOWN as usize);
            wb.red_branches = red;
            let year = month.year.to_string();
            let figures = self
                .figures_read(&roots, &[org.id], &[month.to_string(), year.clone()], &[])
                .await?;
            let figures = crate::dashboard::Figures::of(&figures, org.id);
            let get = |period: &str, metric: &str| figures.get(period, metric);
            // The org's own figure is the number of its red branches: no count over them.
            wb.red_total = get(&year, "orglife.red");
            let this_month = month.to_string();
            let get = |metric: &str| get(&this_month, metric);
            wb.dues_unpaid = get("dues.unpaid");
            wb.dues_rate_permille =
                domain::rollups::rate_permille(get("dues.paid"), get("dues.owed"));
        }
        if let Ok(calls) = self.calls(actor, true).await {
            for call in &calls {
                if call.case.status == Status::Submitted {
                    wb.calls_new += 1;
                }
                let running = [
                    &call.clocks.acknowledge,
                    &call.clocks.respond,
                    &call.clocks.resolve,
                ]
                .into_iter()
                .filter(|t| t.stopped_at.is_none());
                let least = running.map(|t| t.remaining_minutes).min();
                match least {
                    Some(m) if m < 0 => wb.calls_overdue += 1,
                    Some(m) if m <= NEAR_MINUTES => wb.calls_near += 1,
                    _ => {}
                }
            }
        }
        if actor.role == Role::BranchOfficer {
            wb.branch_id = Some(org.id);
            if let crate::orglife::Ledger::Branch(ledger) = self
                .ledger(actor, org.id, chrono::Datelike::year(&today()))
                .await?
            {
                let now = today();
                wb.meetings_due = ledger
                    .cells
                    .iter()
                    .filter(|c| c.status == CellStatus::Pending && c.period.contains(now))
                    .map(|c| format!("{}（{}）", c.institution.label(), c.period.label()))
                    .collect();
            }
        }
        let (born, total) = self.db.member_birthdays_on(scope, today(), SHOWN).await?;
        wb.birthdays = born.into_iter().map(|m| (m.id, m.name)).collect();
        wb.birthdays_total = total;
        wb.unread = self.inbox_unread(actor).await?;
        // The files whose next limit falls within 30 days, overdue ones included.
        for line in self.applicants(actor, None, "open", Some(30)).await? {
            match line.due {
                Some(d) if d.overdue => wb.admission_overdue += 1,
                Some(_) => wb.admission_soon += 1,
                None => {}
            }
        }
        Ok(wb)
    }
}
