//! 发展党员: opening an applicant's file, recording its steps through the rules of
//! `domain::admission`, and the member record it becomes. DOMAIN.md §3.
//!
//! The branch records its own steps; the steps that belong to the 上级党委 (备案, 同意, 预审, the
//! approval interview, 审批) are recorded by someone whose scope holds that committee, so a
//! branch cannot approve its own candidates.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::members::{MemberInput, input_from_member, parse_date_cn, today, validate_member};
use crate::restrictions::{restriction_of, status_facts};
use crate::{Actor, App, AppError, Result, within};
use domain::MemberCategory;
use domain::admission::{
    self, Action, Approver, Conversion, File, Interviewer, Recommendation, RuleVersion, Sponsor,
    Stage,
};
use domain::idcard::parse_id_card;
use domain::orglife::Vote;
use domain::record::PartyPost;
use domain::rights::{Standing, standing_on};
use domain::text;
use domain::{OrgKind, text::echo};
use store::{Applicant, ApplicantFilter, ApplicantStep, NewApplicant, Scope, StepRecord};

/// An application as typed: who, which branch, when.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApplicantInput {
    /// The branch that received the application (a 党支部).
    #[serde(deserialize_with = "crate::whole::i64")]
    pub branch_id: i64,
    pub name: String,
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub work_unit: String,
    /// The member category the applicant will have: code (`in_service`) or label (在职).
    pub category: String,
    /// The day the written application was received, e.g. 2026-03-01.
    pub applied_on: String,
    /// `rules_2014` (the default) or `rules_2026`.
    #[serde(default)]
    pub rule_version: String,
}

/// One step as typed into the file page or sent to the API. Which fields count depends on
/// `step`; the others are ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StepInput {
    /// The step: `talk`, `name_activist`, `file_activist`, `review`, `publicity`,
    /// `higher_consent`, `name_dev_object`, `file_dev_object`, `introducers`,
    /// `political_review`, `training`, `committee_review`, `pre_review`, `pledge`,
    /// `branch_vote`, `interview`, `approve`, `record_above`, `assign`, `oath`,
    /// `apply_conversion`, `conversion_vote`, `conversion_approve`, `archive` or `close`.
    pub step: String,
    /// The day, e.g. 2026-03-01 (a publicity's first day).
    pub on: String,
    /// A publicity's last day.
    #[serde(default)]
    pub until: String,
    /// Who did it: the person who held the talk, the body that decided.
    #[serde(default)]
    pub handled_by: String,
    /// The document: 文号, the report's title, where the papers are.
    #[serde(default)]
    pub document: String,
    /// talk: the talker's post, code or label (书记, 副书记, 组织委员).
    #[serde(default)]
    pub post: String,
    /// name_activist: `members` (党员推荐) or `mass_organisation` (群团推优).
    #[serde(default)]
    pub recommended: String,
    /// name_activist: the 培养联系人; introducers: the two 入党介绍人 (member ids).
    #[serde(default, deserialize_with = "crate::whole::vec_i64")]
    pub member_ids: Vec<i64>,
    /// political_review: whether the 政审 passed.
    #[serde(default)]
    pub passed: bool,
    /// training: days and 学时 of this session.
    #[serde(default, deserialize_with = "crate::whole::opt_u32")]
    pub days: Option<u32>,
    #[serde(default, deserialize_with = "crate::whole::opt_u32")]
    pub hours: Option<u32>,
    /// pre_review, approve, conversion_approve: the approving committee (default: the nearest
    /// one above the branch that may approve).
    #[serde(default, deserialize_with = "crate::whole::opt_i64")]
    pub approver_org_id: Option<i64>,
    /// pre_review: the candidate will leave the unit within three months.
    #[serde(default)]
    pub leaving_within_three_months: bool,
    /// pledge: the 入党志愿书 number.
    #[serde(default)]
    pub number: String,
    /// branch_vote, conversion_vote: 应到会 with a vote, 实到, for, and written opinions for.
    #[serde(default, deserialize_with = "crate::whole::opt_u32")]
    pub expected: Option<u32>,
    #[serde(default, deserialize_with = "crate::whole::opt_u32")]
    pub present: Option<u32>,
    #[serde(default, deserialize_with = "crate::whole::opt_u32")]
    pub yes: Option<u32>,
    #[serde(default, deserialize_with = "crate::whole::opt_u32")]
    pub written_yes: Option<u32>,
    /// approve: a special case allowing six months.
    #[serde(default)]
    pub special: bool,
    /// interview: `committee_member` (党委委员), `organiser` (组织员) or `other`.
    #[serde(default)]
    pub interviewer: String,
    /// conversion_vote: `convert`, `extend` or `cancel`.
    #[serde(default)]
    pub decision: String,
    /// conversion_vote with `extend`: 6 to 12 months.
    #[serde(default, deserialize_with = "crate::whole::opt_u32")]
    pub months: Option<u32>,
}

