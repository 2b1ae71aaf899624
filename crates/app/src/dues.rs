//! Party dues use cases: set a member's base (with the working shown), record payments and
//! waivers, a member's monthly bills and arrears, and the monthly notice (通报) per org.
//! The rules are `domain::dues` (§1.1–1.2) and `domain::dues_ledger` (§1.3–1.4).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::members::{parse_date_cn, today};
use crate::{Actor, App, AppError, Result, within};
use domain::dues::{DuesCategory, DuesInput, DuesPolicy, DuesQuote, Fen, parse_yuan, quote};
use domain::dues_ledger::{
    AmountChange, FixingRule, Month, MonthState, amount_due, check_payment_months,
    collection_rate_permille, month_states,
};
use domain::payslip::{BaseDerivation, ItemClass, ItemLine, PayItem, SlipKind, derive_base};
use domain::text::{self, echo};
use domain::{OrgKind, Role};
use store::{DuesExpense, DuesRecord, NewDuesBase, NewExpense, NewPayment, NewWaiver, Org};

/// How many months a member's page lists.
pub const HISTORY_MONTHS: i32 = 12;

/// The instance's dues settings. Yearly fixing is the default (DOMAIN.md §1.3).
#[derive(Debug, Clone, Default)]
pub struct DuesSettings {
    pub policy: DuesPolicy,
    pub fixing: FixingRule,
}

/// A quote request as typed: amounts in 元 as text, pay-slip items one per line `名称=金额`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuoteInput {
    /// in_service, annual_salary, self_employed, retired, farmer, student, unemployed, low_income, hardship (or the Chinese label)
    pub category: String,
    /// The base in 元; for self-employed members the previous quarter's net income in total.
    #[serde(default)]
    pub base: String,
    /// Pay-slip items `名称=金额`, separated by new lines or commas; the base is derived from
    /// them (在职, 年薪制 and 离退休 only). An item may carry its class: `名称=金额:计入`,
    /// `:不计入` or `:扣除`. Items the table does not recognise must be classified.
    #[serde(default)]
    pub components: String,
    /// Classes by item name (`{"值班费": "不计入"}`), as the member page's form sends them; a
    /// class written after the item in `components` takes precedence.
    #[serde(default)]
    pub classes: BTreeMap<String, String>,
    #[serde(default)]
    pub hardship_approved: bool,
}

/// One pay-slip item as the base derivation treated it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub name: String,
    /// 元, two decimals.
    pub amount: String,
    /// 计入, 不计入 or 扣除; `None` while the item is 未识别.
    pub class: Option<&'static str>,
    /// What happens to it, e.g. "单位缴纳部分，不计入也不扣除".
    pub verdict: Option<&'static str>,
    /// The row of the table that recognised the name.
    pub rule: Option<&'static str>,
    /// The row's reason, naming the regulation.
    pub basis: Option<&'static str>,
    /// Whether the class was given by the person entering the slip.
    pub chosen: bool,
    /// What the table says on its own: 计入, 不计入 or 扣除; `None` when it cannot tell.
    pub table_class: Option<&'static str>,
}

impl ItemView {
    fn of(line: &ItemLine) -> ItemView {
        ItemView {
            name: line.name.clone(),
            amount: line.amount.to_string(),
            class: line.class.map(ItemClass::choice_word),
            verdict: line.class.map(ItemClass::verdict),
            rule: line.row_item,
            basis: line.basis,
            chosen: line.chosen,
            table_class: line.row_class.map(ItemClass::choice_word),
        }
    }

    /// The choice a form offers first: the person's own, or nothing.
    pub fn chosen_word(&self) -> &str {
        if self.chosen {
            self.class.unwrap_or("")
        } else {
            ""
        }
    }
}

/// A quote with the base derivation's working in front of the amount's.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuoteResult {
    /// Monthly dues in 元, two decimals.
    pub monthly: String,
    pub monthly_fen: i64,
    pub base: Option<String>,
    pub base_fen: Option<i64>,
    pub category: String,
    pub capped: bool,
    /// The pay-slip items and how each was treated; empty when the base was typed directly.
    pub items: Vec<ItemView>,
    pub working: Vec<String>,
    pub rule_version: &'static str,
}

fn money(text: &str, what: &str) -> Result<Fen> {
    parse_yuan(text).map_err(|e| AppError::Invalid(format!("{what}「{}」无效：{e}", echo(text))))
}

fn category_of(text: &str) -> Result<DuesCategory> {
    DuesCategory::from_code(text.trim())
        .or_else(|| DuesCategory::from_label(text.trim()))
        .ok_or_else(|| AppError::Invalid(format!("党费类别「{}」无效", echo(text.trim()))))
}

/// Reads a typed pay slip (see [`domain::payslip::parse_slip`]), with the classes chosen
/// per item on the form.
fn pay_items(text: &str, classes: &BTreeMap<String, String>) -> Result<Vec<PayItem>> {
    domain::payslip::parse_slip(text, classes).map_err(|e| AppError::Invalid(e.to_string()))
}

/// The table a category's pay slip is read with; `None` for categories whose base is not pay.
fn slip_kind(category: DuesCategory) -> Option<SlipKind> {
    match category {
        DuesCategory::InService | DuesCategory::AnnualSalary => Some(SlipKind::InService),
        DuesCategory::Retired => Some(SlipKind::Retired),
        _ => None,
    }
}

