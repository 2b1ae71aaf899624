//! 失联党员排查 (摸查): a campaign that lists the suspects the data shows, the branches' attempts
//! to find each one, and the decisions that follow, through `domain::lost_contact`. DOMAIN.md
//! §17. The 失联 flag on a member is set and cleared here, never by hand.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::admission::rule_refused;
use crate::members::{done_on, today};
use crate::{Actor, App, AppError, Result, within};
use domain::admission::months_after;
use domain::lost_contact::{
    self, Attempt as Method, Case as CaseFacts, CaseAction, CaseState, Cause, Figures, SuspectWhy,
};
use domain::text::{self, echo};
use domain::transfer;
use store::lost_contact::{Attempt, Campaign, Case, CaseDecision, Suspect};
use store::{MemberEffect, Scope};

/// The usual quiet period that makes a suspect: six months, as §1.4 and §17 count.
pub const DEFAULT_QUIET_MONTHS: i64 = 6;

/// A campaign as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CampaignInput {
    pub org_id: i64,
    pub title: String,
    /// Months without 组织生活 or dues; empty: six.
    pub quiet_months: String,
}

/// An attempt as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AttemptInput {
    pub on: String,
    /// `phone`, `visit`, `family`, `work_unit` or `other` (or the words).
    pub method: String,
    pub reached: bool,
    pub note: String,
}

/// A decision as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DecisionInput {
    /// `found`, `lost`, `suspend` or `remove`.
    pub decision: String,
    pub on: String,
    /// The cause, when confirming 失联 (a `Cause` code or its words).
    pub cause: String,
    /// The 党委 (or the organisation above) approved it.
    pub approved: bool,
}

/// The most cases a campaign page lists; the figures count them all.
pub const CASES_SHOWN: usize = 500;

/// A campaign with its cases and figures.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    pub campaign: Campaign,
    /// The first [`CASES_SHOWN`] cases, open ones first.
    pub cases: Vec<CaseLine>,
    /// How many cases the reader's scope holds in all.
    pub cases_total: usize,
    pub figures: Figures,
    /// Per branch: its name and figures.
    pub by_branch: Vec<(String, Figures)>,
}

/// A case as the lists show it.
#[derive(Debug, Clone, Serialize)]
pub struct CaseLine {
    pub case: Case,
    pub state_label: &'static str,
    pub why_label: &'static str,
}

/// A case with its attempts and what may be decided next.
#[derive(Debug, Clone, Serialize)]
pub struct CaseView {
    pub line: CaseLine,
    pub campaign_title: String,
    pub attempts: Vec<(Attempt, &'static str)>,
    pub decisions: Vec<(&'static str, &'static str)>,
    /// When 停止党籍 may first be decided, and when 除名.
    pub suspend_from: NaiveDate,
    pub remove_from: Option<NaiveDate>,
    pub cause_label: Option<&'static str>,
}

fn facts_of(c: &Case) -> CaseFacts {
    CaseFacts {
        state: CaseState::from_code(&c.state).unwrap_or(CaseState::Searching),
        opened_on: c.opened_on,
        last_activity: c.last_activity,
        attempts: u32::try_from(c.attempts).unwrap_or(u32::MAX),
        found_on: c.found_on,
        lost_on: c.lost_on,
        suspended_on: c.suspended_on,
        removed_on: c.removed_on,
    }
}

fn line_of(case: Case) -> CaseLine {
    CaseLine {
        state_label: CaseState::from_code(&case.state)
            .unwrap_or(CaseState::Searching)
            .label(),
        why_label: SuspectWhy::from_code(&case.why)
            .unwrap_or(SuspectWhy::Quiet)
            .label(),
        case,
    }
}

const DECISIONS: &[(&str, &str)] = &[
    ("found", "已找到，恢复正常管理"),
    ("lost", "确认失联"),
    ("suspend", "停止党籍"),
    ("remove", "按自行脱党除名"),
];

impl App {
    /// Starts a 摸查 under an org of the actor's scope: every member there on the roll whose
    /// data shows no 组织生活 and no dues for the quiet months, or a letter issued six months
    /// ago that nobody received and no activity since, becomes a case.
    pub async fn start_campaign(&self, actor: &Actor, input: &CampaignInput) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let title = input.title.trim();
        if title.is_empty() {
            return Err(AppError::Invalid("请填写排查名称".into()));
        }
        within(text::CAMPAIGN_TITLE, title)?;
        let quiet_months = match input.quiet_months.trim() {
            "" => DEFAULT_QUIET_MONTHS,
            t => t
                .parse::<i64>()
                .ok()
                .filter(|m| (1..=36).contains(m))
                .ok_or_else(|| AppError::Invalid("未参加组织生活的月数应为 1 至 36".into()))?,
        };
        let today = today();
        let activity = self
            .db
            .lost_contact_activity(actor.scope(), input.org_id)
            .await?;
        let suspects: Vec<Suspect> = activity
            .into_iter()
            .filter_map(|a| {
                let last = a.last_meeting.max(a.last_paid);
                let letter_lapsed = a.unreceived_letter_on.is_some_and(|issued| {
                    let letter = transfer::Transfer {
                        issued_on: Some(issued),
                        state: transfer::TransferState::Issued,
                        ..transfer::request(transfer::Reach::WithinCity, issued)
                    };
                    transfer::suspected_lapse(&letter, today, last)
                });
                let why = if letter_lapsed {
                    SuspectWhy::UnreceivedLetter
                } else if lost_contact::is_quiet(
                    // A member who only just came to the branch has not been quiet there.
                    last.max(a.joined_on),
                    quiet_months as u32,
                    today,
                ) {
                    SuspectWhy::Quiet
                } else {
                    return None;
                };
                Some(Suspect {
                    member_id: a.member_id,
                    branch_id: a.branch_id,
                    why: why.code().into(),
                    last_activity: last,
                })
            })
            .collect();
        Ok(self
            .db
            .lost_contact_campaign_create(
                actor.scope(),
                input.org_id,
                title,
                today,
                quiet_months,
                &suspects,
                &actor.author(),
            )
            .await?)
    }