/// How far ahead a list of files falling due may look, in days: up to ten years.
pub const DUE_WITHIN_DAYS: std::ops::RangeInclusive<i64> = 0..=3650;

/// The steps a file page offers, with their names: (code, label).
pub const STEPS: &[(&str, &str)] = &[
    ("talk", "党组织派人谈话"),
    ("name_activist", "确定为入党积极分子（含培养联系人）"),
    ("file_activist", "入党积极分子报上级党委备案"),
    ("review", "半年考察"),
    ("training", "集中培训"),
    ("publicity", "发展对象公示"),
    ("higher_consent", "上级党委同意确定发展对象"),
    ("name_dev_object", "确定为发展对象"),
    ("file_dev_object", "发展对象报上级党委备案"),
    ("introducers", "确定入党介绍人"),
    ("political_review", "政治审查"),
    ("committee_review", "支委会审查"),
    ("pre_review", "上级党委预审"),
    ("pledge", "填写入党志愿书"),
    ("branch_vote", "支部大会讨论接收"),
    ("interview", "上级党委派人谈话"),
    ("approve", "上级党委审批"),
    ("record_above", "报再上一级组织部门备案"),
    ("assign", "编入支部和党小组"),
    ("oath", "入党宣誓"),
    ("apply_conversion", "提出转正申请"),
    ("conversion_vote", "支部大会讨论转正"),
    ("conversion_approve", "上级党委审批转正"),
    ("archive", "材料归档"),
    ("close", "终止发展"),
];

/// The name of a step code, or the code's own text when unknown (it never is on a saved file).
pub fn step_label(code: &str) -> &str {
    STEPS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, l)| l)
}

/// Steps that are the 上级党委's to record.
fn belongs_above(step: &str) -> bool {
    matches!(
        step,
        "file_activist"
            | "higher_consent"
            | "file_dev_object"
            | "pre_review"
            | "interview"
            | "approve"
            | "record_above"
            | "conversion_approve"
    )
}

/// A file as a page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicantView {
    pub applicant: Applicant,
    pub file: File,
    pub branch_name: String,
    pub stage_label: &'static str,
    pub steps: Vec<ApplicantStep>,
    pub deadlines: Vec<DueView>,
    /// The steps that may come next, as (code, label).
    pub next: Vec<(&'static str, &'static str)>,
}

/// Something due on a file, as a list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DueView {
    pub what: &'static str,
    pub on: NaiveDate,
    pub basis: &'static str,
    pub overdue: bool,
    /// Within the next 30 days.
    pub soon: bool,
    /// A time limit; `false` for the day a step becomes possible.
    pub limit: bool,
}

/// A line of the applicants list or the timer page.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicantLine {
    pub applicant: Applicant,
    pub branch_name: String,
    pub stage_label: &'static str,
    pub due: Option<DueView>,
}

