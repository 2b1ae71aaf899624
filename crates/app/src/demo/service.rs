//! The demo's 一呼百应 (DOMAIN.md §10): about a third of the in-service members outside the
//! communities' own branches registered (报到) where they live, with their half-yearly reports
//! and the communities' quarterly word on them; needs in every community over the past year and
//! the next two weeks, claimed and served, with the hours the posting unit confirmed and the
//! points those give; and a 微心愿 wall in every community. Written in bulk, as the use cases
//! would have left the rows, so that it stays fast on a district of a million members.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};

use crate::{App, Result};
use domain::service::{hours_label, report_period, round_to_unit, served_minutes};
use store::{MemberFilter, Param, Scope};

/// Who confirms registrations and hours in the demo (the `community_admin` login's name).
const ADMIN: &str = "演示社区管理员";
const SYSTEM: &str = "系统（演示数据）";
const COMMUNITY_KINDS: [&str; 2] = ["community_committee", "village_committee"];
const STREET_KINDS: [&str; 2] = ["street_committee", "town_committee"];
/// Reporting every half year and hours counted in half hours: the default rules.
const REPORT_MONTHS: u32 = 6;
const HOUR_UNIT: u32 = 30;
/// What the presets give for confirmed service (`service_done`, in hundredths: 1 point).
const SERVICE_POINTS: i64 = 100;
/// Registrations, confirmed and waiting, the logins' community has at least.
const HOME_REGISTERED: usize = 8;
const HOME_PENDING: usize = 2;

const SKILLS: [&str; 10] = [
    "医疗护理",
    "法律咨询",
    "文艺宣传",
    "理发",
    "家电维修",
    "心理疏导",
    "助老陪护",
    "课业辅导",
    "摄影",
    "驾驶",
];
const AVAILABILITY: [&str; 6] = [
    "周末上午",
    "周末下午",
    "工作日晚上",
    "节假日",
    "周末全天",
    "工作日下午（调休时）",
];
/// What a need asks for: title, detail, the skill it wants (may be empty).
const NEEDS: [(&str, &str, &str); 12] = [
    (
        "助老陪护",
        "陪伴辖区独居老人聊天、读报，帮助整理房间",
        "助老陪护",
    ),
    (
        "垃圾分类宣传",
        "在小区入口指导居民分类投放，发放宣传资料",
        "",
    ),
    ("社区环境整治", "清理楼道杂物和小广告，整治绿地卫生死角", ""),
    ("义诊", "为居民测量血压、血糖，提供健康咨询", "医疗护理"),
    (
        "法律咨询进社区",
        "解答居民婚姻家庭、劳动争议、物业纠纷等问题",
        "法律咨询",
    ),
    (
        "青少年课业辅导",
        "为辖区中小学生辅导作业、讲解难题",
        "课业辅导",
    ),
    ("文明交通劝导", "在路口劝导行人和电动自行车文明出行", ""),
    ("防诈骗宣传", "向老年居民讲解常见电信网络诈骗手法", ""),
    ("便民理发", "为行动不便的老人集中理发", "理发"),
    (
        "家电义务维修",
        "为居民免费检修小家电、讲解安全用电",
        "家电维修",
    ),
    (
        "心理健康讲座",
        "为居民讲解情绪调适，开展心理疏导",
        "心理疏导",
    ),
    ("邻里文艺汇演", "组织居民排练节目、布置场地", "文艺宣传"),
];
const PLACES: [&str; 6] = [
    "社区党群服务中心",
    "小区广场",
    "新时代文明实践站",
    "社区卫生服务站",
    "社区活动室",
    "小区南门",
];
/// 驻区单位 that post needs through a branch of the community, and the need each posts.
const UNITS: [(&str, usize); 5] = [
    ("区人民医院", 3),
    ("区司法局", 4),
    ("城区派出所", 7),
    ("区供电公司", 9),
    ("区交警大队", 6),
];
const RATINGS: [(&str, u32, &str); 4] = [
    ("优秀", 45, "积极参加社区活动，主动认领服务，居民评价很好"),
    ("良好", 40, "能按时报到，参加了本季度的志愿服务"),
    ("一般", 12, "本季度参加社区活动较少，希望多参与"),
    ("较差", 3, "本季度未参加社区活动，已提醒本人"),
];
/// A 微心愿: what is wished for and the story shown on the wall.
const WISHES: [(&str, &str); 12] = [
    (
        "一台助听器",
        "老人听力下降，和家人说话越来越吃力，希望有一台助听器",
    ),
    ("一套冬季棉衣", "天冷了，想给正在长身体的孩子添一套厚棉衣"),
    ("一个新书包", "孩子的书包用了四年，背带已经断了好几次"),
    ("一辆轮椅", "腿脚不便，想坐着轮椅到楼下晒晒太阳"),
    ("上门理发一次", "出不了门，头发很久没有理了"),
    ("一台电饭煲", "家里的电饭煲坏了，做饭很不方便"),
    ("一盏护眼台灯", "孩子晚上写作业光线太暗，想要一盏台灯"),
    ("一床新棉被", "家里的被子用了十几年，已经不暖和了"),
    ("一副老花镜", "眼睛花了，看不清药盒上的说明"),
    ("陪老人过一次生日", "子女在外地工作，希望有人陪着过个生日"),
    ("一套课外读物", "孩子爱看书，想要几本适合初中生的课外书"),
    ("修好漏水的水龙头", "厨房水龙头一直漏水，自己修不好"),
];
const WISHERS: [&str; 10] = [
    "独居老人王阿姨",
    "困难家庭小李同学",
    "残疾人张师傅",
    "空巢老人刘大爷",
    "留守儿童小陈",
    "低保户赵阿姨",
    "孤寡老人孙奶奶",
    "困难家庭小周同学",
    "独居老人马爷爷",
    "残疾人何大姐",
];
const CONTACT_NOTES: [&str; 4] = [
    "已电话联系家属，约好周末上门",
    "已上门看望，了解了具体需要",
    "已和老人约定时间送达",
    "已联系孩子家长，确认了尺码",
];

