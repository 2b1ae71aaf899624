//! Party dues: the forms on a member's page, the monthly 通报 and the yearly publication with expenses.

use std::collections::BTreeMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::members::member_page_with;
use crate::pages::{XLSX, download, form_field, form_status, render, render_status};
use crate::view::Layout;
use app::members::today;
use app::{App, AppError};
use domain::Role;
use store::{Org, OrgNode};

type PageResult = Result<Response, PageError>;

/// What was typed into the dues forms, shown again with the error when a save fails.
#[derive(Default, Deserialize)]
pub struct DuesForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) category: String,
    #[serde(default)]
    pub(crate) base: String,
    #[serde(default)]
    pub(crate) components: String,
    #[serde(default)]
    pub(crate) effective_month: String,
    #[serde(default)]
    pub(crate) from_month: String,
    #[serde(default)]
    pub(crate) to_month: String,
    #[serde(default)]
    pub(crate) paid_on: String,
    #[serde(default)]
    pub(crate) method: String,
    #[serde(default)]
    pub(crate) proxy_name: String,
    #[serde(default)]
    pub(crate) reason: String,
    #[serde(default)]
    pub(crate) approved_by: String,
    #[serde(default)]
    pub(crate) approval_ref: String,
    #[serde(default)]
    pub(crate) approved_on: String,
    /// Set by the base form's 试算 button: show the working, save nothing.
    #[serde(default)]
    pub(crate) preview: String,
    /// The base form's per-item choices, `class:名称` → 计入 / 不计入 / 扣除, and any other field.
    #[serde(flatten)]
    pub(crate) rest: BTreeMap<String, String>,
}

/// The name of the base form's choice for one pay-slip item.
pub(crate) const CLASS_FIELD: &str = "class:";

impl DuesForm {
    /// The base form as a quote request; the per-item choices become classes by name.
    pub(crate) fn quote_input(&self) -> app::dues::QuoteInput {
        app::dues::QuoteInput {
            category: self.category.clone(),
            base: self.base.clone(),
            components: self.components.clone(),
            classes: self
                .rest
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(CLASS_FIELD)?.to_string(), v.clone())))
                .collect(),
            hardship_approved: false,
        }
    }
}

