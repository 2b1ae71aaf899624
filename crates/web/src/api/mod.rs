//! The JSON API under `/api/v1`, documented at `/api/openapi.json` with Swagger UI at
//! `/api/docs/` (its assets are compiled in; nothing is fetched from the internet).
//!
//! Callers authenticate with `Authorization: Bearer <token>` (tokens are issued on the 「API」
//! page) or with a browser session plus `X-CSRF-Token`. Every route runs the same scoped use
//! cases as the pages.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

mod accepts;
mod admission;
mod calls;
mod orglife;
mod points;
mod service;
mod stats;
mod transfers;

use crate::auth::ApiActor;
use crate::error::{ApiError, ApiErrorBody};
use crate::routes::route_table;
use accepts::AcceptedValues;
use app::App;
use app::dues::{Notice, NoticeRow, QuoteInput, QuoteResult};
use app::members::{MemberInput, MemberPage, MemberQuery};
use app::orgs::OrgInput;
use app::reports::{Report, ReportListEntry};
use app::restrictions::{RestrictionEndInput, RestrictionInput};
use app::users::UserInput;
use store::{Member, MemberRestriction, Org, OrgNode, User};

type ApiResult<T> = Result<Json<T>, ApiError>;

#[derive(OpenApi)]
#[openapi(
    info(title = "dangjian API", version = "1", description = "党建工作平台数据接口。所有数据均限于调用者账号的管理范围。"),
    paths(me, admission::applicants_list, admission::applicant_create, admission::applicant_get, admission::applicant_step, transfers::transfers_list, transfers::transfer_create, transfers::transfer_get, transfers::transfer_step, org_get, org_children, org_create, org_update, members_search, member_get, member_create, member_update, member_restrictions, member_restriction_create, member_restriction_end, users_list, user_create, dues_quote, dues_notice, stats::stats_overview, stats::reports_list, stats::report_get, calls::calls_list, calls::call_get, calls::call_act, calls::call_figures, orglife::ledger, orglife::meeting_get, orglife::meeting_create, points::member_points, points::org_points, points::entry_create, service::needs_list, service::need_create, service::claim_create, service::member_service),
    components(schemas(Me, admission::ApiApplicant, admission::ApiApplicantFile, admission::ApiStep, admission::ApiDue, app::admission::ApplicantInput, app::admission::StepInput, transfers::ApiTransfer, transfers::ApiTransferStep, transfers::ApiTransferDetail, store::Transfer, app::transfers::TransferInput, app::transfers::TransferStepInput, Org, OrgNode, OrgInput, Member, MemberInput, MemberPage, MemberRestriction, RestrictionInput, RestrictionEndInput, User, UserInput, ApiErrorBody, QuoteInput, QuoteResult, Notice, NoticeRow, stats::StatsOverview, app::dashboard::Overview, app::dashboard::Part, app::dashboard::Composition, app::dashboard::MemberMonth, app::dashboard::Orglife, app::dashboard::InstitutionFigures, app::dashboard::CompletionMonth, app::dashboard::Dues, app::dashboard::DuesMonth, app::dashboard::Calls, app::dashboard::CallFigures, app::dashboard::Child, ReportListEntry, Report, calls::ApiCall, calls::ApiCallPage, calls::ApiCallDetail, calls::ApiCallEvent, calls::ApiCallFigures, app::calls::ActionInput, orglife::ApiLedger, orglife::ApiLedgerCell, orglife::ApiLedgerRow, orglife::ApiMeeting, orglife::ApiAttendance, orglife::ApiMeetingInput, orglife::Created, store::Meeting, points::ApiPointsEntry, points::ApiMemberPoints, points::ApiPointsRow, points::ApiBranchPoints, points::ApiPointsEntryInput, app::service::NeedView, app::service::NeedInput, app::service::ClaimView, app::service::MemberServiceYear)),
    modifiers(&BearerAuth, &CommonErrors, &AcceptedValues),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The refusals any route can give before or around its own work, declared on every operation
/// so that the document holds for whatever a client sends: a malformed query or path (400), no
/// or a stale token (401), the role (403), outside the scope (404), a body too large (413), not
/// JSON (415), JSON of the wrong shape (422) and too many attempts (429). All carry the
/// documented error body with a Chinese message.
struct CommonErrors;

impl utoipa::Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let common = [
            ("400", "请求参数无效"),
            ("401", "未登录或令牌无效"),
            ("403", "没有权限"),
            ("404", "不存在或不在管理范围内"),
            ("409", "与现有数据冲突，或已被他人修改，请刷新后重试"),
            ("413", "请求内容过大"),
            ("415", "请求内容须为 JSON"),
            ("422", "请求数据与接口说明不符"),
            ("429", "尝试过于频繁，请稍后再试"),
        ];
        for item in openapi.paths.paths.values_mut() {
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(description)
                                    .content(
                                        "application/json",
                                        ContentBuilder::new()
                                            .schema(Some(Ref::from_schema_name("ApiErrorBody")))
                                            .build(),
                                    )
                                    .build(),
                            )
                        });
                }
            }
        }
    }
}

