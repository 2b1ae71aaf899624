//! Residents' calls (你呼我应, 三级联动): the lifecycle of a 呼声 between 社区,
//! 街道 and 区, its time limits on the work calendar, the figures a unit is
//! judged by, the catalogue of 呼应启动事项 and the resident's 查询码.
//!
//! Sources: DESIGN.md (你呼我应, 吹哨报到) and seed article 002 (Liwan:
//! "把老百姓的急事难事揪心事作为'呼声'，区-街-社区联动'响应'解决", 12大类42项
//! 呼应启动事项, a street team that 快速接件、快速办理、快速回复 and closed
//! 2,254 cases at 100%). DOMAIN.md has no section for calls yet, so most
//! details here are local practice \[L\], marked where they appear.
//!
//! No IO and no clock: [`apply`] takes the moment of each event, and the SLA
//! functions take `now`, all in Asia/Shanghai local time like
//! [`crate::workcal`].

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::enums::code_enum;
use crate::workcal::{Pause, WorkCalendar};

/// Version of the call rules: lifecycle, timers measured from receipt by the
/// current holder, 办结率 over Resolved and Closed, and the seeded catalogue.
/// Store it with every case and every published figure.
pub const RULE_VERSION: &str = "calls-2026.1";

/// Recorded failed call-backs (回访未果) needed before a resolved case may be
/// closed without the resident's rating. Local practice \[L\]: one attempt,
/// so an unreachable resident cannot hold a case open for ever; some hotlines
/// ask for three.
pub const MIN_CONTACT_ATTEMPTS: u32 = 1;

/// Id of a unit that can hold a case: a 社区, a 街道 office, a 区 department.
pub type UnitId = i64;

// ---------------------------------------------------------------------------
// Vocabulary

code_enum! {
    /// The three levels of 三级联动, lowest first. Seed article 002.
    pub enum Level {
        Community => ("community", "社区"),
        Street => ("street", "街道"),
        District => ("district", "区"),
    }
}

impl Level {
    /// Where an escalation goes; `None` from the district, the top.
    pub fn above(self) -> Option<Level> {
        match self {
            Self::Community => Some(Self::Street),
            Self::Street => Some(Self::District),
            Self::District => None,
        }
    }

    /// 0 for 社区 up to 2 for 区, for comparing levels.
    pub fn rank(self) -> u8 {
        match self {
            Self::Community => 0,
            Self::Street => 1,
            Self::District => 2,
        }
    }

    /// The territory level of the same name. DOMAIN.md Glossary.
    pub fn territory(self) -> crate::TerritoryLevel {
        match self {
            Self::Community => crate::TerritoryLevel::Community,
            Self::Street => crate::TerritoryLevel::Street,
            Self::District => crate::TerritoryLevel::District,
        }
    }
}

code_enum! {
    /// Where a call stands. Closed and Merged are terminal.
    pub enum Status {
        Submitted => ("submitted", "待受理"),
        /// Acknowledged (签收) by the current holder.
        InProgress => ("in_progress", "办理中"),
        /// The clock stands still until the resident supplies what was asked.
        WaitingResident => ("waiting_resident", "待群众补充"),
        /// The holder says the call is not theirs; the level above decides.
        Returned => ("returned", "已退回待裁定"),
        Resolved => ("resolved", "已办结待评价"),
        Closed => ("closed", "已关闭"),
        /// A duplicate folded into another call.
        Merged => ("merged", "已合并"),
    }
}

impl Status {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Closed | Self::Merged)
    }
}

code_enum! {
    /// The resident's rating of the answer.
    pub enum Rating {
        Satisfied => ("satisfied", "满意"),
        BasicallySatisfied => ("basically_satisfied", "基本满意"),
        NotSatisfied => ("not_satisfied", "不满意"),
    }
}

impl Rating {
    /// Satisfied or basically satisfied: both close the case and both count
    /// towards the satisfaction rate.
    pub fn is_satisfied(self) -> bool {
        !matches!(self, Self::NotSatisfied)
    }
}

code_enum! {
    /// The three clocks of a case, each measured from receipt by the current
    /// holder \[L\].
    pub enum Timer {
        /// 签收: the holder takes the call on.
        Acknowledge => ("acknowledge", "签收"),
        /// 响应: first contact with the resident (an explicit reply, a request
        /// for more information, or the answer itself).
        Respond => ("respond", "响应"),
        /// 办结: the answer is given.
        Resolve => ("resolve", "办结"),
    }
}

// ---------------------------------------------------------------------------
// Case

/// A 吹哨 joint case: a street calls district departments in, one leading and
/// the others supporting (街道吹哨、部门报到). DESIGN.md Glossary
/// (`JointCase`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct JointCase {
    /// The street that blew the whistle.
    pub raised_by: UnitId,
    pub lead: UnitId,
    pub supporting: Vec<UnitId>,
}

/// The state of one call. The timestamps describe the current round with the
/// current holder (reset on escalation, reassignment and reopening); the
/// event log kept by the store holds the history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Case {
    pub status: Status,
    pub level: Level,
    pub holder: UnitId,
    pub joint: Option<JointCase>,
    /// When the resident made the call; never changes.
    pub submitted_at: NaiveDateTime,
    /// When the current holder received it; all three timers start here.
    pub received_at: NaiveDateTime,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub responded_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    /// When the case became terminal (Closed or Merged).
    pub closed_at: Option<NaiveDateTime>,
    /// Every pause of the case; at most one is open, and only while the
    /// status is WaitingResident.
    pub pauses: Vec<Pause>,
    /// The latest rating; a NotSatisfied rating stays until the next one.
    pub rating: Option<Rating>,
    pub reopen_count: u32,
    /// Failed call-backs since the current answer was given.
    pub contact_attempts: u32,
    pub escalation_count: u32,
    pub merged_into: Option<i64>,
    /// Events must come in time order, or the timers would run backwards.
    pub last_event_at: NaiveDateTime,
}

impl Case {
    /// A new call, received by `holder` at `level` the moment it is made.
    pub fn new(submitted_at: NaiveDateTime, level: Level, holder: UnitId) -> Case {
        Case {
            status: Status::Submitted,
            level,
            holder,
            joint: None,
            submitted_at,
            received_at: submitted_at,
            acknowledged_at: None,
            responded_at: None,
            resolved_at: None,
            closed_at: None,
            pauses: Vec::new(),
            rating: None,
            reopen_count: 0,
            contact_attempts: 0,
            escalation_count: 0,
            merged_into: None,
            last_event_at: submitted_at,
        }
    }

    pub fn is_paused(&self) -> bool {
        self.pauses.iter().any(|p| p.until.is_none())
    }

    /// A new holder starts with fresh timers, as if the call had just been
    /// made to it.
    fn hand_over(&mut self, unit: UnitId, level: Level, at: NaiveDateTime) {
        self.status = Status::Submitted;
        self.holder = unit;
        self.level = level;
        self.received_at = at;
        self.acknowledged_at = None;
        self.responded_at = None;
        self.resolved_at = None;
        self.contact_attempts = 0;
    }

    fn end_pause(&mut self, at: NaiveDateTime) {
        for pause in self.pauses.iter_mut().filter(|p| p.until.is_none()) {
            pause.until = Some(at);
        }
    }
}

// ---------------------------------------------------------------------------
// Events

/// Why a case goes up a level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Escalation {
    /// The holder asks for help; the reason is required.
    Manual { reason: String },
    /// Proposed by [`auto_escalation`] when a timer ran out.
    Overdue { timer: Timer },
}