/// The base derived from the typed pay slip, with unclassified items left open; `None` when no
/// items were typed. DOMAIN.md §1.1 through `domain::payslip`.
pub fn derive_input_base(input: &QuoteInput) -> Result<Option<BaseDerivation>> {
    if input.components.trim().is_empty() {
        return Ok(None);
    }
    let category = category_of(&input.category)?;
    let kind = slip_kind(category).ok_or_else(|| {
        AppError::Invalid(format!(
            "{}党员不按工资项目计算计算基数，请直接填写{}",
            category.label(),
            if category == DuesCategory::SelfEmployed {
                "上季度纯收入合计"
            } else {
                "计算基数，或不填"
            }
        ))
    })?;
    let items = pay_items(&input.components, &input.classes)?;
    derive_base(kind, &items)
        .map(Some)
        .map_err(|e| AppError::Invalid(e.to_string()))
}

/// The items of a typed pay slip for a form to show, or nothing when none were typed or they
/// cannot be read (the error says why).
pub fn slip_items(input: &QuoteInput) -> Vec<ItemView> {
    match derive_input_base(input) {
        Ok(Some(d)) => d.items.iter().map(ItemView::of).collect(),
        _ => Vec::new(),
    }
}

/// DOMAIN.md §1.1–1.2 through the domain calculator, with the base derived from components
/// when they are given. A pay slip with unclassified items gives no quote.
pub fn quote_input(
    input: &QuoteInput,
    policy: &DuesPolicy,
) -> Result<(DuesCategory, DuesQuote, Option<BaseDerivation>)> {
    let category = category_of(&input.category)?;
    let derived = derive_input_base(input)?;
    let base = match &derived {
        Some(d) => Some(d.base.ok_or_else(|| {
            AppError::Invalid(format!(
                "以下工资项目未识别，须逐项注明计入、不计入或扣除后才能计算：{}",
                d.unclassified
                    .iter()
                    .map(|n| format!("「{n}」"))
                    .collect::<String>()
            ))
        })?),
        None if input.base.trim().is_empty() => None,
        None => Some(money(&input.base, "计算基数")?),
    };
    let self_employed = category == DuesCategory::SelfEmployed;
    let q = quote(
        &DuesInput {
            category,
            base: if self_employed { None } else { base },
            previous_quarter_net_income: if self_employed { base } else { None },
            hardship_approved: input.hardship_approved,
        },
        policy,
    )
    .map_err(|e| AppError::Invalid(e.to_string()))?;
    Ok((category, q, derived))
}

