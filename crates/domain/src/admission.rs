//! 发展党员: an applicant's file from 递交入党申请书 to 材料归档. DOMAIN.md §3 (the 2014 《中国共产党
//! 发展党员工作细则》, S10), with the reported 2026 changes as a rule version of their own.
//!
//! A file is a record of facts, each with its day, and a stage. [`apply`] takes one recorded
//! step and either returns the file as it stands after it or refuses with the rule it would
//! break, in words an officer can act on. Nothing here reads a clock: "today" and the work
//! calendar are passed in, so the same facts always give the same answer.
//!
//! Months are calendar months as chrono counts them: a deadline one month after 31 January is
//! the last day of February.

use chrono::{Months, NaiveDate};

use crate::OrgKind;
use crate::enums::code_enum;
use crate::orglife::{Decision, Vote, VoteError, passes};
use crate::record::PartyPost;
use crate::workcal::WorkCalendar;

code_enum! {
    /// Which text the guards follow. DOMAIN.md §3: the 2014 细则 is the baseline; a "2026年5月
    /// 修订" is reported but unconfirmed \[?\], so it is a version an office chooses.
    pub enum RuleVersion {
        Rules2014 => ("rules_2014", "2014年《发展党员工作细则》"),
        Rules2026 => ("rules_2026", "2026年修订（发展对象公示、上级党委同意）"),
    }
}

code_enum! {
    /// Where a file stands. DOMAIN.md §3.2.
    pub enum Stage {
        Applicant => ("applicant", "入党申请人"),
        Talked => ("talked", "已谈话的申请人"),
        Activist => ("activist", "入党积极分子"),
        DevObject => ("dev_object", "发展对象"),
        PreReviewed => ("pre_reviewed", "已通过预审"),
        ProbPending => ("prob_pending", "待上级党委审批"),
        Probationary => ("probationary", "预备党员"),
        Extended => ("extended", "延长预备期"),
        Full => ("full", "正式党员"),
        Cancelled => ("cancelled", "取消预备党员资格"),
        Closed => ("closed", "终止发展"),
    }
}

impl Stage {
    /// Before probation: a file here may be closed as withdrawn or unfit. DOMAIN.md §3.2.
    pub fn before_probation(self) -> bool {
        matches!(
            self,
            Stage::Applicant
                | Stage::Talked
                | Stage::Activist
                | Stage::DevObject
                | Stage::PreReviewed
                | Stage::ProbPending
        )
    }

    /// A 预备党员, on the original or the extended term.
    pub fn on_probation(self) -> bool {
        matches!(self, Stage::Probationary | Stage::Extended)
    }

    /// The file is finished: no more steps but the archive.
    pub fn ended(self) -> bool {
        matches!(self, Stage::Full | Stage::Cancelled | Stage::Closed)
    }
}

code_enum! {
    /// The 25 steps in five stages. DOMAIN.md §3.1 (S10).
    pub enum Step {
        Apply => ("apply", "递交入党申请书"),
        Talk => ("talk", "党组织派人谈话"),
        NameActivist => ("name_activist", "推荐和确定入党积极分子"),
        FileActivist => ("file_activist", "上级党委备案"),
        AssignContacts => ("assign_contacts", "指定培养联系人"),
        Cultivate => ("cultivate", "培养教育考察"),
        NameDevObject => ("name_dev_object", "确定发展对象"),
        FileDevObject => ("file_dev_object", "报上级党委备案"),
        Introducers => ("introducers", "确定入党介绍人"),
        PoliticalReview => ("political_review", "政治审查"),
        Training => ("training", "集中培训"),
        CommitteeReview => ("committee_review", "支委会审查"),
        PreReview => ("pre_review", "上级党委预审"),
        Pledge => ("pledge", "填写入党志愿书"),
        BranchVote => ("branch_vote", "支部大会讨论"),
        Interview => ("interview", "上级党委派人谈话"),
        Approve => ("approve", "上级党委审批"),
        RecordAbove => ("record_above", "再上一级组织部门备案"),
        Assign => ("assign", "编入支部和党小组"),
        Oath => ("oath", "入党宣誓"),
        ContinueCultivation => ("continue_cultivation", "继续教育考察"),
        ApplyConversion => ("apply_conversion", "提出转正申请"),
        ConversionVote => ("conversion_vote", "支部大会讨论转正"),
        ConversionApprove => ("conversion_approve", "上级党委审批转正"),
        Archive => ("archive", "材料归档"),
    }
}

impl Step {
    /// The step's number, 1 to 25, as S10 counts them.
    pub fn number(self) -> u8 {
        Step::ALL
            .iter()
            .position(|s| *s == self)
            .map_or(0, |i| i as u8 + 1)
    }

