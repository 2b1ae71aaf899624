//! The demo's 民族, 学历, 籍贯, 党内职务 and 参加工作日期: proportions like a city district's roll
//! (mostly 汉族, more graduates among the young and the in-service), and a committee in every
//! branch.

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use domain::MemberCategory;
use domain::record::{ETHNIC_GROUPS, Education, PartyPost};

pub(super) struct Record {
    pub ethnicity: &'static str,
    pub education: Option<Education>,
    pub native_place: String,
    pub party_post: Option<PartyPost>,
    pub work_started_on: Option<NaiveDate>,
}

const PLACES: [&str; 16] = [
    "重庆市渝中区",
    "重庆市江北区",
    "四川省成都市",
    "四川省南充市",
    "河南省郑州市",
    "河南省洛阳市",
    "湖北省武汉市",
    "湖南省长沙市",
    "北京市门头沟区",
    "山东省济南市",
    "江苏省南京市",
    "浙江省杭州市",
    "贵州省遵义市",
    "陕西省西安市",
    "河北省保定市",
    "安徽省合肥市",
];

/// The committee of a branch, by seat: a 书记 and the three 委员 every committee has, and a
/// 副书记 in larger branches (DOMAIN.md §4). Branches under seven members have only a 书记.
fn post(seat: usize, members: usize) -> Option<PartyPost> {
    match (seat, members) {
        (0, _) => Some(PartyPost::Secretary),
        (_, 0..7) => None,
        (1, _) => Some(PartyPost::OrganisationMember),
        (2, _) => Some(PartyPost::PublicityMember),
        (3, _) => Some(PartyPost::DisciplineMember),
        (4, 30..) => Some(PartyPost::DeputySecretary),
        _ => None,
    }
}

pub(super) fn draw(
    rng: &mut StdRng,
    category: MemberCategory,
    birth: NaiveDate,
    seat: usize,
    branch_members: usize,
    today: NaiveDate,
) -> Record {
    let ethnicity = if rng.random_bool(0.93) {
        ETHNIC_GROUPS[0]
    } else {
        *ETHNIC_GROUPS[1..12]
            .choose(rng)
            .unwrap_or(&ETHNIC_GROUPS[0])
    };
    let young = birth.year() >= 1975;
    let weights: [u32; 6] = match category {
        MemberCategory::Student => [30, 70, 0, 0, 0, 0],
        MemberCategory::InService | MemberCategory::NonPublic if young => [18, 50, 20, 6, 5, 1],
        MemberCategory::InService | MemberCategory::NonPublic => [6, 34, 30, 12, 14, 4],
        MemberCategory::Farmer => [0, 2, 6, 10, 30, 52],
        _ if young => [4, 30, 26, 14, 18, 8],
        _ => [1, 10, 16, 18, 30, 25],
    };
    let mut roll = rng.random_range(0..weights.iter().sum::<u32>());
    let mut education = Education::ALL[5];
    for (level, weight) in Education::ALL.iter().zip(weights) {
        if roll < weight {
            education = *level;
            break;
        }
        roll -= weight;
    }
    // One record in twelve still lacks its 学历, as rolls moved from paper do.
    let education = (!rng.random_bool(0.08)).then_some(education);
    let works = !matches!(category, MemberCategory::Student | MemberCategory::Farmer);
    let work_started_on = works.then(|| {
        let age = match education {
            Some(Education::Postgraduate) => 25,
            Some(Education::Bachelor) => 22,
            Some(Education::College) => 21,
            _ => 18,
        };
        let started = birth.with_year(birth.year() + age).unwrap_or(birth)
            + Duration::days(rng.random_range(30..400));
        started.min(today)
    });
    Record {
        ethnicity,
        education,
        native_place: PLACES.choose(rng).unwrap_or(&PLACES[0]).to_string(),
        party_post: post(seat, branch_members),
        work_started_on,
    }
}
