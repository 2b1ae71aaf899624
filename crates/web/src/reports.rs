//! Weekly and monthly reports: the archive of an org with the form that makes one, the
//! print-ready report (A4, a header with the org and the period, signature lines) and its
//! workbook.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Redirect, Response};
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::{XLSX, download, render};
use crate::view::Layout;
use app::App;
use app::reports::{Report, ReportListEntry, reportable_periods};
use domain::reports::ReportKind;
use store::OrgNode;

type PageResult = Result<Response, PageError>;

/// A period the form offers: its key and how it reads.
pub(crate) struct PeriodChoice {
    kind: &'static str,
    key: String,
    label: String,
}

#[derive(Template)]
#[template(path = "reports.html")]
pub(crate) struct ReportsPage {
    layout: Layout,
    org_id: i64,
    org_name: String,
    kind: String,
    choices: Vec<PeriodChoice>,
    reports: Vec<ReportListEntry>,
    path: Vec<OrgNode>,
}

#[derive(Template)]
#[template(path = "report.html")]
pub(crate) struct ReportPage {
    layout: Layout,
    r: Report,
}

#[derive(Deserialize)]
pub struct ReportsQuery {
    org_id: Option<i64>,
    #[serde(default)]
    kind: String,
}

#[derive(Deserialize)]
pub struct MakeForm {
    csrf: String,
    org_id: Option<i64>,
    /// `weekly:2026-W48` or `monthly:2026-11`, as the form's choices carry them.
    period: String,
}

fn choices() -> Vec<PeriodChoice> {
    let today = app::members::today();
    ReportKind::ALL
        .iter()
        .flat_map(|kind| {
            reportable_periods(*kind, today)
                .into_iter()
                .rev()
                .map(move |p| PeriodChoice {
                    kind: kind.code(),
                    key: p.key(),
                    label: format!(
                        "{}：{}{}",
                        kind.label(),
                        p.label(),
                        if p.is_over_on(today) {
                            ""
                        } else {
                            "（截至今天）"
                        }
                    ),
                })
        })
        .collect()
}

pub async fn reports(
    State(app): State<App>,
    session: Session,
    Query(q): Query<ReportsQuery>,
) -> PageResult {
    let actor = &session.actor;
    let org = app.org(actor, q.org_id.unwrap_or(actor.org_id)).await?;
    let list = app.reports(actor, Some(org.id), Some(&q.kind)).await?;
    let path = if org.id == actor.org_id {
        Vec::new()
    } else {
        app.org_path(actor, org.id).await?
    };
    render(&ReportsPage {
        layout: Layout::new(&session, "统计报告", "reports"),
        org_id: org.id,
        org_name: org.name,
        kind: q.kind,
        choices: choices(),
        reports: list,
        path,
    })
}

pub async fn report_make(
    State(app): State<App>,
    session: Session,
    Form(form): Form<MakeForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    let (kind, period) = form
        .period
        .split_once(':')
        .ok_or_else(|| app::AppError::Invalid("请选择报告期".into()))?;
    let id = app
        .report_make(&session.actor, form.org_id, kind, Some(period))
        .await?;
    Ok(axum::response::IntoResponse::into_response(Redirect::to(
        &format!("/reports/{id}"),
    )))
}

pub async fn report(State(app): State<App>, session: Session, Path(id): Path<i64>) -> PageResult {
    let r = app.report(&session.actor, id).await?;
    render(&ReportPage {
        layout: Layout::new(
            &session,
            format!("{}{}（{}）", r.org_name, r.kind_label, r.period_label),
            "reports",
        ),
        r,
    })
}

pub async fn report_xlsx(
    State(app): State<App>,
    session: Session,
    Path(id): Path<i64>,
) -> PageResult {
    let (bytes, name) = app.report_xlsx(&session.actor, id).await?;
    Ok(download(bytes, XLSX, &name, "report.xlsx"))
}
