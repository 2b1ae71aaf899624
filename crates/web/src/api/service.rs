//! 一呼百应 as JSON: the needs an actor may see and post, a member's claim on one, and a
//! member's year of service with its confirmed hours. Claims are offers a member takes, so only
//! a member claims, for themselves.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::ApiResult;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiErrorBody};
use app::App;
use app::service::{ClaimView, MemberServiceYear, NeedInput, NeedView};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct NeedsParams {
    /// Only needs still open to claims (what a member is always shown).
    #[serde(default)]
    open: Option<bool>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ServiceYearParams {
    /// This year when omitted.
    year: Option<i32>,
}

#[utoipa::path(get, path = "/api/v1/service/needs", tag = "志愿服务", params(NeedsParams),
    responses((status = 200, body = Vec<NeedView>), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody)))]
pub(super) async fn needs_list(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Query(p): Query<NeedsParams>,
) -> ApiResult<Vec<NeedView>> {
    Ok(Json(app.list_needs(&actor, p.open.unwrap_or(false)).await?))
}

#[utoipa::path(post, path = "/api/v1/service/needs", tag = "志愿服务", request_body = NeedInput,
    responses((status = 201, body = NeedView), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub(super) async fn need_create(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Json(input): Json<NeedInput>,
) -> Result<(StatusCode, Json<NeedView>), ApiError> {
    let need = app.post_need(&actor, &input).await?;
    Ok((StatusCode::CREATED, Json(need)))
}

#[utoipa::path(post, path = "/api/v1/service/needs/{id}/claims", tag = "志愿服务", params(("id" = i64, Path)),
    responses((status = 201, body = ClaimView), (status = 401, body = ApiErrorBody),
        (status = 403, description = "只有党员本人可以认领", body = ApiErrorBody),
        (status = 404, description = "需求不存在", body = ApiErrorBody),
        (status = 409, description = "人数已满或已截止", body = ApiErrorBody),
        (status = 422, description = "时间冲突、超过认领上限或需求已结束", body = ApiErrorBody)))]
pub(super) async fn claim_create(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> Result<(StatusCode, Json<ClaimView>), ApiError> {
    let claim = app.claim_need(&actor, id).await?;
    Ok((StatusCode::CREATED, Json(claim)))
}

#[utoipa::path(get, path = "/api/v1/members/{id}/service", tag = "志愿服务", params(("id" = i64, Path), ServiceYearParams),
    responses((status = 200, body = MemberServiceYear), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 404, description = "党员不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn member_service(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(p): Query<ServiceYearParams>,
) -> ApiResult<MemberServiceYear> {
    let year = p
        .year
        .unwrap_or_else(|| chrono::Datelike::year(&app::members::today()));
    Ok(Json(app.member_service_year(&actor, id, year).await?))
}
