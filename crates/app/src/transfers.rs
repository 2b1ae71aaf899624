//! 组织关系转接: a member's relationship moving by introduction letter, through the rules of
//! `domain::transfer`. DOMAIN.md §8.
//!
//! Each end records its own steps: the sending branch requests, issues and gets the 回执; the
//! receiving branch receives. Where the other end is outside this database, the end that is here
//! records what it learns. A letter that runs out unreceived flags the member 口袋党员 (the
//! sweep), and receiving clears it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::admission::rule_refused;
use crate::members::{MemberInput, done_on, parse_date_cn, today, validate_member};
use crate::{Actor, App, AppError, Result, within};
use domain::text::{self, echo};
use domain::transfer::{
    self, Direction, LetterPolicy, Reach, Side, TransferAction, TransferState, side_for,
};
use domain::{MemberCategory, MemberStatus, OrgKind};
use store::{
    MemberEffect, NewTransfer, Scope, Transfer, TransferFacts, TransferFilter, TransferStep,
    TransferStepRecord,
};

/// A transfer as typed into the form or sent to the API. Which fields count depends on
/// `direction`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransferInput {
    /// `within` (区内转接), `out` (转出) or `in` (转入): code or label.
    pub direction: String,
    /// The member who moves (区内转接, 转出).
    #[serde(default, deserialize_with = "crate::whole::opt_i64")]
    pub member_id: Option<i64>,
    /// The receiving branch (区内转接), or the branch a member from outside joins (转入).
    #[serde(default, deserialize_with = "crate::whole::opt_i64")]
    pub to_org_id: Option<i64>,
    /// The receiving organisation outside (转出).
    #[serde(default)]
    pub to_text: String,
    /// The sending organisation outside (转入).
    #[serde(default)]
    pub from_text: String,
    /// 转出, 转入: `within_city` (市内) or `outside_city` (市外).
    #[serde(default)]
    pub reach: String,
    /// Why the relationship moves, e.g. 工作单位变动.
    #[serde(default)]
    pub reason: String,
    /// The day of the request (or, 转入, the day the letter was registered). Empty: today.
    #[serde(default)]
    pub requested_on: String,
    /// 转入: the member as the letter gives them.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    /// 转入: member category, code or label.
    #[serde(default)]
    pub category: String,
    /// 转入: `full` (正式党员) or `probationary` (预备党员).
    #[serde(default)]
    pub status: String,
    /// 转入: 入党日期.
    #[serde(default)]
    pub admitted_on: String,
    /// 转入: 转正日期 of a 正式党员.
    #[serde(default)]
    pub full_on: String,
    /// 转入: the letter's date of issue and last valid day, and its number.
    #[serde(default)]
    pub issued_on: String,
    #[serde(default)]
    pub valid_until: String,
    #[serde(default)]
    pub letter_number: String,
}

/// One step as typed or sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransferStepInput {
    /// `issue`, `reissue`, `receive`, `receipt` or `withdraw`.
    pub step: String,
    /// The day, e.g. 2026-03-01. Empty: today.
    #[serde(default)]
    pub on: String,
    /// Days the letter is valid (开具、重新开具); empty: 10 in the city, 30 outside.
    #[serde(default, deserialize_with = "crate::whole::opt_u32")]
    pub days: Option<u32>,
    #[serde(default)]
    pub handled_by: String,
    #[serde(default)]
    pub document: String,
    /// The letter's number (开具).
    #[serde(default)]
    pub letter_number: String,
}

/// A member from outside as the letter gives them: kept with the transfer until received.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Incoming {
    phone: String,
    category: String,
    status: String,
    admitted_on: String,
    full_on: String,
}

/// The steps, with their words for each direction.
pub const STEPS: &[&str] = &["issue", "reissue", "receive", "receipt", "withdraw"];

/// What a step is called, as the side that records it sees it.
pub fn step_label(direction: Direction, step: &str) -> &'static str {
    match (direction, step) {
        (_, "request") => "提出转接申请",
        (Direction::In, "register") => "登记转入介绍信",
        (_, "issue") => "审批并开具介绍信",
        (_, "reissue") => "重新开具介绍信",
        (Direction::Out, "receive") => "对方党组织已接收",
        (_, "receive") => "接收并编入党支部",
        (Direction::In, "receipt") => "已寄回回执",
        (_, "receipt") => "回执已返回",
        (Direction::In, "withdraw") => "退回介绍信",
        (_, "withdraw") => "撤回转接",
        (_, "expire") => "介绍信过期未接收",
        _ => "其他",
    }
}

