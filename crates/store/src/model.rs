//! Row types. Enumerations are stored as the domain's snake_case codes and kept as `String` here;
//! the app layer turns them into `domain` enums.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Org {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub root_org_id: i64,
    pub kind: String,
    pub branch_kind: Option<String>,
    pub name: String,
    pub territory_id: Option<i64>,
    pub founded_on: Option<NaiveDate>,
    /// The org's last day (a dissolved 党小组 or branch).
    pub dissolved_on: Option<NaiveDate>,
    pub secretary: Option<String>,
    pub phone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An org with the sizes a tree view shows beside it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OrgNode {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub branch_kind: Option<String>,
    pub name: String,
    pub territory_id: Option<i64>,
    pub child_count: i64,
}

#[derive(Debug, Clone)]
pub struct NewOrg {
    pub parent_id: Option<i64>,
    pub kind: String,
    pub branch_kind: Option<String>,
    pub name: String,
    pub territory_id: Option<i64>,
    pub founded_on: Option<NaiveDate>,
    pub dissolved_on: Option<NaiveDate>,
    pub secretary: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Territory {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub root_id: i64,
    pub level: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ConcurrentMember {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub unit: String,
    pub post: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Member {
    pub id: i64,
    pub root_org_id: i64,
    pub branch_id: i64,
    pub name: String,
    pub name_pinyin: String,
    pub name_initials: String,
    pub gender: String,
    pub id_number: String,
    pub birth_date: NaiveDate,
    pub phone: Option<String>,
    pub category: String,
    pub management_mode: String,
    pub status: String,
    pub admitted_on: NaiveDate,
    pub full_on: Option<NaiveDate>,
    pub lost_contact: bool,
    pub pocket: bool,
    pub work_unit: Option<String>,
    pub registered_community_id: Option<i64>,
    pub registered_on: Option<NaiveDate>,
    /// 民族, by its standard name (汉族).
    pub ethnicity: Option<String>,
    /// 学历, a `domain::record::Education` code.
    pub education: Option<String>,
    /// 籍贯.
    pub native_place: Option<String>,
    /// 党内职务, a `domain::record::PartyPost` code …
    pub party_post: Option<String>,
    /// … on the committee of this org (or the 党小组 it leads).
    pub party_post_org_id: Option<i64>,
    /// 参加工作日期.
    pub work_started_on: Option<NaiveDate>,
    /// The day the member left the roll (transferred out of the district, or removed); kept
    /// with their history, listed by no branch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A member as a list shows them: with the holding branch's name.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MemberRow {
    pub id: i64,
    pub branch_id: i64,
    pub branch_name: String,
    pub name: String,
    pub gender: String,
    pub id_number: String,
    pub birth_date: NaiveDate,
    pub phone: Option<String>,
    pub category: String,
    pub management_mode: String,
    pub status: String,
    pub admitted_on: NaiveDate,
    pub full_on: Option<NaiveDate>,
    pub lost_contact: bool,
    pub pocket: bool,
    pub work_unit: Option<String>,
    pub registered_community: Option<String>,
    pub registered_on: Option<NaiveDate>,
    pub ethnicity: Option<String>,
    pub education: Option<String>,
    pub native_place: Option<String>,
    pub party_post: Option<String>,
    /// The name of the org whose committee the post is on.
    pub party_post_org: Option<String>,
    pub work_started_on: Option<NaiveDate>,
}

/// Everything a user may set on a member; keys and timestamps are derived by the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberFields {
    pub branch_id: i64,
    pub name: String,
    pub name_pinyin: String,
    pub name_initials: String,
    pub gender: String,
    pub id_number: String,
    pub birth_date: NaiveDate,
    pub phone: Option<String>,
    pub category: String,
    pub management_mode: String,
    pub status: String,
    pub admitted_on: NaiveDate,
    pub full_on: Option<NaiveDate>,
    pub lost_contact: bool,
    pub pocket: bool,
    pub work_unit: Option<String>,
    pub registered_community_id: Option<i64>,
    pub registered_on: Option<NaiveDate>,
    pub ethnicity: Option<String>,
    pub education: Option<String>,
    pub native_place: Option<String>,
    pub party_post: Option<String>,
    pub party_post_org_id: Option<i64>,
    pub work_started_on: Option<NaiveDate>,
}

impl From<&Member> for MemberFields {
    fn from(m: &Member) -> Self {
        MemberFields {
            branch_id: m.branch_id,
            name: m.name.clone(),
            name_pinyin: m.name_pinyin.clone(),
            name_initials: m.name_initials.clone(),
            gender: m.gender.clone(),
            id_number: m.id_number.clone(),
            birth_date: m.birth_date,
            phone: m.phone.clone(),
            category: m.category.clone(),
            management_mode: m.management_mode.clone(),
            status: m.status.clone(),
            admitted_on: m.admitted_on,
            full_on: m.full_on,
            lost_contact: m.lost_contact,
            pocket: m.pocket,
            work_unit: m.work_unit.clone(),
            registered_community_id: m.registered_community_id,
            registered_on: m.registered_on,
            ethnicity: m.ethnicity.clone(),
            education: m.education.clone(),
            native_place: m.native_place.clone(),
            party_post: m.party_post.clone(),
            party_post_org_id: m.party_post_org_id,
            work_started_on: m.work_started_on,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    /// Already normalised: lowercase, no spaces. Matched as a prefix of the name, its full
    /// pinyin or its initials.
    pub query: Option<String>,
    /// Restrict to this org's subtree (intersected with the actor's scope).
    pub org_id: Option<i64>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub lost_contact: Option<bool>,
    pub pocket: Option<bool>,
    pub gender: Option<String>,
    /// Born on or after / before (a dashboard's age band).
    pub born_from: Option<NaiveDate>,
    pub born_before: Option<NaiveDate>,
    /// 转正 on or after / before (a 党龄 band).
    pub full_from: Option<NaiveDate>,
    pub full_before: Option<NaiveDate>,
    /// A 正式党员 without 转正日期.
    pub incomplete: Option<bool>,
    /// A `domain::record::Education` code, or `unknown` for a record without one.
    pub education: Option<String>,
    /// A standard nationality name.
    pub ethnicity: Option<String>,
    /// A `domain::record::PartyPost` code, or `any` for every member holding a post.
    pub party_post: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub org_id: i64,
    /// Left out, not null, for a staff login: a client following the field to
    /// `/members/{id}` should find no link rather than the id `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<i64>,
    /// The call unit a department handler acts for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_unit_id: Option<i64>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub org_id: i64,
    pub member_id: Option<i64>,
}

/// An API token as its owner and admins see it: never the token itself, which is stored
/// hashed and shown once when issued.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    /// What the token is for, as its owner named it.
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRow {
    pub id: i64,
    pub org_id: i64,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub summary: String,
    pub changes: String,
    pub at: DateTime<Utc>,
}

/// Who made a change, for the audit row written in the same transaction.
#[derive(Debug, Clone)]
pub struct Author {
    pub user_id: Option<i64>,
    pub name: String,
}

#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub orgs: i64,
    pub branches: i64,
    pub members: i64,
    pub probationary: i64,
    pub lost_contact: i64,
    pub pocket: i64,
}
