//! The daily sweep: reminders to branch officers of what organisational life is due this period
//! and what the last period missed (DOMAIN.md §2), and political-birthday greetings to members
//! (DOMAIN.md §9). Everything goes through the outbox, whose unique keys make each message go
//! out once however often the sweep runs; delivery channels then take it from there.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::{Actor, App, AppError, Result};
use domain::Role;
use domain::orglife::{Cell, reminders};
use store::{Message, NewMessage, Recipient, Scope};

/// The channel every message is queued for today: the inbox inside the program.
pub const INBOX: &str = "inbox";

/// What one sweep did, for the log and the CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub branches: usize,
    pub reminders_queued: usize,
    pub greetings_queued: usize,
    pub delivered: usize,
    /// Residents' calls sent a level up because a time limit ran out.
    pub calls_escalated: usize,
    /// Expired login sessions deleted.
    pub sessions_purged: u64,
    /// Trees whose figures were taken afresh (the first sweep of a month).
    pub figures_rebuilt: usize,
    /// Weekly and monthly reports made for the last finished week and month.
    pub reports_made: usize,
    /// 发展党员 time limits within a week or past, told to the officers who keep them.
    pub admission_reminders: usize,
    /// Transfer letters that ran out unreceived; their members are flagged 口袋党员.
    pub letters_expired: u64,
}

/// A way out for queued messages. The inbox is the one built in; an SMS gateway or a webhook
/// implements the same trait and is registered with [`App::deliver_outbox`]'s caller.
pub trait Channel: Send + Sync {
    fn name(&self) -> &'static str;
    /// Delivers one message; an error leaves it queued for the next round.
    fn deliver<'a>(
        &'a self,
        message: &'a Message,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// The in-program inbox: a message is delivered by being made visible to its recipient.
pub struct InboxChannel;

impl Channel for InboxChannel {
    fn name(&self) -> &'static str {
        INBOX
    }

    fn deliver<'a>(
        &'a self,
        _message: &'a Message,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async { Ok(()) })
    }
}

fn cell_line(cell: &Cell) -> String {
    format!(
        "{} {}（应 {} 次，已开 {} 次）",
        cell.period.label(),
        cell.institution.label(),
        cell.expected,
        cell.held
    )
}

/// The instant a sweep runs as of, in China's time: now, `--date D` (D at 00:00, so a sweep "as
/// of D" acts on nothing that happens during D), or `--at "YYYY-MM-DD HH:MM"`. An instant after
/// `now` is refused: reminders keyed to a future month would block that month's real ones, and a
/// call escalated in the future could not be acted on until then.
pub fn sweep_instant(
    date: Option<&str>,
    at: Option<&str>,
    now: NaiveDateTime,
) -> Result<NaiveDateTime> {
    let instant = match (date, at) {
        (Some(_), Some(_)) => {
            return Err(AppError::Invalid(
                "--date 和 --at 只能选一个：--date 按当天 0 点，--at 按指定时刻".into(),
            ));
        }
        (Some(d), None) => crate::members::parse_date_cn(d)
            .ok_or_else(|| AppError::Invalid(format!("日期「{d}」无效，应为 YYYY-MM-DD")))?
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists"),
        (None, Some(t)) => {
            let t = t.trim();
            ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
                .ok_or_else(|| {
                    AppError::Invalid(format!(
                        "时刻「{t}」无效，应为 YYYY-MM-DD HH:MM（北京时间）"
                    ))
                })?
        }
        (None, None) => return Ok(now),
    };
    if instant > now {
        return Err(AppError::Invalid(format!(
            "巡检时刻 {} 晚于现在（{}），不能按未来的时刻巡检",
            instant.format("%Y-%m-%d %H:%M"),
            now.format("%Y-%m-%d %H:%M")
        )));
    }
    Ok(instant)
}

