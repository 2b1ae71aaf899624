//! The member register in and out: import of xlsx/CSV, the template, and export.

use askama::Template;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::auth::Session;
use crate::error::PageError;
use crate::pages::{XLSX, download, read_upload, render, render_status};
use crate::view::Layout;
use app::export::ExportFormat;
use app::members::{MemberQuery, today};
use app::{App, AppError, RowError};

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "import.html")]
pub(crate) struct ImportPage {
    layout: Layout,
    imported: Option<usize>,
    error: String,
    rows: Vec<RowError>,
}

pub async fn import_page(session: Session) -> PageResult {
    session.actor.require_org_admin()?;
    render(&ImportPage {
        layout: Layout::new(&session, "导入导出", "import"),
        imported: None,
        error: String::new(),
        rows: vec![],
    })
}

pub async fn import_submit(
    State(app): State<App>,
    session: Session,
    multipart: Multipart,
) -> PageResult {
    session.actor.require_org_admin()?;
    let (csrf, file) = read_upload(multipart, "upload.xlsx", crate::IMPORT_BODY_LIMIT).await?;
    session.check_csrf(&csrf)?;
    let layout = Layout::new(&session, "导入导出", "import");
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return render_status(
            StatusCode::BAD_REQUEST,
            &ImportPage {
                layout,
                imported: None,
                error: "请选择要导入的文件".into(),
                rows: vec![],
            },
        );
    };
    match app.import_members(&session.actor, &name, &bytes).await {
        Ok(report) => render(&ImportPage {
            layout,
            imported: Some(report.imported),
            error: String::new(),
            rows: vec![],
        }),
        Err(AppError::ImportRejected(rows)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ImportPage {
                layout,
                imported: None,
                error: format!(
                    "文件有 {} 处错误，未导入任何数据。请修改后重新上传。",
                    rows.len()
                ),
                rows,
            },
        ),
        Err(AppError::Invalid(m)) => render_status(
            StatusCode::BAD_REQUEST,
            &ImportPage {
                layout,
                imported: None,
                error: m,
                rows: vec![],
            },
        ),
        Err(e) => Err(e.into()),
    }
}

pub async fn template_download(State(app): State<App>, session: Session) -> PageResult {
    let bytes = app.member_template(&session.actor).await?;
    Ok(download(
        bytes,
        XLSX,
        "党员信息导入模板.xlsx",
        "member-template.xlsx",
    ))
}

/// The file format of an export; read beside [`MemberQuery`] from the same query string
/// (serde's `flatten` would lose the numeric `org_id` there).
#[derive(Deserialize)]
pub struct ExportFormatQuery {
    #[serde(default)]
    format: String,
}

pub async fn export_download(
    State(app): State<App>,
    session: Session,
    Query(f): Query<ExportFormatQuery>,
    Query(query): Query<MemberQuery>,
) -> PageResult {
    let format = ExportFormat::from_name(&f.format);
    let (bytes, _) = app.export_members(&session.actor, &query, format).await?;
    let stamp = today().format("%Y%m%d");
    Ok(match format {
        ExportFormat::Csv => download(
            bytes,
            "text/csv; charset=utf-8",
            &format!("党员名册{stamp}.csv"),
            "members.csv",
        ),
        ExportFormat::Xlsx => download(
            bytes,
            XLSX,
            &format!("党员名册{stamp}.xlsx"),
            "members.xlsx",
        ),
    })
}
