//! Residents' calls as JSON: the list with the page's filters, one case with its history, the
//! staff's actions on it, and the figures per unit. Each runs the same scoped use case as its
//! page; the resident's phone is masked unless the caller's unit holds the call.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ApiResult;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiErrorBody};
use app::App;
use app::calls::{ActionInput, CallListQuery, CallView};

/// A call as a list shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiCall {
    pub id: i64,
    /// 查询码, what the resident tracks the call by.
    pub tracking_code: String,
    pub item_code: String,
    pub item_name: String,
    /// `submitted`, `in_progress`, `awaiting_resident`, `resolved`, `closed` or `merged`.
    pub status: String,
    pub status_label: String,
    /// `community`, `street` or `district`.
    pub level: String,
    pub holder_unit_id: i64,
    pub holder_name: String,
    pub submitted_at: DateTime<Utc>,
    /// The nearest time limit in words ("距办结时限 2 个工作日 3 小时").
    pub countdown: String,
    pub overdue: bool,
}

impl From<&CallView> for ApiCall {
    fn from(c: &CallView) -> Self {
        ApiCall {
            id: c.row.id,
            tracking_code: c.row.tracking_code.clone(),
            item_code: c.row.item_code.clone(),
            item_name: c.row.item_name.clone(),
            status: c.status().code().to_string(),
            status_label: c.status().label().to_string(),
            level: c.row.level.clone(),
            holder_unit_id: c.row.holder_unit_id,
            holder_name: c.row.holder_name.clone(),
            submitted_at: c.row.submitted_at,
            countdown: c.countdown(),
            overdue: c.overdue(),
        }
    }
}

/// One page of the list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiCallPage {
    pub page: i64,
    /// Whether a next page exists.
    pub more: bool,
    pub calls: Vec<ApiCall>,
}

/// The list's filters, as the page's query string has them.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct CallListParams {
    /// `1`: closed and merged calls too.
    #[serde(default)]
    all: String,
    /// A status code.
    #[serde(default)]
    status: String,
    /// A catalogue 大类 (`C05`).
    #[serde(default)]
    category: String,
    /// The holding unit.
    unit_id: Option<i64>,
    /// Submitted on or after this day (`YYYY-MM-DD`, China time).
    #[serde(default)]
    from: String,
    /// Submitted on or before this day.
    #[serde(default)]
    to: String,
    /// `1`: only calls past a time limit.
    #[serde(default)]
    overdue: String,
    /// 1-based page of 50.
    page: Option<i64>,
}

impl From<CallListParams> for CallListQuery {
    fn from(p: CallListParams) -> Self {
        CallListQuery {
            all: p.all,
            status: p.status,
            category: p.category,
            unit_id: p.unit_id.map(|u| u.to_string()).unwrap_or_default(),
            from: p.from,
            to: p.to,
            overdue: p.overdue,
            page: p.page,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/calls", tag = "居民呼声", params(CallListParams),
    responses((status = 200, body = ApiCallPage), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, description = "该角色不办理呼声", body = ApiErrorBody)))]
pub(super) async fn calls_list(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Query(p): Query<CallListParams>,
) -> ApiResult<ApiCallPage> {
    let list = app.calls_filtered(&actor, &p.into()).await?;
    Ok(Json(ApiCallPage {
        page: list.page,
        more: list.more,
        calls: list.calls.iter().map(ApiCall::from).collect(),
    }))
}

/// One step of a call's history, as the case page lists it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiCallEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    /// What happened, in words, as the resident's tracking page says it.
    pub note: String,
    pub status_after: String,
}

/// A call with what the case page shows staff.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiCallDetail {
    #[serde(flatten)]
    pub call: ApiCall,
    pub address: String,
    pub description: String,
    pub resident_name: String,
    /// In full only for the unit holding the call.
    pub phone: String,
    pub events: Vec<ApiCallEvent>,
}

#[utoipa::path(get, path = "/api/v1/calls/{id}", tag = "居民呼声", params(("id" = i64, Path)),
    responses((status = 200, body = ApiCallDetail), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, description = "不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn call_get(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<ApiCallDetail> {
    let (c, events, _) = app.call(&actor, id).await?;
    let holder = app
        .call_units_of(c.row.root_org_id)
        .await?
        .into_iter()
        .find(|u| u.id == c.row.holder_unit_id);
    let holds = holder.is_some_and(|u| App::acts_for(&actor, &u));
    Ok(Json(ApiCallDetail {
        call: ApiCall::from(&c),
        address: c.row.address.clone(),
        description: c.row.description.clone(),
        resident_name: c.row.resident_name.clone(),
        phone: if holds {
            c.row.phone.clone()
        } else {
            domain::personal::mask_phone(&c.row.phone)
        },
        events: events
            .into_iter()
            .map(|e| ApiCallEvent {
                at: e.at,
                actor: e.actor,
                kind: e.kind,
                note: e.public_note,
                status_after: e.status_after,
            })
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/calls/{id}/actions", tag = "居民呼声", params(("id" = i64, Path)),
    request_body = ActionInput,
    responses((status = 200, description = "办理后的呼声", body = ApiCall), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, description = "本单位不持有该呼声", body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, description = "呼声已被他人办理，请刷新后重试", body = ApiErrorBody)))]
pub(super) async fn call_act(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<ActionInput>,
) -> ApiResult<ApiCall> {
    app.act_on_call(&actor, id, &input).await?;
    let (c, _, _) = app.call(&actor, id).await?;
    Ok(Json(ApiCall::from(&c)))
}

/// One unit's (or a level's, or the total's) figures for a year.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiCallFigures {
    /// The unit; absent for a level's or the total's line.
    pub unit_id: Option<i64>,
    pub name: String,
    pub level: String,
    pub received: u64,
    pub closed: u64,
    pub closed_on_time: u64,
    /// ‰, half up; absent when nothing counts.
    pub closure_rate_permille: Option<u32>,
    pub on_time_rate_permille: Option<u32>,
    pub average_working_minutes_to_close: Option<i64>,
    pub rated: u64,
    pub satisfied: u64,
    pub satisfaction_rate_permille: Option<u32>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct YearParams {
    /// This year when omitted.
    year: Option<i32>,
}

#[utoipa::path(get, path = "/api/v1/calls/figures", tag = "居民呼声", params(YearParams),
    responses((status = 200, body = Vec<ApiCallFigures>), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub(super) async fn call_figures(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Query(p): Query<YearParams>,
) -> Result<Json<Vec<ApiCallFigures>>, ApiError> {
    let year = p.year.unwrap_or_else(app::orglife::this_year);
    let rows = app.call_figures(&actor, year).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ApiCallFigures {
                unit_id: r.unit_id,
                name: r.name,
                level: r.level,
                received: r.figures.received,
                closed: r.figures.closed,
                closed_on_time: r.figures.closed_on_time,
                closure_rate_permille: r.figures.closure_rate_permille,
                on_time_rate_permille: r.figures.on_time_rate_permille,
                average_working_minutes_to_close: r.figures.average_minutes_to_close,
                rated: r.figures.rated,
                satisfied: r.figures.satisfied,
                satisfaction_rate_permille: r.figures.satisfaction_rate_permille,
            })
            .collect(),
    ))
}
