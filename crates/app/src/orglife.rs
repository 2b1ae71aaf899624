//! Organisational life: recording meetings with attendance, and the compliance ledger (台账) of
//! expected against held per institution and period (DOMAIN.md §2), rolled up the tree.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::members::{parse_date_cn, today};
use crate::{Actor, App, AppError, Result, within};
use domain::orglife::{
    BranchFacts, Cell, Exemption, GroupLife, Held, Institution, Rag, compliance,
    compliance_rate_permille, rag, rules_in_force,
};
use domain::text::{self, echo};
use domain::{BranchKind, OrgKind};
use store::{AttendanceEntry, MeetingFields, MemberFilter, Org, Scope};

/// How many days after a meeting its record may still be entered, unless the instance sets
/// another limit (`--backfill-days`): records are kept as the meeting happens, not written up at
/// inspection time.
pub const DEFAULT_BACKFILL_DAYS: i64 = 30;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct MeetingInput {
    /// Code (`themed_party_day`) or label (主题党日).
    pub institution: String,
    pub held_on: String,
    pub place: String,
    pub chair: String,
    pub recorder: String,
    #[serde(default)]
    pub agenda: String,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub resolutions: String,
    /// Members present.
    #[serde(default)]
    pub present: Vec<i64>,
    /// Members absent, with the reason given.
    #[serde(default)]
    pub absent: Vec<(i64, String)>,
    /// For a meeting held today: members neither ticked nor excused are expected and may still
    /// sign in on their own phone, instead of needing an absence reason now.
    #[serde(default)]
    pub open_sign_in: bool,
}

/// More names than any branch has: a list longer than this is not an attendance list.
pub const MAX_ATTENDANCE: usize = 5_000;

/// The attendance part of the meeting form, which arrives as pairs because each member has a
/// checkbox (`present=ID`) and a reason box (`reason_ID=…`): the members ticked present, and
/// every reason box with its member (the ticked members' ones included, for redisplay).
pub fn attendance_from_form(pairs: &[(String, String)]) -> (Vec<i64>, Vec<(i64, String)>) {
    let present: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "present")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let reasons: Vec<(i64, String)> = pairs
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("reason_")
                .and_then(|id| id.parse().ok())
                .map(|id: i64| (id, v.clone()))
        })
        .collect();
    (present, reasons)
}

fn institution(text: &str) -> Result<Institution> {
    Institution::from_label(text)
        .ok_or_else(|| AppError::Invalid(format!("会议类型「{}」无效", echo(text))))
}

