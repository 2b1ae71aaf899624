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
    unread: i64,
}

pub async fn me(State(app): State<App>, session: Session, Query(q): Query<MeQuery>) -> PageResult {
    let actor = &session.actor;
    let Some(member_id) = actor.member_id.filter(|_| actor.role == Role::Member) else {
        return Ok(Redirect::to("/").into_response());
    };
    let flash = if q.signed.is_empty() {
        ""
    } else {
        "签到成功。"
    };
    let year = app.my_meetings(actor).await?;
    let this_month = domain::dues_ledger::Month::of(app::members::today());
    render(&MePage {
        layout: Layout::new(&session, "我的", "me").with_flash(flash),
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
        unread: app.inbox_unread(actor).await?,
    })
}

#[derive(Deserialize)]
pub struct MeQuery {
    #[serde(default)]
    signed: String,
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
