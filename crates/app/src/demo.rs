//! A believable generated district for demos and benchmarks: 1 区委, 10 街道/镇, ~150 社区/村
//! with grids and buildings, ~1,500 branches of every kind, and as many members as asked for,
//! with Chinese names, valid 身份证号 and plausible dates. Seeded, so the same seed gives the same
//! district.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

use crate::auth::hash_password;
use crate::members::today;
use crate::{App, Result};
use domain::idcard::make_id_number;
use domain::names::name_keys;
use domain::{BranchKind, Gender, MemberCategory, OrgKind, Role, TerritoryLevel};
use store::Param;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub members: usize,
    pub seed: u64,
    /// The password of every demo login; random when `None`.
    pub password: Option<String>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            members: 50_000,
            seed: 2026,
            password: None,
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

const DISTRICT: &str = "新华区";
const STREETS: [&str; 10] = [
    "东湖街道",
    "西山街道",
    "南苑街道",
    "北关街道",
    "中心街道",
    "新城街道",
    "和平街道",
    "友谊街道",
    "青龙镇",
    "白鹭镇",
];
const COMMUNITY_FIRST: [&str; 15] = [
    "春", "翠", "金", "桃", "阳", "光", "锦", "绿", "丽", "康", "向", "文", "华", "新", "和",
];
const COMMUNITY_SECOND: [&str; 12] = [
    "园", "苑", "桥", "湖", "山", "源", "晖", "景", "城", "林", "泉", "庭",
];
const VILLAGE_SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗",
];
const VILLAGE_SUFFIX: [&str; 4] = ["家庄村", "家湾村", "店村", "营村"];
const DEPARTMENTS: [&str; 40] = [
    "区委办公室",
    "区政府办公室",
    "区纪委监委",
    "区委组织部",
    "区委宣传部",
    "区委统战部",
    "区委政法委",
    "区委编办",
    "区人大办",
    "区政协办",
    "区发展改革委",
    "区教委",
    "区科委",
    "区财政局",
    "区人力社保局",
    "区民政局",
    "区司法局",
    "区住建委",
    "区城管委",
    "区交通局",
    "区水务局",
    "区商务局",
    "区文旅局",
    "区卫健委",
    "区退役军人局",
    "区应急局",
    "区市场监管局",
    "区统计局",
    "区医保局",
    "区园林局",
    "区体育局",
    "区审计局",
    "区信访办",
    "区政务服务局",
    "区生态环境局",
    "区档案馆",
    "区委党校",
    "区融媒体中心",
    "区法院",
    "区检察院",
];
const ENTERPRISES: [&str; 10] = [
    "区国资运营公司",
    "城建集团",
    "水务集团",
    "公交集团",
    "热力公司",
    "文旅集团",
    "建工集团",
    "供销社",
    "城市更新公司",
    "物业集团",
];
const FIRMS: [&str; 16] = [
    "华信", "博远", "中科", "汇通", "嘉禾", "恒达", "创维", "瑞丰", "启明", "鼎盛", "安泰", "宏图",
    "金石", "天成", "众合", "联创",
];
const FIRM_KIND: [&str; 4] = ["科技有限公司", "物流有限公司", "商贸有限公司", "律师事务所"];
const SOCIAL: [&str; 3] = ["志愿者协会", "养老服务中心", "社会工作服务站"];
const SCHOOLS: [&str; 15] = [
    "区第一中学",
    "区第二中学",
    "区第三中学",
    "区实验中学",
    "区职业学校",
    "区实验小学",
    "区第一小学",
    "区第二小学",
    "区第三小学",
    "区第四小学",
    "区特教学校",
    "区少年宫",
    "区教师进修学校",
    "区外国语学校",
    "区艺术学校",
];
const RESIDENT_UNITS: [&str; 8] = [
    "区医院",
    "区供电公司",
    "派出所",
    "区税务所",
    "中国银行支行",
    "邮政支局",
    "消防救援站",
    "区图书馆",
];
const SURNAMES: [&str; 60] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "单",
];
const GIVEN: [&str; 80] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "建", "国", "文", "辉", "志", "红",
    "海", "燕", "波", "宁", "鹏", "斌", "飞", "欣", "佳", "怡", "浩", "宇", "晨", "阳", "凯", "琳",
    "雪", "梅", "丹", "颖", "倩", "婷", "鑫", "晶", "亮", "健", "峰", "俊", "春", "秋", "冬", "振",
    "德", "荣", "忠", "民", "永", "庆", "利", "福", "祥", "瑞", "新", "东", "松", "林", "岩", "彬",
];
/// Members of the branch the demo logins sit in, unless the demo is smaller.
const LOGINS_BRANCH_MEMBERS: usize = 12;
/// Their positions (0 is the `member` login) of the 预备党员 in that branch.
const LOGINS_BRANCH_PROBATIONARY: [usize; 2] = [1, 2];
/// The position of the member under 留党察看 there.
const LOGINS_BRANCH_UNDER_PROBATION: usize = 3;
const REGIONS: [&str; 6] = ["110107", "110108", "110106", "440103", "410103", "500103"];
const DEMO_USERS: [(&str, Role); 5] = [
    ("admin", Role::Admin),
    ("street_admin", Role::OrgAdmin),
    ("community_admin", Role::OrgAdmin),
    ("branch_secretary", Role::BranchOfficer),
    ("member", Role::Member),
];

