//! The member's own page, and signing in to a meeting on the phone.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::{CsrfOnly, render};
use crate::view::Layout;
use app::App;
use domain::Role;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "me.html")]
pub(crate) struct MePage {
    layout: Layout,
    member_id: i64,
    meetings: Vec<store::SignInMeeting>,
    /// This year's organisational life: the meetings expected or attended, with attendance.
    year: Vec<store::SignInMeeting>,
    attended: usize,
    dues: app::dues::MemberDues,
    points: app::points::MemberPoints,
    appraisal: Option<app::appraisal::MyAppraisal>,
    publications: Vec<store::appraisal::Publication>,
    unread: i64,
    error: String,
}

const GRADES: &[domain::points::Grade] = domain::points::Grade::ALL;

pub async fn me(State(app): State<App>, session: Session, Query(q): Query<MeQuery>) -> PageResult {
    let flash = if !q.signed.is_empty() {
        "签到成功。"
    } else if !q.voted.is_empty() {
        "已提交，谢谢参与民主评议。"
    } else {
        ""
    };
    me_page(&app, &session, flash, String::new()).await
}

/// The member's page again with a refusal shown (a ballot the rules turned down).
pub(crate) async fn me_with_error(app: &App, session: &Session, error: String) -> PageResult {
    me_page(app, session, "", error).await
}

async fn me_page(app: &App, session: &Session, flash: &str, error: String) -> PageResult {
    let actor = &session.actor;
    let Some(member_id) = actor.member_id.filter(|_| actor.role == Role::Member) else {
        return Ok(Redirect::to("/").into_response());
    };
    let year = app.my_meetings(actor).await?;
    let this_month = domain::dues_ledger::Month::of(app::members::today());
    let branch = app.member(actor, member_id).await?.branch_id;
    let status = crate::pages::form_status(&error);
    let page = MePage {
        layout: Layout::new(session, "我的", "me").with_flash(flash),
        member_id,
        meetings: app.meetings_to_sign_in(actor).await?,
        attended: year.iter().filter(|m| m.present == Some(true)).count(),
        year,
        dues: app.member_dues(actor, member_id, this_month).await?,
        points: app
            .member_points(
                actor,
                member_id,
                chrono::Datelike::year(&app::members::today()),
            )
            .await?,
        appraisal: app.my_appraisal(actor).await?,
        publications: app.points_publications(actor, branch).await?,
        unread: app.inbox_unread(actor).await?,
        error,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct MeQuery {
    #[serde(default)]
    signed: String,
    #[serde(default)]
    voted: String,
}

pub async fn sign_in(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    app.sign_in(&session.actor, id).await?;
    Ok(Redirect::to("/me?signed=1").into_response())
}
