//! 发展党员 in the API: files, their steps and what falls due, under the same scope and rules as
//! the pages. A step the rules refuse is 422 with the rule in Chinese.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiResult;
use super::orglife::Created;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiErrorBody};
use app::App;
use app::admission::{ApplicantInput, ApplicantView, StepInput};

/// A file as a list has it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiApplicant {
    pub id: i64,
    pub branch_id: i64,
    pub branch_name: String,
    pub name: String,
    /// `applicant`, `talked`, `activist`, `dev_object`, `pre_reviewed`, `prob_pending`,
    /// `probationary`, `extended`, `full`, `cancelled` or `closed`.
    pub stage: String,
    pub stage_label: String,
    pub applied_on: chrono::NaiveDate,
    /// The earliest thing falling due, and when.
    pub next_due_what: Option<String>,
    pub next_due_on: Option<chrono::NaiveDate>,
    /// The member record made at approval; left out before it (not `null`), so that a client
    /// following it to `/members/{id}` finds no link rather than the id `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<i64>,
}

/// One step recorded on a file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiStep {
    pub step: String,
    pub step_label: String,
    pub on: chrono::NaiveDate,
    pub handled_by: String,
    pub document: String,
    pub recorded_by: String,
}

/// Something due on a file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiDue {
    pub what: String,
    pub on: chrono::NaiveDate,
    pub overdue: bool,
    /// The text the time limit comes from.
    pub basis: String,
}

/// A file with its steps, what falls due and the steps that may come next.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiApplicantFile {
    #[serde(flatten)]
    pub applicant: ApiApplicant,
    pub rule_version: String,
    /// The 入党日期 (the 支部大会's day) once approved.
    pub admitted_on: Option<chrono::NaiveDate>,
    pub probation_ends_on: Option<chrono::NaiveDate>,
    pub full_on: Option<chrono::NaiveDate>,
    pub steps: Vec<ApiStep>,
    pub deadlines: Vec<ApiDue>,
    /// Step codes that may come next.
    pub next: Vec<String>,
}

fn file(v: ApplicantView) -> ApiApplicantFile {
    ApiApplicantFile {
        rule_version: v.applicant.rule_version.clone(),
        admitted_on: domain::admission::admitted_on(&v.file),
        probation_ends_on: v.file.probation_ends_on,
        full_on: v.file.full_on,
        steps: v
            .steps
            .iter()
            .map(|s| ApiStep {
                step: s.action.clone(),
                step_label: app::admission::step_label(&s.action).to_string(),
                on: s.on_date,
                handled_by: s.handled_by.clone(),
                document: s.document.clone(),
                recorded_by: s.recorded_by.clone(),
            })
            .collect(),
        deadlines: v
            .deadlines
            .iter()
            .map(|d| ApiDue {
                what: d.what.to_string(),
                on: d.on,
                overdue: d.overdue,
                basis: d.basis.to_string(),
            })
            .collect(),
        next: v.next.iter().map(|(code, _)| code.to_string()).collect(),
        applicant: ApiApplicant {
            id: v.applicant.id,
            branch_id: v.applicant.branch_id,
            branch_name: v.branch_name,
            name: v.applicant.name,
            stage: v.applicant.stage,
            stage_label: v.stage_label.to_string(),
            applied_on: v.applicant.applied_on,
            next_due_what: v.applicant.next_due_what,
            next_due_on: v.applicant.next_due_on,
            member_id: v.applicant.member_id,
        },
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ApplicantParams {
    /// Files under this org only; the caller's whole scope when omitted.
    org_id: Option<i64>,
    /// A stage code, or `open` for every file not yet ended.
    #[serde(default)]
    stage: String,
    /// Only files with something due within this many days, or overdue.
    due_within: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/applicants", tag = "发展党员", params(ApplicantParams),
    responses((status = 200, body = Vec<ApiApplicant>), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, description = "组织不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn applicants_list(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Query(p): Query<ApplicantParams>,
) -> ApiResult<Vec<ApiApplicant>> {
    let lines = app
        .applicants(&actor, p.org_id, &p.stage, p.due_within)
        .await?;
    Ok(Json(
        lines
            .into_iter()
            .map(|l| ApiApplicant {
                id: l.applicant.id,
                branch_id: l.applicant.branch_id,
                branch_name: l.branch_name,
                name: l.applicant.name,
                stage: l.applicant.stage,
                stage_label: l.stage_label.to_string(),
                applied_on: l.applicant.applied_on,
                next_due_what: l.applicant.next_due_what,
                next_due_on: l.applicant.next_due_on,
                member_id: l.applicant.member_id,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/applicants", tag = "发展党员", request_body = ApplicantInput,
    responses((status = 201, body = Created), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, description = "党支部不存在或不在管理范围内", body = ApiErrorBody),
        (status = 409, description = "该身份证号已是党员或已有未结束的申请", body = ApiErrorBody),
        (status = 422, description = "不满十八岁", body = ApiErrorBody)))]
pub(super) async fn applicant_create(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Json(input): Json<ApplicantInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = app.open_applicant(&actor, &input).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[utoipa::path(get, path = "/api/v1/applicants/{id}", tag = "发展党员", params(("id" = i64, Path)),
    responses((status = 200, body = ApiApplicantFile), (status = 401, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody),
        (status = 404, description = "不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn applicant_get(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<ApiApplicantFile> {
    Ok(Json(file(app.applicant(&actor, id).await?)))
}

#[utoipa::path(post, path = "/api/v1/applicants/{id}/steps", tag = "发展党员", params(("id" = i64, Path)),
    request_body = StepInput,
    responses((status = 200, description = "记录后的档案", body = ApiApplicantFile),
        (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
        (status = 403, description = "该步骤由上级党委记录", body = ApiErrorBody),
        (status = 404, description = "不存在或不在管理范围内", body = ApiErrorBody),
        (status = 409, description = "档案刚被他人更新", body = ApiErrorBody),
        (status = 422, description = "违反发展党员规定，附规定原文出处", body = ApiErrorBody)))]
pub(super) async fn applicant_step(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<StepInput>,
) -> ApiResult<ApiApplicantFile> {
    Ok(Json(file(
        app.record_applicant_step(&actor, id, &input).await?,
    )))
}
