//! Users, roles and API tokens.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::{CsrfOnly, form_status, render, render_status};
use crate::view::Layout;
use app::users::UserInput;
use app::{App, AppError};
use domain::{OrgKind, Role};
use store::{OrgNode, User};

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "users.html")]
pub(crate) struct UsersPage {
    layout: Layout,
    /// Each user and whether their name is locked for every client just now.
    users: Vec<(User, bool)>,
    roles: Vec<(&'static str, &'static str, bool)>,
    orgs: Vec<OrgNode>,
    /// District departments a department handler can be bound to.
    departments: Vec<store::CallUnit>,
    error: String,
    v: UserInput,
}

pub(crate) async fn users_page(
    app: &App,
    session: &Session,
    error: String,
    v: UserInput,
    flash: String,
) -> PageResult {
    let actor = &session.actor;
    let users = app
        .users(actor)
        .await?
        .into_iter()
        .map(|u| {
            let locked = app.throttle.locked_everywhere(&u.username);
            (u, locked)
        })
        .collect();
    let mut orgs = Vec::new();
    for kind in OrgKind::ALL.iter().filter(|k| **k != OrgKind::PartyGroup) {
        orgs.extend(
            app.db
                .org_list_kind(actor.scope(), kind.code())
                .await
                .map_err(AppError::from)?,
        );
    }
    let departments = match app.public_root().await {
        Ok(root) if actor.role == Role::Admin => app
            .call_units_of(root)
            .await?
            .into_iter()
            .filter(|u| u.kind == "department")
            .collect(),
        _ => Vec::new(),
    };
    let roles = Role::ALL
        .iter()
        .filter(|r| actor.role == Role::Admin || !matches!(r, Role::Admin | Role::DeptHandler))
        .map(|r| (r.code(), r.label(), Role::from_label(&v.role) == Some(*r)))
        .collect();
    let status = form_status(&error);
    render_status(
        status,
        &UsersPage {
            layout: Layout::new(session, "用户与角色", "users").with_flash(flash),
            users,
            roles,
            orgs,
            departments,
            error,
            v,
        },
    )
}

pub async fn users(State(app): State<App>, session: Session) -> PageResult {
    users_page(
        &app,
        &session,
        String::new(),
        UserInput::default(),
        String::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    username: String,
    display_name: String,
    password: String,
    role: String,
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    member_id: String,
    #[serde(default)]
    call_unit_id: String,
}

pub async fn user_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<UserForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let input = UserInput {
        username: form.username,
        display_name: form.display_name,
        password: form.password,
        role: form.role,
        org_id: form.org_id.trim().parse().unwrap_or(0),
        member_id: form.member_id.trim().parse().ok(),
        call_unit_id: form.call_unit_id.trim().parse().ok(),
    };
    match app.create_user(&session.actor, &input).await {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(AppError::Invalid(m) | AppError::Conflict(m)) => {
            let v = UserInput {
                password: String::new(),
                ..input
            };
            users_page(&app, &session, m, v, String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    password: String,
}

pub async fn user_password(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app.reset_password(&session.actor, id, &form.password).await {
        Ok(()) => Ok(Redirect::to("/users").into_response()),
        Err(AppError::Invalid(m)) => {
            users_page(&app, &session, m, UserInput::default(), String::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Lifts the login locks on a user's name, for every client.
pub async fn user_unlock(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let user = app.unlock_user(&session.actor, id).await?;
    let flash = format!("已解除 {} 的登录锁定，可以重新登录", user.username);
    users_page(&app, &session, String::new(), UserInput::default(), flash).await
}

#[derive(Template)]
#[template(path = "tokens.html")]
pub(crate) struct TokensPage {
    layout: Layout,
    token: String,
    error: String,
}

pub async fn tokens(session: Session) -> PageResult {
    render(&TokensPage {
        layout: Layout::new(&session, "API 令牌", "tokens"),
        token: String::new(),
        error: String::new(),
    })
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    name: String,
}

pub async fn token_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<TokenForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let layout = Layout::new(&session, "API 令牌", "tokens");
    match app.create_api_token(&session.actor, &form.name).await {
        Ok(token) => render(&TokensPage {
            layout,
            token,
            error: String::new(),
        }),
        Err(AppError::Invalid(m)) => render_status(
            StatusCode::BAD_REQUEST,
            &TokensPage {
                layout,
                token: String::new(),
                error: m,
            },
        ),
        Err(e) => Err(e.into()),
    }
}
