//! 民主评议党员 pages: a branch's yearly campaign for its officers (open, the 支委会's grades,
//! the masses' count, close, the results and the 支部党员大会's decision), the member's own
//! ballots on `/me`, and the quarterly 公示 of points.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use serde::Deserialize;

use crate::auth::Session;
use crate::error::{PageError, correctable};
use crate::pages::{form_status, optional_number, render};
use crate::view::Layout;
use app::appraisal::{AppraisalView, PublicationView};
use app::{App, AppError};
use domain::points::Grade;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "appraisal.html")]
struct AppraisalPage {
    layout: Layout,
    v: AppraisalView,
    branches: Vec<store::OrgNode>,
    may_edit: bool,
    error: String,
    today: String,
}

#[derive(Template)]
#[template(path = "points_publication.html")]
struct PublicationPage {
    layout: Layout,
    v: PublicationView,
}

const GRADES: &[Grade] = Grade::ALL;

#[derive(Deserialize, Default)]
pub struct AppraisalQuery {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    done: String,
}

async fn page_with(
    app: &App,
    session: &Session,
    branch: Option<i64>,
    year: Option<i32>,
    flash: &str,
    error: String,
) -> PageResult {
    let (branch, branches) = crate::points::chosen_branch(app, session, branch).await?;
    let today = app::members::today();
    let v = app
        .appraisal(&session.actor, branch, year.unwrap_or(today.year()))
        .await?;
    let status = form_status(&error);
    let page = AppraisalPage {
        layout: Layout::new(session, "民主评议党员", "points").with_flash(flash),
        may_edit: session.actor.role.may_edit(),
        v,
        branches,
        error,
        today: today.to_string(),
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn appraisal(
    State(app): State<App>,
    session: Session,
    Query(q): Query<AppraisalQuery>,
) -> PageResult {
    let flash = if q.done.is_empty() { "" } else { "已保存" };
    page_with(
        &app,
        &session,
        optional_number(&q.org_id, "党支部")?,
        optional_number(&q.year, "年份")?,
        flash,
        String::new(),
    )
    .await
}

/// A form's outcome: back to the branch's page, or the page again with the refusal shown.
async fn after(
    app: &App,
    session: &Session,
    branch: i64,
    year: i32,
    result: Result<(), AppError>,
) -> PageResult {
    match result {
        Ok(()) => Ok(Redirect::to(&format!(
            "/points/appraisal?org_id={branch}&year={year}&done=1"
        ))
        .into_response()),
        Err(e) => {
            let e = correctable(e)?;
            page_with(app, session, Some(branch), Some(year), "", e).await
        }
    }
}

#[derive(Deserialize)]
pub struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    weight_self: String,
    #[serde(default)]
    weight_peers: String,
    #[serde(default)]
    weight_organisation: String,
    #[serde(default)]
    weight_masses: String,
}

/// A weight as typed: a whole percent, the default when left empty.
fn weight(text: &str, default: u8, what: &str) -> Result<u8, AppError> {
    match text.trim() {
        "" => Ok(default),
        t => t
            .parse()
            .ok()
            .filter(|w| *w <= 100)
            .ok_or_else(|| AppError::Invalid(format!("{what}的权重应为 0 至 100 的整数"))),
    }
}

pub async fn open(
    State(app): State<App>,
    session: Session,
    axum::Form(form): axum::Form<OpenForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let branch: i64 = optional_number(&form.org_id, "党支部")?.ok_or(AppError::NotFound)?;
    let year: i32 = optional_number(&form.year, "年份")?.unwrap_or(app::members::today().year());
    let default = domain::appraisal::Weights::default();
    let weights = (|| -> Result<domain::appraisal::Weights, AppError> {
        Ok(domain::appraisal::Weights {
            self_: weight(&form.weight_self, default.self_, "个人自评")?,
            peers: weight(&form.weight_peers, default.peers, "党员互评")?,
            organisation: weight(&form.weight_organisation, default.organisation, "组织评价")?,
            masses: weight(&form.weight_masses, default.masses, "群众评议")?,
        })
    })();
    let result = match weights {
        Ok(w) => app
            .open_appraisal_weighted(&session.actor, branch, year, w)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    after(&app, &session, branch, year, result).await
}

/// A campaign's branch and year, for the redirect after acting on it.
async fn campaign_place(app: &App, session: &Session, id: i64) -> Result<(i64, i32), AppError> {
    let c = app.db.appraisal_get(session.actor.scope(), id).await?;
    Ok((c.branch_id, i32::try_from(c.year).unwrap_or(0)))
}

pub async fn close(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<crate::pages::CsrfOnly>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let (branch, year) = campaign_place(&app, &session, id).await?;
    let result = app.close_appraisal(&session.actor, id).await;
    after(&app, &session, branch, year, result).await
}

/// A form of grades, one `grade_ID=code` field per member.
fn grades_of(pairs: &[(String, String)]) -> Vec<(i64, String)> {
    pairs
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("grade_")?.parse().ok()?, v.clone())))
        .collect()
}

