//! 民主评议党员 (democratic appraisal of members): who may cast which ballot, each member's
//! weighted score from the ballots of the four groups, when results may be seen, and the 优秀
//! share of a decision.
//!
//! The steps are those of DOMAIN.md §2 (个人自评 → 党员互评 → 民主测评 → the 支委会 or 党员大会
//! decides the rating), with the grades 优秀/合格/基本合格/不合格 and 优秀 ≤ 1/3 of members (§2
//! 评议等次). The score is exact until one HALF_UP step to 0.01 at the end, in integers
//! (DOMAIN.md §0); it feeds [`crate::points::score`] and informs, but does not make, the decision.

use std::fmt::Write as _;

use crate::enums::code_enum;
use crate::points::{Grade, Points, Share};

/// Version of the appraisal rules: weights 10/40/30/20, grade points 100/80/60/0, empty groups
/// dropped and their weight shared out, 优秀 share floor(n × 1/3). Store it with every score.
pub const RULE_VERSION: &str = "appraisal-2026.1";

code_enum! {
    /// Who casts a ballot. DOMAIN.md §2 (民主评议党员: 个人自评, 党员互评, 民主测评).
    pub enum Group {
        #[serde(rename = "self")]
        SelfReview => ("self", "个人自评", "自评"),
        Peers => ("peers", "党员互评", "互评"),
        Organisation => ("organisation", "组织评价", "支委会评价"),
        Masses => ("masses", "群众评议"),
    }
}

/// Why an appraisal setting, ballot or decision was refused; shown to people as-is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppraisalError {
    #[error("各评议主体的权重之和应为 100%，现为 {0}%")]
    WeightsNotHundred(u32),
    #[error("各等次对应的分值应在 0 至 100 分之间")]
    GradePointsOutOfRange,
    #[error("各等次对应的分值应从优秀到不合格依次不升")]
    GradePointsNotDescending,
    #[error("票数过多，无法精确计算综合得分")]
    TooManyBallots,

    #[error("个人自评只能评价本人")]
    SelfBallotNotAboutSelf,
    #[error("党员互评不能评价本人")]
    PeerBallotRatesSelf,
    #[error("评为优秀的人数多于所评价的人数")]
    ExcellentBeyondRated,
    #[error("每张评议票评为优秀的不得超过 {max} 名，本票评了 {marked} 名")]
    TooManyExcellent { max: u32, marked: u32 },

    #[error("评议已截止，不再接收投票")]
    BallotsClosed,
    #[error("评议等次已经决定，不再接收投票")]
    AlreadyDecided,
    #[error("评议尚未截止，结果和投票情况对所有人保密，管理员也不例外")]
    ResultsSealed,
    #[error("评议不能从「{from}」改为「{to}」")]
    BadTransition {
        from: &'static str,
        to: &'static str,
    },

    #[error("参评党员 {members} 名，但评定了 {decided} 名的等次，请逐一评定")]
    DecisionCountMismatch { members: u32, decided: usize },
    #[error("优秀最多 {max} 名（参评党员 {members} 名的 {share}），现评定了 {excellent} 名")]
    DecisionExceedsShare {
        members: u32,
        max: u32,
        excellent: u32,
        share: Share,
    },
}

// ---------------------------------------------------------------------------
// Settings

/// Percent each group's average counts for. Local practice \[L\]: no national split exists, so
/// the default 10/40/30/20 is a configurable suggestion. DOMAIN.md §2 (民主评议党员).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Weights {
    #[serde(rename = "self")]
    pub self_: u8,
    pub peers: u8,
    pub organisation: u8,
    pub masses: u8,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            self_: 10,
            peers: 40,
            organisation: 30,
            masses: 20,
        }
    }
}

impl Weights {
    pub fn of(&self, group: Group) -> u8 {
        match group {
            Group::SelfReview => self.self_,
            Group::Peers => self.peers,
            Group::Organisation => self.organisation,
            Group::Masses => self.masses,
        }
    }

    /// The weights must add up to 100%, so a full set of ballots means what it says without
    /// renormalising. DOMAIN.md §2.
    pub fn validate(&self) -> Result<(), AppraisalError> {
        let sum: u32 = Group::ALL.iter().map(|&g| u32::from(self.of(g))).sum();
        if sum == 100 {
            Ok(())
        } else {
            Err(AppraisalError::WeightsNotHundred(sum))
        }
    }
}

/// Points (0–100) a ballot's grade is worth. Local practice \[L\], configurable; default
/// 100/80/60/0. DOMAIN.md §2 (评议等次).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GradePoints {
    pub excellent: u8,
    pub qualified: u8,
    pub basic: u8,
    pub unqualified: u8,
}