impl Escalation {
    /// The reason as recorded and shown, e.g. "超时未受理，自动上报街道".
    pub fn text(&self, to: Level) -> String {
        match self {
            Self::Manual { reason } => reason.trim().to_owned(),
            Self::Overdue { timer } => {
                let what = match timer {
                    Timer::Acknowledge => "受理",
                    Timer::Respond => "响应",
                    Timer::Resolve => "办结",
                };
                format!("超时未{what}，自动上报{}", to.label())
            }
        }
    }
}

/// The level above's decision on a returned case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Arbitration {
    /// Assign to another unit, at any level up to the arbiter's own.
    Reassign { unit: UnitId, level: Level },
    /// The return was unfounded: the original holder keeps the case, and the
    /// time it spent returned counts against it \[L\], so returning is not a
    /// way to stop the clock.
    Sustain,
}

/// Something that happens to a case. Serialised with a `kind` tag so the
/// store can keep the event log as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Acknowledge,
    /// First contact with the resident.
    Respond {
        note: String,
    },
    PauseForResident {
        question: String,
    },
    Resume,
    Resolve {
        answer: String,
    },
    Escalate {
        to_unit: UnitId,
        reason: Escalation,
    },
    Whistle {
        lead: UnitId,
        supporting: Vec<UnitId>,
        reason: String,
    },
    Return {
        reason: String,
    },
    Arbitrate {
        decision: Arbitration,
    },
    Rate {
        rating: Rating,
    },
    RecordContactAttempt,
    CloseUnreachable,
    Merge {
        into: i64,
    },
}

impl Event {
    /// The action's Chinese name, for the audit log and error messages.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Acknowledge => "签收",
            Self::Respond { .. } => "答复群众",
            Self::PauseForResident { .. } => "请群众补充",
            Self::Resume => "恢复办理",
            Self::Resolve { .. } => "办结",
            Self::Escalate { .. } => "上报",
            Self::Whistle { .. } => "吹哨",
            Self::Return { .. } => "退回",
            Self::Arbitrate { .. } => "裁定",
            Self::Rate { .. } => "评价",
            Self::RecordContactAttempt => "登记回访未果",
            Self::CloseUnreachable => "回访未果关闭",
            Self::Merge { .. } => "合并",
        }
    }
}

/// Why an event was refused; shown to the handler as-is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("该呼声已关闭，不能再操作")]
    Closed,
    #[error("该呼声已合并到其他呼声，不能再操作")]
    Merged,
    #[error("“{}”状态的呼声不能{action}", .status.label())]
    NotAllowed {
        action: &'static str,
        status: Status,
    },
    #[error("操作时间不能早于上一次操作时间（{last}）")]
    OutOfOrder { last: NaiveDateTime },
    #[error("{action}须说明理由")]
    ReasonRequired { action: &'static str },
    #[error("办结须填写答复内容")]
    AnswerRequired,
    #[error("答复群众须填写答复内容")]
    NoteRequired,
    #[error("请说明需要群众补充的内容")]
    QuestionRequired,
    #[error("该呼声已在区级办理，不能再上报")]
    AlreadyAtTop,
    #[error("只有街道可以吹哨，当前承办层级为{}", .level.label())]
    WhistleNotStreet { level: Level },
    #[error("牵头部门不能同时是配合部门")]
    LeadAlsoSupporting,
    #[error("配合部门有重复")]
    DuplicateSupporting,
    #[error("不能交给当前承办单位本身")]
    SameUnit,
    #[error("裁定改派的层级（{}）不能高于裁定单位的层级（{}）", .level.label(), .arbiter.label())]
    AboveArbiter { level: Level, arbiter: Level },
    #[error("回访未果须登记至少 {required} 次才能关闭，目前 {made} 次")]
    TooFewContactAttempts { required: u32, made: u32 },
}

/// The case after `event` at `at`, or why the event is refused. The input is
/// left untouched, so a refused event changes nothing.
///
/// Rules (DESIGN.md 你呼我应, seed article 002; details \[L\]):
/// - Closed and Merged accept nothing; events must not go back in time.
/// - Acknowledge: Submitted → InProgress.
/// - Respond (note required): InProgress, records the first response.
/// - PauseForResident (question required): InProgress → WaitingResident,
///   opening a pause; asking the resident counts as the first response.
///   Resume: WaitingResident → InProgress, closing it.
/// - Resolve (answer required): InProgress → Resolved.
/// - Escalate (manual reason required): Submitted or InProgress, to the
///   level above, never above 区; the new holder receives it as Submitted.
/// - Whistle (reason required): a 街道 holder, Submitted or InProgress, names
///   a lead department and distinct supporting ones; the lead receives it
///   at 区 level as Submitted.
/// - Return (reason required): Submitted or InProgress → Returned.
///   Arbitrate: Returned → Submitted at the assigned unit (at most the
///   arbiter's level, the level above the holder, or 区 at the top), or back
///   to the original holder as it was.
/// - Rate: Resolved. Satisfied or basically → Closed; not satisfied →
///   reopened InProgress with the same holder, a fresh round of timers
///   (already acknowledged) and `reopen_count` + 1.
/// - RecordContactAttempt: Resolved, counts a failed call-back.
///   CloseUnreachable: Resolved → Closed without rating, only after
///   [`MIN_CONTACT_ATTEMPTS`].
/// - Merge: any open status → Merged, closing an open pause.
pub fn apply(case: &Case, event: &Event, at: NaiveDateTime) -> Result<Case, CallError> {
    use Status::*;
    match case.status {
        Closed => return Err(CallError::Closed),
        Merged => return Err(CallError::Merged),
        _ => {}
    }
    if at < case.last_event_at {
        return Err(CallError::OutOfOrder {
            last: case.last_event_at,
        });
    }
    let only = |allowed: &[Status]| {
        if allowed.contains(&case.status) {
            Ok(())
        } else {
            Err(CallError::NotAllowed {
                action: event.label(),
                status: case.status,
            })
        }
    };
    let mut next = case.clone();
    next.last_event_at = at;
    match event {
        Event::Acknowledge => {
            only(&[Submitted])?;
            next.status = InProgress;
            next.acknowledged_at = Some(at);
        }
        Event::Respond { note } => {
            only(&[InProgress])?;
            require(note, CallError::NoteRequired)?;
            next.responded_at.get_or_insert(at);
        }
        Event::PauseForResident { question } => {
            only(&[InProgress])?;
            require(question, CallError::QuestionRequired)?;
            next.status = WaitingResident;
            next.pauses.push(Pause {
                from: at,
                until: None,
            });
            next.responded_at.get_or_insert(at);
        }
        Event::Resume => {
            only(&[WaitingResident])?;
            next.end_pause(at);
            next.status = InProgress;
        }
        Event::Resolve { answer } => {
            only(&[InProgress])?;
            require(answer, CallError::AnswerRequired)?;
            next.status = Resolved;
            next.resolved_at = Some(at);
            next.responded_at.get_or_insert(at);
        }
        Event::Escalate { to_unit, reason } => {
            only(&[Submitted, InProgress])?;
            let above = case.level.above().ok_or(CallError::AlreadyAtTop)?;
            if let Escalation::Manual { reason } = reason {
                require(reason, CallError::ReasonRequired { action: "上报" })?;
            }
            if *to_unit == case.holder {
                return Err(CallError::SameUnit);
            }
            next.hand_over(*to_unit, above, at);
            next.joint = None;
            next.escalation_count = next.escalation_count.saturating_add(1);
        }
        Event::Whistle {
            lead,
            supporting,
            reason,
        } => {
            only(&[Submitted, InProgress])?;
            if case.level != Level::Street {
                return Err(CallError::WhistleNotStreet { level: case.level });
            }
            require(reason, CallError::ReasonRequired { action: "吹哨" })?;
            if *lead == case.holder {
                return Err(CallError::SameUnit);
            }
            if supporting.contains(lead) {
                return Err(CallError::LeadAlsoSupporting);
            }
            let mut distinct = supporting.clone();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() != supporting.len() {
                return Err(CallError::DuplicateSupporting);
            }
            next.hand_over(*lead, Level::District, at);
            next.joint = Some(JointCase {
                raised_by: case.holder,
                lead: *lead,
                supporting: supporting.clone(),
            });
        }
        Event::Return { reason } => {
            only(&[Submitted, InProgress])?;
            require(reason, CallError::ReasonRequired { action: "退回" })?;
            next.status = Returned;
        }
        Event::Arbitrate { decision } => {
            only(&[Returned])?;
            match *decision {
                Arbitration::Sustain => {
                    next.status = if case.acknowledged_at.is_some() {
                        InProgress
                    } else {
                        Submitted
                    };
                }
                Arbitration::Reassign { unit, level } => {
                    let arbiter = case.level.above().unwrap_or(Level::District);
                    if level.rank() > arbiter.rank() {
                        return Err(CallError::AboveArbiter { level, arbiter });
                    }
                    if unit == case.holder {
                        return Err(CallError::SameUnit);
                    }
                    // A joint case reassigned among district departments
                    // keeps its supporting departments; below 区 it is an
                    // ordinary case again.
                    next.joint = match (&case.joint, level) {
                        (Some(joint), Level::District) => Some(JointCase {
                            lead: unit,
                            supporting: joint
                                .supporting
                                .iter()
                                .copied()
                                .filter(|&u| u != unit)
                                .collect(),
                            ..joint.clone()
                        }),
                        _ => None,
                    };
                    next.hand_over(unit, level, at);
                }
            }
        }
        Event::Rate { rating } => {
            only(&[Resolved])?;
            next.rating = Some(*rating);
            if rating.is_satisfied() {
                next.status = Closed;
                next.closed_at = Some(at);
            } else {
                let (unit, level) = (case.holder, case.level);
                next.hand_over(unit, level, at);
                next.status = InProgress;
                next.acknowledged_at = Some(at);
                next.reopen_count = next.reopen_count.saturating_add(1);
            }
        }
        Event::RecordContactAttempt => {
            only(&[Resolved])?;
            next.contact_attempts = next.contact_attempts.saturating_add(1);
        }
        Event::CloseUnreachable => {
            only(&[Resolved])?;
            if case.contact_attempts < MIN_CONTACT_ATTEMPTS {
                return Err(CallError::TooFewContactAttempts {
                    required: MIN_CONTACT_ATTEMPTS,
                    made: case.contact_attempts,
                });
            }
            next.status = Closed;
            next.closed_at = Some(at);
            next.rating = None;
        }
        Event::Merge { into } => {
            next.end_pause(at);
            next.status = Merged;
            next.merged_into = Some(*into);
            next.closed_at = Some(at);
        }
    }
    Ok(next)
}