/// Checks a meeting as entered on `today`, with the back-filling limit.
pub fn validate_meeting(
    input: &MeetingInput,
    today: NaiveDate,
    backfill_days: i64,
) -> Result<(MeetingFields, Vec<AttendanceEntry>)> {
    let kind = institution(&input.institution)?;
    let held_on = parse_date_cn(&input.held_on)
        .ok_or_else(|| AppError::Invalid(format!("会议日期「{}」无效", echo(&input.held_on))))?;
    if held_on > today {
        return Err(AppError::Invalid(
            "会议日期不能晚于今天：请在会后记录".into(),
        ));
    }
    if (today - held_on).num_days() > backfill_days {
        return Err(AppError::Invalid(format!(
            "会议已过去 {} 天，超过 {backfill_days} 天的补录期限，不能再补录；如确需补录请联系上级党组织",
            (today - held_on).num_days()
        )));
    }
    for (value, what) in [
        (&input.place, "地点"),
        (&input.chair, "主持人"),
        (&input.recorder, "记录人"),
    ] {
        if value.trim().is_empty() {
            return Err(AppError::Invalid(format!("请填写{what}")));
        }
    }
    for (value, limit) in [
        (&input.place, text::MEETING_PLACE),
        (&input.chair, text::MEETING_CHAIR),
        (&input.recorder, text::MEETING_RECORDER),
        (&input.agenda, text::MEETING_AGENDA),
        (&input.minutes, text::MEETING_MINUTES),
        (&input.resolutions, text::MEETING_RESOLUTIONS),
    ] {
        within(limit, value)?;
    }
    if input.present.len() + input.absent.len() > MAX_ATTENDANCE {
        return Err(AppError::Invalid(format!(
            "出席和缺席名单合计超过 {MAX_ATTENDANCE} 人，请核对"
        )));
    }
    // A set, so that checking each absentee against those present is not quadratic.
    let present: std::collections::HashSet<i64> = input.present.iter().copied().collect();
    let mut absent = std::collections::HashSet::with_capacity(input.absent.len());
    // A member listed twice (an API client's slip; the form cannot send it) would be refused by
    // the attendance table's key as an internal error.
    if present.len() != input.present.len()
        || !input.absent.iter().all(|(id, _)| absent.insert(*id))
    {
        return Err(AppError::Invalid(
            "出席或缺席名单中有重复的党员，请核对".into(),
        ));
    }
    let mut attendance: Vec<AttendanceEntry> = input
        .present
        .iter()
        .map(|id| AttendanceEntry {
            member_id: *id,
            present: true,
            absence_reason: None,
        })
        .collect();
    for (id, reason) in &input.absent {
        if present.contains(id) {
            continue;
        }
        within(text::ABSENCE_REASON, reason)?;
        if reason.trim().is_empty() {
            if input.open_sign_in && held_on == today {
                attendance.push(AttendanceEntry {
                    member_id: *id,
                    present: false,
                    absence_reason: None,
                });
                continue;
            }
            return Err(AppError::Invalid(if input.open_sign_in {
                "只有当天的会议可以开放手机签到；缺席党员须填写缺席原因".into()
            } else {
                "缺席党员须填写缺席原因".into()
            }));
        }
        attendance.push(AttendanceEntry {
            member_id: *id,
            present: false,
            absence_reason: Some(reason.trim().to_string()),
        });
    }
    let fields = MeetingFields {
        institution: kind.code().to_string(),
        held_on,
        place: input.place.trim().into(),
        chair: input.chair.trim().into(),
        recorder: input.recorder.trim().into(),
        agenda: input.agenda.trim().into(),
        minutes: input.minutes.trim().into(),
        resolutions: input.resolutions.trim().into(),
    };
    Ok((fields, attendance))
}

/// A branch's ledger for a year.
#[derive(Debug, Clone, Serialize)]
pub struct BranchLedger {
    pub org: Org,
    /// Which rules the cells were computed with (`RuleSet::version`).
    pub rule_version: String,
    pub year: i32,
    pub cells: Vec<Cell>,
    pub rag: Rag,
    pub rate_permille: Option<u32>,
}

/// One child org's line in a roll-up.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    pub org_id: i64,
    pub name: String,
    pub branches: usize,
    pub red: usize,
    pub amber: usize,
    pub green: usize,
    pub rate_permille: Option<u32>,
}

impl LedgerRow {
    pub fn rate_text(&self) -> String {
        crate::permille_text(self.rate_permille)
    }
}

#[derive(Debug, Clone, Serialize)]
pub enum Ledger {
    Branch(BranchLedger),
    Rollup {
        org: Org,
        year: i32,
        rows: Vec<LedgerRow>,
        total: LedgerRow,
    },
}

