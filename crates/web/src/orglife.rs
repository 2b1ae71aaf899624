//! The organisational-life ledger (台账), its roll-up up the tree, and its export.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::kept::kept_page;
use crate::pages::{XLSX, download, form_status};
use crate::view::Layout;
use app::{App, AppError};
use domain::Role;
use store::{Org, OrgNode};

type PageResult = Result<Response, PageError>;

/// A ledger cell as the grid shows it.
pub struct LedgerCellView {
    pub period: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub title: String,
    pub missing: bool,
}

#[derive(Template)]
#[template(path = "orglife.html")]
pub(crate) struct OrgLifePage {
    layout: Layout,
    org: Org,
    year: i32,
    path: Vec<OrgNode>,
    /// For a branch: (institution code, label, cells).
    grid: Vec<(&'static str, &'static str, Vec<LedgerCellView>)>,
    rag: &'static str,
    rate: String,
    rows: Vec<app::orglife::LedgerRow>,
    total: Option<app::orglife::LedgerRow>,
    meetings: Vec<store::Meeting>,
    may_edit: bool,
    exemptions: Vec<store::ExemptionRow>,
    /// Org admins above a branch may approve its exemptions.
    may_grant: bool,
    institutions: Vec<(&'static str, &'static str)>,
    error: String,
}

#[derive(Deserialize)]
pub struct LedgerQuery {
    pub(crate) org_id: Option<i64>,
    pub(crate) year: Option<i32>,
}

pub async fn orglife(
    State(app): State<App>,
    session: Session,
    Query(q): Query<LedgerQuery>,
) -> PageResult {
    if session.actor.role == Role::Member {
        return Ok(Redirect::to("/me").into_response());
    }
    let address = format!("/orglife?org_id={:?}&year={:?}", q.org_id, q.year);
    kept_page(&app, &session, &address, || async {
        orglife_html(&app, &session, q, String::new()).await
    })
    .await
}

/// The ledger page, with `error` shown above it when a form on it was refused.
pub(crate) async fn orglife_with(
    app: &App,
    session: &Session,
    q: LedgerQuery,
    error: String,
) -> PageResult {
    if session.actor.role == Role::Member {
        return Ok(Redirect::to("/me").into_response());
    }
    let status = form_status(&error);
    let html = orglife_html(app, session, q, error).await?;
    Ok((status, Html(html)).into_response())
}

async fn orglife_html(
    app: &App,
    session: &Session,
    q: LedgerQuery,
    error: String,
) -> Result<String, PageError> {
    use app::orglife::Ledger;
    use app::permille_text;
    let actor = &session.actor;
    let org_id = q.org_id.unwrap_or(actor.org_id);
    let year = q.year.unwrap_or_else(app::orglife::this_year);
    let ledger = app.ledger(actor, org_id, year).await?;
    let path = app.org_path(actor, org_id).await?;
    let exemptions = app.exemptions(actor, org_id).await?;
    let institutions: Vec<(&'static str, &'static str)> = domain::orglife::Institution::ALL
        .iter()
        .map(|i| (i.code(), i.label()))
        .collect();
    let (from, to) = (
        chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        chrono::NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    );
    let page = match ledger {
        Ledger::Branch(b) => {
            let mut grid: Vec<(&'static str, &'static str, Vec<LedgerCellView>)> = Vec::new();
            for cell in &b.cells {
                let code = cell.institution.code();
                if grid.last().map(|g| g.0) != Some(code) {
                    grid.push((code, cell.institution.label(), Vec::new()));
                }
                if let Some(last) = grid.last_mut() {
                    last.2.push(LedgerCellView {
                        period: cell.period.label(),
                        status: cell.status.code(),
                        status_label: cell.status.label(),
                        title: format!(
                            "{} {}：应 {} 次，已开 {} 次。{}",
                            cell.period.label(),
                            cell.institution.label(),
                            cell.expected,
                            cell.held,
                            cell.note
                        ),
                        missing: cell.status == domain::orglife::Status::Missing,
                    });
                }
            }
            OrgLifePage {
                layout: Layout::new(session, "组织生活", "orglife"),
                may_grant: matches!(actor.role, Role::Admin | Role::OrgAdmin)
                    && b.org.id != actor.org_id,
                exemptions,
                institutions,
                error,
                meetings: app
                    .db
                    .meetings_between(actor.scope(), b.org.id, from, to)
                    .await
                    .map_err(AppError::from)?,
                rag: b.rag.code(),
                rate: permille_text(b.rate_permille),
                org: b.org,
                year,
                path,
                grid,
                rows: vec![],
                total: None,
                may_edit: actor.role.may_edit(),
            }
        }
        Ledger::Rollup {
            org,
            year,
            rows,
            total,
        } => OrgLifePage {
            layout: Layout::new(session, "组织生活", "orglife"),
            may_grant: false,
            exemptions,
            institutions,
            error,
            meetings: vec![],
            rag: "",
            rate: permille_text(total.rate_permille),
            org,
            year,
            path,
            grid: vec![],
            rows,
            total: Some(total),
            may_edit: actor.role.may_edit(),
        },
    };
    Ok(page.render()?)
}

pub async fn orglife_export(
    State(app): State<App>,
    session: Session,
    Query(q): Query<LedgerQuery>,
) -> PageResult {
    let org_id = q.org_id.unwrap_or(session.actor.org_id);
    let year = q.year.unwrap_or_else(app::orglife::this_year);
    let (bytes, name) = app.ledger_xlsx(&session.actor, org_id, year).await?;
    Ok(download(bytes, XLSX, &name, "ledger.xlsx"))
}