fn require(text: &str, error: CallError) -> Result<(), CallError> {
    if text.trim().is_empty() {
        Err(error)
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// SLA

/// Time limits of a catalogue item, in working minutes from receipt by the
/// current holder \[L\]; each is a total from receipt, not from the
/// previous step, so `acknowledge ≤ respond ≤ resolve` in a sensible policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SlaPolicy {
    pub acknowledge_minutes: u32,
    pub respond_minutes: u32,
    pub resolve_minutes: u32,
}

impl SlaPolicy {
    /// Safety and daily-life emergencies: 30 minutes to acknowledge, one
    /// working hour to respond, one working day to resolve \[L\]. Real
    /// emergencies go to 110/119, which this clock does not replace.
    pub const URGENT: SlaPolicy = SlaPolicy {
        acknowledge_minutes: 30,
        respond_minutes: 60,
        resolve_minutes: 420,
    };
    /// Two working hours, one working day, five working days \[L\] (the usual
    /// 12345-style limits).
    pub const STANDARD: SlaPolicy = SlaPolicy {
        acknowledge_minutes: 120,
        respond_minutes: 420,
        resolve_minutes: 5 * 420,
    };
    /// Cases needing several parties or works: two working hours, two working
    /// days, ten working days \[L\].
    pub const COMPLEX: SlaPolicy = SlaPolicy {
        acknowledge_minutes: 120,
        respond_minutes: 2 * 420,
        resolve_minutes: 10 * 420,
    };

    pub fn budget(self, timer: Timer) -> u32 {
        match timer {
            Timer::Acknowledge => self.acknowledge_minutes,
            Timer::Respond => self.respond_minutes,
            Timer::Resolve => self.resolve_minutes,
        }
    }
}

/// One timer at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TimerState {
    pub timer: Timer,
    pub budget_minutes: u32,
    /// `None` while the case is paused and the timer still running.
    pub deadline: Option<NaiveDateTime>,
    /// Working minutes left, rounded down, at `now` or when the timer stopped;
    /// negative once overdue (one second late is −1).
    pub remaining_minutes: i64,
    pub breached: bool,
    /// When the step was done (or the case became terminal); `None` while
    /// the timer runs.
    pub stopped_at: Option<NaiveDateTime>,
}

/// The three timers of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SlaState {
    pub acknowledge: TimerState,
    pub respond: TimerState,
    pub resolve: TimerState,
    pub paused: bool,
}

/// The timers of `case` at `now`. Each runs from `received_at` until its
/// step is done or the case becomes terminal, in working time, leaving out
/// pauses (DESIGN.md: SLA on a work calendar; \[L\] details). A Returned case
/// keeps running: see [`Arbitration::Sustain`].
pub fn sla_state(
    case: &Case,
    policy: &SlaPolicy,
    calendar: &WorkCalendar,
    now: NaiveDateTime,
) -> SlaState {
    let timer = |timer: Timer, done: Option<NaiveDateTime>| {
        timer_state(case, timer, policy.budget(timer), done, calendar, now)
    };
    SlaState {
        acknowledge: timer(Timer::Acknowledge, case.acknowledged_at),
        respond: timer(Timer::Respond, case.responded_at),
        resolve: timer(Timer::Resolve, case.resolved_at),
        paused: case.is_paused(),
    }
}

fn timer_state(
    case: &Case,
    timer: Timer,
    budget_minutes: u32,
    done: Option<NaiveDateTime>,
    calendar: &WorkCalendar,
    now: NaiveDateTime,
) -> TimerState {
    let stopped_at = done.or(case.closed_at);
    let pauses = match stopped_at {
        Some(stop) => pauses_until(&case.pauses, stop),
        None => case.pauses.clone(),
    };
    let start = case.received_at;
    let elapsed = calendar.work_seconds_elapsed(start, stopped_at.unwrap_or(now), &pauses);
    let remaining = i64::from(budget_minutes) * 60 - elapsed;
    TimerState {
        timer,
        budget_minutes,
        deadline: calendar.deadline_with_pauses(start, budget_minutes, &pauses),
        remaining_minutes: remaining.div_euclid(60),
        breached: remaining < 0,
        stopped_at,
    }
}

/// Pauses as they stood at `stop`: later ones dropped, open ones closed.
fn pauses_until(pauses: &[Pause], stop: NaiveDateTime) -> Vec<Pause> {
    pauses
        .iter()
        .filter(|p| p.from < stop)
        .map(|p| Pause {
            from: p.from,
            until: Some(p.until.map_or(stop, |u| u.min(stop))),
        })
        .collect()
}