/// What the demo's service step wrote, for its progress line.
pub(super) struct ServiceSummary {
    pub(super) registrations: usize,
    pub(super) needs: usize,
    pub(super) services: usize,
}

/// One row as (column, value) pairs. A NULL column is left out and rows with the same columns go
/// in one insert: PostgreSQL refuses an untyped NULL for a date or time column.
type Row = Vec<(&'static str, Param)>;

/// When the step runs, and for whom.
#[derive(Clone, Copy)]
struct Setting {
    root: i64,
    /// The `member` login's member.
    login: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
    /// China's wall-clock time now.
    local_now: NaiveDateTime,
}

struct Community {
    id: i64,
    /// The community's own name ("春园社区", "王家庄村"), from its territory.
    name: String,
    street: Option<i64>,
    station: String,
    grids: Vec<i64>,
    branches: Vec<i64>,
    /// Members of its own branches, (member, branch): they never register, but may claim.
    own: Vec<(i64, i64)>,
    /// Its confirmed registrations, as indexes into the registrations.
    registered: Vec<usize>,
}

/// The communities, and where each org lies.
struct District {
    communities: Vec<Community>,
    /// Each org's ancestors, itself included.
    ancestors: HashMap<i64, Vec<i64>>,
    /// Community org id → index into `communities`.
    index: HashMap<i64, usize>,
    streets: HashSet<i64>,
    /// The branch of the `member` login.
    login_branch: Option<i64>,
}

impl District {
    /// The community an org is or lies in.
    fn community_of(&self, org: i64) -> Option<usize> {
        self.ancestors
            .get(&org)
            .and_then(|up| up.iter().find_map(|a| self.index.get(a).copied()))
    }

    fn street_of(&self, org: i64) -> Option<i64> {
        self.ancestors
            .get(&org)
            .and_then(|up| up.iter().find(|a| self.streets.contains(a)).copied())
    }

    /// A community in the branch's street, or any when the branch lies in none.
    fn near(&self, rng: &mut StdRng, branch: i64) -> usize {
        let street = self.street_of(branch);
        let near: Vec<usize> = (0..self.communities.len())
            .filter(|&i| street.is_some() && self.communities[i].street == street)
            .collect();
        match near.choose(rng) {
            Some(c) => *c,
            None => rng.random_range(0..self.communities.len()),
        }
    }
}

/// An in-service member whose 组织关系 is not in a community, who must report.
struct Obliged {
    member: i64,
    branch: i64,
    phone: Option<String>,
    /// The community their record names as 报到社区.
    recorded: Option<usize>,
}

struct Registration {
    member: i64,
    branch: i64,
    community: usize,
    confirmed_on: Option<NaiveDate>,
}

struct Need {
    id: i64,
    community: usize,
    org_id: i64,
    poster_unit: &'static str,
    /// Index into [`NEEDS`].
    kind: usize,
    place: &'static str,
    station: String,
    start: NaiveDateTime,
    end: NaiveDateTime,
    people: usize,
    state: &'static str,
    posted_by: String,
    posted_at: DateTime<Utc>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Claimed,
    Done,
    Confirmed,
    Withdrawn,
}

impl Want {
    fn code(self) -> &'static str {
        match self {
            Want::Claimed => "claimed",
            Want::Done => "done",
            Want::Confirmed => "confirmed",
            Want::Withdrawn => "withdrawn",
        }
    }
}

struct Claim {
    id: i64,
    need: usize,
    member: i64,
    branch: i64,
    state: Want,
    claimed_at: DateTime<Utc>,
    /// Check-in, check-out, travel and proposed minutes, once checked out.
    served: Option<(NaiveDateTime, NaiveDateTime, i64, i64)>,
    /// Confirmed minutes and when.
    confirmed: Option<(i64, DateTime<Utc>)>,
    ended_at: Option<DateTime<Utc>>,
}

/// The rows to write, by table.
#[derive(Default)]
struct Rows {
    registrations: Vec<Row>,
    reports: Vec<Row>,
    feedback: Vec<Row>,
    needs: Vec<Row>,
    claims: Vec<Row>,
    points: Vec<Row>,
    wishes: Vec<Row>,
}

/// China's wall-clock time (UTC+8) as the instant it is.
fn utc(local: NaiveDateTime) -> DateTime<Utc> {
    (local - Duration::hours(8)).and_utc()
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    day.and_hms_opt(hour, minute, 0).unwrap_or_default()
}

/// Some time of the working day on `day`.
fn working_hours(rng: &mut StdRng, day: NaiveDate) -> DateTime<Utc> {
    utc(at(day, rng.random_range(9..18), rng.random_range(0..60)))
}

fn day_between(rng: &mut StdRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    from + Duration::days(rng.random_range(0..=(to - from).num_days().max(0)))
}

/// An instant between `from` and `to` (or `from` when they are the wrong way round).
fn instant_between(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_minutes().max(0);
    from + Duration::minutes(rng.random_range(0..=span))
}

fn pick<T: Copy>(rng: &mut StdRng, options: &[T]) -> T {
    options[rng.random_range(0..options.len())]
}

/// One of `options`, drawn by the weight each carries.
fn weighted<T: Copy>(rng: &mut StdRng, options: &[(T, u32, T)]) -> (T, u32, T) {
    let total: u32 = options.iter().map(|o| o.1).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for option in options {
        if roll < option.1 {
            return *option;
        }
        roll -= option.1;
    }
    options[0]
}

