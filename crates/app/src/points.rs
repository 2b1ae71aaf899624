//! 党员积分制 (DOMAIN.md §5): which scheme scores a member, the ledger a member and their branch
//! read, manual entries and corrections, the entries organisational life gives by itself, the
//! monthly register and the branch's table with proposed grades.
//!
//! The rules are `domain::points`; this module decides who may do what and keeps the facts.

use chrono::{Datelike, NaiveDate};
use domain::dues_ledger::Month;
use domain::points::{
    self as rules, Entry, Grade, Points, Proposal, ProposalNote, Scheme, Scoring,
};
use domain::{MemberCategory, Role};
use serde::Serialize;
use store::points::{NewPointsEntry, PointsEntry, PointsSchemeRow};
use store::{Org, Scope};

use crate::members::today;
use crate::{Actor, App, AppError, Result};

/// The built-in scheme when no org above a member has saved one: the company preset
/// (日常 80 + 民主评议 20), the only published scheme that scores every category out of 100.
pub const DEFAULT_PRESET: &str = "company";

/// The scheme that scores a member for a year, and where it comes from.
#[derive(Debug, Clone, Serialize)]
pub struct SchemeInForce {
    pub scheme: Scheme,
    /// The org that saved it and the year it applies from; `None` for the built-in default.
    pub saved_by_org: Option<i64>,
    pub from_year: Option<i64>,
}

/// One line of a member's ledger as pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerLine {
    pub id: i64,
    pub on_date: NaiveDate,
    pub item_code: String,
    pub item: String,
    pub points: Points,
    pub source: &'static str,
    pub reason: String,
    pub approver: Option<String>,
    pub reverses: Option<i64>,
    /// The id of the entry that reversed this one, if any.
    pub reversed_by: Option<i64>,
    pub recorded_by: String,
}

/// A member's year: the scheme, the score with its working, the ledger, and where they stand.
#[derive(Debug, Clone, Serialize)]
pub struct MemberPoints {
    pub member_id: i64,
    pub name: String,
    pub year: i32,
    pub scheme_name: String,
    /// The scheme does not score this member (e.g. 老弱病残 aged 70 or over).
    pub excluded: bool,
    pub scoring: Option<Scoring>,
    pub grade: Option<Grade>,
    /// The grade the 支部党员大会 decided, once it has.
    pub decided: Option<Grade>,
    /// How the appraisal score was reached, once the campaign has closed.
    pub appraisal_working: Vec<String>,
    /// Rank in the branch, and how many members the branch scores.
    pub rank: Option<(u32, u32)>,
    pub lines: Vec<LedgerLine>,
    /// The scheme's items, for an officer's award or deduction form.
    pub items: Vec<rules::Item>,
}

/// One member's line on a branch's table.
#[derive(Debug, Clone, Serialize)]
pub struct BranchPointsRow {
    pub member_id: i64,
    pub name: String,
    pub category: String,
    pub excluded: bool,
    pub total: Option<Points>,
    pub rank: Option<u32>,
    pub grade: Option<Grade>,
    pub note: Option<ProposalNote>,
}

/// A branch's table for a period.
#[derive(Debug, Clone, Serialize)]
pub struct BranchPoints {
    pub branch: Org,
    pub year: i32,
    pub period: String,
    pub period_label: String,
    pub scheme_name: String,
    pub rows: Vec<BranchPointsRow>,
    /// Months of the year the branch confirmed (一月一登记), as `YYYY-MM`.
    pub registered: Vec<String>,
}

/// A manual award or deduction as an officer enters it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ManualEntryInput {
    pub member_id: i64,
    pub item_code: String,
    /// As typed: "3", "-2", "0.5".
    pub points: String,
    pub reason: String,
    pub approver: String,
    /// `YYYY-MM-DD`; today when empty.
    #[serde(default)]
    pub on_date: String,
}

fn source_label(source: &str) -> &'static str {
    match source {
        "meeting" => "组织生活",
        "dues" => "党费交纳",
        "service" => "志愿服务",
        _ => "手工登记",
    }
}

fn as_rule_entry(e: &PointsEntry) -> Entry {
    Entry {
        id: e.id,
        item_code: e.item_code.clone(),
        points: Points(e.points),
        reverses: e.reverses,
    }
}

fn age_on(birth: NaiveDate, day: NaiveDate) -> Option<u32> {
    day.years_since(birth)
}