impl App {
    /// Records a meeting of a branch (or committee) with its attendance.
    pub async fn record_meeting(
        &self,
        actor: &Actor,
        org_id: i64,
        input: &MeetingInput,
    ) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        self.db.org_get(actor.scope(), org_id).await?;
        let (fields, attendance) = validate_meeting(input, today(), self.backfill_days)?;
        let id = self
            .db
            .meeting_create(actor.scope(), org_id, &fields, &attendance, &actor.author())
            .await?;
        self.ledgers_touched(org_id, Some(&[org_id])).await;
        self.points_after_meeting(org_id, id).await;
        Ok(id)
    }

    /// A meeting in the actor's scope with its attendance list.
    pub async fn meeting(
        &self,
        actor: &Actor,
        id: i64,
    ) -> Result<(store::Meeting, Vec<store::Attendance>)> {
        actor.require_staff()?;
        Ok(self.db.meeting_get(actor.scope(), id).await?)
    }

    /// Amends a meeting record; the replaced version is kept. The back-filling limit is counted
    /// from the day the meeting was first recorded, so a correction is possible later but a
    /// record cannot be moved to a date it could not have been entered for.
    pub async fn amend_meeting(&self, actor: &Actor, id: i64, input: &MeetingInput) -> Result<()> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let (old, _) = self.db.meeting_get(actor.scope(), id).await?;
        let recorded_on = (old.recorded_at + chrono::Duration::hours(8)).date_naive();
        let (fields, attendance) = validate_meeting(input, recorded_on, self.backfill_days)?;
        self.db
            .meeting_update(actor.scope(), id, &fields, &attendance, &actor.author())
            .await?;
        self.ledgers_touched(old.org_id, Some(&[old.org_id])).await;
        self.points_after_meeting(old.org_id, id).await;
        Ok(())
    }

    /// The members a meeting of `org_id` is expected to have, for the attendance list.
    pub async fn meeting_roster(
        &self,
        actor: &Actor,
        org_id: i64,
    ) -> Result<Vec<store::MemberRow>> {
        actor.require_staff()?;
        self.db.org_get(actor.scope(), org_id).await?;
        let filter = MemberFilter {
            org_id: Some(org_id),
            ..Default::default()
        };
        Ok(self
            .db
            .member_search(actor.scope(), &filter, 500, 0)
            .await?)
    }

    /// The ledger of an org for a year: cells for a branch, a roll-up by child above that.
    pub async fn ledger(&self, actor: &Actor, org_id: i64, year: i32) -> Result<Ledger> {
        actor.require_staff()?;
        let year = kept_year(year)?;
        let scope = actor.scope();
        let org = self.db.org_get(scope, org_id).await?;
        if OrgKind::from_code(&org.kind) != Some(OrgKind::Branch)
            && let Some(rollup) = self.ledger_from_figures(scope, &org, year).await?
        {
            return Ok(rollup);
        }
        let BranchCells {
            mut cells_of,
            mut rule_version_of,
            ..
        } = self.branch_cells(scope, &org, year, today()).await?;
        if OrgKind::from_code(&org.kind) == Some(OrgKind::Branch) {
            let cells = cells_of.remove(&org.id).unwrap_or_default();
            return Ok(Ledger::Branch(BranchLedger {
                rule_version: rule_version_of.remove(&org.id).unwrap_or_default(),
                rag: rag(&cells),
                rate_permille: compliance_rate_permille(&cells),
                org,
                year,
                cells,
            }));
        }
        // Each branch counts towards the child of `org_id` above it.
        let children = self.db.org_children(scope, org_id).await?;
        let mut rows = Vec::new();
        let mut all_cells = Vec::new();
        let mut total = LedgerRow {
            org_id: org.id,
            name: "合计".into(),
            branches: 0,
            red: 0,
            amber: 0,
            green: 0,
            rate_permille: None,
        };
        for child in children {
            let inside = self
                .db
                .org_list_kind(Scope::Subtree(child.id), OrgKind::Branch.code())
                .await?;
            let mut row = LedgerRow {
                org_id: child.id,
                name: child.name.clone(),
                branches: 0,
                red: 0,
                amber: 0,
                green: 0,
                rate_permille: None,
            };
            let mut child_cells = Vec::new();
            for b in inside {
                if let Some(cells) = cells_of.get(&b.id) {
                    row.branches += 1;
                    match rag(cells) {
                        Rag::Red => row.red += 1,
                        Rag::Amber => row.amber += 1,
                        Rag::Green => row.green += 1,
                    }
                    child_cells.extend(cells.iter().cloned());
                }
            }
            row.rate_permille = compliance_rate_permille(&child_cells);
            total.branches += row.branches;
            total.red += row.red;
            total.amber += row.amber;
            total.green += row.green;
            all_cells.extend(child_cells);
            rows.push(row);
        }
        total.rate_permille = compliance_rate_permille(&all_cells);
        Ok(Ledger::Rollup {
            org,
            year,
            rows,
            total,
        })
    }
}

