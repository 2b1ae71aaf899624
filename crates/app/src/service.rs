//! 一呼百应 (DOMAIN.md §10): in-service members' 报到 with the community where they live, the
//! needs communities and units post and members claim (offers, never assignments), check-in and
//! check-out with the hours the posting unit confirms, 微心愿, and the figures and certificate
//! that come of them.
//!
//! The rules are `domain::service`; this module decides who may do what and keeps the facts.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use domain::MemberCategory;
use domain::rollups::NOW;
use domain::service::{
    self as rules, Busy, ClaimAction, ClaimAttempt, ClaimFacts, ClaimState, Obligation,
    ReportPeriod, ReportStatus, ServiceRules, Slot, TargetState,
};
use domain::text::{self, TextLimit};
use serde::{Deserialize, Serialize};
use store::service::{
    Claim, ClaimChange, Feedback, Need, NeedFilter, NewNeed, NewRegistration, NewWish,
    Registration, ReportingContext, StationHours, Wish, WishStep,
};
use store::{Member, Org, OrgNode, Scope};

use crate::dashboard::Figures;
use crate::members::today;
use crate::{Actor, App, AppError, Result};

/// Org kinds whose members are "the community's own" (DOMAIN.md §10.2).
const COMMUNITY_KINDS: [&str; 2] = ["community_committee", "village_committee"];

/// Org kinds that bound a member's neighbourhood of needs.
const STREET_KINDS: [&str; 2] = ["street_committee", "town_committee"];

/// Wall-clock time in China, the time needs are posted in and members check in by.
pub fn china_now() -> NaiveDateTime {
    (Utc::now() + Duration::hours(8)).naive_utc()
}

fn refused(e: rules::ServiceError) -> AppError {
    AppError::Refused(e.to_string())
}

fn required(value: &str, limit: TextLimit) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::Invalid(format!("请填写{}", limit.field)));
    }
    optional(v, limit)
}

fn optional(value: &str, limit: TextLimit) -> Result<String> {
    limit
        .check(value)
        .map_err(|e| AppError::Invalid(e.to_string()))?;
    Ok(value.trim().to_string())
}

/// `2026-12-05T09:00` (a browser's datetime-local) or `2026-12-05 09:00`.
pub fn parse_moment(value: &str, label: &str) -> Result<NaiveDateTime> {
    let v = value.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
    .ok_or_else(|| AppError::Invalid(format!("{label}格式应为 2026-12-05 09:00")))
}

/// Hours typed by a person ("2", "1.5", "1.75") as minutes.
pub fn parse_hours(value: &str) -> Result<u32> {
    let v = value.trim();
    let bad = || AppError::Invalid("服务时长应为小时数，如 2 或 1.5".into());
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 2 {
        return Err(bad());
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let hundredths: u32 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u32>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    if whole > 24 {
        return Err(AppError::Invalid("一次服务时长不能超过 24 小时".into()));
    }
    Ok(whole * 60 + (hundredths * 60 + 50) / 100)
}

// ---------------------------------------------------------------------------
// Views

/// A need as pages and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NeedView {
    pub id: i64,
    pub title: String,
    pub detail: String,
    pub place: String,
    pub station: String,
    /// Who posted it: the org, or the resident unit it was posted for.
    pub poster: String,
    pub community_id: i64,
    pub community: String,
    #[schema(value_type = String, example = "2026-12-05T09:00:00")]
    pub starts_at: NaiveDateTime,
    #[schema(value_type = String, example = "2026-12-05T11:00:00")]
    pub ends_at: NaiveDateTime,
    pub people_needed: i64,
    pub places_left: i64,
    pub skills: String,
    /// `open`, `closed` or `cancelled`.
    pub state: String,
    pub state_label: String,
    pub call_id: Option<i64>,
    /// Set when the member reading it holds a claim on it.
    pub my_claim_id: Option<i64>,
}

impl NeedView {
    fn of(n: Need, my_claim_id: Option<i64>, now: NaiveDateTime) -> NeedView {
        let state_label = match n.state.as_str() {
            "cancelled" => "已撤销",
            "closed" => "已截止",
            _ if n.ends_at <= now => "已结束",
            _ if n.claims_active >= n.people_needed => "人数已满",
            _ => "招募中",
        };
        NeedView {
            id: n.id,
            title: n.title,
            detail: n.detail,
            place: n.place,
            station: n.station,
            poster: if n.poster_unit.is_empty() {
                n.org_name
            } else {
                format!("{}（{}代发）", n.poster_unit, n.org_name)
            },
            community_id: n.community_id,
            community: n.community_name,
            starts_at: n.starts_at,
            ends_at: n.ends_at,
            people_needed: n.people_needed,
            places_left: (n.people_needed - n.claims_active).max(0),
            skills: n.skills,
            state: n.state,
            state_label: state_label.into(),
            call_id: n.call_id,
            my_claim_id,
        }
    }
}

/// A claim (an order taken) as pages and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClaimView {
    pub id: i64,
    pub need_id: i64,
    pub need_title: String,
    pub place: String,
    pub station: String,
    pub community: String,
    pub poster: String,
    pub member_id: i64,
    pub member_name: String,
    #[schema(value_type = String)]
    pub starts_at: NaiveDateTime,
    #[schema(value_type = String)]
    pub ends_at: NaiveDateTime,
    /// `claimed`, `done`, `confirmed` or `withdrawn`.
    pub state: String,
    pub state_label: String,
    #[schema(value_type = Option<String>)]
    pub checked_in_at: Option<NaiveDateTime>,
    #[schema(value_type = Option<String>)]
    pub checked_out_at: Option<NaiveDateTime>,
    pub travel_minutes: i64,
    pub proposed_minutes: Option<i64>,
    pub confirmed_minutes: Option<i64>,
    /// "1.5 小时" once confirmed, or what the member proposed.
    pub hours_label: String,
    pub confirmed_by: Option<String>,
    pub year: i64,
}

impl ClaimView {
    pub fn of(k: Claim) -> ClaimView {
        let state_label = ClaimState::from_code(&k.state)
            .map(|s| s.label())
            .unwrap_or("未知")
            .to_string();
        let hours_label = match (k.confirmed_minutes, k.proposed_minutes) {
            (Some(m), _) => rules::hours_label(m),
            (None, Some(m)) => format!("申报 {}", rules::hours_label(m)),
            _ => String::new(),
        };
        ClaimView {
            id: k.id,
            need_id: k.need_id,
            need_title: k.need_title,
            place: k.need_place,
            station: k.need_station,
            community: k.community_name,
            poster: k.need_org_name,
            member_id: k.member_id,
            member_name: k.member_name,
            starts_at: k.starts_at,
            ends_at: k.ends_at,
            state: k.state,
            state_label,
            checked_in_at: k.checked_in_at,
            checked_out_at: k.checked_out_at,
            travel_minutes: k.travel_minutes,
            proposed_minutes: k.proposed_minutes,
            confirmed_minutes: k.confirmed_minutes,
            hours_label,
            confirmed_by: k.confirmed_by,
            year: k.service_year,
        }
    }
}

/// A wish as the wall shows it: what the resident agreed to show, never the contact.
#[derive(Debug, Clone, Serialize)]
pub struct WishCard {
    pub id: i64,
    pub title: String,
    pub story: String,
    pub wisher: String,
    pub community: String,
    pub posted_on: NaiveDate,
    pub state: String,
    pub state_label: &'static str,
    /// Rounds it has waited unclaimed (shown first, marked 优先).
    pub carried: u32,
    /// Only for its claimer and its community.
    pub contact: Option<String>,
    pub claimer: Option<String>,
    pub claimed_on: Option<NaiveDate>,
    /// The day by which the claimer must record contact with the family.
    pub contact_due: Option<NaiveDate>,
    pub contacted_on: Option<NaiveDate>,
    pub contact_note: Option<String>,
    pub fulfilled_on: Option<NaiveDate>,
    pub mine: bool,
}

fn wish_state_label(state: &str) -> &'static str {
    match state {
        "posted" => "待认领",
        "claimed" => "已认领，待联系",
        "contacted" => "已联系，待实现",
        "fulfilled" => "已实现",
        _ => "已撤下",
    }
}