/// A transfer as a list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TransferLine {
    pub transfer: Transfer,
    pub direction_label: &'static str,
    pub state_label: &'static str,
    pub from_name: String,
    pub to_name: String,
    /// The letter ran out unreceived.
    pub pocket: bool,
}

/// A transfer with its steps and what the reader may record next.
#[derive(Debug, Clone, Serialize)]
pub struct TransferView {
    pub line: TransferLine,
    pub steps: Vec<(TransferStep, &'static str)>,
    pub next: Vec<(&'static str, &'static str)>,
    pub usual_days: u32,
}

fn direction_of(code: &str) -> Direction {
    Direction::from_code(code).unwrap_or(Direction::Within)
}

/// The domain's record of a stored transfer.
fn facts_of(t: &Transfer) -> transfer::Transfer {
    transfer::Transfer {
        reach: Reach::from_code(&t.reach).unwrap_or(Reach::WithinDistrict),
        state: TransferState::from_code(&t.state).unwrap_or(TransferState::Requested),
        requested_on: t.requested_on,
        issued_on: t.issued_on,
        valid_until: t.valid_until,
        reissued: u32::try_from(t.reissued).unwrap_or(0),
        received_on: t.received_on,
        receipt_on: t.receipt_on,
        withdrawn_on: t.withdrawn_on,
    }
}

fn action_of(step: &str, on: NaiveDate, days: Option<u32>) -> Result<TransferAction> {
    Ok(match step {
        "issue" => TransferAction::Issue { on, days },
        "reissue" => TransferAction::Reissue { on, days },
        "receive" => TransferAction::Receive { on },
        "receipt" => TransferAction::Receipt { on },
        "withdraw" => TransferAction::Withdraw { on },
        other => {
            return Err(AppError::Invalid(format!(
                "步骤「{}」无效，请从列表中选择",
                echo(other)
            )));
        }
    })
}

fn optional_text(limit: text::TextLimit, value: &str) -> Result<Option<String>> {
    match value.trim() {
        "" => Ok(None),
        v => {
            within(limit, v)?;
            Ok(Some(v.to_string()))
        }
    }
}

impl App {
    /// Records a new transfer: a request by the member's branch (区内转接, 转出), or a letter from
    /// outside registered by the branch it names (转入).
    pub async fn open_transfer(&self, actor: &Actor, input: &TransferInput) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let direction = Direction::from_label(input.direction.trim())
            .ok_or_else(|| AppError::Invalid("请选择转接类型（区内转接、转出或转入）".into()))?;
        let requested_on = done_on(&input.requested_on, "申请日期")?;
        let reason = input.reason.trim();
        if reason.is_empty() {
            return Err(AppError::Invalid(
                "请填写转接原因（如 工作单位变动、居住地变动）".into(),
            ));
        }
        within(text::TRANSFER_REASON, reason)?;
        let policy = LetterPolicy::default();
        let (side_org, new) = match direction {
            Direction::Within | Direction::Out => {
                let member_id = input
                    .member_id
                    .ok_or_else(|| AppError::Invalid("请选择要转出的党员".into()))?;
                let member = self.db.member_get(actor.scope(), member_id).await?;
                if member.left_on.is_some() {
                    return Err(AppError::Invalid("该党员的组织关系已转出".into()));
                }
                let (reach, to_org_id, to_text) = if direction == Direction::Within {
                    let to = input
                        .to_org_id
                        .ok_or_else(|| AppError::Invalid("请选择接收的党支部".into()))?;
                    if to == member.branch_id {
                        return Err(AppError::Invalid("接收党支部就是党员现在的党支部".into()));
                    }
                    (Reach::WithinDistrict, Some(to), None)
                } else {
                    let to_text = optional_text(text::TRANSFER_ORG, &input.to_text)?
                        .ok_or_else(|| AppError::Invalid("请填写接收的党组织".into()))?;
                    (out_reach(&input.reach)?, None, Some(to_text))
                };
                (
                    member.branch_id,
                    NewTransfer {
                        direction: direction.code().into(),
                        member_id: Some(member.id),
                        name: member.name.clone(),
                        id_number: member.id_number.clone(),
                        from_org_id: Some(member.branch_id),
                        from_text: None,
                        to_org_id,
                        to_text,
                        reach: reach.code().into(),
                        state: TransferState::Requested.code().into(),
                        reason: reason.into(),
                        requested_on,
                        issued_on: None,
                        valid_until: None,
                        letter_number: None,
                        incoming: None,
                    },
                )
            }
            Direction::In => {
                let to = input
                    .to_org_id
                    .ok_or_else(|| AppError::Invalid("请选择编入的党支部".into()))?;
                let branch = self.db.org_get(actor.scope(), to).await?;
                if OrgKind::from_code(&branch.kind) != Some(OrgKind::Branch) {
                    return Err(AppError::Invalid("请选择党支部".into()));
                }
                let from_text = optional_text(text::TRANSFER_ORG, &input.from_text)?
                    .ok_or_else(|| AppError::Invalid("请填写开具介绍信的党组织".into()))?;
                let reach = out_reach(&input.reach)?;
                let issued_on = done_on(&input.issued_on, "介绍信开具日期")?;
                let valid_until = parse_date_cn(input.valid_until.trim())
                    .ok_or_else(|| AppError::Invalid("请填写介绍信的有效期截止日期".into()))?;
                let letter = transfer::register_incoming(
                    &policy,
                    reach,
                    issued_on,
                    valid_until,
                    requested_on,
                )
                .map_err(rule_refused)?;
                // The member record is made on receipt; check now what it will need.
                let as_member = MemberInput {
                    branch_id: to,
                    name: input.name.clone(),
                    id_number: input.id_number.clone(),
                    phone: input.phone.clone(),
                    category: input.category.clone(),
                    status: input.status.clone(),
                    admitted_on: input.admitted_on.clone(),
                    full_on: input.full_on.clone(),
                    ..Default::default()
                };
                let fields =
                    validate_member(&as_member, today()).map_err(crate::members::invalid)?;
                if self
                    .db
                    .member_existing_id_numbers(std::slice::from_ref(&fields.id_number))
                    .await?
                    .contains(&fields.id_number)
                {
                    return Err(AppError::Conflict(
                        "该身份证号已在本系统的党员名册中；区内转接请由原党支部办理".into(),
                    ));
                }
                let incoming = Incoming {
                    phone: input.phone.trim().into(),
                    category: fields.category.clone(),
                    status: fields.status.clone(),
                    admitted_on: fields.admitted_on.to_string(),
                    full_on: fields.full_on.map(|d| d.to_string()).unwrap_or_default(),
                };
                (
                    to,
                    NewTransfer {
                        direction: direction.code().into(),
                        member_id: None,
                        name: fields.name.clone(),
                        id_number: fields.id_number.clone(),
                        from_org_id: None,
                        from_text: Some(from_text),
                        to_org_id: Some(to),
                        to_text: None,
                        reach: reach.code().into(),
                        state: letter.state.code().into(),
                        reason: reason.into(),
                        requested_on,
                        issued_on: letter.issued_on,
                        valid_until: letter.valid_until,
                        letter_number: optional_text(
                            text::TRANSFER_DOCUMENT,
                            &input.letter_number,
                        )?,
                        incoming: Some(serde_json::to_string(&incoming).unwrap_or_default()),
                    },
                )
            }
        };
        Ok(self
            .db
            .transfer_create(actor.scope(), side_org, &new, &actor.author())
            .await?)
    }