    /// The stage of S10's table the step belongs to (申请入党 … 教育考察和转正).
    pub fn phase_label(self) -> &'static str {
        match self.number() {
            1..=2 => "申请入党",
            3..=6 => "入党积极分子的确定和培养教育",
            7..=11 => "发展对象的确定和考察",
            12..=18 => "预备党员的接收",
            _ => "预备党员的教育考察和转正",
        }
    }
}

/// How the activist was put forward. DOMAIN.md §3.2 (b).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Recommendation {
    /// 党员推荐.
    Members,
    /// 群团组织推优 (the 共青团, 工会, 妇联).
    MassOrganisation,
}

/// A party member the file names (an introducer or a 培养联系人), as they stand on the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Sponsor {
    pub member_id: i64,
    pub full_member: bool,
    /// Under 留党察看 (or with rights suspended) on the day.
    pub restricted: bool,
}

impl Sponsor {
    fn may_sponsor(&self) -> bool {
        self.full_member && !self.restricted
    }
}

/// Who held the approval interview: a member of the 党委 or its 组织员. DOMAIN.md §3.2 (f).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Interviewer {
    CommitteeMember,
    Organiser,
    /// Anyone else: refused.
    Other,
}

/// The organisation that approves (or pre-reviews): its kind, and whether a county-level
/// committee has given it the power to approve (a 社区 or 村 党委 may hold it by grant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Approver {
    pub kind: OrgKind,
    pub granted: bool,
}

/// Whether an organisation may approve admissions. DOMAIN.md §3.2 (f): a 党总支, a 党支部, or a
/// 党委 below the 乡镇 level cannot approve, unless granted the power.
pub fn may_approve(approver: Approver) -> bool {
    match approver.kind {
        OrgKind::DistrictCommittee | OrgKind::StreetCommittee | OrgKind::TownCommittee => true,
        OrgKind::CommunityCommittee | OrgKind::VillageCommittee => approver.granted,
        _ => false,
    }
}

/// How far a yearly plan has got, in whole percent (rounded down, so 99.6% is not shown as
/// done): `None` where the quota is nil. A plan may be exceeded. DOMAIN.md §3 (the yearly
/// 发展党员 plan a 党委 sets for its subtree).
pub fn plan_progress(quota: i64, done: i64) -> Option<i64> {
    (quota > 0).then(|| done.max(0).saturating_mul(100) / quota)
}

/// What the 支部大会 decided on a 预备党员 at the end of the term. DOMAIN.md §3.2 (g).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Conversion {
    /// 按期转正.
    Convert,
    /// 延长预备期, once, by 6 to 12 months.
    Extend { months: u32 },
    /// 取消预备党员资格.
    Cancel,
}

/// One recorded step. Each carries its day; the people and documents the step names are kept
/// with it by the caller and checked here only where a rule reads them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Action {
    /// Step 2, guard (a).
    Talk { on: NaiveDate, by: PartyPost },
    /// Steps 3 and 5, guard (b): the 支委会 names the activist and one or two 培养联系人.
    NameActivist {
        on: NaiveDate,
        recommended: Recommendation,
        contacts: Vec<Sponsor>,
    },
    /// Step 4: the 上级党委 has the activist on file.
    FileActivist { on: NaiveDate },
    /// Steps 6 and 21: a half-yearly review of the activist, 发展对象 or 预备党员.
    Review { on: NaiveDate },
    /// 2026 version: the 公示 of a proposed 发展对象, from and to (inclusive).
    Publicity { from: NaiveDate, to: NaiveDate },
    /// 2026 version: the 上级党委 agrees (同意) to the 发展对象, before step 7.
    HigherConsent { on: NaiveDate },
    /// Step 7, guard (c).
    NameDevObject { on: NaiveDate },
    /// Step 8 (2014 version): the 发展对象 reported to the 上级党委 (备案).
    FileDevObject { on: NaiveDate },
    /// Step 9: two introducers.
    Introducers {
        on: NaiveDate,
        sponsors: Vec<Sponsor>,
    },
    /// Step 10: the 政审 conclusion.
    PoliticalReview { on: NaiveDate, passed: bool },
    /// Step 11: 集中培训, in days and 学时.
    Training {
        on: NaiveDate,
        days: u32,
        hours: u32,
    },
    /// Step 12: the 支委会 reviews the 发展对象.
    CommitteeReview { on: NaiveDate },
    /// Step 13, guard (d).
    PreReview {
        on: NaiveDate,
        by: Approver,
        leaving_within_three_months: bool,
    },
    /// Step 14: the 入党志愿书 is issued and filled in.
    Pledge { on: NaiveDate, number: String },
    /// Step 15, guard (e): the 支部大会 votes on admission.
    BranchVote { on: NaiveDate, vote: Vote },
    /// Step 16: the approval interview.
    Interview { on: NaiveDate, by: Interviewer },
    /// Step 17, guard (f). `special` allows 6 months instead of 3.
    Approve {
        on: NaiveDate,
        by: Approver,
        special: bool,
    },
    /// Step 18.
    RecordAbove { on: NaiveDate },
    /// Step 19.
    Assign { on: NaiveDate },
    /// Step 20.
    Oath { on: NaiveDate },
    /// Step 22.
    ApplyConversion { on: NaiveDate },
    /// Step 23, guard (g): the 支部大会 decides at the end of the term.
    ConversionVote {
        on: NaiveDate,
        vote: Vote,
        decision: Conversion,
    },
    /// Step 24: the 上级党委 approves the decision.
    ConversionApprove { on: NaiveDate, by: Approver },
    /// Step 25.
    Archive { on: NaiveDate },
    /// Withdrawn by the applicant or found unfit, before probation.
    Close { on: NaiveDate },
}