/// The escalation a sweep should apply to `case` at `now`, if any: to
/// `upper_unit` (the holder's parent, which the caller looks up) when the
/// acknowledge timer ran out before 签收, or the resolve timer before 办结.
/// Only from 社区 and 街道 (the district is the top), and only for Submitted
/// or InProgress cases: a paused case's clock is stopped, a Resolved one
/// waits on the resident, and a Returned one on the arbiter.
pub fn auto_escalation(
    case: &Case,
    policy: &SlaPolicy,
    calendar: &WorkCalendar,
    now: NaiveDateTime,
    upper_unit: UnitId,
) -> Option<Event> {
    if !matches!(case.status, Status::Submitted | Status::InProgress)
        || case.is_paused()
        || case.level.above().is_none()
    {
        return None;
    }
    let sla = sla_state(case, policy, calendar, now);
    let timer = if case.acknowledged_at.is_none() && sla.acknowledge.breached {
        Timer::Acknowledge
    } else if case.resolved_at.is_none() && sla.resolve.breached {
        Timer::Resolve
    } else {
        return None;
    };
    Some(Event::Escalate {
        to_unit: upper_unit,
        reason: Escalation::Overdue { timer },
    })
}

// ---------------------------------------------------------------------------
// Figures

/// The figures a unit or level is judged by.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct Figures {
    /// Cases passed in, less Merged duplicates (the surviving case counts).
    pub received: u64,
    /// 办结: Resolved or Closed, since the answer has been given; the
    /// resident's rating is a later step (Status labels 已办结待评价 / 已关闭).
    pub closed: u64,
    /// Of `closed`, resolved within the resolve budget of the final round.
    pub closed_on_time: u64,
    /// 办结率, `closed / received`.
    pub closure_rate_permille: Option<u32>,
    /// `closed_on_time / closed`.
    pub on_time_rate_permille: Option<u32>,
    /// Mean working minutes from receipt by the holder to 办结, pauses left
    /// out, over `closed`.
    pub average_minutes_to_close: Option<i64>,
    /// Cases carrying a rating (including a not-satisfied one still reopened).
    pub rated: u64,
    /// Rated satisfied or basically satisfied.
    pub satisfied: u64,
    /// 满意率, `satisfied / rated`.
    pub satisfaction_rate_permille: Option<u32>,
}

/// Figures over the cases of one unit or level, each with its policy; the
/// caller selects the cases. Rates are per mille and the average in minutes,
/// both rounded half up in integers so a published figure can be recomputed
/// exactly; `None` when the denominator is 0. Seed article 002 (办结率).
pub fn figures<'a>(
    cases: impl IntoIterator<Item = (&'a Case, &'a SlaPolicy)>,
    calendar: &WorkCalendar,
) -> Figures {
    let mut f = Figures::default();
    let mut seconds_to_close: u128 = 0;
    for (case, policy) in cases {
        if case.status == Status::Merged {
            continue;
        }
        f.received += 1;
        if let Some(rating) = case.rating {
            f.rated += 1;
            f.satisfied += u64::from(rating.is_satisfied());
        }
        let Some(resolved_at) = case.resolved_at else {
            continue;
        };
        if !matches!(case.status, Status::Resolved | Status::Closed) {
            continue;
        }
        f.closed += 1;
        let pauses = pauses_until(&case.pauses, resolved_at);
        let secs = calendar.work_seconds_elapsed(case.received_at, resolved_at, &pauses);
        seconds_to_close += u128::try_from(secs).unwrap_or(0);
        if secs <= i64::from(policy.resolve_minutes) * 60 {
            f.closed_on_time += 1;
        }
    }
    f.closure_rate_permille = permille(f.closed, f.received);
    f.on_time_rate_permille = permille(f.closed_on_time, f.closed);
    f.satisfaction_rate_permille = permille(f.satisfied, f.rated);
    f.average_minutes_to_close = (f.closed > 0).then(|| {
        let minutes = half_up(seconds_to_close, u128::from(f.closed) * 60);
        i64::try_from(minutes).unwrap_or(i64::MAX)
    });
    f
}

fn permille(part: u64, whole: u64) -> Option<u32> {
    (whole > 0).then(|| {
        let rate = half_up(u128::from(part) * 1000, u128::from(whole));
        u32::try_from(rate).unwrap_or(u32::MAX)
    })
}

fn half_up(numerator: u128, denominator: u128) -> u128 {
    (numerator * 2 + denominator) / (denominator * 2)
}

// ---------------------------------------------------------------------------
// Catalogue

/// One 呼应启动事项: a kind of call with its first level and time limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct CatalogueItem {
    /// "C01-03": category and item number.
    pub code: String,
    pub name: String,
    /// Where a new call of this kind goes first.
    pub first_level: Level,
    pub sla: SlaPolicy,
}

/// One of the 大类.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Category {
    /// "C01".
    pub code: String,
    pub name: String,
    pub items: Vec<CatalogueItem>,
}