/// Picks the version in force for `year` from the saved versions, nearest org first: at the
/// nearest org with any version that applies, one for the member's category wins over the
/// org's general one.
fn pick_scheme(
    rows: &[PointsSchemeRow],
    category: Option<MemberCategory>,
    year: i32,
) -> Option<&PointsSchemeRow> {
    let applies = |r: &&PointsSchemeRow| r.from_year <= i64::from(year);
    let own = |r: &&PointsSchemeRow| r.category.as_deref() == category.map(|c| c.code());
    let mut orgs: Vec<i64> = rows.iter().map(|r| r.org_id).collect();
    orgs.dedup();
    orgs.into_iter().find_map(|org| {
        let at_org: Vec<&PointsSchemeRow> = rows
            .iter()
            .filter(|r| r.org_id == org)
            .filter(applies)
            .collect();
        // Rows come latest year first, so the first match is the version in force.
        at_org
            .iter()
            .find(|r| own(r))
            .or_else(|| at_org.iter().find(|r| r.category.is_none()))
            .copied()
    })
}

impl App {
    /// The scheme that scores members of `category` in the branch `branch_id` for `year`.
    pub(crate) async fn scheme_in_force(
        &self,
        branch_id: i64,
        category: Option<MemberCategory>,
        year: i32,
    ) -> Result<SchemeInForce> {
        let rows = self
            .db
            .points_schemes_over(Scope::Subtree(branch_id), branch_id)
            .await?;
        if let Some(row) = pick_scheme(&rows, category, year) {
            let scheme: Scheme = serde_json::from_str(&row.body)
                .map_err(|_| AppError::Invalid("积分方案已损坏，请重新保存".into()))?;
            return Ok(SchemeInForce {
                scheme,
                saved_by_org: Some(row.org_id),
                from_year: Some(row.from_year),
            });
        }
        let scheme = rules::presets()
            .into_iter()
            .find(|(code, _)| *code == DEFAULT_PRESET)
            .map(|(_, s)| s)
            .ok_or_else(|| AppError::Invalid("没有可用的积分方案".into()))?;
        Ok(SchemeInForce {
            scheme,
            saved_by_org: None,
            from_year: None,
        })
    }

    /// Saves a version of an org's scheme from `from_year` on, for every member or for one
    /// category. A year already begun keeps the version it had unless this is that year's
    /// first save: a past year is never rescored by a later change.
    pub async fn save_points_scheme(
        &self,
        actor: &Actor,
        org_id: i64,
        category: Option<MemberCategory>,
        from_year: i32,
        preset: Option<&str>,
        scheme: &Scheme,
    ) -> Result<()> {
        actor.require_org_admin()?;
        scheme
            .validate()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        if from_year < today().year() {
            return Err(AppError::Refused(format!(
                "{from_year}年已过，积分按当年的方案计算，不能更改；新方案可从{}年起施行",
                today().year()
            )));
        }
        if self
            .db
            .points_year_reviewed_under(org_id, from_year)
            .await?
        {
            return Err(AppError::Refused(format!(
                "{from_year}年的党员评定已经作出，这一年的积分不能再按新方案重算；新方案可从{}年起施行",
                from_year + 1
            )));
        }
        let body = serde_json::to_string(scheme).map_err(|e| AppError::Invalid(e.to_string()))?;
        let whom = category.map_or("全体党员".to_string(), |c| c.label().to_string());
        self.db
            .points_scheme_save(
                actor.scope(),
                org_id,
                category.map(|c| c.code()),
                from_year,
                preset,
                &body,
                &format!("积分方案「{}」自{from_year}年起适用于{whom}", scheme.name),
                &actor.author(),
            )
            .await?;
        Ok(())
    }

    fn ledger_lines(scheme: &Scheme, entries: &[PointsEntry]) -> Vec<LedgerLine> {
        entries
            .iter()
            .map(|e| LedgerLine {
                id: e.id,
                on_date: e.on_date,
                item_code: e.item_code.clone(),
                item: scheme
                    .item(&e.item_code)
                    .map_or_else(|| "其他".to_string(), |i| i.name.clone()),
                points: Points(e.points),
                source: source_label(&e.source),
                reason: e.reason.clone(),
                approver: e.approver.clone(),
                reverses: e.reverses,
                reversed_by: entries
                    .iter()
                    .find(|r| r.reverses == Some(e.id))
                    .map(|r| r.id),
                recorded_by: e.recorded_by.clone(),
            })
            .collect()
    }