impl Default for GradePoints {
    fn default() -> Self {
        GradePoints {
            excellent: 100,
            qualified: 80,
            basic: 60,
            unqualified: 0,
        }
    }
}

impl GradePoints {
    pub fn of(&self, grade: Grade) -> u8 {
        match grade {
            Grade::Excellent => self.excellent,
            Grade::Qualified => self.qualified,
            Grade::Basic => self.basic,
            Grade::Unqualified => self.unqualified,
        }
    }

    /// Within 0–100 (the scale [`crate::points::score`] weights) and never higher for a worse
    /// grade, or a worse ballot could raise a score. DOMAIN.md §2.
    pub fn validate(&self) -> Result<(), AppraisalError> {
        if Grade::ALL.iter().any(|&g| self.of(g) > 100) {
            return Err(AppraisalError::GradePointsOutOfRange);
        }
        if Grade::ALL.windows(2).any(|w| self.of(w[0]) < self.of(w[1])) {
            return Err(AppraisalError::GradePointsNotDescending);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Scores

/// How many ballots gave a member each grade.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GradeCounts {
    pub excellent: u32,
    pub qualified: u32,
    pub basic: u32,
    pub unqualified: u32,
}

impl GradeCounts {
    pub fn of(&self, grade: Grade) -> u32 {
        match grade {
            Grade::Excellent => self.excellent,
            Grade::Qualified => self.qualified,
            Grade::Basic => self.basic,
            Grade::Unqualified => self.unqualified,
        }
    }

    pub fn ballots(&self) -> u64 {
        Grade::ALL.iter().map(|&g| u64::from(self.of(g))).sum()
    }
}

/// One member's ballots, by group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tallies {
    #[serde(rename = "self")]
    pub self_: GradeCounts,
    pub peers: GradeCounts,
    pub organisation: GradeCounts,
    pub masses: GradeCounts,
}

impl Tallies {
    pub fn of(&self, group: Group) -> GradeCounts {
        match group {
            Group::SelfReview => self.self_,
            Group::Peers => self.peers,
            Group::Organisation => self.organisation,
            Group::Masses => self.masses,
        }
    }
}

/// One group's part in a score.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupWorking {
    pub group: Group,
    pub counts: GradeCounts,
    pub ballots: u64,
    /// Sum of the ballots' grade points; the exact average is `points_total / ballots`.
    pub points_total: u64,
    /// The average HALF_UP to 0.01, for showing; the score uses the exact one.
    pub average: Points,
    pub weight: u8,
    /// The weight after empty groups' weight is shared out, in hundredths of a percent. Exact
    /// shares are used for the score; these are rounded by largest remainder so that the shown
    /// figures add up to exactly 100%.
    pub effective_weight_bp: u32,
}

/// A member's appraisal score (0–100) with its working.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppraisalScore {
    pub score: Points,
    /// Groups that count, in [`Group::ALL`] order.
    pub groups: Vec<GroupWorking>,
    /// Groups left out: no ballots, or a weight of 0.
    pub dropped: Vec<Group>,
    /// Chinese explanation, one step per line.
    pub working: Vec<String>,
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Shares `total` out in proportion to `weights` (not all zero), rounding by largest remainder
/// so the parts add up to `total`; equal remainders favour the earlier weight.
fn apportion(weights: &[u32], total: u32) -> Vec<u32> {
    let sum: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    let exact: Vec<(u64, u64)> = weights
        .iter()
        .map(|&w| {
            let share = u64::from(w) * u64::from(total);
            (share / sum, share % sum)
        })
        .collect();
    let mut parts: Vec<u32> = exact.iter().map(|&(q, _)| q as u32).collect();
    let short = total - parts.iter().sum::<u32>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1));
    for &i in order.iter().take(short as usize) {
        parts[i] += 1;
    }
    parts
}