impl Action {
    pub fn on(&self) -> NaiveDate {
        match self {
            Action::Talk { on, .. }
            | Action::NameActivist { on, .. }
            | Action::FileActivist { on }
            | Action::Review { on }
            | Action::HigherConsent { on }
            | Action::NameDevObject { on }
            | Action::FileDevObject { on }
            | Action::Introducers { on, .. }
            | Action::PoliticalReview { on, .. }
            | Action::Training { on, .. }
            | Action::CommitteeReview { on }
            | Action::PreReview { on, .. }
            | Action::Pledge { on, .. }
            | Action::BranchVote { on, .. }
            | Action::Interview { on, .. }
            | Action::Approve { on, .. }
            | Action::RecordAbove { on }
            | Action::Assign { on }
            | Action::Oath { on }
            | Action::ApplyConversion { on }
            | Action::ConversionVote { on, .. }
            | Action::ConversionApprove { on, .. }
            | Action::Archive { on }
            | Action::Close { on } => *on,
            Action::Publicity { to, .. } => *to,
        }
    }

    /// The S10 step the action records; `None` for the 2026 additions and for closing a file.
    pub fn step(&self) -> Option<Step> {
        Some(match self {
            Action::Talk { .. } => Step::Talk,
            Action::NameActivist { .. } => Step::NameActivist,
            Action::FileActivist { .. } => Step::FileActivist,
            Action::Review { .. } => Step::Cultivate,
            Action::NameDevObject { .. } => Step::NameDevObject,
            Action::FileDevObject { .. } => Step::FileDevObject,
            Action::Introducers { .. } => Step::Introducers,
            Action::PoliticalReview { .. } => Step::PoliticalReview,
            Action::Training { .. } => Step::Training,
            Action::CommitteeReview { .. } => Step::CommitteeReview,
            Action::PreReview { .. } => Step::PreReview,
            Action::Pledge { .. } => Step::Pledge,
            Action::BranchVote { .. } => Step::BranchVote,
            Action::Interview { .. } => Step::Interview,
            Action::Approve { .. } => Step::Approve,
            Action::RecordAbove { .. } => Step::RecordAbove,
            Action::Assign { .. } => Step::Assign,
            Action::Oath { .. } => Step::Oath,
            Action::ApplyConversion { .. } => Step::ApplyConversion,
            Action::ConversionVote { .. } => Step::ConversionVote,
            Action::ConversionApprove { .. } => Step::ConversionApprove,
            Action::Archive { .. } => Step::Archive,
            Action::Publicity { .. } | Action::HigherConsent { .. } | Action::Close { .. } => {
                return None;
            }
        })
    }
}

