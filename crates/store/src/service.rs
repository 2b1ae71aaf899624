//! 一呼百应 (DOMAIN.md §10): registrations (报到) with the community where a member lives, the
//! needs communities and units post, members' claims on them with the hours the posting unit
//! confirms, and 微心愿. Every write moves the figures it changes (`domain::rollups`) in its own
//! transaction. The rules (who must report, claim checks, rounding) are `domain::service`; the
//! app decides who may do what before it calls here.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use domain::dues_ledger::Month;
use domain::rollups::{
    ClaimFigures, Contribution, NeedFigures, RegistrationFigures, WishFigures, claim_contributions,
    difference, need_contributions, registration_contributions, wish_contributions,
};
use serde::Serialize;

use crate::{
    Author, BeginWrite, Db, Param, Result, Scope, StoreError, bind_params, now, on_db, write_audit,
};

/// What "reported this period" is judged against when a registration's figures are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportingContext {
    pub today: NaiveDate,
    pub every_months: u32,
}

impl ReportingContext {
    fn reported_this_period(&self, last_report: Option<NaiveDate>) -> bool {
        let period = domain::service::report_period(self.today, self.every_months);
        last_report.is_some_and(|d| d >= period.from && d <= period.until)
    }
}

// ---------------------------------------------------------------------------
// Rows

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Registration {
    pub id: i64,
    pub root_org_id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub branch_id: i64,
    pub branch_name: String,
    pub community_id: i64,
    pub community_name: String,
    pub grid_id: Option<i64>,
    pub grid_name: Option<String>,
    pub skills: String,
    pub availability: String,
    pub phone: String,
    /// `pending`, `confirmed` or `ended`.
    pub state: String,
    pub registered_on: NaiveDate,
    pub confirmed_on: Option<NaiveDate>,
    pub confirmed_by: Option<String>,
    pub ended_on: Option<NaiveDate>,
    pub last_reported_on: Option<NaiveDate>,
}

pub(crate) const REGISTRATION_SELECT: &str = "SELECT r.id, r.root_org_id, r.member_id, m.name AS member_name, r.branch_id, \
     b.name AS branch_name, r.community_id, c.name AS community_name, r.grid_id, t.name AS grid_name, r.skills, \
     r.availability, r.phone, r.state, r.registered_on, r.confirmed_on, r.confirmed_by, r.ended_on, \
     (SELECT MAX(p.reported_on) FROM service_reports p WHERE p.registration_id = r.id) AS last_reported_on \
     FROM service_registrations r JOIN members m ON m.id = r.member_id JOIN orgs b ON b.id = r.branch_id \
     JOIN orgs c ON c.id = r.community_id LEFT JOIN territories t ON t.id = r.grid_id";

/// A registration to record, as the member gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRegistration {
    pub member_id: i64,
    pub branch_id: i64,
    pub community_id: i64,
    pub grid_id: Option<i64>,
    pub skills: String,
    pub availability: String,
    pub phone: String,
    pub registered_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Feedback {
    pub registration_id: i64,
    pub quarter: String,
    pub rating: String,
    pub comment: String,
    pub given_by: String,
    pub given_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Need {
    pub id: i64,
    pub root_org_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub community_id: i64,
    pub community_name: String,
    pub poster_unit: String,
    pub title: String,
    pub detail: String,
    pub place: String,
    pub station: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub people_needed: i64,
    pub skills: String,
    pub call_id: Option<i64>,
    /// `open`, `closed` or `cancelled`.
    pub state: String,
    pub claims_active: i64,
    pub first_claimed_at: Option<DateTime<Utc>>,
    pub fulfilled_at: Option<DateTime<Utc>>,
    pub posted_by: String,
    pub posted_at: DateTime<Utc>,
}

const NEED_SELECT: &str = "SELECT n.id, n.root_org_id, n.org_id, o.name AS org_name, n.community_id, \
     c.name AS community_name, n.poster_unit, n.title, n.detail, n.place, n.station, n.starts_at, n.ends_at, \
     n.people_needed, n.skills, n.call_id, n.state, n.claims_active, n.first_claimed_at, n.fulfilled_at, \
     n.posted_by, n.posted_at FROM service_needs n JOIN orgs o ON o.id = n.org_id JOIN orgs c ON c.id = n.community_id";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNeed {
    pub root_org_id: i64,
    pub org_id: i64,
    pub community_id: i64,
    pub poster_unit: String,
    pub title: String,
    pub detail: String,
    pub place: String,
    pub station: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub people_needed: i64,
    pub skills: String,
    pub call_id: Option<i64>,
}

/// Which needs a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NeedFilter {
    /// Needs posted by or held in orgs of this subtree; `None` for every need of the tree.
    pub within: Option<i64>,
    /// A community whose needs are listed beside `within`'s (the one a member registered
    /// with, which may lie in another street than their unit).
    pub also_community: Option<i64>,
    /// Only needs still open to claims and not yet over at this time.
    pub open_at: Option<NaiveDateTime>,
    /// Listed first (a member's own community).
    pub community_first: Option<i64>,
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Claim {
    pub id: i64,
    pub root_org_id: i64,
    pub need_id: i64,
    pub need_title: String,
    pub need_place: String,
    pub need_station: String,
    pub need_org_id: i64,
    pub need_org_name: String,
    pub community_id: i64,
    pub community_name: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub member_id: i64,
    pub member_name: String,
    pub branch_id: i64,
    pub state: String,
    pub claimed_at: DateTime<Utc>,
    pub checked_in_at: Option<NaiveDateTime>,
    pub checked_out_at: Option<NaiveDateTime>,
    pub travel_minutes: i64,
    pub proposed_minutes: Option<i64>,
    pub confirmed_minutes: Option<i64>,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub service_year: i64,
}

const CLAIM_SELECT: &str = "SELECT k.id, k.root_org_id, k.need_id, n.title AS need_title, n.place AS need_place, \
     n.station AS need_station, n.org_id AS need_org_id, o.name AS need_org_name, n.community_id, \
     c.name AS community_name, n.starts_at, n.ends_at, k.member_id, m.name AS member_name, k.branch_id, k.state, \
     k.claimed_at, k.checked_in_at, k.checked_out_at, k.travel_minutes, k.proposed_minutes, k.confirmed_minutes, \
     k.confirmed_by, k.confirmed_at, k.service_year FROM service_claims k JOIN service_needs n ON n.id = k.need_id \
     JOIN orgs o ON o.id = n.org_id JOIN orgs c ON c.id = n.community_id JOIN members m ON m.id = k.member_id";

/// A claim's next state and what comes with it. Fields left `None` keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimChange {
    pub state: String,
    pub checked_in_at: Option<NaiveDateTime>,
    pub checked_out_at: Option<NaiveDateTime>,
    pub travel_minutes: Option<i64>,
    pub proposed_minutes: Option<i64>,
    pub confirmed_minutes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Wish {
    pub id: i64,
    pub root_org_id: i64,
    pub community_id: i64,
    pub community_name: String,
    pub title: String,
    pub story: String,
    pub wisher: String,
    /// Shown only to the member who claimed it and to the community.
    pub contact: String,
    /// `posted`, `claimed`, `contacted`, `fulfilled` or `withdrawn`.
    pub state: String,
    pub posted_on: NaiveDate,
    pub claimed_by: Option<i64>,
    pub claimer_name: Option<String>,
    pub claimed_on: Option<NaiveDate>,
    pub contacted_on: Option<NaiveDate>,
    pub contact_note: Option<String>,
    pub fulfilled_on: Option<NaiveDate>,
    pub lapses: i64,
}

const WISH_SELECT: &str = "SELECT w.id, w.root_org_id, w.community_id, c.name AS community_name, w.title, w.story, \
     w.wisher, w.contact, w.state, w.posted_on, w.claimed_by, m.name AS claimer_name, w.claimed_on, w.contacted_on, \
     w.contact_note, w.fulfilled_on, w.lapses FROM service_wishes w JOIN orgs c ON c.id = w.community_id \
     LEFT JOIN members m ON m.id = w.claimed_by";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWish {
    pub root_org_id: i64,
    pub community_id: i64,
    pub title: String,
    pub story: String,
    pub wisher: String,
    pub contact: String,
    pub posted_on: NaiveDate,
}

/// One step of a wish: from which state to which, by which member (none for the community or
/// the system), on which day, with what note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WishStep<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub member: Option<i64>,
    pub day: NaiveDate,
    pub note: Option<&'a str>,
}