/// A member's appraisal score: each group's exact average grade points, weighted; groups without
/// ballots (or with no weight) are dropped and the others' weights scaled up to the full 100%, so
/// a missing 群众评议 neither lowers nor raises anyone. Rounded HALF_UP to 0.01 once, at the end.
/// `Ok(None)` when no weighted group has ballots. DOMAIN.md §2 (民主评议党员), §0 (integers).
pub fn member_score(
    weights: &Weights,
    grade_points: &GradePoints,
    tallies: &Tallies,
) -> Result<Option<AppraisalScore>, AppraisalError> {
    weights.validate()?;
    grade_points.validate()?;

    let mut groups = Vec::new();
    let mut dropped = Vec::new();
    let mut working = Vec::new();
    for &group in Group::ALL {
        let counts = tallies.of(group);
        let ballots = counts.ballots();
        let weight = weights.of(group);
        if ballots == 0 || weight == 0 {
            dropped.push(group);
            working.push(if ballots == 0 {
                format!(
                    "{}没有选票，不计入，其权重按比例分给其余各项",
                    group.label()
                )
            } else {
                format!("{}权重为 0，不计入", group.label())
            });
            continue;
        }
        let points_total: u64 = Grade::ALL
            .iter()
            .map(|&g| u64::from(counts.of(g)) * u64::from(grade_points.of(g)))
            .sum();
        groups.push(GroupWorking {
            group,
            counts,
            ballots,
            points_total,
            average: Points(
                ((200 * u128::from(points_total) + u128::from(ballots)) / (2 * u128::from(ballots)))
                    as i64,
            ),
            weight,
            effective_weight_bp: 0,
        });
    }
    if groups.is_empty() {
        return Ok(None);
    }

    let shares = apportion(
        &groups
            .iter()
            .map(|g| u32::from(g.weight))
            .collect::<Vec<_>>(),
        10_000,
    );
    for (g, bp) in groups.iter_mut().zip(shares) {
        g.effective_weight_bp = bp;
    }

    // score = Σ weight × total / ballots ÷ Σ weight, over a common denominator so that nothing
    // is rounded before the end; checked, because four large coprime ballot counts could overflow.
    let too_many = || AppraisalError::TooManyBallots;
    let weight_sum: u128 = groups.iter().map(|g| u128::from(g.weight)).sum();
    let lcm = groups.iter().try_fold(1u128, |acc, g| {
        let b = u128::from(g.ballots);
        (acc / gcd(acc, b)).checked_mul(b)
    });
    let lcm = lcm.ok_or_else(too_many)?;
    let numerator = groups.iter().try_fold(0u128, |acc, g| {
        u128::from(g.weight)
            .checked_mul(u128::from(g.points_total))?
            .checked_mul(lcm / u128::from(g.ballots))
            .and_then(|term| acc.checked_add(term))
    });
    let numerator = numerator.ok_or_else(too_many)?;
    let denominator = lcm.checked_mul(weight_sum).ok_or_else(too_many)?;
    // Hundredths, HALF_UP: floor((200 × n + d) / (2 × d)).
    let hundredths = numerator
        .checked_mul(200)
        .and_then(|n| n.checked_add(denominator))
        .ok_or_else(too_many)?
        / denominator.checked_mul(2).ok_or_else(too_many)?;
    let score = Points(i64::try_from(hundredths).expect("a score of at most 100 points"));

    for g in &groups {
        let mut line = format!("{} {} 票（", g.group.label(), g.ballots);
        for (i, &grade) in Grade::ALL.iter().enumerate() {
            let sep = if i == 0 { "" } else { "、" };
            let _ = write!(line, "{sep}{} {}", grade.label(), g.counts.of(grade));
        }
        let _ = write!(line, "），平均 {} 分，权重 {}%", g.average, g.weight);
        if !dropped.is_empty() {
            let _ = write!(
                line,
                "，折算为 {}%",
                Points(i64::from(g.effective_weight_bp))
            );
        }
        working.push(line);
    }
    working.push(format!(
        "综合得分 {score} 分（各项平均分按权重加权，四舍五入到 0.01 分）"
    ));
    Ok(Some(AppraisalScore {
        score,
        groups,
        dropped,
        working,
    }))
}

// ---------------------------------------------------------------------------
// Ballots and campaigns

/// What a ballot is, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ballot {
    pub group: Group,
    /// Whether the ballot grades the person casting it.
    pub rates_self: bool,
    /// Members the ballot grades.
    pub rated: u32,
    /// How many of them it grades 优秀.
    pub excellent: u32,
}

/// Checks one ballot before it is accepted. A 自评 grades only oneself; a 互评 never grades
/// oneself; a 互评 or 组织评价 ballot grades at most `share.limit(members_in_campaign)` members
/// 优秀, so that ballots keep to the share the decision must keep to. The limit counts all the
/// members being appraised, not the names on one ballot: a peer ballot leaves its caster out,
/// and counting only the others would deny a branch of three any 优秀. 群众评议 is not limited:
/// the masses grade members they know, not the whole branch. DOMAIN.md §2 (民主评议党员, 评议等次
/// 优秀 ≤ 1/3), §0 (quotas round down).
pub fn check_ballot(
    ballot: &Ballot,
    members_in_campaign: u32,
    share: Share,
) -> Result<(), AppraisalError> {
    if ballot.excellent > ballot.rated {
        return Err(AppraisalError::ExcellentBeyondRated);
    }
    match ballot.group {
        Group::SelfReview if !ballot.rates_self || ballot.rated != 1 => {
            return Err(AppraisalError::SelfBallotNotAboutSelf);
        }
        Group::Peers if ballot.rates_self => return Err(AppraisalError::PeerBallotRatesSelf),
        _ => {}
    }
    if matches!(ballot.group, Group::Peers | Group::Organisation) {
        let max = share.limit(members_in_campaign);
        if ballot.excellent > max {
            return Err(AppraisalError::TooManyExcellent {
                max,
                marked: ballot.excellent,
            });
        }
    }
    Ok(())
}

