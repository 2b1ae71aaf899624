//! A believable generated district for demos and benchmarks: 1 区委, 10 街道/镇, ~150 社区/村
//! with grids and buildings, ~1,500 branches of every kind, and as many members as asked for,
//! with Chinese names, valid 身份证号 and plausible dates. Seeded, so the same seed gives the same
//! district.

mod admission;
mod transfers;

/// The demo once set the 失联 and 口袋 flags at random; they now come from the workflows.
const LEGACY_FLAGS: bool = false;
mod calls;
mod dues;
mod orglife;
mod points;
mod record;
mod service;
pub mod testing;
mod tree;

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::auth::hash_password;
use crate::members::today;
use crate::{App, Result};
use domain::idcard::make_id_number;
use domain::names::name_keys;
use domain::{BranchKind, Gender, MemberCategory, OrgKind, Role, TerritoryLevel};
use store::Param;
use tree::*;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub members: usize,
    pub seed: u64,
    /// The password of every demo login; random when `None`.
    pub password: Option<String>,
    /// How many districts: more than one puts them under a provincial committee, each a top
    /// organisation of its own, with `members` shared out among them.
    pub districts: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            members: 50_000,
            seed: 2026,
            password: None,
            districts: 1,
        }
    }
}

/// The demo logins, one per role, to print for the person starting the demo.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub role: Role,
    pub scope: String,
    pub password: String,
}

#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub orgs: usize,
    pub branches: usize,
    pub territories: usize,
    pub members: usize,
    pub logins: Vec<DemoLogin>,
}

/// What must stay unique across the districts of one demo, which are drawn one after another.
#[derive(Default)]
struct Taken {
    id_numbers: HashSet<String>,
    tracking_codes: HashSet<String>,
}

/// The names of the demo's districts, the first as it always was.
const DISTRICT_NAMES: [&str; 8] = [
    DISTRICT,
    "长宁区",
    "东湖区",
    "西山区",
    "南江区",
    "北塘区",
    "青云区",
    "临川区",
];

/// The demo province, when there is more than one district.
const PROVINCE: &str = "中共江东省委员会";

/// The columns of a demo login as written in bulk, for each district's logins and the
/// province's.
const LOGIN_COLUMNS: [&str; 9] = [
    "id",
    "username",
    "display_name",
    "password_hash",
    "role",
    "org_id",
    "member_id",
    "active",
    "created_at",
];

fn district_name(number: usize) -> String {
    DISTRICT_NAMES
        .get(number - 1)
        .map_or_else(|| format!("第{number}区"), |name| name.to_string())
}

/// A demo login's name: the first district's as they always were, the others' numbered
/// (`admin2`, `branch_secretary2`).
fn login_name(base: &str, district: usize) -> String {
    if district == 1 {
        base.to_string()
    } else {
        format!("{base}{district}")
    }
}

impl App {
    /// Fills an empty database with the demo district, or with several districts under a
    /// provincial committee. `progress` gets a line now and then.
    pub async fn generate_demo(
        &self,
        options: &DemoOptions,
        progress: &(dyn Fn(String) + Sync),
    ) -> Result<DemoSummary> {
        if !self.db.is_empty().await? {
            return Err(crate::AppError::Conflict(
                "数据库中已有数据，演示数据只能生成到空数据库".into(),
            ));
        }
        let districts = options.districts.max(1);
        let password = options.password.clone().unwrap_or_else(|| {
            let token = crate::auth::random_token();
            format!("dj{}", &token[..10])
        });
        let mut taken = Taken::default();
        let mut summary = DemoSummary {
            orgs: 0,
            branches: 0,
            territories: 0,
            members: 0,
            logins: Vec::new(),
        };
        // Created first, so that each district's figures count towards it from the start.
        let province = if districts > 1 {
            Some(self.demo_province().await?)
        } else {
            None
        };
        for number in 1..=districts {
            // Shared out so that the total is exact.
            let members =
                options.members * number / districts - options.members * (number - 1) / districts;
            if districts > 1 {
                progress(format!("生成第 {number} 个区县（共 {districts} 个）"));
            }
            let district = self
                .generate_district(
                    &DemoOptions {
                        members,
                        // The first district is the one a single-district demo makes.
                        seed: options.seed.wrapping_add(number as u64 - 1),
                        password: Some(password.clone()),
                        districts: 1,
                    },
                    number,
                    province.as_ref().map(|p| p.id),
                    &mut taken,
                    progress,
                )
                .await?;
            summary.orgs += district.orgs;
            summary.branches += district.branches;
            summary.territories += district.territories;
            summary.members += district.members;
            summary.logins.extend(district.logins);
        }
        if let Some(province) = province {
            summary.orgs += 1;
            summary
                .logins
                .push(self.demo_province_login(province, &password).await?);
            progress(format!("已将 {districts} 个区县接入{}", PROVINCE));
        }
        // Last, so that the planners' statistics describe the figures' tables too.
        self.db.analyze().await?;
        Ok(summary)
    }