    /// The transfers with either end in the actor's scope: `open` (the default) or `all`, and
    /// one direction or every one.
    pub async fn transfers(
        &self,
        actor: &Actor,
        which: &str,
        direction: &str,
        member_id: Option<i64>,
    ) -> Result<Vec<TransferLine>> {
        actor.require_staff()?;
        let states = match which.trim() {
            "" | "open" => ["requested", "issued", "expired", "received"]
                .map(String::from)
                .to_vec(),
            "all" => vec![],
            text => vec![
                TransferState::from_label(text)
                    .ok_or_else(|| AppError::Invalid("请选择办理状态".into()))?
                    .code()
                    .to_string(),
            ],
        };
        let direction = match direction.trim() {
            "" => None,
            text => Some(
                Direction::from_label(text)
                    .ok_or_else(|| AppError::Invalid("请选择转接类型".into()))?
                    .code()
                    .to_string(),
            ),
        };
        let filter = TransferFilter {
            states,
            direction,
            member_id,
            ..Default::default()
        };
        let rows = self.db.transfers(actor.scope(), &filter).await?;
        self.transfer_lines(rows).await
    }

    async fn transfer_lines(&self, rows: Vec<Transfer>) -> Result<Vec<TransferLine>> {
        let mut ids: Vec<i64> = rows
            .iter()
            .flat_map(|t| [t.from_org_id, t.to_org_id])
            .flatten()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let names: std::collections::HashMap<i64, String> = self
            .db
            .names_of(store::audit::Named::Org, &ids)
            .await?
            .into_iter()
            .collect();
        let end = |id: Option<i64>, text: &Option<String>| {
            id.and_then(|i| names.get(&i).cloned())
                .or_else(|| text.clone())
                .unwrap_or_default()
        };
        let today = today();
        Ok(rows
            .into_iter()
            .map(|t| {
                let facts = facts_of(&t);
                TransferLine {
                    direction_label: direction_of(&t.direction).label(),
                    state_label: transfer::state_on(&facts, today).label(),
                    from_name: end(t.from_org_id, &t.from_text),
                    to_name: end(t.to_org_id, &t.to_text),
                    pocket: transfer::is_pocket(&facts, today),
                    transfer: t,
                }
            })
            .collect())
    }