impl App {
    /// Runs the sweep as of one instant (China's time) over every top-level organisation, then
    /// delivers what it queued: reminders and greetings for that day, and call escalations for
    /// that moment, so a sweep as of a past instant decides exactly what a sweep then would have.
    /// Safe to run any number of times a day.
    pub async fn sweep(&self, at: NaiveDateTime) -> Result<SweepReport> {
        let today = at.date();
        let mut report = SweepReport {
            letters_expired: self.sweep_transfers(today).await?,
            ..SweepReport::default()
        };
        for root in self.db.org_root_ids().await? {
            self.sweep_reminders(root, today, &mut report).await?;
            self.sweep_greetings(root, today, &mut report).await?;
            report.admission_reminders += self.sweep_admission(root, today).await?;
            self.ensure_call_setup(root).await?;
            report.calls_escalated += self.escalate_overdue_calls(root, at).await?;
            // The figures describe the register as it is, so only a sweep as of today keeps
            // them; a sweep replayed for another day leaves them alone.
            if today == crate::members::today() {
                if self.rollups_keep(root).await?.is_some() {
                    report.figures_rebuilt += 1;
                }
                report.reports_made += self.reports_due(root, today).await?;
            }
        }
        report.delivered = self.deliver_outbox(&[&InboxChannel]).await?;
        // Expired sessions are already refused; deleting them keeps the table from growing
        // with every login ever made.
        report.sessions_purged = self.db.session_purge_expired().await?;
        Ok(report)
    }

    async fn sweep_reminders(
        &self,
        root: i64,
        today: NaiveDate,
        report: &mut SweepReport,
    ) -> Result<()> {
        let scope = Scope::Subtree(root);
        let org = self.db.org_get(scope, root).await?;
        let cells = self.branch_cells(scope, &org, today.year(), today).await?;
        // January's reminders about last December need last year's ledger too.
        let last_year = if today.month() == 1 {
            Some(
                self.branch_cells(scope, &org, today.year() - 1, today)
                    .await?,
            )
        } else {
            None
        };
        let mut officers: HashMap<i64, Vec<i64>> = HashMap::new();
        for user in self.db.user_list(scope).await? {
            if user.active && user.role == Role::BranchOfficer.code() {
                officers.entry(user.org_id).or_default().push(user.id);
            }
        }
        report.branches += cells.branches.len();
        let month = format!("{}-{:02}", today.year(), today.month());
        for branch in &cells.branches {
            let Some(recipients) = officers.get(&branch.id) else {
                continue;
            };
            let mut branch_cells = cells.cells_of.get(&branch.id).cloned().unwrap_or_default();
            if let Some(last) = &last_year {
                branch_cells.extend(last.cells_of.get(&branch.id).cloned().unwrap_or_default());
            }
            let due = reminders(&branch_cells, today);
            let link = format!("/orglife?org_id={}&year={}", branch.id, today.year());
            for &user in recipients {
                if !due.due.is_empty() {
                    let lines: Vec<String> = due
                        .due
                        .iter()
                        .map(|(c, days)| format!("{}，还剩 {days} 天", cell_line(c)))
                        .collect();
                    // One "due" message per officer, branch and month: its content is what was
                    // still open on the first sweep of the month.
                    let queued = self
                        .db
                        .outbox_enqueue(&NewMessage {
                            org_id: branch.id,
                            recipient_user_id: Some(user),
                            recipient_member_id: None,
                            channel: INBOX.into(),
                            kind: "orglife_due".into(),
                            dedupe_key: format!("orglife_due:{user}:{}:{month}", branch.id),
                            title: format!(
                                "{}：本期待开展 {} 项组织生活",
                                branch.name,
                                lines.len()
                            ),
                            body: lines.join("\n"),
                            link: link.clone(),
                        })
                        .await?;
                    report.reminders_queued += usize::from(queued);
                }
                for cell in &due.overdue {
                    let queued = self
                        .db
                        .outbox_enqueue(&NewMessage {
                            org_id: branch.id,
                            recipient_user_id: Some(user),
                            recipient_member_id: None,
                            channel: INBOX.into(),
                            kind: "orglife_overdue".into(),
                            dedupe_key: format!(
                                "orglife_overdue:{user}:{}:{}:{}-{}-{}",
                                branch.id,
                                cell.institution.code(),
                                cell.period.frequency.code(),
                                cell.period.year,
                                cell.period.index
                            ),
                            title: format!(
                                "{}：{} {}未按期开展",
                                branch.name,
                                cell.period.label(),
                                cell.institution.label()
                            ),
                            body: format!(
                                "{}。{}已结束，请补充说明原因，并在本期内安排。",
                                cell_line(cell),
                                cell.period.label()
                            ),
                            link: format!(
                                "/orglife?org_id={}&year={}",
                                branch.id, cell.period.year
                            ),
                        })
                        .await?;
                    report.reminders_queued += usize::from(queued);
                }
            }
        }
        Ok(())
    }