/// Saves one of the three dues forms, or shows the member page again with the reason.
pub(crate) async fn dues_saved(
    app: &App,
    session: &Session,
    id: i64,
    form: DuesForm,
    kind: &str,
    result: app::Result<()>,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/members/{id}?saved={kind}#dues")).into_response()),
        Err(AppError::Invalid(m) | AppError::Conflict(m)) => {
            member_page_with(app, session, id, "", m, form).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn dues_base(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<DuesForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    if !form.preview.is_empty() {
        // The page works the quote out from the form and shows it; nothing is saved.
        return member_page_with(&app, &session, id, "", String::new(), form).await;
    }
    let input = app::dues::SetBaseInput {
        quote: form.quote_input(),
        effective_month: form.effective_month.clone(),
    };
    let result = app
        .set_dues_base(&session.actor, id, &input)
        .await
        .map(|_| ());
    dues_saved(&app, &session, id, form, "base", result).await
}

pub async fn dues_payment(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<DuesForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = app::dues::PaymentInput {
        from_month: form.from_month.clone(),
        to_month: form.to_month.clone(),
        paid_on: form.paid_on.clone(),
        method: form.method.clone(),
        proxy_name: form.proxy_name.clone(),
    };
    let result = app
        .record_dues_payment(&session.actor, id, &input)
        .await
        .map(|_| ());
    dues_saved(&app, &session, id, form, "payment", result).await
}

pub async fn dues_waiver(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<DuesForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = app::dues::WaiverInput {
        from_month: form.from_month.clone(),
        to_month: form.to_month.clone(),
        reason: form.reason.clone(),
        approved_by: form.approved_by.clone(),
        approval_ref: form.approval_ref.clone(),
        approved_on: form.approved_on.clone(),
    };
    let result = app.add_dues_waiver(&session.actor, id, &input).await;
    dues_saved(&app, &session, id, form, "waiver", result).await
}

#[derive(Template)]
#[template(path = "dues.html")]
pub(crate) struct DuesPage {
    layout: Layout,
    notice: app::dues::Notice,
    path: Vec<OrgNode>,
    /// A branch's notice is also its tick sheet for those who record payments.
    sheet: bool,
    today: String,
    error: String,
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    org_id: Option<i64>,
    #[serde(default)]
    month: String,
    /// How many members a sheet just recorded.
    saved: Option<usize>,
}

impl NoticeQuery {
    fn month(&self) -> String {
        if self.month.trim().is_empty() {
            domain::dues_ledger::Month::of(today()).to_string()
        } else {
            self.month.clone()
        }
    }
}

pub async fn dues_notice(
    State(app): State<App>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    if session.actor.role == Role::Member {
        return Ok(Redirect::to("/me").into_response());
    }
    let org_id = q.org_id.unwrap_or(session.actor.org_id);
    let flash = q
        .saved
        .map(|n| format!("已登记 {n} 名党员的党费。"))
        .unwrap_or_default();
    dues_page(&app, &session, org_id, &q.month(), flash, String::new()).await
}

async fn dues_page(
    app: &App,
    session: &Session,
    org_id: i64,
    month: &str,
    flash: String,
    error: String,
) -> PageResult {
    let notice = app.dues_notice(&session.actor, org_id, month).await?;
    let path = app.org_path(&session.actor, org_id).await?;
    let status = form_status(&error);
    render_status(
        status,
        &DuesPage {
            layout: Layout::new(session, "党费收缴通报", "dues").with_flash(flash),
            sheet: notice.per_member && session.actor.role.may_edit(),
            notice,
            path,
            today: today().to_string(),
            error,
        },
    )
}

/// A branch's sheet posted back: `org_id`, `month`, `paid_on` and one `member` per ticked box.
pub async fn dues_sheet(
    State(app): State<App>,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let get = |key: &str| form_field(&pairs, key).trim().to_string();
    session.check_csrf(&get("csrf"))?;
    let org_id: i64 = get("org_id")
        .parse()
        .map_err(|_| AppError::Invalid("请从党支部的收缴页面登记".into()))?;
    let month = get("month");
    let members: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "member")
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect();
    let result = app
        .record_dues_sheet(&session.actor, org_id, &month, &get("paid_on"), &members)
        .await;
    match result {
        Ok(r) if r.refused.is_empty() => Ok(Redirect::to(&format!(
            "/dues?org_id={}&month={}&saved={}",
            org_id,
            month,
            r.recorded.len()
        ))
        .into_response()),
        Ok(r) => {
            let refused: Vec<String> = r
                .refused
                .iter()
                .map(|(name, why)| format!("{name}：{why}"))
                .collect();
            let flash = if r.recorded.is_empty() {
                String::new()
            } else {
                format!("已登记 {} 名党员的党费。", r.recorded.len())
            };
            let error = format!("以下党员未登记：{}", refused.join("；"));
            dues_page(&app, &session, org_id, &month, flash, error).await
        }
        Err(AppError::Invalid(m)) => {
            dues_page(&app, &session, org_id, &month, String::new(), m).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn dues_notice_export(
    State(app): State<App>,
    session: Session,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    let org_id = q.org_id.unwrap_or(session.actor.org_id);
    let (bytes, name) = app
        .dues_notice_xlsx(&session.actor, org_id, &q.month())
        .await?;
    Ok(download(bytes, XLSX, &name, "dues-notice.xlsx"))
}

#[derive(Template)]
#[template(path = "dues_year.html")]
pub(crate) struct DuesYearPage {
    layout: Layout,
    org: Org,
    year: i32,
    rows: Vec<app::dues::NoticeRow>,
    sum: app::dues::NoticeRow,
    expenses: Vec<store::DuesExpense>,
    spent_fen: i64,
    may_edit: bool,
    error: String,
}

#[derive(Deserialize)]
pub struct YearQuery {
    org_id: Option<i64>,
    year: Option<i32>,
}

pub async fn dues_year(
    State(app): State<App>,
    session: Session,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let org_id = q.org_id.unwrap_or(session.actor.org_id);
    let year = q.year.unwrap_or_else(|| chrono::Datelike::year(&today()));
    dues_year_page(&app, &session, org_id, year, String::new()).await
}

pub(crate) async fn dues_year_page(
    app: &App,
    session: &Session,
    org_id: i64,
    year: i32,
    error: String,
) -> PageResult {
    let (org, rows, sum) = app.dues_year(&session.actor, org_id, year).await?;
    let expenses = app.dues_expenses(&session.actor, org_id, year).await?;
    let status = form_status(&error);
    render_status(
        status,
        &DuesYearPage {
            layout: Layout::new(session, "党费年度公示", "dues"),
            spent_fen: expenses.iter().map(|e| e.amount_fen).sum(),
            may_edit: session.actor.role.may_edit(),
            org,
            year,
            rows,
            sum,
            expenses,
            error,
        },
    )
}

#[derive(Deserialize)]
pub struct ExpenseForm {
    #[serde(default)]
    csrf: String,
    org_id: i64,
    #[serde(default)]
    spent_on: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    approved_by: String,
}

pub async fn dues_expense(
    State(app): State<App>,
    session: Session,
    Form(form): Form<ExpenseForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = app::dues::ExpenseInput {
        spent_on: form.spent_on.clone(),
        amount: form.amount.clone(),
        purpose: form.purpose.clone(),
        approved_by: form.approved_by.clone(),
    };
    match app
        .add_dues_expense(&session.actor, form.org_id, &input)
        .await
    {
        Ok(_) => {
            let year = app::members::parse_date_cn(&form.spent_on)
                .map(|d| chrono::Datelike::year(&d))
                .unwrap_or(0);
            Ok(
                Redirect::to(&format!("/dues/year?org_id={}&year={year}", form.org_id))
                    .into_response(),
            )
        }
        Err(AppError::Invalid(m)) => {
            let year = chrono::Datelike::year(&today());
            dues_year_page(&app, &session, form.org_id, year, m).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "dues_items.html")]
pub(crate) struct DuesItemsPage {
    layout: Layout,
    tables: Vec<app::dues::ItemTable>,
    choices: [&'static str; 3],
}

/// The pay-slip classification tables, read-only, for staff.
pub async fn dues_items(State(app): State<App>, session: Session) -> PageResult {
    let tables = app.dues_item_tables(&session.actor)?;
    render(&DuesItemsPage {
        layout: Layout::new(&session, "党费计算基数：工资项目对照表", "dues"),
        tables,
        choices: domain::payslip::CHOICE_WORDS,
    })
}
