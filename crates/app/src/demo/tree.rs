//! The demo district's shape: its streets, communities, branches and units, names, and the
//! closure rows of a generated tree.

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};

use domain::{BranchKind, MemberCategory, OrgKind, Role, TerritoryLevel};
use store::Param;
pub(super) const DISTRICT: &str = "新华区";
pub(super) const STREETS: [&str; 10] = [
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
pub(super) const COMMUNITY_FIRST: [&str; 15] = [
    "春", "翠", "金", "桃", "阳", "光", "锦", "绿", "丽", "康", "向", "文", "华", "新", "和",
];
pub(super) const COMMUNITY_SECOND: [&str; 12] = [
    "园", "苑", "桥", "湖", "山", "源", "晖", "景", "城", "林", "泉", "庭",
];
pub(super) const VILLAGE_SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗",
];
pub(super) const VILLAGE_SUFFIX: [&str; 4] = ["家庄村", "家湾村", "店村", "营村"];
pub(super) const DEPARTMENTS: [&str; 40] = [
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
pub(super) const ENTERPRISES: [&str; 10] = [
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
pub(super) const FIRMS: [&str; 16] = [
    "华信", "博远", "中科", "汇通", "嘉禾", "恒达", "创维", "瑞丰", "启明", "鼎盛", "安泰", "宏图",
    "金石", "天成", "众合", "联创",
];
pub(super) const FIRM_KIND: [&str; 4] =
    ["科技有限公司", "物流有限公司", "商贸有限公司", "律师事务所"];
pub(super) const SOCIAL: [&str; 3] = ["志愿者协会", "养老服务中心", "社会工作服务站"];
pub(super) const SCHOOLS: [&str; 15] = [
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
pub(super) const RESIDENT_UNITS: [&str; 8] = [
    "区医院",
    "区供电公司",
    "派出所",
    "区税务所",
    "中国银行支行",
    "邮政支局",
    "消防救援站",
    "区图书馆",
];
pub(super) const SURNAMES: [&str; 60] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "单",
];
pub(super) const GIVEN: [&str; 80] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "建", "国", "文", "辉", "志", "红",
    "海", "燕", "波", "宁", "鹏", "斌", "飞", "欣", "佳", "怡", "浩", "宇", "晨", "阳", "凯", "琳",
    "雪", "梅", "丹", "颖", "倩", "婷", "鑫", "晶", "亮", "健", "峰", "俊", "春", "秋", "冬", "振",
    "德", "荣", "忠", "民", "永", "庆", "利", "福", "祥", "瑞", "新", "东", "松", "林", "岩", "彬",
];
/// Members of the branch the demo logins sit in, unless the demo is smaller.
pub(super) const LOGINS_BRANCH_MEMBERS: usize = 12;
/// Their positions (0 is the `member` login) of the 预备党员 in that branch.
pub(super) const LOGINS_BRANCH_PROBATIONARY: [usize; 2] = [1, 2];
/// The position of the member under 留党察看 there.
pub(super) const LOGINS_BRANCH_UNDER_PROBATION: usize = 3;
pub(super) const REGIONS: [&str; 6] = ["110107", "110108", "110106", "440103", "410103", "500103"];
pub(super) const DEMO_USERS: [(&str, Role); 5] = [
    ("admin", Role::Admin),
    ("street_admin", Role::OrgAdmin),
    ("community_admin", Role::OrgAdmin),
    ("branch_secretary", Role::BranchOfficer),
    ("member", Role::Member),
];

pub(super) struct Node {
    pub(super) id: i64,
    pub(super) parent: Option<i64>,
    pub(super) kind: OrgKind,
    pub(super) branch_kind: Option<BranchKind>,
    pub(super) name: String,
    pub(super) territory: Option<i64>,
    /// How many members this branch holds relative to others.
    pub(super) weight: u32,
}

pub(super) struct Place {
    pub(super) id: i64,
    pub(super) parent: Option<i64>,
    pub(super) level: TerritoryLevel,
    pub(super) name: String,
}

pub(super) fn random_name(rng: &mut StdRng) -> String {
    let surname = *SURNAMES.choose(rng).unwrap_or(&"王");
    let first = *GIVEN.choose(rng).unwrap_or(&"伟");
    if rng.random_bool(0.7) {
        format!("{surname}{first}{}", GIVEN.choose(rng).unwrap_or(&"华"))
    } else {
        format!("{surname}{first}")
    }
}

pub(super) fn category_for(kind: BranchKind, rng: &mut StdRng) -> MemberCategory {
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

pub(super) fn age_range(category: MemberCategory) -> (i32, i32) {
    match category {
        MemberCategory::Student => (19, 26),
        MemberCategory::Retired => (58, 92),
        MemberCategory::ElderlyInfirm => (70, 95),
        MemberCategory::Farmer => (30, 80),
        _ => (24, 60),
    }
}

pub(super) fn random_date_between(rng: &mut StdRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(0);
    from + Duration::days(rng.random_range(0..=days))
}

/// Builds the whole district in memory (it is small next to the members) and writes it.
/// A 兼职委员 to seat: (community committee id, name, unit, post).
type Seat = (i64, String, String, String);

/// Ids follow on from `after_org` and `after_place`, the largest already taken, so that a second
/// district goes into the same database beside the first.
pub(super) fn build_tree(
    rng: &mut StdRng,
    district_name: &str,
    after_org: i64,
    after_place: i64,
) -> (Vec<Place>, Vec<Node>, Vec<Seat>) {
    let mut places = Vec::new();
    let mut nodes = Vec::new();
    let mut concurrent = Vec::new();
    let mut next_place = after_place + 1;
    let mut next_org = after_org + 1;
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
        district_name.to_string(),
    );
    let committee = org(
        &mut nodes,
        None,
        OrgKind::DistrictCommittee,
        None,
        format!("中共{district_name}委员会"),
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

pub(super) fn closure_rows<T>(
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

pub(super) fn committee_id(nodes: &[Node]) -> i64 {
    nodes
        .iter()
        .find(|n| n.parent.is_none())
        .map(|n| n.id)
        .unwrap_or(1)
}
