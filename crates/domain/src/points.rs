//! 党员积分制 (points schemes): the scheme a branch adopts, the append-only ledger of awards and
//! deductions, a member's yearly score with its working, and the grades proposed from scores.
//!
//! Every scheme is local practice (DOMAIN.md §5 \[L\]); the presets reproduce the published ones
//! (S15a–d) and a branch edits its own copy. Points are integer hundredths ([`Points`]): the
//! published schemes use half and quarter points, and the only rounding (the appraisal share) is
//! one HALF_UP step to 0.01 in integer arithmetic. Scores and grades are proposals: the 支部大会
//! decides (DOMAIN.md §2 评议等次, §5 Grades).

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub};
use std::str::FromStr;

use crate::enums::{MemberCategory, code_enum};
use crate::orglife::{Frequency, Period};

/// Version of the points rules: presets S15a–d, cut-offs 90/80/60, 优秀 share 1/3, caps counted
/// on the net of an item's entries in a year. Store it with every saved score or proposal.
pub const RULE_VERSION: &str = "points-2026.1";

// ---------------------------------------------------------------------------
// Points

/// Points in hundredths: `Points(8750)` is 87.5 points. Displays without trailing zeros ("87.5",
/// "90", "-3"), as the schemes print them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Points(pub i64);

impl Points {
    pub const ZERO: Points = Points(0);

    /// Whole points.
    pub const fn from_whole(points: i64) -> Points {
        Points(points * 100)
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 100, abs % 100);
        match frac {
            0 => write!(f, "{sign}{whole}"),
            _ if frac % 10 == 0 => write!(f, "{sign}{whole}.{}", frac / 10),
            _ => write!(f, "{sign}{whole}.{frac:02}"),
        }
    }
}

impl Add for Points {
    type Output = Points;
    fn add(self, rhs: Points) -> Points {
        Points(self.0 + rhs.0)
    }
}

impl AddAssign for Points {
    fn add_assign(&mut self, rhs: Points) {
        self.0 += rhs.0;
    }
}

impl Sub for Points {
    type Output = Points;
    fn sub(self, rhs: Points) -> Points {
        Points(self.0 - rhs.0)
    }
}

impl Neg for Points {
    type Output = Points;
    fn neg(self) -> Points {
        Points(-self.0)
    }
}

impl Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        iter.fold(Points::ZERO, Add::add)
    }
}

/// With an explicit plus, because a ledger line without a sign reads as ambiguous.
fn signed(p: Points) -> String {
    if p.0 > 0 {
        format!("+{p}")
    } else {
        p.to_string()
    }
}

impl FromStr for Points {
    type Err = PointsError;

    /// Points typed by a person: `3`, `+1`, `-2.5`, `0.25`, also with a trailing `分`. More than
    /// two decimals are refused rather than rounded, so a value never changes silently.
    /// DOMAIN.md §5 (schemes score in whole, half and quarter points).
    fn from_str(s: &str) -> Result<Points, PointsError> {
        let t = s.trim();
        let t = t.strip_suffix('分').map_or(t, str::trim_end);
        if t.is_empty() {
            return Err(PointsError::Empty);
        }
        let invalid = || PointsError::Invalid(crate::text::echo(s).into_owned());
        let (negative, t) = match t.as_bytes()[0] {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        let (int_part, frac_part) = match t.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (t, None),
        };
        if int_part.is_empty() || !int_part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let frac = match frac_part {
            None => 0,
            Some(f) => {
                if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid());
                }
                if f.len() > 2 {
                    return Err(PointsError::TooManyDecimals);
                }
                let v: i64 = f.parse().map_err(|_| invalid())?;
                if f.len() == 1 { v * 10 } else { v }
            }
        };
        let whole: i64 = int_part.parse().map_err(|_| PointsError::TooLarge)?;
        let magnitude = whole
            .checked_mul(100)
            .and_then(|h| h.checked_add(frac))
            .ok_or(PointsError::TooLarge)?;
        Ok(Points(if negative { -magnitude } else { magnitude }))
    }
}

/// Why a points value, a scheme, an entry or a period was refused; shown to people as-is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("分值不能为空")]
    Empty,
    #[error("分值最多保留两位小数")]
    TooManyDecimals,
    #[error("分值格式无效：{0}")]
    Invalid(String),
    #[error("分值过大")]
    TooLarge,

    #[error("保底分 {floor} 分高于封顶分 {ceiling} 分")]
    FloorAboveCeiling { floor: Points, ceiling: Points },
    #[error("民主评议折算比例应在 0 至 100% 之间，现为 {0}%")]
    WeightOutOfRange(u8),
    #[error("等次分数线应依次降低：优秀 {excellent} 分、合格 {qualified} 分、基本合格 {basic} 分")]
    CutoffsNotDescending {
        excellent: Points,
        qualified: Points,
        basic: Points,
    },
    #[error("积分项目重复：{0}")]
    DuplicateItem(String),
    #[error("「{0}」的单次分值应大于 0")]
    ItemPointsNotPositive(String),
    #[error("「{name}」每年最多 {cap} 分，小于单次分值 {points} 分")]
    CapBelowOneOccurrence {
        name: String,
        cap: Points,
        points: Points,
    },
    #[error("优秀比例 {0} 无效，应为不超过 1 的分数")]
    BadShare(Share),

    #[error("积分方案中没有这一项，请重新选择")]
    UnknownItem,
    #[error("分值不能为 0")]
    ZeroPoints,
    #[error("「{0}」是加分项，分值应为正数")]
    AwardMustBePositive(String),
    #[error("「{0}」是减分项，分值应为负数")]
    DeductionMustBeNegative(String),
    #[error("「{name}」每年最多 {cap} 分，今年已记 {recorded} 分，还可记 {left} 分")]
    CapExceeded {
        name: String,
        cap: Points,
        recorded: Points,
        left: Points,
    },
    #[error("这是一条冲正记录，不能再冲正；如需更正，请另记一条")]
    ReversingAReversal,
    #[error("这条记录已经冲正过，不能重复冲正")]
    AlreadyReversed,

    #[error("民主评议得分应在 0 至 100 分之间，现为 {0} 分")]
    AppraisalOutOfRange(Points),
    #[error("「{0}」不是本方案规定的一票否决情形")]
    UnknownVeto(String),

    #[error("期间格式无效：{0}，应写作 2026、2026-07 或 2026-Q3")]
    BadPeriod(String),
}

// ---------------------------------------------------------------------------
// Schemes

code_enum! {
    /// Whether an item adds or takes away points. DOMAIN.md §5 (items, deductions).
    pub enum ItemKind {
        Award => ("award", "加分"),
        Deduction => ("deduction", "减分"),
    }
}

/// One thing a scheme scores. DOMAIN.md §5.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    /// Stable across schemes (`meeting_attended`, `dues_late`, ...), so that automatic entries
    /// from attendance and dues find their item whichever preset a branch started from.
    pub code: String,
    pub name: String,
    pub kind: ItemKind,
    /// Magnitude of one occurrence; the sign comes from `kind`.
    pub points: Points,
    /// Magnitude cap on the net of this item's entries in one year; `None` is uncapped.
    pub cap_per_year: Option<Points>,
}

impl Item {
    /// The points one occurrence records: positive for an award, negative for a deduction.
    /// DOMAIN.md §5.
    pub fn signed_points(&self) -> Points {
        match self.kind {
            ItemKind::Award => self.points,
            ItemKind::Deduction => -self.points,
        }
    }
}

/// Members a scheme does not score: a category, optionally only from an age. DOMAIN.md §5 (S15a
/// excludes 老弱病残 aged ≥70; S15d excludes retirees and mobile members).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Exclusion {
    pub category: MemberCategory,
    pub min_age: Option<u32>,
}

/// Lowest total for each grade, inclusive (DOMAIN.md §0: 以上 includes the number). Advisory:
/// no authoritative cut-offs exist and the 支部大会 decides (DOMAIN.md §5 Grades \[?\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cutoffs {
    pub excellent: Points,
    pub qualified: Points,
    pub basic: Points,
}

impl Default for Cutoffs {
    /// 90/80/60, the default DOMAIN.md §5 suggests \[?\].
    fn default() -> Self {
        Cutoffs {
            excellent: Points::from_whole(90),
            qualified: Points::from_whole(80),
            basic: Points::from_whole(60),
        }
    }
}

/// A fraction of the members, such as the 优秀 share of 1/3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Share {
    pub numerator: u32,
    pub denominator: u32,
}

impl Share {
    /// 优秀 ≤ 1/3 of members. DOMAIN.md §2 (评议等次).
    pub const ONE_THIRD: Share = Share {
        numerator: 1,
        denominator: 3,
    };

    /// How many of `members` the share allows: `floor(members × numerator / denominator)`.
    /// "≤ 1/3" includes exactly a third, and quotas round down (DOMAIN.md §0); no minimum of
    /// one, because a branch has at least 3 正式党员 (DOMAIN.md §4), which already allows one.
    /// Zero for a share [`Scheme::validate`] would refuse.
    pub fn limit(self, members: u32) -> u32 {
        if self.denominator == 0 || self.numerator > self.denominator {
            return 0;
        }
        let allowed = u64::from(members) * u64::from(self.numerator) / u64::from(self.denominator);
        u32::try_from(allowed).expect("a share of at most one keeps the count within u32")
    }
}