fn phone(rng: &mut StdRng) -> String {
    format!(
        "1{}{:09}",
        pick(rng, &[3, 5, 7, 8, 9]),
        rng.random_range(0..1_000_000_000u64)
    )
}

fn overlap(a: (NaiveDateTime, NaiveDateTime), b: (NaiveDateTime, NaiveDateTime)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

impl App {
    /// Writes the demo's volunteer service. `member_login` is the `member` login's member: they
    /// get confirmed hours this year, a claim waiting for confirmation and one on an upcoming
    /// need (and a registration, if their branch is not a community's own).
    pub(super) async fn demo_service(
        &self,
        rng: &mut StdRng,
        root: i64,
        member_login: i64,
        today: NaiveDate,
    ) -> Result<ServiceSummary> {
        let now = store::now();
        let set = Setting {
            root,
            login: member_login,
            today,
            now,
            local_now: (now + Duration::hours(8)).naive_utc(),
        };
        let mut district = self.service_district(rng, &set).await?;
        if district.communities.is_empty() {
            return Ok(ServiceSummary {
                registrations: 0,
                needs: 0,
                services: 0,
            });
        }
        let obliged = self.service_obliged(&district, root).await?;
        let mut ids = Ids::new(self).await?;
        let mut rows = Rows::default();
        let registrations =
            draw_registrations(rng, &mut district, obliged, &set, &mut ids, &mut rows);
        let mut needs = draw_needs(rng, &district, &set, &mut ids);
        let login_community = district.login_branch.and_then(|b| {
            district.community_of(b).or_else(|| {
                registrations
                    .iter()
                    .find(|r| r.member == member_login)
                    .map(|r| r.community)
            })
        });
        let mut planned = HashMap::new();
        if let (Some(community), Some(branch)) = (login_community, district.login_branch) {
            let meeting_days: HashSet<NaiveDate> = self
                .db
                .meetings_between(
                    Scope::Subtree(root),
                    branch,
                    today - Duration::days(400),
                    today + Duration::days(15),
                )
                .await?
                .into_iter()
                .map(|m| m.held_on)
                .collect();
            planned = plan_login(
                rng,
                &district,
                &mut needs,
                community,
                &meeting_days,
                &set,
                &mut ids,
            );
        }
        let claims = draw_claims(
            rng,
            &district,
            &registrations,
            &needs,
            &planned,
            &set,
            &mut ids,
        );
        need_rows(&district, &needs, &claims, &set, &mut rows);
        claim_rows(&needs, &claims, &set, &mut ids, &mut rows);
        draw_wishes(rng, &district, &registrations, &set, &mut ids, &mut rows);

        let summary = ServiceSummary {
            registrations: rows.registrations.len(),
            needs: rows.needs.len(),
            services: rows.points.len(),
        };
        self.insert_rows("service_registrations", rows.registrations)
            .await?;
        self.insert_rows("service_reports", rows.reports).await?;
        self.insert_rows("service_feedback", rows.feedback).await?;
        self.insert_rows("service_needs", rows.needs).await?;
        self.insert_rows("service_claims", rows.claims).await?;
        self.insert_rows("points_entries", rows.points).await?;
        self.insert_rows("service_wishes", rows.wishes).await?;
        self.db.reset_id_sequences().await?;
        Ok(summary)
    }

    /// The communities with their names, stations, grids, branches and own members.
    async fn service_district(&self, rng: &mut StdRng, set: &Setting) -> Result<District> {
        let scope = Scope::Subtree(set.root);
        let mut orgs = Vec::new();
        for kind in COMMUNITY_KINDS {
            orgs.extend(self.db.org_list_kind(scope, kind).await?);
        }
        orgs.sort_by_key(|o| o.id);
        let mut streets = HashSet::new();
        for kind in STREET_KINDS {
            streets.extend(
                self.db
                    .org_list_kind(scope, kind)
                    .await?
                    .iter()
                    .map(|o| o.id),
            );
        }
        let names: HashMap<i64, String> = self
            .db
            .territory_list_level(None, "community")
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect();
        let mut grids: HashMap<i64, Vec<i64>> = HashMap::new();
        for t in self.db.territory_list_level(None, "grid").await? {
            if let Some(parent) = t.parent_id {
                grids.entry(parent).or_default().push(t.id);
            }
        }
        let mut district = District {
            communities: Vec::with_capacity(orgs.len()),
            ancestors: self.db.org_ancestors(set.root).await?,
            index: orgs.iter().enumerate().map(|(i, o)| (o.id, i)).collect(),
            streets,
            login_branch: None,
        };
        for o in &orgs {
            let name = o
                .territory_id
                .and_then(|t| names.get(&t).cloned())
                .unwrap_or_else(|| {
                    o.name
                        .trim_end_matches("大党委")
                        .trim_end_matches("党委")
                        .to_string()
                });
            let station = if rng.random_bool(0.55) {
                format!("{name}新时代文明实践站")
            } else {
                format!("{name}志愿服务站")
            };
            let mut own_grids = o
                .territory_id
                .and_then(|t| grids.get(&t).cloned())
                .unwrap_or_default();
            own_grids.sort_unstable();
            district.communities.push(Community {
                id: o.id,
                name,
                street: district.street_of(o.id),
                station,
                grids: own_grids,
                branches: Vec::new(),
                own: Vec::new(),
                registered: Vec::new(),
            });
        }
        let mut branches = self.db.org_list_kind(scope, "branch").await?;
        branches.sort_by_key(|b| b.id);
        for b in &branches {
            if let Some(c) = district.community_of(b.id) {
                district.communities[c].branches.push(b.id);
            }
        }
        for (branch, member) in self.db.points_members_by_branch(set.root).await? {
            if member == set.login {
                district.login_branch = Some(branch);
            } else if let Some(c) = district.community_of(branch) {
                district.communities[c].own.push((member, branch));
            }
        }
        for c in &mut district.communities {
            c.own.sort_unstable();
        }
        Ok(district)
    }

    /// The in-service members whose 组织关系 is not in a community, by id, with the community
    /// their record names as 报到社区.
    async fn service_obliged(&self, district: &District, root: i64) -> Result<Vec<Obliged>> {
        let by_name: HashMap<&str, usize> = district
            .communities
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_str(), i))
            .collect();
        let filter = MemberFilter {
            category: Some(domain::MemberCategory::InService.code().into()),
            ..MemberFilter::default()
        };
        let mut obliged = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .db
                .member_export_page(Scope::Subtree(root), &filter, after, 20_000)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for m in page {
                if district.community_of(m.branch_id).is_none() {
                    let recorded = m
                        .registered_community
                        .as_deref()
                        .and_then(|n| by_name.get(n).copied());
                    obliged.push(Obliged {
                        member: m.id,
                        branch: m.branch_id,
                        phone: m.phone,
                        recorded,
                    });
                }
            }
        }
        Ok(obliged)
    }

    /// Inserts rows in bulk, one statement group per set of columns present.
    async fn insert_rows(&self, table: &str, rows: Vec<Row>) -> Result<()> {
        let mut groups: BTreeMap<Vec<&'static str>, Vec<Vec<Param>>> = BTreeMap::new();
        for row in rows {
            let (columns, values): (Vec<&'static str>, Vec<Param>) = row.into_iter().unzip();
            groups.entry(columns).or_default().push(values);
        }
        for (columns, values) in groups {
            self.db.bulk_insert(table, &columns, &values).await?;
        }
        Ok(())
    }
}