/// The seeded catalogue: 12 大类, 42 项, matching the counts of Liwan's
/// 呼应启动事项 (seed article 002). The article does not list the items, so
/// the names, first levels and time limits are a believable local set \[L\]
/// for admins to edit; a few take up the article's own examples (物业撤场,
/// 消防管无水, 加装楼梯扶手, 汽车乱停放, 迷路老人, 加装电梯).
pub fn default_catalogue() -> Vec<Category> {
    use Level::{Community as C, Street as S};
    const U: SlaPolicy = SlaPolicy::URGENT;
    const N: SlaPolicy = SlaPolicy::STANDARD;
    const X: SlaPolicy = SlaPolicy::COMPLEX;
    type Items = &'static [(&'static str, Level, SlaPolicy)];
    let table: [(&str, Items); 12] = [
        (
            "市容环境",
            &[
                ("生活垃圾清运不及时", C, N),
                ("楼道及公共区域杂物堆放", C, N),
                ("占道经营、流动摊贩", S, N),
                ("违法搭建", S, X),
                ("绿化缺损、树木修剪", C, N),
            ],
        ),
        (
            "物业管理",
            &[
                ("物业服务质量投诉", C, N),
                ("电梯故障停运", C, U),
                ("物业撤场、小区无人管理", S, X),
                ("小区停车管理纠纷", C, N),
            ],
        ),
        (
            "市政设施",
            &[
                ("路灯不亮", C, N),
                ("道路、人行道破损", C, N),
                ("下水道堵塞、污水外溢", C, U),
                ("停水、水压不足", C, U),
            ],
        ),
        (
            "治安消防",
            &[
                ("消防通道堵塞", C, U),
                ("楼道电动车充电、飞线充电", C, U),
                ("消防设施缺损（消防管无水等）", C, N),
                ("治安隐患", C, U),
            ],
        ),
        (
            "交通出行",
            &[
                ("机动车乱停放", C, N),
                ("共享单车乱停放", C, N),
                ("公交站点、交通设施损坏", S, N),
            ],
        ),
        (
            "民生保障",
            &[
                ("最低生活保障、临时救助", S, X),
                ("困难群众帮扶", C, N),
                ("残疾人服务", C, N),
                ("燃气安全隐患", C, U),
            ],
        ),
        (
            "医疗卫生",
            &[
                ("家庭医生签约服务", C, N),
                ("鼠患、蚊虫等病媒生物", C, N),
                ("疫苗接种咨询", C, N),
            ],
        ),
        (
            "教育托育",
            &[("托育、课后托管服务", C, N), ("入学、学位咨询", S, N)],
        ),
        (
            "为老服务",
            &[
                ("老人走失、独居老人失联", C, U),
                ("长者助餐配餐", C, N),
                ("居家养老上门服务", C, N),
                ("加装楼梯扶手等适老化改造", C, X),
            ],
        ),
        (
            "住房建设",
            &[
                ("旧楼加装电梯", S, X),
                ("房屋漏水、渗水", C, N),
                ("危房、外墙脱落隐患", S, U),
            ],
        ),
        (
            "劳动就业",
            &[
                ("就业困难人员援助", C, N),
                ("拖欠工资求助", S, X),
                ("职业技能培训报名", C, N),
            ],
        ),
        (
            "矛盾纠纷",
            &[("邻里纠纷", C, N), ("家庭矛盾", C, N), ("噪声扰民", C, N)],
        ),
    ];
    table
        .iter()
        .zip(1..)
        .map(|(&(name, items), c)| Category {
            code: format!("C{c:02}"),
            name: name.to_owned(),
            items: items
                .iter()
                .zip(1..)
                .map(|(&(item, first_level, sla), i)| CatalogueItem {
                    code: format!("C{c:02}-{i:02}"),
                    name: item.to_owned(),
                    first_level,
                    sla,
                })
                .collect(),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Tracking code (查询码)

/// Prefix of every 查询码 (呼应).
pub const TRACKING_PREFIX: &str = "HY";

/// Why a typed 查询码 was rejected; shown to the resident as-is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrackingCodeError {
    #[error("查询码应为 HY 加 13 位数字（最后一位也可能是 X），共 15 位")]
    Format,
    #[error("查询码有误，请核对后重新输入")]
    Checksum,
}

/// The resident's 查询码: `HY` + yymmdd of `date` + the last six digits of
/// the caller's random number + an ISO 7064 MOD 11-2 check character (0–9 or
/// X, as on the 身份证), which catches every single mistyped digit and every
/// swap of two neighbouring characters. The date keeps codes short and lets
/// staff see the age of a call at a glance; the random part makes codes
/// unguessable enough that the store must still check for collisions.
pub fn tracking_code(date: NaiveDate, random: u32) -> String {
    let body = format!(
        "{:02}{:02}{:02}{:06}",
        date.year().rem_euclid(100),
        date.month(),
        date.day(),
        random % 1_000_000
    );
    let check = mod11_2(body.as_bytes());
    format!("{TRACKING_PREFIX}{body}{check}")
}

/// The normalised code (trimmed, upper case) if `input` is a well-formed
/// 查询码 with a matching check character.
pub fn check_tracking_code(input: &str) -> Result<String, TrackingCodeError> {
    let code = input.trim().to_ascii_uppercase();
    let bytes = code.as_bytes();
    let well_formed = bytes.len() == 15
        && code.starts_with(TRACKING_PREFIX)
        && bytes[2..14].iter().all(u8::is_ascii_digit)
        && (bytes[14].is_ascii_digit() || bytes[14] == b'X');
    if !well_formed {
        return Err(TrackingCodeError::Format);
    }
    if mod11_2(&bytes[2..14]) != char::from(bytes[14]) {
        return Err(TrackingCodeError::Checksum);
    }
    Ok(code)
}

// ---------------------------------------------------------------------------
// The resident's proof (手机号后四位)

/// Wrong phone tails a call accepts on the public pages before its online check locks. Local
/// practice \[L\]: four digits are 10,000 guesses, so every wrong one must cost something; five
/// leave room for a resident's typing, and a locked call is still rated by the handler's
/// call-back.
pub const MAX_TAIL_FAILURES: i64 = 5;

/// Whether `typed` is the last four digits of the phone the resident gave: exactly four ASCII
/// digits (spaces around them forgiven), so an empty or shorter guess never matches a suffix.
pub fn phone_tail_matches(phone: &str, typed: &str) -> bool {
    let typed = typed.trim();
    typed.len() == 4 && typed.bytes().all(|b| b.is_ascii_digit()) && phone.ends_with(typed)
}

/// ISO 7064 MOD 11-2 check character of ASCII digits.
fn mod11_2(digits: &[u8]) -> char {
    let p = digits
        .iter()
        .fold(0u32, |p, d| ((p + u32::from(d - b'0')) * 2) % 11);
    match (12 - p) % 11 {
        10 => 'X',
        c => char::from(b'0' + u8::try_from(c).expect("below 10")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workcal::china_2026;
    use proptest::prelude::*;

    fn t(m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    const COMMUNITY: UnitId = 301;
    const STREET: UnitId = 21;
    const DEPT: UnitId = 1;

    fn run(case: &Case, steps: &[(Event, NaiveDateTime)]) -> Case {
        steps.iter().fold(case.clone(), |c, (e, at)| {
            apply(&c, e, *at).unwrap_or_else(|err| panic!("{e:?}: {err}"))
        })
    }

    fn resolve(answer: &str) -> Event {
        Event::Resolve {
            answer: answer.into(),
        }
    }

    /// Monday 2 March 2026, 10:00, at a community.
    fn fresh() -> Case {
        Case::new(t(3, 2, 10, 0), Level::Community, COMMUNITY)
    }

    #[test]
    fn levels() {
        assert_eq!(Level::Community.above(), Some(Level::Street));
        assert_eq!(Level::Street.above(), Some(Level::District));
        assert_eq!(Level::District.above(), None);
        assert_eq!(Level::from_label("街道"), Some(Level::Street));
        assert_eq!(Status::Returned.label(), "已退回待裁定");
        assert_eq!(
            Status::from_code("waiting_resident"),
            Some(Status::WaitingResident)
        );
    }

    #[test]
    fn happy_path() {
        let case = run(
            &fresh(),
            &[
                (Event::Acknowledge, t(3, 2, 10, 30)),
                (
                    Event::Respond {
                        note: "已电话联系".into(),
                    },
                    t(3, 2, 11, 0),
                ),
                (resolve("已清运"), t(3, 3, 9, 0)),
                (
                    Event::Rate {
                        rating: Rating::BasicallySatisfied,
                    },
                    t(3, 3, 15, 0),
                ),
            ],
        );
        assert_eq!(case.status, Status::Closed);
        assert_eq!(case.closed_at, Some(t(3, 3, 15, 0)));
        assert_eq!(case.responded_at, Some(t(3, 2, 11, 0)));
        let err = apply(&case, &Event::Acknowledge, t(3, 4, 9, 0)).unwrap_err();
        assert_eq!(err.to_string(), "该呼声已关闭，不能再操作");
    }

    #[test]
    fn transitions_are_checked() {
        let case = fresh();
        let err = apply(&case, &resolve("x"), t(3, 2, 11, 0)).unwrap_err();
        assert_eq!(err.to_string(), "“待受理”状态的呼声不能办结");
        let case = run(&case, &[(Event::Acknowledge, t(3, 2, 11, 0))]);
        assert_eq!(
            apply(&case, &Event::Acknowledge, t(3, 2, 11, 0)),
            Err(CallError::NotAllowed {
                action: "签收",
                status: Status::InProgress
            })
        );
        assert_eq!(
            apply(&case, &resolve("  "), t(3, 2, 12, 0)),
            Err(CallError::AnswerRequired)
        );
        assert_eq!(
            apply(&case, &resolve("好"), t(3, 2, 10, 59)),
            Err(CallError::OutOfOrder {
                last: t(3, 2, 11, 0)
            })
        );
        assert_eq!(
            apply(
                &case,
                &Event::Rate {
                    rating: Rating::Satisfied
                },
                t(3, 2, 12, 0)
            ),
            Err(CallError::NotAllowed {
                action: "评价",
                status: Status::InProgress
            })
        );
    }

    #[test]
    fn pause_and_resume() {
        let case = run(
            &fresh(),
            &[
                (Event::Acknowledge, t(3, 2, 10, 30)),
                (
                    Event::PauseForResident {
                        question: "请提供具体楼栋号".into(),
                    },
                    t(3, 2, 11, 0),
                ),
            ],
        );
        assert_eq!(case.status, Status::WaitingResident);
        assert!(case.is_paused());
        assert_eq!(case.responded_at, Some(t(3, 2, 11, 0)));
        assert_eq!(
            apply(&case, &resolve("x"), t(3, 2, 12, 0)),
            Err(CallError::NotAllowed {
                action: "办结",
                status: Status::WaitingResident
            })
        );
        let sla = sla_state(&case, &SlaPolicy::STANDARD, &china_2026(), t(3, 5, 9, 0));
        assert!(sla.paused);
        assert_eq!(sla.resolve.deadline, None);
        assert_eq!(sla.resolve.remaining_minutes, 2100 - 60);
        assert_eq!(sla.acknowledge.deadline, Some(t(3, 2, 12, 0)));
        assert_eq!(sla.acknowledge.stopped_at, Some(t(3, 2, 10, 30)));
        assert!(!sla.acknowledge.breached);
        assert_eq!(
            auto_escalation(
                &case,
                &SlaPolicy::URGENT,
                &china_2026(),
                t(4, 30, 9, 0),
                STREET
            ),
            None,
            "never while paused"
        );
        let case = run(&case, &[(Event::Resume, t(3, 3, 9, 0))]);
        assert_eq!(case.status, Status::InProgress);
        assert!(!case.is_paused());
        let sla = sla_state(&case, &SlaPolicy::STANDARD, &china_2026(), t(3, 3, 9, 0));
        // Unpaused it was due 9 March 10:00; the pause held 300 working
        // minutes.
        assert_eq!(sla.resolve.deadline, Some(t(3, 9, 16, 30)));
    }

    #[test]
    fn manual_and_automatic_escalation() {
        let cal = china_2026();
        let case = fresh();
        assert_eq!(
            apply(
                &case,
                &Event::Escalate {
                    to_unit: STREET,
                    reason: Escalation::Manual { reason: " ".into() }
                },
                t(3, 2, 11, 0)
            ),
            Err(CallError::ReasonRequired { action: "上报" })
        );
        // Two working hours to acknowledge: due at 12:00, breached after.
        let policy = SlaPolicy::STANDARD;
        assert_eq!(
            auto_escalation(&case, &policy, &cal, t(3, 2, 12, 0), STREET),
            None
        );
        let event = auto_escalation(&case, &policy, &cal, t(3, 2, 13, 31), STREET).unwrap();
        let Event::Escalate { to_unit, reason } = &event else {
            panic!("{event:?}")
        };
        assert_eq!(*to_unit, STREET);
        assert_eq!(reason.text(Level::Street), "超时未受理，自动上报街道");
        let street = apply(&case, &event, t(3, 2, 13, 31)).unwrap();
        assert_eq!(street.status, Status::Submitted);
        assert_eq!(street.level, Level::Street);
        assert_eq!(street.holder, STREET);
        assert_eq!(street.received_at, t(3, 2, 13, 31));
        assert_eq!(street.escalation_count, 1);
        assert_eq!(
            auto_escalation(&street, &policy, &cal, t(3, 2, 14, 0), DEPT),
            None
        );

        // Resolve overdue at the street: goes to the district, never further.
        let street = run(&street, &[(Event::Acknowledge, t(3, 2, 14, 0))]);
        let late = t(3, 16, 9, 0);
        let event = auto_escalation(&street, &policy, &cal, late, DEPT).unwrap();
        assert_eq!(
            event,
            Event::Escalate {
                to_unit: DEPT,
                reason: Escalation::Overdue {
                    timer: Timer::Resolve
                }
            }
        );
        let district = apply(&street, &event, late).unwrap();
        assert_eq!(district.level, Level::District);
        assert_eq!(
            auto_escalation(&district, &policy, &cal, t(12, 1, 9, 0), 0),
            None
        );
        assert_eq!(
            apply(
                &district,
                &Event::Escalate {
                    to_unit: 0,
                    reason: Escalation::Manual { reason: "x".into() }
                },
                late
            ),
            Err(CallError::AlreadyAtTop)
        );
        let sla = sla_state(&district, &policy, &cal, t(12, 1, 9, 0));
        assert!(sla.acknowledge.breached && sla.resolve.breached);
        assert!(sla.resolve.remaining_minutes < 0);
    }

    #[test]
    fn no_auto_escalation_when_resolved_or_returned() {
        let cal = china_2026();
        let policy = SlaPolicy::URGENT;
        let late = t(6, 1, 9, 0);
        let resolved = run(
            &fresh(),
            &[
                (Event::Acknowledge, t(3, 2, 10, 5)),
                (resolve("已处理"), t(3, 2, 11, 0)),
            ],
        );
        assert_eq!(
            auto_escalation(&resolved, &policy, &cal, late, STREET),
            None
        );
        let returned = run(
            &fresh(),
            &[(
                Event::Return {
                    reason: "不属本社区".into(),
                },
                t(3, 2, 10, 5),
            )],
        );
        assert_eq!(
            auto_escalation(&returned, &policy, &cal, late, STREET),
            None
        );
        let sla = sla_state(&resolved, &policy, &cal, late);
        assert_eq!(sla.resolve.stopped_at, Some(t(3, 2, 11, 0)));
        assert_eq!(sla.resolve.remaining_minutes, 420 - 60);
        assert!(!sla.resolve.breached);
    }

    #[test]
    fn whistle_only_from_a_street() {
        let community = fresh();
        let whistle = |lead, supporting: Vec<UnitId>| Event::Whistle {
            lead,
            supporting,
            reason: "物业撤场，垃圾堆积".into(),
        };
        assert_eq!(
            apply(&community, &whistle(DEPT, vec![]), t(3, 2, 11, 0)),
            Err(CallError::WhistleNotStreet {
                level: Level::Community
            })
        );
        let street = Case::new(t(3, 2, 10, 0), Level::Street, STREET);
        assert_eq!(
            apply(&street, &whistle(DEPT, vec![2, DEPT]), t(3, 2, 11, 0)),
            Err(CallError::LeadAlsoSupporting)
        );
        assert_eq!(
            apply(&street, &whistle(DEPT, vec![2, 3, 2]), t(3, 2, 11, 0)),
            Err(CallError::DuplicateSupporting)
        );
        let joint = apply(&street, &whistle(DEPT, vec![2, 3]), t(3, 2, 11, 0)).unwrap();
        assert_eq!(joint.level, Level::District);
        assert_eq!(joint.holder, DEPT);
        assert_eq!(joint.status, Status::Submitted);
        assert_eq!(
            joint.joint,
            Some(JointCase {
                raised_by: STREET,
                lead: DEPT,
                supporting: vec![2, 3]
            })
        );
        // The lead department returns it; the district reassigns the lead.
        let returned = run(
            &joint,
            &[(
                Event::Return {
                    reason: "应由住建牵头".into(),
                },
                t(3, 2, 14, 0),
            )],
        );
        let reassigned = run(
            &returned,
            &[(
                Event::Arbitrate {
                    decision: Arbitration::Reassign {
                        unit: 2,
                        level: Level::District,
                    },
                },
                t(3, 2, 15, 0),
            )],
        );
        assert_eq!(reassigned.joint.as_ref().unwrap().lead, 2);
        assert_eq!(reassigned.joint.as_ref().unwrap().supporting, [3]);
        assert_eq!(reassigned.received_at, t(3, 2, 15, 0));
        assert_eq!(
            CallError::WhistleNotStreet {
                level: Level::Community
            }
            .to_string(),
            "只有街道可以吹哨，当前承办层级为社区"
        );
    }

    #[test]
    fn return_and_arbitration() {
        let case = run(&fresh(), &[(Event::Acknowledge, t(3, 2, 10, 10))]);
        assert_eq!(
            apply(&case, &Event::Return { reason: "".into() }, t(3, 2, 11, 0)),
            Err(CallError::ReasonRequired { action: "退回" })
        );
        let returned = run(
            &case,
            &[(
                Event::Return {
                    reason: "属于邻近社区".into(),
                },
                t(3, 2, 11, 0),
            )],
        );
        assert_eq!(returned.status, Status::Returned);
        let sustained = run(
            &returned,
            &[(
                Event::Arbitrate {
                    decision: Arbitration::Sustain,
                },
                t(3, 2, 14, 0),
            )],
        );
        assert_eq!(sustained.status, Status::InProgress);
        assert_eq!(
            sustained.received_at, case.received_at,
            "clock kept running"
        );
        let reassign = |unit, level| Event::Arbitrate {
            decision: Arbitration::Reassign { unit, level },
        };
        assert_eq!(
            apply(&returned, &reassign(DEPT, Level::District), t(3, 2, 14, 0)),
            Err(CallError::AboveArbiter {
                level: Level::District,
                arbiter: Level::Street
            })
        );
        assert_eq!(
            apply(
                &returned,
                &reassign(COMMUNITY, Level::Community),
                t(3, 2, 14, 0)
            ),
            Err(CallError::SameUnit)
        );
        let moved = apply(&returned, &reassign(302, Level::Community), t(3, 2, 14, 0)).unwrap();
        assert_eq!(moved.status, Status::Submitted);
        assert_eq!(moved.holder, 302);
        assert_eq!(moved.acknowledged_at, None);
        assert_eq!(moved.received_at, t(3, 2, 14, 0));
        let kept = apply(&returned, &reassign(STREET, Level::Street), t(3, 2, 14, 0)).unwrap();
        assert_eq!(kept.level, Level::Street);
    }

    #[test]
    fn unsatisfied_rating_reopens() {
        let resolved = run(
            &fresh(),
            &[
                (Event::Acknowledge, t(3, 2, 10, 10)),
                (resolve("已修复路灯"), t(3, 3, 10, 0)),
            ],
        );
        let reopened = run(
            &resolved,
            &[(
                Event::Rate {
                    rating: Rating::NotSatisfied,
                },
                t(3, 4, 10, 0),
            )],
        );
        assert_eq!(reopened.status, Status::InProgress);
        assert_eq!(reopened.holder, COMMUNITY);
        assert_eq!(reopened.reopen_count, 1);
        assert_eq!(reopened.resolved_at, None);
        assert_eq!(reopened.received_at, t(3, 4, 10, 0));
        assert_eq!(reopened.rating, Some(Rating::NotSatisfied));
        let closed = run(
            &reopened,
            &[
                (resolve("已更换灯具"), t(3, 4, 15, 0)),
                (
                    Event::Rate {
                        rating: Rating::Satisfied,
                    },
                    t(3, 5, 9, 0),
                ),
            ],
        );
        assert_eq!(closed.status, Status::Closed);
        assert_eq!(closed.rating, Some(Rating::Satisfied));
    }

    #[test]
    fn closing_unreachable_needs_an_attempt() {
        let resolved = run(
            &fresh(),
            &[
                (Event::Acknowledge, t(3, 2, 10, 10)),
                (resolve("已处理"), t(3, 3, 10, 0)),
            ],
        );
        let err = apply(&resolved, &Event::CloseUnreachable, t(3, 4, 10, 0)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "回访未果须登记至少 1 次才能关闭，目前 0 次"
        );
        let closed = run(
            &resolved,
            &[
                (Event::RecordContactAttempt, t(3, 4, 10, 0)),
                (Event::CloseUnreachable, t(3, 4, 10, 5)),
            ],
        );
        assert_eq!(closed.status, Status::Closed);
        assert_eq!(closed.contact_attempts, 1);
        assert_eq!(closed.rating, None);
    }

    #[test]
    fn merge_is_terminal() {
        let waiting = run(
            &fresh(),
            &[
                (Event::Acknowledge, t(3, 2, 10, 10)),
                (
                    Event::PauseForResident {
                        question: "请上传照片".into(),
                    },
                    t(3, 2, 10, 20),
                ),
            ],
        );
        let merged = run(&waiting, &[(Event::Merge { into: 77 }, t(3, 2, 11, 0))]);
        assert_eq!(merged.status, Status::Merged);
        assert_eq!(merged.merged_into, Some(77));
        assert!(!merged.is_paused());
        assert_eq!(
            apply(&merged, &Event::Resume, t(3, 2, 12, 0)),
            Err(CallError::Merged)
        );
        let sla = sla_state(&merged, &SlaPolicy::STANDARD, &china_2026(), t(9, 1, 9, 0));
        assert_eq!(sla.resolve.stopped_at, Some(t(3, 2, 11, 0)));
        assert!(!sla.resolve.breached);
    }

    #[test]
    fn figures_round_half_up() {
        let cal = china_2026();
        let policy = SlaPolicy::URGENT;
        let done = |resolve_at| {
            run(
                &fresh(),
                &[
                    (Event::Acknowledge, t(3, 2, 10, 5)),
                    (resolve("好"), resolve_at),
                ],
            )
        };
        let rate = |c: &Case, rating| run(c, &[(Event::Rate { rating }, t(3, 20, 9, 0))]);
        let on_time = done(t(3, 2, 11, 0)); // 60 minutes
        let late = done(t(3, 4, 10, 0)); // 840 minutes, budget 420
        let cases = [
            rate(&on_time, Rating::Satisfied),
            rate(&late, Rating::BasicallySatisfied),
            rate(&on_time, Rating::NotSatisfied),
            on_time.clone(),
            fresh(),
            fresh(),
            run(&fresh(), &[(Event::Merge { into: 1 }, t(3, 2, 11, 0))]),
        ];
        let f = figures(cases.iter().map(|c| (c, &policy)), &cal);
        assert_eq!(f.received, 6);
        assert_eq!(f.closed, 3, "two rated and closed, one awaiting rating");
        assert_eq!(f.closed_on_time, 2);
        assert_eq!(f.closure_rate_permille, Some(500));
        assert_eq!(f.on_time_rate_permille, Some(667));
        assert_eq!(f.average_minutes_to_close, Some(320)); // (60+840+60)/3
        assert_eq!(f.rated, 3);
        assert_eq!(f.satisfied, 2);
        assert_eq!(f.satisfaction_rate_permille, Some(667));
        let none = figures(std::iter::empty(), &cal);
        assert_eq!(none.closure_rate_permille, None);
        assert_eq!(none.average_minutes_to_close, None);
        assert_eq!(permille(1, 16), Some(63));
        assert_eq!(permille(1, 2000), Some(1));
        assert_eq!(permille(1, 2001), Some(0));
    }

    #[test]
    fn catalogue_has_twelve_categories_and_42_items() {
        let catalogue = default_catalogue();
        assert_eq!(catalogue.len(), 12);
        let items: Vec<_> = catalogue.iter().flat_map(|c| &c.items).collect();
        assert_eq!(items.len(), 42);
        let mut codes: Vec<_> = items.iter().map(|i| i.code.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 42);
        for category in &catalogue {
            assert!((2..=6).contains(&category.items.len()), "{}", category.name);
            for item in &category.items {
                assert!(item.code.starts_with(&format!("{}-", category.code)));
                let s = item.sla;
                assert!(s.acknowledge_minutes <= s.respond_minutes);
                assert!(s.respond_minutes <= s.resolve_minutes);
            }
        }
        assert_eq!(catalogue[0].name, "市容环境");
        assert_eq!(catalogue[0].items[2].code, "C01-03");
        assert_eq!(catalogue[11].name, "矛盾纠纷");
        let street = items
            .iter()
            .filter(|i| i.first_level == Level::Street)
            .count();
        assert!((1..=12).contains(&street));
    }

    #[test]
    fn tracking_code_shape() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let code = tracking_code(date, 1_234_567);
        assert_eq!(&code[..14], "HY260302234567");
        assert_eq!(code.len(), 15);
        assert_eq!(check_tracking_code(&code), Ok(code.clone()));
        assert_eq!(
            check_tracking_code(&format!("  {}  ", code.to_lowercase())),
            Ok(code.clone())
        );
        assert_eq!(
            check_tracking_code("HY2603"),
            Err(TrackingCodeError::Format)
        );
        assert_eq!(
            check_tracking_code("HY26030223456A"),
            Err(TrackingCodeError::Format)
        );
        // Some random part gives the X check character.
        let x = (0..100)
            .map(|r| tracking_code(date, r))
            .find(|c| c.ends_with('X'))
            .unwrap();
        assert_eq!(check_tracking_code(&x), Ok(x.clone()));
    }

    // ---- properties

    fn any_event() -> impl Strategy<Value = Event> {
        let unit = 0i64..6;
        let text = prop_oneof![Just(String::new()), Just("说明".to_owned())];
        prop_oneof![
            3 => Just(Event::Acknowledge),
            1 => text.clone().prop_map(|note| Event::Respond { note }),
            1 => text.clone().prop_map(|question| Event::PauseForResident { question }),
            1 => Just(Event::Resume),
            3 => text.clone().prop_map(|answer| Event::Resolve { answer }),
            1 => (unit.clone(), text.clone()).prop_map(|(to_unit, reason)| Event::Escalate {
                to_unit,
                reason: Escalation::Manual { reason },
            }),
            1 => (unit.clone(), proptest::collection::vec(unit.clone(), 0..3))
                .prop_map(|(lead, supporting)| Event::Whistle {
                    lead,
                    supporting,
                    reason: "x".into(),
                }),
            1 => text.clone().prop_map(|reason| Event::Return { reason }),
            1 => (unit.clone(), 0usize..3, any::<bool>()).prop_map(|(unit, l, sustain)| {
                Event::Arbitrate {
                    decision: if sustain {
                        Arbitration::Sustain
                    } else {
                        Arbitration::Reassign { unit, level: Level::ALL[l] }
                    },
                }
            }),
            2 => (0usize..3).prop_map(|r| Event::Rate { rating: Rating::ALL[r] }),
            1 => Just(Event::RecordContactAttempt),
            1 => Just(Event::CloseUnreachable),
            1 => Just(Event::Merge { into: 99 }),
        ]
    }

    /// A case driven by random events at increasing times, refused events
    /// skipped, as the store would see it.
    fn any_case() -> impl Strategy<Value = Case> {
        (
            0usize..3,
            0i64..5,
            proptest::collection::vec((any_event(), 0i64..3000), 0..25),
        )
            .prop_map(|(level, holder, events)| {
                let mut at = t(3, 2, 9, 0);
                let mut case = Case::new(at, Level::ALL[level], holder);
                for (event, gap) in events {
                    at += chrono::TimeDelta::minutes(gap);
                    if let Ok(next) = apply(&case, &event, at) {
                        case = next;
                    }
                }
                case
            })
    }

    /// Drives any open case to Closed.
    fn close(case: &Case) -> Case {
        let mut case = case.clone();
        let mut at = case.last_event_at;
        while !case.status.is_terminal() {
            at += chrono::TimeDelta::minutes(30);
            let event = match case.status {
                Status::Submitted => Event::Acknowledge,
                Status::InProgress => resolve("已办结"),
                Status::WaitingResident => Event::Resume,
                Status::Returned => Event::Arbitrate {
                    decision: Arbitration::Sustain,
                },
                Status::Resolved => Event::Rate {
                    rating: Rating::Satisfied,
                },
                Status::Closed | Status::Merged => unreachable!(),
            };
            case = apply(&case, &event, at).unwrap();
        }
        case
    }

    proptest! {
        #[test]
        fn case_invariants(case in any_case(), event in any_event()) {
            let open = case.pauses.iter().filter(|p| p.until.is_none()).count();
            prop_assert!(open <= 1);
            prop_assert_eq!(open == 1, case.status == Status::WaitingResident);
            prop_assert!(case.received_at >= case.submitted_at);
            if case.joint.is_some() {
                prop_assert_eq!(case.level, Level::District);
            }
            prop_assert_eq!(case.closed_at.is_some(), case.status.is_terminal());
            let result = apply(&case, &event, case.last_event_at);
            if case.status.is_terminal() {
                prop_assert!(result.is_err());
            }
            if let Ok(next) = result
                && matches!(event, Event::Escalate { .. })
            {
                prop_assert_eq!(Some(next.level), case.level.above());
            }
        }

        #[test]
        fn rates_are_per_mille(
            cases in proptest::collection::vec(any_case(), 0..20),
            now_days in 0i64..60,
        ) {
            let cal = china_2026();
            let policy = SlaPolicy::STANDARD;
            let f = figures(cases.iter().map(|c| (c, &policy)), &cal);
            for rate in [f.closure_rate_permille, f.on_time_rate_permille, f.satisfaction_rate_permille]
                .into_iter()
                .flatten()
            {
                prop_assert!(rate <= 1000);
            }
            prop_assert!(f.closed <= f.received && f.closed_on_time <= f.closed);
            prop_assert!(f.satisfied <= f.rated && f.rated <= f.received);
            let now = t(3, 2, 9, 0) + chrono::TimeDelta::days(now_days);
            for case in &cases {
                let sla = sla_state(case, &policy, &cal, now);
                for timer in [sla.acknowledge, sla.respond, sla.resolve] {
                    prop_assert_eq!(timer.breached, timer.remaining_minutes < 0);
                    prop_assert_eq!(timer.deadline.is_none(), sla.paused && timer.stopped_at.is_none());
                }
            }
        }

        #[test]
        fn all_closed_means_full_closure(cases in proptest::collection::vec(any_case(), 0..20)) {
            let closed: Vec<Case> = cases.iter().map(close).collect();
            let policy = SlaPolicy::STANDARD;
            let f = figures(closed.iter().map(|c| (c, &policy)), &china_2026());
            if f.received == 0 {
                prop_assert_eq!(f.closure_rate_permille, None);
            } else {
                prop_assert_eq!(f.closure_rate_permille, Some(1000));
            }
        }

        #[test]
        fn tracking_code_catches_one_wrong_digit(
            day in 0i64..3650, random in any::<u32>(), pos in 2usize..15, delta in 1u8..11,
        ) {
            let date = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::TimeDelta::days(day);
            let code = tracking_code(date, random);
            prop_assert_eq!(check_tracking_code(&code), Ok(code.clone()));
            let alphabet = b"0123456789X";
            let mut bytes = code.clone().into_bytes();
            let old = alphabet.iter().position(|&c| c == bytes[pos]).unwrap();
            bytes[pos] = alphabet[(old + usize::from(delta)) % 11];
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert!(check_tracking_code(&typo).is_err(), "{} accepted as {}", typo, code);
        }

        #[test]
        fn tracking_code_catches_a_swap(
            day in 0i64..3650, random in any::<u32>(), pos in 0usize..14,
        ) {
            let date = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::TimeDelta::days(day);
            let code = tracking_code(date, random);
            let mut bytes = code.clone().into_bytes();
            prop_assume!(bytes[pos] != bytes[pos + 1]);
            bytes.swap(pos, pos + 1);
            let swapped = String::from_utf8(bytes).unwrap();
            prop_assert!(check_tracking_code(&swapped).is_err(), "{} accepted as {}", swapped, code);
        }
    }

    #[test]
    fn only_the_exact_last_four_digits_prove_a_call() {
        assert!(phone_tail_matches("13912345678", "5678"));
        assert!(phone_tail_matches("13912345678", " 5678 "));
        for wrong in ["", "678", "45678", "5679", "567８", "abcd"] {
            assert!(!phone_tail_matches("13912345678", wrong), "{wrong}");
        }
    }

    proptest! {
        #[test]
        fn a_phone_has_exactly_one_tail(phone in "1[3-9][0-9]{9}", guess in 0u32..10_000) {
            let guess = format!("{guess:04}");
            prop_assert_eq!(phone_tail_matches(&phone, &guess), phone[7..] == guess);
        }
    }
}