impl Default for Share {
    fn default() -> Self {
        Share::ONE_THIRD
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

/// A branch's points scheme. DOMAIN.md §5 (`Scheme{base, items, deductions, vetoes, floor,
/// ceiling, cutoffs, excluded_types}`); deductions are items of kind [`ItemKind::Deduction`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scheme {
    pub name: String,
    /// Every scored member starts the year here.
    pub base: Points,
    pub items: Vec<Item>,
    /// Grounds of 一票否决: any one sets the year's total to 0 (S15c).
    pub vetoes: Vec<String>,
    pub floor: Option<Points>,
    pub ceiling: Option<Points>,
    /// Percent (0–100): an appraisal score of 0–100 adds `score × weight / 100` points.
    pub appraisal_weight: u8,
    pub cutoffs: Cutoffs,
    pub excluded: Vec<Exclusion>,
    pub excellent_share: Share,
}

impl Scheme {
    /// The item with `code`, if the scheme has it.
    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    /// Refuses a scheme whose scores could not be explained: a floor above the ceiling, an
    /// appraisal weight over 100%, cut-offs that leave a grade unreachable, two items with one
    /// code (entries would not know their item), or a cap that a single occurrence already
    /// breaks. DOMAIN.md §5.
    pub fn validate(&self) -> Result<(), PointsError> {
        if let (Some(floor), Some(ceiling)) = (self.floor, self.ceiling)
            && floor > ceiling
        {
            return Err(PointsError::FloorAboveCeiling { floor, ceiling });
        }
        if self.appraisal_weight > 100 {
            return Err(PointsError::WeightOutOfRange(self.appraisal_weight));
        }
        let c = self.cutoffs;
        if !(c.excellent > c.qualified && c.qualified > c.basic) {
            return Err(PointsError::CutoffsNotDescending {
                excellent: c.excellent,
                qualified: c.qualified,
                basic: c.basic,
            });
        }
        let share = self.excellent_share;
        if share.denominator == 0 || share.numerator > share.denominator {
            return Err(PointsError::BadShare(share));
        }
        for (i, item) in self.items.iter().enumerate() {
            if self.items[..i]
                .iter()
                .any(|earlier| earlier.code == item.code)
            {
                return Err(PointsError::DuplicateItem(item.name.clone()));
            }
            if item.points <= Points::ZERO {
                return Err(PointsError::ItemPointsNotPositive(item.name.clone()));
            }
            if let Some(cap) = item.cap_per_year
                && cap < item.points
            {
                return Err(PointsError::CapBelowOneOccurrence {
                    name: item.name.clone(),
                    cap,
                    points: item.points,
                });
            }
        }
        Ok(())
    }
}

/// Whether a member of `category` aged `age` is left out of the scheme. An unknown age does not
/// meet an age condition: leaving someone out needs the fact, and the branch can still decide.
/// DOMAIN.md §5 (S15a, S15d).
pub fn is_excluded(scheme: &Scheme, category: MemberCategory, age: Option<u32>) -> bool {
    scheme.excluded.iter().any(|e| {
        e.category == category && e.min_age.is_none_or(|min| age.is_some_and(|a| a >= min))
    })
}

// ---------------------------------------------------------------------------
// Presets

fn item(code: &str, name: &str, kind: ItemKind, points: i64, cap: Option<i64>) -> Item {
    Item {
        code: code.to_owned(),
        name: name.to_owned(),
        kind,
        points: Points(points),
        cap_per_year: cap.map(Points),
    }
}

fn award(code: &str, name: &str, points: i64, cap: Option<i64>) -> Item {
    item(code, name, ItemKind::Award, points, cap)
}

fn deduction(code: &str, name: &str, points: i64, cap: Option<i64>) -> Item {
    item(code, name, ItemKind::Deduction, points, cap)
}

/// Company scheme (S15a): 100 points, 日常 80 + 民主评议 20. The 日常 part starts the year at
/// 60 and its awards' yearly caps add up to exactly 20, so that it tops out at its 80 as the
/// appraisal tops out at its 20 (a base of 80 would leave the awards nothing to earn, and
/// totals would crowd at the ceiling). 老弱病残 members aged 70 or more are not scored. The member classes 骨干/普通/流动/特殊 are not modelled; item
/// values are defaults for the branch to edit. DOMAIN.md §5.
pub fn company() -> Scheme {
    Scheme {
        name: "企业党员积分（日常 80 分 + 民主评议 20 分）".to_owned(),
        base: Points::from_whole(60),
        items: vec![
            award("meeting_attended", "出席组织生活", 100, Some(800)),
            deduction("meeting_absent", "无故缺席组织生活", 200, None),
            award("dues_on_time", "按时交纳党费", 50, Some(500)),
            deduction("dues_late", "逾期交纳党费", 200, None),
            award("service_done", "志愿服务", 100, Some(400)),
            award("manual_award", "其他加分", 100, Some(300)),
            deduction("manual_deduction", "其他减分", 100, None),
        ],
        vetoes: Vec::new(),
        floor: Some(Points::ZERO),
        ceiling: Some(Points::from_whole(100)),
        appraisal_weight: 20,
        cutoffs: Cutoffs::default(),
        excluded: vec![Exclusion {
            category: MemberCategory::ElderlyInfirm,
            min_age: Some(70),
        }],
        excellent_share: Share::ONE_THIRD,
    }
}

/// 市外办 scheme (S15b): base 60, uncapped additions (+1 for each 三会一课 attended), deductions,
/// floor 0, no appraisal part; a new year starts again from the base. DOMAIN.md §5.
pub fn city_foreign_affairs() -> Scheme {
    Scheme {
        name: "市外办党员积分（基础 60 分，加分不封顶）".to_owned(),
        base: Points::from_whole(60),
        items: vec![
            award("meeting_attended", "出席三会一课", 100, None),
            deduction("meeting_absent", "无故缺席三会一课", 200, None),
            award("dues_on_time", "按时交纳党费", 50, None),
            deduction("dues_late", "逾期交纳党费", 100, None),
            award("service_done", "志愿服务", 100, None),
            award("manual_award", "其他加分", 100, None),
            deduction("manual_deduction", "其他减分", 100, None),
        ],
        vetoes: Vec::new(),
        floor: Some(Points::ZERO),
        ceiling: None,
        appraisal_weight: 0,
        cutoffs: Cutoffs::default(),
        excluded: Vec::new(),
        excellent_share: Share::ONE_THIRD,
    }
}

/// Unit scheme (S15c): 基础 70 + 评议 20 + 贡献 ≤10, with 一票否决. The award items are the
/// 贡献 part, so their yearly caps add up to exactly 10. DOMAIN.md §5.
pub fn unit() -> Scheme {
    Scheme {
        name: "单位党员积分（基础 70 分 + 评议 20 分 + 贡献 10 分）".to_owned(),
        base: Points::from_whole(70),
        items: vec![
            award("meeting_attended", "出席组织生活", 50, Some(300)),
            deduction("meeting_absent", "无故缺席组织生活", 200, None),
            award("dues_on_time", "按时交纳党费", 50, Some(200)),
            deduction("dues_late", "逾期交纳党费", 100, None),
            award("service_done", "志愿服务", 100, Some(300)),
            award("contribution", "其他贡献", 100, Some(200)),
            deduction("manual_deduction", "其他减分", 100, None),
        ],
        vetoes: vec![
            "受到党纪处分并被通报".to_owned(),
            "有违法犯罪行为".to_owned(),
        ],
        floor: Some(Points::ZERO),
        ceiling: Some(Points::from_whole(100)),
        appraisal_weight: 20,
        cutoffs: Cutoffs::default(),
        excluded: Vec::new(),
        excellent_share: Share::ONE_THIRD,
    }
}

/// 市直机关 scheme (S15d): baseline 70; retirees and mobile members are not scored. The ceiling
/// keeps totals on the 100-point scale the cut-offs assume. DOMAIN.md §5.
pub fn city_organs() -> Scheme {
    Scheme {
        name: "市直机关党员积分（基础 70 分）".to_owned(),
        base: Points::from_whole(70),
        items: vec![
            award("meeting_attended", "出席组织生活", 100, Some(1_200)),
            deduction("meeting_absent", "无故缺席组织生活", 200, None),
            award("dues_on_time", "按时交纳党费", 50, Some(600)),
            deduction("dues_late", "逾期交纳党费", 100, None),
            award("service_done", "志愿服务", 100, Some(1_200)),
            award("manual_award", "其他加分", 100, Some(500)),
            deduction("manual_deduction", "其他减分", 100, None),
        ],
        vetoes: Vec::new(),
        floor: Some(Points::ZERO),
        ceiling: Some(Points::from_whole(100)),
        appraisal_weight: 0,
        cutoffs: Cutoffs::default(),
        excluded: vec![
            Exclusion {
                category: MemberCategory::Retired,
                min_age: None,
            },
            Exclusion {
                category: MemberCategory::Mobile,
                min_age: None,
            },
        ],
        excellent_share: Share::ONE_THIRD,
    }
}

/// Every preset with its stable code, for a branch to copy from. DOMAIN.md §5 (S15a–d).
pub fn presets() -> Vec<(&'static str, Scheme)> {
    vec![
        ("company", company()),
        ("city_foreign_affairs", city_foreign_affairs()),
        ("unit", unit()),
        ("city_organs", city_organs()),
    ]
}

// ---------------------------------------------------------------------------
// Ledger

/// One recorded line of a member's points ledger. The ledger is append-only: a mistake is
/// corrected by a reversing entry (`reverses` names the entry, `points` is its negation), so the
/// history a member was shown stays visible. DOMAIN.md §5.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub id: i64,
    pub item_code: String,
    /// Signed: positive for an award, negative for a deduction.
    pub points: Points,
    pub reverses: Option<i64>,
}

