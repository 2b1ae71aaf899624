//! 民主评议党员 (DOMAIN.md §2) and the points cycle's yearly and quarterly acts (DOMAIN.md §5):
//! a branch's yearly campaign (个人自评 → 党员互评 → 民主测评 → the branch decides), its sealed
//! ballots, the grades the 支部党员大会 decides with the points behind them, and the quarterly
//! 公示 of standings to the branch's members.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use domain::appraisal::{
    self as rules, Ballot, CampaignState, GradeCounts, GradePoints, Group, Tallies, Weights,
};
use domain::points::{Grade, Points, ProposalNote};
use serde::Serialize;
use store::appraisal::{BallotLine, Campaign, Publication, Review, ReviewLine, Turnout};
use store::points::PointsMember;
use store::{Org, Scope};

use crate::members::today;
use crate::{Actor, App, AppError, Result};
use domain::Role;

fn refused(e: impl std::fmt::Display) -> AppError {
    AppError::Refused(e.to_string())
}

fn grade(code: &str) -> Result<Grade> {
    Grade::from_code(code)
        .or_else(|| {
            Grade::ALL
                .iter()
                .copied()
                .find(|g| g.label() == code.trim())
        })
        .ok_or_else(|| AppError::Invalid(format!("等次「{}」无效", domain::text::echo(code))))
}

/// One member's line of a closed campaign: the appraisal score, the year's points with it, and
/// the grade the program proposes for the branch to decide.
#[derive(Debug, Clone, Serialize)]
pub struct AppraisalLine {
    pub member_id: i64,
    pub name: String,
    pub score: Option<Points>,
    pub working: Vec<String>,
    pub total: Option<Points>,
    pub rank: Option<u32>,
    pub proposed: Option<Grade>,
    pub note: Option<ProposalNote>,
    pub decided: Option<Grade>,
}

impl AppraisalLine {
    /// The grade a decision form starts from: the one decided, else the one proposed.
    pub fn chosen(&self) -> &'static str {
        self.decided.or(self.proposed).map_or("", |g| g.code())
    }
}

/// A branch's appraisal for a year, as its officers see it. While the campaign is open it holds
/// only the turnout; lines come once it has closed.
#[derive(Debug, Clone, Serialize)]
pub struct AppraisalView {
    pub branch: Org,
    pub year: i32,
    pub campaign: Option<Campaign>,
    pub state: Option<CampaignState>,
    pub members: Vec<PointsMember>,
    pub turnout: Turnout,
    pub lines: Vec<AppraisalLine>,
    pub reviews: Vec<Review>,
    pub weights: Weights,
    /// How many members may be 优秀.
    pub excellent_limit: u32,
}

/// What a member is asked to do in their branch's open campaign.
#[derive(Debug, Clone, Serialize)]
pub struct MyAppraisal {
    pub campaign_id: i64,
    pub year: i32,
    /// The other members, for the peer ballot.
    pub others: Vec<PointsMember>,
    pub self_done: bool,
    pub peers_done: bool,
    pub excellent_limit: u32,
}

/// A 公示 as the branch's members read it: names, totals and ranks, nothing personal.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Standing {
    pub rank: Option<u32>,
    pub name: String,
    pub total: Option<Points>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicationView {
    pub publication: Publication,
    pub branch_name: String,
    pub period_label: String,
    pub standings: Vec<Standing>,
}

/// One subordinate org's decided grades for a year.
#[derive(Debug, Clone, Serialize)]
pub struct GradeRow {
    pub org_id: i64,
    pub name: String,
    /// 优秀, 合格, 基本合格, 不合格, in that order.
    pub counts: [i64; 4],
    pub total: i64,
}

/// The grades the branches below an org decided for a year, per subordinate org and in all.
#[derive(Debug, Clone, Serialize)]
pub struct GradeDistribution {
    pub org: Org,
    pub year: i32,
    pub rows: Vec<GradeRow>,
    pub total: GradeRow,
}

fn state_of(c: &Campaign) -> Result<CampaignState> {
    CampaignState::from_code(&c.state).ok_or_else(|| AppError::Invalid("民主评议状态无效".into()))
}