impl App {
    /// The roll-up of an org above the branches, read from the kept figures rather than
    /// recomputed from every branch's meetings: the same lights and rates (both come from
    /// `domain::rollups::ledger_contributions` over the same cells), refreshed whenever a
    /// meeting, an exemption or a rule changes and by the daily sweep. `None` for a year the
    /// figures do not keep (before last year), which is then computed from the raw rows.
    async fn ledger_from_figures(
        &self,
        scope: Scope,
        org: &Org,
        year: i32,
    ) -> Result<Option<Ledger>> {
        let Some(meta) = self.db.rollup_meta(org.root_org_id).await? else {
            return Ok(None);
        };
        let kept_day = meta
            .orglife_day
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if !kept_day.is_some_and(|day| crate::rollups::ledger_years(day).contains(&year)) {
            return Ok(None);
        }
        let children = self.db.org_children(scope, org.id).await?;
        let mut ids: Vec<i64> = children.iter().map(|c| c.id).collect();
        ids.push(org.id);
        let figures = self
            .figures_read(
                &self.figure_roots(org).await?,
                &ids,
                &[year.to_string()],
                crate::dashboard::CHILD_ORGLIFE_METRICS,
            )
            .await?;
        let year_key = year.to_string();
        let row = |org_id: i64, name: String| {
            let figures = crate::dashboard::Figures::of(&figures, org_id);
            let get = |metric: &str| figures.get(&year_key, metric);
            let count = |metric: &str| usize::try_from(get(metric)).unwrap_or(0);
            LedgerRow {
                org_id,
                name,
                branches: count("orglife.branches"),
                red: count("orglife.red"),
                amber: count("orglife.amber"),
                green: count("orglife.green"),
                rate_permille: domain::rollups::rate_permille(
                    get("orglife.met"),
                    get("orglife.settled"),
                ),
            }
        };
        let rows = children.into_iter().map(|c| row(c.id, c.name)).collect();
        Ok(Some(Ledger::Rollup {
            total: row(org.id, "合计".into()),
            org: org.clone(),
            year,
            rows,
        }))
    }
}

/// The ledger cells of every branch at or below an org, with the rules each was held to.
pub(crate) struct BranchCells {
    pub branches: Vec<store::OrgNode>,
    pub cells_of: HashMap<i64, Vec<Cell>>,
    pub rule_version_of: HashMap<i64, String>,
}