/// A third of the members who must report registered. Those whose record names a 报到社区
/// registered there over the last 18 months and were confirmed, with the first report on the
/// day of registration, one in most half years since (so that some are overdue), and for about
/// half the community's word on the last quarter or two. A few without one registered in the
/// last month and wait for the community.
fn draw_registrations(
    rng: &mut StdRng,
    district: &mut District,
    obliged: Vec<Obliged>,
    set: &Setting,
    ids: &mut Ids,
    rows: &mut Rows,
) -> Vec<Registration> {
    let today = set.today;
    let target = obliged.len() as f64 / 3.0;
    let recorded = obliged.iter().filter(|m| m.recorded.is_some()).count();
    let unrecorded = obliged.len() - recorded;
    let confirm_share = (target * 0.9 / recorded.max(1) as f64).min(1.0);
    let pending_share = (target * 0.1 / unrecorded.max(1) as f64).min(1.0);
    // (member, branch, phone, community, confirmed)
    let mut drawn: Vec<(i64, i64, Option<String>, usize, bool)> = Vec::new();
    let mut spare: Vec<Obliged> = Vec::new();
    for m in obliged {
        if m.member == set.login {
            continue;
        }
        match m.recorded {
            Some(c) if rng.random_bool(confirm_share) => {
                drawn.push((m.member, m.branch, m.phone, c, true));
            }
            None if rng.random_bool(pending_share) => {
                let c = district.near(rng, m.branch);
                drawn.push((m.member, m.branch, m.phone, c, false));
            }
            _ => spare.push(m),
        }
    }
    // The logins' community has a list to show even in a small demo: a few more register
    // there (members whose record names it or no community), two of them still waiting.
    if let Some(home) = district.login_branch.and_then(|b| district.community_of(b)) {
        let there = |confirmed: bool| {
            drawn
                .iter()
                .filter(|d| d.3 == home && d.4 == confirmed)
                .count()
        };
        let mut missing = [
            (true, HOME_REGISTERED.saturating_sub(there(true))),
            (false, HOME_PENDING.saturating_sub(there(false))),
        ];
        for m in spare {
            if m.recorded.is_some_and(|c| c != home) {
                continue;
            }
            if let Some((confirmed, left)) = missing.iter_mut().find(|(_, left)| *left > 0) {
                *left -= 1;
                drawn.push((m.member, m.branch, m.phone, home, *confirmed));
            } else {
                break;
            }
        }
    }
    if let Some(branch) = district.login_branch
        && district.community_of(branch).is_none()
    {
        let c = district.near(rng, branch);
        drawn.push((set.login, branch, None, c, true));
    }
    // The last two quarters that have ended, latest first.
    let last = report_period(report_period(today, 3).from - Duration::days(1), 3);
    let before = report_period(last.from - Duration::days(1), 3);
    let quarters = [last, before];
    let mut registrations = Vec::with_capacity(drawn.len());
    for (member, branch, phone_no, c, confirmed) in drawn {
        let id = ids.next("service_registrations");
        let is_login = member == set.login;
        let registered_on = if !confirmed {
            day_between(rng, today - Duration::days(29), today)
        } else if is_login {
            today - Duration::days(400)
        } else {
            day_between(rng, today - Duration::days(548), today - Duration::days(1))
        };
        let confirmed_on =
            confirmed.then(|| (registered_on + Duration::days(rng.random_range(0..=7))).min(today));
        let community = &mut district.communities[c];
        let grid = if rng.random_bool(0.7) {
            community.grids.choose(rng).copied()
        } else {
            None
        };
        let skill_count = rng.random_range(1..=2);
        let skills: Vec<&str> = SKILLS.choose_multiple(rng, skill_count).copied().collect();
        let phone_no = phone_no
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| phone(rng));
        let mut row: Row = vec![
            ("id", Param::I64(id)),
            ("root_org_id", Param::I64(set.root)),
            ("member_id", Param::I64(member)),
            ("branch_id", Param::I64(branch)),
            ("community_id", Param::I64(community.id)),
            ("grid_id", Param::opt_i64(grid)),
            ("skills", Param::Text(skills.join("、"))),
            ("availability", Param::Text(pick(rng, &AVAILABILITY).into())),
            ("phone", Param::Text(phone_no)),
            (
                "state",
                Param::Text(if confirmed { "confirmed" } else { "pending" }.into()),
            ),
            ("registered_on", Param::Date(registered_on)),
        ];
        if let Some(on) = confirmed_on {
            row.push(("confirmed_on", Param::Date(on)));
            row.push(("confirmed_by", Param::Text(ADMIN.into())));
        }
        row.push((
            "created_at",
            Param::Time(utc(at_evening(rng, registered_on))),
        ));
        rows.registrations.push(row);
        if confirmed_on.is_some() {
            community.registered.push(registrations.len());
        }
        registrations.push(Registration {
            member,
            branch,
            community: c,
            confirmed_on,
        });
        let Some(confirmed_on) = confirmed_on else {
            continue;
        };
        let mut reports = vec![(registered_on, "首次报到", confirmed_on)];
        let mut period = report_period(registered_on, REPORT_MONTHS);
        while period.until < today {
            period = report_period(period.until + Duration::days(1), REPORT_MONTHS);
            let from = period.from.max(confirmed_on);
            let until = period.until.min(today);
            if from <= until && (is_login || rng.random_bool(0.8)) {
                let day = day_between(rng, from, until);
                reports.push((day, "定期报到", day));
            }
        }
        for (day, note, recorded_on) in reports {
            rows.reports.push(vec![
                ("id", Param::I64(ids.next("service_reports"))),
                ("root_org_id", Param::I64(set.root)),
                ("registration_id", Param::I64(id)),
                ("reported_on", Param::Date(day)),
                ("note", Param::Text(note.into())),
                ("recorded_by", Param::Text(ADMIN.into())),
                ("recorded_at", Param::Time(working_hours(rng, recorded_on))),
            ]);
        }
        if rng.random_bool(0.5) {
            let count = rng.random_range(1..=2);
            for q in quarters.iter().take(count) {
                if q.until < confirmed_on {
                    continue;
                }
                let (rating, _, comment) = weighted(rng, &RATINGS);
                let given_on = q.until + Duration::days(rng.random_range(1..=15));
                rows.feedback.push(vec![
                    ("id", Param::I64(ids.next("service_feedback"))),
                    ("root_org_id", Param::I64(set.root)),
                    ("registration_id", Param::I64(id)),
                    (
                        "quarter",
                        Param::Text(format!("{}-{}", q.from.year(), q.code)),
                    ),
                    ("rating", Param::Text(rating.into())),
                    ("comment", Param::Text(comment.into())),
                    ("given_by", Param::Text(ADMIN.into())),
                    (
                        "given_at",
                        Param::Time(working_hours(rng, given_on).min(set.now - Duration::hours(1))),
                    ),
                ]);
            }
        }
    }
    registrations
}