impl App {
    /// The appraisal scores (0–100) of a branch's members for a year, once its campaign has
    /// closed; empty while it is open or when there is none, so that nothing leaks early.
    pub(crate) async fn appraisal_scores(
        &self,
        branch_id: i64,
        year: i32,
    ) -> Result<HashMap<i64, rules::AppraisalScore>> {
        let scope = Scope::Subtree(branch_id);
        let Some(campaign) = self.db.appraisal_of(scope, branch_id, year).await? else {
            return Ok(HashMap::new());
        };
        if rules::check_results_visible(state_of(&campaign)?).is_err() {
            return Ok(HashMap::new());
        }
        let weights: Weights = serde_json::from_str(&campaign.weights).unwrap_or_default();
        let points: GradePoints = serde_json::from_str(&campaign.grade_points).unwrap_or_default();
        let mut tallies: HashMap<i64, Tallies> = HashMap::new();
        for t in self.db.appraisal_tallies(campaign.id).await? {
            let (Some(group), Some(g)) = (Group::from_code(&t.grp), Grade::from_code(&t.grade))
            else {
                continue;
            };
            let tally = tallies.entry(t.subject_member_id).or_default();
            let counts: &mut GradeCounts = match group {
                Group::SelfReview => &mut tally.self_,
                Group::Peers => &mut tally.peers,
                Group::Organisation => &mut tally.organisation,
                Group::Masses => &mut tally.masses,
            };
            let n = u32::try_from(t.count).unwrap_or(u32::MAX);
            match g {
                Grade::Excellent => counts.excellent += n,
                Grade::Qualified => counts.qualified += n,
                Grade::Basic => counts.basic += n,
                Grade::Unqualified => counts.unqualified += n,
            }
        }
        let mut scores = HashMap::new();
        for (member, tally) in tallies {
            if let Some(score) = rules::member_score(&weights, &points, &tally).map_err(refused)? {
                scores.insert(member, score);
            }
        }
        Ok(scores)
    }

    async fn branch_for_appraisal(&self, actor: &Actor, branch_id: i64) -> Result<Org> {
        actor.require_staff()?;
        let branch = self.db.org_get(actor.scope(), branch_id).await?;
        if branch.kind != domain::OrgKind::Branch.code() {
            return Err(AppError::Invalid(
                "民主评议以党支部为单位开展，请选择一个党支部".into(),
            ));
        }
        Ok(branch)
    }

    /// A branch's appraisal for a year: the campaign's state and turnout, and once it has closed
    /// every member's score, points and proposed grade; once decided, the decided grades.
    pub async fn appraisal(
        &self,
        actor: &Actor,
        branch_id: i64,
        year: i32,
    ) -> Result<AppraisalView> {
        let branch = self.branch_for_appraisal(actor, branch_id).await?;
        let campaign = self.db.appraisal_of(actor.scope(), branch_id, year).await?;
        let members = self
            .db
            .points_members_of_branch(actor.scope(), branch_id, year)
            .await?;
        let state = campaign.as_ref().map(state_of).transpose()?;
        let turnout = match &campaign {
            Some(c) => self.db.appraisal_turnout(c.id).await?,
            None => Turnout::default(),
        };
        let reviews = self
            .db
            .points_reviews(actor.scope(), branch_id, year)
            .await?;
        let mut lines = Vec::new();
        if state.is_some_and(|s| rules::check_results_visible(s).is_ok()) {
            let scores = self.appraisal_scores(branch_id, year).await?;
            let (proposals, rows, _) = self
                .branch_scores(branch_id, year, &year.to_string())
                .await?;
            for row in rows {
                let p = proposals.iter().find(|p| p.member_id == row.member_id);
                let score = scores.get(&row.member_id);
                lines.push(AppraisalLine {
                    member_id: row.member_id,
                    name: row.name,
                    score: score.map(|s| s.score),
                    working: score.map(|s| s.working.clone()).unwrap_or_default(),
                    total: row.total,
                    rank: row.rank,
                    proposed: p.map(|p| p.grade),
                    note: p.and_then(|p| p.note),
                    decided: reviews
                        .iter()
                        .find(|r| r.member_id == row.member_id)
                        .and_then(|r| Grade::from_code(&r.decided)),
                });
            }
        }
        let weights = campaign
            .as_ref()
            .and_then(|c| serde_json::from_str(&c.weights).ok())
            .unwrap_or_default();
        let scheme = self.scheme_in_force(branch_id, None, year).await?.scheme;
        Ok(AppraisalView {
            excellent_limit: scheme
                .excellent_share
                .limit(u32::try_from(members.len()).unwrap_or(u32::MAX)),
            branch,
            year,
            campaign,
            state,
            members,
            turnout,
            lines,
            reviews,
            weights,
        })
    }

