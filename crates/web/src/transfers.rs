//! 组织关系转接 pages: the list of transfers either end of which is the reader's, starting one
//! (from a member's page, or by registering a letter from outside), and a transfer with its
//! steps and the form for the next one.

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
use app::transfers::{TransferInput, TransferLine, TransferStepInput, TransferView};
use app::{App, AppError};
use domain::MemberCategory;
use domain::transfer::{Direction, TransferState};

type PageResult = Result<Response, PageError>;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    /// `open` (the default), `all`, or one state.
    #[serde(default)]
    state: String,
    #[serde(default)]
    direction: String,
}

#[derive(Template)]
#[template(path = "transfers.html")]
struct ListPage {
    layout: Layout,
    lines: Vec<TransferLine>,
    states: Vec<(&'static str, &'static str)>,
    directions: Vec<(&'static str, &'static str)>,
    state: String,
    direction: String,
    may_edit: bool,
}

pub async fn transfers(
    State(app): State<App>,
    session: Session,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let lines = app
        .transfers(&session.actor, &q.state, &q.direction, None)
        .await?;
    render(&ListPage {
        layout: Layout::new(&session, "组织关系转接", "transfers"),
        lines,
        states: TransferState::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        directions: Direction::ALL
            .iter()
            .map(|d| (d.code(), d.label()))
            .collect(),
        state: q.state,
        direction: q.direction,
        may_edit: session.actor.role.may_edit(),
    })
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    /// The member who moves, from their page.
    #[serde(default)]
    member: String,
}

#[derive(Template)]
#[template(path = "transfer_new.html")]
struct NewPage {
    layout: Layout,
    /// The member who moves (区内转接, 转出), or none: a letter from outside.
    member: Option<store::Member>,
    destinations: Vec<store::OrgNode>,
    branches: Vec<store::OrgNode>,
    categories: Vec<(&'static str, &'static str)>,
    input: TransferInput,
    error: String,
}

async fn new_page(app: &App, session: &Session, input: TransferInput, error: String) -> PageResult {
    let (member, destinations, branches) = match input.member_id {
        Some(id) => (
            Some(app.member(&session.actor, id).await?),
            app.transfer_destinations(&session.actor, id).await?,
            Vec::new(),
        ),
        None => (
            None,
            Vec::new(),
            app.applicant_branches(&session.actor).await?,
        ),
    };
    let status = form_status(&error);
    let page = NewPage {
        layout: Layout::new(
            session,
            if member.is_some() {
                "办理组织关系转出"
            } else {
                "登记转入介绍信"
            },
            "transfers",
        ),
        member,
        destinations,
        branches,
        categories: MemberCategory::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
        input,
        error,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn transfer_new(
    State(app): State<App>,
    session: Session,
    Query(q): Query<NewQuery>,
) -> PageResult {
    if !session.actor.role.may_edit() {
        return Err(AppError::Forbidden.into());
    }
    let member_id = match q.member.trim() {
        "" => None,
        t => Some(t.parse().map_err(|_| AppError::NotFound)?),
    };
    let input = TransferInput {
        direction: if member_id.is_some() { "within" } else { "in" }.into(),
        member_id,
        ..Default::default()
    };
    new_page(&app, &session, input, String::new()).await
}

#[derive(Deserialize)]
pub struct TransferForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    input: TransferFormFields,
}

/// The form's fields as text, so a stray value is refused in Chinese.
#[derive(Deserialize, Default)]
pub struct TransferFormFields {
    #[serde(default)]
    direction: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    to_org_id: String,
    #[serde(default)]
    to_text: String,
    #[serde(default)]
    from_text: String,
    #[serde(default)]
    reach: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    requested_on: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    admitted_on: String,
    #[serde(default)]
    full_on: String,
    #[serde(default)]
    issued_on: String,
    #[serde(default)]
    valid_until: String,
    #[serde(default)]
    letter_number: String,
}

fn id_field(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

pub async fn transfer_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<TransferForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let f = form.input;
    let input = TransferInput {
        direction: f.direction,
        member_id: id_field(&f.member_id),
        to_org_id: id_field(&f.to_org_id),
        to_text: f.to_text,
        from_text: f.from_text,
        reach: f.reach,
        reason: f.reason,
        requested_on: f.requested_on,
        name: f.name,
        id_number: f.id_number,
        phone: f.phone,
        category: f.category,
        status: f.status,
        admitted_on: f.admitted_on,
        full_on: f.full_on,
        issued_on: f.issued_on,
        valid_until: f.valid_until,
        letter_number: f.letter_number,
    };
    match app.open_transfer(&session.actor, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/transfers/{id}?saved=opened")).into_response()),
        Err(AppError::Invalid(e) | AppError::Conflict(e) | AppError::Refused(e)) => {
            new_page(&app, &session, input, e).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "transfer.html")]
struct TransferPage {
    layout: Layout,
    v: TransferView,
    input: TransferStepInput,
    error: String,
}

async fn transfer_page_with(
    app: &App,
    session: &Session,
    id: i64,
    flash: &str,
    input: TransferStepInput,
    error: String,
    status: StatusCode,
) -> PageResult {
    let v = app.transfer(&session.actor, id).await?;
    let page = TransferPage {
        layout: Layout::new(
            session,
            format!("组织关系转接 · {}", v.line.transfer.name),
            "transfers",
        )
        .with_flash(flash),
        v,
        input,
        error,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

pub async fn transfer_page(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    let flash = match q.saved.as_str() {
        "opened" => "已登记",
        "step" => "已记录",
        _ => "",
    };
    transfer_page_with(
        &app,
        &session,
        id,
        flash,
        TransferStepInput::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    handled_by: String,
    #[serde(default)]
    document: String,
    #[serde(default)]
    letter_number: String,
}

pub async fn transfer_step(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let days = match form.days.trim() {
        "" => None,
        t => match t.parse() {
            Ok(d) => Some(d),
            Err(_) => {
                let e = format!("有效天数「{}」应为整数", domain::text::echo(t));
                return transfer_page_with(
                    &app,
                    &session,
                    id,
                    "",
                    TransferStepInput::default(),
                    e,
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
        },
    };
    let input = TransferStepInput {
        step: form.step,
        on: form.on,
        days,
        handled_by: form.handled_by,
        document: form.document,
        letter_number: form.letter_number,
    };
    match app.record_transfer_step(&session.actor, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/transfers/{id}?saved=step#steps")).into_response()),
        Err(AppError::Invalid(e) | AppError::Conflict(e)) => {
            transfer_page_with(&app, &session, id, "", input, e, StatusCode::BAD_REQUEST).await
        }
        Err(AppError::Refused(e)) => {
            transfer_page_with(
                &app,
                &session,
                id,
                "",
                input,
                e,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