route_table! { pub ROUTES, fn api_routes;
    "/api/v1/me", Api => GET(me);
    "/api/v1/orgs", Api => POST(org_create);
    "/api/v1/orgs/{id}", Api => GET(org_get).PUT(org_update);
    "/api/v1/orgs/{id}/children", Api => GET(org_children);
    "/api/v1/members", Api => GET(members_search).POST(member_create);
    "/api/v1/members/{id}", Api => GET(member_get).PUT(member_update);
    "/api/v1/members/{id}/restrictions", Api => GET(member_restrictions).POST(member_restriction_create);
    "/api/v1/members/{id}/restrictions/{restriction}/end", Api => POST(member_restriction_end);
    "/api/v1/members/{id}/points", Api => GET(points::member_points);
    "/api/v1/orgs/{id}/points", Api => GET(points::org_points);
    "/api/v1/points/entries", Api => POST(points::entry_create);
    "/api/v1/service/needs", Api => GET(service::needs_list).POST(service::need_create);
    "/api/v1/service/needs/{id}/claims", Api => POST(service::claim_create);
    "/api/v1/members/{id}/service", Api => GET(service::member_service);
    "/api/v1/users", Api => GET(users_list).POST(user_create);
    "/api/v1/dues/quote", Api => POST(dues_quote);
    "/api/v1/dues/notice", Api => GET(dues_notice);
    "/api/v1/stats/overview", Api => GET(stats::stats_overview);
    "/api/v1/reports", Api => GET(stats::reports_list);
    "/api/v1/reports/{id}", Api => GET(stats::report_get);
    "/api/v1/calls", Api => GET(calls::calls_list);
    "/api/v1/calls/figures", Api => GET(calls::call_figures);
    "/api/v1/calls/{id}", Api => GET(calls::call_get);
    "/api/v1/calls/{id}/actions", Api => POST(calls::call_act);
    "/api/v1/orglife/ledger", Api => GET(orglife::ledger);
    "/api/v1/orglife/meetings", Api => POST(orglife::meeting_create);
    "/api/v1/orglife/meetings/{id}", Api => GET(orglife::meeting_get);
    "/api/v1/applicants", Api => GET(admission::applicants_list).POST(admission::applicant_create);
    "/api/v1/applicants/{id}", Api => GET(admission::applicant_get);
    "/api/v1/applicants/{id}/steps", Api => POST(admission::applicant_step);
    "/api/v1/transfers", Api => GET(transfers::transfers_list).POST(transfers::transfer_create);
    "/api/v1/transfers/{id}", Api => GET(transfers::transfer_get);
    "/api/v1/transfers/{id}/steps", Api => POST(transfers::transfer_step);
}

pub fn router() -> Router<App> {
    api_routes().merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()))
}

/// The caller as the API sees them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// Role code: admin, org_admin, branch_officer, member, dept_handler.
    pub role: String,
    /// The org node whose subtree the caller may see.
    pub org_id: i64,
    pub member_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "账号", responses((status = 200, body = Me), (status = 401, body = ApiErrorBody)))]
async fn me(ApiActor(actor): ApiActor) -> ApiResult<Me> {
    Ok(Json(Me {
        user_id: actor.user_id,
        username: actor.username,
        display_name: actor.display_name,
        role: actor.role.code().to_string(),
        org_id: actor.org_id,
        member_id: actor.member_id,
    }))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "党组织", params(("id" = i64, Path)),
    responses((status = 200, body = Org), (status = 404, description = "不存在或不在管理范围内", body = ApiErrorBody)))]