/// A member's registration with what their unit and the community see beside it.
#[derive(Debug, Clone, Serialize)]
pub struct RegistrationView {
    pub registration: Registration,
    pub state_label: &'static str,
    pub status: ReportStatus,
    pub status_label: String,
    pub feedback: Vec<Feedback>,
}

/// An in-service member who has not reported this period (or never registered).
#[derive(Debug, Clone, Serialize)]
pub struct Overdue {
    pub member_id: i64,
    pub name: String,
    pub branch: String,
    pub registered_with: Option<String>,
    pub last_reported_on: Option<NaiveDate>,
}

/// The member's own service page.
#[derive(Debug, Clone, Serialize)]
pub struct MyService {
    pub member_id: i64,
    pub name: String,
    pub obligation: Obligation,
    pub registration: Option<RegistrationView>,
    pub communities: Vec<OrgNode>,
    pub needs: Vec<NeedView>,
    pub claims: Vec<ClaimView>,
    pub wishes: Vec<WishCard>,
    pub year: i32,
    pub minutes_confirmed: i64,
    pub hours_label: String,
    pub target: TargetState,
    pub target_label: Option<String>,
    pub missed: Vec<ReportPeriod>,
    pub rules: ServiceRules,
}

/// What a registration asks of the member.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RegistrationInput {
    pub community_id: i64,
    #[serde(default)]
    pub grid_id: Option<i64>,
    #[serde(default)]
    pub skills: String,
    #[serde(default)]
    pub availability: String,
    #[serde(default)]
    pub phone: String,
}

/// A need as staff post it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NeedInput {
    pub title: String,
    #[serde(default)]
    pub detail: String,
    pub place: String,
    /// 志愿服务站 (optional).
    #[serde(default)]
    pub station: String,
    /// `2026-12-05T09:00`.
    pub starts_at: String,
    pub ends_at: String,
    pub people_needed: i64,
    #[serde(default)]
    pub skills: String,
    /// The community it is for, when the poster is not a community itself (a member unit of
    /// the 大党委).
    #[serde(default)]
    pub community_id: Option<i64>,
    /// The resident unit it is posted for, if any.
    #[serde(default)]
    pub poster_unit: String,
    /// The resident's call (你呼我应) it answers, if any.
    #[serde(default)]
    pub call_id: Option<i64>,
}

/// A wish as the community enters it after verifying it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WishInput {
    #[serde(default)]
    pub community_id: Option<i64>,
    pub title: String,
    #[serde(default)]
    pub story: String,
    /// How the resident agreed to be named on the wall, e.g. 独居老人王阿姨.
    pub wisher: String,
    /// Phone or address: only the claimer and the community see it.
    pub contact: String,
    /// The resident agreed to the wall showing the above.
    #[serde(default)]
    pub consent: bool,
}

/// One org's service figures (registrations now, needs and hours for a year).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ServiceFigures {
    pub org_id: i64,
    pub name: String,
    pub year: i32,
    /// Members registered with communities in this subtree.
    pub registered: i64,
    /// Members of this subtree's units who must report, have registered, and reported this
    /// period.
    pub obliged: i64,
    pub unit_registered: i64,
    pub unit_reported: i64,
    pub reporting_rate_permille: Option<i64>,
    pub needs: i64,
    pub needs_claimed: i64,
    pub needs_fulfilled: i64,
    pub fulfil_rate_permille: Option<i64>,
    /// Mean whole hours from posting to the first confirmed service.
    pub mean_hours_to_fulfil: Option<i64>,
    /// Confirmed service in communities of this subtree.
    pub services: i64,
    pub minutes: i64,
    /// Confirmed service by members of this subtree's units, wherever served.
    pub unit_services: i64,
    pub unit_minutes: i64,
    pub wishes_posted: i64,
    pub wishes_fulfilled: i64,
}

/// The figures of an org and of each direct subordinate, and hours per station.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    pub org: Org,
    pub year: i32,
    pub total: ServiceFigures,
    pub children: Vec<ServiceFigures>,
    pub stations: Vec<StationHours>,
}

/// A member's year of service, as the API returns it and the certificate prints it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberServiceYear {
    pub member_id: i64,
    pub name: String,
    pub year: i32,
    /// Confirmed hours, as a decimal string ("12.5").
    pub hours_confirmed: String,
    pub minutes_confirmed: i64,
    pub services_confirmed: i64,
    pub target_state: String,
    pub orders: Vec<ClaimView>,
}

/// The staff side of the service pages.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceDesk {
    pub org: Org,
    /// The actor's own org is a community (or lies in one): it confirms registrations and
    /// posts needs and wishes for itself.
    pub community: Option<OrgNode>,
    /// Communities needs may be posted for.
    pub communities: Vec<OrgNode>,
    pub pending: Vec<Registration>,
    pub to_confirm: Vec<ClaimView>,
    pub needs: Vec<NeedView>,
    pub wishes: Vec<WishCard>,
}

impl App {
    // -----------------------------------------------------------------------
    // Rules and context

    /// The tree's rules, or the defaults when it saved none.
    pub async fn service_rules(&self, root: i64) -> Result<ServiceRules> {
        Ok(self
            .db
            .service_rules_get(root)
            .await?
            .and_then(|b| serde_json::from_str(&b).ok())
            .unwrap_or_default())
    }

    pub(crate) async fn reporting_context(
        &self,
        root: i64,
        day: NaiveDate,
    ) -> Result<ReportingContext> {
        Ok(ReportingContext {
            today: day,
            every_months: self.service_rules(root).await?.report_every_months,
        })
    }

    /// Saves the tree's rules (system and org admins of the top org). When the reporting period
    /// changed, the registration figures are taken afresh.
    pub async fn save_service_rules(&self, actor: &Actor, new: &ServiceRules) -> Result<()> {
        actor.require_org_admin()?;
        let org = self.db.org_get(actor.scope(), actor.org_id).await?;
        if org.parent_id.is_some() {
            return Err(AppError::Refused(
                "志愿服务规则由最上级党组织统一设置".into(),
            ));
        }
        new.validate().map_err(refused)?;
        let before = self.service_rules(org.root_org_id).await?;
        let body = serde_json::to_string(new).map_err(|e| AppError::Invalid(e.to_string()))?;
        self.db
            .service_rules_save(org.root_org_id, &body, &actor.author())
            .await?;
        if before.report_every_months != new.report_every_months {
            self.rollups_refresh_service(org.root_org_id).await?;
        }
        Ok(())
    }