    /// One transfer with its steps and the steps the actor's end may record now.
    pub async fn transfer(&self, actor: &Actor, id: i64) -> Result<TransferView> {
        actor.require_staff()?;
        let t = self.db.transfer_get(actor.scope(), id).await?;
        let steps = self.db.transfer_steps(actor.scope(), id).await?;
        let direction = direction_of(&t.direction);
        let facts = facts_of(&t);
        let mut next = Vec::new();
        if actor.role.may_edit() {
            let held = self.ends_held(actor, &t).await;
            let today = today();
            for step in STEPS {
                let Ok(action) = action_of(step, today, None) else {
                    continue;
                };
                let possible = transfer::apply(&facts, &action, &LetterPolicy::default()).is_ok();
                // A letter from outside that ran out is sent back, not issued again here.
                let reissue_here = !(direction == Direction::In && *step == "reissue");
                if possible && reissue_here && held.records(direction, &action) {
                    next.push((*step, step_label(direction, step)));
                }
            }
        }
        let usual_days = LetterPolicy::default().usual_days(facts.reach);
        let line = self.transfer_lines(vec![t]).await?.remove(0);
        Ok(TransferView {
            steps: steps
                .into_iter()
                .map(|s| {
                    let label = step_label(direction, &s.action);
                    (s, label)
                })
                .collect(),
            line,
            next,
            usual_days,
        })
    }

    /// Which ends of `t` the actor's scope holds: one look-up per end.
    async fn ends_held(&self, actor: &Actor, t: &Transfer) -> EndsHeld {
        let holds = |org: Option<i64>| async move {
            match org {
                Some(org) => self.db.org_get(actor.scope(), org).await.is_ok(),
                None => false,
            }
        };
        EndsHeld {
            sending: holds(t.from_org_id).await,
            receiving: holds(t.to_org_id).await,
        }
    }