    /// The provincial committee the demo's districts are linked under.
    async fn demo_province(&self) -> Result<store::Org> {
        Ok(self
            .db
            .org_create(
                store::Scope::Nothing,
                &store::NewOrg {
                    parent_id: None,
                    kind: OrgKind::ProvincialCommittee.code().into(),
                    branch_kind: None,
                    name: PROVINCE.into(),
                    territory_id: None,
                    founded_on: None,
                    dissolved_on: None,
                    secretary: None,
                    phone: None,
                },
                &store::users::system_author(),
            )
            .await?)
    }

    /// The provincial administrator's login.
    async fn demo_province_login(&self, province: store::Org, password: &str) -> Result<DemoLogin> {
        let username = "province_admin";
        let user_id = self.db.max_id("users").await? + 1;
        self.db
            .bulk_insert(
                "users",
                &LOGIN_COLUMNS,
                &[vec![
                    Param::I64(user_id),
                    Param::Text(username.into()),
                    Param::Text("演示省级管理员".into()),
                    Param::Text(hash_password(password)?),
                    Param::Text(Role::Admin.code().into()),
                    Param::I64(province.id),
                    Param::NullI64,
                    Param::Bool(true),
                    Param::Time(store::now()),
                ]],
            )
            .await?;
        self.db.reset_id_sequences().await?;
        Ok(DemoLogin {
            username: username.into(),
            role: Role::Admin,
            scope: province.name,
            password: password.into(),
        })
    }

