//! The audit log.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::render;
use crate::view::Layout;
use app::App;
use store::AuditRow;

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "audit.html")]
pub(crate) struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    page: i64,
    entity: String,
    has_next: bool,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    page: Option<i64>,
    #[serde(default)]
    entity: String,
}

pub(crate) const AUDIT_PAGE: i64 = 100;

pub async fn audit(
    State(app): State<App>,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let page = q.page.unwrap_or(1).max(1);
    let entity = Some(q.entity.as_str()).filter(|e| !e.is_empty());
    let rows = app
        .audit_log(&session.actor, entity, AUDIT_PAGE, (page - 1) * AUDIT_PAGE)
        .await?;
    render(&AuditPage {
        layout: Layout::new(&session, "审计日志", "audit"),
        has_next: rows.len() as i64 == AUDIT_PAGE,
        rows,
        page,
        entity: q.entity,
    })
}