/// An evening hour on `day`, when members fill in their registration.
fn at_evening(rng: &mut StdRng, day: NaiveDate) -> NaiveDateTime {
    at(day, rng.random_range(18..22), rng.random_range(0..60))
}

/// About two needs a month in every community over the past year, two or three in the next
/// fortnight; a few posted by a 驻区单位 through a branch of the community. Past needs are open
/// (they simply ended), some closed, a few cancelled.
fn draw_needs(rng: &mut StdRng, district: &District, set: &Setting, ids: &mut Ids) -> Vec<Need> {
    let today = set.today;
    let mut needs = Vec::new();
    for (c, community) in district.communities.iter().enumerate() {
        let past = rng.random_range(22..=26);
        let coming = rng.random_range(2..=3);
        let mut days: Vec<(NaiveDate, bool)> = Vec::with_capacity(past + coming);
        for _ in 0..past {
            let day = day_between(rng, today - Duration::days(365), today - Duration::days(1));
            days.push((day, false));
        }
        for _ in 0..coming {
            let day = day_between(rng, today + Duration::days(1), today + Duration::days(14));
            days.push((day, true));
        }
        days.sort();
        for (day, upcoming) in days {
            let unit = (rng.random_bool(0.15) && !community.branches.is_empty())
                .then(|| pick(rng, &UNITS));
            let (org_id, poster_unit, kind, posted_by) = match unit {
                Some((unit, kind)) => (
                    pick(rng, &community.branches),
                    unit,
                    kind,
                    format!("{unit}志愿服务联络员"),
                ),
                None => (
                    community.id,
                    "",
                    rng.random_range(0..NEEDS.len()),
                    ADMIN.to_string(),
                ),
            };
            let start = at(day, pick(rng, &[9, 14]), 0);
            let end = start + Duration::hours(rng.random_range(2..=3));
            let posted_at = if upcoming {
                set.now - Duration::minutes(rng.random_range(60..=5 * 24 * 60))
            } else {
                let ahead = Duration::days(rng.random_range(2..=10));
                working_hours(rng, day - ahead)
            };
            let state = match (upcoming, rng.random_range(0..100)) {
                (true, _) => "open",
                (false, 0..3) => "cancelled",
                (false, 3..15) => "closed",
                (false, _) => "open",
            };
            needs.push(Need {
                id: ids.next("service_needs"),
                community: c,
                org_id,
                poster_unit,
                kind,
                place: pick(rng, &PLACES),
                station: if rng.random_bool(0.8) {
                    community.station.clone()
                } else {
                    String::new()
                },
                start,
                end,
                people: rng.random_range(2..=8),
                state,
                posted_by,
                posted_at,
            });
        }
    }
    needs
}