code_enum! {
    /// Where an appraisal campaign stands. DOMAIN.md §2 (民主评议党员: ballots, then the 支委会
    /// or 党员大会 decides).
    pub enum CampaignState {
        Open => ("open", "进行中"),
        Closed => ("closed", "已截止"),
        Decided => ("decided", "已决定"),
    }
}

/// Ballots are taken only while the campaign is open. DOMAIN.md §2.
pub fn check_ballot_allowed(state: CampaignState) -> Result<(), AppraisalError> {
    match state {
        CampaignState::Open => Ok(()),
        CampaignState::Closed => Err(AppraisalError::BallotsClosed),
        CampaignState::Decided => Err(AppraisalError::AlreadyDecided),
    }
}

/// Results, and who graded whom how, stay sealed while ballots are still taken, for everybody,
/// administrators included: a figure seen mid-vote sways the ballots still to come, and people
/// vote freely only if nobody can watch. Only turnout may be shown while open. DOMAIN.md §2.
pub fn check_results_visible(state: CampaignState) -> Result<(), AppraisalError> {
    match state {
        CampaignState::Open => Err(AppraisalError::ResultsSealed),
        CampaignState::Closed | CampaignState::Decided => Ok(()),
    }
}

/// A campaign only moves forward, open → closed → decided. Reopening is refused because results
/// were visible once closed, and ballots cast after seeing them would not be free. DOMAIN.md §2.
pub fn check_transition(from: CampaignState, to: CampaignState) -> Result<(), AppraisalError> {
    use CampaignState::*;
    match (from, to) {
        (Open, Closed) | (Closed, Decided) => Ok(()),
        _ => Err(AppraisalError::BadTransition {
            from: from.label(),
            to: to.label(),
        }),
    }
}