/// The entry to append to reverse another; the store gives it an id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reversal {
    pub item_code: String,
    pub points: Points,
    pub reverses: i64,
}

/// Net of `item_code`'s entries, reversals included.
fn net_of(entries: &[Entry], item_code: &str) -> Points {
    entries
        .iter()
        .filter(|e| e.item_code == item_code)
        .map(|e| e.points)
        .sum()
}

/// Checks a points entry typed by an officer against the scheme and what the member already has
/// this year. Automatic entries (attendance, dues) skip this check: they record facts even beyond
/// a cap, and [`score`] counts only up to it. DOMAIN.md §5.
pub fn check_manual_entry(
    scheme: &Scheme,
    item_code: &str,
    points: Points,
    entries_this_year_for_member: &[Entry],
) -> Result<(), PointsError> {
    let item = scheme.item(item_code).ok_or(PointsError::UnknownItem)?;
    if points == Points::ZERO {
        return Err(PointsError::ZeroPoints);
    }
    let direction = match (item.kind, points > Points::ZERO) {
        (ItemKind::Award, true) => 1,
        (ItemKind::Deduction, false) => -1,
        (ItemKind::Award, false) => {
            return Err(PointsError::AwardMustBePositive(item.name.clone()));
        }
        (ItemKind::Deduction, true) => {
            return Err(PointsError::DeductionMustBeNegative(item.name.clone()));
        }
    };
    let Some(cap) = item.cap_per_year else {
        return Ok(());
    };
    // Counted in the item's own direction, so a deduction cap reads as a positive amount.
    let recorded = Points((net_of(entries_this_year_for_member, item_code).0 * direction).max(0));
    if recorded + Points(points.0 * direction) > cap {
        return Err(PointsError::CapExceeded {
            name: item.name.clone(),
            cap,
            recorded,
            left: Points((cap - recorded).0.max(0)),
        });
    }
    Ok(())
}

/// The reversing entry for `original`, unless it is itself a reversal (reverse the mistake by a
/// new ordinary entry instead, so that no chain of reversals has to be untangled) or `existing`
/// already reverses it. DOMAIN.md §5.
pub fn check_reversal(original: &Entry, existing: &[Entry]) -> Result<Reversal, PointsError> {
    if original.reverses.is_some() {
        return Err(PointsError::ReversingAReversal);
    }
    if existing.iter().any(|e| e.reverses == Some(original.id)) {
        return Err(PointsError::AlreadyReversed);
    }
    Ok(Reversal {
        item_code: original.item_code.clone(),
        points: -original.points,
        reverses: original.id,
    })
}

// ---------------------------------------------------------------------------
// Scores

/// One item's share of a score.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemTotal {
    pub code: String,
    /// `None` when the scheme no longer has the item; its entries still count, uncapped, since
    /// they record what happened.
    pub name: Option<String>,
    /// Net of everything recorded, reversals included.
    pub recorded: Points,
    pub cap: Option<Points>,
    /// What the total takes: `recorded` limited to the cap either way.
    pub counted: Points,
}

/// The appraisal part of a score.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppraisalPart {
    /// 0–100; `None` while the member has no appraisal score yet.
    pub score: Option<Points>,
    pub weight: u8,
    /// `score × weight / 100`, HALF_UP to 0.01.
    pub contribution: Points,
}

/// A member's yearly score with the working behind it, because members ask how their score was
/// reached and the 支部大会 checks it before deciding grades.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scoring {
    pub base: Points,
    /// Scheme items with entries, in scheme order, then unknown codes in code order.
    pub items: Vec<ItemTotal>,
    /// `None` when the scheme has no appraisal part.
    pub appraisal: Option<AppraisalPart>,
    /// Base + counted items + appraisal contribution.
    pub raw: Points,
    /// `raw` after the floor and the ceiling.
    pub bounded: Points,
    /// The ground of a 一票否决, which sets the total to 0.
    pub veto: Option<String>,
    pub total: Points,
    /// Chinese explanation, one step per line.
    pub working: Vec<String>,
}

/// `points × weight / 100` HALF_UP to 0.01 for non-negative points. DOMAIN.md §0 (integers).
fn weighted(points: Points, weight: u8) -> Points {
    Points((points.0 * i64::from(weight) + 50) / 100)
}

/// A member's score for one year from that year's `entries`: base, each item's net limited to its
/// cap, the appraisal share, then floor and ceiling, and 一票否决 last, which sets the total to 0
/// whatever the floor. `appraisal` is the 民主评议 score (0–100) from [`crate::appraisal`];
/// `veto` is the ground, which must be one of the scheme's. DOMAIN.md §5 (S15a–c).
pub fn score(
    scheme: &Scheme,
    entries: &[Entry],
    appraisal: Option<Points>,
    veto: Option<&str>,
) -> Result<Scoring, PointsError> {
    scheme.validate()?;
    if let Some(a) = appraisal
        && !(Points::ZERO..=Points::from_whole(100)).contains(&a)
    {
        return Err(PointsError::AppraisalOutOfRange(a));
    }
    if let Some(ground) = veto
        && !scheme.vetoes.iter().any(|v| v == ground)
    {
        return Err(PointsError::UnknownVeto(ground.to_owned()));
    }

    let mut working = vec![format!("基础分 {} 分", scheme.base)];
    let mut codes: Vec<&str> = scheme
        .items
        .iter()
        .map(|i| i.code.as_str())
        .filter(|code| entries.iter().any(|e| e.item_code == *code))
        .collect();
    let mut unknown: Vec<&str> = entries
        .iter()
        .map(|e| e.item_code.as_str())
        .filter(|code| scheme.item(code).is_none())
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    codes.extend(unknown);

    let mut items = Vec::with_capacity(codes.len());
    for code in codes {
        let item = scheme.item(code);
        let recorded = net_of(entries, code);
        let cap = item.and_then(|i| i.cap_per_year);
        let counted = cap.map_or(recorded, |c| recorded.clamp(-c, c));
        let name = item.map(|i| i.name.clone());
        working.push(match (&name, cap) {
            (None, _) => format!("已不在本方案中的项目：按已记 {} 分计入", signed(recorded)),
            (Some(n), Some(c)) if counted != recorded => format!(
                "{n}：已记 {} 分，每年最多 {c} 分，计入 {} 分",
                signed(recorded),
                signed(counted)
            ),
            (Some(n), _) => format!("{n}：{} 分", signed(recorded)),
        });
        items.push(ItemTotal {
            code: code.to_owned(),
            name,
            recorded,
            cap,
            counted,
        });
    }

    let appraisal_part = (scheme.appraisal_weight > 0).then(|| {
        let weight = scheme.appraisal_weight;
        let contribution = appraisal.map_or(Points::ZERO, |a| weighted(a, weight));
        working.push(match appraisal {
            Some(a) => {
                format!("民主评议 {a} 分 × {weight}% = {contribution} 分（四舍五入到 0.01 分）")
            }
            None => "尚无民主评议得分，评议部分暂计 0 分".to_owned(),
        });
        AppraisalPart {
            score: appraisal,
            weight,
            contribution,
        }
    });

    let raw = scheme.base
        + items.iter().map(|i| i.counted).sum()
        + appraisal_part
            .as_ref()
            .map_or(Points::ZERO, |a| a.contribution);
    working.push(format!("合计 {raw} 分"));

    let mut bounded = raw;
    if let Some(floor) = scheme.floor
        && bounded < floor
    {
        bounded = floor;
        working.push(format!("低于保底分 {floor} 分，按 {floor} 分计"));
    }
    if let Some(ceiling) = scheme.ceiling
        && bounded > ceiling
    {
        bounded = ceiling;
        working.push(format!("超过封顶分 {ceiling} 分，按 {ceiling} 分计"));
    }

    let total = match veto {
        Some(ground) => {
            working.push(format!("因{ground}，一票否决，积分为 0"));
            Points::ZERO
        }
        None => bounded,
    };
    working.push(format!("最终积分 {total} 分"));

    Ok(Scoring {
        base: scheme.base,
        items,
        appraisal: appraisal_part,
        raw,
        bounded,
        veto: veto.map(str::to_owned),
        total,
        working,
    })
}

// ---------------------------------------------------------------------------
// Grades

code_enum! {
    /// 评议等次, best first. DOMAIN.md §2 (评议等次), §5 (Grades).
    pub enum Grade {
        Excellent => ("excellent", "优秀"),
        Qualified => ("qualified", "合格"),
        Basic => ("basic", "基本合格"),
        Unqualified => ("unqualified", "不合格"),
    }
}

/// The grade a total reaches; each cut-off includes itself (90 is 优秀). DOMAIN.md §0, §5.
pub fn grade_for(total: Points, cutoffs: Cutoffs) -> Grade {
    if total >= cutoffs.excellent {
        Grade::Excellent
    } else if total >= cutoffs.qualified {
        Grade::Qualified
    } else if total >= cutoffs.basic {
        Grade::Basic
    } else {
        Grade::Unqualified
    }
}

code_enum! {
    /// Why a proposed grade is below what the cut-off alone would give.
    pub enum ProposalNote {
        /// Members tied on the same total cross the 优秀 limit: giving all of them 优秀 would
        /// exceed it, and choosing among equals is not arithmetic's to do.
        TiedAtLimit => ("tied_at_limit", "与他人同分，同分者都评为优秀将超出优秀名额，请支部决定"),
        OverShare => ("over_share", "优秀名额已满，建议评为合格"),
        /// An in-service member who did not report to their residence community as required
        /// (DOMAIN.md §10.3, 佛山 2020): the cut-off gave more than the cap allows.
        MissedCommunityReport => ("missed_community_report", "未按要求到居住地社区报到，等次最高为基本合格"),
    }
}