/// The `member` login's claims, as need index → state: up to four confirmed this year, one
/// done and waiting for confirmation (on a need added for it when none is recent), one on an
/// upcoming need; none on a day their branch meets and none overlapping.
fn plan_login(
    rng: &mut StdRng,
    district: &District,
    needs: &mut Vec<Need>,
    community: usize,
    meeting_days: &HashSet<NaiveDate>,
    set: &Setting,
    ids: &mut Ids,
) -> HashMap<usize, Want> {
    let today = set.today;
    let free = |n: &Need| {
        n.community == community
            && n.state != "cancelled"
            && !meeting_days.contains(&n.start.date())
    };
    let recent = needs
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            free(n) && n.start.date() < today && n.start.date() >= today - Duration::days(20)
        })
        .map(|(i, _)| i)
        .next_back();
    let done = match recent {
        Some(i) => i,
        None => {
            let day = (1..=10)
                .map(|d| today - Duration::days(d))
                .find(|d| !meeting_days.contains(d))
                .unwrap_or(today - Duration::days(1));
            let start = at(day, 14, 0);
            let c = &district.communities[community];
            needs.push(Need {
                id: ids.next("service_needs"),
                community,
                org_id: c.id,
                poster_unit: "",
                kind: 2,
                place: PLACES[0],
                station: c.station.clone(),
                start,
                end: start + Duration::hours(2),
                people: 6,
                state: "open",
                posted_by: ADMIN.to_string(),
                posted_at: utc(start - Duration::days(5)),
            });
            needs.len() - 1
        }
    };
    let mut planned = HashMap::from([(done, Want::Done)]);
    let mut slots = vec![(needs[done].start, needs[done].end)];
    let mut this_year: Vec<usize> = needs
        .iter()
        .enumerate()
        .filter(|(i, n)| {
            *i != done
                && free(n)
                && n.start.year() == today.year()
                && n.start.date() <= today - Duration::days(4)
        })
        .map(|(i, _)| i)
        .collect();
    this_year.shuffle(rng);
    for i in this_year {
        let slot = (needs[i].start, needs[i].end);
        if slots.len() < 5 && !slots.iter().any(|s| overlap(*s, slot)) {
            slots.push(slot);
            planned.insert(i, Want::Confirmed);
        }
    }
    let upcoming = needs
        .iter()
        .enumerate()
        .filter(|(_, n)| n.community == community && n.start > set.local_now)
        .min_by_key(|(_, n)| (meeting_days.contains(&n.start.date()), n.start))
        .map(|(i, _)| i);
    if let Some(i) = upcoming {
        planned.insert(i, Want::Claimed);
    }
    planned
}

/// Past needs were taken by members registered with the community by then (or its own members
/// when too few are): most served and confirmed, some in the last month done and waiting, a few
/// withdrawn. Upcoming needs have a few claims and places left. No member holds two claims at
/// once or more than one open claim.
fn draw_claims(
    rng: &mut StdRng,
    district: &District,
    registrations: &[Registration],
    needs: &[Need],
    planned: &HashMap<usize, Want>,
    set: &Setting,
    ids: &mut Ids,
) -> Vec<Claim> {
    let mut busy: HashMap<i64, Vec<(NaiveDateTime, NaiveDateTime)>> = HashMap::new();
    let mut holding: HashSet<i64> = HashSet::new();
    let mut claims: Vec<Claim> = Vec::new();
    for (i, need) in needs.iter().enumerate() {
        if need.state == "cancelled" {
            continue;
        }
        let slot = (need.start, need.end);
        let upcoming = need.start > set.local_now;
        let mut wanted = if upcoming {
            rng.random_range(0..=need.people / 2)
        } else {
            rng.random_range(1..=need.people)
        };
        if let (Some(want), Some(branch)) = (planned.get(&i), district.login_branch) {
            claims.push(draw_claim(
                rng,
                need,
                i,
                (set.login, branch),
                *want,
                set.now,
            ));
            wanted = wanted.saturating_sub(1);
        }
        let community = &district.communities[need.community];
        let day = need.start.date();
        let registered: Vec<(i64, i64)> = community
            .registered
            .iter()
            .map(|&r| &registrations[r])
            .filter(|r| r.confirmed_on.is_some_and(|on| on <= day))
            .map(|r| (r.member, r.branch))
            .collect();
        let mut pool: Vec<(i64, i64)> = registered
            .choose_multiple(rng, wanted + 3)
            .copied()
            .collect();
        if pool.len() < wanted + 3 {
            let more = wanted + 3 - pool.len();
            pool.extend(community.own.choose_multiple(rng, more).copied());
        }
        let mut taken = 0;
        for (member, branch) in pool {
            if taken == wanted {
                break;
            }
            let clash = busy
                .get(&member)
                .is_some_and(|slots| slots.iter().any(|s| overlap(*s, slot)));
            if member == set.login || clash || (upcoming && holding.contains(&member)) {
                continue;
            }
            taken += 1;
            let want = if upcoming {
                holding.insert(member);
                Want::Claimed
            } else if rng.random_bool(0.06) {
                Want::Withdrawn
            } else if day >= set.today - Duration::days(30) && rng.random_bool(0.2) {
                Want::Done
            } else {
                Want::Confirmed
            };
            if want != Want::Withdrawn {
                busy.entry(member).or_default().push(slot);
            }
            claims.push(draw_claim(rng, need, i, (member, branch), want, set.now));
        }
    }
    claims.sort_by_key(|k| (needs[k.need].start, k.claimed_at, k.member));
    for k in &mut claims {
        k.id = ids.next("service_claims");
    }
    claims
}

