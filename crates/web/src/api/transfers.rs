//! 组织关系转接 in the API: transfers either end of which is the caller's, starting one, and
//! recording its steps, under the same scope and rules as the pages. A step the rules refuse
//! (an expired letter received, a receipt before receiving) is 422 with the reason in Chinese.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiResult;
use super::orglife::Created;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiErrorBody};
use app::App;
use app::transfers::{TransferInput, TransferLine, TransferStepInput, TransferView};

/// A transfer as a list has it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiTransfer {
    #[serde(flatten)]
    pub transfer: store::Transfer,
    pub direction_label: String,
    /// The state on today (an issued letter past its validity is `expired`), in words.
    pub state_label: String,
    pub from_name: String,
    pub to_name: String,
    /// The letter ran out unreceived (口袋党员).
    pub pocket: bool,
}

/// One step recorded on a transfer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiTransferStep {
    pub step: String,
    pub step_label: String,
    pub on: chrono::NaiveDate,
    pub handled_by: String,
    pub document: String,
    pub recorded_by: String,
}

/// A transfer with its steps and the steps the caller's end may record next.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiTransferDetail {
    #[serde(flatten)]
    pub transfer: ApiTransfer,
    pub steps: Vec<ApiTransferStep>,
    /// Step codes the caller may record now.
    pub next: Vec<String>,
}

fn line(l: TransferLine) -> ApiTransfer {
    ApiTransfer {
        direction_label: l.direction_label.to_string(),
        state_label: l.state_label.to_string(),
        from_name: l.from_name,
        to_name: l.to_name,
        pocket: l.pocket,
        transfer: l.transfer,
    }
}

fn detail(v: TransferView) -> ApiTransferDetail {
    ApiTransferDetail {
        steps: v
            .steps
            .into_iter()
            .map(|(s, label)| ApiTransferStep {
                step: s.action,
                step_label: label.to_string(),
                on: s.on_date,
                handled_by: s.handled_by,
                document: s.document,
                recorded_by: s.recorded_by,
            })
            .collect(),
        next: v.next.iter().map(|(code, _)| code.to_string()).collect(),
        transfer: line(v.line),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct TransferParams {
    /// `open` (the default: not yet closed or withdrawn), `all`, or one state code.
    #[serde(default)]
    state: String,
    /// `within`, `out` or `in`; every direction when omitted.
    #[serde(default)]
    direction: String,
    /// One member's transfers only.
    member_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/transfers", tag = "组织关系转接", params(TransferParams),
    responses((status = 200, body = Vec<ApiTransfer>), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub(super) async fn transfers_list(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Query(p): Query<TransferParams>,
) -> ApiResult<Vec<ApiTransfer>> {
    let lines = app
        .transfers(&actor, &p.state, &p.direction, p.member_id)
        .await?;
    Ok(Json(lines.into_iter().map(line).collect()))
}

#[utoipa::path(post, path = "/api/v1/transfers", tag = "组织关系转接", request_body = TransferInput,
    responses((status = 201, body = Created), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, description = "党员或党支部不存在或不在管理范围内", body = ApiErrorBody),
        (status = 409, description = "该党员已有未办结的转接，或身份证号已在名册中", body = ApiErrorBody),
        (status = 422, description = "介绍信有效期不符合规定", body = ApiErrorBody)))]
pub(super) async fn transfer_create(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Json(input): Json<TransferInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = app.open_transfer(&actor, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "组织关系转接", params(("id" = i64, Path)),
    responses((status = 200, body = ApiTransferDetail), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 404, description = "不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn transfer_get(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<ApiTransferDetail> {
    Ok(Json(detail(app.transfer(&actor, id).await?)))
}

#[utoipa::path(post, path = "/api/v1/transfers/{id}/steps", tag = "组织关系转接", params(("id" = i64, Path)),
    request_body = TransferStepInput,
    responses((status = 200, description = "记录后的转接", body = ApiTransferDetail),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, description = "这一步由另一端的党组织记录", body = ApiErrorBody),
        (status = 404, description = "不存在或不在管理范围内", body = ApiErrorBody),
        (status = 409, description = "转接刚被他人更新", body = ApiErrorBody),
        (status = 422, description = "违反组织关系转接规定", body = ApiErrorBody)))]
pub(super) async fn transfer_step(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<TransferStepInput>,
) -> ApiResult<ApiTransferDetail> {
    app.record_transfer_step(&actor, id, &input).await?;
    Ok(Json(detail(app.transfer(&actor, id).await?)))
}
