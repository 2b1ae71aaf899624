//! The territory tree (区 → 街道 → 社区 → 网格 → 楼宇).

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::render;
use crate::view::Layout;
use app::{App, AppError};
use domain::Role;
use store::Territory;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "territory.html")]
pub(crate) struct TerritoryPage {
    layout: Layout,
    node: Option<Territory>,
    children: Vec<(Territory, i64)>,
    serving: Vec<(i64, String, String)>,
    child_level: &'static str,
}

pub async fn territory_root(State(app): State<App>, session: Session) -> PageResult {
    let children = app.territory_children(&session.actor, None).await?;
    render(&TerritoryPage {
        layout: Layout::new(&session, "区域网格", "territory"),
        node: None,
        children,
        serving: vec![],
        child_level: if session.actor.role == Role::Admin {
            "区"
        } else {
            ""
        },
    })
}

pub async fn territory_page(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult {
    let node = app.territory(&session.actor, id).await?;
    let children = app.territory_children(&session.actor, Some(id)).await?;
    let serving = app
        .db
        .orgs_serving_territory(id)
        .await
        .map_err(AppError::from)?;
    let child_level = domain::TerritoryLevel::from_code(&node.level)
        .and_then(|l| l.child())
        .map(|l| l.label())
        .unwrap_or("");
    render(&TerritoryPage {
        layout: Layout::new(&session, node.name.clone(), "territory"),
        node: Some(node),
        children,
        serving,
        child_level,
    })
}

#[derive(Deserialize)]
pub struct TerritoryForm {
    #[serde(default)]
    csrf: String,
    parent_id: Option<i64>,
    name: String,
}

pub async fn territory_create(
    State(app): State<App>,
    session: Session,
    Form(form): Form<TerritoryForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let t = app
        .create_territory(&session.actor, form.parent_id, &form.name)
        .await?;
    Ok(Redirect::to(&format!("/territory/{}", t.parent_id.unwrap_or(t.id))).into_response())
}