    /// Opens a branch's campaign for a year with the default weights (自评 10、互评 40、组织
    /// 30、群众 20) and grade points.
    pub async fn open_appraisal(&self, actor: &Actor, branch_id: i64, year: i32) -> Result<i64> {
        self.open_appraisal_weighted(actor, branch_id, year, Weights::default())
            .await
    }

    /// [`App::open_appraisal`] with the branch's own weights for the four groups, which must
    /// add up to 100 (DOMAIN.md §2; the split is local practice).
    pub async fn open_appraisal_weighted(
        &self,
        actor: &Actor,
        branch_id: i64,
        year: i32,
        weights: Weights,
    ) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        self.branch_for_appraisal(actor, branch_id).await?;
        if year > today().year() || year < today().year() - 1 {
            return Err(AppError::Invalid("只能为今年或上一年开展民主评议".into()));
        }
        weights
            .validate()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let weights =
            serde_json::to_string(&weights).map_err(|e| AppError::Invalid(e.to_string()))?;
        let points = serde_json::to_string(&GradePoints::default())
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(self
            .db
            .appraisal_open(
                actor.scope(),
                branch_id,
                year,
                &weights,
                &points,
                &actor.author(),
            )
            .await?)
    }

    /// Closes voting; from now on the results may be read, and no ballot is accepted.
    pub async fn close_appraisal(&self, actor: &Actor, campaign_id: i64) -> Result<()> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let campaign = self.db.appraisal_get(actor.scope(), campaign_id).await?;
        rules::check_transition(state_of(&campaign)?, CampaignState::Closed).map_err(refused)?;
        Ok(self
            .db
            .appraisal_set_state(
                actor.scope(),
                campaign_id,
                "open",
                "closed",
                &actor.author(),
            )
            .await?)
    }

    async fn open_campaign(
        &self,
        scope: Scope,
        campaign_id: i64,
    ) -> Result<(Campaign, Vec<PointsMember>)> {
        let campaign = self.db.appraisal_get(scope, campaign_id).await?;
        rules::check_ballot_allowed(state_of(&campaign)?).map_err(refused)?;
        let year = i32::try_from(campaign.year).unwrap_or(0);
        let members = self
            .db
            .points_members_of_branch(Scope::Subtree(campaign.branch_id), campaign.branch_id, year)
            .await?;
        Ok((campaign, members))
    }

    /// The 支委会's grade for every member (组织评价), entered once by an officer.
    pub async fn record_organisation_ballot(
        &self,
        actor: &Actor,
        campaign_id: i64,
        grades: &[(i64, String)],
    ) -> Result<()> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let (campaign, members) = self.open_campaign(actor.scope(), campaign_id).await?;
        let lines = ballot_lines(&members, grades, None)?;
        let scheme = self
            .scheme_in_force(
                campaign.branch_id,
                None,
                i32::try_from(campaign.year).unwrap_or(0),
            )
            .await?
            .scheme;
        rules::check_ballot(
            &Ballot {
                group: Group::Organisation,
                rates_self: false,
                rated: count(&lines),
                excellent: excellent(&lines),
            },
            count_members(&members),
            scheme.excellent_share,
        )
        .map_err(refused)?;
        Ok(self
            .db
            .appraisal_cast(campaign_id, "organisation", "committee", &lines)
            .await?)
    }

    /// The masses' paper ballots for one member, counted by grade (群众评议).
    pub async fn record_masses(
        &self,
        actor: &Actor,
        campaign_id: i64,
        member_id: i64,
        counts: [&str; 4],
    ) -> Result<()> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let (_, members) = self.open_campaign(actor.scope(), campaign_id).await?;
        if !members.iter().any(|m| m.id == member_id) {
            return Err(AppError::NotFound);
        }
        let mut parsed = [0_i64; 4];
        for (slot, text) in parsed.iter_mut().zip(counts) {
            *slot = match text.trim() {
                "" => 0,
                t => t.parse::<u32>().map(i64::from).map_err(|_| {
                    AppError::Invalid(format!(
                        "票数「{}」无效，应为 0 或正整数",
                        domain::text::echo(t)
                    ))
                })?,
            };
        }
        if parsed.iter().sum::<i64>() == 0 {
            return Err(AppError::Invalid("请填写群众评议的票数".into()));
        }
        Ok(self
            .db
            .appraisal_masses_record(campaign_id, member_id, parsed, &actor.author())
            .await?)
    }

    /// The logged-in member's part in their branch's open campaign this year, if there is one.
    pub async fn my_appraisal(&self, actor: &Actor) -> Result<Option<MyAppraisal>> {
        let Some(me) = actor.member_id.filter(|_| actor.role == Role::Member) else {
            return Ok(None);
        };
        let member = self.db.member_get(actor.scope(), me).await?;
        let year = today().year();
        let Some(campaign) = self
            .db
            .appraisal_of(Scope::Subtree(member.branch_id), member.branch_id, year)
            .await?
        else {
            return Ok(None);
        };
        if state_of(&campaign)? != CampaignState::Open {
            return Ok(None);
        }
        let key = format!("member:{me}");
        let members = self
            .db
            .points_members_of_branch(Scope::Subtree(member.branch_id), member.branch_id, year)
            .await?;
        let scheme = self
            .scheme_in_force(member.branch_id, None, year)
            .await?
            .scheme;
        Ok(Some(MyAppraisal {
            campaign_id: campaign.id,
            year,
            excellent_limit: scheme.excellent_share.limit(count_members(&members)),
            others: members.into_iter().filter(|m| m.id != me).collect(),
            self_done: self
                .db
                .appraisal_has_voted(campaign.id, "self", &key)
                .await?,
            peers_done: self
                .db
                .appraisal_has_voted(campaign.id, "peers", &key)
                .await?,
        }))
    }

    /// The member's self-review (个人自评): a grade for themself and what they say of their year.
    pub async fn cast_self_review(
        &self,
        actor: &Actor,
        campaign_id: i64,
        grade_code: &str,
        comment: &str,
    ) -> Result<()> {
        let me = actor
            .member_id
            .filter(|_| actor.role == Role::Member)
            .ok_or(AppError::Forbidden)?;
        let (_, members) = self.open_campaign(actor.scope(), campaign_id).await?;
        if !members.iter().any(|m| m.id == me) {
            return Err(AppError::NotFound);
        }
        crate::within(domain::text::SELF_REVIEW, comment)?;
        let g = grade(grade_code)?;
        let lines = [BallotLine {
            subject_member_id: me,
            grade: g.code().to_string(),
            comment: Some(comment.trim().to_string()).filter(|c| !c.is_empty()),
        }];
        rules::check_ballot(
            &Ballot {
                group: Group::SelfReview,
                rates_self: true,
                rated: 1,
                excellent: excellent(&lines),
            },
            count_members(&members),
            domain::points::Share::ONE_THIRD,
        )
        .map_err(refused)?;
        Ok(self
            .db
            .appraisal_cast(campaign_id, "self", &format!("member:{me}"), &lines)
            .await?)
    }

    /// The member's peer ballot (党员互评): a grade for every other member, 优秀 within the share.
    pub async fn cast_peer_ballot(
        &self,
        actor: &Actor,
        campaign_id: i64,
        grades: &[(i64, String)],
    ) -> Result<()> {
        let me = actor
            .member_id
            .filter(|_| actor.role == Role::Member)
            .ok_or(AppError::Forbidden)?;
        let (campaign, members) = self.open_campaign(actor.scope(), campaign_id).await?;
        if !members.iter().any(|m| m.id == me) {
            return Err(AppError::NotFound);
        }
        if grades.iter().any(|(id, _)| *id == me) {
            return Err(refused(
                domain::appraisal::AppraisalError::PeerBallotRatesSelf,
            ));
        }
        let lines = ballot_lines(&members, grades, Some(me))?;
        let scheme = self
            .scheme_in_force(
                campaign.branch_id,
                None,
                i32::try_from(campaign.year).unwrap_or(0),
            )
            .await?
            .scheme;
        rules::check_ballot(
            &Ballot {
                group: Group::Peers,
                rates_self: false,
                rated: count(&lines),
                excellent: excellent(&lines),
            },
            count_members(&members),
            scheme.excellent_share,
        )
        .map_err(refused)?;
        Ok(self
            .db
            .appraisal_cast(campaign_id, "peers", &format!("member:{me}"), &lines)
            .await?)
    }

    /// Records the grades the 支部党员大会 decided for the year, with each member's points and
    /// proposed grade beside them. 优秀 may not exceed the share. Closes the campaign for good.
    pub async fn decide_year(
        &self,
        actor: &Actor,
        branch_id: i64,
        year: i32,
        decisions: &[(i64, String)],
        decided_on: &str,
        meeting: &str,
    ) -> Result<()> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let branch = self.branch_for_appraisal(actor, branch_id).await?;
        let decided_on = NaiveDate::parse_from_str(decided_on.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::Invalid("请填写支部党员大会的日期，如 2026-12-20".into()))?;
        if decided_on > today() {
            return Err(AppError::Invalid("会议日期不能晚于今天".into()));
        }
        let meeting = meeting.trim();
        if meeting.is_empty() {
            return Err(AppError::Invalid(
                "请填写作出决定的会议，如“2026年12月支部党员大会”".into(),
            ));
        }
        crate::within(domain::text::MEETING_PLACE, meeting)?;
        let campaign = self.db.appraisal_of(actor.scope(), branch_id, year).await?;
        if let Some(c) = &campaign
            && state_of(c)? == CampaignState::Open
        {
            return Err(AppError::Refused(
                "民主评议投票尚未截止，请先截止投票".into(),
            ));
        }
        let (proposals, rows, _) = self
            .branch_scores(branch_id, year, &year.to_string())
            .await?;
        let scored: Vec<_> = rows.iter().filter(|r| r.total.is_some()).collect();
        let mut lines = Vec::new();
        let mut grades = Vec::new();
        for row in &scored {
            let code = decisions
                .iter()
                .find(|(id, _)| *id == row.member_id)
                .map(|(_, g)| g.as_str())
                .ok_or_else(|| AppError::Invalid(format!("请为{}选择等次", row.name)))?;
            let g = grade(code)?;
            grades.push(g);
            lines.push(ReviewLine {
                member_id: row.member_id,
                total: row.total.map(|t| t.0),
                proposed: proposals
                    .iter()
                    .find(|p| p.member_id == row.member_id)
                    .map(|p| p.grade.code().to_string()),
                decided: g.code().to_string(),
            });
        }
        let scheme = self.scheme_in_force(branch_id, None, year).await?.scheme;
        rules::check_decision(count(&lines), &grades, scheme.excellent_share).map_err(refused)?;
        self.db
            .points_review_record(
                actor.scope(),
                branch.id,
                year,
                &lines,
                decided_on,
                meeting,
                &actor.author(),
            )
            .await?;
        if let Some(c) = campaign
            && c.state == "closed"
        {
            self.db
                .appraisal_set_state(actor.scope(), c.id, "closed", "decided", &actor.author())
                .await?;
        }
        Ok(())
    }

    /// Publishes a branch's standings for a quarter (一季一公开), shown to the branch's members
    /// from `from` to `until`.
    pub async fn publish_points(
        &self,
        actor: &Actor,
        branch_id: i64,
        quarter: &str,
        from: &str,
        until: &str,
    ) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let period =
            domain::points::parse_period(quarter).map_err(|e| AppError::Invalid(e.to_string()))?;
        if period.frequency != domain::orglife::Frequency::Quarterly {
            return Err(AppError::Invalid("按季度公示，例如 2026-Q3".into()));
        }
        if period.start() > today() {
            return Err(AppError::Invalid("这个季度还没有开始".into()));
        }
        let date = |t: &str, what: &str| {
            NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                .map_err(|_| AppError::Invalid(format!("请填写{what}，如 2026-10-08")))
        };
        let (from, until) = (date(from, "公示开始日期")?, date(until, "公示结束日期")?);
        if until < from {
            return Err(AppError::Invalid("公示结束日期不能早于开始日期".into()));
        }
        let key = domain::points::period_key(period);
        let table = self.branch_points(actor, branch_id, &key).await?;
        let standings: Vec<Standing> = table
            .rows
            .iter()
            .map(|r| Standing {
                rank: r.rank,
                name: r.name.clone(),
                total: r.total,
            })
            .collect();
        let body =
            serde_json::to_string(&standings).map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(self
            .db
            .points_publish(
                actor.scope(),
                branch_id,
                &key,
                from,
                until,
                &body,
                &actor.author(),
            )
            .await?)
    }

    /// A 公示, for staff over the branch and for the branch's own members.
    pub async fn points_publication(&self, actor: &Actor, id: i64) -> Result<PublicationView> {
        let publication = self.db.points_publication(actor.scope(), id).await?;
        let branch_name = self
            .db
            .org_get(Scope::Subtree(publication.branch_id), publication.branch_id)
            .await?
            .name;
        let period_label = domain::points::parse_period(&publication.period)
            .map(|p| p.label())
            .unwrap_or_else(|_| publication.period.clone());
        let standings = serde_json::from_str(&publication.standings).unwrap_or_default();
        Ok(PublicationView {
            publication,
            branch_name,
            period_label,
            standings,
        })
    }

    /// How the members below an org were graded for a year, per subordinate org: what a
    /// street or district reports upward. Counts the grades the branches decided, not proposals.
    pub async fn grade_distribution(
        &self,
        actor: &Actor,
        org_id: i64,
        year: i32,
    ) -> Result<GradeDistribution> {
        actor.require_staff()?;
        let org = self.db.org_get(actor.scope(), org_id).await?;
        let children = self.db.org_children(actor.scope(), org_id).await?;
        let counts = self
            .db
            .points_grades_by_child(actor.scope(), org_id, year)
            .await?;
        let slot = |code: &str| Grade::ALL.iter().position(|g| g.code() == code);
        let mut rows: Vec<GradeRow> = children
            .iter()
            .filter(|c| c.kind != domain::OrgKind::PartyGroup.code())
            .map(|c| GradeRow {
                org_id: c.id,
                name: c.name.clone(),
                counts: [0; 4],
                total: 0,
            })
            .collect();
        let mut total = GradeRow {
            org_id: org.id,
            name: "合计".into(),
            counts: [0; 4],
            total: 0,
        };
        for c in counts {
            let Some(i) = slot(&c.decided) else { continue };
            if let Some(row) = rows.iter_mut().find(|r| r.org_id == c.org_id) {
                row.counts[i] += c.count;
                row.total += c.count;
            }
            total.counts[i] += c.count;
            total.total += c.count;
        }
        Ok(GradeDistribution {
            org,
            year,
            rows,
            total,
        })
    }

    /// The 公示 of the actor's branch (a member's) or of a branch in the scope, latest first.
    pub async fn points_publications(
        &self,
        actor: &Actor,
        branch_id: i64,
    ) -> Result<Vec<Publication>> {
        Ok(self
            .db
            .points_publications(actor.scope(), branch_id)
            .await?)
    }
}

