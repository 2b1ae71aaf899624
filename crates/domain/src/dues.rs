//! Party dues (党费): the monthly amount, the in-service base, and arrears.
//!
//! All money is integer 分 ([`Fen`]); percentages are basis points, and the
//! only rounding is one HALF_UP step to 分 done in integer arithmetic, so the
//! result is exact and reproducible. Each quote carries Chinese working lines
//! because members and auditors ask how their amount was reached.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

use crate::enums::code_enum;

/// Version of the dues rules: 中组发〔2008〕3号 as amended by
/// 组电明字〔2017〕5号, HALF_UP to 分. Store it with every fixed amount.
/// 2017.2: the base from a pay slip follows the table in [`crate::payslip`]
/// and leaves unrecognised items to the person entering them.
pub const RULE_VERSION: &str = "dues-2017.2";

// ---------------------------------------------------------------------------
// Money

/// An amount of money in 分 (0.01 元). Displays as 元 with two decimals.
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
pub struct Fen(pub i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// Whole 元.
    pub const fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, rhs: Fen) -> Fen {
        Fen(self.0 + rhs.0)
    }
}

impl AddAssign for Fen {
    fn add_assign(&mut self, rhs: Fen) {
        self.0 += rhs.0;
    }
}

impl Sub for Fen {
    type Output = Fen;
    fn sub(self, rhs: Fen) -> Fen {
        Fen(self.0 - rhs.0)
    }
}

impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, Add::add)
    }
}

/// Why an amount typed in 元 was rejected; shown to staff as-is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金额不能为空")]
    Empty,
    #[error("金额不能为负数")]
    Negative,
    #[error("金额最多保留两位小数（到分）")]
    TooManyDecimals,
    #[error("金额格式无效：{0}")]
    Invalid(String),
    #[error("金额过大")]
    TooLarge,
}

/// Parses an amount in 元 such as `7305`, `7305.5` or `7305.00` (a trailing
/// `元` is tolerated, as spreadsheets often carry it). More than two decimals
/// are rejected rather than rounded, because a base must not change silently.
/// DOMAIN.md §1.3 (amounts in 分).
pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
    let t = s.trim();
    let t = t.strip_suffix('元').map_or(t, str::trim_end);
    if t.is_empty() {
        return Err(MoneyError::Empty);
    }
    if t.starts_with('-') {
        return Err(MoneyError::Negative);
    }
    let invalid = || MoneyError::Invalid(crate::text::echo(s).into_owned());
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
                return Err(MoneyError::TooManyDecimals);
            }
            let v: i64 = f.parse().map_err(|_| invalid())?;
            if f.len() == 1 { v * 10 } else { v }
        }
    };
    let yuan: i64 = int_part.parse().map_err(|_| MoneyError::TooLarge)?;
    yuan.checked_mul(100)
        .and_then(|f| f.checked_add(frac))
        .map(Fen)
        .ok_or(MoneyError::TooLarge)
}

// ---------------------------------------------------------------------------
// Categories and policy

code_enum! {
    /// Which dues rule applies to a member. DOMAIN.md §1.1.
    pub enum DuesCategory {
        InService => ("in_service", "在职", "在职人员", "月薪"),
        AnnualSalary => ("annual_salary", "年薪制"),
        SelfEmployed => ("self_employed", "个体经营", "个体经营者", "个体"),
        Retired => ("retired", "离退休", "离退休人员"),
        Farmer => ("farmer", "农民"),
        Student => ("student", "学生"),
        Unemployed => ("unemployed", "下岗失业", "失业"),
        LowIncome => ("low_income", "低保", "抚恤救济", "领取抚恤救济"),
        Hardship => ("hardship", "生活困难", "困难"),
    }
}

/// Local settings for the dues rules.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DuesPolicy {
    /// "一般不超过1000元" is guidance, so the cap is configurable and may be
    /// switched off. DOMAIN.md §1.3.
    pub monthly_cap: Option<Fen>,
    /// Provinces fix a value in the 0.20–1.00 元 range \[L\]. DOMAIN.md §1.1.
    pub farmer_amount: Fen,
    /// Local override allowing a farmer amount outside 0.20–1.00 元.
    /// DOMAIN.md §1.5 row 16.
    pub allow_farmer_outside_range: bool,
}