/// An applicant's file: the facts recorded so far and where they leave it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct File {
    pub version: RuleVersion,
    pub stage: Stage,
    pub applied_on: NaiveDate,
    pub talked_on: Option<NaiveDate>,
    pub activist_on: Option<NaiveDate>,
    pub activist_filed_on: Option<NaiveDate>,
    /// The latest half-yearly review (or the day the cultivation began).
    pub last_review_on: Option<NaiveDate>,
    pub publicity: Option<(NaiveDate, NaiveDate)>,
    pub higher_consent_on: Option<NaiveDate>,
    pub dev_object_on: Option<NaiveDate>,
    pub dev_object_filed_on: Option<NaiveDate>,
    pub introducers_on: Option<NaiveDate>,
    pub political_review_passed_on: Option<NaiveDate>,
    /// Training so far, summed over the sessions recorded.
    pub training_days: u32,
    pub training_hours: u32,
    pub committee_review_on: Option<NaiveDate>,
    pub pre_review_on: Option<NaiveDate>,
    pub pledge_number: Option<String>,
    /// The last 支部大会 that voted the candidate down.
    pub failed_vote_on: Option<NaiveDate>,
    /// The 支部大会 that admitted the candidate: the 入党日期 and 政治生日 once approved.
    pub branch_vote_on: Option<NaiveDate>,
    pub interview_on: Option<NaiveDate>,
    pub approved_on: Option<NaiveDate>,
    pub recorded_above_on: Option<NaiveDate>,
    pub assigned_on: Option<NaiveDate>,
    pub oath_on: Option<NaiveDate>,
    /// The day probation ends (exclusive of nothing: the last day is the day before the
    /// anniversary), extended when the term is.
    pub probation_ends_on: Option<NaiveDate>,
    pub extended: bool,
    pub conversion_applied_on: Option<NaiveDate>,
    /// The 支部大会's decision at the end of the term, awaiting approval.
    pub pending_conversion: Option<(NaiveDate, Conversion)>,
    /// 转正日期: the end of the (possibly extended) term. 党龄 counts from it.
    pub full_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub archived_on: Option<NaiveDate>,
    /// Every S10 step recorded, in order.
    pub steps: Vec<Step>,
}

/// Why a step cannot be recorded: the rule, in words, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}（依据：{basis}）")]
pub struct Refusal {
    pub reason: String,
    /// The text the rule comes from, by name.
    pub basis: &'static str,
}

const RULES_2014: &str = "《中国共产党发展党员工作细则》";
const RULES_2026: &str = "2026年修订的发展党员工作规定";
const CHARTER: &str = "《中国共产党章程》";
const LOCAL: &str = "本地规定";

fn refuse<T>(reason: impl Into<String>, basis: &'static str) -> Result<T, Refusal> {
    Err(Refusal {
        reason: reason.into(),
        basis,
    })
}

/// `date` plus `months` calendar months, held to the month's last day.
pub fn months_after(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// Opens a file. DOMAIN.md §3.2 Apply: 18 years old on the day of the application (党章 Art1).
pub fn open(
    version: RuleVersion,
    applied_on: NaiveDate,
    birth_date: NaiveDate,
) -> Result<File, Refusal> {
    if months_after(birth_date, 18 * 12) > applied_on {
        return refuse("递交入党申请书时须年满十八岁", CHARTER);
    }
    Ok(File {
        version,
        stage: Stage::Applicant,
        applied_on,
        talked_on: None,
        activist_on: None,
        activist_filed_on: None,
        last_review_on: None,
        publicity: None,
        higher_consent_on: None,
        dev_object_on: None,
        dev_object_filed_on: None,
        introducers_on: None,
        political_review_passed_on: None,
        training_days: 0,
        training_hours: 0,
        committee_review_on: None,
        pre_review_on: None,
        pledge_number: None,
        failed_vote_on: None,
        branch_vote_on: None,
        interview_on: None,
        approved_on: None,
        recorded_above_on: None,
        assigned_on: None,
        oath_on: None,
        probation_ends_on: None,
        extended: false,
        conversion_applied_on: None,
        pending_conversion: None,
        full_on: None,
        ended_on: None,
        archived_on: None,
        steps: vec![Step::Apply],
    })
}

/// Training enough for a 发展对象: at least 3 days or 24 学时. DOMAIN.md §3.2, before (d).
pub fn training_enough(days: u32, hours: u32) -> bool {
    days >= 3 || hours >= 24
}

/// The working days from `from` to `to`, both included.
fn workdays_between(calendar: &WorkCalendar, from: NaiveDate, to: NaiveDate) -> u32 {
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| calendar.is_workday(*d))
        .count() as u32
}

fn need(stage: Stage, allowed: &[Stage], what: &str) -> Result<(), Refusal> {
    if allowed.contains(&stage) {
        Ok(())
    } else {
        refuse(
            format!("当前为「{}」，不能{what}", stage.label()),
            RULES_2014,
        )
    }
}

fn not_before(on: NaiveDate, earlier: Option<NaiveDate>, what: &str) -> Result<(), Refusal> {
    match earlier {
        Some(e) if on < e => refuse(format!("日期不能早于{what}（{e}）"), RULES_2014),
        _ => Ok(()),
    }
}

fn vote_passes(vote: &Vote) -> Result<bool, Refusal> {
    passes(Decision::Admission, vote).map_err(|e: VoteError| Refusal {
        reason: e.to_string(),
        basis: "《中国共产党支部工作条例（试行）》",
    })
}

