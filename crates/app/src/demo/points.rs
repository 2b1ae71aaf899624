//! The demo's points (积分): what its meetings and dues payments score, as if each had been
//! recorded through the use cases, and a few awards and deductions by the logins' branch
//! secretary, one of them corrected, so that a ledger shows every kind of line.

use chrono::{Datelike, Duration, NaiveDate};

use crate::points::{DEFAULT_PRESET, ManualEntryInput};
use crate::{Actor, App, Result};

impl App {
    pub(super) async fn demo_points(
        &self,
        secretary: &Actor,
        root: i64,
        branch: i64,
        today: NaiveDate,
    ) -> Result<u64> {
        let scheme = domain::points::presets()
            .into_iter()
            .find(|(code, _)| *code == DEFAULT_PRESET)
            .map(|(_, s)| s)
            .unwrap_or_else(domain::points::company);
        let points = |code: &str| scheme.item(code).map_or(0, |i| i.signed_points().0);
        let mut written = self
            .db
            .points_seed_from_facts(
                root,
                store::points::SeedPoints {
                    meeting_attended: points("meeting_attended"),
                    dues_on_time: points("dues_on_time"),
                    dues_late: points("dues_late"),
                },
                "系统（演示数据）",
            )
            .await?;
        let roster = self.meeting_roster(secretary, branch).await?;
        // Dated this year but never in the future, even on 1 January.
        let day = |days_ago: i64| {
            (today - Duration::days(days_ago)).max(today.with_ordinal(1).unwrap_or(today))
        };
        let manual: [(&str, &str, &str, i64); 4] = [
            ("manual_award", "2", "带头参加社区防汛值守", 40),
            ("manual_award", "1", "结对帮扶困难群众", 25),
            ("manual_deduction", "-1", "未按要求完成学习任务", 15),
            ("manual_award", "1", "参加社区垃圾分类宣传", 5),
        ];
        for (k, member) in roster.iter().take(8).enumerate() {
            let (item, value, reason, days_ago) = manual[k % manual.len()];
            let input = ManualEntryInput {
                member_id: member.id,
                item_code: item.into(),
                points: value.into(),
                reason: reason.into(),
                approver: "支部委员会".into(),
                on_date: day(days_ago + k as i64).to_string(),
            };
            let id = self.add_points_entry(secretary, &input).await?;
            written += 1;
            if k == 3 {
                self.reverse_points_entry(secretary, id, "事项登记错人，已改记")
                    .await?;
                written += 1;
            }
        }
        Ok(written)
    }

    /// Last year's 民主评议 in every branch, closed: the 支委会's grades, a fifth of each
    /// branch 优秀 (within the third the rules allow), one 基本合格 in a branch of five or more.
    pub(super) async fn demo_appraisals(&self, root: i64, today: NaiveDate) -> Result<usize> {
        let members = self.db.points_members_by_branch(root).await?;
        let mut grades: Vec<(i64, i64, &str)> = Vec::with_capacity(members.len());
        for branch in members.chunk_by(|a, b| a.0 == b.0) {
            let n = branch.len();
            for (k, (branch_id, member)) in branch.iter().enumerate() {
                let grade = if k < n / 5 {
                    "excellent"
                } else if n >= 5 && k == n - 1 {
                    "basic"
                } else {
                    "qualified"
                };
                grades.push((*branch_id, *member, grade));
            }
        }
        let weights =
            serde_json::to_string(&domain::appraisal::Weights::default()).unwrap_or_default();
        let points =
            serde_json::to_string(&domain::appraisal::GradePoints::default()).unwrap_or_default();
        Ok(self
            .db
            .appraisal_seed_closed(
                today.year() - 1,
                &weights,
                &points,
                &grades,
                "系统（演示数据）",
            )
            .await?)
    }
}