    /// The orgs a campaign may be started under: the actor's subtree, committees and branches.
    pub async fn campaign_orgs(&self, actor: &Actor) -> Result<Vec<store::OrgNode>> {
        actor.require_staff()?;
        let mut orgs = Vec::new();
        for kind in domain::OrgKind::ALL {
            if *kind != domain::OrgKind::PartyGroup {
                orgs.extend(self.db.org_list_kind(actor.scope(), kind.code()).await?);
            }
        }
        Ok(orgs)
    }

    /// The campaigns the actor's scope takes part in.
    pub async fn campaigns(&self, actor: &Actor) -> Result<Vec<Campaign>> {
        actor.require_staff()?;
        Ok(self.db.lost_contact_campaigns(actor.scope()).await?)
    }

    /// One campaign with the actor's cases and their figures, overall and per branch.
    pub async fn campaign(&self, actor: &Actor, id: i64) -> Result<CampaignView> {
        actor.require_staff()?;
        let campaign = self.db.lost_contact_campaign(actor.scope(), id).await?;
        let cases = self.db.lost_contact_cases(actor.scope(), id).await?;
        let all: Vec<CaseFacts> = cases.iter().map(facts_of).collect();
        let mut branches: std::collections::BTreeMap<String, Vec<CaseFacts>> =
            std::collections::BTreeMap::new();
        for c in &cases {
            branches
                .entry(c.branch_name.clone())
                .or_default()
                .push(facts_of(c));
        }
        Ok(CampaignView {
            campaign,
            figures: lost_contact::figures(&all),
            by_branch: branches
                .into_iter()
                .map(|(name, cases)| (name, lost_contact::figures(&cases)))
                .collect(),
            cases_total: cases.len(),
            cases: cases.into_iter().take(CASES_SHOWN).map(line_of).collect(),
        })
    }