    /// A member's points for a year, as the member reads them on `/me` and an officer on the
    /// member's page. A member sees only their own.
    pub async fn member_points(
        &self,
        actor: &Actor,
        member_id: i64,
        year: i32,
    ) -> Result<MemberPoints> {
        let member = self.db.member_get(actor.scope(), member_id).await?;
        let entries = self
            .db
            .points_entries_of_member(actor.scope(), member_id, year)
            .await?;
        let category = MemberCategory::from_code(&member.category);
        let in_force = self
            .scheme_in_force(member.branch_id, category, year)
            .await?;
        let scheme = &in_force.scheme;
        let year_end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_else(today);
        let excluded = category.is_some_and(|c| {
            rules::is_excluded(scheme, c, age_on(member.birth_date, year_end.min(today())))
        });
        let rule_entries: Vec<Entry> = entries.iter().map(as_rule_entry).collect();
        let appraisal = self
            .appraisal_scores(member.branch_id, year)
            .await?
            .remove(&member_id);
        let scoring = if excluded {
            None
        } else {
            let score = appraisal.as_ref().map(|a| a.score);
            Some(
                rules::score(scheme, &rule_entries, score, None)
                    .map_err(|e| AppError::Invalid(e.to_string()))?,
            )
        };
        let decided = self
            .db
            .points_reviews(Scope::Subtree(member.branch_id), member.branch_id, year)
            .await?
            .into_iter()
            .find(|r| r.member_id == member_id)
            .and_then(|r| Grade::from_code(&r.decided));
        // The rank is the branch's: read with the branch's own scope, shown as a number only.
        let table = self
            .branch_table(member.branch_id, year, &format!("{year}"))
            .await?;
        let mine = table.iter().find(|p| p.member_id == member_id);
        Ok(MemberPoints {
            member_id,
            name: member.name,
            year,
            scheme_name: scheme.name.clone(),
            excluded,
            grade: mine.map(|p| p.grade),
            decided,
            appraisal_working: appraisal.map(|a| a.working).unwrap_or_default(),
            rank: mine.map(|p| (p.rank, u32::try_from(table.len()).unwrap_or(u32::MAX))),
            scoring,
            lines: Self::ledger_lines(scheme, &entries),
            items: scheme.items.clone(),
        })
    }

    /// Proposals for the members a branch scores over a period (a month, a quarter or the year).
    async fn branch_table(&self, branch_id: i64, year: i32, period: &str) -> Result<Vec<Proposal>> {
        Ok(self.branch_scores(branch_id, year, period).await?.0)
    }

    /// Proposals and table rows for a branch's period. A year's totals include the appraisal
    /// score once the branch's campaign has closed; a month or quarter has no appraisal part.
    pub(crate) async fn branch_scores(
        &self,
        branch_id: i64,
        year: i32,
        period: &str,
    ) -> Result<(Vec<Proposal>, Vec<BranchPointsRow>, String)> {
        let scope = Scope::Subtree(branch_id);
        let parsed = rules::parse_period(period).map_err(|e| AppError::Invalid(e.to_string()))?;
        let members = self
            .db
            .points_members_of_branch(scope, branch_id, year)
            .await?;
        let entries = self
            .db
            .points_entries_of_branch(scope, branch_id, parsed.start(), parsed.end())
            .await?;
        let general = self.scheme_in_force(branch_id, None, year).await?;
        let appraised = if parsed.frequency == domain::orglife::Frequency::Yearly {
            self.appraisal_scores(branch_id, year).await?
        } else {
            Default::default()
        };
        let mut scored = Vec::new();
        let mut rows = Vec::new();
        let day = parsed.end().min(today());
        // One lookup per category, not per member: a branch's members share a few schemes.
        let mut schemes: std::collections::HashMap<Option<MemberCategory>, SchemeInForce> =
            std::collections::HashMap::from([(None, general.clone())]);
        for m in &members {
            let category = MemberCategory::from_code(&m.category);
            if let std::collections::hash_map::Entry::Vacant(slot) = schemes.entry(category) {
                slot.insert(self.scheme_in_force(branch_id, category, year).await?);
            }
            let in_force = &schemes[&category];
            let excluded = category.is_some_and(|c| {
                rules::is_excluded(&in_force.scheme, c, age_on(m.birth_date, day))
            });
            let mine: Vec<Entry> = entries
                .iter()
                .filter(|e| e.member_id == m.id)
                .map(as_rule_entry)
                .collect();
            let total = if excluded {
                None
            } else {
                let appraisal = appraised.get(&m.id).map(|a| a.score);
                let s = rules::score(&in_force.scheme, &mine, appraisal, None)
                    .map_err(|e| AppError::Invalid(e.to_string()))?;
                scored.push((m.id, s.total));
                Some(s.total)
            };
            rows.push(BranchPointsRow {
                member_id: m.id,
                name: m.name.clone(),
                category: category.map_or_else(|| m.category.clone(), |c| c.label().to_string()),
                excluded,
                total,
                rank: None,
                grade: None,
                note: None,
            });
        }
        // The year's table is the 民主评议 proposal, which a missed community report caps.
        let caps = if parsed.frequency == domain::orglife::Frequency::Yearly {
            let root = self.db.org_root(branch_id).await?;
            let categories: Vec<(i64, String)> =
                members.iter().map(|m| (m.id, m.category.clone())).collect();
            self.missed_report_caps(branch_id, root, &categories, year)
                .await?
        } else {
            Default::default()
        };
        let proposals = rules::propose_grades_capped(&general.scheme, &scored, &caps);
        for row in &mut rows {
            if let Some(p) = proposals.iter().find(|p| p.member_id == row.member_id) {
                row.rank = Some(p.rank);
                row.grade = Some(p.grade);
                row.note = p.note;
            }
        }
        rows.sort_by_key(|r| (r.rank.unwrap_or(u32::MAX), r.member_id));
        Ok((proposals, rows, general.scheme.name))
    }

