//! The dashboard's figures and the report archive as JSON: `/api/v1/stats/overview`,
//! `/api/v1/reports` and `/api/v1/reports/{id}`. Each runs the same scoped use case as its page.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::ApiResult;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiErrorBody};
use crate::kept::kept_json;
use app::dashboard::{Overview, Part};
use app::reports::{Report, ReportListEntry};
use app::{App, AppError};

/// The figures of one org: the headline counts, then everything the dashboard shows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StatsOverview {
    pub org_id: i64,
    pub org_name: String,
    /// The month the month-by-month figures end with (`YYYY-MM`).
    pub month: String,
    /// 党员总数 now.
    pub members_total: i64,
    /// Members by category code (`in_service`, `retired`, …).
    pub by_category: BTreeMap<String, i64>,
    /// Members by status code (`full` 正式, `probationary` 预备).
    pub by_status: BTreeMap<String, i64>,
    pub figures: Overview,
}

fn by_code(parts: &[Part]) -> BTreeMap<String, i64> {
    parts.iter().map(|p| (p.code.clone(), p.value)).collect()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct OverviewParams {
    /// The org; the caller's own when omitted. An org outside the caller's scope is 404.
    org_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/stats/overview", tag = "统计", params(OverviewParams),
    responses((status = 200, body = StatsOverview), (status = 403, body = ApiErrorBody),
        (status = 404, description = "不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn stats_overview(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Query(p): Query<OverviewParams>,
) -> Result<Response, ApiError> {
    let address = format!("/api/v1/stats/overview?org_id={:?}", p.org_id);
    kept_json(&app, &actor, &address, || async {
        let figures = app.overview(&actor, p.org_id).await?;
        let overview = StatsOverview {
            org_id: figures.org_id,
            org_name: figures.org_name.clone(),
            month: figures.month.clone(),
            members_total: figures.members.total,
            by_category: by_code(&figures.members.by_category),
            by_status: by_code(&figures.members.by_status),
            figures,
        };
        // Strings, numbers and maps keyed by strings: this cannot fail, and says so if it does.
        serde_json::to_string(&overview)
            .map_err(|e| ApiError(AppError::Invalid(format!("统计数据无法输出：{e}"))))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ReportsParams {
    /// The org whose archive to list; the caller's own when omitted.
    org_id: Option<i64>,
    /// `weekly` or `monthly`; both when omitted.
    kind: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports", tag = "统计", params(ReportsParams),
    responses((status = 200, body = Vec<ReportListEntry>), (status = 400, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub(super) async fn reports_list(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Query(p): Query<ReportsParams>,
) -> ApiResult<Vec<ReportListEntry>> {
    Ok(Json(
        app.reports(&actor, p.org_id, p.kind.as_deref()).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/reports/{id}", tag = "统计", params(("id" = i64, Path)),
    responses((status = 200, body = Report), (status = 404, description = "不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn report_get(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Report> {
    Ok(Json(app.report(&actor, id).await?))
}