    /// The communities (社区/村 party committees) at or below an org (a tree's, a street's),
    /// by name.
    pub async fn service_communities(&self, root: i64) -> Result<Vec<OrgNode>> {
        let mut out = Vec::new();
        for kind in COMMUNITY_KINDS {
            out.extend(self.db.org_list_kind(Scope::Subtree(root), kind).await?);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The members of `branch_id` whose 民主评议 grade for `year` is capped because they did not
    /// report to their residence community as required: obliged members with a period of the
    /// year ended and no report in it, counted from their registration, or from the year's start
    /// for those who never registered. 佛山 2020 (DOMAIN.md §10.3 Consequences, §10.7 vector 1):
    /// such a member cannot be rated 合格 or above. Empty for a branch inside a community, whose
    /// members are the community's own.
    pub(crate) async fn missed_report_caps(
        &self,
        branch_id: i64,
        root: i64,
        members: &[(i64, String)],
        year: i32,
    ) -> Result<std::collections::HashMap<i64, domain::points::Grade>> {
        let mut caps = std::collections::HashMap::new();
        if self.community_of(branch_id).await?.is_some() {
            return Ok(caps);
        }
        let rules = self.service_rules(root).await?;
        let Some(year_start) = NaiveDate::from_ymd_opt(year, 1, 1) else {
            return Ok(caps);
        };
        let day = today();
        // The branch's live registrations and their reports in two reads, not two per member.
        let registrations: std::collections::HashMap<i64, (i64, NaiveDate)> = self
            .db
            .service_registrations(branch_id, false, None, i64::from(u32::MAX))
            .await?
            .into_iter()
            .map(|r| (r.member_id, (r.id, r.registered_on)))
            .collect();
        let ids: Vec<i64> = registrations.values().map(|(id, _)| *id).collect();
        let mut reports_of: std::collections::HashMap<i64, Vec<NaiveDate>> =
            std::collections::HashMap::new();
        for (registration, on) in self.db.service_reports_of(&ids).await? {
            reports_of.entry(registration).or_default().push(on);
        }
        for (member_id, category) in members {
            let category = MemberCategory::from_code(category).unwrap_or(MemberCategory::InService);
            if rules::obligation(category, false, &rules) != Obligation::Obliged {
                continue;
            }
            let (obliged_from, reports) = match registrations.get(member_id) {
                Some((id, registered_on)) => {
                    (*registered_on, reports_of.remove(id).unwrap_or_default())
                }
                None => (year_start, Vec::new()),
            };
            let missed =
                rules::missed_periods(obliged_from, &reports, year, day, rules.report_every_months);
            if let Some(cap) = rules::appraisal_cap(&missed) {
                caps.insert(*member_id, cap);
            }
        }
        Ok(caps)
    }

    /// The community an org is or lies in, if any.
    async fn community_of(&self, org_id: i64) -> Result<Option<OrgNode>> {
        Ok(self
            .db
            .service_community_of(org_id, &COMMUNITY_KINDS)
            .await?)
    }

    /// The tree the actor works in.
    async fn actor_root(&self, actor: &Actor) -> Result<i64> {
        Ok(self.db.org_root(actor.org_id).await?)
    }

    /// Where a member serves: the street (or town) of their unit, and the community they
    /// registered with, which may lie in another street. Needs and wishes elsewhere are not
    /// theirs to see: what a member is shown stays near them, and another street's offers stay
    /// that street's.
    async fn member_area(&self, member: &Member) -> Result<(i64, Option<i64>)> {
        let street = self
            .db
            .service_community_of(member.branch_id, &STREET_KINDS)
            .await?
            .map_or(member.root_org_id, |s| s.id);
        let registered = self
            .db
            .service_registration_of_member(member.id)
            .await?
            .filter(|r| r.state == "confirmed")
            .map(|r| r.community_id);
        Ok((street, registered))
    }

    async fn member_may_see(&self, member: &Member, community_id: i64) -> Result<bool> {
        let (street, registered) = self.member_area(member).await?;
        Ok(
            registered == Some(community_id)
                || self.db.org_in_subtree(street, community_id).await?,
        )
    }

    /// The area whose needs and wishes an actor sees: a member's street and registered
    /// community, or staff's own subtree.
    async fn actor_area(&self, actor: &Actor) -> Result<(i64, Option<i64>)> {
        if actor.is_staff() {
            // Staff below a street see the wall of their street: a branch holds no community.
            let street = self
                .db
                .service_community_of(actor.org_id, &STREET_KINDS)
                .await?
                .map_or(actor.org_id, |s| s.id);
            return Ok((street, None));
        }
        let member = self.acting_member(actor).await?;
        self.member_area(&member).await
    }

    async fn acting_member(&self, actor: &Actor) -> Result<Member> {
        let member_id = actor.member_id.ok_or(AppError::Forbidden)?;
        Ok(self
            .db
            .member_get(Scope::SelfOnly(member_id), member_id)
            .await?)
    }

    async fn obligation_of(&self, member: &Member, rules: &ServiceRules) -> Result<Obligation> {
        let in_community = self.community_of(member.branch_id).await?.is_some();
        let category =
            MemberCategory::from_code(&member.category).unwrap_or(MemberCategory::InService);
        Ok(rules::obligation(category, in_community, rules))
    }

    // -----------------------------------------------------------------------
    // The member's side

    /// The member's service page: their registration, open needs (their community first),
    /// their claims and wishes, and the year's confirmed hours.
    pub async fn my_service(&self, actor: &Actor, year: Option<i32>) -> Result<MyService> {
        let member = self.acting_member(actor).await?;
        let root = member.root_org_id;
        let rules = self.service_rules(root).await?;
        let day = today();
        let now = china_now();
        let year = year.unwrap_or(day.year());
        let obligation = self.obligation_of(&member, &rules).await?;
        let registration = match self.db.service_registration_of_member(member.id).await? {
            Some(r) => Some(self.registration_view(r, &rules, day).await?),
            None => None,
        };
        let claims = self.db.service_claims_of_member(member.id, None).await?;
        let mine: std::collections::HashMap<i64, i64> = claims
            .iter()
            .filter(|k| k.state != "withdrawn")
            .map(|k| (k.need_id, k.id))
            .collect();
        let (street, registered) = self.member_area(&member).await?;
        let needs = self
            .db
            .service_needs(
                root,
                &NeedFilter {
                    within: Some(street),
                    also_community: registered,
                    open_at: Some(now),
                    community_first: registration.as_ref().map(|r| r.registration.community_id),
                    limit: 30,
                },
            )
            .await?
            .into_iter()
            .map(|n| {
                let id = n.id;
                NeedView::of(n, mine.get(&id).copied(), now)
            })
            .collect();
        let minutes = self.db.service_member_minutes(member.id, year).await?;
        let target = rules::target_state(minutes, rules.hour_target_minutes);
        let missed = match (&registration, obligation) {
            (_, o) if o != Obligation::Obliged => Vec::new(),
            (Some(r), _) => {
                let reports = self.report_days(r.registration.id).await?;
                rules::missed_periods(
                    r.registration.registered_on,
                    &reports,
                    year,
                    day,
                    rules.report_every_months,
                )
            }
            (None, _) => Vec::new(),
        };
        let wishes = self
            .db
            .service_wishes_of_member(member.id)
            .await?
            .into_iter()
            .map(|w| self.wish_card(w, &rules, day, Some(member.id), false))
            .collect();
        Ok(MyService {
            member_id: member.id,
            name: member.name,
            obligation,
            registration,
            communities: self.service_communities(root).await?,
            needs,
            claims: claims.into_iter().map(ClaimView::of).collect(),
            wishes,
            year,
            minutes_confirmed: minutes,
            hours_label: rules::hours_label(minutes),
            target,
            target_label: rules
                .hour_target_minutes
                .map(|t| rules::hours_label(t.into())),
            missed,
            rules,
        })
    }

    async fn report_days(&self, registration_id: i64) -> Result<Vec<NaiveDate>> {
        Ok(self
            .db
            .service_reports_of(&[registration_id])
            .await?
            .into_iter()
            .map(|(_, d)| d)
            .collect())
    }

    async fn registration_view(
        &self,
        r: Registration,
        rules: &ServiceRules,
        day: NaiveDate,
    ) -> Result<RegistrationView> {
        let reports = self.report_days(r.id).await?;
        let feedback = self.db.service_feedback_of(&[r.id]).await?;
        Ok(registration_view(r, &reports, feedback, rules, day))
    }

    /// Registers the acting member with the community where they live, pending its
    /// confirmation. Members whose 组织关系 is already in a community, and mobile members, are
    /// not asked to (DOMAIN.md §10.2); they are told so rather than refused silently.
    pub async fn register_for_service(
        &self,
        actor: &Actor,
        input: &RegistrationInput,
    ) -> Result<Registration> {
        let member = self.acting_member(actor).await?;
        let rules = self.service_rules(member.root_org_id).await?;
        match self.obligation_of(&member, &rules).await? {
            Obligation::OwnCommunity => {
                return Err(AppError::Refused(
                    "您的组织关系已在社区，是社区自己的党员，无需再到社区报到".into(),
                ));
            }
            Obligation::Mobile => {
                return Err(AppError::Refused(
                    "流动党员请按流动党员管理办法到居住地党组织登记，无需在职党员报到".into(),
                ));
            }
            Obligation::Obliged | Obligation::NotObliged => {}
        }
        let community = self
            .service_communities(member.root_org_id)
            .await?
            .into_iter()
            .find(|c| c.id == input.community_id)
            .ok_or_else(|| AppError::Invalid("请选择居住地所在的社区".into()))?;
        if let Some(grid) = input.grid_id {
            let inside = match community.territory_id {
                Some(t) => self.db.territory_get(Some(t), grid).await.is_ok(),
                None => false,
            };
            if !inside {
                return Err(AppError::Invalid("所选网格不在该社区".into()));
            }
        }
        let phone = match input.phone.trim() {
            "" => String::new(),
            typed => domain::personal::parse_mobile_phone(typed)
                .map_err(|e| AppError::Invalid(format!("联系电话：{e}")))?,
        };
        Ok(self
            .db
            .service_registration_create(
                &NewRegistration {
                    member_id: member.id,
                    branch_id: member.branch_id,
                    community_id: community.id,
                    grid_id: input.grid_id,
                    skills: optional(&input.skills, text::SERVICE_SKILLS)?,
                    availability: optional(&input.availability, text::SERVICE_AVAILABILITY)?,
                    phone,
                    registered_on: today(),
                },
                &actor.author(),
            )
            .await?)
    }

    /// A registration the actor may act on: its community's staff, and with `or_member` the
    /// registered member themself. Anyone else in scope is refused.
    async fn registration_to_act_on(
        &self,
        actor: &Actor,
        registration_id: i64,
        or_member: bool,
    ) -> Result<Registration> {
        let r = self
            .db
            .service_registration_get(actor.scope(), registration_id)
            .await?;
        let is_member = or_member && actor.member_id == Some(r.member_id);
        if !is_member && !self.staff_of(actor, r.community_id).await? {
            return Err(AppError::Forbidden);
        }
        Ok(r)
    }

    /// Records a report for this period: the member's own, or one the community records.
    pub async fn report_for_service(
        &self,
        actor: &Actor,
        registration_id: i64,
    ) -> Result<Registration> {
        let r = self
            .registration_to_act_on(actor, registration_id, true)
            .await?;
        let ctx = self.reporting_context(r.root_org_id, today()).await?;
        Ok(self
            .db
            .service_report_add(r.id, today(), "定期报到", &ctx, &actor.author())
            .await?)
    }

    /// Ends a registration: the member moved, or the community closes it.
    pub async fn end_registration(
        &self,
        actor: &Actor,
        registration_id: i64,
    ) -> Result<Registration> {
        let r = self
            .registration_to_act_on(actor, registration_id, true)
            .await?;
        let ctx = self.reporting_context(r.root_org_id, today()).await?;
        Ok(self
            .db
            .service_registration_set_state(r.id, &r.state, "ended", today(), &ctx, &actor.author())
            .await?)
    }

    /// Claims a place on a need. Refused in Chinese when the need is closed, over or full, when
    /// the member holds too many open claims, or when it clashes with their other claims or
    /// their branch's meetings that day (recorded by day, so the whole day counts, but for the
    /// part after a meeting recorded on its own day).
    pub async fn claim_need(&self, actor: &Actor, need_id: i64) -> Result<ClaimView> {
        let member = self.acting_member(actor).await?;
        let rules = self.service_rules(member.root_org_id).await?;
        let need = self
            .db
            .service_need_get(Scope::SelfOnly(member.id), member.root_org_id, need_id)
            .await?;
        if !self.member_may_see(&member, need.community_id).await? {
            return Err(AppError::NotFound);
        }
        let now = china_now();
        let slot = Slot {
            start: need.starts_at,
            end: need.ends_at,
        };
        let mine = self.db.service_claims_of_member(member.id, None).await?;
        let already = mine
            .iter()
            .any(|k| k.need_id == need.id && k.state != "withdrawn");
        let open = mine.iter().filter(|k| k.state == "claimed").count() as u32;
        let mut busy: Vec<Busy> = self
            .db
            .service_claims_overlapping(member.id, need.starts_at, need.ends_at)
            .await?
            .into_iter()
            .filter(|k| k.need_id != need.id)
            .map(|k| Busy {
                what: format!(
                    "已认领的「{}」{}",
                    k.need_title,
                    k.starts_at.format("%m月%d日 %H:%M")
                ),
                slot: Slot {
                    start: k.starts_at,
                    end: k.ends_at,
                },
            })
            .collect();
        for m in self
            .db
            .meetings_between(
                Scope::Subtree(member.root_org_id),
                member.branch_id,
                need.starts_at.date(),
                need.ends_at.date(),
            )
            .await?
        {
            let label = domain::orglife::Institution::from_code(&m.institution)
                .map(|i| i.label())
                .unwrap_or("组织生活");
            let recorded_at = (m.recorded_at + Duration::hours(8)).naive_utc();
            busy.push(Busy {
                what: format!("本支部{} {}", label, m.held_on.format("%m月%d日")),
                slot: rules::meeting_busy_slot(m.held_on, recorded_at),
            });
        }
        rules::check_claim(
            &ClaimAttempt {
                need_open: need.state == "open",
                need_slot: slot,
                people_needed: need.people_needed.max(0) as u32,
                active_claims: need.claims_active.max(0) as u32,
                already_claimed: already,
                busy: &busy,
                open_claims: open,
                now,
            },
            &rules,
        )
        .map_err(refused)?;
        let claim = self
            .db
            .service_claim_create(
                need.id,
                member.id,
                member.branch_id,
                rules.open_claim_cap.into(),
                &actor.author(),
            )
            .await?;
        Ok(ClaimView::of(claim))
    }

    /// The claimer checks in, checks out (declaring travel time, which is not counted) or
    /// withdraws.
    pub async fn claim_step(
        &self,
        actor: &Actor,
        claim_id: i64,
        action: ClaimAction,
        travel_minutes: u32,
    ) -> Result<ClaimView> {
        let member = self.acting_member(actor).await?;
        let claim = self
            .db
            .service_claim_get(Scope::SelfOnly(member.id), claim_id)
            .await?;
        let rules = self.service_rules(claim.root_org_id).await?;
        let now = china_now();
        let state = ClaimState::from_code(&claim.state).ok_or(AppError::NotFound)?;
        let checked_out = (action == ClaimAction::CheckOut).then_some(now);
        let next = rules::next_state(
            &ClaimFacts {
                state,
                checked_in: claim.checked_in_at,
                checked_out,
            },
            action,
            true,
            false,
        )
        .map_err(refused)?;
        let mut change = ClaimChange {
            state: next.code().to_string(),
            ..ClaimChange::default()
        };
        match action {
            ClaimAction::CheckIn => {
                if now + Duration::hours(2) < claim.starts_at {
                    return Err(AppError::Refused("服务开始前两小时内才能签到".into()));
                }
                change.checked_in_at = Some(now);
            }
            ClaimAction::CheckOut => {
                let check_in = claim.checked_in_at.unwrap_or(now);
                if travel_minutes > 24 * 60 {
                    return Err(AppError::Invalid("路途时间不能超过 24 小时".into()));
                }
                let served = rules::served_minutes(check_in, now, travel_minutes);
                change.checked_out_at = Some(now);
                change.travel_minutes = Some(travel_minutes.into());
                change.proposed_minutes =
                    Some(rules::round_to_unit(served, rules.hour_unit_minutes).into());
            }
            ClaimAction::Withdraw | ClaimAction::Confirm => {}
        }
        let claim = self
            .db
            .service_claim_transition(claim.id, state.code(), &change, &actor.author())
            .await?;
        Ok(ClaimView::of(claim))
    }

    /// True when the actor is staff with `org_id` in their subtree.
    async fn staff_of(&self, actor: &Actor, org_id: i64) -> Result<bool> {
        Ok(actor.is_staff() && self.db.org_in_subtree(actor.org_id, org_id).await?)
    }

    /// The posting unit confirms the hours of a done claim: what the member proposed, or what it
    /// corrects them to (in the hour unit, rounded down). The claimer never confirms their own,
    /// even as an officer of the posting unit. Confirmed service gives its points.
    pub async fn confirm_claim(
        &self,
        actor: &Actor,
        claim_id: i64,
        hours: Option<&str>,
    ) -> Result<ClaimView> {
        actor.require_staff()?;
        let claim = self.db.service_claim_get(actor.scope(), claim_id).await?;
        let rules = self.service_rules(claim.root_org_id).await?;
        let state = ClaimState::from_code(&claim.state).ok_or(AppError::NotFound)?;
        let is_poster = self.staff_of(actor, claim.need_org_id).await?;
        rules::next_state(
            &ClaimFacts {
                state,
                checked_in: claim.checked_in_at,
                checked_out: claim.checked_out_at,
            },
            ClaimAction::Confirm,
            actor.member_id == Some(claim.member_id),
            is_poster,
        )
        .map_err(refused)?;
        let minutes = match hours.map(str::trim).filter(|h| !h.is_empty()) {
            Some(h) => parse_hours(h)?,
            None => claim.proposed_minutes.unwrap_or(0).max(0) as u32,
        };
        let minutes = rules::round_to_unit(minutes, rules.hour_unit_minutes);
        if minutes == 0 {
            return Err(AppError::Invalid(format!(
                "确认的服务时长不足一个计量单位（{} 分钟），如未实际服务请联系党员退出认领",
                rules.hour_unit_minutes
            )));
        }
        let confirmed = self
            .db
            .service_claim_transition(
                claim.id,
                state.code(),
                &ClaimChange {
                    state: ClaimState::Confirmed.code().into(),
                    confirmed_minutes: Some(minutes.into()),
                    ..ClaimChange::default()
                },
                &actor.author(),
            )
            .await?;
        self.points_after_service(&confirmed).await;
        Ok(ClaimView::of(confirmed))
    }

    // -----------------------------------------------------------------------
    // Needs

    /// Posts a need. A community posts for itself (or for a resident unit, named); a member
    /// unit of a 大党委 posts for the community it names. A need may answer a resident's call
    /// the actor can see.
    pub async fn post_need(&self, actor: &Actor, input: &NeedInput) -> Result<NeedView> {
        actor.require_staff()?;
        let org = self.db.org_get(actor.scope(), actor.org_id).await?;
        let community = match (self.community_of(org.id).await?, input.community_id) {
            // A community's staff post in their own community; naming another is refused
            // rather than quietly posted at home.
            (Some(own), Some(asked)) if asked != own.id => return Err(AppError::NotFound),
            (Some(own), _) => own,
            (None, Some(id)) => {
                let c = self
                    .service_communities(org.root_org_id)
                    .await?
                    .into_iter()
                    .find(|c| c.id == id)
                    .ok_or_else(|| AppError::Invalid("请选择需求所在的社区".into()))?;
                // A unit posts in the communities of its own street, never another's.
                let (area, _) = self.actor_area(actor).await?;
                if !self.db.org_in_subtree(area, c.id).await? {
                    return Err(AppError::NotFound);
                }
                c
            }
            (None, None) => return Err(AppError::Invalid("请选择需求所在的社区".into())),
        };
        let starts_at = parse_moment(&input.starts_at, "开始时间")?;
        let ends_at = parse_moment(&input.ends_at, "结束时间")?;
        if ends_at <= starts_at {
            return Err(AppError::Invalid("结束时间应晚于开始时间".into()));
        }
        if ends_at - starts_at > Duration::days(31) {
            return Err(AppError::Invalid(
                "一项需求的时间不能超过 31 天，长期服务请分期发布".into(),
            ));
        }
        if ends_at <= china_now() {
            return Err(AppError::Invalid("结束时间已过，不能发布".into()));
        }
        if !(1..=500).contains(&input.people_needed) {
            return Err(AppError::Invalid("需要人数应在 1 到 500 之间".into()));
        }
        if let Some(call_id) = input.call_id {
            self.db
                .call_get(App::call_scope(actor), call_id)
                .await
                .map_err(|_| {
                    AppError::Invalid("关联的群众呼声不存在或不在您的管理范围内".into())
                })?;
        }
        let need = self
            .db
            .service_need_create(
                &NewNeed {
                    root_org_id: org.root_org_id,
                    org_id: org.id,
                    community_id: community.id,
                    poster_unit: optional(&input.poster_unit, text::POSTER_UNIT)?,
                    title: required(&input.title, text::NEED_TITLE)?,
                    detail: optional(&input.detail, text::NEED_DETAIL)?,
                    place: required(&input.place, text::NEED_PLACE)?,
                    station: optional(&input.station, text::SERVICE_STATION)?,
                    starts_at,
                    ends_at,
                    people_needed: input.people_needed,
                    skills: optional(&input.skills, text::NEED_SKILLS)?,
                    call_id: input.call_id,
                },
                &actor.author(),
            )
            .await?;
        Ok(NeedView::of(need, None, china_now()))
    }

    /// A need with its claims: staff of the posting org or its community see every claim; a
    /// member sees the need and only their own claim.
    pub async fn need_detail(
        &self,
        actor: &Actor,
        need_id: i64,
    ) -> Result<(NeedView, Vec<ClaimView>, bool)> {
        let root = self.actor_root(actor).await?;
        let need = self
            .db
            .service_need_get(actor.scope(), root, need_id)
            .await?;
        if !actor.is_staff() {
            let member = self.acting_member(actor).await?;
            if !self.member_may_see(&member, need.community_id).await? {
                return Err(AppError::NotFound);
            }
        }
        let claims = self.db.service_claims_of_need(need.id).await?;
        let poster = self.staff_of(actor, need.org_id).await?;
        let staff = poster || self.staff_of(actor, need.community_id).await?;
        let mine = actor.member_id.and_then(|m| {
            claims
                .iter()
                .find(|k| k.member_id == m && k.state != "withdrawn")
                .map(|k| k.id)
        });
        let shown = claims
            .into_iter()
            .filter(|k| staff || Some(k.member_id) == actor.member_id)
            .map(ClaimView::of)
            .collect();
        Ok((NeedView::of(need, mine, china_now()), shown, poster))
    }

    /// Needs for the API and the staff desk: those posted or held in the actor's subtree; for a
    /// member, the open needs of the tree, their community first.
    pub async fn list_needs(&self, actor: &Actor, open_only: bool) -> Result<Vec<NeedView>> {
        let now = china_now();
        if let Some(member_id) = actor.member_id.filter(|_| !actor.is_staff()) {
            let member = self
                .db
                .member_get(Scope::SelfOnly(member_id), member_id)
                .await?;
            let (street, registered) = self.member_area(&member).await?;
            let needs = self
                .db
                .service_needs(
                    member.root_org_id,
                    &NeedFilter {
                        within: Some(street),
                        also_community: registered,
                        open_at: Some(now),
                        community_first: registered,
                        limit: 100,
                    },
                )
                .await?;
            return Ok(needs
                .into_iter()
                .map(|n| NeedView::of(n, None, now))
                .collect());
        }
        actor.require_staff()?;
        let org = self.db.org_get(actor.scope(), actor.org_id).await?;
        let needs = self
            .db
            .service_needs(
                org.root_org_id,
                &NeedFilter {
                    within: Some(org.id),
                    also_community: None,
                    open_at: open_only.then_some(now),
                    community_first: None,
                    limit: 200,
                },
            )
            .await?;
        Ok(needs
            .into_iter()
            .map(|n| NeedView::of(n, None, now))
            .collect())
    }

    /// Stops a need taking claims (`cancel`: withdraws it, only while nobody has claimed it).
    pub async fn close_need(&self, actor: &Actor, need_id: i64, cancel: bool) -> Result<NeedView> {
        actor.require_staff()?;
        let root = self
            .db
            .org_get(actor.scope(), actor.org_id)
            .await?
            .root_org_id;
        let need = self
            .db
            .service_need_get(actor.scope(), root, need_id)
            .await?;
        if !self.staff_of(actor, need.org_id).await? {
            return Err(AppError::Forbidden);
        }
        let need = self
            .db
            .service_need_close(
                need.id,
                if cancel { "cancelled" } else { "closed" },
                &actor.author(),
            )
            .await?;
        Ok(NeedView::of(need, None, china_now()))
    }

    // -----------------------------------------------------------------------
    // The staff side

    /// What staff work on: registrations to confirm, hours to confirm, their needs and wishes.
    pub async fn service_desk(&self, actor: &Actor) -> Result<ServiceDesk> {
        actor.require_staff()?;
        let org = self.db.org_get(actor.scope(), actor.org_id).await?;
        let rules = self.service_rules(org.root_org_id).await?;
        let day = today();
        let community = self.community_of(org.id).await?;
        let pending = self
            .db
            .service_registrations(org.id, true, Some("pending"), 200)
            .await?;
        let to_confirm = self
            .db
            .service_claims_to_confirm(org.id, 200)
            .await?
            .into_iter()
            .map(ClaimView::of)
            .collect();
        let needs = self.list_needs(actor, false).await?;
        let wishes = self
            .db
            .service_wishes(
                org.root_org_id,
                Some((org.id, None)),
                &["posted", "claimed", "contacted"],
                200,
            )
            .await?
            .into_iter()
            .map(|w| self.wish_card(w, &rules, day, None, true))
            .collect();
        Ok(ServiceDesk {
            communities: if community.is_some() {
                Vec::new()
            } else {
                self.service_communities(self.actor_area(actor).await?.0)
                    .await?
            },
            org,
            community,
            pending,
            to_confirm,
            needs,
            wishes,
        })
    }

    /// The community confirms a pending registration.
    pub async fn confirm_registration(
        &self,
        actor: &Actor,
        registration_id: i64,
    ) -> Result<Registration> {
        let r = self
            .registration_to_act_on(actor, registration_id, false)
            .await?;
        let ctx = self.reporting_context(r.root_org_id, today()).await?;
        Ok(self
            .db
            .service_registration_set_state(
                r.id,
                "pending",
                "confirmed",
                today(),
                &ctx,
                &actor.author(),
            )
            .await?)
    }

    /// The community's quarterly word on a registered member, for their unit.
    pub async fn give_feedback(
        &self,
        actor: &Actor,
        registration_id: i64,
        rating: &str,
        comment: &str,
    ) -> Result<()> {
        let r = self
            .registration_to_act_on(actor, registration_id, false)
            .await?;
        if r.state != "confirmed" {
            return Err(AppError::Invalid("确认报到后才能反馈".into()));
        }
        if !["优秀", "良好", "一般", "较差"].contains(&rating) {
            return Err(AppError::Invalid(
                "请选择评价：优秀、良好、一般或较差".into(),
            ));
        }
        let day = today();
        let quarter = format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1);
        self.db
            .service_feedback_give(
                r.id,
                &quarter,
                rating,
                &optional(comment, text::SERVICE_NOTE)?,
                &actor.author(),
            )
            .await?;
        Ok(())
    }

    /// Registrations seen from a community (`by_community`) or from the members' units, with
    /// each one's report status and feedback.
    pub async fn registrations(
        &self,
        actor: &Actor,
        by_community: bool,
    ) -> Result<Vec<RegistrationView>> {
        actor.require_staff()?;
        let org = self.db.org_get(actor.scope(), actor.org_id).await?;
        let rules = self.service_rules(org.root_org_id).await?;
        let rows = self
            .db
            .service_registrations(org.id, by_community, None, 500)
            .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let reports = self.db.service_reports_of(&ids).await?;
        let feedback = self.db.service_feedback_of(&ids).await?;
        let day = today();
        Ok(rows
            .into_iter()
            .map(|r| {
                let days: Vec<NaiveDate> = reports
                    .iter()
                    .filter(|(id, _)| *id == r.id)
                    .map(|(_, d)| *d)
                    .collect();
                let fb = feedback
                    .iter()
                    .filter(|f| f.registration_id == r.id)
                    .cloned()
                    .collect();
                registration_view(r, &days, fb, &rules, day)
            })
            .collect())
    }

    /// The members of the actor's units who must report and have not this period.
    pub async fn overdue_reports(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<(ReportPeriod, Vec<Overdue>)> {
        actor.require_staff()?;
        let org = self.db.org_get(actor.scope(), actor.org_id).await?;
        let rules = self.service_rules(org.root_org_id).await?;
        let period = rules::report_period(today(), rules.report_every_months);
        let categories: Vec<&str> = rules.obliged_categories.iter().map(|c| c.code()).collect();
        let rows = self
            .db
            .service_overdue_members(org.id, &categories, period.from, limit)
            .await?;
        Ok((
            period,
            rows.into_iter()
                .map(
                    |(member_id, name, branch, registered_with, last_reported_on)| Overdue {
                        member_id,
                        name,
                        branch,
                        registered_with,
                        last_reported_on,
                    },
                )
                .collect(),
        ))
    }

    // -----------------------------------------------------------------------
    // 微心愿

    fn wish_card(
        &self,
        w: Wish,
        rules: &ServiceRules,
        day: NaiveDate,
        member: Option<i64>,
        community: bool,
    ) -> WishCard {
        let mine = member.is_some() && w.claimed_by == member;
        let carried = if w.state == "posted" {
            rules::wish_carried_rounds(w.posted_on, day, rules.wish_round_months)
        } else {
            0
        };
        WishCard {
            id: w.id,
            state_label: wish_state_label(&w.state),
            contact: (mine || community).then(|| w.contact.clone()),
            claimer: community.then(|| w.claimer_name.clone()).flatten(),
            contact_due: w
                .claimed_on
                .map(|c| rules::wish_contact_due(c, rules.wish_contact_days)),
            title: w.title,
            story: w.story,
            wisher: w.wisher,
            community: w.community_name,
            posted_on: w.posted_on,
            state: w.state,
            carried,
            claimed_on: w.claimed_on,
            contacted_on: w.contacted_on,
            contact_note: if mine || community {
                w.contact_note
            } else {
                None
            },
            fulfilled_on: w.fulfilled_on,
            mine,
        }
    }

    /// The wish wall of the actor's tree: wishes waiting for a claimer, those carried over from
    /// earlier rounds first. Claims whose contact is overdue are released first.
    pub async fn wish_wall(&self, actor: &Actor) -> Result<Vec<WishCard>> {
        if !actor.is_staff() && actor.member_id.is_none() {
            return Err(AppError::Forbidden);
        }
        let root = self.actor_root(actor).await?;
        self.release_lapsed_wishes(root).await?;
        let rules = self.service_rules(root).await?;
        let day = today();
        let mut cards: Vec<WishCard> = self
            .db
            .service_wishes(root, Some(self.actor_area(actor).await?), &["posted"], 300)
            .await?
            .into_iter()
            .map(|w| self.wish_card(w, &rules, day, actor.member_id, false))
            .collect();
        cards.sort_by_key(|c| rules::wish_wall_key(c.carried, c.posted_on, c.id));
        Ok(cards)
    }

    /// Puts back on the wall the wishes whose claimer recorded no contact in time (DOMAIN.md
    /// §10.6); the sweep and the wall both call it. Returns how many.
    pub async fn release_lapsed_wishes(&self, root: i64) -> Result<usize> {
        let rules = self.service_rules(root).await?;
        let day = today();
        let author = store::Author {
            user_id: None,
            name: "系统（微心愿）".into(),
        };
        let mut released = 0;
        for w in self
            .db
            .service_wishes(root, None, &["claimed"], 1000)
            .await?
        {
            let Some(claimed_on) = w.claimed_on else {
                continue;
            };
            if rules::wish_claim_lapsed(claimed_on, w.contacted_on, day, rules.wish_contact_days) {
                match self
                    .db
                    .service_wish_transition(
                        w.id,
                        &WishStep {
                            from: "claimed",
                            to: "posted",
                            member: None,
                            day,
                            note: None,
                        },
                        &author,
                    )
                    .await
                {
                    Ok(_) => released += 1,
                    Err(store::StoreError::Conflict(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(released)
    }

    /// The community posts a verified wish, with the resident's consent to what is shown.
    pub async fn post_wish(&self, actor: &Actor, input: &WishInput) -> Result<Wish> {
        actor.require_staff()?;
        let org = self.db.org_get(actor.scope(), actor.org_id).await?;
        let community = match (self.community_of(org.id).await?, input.community_id) {
            // A community's staff post in their own community; naming another is refused
            // rather than quietly posted at home.
            (Some(own), Some(asked)) if asked != own.id => return Err(AppError::NotFound),
            (Some(own), _) => own,
            (None, Some(id)) => {
                let c = self
                    .service_communities(org.root_org_id)
                    .await?
                    .into_iter()
                    .find(|c| c.id == id)
                    .ok_or_else(|| AppError::Invalid("请选择心愿所在的社区".into()))?;
                if !self.db.org_in_subtree(org.id, c.id).await? {
                    return Err(AppError::NotFound);
                }
                c
            }
            (None, None) => {
                return Err(AppError::Invalid(
                    "微心愿由社区核实后发布，请选择社区".into(),
                ));
            }
        };
        if !input.consent {
            return Err(AppError::Invalid(
                "请先征得群众同意公示心愿内容和称呼".into(),
            ));
        }
        Ok(self
            .db
            .service_wish_create(
                &NewWish {
                    root_org_id: org.root_org_id,
                    community_id: community.id,
                    title: required(&input.title, text::WISH_TITLE)?,
                    story: optional(&input.story, text::WISH_STORY)?,
                    wisher: required(&input.wisher, text::WISH_NAME)?,
                    contact: required(&input.contact, text::WISH_CONTACT)?,
                    posted_on: today(),
                },
                &actor.author(),
            )
            .await?)
    }

    /// A member claims a wish, records contact with the family, or marks it fulfilled; the
    /// community may also mark it fulfilled or take it down.
    pub async fn wish_step(
        &self,
        actor: &Actor,
        wish_id: i64,
        to: &str,
        note: &str,
    ) -> Result<WishCard> {
        let day = today();
        if !actor.is_staff() && actor.member_id.is_none() {
            return Err(AppError::Forbidden);
        }
        let root = self.actor_root(actor).await?;
        let wish = self.db.service_wish_get(root, wish_id).await?;
        let rules = self.service_rules(root).await?;
        let community = self.staff_of(actor, wish.community_id).await?;
        let (area, registered) = self.actor_area(actor).await?;
        let nearby = registered == Some(wish.community_id)
            || self.db.org_in_subtree(area, wish.community_id).await?;
        if !community && !nearby && wish.claimed_by.is_none_or(|c| actor.member_id != Some(c)) {
            return Err(AppError::NotFound);
        }
        let note = optional(note, text::SERVICE_NOTE)?;
        let (from, member): (&str, Option<i64>) = match to {
            "claimed" => {
                let m = actor.member_id.ok_or(AppError::Forbidden)?;
                ("posted", Some(m))
            }
            "contacted" => {
                let m = actor
                    .member_id
                    .filter(|m| wish.claimed_by == Some(*m))
                    .ok_or(AppError::Forbidden)?;
                if note.is_empty() {
                    return Err(AppError::Invalid("请简要记录联系情况".into()));
                }
                ("claimed", Some(m))
            }
            "fulfilled" => {
                let mine = actor.member_id.filter(|m| wish.claimed_by == Some(*m));
                if mine.is_none() && !community {
                    return Err(AppError::Forbidden);
                }
                if wish.state != "contacted" {
                    return Err(AppError::Refused("请先登记与心愿家庭的联系情况".into()));
                }
                ("contacted", mine)
            }
            "withdrawn" if community => (wish.state.as_str(), None),
            _ => return Err(AppError::Forbidden),
        };
        let from = from.to_string();
        let note = (!note.is_empty()).then_some(note);
        let w = self
            .db
            .service_wish_transition(
                wish.id,
                &WishStep {
                    from: &from,
                    to,
                    member,
                    day,
                    note: note.as_deref(),
                },
                &actor.author(),
            )
            .await?;
        Ok(self.wish_card(w, &rules, day, actor.member_id, community))
    }

    // -----------------------------------------------------------------------
    // Hours, certificate, figures

    /// A member's year of service: the member themselves, or staff with the member in scope.
    pub async fn member_service_year(
        &self,
        actor: &Actor,
        member_id: i64,
        year: i32,
    ) -> Result<MemberServiceYear> {
        let year = crate::orglife::kept_year(year)?;
        let member = self.db.member_get(actor.scope(), member_id).await?;
        let rules = self.service_rules(member.root_org_id).await?;
        let claims = self
            .db
            .service_claims_of_member(member.id, Some(year))
            .await?;
        let minutes: i64 = claims
            .iter()
            .filter(|k| k.state == "confirmed")
            .filter_map(|k| k.confirmed_minutes)
            .sum();
        let services = claims.iter().filter(|k| k.state == "confirmed").count() as i64;
        Ok(MemberServiceYear {
            member_id: member.id,
            name: member.name,
            year,
            hours_confirmed: rules::hours_label(minutes)
                .trim_end_matches(" 小时")
                .to_string(),
            minutes_confirmed: minutes,
            services_confirmed: services,
            target_state: rules::target_state(minutes, rules.hour_target_minutes)
                .label()
                .to_string(),
            orders: claims.into_iter().map(ClaimView::of).collect(),
        })
    }

    /// The figures of an org (the actor's own when `None`) and its direct subordinates for a
    /// year, from the roll-ups; hours per station from the confirmed claims.
    pub async fn service_report(
        &self,
        actor: &Actor,
        org_id: Option<i64>,
        year: i32,
    ) -> Result<ServiceReport> {
        actor.require_staff()?;
        let year = crate::orglife::kept_year(year)?;
        let org = self
            .db
            .org_get(actor.scope(), org_id.unwrap_or(actor.org_id))
            .await?;
        let children = self.db.org_children(actor.scope(), org.id).await?;
        let rules = self.service_rules(org.root_org_id).await?;
        let mut ids = vec![org.id];
        ids.extend(children.iter().map(|c| c.id));
        let roots = self.figure_roots(&org).await?;
        let total = self
            .service_figures(&org.id, &org.name, &roots, year, &rules)
            .await?;
        let mut rows = Vec::new();
        for c in &children {
            // Under a province each child is a district with figures under its own root.
            let child_roots = if roots.contains(&c.id) {
                vec![c.id]
            } else {
                vec![org.root_org_id]
            };
            rows.push(
                self.service_figures(&c.id, &c.name, &child_roots, year, &rules)
                    .await?,
            );
        }
        Ok(ServiceReport {
            stations: self.db.service_station_hours(org.id, year).await?,
            org,
            year,
            total,
            children: rows,
        })
    }

    /// One org's figures. Who must report is the obliged categories' members of the org's
    /// units less those in communities' own branches (DOMAIN.md §10.2).
    pub(crate) async fn service_figures(
        &self,
        org_id: &i64,
        name: &str,
        roots: &[i64],
        year: i32,
        rules: &ServiceRules,
    ) -> Result<ServiceFigures> {
        let org_id = *org_id;
        let y = year.to_string();
        let months: Vec<String> = (1..=12).map(|m| format!("{year}-{m:02}")).collect();
        let mut periods = vec![NOW.to_string(), y.clone()];
        periods.extend(months.iter().cloned());
        let in_community = self.community_of(org_id).await?.is_some();
        let communities: Vec<i64> = if in_community {
            Vec::new()
        } else {
            let mut c = Vec::new();
            for kind in COMMUNITY_KINDS {
                c.extend(
                    self.db
                        .org_list_kind(Scope::Subtree(org_id), kind)
                        .await?
                        .into_iter()
                        .map(|o| o.id),
                );
            }
            c
        };
        let rows = self.figures_read(roots, &[org_id], &periods, &[]).await?;
        let f = Figures::of(&rows, org_id);
        // Of the communities only their obliged members now are needed: every (org, period,
        // metric) named is an index descent, and asking all fourteen periods' figures of a
        // province's 593 communities took 90 ms a district (docs/BENCHMARKS.md).
        let obliged_metrics: Vec<String> = rules
            .obliged_categories
            .iter()
            .map(|c| format!("category.{}", c.code()))
            .collect();
        let obliged_metrics: Vec<&str> = obliged_metrics.iter().map(String::as_str).collect();
        let community_rows = if communities.is_empty() || obliged_metrics.is_empty() {
            Vec::new()
        } else {
            self.figures_read(roots, &communities, &[NOW.to_string()], &obliged_metrics)
                .await?
        };
        let obliged_of = |f: &Figures| -> i64 {
            rules
                .obliged_categories
                .iter()
                .map(|c| f.get(NOW, &format!("category.{}", c.code())))
                .sum()
        };
        let obliged = if in_community {
            0
        } else {
            obliged_of(&f)
                - communities
                    .iter()
                    .map(|c| obliged_of(&Figures::of(&community_rows, *c)))
                    .sum::<i64>()
        };
        let sum = |metric: &str| months.iter().map(|m| f.get(m, metric)).sum::<i64>();
        let (needs, claimed, fulfilled, fulfil_hours) = (
            sum("service.needs"),
            sum("service.needs_claimed"),
            sum("service.needs_fulfilled"),
            sum("service.fulfil_hours"),
        );
        let unit_reported = f.get(NOW, "service.unit_reported");
        Ok(ServiceFigures {
            org_id,
            name: name.to_string(),
            year,
            registered: f.get(NOW, "service.registered"),
            obliged,
            unit_registered: f.get(NOW, "service.unit_registered"),
            unit_reported,
            reporting_rate_permille: rules::rate_permille(unit_reported, obliged),
            needs,
            needs_claimed: claimed,
            needs_fulfilled: fulfilled,
            fulfil_rate_permille: rules::rate_permille(fulfilled, needs),
            mean_hours_to_fulfil: (fulfilled > 0)
                .then(|| (fulfil_hours * 2 + fulfilled) / (fulfilled * 2)),
            services: f.get(&y, "service.services"),
            minutes: f.get(&y, "service.minutes"),
            unit_services: f.get(&y, "service.unit_services"),
            unit_minutes: f.get(&y, "service.unit_minutes"),
            wishes_posted: sum("wishes.posted"),
            wishes_fulfilled: sum("wishes.fulfilled"),
        })
    }

    /// Takes the service figures of a tree afresh (its reporting period changed).
    pub async fn rollups_refresh_service(&self, root: i64) -> Result<()> {
        let Some(meta) = self.db.rollup_meta(root).await? else {
            return Ok(());
        };
        let ancestors = self.db.org_ancestors(root).await?;
        let mut totals = domain::rollups::Totals::new();
        let ctx = self.reporting_context(root, today()).await?;
        let facts = self.db.service_facts(root, &ctx).await?;
        store::rollups::sum_up_tree(facts.contributions, &ancestors, &mut totals);
        totals.retain(|_, v| *v != 0);
        self.db
            .rollup_replace(root, &["service.", "wishes."], &totals, &meta)
            .await?;
        Ok(())
    }
}

fn registration_view(
    r: Registration,
    reports: &[NaiveDate],
    feedback: Vec<Feedback>,
    rules: &ServiceRules,
    day: NaiveDate,
) -> RegistrationView {
    let status = if r.state == "confirmed" {
        rules::report_status(
            Some(r.registered_on),
            reports,
            day,
            rules.report_every_months,
        )
    } else {
        ReportStatus::NotYetRegistered
    };
    let period = rules::report_period(day, rules.report_every_months);
    let status_label = match (&status, r.state.as_str()) {
        (_, "pending") => "等待社区确认".to_string(),
        (_, "ended") => "已结束报到".to_string(),
        (ReportStatus::Reported { on }, _) => format!("{}已报到（{on}）", period.label),
        (ReportStatus::Due { by }, _) => format!("{}尚未报到，请于 {by} 前报到", period.label),
        (ReportStatus::NotYetRegistered, _) => "尚未报到".to_string(),
    };
    RegistrationView {
        state_label: match r.state.as_str() {
            "pending" => "待确认",
            "confirmed" => "已报到",
            _ => "已结束",
        },
        registration: r,
        status,
        status_label,
        feedback,
    }
}

/// A yearly hour target typed by a person ("50", "12.5"), as minutes; up to 1,000 hours.
pub fn parse_hours_total(value: &str) -> Result<u32> {
    let v = value.trim();
    let bad = || AppError::Invalid("年度服务时长目标应为小时数，如 50 或 12.5".into());
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if whole.is_empty() || frac.len() > 1 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: u32 = whole.parse().map_err(|_| bad())?;
    let tenths: u32 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad())?
    };
    if whole > 1000 {
        return Err(AppError::Invalid(
            "年度服务时长目标不能超过 1000 小时".into(),
        ));
    }
    Ok(whole * 60 + tenths * 6)
}

fn rate(permille: Option<i64>) -> Option<u32> {
    permille.and_then(|p| u32::try_from(p).ok())
}

impl ServiceFigures {
    /// One line of the figures workbook.
    pub(crate) fn row(&self) -> Vec<crate::tabular::Figure> {
        use crate::tabular::Figure;
        vec![
            Figure::Text(self.name.clone()),
            Figure::Count(self.registered),
            Figure::Count(self.obliged),
            Figure::Count(self.unit_registered),
            Figure::Count(self.unit_reported),
            Figure::Rate(rate(self.reporting_rate_permille)),
            Figure::Count(self.needs),
            Figure::Count(self.needs_claimed),
            Figure::Count(self.needs_fulfilled),
            Figure::Rate(rate(self.fulfil_rate_permille)),
            self.mean_hours_to_fulfil
                .map_or(Figure::Text(String::new()), Figure::Count),
            Figure::Count(self.services),
            Figure::Hours(self.minutes),
            Figure::Count(self.unit_services),
            Figure::Hours(self.unit_minutes),
            Figure::Count(self.wishes_posted),
            Figure::Count(self.wishes_fulfilled),
        ]
    }

    pub const HEADERS: [&'static str; 17] = [
        "党组织",
        "在本社区报到",
        "应报到",
        "已报到",
        "本期已报到",
        "报到率",
        "发布需求",
        "已认领需求",
        "已完成需求",
        "需求完成率",
        "平均完成用时（小时）",
        "服务人次（在本辖区）",
        "服务时长（小时）",
        "服务人次（本单位党员）",
        "本单位党员服务时长（小时）",
        "微心愿",
        "已实现微心愿",
    ];
}

impl App {
    /// The actor's tree.
    pub async fn org_root_of(&self, actor: &Actor) -> Result<i64> {
        self.actor_root(actor).await
    }

    /// The figures of an org and its subordinates, and hours per station, as a workbook.
    pub async fn service_report_xlsx(
        &self,
        actor: &Actor,
        org_id: Option<i64>,
        year: i32,
    ) -> Result<(Vec<u8>, String)> {
        use crate::tabular::{Figure, FigureSheet};
        let report = self.service_report(actor, org_id, year).await?;
        let mut rows = vec![report.total.row()];
        rows.extend(report.children.iter().map(ServiceFigures::row));
        let headers: Vec<String> = ServiceFigures::HEADERS
            .iter()
            .map(|h| h.to_string())
            .collect();
        let sheets = vec![
            FigureSheet {
                name: "报到与服务".into(),
                title: format!(
                    "{} {} 年志愿服务（报到为当前数，其余为全年）",
                    report.org.name, year
                ),
                headers,
                rows,
            },
            FigureSheet {
                name: "服务站".into(),
                title: format!("{} {} 年各志愿服务站服务时长", report.org.name, year),
                headers: ["社区", "服务站", "服务人次", "服务时长（小时）"]
                    .iter()
                    .map(|h| h.to_string())
                    .collect(),
                rows: report
                    .stations
                    .iter()
                    .map(|s| {
                        vec![
                            Figure::Text(s.community_name.clone()),
                            Figure::Text(if s.station.is_empty() {
                                "（未填服务站）".into()
                            } else {
                                s.station.clone()
                            }),
                            Figure::Count(s.services),
                            Figure::Hours(s.minutes),
                        ]
                    })
                    .collect(),
            },
        ];
        let bytes = crate::tabular::figures_xlsx(&sheets)?;
        self.db
            .audit_event(
                report.org.id,
                &actor.author(),
                "export",
                "service",
                &format!("导出志愿服务统计 {} {year}", report.org.name),
            )
            .await?;
        Ok((bytes, format!("{}志愿服务统计{year}.xlsx", report.org.name)))
    }

    /// A 志愿服务记录证明: the member's confirmed service in a year as the posting units
    /// confirmed it, issued free (志愿服务条例 Art19, DOMAIN.md §10.5). Only confirmed service
    /// is certified. Returns the year and who issues it (the member's tree).
    pub async fn service_certificate(
        &self,
        actor: &Actor,
        member_id: i64,
        year: i32,
    ) -> Result<(MemberServiceYear, String)> {
        let mut v = self.member_service_year(actor, member_id, year).await?;
        v.orders.retain(|o| o.state == ClaimState::Confirmed.code());
        let root = self.actor_root(actor).await?;
        let issuer = self
            .db
            .org_get(Scope::Subtree(root), root)
            .await
            .map(|o| o.name)
            .unwrap_or_default();
        Ok((v, issuer))
    }
}