/// A claim on `need` in the state wanted, with times as the member and the posting unit would
/// have recorded them. A confirmation that would lie in the future stays done.
fn draw_claim(
    rng: &mut StdRng,
    need: &Need,
    need_index: usize,
    (member, branch): (i64, i64),
    want: Want,
    now: DateTime<Utc>,
) -> Claim {
    let limit = (utc(need.start) - Duration::hours(1)).min(now - Duration::minutes(10));
    let claimed_at = instant_between(rng, need.posted_at + Duration::minutes(5), limit);
    let mut claim = Claim {
        id: 0,
        need: need_index,
        member,
        branch,
        state: want,
        claimed_at,
        served: None,
        confirmed: None,
        ended_at: None,
    };
    match want {
        Want::Claimed => {}
        Want::Withdrawn => {
            let from = claimed_at + Duration::minutes(30);
            claim.ended_at = Some(instant_between(rng, from, limit.max(from)));
        }
        Want::Done | Want::Confirmed => {
            let check_in = need.start + Duration::minutes(rng.random_range(-20..=5));
            let check_out = need.end + Duration::minutes(rng.random_range(-15..=20));
            let travel = rng.random_range(0..=6) * 5;
            let served = served_minutes(check_in, check_out, travel);
            let proposed = i64::from(round_to_unit(served, HOUR_UNIT));
            claim.served = Some((check_in, check_out, i64::from(travel), proposed));
            let confirmed_at =
                utc(check_out) + Duration::minutes(rng.random_range(20..=3 * 24 * 60));
            // Sometimes the unit confirms half an hour less than proposed.
            let corrected = rng.random_bool(0.1);
            if want == Want::Confirmed && confirmed_at < now {
                let minutes = if proposed > 60 && corrected {
                    proposed - i64::from(HOUR_UNIT)
                } else {
                    proposed
                };
                claim.confirmed = Some((minutes, confirmed_at));
            } else {
                claim.state = Want::Done;
            }
        }
    }
    claim
}

/// The needs' rows, with what their claims left on them: the places taken, the first claim,
/// the first confirmed service.
fn need_rows(
    district: &District,
    needs: &[Need],
    claims: &[Claim],
    set: &Setting,
    rows: &mut Rows,
) {
    let mut of_need: HashMap<usize, Vec<&Claim>> = HashMap::new();
    for k in claims {
        of_need.entry(k.need).or_default().push(k);
    }
    for (i, n) in needs.iter().enumerate() {
        let mine = of_need.get(&i).map(Vec::as_slice).unwrap_or_default();
        let active = mine.iter().filter(|k| k.state != Want::Withdrawn).count();
        let (title, detail, skills) = NEEDS[n.kind];
        let mut row: Row = vec![
            ("id", Param::I64(n.id)),
            ("root_org_id", Param::I64(set.root)),
            ("org_id", Param::I64(n.org_id)),
            (
                "community_id",
                Param::I64(district.communities[n.community].id),
            ),
            ("poster_unit", Param::Text(n.poster_unit.into())),
            ("title", Param::Text(title.into())),
            ("detail", Param::Text(detail.into())),
            ("place", Param::Text(n.place.into())),
            ("station", Param::Text(n.station.clone())),
            ("starts_at", Param::Moment(n.start)),
            ("ends_at", Param::Moment(n.end)),
            ("people_needed", Param::I64(n.people as i64)),
            ("skills", Param::Text(skills.into())),
            ("state", Param::Text(n.state.into())),
            ("claims_active", Param::I64(active as i64)),
        ];
        if let Some(first) = mine.iter().map(|k| k.claimed_at).min() {
            row.push(("first_claimed_at", Param::Time(first)));
        }
        if let Some(fulfilled) = mine.iter().filter_map(|k| k.confirmed.map(|c| c.1)).min() {
            row.push(("fulfilled_at", Param::Time(fulfilled)));
        }
        row.push(("posted_by", Param::Text(n.posted_by.clone())));
        row.push(("posted_at", Param::Time(n.posted_at)));
        rows.needs.push(row);
    }
}

/// The claims' rows, and for each confirmed one the points it gives, as
/// `App::record_service_points` writes them.
fn claim_rows(needs: &[Need], claims: &[Claim], set: &Setting, ids: &mut Ids, rows: &mut Rows) {
    for k in claims {
        let need = &needs[k.need];
        let mut row: Row = vec![
            ("id", Param::I64(k.id)),
            ("root_org_id", Param::I64(set.root)),
            ("need_id", Param::I64(need.id)),
            ("member_id", Param::I64(k.member)),
            ("branch_id", Param::I64(k.branch)),
            ("state", Param::Text(k.state.code().into())),
            ("claimed_at", Param::Time(k.claimed_at)),
        ];
        if let Some((check_in, check_out, travel, proposed)) = k.served {
            row.push(("checked_in_at", Param::Moment(check_in)));
            row.push(("checked_out_at", Param::Moment(check_out)));
            row.push(("travel_minutes", Param::I64(travel)));
            row.push(("proposed_minutes", Param::I64(proposed)));
        }
        if let Some((minutes, confirmed_at)) = k.confirmed {
            row.push(("confirmed_minutes", Param::I64(minutes)));
            row.push(("confirmed_by", Param::Text(ADMIN.into())));
            row.push(("confirmed_at", Param::Time(confirmed_at)));
            let on_date = k.served.map_or(need.end.date(), |s| s.1.date());
            rows.points.push(vec![
                ("id", Param::I64(ids.next("points_entries"))),
                ("root_org_id", Param::I64(set.root)),
                ("member_id", Param::I64(k.member)),
                ("branch_id", Param::I64(k.branch)),
                ("year", Param::I64(i64::from(on_date.year()))),
                ("on_date", Param::Date(on_date)),
                ("item_code", Param::Text("service_done".into())),
                ("points", Param::I64(SERVICE_POINTS)),
                ("source", Param::Text("service".into())),
                ("source_key", Param::Text(format!("service:{}", k.id))),
                ("source_id", Param::I64(k.id)),
                (
                    "reason",
                    Param::Text(format!(
                        "志愿服务「{}」，确认时长 {}",
                        NEEDS[need.kind].0,
                        hours_label(minutes)
                    )),
                ),
                ("approver", Param::Text(ADMIN.into())),
                ("recorded_by", Param::Text(SYSTEM.into())),
                ("recorded_at", Param::Time(confirmed_at)),
            ]);
        }
        row.push(("service_year", Param::I64(i64::from(need.start.year()))));
        if let Some(ended) = k.ended_at {
            row.push(("ended_at", Param::Time(ended)));
        }
        rows.claims.push(row);
    }
}