fn csrf_of(pairs: &[(String, String)]) -> &str {
    pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str())
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

pub async fn organisation(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult {
    session.check_csrf(csrf_of(&pairs))?;
    let (branch, year) = campaign_place(&app, &session, id).await?;
    let result = app
        .record_organisation_ballot(&session.actor, id, &grades_of(&pairs))
        .await;
    after(&app, &session, branch, year, result).await
}

#[derive(Deserialize)]
pub struct MassesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    excellent: String,
    #[serde(default)]
    qualified: String,
    #[serde(default)]
    basic: String,
    #[serde(default)]
    unqualified: String,
}

pub async fn masses(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<MassesForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let (branch, year) = campaign_place(&app, &session, id).await?;
    let member: i64 = optional_number(&form.member_id, "党员")?.ok_or(AppError::NotFound)?;
    let counts = [
        form.excellent.as_str(),
        form.qualified.as_str(),
        form.basic.as_str(),
        form.unqualified.as_str(),
    ];
    let result = app.record_masses(&session.actor, id, member, counts).await;
    after(&app, &session, branch, year, result).await
}

pub async fn decide(
    State(app): State<App>,
    session: Session,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult {
    session.check_csrf(csrf_of(&pairs))?;
    let branch: i64 =
        optional_number(field(&pairs, "org_id"), "党支部")?.ok_or(AppError::NotFound)?;
    let year: i32 = optional_number(field(&pairs, "year"), "年份")?
        .ok_or_else(|| AppError::Invalid("请选择年份".into()))?;
    let result = app
        .decide_year(
            &session.actor,
            branch,
            year,
            &grades_of(&pairs),
            field(&pairs, "decided_on"),
            field(&pairs, "meeting"),
        )
        .await;
    after(&app, &session, branch, year, result).await
}

/// The member's own ballots, from `/me`: their self-review, then their grades for the others.
pub async fn self_review(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult {
    session.check_csrf(csrf_of(&pairs))?;
    match app
        .cast_self_review(
            &session.actor,
            id,
            field(&pairs, "grade"),
            field(&pairs, "comment"),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to("/me?voted=1#appraisal").into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_) | AppError::Conflict(_))) => {
            crate::me::me_with_error(&app, &session, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn peers(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> PageResult {
    session.check_csrf(csrf_of(&pairs))?;
    match app
        .cast_peer_ballot(&session.actor, id, &grades_of(&pairs))
        .await
    {
        Ok(()) => Ok(Redirect::to("/me?voted=1#appraisal").into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Refused(_) | AppError::Conflict(_))) => {
            crate::me::me_with_error(&app, &session, e.to_string()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PublishForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    quarter: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
}

pub async fn publish(
    State(app): State<App>,
    session: Session,
    axum::Form(form): axum::Form<PublishForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let branch: i64 = optional_number(&form.org_id, "党支部")?.ok_or(AppError::NotFound)?;
    match app
        .publish_points(
            &session.actor,
            branch,
            &form.quarter,
            &form.from,
            &form.until,
        )
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/points/publications/{id}")).into_response()),
        Err(e) => {
            let e = correctable(e)?;
            crate::points::table_page_with_error(&app, &session, branch, e).await
        }
    }
}

pub async fn publication(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult {
    let v = app.points_publication(&session.actor, id).await?;
    render(&PublicationPage {
        layout: Layout::new(
            &session,
            "积分公示",
            if session.actor.role == domain::Role::Member {
                "me"
            } else {
                "points"
            },
        ),
        v,
    })
}
