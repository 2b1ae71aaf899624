//! Users, roles and API tokens.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::{CsrfOnly, form_status, render_status};
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
    /// Each user, their org's name and whether their name is locked for every client just now.
    users: Vec<(User, String, bool)>,
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
    let users = app.users(actor).await?;
    let mut org_ids: Vec<i64> = users.iter().map(|u| u.org_id).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let org_names: std::collections::HashMap<i64, String> = app
        .db
        .names_of(store::audit::Named::Org, &org_ids)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .collect();
    let users = users
        .into_iter()
        .map(|u| {
            let locked = app.throttle.locked_everywhere(&u.username);
            let org = org_names.get(&u.org_id).cloned().unwrap_or_default();
            (u, org, locked)
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
    let departments = match app.root_of(actor).await {
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

#[derive(Deserialize)]
pub struct UsersSaved {
    #[serde(default)]
    saved: String,
}

pub async fn users(
    State(app): State<App>,
    session: Session,
    Query(q): Query<UsersSaved>,
) -> PageResult {
    let flash = match q.saved.as_str() {
        "user" => "已新建用户，请把用户名和初始密码当面告诉本人。",
        "password" => "密码已重置，该用户在其他设备上的登录已退出。",
        _ => "",
    };
    users_page(
        &app,
        &session,
        String::new(),
        UserInput::default(),
        flash.to_string(),
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
        Ok(_) => Ok(Redirect::to("/users?saved=user").into_response()),
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
    match app
        .reset_password(&session.actor, id, &form.password, Some(&session.token))
        .await
    {
        Ok(()) => Ok(Redirect::to("/users?saved=password").into_response()),
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
    /// The user whose tokens these are.
    owner: User,
    /// Whether the viewer is the owner (who may issue tokens), not an admin looking on.
    own: bool,
    tokens: Vec<store::ApiToken>,
    /// A token just issued, shown this once.
    token: String,
    error: String,
    /// (days, selected) for the expiry choice.
    days: Vec<(i64, bool)>,
    now: chrono::DateTime<chrono::Utc>,
}

impl TokensPage {
    /// Where a token's 撤销 button posts.
    fn revoke_url(&self, token: &store::ApiToken) -> String {
        if self.own {
            format!("/tokens/{}/revoke", token.id)
        } else {
            format!("/users/{}/tokens/{}/revoke", self.owner.id, token.id)
        }
    }
}

async fn tokens_page(
    app: &App,
    session: &Session,
    user_id: i64,
    token: String,
    error: String,
) -> PageResult {
    let (owner, tokens) = app.api_tokens(&session.actor, user_id).await?;
    let own = owner.id == session.actor.user_id;
    let title = if own {
        "API 令牌".to_string()
    } else {
        format!("{} 的 API 令牌", owner.username)
    };
    let page = TokensPage {
        layout: Layout::new(session, title, if own { "tokens" } else { "users" }),
        owner,
        own,
        tokens,
        token,
        days: app::auth::TOKEN_DAYS
            .iter()
            .map(|d| (*d, *d == app::auth::DEFAULT_TOKEN_DAYS))
            .collect(),
        now: chrono::Utc::now(),
        error,
    };
    render_status(form_status(&page.error), &page)
}

/// The actor's own tokens.
pub async fn tokens(State(app): State<App>, session: Session) -> PageResult {
    let me = session.actor.user_id;
    tokens_page(&app, &session, me, String::new(), String::new()).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    name: String,
    #[serde(default)]
    days: String,
}

pub async fn token_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<TokenForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let me = session.actor.user_id;
    let days = form.days.trim().parse().unwrap_or(0);
    match app.create_api_token(&session.actor, &form.name, days).await {
        Ok(token) => tokens_page(&app, &session, me, token, String::new()).await,
        Err(AppError::Invalid(m)) => tokens_page(&app, &session, me, String::new(), m).await,
        Err(e) => Err(e.into()),
    }
}

/// Revokes one of the actor's own tokens.
pub async fn token_revoke(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    app.revoke_api_token(&session.actor, session.actor.user_id, id)
        .await?;
    Ok(Redirect::to("/tokens").into_response())
}

/// An admin's view of a user's tokens.
pub async fn user_tokens(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult {
    tokens_page(&app, &session, id, String::new(), String::new()).await
}

/// An admin revokes a user's token.
pub async fn user_token_revoke(
    State(app): State<App>,
    session: Session,
    Path((user_id, token_id)): Path<(i64, i64)>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    app.revoke_api_token(&session.actor, user_id, token_id)
        .await?;
    Ok(Redirect::to(&format!("/users/{user_id}/tokens")).into_response())
}
