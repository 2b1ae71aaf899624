//! 失联党员排查 pages: the campaigns and starting one, a campaign's cases with the figures of
//! how many were found and how fast, and one case with its attempts and decisions.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::{form_status, render};
use crate::view::Layout;
use app::lost_contact::{AttemptInput, CampaignInput, CampaignView, CaseView, DecisionInput};
use app::{App, AppError};
use domain::lost_contact::{Attempt, Cause};

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "lost_contact.html")]
struct ListPage {
    layout: Layout,
    campaigns: Vec<store::lost_contact::Campaign>,
    orgs: Vec<store::OrgNode>,
    may_edit: bool,
    title: String,
    error: String,
}

async fn list_page(app: &App, session: &Session, title: String, error: String) -> PageResult {
    let campaigns = app.campaigns(&session.actor).await?;
    let orgs = app.campaign_orgs(&session.actor).await?;
    let status = form_status(&error);
    let page = ListPage {
        layout: Layout::new(session, "失联党员排查", "lost_contact"),
        campaigns,
        orgs,
        may_edit: session.actor.role.may_edit(),
        title,
        error,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn campaigns(State(app): State<App>, session: Session) -> PageResult {
    list_page(&app, &session, String::new(), String::new()).await
}

#[derive(Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    quiet_months: String,
}

pub async fn campaign_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<CampaignForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let Ok(org_id) = form.org_id.trim().parse() else {
        return list_page(&app, &session, form.title, "请选择排查的党组织".into()).await;
    };
    let input = CampaignInput {
        org_id,
        title: form.title.clone(),
        quiet_months: form.quiet_months,
    };
    match app.start_campaign(&session.actor, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/lost-contact/{id}")).into_response()),
        Err(AppError::Invalid(e) | AppError::Conflict(e)) => {
            list_page(&app, &session, form.title, e).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    layout: Layout,
    v: CampaignView,
}

pub async fn campaign_page(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult {
    let v = app.campaign(&session.actor, id).await?;
    render(&CampaignPage {
        layout: Layout::new(&session, v.campaign.title.clone(), "lost_contact"),
        v,
    })
}

#[derive(Template)]
#[template(path = "lost_contact_case.html")]
struct CasePage {
    layout: Layout,
    v: CaseView,
    methods: Vec<(&'static str, &'static str)>,
    causes: Vec<(&'static str, &'static str)>,
    error: String,
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

async fn case_page_with(
    app: &App,
    session: &Session,
    id: i64,
    flash: &str,
    error: String,
    status: StatusCode,
) -> PageResult {
    let v = app.lost_contact_case(&session.actor, id).await?;
    let page = CasePage {
        layout: Layout::new(
            session,
            format!("查找 {}", v.line.case.member_name),
            "lost_contact",
        )
        .with_flash(flash),
        v,
        methods: Attempt::ALL.iter().map(|m| (m.code(), m.label())).collect(),
        causes: Cause::ALL.iter().map(|c| (c.code(), c.label())).collect(),
        error,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn case_page(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let flash = if q.saved.is_empty() { "" } else { "已记录" };
    case_page_with(&app, &session, id, flash, String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AttemptForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    reached: String,
    #[serde(default)]
    note: String,
}

pub async fn attempt_create(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<AttemptForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = AttemptInput {
        on: form.on,
        method: form.method,
        reached: form.reached == "1",
        note: form.note,
    };
    match app.record_attempt(&session.actor, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/lost-contact/cases/{id}?saved=1")).into_response()),
        Err(AppError::Invalid(e) | AppError::Conflict(e)) => {
            case_page_with(&app, &session, id, "", e, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    cause: String,
    #[serde(default)]
    approved: String,
}

pub async fn decision_create(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = DecisionInput {
        decision: form.decision,
        on: form.on,
        cause: form.cause,
        approved: form.approved == "1",
    };
    match app.decide_case(&session.actor, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/lost-contact/cases/{id}?saved=1")).into_response()),
        Err(AppError::Invalid(e) | AppError::Conflict(e)) => {
            case_page_with(&app, &session, id, "", e, StatusCode::BAD_REQUEST).await
        }
        Err(AppError::Refused(e)) => {
            case_page_with(&app, &session, id, "", e, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