/// Three to six 微心愿 per community: some posted this month, a few carried over from the last
/// two, some claimed in the last days (so not lapsed), some contacted, many fulfilled over the
/// year. Claimed by members registered with the community (its own when none are).
fn draw_wishes(
    rng: &mut StdRng,
    district: &District,
    registrations: &[Registration],
    set: &Setting,
    ids: &mut Ids,
    rows: &mut Rows,
) {
    let today = set.today;
    let month_start = today.with_day(1).unwrap_or(today);
    let two_months_back = (0..2).fold(month_start, |d, _| {
        (d - Duration::days(1)).with_day(1).unwrap_or(d)
    });
    for community in &district.communities {
        let claimers: Vec<i64> = if community.registered.is_empty() {
            community.own.iter().map(|(m, _)| *m).collect()
        } else {
            community
                .registered
                .iter()
                .map(|&r| registrations[r].member)
                .collect()
        };
        for _ in 0..rng.random_range(3..=6) {
            let (title, story) = pick(rng, &WISHES);
            let contact = if rng.random_bool(0.6) {
                phone(rng)
            } else {
                format!(
                    "{}{}号楼{}单元{}室",
                    community.name,
                    rng.random_range(1..=20),
                    rng.random_range(1..=4),
                    rng.random_range(1..=6) * 100 + rng.random_range(1..=4)
                )
            };
            let claimer = claimers.choose(rng).copied();
            let roll = if claimer.is_some() {
                rng.random_range(0..100)
            } else {
                0
            };
            let mut lapses = 0;
            // Claimed, contacted, fulfilled: the days each step was taken.
            let mut steps: (Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>) =
                (None, None, None);
            let posted_on = match roll {
                0..20 => day_between(rng, month_start, today),
                20..30 => {
                    lapses = i64::from(rng.random_bool(0.2));
                    day_between(rng, two_months_back, month_start - Duration::days(1))
                }
                30..45 => {
                    let posted =
                        day_between(rng, today - Duration::days(30), today - Duration::days(5));
                    let from = (today - Duration::days(4)).max(posted);
                    steps.0 = Some(day_between(rng, from, today));
                    posted
                }
                45..60 => {
                    let posted =
                        day_between(rng, today - Duration::days(60), today - Duration::days(10));
                    let claimed = posted + Duration::days(rng.random_range(1..=5));
                    let contacted = claimed + Duration::days(rng.random_range(0..=5));
                    steps = (Some(claimed), Some(contacted.min(today)), None);
                    posted
                }
                _ => {
                    let posted =
                        day_between(rng, today - Duration::days(365), today - Duration::days(20));
                    let claimed = posted + Duration::days(rng.random_range(1..=7));
                    let contacted = claimed + Duration::days(rng.random_range(0..=4));
                    let fulfilled = contacted + Duration::days(rng.random_range(1..=10));
                    steps = (Some(claimed), Some(contacted), Some(fulfilled.min(today)));
                    posted
                }
            };
            let state = match steps {
                (_, _, Some(_)) => "fulfilled",
                (_, Some(_), None) => "contacted",
                (Some(_), None, None) => "claimed",
                (None, _, _) => "posted",
            };
            let mut row: Row = vec![
                ("id", Param::I64(ids.next("service_wishes"))),
                ("root_org_id", Param::I64(set.root)),
                ("community_id", Param::I64(community.id)),
                ("title", Param::Text(title.into())),
                ("story", Param::Text(story.into())),
                ("wisher", Param::Text(pick(rng, &WISHERS).into())),
                ("contact", Param::Text(contact)),
                ("state", Param::Text(state.into())),
                ("posted_on", Param::Date(posted_on)),
            ];
            if let (Some(member), Some(claimed)) = (claimer, steps.0) {
                row.push(("claimed_by", Param::I64(member)));
                row.push(("claimed_on", Param::Date(claimed)));
            }
            if let Some(contacted) = steps.1 {
                row.push(("contacted_on", Param::Date(contacted)));
                row.push((
                    "contact_note",
                    Param::Text(pick(rng, &CONTACT_NOTES).into()),
                ));
            }
            if let Some(fulfilled) = steps.2 {
                row.push(("fulfilled_on", Param::Date(fulfilled)));
            }
            row.push(("lapses", Param::I64(lapses)));
            row.push(("posted_by", Param::Text(ADMIN.into())));
            row.push(("posted_at", Param::Time(working_hours(rng, posted_on))));
            rows.wishes.push(row);
        }
    }
}

/// The next free id of each table the step writes, continuing after rows already there.
struct Ids(HashMap<&'static str, i64>);

impl Ids {
    async fn new(app: &App) -> Result<Ids> {
        let mut next = HashMap::new();
        for table in [
            "service_registrations",
            "service_reports",
            "service_feedback",
            "service_needs",
            "service_claims",
            "service_wishes",
            "points_entries",
        ] {
            next.insert(table, app.db.max_id(table).await?);
        }
        Ok(Ids(next))
    }

    fn next(&mut self, table: &'static str) -> i64 {
        let id = self.0.entry(table).or_insert(0);
        *id += 1;
        *id
    }
}