struct Node {
    id: i64,
    parent: Option<i64>,
    kind: OrgKind,
    branch_kind: Option<BranchKind>,
    name: String,
    territory: Option<i64>,
    /// How many members this branch holds relative to others.
    weight: u32,
}

struct Place {
    id: i64,
    parent: Option<i64>,
    level: TerritoryLevel,
    name: String,
}

fn random_name(rng: &mut StdRng) -> String {
    let surname = *SURNAMES.choose(rng).unwrap_or(&"王");
    let first = *GIVEN.choose(rng).unwrap_or(&"伟");
    if rng.random_bool(0.7) {
        format!("{surname}{first}{}", GIVEN.choose(rng).unwrap_or(&"华"))
    } else {
        format!("{surname}{first}")
    }
}

fn category_for(kind: BranchKind, rng: &mut StdRng) -> MemberCategory {
    use MemberCategory::*;
    let pick = |rng: &mut StdRng, options: &[(MemberCategory, u32)]| {
        let total: u32 = options.iter().map(|(_, w)| w).sum();
        let mut roll = rng.random_range(0..total);
        for (c, w) in options {
            if roll < *w {
                return *c;
            }
            roll -= w;
        }
        options[0].0
    };
    match kind {
        BranchKind::Organ | BranchKind::StateEnterprise => {
            pick(rng, &[(InService, 95), (Mobile, 5)])
        }
        BranchKind::School => pick(rng, &[(InService, 80), (Student, 20)]),
        BranchKind::NonPublic => pick(rng, &[(NonPublic, 85), (Mobile, 15)]),
        BranchKind::SocialOrg => pick(rng, &[(NonPublic, 60), (NoPost, 40)]),
        BranchKind::Retiree => pick(rng, &[(Retired, 85), (ElderlyInfirm, 15)]),
        BranchKind::Village => pick(rng, &[(Farmer, 75), (ElderlyInfirm, 10), (Mobile, 15)]),
        BranchKind::Temporary => pick(rng, &[(Mobile, 60), (InService, 40)]),
        BranchKind::Community | BranchKind::Grid | BranchKind::Building | BranchKind::Joint => {
            pick(
                rng,
                &[
                    (Retired, 40),
                    (NoPost, 15),
                    (ElderlyInfirm, 10),
                    (Mobile, 10),
                    (InService, 15),
                    (NonPublic, 10),
                ],
            )
        }
    }
}

fn age_range(category: MemberCategory) -> (i32, i32) {
    match category {
        MemberCategory::Student => (19, 26),
        MemberCategory::Retired => (58, 92),
        MemberCategory::ElderlyInfirm => (70, 95),
        MemberCategory::Farmer => (30, 80),
        _ => (24, 60),
    }
}

fn random_date_between(rng: &mut StdRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(0);
    from + Duration::days(rng.random_range(0..=days))
}

/// Builds the whole district in memory (it is small next to the members) and writes it.
/// A 兼职委员 to seat: (community committee id, name, unit, post).
type Seat = (i64, String, String, String);