/// Records `action` on `file`. DOMAIN.md §3.2: every guard there is checked here; the local
/// ones (\[L\]) that only set a pace are deadlines ([`deadlines`]), not refusals.
pub fn apply(file: &File, action: &Action, calendar: &WorkCalendar) -> Result<File, Refusal> {
    use Stage::*;
    let mut next = file.clone();
    let on = action.on();
    if file.archived_on.is_some() {
        return refuse("档案已归档，不能再记录", RULES_2014);
    }
    if on < file.applied_on {
        return refuse(
            format!("日期不能早于递交入党申请书的日期（{}）", file.applied_on),
            RULES_2014,
        );
    }
    match action {
        Action::Talk { by, .. } => {
            need(file.stage, &[Applicant], "记录谈话")?;
            // (a): within a month of the application, by the 书记, 副书记 or 组织委员.
            if on > months_after(file.applied_on, 1) {
                return refuse(
                    format!(
                        "谈话须在收到入党申请书后一个月内进行（应不晚于 {}）；已逾期的，请说明情况后重新受理申请",
                        months_after(file.applied_on, 1)
                    ),
                    RULES_2014,
                );
            }
            if !matches!(
                by,
                PartyPost::Secretary | PartyPost::DeputySecretary | PartyPost::OrganisationMember
            ) {
                return refuse("谈话须由党支部书记、副书记或组织委员进行", RULES_2014);
            }
            next.talked_on = Some(on);
            next.stage = Talked;
        }
        Action::NameActivist { contacts, .. } => {
            need(file.stage, &[Talked], "确定为入党积极分子")?;
            not_before(on, file.talked_on, "谈话")?;
            if contacts.is_empty() || contacts.len() > 2 {
                return refuse("须指定一至二名正式党员作培养联系人", RULES_2014);
            }
            if !contacts.iter().all(Sponsor::may_sponsor) {
                return refuse(
                    "培养联系人须为正式党员，且不在留党察看或停止党员权利期间",
                    RULES_2014,
                );
            }
            next.activist_on = Some(on);
            next.last_review_on = Some(on);
            next.stage = Activist;
            next.steps.push(Step::AssignContacts);
        }
        Action::FileActivist { .. } => {
            need(
                file.stage,
                &[Activist, DevObject, PreReviewed, ProbPending],
                "报上级党委备案",
            )?;
            not_before(on, file.activist_on, "确定为入党积极分子")?;
            next.activist_filed_on = Some(on);
        }
        Action::Review { .. } => {
            need(
                file.stage,
                &[
                    Activist,
                    DevObject,
                    PreReviewed,
                    ProbPending,
                    Probationary,
                    Extended,
                ],
                "记录考察",
            )?;
            not_before(on, file.last_review_on, "上一次考察")?;
            next.last_review_on = Some(on);
            if file.stage.on_probation() {
                next.steps.push(Step::ContinueCultivation);
                return Ok(next);
            }
        }
        Action::Publicity { from, to } => {
            need(file.stage, &[Activist], "公示")?;
            if file.version != RuleVersion::Rules2026 {
                return refuse("所用规定没有发展对象公示这一步", RULES_2014);
            }
            if to < from {
                return refuse("公示结束日期不能早于开始日期", RULES_2026);
            }
            not_before(*from, file.activist_on, "确定为入党积极分子")?;
            next.publicity = Some((*from, *to));
        }
        Action::HigherConsent { .. } => {
            need(file.stage, &[Activist], "记录上级党委同意")?;
            if file.version != RuleVersion::Rules2026 {
                return refuse(
                    "2014年细则规定确定发展对象后报上级党委备案，请记录“报上级党委备案”",
                    RULES_2014,
                );
            }
            not_before(on, file.activist_on, "确定为入党积极分子")?;
            next.higher_consent_on = Some(on);
        }
        Action::NameDevObject { .. } => {
            need(file.stage, &[Activist], "确定为发展对象")?;
            let Some(activist_on) = file.activist_on else {
                return refuse("尚未确定为入党积极分子", RULES_2014);
            };
            if file.activist_filed_on.is_none() {
                return refuse("确定入党积极分子后须先报上级党委备案", RULES_2014);
            }
            // (c): "一年以上" of cultivation.
            let eligible = months_after(activist_on, 12);
            if on < eligible {
                return refuse(
                    format!(
                        "入党积极分子须经一年以上培养教育和考察，{eligible} 起方可确定为发展对象"
                    ),
                    RULES_2014,
                );
            }
            if file.version == RuleVersion::Rules2026 {
                let Some((from, to)) = file.publicity else {
                    return refuse("确定发展对象前须公示", RULES_2026);
                };
                if workdays_between(calendar, from, to) < 5 {
                    return refuse("公示不少于5个工作日", RULES_2026);
                }
                if on <= to {
                    return refuse(
                        format!("公示期至 {to}，期满后方可确定为发展对象"),
                        RULES_2026,
                    );
                }
                match file.higher_consent_on {
                    Some(c) if c <= on => {}
                    _ => return refuse("确定发展对象须经上级党委同意", RULES_2026),
                }
            }
            next.dev_object_on = Some(on);
            next.stage = DevObject;
        }
        Action::FileDevObject { .. } => {
            need(file.stage, &[DevObject], "报上级党委备案")?;
            not_before(on, file.dev_object_on, "确定为发展对象")?;
            next.dev_object_filed_on = Some(on);
        }
        Action::Introducers { sponsors, .. } => {
            need(file.stage, &[DevObject], "确定入党介绍人")?;
            not_before(on, file.dev_object_on, "确定为发展对象")?;
            let distinct = sponsors.len() == 2 && sponsors[0].member_id != sponsors[1].member_id;
            if !distinct {
                return refuse("须有两名入党介绍人", CHARTER);
            }
            if !sponsors.iter().all(Sponsor::may_sponsor) {
                return refuse(
                    "入党介绍人须为正式党员，且不在留党察看或停止党员权利期间",
                    RULES_2014,
                );
            }
            next.introducers_on = Some(on);
        }
        Action::PoliticalReview { passed, .. } => {
            need(file.stage, &[DevObject], "记录政治审查")?;
            not_before(on, file.dev_object_on, "确定为发展对象")?;
            next.political_review_passed_on = passed.then_some(on);
        }
        Action::Training { days, hours, .. } => {
            need(file.stage, &[Activist, DevObject], "记录集中培训")?;
            next.training_days = file.training_days.saturating_add(*days);
            next.training_hours = file.training_hours.saturating_add(*hours);
        }
        Action::CommitteeReview { .. } => {
            need(file.stage, &[DevObject], "支委会审查")?;
            not_before(on, file.dev_object_on, "确定为发展对象")?;
            if file.version == RuleVersion::Rules2014 && file.dev_object_filed_on.is_none() {
                return refuse("确定发展对象后须先报上级党委备案", RULES_2014);
            }
            if file.introducers_on.is_none() {
                return refuse("须先确定两名入党介绍人", RULES_2014);
            }
            if file.political_review_passed_on.is_none() {
                return refuse("政治审查未通过或尚无结论，不能发展", RULES_2014);
            }
            if !training_enough(file.training_days, file.training_hours) {
                return refuse(
                    format!(
                        "集中培训须不少于3天或24学时（已记录 {} 天、{} 学时）",
                        file.training_days, file.training_hours
                    ),
                    RULES_2014,
                );
            }
            next.committee_review_on = Some(on);
        }
        Action::PreReview {
            by,
            leaving_within_three_months,
            ..
        } => {
            need(file.stage, &[DevObject], "上级党委预审")?;
            if file.committee_review_on.is_none() {
                return refuse("须先经支委会审查", RULES_2014);
            }
            not_before(on, file.committee_review_on, "支委会审查")?;
            if !may_approve(*by) {
                return refuse("预审须由有审批权的基层党委进行", RULES_2014);
            }
            if *leaving_within_three_months {
                return refuse(
                    "发展对象三个月内将离开工作、学习单位的，不办理接收手续",
                    RULES_2014,
                );
            }
            // A candidate voted down is not put to the branch again for six months [L].
            if let Some(failed) = file.failed_vote_on
                && on < months_after(failed, 6)
            {
                return refuse(
                    format!(
                        "支部大会未通过的，六个月内不再提交讨论（{} 起）",
                        months_after(failed, 6)
                    ),
                    LOCAL,
                );
            }
            next.pre_review_on = Some(on);
            next.stage = PreReviewed;
        }
        Action::Pledge { number, .. } => {
            need(file.stage, &[PreReviewed], "填写入党志愿书")?;
            not_before(on, file.pre_review_on, "预审")?;
            if number.trim().is_empty() {
                return refuse("请填写入党志愿书编号", RULES_2014);
            }
            next.pledge_number = Some(number.trim().to_string());
        }
        Action::BranchVote { vote, .. } => {
            need(file.stage, &[PreReviewed], "提交支部大会讨论")?;
            if file.pledge_number.is_none() {
                return refuse("须先填写入党志愿书", RULES_2014);
            }
            not_before(on, file.pre_review_on, "预审")?;
            if file.version == RuleVersion::Rules2026
                && let Some(pre) = file.pre_review_on
                && on > months_after(pre, 1)
            {
                return refuse(
                    format!(
                        "预审通过后一个月内须召开支部大会（应不晚于 {}）",
                        months_after(pre, 1)
                    ),
                    RULES_2026,
                );
            }
            if vote_passes(vote)? {
                next.branch_vote_on = Some(on);
                next.stage = ProbPending;
            } else {
                // Voted down: back to 发展对象, with review, 预审 and 志愿书 to do again.
                next.failed_vote_on = Some(on);
                next.committee_review_on = None;
                next.pre_review_on = None;
                next.pledge_number = None;
                next.stage = DevObject;
            }
        }
        Action::Interview { by, .. } => {
            need(file.stage, &[ProbPending], "记录上级党委谈话")?;
            not_before(on, file.branch_vote_on, "支部大会")?;
            if *by == Interviewer::Other {
                return refuse("审批前须由党委委员或组织员同发展对象谈话", RULES_2014);
            }
            next.interview_on = Some(on);
        }
        Action::Approve { by, special, .. } => {
            need(file.stage, &[ProbPending], "审批")?;
            let Some(vote_on) = file.branch_vote_on else {
                return refuse("尚无支部大会决议", RULES_2014);
            };
            match file.interview_on {
                Some(i) if i <= on => {}
                _ => return refuse("审批前须由党委委员或组织员同发展对象谈话", RULES_2014),
            }
            if !may_approve(*by) {
                return refuse("党总支和没有审批权的党委不能审批发展党员", RULES_2014);
            }
            let months = if *special { 6 } else { 3 };
            let limit = months_after(vote_on, months);
            if on > limit {
                return refuse(
                    format!("上级党委须在支部大会后{months}个月内审批（应不晚于 {limit}）"),
                    RULES_2014,
                );
            }
            next.approved_on = Some(on);
            // 党章 Art7: the term runs a year from the day the 支部大会 admitted the member.
            next.probation_ends_on = Some(months_after(vote_on, 12));
            next.last_review_on = Some(on);
            next.stage = Probationary;
        }
        Action::RecordAbove { .. } => {
            need(
                file.stage,
                &[Probationary, Extended, Full],
                "报再上一级组织部门备案",
            )?;
            not_before(on, file.approved_on, "审批")?;
            next.recorded_above_on = Some(on);
        }
        Action::Assign { .. } => {
            need(file.stage, &[Probationary, Extended], "编入支部和党小组")?;
            not_before(on, file.approved_on, "审批")?;
            next.assigned_on = Some(on);
        }
        Action::Oath { .. } => {
            need(file.stage, &[Probationary, Extended], "入党宣誓")?;
            not_before(on, file.approved_on, "审批")?;
            next.oath_on = Some(on);
        }
        Action::ApplyConversion { .. } => {
            need(file.stage, &[Probationary, Extended], "提出转正申请")?;
            not_before(on, file.approved_on, "审批")?;
            next.conversion_applied_on = Some(on);
        }
        Action::ConversionVote { vote, decision, .. } => {
            need(file.stage, &[Probationary, Extended], "讨论转正")?;
            if file.pending_conversion.is_some() {
                return refuse("支部大会已作出决议，待上级党委审批", RULES_2014);
            }
            if *decision == Conversion::Convert {
                if file.conversion_applied_on.is_none() {
                    return refuse("预备党员须先提出书面转正申请", RULES_2014);
                }
                if file.assigned_on.is_none() || file.oath_on.is_none() {
                    return refuse("预备党员须编入支部和党小组并进行入党宣誓", RULES_2014);
                }
            }
            let Some(ends) = file.probation_ends_on else {
                return refuse("尚无预备期", RULES_2014);
            };
            if on < ends && *decision != Conversion::Cancel {
                return refuse(format!("预备期至 {ends} 届满，届满后讨论转正"), CHARTER);
            }
            if let Conversion::Extend { months } = decision {
                if file.extended {
                    return refuse("预备期只能延长一次", CHARTER);
                }
                if !(6..=12).contains(months) {
                    return refuse("延长预备期为半年至一年", CHARTER);
                }
            }
            if !vote_passes(vote)? {
                return refuse(
                    "表决未获应到会有表决权党员半数以上同意，未形成决议",
                    RULES_2014,
                );
            }
            next.pending_conversion = Some((on, *decision));
        }
        Action::ConversionApprove { by, .. } => {
            let Some((vote_on, decision)) = file.pending_conversion else {
                return refuse("尚无支部大会关于转正的决议", RULES_2014);
            };
            not_before(on, Some(vote_on), "支部大会")?;
            if !may_approve(*by) {
                return refuse("党总支和没有审批权的党委不能审批", RULES_2014);
            }
            let limit = months_after(vote_on, 3);
            if on > limit {
                return refuse(
                    format!("上级党委须在三个月内审批（应不晚于 {limit}）"),
                    RULES_2014,
                );
            }
            let ends = file.probation_ends_on.unwrap_or(vote_on);
            next.pending_conversion = None;
            match decision {
                Conversion::Convert => {
                    // 党龄 runs from the end of the term (党章 Art7), not from the approval.
                    next.full_on = Some(ends);
                    next.ended_on = Some(on);
                    next.stage = Full;
                }
                Conversion::Extend { months } => {
                    next.probation_ends_on = Some(months_after(ends, months));
                    next.extended = true;
                    next.conversion_applied_on = None;
                    next.stage = Extended;
                }
                Conversion::Cancel => {
                    next.ended_on = Some(on);
                    next.stage = Cancelled;
                }
            }
        }
        Action::Archive { .. } => {
            if !matches!(file.stage, Full | Cancelled) {
                return refuse("转正或取消资格后方可归档", RULES_2014);
            }
            not_before(on, file.ended_on, "审批")?;
            next.archived_on = Some(on);
        }
        Action::Close { .. } => {
            if !file.stage.before_probation() {
                return refuse("只能终止预备期以前的发展程序", RULES_2014);
            }
            next.ended_on = Some(on);
            next.stage = Closed;
        }
    }
    if let Some(step) = action.step() {
        next.steps.push(step);
    }
    Ok(next)
}