fn count(lines: &[impl Sized]) -> u32 {
    u32::try_from(lines.len()).unwrap_or(u32::MAX)
}

fn count_members(members: &[PointsMember]) -> u32 {
    u32::try_from(members.len()).unwrap_or(u32::MAX)
}

fn excellent(lines: &[BallotLine]) -> u32 {
    count(
        &lines
            .iter()
            .filter(|l| l.grade == Grade::Excellent.code())
            .collect::<Vec<_>>(),
    )
}

/// One grade for every member of the campaign but `except`: a ballot that leaves someone out,
/// or names someone who is not being appraised, is refused whole.
fn ballot_lines(
    members: &[PointsMember],
    grades: &[(i64, String)],
    except: Option<i64>,
) -> Result<Vec<BallotLine>> {
    let mut lines = Vec::new();
    for m in members.iter().filter(|m| Some(m.id) != except) {
        let code = grades
            .iter()
            .find(|(id, _)| *id == m.id)
            .map(|(_, g)| g.as_str())
            .filter(|g| !g.trim().is_empty())
            .ok_or_else(|| AppError::Invalid(format!("请为{}选择等次", m.name)))?;
        lines.push(BallotLine {
            subject_member_id: m.id,
            grade: grade(code)?.code().to_string(),
            comment: None,
        });
    }
    if grades
        .iter()
        .any(|(id, _)| !members.iter().any(|m| m.id == *id))
    {
        return Err(AppError::NotFound);
    }
    Ok(lines)
}