    async fn sweep_greetings(
        &self,
        root: i64,
        today: NaiveDate,
        report: &mut SweepReport,
    ) -> Result<()> {
        let scope = Scope::Subtree(root);
        for member in self
            .db
            .member_admitted_in_month(scope, today.month())
            .await?
        {
            if member.admitted_on.year() >= today.year()
                || !domain::dates::is_anniversary(member.admitted_on, today)
            {
                continue;
            }
            let years = domain::dates::years_since(member.admitted_on, today);
            let queued = self
                .db
                .outbox_enqueue(&NewMessage {
                    org_id: member.branch_id,
                    recipient_user_id: None,
                    recipient_member_id: Some(member.id),
                    channel: INBOX.into(),
                    kind: "political_birthday".into(),
                    dedupe_key: format!("political_birthday:{}:{}", member.id, today.year()),
                    title: format!("{}同志，祝您政治生日快乐", member.name),
                    body: format!(
                        "{}年{}月{}日，您在党旗下宣誓入党。今天是您入党 {years} 周年的政治生日，{}全体党员向您致以祝贺！不忘初心，牢记使命。",
                        member.admitted_on.year(),
                        member.admitted_on.month(),
                        member.admitted_on.day(),
                        member.branch_name
                    ),
                    link: "/me".into(),
                })
                .await?;
            report.greetings_queued += usize::from(queued);
        }
        Ok(())
    }

    /// Hands every queued message to its channel. Returns how many were delivered; failures stay
    /// queued with their error for the next round.
    pub async fn deliver_outbox(&self, channels: &[&dyn Channel]) -> Result<usize> {
        let mut delivered = 0;
        for channel in channels {
            loop {
                let batch = self.db.outbox_undelivered(channel.name(), 500).await?;
                if batch.is_empty() {
                    break;
                }
                let mut progressed = false;
                for message in &batch {
                    match channel.deliver(message).await {
                        Ok(()) => {
                            self.db.outbox_mark_delivered(message).await?;
                            delivered += 1;
                            progressed = true;
                        }
                        Err(e) => self.db.outbox_mark_failed(message, &e).await?,
                    }
                }
                // A channel that is down fails the whole batch: leave it for the next sweep.
                if !progressed {
                    break;
                }
            }
        }
        Ok(delivered)
    }

    fn recipient(actor: &Actor) -> Recipient {
        Recipient {
            user_id: actor.user_id,
            member_id: actor.member_id,
            org_id: actor.org_id,
        }
    }

    /// The actor's own messages, newest first.
    pub async fn inbox(&self, actor: &Actor) -> Result<Vec<Message>> {
        Ok(self.db.inbox(Self::recipient(actor), 200).await?)
    }

    pub async fn inbox_unread(&self, actor: &Actor) -> Result<i64> {
        Ok(self.db.inbox_unread_count(Self::recipient(actor)).await?)
    }

    /// Marks one of the actor's own messages read; another person's is not found.
    pub async fn inbox_mark_read(&self, actor: &Actor, id: i64) -> Result<()> {
        self.db
            .inbox_mark_read(Self::recipient(actor), id)
            .await
            .map_err(AppError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn one_instant_per_sweep() {
        let now = t("2026-11-29 18:20");
        assert_eq!(sweep_instant(None, None, now).unwrap(), now);
        assert_eq!(
            sweep_instant(Some("2026-11-29"), None, now).unwrap(),
            t("2026-11-29 00:00")
        );
        assert_eq!(
            sweep_instant(Some("2026年3月2日"), None, now).unwrap(),
            t("2026-03-02 00:00")
        );
        assert_eq!(
            sweep_instant(None, Some("2026-03-02 09:45"), now).unwrap(),
            t("2026-03-02 09:45")
        );
        assert_eq!(
            sweep_instant(None, Some("2026-03-02T09:45"), now).unwrap(),
            t("2026-03-02 09:45")
        );
        for (date, at) in [
            (Some("2026-11-30"), None),
            (None, Some("2026-11-29 18:21")),
            (Some("2026-11-01"), Some("2026-11-01 08:00")),
            (Some("2026-13-01"), None),
            (None, Some("2026-11-01")),
        ] {
            assert!(sweep_instant(date, at, now).is_err(), "{date:?} {at:?}");
        }
    }
}