/// Something that falls due on a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Due {
    pub what: &'static str,
    pub on: NaiveDate,
    pub basis: &'static str,
    /// A time limit that can be missed; `false` for a day from which a step becomes possible
    /// (the year of cultivation), which is never overdue.
    pub limit: bool,
}

/// What falls due on `file`, whatever the day: the timers of DOMAIN.md §3.2 (talk, half-yearly
/// reviews, the year of cultivation, approval within 3 months, the end of probation, approval
/// of the conversion) and the local paces (预审 within a month of the 支委会 review, the 2026
/// vote within a month of 预审). The caller compares them with today.
pub fn deadlines(file: &File) -> Vec<Due> {
    let mut due = Vec::new();
    let limit = |what, on, basis| Due {
        what,
        on,
        basis,
        limit: true,
    };
    match file.stage {
        Stage::Applicant => due.push(limit(
            "派人谈话",
            months_after(file.applied_on, 1),
            RULES_2014,
        )),
        Stage::Activist => {
            if let Some(a) = file.activist_on {
                due.push(Due {
                    what: "可确定为发展对象",
                    on: months_after(a, 12),
                    basis: RULES_2014,
                    limit: false,
                });
            }
        }
        Stage::DevObject => {
            if let Some(c) = file.committee_review_on {
                due.push(limit("上级党委预审", months_after(c, 1), LOCAL));
            }
        }
        Stage::PreReviewed => {
            if let Some(p) = file.pre_review_on {
                let basis = if file.version == RuleVersion::Rules2026 {
                    RULES_2026
                } else {
                    LOCAL
                };
                due.push(limit("召开支部大会讨论接收", months_after(p, 1), basis));
            }
        }
        Stage::ProbPending => {
            if let Some(v) = file.branch_vote_on {
                due.push(limit("上级党委审批", months_after(v, 3), RULES_2014));
            }
        }
        Stage::Probationary | Stage::Extended => match file.pending_conversion {
            Some((v, _)) => due.push(limit("上级党委审批转正", months_after(v, 3), RULES_2014)),
            None => {
                if let Some(end) = file.probation_ends_on {
                    due.push(limit("预备期满，讨论转正", end, CHARTER));
                }
            }
        },
        Stage::Talked | Stage::Full | Stage::Cancelled | Stage::Closed => {}
    }
    let reviewed = matches!(
        file.stage,
        Stage::Activist
            | Stage::DevObject
            | Stage::PreReviewed
            | Stage::ProbPending
            | Stage::Probationary
            | Stage::Extended
    );
    if reviewed && let Some(last) = file.last_review_on {
        due.push(limit("半年一次的考察", months_after(last, 6), RULES_2014));
    }
    due.sort_by_key(|d| d.on);
    due
}

/// The 入党日期 (政治生日): the day of the 支部大会 that admitted the member, once the 上级党委
/// has approved. DOMAIN.md §3.2 Probation and §9.
pub fn admitted_on(file: &File) -> Option<NaiveDate> {
    file.approved_on.and(file.branch_vote_on)
}

#[cfg(test)]
mod tests;