/// Checks the grades the 支委会 or 党员大会 decided: one for each of the `members` appraised, and
/// 优秀 for at most `share.limit(members)` of them. DOMAIN.md §2 (评议等次: 优秀 ≤ 1/3), §0.
pub fn check_decision(members: u32, decided: &[Grade], share: Share) -> Result<(), AppraisalError> {
    if u32::try_from(decided.len()).ok() != Some(members) {
        return Err(AppraisalError::DecisionCountMismatch {
            members,
            decided: decided.len(),
        });
    }
    let excellent = decided.iter().filter(|&&g| g == Grade::Excellent).count() as u32;
    let max = share.limit(members);
    if excellent > max {
        return Err(AppraisalError::DecisionExceedsShare {
            members,
            max,
            excellent,
            share,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    fn counts(excellent: u32, qualified: u32, basic: u32, unqualified: u32) -> GradeCounts {
        GradeCounts {
            excellent,
            qualified,
            basic,
            unqualified,
        }
    }

    fn full_tallies() -> Tallies {
        Tallies {
            self_: counts(1, 0, 0, 0),
            peers: counts(4, 7, 1, 0),
            organisation: counts(0, 1, 0, 0),
            masses: counts(5, 5, 0, 0),
        }
    }

    fn scored(tallies: &Tallies) -> AppraisalScore {
        member_score(&Weights::default(), &GradePoints::default(), tallies)
            .unwrap()
            .unwrap()
    }

    fn pts(hundredths: i64) -> Points {
        Points(hundredths)
    }

    #[test]
    fn vocabulary() {
        let codes: Vec<_> = Group::ALL.iter().map(|g| g.code()).collect();
        assert_eq!(codes, ["self", "peers", "organisation", "masses"]);
        let labels: Vec<_> = Group::ALL.iter().map(|g| g.label()).collect();
        assert_eq!(labels, ["个人自评", "党员互评", "组织评价", "群众评议"]);
        for &g in Group::ALL {
            assert_eq!(Group::from_code(g.code()), Some(g));
            assert_eq!(Group::from_label(g.label()), Some(g));
            // The code is the serde form, so stored rows and URLs agree.
            let de = Group::deserialize(IntoDeserializer::<DeError>::into_deserializer(g.code()));
            assert_eq!(de, Ok(g));
        }
        let states: Vec<_> = CampaignState::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(states, ["进行中", "已截止", "已决定"]);
    }

    #[test]
    fn settings_defaults_and_validation() {
        assert_eq!(Weights::default().validate(), Ok(()));
        let w = Weights {
            masses: 30,
            ..Weights::default()
        };
        assert_eq!(
            w.validate().unwrap_err().to_string(),
            "各评议主体的权重之和应为 100%，现为 110%"
        );
        let max = Weights {
            self_: 255,
            peers: 255,
            organisation: 255,
            masses: 255,
        };
        assert_eq!(max.validate(), Err(AppraisalError::WeightsNotHundred(1020)));

        assert_eq!(GradePoints::default().validate(), Ok(()));
        let over = GradePoints {
            excellent: 101,
            ..GradePoints::default()
        };
        assert_eq!(over.validate(), Err(AppraisalError::GradePointsOutOfRange));
        let rising = GradePoints {
            basic: 90,
            ..GradePoints::default()
        };
        assert_eq!(
            rising.validate(),
            Err(AppraisalError::GradePointsNotDescending)
        );
        let flat = GradePoints {
            excellent: 80,
            qualified: 80,
            basic: 80,
            unqualified: 80,
        };
        assert_eq!(flat.validate(), Ok(()));
    }

    #[test]
    fn worked_full_set_of_ballots() {
        let s = scored(&full_tallies());
        // 10% × 100 + 40% × 85 + 30% × 80 + 20% × 90
        assert_eq!(s.score, pts(8600));
        assert!(s.dropped.is_empty());
        let averages: Vec<_> = s.groups.iter().map(|g| g.average).collect();
        assert_eq!(averages, [pts(10_000), pts(8500), pts(8000), pts(9000)]);
        let bp: Vec<_> = s.groups.iter().map(|g| g.effective_weight_bp).collect();
        assert_eq!(bp, [1000, 4000, 3000, 2000]);
        assert_eq!(
            s.working,
            [
                "个人自评 1 票（优秀 1、合格 0、基本合格 0、不合格 0），平均 100 分，权重 10%",
                "党员互评 12 票（优秀 4、合格 7、基本合格 1、不合格 0），平均 85 分，权重 40%",
                "组织评价 1 票（优秀 0、合格 1、基本合格 0、不合格 0），平均 80 分，权重 30%",
                "群众评议 10 票（优秀 5、合格 5、基本合格 0、不合格 0），平均 90 分，权重 20%",
                "综合得分 86 分（各项平均分按权重加权，四舍五入到 0.01 分）",
            ]
        );
    }

    #[test]
    fn worked_without_the_masses() {
        let tallies = Tallies {
            masses: GradeCounts::default(),
            ..full_tallies()
        };
        let s = scored(&tallies);
        // (10 × 100 + 40 × 85 + 30 × 80) / 80
        assert_eq!(s.score, pts(8500));
        assert_eq!(s.dropped, [Group::Masses]);
        let bp: Vec<_> = s.groups.iter().map(|g| g.effective_weight_bp).collect();
        assert_eq!(bp, [1250, 5000, 3750]);
        assert_eq!(
            s.working[0],
            "群众评议没有选票，不计入，其权重按比例分给其余各项"
        );
        assert_eq!(
            s.working[2],
            "党员互评 12 票（优秀 4、合格 7、基本合格 1、不合格 0），平均 85 分，权重 40%，折算为 50%"
        );
    }

    #[test]
    fn rounding_happens_once_half_up() {
        // Peers alone: 260 / 3 = 86.666… → 86.67.
        let peers_only = Tallies {
            peers: counts(1, 2, 0, 0),
            ..Tallies::default()
        };
        assert_eq!(scored(&peers_only).score, pts(8667));
        // 785 / 8 = 98.125 exactly: HALF_UP gives 98.13 (half-even would give 98.12).
        let points = GradePoints {
            qualified: 85,
            ..GradePoints::default()
        };
        let tie = Tallies {
            peers: counts(7, 1, 0, 0),
            ..Tallies::default()
        };
        let s = member_score(&Weights::default(), &points, &tie)
            .unwrap()
            .unwrap();
        assert_eq!(s.score, pts(9813));
        // Averages are not rounded before weighting: peers 80/3 = 26.666…, half of it with a
        // self-review of 0 is 13.333… → 13.33, where a rounded 26.67 would give 13.34.
        let weights = Weights {
            self_: 50,
            peers: 50,
            organisation: 0,
            masses: 0,
        };
        let t = Tallies {
            self_: counts(0, 0, 0, 1),
            peers: counts(0, 1, 0, 2),
            ..Tallies::default()
        };
        let s = member_score(&weights, &GradePoints::default(), &t)
            .unwrap()
            .unwrap();
        assert_eq!(s.groups[1].average, pts(2667));
        assert_eq!(s.score, pts(1333));
        assert_eq!(s.dropped, [Group::Organisation, Group::Masses]);
    }

    #[test]
    fn no_ballots_no_score() {
        let none = member_score(
            &Weights::default(),
            &GradePoints::default(),
            &Tallies::default(),
        );
        assert_eq!(none, Ok(None));
        // Ballots only in a group that carries no weight.
        let weights = Weights {
            self_: 0,
            peers: 50,
            organisation: 50,
            masses: 0,
        };
        let self_only = Tallies {
            self_: counts(1, 0, 0, 0),
            ..Tallies::default()
        };
        assert_eq!(
            member_score(&weights, &GradePoints::default(), &self_only),
            Ok(None)
        );
        let bad = Weights {
            self_: 0,
            ..Weights::default()
        };
        assert_eq!(
            member_score(&bad, &GradePoints::default(), &full_tallies()),
            Err(AppraisalError::WeightsNotHundred(90))
        );
    }

    #[test]
    fn huge_coprime_counts_are_refused_not_wrapped() {
        let t = Tallies {
            self_: counts(u32::MAX, 0, 0, 0),
            peers: counts(u32::MAX - 1, 0, 0, 0),
            organisation: counts(u32::MAX - 2, 0, 0, 0),
            masses: counts(u32::MAX - 4, 0, 0, 0),
        };
        assert_eq!(
            member_score(&Weights::default(), &GradePoints::default(), &t),
            Err(AppraisalError::TooManyBallots)
        );
        // Large but equal counts share one denominator and are fine.
        let same = counts(u32::MAX, u32::MAX, 0, 0);
        let t = Tallies {
            self_: same,
            peers: same,
            organisation: same,
            masses: same,
        };
        assert_eq!(scored(&t).score, pts(9000));
    }

    #[test]
    fn apportion_adds_up() {
        assert_eq!(apportion(&[10, 40, 30], 10_000), [1250, 5000, 3750]);
        // 40/70 = 57.142…%, 30/70 = 42.857…%: the larger remainder gets the spare unit.
        assert_eq!(apportion(&[40, 30], 10_000), [5714, 4286]);
        assert_eq!(apportion(&[1, 1, 1], 10_000), [3334, 3333, 3333]);
    }

    #[test]
    fn ballots() {
        let third = Share::ONE_THIRD;
        let ballot = |group, rates_self, rated, excellent| Ballot {
            group,
            rates_self,
            rated,
            excellent,
        };
        use Group::*;
        assert_eq!(
            check_ballot(&ballot(SelfReview, true, 1, 1), 9, third),
            Ok(())
        );
        assert_eq!(
            check_ballot(&ballot(SelfReview, false, 1, 0), 9, third),
            Err(AppraisalError::SelfBallotNotAboutSelf)
        );
        assert_eq!(
            check_ballot(&ballot(SelfReview, true, 2, 0), 9, third),
            Err(AppraisalError::SelfBallotNotAboutSelf)
        );
        assert_eq!(
            check_ballot(&ballot(Peers, true, 9, 0), 9, third)
                .unwrap_err()
                .to_string(),
            "党员互评不能评价本人"
        );
        // Nine members: three 优秀 per ballot at most, counted on the whole branch.
        assert_eq!(check_ballot(&ballot(Peers, false, 8, 3), 9, third), Ok(()));
        assert_eq!(
            check_ballot(&ballot(Peers, false, 8, 4), 9, third)
                .unwrap_err()
                .to_string(),
            "每张评议票评为优秀的不得超过 3 名，本票评了 4 名"
        );
        assert_eq!(
            check_ballot(&ballot(Organisation, false, 9, 4), 9, third),
            Err(AppraisalError::TooManyExcellent { max: 3, marked: 4 })
        );
        // A branch of three: a peer ballot rates two and may give one 优秀.
        assert_eq!(check_ballot(&ballot(Peers, false, 2, 1), 3, third), Ok(()));
        assert!(check_ballot(&ballot(Peers, false, 2, 2), 3, third).is_err());
        // The masses are not held to the share.
        assert_eq!(check_ballot(&ballot(Masses, false, 9, 9), 9, third), Ok(()));
        assert_eq!(
            check_ballot(&ballot(Masses, false, 2, 3), 9, third),
            Err(AppraisalError::ExcellentBeyondRated)
        );
    }

    #[test]
    fn campaign_states() {
        use CampaignState::*;
        assert_eq!(check_ballot_allowed(Open), Ok(()));
        assert_eq!(
            check_ballot_allowed(Closed).unwrap_err().to_string(),
            "评议已截止，不再接收投票"
        );
        assert_eq!(
            check_ballot_allowed(Decided),
            Err(AppraisalError::AlreadyDecided)
        );
        assert_eq!(
            check_results_visible(Open).unwrap_err().to_string(),
            "评议尚未截止，结果和投票情况对所有人保密，管理员也不例外"
        );
        assert_eq!(check_results_visible(Closed), Ok(()));
        assert_eq!(check_results_visible(Decided), Ok(()));
        for &from in CampaignState::ALL {
            for &to in CampaignState::ALL {
                let allowed = matches!((from, to), (Open, Closed) | (Closed, Decided));
                assert_eq!(
                    check_transition(from, to).is_ok(),
                    allowed,
                    "{from:?}→{to:?}"
                );
            }
        }
        assert_eq!(
            check_transition(Closed, Open).unwrap_err().to_string(),
            "评议不能从「已截止」改为「进行中」"
        );
    }

    #[test]
    fn decisions() {
        use Grade::*;
        let third = Share::ONE_THIRD;
        let nine = [
            Excellent,
            Excellent,
            Excellent,
            Qualified,
            Qualified,
            Qualified,
            Basic,
            Qualified,
            Unqualified,
        ];
        assert_eq!(check_decision(9, &nine, third), Ok(()));
        let mut four = nine;
        four[3] = Excellent;
        assert_eq!(
            check_decision(9, &four, third).unwrap_err().to_string(),
            "优秀最多 3 名（参评党员 9 名的 1/3），现评定了 4 名"
        );
        assert_eq!(
            check_decision(10, &nine, third).unwrap_err().to_string(),
            "参评党员 10 名，但评定了 9 名的等次，请逐一评定"
        );
        assert_eq!(check_decision(0, &[], third), Ok(()));
        assert_eq!(
            check_decision(2, &[Excellent, Qualified], third),
            Err(AppraisalError::DecisionExceedsShare {
                members: 2,
                max: 0,
                excellent: 1,
                share: third,
            })
        );
    }

    // -- Properties -------------------------------------------------------------

    /// HALF_UP of `n / d`, by quotient and remainder.
    fn half_up(n: u128, d: u128) -> u128 {
        let (q, r) = (n / d, n % d);
        if 2 * r >= d { q + 1 } else { q }
    }

    /// The score recomputed over the product of the ballot counts rather than their lcm.
    fn reference(weights: &Weights, points: &GradePoints, t: &Tallies) -> Option<i64> {
        let present: Vec<(u128, u128, u128)> = Group::ALL
            .iter()
            .map(|&g| {
                let c = t.of(g);
                let total: u128 = Grade::ALL
                    .iter()
                    .map(|&gr| u128::from(c.of(gr)) * u128::from(points.of(gr)))
                    .sum();
                (u128::from(weights.of(g)), u128::from(c.ballots()), total)
            })
            .filter(|&(w, b, _)| w > 0 && b > 0)
            .collect();
        if present.is_empty() {
            return None;
        }
        let product: u128 = present.iter().map(|p| p.1).product();
        let weight_sum: u128 = present.iter().map(|p| p.0).sum();
        let numerator: u128 = present.iter().map(|&(w, b, t)| w * t * (product / b)).sum();
        Some(half_up(100 * numerator, product * weight_sum) as i64)
    }

    fn arb_counts() -> impl Strategy<Value = GradeCounts> {
        prop_oneof![
            Just(GradeCounts::default()),
            (0u32..40, 0u32..40, 0u32..40, 0u32..40).prop_map(|(a, b, c, d)| counts(a, b, c, d)),
        ]
    }

    fn arb_tallies() -> impl Strategy<Value = Tallies> {
        (arb_counts(), arb_counts(), arb_counts(), arb_counts()).prop_map(
            |(self_, peers, organisation, masses)| Tallies {
                self_,
                peers,
                organisation,
                masses,
            },
        )
    }

    /// Weights adding up to 100, zeros included.
    fn arb_weights() -> impl Strategy<Value = Weights> {
        (0u8..=100, 0u8..=100, 0u8..=100).prop_map(|(a, b, c)| {
            let mut cuts = [a, b, c];
            cuts.sort_unstable();
            Weights {
                self_: cuts[0],
                peers: cuts[1] - cuts[0],
                organisation: cuts[2] - cuts[1],
                masses: 100 - cuts[2],
            }
        })
    }

    fn arb_grade_points() -> impl Strategy<Value = GradePoints> {
        proptest::collection::vec(0u8..=100, 4).prop_map(|mut v| {
            v.sort_unstable_by(|a, b| b.cmp(a));
            GradePoints {
                excellent: v[0],
                qualified: v[1],
                basic: v[2],
                unqualified: v[3],
            }
        })
    }

    proptest! {
        #[test]
        fn score_is_the_exact_weighted_average_rounded_once(
            weights in arb_weights(),
            points in arb_grade_points(),
            tallies in arb_tallies(),
        ) {
            let got = member_score(&weights, &points, &tallies).unwrap();
            prop_assert_eq!(got.as_ref().map(|s| s.score.0), reference(&weights, &points, &tallies));
            if let Some(s) = got {
                // Within the grade points actually given.
                let given: Vec<u8> = s.groups.iter().flat_map(|g| {
                    Grade::ALL.iter().filter(|&&gr| g.counts.of(gr) > 0).map(|&gr| points.of(gr))
                }).collect();
                let lo = i64::from(*given.iter().min().unwrap()) * 100;
                let hi = i64::from(*given.iter().max().unwrap()) * 100;
                prop_assert!((lo..=hi).contains(&s.score.0));
                prop_assert_eq!(s.groups.len() + s.dropped.len(), Group::ALL.len());
            }
        }

        #[test]
        fn renormalised_weights_make_up_the_full_weight(
            weights in arb_weights(),
            tallies in arb_tallies(),
        ) {
            if let Some(s) = member_score(&weights, &GradePoints::default(), &tallies).unwrap() {
                let shown: u32 = s.groups.iter().map(|g| g.effective_weight_bp).sum();
                prop_assert_eq!(shown, 10_000);
                let kept: u32 = s.groups.iter().map(|g| u32::from(g.weight)).sum();
                for g in &s.groups {
                    // Each shown share is its exact share rounded one way or the other.
                    let exact = u32::from(g.weight) * 10_000;
                    prop_assert!(g.effective_weight_bp * kept <= exact + kept);
                    prop_assert!(g.effective_weight_bp * kept + kept >= exact);
                }
                for &d in &s.dropped {
                    prop_assert!(tallies.of(d).ballots() == 0 || weights.of(d) == 0);
                }
            }
        }

        #[test]
        fn only_the_ratios_of_the_groups_present_matter(tallies in arb_tallies()) {
            // Without the masses, 10/40/30/20 and 5/20/15/60 both leave 1 : 4 : 3.
            let without = Tallies { masses: GradeCounts::default(), ..tallies };
            let halved = Weights { self_: 5, peers: 20, organisation: 15, masses: 60 };
            let a = member_score(&Weights::default(), &GradePoints::default(), &without).unwrap();
            let b = member_score(&halved, &GradePoints::default(), &without).unwrap();
            prop_assert_eq!(a.as_ref().map(|s| s.score), b.as_ref().map(|s| s.score));
            if let Some(a) = a {
                prop_assert!(a.dropped.contains(&Group::Masses));
            }
        }

        #[test]
        fn more_of_the_same_ballots_change_nothing(tallies in arb_tallies(), k in 2u32..50) {
            let times = |c: GradeCounts| counts(c.excellent * k, c.qualified * k, c.basic * k, c.unqualified * k);
            let scaled = Tallies {
                self_: times(tallies.self_),
                peers: times(tallies.peers),
                organisation: times(tallies.organisation),
                masses: times(tallies.masses),
            };
            let a = member_score(&Weights::default(), &GradePoints::default(), &tallies).unwrap();
            let b = member_score(&Weights::default(), &GradePoints::default(), &scaled).unwrap();
            prop_assert_eq!(a.map(|s| s.score), b.map(|s| s.score));
        }

        #[test]
        fn accepted_ballots_and_decisions_keep_the_share(
            members in 0u32..60,
            rated in 0u32..60,
            excellent in 0u32..60,
            group_index in 0usize..4,
            rates_self in any::<bool>(),
        ) {
            let group = Group::ALL[group_index];
            let ballot = Ballot { group, rates_self, rated, excellent };
            if check_ballot(&ballot, members, Share::ONE_THIRD).is_ok() {
                prop_assert!(excellent <= rated);
                if matches!(group, Group::Peers | Group::Organisation) {
                    prop_assert!(3 * excellent <= members);
                }
            }
            let decided: Vec<Grade> = (0..members)
                .map(|i| if i < excellent { Grade::Excellent } else { Grade::Qualified })
                .collect();
            let ok = check_decision(members, &decided, Share::ONE_THIRD).is_ok();
            prop_assert_eq!(ok, 3 * excellent.min(members) <= members);
        }
    }
}