pub(crate) fn rule_refused(e: admission::Refusal) -> AppError {
    AppError::Refused(e.to_string())
}

fn due_view(due: &admission::Due, today: NaiveDate) -> DueView {
    DueView {
        what: due.what,
        on: due.on,
        basis: due.basis,
        overdue: due.limit && due.on < today,
        soon: due.limit && due.on >= today && due.on <= today + chrono::Duration::days(30),
        limit: due.limit,
    }
}

/// The earliest time limit on a file, which lists and timers sort and filter by.
fn next_limit(file: &File) -> Option<admission::Due> {
    admission::deadlines(file).into_iter().find(|d| d.limit)
}

fn stage_of(code: &str) -> Stage {
    Stage::from_code(code).unwrap_or(Stage::Applicant)
}

fn file_of(applicant: &Applicant) -> Result<File> {
    serde_json::from_str(&applicant.file)
        .map_err(|e| AppError::Store(store::StoreError::Invalid(format!("档案数据损坏：{e}"))))
}

/// The steps that may come next at `stage` under `version`: those the rules would consider,
/// before their dates and people are checked.
pub fn next_steps(file: &File) -> Vec<(&'static str, &'static str)> {
    let codes: &[&str] = match file.stage {
        Stage::Applicant => &["talk", "close"],
        Stage::Talked => &["name_activist", "close"],
        Stage::Activist => match file.version {
            RuleVersion::Rules2014 => &[
                "file_activist",
                "review",
                "training",
                "name_dev_object",
                "close",
            ],
            RuleVersion::Rules2026 => &[
                "file_activist",
                "review",
                "training",
                "publicity",
                "higher_consent",
                "name_dev_object",
                "close",
            ],
        },
        Stage::DevObject => &[
            "file_dev_object",
            "introducers",
            "political_review",
            "training",
            "review",
            "committee_review",
            "pre_review",
            "close",
        ],
        Stage::PreReviewed => &["pledge", "branch_vote", "review", "close"],
        Stage::ProbPending => &["interview", "approve", "review", "close"],
        Stage::Probationary | Stage::Extended => &[
            "record_above",
            "assign",
            "oath",
            "review",
            "apply_conversion",
            "conversion_vote",
            "conversion_approve",
        ],
        Stage::Full | Stage::Cancelled => &["record_above", "archive"],
        Stage::Closed => &[],
    };
    if file.archived_on.is_some() {
        return vec![];
    }
    STEPS
        .iter()
        .copied()
        .filter(|(c, _)| codes.contains(c))
        .collect()
}

fn number(value: Option<u32>, what: &str) -> Result<u32> {
    value.ok_or_else(|| AppError::Invalid(format!("请填写{what}")))
}