/// One member's proposed grade.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Proposal {
    pub member_id: i64,
    pub total: Points,
    /// Competition ranking: equal totals share a rank, and the next rank skips (1, 1, 3).
    pub rank: u32,
    pub grade: Grade,
    pub note: Option<ProposalNote>,
}

/// Proposed grades for the scored members (leave excluded members out). Ranks by total, grades
/// by the scheme's cut-offs, then holds 优秀 to `floor(n × share)` of the `n` members: those
/// ranked past the limit are proposed 合格 with [`ProposalNote::OverShare`]; a tie that crosses
/// the limit is proposed 合格 with [`ProposalNote::TiedAtLimit`] for the branch to settle. A
/// proposal only: the 支部大会 decides. Returned in rank order, equal totals by member id.
/// DOMAIN.md §2 (评议等次: 优秀 ≤ 1/3), §5 (Grades).
pub fn propose_grades(scheme: &Scheme, members: &[(i64, Points)]) -> Vec<Proposal> {
    propose_grades_capped(scheme, members, &std::collections::HashMap::new())
}

/// [`propose_grades`] where some members may be graded no better than a cap: a member who
/// missed their community reports is held to 基本合格 (DOMAIN.md §10.3, §10.7 vector 1). A capped
/// member keeps their rank by total but takes none of the 优秀 places, which go to the next
/// members who may have them; the share is still of all `n` scored members. A capped member's
/// proposal carries [`ProposalNote::MissedCommunityReport`] when the cap lowered it.
pub fn propose_grades_capped(
    scheme: &Scheme,
    members: &[(i64, Points)],
    caps: &std::collections::HashMap<i64, Grade>,
) -> Vec<Proposal> {
    let mut sorted = members.to_vec();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let n = u32::try_from(sorted.len()).unwrap_or(u32::MAX);
    let limit = scheme.excellent_share.limit(n) as usize;

    // Positions among those who may be 优秀 decide who gets a place; capped members stand aside.
    let contenders: Vec<(i64, Points)> = sorted
        .iter()
        .filter(|m| !caps.contains_key(&m.0))
        .copied()
        .collect();
    let mut graded = std::collections::HashMap::with_capacity(sorted.len());
    let mut start = 0;
    while start < contenders.len() {
        let total = contenders[start].1;
        let end = start
            + contenders[start..]
                .iter()
                .take_while(|m| m.1 == total)
                .count();
        let (grade, note) = match grade_for(total, scheme.cutoffs) {
            Grade::Excellent if end <= limit => (Grade::Excellent, None),
            Grade::Excellent if start < limit => {
                (Grade::Qualified, Some(ProposalNote::TiedAtLimit))
            }
            Grade::Excellent => (Grade::Qualified, Some(ProposalNote::OverShare)),
            other => (other, None),
        };
        for &(member_id, _) in &contenders[start..end] {
            graded.insert(member_id, (grade, note));
        }
        start = end;
    }
    // Caps of members not scored here are ignored.
    for &(member_id, total) in &sorted {
        if let Some(&cap) = caps.get(&member_id) {
            let by_cutoff = grade_for(total, scheme.cutoffs);
            let grade = crate::service::capped(by_cutoff, Some(cap));
            let note = (grade != by_cutoff).then_some(ProposalNote::MissedCommunityReport);
            graded.insert(member_id, (grade, note));
        }
    }

    let mut proposals: Vec<Proposal> = Vec::with_capacity(sorted.len());
    for (i, &(member_id, total)) in sorted.iter().enumerate() {
        // Competition ranking over everyone: equal totals share the first position's rank.
        let rank = match proposals.last() {
            Some(last) if last.total == total => last.rank,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        let (grade, note) = graded[&member_id];
        proposals.push(Proposal {
            member_id,
            total,
            rank,
            grade,
            note,
        });
    }
    proposals
}

// ---------------------------------------------------------------------------
// Periods

/// Parses the period a points summary covers: `2026` (year), `2026-07` (month) or `2026-Q3`
/// (quarter), since schemes register monthly, publish quarterly and review yearly (seed 004:
/// 一月一登记、一季一公开、一年一评审). The dates covered are [`Period::start`]–[`Period::end`].
/// DOMAIN.md §5, preamble (calendar months).
pub fn parse_period(text: &str) -> Result<Period, PointsError> {
    let bad = || PointsError::BadPeriod(crate::text::echo(text).into_owned());
    let number = |s: &str| -> Option<u32> {
        let ok = (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| s.parse().ok()).flatten()
    };
    let t = text.trim();
    let (year, rest) = match t.split_once('-') {
        Some((y, r)) => (y, Some(r)),
        None => (t, None),
    };
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let year: i32 = year.parse().map_err(|_| bad())?;
    let (frequency, index) = match rest {
        None => (Frequency::Yearly, 1),
        Some(r) => match r.strip_prefix(['Q', 'q']) {
            Some(q) if q.len() == 1 => (Frequency::Quarterly, number(q).ok_or_else(bad)?),
            Some(_) => return Err(bad()),
            None => (Frequency::Monthly, number(r).ok_or_else(bad)?),
        },
    };
    Period::new(frequency, year, index).ok_or_else(bad)
}

/// The text [`parse_period`] reads back: `2026`, `2026-07`, `2026-Q3`. DOMAIN.md §5.
pub fn period_key(period: Period) -> String {
    match period.frequency {
        Frequency::Yearly => period.year.to_string(),
        Frequency::Quarterly => format!("{}-Q{}", period.year, period.index),
        Frequency::Monthly => format!("{}-{:02}", period.year, period.index),
    }
}

// ---------------------------------------------------------------------------
// Facts from other modules

/// The item a month's dues payment scores: on time when paid in or before the month it covers
/// (dues are paid monthly, and paying ahead for a quarter is allowed with the branch's consent),
/// late when paid after that month ended (a back-payment). DOMAIN.md §1.3 (payment is monthly;
/// quarterly, by proxy or back-paid with consent), §5 (items).
pub fn dues_item(
    month_covered: crate::dues_ledger::Month,
    paid_on: chrono::NaiveDate,
) -> &'static str {
    if crate::dues_ledger::Month::of(paid_on) <= month_covered {
        "dues_on_time"
    } else {
        "dues_late"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn dues_paid_in_or_before_their_month_are_on_time_and_after_it_late() {
        let m = |y, n| crate::dues_ledger::Month::new(y, n).unwrap();
        let d = |y, mo, day| NaiveDate::from_ymd_opt(y, mo, day).unwrap();
        assert_eq!(dues_item(m(2026, 7), d(2026, 7, 31)), "dues_on_time");
        assert_eq!(
            dues_item(m(2026, 9), d(2026, 7, 1)),
            "dues_on_time",
            "paid ahead"
        );
        assert_eq!(dues_item(m(2026, 7), d(2026, 8, 1)), "dues_late");
        assert_eq!(
            dues_item(m(2025, 12), d(2026, 1, 5)),
            "dues_late",
            "across the year"
        );
    }
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    fn p(s: &str) -> Points {
        s.parse().unwrap()
    }

    fn entry(id: i64, code: &str, points: &str) -> Entry {
        Entry {
            id,
            item_code: code.to_owned(),
            points: p(points),
            reverses: None,
        }
    }

    fn reversal_of(id: i64, original: &Entry) -> Entry {
        Entry {
            id,
            item_code: original.item_code.clone(),
            points: -original.points,
            reverses: Some(original.id),
        }
    }

    /// `times` occurrences of `code` at the scheme's default points, with ids from `first_id`.
    fn occurrences(scheme: &Scheme, code: &str, times: i64, first_id: i64) -> Vec<Entry> {
        let points = scheme.item(code).unwrap().signed_points();
        (0..times)
            .map(|i| Entry {
                id: first_id + i,
                item_code: code.to_owned(),
                points,
                reverses: None,
            })
            .collect()
    }

    fn item_total<'a>(scoring: &'a Scoring, code: &str) -> &'a ItemTotal {
        scoring.items.iter().find(|i| i.code == code).unwrap()
    }

    fn has_line(scoring: &Scoring, line: &str) -> bool {
        scoring.working.iter().any(|l| l == line)
    }

    // -- Points -------------------------------------------------------------

    #[test]
    fn points_display_drops_trailing_zeros() {
        assert_eq!(Points(8750).to_string(), "87.5");
        assert_eq!(Points(9000).to_string(), "90");
        assert_eq!(Points(-300).to_string(), "-3");
        assert_eq!(Points(25).to_string(), "0.25");
        assert_eq!(Points(5).to_string(), "0.05");
        assert_eq!(Points(-50).to_string(), "-0.5");
        assert_eq!(Points(0).to_string(), "0");
        assert_eq!(Points(i64::MIN).to_string(), "-92233720368547758.08");
        assert_eq!(Points::from_whole(87), Points(8700));
        assert_eq!(signed(Points(100)), "+1");
        assert_eq!(signed(Points(-250)), "-2.5");
        assert_eq!(signed(Points::ZERO), "0");
    }

    #[test]
    fn points_parsing() {
        assert_eq!(p("3"), Points(300));
        assert_eq!(p("-2.5"), Points(-250));
        assert_eq!(p("0.25"), Points(25));
        assert_eq!(p("+1"), Points(100));
        assert_eq!(p(" 3分 "), Points(300));
        assert_eq!(p("-0.5 分"), Points(-50));
        assert_eq!(p("007.10"), Points(710));
        assert_eq!("".parse::<Points>(), Err(PointsError::Empty));
        assert_eq!("分".parse::<Points>(), Err(PointsError::Empty));
        assert_eq!("1.005".parse::<Points>(), Err(PointsError::TooManyDecimals));
        assert_eq!(
            "99999999999999999999".parse::<Points>(),
            Err(PointsError::TooLarge)
        );
        for bad in [
            "abc", "1.2.3", ".5", "5.", "1,000", "--3", "-", "+-1", "1e3", "３", "1 000", "½",
        ] {
            assert!(
                matches!(bad.parse::<Points>(), Err(PointsError::Invalid(_))),
                "{bad}"
            );
        }
        assert_eq!(
            PointsError::TooManyDecimals.to_string(),
            "分值最多保留两位小数"
        );
        assert_eq!(
            "abc".parse::<Points>().unwrap_err().to_string(),
            "分值格式无效：abc"
        );
    }

    #[test]
    fn points_deserialise_from_integer_hundredths() {
        let points = Points::deserialize(IntoDeserializer::<DeError>::into_deserializer(8750i64));
        assert_eq!(points, Ok(Points(8750)));
    }

    // -- Vocabularies -------------------------------------------------------

    #[test]
    fn vocabulary_codes_and_labels() {
        let codes = |all: &[Grade]| all.iter().map(|g| g.code()).collect::<Vec<_>>();
        assert_eq!(
            codes(Grade::ALL),
            ["excellent", "qualified", "basic", "unqualified"]
        );
        let labels: Vec<_> = Grade::ALL.iter().map(|g| g.label()).collect();
        assert_eq!(labels, ["优秀", "合格", "基本合格", "不合格"]);
        assert_eq!(ItemKind::Award.label(), "加分");
        assert_eq!(ItemKind::Deduction.code(), "deduction");
        for &g in Grade::ALL {
            assert_eq!(Grade::from_code(g.code()), Some(g));
            assert_eq!(Grade::from_label(g.label()), Some(g));
            let de = Grade::deserialize(IntoDeserializer::<DeError>::into_deserializer(g.code()));
            assert_eq!(de, Ok(g));
        }
        for &n in ProposalNote::ALL {
            assert_eq!(ProposalNote::from_code(n.code()), Some(n));
        }
    }

    // -- Schemes ------------------------------------------------------------

    #[test]
    fn presets_are_valid_and_share_the_stable_item_codes() {
        let presets = presets();
        let codes: Vec<_> = presets.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            codes,
            ["company", "city_foreign_affairs", "unit", "city_organs"]
        );
        for (code, scheme) in &presets {
            assert_eq!(scheme.validate(), Ok(()), "{code}");
            for stable in [
                "meeting_attended",
                "meeting_absent",
                "dues_on_time",
                "dues_late",
                "service_done",
            ] {
                assert!(scheme.item(stable).is_some(), "{code} lacks {stable}");
            }
            assert_eq!(scheme.cutoffs, Cutoffs::default());
            assert_eq!(scheme.excellent_share, Share::ONE_THIRD);
            assert_eq!(
                scheme.item("meeting_absent").unwrap().kind,
                ItemKind::Deduction
            );
            assert_eq!(scheme.item("dues_late").unwrap().kind, ItemKind::Deduction);
        }
    }

    #[test]
    fn preset_structures_follow_domain_section_5() {
        let company = company();
        assert_eq!(
            (company.base, company.appraisal_weight, company.ceiling),
            (Points::from_whole(60), 20, Some(Points::from_whole(100)))
        );
        let foreign = city_foreign_affairs();
        assert_eq!(foreign.base, Points::from_whole(60));
        assert_eq!(foreign.floor, Some(Points::ZERO));
        assert_eq!(foreign.ceiling, None);
        assert_eq!(foreign.appraisal_weight, 0);
        assert!(
            foreign
                .items
                .iter()
                .filter(|i| i.kind == ItemKind::Award)
                .all(|i| i.cap_per_year.is_none())
        );
        assert_eq!(
            foreign.item("meeting_attended").unwrap().points,
            Points::from_whole(1)
        );
        let unit = unit();
        assert_eq!(
            (unit.base, unit.appraisal_weight),
            (Points::from_whole(70), 20)
        );
        // 贡献 ≤ 10: the award items are the contribution part.
        let contribution: Points = unit
            .items
            .iter()
            .filter(|i| i.kind == ItemKind::Award)
            .map(|i| i.cap_per_year.expect("every contribution item is capped"))
            .sum();
        assert_eq!(contribution, Points::from_whole(10));
        assert_eq!(unit.vetoes.len(), 2);
        assert_eq!(city_organs().base, Points::from_whole(70));
    }

    fn valid() -> Scheme {
        unit()
    }

    #[test]
    fn validate_refuses_schemes_that_cannot_be_explained() {
        let s = Scheme {
            floor: Some(p("50")),
            ceiling: Some(p("40")),
            ..valid()
        };
        let err = s.validate().unwrap_err();
        assert_eq!(err.to_string(), "保底分 50 分高于封顶分 40 分");

        let s = Scheme {
            appraisal_weight: 101,
            ..valid()
        };
        assert_eq!(s.validate(), Err(PointsError::WeightOutOfRange(101)));

        for (e, q, b) in [("80", "80", "60"), ("90", "80", "85"), ("60", "80", "90")] {
            let s = Scheme {
                cutoffs: Cutoffs {
                    excellent: p(e),
                    qualified: p(q),
                    basic: p(b),
                },
                ..valid()
            };
            assert!(
                matches!(s.validate(), Err(PointsError::CutoffsNotDescending { .. })),
                "{e}/{q}/{b}"
            );
        }

        let mut s = valid();
        let mut dup = s.items[0].clone();
        dup.name = "重复的出席".to_owned();
        s.items.push(dup);
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "积分项目重复：重复的出席"
        );

        let mut s = valid();
        s.items[0].cap_per_year = Some(p("0.25"));
        assert_eq!(
            s.validate().unwrap_err().to_string(),
            "「出席组织生活」每年最多 0.25 分，小于单次分值 0.5 分"
        );

        let mut s = valid();
        s.items[1].points = Points::ZERO;
        assert_eq!(
            s.validate(),
            Err(PointsError::ItemPointsNotPositive(
                "无故缺席组织生活".to_owned()
            ))
        );

        for share in [(1, 0), (4, 3)] {
            let s = Scheme {
                excellent_share: Share {
                    numerator: share.0,
                    denominator: share.1,
                },
                ..valid()
            };
            assert!(matches!(s.validate(), Err(PointsError::BadShare(_))));
        }

        // A cap equal to one occurrence is fine, as is a floor equal to the ceiling.
        let mut s = valid();
        s.items[0].cap_per_year = Some(s.items[0].points);
        s.floor = s.ceiling;
        assert_eq!(s.validate(), Ok(()));
    }

    #[test]
    fn share_limit_rounds_down_and_includes_a_third() {
        let third = Share::ONE_THIRD;
        let limits: Vec<_> = (0..=10).map(|n| third.limit(n)).collect();
        assert_eq!(limits, [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3]);
        assert_eq!(third.limit(u32::MAX), u32::MAX / 3);
        let whole = Share {
            numerator: 1,
            denominator: 1,
        };
        assert_eq!(whole.limit(u32::MAX), u32::MAX);
        let broken = Share {
            numerator: 1,
            denominator: 0,
        };
        assert_eq!(broken.limit(9), 0);
        assert_eq!(third.to_string(), "1/3");
    }

    #[test]
    fn exclusions() {
        let company = company();
        use MemberCategory::*;
        assert!(is_excluded(&company, ElderlyInfirm, Some(70)));
        assert!(is_excluded(&company, ElderlyInfirm, Some(85)));
        assert!(!is_excluded(&company, ElderlyInfirm, Some(69)));
        assert!(!is_excluded(&company, ElderlyInfirm, None));
        assert!(!is_excluded(&company, Retired, Some(80)));
        let organs = city_organs();
        assert!(is_excluded(&organs, Retired, None));
        assert!(is_excluded(&organs, Mobile, Some(30)));
        assert!(!is_excluded(&organs, InService, Some(30)));
        assert!(!is_excluded(&unit(), Retired, Some(90)));
    }

    // -- Ledger -------------------------------------------------------------

    #[test]
    fn manual_entry_cap_counts_net_of_reversals() {
        let organs = city_organs();
        let mut entries = occurrences(&organs, "meeting_attended", 12, 1);
        let err = check_manual_entry(&organs, "meeting_attended", p("1"), &entries).unwrap_err();
        assert_eq!(
            err.to_string(),
            "「出席组织生活」每年最多 12 分，今年已记 12 分，还可记 0 分"
        );
        entries.push(reversal_of(13, &entries[0].clone()));
        assert_eq!(
            check_manual_entry(&organs, "meeting_attended", p("1"), &entries),
            Ok(())
        );
        assert_eq!(
            check_manual_entry(&organs, "meeting_attended", p("1.5"), &entries),
            Err(PointsError::CapExceeded {
                name: "出席组织生活".to_owned(),
                cap: p("12"),
                recorded: p("11"),
                left: p("1"),
            })
        );
        // Other items and other members' entries do not count towards the cap.
        let others = occurrences(&organs, "service_done", 12, 1);
        assert_eq!(
            check_manual_entry(&organs, "meeting_attended", p("12"), &others),
            Ok(())
        );
    }

    #[test]
    fn manual_entry_beyond_a_cap_already_passed_by_automatic_entries() {
        let organs = city_organs();
        let entries = occurrences(&organs, "meeting_attended", 14, 1);
        let err = check_manual_entry(&organs, "meeting_attended", p("1"), &entries).unwrap_err();
        assert_eq!(
            err.to_string(),
            "「出席组织生活」每年最多 12 分，今年已记 14 分，还可记 0 分"
        );
    }

    #[test]
    fn manual_entry_deduction_cap_is_a_magnitude() {
        let mut scheme = valid();
        scheme.items[1].cap_per_year = Some(p("5"));
        let entries = occurrences(&scheme, "meeting_absent", 2, 1);
        assert_eq!(
            check_manual_entry(&scheme, "meeting_absent", p("-1"), &entries),
            Ok(())
        );
        assert_eq!(
            check_manual_entry(&scheme, "meeting_absent", p("-2"), &entries)
                .unwrap_err()
                .to_string(),
            "「无故缺席组织生活」每年最多 5 分，今年已记 4 分，还可记 1 分"
        );
    }

    #[test]
    fn manual_entry_refusals() {
        let scheme = valid();
        assert_eq!(
            check_manual_entry(&scheme, "no_such_item", p("1"), &[]),
            Err(PointsError::UnknownItem)
        );
        assert_eq!(
            check_manual_entry(&scheme, "contribution", Points::ZERO, &[]),
            Err(PointsError::ZeroPoints)
        );
        assert_eq!(
            check_manual_entry(&scheme, "contribution", p("-1"), &[])
                .unwrap_err()
                .to_string(),
            "「其他贡献」是加分项，分值应为正数"
        );
        assert_eq!(
            check_manual_entry(&scheme, "manual_deduction", p("1"), &[])
                .unwrap_err()
                .to_string(),
            "「其他减分」是减分项，分值应为负数"
        );
        assert_eq!(
            check_manual_entry(&scheme, "manual_deduction", p("-30"), &[]),
            Ok(())
        );
        assert_eq!(
            PointsError::UnknownItem.to_string(),
            "积分方案中没有这一项，请重新选择"
        );
    }

    #[test]
    fn reversals() {
        let original = entry(7, "contribution", "1.5");
        let reversal = check_reversal(&original, std::slice::from_ref(&original)).unwrap();
        assert_eq!(
            reversal,
            Reversal {
                item_code: "contribution".to_owned(),
                points: p("-1.5"),
                reverses: 7,
            }
        );
        let reversing = reversal_of(8, &original);
        assert_eq!(
            check_reversal(&original, &[original.clone(), reversing.clone()]),
            Err(PointsError::AlreadyReversed)
        );
        assert_eq!(
            check_reversal(&reversing, &[original.clone(), reversing.clone()]),
            Err(PointsError::ReversingAReversal)
        );
        // A reversal of another entry does not block this one.
        let other = reversal_of(9, &entry(3, "contribution", "1"));
        assert!(check_reversal(&original, &[other]).is_ok());
        assert_eq!(
            PointsError::AlreadyReversed.to_string(),
            "这条记录已经冲正过，不能重复冲正"
        );
    }

    // -- Scores: one worked example per preset ---------------------------------

    #[test]
    fn worked_company() {
        let s = company();
        let mut entries = occurrences(&s, "meeting_attended", 5, 1);
        entries.extend(occurrences(&s, "meeting_absent", 3, 10));
        entries.extend(occurrences(&s, "dues_on_time", 10, 20));
        entries.extend(occurrences(&s, "dues_late", 2, 30));
        entries.extend(occurrences(&s, "service_done", 2, 40));
        let scoring = score(&s, &entries, Some(p("72.33")), None).unwrap();
        // 72.33 × 20% = 14.466, HALF_UP to 14.47.
        assert_eq!(
            scoring.appraisal,
            Some(AppraisalPart {
                score: Some(p("72.33")),
                weight: 20,
                contribution: p("14.47"),
            })
        );
        // 60 + 5 − 6 + 5 − 4 + 2 + 14.47
        assert_eq!(scoring.raw, p("76.47"));
        assert_eq!(scoring.total, p("76.47"));
        assert_eq!(grade_for(scoring.total, s.cutoffs), Grade::Basic);
        assert_eq!(
            scoring.working,
            [
                "基础分 60 分",
                "出席组织生活：+5 分",
                "无故缺席组织生活：-6 分",
                "按时交纳党费：+5 分",
                "逾期交纳党费：-4 分",
                "志愿服务：+2 分",
                "民主评议 72.33 分 × 20% = 14.47 分（四舍五入到 0.01 分）",
                "合计 76.47 分",
                "最终积分 76.47 分",
            ]
        );
    }

    #[test]
    fn worked_company_caps_and_ceiling() {
        let s = company();
        let mut entries = occurrences(&s, "meeting_attended", 12, 1);
        entries.extend(occurrences(&s, "dues_on_time", 12, 20));
        entries.extend(occurrences(&s, "service_done", 15, 40));
        entries.extend(occurrences(&s, "manual_award", 5, 60));
        let scoring = score(&s, &entries, Some(p("100")), None).unwrap();
        let attended = item_total(&scoring, "meeting_attended");
        assert_eq!((attended.recorded, attended.counted), (p("12"), p("8")));
        let dues = item_total(&scoring, "dues_on_time");
        assert_eq!((dues.recorded, dues.counted), (p("6"), p("5")));
        // 60 + 8 + 5 + 4 + 3 + 20: the caps keep the 日常 part at its 80, so a perfect year is
        // exactly 100 and the ceiling has nothing to cut.
        assert_eq!(scoring.raw, p("100"));
        assert_eq!(scoring.bounded, p("100"));
        assert_eq!(scoring.total, p("100"));
        assert!(has_line(
            &scoring,
            "出席组织生活：已记 +12 分，每年最多 8 分，计入 +8 分"
        ));
        assert!(!scoring.working.iter().any(|l| l.contains("超过封顶分")));
        let awards: Points = s
            .items
            .iter()
            .filter(|i| i.kind == ItemKind::Award)
            .filter_map(|i| i.cap_per_year)
            .sum();
        assert_eq!(s.base + awards, Points::from_whole(80), "日常 80");
    }

    #[test]
    fn worked_company_without_an_appraisal_yet() {
        let scoring = score(&company(), &[], None, None).unwrap();
        assert_eq!(scoring.total, p("60"));
        assert_eq!(
            scoring.appraisal.as_ref().unwrap().contribution,
            Points::ZERO
        );
        assert!(has_line(&scoring, "尚无民主评议得分，评议部分暂计 0 分"));
    }

    #[test]
    fn worked_city_foreign_affairs() {
        let s = city_foreign_affairs();
        let mut entries = occurrences(&s, "meeting_attended", 30, 1);
        entries.extend(occurrences(&s, "meeting_absent", 1, 40));
        entries.extend(occurrences(&s, "dues_on_time", 12, 50));
        entries.extend(occurrences(&s, "service_done", 3, 70));
        let scoring = score(&s, &entries, Some(p("90")), None).unwrap();
        // 60 + 30 − 2 + 6 + 3; no appraisal part in this scheme.
        assert_eq!(scoring.appraisal, None);
        assert_eq!(scoring.total, p("97"));

        // Uncapped: 50 meetings go past 100.
        let many = occurrences(&s, "meeting_attended", 50, 1);
        assert_eq!(score(&s, &many, None, None).unwrap().total, p("110"));

        // Floor 0: 31 absences would leave −2.
        let absent = occurrences(&s, "meeting_absent", 31, 1);
        let scoring = score(&s, &absent, None, None).unwrap();
        assert_eq!((scoring.raw, scoring.total), (p("-2"), Points::ZERO));
        assert!(has_line(&scoring, "低于保底分 0 分，按 0 分计"));
    }

    #[test]
    fn worked_unit() {
        let s = unit();
        let mut entries = occurrences(&s, "meeting_attended", 10, 1);
        entries.extend(occurrences(&s, "dues_on_time", 12, 20));
        entries.extend(occurrences(&s, "service_done", 2, 40));
        entries.extend(occurrences(&s, "contribution", 1, 50));
        entries.extend(occurrences(&s, "meeting_absent", 1, 60));
        let scoring = score(&s, &entries, Some(p("90")), None).unwrap();
        assert_eq!(item_total(&scoring, "meeting_attended").counted, p("3"));
        assert_eq!(item_total(&scoring, "dues_on_time").counted, p("2"));
        // 70 + 3 + 2 + 2 + 1 − 2 + 18
        assert_eq!(scoring.total, p("94"));
        assert_eq!(scoring.veto, None);

        let vetoed = score(&s, &entries, Some(p("90")), Some("有违法犯罪行为")).unwrap();
        assert_eq!(vetoed.bounded, p("94"));
        assert_eq!(vetoed.total, Points::ZERO);
        assert_eq!(vetoed.veto.as_deref(), Some("有违法犯罪行为"));
        assert!(has_line(&vetoed, "因有违法犯罪行为，一票否决，积分为 0"));
        assert_eq!(grade_for(vetoed.total, s.cutoffs), Grade::Unqualified);
    }

    #[test]
    fn worked_city_organs() {
        let s = city_organs();
        let mut entries = occurrences(&s, "meeting_attended", 12, 1);
        entries.extend(occurrences(&s, "dues_on_time", 12, 20));
        entries.extend(occurrences(&s, "service_done", 15, 40));
        entries.push(entry(60, "manual_award", "2"));
        let scoring = score(&s, &entries, None, None).unwrap();
        assert_eq!(item_total(&scoring, "service_done").counted, p("12"));
        // 70 + 12 + 6 + 12 + 2
        assert_eq!(scoring.raw, p("102"));
        assert_eq!(scoring.total, p("100"));
    }

    #[test]
    fn score_refusals() {
        let s = unit();
        assert_eq!(
            score(&s, &[], Some(p("100.01")), None),
            Err(PointsError::AppraisalOutOfRange(p("100.01")))
        );
        assert!(score(&s, &[], Some(p("-0.01")), None).is_err());
        assert!(score(&s, &[], Some(p("100")), None).is_ok());
        assert_eq!(
            score(&s, &[], None, Some("迟到")).unwrap_err().to_string(),
            "「迟到」不是本方案规定的一票否决情形"
        );
        assert_eq!(
            score(&company(), &[], None, Some("有违法犯罪行为")),
            Err(PointsError::UnknownVeto("有违法犯罪行为".to_owned()))
        );
        let broken = Scheme {
            appraisal_weight: 120,
            ..unit()
        };
        assert_eq!(
            score(&broken, &[], None, None),
            Err(PointsError::WeightOutOfRange(120))
        );
    }

    #[test]
    fn entries_of_a_removed_item_still_count_uncapped() {
        let s = unit();
        let entries = [entry(1, "old_item", "3"), entry(2, "contribution", "1")];
        let scoring = score(&s, &entries, None, None).unwrap();
        let codes: Vec<_> = scoring.items.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes, ["contribution", "old_item"]);
        let old = item_total(&scoring, "old_item");
        assert_eq!((old.name.as_deref(), old.counted), (None, p("3")));
        assert_eq!(scoring.total, p("74"));
        assert!(has_line(&scoring, "已不在本方案中的项目：按已记 +3 分计入"));
    }

    // -- Grades -----------------------------------------------------------------

    #[test]
    fn grade_cutoffs_include_themselves() {
        let c = Cutoffs::default();
        let cases = [
            ("100", Grade::Excellent),
            ("90", Grade::Excellent),
            ("89.99", Grade::Qualified),
            ("80", Grade::Qualified),
            ("79.99", Grade::Basic),
            ("60", Grade::Basic),
            ("59.99", Grade::Unqualified),
            ("-5", Grade::Unqualified),
        ];
        for (total, grade) in cases {
            assert_eq!(grade_for(p(total), c), grade, "{total}");
        }
    }

    fn proposals_of(totals: &[&str]) -> Vec<Proposal> {
        let members: Vec<_> = totals
            .iter()
            .enumerate()
            .map(|(i, t)| (i as i64 + 1, p(t)))
            .collect();
        propose_grades(&unit(), &members)
    }

    fn summary(proposals: &[Proposal]) -> Vec<(i64, u32, Grade, Option<ProposalNote>)> {
        proposals
            .iter()
            .map(|p| (p.member_id, p.rank, p.grade, p.note))
            .collect()
    }

    #[test]
    fn proposals_hold_excellent_to_a_third() {
        use Grade::*;
        use ProposalNote::*;
        // Nine members: at most three 优秀; five reach the cut-off.
        let proposals = proposals_of(&["92", "95", "98", "95", "91", "85", "80", "70", "50"]);
        assert_eq!(
            summary(&proposals),
            [
                (3, 1, Excellent, None),
                (2, 2, Excellent, None),
                (4, 2, Excellent, None),
                (1, 4, Qualified, Some(OverShare)),
                (5, 5, Qualified, Some(OverShare)),
                (6, 6, Qualified, None),
                (7, 7, Qualified, None),
                (8, 8, Basic, None),
                (9, 9, Unqualified, None),
            ]
        );
    }

    #[test]
    fn a_tie_across_the_limit_is_flagged_not_chosen() {
        use Grade::*;
        use ProposalNote::*;
        // Six members: two 优秀 at most; the three tied on 95 cross the limit.
        let proposals = proposals_of(&["98", "95", "95", "95", "80", "70"]);
        assert_eq!(
            summary(&proposals),
            [
                (1, 1, Excellent, None),
                (2, 2, Qualified, Some(TiedAtLimit)),
                (3, 2, Qualified, Some(TiedAtLimit)),
                (4, 2, Qualified, Some(TiedAtLimit)),
                (5, 5, Qualified, None),
                (6, 6, Basic, None),
            ]
        );
    }

    #[test]
    fn small_groups_and_ties_at_the_top() {
        // Two members: a third of two is nobody.
        let two = proposals_of(&["99", "95"]);
        assert!(two.iter().all(|p| p.grade == Grade::Qualified));
        assert_eq!(two[1].note, Some(ProposalNote::OverShare));
        // Competition ranking 1, 1, 3.
        let ranks: Vec<_> = proposals_of(&["70", "70", "60"])
            .iter()
            .map(|p| p.rank)
            .collect();
        assert_eq!(ranks, [1, 1, 3]);
        assert!(propose_grades(&unit(), &[]).is_empty());
    }

    #[test]
    fn a_member_who_missed_reports_is_held_to_basic_and_leaves_the_place_to_the_next() {
        use Grade::*;
        use ProposalNote::*;
        // Six members, two 优秀 places. Member 1 (98) missed a report: 基本合格, rank kept; the
        // places go to 2 and 3. Member 6 (55) missed too, but 不合格 is already below the cap.
        let members: Vec<_> = ["98", "95", "92", "91", "80", "55"]
            .iter()
            .enumerate()
            .map(|(i, t)| (i as i64 + 1, p(t)))
            .collect();
        let caps = std::collections::HashMap::from([(1, Basic), (6, Basic)]);
        assert_eq!(
            summary(&propose_grades_capped(&unit(), &members, &caps)),
            [
                (1, 1, Basic, Some(MissedCommunityReport)),
                (2, 2, Excellent, None),
                (3, 3, Excellent, None),
                (4, 4, Qualified, Some(OverShare)),
                (5, 5, Qualified, None),
                (6, 6, Unqualified, None),
            ]
        );
    }

    // -- Periods ----------------------------------------------------------------

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods() {
        let cases = [
            ("2026", d(2026, 1, 1), d(2026, 12, 31), "2026"),
            ("2026-07", d(2026, 7, 1), d(2026, 7, 31), "2026-07"),
            (" 2026-7 ", d(2026, 7, 1), d(2026, 7, 31), "2026-07"),
            ("2028-02", d(2028, 2, 1), d(2028, 2, 29), "2028-02"),
            ("2026-Q3", d(2026, 7, 1), d(2026, 9, 30), "2026-Q3"),
            ("2026-q1", d(2026, 1, 1), d(2026, 3, 31), "2026-Q1"),
            ("2026-Q4", d(2026, 10, 1), d(2026, 12, 31), "2026-Q4"),
        ];
        for (text, start, end, key) in cases {
            let period = parse_period(text).unwrap();
            assert_eq!((period.start(), period.end()), (start, end), "{text}");
            assert_eq!(period_key(period), key);
        }
        for bad in [
            "",
            "26",
            "20261",
            "2026-",
            "2026-13",
            "2026-00",
            "2026-Q",
            "2026-Q0",
            "2026-Q5",
            "2026-Q12",
            "2026-123",
            "2026-W30",
            "２０２６",
            "2026-07-01",
            "abc",
            "-2026",
        ] {
            assert!(
                matches!(parse_period(bad), Err(PointsError::BadPeriod(_))),
                "{bad}"
            );
        }
        assert_eq!(
            parse_period("2026-13").unwrap_err().to_string(),
            "期间格式无效：2026-13，应写作 2026、2026-07 或 2026-Q3"
        );
    }

    // -- Properties -------------------------------------------------------------

    /// Valid schemes: up to five items `i0`…, with caps no smaller than one occurrence, and a
    /// floor no higher than the ceiling.
    fn arb_scheme() -> impl Strategy<Value = Scheme> {
        let item = (any::<bool>(), 1i64..500, proptest::option::of(0i64..3_000));
        (
            -2_000i64..12_000,
            proptest::collection::vec(item, 0..5),
            proptest::option::of(-3_000i64..6_000),
            proptest::option::of(0i64..12_000),
            0u8..=100,
        )
            .prop_map(|(base, items, floor, ceiling_above_floor, weight)| {
                let items = items
                    .into_iter()
                    .enumerate()
                    .map(|(i, (is_award, points, cap_extra))| Item {
                        code: format!("i{i}"),
                        name: format!("项目{i}"),
                        kind: if is_award {
                            ItemKind::Award
                        } else {
                            ItemKind::Deduction
                        },
                        points: Points(points),
                        cap_per_year: cap_extra.map(|extra| Points(points + extra)),
                    })
                    .collect();
                Scheme {
                    name: "测试方案".to_owned(),
                    base: Points(base),
                    items,
                    vetoes: vec!["违法犯罪".to_owned()],
                    floor: floor.map(Points),
                    ceiling: ceiling_above_floor.map(|c| Points(floor.unwrap_or(0) + c)),
                    appraisal_weight: weight,
                    cutoffs: Cutoffs::default(),
                    excluded: Vec::new(),
                    excellent_share: Share::ONE_THIRD,
                }
            })
    }

    /// Entries for items `i0`…`i4` (some of which the scheme may lack) with the sign of the
    /// item's kind when the scheme has it.
    fn entries_for(scheme: &Scheme, raw: &[(usize, i64)]) -> Vec<Entry> {
        raw.iter()
            .enumerate()
            .map(|(n, &(i, magnitude))| {
                let code = format!("i{i}");
                let sign = match scheme.item(&code).map(|it| it.kind) {
                    Some(ItemKind::Deduction) => -1,
                    _ => 1,
                };
                Entry {
                    id: n as i64 + 1,
                    item_code: code,
                    points: Points(sign * magnitude),
                    reverses: None,
                }
            })
            .collect()
    }

    fn arb_raw_entries() -> impl Strategy<Value = Vec<(usize, i64)>> {
        proptest::collection::vec((0usize..5, 1i64..2_000), 0..40)
    }

    fn arb_appraisal() -> impl Strategy<Value = Option<Points>> {
        proptest::option::of((0i64..=10_000).prop_map(Points))
    }

    proptest! {
        #[test]
        fn score_stays_within_floor_and_ceiling(
            scheme in arb_scheme(),
            raw in arb_raw_entries(),
            appraisal in arb_appraisal(),
        ) {
            let entries = entries_for(&scheme, &raw);
            let s = score(&scheme, &entries, appraisal, None).unwrap();
            if let Some(floor) = scheme.floor {
                prop_assert!(s.total >= floor);
            }
            if let Some(ceiling) = scheme.ceiling {
                prop_assert!(s.total <= ceiling);
            }
            // Bounds change the total only when the raw total is outside them.
            let inside = scheme.floor.is_none_or(|f| s.raw >= f)
                && scheme.ceiling.is_none_or(|c| s.raw <= c);
            prop_assert_eq!(inside, s.total == s.raw);
            for it in &s.items {
                if let Some(cap) = it.cap {
                    prop_assert!(it.counted.0.abs() <= cap.0);
                    prop_assert_eq!(it.counted == it.recorded, it.recorded.0.abs() <= cap.0);
                } else {
                    prop_assert_eq!(it.counted, it.recorded);
                }
            }
            let all: Points = entries.iter().map(|e| e.points).sum();
            let recorded: Points = s.items.iter().map(|i| i.recorded).sum();
            prop_assert_eq!(all, recorded);
            prop_assert_eq!(s.working.last().unwrap(), &format!("最终积分 {} 分", s.total));
        }

        #[test]
        fn veto_is_always_zero(
            scheme in arb_scheme(),
            raw in arb_raw_entries(),
            appraisal in arb_appraisal(),
        ) {
            let entries = entries_for(&scheme, &raw);
            let s = score(&scheme, &entries, appraisal, Some("违法犯罪")).unwrap();
            prop_assert_eq!(s.total, Points::ZERO);
            let unvetoed = score(&scheme, &entries, appraisal, None).unwrap();
            prop_assert_eq!(s.bounded, unvetoed.total);
        }

        #[test]
        fn reversing_every_entry_leaves_the_base_only_score(
            scheme in arb_scheme(),
            raw in arb_raw_entries(),
            appraisal in arb_appraisal(),
        ) {
            let mut entries = entries_for(&scheme, &raw);
            let originals = entries.clone();
            for (id, original) in (1_000..).zip(&originals) {
                let r = check_reversal(original, &entries).unwrap();
                entries.push(Entry {
                    id,
                    item_code: r.item_code,
                    points: r.points,
                    reverses: Some(r.reverses),
                });
            }
            for original in &originals {
                prop_assert_eq!(check_reversal(original, &entries), Err(PointsError::AlreadyReversed));
            }
            let reversed = score(&scheme, &entries, appraisal, None).unwrap();
            let base_only = score(&scheme, &[], appraisal, None).unwrap();
            prop_assert_eq!(reversed.total, base_only.total);
            prop_assert!(reversed.items.iter().all(|i| i.counted == Points::ZERO));
        }

        #[test]
        fn appraisal_contribution_is_half_up(a in 0i64..=10_000, weight in 0u8..=100) {
            let exact = i128::from(a) * i128::from(weight);
            let (q, r) = (exact / 100, exact % 100);
            let expected = if 2 * r >= 100 { q + 1 } else { q };
            prop_assert_eq!(i128::from(weighted(Points(a), weight).0), expected);
        }

        #[test]
        fn accepted_manual_entries_never_pass_a_cap(
            cap in 100i64..3_000,
            attempts in proptest::collection::vec((1i64..800, any::<bool>()), 0..30),
        ) {
            let mut scheme = unit();
            scheme.items = vec![Item {
                code: "x".to_owned(),
                name: "测试".to_owned(),
                kind: ItemKind::Deduction,
                points: Points(100),
                cap_per_year: Some(Points(cap)),
            }];
            let mut entries: Vec<Entry> = Vec::new();
            for (n, &(magnitude, reverse_last)) in attempts.iter().enumerate() {
                let id = n as i64 + 1;
                if reverse_last && let Some(last) = entries.iter().rev().find(|e| e.reverses.is_none()) {
                    if let Ok(r) = check_reversal(last, &entries) {
                        entries.push(Entry { id, item_code: r.item_code, points: r.points, reverses: Some(r.reverses) });
                    }
                    continue;
                }
                let points = Points(-magnitude);
                if check_manual_entry(&scheme, "x", points, &entries).is_ok() {
                    entries.push(Entry { id, item_code: "x".to_owned(), points, reverses: None });
                }
                let net: i64 = entries.iter().map(|e| e.points.0).sum();
                prop_assert!((-cap..=0).contains(&net), "net {} cap {}", net, cap);
            }
        }

        #[test]
        fn proposals_keep_the_share_and_rank_by_total(
            totals in proptest::collection::vec(0i64..21, 0..40),
            numerator in 0u32..4,
            extra in 0u32..4,
        ) {
            let share = Share { numerator, denominator: numerator.max(1) + extra };
            let scheme = Scheme { excellent_share: share, ..unit() };
            let members: Vec<(i64, Points)> = totals
                .iter()
                .enumerate()
                .map(|(i, &t)| (i as i64 * 7 % 41, Points(t * 500)))
                .collect();
            let proposals = propose_grades(&scheme, &members);
            prop_assert_eq!(proposals.len(), members.len());
            let n = members.len() as u32;
            let excellent = proposals.iter().filter(|p| p.grade == Grade::Excellent).count() as u32;
            prop_assert!(excellent <= share.limit(n));
            for a in &proposals {
                let above = proposals.iter().filter(|b| b.total > a.total).count() as u32;
                prop_assert_eq!(a.rank, above + 1);
                let by_cutoff = grade_for(a.total, scheme.cutoffs);
                match a.note {
                    None => prop_assert_eq!(a.grade, by_cutoff),
                    Some(note) => {
                        prop_assert_eq!(by_cutoff, Grade::Excellent);
                        prop_assert_eq!(a.grade, Grade::Qualified);
                        let at_or_above = proposals.iter().filter(|b| b.total >= a.total).count() as u32;
                        prop_assert!(at_or_above > share.limit(n));
                        prop_assert_eq!(note == ProposalNote::TiedAtLimit, above < share.limit(n));
                    }
                }
            }
            for w in proposals.windows(2) {
                prop_assert!(w[0].total >= w[1].total);
                prop_assert!(w[0].rank <= w[1].rank);
            }
            let mut given: Vec<_> = members.clone();
            let mut got: Vec<_> = proposals.iter().map(|p| (p.member_id, p.total)).collect();
            given.sort_unstable();
            got.sort_unstable();
            prop_assert_eq!(given, got);
        }

        #[test]
        fn a_cap_lowers_only_its_member_and_frees_places_for_the_others(
            totals in proptest::collection::vec(0i64..21, 0..40),
            capped_mask in proptest::collection::vec(any::<bool>(), 40),
        ) {
            let scheme = unit();
            let members: Vec<(i64, Points)> = totals
                .iter()
                .enumerate()
                .map(|(i, &t)| (i as i64, Points(t * 500)))
                .collect();
            let caps: std::collections::HashMap<i64, Grade> = members
                .iter()
                .filter(|m| capped_mask[m.0 as usize])
                .map(|m| (m.0, Grade::Basic))
                .collect();
            let free = propose_grades(&scheme, &members);
            let held = propose_grades_capped(&scheme, &members, &caps);
            let n = members.len() as u32;
            let excellent = held.iter().filter(|p| p.grade == Grade::Excellent).count() as u32;
            prop_assert!(excellent <= scheme.excellent_share.limit(n));
            let rank = |g: Grade| Grade::ALL.iter().position(|&x| x == g).unwrap();
            for (a, b) in free.iter().zip(&held) {
                // Same order and ranks: a cap changes the grade, never the standing.
                prop_assert_eq!((a.member_id, a.rank), (b.member_id, b.rank));
                if caps.contains_key(&b.member_id) {
                    prop_assert!(rank(b.grade) >= rank(Grade::Basic));
                    let by_cutoff = grade_for(b.total, scheme.cutoffs);
                    prop_assert_eq!(b.grade, crate::service::capped(by_cutoff, Some(Grade::Basic)));
                    prop_assert_eq!(b.note.is_some(), b.grade != by_cutoff);
                } else {
                    prop_assert!(rank(b.grade) <= rank(a.grade));
                }
            }
        }

        #[test]
        fn points_text_round_trips(h in -(i64::MAX / 100)..(i64::MAX / 100)) {
            prop_assert_eq!(Points(h).to_string().parse::<Points>(), Ok(Points(h)));
        }

        #[test]
        fn period_keys_round_trip(year in 1900i32..2200, kind in 0u8..3, index in 1u32..13) {
            let period = match kind {
                0 => Period::new(Frequency::Yearly, year, 1),
                1 => Period::new(Frequency::Quarterly, year, (index - 1) % 4 + 1),
                _ => Period::new(Frequency::Monthly, year, index),
            }
            .unwrap();
            prop_assert_eq!(parse_period(&period_key(period)), Ok(period));
        }
    }
}