fn build_tree(rng: &mut StdRng) -> (Vec<Place>, Vec<Node>, Vec<Seat>) {
    let mut places = Vec::new();
    let mut nodes = Vec::new();
    let mut concurrent = Vec::new();
    let mut next_place = 1;
    let mut next_org = 1;
    let mut place = |places: &mut Vec<Place>, parent: Option<i64>, level, name: String| {
        let id = next_place;
        next_place += 1;
        places.push(Place {
            id,
            parent,
            level,
            name,
        });
        id
    };
    let mut org =
        |nodes: &mut Vec<Node>, parent, kind, branch_kind, name: String, territory, weight| {
            let id = next_org;
            next_org += 1;
            nodes.push(Node {
                id,
                parent,
                kind,
                branch_kind,
                name,
                territory,
                weight,
            });
            id
        };
    let district = place(
        &mut places,
        None,
        TerritoryLevel::District,
        DISTRICT.to_string(),
    );
    let committee = org(
        &mut nodes,
        None,
        OrgKind::DistrictCommittee,
        None,
        format!("中共{DISTRICT}委员会"),
        Some(district),
        0,
    );
    for dept in DEPARTMENTS {
        org(
            &mut nodes,
            Some(committee),
            OrgKind::Branch,
            Some(BranchKind::Organ),
            format!("{dept}机关党支部"),
            None,
            3,
        );
    }
    for (i, company) in ENTERPRISES.iter().enumerate() {
        let general = org(
            &mut nodes,
            Some(committee),
            OrgKind::GeneralBranch,
            None,
            format!("{company}党总支"),
            None,
            0,
        );
        for n in 1..=3 + (i % 2) {
            org(
                &mut nodes,
                Some(general),
                OrgKind::Branch,
                Some(BranchKind::StateEnterprise),
                format!("{company}第{n}党支部"),
                None,
                3,
            );
        }
    }
    for school in SCHOOLS {
        org(
            &mut nodes,
            Some(committee),
            OrgKind::Branch,
            Some(BranchKind::School),
            format!("{school}党支部"),
            None,
            3,
        );
    }
    let mut community_names: Vec<String> = COMMUNITY_FIRST
        .iter()
        .flat_map(|a| COMMUNITY_SECOND.iter().map(move |b| format!("{a}{b}")))
        .collect();
    community_names.shuffle(rng);
    let mut village_names: Vec<String> = VILLAGE_SURNAMES
        .iter()
        .flat_map(|a| VILLAGE_SUFFIX.iter().map(move |b| format!("{a}{b}")))
        .collect();
    village_names.shuffle(rng);
    for (s, street_name) in STREETS.iter().enumerate() {
        let is_town = street_name.ends_with('镇');
        let street_place = place(
            &mut places,
            Some(district),
            TerritoryLevel::Street,
            street_name.to_string(),
        );
        let street_org = org(
            &mut nodes,
            Some(committee),
            if is_town {
                OrgKind::TownCommittee
            } else {
                OrgKind::StreetCommittee
            },
            None,
            format!(
                "中共{street_name}{}",
                if is_town {
                    "委员会"
                } else {
                    "工作委员会"
                }
            ),
            Some(street_place),
            0,
        );
        let short = street_name.trim_end_matches("街道").trim_end_matches('镇');
        org(
            &mut nodes,
            Some(street_org),
            OrgKind::Branch,
            Some(BranchKind::Organ),
            format!("{street_name}机关第一党支部"),
            None,
            3,
        );
        org(
            &mut nodes,
            Some(street_org),
            OrgKind::Branch,
            Some(BranchKind::Organ),
            format!("{street_name}机关第二党支部"),
            None,
            3,
        );
        for f in 0..8 {
            let firm = FIRMS[(s * 8 + f) % FIRMS.len()];
            let kind = FIRM_KIND[(s + f) % FIRM_KIND.len()];
            org(
                &mut nodes,
                Some(street_org),
                OrgKind::Branch,
                Some(BranchKind::NonPublic),
                format!("{short}{firm}{kind}党支部"),
                None,
                1,
            );
        }
        for social in SOCIAL {
            org(
                &mut nodes,
                Some(street_org),
                OrgKind::Branch,
                Some(BranchKind::SocialOrg),
                format!("{short}{social}党支部"),
                None,
                1,
            );
        }
        org(
            &mut nodes,
            Some(street_org),
            OrgKind::Branch,
            Some(BranchKind::Joint),
            format!("{short}商圈联合党支部"),
            None,
            1,
        );
        org(
            &mut nodes,
            Some(street_org),
            OrgKind::Branch,
            Some(BranchKind::Temporary),
            format!("{short}棚改项目临时党支部（集装箱党支部）"),
            None,
            1,
        );
        let communities = if is_town { 14 } else { 15 };
        for _ in 0..communities {
            let (name, level_kind, branch_kind) = if is_town {
                (
                    village_names
                        .pop()
                        .unwrap_or_else(|| format!("{short}新村")),
                    OrgKind::VillageCommittee,
                    BranchKind::Village,
                )
            } else {
                (
                    format!(
                        "{}社区",
                        community_names
                            .pop()
                            .unwrap_or_else(|| format!("{short}新"))
                    ),
                    OrgKind::CommunityCommittee,
                    BranchKind::Community,
                )
            };
            let community_place = place(
                &mut places,
                Some(street_place),
                TerritoryLevel::Community,
                name.clone(),
            );
            let community_org = org(
                &mut nodes,
                Some(street_org),
                level_kind,
                None,
                format!("{name}{}", if is_town { "党委" } else { "大党委" }),
                Some(community_place),
                0,
            );
            let seats = 3 + rng.random_range(0..3);
            let units: Vec<&str> = RESIDENT_UNITS
                .choose_multiple(rng, seats)
                .copied()
                .collect();
            for unit in units {
                concurrent.push((
                    community_org,
                    random_name(rng),
                    unit.to_string(),
                    "兼职委员".to_string(),
                ));
            }
            for n in 1..=2 {
                org(
                    &mut nodes,
                    Some(community_org),
                    OrgKind::Branch,
                    Some(branch_kind),
                    format!("{name}第{n}党支部"),
                    None,
                    4,
                );
            }
            if !is_town {
                org(
                    &mut nodes,
                    Some(community_org),
                    OrgKind::Branch,
                    Some(BranchKind::Retiree),
                    format!("{name}离退休党支部"),
                    None,
                    4,
                );
            }
            let grids = 4 + rng.random_range(0..3);
            for g in 1..=grids {
                let grid_place = place(
                    &mut places,
                    Some(community_place),
                    TerritoryLevel::Grid,
                    format!("{name}第{g}网格"),
                );
                org(
                    &mut nodes,
                    Some(community_org),
                    OrgKind::Branch,
                    Some(BranchKind::Grid),
                    format!("{name}第{g}网格党支部"),
                    Some(grid_place),
                    2,
                );
                for b in 1..=3 + rng.random_range(0..4) {
                    let building = place(
                        &mut places,
                        Some(grid_place),
                        TerritoryLevel::Building,
                        format!("{name}{g}区{b}号楼"),
                    );
                    if !is_town && g == 1 && b == 1 {
                        org(
                            &mut nodes,
                            Some(community_org),
                            OrgKind::Branch,
                            Some(BranchKind::Building),
                            format!("{name}{g}区{b}号楼楼宇党支部"),
                            Some(building),
                            1,
                        );
                    }
                }
            }
        }
    }
    // Larger branches get 党小组 (a third of them, for a tree that goes all five levels deep).
    let branch_ids: Vec<(i64, String)> = nodes
        .iter()
        .filter(|n| n.kind == OrgKind::Branch && n.weight >= 3)
        .map(|n| (n.id, n.name.clone()))
        .collect();
    for (i, (branch, name)) in branch_ids.into_iter().enumerate() {
        if i % 3 == 0 {
            for g in 1..=2 {
                org(
                    &mut nodes,
                    Some(branch),
                    OrgKind::PartyGroup,
                    None,
                    format!("{name}第{g}党小组"),
                    None,
                    0,
                );
            }
        }
    }
    (places, nodes, concurrent)
}