async fn org_get(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Org> {
    Ok(Json(app.org(&actor, id).await?))
}

#[utoipa::path(get, path = "/api/v1/orgs/{id}/children", tag = "党组织", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<OrgNode>), (status = 404, body = ApiErrorBody)))]
async fn org_children(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Vec<OrgNode>> {
    app.org(&actor, id).await?;
    Ok(Json(app.org_children(&actor, id).await?))
}

#[utoipa::path(post, path = "/api/v1/orgs", tag = "党组织", request_body = OrgInput,
    responses((status = 201, body = Org), (status = 400, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn org_create(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Json(input): Json<OrgInput>,
) -> Result<(StatusCode, Json<Org>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(app.create_org(&actor, &input).await?),
    ))
}

#[utoipa::path(put, path = "/api/v1/orgs/{id}", tag = "党组织", params(("id" = i64, Path)), request_body = OrgInput,
    responses((status = 200, body = Org), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn org_update(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<OrgInput>,
) -> ApiResult<Org> {
    Ok(Json(app.update_org(&actor, id, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/members", tag = "党员", params(MemberQuery),
    responses((status = 200, description = "身份证号和手机号在列表中一律脱敏", body = MemberPage)))]
async fn members_search(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Query(query): Query<MemberQuery>,
) -> ApiResult<MemberPage> {
    Ok(Json(app.search_members(&actor, &query).await?))
}

#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "党员", params(("id" = i64, Path)),
    responses((status = 200, body = Member), (status = 404, body = ApiErrorBody)))]
async fn member_get(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Member> {
    Ok(Json(app.member(&actor, id).await?))
}

#[utoipa::path(post, path = "/api/v1/members", tag = "党员", request_body = MemberInput,
    responses((status = 201, body = Member), (status = 400, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
async fn member_create(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Json(input): Json<MemberInput>,
) -> Result<(StatusCode, Json<Member>), ApiError> {
    let mut member = app.create_member(&actor, &input).await?;
    app::members::mask_member(&actor, &mut member);
    Ok((StatusCode::CREATED, Json(member)))
}

#[utoipa::path(put, path = "/api/v1/members/{id}", tag = "党员", params(("id" = i64, Path)), request_body = MemberInput,
    responses((status = 200, body = Member), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn member_update(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<MemberInput>,
) -> ApiResult<Member> {
    let mut member = app.update_member(&actor, id, &input).await?;
    app::members::mask_member(&actor, &mut member);
    Ok(Json(member))
}

#[utoipa::path(get, path = "/api/v1/members/{id}/restrictions", tag = "党员", params(("id" = i64, Path)),
    responses((status = 200, description = "留党察看和停止党员权利的记录，按起始日期排列；已结束的带恢复日期", body = Vec<MemberRestriction>),
        (status = 404, body = ApiErrorBody)))]
async fn member_restrictions(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
) -> ApiResult<Vec<MemberRestriction>> {
    Ok(Json(app.member_restrictions(&actor, id).await?))
}

/// The restriction `restriction` of member `id`, as stored after a write.
async fn restriction_row(
    app: &App,
    actor: &app::Actor,
    id: i64,
    restriction: i64,
) -> Result<MemberRestriction, ApiError> {
    app.member_restrictions(actor, id)
        .await?
        .into_iter()
        .find(|r| r.id == restriction)
        .ok_or_else(|| app::AppError::NotFound.into())
}

#[utoipa::path(post, path = "/api/v1/members/{id}/restrictions", tag = "党员", params(("id" = i64, Path)), request_body = RestrictionInput,
    responses((status = 201, body = MemberRestriction), (status = 400, description = "如：预备党员不适用留党察看、与另一项同类限制时间重叠", body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn member_restriction_create(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path(id): Path<i64>,
    Json(input): Json<RestrictionInput>,
) -> Result<(StatusCode, Json<MemberRestriction>), ApiError> {
    let restriction = app.add_restriction(&actor, id, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(restriction_row(&app, &actor, id, restriction).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/members/{id}/restrictions/{restriction}/end", tag = "党员",
    params(("id" = i64, Path), ("restriction" = i64, Path)), request_body = RestrictionEndInput,
    responses((status = 200, description = "登记恢复党员权利；原记录保留", body = MemberRestriction), (status = 400, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
async fn member_restriction_end(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Path((id, restriction)): Path<(i64, i64)>,
    Json(input): Json<RestrictionEndInput>,
) -> ApiResult<MemberRestriction> {
    app.end_restriction(&actor, id, restriction, &input).await?;
    Ok(Json(restriction_row(&app, &actor, id, restriction).await?))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "用户", responses((status = 200, body = Vec<User>), (status = 403, body = ApiErrorBody)))]
async fn users_list(State(app): State<App>, ApiActor(actor): ApiActor) -> ApiResult<Vec<User>> {
    Ok(Json(app.users(&actor).await?))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "用户", request_body = UserInput,
    responses((status = 201, body = User), (status = 400, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
async fn user_create(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Json(input): Json<UserInput>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(app.create_user(&actor, &input).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/dues/quote", tag = "党费", request_body = QuoteInput,
    responses((status = 200, description = "每月应交党费及计算过程（DOMAIN.md §1）", body = QuoteResult), (status = 400, body = ApiErrorBody)))]
async fn dues_quote(
    State(app): State<App>,
    ApiActor(_actor): ApiActor,
    Json(input): Json<QuoteInput>,
) -> ApiResult<QuoteResult> {
    Ok(Json(app::dues::quote_result(
        &input,
        &app.dues_settings().policy,
    )?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct NoticeParams {
    /// The org (a branch lists members; higher orgs list their children).
    org_id: i64,
    /// `YYYY-MM`
    month: String,
}

#[utoipa::path(get, path = "/api/v1/dues/notice", tag = "党费", params(NoticeParams),
    responses((status = 200, body = Notice), (status = 404, body = ApiErrorBody)))]
async fn dues_notice(
    State(app): State<App>,
    ApiActor(actor): ApiActor,
    Query(p): Query<NoticeParams>,
) -> ApiResult<Notice> {
    Ok(Json(app.dues_notice(&actor, p.org_id, &p.month).await?))
}
