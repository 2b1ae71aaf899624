//! The demo's organisational life: this year's meetings up to last month.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use super::tree::*;
use crate::{App, Result};
use store::Param;
impl App {
    /// This year's organisational life up to last period, so that the ledger of a demo looks like
    /// a district's: most branches keep up, some slip now and then, a few fall well behind. The
    /// current periods are left open, for a visitor to record a meeting and see its cell turn
    /// green. Returns how many meetings were written.
    pub(super) async fn demo_meetings(
        &self,
        rng: &mut StdRng,
        root: i64,
        branches: &[(&Node, usize, bool)],
        today: NaiveDate,
        attended_branch: i64,
        attended_by: &[(i64, NaiveDate)],
    ) -> Result<usize> {
        use domain::orglife::{Period, default_branch_rules, periods_of_year};
        let rules = default_branch_rules();
        let columns = [
            "id",
            "org_id",
            "root_org_id",
            "institution",
            "held_on",
            "place",
            "chair",
            "recorder",
            "agenda",
            "minutes",
            "resolutions",
            "revision",
            "recorded_by",
            "recorded_at",
        ];
        let now = store::now();
        let mut rows = Vec::new();
        let mut attendance = Vec::new();
        let mut meeting_id = self.db.max_id("meetings").await?;
        for &(branch, members, has_groups) in branches {
            let keeps_up = match rng.random_range(0..100) {
                0..=54 => 0.97,
                55..=89 => 0.85,
                _ => 0.5,
            };
            for rule in &rules.rules {
                // A committee and 党小组 meet only where they exist (DOMAIN.md §4); members
                // stand in for 正式党员 here, which is close enough for a demo.
                if (rule.needs_committee
                    && members < domain::orglife::COMMITTEE_MIN_FORMAL_MEMBERS as usize)
                    || (rule.needs_party_group && !has_groups)
                {
                    continue;
                }
                for period in periods_of_year(rule.frequency, today.year()) {
                    let current = Period::containing(rule.frequency, today);
                    if period == current || period.start() > today || !rng.random_bool(keeps_up) {
                        continue;
                    }
                    let days = (period.end() - period.start()).num_days();
                    let held_on = period.start() + Duration::days(rng.random_range(0..=days));
                    meeting_id += 1;
                    rows.push(vec![
                        Param::I64(meeting_id),
                        Param::I64(branch.id),
                        Param::I64(root),
                        Param::Text(rule.institution.code().into()),
                        Param::Date(held_on),
                        Param::Text("党群服务中心会议室".into()),
                        Param::Text("支部书记".into()),
                        Param::Text("组织委员".into()),
                        Param::Text(format!("{}{}", period.label(), rule.institution.label())),
                        Param::Text(String::new()),
                        Param::Text(String::new()),
                        Param::I64(1),
                        Param::Text("演示数据".into()),
                        Param::Time(now),
                    ]);
                    if branch.id == attended_branch {
                        // Only those admitted by then are on a meeting's list.
                        for &(member, _) in attended_by.iter().filter(|(_, a)| *a <= held_on) {
                            let present = rng.random_bool(0.9);
                            attendance.push(vec![
                                Param::I64(meeting_id),
                                Param::I64(member),
                                Param::Bool(present),
                                if present {
                                    Param::NullText
                                } else {
                                    Param::Text(
                                        ["出差", "病假", "外出务工"][rng.random_range(0..3)].into(),
                                    )
                                },
                                Param::I64(root),
                            ]);
                        }
                    }
                }
            }
        }
        self.db.bulk_insert("meetings", &columns, &rows).await?;
        self.db
            .bulk_insert(
                "meeting_attendance",
                &[
                    "meeting_id",
                    "member_id",
                    "present",
                    "absence_reason",
                    "root_org_id",
                ],
                &attendance,
            )
            .await?;
        Ok(rows.len())
    }
}