fn closure_rows<T>(
    items: &[T],
    id: impl Fn(&T) -> i64,
    parent: impl Fn(&T) -> Option<i64>,
) -> Vec<Vec<Param>> {
    let parents: std::collections::HashMap<i64, Option<i64>> =
        items.iter().map(|t| (id(t), parent(t))).collect();
    let mut rows = Vec::new();
    for t in items {
        let mut depth = 0;
        let mut current = Some(id(t));
        while let Some(c) = current {
            rows.push(vec![Param::I64(c), Param::I64(id(t)), Param::I64(depth)]);
            depth += 1;
            current = parents.get(&c).copied().flatten();
        }
    }
    rows
}

impl App {
    /// Fills an empty database with the demo district. `progress` gets a line now and then.
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
        let mut rng = StdRng::seed_from_u64(options.seed);
        let now = store::now();
        let (places, nodes, concurrent) = build_tree(&mut rng);
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
                    Param::I64(1),
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
                    Param::I64(1),
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
        let concurrent_rows: Vec<Vec<Param>> = concurrent
            .iter()
            .map(|(org, name, unit, post)| {
                vec![
                    Param::I64(*org),
                    Param::I64(1),
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
        let mut used_ids: HashSet<String> = HashSet::with_capacity(options.members);
        let today = today();
        let mut member_id = 0_i64;
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
            "created_at",
            "updated_at",
        ];
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
            for _ in 0..share {
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
                let full_on = (!probationary).then(|| admitted + Duration::days(365));
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
                            Param::I64(1),
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
                batch.push(vec![
                    Param::I64(member_id),
                    Param::I64(1),
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
                    Param::Bool(rng.random_bool(0.003)),
                    Param::Bool(rng.random_bool(0.002)),
                    Param::opt_text(
                        matches!(
                            category,
                            MemberCategory::InService | MemberCategory::NonPublic
                        )
                        .then_some(branch.name.trim_end_matches("党支部")),
                    ),
                    Param::opt_i64(registered),
                    Param::opt_date(registered.map(|_| admitted.max(today - Duration::days(900)))),
                    Param::Time(now),
                    Param::Time(now),
                ]);
                if batch.len() == BATCH {
                    self.db.bulk_insert("members", &columns, &batch).await?;
                    batch.clear();
                    progress(format!("已生成党员 {member_id} / {}", options.members));
                }
            }
        }
        self.db.bulk_insert("members", &columns, &batch).await?;
        progress(format!("已生成党员 {member_id} / {}", options.members));
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
        let street = nodes
            .iter()
            .find(|n| n.kind == OrgKind::StreetCommittee)
            .map(|n| n.id)
            .unwrap_or(1);
        let community = nodes
            .iter()
            .find(|n| n.kind == OrgKind::CommunityCommittee && n.parent == Some(street))
            .map(|n| n.id)
            .unwrap_or(street);
        let (member, member_branch) = first_member_of_branch.unwrap_or((1, branches[0].id));
        let mut logins = Vec::new();
        let mut user_rows = Vec::new();
        for (i, (username, role)) in DEMO_USERS.iter().enumerate() {
            let (org, member_id) = match role {
                Role::Admin => (committee_id(&nodes), None),
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
            user_rows.push(vec![
                Param::I64(i as i64 + 1),
                Param::Text(username.to_string()),
                Param::Text(match *username {
                    "street_admin" => "演示街道管理员".to_string(),
                    "community_admin" => "演示社区管理员".to_string(),
                    _ => format!("演示{}", role.label()),
                }),
                Param::Text(hash.clone()),
                Param::Text(role.code().into()),
                Param::I64(org),
                Param::opt_i64(member_id),
                Param::Bool(true),
                Param::Time(now),
            ]);
            logins.push(DemoLogin {
                username: username.to_string(),
                role: *role,
                scope,
                password: password.clone(),
            });
        }
        self.db
            .bulk_insert(
                "users",
                &[
                    "id",
                    "username",
                    "display_name",
                    "password_hash",
                    "role",
                    "org_id",
                    "member_id",
                    "active",
                    "created_at",
                ],
                &user_rows,
            )
            .await?;
        let meetings = self
            .demo_meetings(
                &mut rng,
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
        self.ensure_call_setup(committee_id(&nodes)).await?;
        let calls = self
            .demo_calls(&mut rng, committee_id(&nodes), options.members / 100)
            .await?;
        progress(format!("已生成群众呼声 {calls} 件"));
        self.db.reset_id_sequences().await?;
        self.db
            .audit_event(
                committee_id(&nodes),
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
        self.db.analyze().await?;
        Ok(DemoSummary {
            orgs: nodes.len(),
            branches: branches.len(),
            territories: places.len(),
            members: member_id as usize,
            logins,
        })
    }
}

impl App {
    /// This year's organisational life up to last period, so that the ledger of a demo looks like
    /// a district's: most branches keep up, some slip now and then, a few fall well behind. The
    /// current periods are left open, for a visitor to record a meeting and see its cell turn
    /// green. Returns how many meetings were written.
    async fn demo_meetings(
        &self,
        rng: &mut StdRng,
        branches: &[(&Node, usize, bool)],
        today: NaiveDate,
        attended_branch: i64,
        attended_by: &[(i64, NaiveDate)],
    ) -> Result<usize> {
        use domain::orglife::{Period, default_branch_rules, periods_of_year};
        let rules = default_branch_rules();
        let columns = [
            "id",
            "org_id",
            "root_org_id",
            "institution",
            "held_on",
            "place",
            "chair",
            "recorder",
            "agenda",
            "minutes",
            "resolutions",
            "revision",
            "recorded_by",
            "recorded_at",
        ];
        let now = store::now();
        let mut rows = Vec::new();
        let mut attendance = Vec::new();
        let mut meeting_id = 0_i64;
        for &(branch, members, has_groups) in branches {
            let keeps_up = match rng.random_range(0..100) {
                0..=54 => 0.97,
                55..=89 => 0.85,
                _ => 0.5,
            };
            for rule in &rules.rules {
                // A committee and 党小组 meet only where they exist (DOMAIN.md §4); members
                // stand in for 正式党员 here, which is close enough for a demo.
                if (rule.needs_committee
                    && members < domain::orglife::COMMITTEE_MIN_FORMAL_MEMBERS as usize)
                    || (rule.needs_party_group && !has_groups)
                {
                    continue;
                }
                for period in periods_of_year(rule.frequency, today.year()) {
                    let current = Period::containing(rule.frequency, today);
                    if period == current || period.start() > today || !rng.random_bool(keeps_up) {
                        continue;
                    }
                    let days = (period.end() - period.start()).num_days();
                    let held_on = period.start() + Duration::days(rng.random_range(0..=days));
                    meeting_id += 1;
                    rows.push(vec![
                        Param::I64(meeting_id),
                        Param::I64(branch.id),
                        Param::I64(1),
                        Param::Text(rule.institution.code().into()),
                        Param::Date(held_on),
                        Param::Text("党群服务中心会议室".into()),
                        Param::Text("支部书记".into()),
                        Param::Text("组织委员".into()),
                        Param::Text(format!("{}{}", period.label(), rule.institution.label())),
                        Param::Text(String::new()),
                        Param::Text(String::new()),
                        Param::I64(1),
                        Param::Text("演示数据".into()),
                        Param::Time(now),
                    ]);
                    if branch.id == attended_branch {
                        // Only those admitted by then are on a meeting's list.
                        for &(member, _) in attended_by.iter().filter(|(_, a)| *a <= held_on) {
                            let present = rng.random_bool(0.9);
                            attendance.push(vec![
                                Param::I64(meeting_id),
                                Param::I64(member),
                                Param::Bool(present),
                                if present {
                                    Param::NullText
                                } else {
                                    Param::Text(
                                        ["出差", "病假", "外出务工"][rng.random_range(0..3)].into(),
                                    )
                                },
                            ]);
                        }
                    }
                }
            }
        }
        self.db.bulk_insert("meetings", &columns, &rows).await?;
        self.db
            .bulk_insert(
                "meeting_attendance",
                &["meeting_id", "member_id", "present", "absence_reason"],
                &attendance,
            )
            .await?;
        Ok(rows.len())
    }
}

/// One step of a demo call's life: when, what, and what the resident is told.
struct DemoStep {
    at: chrono::NaiveDateTime,
    event: Option<domain::calls::Event>,
    note: String,
}

impl App {
    /// `count` residents' calls over the last six weeks, played through the real lifecycle
    /// (`domain::calls::apply`) at plausible times: most acknowledged within the hour and closed
    /// satisfied within days, some escalated or whistled up to departments, a few rated not
    /// satisfied and reopened, the newest still open. Returns how many were written.
    async fn demo_calls(&self, rng: &mut StdRng, root: i64, count: usize) -> Result<usize> {
        use domain::calls::{Case, Event, Level, Rating, SlaPolicy, apply, tracking_code};
        let units = self.db.call_units(root).await?;
        let items = self.db.call_items(root).await?;
        let communities: Vec<&store::CallUnit> =
            units.iter().filter(|u| u.level == "community").collect();
        let departments: Vec<&store::CallUnit> =
            units.iter().filter(|u| u.kind == "department").collect();
        if communities.is_empty() || items.is_empty() || departments.is_empty() {
            return Ok(0);
        }
        let unit = |id: i64| units.iter().find(|u| u.id == id);
        let now = crate::calls::local_now();
        let to_utc = |t: chrono::NaiveDateTime| {
            t.and_local_timezone(chrono_tz::Asia::Shanghai)
                .earliest()
                .map_or_else(store::now, |t| t.with_timezone(&chrono::Utc))
        };
        let mut calls = Vec::new();
        let mut events = Vec::new();
        let mut codes = HashSet::new();
        let minutes =
            |rng: &mut StdRng, from: i64, to: i64| Duration::minutes(rng.random_range(from..=to));
        for id in 1..=count as i64 {
            let community = communities[rng.random_range(0..communities.len())];
            let item = &items[rng.random_range(0..items.len())];
            let street = community.parent_id.and_then(unit).unwrap_or(community);
            let first = if item.first_level == "street" {
                street
            } else {
                community
            };
            let submitted = (now - Duration::days(rng.random_range(0..42)))
                .date()
                .and_hms_opt(rng.random_range(7..21), rng.random_range(0..60), 0)
                .unwrap_or(now)
                .min(now - Duration::minutes(30));
            let level = Level::from_code(&first.level).unwrap_or(Level::Community);
            let mut case = Case::new(submitted, level, first.id);
            let mut steps = vec![DemoStep {
                at: submitted,
                event: None,
                note: format!("已受理，派至{}", first.name),
            }];
            let mut at = submitted;
            let mut plan: Vec<(Duration, Event, String)> = Vec::new();
            plan.push((minutes(rng, 5, 90), Event::Acknowledge, "已签收".into()));
            plan.push((
                minutes(rng, 20, 240),
                Event::Respond {
                    note: "已电话联系群众，约定上门查看".into(),
                },
                "已答复群众：约定上门查看".into(),
            ));
            if rng.random_bool(0.15) && first.level == "community" {
                plan.push((
                    minutes(rng, 60, 600),
                    Event::Escalate {
                        to_unit: street.id,
                        reason: domain::calls::Escalation::Manual {
                            reason: "涉及多个产权单位，社区协调不下".into(),
                        },
                    },
                    format!("上报{}：涉及多个产权单位，社区协调不下", street.name),
                ));
                plan.push((minutes(rng, 10, 120), Event::Acknowledge, "已签收".into()));
                if rng.random_bool(0.5) {
                    let lead = departments[rng.random_range(0..departments.len())];
                    plan.push((
                        minutes(rng, 60, 480),
                        Event::Whistle {
                            lead: lead.id,
                            supporting: vec![],
                            reason: "需要职能部门执法".into(),
                        },
                        format!("{}吹哨，{}报到", street.name, lead.name),
                    ));
                    plan.push((minutes(rng, 10, 120), Event::Acknowledge, "已签收".into()));
                }
            }
            plan.push((
                minutes(rng, 240, 4 * 1440),
                Event::Resolve {
                    answer: "已处理完毕，现场已恢复".into(),
                },
                "已办结：已处理完毕，现场已恢复".into(),
            ));
            let rating = match rng.random_range(0..100) {
                0..=81 => Some(Rating::Satisfied),
                82..=93 => Some(Rating::BasicallySatisfied),
                94..=96 => Some(Rating::NotSatisfied),
                _ => None,
            };
            match rating {
                Some(rating) => plan.push((
                    minutes(rng, 30, 1440),
                    Event::Rate { rating },
                    format!("群众评价：{}", rating.label()),
                )),
                None => {
                    plan.push((
                        minutes(rng, 60, 600),
                        Event::RecordContactAttempt,
                        "回访未能联系上群众".into(),
                    ));
                    plan.push((
                        minutes(rng, 600, 2000),
                        Event::CloseUnreachable,
                        "多次回访未果，办结归档".into(),
                    ));
                }
            }
            if rating == Some(Rating::NotSatisfied) {
                plan.push((
                    minutes(rng, 240, 2880),
                    Event::Resolve {
                        answer: "再次上门处理，加装隔离设施".into(),
                    },
                    "已办结：再次上门处理，加装隔离设施".into(),
                ));
                plan.push((
                    minutes(rng, 30, 1440),
                    Event::Rate {
                        rating: Rating::Satisfied,
                    },
                    "群众评价：满意".into(),
                ));
            }
            for (gap, event, note) in plan {
                let next_at = at + gap;
                if next_at >= now {
                    break;
                }
                let Ok(next) = apply(&case, &event, next_at) else {
                    break;
                };
                let holder = unit(next.holder)
                    .map(|u| u.name.clone())
                    .unwrap_or_default();
                let note = if matches!(event, Event::Acknowledge) {
                    format!("{holder}{note}")
                } else {
                    note
                };
                case = next;
                at = next_at;
                steps.push(DemoStep {
                    at,
                    event: Some(event),
                    note,
                });
            }
            let sla = SlaPolicy {
                acknowledge_minutes: u32::try_from(item.acknowledge_minutes).unwrap_or(120),
                respond_minutes: u32::try_from(item.respond_minutes).unwrap_or(420),
                resolve_minutes: u32::try_from(item.resolve_minutes).unwrap_or(2100),
            };
            let code = loop {
                let code = tracking_code(submitted.date(), rng.random());
                if codes.insert(code.clone()) {
                    break code;
                }
            };
            let holder = unit(case.holder).unwrap_or(first);
            let Some(org) = community.org_id else {
                continue;
            };
            let description = format!("{}，请尽快处理。", item.name);
            calls.push(vec![
                Param::I64(id),
                Param::I64(root),
                Param::Text(code),
                Param::Text(item.code.clone()),
                Param::Text(format!("{} · {}", item.category_name, item.name)),
                Param::opt_i64(community.territory_id),
                Param::I64(community.id),
                Param::I64(org),
                Param::Text(String::new()),
                Param::Text(description),
                Param::Text(
                    random_name(rng).chars().take(1).collect::<String>()
                        + ["先生", "女士"][rng.random_range(0..2)],
                ),
                Param::Text(format!("139{:08}", rng.random_range(0..100_000_000u32))),
                Param::Text(["web", "staff"][rng.random_range(0..2)].into()),
                Param::Text(case.status.code().into()),
                Param::Text(case.level.code().into()),
                Param::I64(holder.id),
                Param::Text(serde_json::to_string(&case).unwrap_or_default()),
                Param::Text(serde_json::to_string(&sla).unwrap_or_default()),
                Param::Time(to_utc(submitted)),
                Param::Time(to_utc(at)),
            ]);
            for step in steps {
                let kind = step
                    .event
                    .as_ref()
                    .and_then(|e| serde_json::to_value(e).ok())
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str().map(String::from)))
                    .unwrap_or_else(|| "submit".into());
                events.push(vec![
                    Param::I64(id),
                    Param::Time(to_utc(step.at)),
                    Param::Text("演示数据".into()),
                    Param::Text(kind),
                    Param::Text(
                        step.event
                            .map(|e| serde_json::to_string(&e).unwrap_or_default())
                            .unwrap_or_else(|| "{\"kind\":\"submit\"}".into()),
                    ),
                    Param::Text(step.note),
                    Param::Text(case.status.code().into()),
                    Param::I64(holder.id),
                ]);
            }
        }
        self.db
            .bulk_insert(
                "calls",
                &[
                    "id",
                    "root_org_id",
                    "tracking_code",
                    "item_code",
                    "item_name",
                    "territory_id",
                    "community_unit_id",
                    "org_id",
                    "address",
                    "description",
                    "resident_name",
                    "phone",
                    "channel",
                    "status",
                    "level",
                    "holder_unit_id",
                    "state",
                    "sla",
                    "submitted_at",
                    "updated_at",
                ],
                &calls,
            )
            .await?;
        self.db
            .bulk_insert(
                "call_events",
                &[
                    "call_id",
                    "at",
                    "actor",
                    "kind",
                    "event",
                    "public_note",
                    "status_after",
                    "holder_unit_id",
                ],
                &events,
            )
            .await?;
        Ok(calls.len())
    }
}

fn committee_id(nodes: &[Node]) -> i64 {
    nodes
        .iter()
        .find(|n| n.parent.is_none())
        .map(|n| n.id)
        .unwrap_or(1)
}