/// Hours per volunteer station (a need's `station`), for a subtree and year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StationHours {
    pub community_id: i64,
    pub community_name: String,
    pub station: String,
    pub services: i64,
    pub minutes: i64,
}

/// A member's live registration follows their 组织关系 (DOMAIN.md §10.2: the unit is the branch
/// that holds it): moved to the branch that receives them, so that the unit's figures and its
/// list agree, and ended on the day they leave the roll. On the member effect's transaction,
/// with the figures moved from the row as it was.
#[macro_export]
macro_rules! service_registration_follows_member {
    ($tx:expr, $root:expr, $member:expr, $moved_to:expr, $left_on:expr) => {{
        let moved_to: Option<i64> = $moved_to;
        let left_on: Option<chrono::NaiveDate> = $left_on;
        let live: Option<$crate::service::Registration> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{} WHERE r.member_id = $1 AND r.state <> 'ended'",
            $crate::service::REGISTRATION_SELECT
        )))
        .bind($member)
        .fetch_optional(&mut *$tx)
        .await?;
        if let Some(before) = live {
            match (moved_to, left_on) {
                (Some(branch), _) => {
                    sqlx::query("UPDATE service_registrations SET branch_id = $2 WHERE id = $1")
                        .bind(before.id)
                        .bind(branch)
                        .execute(&mut *$tx)
                        .await?;
                }
                (None, Some(on)) => {
                    sqlx::query("UPDATE service_registrations SET state = 'ended', ended_on = $2 WHERE id = $1")
                        .bind(before.id)
                        .bind(on)
                        .execute(&mut *$tx)
                        .await?;
                }
                (None, None) => {}
            }
            let rules: Option<(String,)> =
                sqlx::query_as("SELECT body FROM service_rules WHERE root_org_id = $1")
                    .bind($root)
                    .fetch_optional(&mut *$tx)
                    .await?;
            let rules: domain::service::ServiceRules = rules
                .and_then(|(body,)| serde_json::from_str(&body).ok())
                .unwrap_or_default();
            let ctx = $crate::service::ReportingContext {
                today: $crate::today(),
                every_months: rules.report_every_months,
            };
            let after: $crate::service::Registration = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{} WHERE r.id = $1",
                $crate::service::REGISTRATION_SELECT
            )))
            .bind(before.id)
            .fetch_one(&mut *$tx)
            .await?;
            let change = domain::rollups::difference(
                &$crate::service::registration_figures(&before, &ctx),
                &$crate::service::registration_figures(&after, &ctx),
            );
            $crate::apply_rollups!($tx, $root, &change);
        }
    }};
}

// ---------------------------------------------------------------------------
// Figures of one row

pub(crate) fn registration_figures(r: &Registration, ctx: &ReportingContext) -> Vec<Contribution> {
    registration_contributions(&RegistrationFigures {
        community_id: r.community_id,
        branch_id: r.branch_id,
        live: r.state == "confirmed",
        reported_this_period: ctx.reported_this_period(r.last_reported_on),
    })
}

fn need_figures(n: &Need) -> Vec<Contribution> {
    let posted = (n.posted_at + chrono::Duration::hours(8)).date_naive();
    need_contributions(&NeedFigures {
        community_id: n.community_id,
        posted: Month::of(posted),
        cancelled: n.state == "cancelled",
        claimed: n.first_claimed_at.is_some(),
        hours_to_fulfil: n
            .fulfilled_at
            .map(|f| domain::service::hours_to_fulfil(n.posted_at.naive_utc(), f.naive_utc())),
    })
}

fn claim_figures(k: &Claim) -> Vec<Contribution> {
    claim_contributions(&ClaimFigures {
        community_id: k.community_id,
        branch_id: k.branch_id,
        year: k.service_year as i32,
        confirmed_minutes: if k.state == "confirmed" {
            k.confirmed_minutes
        } else {
            None
        },
    })
}

fn wish_figures(w: &Wish) -> Vec<Contribution> {
    wish_contributions(&WishFigures {
        community_id: w.community_id,
        posted: Month::of(w.posted_on),
        withdrawn: w.state == "withdrawn",
        fulfilled: w.state == "fulfilled",
    })
}

/// Every service figure of a tree, recounted from its rows (`dangjian rollups verify`).
pub struct ServiceFacts {
    pub contributions: Vec<Contribution>,
    pub rows: usize,
}

impl Db {
    // -----------------------------------------------------------------------
    // Rules

