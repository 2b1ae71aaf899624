//! 党员积分 pages: a branch's table for a month, quarter or year with proposed grades and its
//! Excel export, the monthly register, and a member's ledger with awards, deductions and
//! corrections. Members reach their own ledger from `/me`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use serde::Deserialize;

use crate::auth::Session;
use crate::error::{PageError, correctable};
use crate::pages::{XLSX, download, form_status, optional_number, render};
use crate::view::Layout;
use app::points::{BranchPoints, ManualEntryInput, MemberPoints};
use app::{App, AppError};
use domain::Role;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "points.html")]
struct PointsPage {
    layout: Layout,
    v: BranchPoints,
    branches: Vec<store::OrgNode>,
    /// Months of the year that have ended and may be confirmed, latest first.
    months: Vec<String>,
    /// Quarters begun this year, latest first, for the 公示 form.
    quarters: Vec<String>,
    publications: Vec<store::appraisal::Publication>,
    /// For an office above the branches: the grades decided below it this year.
    distribution: Option<app::appraisal::GradeDistribution>,
    today: String,
    may_edit: bool,
    error: String,
}

#[derive(Template)]
#[template(path = "points_member.html")]
struct MemberPointsPage {
    layout: Layout,
    v: MemberPoints,
    may_edit: bool,
    error: String,
    today: String,
}

#[derive(Deserialize, Default)]
pub struct PointsQuery {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    done: String,
}

/// The branch a page is about: the one asked for, else the officer's own, else the first in
/// the scope.
pub(crate) async fn chosen_branch(
    app: &App,
    session: &Session,
    asked: Option<i64>,
) -> Result<(i64, Vec<store::OrgNode>), AppError> {
    let branches = app.branches(&session.actor).await?;
    let id = asked
        .or_else(|| {
            branches
                .iter()
                .find(|b| b.id == session.actor.org_id)
                .map(|b| b.id)
        })
        .or_else(|| branches.first().map(|b| b.id))
        .ok_or_else(|| AppError::Invalid("管理范围内还没有党支部".into()))?;
    Ok((id, branches))
}

fn ended_months(today: chrono::NaiveDate) -> Vec<String> {
    (1..today.month())
        .rev()
        .map(|m| format!("{}-{m:02}", today.year()))
        .collect()
}

async fn table_page(
    app: &App,
    session: &Session,
    q: &PointsQuery,
    flash: &str,
    error: String,
) -> PageResult {
    let (branch, branches) =
        chosen_branch(app, session, optional_number(&q.org_id, "党支部")?).await?;
    let today = app::members::today();
    let period = match q.period.trim() {
        "" => today.year().to_string(),
        p => p.to_string(),
    };
    let v = app.branch_points(&session.actor, branch, &period).await?;
    let status = form_status(&error);
    let page = PointsPage {
        layout: Layout::new(session, "党员积分", "points").with_flash(flash),
        months: ended_months(today),
        quarters: (1..=today.month().div_ceil(3))
            .rev()
            .map(|q| format!("{}-Q{q}", today.year()))
            .collect(),
        publications: app.points_publications(&session.actor, branch).await?,
        distribution: if branches.iter().any(|b| b.id == session.actor.org_id) {
            None
        } else {
            Some(
                app.grade_distribution(&session.actor, session.actor.org_id, v.year)
                    .await?,
            )
        },
        today: today.to_string(),
        may_edit: session.actor.role.may_edit(),
        v,
        branches,
        error,
    };
    Ok((status, render(&page)?).into_response())
}

/// The branch's table again with a refusal shown (a 公示 the rules turned down).
pub(crate) async fn table_page_with_error(
    app: &App,
    session: &Session,
    branch: i64,
    error: String,
) -> PageResult {
    let q = PointsQuery {
        org_id: branch.to_string(),
        ..Default::default()
    };
    table_page(app, session, &q, "", error).await
}