    /// Records a step on a transfer, with what it does to the member: receiving moves them to
    /// the receiving branch (or, for an organisation outside, off the roll; for a letter from
    /// outside, onto the roll of the branch it names).
    pub async fn record_transfer_step(
        &self,
        actor: &Actor,
        id: i64,
        input: &TransferStepInput,
    ) -> Result<()> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let t = self.db.transfer_get(actor.scope(), id).await?;
        let step = input.step.trim();
        let on = done_on(&input.on, "日期")?;
        let action = action_of(step, on, input.days)?;
        if !self
            .ends_held(actor, &t)
            .await
            .records(direction_of(&t.direction), &action)
        {
            return Err(AppError::Forbidden);
        }
        let direction = direction_of(&t.direction);
        if direction == Direction::In && step == "reissue" {
            return Err(AppError::Refused(
                "外地开具的介绍信过期后，请由原党组织重新开具，再登记新的介绍信".into(),
            ));
        }
        let handled_by = input.handled_by.trim();
        within(text::TRANSFER_HANDLER, handled_by)?;
        let document = input.document.trim();
        within(text::TRANSFER_DOCUMENT, document)?;
        let letter_number = optional_text(text::TRANSFER_DOCUMENT, &input.letter_number)?;
        let facts = facts_of(&t);
        let after =
            transfer::apply(&facts, &action, &LetterPolicy::default()).map_err(rule_refused)?;
        let member = match t.member_id {
            Some(m) => Some(self.db.member_get(Scope::Subtree(t.root_org_id), m).await?),
            None => None,
        };
        let mut link_member = None;
        let member_effect = match (&action, direction) {
            (TransferAction::Receive { on }, Direction::Within) => Some(MemberEffect::MoveTo {
                branch_id: t.to_org_id.ok_or(AppError::NotFound)?,
                on: *on,
            }),
            (TransferAction::Receive { on }, Direction::Out) => {
                Some(MemberEffect::Leave { on: *on })
            }
            (TransferAction::Receive { .. }, Direction::In) => {
                link_member = Some(self.make_incoming_member(actor, &t).await?);
                None
            }
            (TransferAction::Reissue { .. } | TransferAction::Withdraw { .. }, _)
                if member.as_ref().is_some_and(|m| m.pocket) =>
            {
                Some(MemberEffect::Pocket(false))
            }
            _ => None,
        };
        let record = TransferStepRecord {
            action: step.to_string(),
            on_date: on,
            handled_by: handled_by.to_string(),
            document: document.to_string(),
            letter_number: letter_number.filter(|_| matches!(step, "issue" | "reissue")),
            summary: format!("{}（{on}）", step_label(direction, step)),
            facts: TransferFacts {
                state: after.state.code().into(),
                issued_on: after.issued_on,
                valid_until: after.valid_until,
                reissued: i64::from(after.reissued),
                received_on: after.received_on,
                receipt_on: after.receipt_on,
                withdrawn_on: after.withdrawn_on,
            },
            member_effect,
            link_member,
        };
        self.db
            .transfer_record_step(actor.scope(), id, t.version, &record, &actor.author())
            .await?;
        // The branches that gained or lost a member count their meetings' quorum afresh.
        if matches!(action, TransferAction::Receive { .. }) {
            let touched: Vec<i64> = [t.from_org_id, t.to_org_id].into_iter().flatten().collect();
            for branch in &touched {
                self.ledgers_touched(*branch, Some(&touched)).await;
            }
        }
        Ok(())
    }

    /// The member record for a letter from outside, made when the branch receives them: the
    /// 入党日期 and status as the letter gives them. Its history starts at admission in this
    /// branch: the months before the day received were kept by an organisation outside this
    /// database, which has no branch here to hold them.
    async fn make_incoming_member(&self, actor: &Actor, t: &Transfer) -> Result<i64> {
        let incoming: Incoming = t
            .incoming
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .ok_or_else(|| AppError::Invalid("转入党员的信息不完整，请重新登记".into()))?;
        let input = MemberInput {
            branch_id: t.to_org_id.ok_or(AppError::NotFound)?,
            name: t.name.clone(),
            id_number: t.id_number.clone(),
            phone: incoming.phone,
            category: MemberCategory::from_code(&incoming.category)
                .map(|c| c.label().to_string())
                .unwrap_or(incoming.category),
            status: MemberStatus::from_code(&incoming.status)
                .map(|s| s.label().to_string())
                .unwrap_or(incoming.status),
            admitted_on: incoming.admitted_on,
            full_on: incoming.full_on,
            ..Default::default()
        };
        Ok(self.create_member(actor, &input).await?.id)
    }

    /// Letters issued here that ran out unreceived: expired, and their members flagged.
    pub(crate) async fn sweep_transfers(&self, today: NaiveDate) -> Result<u64> {
        Ok(self
            .db
            .transfers_expire(
                today,
                &store::Author {
                    user_id: None,
                    name: "系统（介绍信到期）".into(),
                },
            )
            .await?)
    }

    /// The branches a member may be transferred to within the district: every branch of the
    /// tree but their own.
    pub async fn transfer_destinations(
        &self,
        actor: &Actor,
        member_id: i64,
    ) -> Result<Vec<store::OrgNode>> {
        let member = self.db.member_get(actor.scope(), member_id).await?;
        Ok(self
            .db
            .org_list_kind(Scope::Subtree(member.root_org_id), OrgKind::Branch.code())
            .await?
            .into_iter()
            .filter(|o| o.id != member.branch_id)
            .collect())
    }
}

/// Which ends of a transfer an actor's scope holds.
struct EndsHeld {
    sending: bool,
    receiving: bool,
}

impl EndsHeld {
    /// Whether the actor records `action` on a transfer going `direction`.
    fn records(&self, direction: Direction, action: &TransferAction) -> bool {
        match side_for(direction, action) {
            Side::Sending => self.sending,
            Side::Receiving => self.receiving,
        }
    }
}

/// The reach of a letter to or from outside the district.
fn out_reach(text: &str) -> Result<Reach> {
    match text.trim() {
        "" => Ok(Reach::WithinCity),
        t => Reach::from_label(t)
            .filter(|r| *r != Reach::WithinDistrict)
            .ok_or_else(|| AppError::Invalid("请选择市内或市外".into())),
    }
}