impl Default for DuesPolicy {
    fn default() -> Self {
        DuesPolicy {
            monthly_cap: Some(MONTHLY_CAP_DEFAULT),
            farmer_amount: Fen(50),
            allow_farmer_outside_range: false,
        }
    }
}

/// DOMAIN.md §1.3.
const MONTHLY_CAP_DEFAULT: Fen = Fen::from_yuan(1000);
/// DOMAIN.md §1.1 (农民 0.20–1.00 元).
const FARMER_MIN: Fen = Fen(20);
const FARMER_MAX: Fen = Fen(100);
/// DOMAIN.md §1.1 (学生, 下岗失业, 抚恤/救济, 低保: 0.20 元).
const LOW_FIXED: Fen = Fen(20);

/// What the dues calculation needs to know about one member for one month.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DuesInput {
    pub category: DuesCategory,
    /// Monthly base: after-tax regular pay (in-service, see [`crate::payslip::derive_base`]),
    /// pay actually received that month (annual salary), or the basic pension
    /// without allowances (retired). Unused by fixed-amount categories.
    pub base: Option<Fen>,
    /// Self-employed: total net income of the previous quarter; the base is
    /// its monthly average.
    pub previous_quarter_net_income: Option<Fen>,
    /// Hardship relief needs the branch's decision and the higher committee's
    /// approval on record.
    pub hardship_approved: bool,
}

/// The monthly amount with the working that led to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DuesQuote {
    pub monthly: Fen,
    /// The base the rate was applied to; `None` for fixed amounts.
    pub base: Option<Fen>,
    /// Rate in basis points (0.5% = 50); `None` for fixed amounts.
    pub rate_bp: Option<u32>,
    /// Whether the monthly cap reduced the amount.
    pub capped: bool,
    /// Chinese explanation, one step per line.
    pub working: Vec<String>,
}

/// Why no amount could be quoted; shown to staff as-is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DuesError {
    #[error("{0}党员须提供计算基数")]
    MissingBase(&'static str),
    #[error("计算基数不能为负数")]
    NegativeBase,
    #[error("个体经营等人员须提供上季度纯收入")]
    MissingQuarterIncome,
    #[error("上季度纯收入为负数，请核实，或按困难党员办理减免")]
    NegativeQuarterIncome,
    #[error("农民党员党费应在 0.20 至 1.00 元之间，当前配置为 {0} 元")]
    FarmerAmountOutOfRange(Fen),
    #[error("党费上限不能为负数")]
    NegativeCap,
    #[error("困难党员减免须经党支部研究并报上级党委批准")]
    HardshipNotApproved,
}

// ---------------------------------------------------------------------------
// Brackets

/// A rate applying to a whole base up to and including `upper`.
struct Bracket {
    upper: Option<Fen>,
    rate_bp: u32,
    label: &'static str,
}

/// Whole-base brackets, upper bound inclusive: 3000.00 is 0.5%, 3000.01 is 1%.
/// DOMAIN.md §1.2.
const IN_SERVICE_BRACKETS: &[Bracket] = &[
    Bracket {
        upper: Some(Fen::from_yuan(3000)),
        rate_bp: 50,
        label: "3000 元及以下",
    },
    Bracket {
        upper: Some(Fen::from_yuan(5000)),
        rate_bp: 100,
        label: "3000 元以上至 5000 元",
    },
    Bracket {
        upper: Some(Fen::from_yuan(10000)),
        rate_bp: 150,
        label: "5000 元以上至 10000 元",
    },
    Bracket {
        upper: None,
        rate_bp: 200,
        label: "10000 元以上",
    },
];

/// DOMAIN.md §1.1 (离退休) and §1.2.
const RETIREE_BRACKETS: &[Bracket] = &[
    Bracket {
        upper: Some(Fen::from_yuan(5000)),
        rate_bp: 50,
        label: "离退休 5000 元及以下",
    },
    Bracket {
        upper: None,
        rate_bp: 100,
        label: "离退休 5000 元以上",
    },
];