    /// One case with its attempts and the decisions open to it.
    pub async fn lost_contact_case(&self, actor: &Actor, id: i64) -> Result<CaseView> {
        actor.require_staff()?;
        let case = self.db.lost_contact_case(actor.scope(), id).await?;
        let attempts = self.db.lost_contact_attempts(actor.scope(), id).await?;
        let campaign = self
            .db
            .lost_contact_campaign(Scope::Subtree(case.branch_id), case.campaign_id)
            .await
            .map(|c| c.title)
            .unwrap_or_default();
        let facts = facts_of(&case);
        let state = facts.state;
        let decisions = if actor.role.may_edit() {
            DECISIONS
                .iter()
                .filter(|(code, _)| match *code {
                    "found" => matches!(
                        state,
                        CaseState::Searching | CaseState::Lost | CaseState::Suspended
                    ),
                    "lost" => state == CaseState::Searching,
                    "suspend" => state == CaseState::Lost,
                    "remove" => state == CaseState::Suspended,
                    _ => false,
                })
                .copied()
                .collect()
        } else {
            Vec::new()
        };
        Ok(CaseView {
            suspend_from: months_after(lost_contact::out_of_contact_since(&facts), 6),
            remove_from: case.suspended_on.map(lost_contact::removal_from),
            cause_label: case
                .cause
                .as_deref()
                .and_then(Cause::from_code)
                .map(|c| c.label()),
            campaign_title: campaign,
            attempts: attempts
                .into_iter()
                .map(|a| {
                    let label = Method::from_code(&a.method)
                        .unwrap_or(Method::Other)
                        .label();
                    (a, label)
                })
                .collect(),
            decisions,
            line: line_of(case),
        })
    }

    /// Appends an attempt to find the member of a case.
    pub async fn record_attempt(&self, actor: &Actor, id: i64, input: &AttemptInput) -> Result<()> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let case = self.db.lost_contact_case(actor.scope(), id).await?;
        if CaseState::from_code(&case.state).is_some_and(|s| s.ended()) {
            return Err(AppError::Invalid("该党员的查找已办结".into()));
        }
        let on = done_on(&input.on, "查找日期")?;
        if on < case.opened_on {
            return Err(AppError::Invalid(format!(
                "查找日期不能早于排查开始的日期（{}）",
                case.opened_on
            )));
        }
        let method = Method::from_label(input.method.trim())
            .ok_or_else(|| AppError::Invalid("请选择查找方式".into()))?;
        let note = input.note.trim();
        within(text::ATTEMPT_NOTE, note)?;
        Ok(self
            .db
            .lost_contact_attempt_add(
                actor.scope(),
                id,
                on,
                method.code(),
                input.reached,
                note,
                &actor.author(),
            )
            .await?)
    }

    /// Records a decision on a case; the 失联 flag follows it, and a removal takes the member
    /// off the roll.
    pub async fn decide_case(&self, actor: &Actor, id: i64, input: &DecisionInput) -> Result<()> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let case = self.db.lost_contact_case(actor.scope(), id).await?;
        let on = done_on(&input.on, "日期")?;
        let action = match input.decision.trim() {
            "found" => CaseAction::Found { on },
            "lost" => CaseAction::ConfirmLost { on },
            "suspend" => CaseAction::Suspend {
                on,
                approved: input.approved,
            },
            "remove" => CaseAction::Remove {
                on,
                approved: input.approved,
            },
            other => {
                return Err(AppError::Invalid(format!(
                    "处理结果「{}」无效，请从列表中选择",
                    echo(other)
                )));
            }
        };
        let cause = match (&action, input.cause.trim()) {
            (CaseAction::ConfirmLost { .. }, "") => {
                return Err(AppError::Invalid("请选择失联原因".into()));
            }
            (CaseAction::ConfirmLost { .. }, t) => Some(
                Cause::from_label(t)
                    .ok_or_else(|| AppError::Invalid("请选择失联原因".into()))?
                    .code()
                    .to_string(),
            ),
            _ => None,
        };
        let before = facts_of(&case);
        let after = lost_contact::decide(&before, &action).map_err(rule_refused)?;
        let was_flagged = before.state.flags_lost_contact();
        let mut effects = Vec::new();
        if after.state.flags_lost_contact() != was_flagged {
            effects.push(MemberEffect::LostContact(after.state.flags_lost_contact()));
        }
        if after.state == CaseState::Removed {
            effects.push(MemberEffect::Leave { on });
        }
        let label = DECISIONS
            .iter()
            .find(|(code, _)| *code == input.decision.trim())
            .map_or("", |(_, l)| *l);
        let decision = CaseDecision {
            state: after.state.code().into(),
            cause,
            found_on: after.found_on,
            lost_on: after.lost_on,
            suspended_on: after.suspended_on,
            removed_on: after.removed_on,
            summary: format!("{label}（{on}）"),
            member_effects: effects,
        };
        Ok(self
            .db
            .lost_contact_decide(actor.scope(), id, case.version, &decision, &actor.author())
            .await?)
    }
}
