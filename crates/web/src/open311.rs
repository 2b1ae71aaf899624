//! Open311 GeoReport v2 for residents' calls (你呼我应), so existing Open311 clients can submit
//! calls and follow them. Only JSON is served: the `.xml` variants of the spec are answered with
//! a 404 Open311 error.
//!
//! - `GET  /open311/v2/services.json`: the active catalogue items as services (`group` is the
//!   category; no service has metadata, so `services/{code}.json` lists no attributes).
//! - `GET  /open311/v2/services/{code}.json`: a service definition.
//! - `POST /open311/v2/requests.json`: submits a call, form-urlencoded (or JSON with
//!   `Content-Type: application/json`). `api_key` is an API token of this instance (the same
//!   tokens as `Authorization: Bearer` on `/api/v1`), which acts with its user's role and scope:
//!   only an org admin's (or the system admin's) token submits, and only for communities in
//!   that user's subtree; the call is recorded in that user's name.
//!   Required: `api_key`, `service_code`, `description`, `phone` (a mainland mobile number) and
//!   the place as `address_id`. Optional: `first_name`/`last_name` (joined surname first when
//!   either is Chinese), `address_string`, `jurisdiction_id`. Answers 201 with
//!   `[{"service_request_id", "service_notice", "account_id": null}]`; the request id is the
//!   call's 查询码.
//! - `GET  /open311/v2/requests.json`: newest first, at most 1000. The request id is the
//!   resident's 查询码, so what a caller gets depends on what they already hold:
//!   - without a key, the list omits every request (as the spec allows), except those named by
//!     `service_request_id`: whoever holds a 查询码 sees status, service, dates, the unit in
//!     charge and its (masked) notes, as on the public tracking page;
//!   - with the `api_key` of a user who handles calls (an org admin, a department handler, the
//!     system admin), the calls in that user's call scope, with `description`, `address` and
//!     `address_id`; calls outside it are served only as to a keyless caller with their 查询码;
//!   - a key whose user handles no calls (a member, a branch officer) is refused, as is an
//!     unknown key, so a misconfigured client notices.
//!
//!   Filters: `service_request_id` (comma-separated; as the spec says, it overrides every other
//!   filter), `service_code` and `status` (`open`, `closed`; both comma-separated),
//!   `start_date`/`end_date` (RFC 3339, on the submission time; the last 90 days by default).
//! - `GET  /open311/v2/requests/{id}.json`: one call by its 查询码, in an array, served as above.
//! - `GET  /open311/v2/locations.json` (**our extension**): the communities a call can be
//!   addressed to, `[{"address_id", "name", "street"}]`.
//!
//! Location: `address_id` is, as the spec defines it, "the internal address ID used by a
//! jurisdiction's master address repository", here a territory id (a community, or a grid or
//! building in it); the community ids are listed by `locations.json`. `lat`/`long` are not
//! supported: a request with them and without `address_id` is refused with a 400 that says so.
//!
//! `jurisdiction_id` is a district's top organisation id, optional. An instance that holds
//! several districts (under a provincial committee) serves each: `locations.json` without it
//! lists every district's communities, each with its `jurisdiction_id`; a submission without it
//! goes to the district its `address_id` lies in; a request found by its 查询码 answers from its
//! own district; `services.json` without it is the first district's catalogue.
//!
//! Deviations from the spec: `phone` is required (the resident rates the answer with it);
//! `media_url`, `email`, `device_id` and `account_id` are ignored; requests carry no
//! `lat`/`long`, `media_url` or `expected_datetime`; a call's `status` is `open` until it is
//! closed or merged into another. Privacy: the resident's name and phone are never served, and
//! phone and ID numbers typed into a description, an address or a note are masked.
//!
//! Errors are Open311's: `[{"code": <HTTP status>, "description": "<中文说明>"}]` with that
//! status.

use std::collections::{HashMap, HashSet};

use crate::routes::route_table;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json, Router};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use chrono_tz::Asia::Shanghai;
use serde::Serialize;
use serde_json::Value;

use crate::client::ClientIp;
use app::calls::CallInput;
use app::{Actor, App, AppError};
use domain::calls::Status;
use domain::personal::mask_numbers_in_text;
use store::{CallItem, CallRow, CallScope};

