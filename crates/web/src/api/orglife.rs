//! Organisational life as JSON: a branch's ledger (台账) or the roll-up of the branches below an
//! org, a meeting with its attendance, and recording a meeting. Each runs the same scoped use
//! case as its page.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiResult;
use crate::auth::ApiActor;
use crate::error::{ApiError, ApiErrorBody};
use app::App;
use app::orglife::{Ledger, MeetingInput};
use store::Meeting;

/// One institution in one period of a branch's ledger.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiLedgerCell {
    /// `branch_general_meeting`, `branch_committee_meeting`, `party_group_meeting`,
    /// `party_lecture`, `themed_party_day`, …
    pub institution: String,
    pub institution_label: String,
    /// The period in words ("2026年第3季度", "2026年11月").
    pub period: String,
    pub expected: u32,
    pub held: u32,
    /// `met`, `missing`, `exempt`, `not_required` or `pending`.
    pub status: String,
    pub status_label: String,
    pub note: String,
}

/// One subordinate org's line in a roll-up.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiLedgerRow {
    pub org_id: i64,
    pub name: String,
    pub branches: usize,
    pub red: usize,
    pub amber: usize,
    pub green: usize,
    /// ‰, half up.
    pub rate_permille: Option<u32>,
}

/// A branch's ledger (`cells`, with its light) or an org's roll-up (`rows` and `total`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiLedger {
    pub org_id: i64,
    pub org_name: String,
    pub year: i32,
    /// `branch` or `rollup`.
    pub kind: String,
    /// A branch's light: `green`, `amber` or `red`.
    pub rag: Option<String>,
    pub rate_permille: Option<u32>,
    pub cells: Vec<ApiLedgerCell>,
    pub rows: Vec<ApiLedgerRow>,
    pub total: Option<ApiLedgerRow>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct LedgerParams {
    /// The org; the caller's own when omitted.
    org_id: Option<i64>,
    /// This year when omitted.
    year: Option<i32>,
}

fn row(r: &app::orglife::LedgerRow) -> ApiLedgerRow {
    ApiLedgerRow {
        org_id: r.org_id,
        name: r.name.clone(),
        branches: r.branches,
        red: r.red,
        amber: r.amber,
        green: r.green,
        rate_permille: r.rate_permille,
    }
}

#[utoipa::path(get, path = "/api/v1/orglife/ledger", tag = "组织生活", params(LedgerParams),
    responses((status = 200, body = ApiLedger), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, description = "不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn ledger(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Query(p): Query<LedgerParams>,
) -> ApiResult<ApiLedger> {
    let org_id = p.org_id.unwrap_or(actor.org_id);
    let year = p.year.unwrap_or_else(app::orglife::this_year);
    Ok(Json(match app.ledger(&actor, org_id, year).await? {
        Ledger::Branch(b) => ApiLedger {
            org_id: b.org.id,
            org_name: b.org.name.clone(),
            year: b.year,
            kind: "branch".into(),
            rag: Some(b.rag.code().to_string()),
            rate_permille: b.rate_permille,
            cells: b
                .cells
                .iter()
                .map(|c| ApiLedgerCell {
                    institution: c.institution.code().to_string(),
                    institution_label: c.institution.label().to_string(),
                    period: c.period.label(),
                    expected: c.expected,
                    held: c.held,
                    status: c.status.code().to_string(),
                    status_label: c.status.label().to_string(),
                    note: c.note.clone(),
                })
                .collect(),
            rows: Vec::new(),
            total: None,
        },
        Ledger::Rollup {
            org,
            year,
            rows,
            total,
        } => ApiLedger {
            org_id: org.id,
            org_name: org.name.clone(),
            year,
            kind: "rollup".into(),
            rag: None,
            rate_permille: total.rate_permille,
            cells: Vec::new(),
            rows: rows.iter().map(row).collect(),
            total: Some(row(&total)),
        },
    }))
}

/// One member on a meeting's attendance list.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiAttendance {
    #[serde(deserialize_with = "app::whole::i64")]
    pub member_id: i64,
    /// Filled in on reads.
    #[serde(default)]
    pub name: String,
    pub present: bool,
    /// Why an absent member was away.
    #[serde(default)]
    pub absence_reason: Option<String>,
}

/// A meeting with its attendance list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiMeeting {
    #[serde(flatten)]
    pub meeting: Meeting,
    pub attendance: Vec<ApiAttendance>,
}

#[utoipa::path(get, path = "/api/v1/orglife/meetings/{id}", tag = "组织生活", params(("id" = i64, Path)),
    responses((status = 200, body = ApiMeeting), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, description = "不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn meeting_get(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<ApiMeeting> {
    let (meeting, attendance) = app.meeting(&actor, id).await?;
    Ok(Json(ApiMeeting {
        meeting,
        attendance: attendance
            .into_iter()
            .map(|a| ApiAttendance {
                member_id: a.member_id,
                name: a.name,
                present: a.present,
                absence_reason: a.absence_reason,
            })
            .collect(),
    }))
}

/// A meeting as recorded: where and when, who chaired and took the minutes, what was decided,
/// and who was there. Every member of the branch is on the list, present or with a reason.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ApiMeetingInput {
    /// The branch, 党小组 or committee that held the meeting.
    #[serde(deserialize_with = "app::whole::i64")]
    pub org_id: i64,
    /// Code (`themed_party_day`) or label (主题党日).
    pub institution: String,
    /// `YYYY-MM-DD`.
    pub held_on: String,
    pub place: String,
    pub chair: String,
    pub recorder: String,
    #[serde(default)]
    pub agenda: String,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub resolutions: String,
    #[serde(default)]
    pub attendance: Vec<ApiAttendance>,
}

/// The new meeting's id.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
}

#[utoipa::path(post, path = "/api/v1/orglife/meetings", tag = "组织生活", request_body = ApiMeetingInput,
    responses((status = 201, body = Created), (status = 400, body = ApiErrorBody),
        (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody),
        (status = 404, description = "组织不存在或不在管理范围内", body = ApiErrorBody)))]
pub(super) async fn meeting_create(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Json(input): Json<ApiMeetingInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let record = MeetingInput {
        institution: input.institution,
        held_on: input.held_on,
        place: input.place,
        chair: input.chair,
        recorder: input.recorder,
        agenda: input.agenda,
        minutes: input.minutes,
        resolutions: input.resolutions,
        present: input
            .attendance
            .iter()
            .filter(|a| a.present)
            .map(|a| a.member_id)
            .collect(),
        absent: input
            .attendance
            .iter()
            .filter(|a| !a.present)
            .map(|a| (a.member_id, a.absence_reason.clone().unwrap_or_default()))
            .collect(),
        open_sign_in: false,
    };
    let id = app.record_meeting(&actor, input.org_id, &record).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}