fn bracket_for(brackets: &'static [Bracket], base: Fen) -> &'static Bracket {
    brackets
        .iter()
        .find(|b| b.upper.is_none_or(|u| base <= u))
        .expect("last bracket is unbounded")
}

/// `base × rate` rounded HALF_UP to 分, exactly. DOMAIN.md §1.3 (rounding).
fn apply_rate(base: Fen, rate_bp: u32) -> Fen {
    let exact = i128::from(base.0) * i128::from(rate_bp);
    let rounded = (exact + 5_000) / 10_000;
    Fen(i64::try_from(rounded).expect("rate below 100% keeps the result within i64"))
}

/// `x / 3` rounded HALF_UP to 分 for non-negative `x`. DOMAIN.md §1.1 (个体).
fn monthly_average(quarter: Fen) -> Fen {
    let q = i128::from(quarter.0);
    Fen(i64::try_from((2 * q + 3) / 6).expect("smaller than the input"))
}

/// `1.5%` from 150 bp; trailing zeros dropped.
fn format_rate(bp: u32) -> String {
    let whole = bp / 100;
    match bp % 100 {
        0 => format!("{whole}%"),
        r if r % 10 == 0 => format!("{whole}.{}%", r / 10),
        r => format!("{whole}.{r:02}%"),
    }
}

/// The unrounded product in 元, with as many decimals as it needs (at least
/// two): `109.575`.
fn format_exact_product(base: Fen, bp: u32) -> String {
    // base (分) × bp / 10000 gives 分, so the value in 元 has six decimals.
    let micro = i128::from(base.0) * i128::from(bp);
    let whole = micro / 1_000_000;
    let mut frac = format!("{:06}", micro % 1_000_000);
    while frac.len() > 2 && frac.ends_with('0') {
        frac.pop();
    }
    format!("{whole}.{frac}")
}

fn base_from(input: &DuesInput) -> Result<Fen, DuesError> {
    let base = input
        .base
        .ok_or(DuesError::MissingBase(input.category.label()))?;
    if base.0 < 0 {
        return Err(DuesError::NegativeBase);
    }
    Ok(base)
}

fn fixed(amount: Fen, line: String) -> DuesQuote {
    DuesQuote {
        monthly: amount,
        base: None,
        rate_bp: None,
        capped: false,
        working: vec![line],
    }
}

/// The monthly dues for one member. DOMAIN.md §1.1–§1.3, test vectors §1.5.
///
/// Hardship relief here means full exemption (0.00); a reduced amount is a
/// separate decision recorded by the branch. DOMAIN.md §1.1 (确有困难).
pub fn quote(input: &DuesInput, policy: &DuesPolicy) -> Result<DuesQuote, DuesError> {
    use DuesCategory::*;
    let mut working = Vec::new();
    let (base, brackets) = match input.category {
        InService => {
            let base = base_from(input)?;
            working.push(format!(
                "在职党员以每月相对固定的、经常性的工资收入（税后）{base} 元为计算基数"
            ));
            (base, IN_SERVICE_BRACKETS)
        }
        AnnualSalary => {
            let base = base_from(input)?;
            working.push(format!(
                "年薪制党员以当月实际领取的薪酬收入 {base} 元为计算基数"
            ));
            (base, IN_SERVICE_BRACKETS)
        }
        SelfEmployed => {
            let quarter = input
                .previous_quarter_net_income
                .ok_or(DuesError::MissingQuarterIncome)?;
            if quarter.0 < 0 {
                return Err(DuesError::NegativeQuarterIncome);
            }
            let base = monthly_average(quarter);
            working.push(format!(
                "上季度纯收入 {quarter} 元 ÷ 3 = {base} 元（四舍五入到分），作为月计算基数"
            ));
            (base, IN_SERVICE_BRACKETS)
        }
        Retired => {
            let base = base_from(input)?;
            working.push(format!(
                "离退休党员以基本离退休费（不含津补贴）{base} 元为计算基数"
            ));
            (base, RETIREE_BRACKETS)
        }
        Farmer => {
            let amount = policy.farmer_amount;
            let in_range = (FARMER_MIN..=FARMER_MAX).contains(&amount);
            if amount.0 < 0 || (!in_range && !policy.allow_farmer_outside_range) {
                return Err(DuesError::FarmerAmountOutOfRange(amount));
            }
            let note = if in_range {
                ""
            } else {
                "，经本地规定超出 0.20 至 1.00 元范围"
            };
            return Ok(fixed(
                amount,
                format!("农民党员每月交纳 {amount} 元（本地标准{note}）"),
            ));
        }
        Student | Unemployed | LowIncome => {
            return Ok(fixed(
                LOW_FIXED,
                format!("{}党员每月交纳 {LOW_FIXED} 元", input.category.label()),
            ));
        }
        Hardship => {
            if !input.hardship_approved {
                return Err(DuesError::HardshipNotApproved);
            }
            return Ok(fixed(
                Fen::ZERO,
                "生活确有困难，经党支部研究、上级党委批准，免交党费 0.00 元".to_owned(),
            ));
        }
    };

    let bracket = bracket_for(brackets, base);
    let rate = format_rate(bracket.rate_bp);
    working.push(format!(
        "计算基数 {base} 元，适用 {rate}（{}）",
        bracket.label
    ));
    let rounded = apply_rate(base, bracket.rate_bp);
    working.push(format!(
        "{base} × {rate} = {} 元，四舍五入到分 = {rounded} 元",
        format_exact_product(base, bracket.rate_bp)
    ));

    let mut monthly = rounded;
    let mut capped = false;
    if let Some(cap) = policy.monthly_cap {
        if cap.0 < 0 {
            return Err(DuesError::NegativeCap);
        }
        if rounded > cap {
            monthly = cap;
            capped = true;
            working.push(format!(
                "超过每月 {cap} 元的上限，按 {cap} 元交纳（自愿多交不受此限）"
            ));
        }
    }
    Ok(DuesQuote {
        monthly,
        base: Some(base),
        rate_bp: Some(bracket.rate_bp),
        capped,
        working,
    })
}

// ---------------------------------------------------------------------------
// Arrears

/// Months unpaid without a legitimate reason after which the branch must
/// consider 自行脱党. DOMAIN.md §1.4.
pub const LAPSE_MONTHS: usize = 6;

/// Consecutive uncovered months at the end of `covered` (oldest first, most
/// recent last). A month is covered by a payment booked to it, a quarterly or
/// back payment spanning it, or an approved waiver. DOMAIN.md §1.4.
pub fn unpaid_run(covered: &[bool]) -> usize {
    covered.iter().rev().take_while(|&&c| !c).count()
}

/// Whether the member should be flagged for the branch to check. This is only
/// a flag: the branch decides whether a legitimate reason exists, and removal
/// needs the 支部大会 and the 上级. DOMAIN.md §1.4.
pub fn suspected_lapse(covered: &[bool]) -> bool {
    unpaid_run(covered) >= LAPSE_MONTHS
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn y(s: &str) -> Fen {
        parse_yuan(s).unwrap()
    }

    fn with_base(category: DuesCategory, base: &str) -> DuesInput {
        DuesInput {
            category,
            base: Some(y(base)),
            previous_quarter_net_income: None,
            hardship_approved: false,
        }
    }

    fn monthly(category: DuesCategory, base: &str) -> String {
        quote(&with_base(category, base), &DuesPolicy::default())
            .unwrap()
            .monthly
            .to_string()
    }

    fn bare(category: DuesCategory) -> DuesInput {
        DuesInput {
            category,
            base: None,
            previous_quarter_net_income: None,
            hardship_approved: false,
        }
    }

    // §1.5 vectors, one assert each.
    #[test]
    fn v01_in_service_2000() {
        assert_eq!(monthly(DuesCategory::InService, "2000.00"), "10.00");
    }
    #[test]
    fn v02_in_service_2999_90() {
        assert_eq!(monthly(DuesCategory::InService, "2999.90"), "15.00");
    }
    #[test]
    fn v03_in_service_3000() {
        assert_eq!(monthly(DuesCategory::InService, "3000.00"), "15.00");
    }
    #[test]
    fn v04_in_service_3000_01() {
        assert_eq!(monthly(DuesCategory::InService, "3000.01"), "30.00");
    }
    #[test]
    fn v05_in_service_5000() {
        assert_eq!(monthly(DuesCategory::InService, "5000.00"), "50.00");
    }
    #[test]
    fn v06_in_service_5000_01() {
        assert_eq!(monthly(DuesCategory::InService, "5000.01"), "75.00");
    }
    #[test]
    fn v08_in_service_10000() {
        assert_eq!(monthly(DuesCategory::InService, "10000.00"), "150.00");
    }
    #[test]
    fn v09_in_service_10000_01() {
        assert_eq!(monthly(DuesCategory::InService, "10000.01"), "200.00");
    }
    #[test]
    fn v11_in_service_60000_capped() {
        let q = quote(
            &with_base(DuesCategory::InService, "60000"),
            &DuesPolicy::default(),
        )
        .unwrap();
        assert_eq!(q.monthly, Fen(100_000));
        assert!(q.capped);
    }
    #[test]
    fn v11_in_service_60000_uncapped() {
        let policy = DuesPolicy {
            monthly_cap: None,
            ..DuesPolicy::default()
        };
        let q = quote(&with_base(DuesCategory::InService, "60000"), &policy).unwrap();
        assert_eq!(q.monthly, Fen(120_000));
        assert!(!q.capped);
    }
    #[test]
    fn v12_retired_4000() {
        assert_eq!(monthly(DuesCategory::Retired, "4000.00"), "20.00");
    }
    #[test]
    fn v13_retired_5000() {
        assert_eq!(monthly(DuesCategory::Retired, "5000.00"), "25.00");
    }
    #[test]
    fn v14_retired_5000_01() {
        assert_eq!(monthly(DuesCategory::Retired, "5000.01"), "50.00");
    }
    #[test]
    fn v15_student_unemployed_low_income() {
        for c in [
            DuesCategory::Student,
            DuesCategory::Unemployed,
            DuesCategory::LowIncome,
        ] {
            let q = quote(&bare(c), &DuesPolicy::default()).unwrap();
            assert_eq!(q.monthly.to_string(), "0.20");
            assert_eq!(q.rate_bp, None);
        }
    }
    #[test]
    fn v15_student_ignores_base() {
        assert_eq!(monthly(DuesCategory::Student, "8000"), "0.20");
    }
    #[test]
    fn v16_farmer_default() {
        let q = quote(&bare(DuesCategory::Farmer), &DuesPolicy::default()).unwrap();
        assert_eq!(q.monthly.to_string(), "0.50");
    }
    #[test]
    fn v16_farmer_out_of_range_rejected() {
        let policy = DuesPolicy {
            farmer_amount: Fen(150),
            ..DuesPolicy::default()
        };
        assert_eq!(
            quote(&bare(DuesCategory::Farmer), &policy),
            Err(DuesError::FarmerAmountOutOfRange(Fen(150)))
        );
    }
    #[test]
    fn v16_farmer_out_of_range_with_override() {
        let policy = DuesPolicy {
            farmer_amount: Fen(150),
            allow_farmer_outside_range: true,
            ..DuesPolicy::default()
        };
        let q = quote(&bare(DuesCategory::Farmer), &policy).unwrap();
        assert_eq!(q.monthly, Fen(150));
    }
    #[test]
    fn v16_farmer_range_bounds() {
        for (fen, ok) in [(19, false), (20, true), (100, true), (101, false)] {
            let policy = DuesPolicy {
                farmer_amount: Fen(fen),
                ..DuesPolicy::default()
            };
            assert_eq!(
                quote(&bare(DuesCategory::Farmer), &policy).is_ok(),
                ok,
                "{fen}"
            );
        }
    }
    #[test]
    fn v17_self_employed_quarter_13500() {
        let input = DuesInput {
            previous_quarter_net_income: Some(y("13500")),
            ..bare(DuesCategory::SelfEmployed)
        };
        let q = quote(&input, &DuesPolicy::default()).unwrap();
        assert_eq!(q.base, Some(y("4500")));
        assert_eq!(q.monthly.to_string(), "45.00");
    }
    #[test]
    fn v20_hardship_approved() {
        let input = DuesInput {
            hardship_approved: true,
            ..bare(DuesCategory::Hardship)
        };
        let q = quote(&input, &DuesPolicy::default()).unwrap();
        assert_eq!(q.monthly, Fen::ZERO);
    }
    #[test]
    fn v20_hardship_unapproved() {
        let err = quote(&bare(DuesCategory::Hardship), &DuesPolicy::default()).unwrap_err();
        assert_eq!(err, DuesError::HardshipNotApproved);
        assert_eq!(
            err.to_string(),
            "困难党员减免须经党支部研究并报上级党委批准"
        );
    }

    #[test]
    fn annual_salary_uses_in_service_brackets() {
        assert_eq!(monthly(DuesCategory::AnnualSalary, "3000.01"), "30.00");
    }

    #[test]
    fn self_employed_average_rounds_half_up() {
        // 100.00 / 3 = 33.333… → 33.33; 100.01 / 3 = 33.336… → 33.34;
        // 0.05 / 3 = 0.01666… → 0.02.
        assert_eq!(monthly_average(Fen(10_000)), Fen(3_333));
        assert_eq!(monthly_average(Fen(10_001)), Fen(3_334));
        assert_eq!(monthly_average(Fen(5)), Fen(2));
        assert_eq!(monthly_average(Fen(4)), Fen(1));
    }

    #[test]
    fn missing_inputs() {
        assert_eq!(
            quote(&bare(DuesCategory::InService), &DuesPolicy::default()),
            Err(DuesError::MissingBase("在职"))
        );
        assert_eq!(
            quote(&bare(DuesCategory::SelfEmployed), &DuesPolicy::default()),
            Err(DuesError::MissingQuarterIncome)
        );
        let negative = DuesInput {
            base: Some(Fen(-1)),
            ..bare(DuesCategory::Retired)
        };
        assert_eq!(
            quote(&negative, &DuesPolicy::default()),
            Err(DuesError::NegativeBase)
        );
    }

    #[test]
    fn working_lines() {
        let q = quote(
            &with_base(DuesCategory::InService, "7305"),
            &DuesPolicy::default(),
        )
        .unwrap();
        assert_eq!(q.monthly, y("109.58"));
        assert_eq!(q.rate_bp, Some(150));
        assert!(
            q.working
                .contains(&"计算基数 7305.00 元，适用 1.5%（5000 元以上至 10000 元）".to_owned())
        );
        assert!(
            q.working
                .contains(&"7305.00 × 1.5% = 109.575 元，四舍五入到分 = 109.58 元".to_owned())
        );
        let q = quote(
            &with_base(DuesCategory::InService, "2000"),
            &DuesPolicy::default(),
        )
        .unwrap();
        assert!(
            q.working
                .contains(&"2000.00 × 0.5% = 10.00 元，四舍五入到分 = 10.00 元".to_owned())
        );
    }

    #[test]
    fn rate_formatting() {
        assert_eq!(format_rate(50), "0.5%");
        assert_eq!(format_rate(100), "1%");
        assert_eq!(format_rate(150), "1.5%");
        assert_eq!(format_rate(200), "2%");
        assert_eq!(format_rate(125), "1.25%");
    }

    #[test]
    fn fen_display() {
        assert_eq!(Fen(730_500).to_string(), "7305.00");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Fen(-50).to_string(), "-0.50");
        assert_eq!(Fen(0).to_string(), "0.00");
        assert_eq!(Fen(i64::MIN).to_string(), "-92233720368547758.08");
    }

    #[test]
    fn yuan_parsing() {
        assert_eq!(parse_yuan("7305"), Ok(Fen(730_500)));
        assert_eq!(parse_yuan("7305.5"), Ok(Fen(730_550)));
        assert_eq!(parse_yuan("7305.00"), Ok(Fen(730_500)));
        assert_eq!(parse_yuan(" 0.05 "), Ok(Fen(5)));
        assert_eq!(parse_yuan("12元"), Ok(Fen(1_200)));
        assert_eq!(parse_yuan(""), Err(MoneyError::Empty));
        assert_eq!(parse_yuan("-1"), Err(MoneyError::Negative));
        assert_eq!(parse_yuan("1.005"), Err(MoneyError::TooManyDecimals));
        assert_eq!(
            parse_yuan("99999999999999999999"),
            Err(MoneyError::TooLarge)
        );
        for bad in ["abc", "1.2.3", ".5", "5.", "1,000", "+5", "1e3", "１２"] {
            assert!(
                matches!(parse_yuan(bad), Err(MoneyError::Invalid(_))),
                "{bad}"
            );
        }
        assert_eq!(
            MoneyError::TooManyDecimals.to_string(),
            "金额最多保留两位小数（到分）"
        );
    }

    #[test]
    fn category_codes() {
        let codes: Vec<_> = DuesCategory::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(
            codes,
            [
                "in_service",
                "annual_salary",
                "self_employed",
                "retired",
                "farmer",
                "student",
                "unemployed",
                "low_income",
                "hardship"
            ]
        );
        for &c in DuesCategory::ALL {
            assert_eq!(DuesCategory::from_code(c.code()), Some(c));
            assert_eq!(DuesCategory::from_label(c.label()), Some(c));
        }
    }

    #[test]
    fn arrears() {
        assert_eq!(unpaid_run(&[]), 0);
        assert_eq!(unpaid_run(&[false, false, true]), 0);
        assert_eq!(unpaid_run(&[true, false, false]), 2);
        let five = [true, false, false, false, false, false];
        let six = [true, false, false, false, false, false, false];
        assert!(!suspected_lapse(&five));
        assert!(suspected_lapse(&six));
        assert!(!suspected_lapse(&[
            false, false, false, false, false, false, true
        ]));
    }

    fn in_service(base: i64, policy: &DuesPolicy) -> DuesQuote {
        quote(
            &DuesInput {
                base: Some(Fen(base)),
                ..bare(DuesCategory::InService)
            },
            policy,
        )
        .unwrap()
    }

    /// Bracket rates recomputed independently of the production table.
    fn reference_rate(base: i64, retired: bool) -> i128 {
        if retired {
            if base <= 500_000 { 50 } else { 100 }
        } else if base <= 300_000 {
            50
        } else if base <= 500_000 {
            100
        } else if base <= 1_000_000 {
            150
        } else {
            200
        }
    }

    /// HALF_UP of `n / d` for non-negative integers, via quotient and
    /// remainder rather than the `+ d/2` shortcut.
    fn half_up(n: i128, d: i128) -> i128 {
        let (q, r) = (n / d, n % d);
        if 2 * r >= d { q + 1 } else { q }
    }

    fn no_cap() -> DuesPolicy {
        DuesPolicy {
            monthly_cap: None,
            ..DuesPolicy::default()
        }
    }

    const MAX_BASE: i64 = 1_000_000_000_000;

    proptest! {
        #[test]
        fn monotone_within_bracket(a in 0i64..2_000_000, b in 0i64..2_000_000) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let (qa, qb) = (in_service(lo, &no_cap()), in_service(hi, &no_cap()));
            if qa.rate_bp == qb.rate_bp {
                prop_assert!(qa.monthly <= qb.monthly);
            }
            // The rate only rises, so the whole function is monotone as well.
            prop_assert!(qa.monthly <= qb.monthly);
        }

        #[test]
        fn never_negative_and_cap_respected(base in 0i64..MAX_BASE, cap in 0i64..200_000) {
            let policy = DuesPolicy { monthly_cap: Some(Fen(cap)), ..DuesPolicy::default() };
            for category in [DuesCategory::InService, DuesCategory::AnnualSalary, DuesCategory::Retired] {
                let q = quote(&DuesInput { base: Some(Fen(base)), ..bare(category) }, &policy).unwrap();
                prop_assert!(q.monthly >= Fen::ZERO);
                prop_assert!(q.monthly <= Fen(cap));
                prop_assert_eq!(q.capped, q.monthly < apply_rate(Fen(base), q.rate_bp.unwrap()));
            }
        }

        #[test]
        fn equals_exact_half_up(base in 0i64..MAX_BASE, retired in any::<bool>(), capped in any::<bool>()) {
            let policy = if capped { DuesPolicy::default() } else { no_cap() };
            let category = if retired { DuesCategory::Retired } else { DuesCategory::InService };
            let q = quote(&DuesInput { base: Some(Fen(base)), ..bare(category) }, &policy).unwrap();
            let mut expected = half_up(i128::from(base) * reference_rate(base, retired), 10_000);
            if capped {
                expected = expected.min(100_000);
            }
            prop_assert_eq!(i128::from(q.monthly.0), expected);
        }

        #[test]
        fn self_employed_matches_in_service_on_average(quarter in 0i64..MAX_BASE) {
            let input = DuesInput {
                previous_quarter_net_income: Some(Fen(quarter)),
                ..bare(DuesCategory::SelfEmployed)
            };
            let q = quote(&input, &no_cap()).unwrap();
            let avg = half_up(i128::from(quarter), 3) as i64;
            prop_assert_eq!(q.base, Some(Fen(avg)));
            prop_assert_eq!(q.monthly, in_service(avg, &no_cap()).monthly);
        }

        #[test]
        fn yuan_round_trips(fen in 0i64..i64::MAX / 100) {
            prop_assert_eq!(parse_yuan(&Fen(fen).to_string()), Ok(Fen(fen)));
        }

        #[test]
        fn unpaid_run_is_trailing(covered in proptest::collection::vec(any::<bool>(), 0..30)) {
            let run = unpaid_run(&covered);
            prop_assert!(covered[covered.len() - run..].iter().all(|c| !c));
            if run < covered.len() {
                prop_assert!(covered[covered.len() - run - 1]);
            }
            prop_assert_eq!(suspected_lapse(&covered), run >= LAPSE_MONTHS);
        }
    }
}