/// At most this many requests per list, as the spec suggests.
const MAX_REQUESTS: usize = 1000;
/// The default window of the list, in days.
const DEFAULT_DAYS: i64 = 90;
/// Rows read from the store at a time while filtering the list.
const PAGE: i64 = 500;

route_table! { pub ROUTES, fn open311_routes;
    "/open311/v2/services.json", Open311 => GET(services);
    "/open311/v2/services/{file}", Open311 => GET(service_definition);
    "/open311/v2/requests.json", Open311 => GET(requests_list).POST(request_create);
    "/open311/v2/requests/{file}", Open311 => GET(request_one);
    "/open311/v2/locations.json", Open311 => GET(locations);
    "/open311/v2/{file}", Open311 => GET(other_file).POST(other_file);
}

pub fn router() -> Router<App> {
    open311_routes()
}

/// An Open311 error: `[{"code", "description"}]` with the same HTTP status.
#[derive(Debug)]
pub struct Open311Error {
    pub status: StatusCode,
    pub description: String,
}

impl Open311Error {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error {
            status,
            description: description.into(),
        }
    }

    fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }
}

#[derive(Serialize)]
struct ErrorBody {
    code: u16,
    description: String,
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(vec![ErrorBody {
                code: self.status.as_u16(),
                description: self.description,
            }]),
        )
            .into_response()
    }
}

impl From<AppError> for Open311Error {
    fn from(e: AppError) -> Self {
        let status = crate::error::status_of(&e);
        let description = match e {
            AppError::Store(inner) => {
                let request_id = uuid::Uuid::now_v7().to_string();
                tracing::error!(%request_id, error = %inner, "open311 request failed");
                format!("系统内部错误，请联系管理员并提供编号 {request_id}")
            }
            AppError::NotFound => "未找到".to_string(),
            other => other.to_string(),
        };
        Open311Error::new(status, description)
    }
}

impl From<store::StoreError> for Open311Error {
    fn from(e: store::StoreError) -> Self {
        AppError::from(e).into()
    }
}

type Result<T> = std::result::Result<T, Open311Error>;
type Params = HashMap<String, String>;

fn params(query: std::result::Result<Query<Params>, QueryRejection>) -> Result<Params> {
    query
        .map(|Query(p)| p)
        .map_err(|_| Open311Error::bad_request("查询参数格式有误"))
}

/// A non-empty, trimmed parameter.
fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// The district named by `jurisdiction_id`, `None` when it is absent.
async fn jurisdiction(app: &App, params: &Params) -> Result<Option<i64>> {
    let Some(given) = param(params, "jurisdiction_id") else {
        return Ok(None);
    };
    let districts = app.db.org_root_ids().await?;
    match given.parse::<i64>() {
        Ok(id) if districts.contains(&id) => Ok(Some(id)),
        _ => Err(Open311Error::not_found(format!(
            "没有辖区「{given}」（jurisdiction_id 可为 {}，也可不填）",
            districts
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join("、")
        ))),
    }
}

/// The named district, or the first when none is named (whose catalogue `services.json` shows).
async fn jurisdiction_or_first(app: &App, params: &Params) -> Result<i64> {
    match jurisdiction(app, params).await? {
        Some(root) => Ok(root),
        None => Ok(app.public_root().await?),
    }
}

/// `C01-03.json` → `C01-03`; other formats are not served.
fn json_name(file: &str) -> Result<&str> {
    if let Some(name) = file.strip_suffix(".json") {
        Ok(name)
    } else if file.ends_with(".xml") {
        Err(Open311Error::not_found(
            "本接口只提供 JSON 格式，请将地址中的 .xml 改为 .json",
        ))
    } else {
        Err(Open311Error::not_found("未找到（请在地址末尾加 .json）"))
    }
}

async fn other_file(Path(file): Path<String>) -> Open311Error {
    match json_name(&file) {
        Err(e) => e,
        Ok(_) => Open311Error::not_found(format!("没有「{file}」这个接口")),
    }
}

// ---------------------------------------------------------------------------
// Services

#[derive(Serialize)]
struct Service {
    service_code: String,
    service_name: String,
    description: String,
    metadata: bool,
    #[serde(rename = "type")]
    kind: &'static str,
    keywords: String,
    group: String,
}

