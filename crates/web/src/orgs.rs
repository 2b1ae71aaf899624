//! The party organisation tree: an org's page, creating and editing orgs, and the 大党委's 兼职委员.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::{form_status, render_status};
use crate::view::{self, Layout};
use app::orgs::{OrgInput, allowed_under};
use app::{App, AppError};
use domain::{BranchKind, OrgKind, Role};
use store::{ConcurrentMember, Org, OrgNode, Territory};

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "org.html")]
pub(crate) struct OrgPage {
    layout: Layout,
    org: Org,
    path: Vec<OrgNode>,
    children: Vec<OrgNode>,
    concurrent: Vec<ConcurrentMember>,
    counts: store::Counts,
    territory: Option<Territory>,
    child_kinds: Vec<(&'static str, &'static str, bool)>,
    branch_kinds: Vec<(&'static str, &'static str, bool)>,
    is_committee: bool,
    /// The actor's own org: its territory is set from above, so the form does not offer it.
    territory_locked: bool,
    error: String,
}

pub async fn orgs_root(session: Session) -> PageResult {
    session.actor.require_staff()?;
    Ok(Redirect::to(&format!("/orgs/{}", session.actor.org_id)).into_response())
}

pub(crate) async fn org_page_with(
    app: &App,
    session: &Session,
    id: i64,
    error: String,
) -> PageResult {
    org_page_flash(app, session, id, error, Saved::Nothing).await
}

async fn org_page_flash(
    app: &App,
    session: &Session,
    id: i64,
    error: String,
    saved: Saved,
) -> PageResult {
    let actor = &session.actor;
    let org = app.org(actor, id).await?;
    let path = app.org_path(actor, id).await?;
    let children = app.org_children(actor, id).await?;
    let concurrent = app.concurrent_members(actor, id).await?;
    let counts = app
        .db
        .counts(store::Scope::Subtree(org.id))
        .await
        .map_err(AppError::from)?;
    let territory = match org.territory_id {
        Some(t) => app.territory(actor, t).await.ok(),
        None => None,
    };
    let kind = OrgKind::from_code(&org.kind);
    let child_kinds = OrgKind::ALL
        .iter()
        .filter(|k| allowed_under(kind, **k))
        .map(|k| (k.code(), k.label(), *k == OrgKind::Branch))
        .collect();
    let branch_kinds = view::options(BranchKind::ALL, BranchKind::code, BranchKind::label, None);
    let is_committee = matches!(
        kind,
        Some(
            OrgKind::CommunityCommittee
                | OrgKind::VillageCommittee
                | OrgKind::StreetCommittee
                | OrgKind::TownCommittee
        )
    );
    let territory_locked = org.id == actor.org_id && actor.role != Role::Admin;
    let status = form_status(&error);
    render_status(
        status,
        &OrgPage {
            layout: Layout::new(session, org.name.clone(), "orgs").with_flash(match saved {
                Saved::Nothing => String::new(),
                Saved::Org => format!("已保存：{}", org.name),
                Saved::Concurrent => "已添加兼职委员。".to_string(),
            }),
            org,
            path,
            children,
            concurrent,
            counts,
            territory,
            child_kinds,
            branch_kinds,
            is_committee,
            territory_locked,
            error,
        },
    )
}

#[derive(Deserialize)]
pub struct OrgSaved {
    #[serde(default)]
    saved: String,
}

pub async fn org_page(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Query(q): Query<OrgSaved>,
) -> PageResult {
    let flash = match q.saved.as_str() {
        "org" => Saved::Org,
        "concurrent" => Saved::Concurrent,
        _ => Saved::Nothing,
    };
    org_page_flash(&app, &session, id, String::new(), flash).await
}

/// What the page confirms after a save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Saved {
    Nothing,
    Org,
    Concurrent,
}

#[derive(Deserialize)]
pub struct OrgForm {
    #[serde(default)]
    csrf: String,
    parent_id: Option<i64>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    branch_kind: String,
    name: String,
    #[serde(default)]
    territory_id: String,
    #[serde(default)]
    founded_on: String,
    #[serde(default)]
    dissolved_on: String,
    #[serde(default)]
    secretary: String,
    #[serde(default)]
    phone: String,
}

impl OrgForm {
    fn input(&self) -> OrgInput {
        OrgInput {
            parent_id: self.parent_id,
            kind: self.kind.clone(),
            branch_kind: self.branch_kind.clone(),
            name: self.name.clone(),
            territory_id: self.territory_id.trim().parse().ok(),
            founded_on: self.founded_on.clone(),
            dissolved_on: self.dissolved_on.clone(),
            secretary: self.secretary.clone(),
            phone: self.phone.clone(),
        }
    }
}

pub async fn org_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<OrgForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app.create_org(&session.actor, &form.input()).await {
        Ok(org) => Ok(Redirect::to(&format!("/orgs/{}?saved=org", org.id)).into_response()),
        Err(AppError::Invalid(m)) if form.parent_id.is_some() => {
            org_page_with(&app, &session, form.parent_id.unwrap_or_default(), m).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn org_update(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<OrgForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app.update_org(&session.actor, id, &form.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{id}?saved=org")).into_response()),
        Err(AppError::Invalid(m)) => org_page_with(&app, &session, id, m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ConcurrentForm {
    #[serde(default)]
    csrf: String,
    name: String,
    unit: String,
    #[serde(default)]
    post: String,
}

pub async fn concurrent_add(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<ConcurrentForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    match app
        .add_concurrent_member(&session.actor, id, &form.name, &form.unit, &form.post)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{id}?saved=concurrent")).into_response()),
        Err(AppError::Invalid(m)) => org_page_with(&app, &session, id, m).await,
        Err(e) => Err(e.into()),
    }
}