    /// The tree's saved rules (`domain::service::ServiceRules` as JSON), if any.
    pub async fn service_rules_get(&self, root: i64) -> Result<Option<String>> {
        let row: Option<(String,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT body FROM service_rules WHERE root_org_id = $1")
                .bind(root)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(b,)| b))
    }

    /// Saves the tree's rules. The caller takes the registration figures afresh when the
    /// reporting period changed.
    pub async fn service_rules_save(&self, root: i64, body: &str, author: &Author) -> Result<()> {
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO service_rules (root_org_id, body, saved_by, saved_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (root_org_id) DO UPDATE SET body = excluded.body, saved_by = excluded.saved_by, saved_at = excluded.saved_at",
            )
            .bind(root)
            .bind(body)
            .bind(&author.name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            write_audit!(&mut *tx, root, author, "update", "service_rules", Some(root), "修改志愿服务规则".to_string(), body.to_string())?;
            tx.commit().await?;
        });
        Ok(())
    }

    // -----------------------------------------------------------------------
    // Registrations

    async fn registration_by_id(&self, id: i64) -> Result<Registration> {
        on_db!(self, pool => {
            sqlx::query_as::<_, Registration>(sqlx::AssertSqlSafe(format!("{REGISTRATION_SELECT} WHERE r.id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)
        })
    }

    /// A registration the actor may read: their own, one with a community in their subtree, or
    /// one of a member of their subtree.
    pub async fn service_registration_get(&self, scope: Scope, id: i64) -> Result<Registration> {
        let r = self.registration_by_id(id).await?;
        let visible = match scope {
            Scope::SelfOnly(member) => r.member_id == member,
            Scope::Subtree(org) => {
                self.org_in_subtree(org, r.community_id).await?
                    || self.member_in_subtree(org, r.member_id).await?
            }
            Scope::Nothing => false,
        };
        if visible {
            Ok(r)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// True when `org` lies at or below `ancestor`.
    pub async fn org_in_subtree(&self, ancestor: i64, org: i64) -> Result<bool> {
        let row: Option<(i64,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT descendant_id FROM org_closure WHERE ancestor_id = $1 AND descendant_id = $2")
                .bind(ancestor)
                .bind(org)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.is_some())
    }

    async fn member_in_subtree(&self, ancestor: i64, member: i64) -> Result<bool> {
        let row: Option<(i64,)> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT m.id FROM members m JOIN org_closure oc ON oc.descendant_id = m.branch_id \
                 WHERE m.id = $2 AND oc.ancestor_id = $1",
            )
            .bind(ancestor)
            .bind(member)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.is_some())
    }

    /// The member's registration that has not ended, if any.
    pub async fn service_registration_of_member(
        &self,
        member_id: i64,
    ) -> Result<Option<Registration>> {
        let row = on_db!(self, pool => {
            sqlx::query_as::<_, Registration>(sqlx::AssertSqlSafe(format!(
                "{REGISTRATION_SELECT} WHERE r.member_id = $1 AND r.state <> 'ended'"
            )))
            .bind(member_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }

    /// Registrations with a community in `org`'s subtree (`by_community`), or of members whose
    /// branch is in it (what a unit sees), newest first. `state` narrows to one state.
    pub async fn service_registrations(
        &self,
        org: i64,
        by_community: bool,
        state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Registration>> {
        let mut params = vec![Param::I64(org)];
        let mut sql = if by_community {
            format!(
                "{REGISTRATION_SELECT} WHERE r.community_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)"
            )
        } else {
            format!(
                "{REGISTRATION_SELECT} WHERE m.branch_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1)"
            )
        };
        if let Some(state) = state {
            params.push(Param::Text(state.into()));
            sql.push_str(&format!(" AND r.state = ${}", params.len()));
        } else {
            sql.push_str(" AND r.state <> 'ended'");
        }
        params.push(Param::I64(limit));
        sql.push_str(&format!(
            " ORDER BY r.registered_on DESC, r.id DESC LIMIT ${}",
            params.len()
        ));
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Registration>(sqlx::AssertSqlSafe(sql)), &params)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Records a member's registration, pending the community's confirmation. A member has one
    /// live registration at a time.
    pub async fn service_registration_create(
        &self,
        new: &NewRegistration,
        author: &Author,
    ) -> Result<Registration> {
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let inserted: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
                "INSERT INTO service_registrations (root_org_id, member_id, branch_id, community_id, grid_id, skills, \
                 availability, phone, state, registered_on, created_at) \
                 SELECT m.root_org_id, m.id, $2, $3, $4, $5, $6, $7, 'pending', $8, $9 FROM members m WHERE m.id = $1 RETURNING id",
            )
            .bind(new.member_id)
            .bind(new.branch_id)
            .bind(new.community_id)
            .bind(new.grid_id)
            .bind(&new.skills)
            .bind(&new.availability)
            .bind(&new.phone)
            .bind(new.registered_on)
            .bind(now())
            .fetch_one(&mut *tx)
            .await;
            let (id,) = match inserted {
                Ok(row) => row,
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(StoreError::Conflict("您已在一个社区报到，请先退出原报到再重新报到".into()));
                }
                Err(e) => return Err(e.into()),
            };
            write_audit!(&mut *tx, new.community_id, author, "create", "service_registration", Some(id),
                "到社区报到".to_string(), String::new())?;
            tx.commit().await?;
            id
        });
        self.registration_by_id(id).await
    }

    /// Moves a registration from `from` to `to` (`confirmed` by the community, `ended` by the
    /// member or the community), moving its figures. A confirmation records the first report
    /// on the day of registration.
    pub async fn service_registration_set_state(
        &self,
        id: i64,
        from: &str,
        to: &str,
        day: NaiveDate,
        ctx: &ReportingContext,
        author: &Author,
    ) -> Result<Registration> {
        self.registration_by_id(id).await?;
        let lock = self.for_update();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Held, and read again, inside the transaction: the figures move from the row as
            // this writer finds it, not as it was before a concurrent write (a report, a step).
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id FROM service_registrations WHERE id = $1{lock}")))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let before = sqlx::query_as::<_, Registration>(sqlx::AssertSqlSafe(format!("{REGISTRATION_SELECT} WHERE r.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let updated = sqlx::query(
                "UPDATE service_registrations SET state = $3, \
                 confirmed_on = CASE WHEN $3 = 'confirmed' THEN $4 ELSE confirmed_on END, \
                 confirmed_by = CASE WHEN $3 = 'confirmed' THEN $5 ELSE confirmed_by END, \
                 ended_on = CASE WHEN $3 = 'ended' THEN $4 ELSE ended_on END \
                 WHERE id = $1 AND state = $2",
            )
            .bind(id)
            .bind(from)
            .bind(to)
            .bind(day)
            .bind(&author.name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Conflict("该报到刚被他人处理过，请刷新后重试".into()));
            }
            if to == "confirmed" {
                sqlx::query(
                    "INSERT INTO service_reports (registration_id, reported_on, note, recorded_by, recorded_at, root_org_id) \
                     SELECT $1, $2, '首次报到', $3, $4, r.root_org_id FROM service_registrations r WHERE r.id = $1 \
                     ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(before.registered_on)
                .bind(&author.name)
                .bind(now())
                .execute(&mut *tx)
                .await?;
            }
            let after = sqlx::query_as::<_, Registration>(sqlx::AssertSqlSafe(format!("{REGISTRATION_SELECT} WHERE r.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let change = difference(&registration_figures(&before, ctx), &registration_figures(&after, ctx));
            crate::apply_rollups!(tx, before.root_org_id, &change);
            let summary = if to == "confirmed" { "确认报到" } else { "结束报到" };
            write_audit!(&mut *tx, before.community_id, author, "update", "service_registration", Some(id),
                format!("{summary}：{}", before.member_name), serde_json::json!({"state": [from, to]}).to_string())?;
            tx.commit().await?;
        });
        self.registration_by_id(id).await
    }

    /// Records a periodic report (报到) on `day`; once per day.
    pub async fn service_report_add(
        &self,
        id: i64,
        day: NaiveDate,
        note: &str,
        ctx: &ReportingContext,
        author: &Author,
    ) -> Result<Registration> {
        let before = self.registration_by_id(id).await?;
        if before.state != "confirmed" {
            return Err(StoreError::Invalid("社区确认报到后才能登记定期报到".into()));
        }
        let lock = self.for_update();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Held, and read again, inside the transaction: the figures move from the row as
            // this writer finds it, not as it was before a concurrent write (a report, a step).
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id FROM service_registrations WHERE id = $1{lock}")))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let before = sqlx::query_as::<_, Registration>(sqlx::AssertSqlSafe(format!("{REGISTRATION_SELECT} WHERE r.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let inserted = sqlx::query(
                "INSERT INTO service_reports (registration_id, reported_on, note, recorded_by, recorded_at, root_org_id) \
                 SELECT $1, $2, $3, $4, $5, r.root_org_id FROM service_registrations r WHERE r.id = $1 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(day)
            .bind(note)
            .bind(&author.name)
            .bind(now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                return Err(StoreError::Conflict("今天已经登记过报到".into()));
            }
            let after = sqlx::query_as::<_, Registration>(sqlx::AssertSqlSafe(format!("{REGISTRATION_SELECT} WHERE r.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let change = difference(&registration_figures(&before, ctx), &registration_figures(&after, ctx));
            crate::apply_rollups!(tx, before.root_org_id, &change);
            write_audit!(&mut *tx, before.community_id, author, "create", "service_report", Some(id),
                format!("定期报到：{} {day}", before.member_name), String::new())?;
            tx.commit().await?;
        });
        self.registration_by_id(id).await
    }

    /// The report days of some registrations, oldest first.
    pub async fn service_reports_of(&self, ids: &[i64]) -> Result<Vec<(i64, NaiveDate)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT registration_id, reported_on FROM service_reports WHERE registration_id IN ({}) ORDER BY reported_on",
                marks.join(", ")
            );
            let params: Vec<Param> = chunk.iter().map(|i| Param::I64(*i)).collect();
            let rows: Vec<(i64, NaiveDate)> = on_db!(self, pool => {
                bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &params).fetch_all(pool).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// The community's word on a registered member for a quarter (`2026-Q4`); a second word
    /// for the same quarter replaces the first.
    pub async fn service_feedback_give(
        &self,
        id: i64,
        quarter: &str,
        rating: &str,
        comment: &str,
        author: &Author,
    ) -> Result<()> {
        let r = self.registration_by_id(id).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO service_feedback (registration_id, quarter, rating, comment, given_by, given_at, root_org_id) \
                 SELECT $1, $2, $3, $4, $5, $6, r.root_org_id FROM service_registrations r WHERE r.id = $1 \
                 ON CONFLICT (registration_id, quarter) DO UPDATE SET \
                 rating = excluded.rating, comment = excluded.comment, given_by = excluded.given_by, given_at = excluded.given_at",
            )
            .bind(id)
            .bind(quarter)
            .bind(rating)
            .bind(comment)
            .bind(&author.name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
            write_audit!(&mut *tx, r.community_id, author, "update", "service_feedback", Some(id),
                format!("{quarter} 报到反馈：{}（{rating}）", r.member_name), String::new())?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The feedback given on some registrations, newest quarter first.
    pub async fn service_feedback_of(&self, ids: &[i64]) -> Result<Vec<Feedback>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT registration_id, quarter, rating, comment, given_by, given_at FROM service_feedback \
                 WHERE registration_id IN ({}) ORDER BY quarter DESC",
                marks.join(", ")
            );
            let params: Vec<Param> = chunk.iter().map(|i| Param::I64(*i)).collect();
            let rows: Vec<Feedback> = on_db!(self, pool => {
                bind_params!(sqlx::query_as::<_, Feedback>(sqlx::AssertSqlSafe(sql)), &params).fetch_all(pool).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    // -----------------------------------------------------------------------
    // Needs

    async fn need_by_id(&self, id: i64) -> Result<Need> {
        on_db!(self, pool => {
            sqlx::query_as::<_, Need>(sqlx::AssertSqlSafe(format!("{NEED_SELECT} WHERE n.id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)
        })
    }

    /// A need of the actor's tree. Needs are public offers within the tree: a member of it may
    /// read any; staff read those posted or held in their subtree.
    pub async fn service_need_get(&self, scope: Scope, root: i64, id: i64) -> Result<Need> {
        let need = self.need_by_id(id).await?;
        let visible = need.root_org_id == root
            && match scope {
                Scope::SelfOnly(_) => true,
                Scope::Subtree(org) => {
                    self.org_in_subtree(org, need.org_id).await?
                        || self.org_in_subtree(org, need.community_id).await?
                }
                Scope::Nothing => false,
            };
        if visible {
            Ok(need)
        } else {
            Err(StoreError::NotFound)
        }
    }

    pub async fn service_need_create(&self, new: &NewNeed, author: &Author) -> Result<Need> {
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO service_needs (root_org_id, org_id, community_id, poster_unit, title, detail, place, station, \
                 starts_at, ends_at, people_needed, skills, call_id, state, posted_by, posted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', $14, $15) RETURNING id",
            )
            .bind(new.root_org_id)
            .bind(new.org_id)
            .bind(new.community_id)
            .bind(&new.poster_unit)
            .bind(&new.title)
            .bind(&new.detail)
            .bind(&new.place)
            .bind(&new.station)
            .bind(new.starts_at)
            .bind(new.ends_at)
            .bind(new.people_needed)
            .bind(&new.skills)
            .bind(new.call_id)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            let need = sqlx::query_as::<_, Need>(sqlx::AssertSqlSafe(format!("{NEED_SELECT} WHERE n.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            crate::apply_rollups!(tx, new.root_org_id, &need_figures(&need));
            write_audit!(&mut *tx, new.org_id, author, "create", "service_need", Some(id),
                format!("发布服务需求「{}」", new.title), String::new())?;
            tx.commit().await?;
            id
        });
        self.need_by_id(id).await
    }

    /// Stops a need taking claims: `closed` keeps it and its claims; `cancelled` withdraws it
    /// and is refused once anyone has claimed it.
    pub async fn service_need_close(&self, id: i64, to: &str, author: &Author) -> Result<Need> {
        self.need_by_id(id).await?;
        let lock = self.for_update();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Held, and read again, inside the transaction: the figures move from the need as
            // this writer finds it, not as it was before a concurrent claim or confirmation.
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id FROM service_needs WHERE id = $1{lock}")))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let before = sqlx::query_as::<_, Need>(sqlx::AssertSqlSafe(format!("{NEED_SELECT} WHERE n.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let guard = if to == "cancelled" { " AND first_claimed_at IS NULL" } else { "" };
            let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE service_needs SET state = $2 WHERE id = $1 AND state = 'open'{guard}"
            )))
            .bind(id)
            .bind(to)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Conflict(if to == "cancelled" {
                    "已有党员认领的需求不能撤销，可以截止认领".into()
                } else {
                    "该需求已截止或撤销".into()
                }));
            }
            let after = sqlx::query_as::<_, Need>(sqlx::AssertSqlSafe(format!("{NEED_SELECT} WHERE n.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let change = difference(&need_figures(&before), &need_figures(&after));
            crate::apply_rollups!(tx, before.root_org_id, &change);
            write_audit!(&mut *tx, before.org_id, author, "update", "service_need", Some(id),
                format!("{}服务需求「{}」", if to == "cancelled" { "撤销" } else { "截止认领" }, before.title),
                serde_json::json!({"state": [before.state, to]}).to_string())?;
            tx.commit().await?;
        });
        self.need_by_id(id).await
    }

    /// Needs of a tree, soonest first (a member's own community before the rest).
    pub async fn service_needs(&self, root: i64, filter: &NeedFilter) -> Result<Vec<Need>> {
        let mut params = vec![Param::I64(root)];
        let mut sql = format!("{NEED_SELECT} WHERE n.root_org_id = $1");
        if let Some(org) = filter.within {
            params.push(Param::I64(org));
            let p = params.len();
            params.push(Param::I64(filter.also_community.unwrap_or(-1)));
            let also = params.len();
            sql.push_str(&format!(
                " AND (n.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ${p}) \
                 OR n.community_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ${p}) \
                 OR n.community_id = ${also})"
            ));
        }
        let mut order = String::from(" ORDER BY ");
        if let Some(at) = filter.open_at {
            sql.push_str(" AND n.state = 'open'");
            params.push(Param::Moment(at));
            sql.push_str(&format!(" AND n.ends_at > ${}", params.len()));
        }
        if let Some(community) = filter.community_first {
            params.push(Param::I64(community));
            order.push_str(&format!(
                "CASE WHEN n.community_id = ${} THEN 0 ELSE 1 END, ",
                params.len()
            ));
        }
        order.push_str("n.starts_at, n.id");
        if filter.open_at.is_none() {
            order = " ORDER BY n.starts_at DESC, n.id DESC".into();
        }
        sql.push_str(&order);
        params.push(Param::I64(filter.limit.max(1)));
        sql.push_str(&format!(" LIMIT ${}", params.len()));
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Need>(sqlx::AssertSqlSafe(sql)), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// The needs raised from a resident's call.
    pub async fn service_needs_of_call(&self, call_id: i64) -> Result<Vec<Need>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, Need>(sqlx::AssertSqlSafe(format!("{NEED_SELECT} WHERE n.call_id = $1 ORDER BY n.id")))
                .bind(call_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    // -----------------------------------------------------------------------
    // Claims

    async fn claim_by_id(&self, id: i64) -> Result<Claim> {
        on_db!(self, pool => {
            sqlx::query_as::<_, Claim>(sqlx::AssertSqlSafe(format!("{CLAIM_SELECT} WHERE k.id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)
        })
    }

    /// A claim the actor may read: their own, or one on a need posted or held in their
    /// subtree. A member never reads another member's claim.
    pub async fn service_claim_get(&self, scope: Scope, id: i64) -> Result<Claim> {
        let claim = self.claim_by_id(id).await?;
        let visible = match scope {
            Scope::SelfOnly(member) => claim.member_id == member,
            Scope::Subtree(org) => {
                self.org_in_subtree(org, claim.need_org_id).await?
                    || self.org_in_subtree(org, claim.community_id).await?
            }
            Scope::Nothing => false,
        };
        if visible {
            Ok(claim)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Claims a place on a need. Whether the need still has one, and whether the member is
    /// under `cap` open claims, is decided again inside the transaction, so two members taking
    /// the last place at once cannot both have it.
    pub async fn service_claim_create(
        &self,
        need_id: i64,
        member_id: i64,
        branch_id: i64,
        cap: i64,
        author: &Author,
    ) -> Result<Claim> {
        self.need_by_id(need_id).await?;
        let lock = self.for_update();
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Held, and read again, inside the transaction: the figures move from the need as
            // this writer finds it, not as it was before a concurrent claim or confirmation.
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id FROM service_needs WHERE id = $1{lock}")))
                .bind(need_id)
                .execute(&mut *tx)
                .await?;
            let before = sqlx::query_as::<_, Need>(sqlx::AssertSqlSafe(format!("{NEED_SELECT} WHERE n.id = $1")))
                .bind(need_id)
                .fetch_one(&mut *tx)
                .await?;
            // The member's row too, so that two claims of theirs at once count each other.
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id FROM members WHERE id = $1{lock}")))
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            let (open,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM service_claims WHERE member_id = $1 AND state = 'claimed'")
                .bind(member_id)
                .fetch_one(&mut *tx)
                .await?;
            if open >= cap {
                return Err(StoreError::Conflict(format!("您已有 {open} 项认领尚未完成，最多同时认领 {cap} 项")));
            }
            let at = now();
            let taken = sqlx::query(
                "UPDATE service_needs SET claims_active = claims_active + 1, first_claimed_at = COALESCE(first_claimed_at, $2) \
                 WHERE id = $1 AND state = 'open' AND claims_active < people_needed",
            )
            .bind(need_id)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if taken != 1 {
                return Err(StoreError::Conflict("该需求人数已满或已截止".into()));
            }
            let inserted: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
                "INSERT INTO service_claims (root_org_id, need_id, member_id, branch_id, state, claimed_at, service_year) \
                 VALUES ($1, $2, $3, $4, 'claimed', $5, $6) RETURNING id",
            )
            .bind(before.root_org_id)
            .bind(need_id)
            .bind(member_id)
            .bind(branch_id)
            .bind(at)
            .bind(i64::from(chrono::Datelike::year(&before.starts_at)))
            .fetch_one(&mut *tx)
            .await;
            let (id,) = match inserted {
                Ok(row) => row,
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    return Err(StoreError::Conflict("您已认领过该需求".into()));
                }
                Err(e) => return Err(e.into()),
            };
            let after = sqlx::query_as::<_, Need>(sqlx::AssertSqlSafe(format!("{NEED_SELECT} WHERE n.id = $1")))
                .bind(need_id)
                .fetch_one(&mut *tx)
                .await?;
            let change = difference(&need_figures(&before), &need_figures(&after));
            crate::apply_rollups!(tx, before.root_org_id, &change);
            write_audit!(&mut *tx, before.org_id, author, "create", "service_claim", Some(id),
                format!("认领服务需求「{}」", before.title), String::new())?;
            tx.commit().await?;
            id
        });
        self.claim_by_id(id).await
    }

    /// Applies a claim's next state if it is still in `from` (two taps at once do it once). A
    /// withdrawal frees its place on the need; a confirmation marks the need fulfilled (the
    /// first time) and moves the hours into the figures.
    pub async fn service_claim_transition(
        &self,
        id: i64,
        from: &str,
        change: &ClaimChange,
        author: &Author,
    ) -> Result<Claim> {
        let need_id = self.claim_by_id(id).await?.need_id;
        let lock = self.for_update();
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Held, and read again, inside the transaction: the figures move from the need as
            // this writer finds it, not as it was before a concurrent claim or confirmation.
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id FROM service_needs WHERE id = $1{lock}")))
                .bind(need_id)
                .execute(&mut *tx)
                .await?;
            let need_before = sqlx::query_as::<_, Need>(sqlx::AssertSqlSafe(format!("{NEED_SELECT} WHERE n.id = $1")))
                .bind(need_id)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id FROM service_claims WHERE id = $1{lock}")))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let before = sqlx::query_as::<_, Claim>(sqlx::AssertSqlSafe(format!("{CLAIM_SELECT} WHERE k.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let at = now();
            let confirming = change.state == "confirmed";
            let updated = sqlx::query(
                "UPDATE service_claims SET state = $3, checked_in_at = COALESCE($4, checked_in_at), \
                 checked_out_at = COALESCE($5, checked_out_at), travel_minutes = COALESCE($6, travel_minutes), \
                 proposed_minutes = COALESCE($7, proposed_minutes), confirmed_minutes = COALESCE($8, confirmed_minutes), \
                 confirmed_by = CASE WHEN $9 THEN $10 ELSE confirmed_by END, \
                 confirmed_at = CASE WHEN $9 THEN $11 ELSE confirmed_at END, \
                 ended_at = CASE WHEN $3 = 'withdrawn' THEN $11 ELSE ended_at END \
                 WHERE id = $1 AND state = $2",
            )
            .bind(id)
            .bind(from)
            .bind(&change.state)
            .bind(change.checked_in_at)
            .bind(change.checked_out_at)
            .bind(change.travel_minutes)
            .bind(change.proposed_minutes)
            .bind(change.confirmed_minutes)
            .bind(confirming)
            .bind(&author.name)
            .bind(at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Conflict("该认领刚被处理过，请刷新后重试".into()));
            }
            if change.state == "withdrawn" {
                sqlx::query("UPDATE service_needs SET claims_active = claims_active - 1 WHERE id = $1")
                    .bind(before.need_id)
                    .execute(&mut *tx)
                    .await?;
            }
            if confirming {
                sqlx::query("UPDATE service_needs SET fulfilled_at = COALESCE(fulfilled_at, $2) WHERE id = $1")
                    .bind(before.need_id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
            }
            let after = sqlx::query_as::<_, Claim>(sqlx::AssertSqlSafe(format!("{CLAIM_SELECT} WHERE k.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let need_after = sqlx::query_as::<_, Need>(sqlx::AssertSqlSafe(format!("{NEED_SELECT} WHERE n.id = $1")))
                .bind(before.need_id)
                .fetch_one(&mut *tx)
                .await?;
            let mut was = claim_figures(&before);
            was.extend(need_figures(&need_before));
            let mut now_is = claim_figures(&after);
            now_is.extend(need_figures(&need_after));
            crate::apply_rollups!(tx, before.root_org_id, &difference(&was, &now_is));
            let summary = match change.state.as_str() {
                "withdrawn" => format!("退出认领「{}」", before.need_title),
                "confirmed" => format!(
                    "确认服务时长「{}」{}：{} 分钟",
                    before.need_title,
                    before.member_name,
                    change.confirmed_minutes.unwrap_or(0)
                ),
                "done" => format!("签退「{}」", before.need_title),
                _ => format!("签到「{}」", before.need_title),
            };
            write_audit!(&mut *tx, before.need_org_id, author, "update", "service_claim", Some(id), summary,
                serde_json::json!({"state": [from, change.state]}).to_string())?;
            tx.commit().await?;
        });
        self.claim_by_id(id).await
    }

    /// A member's claims, newest service first; `year` narrows to one year.
    pub async fn service_claims_of_member(
        &self,
        member_id: i64,
        year: Option<i32>,
    ) -> Result<Vec<Claim>> {
        let mut params = vec![Param::I64(member_id)];
        let mut sql = format!("{CLAIM_SELECT} WHERE k.member_id = $1");
        if let Some(year) = year {
            params.push(Param::I64(year.into()));
            sql.push_str(" AND k.service_year = $2");
        }
        sql.push_str(" ORDER BY n.starts_at DESC, k.id DESC");
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Claim>(sqlx::AssertSqlSafe(sql)), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// The claims on one need, in the order they were made.
    pub async fn service_claims_of_need(&self, need_id: i64) -> Result<Vec<Claim>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, Claim>(sqlx::AssertSqlSafe(format!("{CLAIM_SELECT} WHERE k.need_id = $1 ORDER BY k.id")))
                .bind(need_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Claims done and waiting for the posting unit's confirmation, on needs posted in `org`'s
    /// subtree.
    pub async fn service_claims_to_confirm(&self, org: i64, limit: i64) -> Result<Vec<Claim>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, Claim>(sqlx::AssertSqlSafe(format!(
                "{CLAIM_SELECT} WHERE k.state = 'done' AND n.org_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) \
                 ORDER BY k.checked_out_at, k.id LIMIT $2"
            )))
            .bind(org)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// The member's claims that hold time (claimed or done) and overlap `from`..`until`, for
    /// the clash check.
    pub async fn service_claims_overlapping(
        &self,
        member_id: i64,
        from: NaiveDateTime,
        until: NaiveDateTime,
    ) -> Result<Vec<Claim>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, Claim>(sqlx::AssertSqlSafe(format!(
                "{CLAIM_SELECT} WHERE k.member_id = $1 AND k.state IN ('claimed', 'done') AND n.starts_at < $3 AND n.ends_at > $2"
            )))
            .bind(member_id)
            .bind(from)
            .bind(until)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// The member's confirmed minutes in a year.
    pub async fn service_member_minutes(&self, member_id: i64, year: i32) -> Result<i64> {
        let (minutes,): (Option<i64>,) = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT CAST(SUM(confirmed_minutes) AS BIGINT) FROM service_claims \
                 WHERE member_id = $1 AND service_year = $2 AND state = 'confirmed'",
            )
            .bind(member_id)
            .bind(i64::from(year))
            .fetch_one(pool)
            .await?
        });
        Ok(minutes.unwrap_or(0))
    }

    /// Confirmed hours per volunteer station of the communities in `org`'s subtree, for a year.
    pub async fn service_station_hours(&self, org: i64, year: i32) -> Result<Vec<StationHours>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, StationHours>(
                "SELECT n.community_id, c.name AS community_name, n.station, COUNT(*) AS services, \
                 CAST(SUM(k.confirmed_minutes) AS BIGINT) AS minutes \
                 FROM service_claims k JOIN service_needs n ON n.id = k.need_id JOIN orgs c ON c.id = n.community_id \
                 WHERE k.state = 'confirmed' AND k.service_year = $2 \
                 AND n.community_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) \
                 GROUP BY n.community_id, c.name, n.station ORDER BY c.name, n.station",
            )
            .bind(org)
            .bind(i64::from(year))
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    // -----------------------------------------------------------------------
    // 微心愿

    async fn wish_by_id(&self, id: i64) -> Result<Wish> {
        on_db!(self, pool => {
            sqlx::query_as::<_, Wish>(sqlx::AssertSqlSafe(format!("{WISH_SELECT} WHERE w.id = $1")))
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)
        })
    }

    /// A wish of the tree `root`. The caller decides what of it the actor may see.
    pub async fn service_wish_get(&self, root: i64, id: i64) -> Result<Wish> {
        let wish = self.wish_by_id(id).await?;
        if wish.root_org_id == root {
            Ok(wish)
        } else {
            Err(StoreError::NotFound)
        }
    }

    pub async fn service_wish_create(&self, new: &NewWish, author: &Author) -> Result<Wish> {
        let id = on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO service_wishes (root_org_id, community_id, title, story, wisher, contact, state, posted_on, posted_by, posted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'posted', $7, $8, $9) RETURNING id",
            )
            .bind(new.root_org_id)
            .bind(new.community_id)
            .bind(&new.title)
            .bind(&new.story)
            .bind(&new.wisher)
            .bind(&new.contact)
            .bind(new.posted_on)
            .bind(&author.name)
            .bind(now())
            .fetch_one(&mut *tx)
            .await?;
            let wish = sqlx::query_as::<_, Wish>(sqlx::AssertSqlSafe(format!("{WISH_SELECT} WHERE w.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            crate::apply_rollups!(tx, new.root_org_id, &wish_figures(&wish));
            write_audit!(&mut *tx, new.community_id, author, "create", "service_wish", Some(id),
                format!("发布微心愿「{}」", new.title), String::new())?;
            tx.commit().await?;
            id
        });
        self.wish_by_id(id).await
    }

    /// The wishes of a tree (or of the communities in `within`'s subtree), in any of `states`.
    pub async fn service_wishes(
        &self,
        root: i64,
        within: Option<(i64, Option<i64>)>,
        states: &[&str],
        limit: i64,
    ) -> Result<Vec<Wish>> {
        let mut params = vec![Param::I64(root)];
        let mut sql = format!("{WISH_SELECT} WHERE w.root_org_id = $1");
        if let Some((org, also_community)) = within {
            params.push(Param::I64(org));
            params.push(Param::I64(also_community.unwrap_or(-1)));
            sql.push_str(&format!(
                " AND (w.community_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = ${}) \
                 OR w.community_id = ${})",
                params.len() - 1,
                params.len()
            ));
        }
        if !states.is_empty() {
            let mut marks = Vec::new();
            for s in states {
                params.push(Param::Text((*s).into()));
                marks.push(format!("${}", params.len()));
            }
            sql.push_str(&format!(" AND w.state IN ({})", marks.join(", ")));
        }
        params.push(Param::I64(limit));
        sql.push_str(&format!(
            " ORDER BY w.posted_on, w.id LIMIT ${}",
            params.len()
        ));
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, Wish>(sqlx::AssertSqlSafe(sql)), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }

    /// The wishes a member claimed.
    pub async fn service_wishes_of_member(&self, member_id: i64) -> Result<Vec<Wish>> {
        let rows = on_db!(self, pool => {
            sqlx::query_as::<_, Wish>(sqlx::AssertSqlSafe(format!(
                "{WISH_SELECT} WHERE w.claimed_by = $1 ORDER BY w.claimed_on DESC, w.id DESC"
            )))
            .bind(member_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// Moves a wish on: `claimed` by a member (from `posted`), `contacted` and `fulfilled` by
    /// its claimer, `withdrawn` by the community, or back to `posted` when a claim lapsed.
    /// Refused when the wish is no longer in `from` (or, for the claimer's steps, held by
    /// someone else).
    pub async fn service_wish_transition(
        &self,
        id: i64,
        step: &WishStep<'_>,
        author: &Author,
    ) -> Result<Wish> {
        let WishStep {
            from,
            to,
            member,
            day,
            note,
        } = *step;
        let before = self.wish_by_id(id).await?;
        on_db!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let updated = match to {
                "claimed" => sqlx::query(
                    "UPDATE service_wishes SET state = 'claimed', claimed_by = $3, claimed_on = $4, contacted_on = NULL, \
                     contact_note = NULL WHERE id = $1 AND state = $2",
                )
                .bind(id)
                .bind(from)
                .bind(member)
                .bind(day),
                "contacted" => sqlx::query(
                    "UPDATE service_wishes SET state = 'contacted', contacted_on = $4, contact_note = $5 \
                     WHERE id = $1 AND state = $2 AND claimed_by = $3",
                )
                .bind(id)
                .bind(from)
                .bind(member)
                .bind(day)
                .bind(note),
                // The claimer, or the community (no member) on the family's word.
                "fulfilled" => sqlx::query(
                    "UPDATE service_wishes SET state = 'fulfilled', fulfilled_on = $4, contact_note = COALESCE($5, contact_note) \
                     WHERE id = $1 AND state = $2 AND (claimed_by = $3 OR $3 IS NULL)",
                )
                .bind(id)
                .bind(from)
                .bind(member)
                .bind(day)
                .bind(note),
                "posted" => sqlx::query(
                    "UPDATE service_wishes SET state = 'posted', claimed_by = NULL, claimed_on = NULL, lapses = lapses + 1 \
                     WHERE id = $1 AND state = $2",
                )
                .bind(id)
                .bind(from),
                "withdrawn" => sqlx::query("UPDATE service_wishes SET state = 'withdrawn' WHERE id = $1 AND state = $2")
                    .bind(id)
                    .bind(from),
                _ => return Err(StoreError::Invalid("未知的心愿状态".into())),
            }
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                return Err(StoreError::Conflict("该心愿刚被他人认领或处理过，请刷新后重试".into()));
            }
            let after = sqlx::query_as::<_, Wish>(sqlx::AssertSqlSafe(format!("{WISH_SELECT} WHERE w.id = $1")))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            crate::apply_rollups!(tx, before.root_org_id, &difference(&wish_figures(&before), &wish_figures(&after)));
            let summary = match to {
                "claimed" => "认领微心愿",
                "contacted" => "登记联系微心愿家庭",
                "fulfilled" => "微心愿已实现",
                "posted" => "认领超期未联系，微心愿重新上墙",
                _ => "撤下微心愿",
            };
            write_audit!(&mut *tx, before.community_id, author, "update", "service_wish", Some(id),
                format!("{summary}「{}」", before.title), serde_json::json!({"state": [from, to]}).to_string())?;
            tx.commit().await?;
        });
        self.wish_by_id(id).await
    }

    // -----------------------------------------------------------------------
    // Recount

    /// Every service figure of the tree `root`, from its rows (`rollups rebuild` and `verify`).
    pub async fn service_facts(&self, root: i64, ctx: &ReportingContext) -> Result<ServiceFacts> {
        let (registrations, needs, claims, wishes) = on_db!(self, pool => {
            let registrations = sqlx::query_as::<_, Registration>(sqlx::AssertSqlSafe(format!(
                "{REGISTRATION_SELECT} WHERE r.root_org_id = $1 AND r.state = 'confirmed'"
            )))
            .bind(root)
            .fetch_all(pool)
            .await?;
            let needs = sqlx::query_as::<_, Need>(sqlx::AssertSqlSafe(format!("{NEED_SELECT} WHERE n.root_org_id = $1")))
                .bind(root)
                .fetch_all(pool)
                .await?;
            let claims = sqlx::query_as::<_, Claim>(sqlx::AssertSqlSafe(format!(
                "{CLAIM_SELECT} WHERE k.root_org_id = $1 AND k.state = 'confirmed'"
            )))
            .bind(root)
            .fetch_all(pool)
            .await?;
            let wishes = sqlx::query_as::<_, Wish>(sqlx::AssertSqlSafe(format!("{WISH_SELECT} WHERE w.root_org_id = $1")))
                .bind(root)
                .fetch_all(pool)
                .await?;
            (registrations, needs, claims, wishes)
        });
        let rows = registrations.len() + needs.len() + claims.len() + wishes.len();
        let mut contributions = Vec::new();
        contributions.extend(
            registrations
                .iter()
                .flat_map(|r| registration_figures(r, ctx)),
        );
        contributions.extend(needs.iter().flat_map(need_figures));
        contributions.extend(claims.iter().flat_map(claim_figures));
        contributions.extend(wishes.iter().flat_map(wish_figures));
        Ok(ServiceFacts {
            contributions,
            rows,
        })
    }

    /// The tree an org belongs to.
    pub async fn org_root(&self, org_id: i64) -> Result<i64> {
        let row: Option<(i64,)> = on_db!(self, pool => {
            sqlx::query_as("SELECT root_org_id FROM orgs WHERE id = $1")
                .bind(org_id)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(r,)| r).ok_or(StoreError::NotFound)
    }

    /// The nearest org of one of `kinds` at or above `org_id` (the community an org lies in).
    pub async fn service_community_of(
        &self,
        org_id: i64,
        kinds: &[&str],
    ) -> Result<Option<crate::OrgNode>> {
        let mut params = vec![Param::I64(org_id)];
        let marks: Vec<String> = kinds
            .iter()
            .map(|k| {
                params.push(Param::Text((*k).into()));
                format!("${}", params.len())
            })
            .collect();
        let sql = format!(
            "SELECT o.id, o.parent_id, o.kind, o.branch_kind, o.name, o.territory_id, CAST(0 AS BIGINT) AS child_count \
             FROM org_closure oc JOIN orgs o ON o.id = oc.ancestor_id \
             WHERE oc.descendant_id = $1 AND o.kind IN ({}) ORDER BY oc.depth LIMIT 1",
            marks.join(", ")
        );
        let row = on_db!(self, pool => {
            bind_params!(sqlx::query_as::<_, crate::OrgNode>(sqlx::AssertSqlSafe(sql)), &params)
                .fetch_optional(pool)
                .await?
        });
        Ok(row)
    }

    /// Members of `org`'s units in one of `categories`, outside every community's own branches,
    /// who have not reported since `period_from` (or never registered): id, name, branch, the
    /// community they registered with, their last report. By branch and name.
    pub async fn service_overdue_members(
        &self,
        org: i64,
        categories: &[&str],
        period_from: NaiveDate,
        limit: i64,
    ) -> Result<Vec<(i64, String, String, Option<String>, Option<NaiveDate>)>> {
        if categories.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = vec![Param::I64(org), Param::Date(period_from), Param::I64(limit)];
        let marks: Vec<String> = categories
            .iter()
            .map(|c| {
                params.push(Param::Text((*c).into()));
                format!("${}", params.len())
            })
            .collect();
        let sql = format!(
            "SELECT m.id, m.name, b.name, c.name, \
             (SELECT MAX(p.reported_on) FROM service_reports p WHERE p.registration_id = r.id) AS last_reported \
             FROM members m JOIN orgs b ON b.id = m.branch_id \
             LEFT JOIN service_registrations r ON r.member_id = m.id AND r.state <> 'ended' \
             LEFT JOIN orgs c ON c.id = r.community_id \
             WHERE m.branch_id IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = $1) \
             AND m.left_on IS NULL AND m.category IN ({}) \
             AND NOT EXISTS (SELECT 1 FROM org_closure up JOIN orgs k ON k.id = up.ancestor_id \
                 WHERE up.descendant_id = m.branch_id AND k.kind IN ('community_committee', 'village_committee')) \
             AND (r.id IS NULL OR r.state = 'pending' OR NOT EXISTS (SELECT 1 FROM service_reports p \
                 WHERE p.registration_id = r.id AND p.reported_on >= $2)) \
             ORDER BY b.name, m.name_pinyin, m.id LIMIT $3",
            marks.join(", ")
        );
        let rows = on_db!(self, pool => {
            bind_params!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &params).fetch_all(pool).await?
        });
        Ok(rows)
    }
}