async fn services(
    State(app): State<App>,
    query: std::result::Result<Query<Params>, QueryRejection>,
) -> Result<Json<Vec<Service>>> {
    let root = jurisdiction_or_first(&app, &params(query)?).await?;
    let items = app.call_catalogue(root).await?;
    Ok(Json(
        items
            .into_iter()
            .map(|item| Service {
                description: format!("{} · {}", item.category_name, item.name),
                service_code: item.code,
                service_name: item.name,
                metadata: false,
                kind: "realtime",
                keywords: String::new(),
                group: item.category_name,
            })
            .collect(),
    ))
}

#[derive(Serialize)]
struct ServiceDefinition {
    service_code: String,
    attributes: Vec<Value>,
}

async fn service_definition(
    State(app): State<App>,
    Path(file): Path<String>,
    query: std::result::Result<Query<Params>, QueryRejection>,
) -> Result<Json<ServiceDefinition>> {
    let code = json_name(&file)?;
    let root = jurisdiction_or_first(&app, &params(query)?).await?;
    let item = app
        .call_catalogue(root)
        .await?
        .into_iter()
        .find(|i| i.code == code)
        .ok_or_else(|| {
            Open311Error::not_found(format!(
                "没有服务代码「{code}」（可用的代码见 services.json）"
            ))
        })?;
    Ok(Json(ServiceDefinition {
        service_code: item.code,
        attributes: Vec::new(),
    }))
}

// ---------------------------------------------------------------------------
// Locations (our extension)

#[derive(Serialize)]
struct Location {
    address_id: i64,
    name: String,
    street: String,
    /// The district the community belongs to, for an instance that holds several.
    jurisdiction_id: i64,
}

async fn locations(
    State(app): State<App>,
    query: std::result::Result<Query<Params>, QueryRejection>,
) -> Result<Json<Vec<Location>>> {
    let roots = match jurisdiction(&app, &params(query)?).await? {
        Some(root) => vec![root],
        None => app.db.org_root_ids().await?,
    };
    let mut out = Vec::new();
    for root in roots {
        out.extend(
            app.call_communities(root)
                .await?
                .into_iter()
                .filter_map(|(unit, street)| {
                    Some(Location {
                        address_id: unit.territory_id?,
                        name: unit.name,
                        street,
                        jurisdiction_id: root,
                    })
                }),
        );
    }
    Ok(Json(out))
}

// ---------------------------------------------------------------------------
// Submitting a request

#[derive(Serialize)]
struct Created {
    service_request_id: String,
    service_notice: String,
    account_id: Option<String>,
}

/// The posted fields, from a form or a JSON object (numbers taken as their text), over any
/// given in the query string.
async fn posted_fields(app: &App, request: Request) -> Result<Params> {
    let mut fields = Query::<Params>::try_from_uri(request.uri())
        .map(|Query(p)| p)
        .unwrap_or_default();
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        });
    if is_json {
        let Json(object) = Json::<serde_json::Map<String, Value>>::from_request(request, app)
            .await
            .map_err(|_| Open311Error::bad_request("请求体不是有效的 JSON 对象"))?;
        for (key, value) in object {
            let text = match value {
                Value::Null => continue,
                Value::String(s) => s,
                other => other.to_string(),
            };
            fields.insert(key, text);
        }
    } else {
        let Form(form) = Form::<Params>::from_request(request, app)
            .await
            .map_err(|_| {
                Open311Error::bad_request(
                    "请求体应为 application/x-www-form-urlencoded 表单（或 application/json）",
                )
            })?;
        fields.extend(form);
    }
    Ok(fields)
}