pub async fn points(
    State(app): State<App>,
    session: Session,
    Query(q): Query<PointsQuery>,
) -> PageResult {
    if session.actor.role == Role::Member {
        return match session.actor.member_id {
            Some(me) => Ok(Redirect::to(&format!("/points/members/{me}")).into_response()),
            None => Err(AppError::Forbidden.into()),
        };
    }
    let flash = if q.done.is_empty() {
        ""
    } else {
        "已确认本月积分登记"
    };
    table_page(&app, &session, &q, flash, String::new()).await
}

pub async fn export(
    State(app): State<App>,
    session: Session,
    Query(q): Query<PointsQuery>,
) -> PageResult {
    let (branch, _) = chosen_branch(&app, &session, optional_number(&q.org_id, "党支部")?).await?;
    let period = match q.period.trim() {
        "" => app::members::today().year().to_string(),
        p => p.to_string(),
    };
    let (bytes, name) = app
        .branch_points_xlsx(&session.actor, branch, &period)
        .await?;
    Ok(download(bytes, XLSX, &name, "points.xlsx"))
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    month: String,
}

pub async fn confirm_month(
    State(app): State<App>,
    session: Session,
    Form(form): Form<RegisterForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let branch: i64 = optional_number(&form.org_id, "党支部")?.ok_or(AppError::NotFound)?;
    match app
        .confirm_points_month(&session.actor, branch, &form.month)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/points?org_id={branch}&period={}&done=1",
            &form.month.get(..4).unwrap_or_default()
        ))
        .into_response()),
        Err(AppError::Invalid(e) | AppError::Refused(e)) => {
            let q = PointsQuery {
                org_id: branch.to_string(),
                ..Default::default()
            };
            table_page(&app, &session, &q, "", e).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct MemberQuery {
    #[serde(default)]
    year: String,
    #[serde(default)]
    saved: String,
}

async fn member_page_with(
    app: &App,
    session: &Session,
    member_id: i64,
    year: Option<i32>,
    flash: &str,
    error: String,
) -> PageResult {
    let today = app::members::today();
    let v = app
        .member_points(&session.actor, member_id, year.unwrap_or(today.year()))
        .await?;
    let status = form_status(&error);
    let page = MemberPointsPage {
        layout: Layout::new(
            session,
            "党员积分",
            if session.actor.role == Role::Member {
                "me"
            } else {
                "points"
            },
        )
        .with_flash(flash),
        may_edit: session.actor.role.may_edit() && session.actor.member_id != Some(member_id),
        v,
        error,
        today: today.to_string(),
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn member(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<MemberQuery>,
) -> PageResult {
    let year = optional_number(&q.year, "年份")?;
    let flash = if q.saved.is_empty() { "" } else { "已登记" };
    member_page_with(&app, &session, id, year, flash, String::new()).await
}

#[derive(Deserialize)]
pub struct EntryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    item_code: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    approver: String,
    #[serde(default)]
    on_date: String,
}

pub async fn add_entry(
    State(app): State<App>,
    session: Session,
    Form(form): Form<EntryForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let member_id: i64 = optional_number(&form.member_id, "党员")?.ok_or(AppError::NotFound)?;
    let input = ManualEntryInput {
        member_id,
        item_code: form.item_code,
        points: form.points,
        reason: form.reason,
        approver: form.approver,
        on_date: form.on_date,
    };
    match app.add_points_entry(&session.actor, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/points/members/{member_id}?saved=1")).into_response()),
        Err(e) => {
            let e = correctable(e)?;
            member_page_with(&app, &session, member_id, None, "", e).await
        }
    }
}

#[derive(Deserialize)]
pub struct ReverseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    reason: String,
}

pub async fn reverse_entry(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<ReverseForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let member_id: i64 = optional_number(&form.member_id, "党员")?.ok_or(AppError::NotFound)?;
    match app
        .reverse_points_entry(&session.actor, id, &form.reason)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/points/members/{member_id}?saved=1")).into_response()),
        Err(e) => {
            let e = correctable(e)?;
            member_page_with(&app, &session, member_id, None, "", e).await
        }
    }
}

