//! The inbox that reminders and greetings arrive in.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::{CsrfOnly, render};
use crate::view::Layout;
use app::App;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "inbox.html")]
pub(crate) struct InboxPage {
    layout: Layout,
    messages: Vec<store::Message>,
}

pub async fn inbox(State(app): State<App>, session: Session) -> PageResult {
    render(&InboxPage {
        layout: Layout::new(&session, "消息", "inbox"),
        messages: app.inbox(&session.actor).await?,
    })
}

pub async fn inbox_read(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    app.inbox_mark_read(&session.actor, id).await?;
    Ok(Redirect::to("/inbox").into_response())
}