    /// A branch's table for a period (`2026`, `2026-Q3`, `2026-07`): every member's total, rank
    /// and proposed grade. The 支部大会 decides the grades; the table only proposes them.
    pub async fn branch_points(
        &self,
        actor: &Actor,
        branch_id: i64,
        period: &str,
    ) -> Result<BranchPoints> {
        actor.require_staff()?;
        let branch = self.db.org_get(actor.scope(), branch_id).await?;
        if branch.kind != domain::OrgKind::Branch.code() {
            return Err(AppError::Invalid(
                "积分按党支部登记，请选择一个党支部".into(),
            ));
        }
        let parsed = rules::parse_period(period).map_err(|e| AppError::Invalid(e.to_string()))?;
        let year = parsed.year;
        let (_, rows, scheme_name) = self.branch_scores(branch_id, year, period).await?;
        let registered = self
            .db
            .points_registers(actor.scope(), branch_id, year)
            .await?
            .into_iter()
            .map(|r| r.month)
            .collect();
        Ok(BranchPoints {
            branch,
            year,
            period: rules::period_key(parsed),
            period_label: parsed.label(),
            scheme_name,
            rows,
            registered,
        })
    }

    /// The branch's table as an xlsx workbook. Audited, like every export.
    pub async fn branch_points_xlsx(
        &self,
        actor: &Actor,
        branch_id: i64,
        period: &str,
    ) -> Result<(Vec<u8>, String)> {
        let table = self.branch_points(actor, branch_id, period).await?;
        let rows: Vec<Vec<String>> = table
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.rank.map_or_else(|| "—".into(), |n| n.to_string()),
                    r.name.clone(),
                    r.category.clone(),
                    r.total.map_or_else(|| "不参评".into(), |t| t.to_string()),
                    r.grade.map_or_else(String::new, |g| g.label().to_string()),
                    r.note.map_or_else(String::new, |n| n.label().to_string()),
                ]
            })
            .collect();
        let title = format!(
            "{} {} 党员积分（{}）",
            table.branch.name, table.period_label, table.scheme_name
        );
        let bytes = crate::tabular::report_xlsx(
            "党员积分",
            &title,
            &["排名", "姓名", "类别", "积分", "建议等次", "说明"],
            &rows,
            &[(1, 12.0), (5, 40.0)],
        )?;
        self.db
            .audit_event(
                branch_id,
                &actor.author(),
                "export",
                "points",
                &format!("导出党员积分 {} {}", table.branch.name, table.period_label),
            )
            .await?;
        Ok((
            bytes,
            format!("{}党员积分{}.xlsx", table.branch.name, table.period),
        ))
    }

    /// Records a manual award or deduction: with a reason and an approver, within the item's
    /// yearly cap, for a member in the officer's scope, never by a member for themself.
    pub async fn add_points_entry(&self, actor: &Actor, input: &ManualEntryInput) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        if actor.member_id == Some(input.member_id) {
            return Err(AppError::Refused(
                "不能为自己登记积分，请由支部其他委员登记".into(),
            ));
        }
        let reason = input.reason.trim();
        let approver = input.approver.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid("请填写加减分事由".into()));
        }
        if approver.is_empty() {
            return Err(AppError::Invalid("请填写审核人".into()));
        }
        crate::within(domain::text::POINTS_REASON, reason)?;
        crate::within(domain::text::APPROVED_BY, approver)?;
        let on_date = if input.on_date.trim().is_empty() {
            today()
        } else {
            NaiveDate::parse_from_str(input.on_date.trim(), "%Y-%m-%d")
                .map_err(|_| AppError::Invalid("日期格式应为 2026-07-01".into()))?
        };
        if on_date > today() {
            return Err(AppError::Invalid("不能登记尚未发生的事项".into()));
        }
        let points: Points = input
            .points
            .parse()
            .map_err(|e: rules::PointsError| AppError::Invalid(e.to_string()))?;
        let member = self.db.member_get(actor.scope(), input.member_id).await?;
        let year = on_date.year();
        let in_force = self
            .scheme_in_force(
                member.branch_id,
                MemberCategory::from_code(&member.category),
                year,
            )
            .await?;
        let existing = self
            .db
            .points_entries_of_member(actor.scope(), member.id, year)
            .await?;
        let rule_entries: Vec<Entry> = existing.iter().map(as_rule_entry).collect();
        rules::check_manual_entry(&in_force.scheme, &input.item_code, points, &rule_entries)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let id = self
            .db
            .points_entry_add(
                actor.scope(),
                &NewPointsEntry {
                    member_id: member.id,
                    branch_id: None,
                    on_date,
                    item_code: input.item_code.clone(),
                    points: points.0,
                    source: "manual".into(),
                    source_key: None,
                    source_id: None,
                    reason: reason.to_string(),
                    approver: Some(approver.to_string()),
                    reverses: None,
                },
                &actor.author(),
            )
            .await?
            .ok_or_else(|| AppError::Conflict("这条积分已经登记".into()))?;
        Ok(id)
    }

    /// Corrects an entry by a reversing entry; the original stays in the ledger beside it.
    pub async fn reverse_points_entry(
        &self,
        actor: &Actor,
        entry_id: i64,
        reason: &str,
    ) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid("请填写冲正原因".into()));
        }
        crate::within(domain::text::POINTS_REASON, reason)?;
        let original = self.db.points_entry_get(actor.scope(), entry_id).await?;
        if actor.member_id == Some(original.member_id) {
            return Err(AppError::Refused(
                "不能更正自己的积分，请由支部其他委员办理".into(),
            ));
        }
        let existing = self
            .db
            .points_entries_of_member(
                actor.scope(),
                original.member_id,
                i32::try_from(original.year).unwrap_or(0),
            )
            .await?;
        let rule_entries: Vec<Entry> = existing.iter().map(as_rule_entry).collect();
        let reversal = rules::check_reversal(&as_rule_entry(&original), &rule_entries)
            .map_err(|e| AppError::Refused(e.to_string()))?;
        let added = self
            .db
            .points_entry_add(
                actor.scope(),
                &NewPointsEntry {
                    member_id: original.member_id,
                    branch_id: Some(original.branch_id),
                    // In the original's year, so that the correction lands where the mistake is.
                    on_date: original.on_date,
                    item_code: reversal.item_code,
                    points: reversal.points.0,
                    source: "manual".into(),
                    source_key: None,
                    source_id: None,
                    reason: format!("冲正：{reason}"),
                    approver: Some(actor.display_name.clone()),
                    reverses: Some(reversal.reverses),
                },
                &actor.author(),
            )
            .await;
        match added {
            Ok(Some(id)) => Ok(id),
            Ok(None) => Err(AppError::Conflict("这条记录已经冲正过".into())),
            Err(e) if e.is_unique_violation() => {
                Err(AppError::Conflict("这条记录已经冲正过".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Confirms a month's entries for a branch (一月一登记). A month not yet over cannot be
    /// confirmed: its entries are still arriving.
    pub async fn confirm_points_month(
        &self,
        actor: &Actor,
        branch_id: i64,
        month: &str,
    ) -> Result<()> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let parsed = rules::parse_period(month).map_err(|e| AppError::Invalid(e.to_string()))?;
        if parsed.frequency != domain::orglife::Frequency::Monthly {
            return Err(AppError::Invalid("请按月确认，例如 2026-07".into()));
        }
        if parsed.end() >= today() {
            return Err(AppError::Refused(format!(
                "{}尚未结束，月底后再确认",
                parsed.label()
            )));
        }
        let entries = self
            .db
            .points_entries_of_branch(actor.scope(), branch_id, parsed.start(), parsed.end())
            .await?;
        self.db
            .points_register_confirm(
                actor.scope(),
                branch_id,
                &rules::period_key(parsed),
                i64::try_from(entries.len()).unwrap_or(i64::MAX),
                &actor.author(),
            )
            .await?;
        Ok(())
    }

    /// Brings a meeting's automatic entries in line with its attendance: attending earns the
    /// scheme's `meeting_attended` points.
    /// Each fact gives its entry once; an amended attendance reverses what no longer holds.
    /// Called after every write to a meeting's attendance; a failure is logged and the next
    /// write to the meeting puts it right.
    pub(crate) async fn points_after_meeting(&self, org_id: i64, meeting_id: i64) {
        if let Err(e) = self.reconcile_meeting_points(org_id, meeting_id).await {
            tracing::warn!(meeting_id, error = %e, "points from a meeting not recorded");
        }
    }

    async fn reconcile_meeting_points(&self, org_id: i64, meeting_id: i64) -> Result<()> {
        // The meeting's own org: its attendees are members at or below it.
        let scope = Scope::Subtree(org_id);
        let (meeting, attendance) = self.db.meeting_get(scope, meeting_id).await?;
        let given = self
            .db
            .points_entries_from_source("meeting", meeting_id)
            .await?;
        let author = store::Author {
            user_id: None,
            name: "系统（组织生活）".into(),
        };
        // A committee's meeting scores in each attendee's own branch; a branch's in itself, even
        // for a member who has since moved on.
        let held_by_branch =
            self.db.org_get(scope, meeting.org_id).await?.kind == domain::OrgKind::Branch.code();
        let institution = domain::orglife::Institution::from_code(&meeting.institution)
            .map_or_else(|| meeting.institution.clone(), |i| i.label().to_string());
        for a in &attendance {
            let member = match self.db.member_get(scope, a.member_id).await {
                Ok(m) => m,
                Err(store::StoreError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            };
            let year = meeting.held_on.year();
            let scheme = self
                .scheme_in_force(
                    meeting.org_id,
                    MemberCategory::from_code(&member.category),
                    year,
                )
                .await?
                .scheme;
            // Only attendance scores by itself. Every absence on record has a reason, and
            // whether it excuses the member is the branch's judgement, entered by hand.
            let wanted = a.present.then(|| scheme.item("meeting_attended")).flatten();
            let mine: Vec<&PointsEntry> = given
                .iter()
                .filter(|e| e.member_id == a.member_id)
                .collect();
            let live: Vec<&&PointsEntry> = mine
                .iter()
                .filter(|e| e.reverses.is_none() && !mine.iter().any(|r| r.reverses == Some(e.id)))
                .collect();
            if let (Some(item), [only]) = (wanted, live.as_slice())
                && only.item_code == item.code
            {
                continue;
            }
            if wanted.is_none() && live.is_empty() {
                continue;
            }
            for old in &live {
                let key = format!("{}:x", old.source_key.as_deref().unwrap_or_default());
                self.db
                    .points_entry_add(
                        scope,
                        &NewPointsEntry {
                            member_id: a.member_id,
                            branch_id: Some(old.branch_id),
                            on_date: old.on_date,
                            item_code: old.item_code.clone(),
                            points: -old.points,
                            source: "meeting".into(),
                            source_key: Some(key),
                            source_id: Some(meeting_id),
                            reason: format!("{institution}（{}）出席情况更正", meeting.held_on),
                            approver: None,
                            reverses: Some(old.id),
                        },
                        &author,
                    )
                    .await?;
            }
            if let Some(item) = wanted {
                let originals = mine.iter().filter(|e| e.reverses.is_none()).count();
                let reason = format!("出席{institution}（{}）", meeting.held_on);
                self.db
                    .points_entry_add(
                        scope,
                        &NewPointsEntry {
                            member_id: a.member_id,
                            branch_id: Some(if held_by_branch {
                                meeting.org_id
                            } else {
                                member.branch_id
                            }),
                            on_date: meeting.held_on,
                            item_code: item.code.clone(),
                            points: item.signed_points().0,
                            source: "meeting".into(),
                            source_key: Some(format!("meeting:{meeting_id}:{originals}")),
                            source_id: Some(meeting_id),
                            reason,
                            approver: None,
                            reverses: None,
                        },
                        &author,
                    )
                    .await?;
            }
        }
        Ok(())
    }
}

impl App {
    /// Records what a dues payment scores, month by month: on time or late by the scheme's
    /// `dues_on_time` / `dues_late` items (DOMAIN.md §1.3, §5). Each month's payment scores
    /// once. History entered from before the system (历史补录) scores nothing: how it was paid
    /// then is not known. A failure is logged; the payment itself stands.
    /// Confirmed volunteer service gives the scheme's `service_done` points once per claim
    /// (DOMAIN.md §5, §10.4). The confirmer is the posting unit, which need not hold the member,
    /// so the entry is written in the member's whole tree. A failure is logged, not raised: the
    /// hours stand whatever happens to the points.
    pub(crate) async fn points_after_service(&self, claim: &store::service::Claim) {
        if let Err(e) = self.record_service_points(claim).await {
            tracing::warn!(claim_id = claim.id, error = %e, "points from confirmed service not recorded");
        }
    }

    async fn record_service_points(&self, claim: &store::service::Claim) -> Result<()> {
        let scope = Scope::Subtree(claim.root_org_id);
        let member = self.db.member_get(scope, claim.member_id).await?;
        let on_date = claim
            .checked_out_at
            .map_or(claim.ends_at.date(), |t| t.date());
        let scheme = self
            .scheme_in_force(
                member.branch_id,
                MemberCategory::from_code(&member.category),
                on_date.year(),
            )
            .await?
            .scheme;
        let Some(item) = scheme.item("service_done") else {
            return Ok(());
        };
        let author = store::Author {
            user_id: None,
            name: "系统（志愿服务）".into(),
        };
        self.db
            .points_entry_add(
                scope,
                &NewPointsEntry {
                    member_id: member.id,
                    branch_id: Some(claim.branch_id),
                    on_date,
                    item_code: item.code.clone(),
                    points: item.signed_points().0,
                    source: "service".into(),
                    source_key: Some(format!("service:{}", claim.id)),
                    source_id: Some(claim.id),
                    reason: format!(
                        "志愿服务「{}」，确认时长 {}",
                        claim.need_title,
                        domain::service::hours_label(claim.confirmed_minutes.unwrap_or(0))
                    ),
                    approver: claim.confirmed_by.clone(),
                    reverses: None,
                },
                &author,
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn points_after_dues(
        &self,
        scope: Scope,
        member_id: i64,
        months: &[Month],
        paid_on: NaiveDate,
    ) {
        if let Err(e) = self
            .record_dues_points(scope, member_id, months, paid_on)
            .await
        {
            tracing::warn!(member_id, error = %e, "points from a dues payment not recorded");
        }
    }

    async fn record_dues_points(
        &self,
        scope: Scope,
        member_id: i64,
        months: &[Month],
        paid_on: NaiveDate,
    ) -> Result<()> {
        let member = self.db.member_get(scope, member_id).await?;
        let scheme = self
            .scheme_in_force(
                member.branch_id,
                MemberCategory::from_code(&member.category),
                paid_on.year(),
            )
            .await?
            .scheme;
        let author = store::Author {
            user_id: None,
            name: "系统（党费）".into(),
        };
        for month in months {
            let code = rules::dues_item(*month, paid_on);
            let Some(item) = scheme.item(code) else {
                continue;
            };
            let reason = if code == "dues_late" {
                format!("{month} 党费于 {paid_on} 补交")
            } else {
                format!("按时交纳 {month} 党费")
            };
            self.db
                .points_entry_add(
                    scope,
                    &NewPointsEntry {
                        member_id,
                        branch_id: None,
                        on_date: paid_on,
                        item_code: item.code.clone(),
                        points: item.signed_points().0,
                        source: "dues".into(),
                        source_key: Some(format!("dues:{month}")),
                        source_id: None,
                        reason,
                        approver: None,
                        reverses: None,
                    },
                    &author,
                )
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(org: i64, category: Option<&str>, year: i64, body: &str) -> PointsSchemeRow {
        PointsSchemeRow {
            id: 0,
            org_id: org,
            category: category.map(str::to_string),
            from_year: year,
            preset: None,
            body: body.into(),
            saved_by: String::new(),
            saved_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_nearest_org_s_version_for_the_year_wins_and_a_category_s_own_beats_the_general_one() {
        // Nearest org first, latest year first within an org, as the store reads them.
        let rows = vec![
            row(2, Some("retired"), 2027, "branch retired 2027"),
            row(2, None, 2026, "branch 2026"),
            row(2, Some("retired"), 2025, "branch retired 2025"),
            row(1, None, 2020, "district 2020"),
        ];
        let pick = |c, y| pick_scheme(&rows, c, y).map(|r| r.body.as_str());
        assert_eq!(
            pick(Some(MemberCategory::Retired), 2026),
            Some("branch retired 2025")
        );
        assert_eq!(
            pick(Some(MemberCategory::Retired), 2027),
            Some("branch retired 2027")
        );
        assert_eq!(
            pick(Some(MemberCategory::InService), 2026),
            Some("branch 2026")
        );
        // Before the branch had a general scheme, its in-service members fall to the district's.
        assert_eq!(
            pick(Some(MemberCategory::InService), 2025),
            Some("district 2020")
        );
        assert_eq!(pick(None, 2019), None);
    }
}

/// A scheme as the editing page shows it: the one in force for the org and category (or a
/// preset to start from), where it comes from, and what the form offers.
#[derive(Debug, Clone, Serialize)]
pub struct SchemeEditor {
    pub org: Org,
    pub category: Option<MemberCategory>,
    pub year: i32,
    pub scheme: Scheme,
    /// `None` when the page shows a preset or the built-in default rather than a saved version.
    pub saved_by_org: Option<String>,
    pub from_year: Option<i64>,
    pub presets: Vec<(&'static str, String)>,
    pub may_save: bool,
}

impl SchemeEditor {
    /// Whether the scheme leaves a category out, and from what age (`Some(None)`: all of it).
    pub fn exclusion(&self, category: MemberCategory) -> Option<Option<u32>> {
        self.scheme
            .excluded
            .iter()
            .find(|e| e.category == category)
            .map(|e| e.min_age)
    }
}

/// The scheme form as submitted: numbers as typed, items as rows.
#[derive(Debug, Clone, Default)]
pub struct SchemeInput {
    pub name: String,
    pub base: String,
    pub floor: String,
    pub ceiling: String,
    pub appraisal_weight: String,
    pub cutoffs: [String; 3],
    pub vetoes: String,
    /// (category code, minimum age as typed) for each category left out.
    pub excluded: Vec<(String, String)>,
    /// (code, name, kind code, points, cap) per row; rows with no name are skipped.
    pub items: Vec<(String, String, String, String, String)>,
}

fn points_field(text: &str, what: &str) -> Result<Points> {
    text.trim()
        .parse::<Points>()
        .map_err(|e| AppError::Invalid(format!("{what}：{e}")))
}

fn optional_points(text: &str, what: &str) -> Result<Option<Points>> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        points_field(text, what).map(Some)
    }
}

impl SchemeInput {
    /// The scheme the form describes, checked by the rules (DOMAIN.md §5).
    pub fn to_scheme(&self) -> Result<Scheme> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(AppError::Invalid("请填写方案名称".into()));
        }
        crate::within(domain::text::ORG_NAME, name)?;
        let weight: u8 = match self.appraisal_weight.trim() {
            "" => 0,
            t => t
                .parse()
                .map_err(|_| AppError::Invalid("民主评议折算比例应为 0 至 100 的整数".into()))?,
        };
        let mut items = Vec::new();
        for (k, (code, item_name, kind, points, cap)) in self.items.iter().enumerate() {
            let item_name = item_name.trim();
            if item_name.is_empty() {
                continue;
            }
            crate::within(domain::text::POINTS_REASON, item_name)?;
            let kind = rules::ItemKind::from_code(kind.trim())
                .ok_or_else(|| AppError::Invalid(format!("「{item_name}」请选择加分或减分")))?;
            let code = match code.trim() {
                "" => format!("custom_{}", k + 1),
                c => c.to_string(),
            };
            items.push(rules::Item {
                code,
                name: item_name.to_string(),
                kind,
                points: points_field(points, item_name)?,
                cap_per_year: optional_points(cap, item_name)?,
            });
        }
        let mut excluded = Vec::new();
        for (category, age) in &self.excluded {
            let category = MemberCategory::from_code(category)
                .ok_or_else(|| AppError::Invalid("党员类别无效".into()))?;
            let min_age = match age.trim() {
                "" => None,
                t => Some(t.parse::<u32>().map_err(|_| {
                    AppError::Invalid(format!("「{}」的年龄应为整数", category.label()))
                })?),
            };
            excluded.push(rules::Exclusion { category, min_age });
        }
        let scheme = Scheme {
            name: name.to_string(),
            base: points_field(&self.base, "基础分")?,
            items,
            vetoes: self
                .vetoes
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            floor: optional_points(&self.floor, "保底分")?,
            ceiling: optional_points(&self.ceiling, "封顶分")?,
            appraisal_weight: weight,
            cutoffs: rules::Cutoffs {
                excellent: points_field(&self.cutoffs[0], "优秀分数线")?,
                qualified: points_field(&self.cutoffs[1], "合格分数线")?,
                basic: points_field(&self.cutoffs[2], "基本合格分数线")?,
            },
            excluded,
            excellent_share: rules::Share::ONE_THIRD,
        };
        scheme
            .validate()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(scheme)
    }
}

impl App {
    /// The scheme page of an org: the version in force for `year` for every member or one
    /// category, or a preset to start a new version from.
    pub async fn scheme_editor(
        &self,
        actor: &Actor,
        org_id: i64,
        category: Option<MemberCategory>,
        year: i32,
        preset: Option<&str>,
    ) -> Result<SchemeEditor> {
        actor.require_staff()?;
        let org = self.db.org_get(actor.scope(), org_id).await?;
        let presets: Vec<(&'static str, Scheme)> = rules::presets();
        let (scheme, saved_by_org, from_year) =
            match preset.and_then(|p| presets.iter().find(|(code, _)| *code == p)) {
                Some((_, s)) => (s.clone(), None, None),
                None => {
                    let in_force = self.scheme_in_force(org_id, category, year).await?;
                    let by = match in_force.saved_by_org {
                        Some(id) => Some(self.db.org_get(Scope::Subtree(id), id).await?.name),
                        None => None,
                    };
                    (in_force.scheme, by, in_force.from_year)
                }
            };
        Ok(SchemeEditor {
            may_save: matches!(actor.role, Role::Admin | Role::OrgAdmin),
            org,
            category,
            year,
            scheme,
            saved_by_org,
            from_year,
            presets: presets.into_iter().map(|(c, s)| (c, s.name)).collect(),
        })
    }
}