/// Surname first without a space when either part is Chinese (张 + 三 → 张三), otherwise
/// "first last".
fn resident_name(first: &str, last: &str) -> String {
    let (first, last) = (first.trim(), last.trim());
    if first.chars().chain(last.chars()).any(|c| !c.is_ascii()) {
        format!("{last}{first}")
    } else {
        [first, last]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

async fn request_create(State(app): State<App>, request: Request) -> Result<Response> {
    let fields = posted_fields(&app, request).await?;
    let named = jurisdiction(&app, &fields).await?;
    let api_key = param(&fields, "api_key").ok_or_else(|| {
        Open311Error::new(
            StatusCode::UNAUTHORIZED,
            "缺少 api_key（请使用在「API」页面申请的令牌）",
        )
    })?;
    let actor = app
        .token_actor(api_key)
        .await?
        .ok_or_else(|| Open311Error::new(StatusCode::FORBIDDEN, "api_key 无效或已停用"))?;
    if !matches!(actor.role, domain::Role::Admin | domain::Role::OrgAdmin) {
        return Err(Open311Error::new(
            StatusCode::FORBIDDEN,
            "该 api_key 所属用户不能登记呼声（请使用组织管理员申请的令牌）",
        ));
    }
    let item_code = param(&fields, "service_code").ok_or_else(|| {
        Open311Error::bad_request("请填写 service_code（可用的代码见 services.json）")
    })?;
    let location_needed = "请用 address_id 指明地点：社区、网格或楼栋的编号（可选的社区编号见 GET /open311/v2/locations.json）";
    let territory_id = match param(&fields, "address_id") {
        Some(text) => text.parse::<i64>().map_err(|_| {
            Open311Error::bad_request(format!("address_id「{text}」无效。{location_needed}"))
        })?,
        None if param(&fields, "lat").is_some() || param(&fields, "long").is_some() => {
            return Err(Open311Error::bad_request(format!(
                "暂不支持按经纬度（lat/long）定位。{location_needed}"
            )));
        }
        None => return Err(Open311Error::bad_request(location_needed)),
    };
    let root = match named {
        Some(root) => root,
        None => app.public_root_of(Some(territory_id)).await?,
    };
    if !app
        .call_catalogue(root)
        .await?
        .iter()
        .any(|i: &CallItem| i.code == item_code)
    {
        return Err(Open311Error::bad_request(format!(
            "没有服务代码「{item_code}」（可用的代码见 services.json）"
        )));
    }
    let field = |name: &str| param(&fields, name).unwrap_or_default().to_string();
    let input = CallInput {
        item_code: item_code.to_string(),
        territory_id: Some(territory_id),
        address: field("address_string"),
        description: field("description"),
        resident_name: resident_name(&field("first_name"), &field("last_name")),
        phone: field("phone"),
    };
    let (_, code) = app
        .submit_call(root, &input, &[], "open311", Some(&actor))
        .await
        .map_err(|e| match e {
            AppError::Forbidden => Open311Error::new(
                StatusCode::FORBIDDEN,
                format!(
                    "address_id「{territory_id}」不在该 api_key 所属组织的管辖范围内，\
                     只能提交本组织及下级社区的呼声"
                ),
            ),
            other => other.into(),
        })?;
    let holder = app.db.call_by_tracking_code(&code).await?.holder_name;
    let created = Created {
        service_notice: format!("已受理，派至{holder}。请凭查询码 {code} 查询办理进度。"),
        service_request_id: code,
        account_id: None,
    };
    Ok((StatusCode::CREATED, Json(vec![created])).into_response())
}

// ---------------------------------------------------------------------------
// Reading requests

#[derive(Serialize)]
struct ServiceRequest {
    service_request_id: String,
    status: &'static str,
    status_notes: String,
    service_name: String,
    service_code: String,
    /// Only for a key whose user's call scope holds the call: residents describe their own
    /// circumstances there.
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    agency_responsible: String,
    requested_datetime: String,
    updated_datetime: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    /// Also only with the details: a building's id says where the resident lives.
    #[serde(skip_serializing_if = "Option::is_none")]
    address_id: Option<i64>,
}

fn is_closed(row: &CallRow) -> bool {
    Status::from_code(&row.status).is_some_and(Status::is_terminal)
}

fn datetime(at: DateTime<Utc>) -> String {
    at.with_timezone(&Shanghai)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// A call as Open311 shows it: never the resident's name or phone.
async fn service_request(
    app: &App,
    names: &mut ItemNames,
    row: CallRow,
    with_details: bool,
) -> Result<ServiceRequest> {
    let names = names.of(app, row.root_org_id).await?;
    let status_notes = app
        .db
        .call_events(row.id)
        .await?
        .into_iter()
        .rev()
        .map(|e| e.public_note)
        .find(|n| !n.trim().is_empty())
        .unwrap_or_default();
    let service_name = names.get(&row.item_code).cloned().unwrap_or_else(|| {
        row.item_name
            .rsplit(" · ")
            .next()
            .unwrap_or_default()
            .to_string()
    });
    Ok(ServiceRequest {
        status: if is_closed(&row) { "closed" } else { "open" },
        status_notes: mask_numbers_in_text(&status_notes),
        service_name,
        description: with_details.then(|| mask_numbers_in_text(&row.description)),
        agency_responsible: row.holder_name,
        requested_datetime: datetime(row.submitted_at),
        updated_datetime: datetime(row.updated_at),
        address: with_details.then(|| mask_numbers_in_text(&row.address)),
        address_id: row.territory_id.filter(|_| with_details),
        service_code: row.item_code,
        service_request_id: row.tracking_code,
    })
}

/// The call scope of a reader's `api_key`, `None` without a key. An unknown key, or one whose
/// user handles no calls, is refused rather than served as keyless, so a misconfigured client
/// notices.
async fn key_scope(app: &App, params: &Params) -> Result<Option<CallScope>> {
    let Some(key) = param(params, "api_key") else {
        return Ok(None);
    };
    let actor: Actor = app
        .token_actor(key)
        .await?
        .ok_or_else(|| Open311Error::new(StatusCode::FORBIDDEN, "api_key 无效或已停用"))?;
    match App::call_scope(&actor) {
        CallScope::Nothing => Err(Open311Error::new(
            StatusCode::FORBIDDEN,
            "该 api_key 所属用户无权查看群众呼声（请使用组织管理员或部门办理人申请的令牌）",
        )),
        scope => Ok(Some(scope)),
    }
}

/// Whether a reader with `scope` may see a call's description and address.
async fn sees_details(app: &App, scope: Option<CallScope>, row: &CallRow) -> Result<bool> {
    let Some(scope) = scope else {
        return Ok(false);
    };
    match app.db.call_get(scope, row.id).await {
        Ok(_) => Ok(true),
        Err(store::StoreError::NotFound) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Item names by code for each district met, inactive items included (old calls keep their
/// item).
#[derive(Default)]
struct ItemNames(HashMap<i64, HashMap<String, String>>);

impl ItemNames {
    async fn of(&mut self, app: &App, root: i64) -> Result<&HashMap<String, String>> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.0.entry(root) {
            let names = app
                .db
                .call_items(root)
                .await?
                .into_iter()
                .map(|i| (i.code, i.name))
                .collect();
            slot.insert(names);
        }
        Ok(&self.0[&root])
    }
}

/// A call by its 查询码, in the named district if one is named. Codes that match nothing count
/// against the client as on the tracking page, so that the API is no quicker a way to guess a
/// day's codes.
async fn call_by_code(
    app: &App,
    district: Option<i64>,
    code: &str,
    client: ClientIp,
) -> Result<Option<CallRow>> {
    let client = client.to_string();
    app.code_lookups_allowed(&client)
        .map_err(|e| Open311Error::new(StatusCode::TOO_MANY_REQUESTS, e.to_string()))?;
    let found = match domain::calls::check_tracking_code(code) {
        Err(_) => None,
        Ok(code) => match app.db.call_by_tracking_code(&code).await {
            Ok(row) if district.is_none_or(|root| row.root_org_id == root) => Some(row),
            Ok(_) | Err(store::StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
    };
    if found.is_none() {
        app.code_lookup_missed(&client);
    }
    Ok(found)
}

/// RFC 3339; a `+` of the offset that arrived unencoded (as a space) is put back.
fn parse_date(params: &Params, name: &str) -> Result<Option<DateTime<Utc>>> {
    let Some(text) = param(params, name) else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_rfc3339(&text.replace(' ', "+")))
        .map(|d| Some(d.with_timezone(&Utc)))
        .map_err(|_| {
            Open311Error::bad_request(format!(
                "{name}「{text}」不是有效时间，应为 RFC 3339 格式，如 2026-03-01T00:00:00+08:00"
            ))
        })
}

fn list_of(params: &Params, name: &str) -> Vec<String> {
    param(params, name)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

async fn requests_list(
    State(app): State<App>,
    client: ClientIp,
    query: std::result::Result<Query<Params>, QueryRejection>,
) -> Result<Json<Vec<ServiceRequest>>> {
    let params = params(query)?;
    let district = jurisdiction(&app, &params).await?;
    let scope = key_scope(&app, &params).await?;
    // Each row with whether the reader sees its details.
    let mut rows: Vec<(CallRow, bool)> = Vec::new();
    let ids = list_of(&params, "service_request_id");
    if !ids.is_empty() {
        // The spec: service_request_id overrides all other arguments.
        for id in ids.iter().take(MAX_REQUESTS) {
            if let Some(row) = call_by_code(&app, district, id, client).await?
                && !rows.iter().any(|(r, _)| r.id == row.id)
            {
                let details = sees_details(&app, scope, &row).await?;
                rows.push((row, details));
            }
        }
    } else {
        let codes: HashSet<String> = list_of(&params, "service_code").into_iter().collect();
        let mut want_open = false;
        let mut want_closed = false;
        for status in list_of(&params, "status") {
            match status.to_ascii_lowercase().as_str() {
                "open" => want_open = true,
                "closed" => want_closed = true,
                other => {
                    return Err(Open311Error::bad_request(format!(
                        "status「{other}」无效，应为 open 或 closed"
                    )));
                }
            }
        }
        if !want_open && !want_closed {
            (want_open, want_closed) = (true, true);
        }
        let start = parse_date(&params, "start_date")?;
        let end = parse_date(&params, "end_date")?;
        let end_at = end.unwrap_or_else(Utc::now);
        let start_at = start.unwrap_or(end_at - Duration::days(DEFAULT_DAYS));
        if start_at > end_at {
            return Err(Open311Error::bad_request("start_date 不能晚于 end_date"));
        }
        // Without a key the list omits every request: their ids are the residents' 查询码.
        let scope = scope.unwrap_or(CallScope::Nothing);
        let open_only = want_open && !want_closed;
        let mut offset = 0;
        'pages: loop {
            if scope == CallScope::Nothing {
                break;
            }
            let page = app.db.calls_list(scope, open_only, PAGE, offset).await?;
            let fetched = page.len();
            // Newest first: once past the window's start, older pages cannot match.
            let mut past_start = false;
            for row in page {
                if row.submitted_at < start_at {
                    past_start = true;
                    continue;
                }
                let closed = is_closed(&row);
                if row.submitted_at > end_at
                    || district.is_some_and(|root| row.root_org_id != root)
                    || (closed && !want_closed)
                    || (!closed && !want_open)
                    || (!codes.is_empty() && !codes.contains(&row.item_code))
                {
                    continue;
                }
                rows.push((row, true));
                if rows.len() >= MAX_REQUESTS {
                    break 'pages;
                }
            }
            if past_start || fetched < PAGE as usize {
                break;
            }
            offset += PAGE;
        }
    }
    let mut names = ItemNames::default();
    let mut out = Vec::with_capacity(rows.len());
    for (row, details) in rows {
        out.push(service_request(&app, &mut names, row, details).await?);
    }
    Ok(Json(out))
}

async fn request_one(
    State(app): State<App>,
    client: ClientIp,
    Path(file): Path<String>,
    query: std::result::Result<Query<Params>, QueryRejection>,
) -> Result<Json<Vec<ServiceRequest>>> {
    let code = json_name(&file)?;
    let params = params(query)?;
    let district = jurisdiction(&app, &params).await?;
    let scope = key_scope(&app, &params).await?;
    let row = call_by_code(&app, district, code, client)
        .await?
        .ok_or_else(|| Open311Error::not_found(format!("没有查询码为「{code}」的呼声，请核对")))?;
    let details = sees_details(&app, scope, &row).await?;
    Ok(Json(vec![
        service_request(&app, &mut ItemNames::default(), row, details).await?,
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_join_by_script() {
        assert_eq!(resident_name("三", "张"), "张三");
        assert_eq!(resident_name("Ann", "Lee"), "Ann Lee");
        assert_eq!(resident_name("", "Lee"), "Lee");
        assert_eq!(resident_name(" ", " "), "");
    }

    #[test]
    fn only_json_is_served() {
        assert_eq!(json_name("C01-01.json").unwrap(), "C01-01");
        assert_eq!(
            json_name("C01-01.xml").unwrap_err().status,
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn times_are_in_china() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(datetime(at), "2026-03-01T10:00:00+08:00");
    }
}
