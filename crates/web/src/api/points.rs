//! 党员积分 as JSON: a member's year with its ledger, a branch's table for a period, and a
//! manual entry. No route edits or deletes an entry: a correction is a new, reversing entry.
//! Points are decimal numbers with at most two places (87.5).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiResult;
use super::orglife::Created;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiErrorBody};
use app::App;
use app::points::ManualEntryInput;
use domain::points::Points;

/// Exact for every value of two decimal places: division is correctly rounded, so the number
/// printed is the decimal the ledger holds.
fn number(p: Points) -> f64 {
    p.0 as f64 / 100.0
}

/// One entry of a member's ledger.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiPointsEntry {
    pub id: i64,
    /// Signed: a deduction or a correction of an award is negative.
    pub points: f64,
    pub item_code: String,
    pub item: String,
    /// `组织生活`, `党费交纳`, `志愿服务` or `手工登记`.
    pub source: String,
    /// The day of the fact.
    pub at: chrono::NaiveDate,
    pub reason: String,
    pub approver: Option<String>,
    /// The entry this one corrects, when it is a correction.
    pub reverses: Option<i64>,
    /// The entry that corrected this one, if any.
    pub reversed_by: Option<i64>,
}

/// A member's points for a year.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiMemberPoints {
    pub member_id: i64,
    pub name: String,
    pub year: i32,
    pub scheme: String,
    /// The scheme does not score this member; `total` and `grade` are then absent.
    pub excluded: bool,
    pub total: Option<f64>,
    /// `excellent`, `qualified`, `basic` or `unqualified`: the program's proposal, which the
    /// 支部党员大会 confirms or changes.
    pub grade: Option<String>,
    pub grade_label: Option<String>,
    pub rank: Option<u32>,
    pub ranked_members: Option<u32>,
    /// How the total was reached, one step per line.
    pub working: Vec<String>,
    pub entries: Vec<ApiPointsEntry>,
}

/// One member on a branch's table.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiPointsRow {
    pub member_id: i64,
    pub name: String,
    pub category: String,
    pub excluded: bool,
    pub total: Option<f64>,
    pub rank: Option<u32>,
    pub grade: Option<String>,
    pub grade_label: Option<String>,
    pub note: Option<String>,
}

/// A branch's table for a period.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiBranchPoints {
    pub org_id: i64,
    pub name: String,
    /// `2026`, `2026-Q3` or `2026-07`.
    pub period: String,
    pub period_label: String,
    pub scheme: String,
    pub rows: Vec<ApiPointsRow>,
    /// Months of the year the branch confirmed (一月一登记).
    pub registered: Vec<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct YearParams {
    /// This year when omitted.
    year: Option<i32>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PeriodParams {
    /// `2026` (the year, the default this year), `2026-Q3` or `2026-07`.
    #[serde(default)]
    period: String,
}

/// A manual award or deduction.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ApiPointsEntryInput {
    pub member_id: i64,
    /// An item of the member's scheme (`manual_award`, `manual_deduction`, …).
    pub item_code: String,
    /// Positive for an award, negative for a deduction, at most two decimal places.
    pub points: String,
    pub reason: String,
    pub approver: String,
    /// `YYYY-MM-DD`; today when omitted.
    #[serde(default)]
    pub on_date: String,
}

#[utoipa::path(get, path = "/api/v1/members/{id}/points", tag = "党员积分", params(("id" = i64, Path), YearParams),
    responses((status = 200, body = ApiMemberPoints), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 404, description = "党员不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn member_points(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(p): Query<YearParams>,
) -> ApiResult<ApiMemberPoints> {
    let year = p
        .year
        .unwrap_or_else(|| chrono::Datelike::year(&app::members::today()));
    let v = app.member_points(&actor, id, year).await?;
    Ok(Json(ApiMemberPoints {
        member_id: v.member_id,
        name: v.name,
        year: v.year,
        scheme: v.scheme_name,
        excluded: v.excluded,
        total: v.scoring.as_ref().map(|s| number(s.total)),
        grade: v.grade.map(|g| g.code().to_string()),
        grade_label: v.grade.map(|g| g.label().to_string()),
        rank: v.rank.map(|r| r.0),
        ranked_members: v.rank.map(|r| r.1),
        working: v.scoring.map(|s| s.working).unwrap_or_default(),
        entries: v
            .lines
            .into_iter()
            .map(|l| ApiPointsEntry {
                id: l.id,
                points: number(l.points),
                item_code: l.item_code,
                item: l.item,
                source: l.source.to_string(),
                at: l.on_date,
                reason: l.reason,
                approver: l.approver,
                reverses: l.reverses,
                reversed_by: l.reversed_by,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/points", tag = "党员积分", params(("id" = i64, Path), PeriodParams),
    responses((status = 200, body = ApiBranchPoints), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, description = "党支部不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn org_points(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Query(p): Query<PeriodParams>,
) -> ApiResult<ApiBranchPoints> {
    let period = match p.period.trim() {
        "" => chrono::Datelike::year(&app::members::today()).to_string(),
        t => t.to_string(),
    };
    let v = app.branch_points(&actor, id, &period).await?;
    Ok(Json(ApiBranchPoints {
        org_id: v.branch.id,
        name: v.branch.name,
        period: v.period,
        period_label: v.period_label,
        scheme: v.scheme_name,
        rows: v
            .rows
            .into_iter()
            .map(|r| ApiPointsRow {
                member_id: r.member_id,
                name: r.name,
                category: r.category,
                excluded: r.excluded,
                total: r.total.map(number),
                rank: r.rank,
                grade: r.grade.map(|g| g.code().to_string()),
                grade_label: r.grade.map(|g| g.label().to_string()),
                note: r.note.map(|n| n.label().to_string()),
            })
            .collect(),
        registered: v.registered,
    }))
}

#[utoipa::path(post, path = "/api/v1/points/entries", tag = "党员积分", request_body = ApiPointsEntryInput,
    responses((status = 201, body = Created), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, description = "党员不存在或不在管理范围内", body = ApiErrorBody),
        (status = 422, description = "不能为自己登记积分", body = ApiErrorBody)))]
pub(super) async fn entry_create(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Json(input): Json<ApiPointsEntryInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let input = ManualEntryInput {
        member_id: input.member_id,
        item_code: input.item_code,
        points: input.points,
        reason: input.reason,
        approver: input.approver,
        on_date: input.on_date,
    };
    let id = app.add_points_entry(&actor, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}