impl App {
    /// Opens a file on an application received by a branch of the actor's scope.
    pub async fn open_applicant(&self, actor: &Actor, input: &ApplicantInput) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let name = input.name.trim();
        if name.is_empty() {
            return Err(AppError::Invalid("请填写姓名".into()));
        }
        within(text::PERSON_NAME, name)?;
        let id_number = input.id_number.trim().to_ascii_uppercase();
        let id_card =
            parse_id_card(&id_number).map_err(|e| AppError::Invalid(format!("身份证号：{e}")))?;
        let category = MemberCategory::from_label(&input.category).ok_or_else(|| {
            AppError::Invalid(format!(
                "党员类别「{}」无效，应为：{}",
                echo(&input.category),
                MemberCategory::ALL
                    .iter()
                    .map(|c| c.label())
                    .collect::<Vec<_>>()
                    .join("、")
            ))
        })?;
        let applied_on = parse_date_cn(&input.applied_on).ok_or_else(|| {
            AppError::Invalid(format!(
                "申请日期「{}」无效，格式如 2026-03-01",
                echo(&input.applied_on)
            ))
        })?;
        if applied_on > today() {
            return Err(AppError::Invalid("申请日期不能晚于今天".into()));
        }
        let version = match input.rule_version.trim() {
            "" => RuleVersion::Rules2014,
            text => RuleVersion::from_label(text)
                .ok_or_else(|| AppError::Invalid("请选择所依据的发展党员规定".into()))?,
        };
        let phone = match input.phone.trim() {
            "" => None,
            p => Some(
                domain::personal::parse_mobile_phone(p)
                    .map_err(|e| AppError::Invalid(e.to_string()))?,
            ),
        };
        let work_unit = match input.work_unit.trim() {
            "" => None,
            w => {
                within(text::WORK_UNIT, w)?;
                Some(w.to_string())
            }
        };
        let file =
            admission::open(version, applied_on, id_card.birth_date).map_err(rule_refused)?;
        // The branch first: someone else's branch is "not found" before any talk of the number.
        let branch = self.db.org_get(actor.scope(), input.branch_id).await?;
        if OrgKind::from_code(&branch.kind) != Some(OrgKind::Branch) {
            return Err(AppError::Invalid(
                "入党申请由党支部受理，请选择党支部".into(),
            ));
        }
        if self.db.applicant_id_number_taken(&id_number).await? {
            return Err(AppError::Conflict(
                "该身份证号已是党员，或已有未结束的入党申请".into(),
            ));
        }
        let due = next_limit(&file);
        let new = NewApplicant {
            branch_id: branch.id,
            name: name.to_string(),
            id_number,
            phone,
            work_unit,
            category: category.code().to_string(),
            rule_version: version.code().to_string(),
            stage: file.stage.code().to_string(),
            applied_on,
            next_due_on: due.as_ref().map(|d| d.on),
            next_due_what: due.map(|d| d.what.to_string()),
            file: serde_json::to_string(&file).unwrap_or_default(),
        };
        Ok(self
            .db
            .applicant_create(actor.scope(), &new, &actor.author())
            .await?)
    }

    /// The files of the actor's scope (or of `org_id` within it), those falling due first;
    /// `due_within` keeps only those with something due in that many days or overdue.
    pub async fn applicants(
        &self,
        actor: &Actor,
        org_id: Option<i64>,
        stage: &str,
        due_within: Option<i64>,
    ) -> Result<Vec<ApplicantLine>> {
        actor.require_staff()?;
        if let Some(days) = due_within
            && !DUE_WITHIN_DAYS.contains(&days)
        {
            return Err(AppError::Invalid(format!(
                "到期天数应在 {} 至 {} 之间",
                DUE_WITHIN_DAYS.start(),
                DUE_WITHIN_DAYS.end()
            )));
        }
        if let Some(org) = org_id {
            self.db.org_get(actor.scope(), org).await?;
        }
        let today = today();
        let stages = match stage.trim() {
            "" => vec![],
            "open" => Stage::ALL
                .iter()
                .filter(|s| !s.ended())
                .map(|s| s.code().to_string())
                .collect(),
            text => vec![
                Stage::from_label(text)
                    .ok_or_else(|| AppError::Invalid("请选择阶段".into()))?
                    .code()
                    .to_string(),
            ],
        };
        let filter = ApplicantFilter {
            org_id,
            stages,
            due_by: due_within.map(|days| today + chrono::Duration::days(days)),
        };
        let rows = self.db.applicants(actor.scope(), &filter).await?;
        let mut branch_ids: Vec<i64> = rows.iter().map(|a| a.branch_id).collect();
        branch_ids.sort_unstable();
        branch_ids.dedup();
        let names: std::collections::HashMap<i64, String> = self
            .db
            .names_of(store::audit::Named::Org, &branch_ids)
            .await?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .map(|a| {
                let due = a.next_due_on.map(|on| {
                    due_view(
                        &admission::Due {
                            what: "",
                            on,
                            basis: "",
                            limit: true,
                        },
                        today,
                    )
                });
                ApplicantLine {
                    branch_name: names.get(&a.branch_id).cloned().unwrap_or_default(),
                    stage_label: stage_of(&a.stage).label(),
                    due,
                    applicant: a,
                }
            })
            .collect())
    }

    /// One file with its steps and what falls due.
    pub async fn applicant(&self, actor: &Actor, id: i64) -> Result<ApplicantView> {
        actor.require_staff()?;
        let applicant = self.db.applicant_get(actor.scope(), id).await?;
        let file = file_of(&applicant)?;
        let steps = self.db.applicant_steps(actor.scope(), id).await?;
        let branch_name = self
            .db
            .org_get(actor.scope(), applicant.branch_id)
            .await
            .map(|o| o.name)
            .unwrap_or_default();
        let today = today();
        Ok(ApplicantView {
            deadlines: admission::deadlines(&file)
                .iter()
                .map(|d| due_view(d, today))
                .collect(),
            next: next_steps(&file),
            stage_label: file.stage.label(),
            branch_name,
            steps,
            file,
            applicant,
        })
    }

    /// Records one step on a file: the rules of `domain::admission` decide; a refusal is
    /// [`AppError::Refused`] with the rule in words. At approval the applicant becomes a
    /// 预备党员 in the branch; at the approved conversion, a 正式党员.
    pub async fn record_applicant_step(
        &self,
        actor: &Actor,
        id: i64,
        input: &StepInput,
    ) -> Result<ApplicantView> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let applicant = self.db.applicant_get(actor.scope(), id).await?;
        let file = file_of(&applicant)?;
        let on = parse_date_cn(&input.on).ok_or_else(|| {
            AppError::Invalid(format!(
                "日期「{}」无效，格式如 2026-03-01",
                echo(&input.on)
            ))
        })?;
        if on > today() {
            return Err(AppError::Invalid(
                "日期不能晚于今天：请在事情办完后记录".into(),
            ));
        }
        let handled_by = input.handled_by.trim();
        within(text::APPROVAL, handled_by)?;
        let document = input.document.trim();
        within(text::APPROVAL, document)?;
        let step = input.step.trim();
        // Contacts are one or two, introducers two: more names are a mistake, not work to do.
        if input.member_ids.len() > 2 {
            return Err(AppError::Invalid(
                "培养联系人为一至二名，入党介绍人为两名".into(),
            ));
        }
        if belongs_above(step) {
            let approver = self.approver_org(&applicant, input.approver_org_id).await?;
            // The committee's own steps are recorded by someone whose scope holds it.
            if self.db.org_get(actor.scope(), approver.0).await.is_err() {
                return Err(AppError::Forbidden);
            }
        }
        let action = self.action_of(actor, &applicant, step, on, input).await?;
        let calendar = self
            .work_calendar(self.applicant_root(&applicant).await?)
            .await?;
        let next = admission::apply(&file, &action, &calendar).map_err(rule_refused)?;
        // At approval the member record is made; check it before anything is written.
        let new_member = if matches!(action, Action::Approve { .. }) {
            let input = self.member_input(&applicant, &next);
            validate_member(&input, today()).map_err(crate::members::invalid)?;
            Some(input)
        } else {
            None
        };
        let due = next_limit(&next);
        let label = step_label(step);
        let record = StepRecord {
            action: step.to_string(),
            on_date: on,
            handled_by: handled_by.to_string(),
            document: document.to_string(),
            detail: serde_json::to_string(&action).unwrap_or_default(),
            summary: format!("{label}（{on}）"),
            stage: next.stage.code().to_string(),
            next_due_on: due.as_ref().map(|d| d.on),
            next_due_what: due.map(|d| d.what.to_string()),
            file: serde_json::to_string(&next).unwrap_or_default(),
        };
        self.db
            .applicant_record_step(
                actor.scope(),
                id,
                applicant.version,
                &record,
                &actor.author(),
            )
            .await?;
        if let Some(input) = new_member {
            let member = self.create_member(actor, &input).await?;
            self.db
                .applicant_link_member(actor.scope(), id, member.id)
                .await?;
        }
        // 取消预备党员资格: no longer a member from the day decided; the record and its history
        // stay, on no branch's roll.
        if next.stage == Stage::Cancelled
            && file.stage != Stage::Cancelled
            && let Some(member_id) = applicant.member_id
        {
            self.db
                .member_apply_effect(
                    Scope::Subtree(self.applicant_root(&applicant).await?),
                    member_id,
                    store::MemberEffect::Leave { on },
                    &actor.author(),
                )
                .await?;
        }
        if next.stage == Stage::Full
            && let (Some(member_id), Some(full_on)) = (applicant.member_id, next.full_on)
        {
            let member = self.db.member_get(actor.scope(), member_id).await?;
            let mut input = input_from_member(&member);
            input.status = "full".into();
            input.full_on = full_on.to_string();
            self.update_member(actor, member_id, &input).await?;
        }
        self.applicant(actor, id).await
    }

    /// Reminders of 发展党员 time limits falling within a week or already past, to the officers
    /// of the file's branch; the committee's own limits (预审, 审批) also to the org admins of the
    /// committee that holds them. Keyed by file, limit and day, so each goes out once.
    pub(crate) async fn sweep_admission(&self, root: i64, today: NaiveDate) -> Result<usize> {
        let scope = Scope::Subtree(root);
        let filter = ApplicantFilter {
            due_by: Some(today + chrono::Duration::days(7)),
            stages: Stage::ALL
                .iter()
                .filter(|s| !s.ended())
                .map(|s| s.code().to_string())
                .collect(),
            ..Default::default()
        };
        let files = self.db.applicants(scope, &filter).await?;
        if files.is_empty() {
            return Ok(0);
        }
        let users = self.db.user_list(scope).await?;
        let mut queued = 0;
        for file in files {
            let (Some(on), Some(what)) = (file.next_due_on, file.next_due_what.as_deref()) else {
                continue;
            };
            let mut recipients: Vec<i64> = users
                .iter()
                .filter(|u| {
                    u.active
                        && u.role == domain::Role::BranchOfficer.code()
                        && u.org_id == file.branch_id
                })
                .map(|u| u.id)
                .collect();
            if what.starts_with("上级党委")
                && let Ok((committee, _)) = self.approver_org(&file, None).await
            {
                recipients.extend(
                    users
                        .iter()
                        .filter(|u| {
                            u.active
                                && u.role == domain::Role::OrgAdmin.code()
                                && u.org_id == committee
                        })
                        .map(|u| u.id),
                );
            }
            let state = if on < today {
                "已逾期"
            } else {
                "即将到期"
            };
            for user in recipients {
                queued += usize::from(
                    self.db
                        .outbox_enqueue(&store::NewMessage {
                            org_id: file.branch_id,
                            recipient_user_id: Some(user),
                            recipient_member_id: None,
                            channel: crate::reminders::INBOX.into(),
                            kind: "admission_due".into(),
                            dedupe_key: format!("admission_due:{user}:{}:{what}:{on}", file.id),
                            title: format!("发展党员：{}「{what}」{state}", file.name),
                            body: format!(
                                "{} 的发展党员档案中，「{what}」的时限是 {on}。请按时办理并在档案中记录。",
                                file.name
                            ),
                            link: format!("/admission/{}", file.id),
                        })
                        .await?,
                );
            }
        }
        Ok(queued)
    }

    /// The branches of the actor's scope that may receive an application.
    pub async fn applicant_branches(&self, actor: &Actor) -> Result<Vec<store::OrgNode>> {
        actor.require_staff()?;
        Ok(self.db.org_list_kind(actor.scope(), "branch").await?)
    }

    /// The 正式党员 of a file's branch, who may be named 培养联系人 or 入党介绍人: (id, name).
    pub async fn applicant_sponsor_choices(
        &self,
        actor: &Actor,
        applicant: &Applicant,
    ) -> Result<Vec<(i64, String)>> {
        let filter = store::MemberFilter {
            org_id: Some(applicant.branch_id),
            status: Some("full".into()),
            ..Default::default()
        };
        Ok(self
            .db
            .member_search(actor.scope(), &filter, 500, 0)
            .await?
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect())
    }

    async fn applicant_root(&self, applicant: &Applicant) -> Result<i64> {
        Ok(self
            .db
            .org_get(Scope::Subtree(applicant.branch_id), applicant.branch_id)
            .await?
            .root_org_id)
    }

    /// The approving committee: the one named, which must be above the branch, or the nearest
    /// one above it that may approve. Its id and what the rules need to know of it.
    async fn approver_org(
        &self,
        applicant: &Applicant,
        named: Option<i64>,
    ) -> Result<(i64, Approver)> {
        // The path from the root to the branch; read in the branch's own subtree, since the
        // recorder may not see the committees above their own org.
        let root = self.applicant_root(applicant).await?;
        let path = self
            .db
            .org_path(Scope::Subtree(root), applicant.branch_id)
            .await?;
        let above: Vec<_> = path
            .iter()
            .filter(|o| o.id != applicant.branch_id)
            .collect();
        let ids: Vec<i64> = above.iter().map(|o| o.id).collect();
        let granted: Vec<i64> = self
            .db
            .admission_grants(&ids)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let approver = |o: &store::OrgNode| Approver {
            kind: OrgKind::from_code(&o.kind).unwrap_or(OrgKind::Branch),
            granted: granted.contains(&o.id),
        };
        match named {
            Some(id) => above
                .iter()
                .find(|o| o.id == id)
                .map(|o| (o.id, approver(o)))
                .ok_or_else(|| AppError::Invalid("审批组织须是该党支部的上级党委".into())),
            None => above
                .iter()
                .rev()
                .find(|o| admission::may_approve(approver(o)))
                .map(|o| (o.id, approver(o)))
                .ok_or_else(|| AppError::Invalid("该党支部上级没有有审批权的党委".into())),
        }
    }

    /// Members named by id, as the rules need to know them on `on`: a 正式党员 with their
    /// rights, or not.
    pub(crate) async fn sponsors(
        &self,
        actor: &Actor,
        ids: &[i64],
        on: NaiveDate,
    ) -> Result<Vec<Sponsor>> {
        let mut sponsors = Vec::with_capacity(ids.len());
        for id in ids {
            let member = self.db.member_get(actor.scope(), *id).await?;
            let restrictions: Vec<_> = self
                .db
                .member_restrictions(actor.scope(), *id)
                .await?
                .iter()
                .filter_map(restriction_of)
                .collect();
            let facts = status_facts(&member.status, member.admitted_on, member.full_on);
            let standing = standing_on(&facts, &restrictions, on);
            sponsors.push(Sponsor {
                member_id: *id,
                full_member: !matches!(standing, Standing::Probationary | Standing::NotYetMember),
                restricted: matches!(
                    standing,
                    Standing::PartyProbation | Standing::RightsSuspended
                ),
            });
        }
        Ok(sponsors)
    }

    async fn action_of(
        &self,
        actor: &Actor,
        applicant: &Applicant,
        step: &str,
        on: NaiveDate,
        input: &StepInput,
    ) -> Result<Action> {
        let vote = || -> Result<Vote> {
            Ok(Vote {
                expected: number(input.expected, "应到会有表决权的正式党员人数")?,
                present: number(input.present, "实到人数")?,
                yes: number(input.yes, "赞成票数")?,
                written_yes: input.written_yes.unwrap_or(0),
            })
        };
        Ok(match step {
            "talk" => Action::Talk {
                on,
                by: PartyPost::from_label(&input.post)
                    .ok_or_else(|| AppError::Invalid("请选择谈话人的职务".into()))?,
            },
            "name_activist" => Action::NameActivist {
                on,
                recommended: match input.recommended.trim() {
                    "mass_organisation" | "群团推优" => Recommendation::MassOrganisation,
                    _ => Recommendation::Members,
                },
                contacts: self.sponsors(actor, &input.member_ids, on).await?,
            },
            "file_activist" => Action::FileActivist { on },
            "review" => Action::Review { on },
            "publicity" => Action::Publicity {
                from: on,
                to: parse_date_cn(&input.until)
                    .ok_or_else(|| AppError::Invalid("请填写公示结束日期".into()))?,
            },
            "higher_consent" => Action::HigherConsent { on },
            "name_dev_object" => Action::NameDevObject { on },
            "file_dev_object" => Action::FileDevObject { on },
            "introducers" => Action::Introducers {
                on,
                sponsors: self.sponsors(actor, &input.member_ids, on).await?,
            },
            "political_review" => Action::PoliticalReview {
                on,
                passed: input.passed,
            },
            "training" => Action::Training {
                on,
                days: input.days.unwrap_or(0),
                hours: input.hours.unwrap_or(0),
            },
            "committee_review" => Action::CommitteeReview { on },
            "pre_review" => Action::PreReview {
                on,
                by: self.approver_org(applicant, input.approver_org_id).await?.1,
                leaving_within_three_months: input.leaving_within_three_months,
            },
            "pledge" => Action::Pledge {
                on,
                number: {
                    within(text::APPROVAL, &input.number)?;
                    input.number.clone()
                },
            },
            "branch_vote" => Action::BranchVote { on, vote: vote()? },
            "interview" => Action::Interview {
                on,
                by: match input.interviewer.trim() {
                    "committee_member" | "党委委员" => Interviewer::CommitteeMember,
                    "organiser" | "组织员" => Interviewer::Organiser,
                    _ => Interviewer::Other,
                },
            },
            "approve" => Action::Approve {
                on,
                by: self.approver_org(applicant, input.approver_org_id).await?.1,
                special: input.special,
            },
            "record_above" => Action::RecordAbove { on },
            "assign" => Action::Assign { on },
            "oath" => Action::Oath { on },
            "apply_conversion" => Action::ApplyConversion { on },
            "conversion_vote" => Action::ConversionVote {
                on,
                vote: vote()?,
                decision: match input.decision.trim() {
                    "convert" | "按期转正" => Conversion::Convert,
                    "extend" | "延长预备期" => Conversion::Extend {
                        months: number(input.months, "延长的月数")?,
                    },
                    "cancel" | "取消预备党员资格" => Conversion::Cancel,
                    _ => return Err(AppError::Invalid("请选择支部大会的决定".into())),
                },
            },
            "conversion_approve" => Action::ConversionApprove {
                on,
                by: self.approver_org(applicant, input.approver_org_id).await?.1,
            },
            "archive" => Action::Archive { on },
            "close" => Action::Close { on },
            other => {
                return Err(AppError::Invalid(format!("未知的步骤「{}」", echo(other))));
            }
        })
    }

    /// The member record an approved applicant becomes: a 预备党员 of the branch, admitted on
    /// the day of the 支部大会.
    fn member_input(&self, applicant: &Applicant, file: &File) -> MemberInput {
        MemberInput {
            branch_id: applicant.branch_id,
            name: applicant.name.clone(),
            id_number: applicant.id_number.clone(),
            phone: applicant.phone.clone().unwrap_or_default(),
            category: applicant.category.clone(),
            status: "probationary".into(),
            admitted_on: admission::admitted_on(file)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            work_unit: applicant.work_unit.clone().unwrap_or_default(),
            ..Default::default()
        }
    }
}