pub fn quote_result(input: &QuoteInput, policy: &DuesPolicy) -> Result<QuoteResult> {
    let (category, q, derived) = quote_input(input, policy)?;
    let (items, mut working) = match derived {
        Some(d) => (d.items.iter().map(ItemView::of).collect(), d.working),
        None => (Vec::new(), Vec::new()),
    };
    working.extend(q.working.iter().cloned());
    Ok(QuoteResult {
        monthly: q.monthly.to_string(),
        monthly_fen: q.monthly.0,
        base: q.base.map(|b| b.to_string()),
        base_fen: q.base.map(|b| b.0),
        category: category.code().to_string(),
        capped: q.capped,
        items,
        working,
        rule_version: domain::dues::RULE_VERSION,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SetBaseInput {
    #[serde(flatten)]
    pub quote: QuoteInput,
    /// The first month the amount applies to, `YYYY-MM`.
    pub effective_month: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PaymentInput {
    pub from_month: String,
    #[serde(default)]
    pub to_month: String,
    pub paid_on: String,
    /// monthly, advance, back_pay, proxy
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub proxy_name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ExpenseInput {
    pub spent_on: String,
    /// 元
    pub amount: String,
    pub purpose: String,
    pub approved_by: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WaiverInput {
    pub from_month: String,
    pub to_month: String,
    pub reason: String,
    pub approved_by: String,
    pub approval_ref: String,
    pub approved_on: String,
}

pub const PAYMENT_METHODS: [(&str, &str); 5] = [
    ("monthly", "按月缴纳"),
    ("advance", "按季度预交"),
    ("back_pay", "补缴"),
    ("proxy", "委托代缴"),
    (HISTORY_METHOD, "历史补录（组织管理员）"),
];

/// The method of a payment entered as history by an org admin, outside the back-pay limit.
pub const HISTORY_METHOD: &str = "history";

pub fn method_label(code: &str) -> &'static str {
    PAYMENT_METHODS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// One month on a member's dues page.
#[derive(Debug, Clone, Serialize)]
pub struct BillRow {
    pub month: String,
    pub due: Option<String>,
    pub state: MonthState,
    pub state_label: &'static str,
}

/// A member's dues as their page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct MemberDues {
    pub current: Option<String>,
    pub bills: Vec<BillRow>,
    pub unpaid_run: usize,
    /// DOMAIN.md §1.4: six consecutive unpaid months; a flag for the branch, never a removal.
    pub suspected_lapse: bool,
    pub record: DuesRecord,
}

fn month(text: &str, what: &str) -> Result<Month> {
    Month::parse(text)
        .ok_or_else(|| AppError::Invalid(format!("{what}「{}」无效，格式如 2026-03", text.trim())))
}

fn changes_of(record: &DuesRecord) -> Vec<AmountChange> {
    record
        .bases
        .iter()
        .filter_map(|b| {
            Month::parse(&b.effective_month).map(|effective| AmountChange {
                effective,
                monthly: Fen(b.monthly_fen),
            })
        })
        .collect()
}

/// A member's bills for the last [`HISTORY_MONTHS`] months up to `until`, from their record.
fn bills_of(
    record: DuesRecord,
    admitted_on: NaiveDate,
    until: Month,
    fixing: FixingRule,
) -> MemberDues {
    let changes = changes_of(&record);
    let waived = waived_of(&record);
    let paid: Vec<Month> = record
        .payments
        .iter()
        .filter_map(|p| Month::parse(&p.month))
        .collect();
    let entered_as_history: Vec<Month> = record
        .payments
        .iter()
        .filter(|p| p.method == HISTORY_METHOD)
        .filter_map(|p| Month::parse(&p.month))
        .collect();
    let months: Vec<Month> = until.plus(1 - HISTORY_MONTHS).through(until).collect();
    let admitted = Month::of(admitted_on);
    let bases: Vec<domain::rollups::BaseFact> = record
        .bases
        .iter()
        .filter_map(|b| {
            Some(domain::rollups::BaseFact {
                effective: Month::parse(&b.effective_month)?,
                monthly: Fen(b.monthly_fen),
                assessed_from: Month::parse(&b.assessed_from)?,
            })
        })
        .collect();
    let states: Vec<_> = month_states(&months, &bases, fixing, &paid, &waived)
        .into_iter()
        .map(|(m, due, state)| {
            // DOMAIN.md §1.3: nothing is owed before admission.
            if m < admitted {
                (m, None, MonthState::NotDue)
            } else {
                (m, due, state)
            }
        })
        .collect();
    let covered: Vec<bool> = states.iter().map(|s| s.2.covered()).collect();
    let bills = states
        .iter()
        .rev()
        .map(|(m, due, state)| BillRow {
            month: m.to_string(),
            due: due.map(|d| d.to_string()),
            state: *state,
            state_label: if *state == MonthState::Paid && entered_as_history.contains(m) {
                "已缴（历史补录）"
            } else {
                state.label()
            },
        })
        .collect();
    MemberDues {
        current: amount_due(&changes, until, fixing).map(|f| f.to_string()),
        bills,
        unpaid_run: domain::dues::unpaid_run(&covered),
        suspected_lapse: domain::dues::suspected_lapse(&covered),
        record,
    }
}

fn waived_of(record: &DuesRecord) -> Vec<(Month, Month)> {
    record
        .waivers
        .iter()
        .filter_map(|w| Some((Month::parse(&w.from_month)?, Month::parse(&w.to_month)?)))
        .collect()
}

/// One line of a notice: a member (for a branch) or a child org (for a roll-up).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeRow {
    pub id: i64,
    pub name: String,
    pub detail: String,
    pub owed: u64,
    pub paid: u64,
    pub waived: u64,
    pub due_fen: i64,
    pub paid_fen: i64,
    /// ‰, half up; `None` when nobody owed.
    pub rate_permille: Option<u64>,
    /// For a member: consecutive unpaid months up to the notice's month (DOMAIN.md §1.4).
    pub unpaid_run: usize,
}

impl NoticeRow {
    /// A row with nothing counted yet.
    pub fn empty(id: i64, name: String, detail: String) -> NoticeRow {
        NoticeRow {
            id,
            name,
            detail,
            owed: 0,
            paid: 0,
            waived: 0,
            due_fen: 0,
            paid_fen: 0,
            rate_permille: None,
            unpaid_run: 0,
        }
    }

    /// Six or more consecutive unpaid months: 疑似自行脱党, for the branch to examine.
    pub fn suspected_lapse(&self) -> bool {
        self.unpaid_run >= domain::dues::LAPSE_MONTHS
    }

    pub fn rate_text(&self) -> String {
        crate::permille_text(self.rate_permille)
    }
    pub fn due_text(&self) -> String {
        Fen(self.due_fen).to_string()
    }
    pub fn paid_text(&self) -> String {
        Fen(self.paid_fen).to_string()
    }
}

/// What a whole branch's dues sheet recorded, and what it could not with the reason.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SheetResult {
    pub recorded: Vec<String>,
    pub refused: Vec<(String, String)>,
}

/// The monthly notice (通报) for an org: per member for a branch, per child org above that.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notice {
    pub org: Org,
    pub month: String,
    pub per_member: bool,
    pub rows: Vec<NoticeRow>,
    pub total: NoticeRow,
}

/// One row of the pay-slip classification table as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemTableRow {
    pub item: &'static str,
    /// How names are recognised, in Chinese: 名称为“养老金”, 含“交通”.
    pub names: Vec<String>,
    pub verdict: &'static str,
    pub basis: &'static str,
}

/// The classification table for one kind of pay slip.
#[derive(Debug, Clone, Serialize)]
pub struct ItemTable {
    pub title: &'static str,
    pub rows: Vec<ItemTableRow>,
}

fn item_table(kind: SlipKind) -> ItemTable {
    ItemTable {
        title: kind.label(),
        rows: kind
            .table()
            .iter()
            .map(|r| ItemTableRow {
                item: r.item,
                names: r.names.iter().map(|p| p.describe()).collect(),
                verdict: r
                    .class
                    .map_or("须由录入人注明：计入、不计入或扣除", ItemClass::verdict),
                basis: r.basis,
            })
            .collect(),
    }
}

impl App {
    pub fn dues_settings(&self) -> DuesSettings {
        self.dues.clone()
    }

    /// The tables that classify pay-slip items (DOMAIN.md §1.1), for staff to read what the
    /// program does with each item.
    pub fn dues_item_tables(&self, actor: &Actor) -> Result<Vec<ItemTable>> {
        if !actor.is_staff() {
            return Err(AppError::Forbidden);
        }
        Ok(vec![
            item_table(SlipKind::InService),
            item_table(SlipKind::Retired),
        ])
    }

    /// Sets a member's base from a month on; the amount and its working are kept with it.
    pub async fn set_dues_base(
        &self,
        actor: &Actor,
        member_id: i64,
        input: &SetBaseInput,
    ) -> Result<QuoteResult> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        self.db.member_get(actor.scope(), member_id).await?;
        let effective = month(&input.effective_month, "起始月份")?;
        let result = quote_result(&input.quote, &self.dues_settings().policy)?;
        let new = NewDuesBase {
            effective_month: effective.to_string(),
            category: result.category.clone(),
            base_fen: result.base_fen,
            monthly_fen: result.monthly_fen,
            working: result.working.join("\n"),
            rule_version: domain::dues::RULE_VERSION.to_string(),
        };
        self.db
            .dues_base_set(actor.scope(), member_id, &new, &actor.author())
            .await?;
        Ok(result)
    }

    /// The member's bills for the last [`HISTORY_MONTHS`] months up to `until`, and arrears.
    pub async fn member_dues(
        &self,
        actor: &Actor,
        member_id: i64,
        until: Month,
    ) -> Result<MemberDues> {
        let record = self.db.dues_record(actor.scope(), member_id).await?;
        let admitted = self
            .db
            .member_get(actor.scope(), member_id)
            .await?
            .admitted_on;
        Ok(bills_of(
            record,
            admitted,
            until,
            self.dues_settings().fixing,
        ))
    }

    /// Records a payment covering `from..=to` at the amounts due for those months.
    pub async fn record_dues_payment(
        &self,
        actor: &Actor,
        member_id: i64,
        input: &PaymentInput,
    ) -> Result<usize> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let record = self.db.dues_record(actor.scope(), member_id).await?;
        let from = month(&input.from_month, "起始月份")?;
        let to = if input.to_month.trim().is_empty() {
            from
        } else {
            month(&input.to_month, "截止月份")?
        };
        if to < from {
            return Err(AppError::Invalid("截止月份不能早于起始月份".into()));
        }
        let paid_on = parse_date_cn(&input.paid_on).ok_or_else(|| {
            AppError::Invalid(format!("缴纳日期「{}」无效", input.paid_on.trim()))
        })?;
        if paid_on > today() {
            return Err(AppError::Invalid("缴纳日期不能晚于今天".into()));
        }
        let months: Vec<Month> = from.through(to).collect();
        // 历史补录: an org admin enters what was paid before the system, however late it was
        // paid then; the payment is marked so, and the back-pay limit (§1.3) does not apply.
        let history = input.method.trim() == HISTORY_METHOD;
        if history {
            if !matches!(actor.role, Role::Admin | Role::OrgAdmin) {
                return Err(AppError::Invalid(
                    "历史补录只能由组织管理员录入，请联系上级组织".into(),
                ));
            }
            if months.iter().any(|m| *m > Month::of(today())) {
                return Err(AppError::Invalid("历史补录只能登记已经过去的月份".into()));
            }
        } else {
            check_payment_months(&months, Month::of(paid_on)).map_err(|e| {
                AppError::Invalid(format!(
                    "{e}。更早的缴费记录请由组织管理员以“历史补录”方式录入"
                ))
            })?;
        }
        let admitted = Month::of(
            self.db
                .member_get(actor.scope(), member_id)
                .await?
                .admitted_on,
        );
        if from < admitted {
            return Err(AppError::Invalid(format!(
                "{from} 早于入党（{admitted}），无需交纳党费"
            )));
        }
        let changes = changes_of(&record);
        let fixing = self.dues_settings().fixing;
        let mut lines = Vec::new();
        for m in &months {
            let due = amount_due(&changes, *m, fixing).ok_or_else(|| {
                AppError::Invalid(format!("{m} 尚未设定党费金额，请先设定计算基数"))
            })?;
            lines.push((m.to_string(), due.0));
        }
        let method = if input.method.trim().is_empty() {
            "monthly"
        } else {
            input.method.trim()
        };
        if !PAYMENT_METHODS.iter().any(|(c, _)| *c == method) {
            return Err(AppError::Invalid(format!(
                "缴纳方式「{}」无效",
                echo(method)
            )));
        }
        within(text::PROXY_NAME, &input.proxy_name)?;
        let proxy_name = Some(input.proxy_name.trim().to_string()).filter(|s| !s.is_empty());
        if method == "proxy" && proxy_name.is_none() {
            return Err(AppError::Invalid("委托代缴须填写代缴人".into()));
        }
        let payment = NewPayment {
            months: lines,
            paid_on,
            method: method.to_string(),
            proxy_name,
        };
        self.db
            .dues_pay(actor.scope(), member_id, &payment, &actor.author())
            .await?;
        if !history {
            self.points_after_dues(actor.scope(), member_id, &months, paid_on)
                .await;
        }
        Ok(months.len())
    }

    /// Records one month's dues for the ticked members of a branch's sheet, each at the amount
    /// due that month, paid on `paid_on`. Only members the sheet lists as owing and unpaid can
    /// be ticked. Each member's payment stands on its own: the ones that cannot be recorded are
    /// returned with the reason, and the rest are recorded.
    pub async fn record_dues_sheet(
        &self,
        actor: &Actor,
        branch_id: i64,
        month_text: &str,
        paid_on: &str,
        member_ids: &[i64],
    ) -> Result<SheetResult> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        let notice = self.dues_notice(actor, branch_id, month_text).await?;
        if !notice.per_member {
            return Err(AppError::Invalid("请在党支部的收缴页面逐人登记".into()));
        }
        if member_ids.is_empty() {
            return Err(AppError::Invalid("请勾选已交党费的党员".into()));
        }
        let mut result = SheetResult::default();
        for id in member_ids {
            let Some(row) = notice.rows.iter().find(|r| r.id == *id) else {
                result
                    .refused
                    .push(("所选党员".into(), "不在本支部的名单中".into()));
                continue;
            };
            if row.owed == 0 || row.paid > 0 {
                result.refused.push((
                    row.name.clone(),
                    "本月无需登记（已交、减免或未核定）".into(),
                ));
                continue;
            }
            let input = PaymentInput {
                from_month: notice.month.clone(),
                to_month: String::new(),
                paid_on: paid_on.to_string(),
                method: "monthly".into(),
                proxy_name: String::new(),
            };
            match self.record_dues_payment(actor, *id, &input).await {
                Ok(_) => result.recorded.push(row.name.clone()),
                Err(AppError::Invalid(m) | AppError::Conflict(m)) => {
                    result.refused.push((row.name.clone(), m))
                }
                Err(e) => return Err(e),
            }
        }
        Ok(result)
    }

    /// Records an approved hardship waiver; the approval record is required (DOMAIN.md §1.1).
    pub async fn add_dues_waiver(
        &self,
        actor: &Actor,
        member_id: i64,
        input: &WaiverInput,
    ) -> Result<()> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        self.db.member_get(actor.scope(), member_id).await?;
        let from = month(&input.from_month, "减免起始月份")?;
        let to = month(&input.to_month, "减免截止月份")?;
        if to < from {
            return Err(AppError::Invalid("减免截止月份不能早于起始月份".into()));
        }
        let required = [
            (&input.reason, "减免原因"),
            (&input.approved_by, "批准的上级党委"),
            (&input.approval_ref, "批准文号"),
        ];
        for (value, what) in required {
            if value.trim().is_empty() {
                return Err(AppError::Invalid(format!(
                    "请填写{what}：困难党员减免须经党支部研究并报上级党委批准"
                )));
            }
        }
        within(text::WAIVER_REASON, &input.reason)?;
        within(text::APPROVED_BY, &input.approved_by)?;
        within(text::APPROVAL_REF, &input.approval_ref)?;
        let approved_on: NaiveDate = parse_date_cn(&input.approved_on)
            .ok_or_else(|| AppError::Invalid("批准日期无效".into()))?;
        let waiver = NewWaiver {
            from_month: from.to_string(),
            to_month: to.to_string(),
            reason: input.reason.trim().into(),
            approved_by: input.approved_by.trim().into(),
            approval_ref: input.approval_ref.trim().into(),
            approved_on,
        };
        Ok(self
            .db
            .dues_waive(actor.scope(), member_id, &waiver, &actor.author())
            .await?)
    }

    /// The monthly notice for an org in the actor's scope.
    pub async fn dues_notice(
        &self,
        actor: &Actor,
        org_id: i64,
        month_text: &str,
    ) -> Result<Notice> {
        actor.require_staff()?;
        let org = self.db.org_get(actor.scope(), org_id).await?;
        let m = month(month_text, "月份")?;
        let facts = self
            .db
            .dues_month_facts(actor.scope(), org_id, &m.to_string())
            .await?;
        let fixing = self.dues_settings().fixing;
        let mut changes: HashMap<i64, Vec<AmountChange>> = HashMap::new();
        let mut assessed: std::collections::HashSet<i64> = std::collections::HashSet::new();
        for (member, effective, fen, on_record) in &facts.bases {
            if let Some(effective) = Month::parse(effective) {
                changes.entry(*member).or_default().push(AmountChange {
                    effective,
                    monthly: Fen(*fen),
                });
                if Month::parse(on_record).is_some_and(|r| r <= m) {
                    assessed.insert(*member);
                }
            }
        }
        let paid: HashMap<i64, i64> = facts.payments.iter().copied().collect();
        let waived: std::collections::HashSet<i64> = facts.waivers.iter().map(|w| w.0).collect();
        let per_member = OrgKind::from_code(&org.kind) == Some(OrgKind::Branch);
        let mut groups: Vec<NoticeRow> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        let children: HashMap<i64, String> = if per_member {
            HashMap::new()
        } else {
            self.db
                .org_children(actor.scope(), org_id)
                .await?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect()
        };
        let mut total = NoticeRow::empty(org.id, "合计".into(), String::new());
        for (member, name, _branch, branch_name, child) in &facts.members {
            let due = changes.get(member).and_then(|c| amount_due(c, m, fixing));
            // The same classification as the figures (未核定 months owe nothing), so that a
            // notice's totals are the dashboard's and the yearly publication's.
            let state = match domain::rollups::month_state(
                due,
                assessed.contains(member),
                paid.get(member).map(|p| Fen(*p)),
                waived.contains(member),
            ) {
                domain::rollups::DuesMonth::Paid { .. } => MonthState::Paid,
                domain::rollups::DuesMonth::Waived => MonthState::Waived,
                domain::rollups::DuesMonth::Unpaid { .. } => MonthState::Unpaid,
                domain::rollups::DuesMonth::Unassessed => MonthState::NotDue,
            };
            let key = if per_member { *member } else { *child };
            let slot = *index.entry(key).or_insert_with(|| {
                let (label, detail) = if per_member {
                    (name.clone(), branch_name.clone())
                } else {
                    (
                        children
                            .get(child)
                            .cloned()
                            .unwrap_or_else(|| branch_name.clone()),
                        String::new(),
                    )
                };
                groups.push(NoticeRow::empty(key, label, detail));
                groups.len() - 1
            });
            for row in [&mut groups[slot], &mut total] {
                match state {
                    MonthState::Paid => {
                        row.owed += 1;
                        row.paid += 1;
                        let paid_fen = paid.get(member).copied().unwrap_or(0);
                        // A payment without an amount on record was due what was paid.
                        row.due_fen += due.map_or(paid_fen, |d| d.0);
                        row.paid_fen += paid_fen;
                    }
                    MonthState::Unpaid => {
                        row.owed += 1;
                        row.due_fen += due.map(|d| d.0).unwrap_or(0);
                    }
                    MonthState::Waived => row.waived += 1,
                    MonthState::NotDue => {}
                }
            }
            if per_member {
                groups[slot].detail = format!(
                    "{}|{}",
                    state.label(),
                    due.map(|d| d.to_string())
                        .unwrap_or_else(|| "未设定".into())
                );
            }
        }
        for row in groups.iter_mut().chain(std::iter::once(&mut total)) {
            row.rate_permille = collection_rate_permille(row.paid, row.owed);
        }
        if per_member {
            // A branch examines its members in arrears from its own notice (§1.4), read for all
            // its members at once. A member who moved out since is not in the scope's records:
            // following up their arrears is now the receiving branch's work.
            let ids: Vec<i64> = groups.iter().map(|row| row.id).collect();
            let mut records = self.db.dues_records(actor.scope(), &ids).await?;
            for row in groups.iter_mut() {
                row.unpaid_run = records.remove(&row.id).map_or(0, |(admitted, record)| {
                    bills_of(record, admitted, m, fixing).unpaid_run
                });
            }
        }
        Ok(Notice {
            org,
            month: m.to_string(),
            per_member,
            rows: groups,
            total,
        })
    }

    /// The yearly publication of collection (DOMAIN.md §1.3: collection and use published once a
    /// year): each month's notice totals for the org, and the year's sum.
    pub async fn dues_year(
        &self,
        actor: &Actor,
        org_id: i64,
        year: i32,
    ) -> Result<(Org, Vec<NoticeRow>, NoticeRow)> {
        actor.require_staff()?;
        let org = self.db.org_get(actor.scope(), org_id).await?;
        let last = Month::of(today()).min(Month { year, month: 12 });
        let mut rows = Vec::new();
        let mut sum = NoticeRow::empty(org.id, format!("{year} 年合计"), String::new());
        let kept = self
            .db
            .rollup_meta(org.root_org_id)
            .await?
            .and_then(|meta| Month::parse(&meta.month));
        if last.year == year
            && let Some(kept) = kept
            && year >= kept.year - 1
            && last <= kept
        {
            // The months the figures keep are read from them: the same totals as each month's
            // notice (both classify through domain::rollups::month_state), without recounting
            // the year's payments of every member in scope.
            let months: Vec<String> = Month { year, month: 1 }
                .through(last)
                .map(|m| m.to_string())
                .collect();
            let figures = self
                .figures_read(&self.figure_roots(&org).await?, &[org.id], &months, &[])
                .await?;
            let figures = crate::dashboard::Figures::of(&figures, org.id);
            let get = |month: &str, metric: &str| figures.get(month, metric);
            for month in months.iter() {
                let count = |metric: &str| u64::try_from(get(month, metric)).unwrap_or(0);
                let mut total = NoticeRow::empty(org.id, month.clone(), String::new());
                total.owed = count("dues.owed");
                total.paid = count("dues.paid");
                total.waived = count("dues.waived");
                total.due_fen = get(month, "dues.expected_fen");
                total.paid_fen = get(month, "dues.collected_fen");
                total.rate_permille = collection_rate_permille(total.paid, total.owed);
                sum.owed += total.owed;
                sum.paid += total.paid;
                sum.waived += total.waived;
                sum.due_fen += total.due_fen;
                sum.paid_fen += total.paid_fen;
                rows.push(total);
            }
        } else if last.year == year {
            for m in (Month { year, month: 1 }).through(last) {
                let mut total = self.dues_notice(actor, org_id, &m.to_string()).await?.total;
                total.name = m.to_string();
                sum.owed += total.owed;
                sum.paid += total.paid;
                sum.waived += total.waived;
                sum.due_fen += total.due_fen;
                sum.paid_fen += total.paid_fen;
                rows.push(total);
            }
        }
        sum.rate_permille = collection_rate_permille(sum.paid, sum.owed);
        Ok((org, rows, sum))
    }

    /// Records a use of dues by an org (with who approved it), for the yearly publication.
    pub async fn add_dues_expense(
        &self,
        actor: &Actor,
        org_id: i64,
        input: &ExpenseInput,
    ) -> Result<i64> {
        if !actor.role.may_edit() {
            return Err(AppError::Forbidden);
        }
        self.db.org_get(actor.scope(), org_id).await?;
        let spent_on = parse_date_cn(&input.spent_on).ok_or_else(|| {
            AppError::Invalid(format!("使用日期「{}」无效", echo(&input.spent_on)))
        })?;
        if spent_on > today() {
            return Err(AppError::Invalid("使用日期不能晚于今天".into()));
        }
        let amount = money(&input.amount, "金额")?;
        if amount.0 <= 0 {
            return Err(AppError::Invalid("金额应大于 0".into()));
        }
        if input.purpose.trim().is_empty() || input.approved_by.trim().is_empty() {
            return Err(AppError::Invalid("请填写用途和批准人（或批准会议）".into()));
        }
        within(text::EXPENSE_PURPOSE, &input.purpose)?;
        within(text::APPROVED_BY, &input.approved_by)?;
        let new = NewExpense {
            spent_on,
            amount_fen: amount.0,
            purpose: input.purpose.trim().into(),
            approved_by: input.approved_by.trim().into(),
        };
        Ok(self
            .db
            .dues_expense_add(actor.scope(), org_id, &new, &actor.author())
            .await?)
    }

    /// Uses of dues in a year by the org and the orgs below it.
    pub async fn dues_expenses(
        &self,
        actor: &Actor,
        org_id: i64,
        year: i32,
    ) -> Result<Vec<DuesExpense>> {
        actor.require_staff()?;
        let (from, to) = (
            NaiveDate::from_ymd_opt(year, 1, 1)
                .ok_or_else(|| AppError::Invalid("年度无效".into()))?,
            NaiveDate::from_ymd_opt(year, 12, 31)
                .ok_or_else(|| AppError::Invalid("年度无效".into()))?,
        );
        Ok(self
            .db
            .dues_expenses(actor.scope(), org_id, from, to)
            .await?)
    }

    /// The notice as an xlsx in the layout branches post: 姓名/单位, 应缴, 已缴, 金额, 收缴率.
    pub async fn dues_notice_xlsx(
        &self,
        actor: &Actor,
        org_id: i64,
        month_text: &str,
    ) -> Result<(Vec<u8>, String)> {
        let notice = self.dues_notice(actor, org_id, month_text).await?;
        let title = format!("{} {} 党费收缴情况通报", notice.org.name, notice.month);
        let headers: &[&str] = if notice.per_member {
            &[
                "姓名",
                "状态",
                "应缴金额（元）",
                "实缴金额（元）",
                "连续未缴（月）",
            ]
        } else {
            &[
                "党组织",
                "应缴人数",
                "已缴人数",
                "减免人数",
                "应缴金额（元）",
                "实缴金额（元）",
                "收缴率",
            ]
        };
        let org_line = |row: &NoticeRow| {
            vec![
                row.name.clone(),
                row.owed.to_string(),
                row.paid.to_string(),
                row.waived.to_string(),
                row.due_text(),
                row.paid_text(),
                row.rate_text(),
            ]
        };
        let member_line = |row: &NoticeRow| {
            let (state, due) = row.detail.split_once('|').unwrap_or(("", ""));
            let run = if row.suspected_lapse() {
                format!("{}（疑似自行脱党，请核实）", row.unpaid_run)
            } else {
                row.unpaid_run.to_string()
            };
            vec![
                row.name.clone(),
                state.into(),
                due.into(),
                row.paid_text(),
                run,
            ]
        };
        // The total is added after the rows, never recognised among them by id: member and org
        // ids are different sequences and can coincide.
        let total = &notice.total;
        let rows: Vec<Vec<String>> = if notice.per_member {
            let mut rows: Vec<Vec<String>> = notice.rows.iter().map(member_line).collect();
            rows.push(vec![
                format!(
                    "合计：应缴 {} 人，已缴 {} 人，收缴率 {}",
                    total.owed,
                    total.paid,
                    total.rate_text()
                ),
                String::new(),
                total.due_text(),
                total.paid_text(),
            ]);
            rows
        } else {
            notice
                .rows
                .iter()
                .chain(std::iter::once(total))
                .map(org_line)
                .collect()
        };
        let bytes =
            crate::tabular::report_xlsx("党费收缴通报", &title, headers, &rows, &[(0, 36.0)])?;
        self.db
            .audit_event(
                org_id,
                &actor.author(),
                "export",
                "dues",
                &format!("导出党费通报 {} {}", notice.org.name, notice.month),
            )
            .await?;
        Ok((
            bytes,
            format!("{}党费通报{}.xlsx", notice.org.name, notice.month),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_service(components: &str) -> QuoteInput {
        QuoteInput {
            category: "在职".into(),
            components: components.into(),
            ..Default::default()
        }
    }

    #[test]
    fn components_derive_the_base_and_the_working_shows_both_steps() {
        let input = in_service(
            "基本工资=6000\n岗位津贴=2500:计入\n交通补贴=300\n个人所得税=95\n养老保险=480\n单位缴纳养老保险=960\n工会会费=30",
        );
        let r = quote_result(&input, &DuesPolicy::default()).unwrap();
        assert_eq!(r.base.as_deref(), Some("7925.00"));
        assert_eq!(r.monthly, "118.88");
        assert!(
            r.working.iter().any(|l| l.contains("交通补贴")),
            "{:?}",
            r.working
        );
        let item = |name: &str| r.items.iter().find(|i| i.name == name).unwrap();
        assert_eq!(item("岗位津贴").class, Some("计入"));
        assert!(item("岗位津贴").chosen);
        assert_eq!(item("单位缴纳养老保险").class, Some("不计入"));
        assert_eq!(item("工会会费").class, Some("不计入"));
        assert_eq!(item("个人所得税").class, Some("扣除"));
        // The base's working comes before the amount's.
        let base_line = r
            .working
            .iter()
            .position(|l| l.starts_with("计算基数 ="))
            .unwrap();
        let rate_line = r.working.iter().position(|l| l.contains("适用")).unwrap();
        assert!(base_line < rate_line);
    }

    #[test]
    fn unrecognised_items_give_no_quote_until_classified() {
        let mut input = in_service("基本工资=6000,值班费=200,奖金=500,个人所得税=95");
        let err = quote_result(&input, &DuesPolicy::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "以下工资项目未识别，须逐项注明计入、不计入或扣除后才能计算：「值班费」「奖金」"
        );
        let items = slip_items(&input);
        assert_eq!(items.len(), 4);
        assert_eq!(items[1].class, None);
        assert_eq!(items[2].rule, Some("名称不能说明是否固定发放的项目"));

        // Classified by name (the form) and by suffix (CLI, API); the suffix wins.
        input.classes.insert("值班费".into(), "不计入".into());
        input.classes.insert("奖金".into(), "扣除".into());
        input.components = "基本工资=6000,值班费=200,奖金=500:计入,个人所得税=95".into();
        let r = quote_result(&input, &DuesPolicy::default()).unwrap();
        assert_eq!(r.base.as_deref(), Some("6405.00"));
        assert!(
            r.working
                .contains(&"「值班费」200.00 元，录入人注明不计入基数".to_owned())
        );

        input.classes.insert("值班费".into(), "算".into());
        assert!(
            quote_result(&input, &DuesPolicy::default())
                .unwrap_err()
                .to_string()
                .contains("归类「算」无效")
        );
        input.classes.clear();
        input.components = "基本工资=6000:要".into();
        assert!(quote_result(&input, &DuesPolicy::default()).is_err());
    }

    #[test]
    fn a_retirees_slip_counts_the_basic_pension_only() {
        let input = QuoteInput {
            category: "retired".into(),
            components: "基本养老金=4000,生活补贴=1500,医疗保险=80,职业年金=700".into(),
            ..Default::default()
        };
        let r = quote_result(&input, &DuesPolicy::default()).unwrap();
        assert_eq!(r.base.as_deref(), Some("4000.00"));
        assert_eq!(r.monthly, "20.00");
        assert!(r.working[0].contains("基本离退休费（基本养老金）本身"));
        let deduct = QuoteInput {
            components: "基本养老金=4000,调节金=50:扣除".into(),
            ..input
        };
        assert!(
            quote_result(&deduct, &DuesPolicy::default())
                .unwrap_err()
                .to_string()
                .contains("不扣除任何款项")
        );
    }

    #[test]
    fn pay_slip_syntax() {
        let none = BTreeMap::new();
        let items = pay_items("基本工资:6000,  津贴＝1.5：不计入\n\n个税=1", &none).unwrap();
        assert_eq!(
            items,
            [
                PayItem::new("基本工资", Fen(600_000)),
                PayItem {
                    name: "津贴".into(),
                    amount: Fen(150),
                    chosen: Some(ItemClass::ExcludedPay)
                },
                PayItem::new("个税", Fen(100)),
            ]
        );
        for bad in ["基本工资", "=5", "基本工资=abc", "基本工资=-1"] {
            assert!(pay_items(bad, &none).is_err(), "{bad}");
        }
        let student = QuoteInput {
            category: "student".into(),
            components: "基本工资=1".into(),
            ..Default::default()
        };
        assert!(
            quote_result(&student, &DuesPolicy::default())
                .unwrap_err()
                .to_string()
                .contains("不按工资项目计算")
        );
    }

    #[test]
    fn the_cli_example_and_bad_input() {
        let r = quote_result(
            &QuoteInput {
                category: "in_service".into(),
                base: "7305.00".into(),
                ..Default::default()
            },
            &DuesPolicy::default(),
        )
        .unwrap();
        assert_eq!(r.monthly, "109.58");
        assert!(
            quote_result(
                &QuoteInput {
                    category: "干部".into(),
                    base: "1".into(),
                    ..Default::default()
                },
                &DuesPolicy::default()
            )
            .is_err()
        );
        assert!(
            quote_result(
                &QuoteInput {
                    category: "retired".into(),
                    base: "abc".into(),
                    ..Default::default()
                },
                &DuesPolicy::default()
            )
            .is_err()
        );
        let hardship = QuoteInput {
            category: "hardship".into(),
            ..Default::default()
        };
        assert!(quote_result(&hardship, &DuesPolicy::default()).is_err());
    }
}