    /// One district of the demo, numbered from 1, with ids after those already taken. Returns
    /// its top organisation.
    async fn generate_district(
        &self,
        options: &DemoOptions,
        number: usize,
        province: Option<i64>,
        taken: &mut Taken,
        progress: &(dyn Fn(String) + Sync),
    ) -> Result<DemoSummary> {
        let mut rng = StdRng::seed_from_u64(options.seed);
        let now = store::now();
        let (places, nodes, concurrent) = build_tree(
            &mut rng,
            &district_name(number),
            self.db.max_id("orgs").await?,
            self.db.max_id("territories").await?,
        );
        let root = committee_id(&nodes);
        let root_place = places
            .iter()
            .find(|p| p.parent.is_none())
            .map_or(1, |p| p.id);
        progress(format!(
            "生成组织架构：{} 个党组织，{} 个区域节点",
            nodes.len(),
            places.len()
        ));

        let place_rows: Vec<Vec<Param>> = places
            .iter()
            .map(|p| {
                vec![
                    Param::I64(p.id),
                    Param::opt_i64(p.parent),
                    Param::I64(root_place),
                    Param::Text(p.level.code().into()),
                    Param::Text(p.name.clone()),
                    Param::Time(now),
                ]
            })
            .collect();
        self.db
            .bulk_insert(
                "territories",
                &["id", "parent_id", "root_id", "level", "name", "created_at"],
                &place_rows,
            )
            .await?;
        self.db
            .bulk_insert(
                "territory_closure",
                &["ancestor_id", "descendant_id", "depth"],
                &closure_rows(&places, |p| p.id, |p| p.parent),
            )
            .await?;
        let founded = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap_or_default();
        let org_rows: Vec<Vec<Param>> = nodes
            .iter()
            .map(|n| {
                vec![
                    Param::I64(n.id),
                    Param::opt_i64(n.parent),
                    Param::I64(root),
                    Param::Text(n.kind.code().into()),
                    Param::opt_text(n.branch_kind.map(|k| k.code())),
                    Param::Text(n.name.clone()),
                    Param::opt_i64(n.territory),
                    Param::Date(founded + Duration::days((n.id * 37) % 3000)),
                    Param::Time(now),
                    Param::Time(now),
                ]
            })
            .collect();
        self.db
            .bulk_insert(
                "orgs",
                &[
                    "id",
                    "parent_id",
                    "root_org_id",
                    "kind",
                    "branch_kind",
                    "name",
                    "territory_id",
                    "founded_on",
                    "created_at",
                    "updated_at",
                ],
                &org_rows,
            )
            .await?;
        self.db
            .bulk_insert(
                "org_closure",
                &["ancestor_id", "descendant_id", "depth"],
                &closure_rows(&nodes, |n| n.id, |n| n.parent),
            )
            .await?;
        if let Some(province) = province {
            self.db
                .org_link_root(province, root, &store::users::system_author())
                .await?;
        }
        let concurrent_rows: Vec<Vec<Param>> = concurrent
            .iter()
            .map(|(org, name, unit, post)| {
                vec![
                    Param::I64(*org),
                    Param::I64(root),
                    Param::Text(name.clone()),
                    Param::Text(unit.clone()),
                    Param::Text(post.clone()),
                    Param::Time(now),
                ]
            })
            .collect();
        self.db
            .bulk_insert(
                "concurrent_members",
                &[
                    "org_id",
                    "root_org_id",
                    "name",
                    "unit",
                    "post",
                    "created_at",
                ],
                &concurrent_rows,
            )
            .await?;

        let branches: Vec<&Node> = nodes.iter().filter(|n| n.kind == OrgKind::Branch).collect();
        let communities: Vec<i64> = places
            .iter()
            .filter(|p| p.level == TerritoryLevel::Community)
            .map(|p| p.id)
            .collect();
        let total_weight: u64 = branches.iter().map(|b| b.weight as u64).sum();
        let used_ids = &mut taken.id_numbers;
        let today = today();
        let mut member_id = self.db.max_id("members").await?;
        let first_member_id = member_id + 1;
        let mut first_member_of_branch = None;
        // Members of the branch the demo logins sit in, with their 入党日期: their meetings get
        // attendance lists.
        let mut logins_branch_members: Vec<(i64, NaiveDate)> = Vec::new();
        // The demo logins sit in the first grid branch. It gets enough members for a real vote,
        // with 预备党员 and a member under 留党察看 among them, so the vote form shows who votes.
        let logins_branch = branches
            .iter()
            .find(|b| b.name.contains("第1网格"))
            .map(|b| b.id);
        let mut restriction_rows: Vec<Vec<Param>> = Vec::new();
        // A branch without members holds no meetings (small demos leave many branches empty).
        let mut staffed_branches: HashMap<i64, usize> = HashMap::new();
        const BATCH: usize = 20_000;
        let mut batch: Vec<Vec<Param>> = Vec::with_capacity(BATCH);
        let columns = [
            "id",
            "root_org_id",
            "branch_id",
            "name",
            "name_pinyin",
            "name_initials",
            "gender",
            "id_number",
            "birth_date",
            "phone",
            "category",
            "management_mode",
            "status",
            "admitted_on",
            "full_on",
            "lost_contact",
            "pocket",
            "work_unit",
            "registered_community_id",
            "registered_on",
            "ethnicity",
            "education",
            "native_place",
            "party_post",
            "party_post_org_id",
            "work_started_on",
            "created_at",
            "updated_at",
        ];
        let mut dues_members: Vec<dues::DuesMember> = Vec::with_capacity(options.members);
        // The rest of each record is drawn from a stream of its own, so the district the seed
        // made before these fields existed stays the same.
        let mut record_rng = StdRng::seed_from_u64(options.seed ^ 0x7265_636f);
        // Each member's 组织关系 history: most stayed in their branch since admission, about one in
        // fifty came by transfer from another branch. Drawn from a stream of its own, so the rest
        // of the district stays as the seed always made it.
        let mut moves_rng = StdRng::seed_from_u64(options.seed ^ 0x6d6f_7665);
        let mut spans: Vec<Vec<Param>> = Vec::new();
        let span_columns = [
            "root_org_id",
            "member_id",
            "branch_id",
            "from_on",
            "until_on",
            "reason",
            "recorded_by",
            "recorded_at",
        ];
        let span =
            |member: i64, branch: i64, from: NaiveDate, until: Option<NaiveDate>, reason: &str| {
                vec![
                    Param::I64(root),
                    Param::I64(member),
                    Param::I64(branch),
                    Param::Date(from),
                    Param::opt_date(until),
                    Param::Text(reason.into()),
                    Param::Text("演示数据".into()),
                    Param::Time(now),
                ]
            };
        let mut cumulative_weight = 0u64;
        let mut assigned = 0usize;
        for branch in &branches {
            // Each branch takes its weighted slice of the total, measured on the running sum,
            // so small totals still spread over the whole district and the sum is exact.
            cumulative_weight += branch.weight as u64;
            let until = (options.members as u64 * cumulative_weight / total_weight) as usize;
            let mut share = until.saturating_sub(assigned);
            if Some(branch.id) == logins_branch {
                // Taken from the branches after it, so the total stays exact.
                share = share.max(LOGINS_BRANCH_MEMBERS.min(options.members - assigned));
            }
            assigned += share;
            if share > 0 {
                staffed_branches.insert(branch.id, share);
            }
            for seat in 0..share {
                member_id += 1;
                let kind = branch.branch_kind.unwrap_or(BranchKind::Community);
                let category = category_for(kind, &mut rng);
                let (young, old) = age_range(category);
                let birth = random_date_between(
                    &mut rng,
                    today.with_year(today.year() - old).unwrap_or(today),
                    today.with_year(today.year() - young).unwrap_or(today),
                );
                let gender = if rng.random_bool(0.55) {
                    Gender::Male
                } else {
                    Gender::Female
                };
                let id_number = loop {
                    let region = REGIONS.choose(&mut rng).unwrap_or(&"110107");
                    let candidate =
                        make_id_number(region, birth, rng.random_range(0..1000), gender);
                    if used_ids.insert(candidate.clone()) {
                        break candidate;
                    }
                };
                let name = random_name(&mut rng);
                let keys = name_keys(&name);
                let eighteen = birth
                    .with_year(birth.year() + 18)
                    .unwrap_or(birth + Duration::days(6575));
                if Some(branch.id) == logins_branch && first_member_of_branch.is_none() {
                    first_member_of_branch = Some((member_id, branch.id));
                }
                let in_logins_branch = first_member_of_branch.is_some_and(|(_, b)| b == branch.id);
                // Position in the logins' branch: 0 is the `member` login, a 正式党员.
                let position = logins_branch_members.len();
                let drawn = rng.random_bool(0.03);
                let probationary = if in_logins_branch {
                    LOGINS_BRANCH_PROBATIONARY.contains(&position)
                } else {
                    drawn
                };
                let admitted = if probationary {
                    random_date_between(
                        &mut rng,
                        today - Duration::days(360),
                        today - Duration::days(1),
                    )
                    .max(eighteen)
                } else {
                    random_date_between(
                        &mut rng,
                        eighteen.max(today - Duration::days(365 * 70)),
                        today - Duration::days(400),
                    )
                    .max(eighteen)
                };
                // Old paper records sometimes lack the 转正日期: the data-quality list shows them.
                let date_lost = admitted.year() < 1990 && moves_rng.random_bool(0.05);
                let full_on = (!probationary && !date_lost).then(|| admitted + Duration::days(365));
                let registered = (category == MemberCategory::InService && rng.random_bool(0.6))
                    .then(|| *communities.choose(&mut rng).unwrap_or(&1));
                let phone = format!(
                    "1{}{:09}",
                    [3, 5, 7, 8, 9][rng.random_range(0..5)],
                    rng.random_range(0..1_000_000_000u64)
                );
                if in_logins_branch {
                    logins_branch_members.push((member_id, admitted));
                    if position == LOGINS_BRANCH_UNDER_PROBATION {
                        let from =
                            (today - Duration::days(120)).max(admitted + Duration::days(400));
                        restriction_rows.push(vec![
                            Param::I64(member_id),
                            Param::I64(root),
                            Param::Text(
                                domain::rights::RestrictionKind::PartyProbation
                                    .code()
                                    .into(),
                            ),
                            Param::Date(from),
                            Param::I64(12),
                            Param::Text("违反组织纪律，经支部党员大会讨论".into()),
                            Param::Text("街道纪工委〔演示〕1号".into()),
                            Param::Text("演示数据".into()),
                            Param::Time(now),
                        ]);
                    }
                }
                let moved_on = (admitted < today - Duration::days(800)
                    && moves_rng.random_bool(0.02))
                .then(|| {
                    random_date_between(
                        &mut moves_rng,
                        admitted + Duration::days(365),
                        today - Duration::days(30),
                    )
                });
                match (moved_on, branches.choose(&mut moves_rng)) {
                    (Some(on), Some(from)) if from.id != branch.id => {
                        spans.push(span(member_id, from.id, admitted, Some(on), "admission"));
                        spans.push(span(member_id, branch.id, on, None, "transfer"));
                    }
                    _ => spans.push(span(member_id, branch.id, admitted, None, "admission")),
                }
                let record = record::draw(&mut record_rng, category, birth, seat, share, today);
                dues_members.push(dues::DuesMember {
                    id: member_id,
                    branch_id: branch.id,
                    category,
                    admitted,
                });
                batch.push(vec![
                    Param::I64(member_id),
                    Param::I64(root),
                    Param::I64(branch.id),
                    Param::Text(name),
                    Param::Text(keys.full),
                    Param::Text(keys.initials),
                    Param::Text(gender.code().into()),
                    Param::Text(id_number),
                    Param::Date(birth),
                    Param::Text(phone),
                    Param::Text(category.code().into()),
                    Param::Text(category.default_management_mode().code().into()),
                    Param::Text(if probationary { "probationary" } else { "full" }.into()),
                    Param::Date(admitted),
                    Param::opt_date(full_on),
                    // The flags follow the demo's transfers and 摸查 below; the draws stay so the
                    // rest of the district comes out as it always has.
                    Param::Bool(rng.random_bool(0.003) && LEGACY_FLAGS),
                    Param::Bool(rng.random_bool(0.002) && LEGACY_FLAGS),
                    Param::opt_text(
                        matches!(
                            category,
                            MemberCategory::InService | MemberCategory::NonPublic
                        )
                        .then_some(branch.name.trim_end_matches("党支部")),
                    ),
                    Param::opt_i64(registered),
                    Param::opt_date(registered.map(|_| admitted.max(today - Duration::days(900)))),
                    Param::Text(record.ethnicity.into()),
                    Param::opt_text(record.education.map(|e| e.code())),
                    Param::Text(record.native_place),
                    Param::opt_text(record.party_post.map(|p| p.code())),
                    Param::opt_i64(record.party_post.map(|_| branch.id)),
                    Param::opt_date(record.work_started_on),
                    Param::Time(now),
                    Param::Time(now),
                ]);
                if batch.len() == BATCH {
                    self.db.bulk_insert("members", &columns, &batch).await?;
                    self.db
                        .bulk_insert("memberships", &span_columns, &spans)
                        .await?;
                    batch.clear();
                    spans.clear();
                    progress(format!(
                        "已生成党员 {} / {}",
                        member_id - first_member_id + 1,
                        options.members
                    ));
                }
            }
        }
        self.db.bulk_insert("members", &columns, &batch).await?;
        self.db
            .bulk_insert("memberships", &span_columns, &spans)
            .await?;
        progress(format!(
            "已生成党员 {} / {}",
            member_id - first_member_id + 1,
            options.members
        ));
        let payments = self
            .demo_dues(&mut record_rng, root, &dues_members, today)
            .await?;
        progress(format!("已生成党费交纳记录 {payments} 笔"));
        self.db
            .bulk_insert(
                "member_restrictions",
                &[
                    "member_id",
                    "root_org_id",
                    "kind",
                    "from_date",
                    "term_months",
                    "reason",
                    "approval",
                    "created_by",
                    "created_at",
                ],
                &restriction_rows,
            )
            .await?;

        // Demo logins, one per role, each bound where that role would sit.
        let password = options.password.clone().unwrap_or_else(|| {
            let token = crate::auth::random_token();
            format!("dj{}", &token[..10])
        });
        let hash = hash_password(&password)?;
        let first_user_id = self.db.max_id("users").await? + 1;
        let street = nodes
            .iter()
            .find(|n| n.kind == OrgKind::StreetCommittee)
            .map(|n| n.id)
            .unwrap_or(root);
        let community = nodes
            .iter()
            .find(|n| n.kind == OrgKind::CommunityCommittee && n.parent == Some(street))
            .map(|n| n.id)
            .unwrap_or(street);
        let (member, member_branch) =
            first_member_of_branch.unwrap_or((first_member_id, branches[0].id));
        let mut logins = Vec::new();
        let mut user_rows = Vec::new();
        for (i, (username, role)) in DEMO_USERS.iter().enumerate() {
            let (org, member_id) = match role {
                Role::Admin => (root, None),
                Role::OrgAdmin if *username == "street_admin" => (street, None),
                Role::OrgAdmin => (community, None),
                Role::BranchOfficer => (member_branch, None),
                _ => (member_branch, Some(member)),
            };
            let scope = nodes
                .iter()
                .find(|n| n.id == org)
                .map(|n| n.name.clone())
                .unwrap_or_default();
            let district_prefix = if number == 1 {
                String::new()
            } else {
                district_name(number)
            };
            user_rows.push(vec![
                Param::I64(first_user_id + i as i64),
                Param::Text(login_name(username, number)),
                Param::Text(match *username {
                    "street_admin" => format!("{district_prefix}演示街道管理员"),
                    "community_admin" => format!("{district_prefix}演示社区管理员"),
                    _ => format!("{district_prefix}演示{}", role.label()),
                }),
                Param::Text(hash.clone()),
                Param::Text(role.code().into()),
                Param::I64(org),
                Param::opt_i64(member_id),
                Param::Bool(true),
                Param::Time(now),
            ]);
            logins.push(DemoLogin {
                username: login_name(username, number),
                role: *role,
                scope,
                password: password.clone(),
            });
        }
        self.db
            .bulk_insert("users", &LOGIN_COLUMNS, &user_rows)
            .await?;
        let meetings = self
            .demo_meetings(
                &mut rng,
                root,
                &branches
                    .iter()
                    .filter_map(|b| {
                        let members = *staffed_branches.get(&b.id)?;
                        let groups = nodes
                            .iter()
                            .any(|n| n.kind == OrgKind::PartyGroup && n.parent == Some(b.id));
                        Some((*b, members, groups))
                    })
                    .collect::<Vec<_>>(),
                today,
                member_branch,
                &logins_branch_members,
            )
            .await?;
        progress(format!("已生成组织生活记录 {meetings} 次"));
        self.ensure_call_setup(root).await?;
        let calls = self
            .demo_calls(
                &mut rng,
                root,
                options.members / 100,
                &mut taken.tracking_codes,
            )
            .await?;
        progress(format!("已生成群众呼声 {calls} 件"));
        self.db.reset_id_sequences().await?;
        // Through the use cases, so after the ids are free to be taken by new rows.
        let admin = self.actor_by_username(&login_name("admin", number)).await?;
        let mut staffed: Vec<i64> = staffed_branches.keys().copied().collect();
        staffed.sort_unstable();
        let mut admission_branches = vec![member_branch];
        admission_branches.extend(staffed.into_iter().filter(|b| *b != member_branch).take(12));
        let files = self
            .demo_admission(&mut rng, &admin, &admission_branches, today)
            .await?;
        progress(format!("已生成发展党员档案 {files} 份"));
        // Away from the logins' branch, whose members the walk-throughs count.
        let movers: Vec<i64> = admission_branches[1..].iter().take(3).copied().collect();
        let transfers = self.demo_transfers(&admin, &movers, today, number).await?;
        progress(format!("已生成组织关系转接 {transfers} 件"));
        if let Some(first) = movers.first() {
            let community = self
                .db
                .org_get(store::Scope::Subtree(root), *first)
                .await?
                .parent_id
                .unwrap_or(*first);
            let cases = self.demo_campaign(&admin, community).await?;
            progress(format!(
                "已开展失联党员排查，列出 {cases} 名疑似失联或口袋党员"
            ));
        }
        let secretary = self
            .actor_by_username(&login_name("branch_secretary", number))
            .await?;
        let points = self
            .demo_points(&secretary, root, member_branch, today)
            .await?;
        progress(format!("已生成党员积分记录 {points} 条"));
        let appraisals = self.demo_appraisals(root, today).await?;
        progress(format!("已生成上年度民主评议 {appraisals} 个党支部"));
        let service = self.demo_service(&mut rng, root, member, today).await?;
        progress(format!(
            "已生成志愿服务：{} 名党员报到，{} 项需求，{} 次服务",
            service.registrations, service.needs, service.services
        ));
        self.db
            .audit_event(
                root,
                &store::users::system_author(),
                "create",
                "demo",
                &format!(
                    "生成演示数据：{} 个党组织，{} 名党员",
                    nodes.len(),
                    member_id
                ),
            )
            .await?;
        // The figures every dashboard reads, taken from what was just generated.
        progress("生成统计数据".to_string());
        self.rollups_rebuild(root).await?;
        // The archive starts with last week's and last month's reports, as the first sweep
        // after an upgrade would make them.
        progress("生成周报、月报".to_string());
        self.reports_due(root, crate::members::today()).await?;
        Ok(DemoSummary {
            orgs: nodes.len(),
            branches: branches.len(),
            territories: places.len(),
            members: (member_id - first_member_id + 1) as usize,
            logins,
        })
    }
}