#[derive(Template)]
#[template(path = "points_scheme.html")]
struct SchemePage {
    layout: Layout,
    v: app::points::SchemeEditor,
    categories: &'static [domain::MemberCategory],
    kinds: &'static [domain::points::ItemKind],
    /// Blank rows for new items under the scheme's own.
    blank_rows: std::ops::Range<usize>,
    error: String,
}

#[derive(Deserialize, Default)]
pub struct SchemeQuery {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    preset: String,
    #[serde(default)]
    saved: String,
}

fn category_of(code: &str) -> Result<Option<domain::MemberCategory>, AppError> {
    match code.trim() {
        "" => Ok(None),
        c => domain::MemberCategory::from_code(c)
            .map(Some)
            .ok_or_else(|| AppError::Invalid("党员类别无效".into())),
    }
}

async fn scheme_page(
    app: &App,
    session: &Session,
    q: &SchemeQuery,
    flash: &str,
    error: String,
) -> PageResult {
    let org = optional_number(&q.org_id, "党组织")?.unwrap_or(session.actor.org_id);
    let year = app::members::today().year();
    let preset = Some(q.preset.trim()).filter(|p| !p.is_empty());
    let v = app
        .scheme_editor(&session.actor, org, category_of(&q.category)?, year, preset)
        .await?;
    let status = form_status(&error);
    let blank_from = v.scheme.items.len();
    let page = SchemePage {
        layout: Layout::new(session, "积分方案", "points").with_flash(flash),
        v,
        categories: domain::MemberCategory::ALL,
        kinds: domain::points::ItemKind::ALL,
        blank_rows: blank_from..blank_from + 2,
        error,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn scheme(
    State(app): State<App>,
    session: Session,
    Query(q): Query<SchemeQuery>,
) -> PageResult {
    let flash = if q.saved.is_empty() {
        ""
    } else {
        "积分方案已保存"
    };
    scheme_page(&app, &session, &q, flash, String::new()).await
}

pub async fn scheme_save(
    State(app): State<App>,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map_or(String::new(), |(_, v)| v.clone())
    };
    session.check_csrf(&field("csrf"))?;
    let org: i64 = optional_number(&field("org_id"), "党组织")?.ok_or(AppError::NotFound)?;
    let category = category_of(&field("category"))?;
    let rows = pairs
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("item_name_")?.parse::<usize>().ok())
        .max()
        .map_or(0, |n| n + 1);
    let input = app::points::SchemeInput {
        name: field("name"),
        base: field("base"),
        floor: field("floor"),
        ceiling: field("ceiling"),
        appraisal_weight: field("appraisal_weight"),
        cutoffs: [
            field("cut_excellent"),
            field("cut_qualified"),
            field("cut_basic"),
        ],
        vetoes: field("vetoes"),
        excluded: domain::MemberCategory::ALL
            .iter()
            .filter(|c| field(&format!("excluded_{}", c.code())) == "on")
            .map(|c| {
                (
                    c.code().to_string(),
                    field(&format!("excluded_age_{}", c.code())),
                )
            })
            .collect(),
        items: (0..rows)
            .map(|i| {
                (
                    field(&format!("item_code_{i}")),
                    field(&format!("item_name_{i}")),
                    field(&format!("item_kind_{i}")),
                    field(&format!("item_points_{i}")),
                    field(&format!("item_cap_{i}")),
                )
            })
            .collect(),
    };
    let from_year: i32 = optional_number(&field("from_year"), "施行年份")?
        .ok_or_else(|| AppError::Invalid("请填写施行年份".into()))?;
    let preset = field("preset");
    let back = SchemeQuery {
        org_id: org.to_string(),
        category: field("category"),
        ..Default::default()
    };
    let saved = match input.to_scheme() {
        Ok(scheme) => {
            app.save_points_scheme(
                &session.actor,
                org,
                category,
                from_year,
                Some(preset.as_str()).filter(|p| !p.is_empty()),
                &scheme,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to(&format!(
            "/points/schemes?org_id={org}&category={}&saved=1",
            back.category
        ))
        .into_response()),
        Err(AppError::Invalid(e) | AppError::Refused(e)) => {
            scheme_page(&app, &session, &back, "", e).await
        }
        Err(e) => Err(e.into()),
    }
}