impl App {
    /// Computes the cells of every branch at or below `org` for `year` as of `today`: the rules in
    /// force for each branch's kind, its founding and dissolution dates, its 正式党员 month by
    /// month as the membership history has them, its 党小组 with their own dates, and its
    /// approved exemptions (DOMAIN.md §2, §4).
    pub(crate) async fn branch_cells(
        &self,
        scope: Scope,
        org: &Org,
        year: i32,
        today: NaiveDate,
    ) -> Result<BranchCells> {
        let org_id = org.id;
        let from = NaiveDate::from_ymd_opt(year, 1, 1)
            .ok_or_else(|| AppError::Invalid("年度无效".into()))?;
        let to = NaiveDate::from_ymd_opt(year, 12, 31)
            .ok_or_else(|| AppError::Invalid("年度无效".into()))?;
        let saved = self.saved_rule_sets(org.root_org_id).await?;
        let branches = self
            .db
            .org_list_kind(Scope::Subtree(org_id), OrgKind::Branch.code())
            .await?;
        let meetings = self
            .db
            .meeting_facts_between(scope, org_id, from, to)
            .await?;
        let formal: HashMap<i64, [u32; 12]> = self
            .db
            .member_formal_counts_by_month(scope, org_id, year)
            .await?
            .into_iter()
            .collect();
        let lifespans = self.db.org_lifespans(scope, org_id).await?;
        let life_of: HashMap<i64, &store::OrgLifespan> =
            lifespans.iter().map(|l| (l.id, l)).collect();
        let mut groups_of: HashMap<i64, Vec<GroupLife>> = HashMap::new();
        for group in lifespans
            .iter()
            .filter(|l| OrgKind::from_code(&l.kind) == Some(OrgKind::PartyGroup))
        {
            if let Some(branch) = group.parent_id {
                groups_of.entry(branch).or_default().push(GroupLife {
                    founded_on: group.founded_on,
                    dissolved_on: group.dissolved_on,
                });
            }
        }
        let mut exemptions: HashMap<i64, Vec<Exemption>> = HashMap::new();
        for e in self.db.exemptions_under(scope, org_id).await? {
            exemptions.entry(e.org_id).or_default().push(Exemption {
                institution: e.institution.as_deref().and_then(Institution::from_code),
                from: e.from_date,
                to: e.to_date,
                reason: e.reason,
            });
        }
        let mut held: HashMap<i64, Vec<Held>> = HashMap::new();
        for (org, code, on) in &meetings {
            if let Some(institution) = Institution::from_code(code) {
                held.entry(*org).or_default().push(Held {
                    institution,
                    on: *on,
                });
            }
        }
        let mut cells_of = HashMap::new();
        let mut rule_version_of = HashMap::new();
        for branch in &branches {
            let kind = branch
                .branch_kind
                .as_deref()
                .and_then(BranchKind::from_code);
            let rules = rules_in_force(kind, year, &saved);
            let life = life_of.get(&branch.id);
            let counts = formal.get(&branch.id).copied().unwrap_or([0; 12]);
            let formal_members_by_month = (1..=12)
                .filter_map(|m| NaiveDate::from_ymd_opt(year, m, 1))
                .zip(counts)
                .collect();
            let facts = BranchFacts {
                founded_on: life.and_then(|l| l.founded_on),
                dissolved_on: life.and_then(|l| l.dissolved_on),
                party_groups: groups_of.remove(&branch.id).unwrap_or_default(),
                formal_members_by_month,
                exemptions: exemptions.remove(&branch.id).unwrap_or_default(),
            };
            let branch_held = held.get(&branch.id).cloned().unwrap_or_default();
            cells_of.insert(
                branch.id,
                compliance(&rules, &facts, &branch_held, year, today),
            );
            rule_version_of.insert(branch.id, rules.version);
        }
        Ok(BranchCells {
            branches,
            cells_of,
            rule_version_of,
        })
    }
}

/// Today's year, for pages that default to it.
pub fn this_year() -> i32 {
    today().year()
}

/// The years ledgers and figures are kept for: from the party's founding to a bound past any
/// plan. A year outside them is a typing slip, not a request for an empty table.
pub const YEARS: std::ops::RangeInclusive<i32> = 1921..=2100;

/// `year` if ledgers and figures are kept for it.
pub fn kept_year(year: i32) -> Result<i32> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(AppError::Invalid(format!(
            "年度 {year} 无效，应在 {} 至 {} 之间",
            YEARS.start(),
            YEARS.end()
        )))
    }
}

impl App {
    /// The ledger as an inspector reads it: one line per institution and period for a branch
    /// (制度, 期间, 应开, 已开, 状态, 说明), or one line per child org for a roll-up. Audited.
    pub async fn ledger_xlsx(
        &self,
        actor: &Actor,
        org_id: i64,
        year: i32,
    ) -> Result<(Vec<u8>, String)> {
        let ledger = self.ledger(actor, org_id, year).await?;
        let (org, title, headers, rows): (&Org, String, Vec<&str>, Vec<Vec<String>>) = match &ledger
        {
            Ledger::Branch(b) => (
                &b.org,
                format!(
                    "{} {} 年组织生活台账（完成率 {}）",
                    b.org.name,
                    year,
                    crate::permille_text(b.rate_permille)
                ),
                vec!["制度", "期间", "应开（次）", "已开（次）", "状态", "说明"],
                b.cells
                    .iter()
                    .map(|c| {
                        vec![
                            c.institution.label().to_string(),
                            c.period.label(),
                            c.expected.to_string(),
                            c.held.to_string(),
                            c.status.label().to_string(),
                            c.note.clone(),
                        ]
                    })
                    .collect(),
            ),
            Ledger::Rollup {
                org, rows, total, ..
            } => (
                org,
                format!("{} {} 年组织生活台账汇总", org.name, year),
                vec!["党组织", "党支部数", "红", "黄", "绿", "完成率"],
                rows.iter()
                    .chain(std::iter::once(total))
                    .map(|r| {
                        vec![
                            r.name.clone(),
                            r.branches.to_string(),
                            r.red.to_string(),
                            r.amber.to_string(),
                            r.green.to_string(),
                            r.rate_text(),
                        ]
                    })
                    .collect(),
            ),
        };
        let file_name = format!("{}组织生活台账{year}.xlsx", org.name);
        let bytes = crate::tabular::report_xlsx(
            "组织生活台账",
            &title,
            &headers,
            &rows,
            &[(0, 30.0), (5, 40.0)],
        )?;
        self.db
            .audit_event(
                org_id,
                &actor.author(),
                "export",
                "ledger",
                &format!("导出组织生活台账 {} {year}", org.name),
            )
            .await?;
        Ok((bytes, file_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn meeting() -> MeetingInput {
        MeetingInput {
            institution: "主题党日".into(),
            held_on: "2026-11-20".into(),
            place: "党群服务中心".into(),
            chair: "王书记".into(),
            recorder: "李委员".into(),
            minutes: "学习".into(),
            ..Default::default()
        }
    }

    #[test]
    fn minutes_and_other_texts_are_held_to_their_lengths() {
        assert!(validate_meeting(&meeting(), today(), 30).is_ok());
        let mut long = meeting();
        long.minutes = "记".repeat(20_001);
        let err = validate_meeting(&long, today(), 30).unwrap_err();
        assert!(err.to_string().contains("会议记录过长"), "{err}");
        let mut absent = meeting();
        absent.absent = vec![(1, "病".repeat(201))];
        assert!(validate_meeting(&absent, today(), 30).is_err());
        let mut odd = meeting();
        odd.institution = "会".repeat(10_000);
        let err = validate_meeting(&odd, today(), 30).unwrap_err();
        assert!(err.to_string().chars().count() < 60, "{err}");
    }

    /// Found by Schemathesis: a member listed five times reached the attendance table's key
    /// and came back as an internal error.
    #[test]
    fn a_member_listed_twice_is_refused_in_chinese() {
        let mut twice_present = meeting();
        twice_present.present = vec![394, 394];
        let mut twice_absent = meeting();
        twice_absent.absent = vec![(394, "出差".into()), (394, "病假".into())];
        for input in [twice_present, twice_absent] {
            let err = validate_meeting(&input, today(), 30).unwrap_err();
            assert!(err.to_string().contains("重复"), "{err}");
        }
        // Present and also given a reason (the form sends both for a ticked row): present.
        let mut both = meeting();
        both.present = vec![394];
        both.absent = vec![(394, String::new())];
        let (_, attendance) = validate_meeting(&both, today(), 30).unwrap();
        assert_eq!(attendance.len(), 1);
        assert!(attendance[0].present);
    }

    /// A meeting form of 1 MB could list 50,000 members present and 50,000 absent; each
    /// absentee was looked up in the list of those present, 2.5 billion comparisons.
    #[test]
    fn a_huge_attendance_list_is_refused_and_lookups_are_not_quadratic() {
        let mut crowd = meeting();
        crowd.present = (0..3_000).collect();
        crowd.absent = (3_000..6_000).map(|id| (id, "出差".to_string())).collect();
        let err = validate_meeting(&crowd, today(), 30).unwrap_err();
        assert!(err.to_string().contains("5000"), "{err}");

        let pairs: Vec<(String, String)> = vec![
            ("present".into(), "7".into()),
            ("reason_7".into(), "".into()),
            ("reason_8".into(), "病假".into()),
            ("present".into(), "x".into()),
        ];
        let (present, reasons) = attendance_from_form(&pairs);
        assert_eq!(present, vec![7]);
        assert_eq!(reasons, vec![(7, String::new()), (8, "病假".to_string())]);
        let mut input = meeting();
        input.present = present;
        input.absent = reasons;
        let (_, attendance) = validate_meeting(&input, today(), 30).unwrap();
        assert_eq!(attendance.len(), 2);
    }
}
