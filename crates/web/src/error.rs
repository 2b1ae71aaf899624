//! Errors as the user meets them: a Chinese page for browsers, JSON for the API. Unexpected
//! errors get a request id that is also logged, so a user can quote it to whoever runs the
//! server. The framework's own refusals (a body over its limit, a malformed form, JSON, query
//! or path, an unknown route) are rewritten the same way by [`framework_rejections`].

use askama::Template;
use axum::Json;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

use app::tabular::mb;
use app::{AppError, RowError};

pub struct PageError(pub AppError);
pub struct ApiError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError(AppError::Invalid(format!("页面渲染失败：{e}")))
    }
}

pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Invalid(_) => StatusCode::BAD_REQUEST,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Throttled(_) | AppError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::ImportRejected(_) | AppError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::Store(inner) if inner.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message a user sees; internal errors are replaced by a reference to the log.
fn public_message(e: &AppError) -> (String, Option<String>) {
    match e {
        AppError::Store(inner) if inner.is_unavailable() => {
            let request_id = uuid::Uuid::now_v7().to_string();
            tracing::error!(%request_id, error = %inner, "database unavailable");
            (
                format!(
                    "数据库暂时无法连接，请稍后再试；如持续出现，请联系管理员并提供编号 {request_id}"
                ),
                Some(request_id),
            )
        }
        AppError::Store(inner) => {
            let request_id = uuid::Uuid::now_v7().to_string();
            tracing::error!(%request_id, error = %inner, "request failed");
            (
                format!("系统内部错误，请联系管理员并提供编号 {request_id}"),
                Some(request_id),
            )
        }
        other => (other.to_string(), None),
    }
}

/// A refusal the user can correct on the page they came from gives its message, to show there
/// beside the form; anything else becomes the error page.
pub fn correctable(e: AppError) -> Result<String, PageError> {
    match e {
        AppError::Invalid(m) | AppError::Refused(m) | AppError::Conflict(m) => Ok(m),
        other => Err(PageError(other)),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    title: &'static str,
    message: String,
    rows: Vec<RowError>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.0, AppError::Unauthenticated) {
            return Redirect::to("/login").into_response();
        }
        let status = status_of(&self.0);
        let (message, _) = public_message(&self.0);
        let rows = match self.0 {
            AppError::ImportRejected(rows) => rows,
            _ => vec![],
        };
        error_page(status, message, rows)
    }
}

/// The Chinese error page.
fn error_page(status: StatusCode, message: String, rows: Vec<RowError>) -> Response {
    let title = match status {
        StatusCode::FORBIDDEN => "无权访问",
        StatusCode::NOT_FOUND => "未找到",
        StatusCode::PAYLOAD_TOO_LARGE => "内容过大",
        StatusCode::INTERNAL_SERVER_ERROR => "系统错误",
        StatusCode::SERVICE_UNAVAILABLE => "暂时无法访问",
        _ => "操作未完成",
    };
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        message,
        rows,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            page.message,
        )
            .into_response(),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    /// A Chinese message for the person using the client.
    pub error: String,
    /// Row-level problems of a rejected import.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<RowError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let (error, request_id) = public_message(&self.0);
        let rows = match self.0 {
            AppError::ImportRejected(rows) => rows,
            _ => vec![],
        };
        (
            status,
            Json(ApiErrorBody {
                error,
                rows,
                request_id,
            }),
        )
            .into_response()
    }
}

/// The body limit a route was given ([`crate::body_limit`]), carried on its responses so that a
/// refusal can say how much is allowed.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Rewrites axum's own refusals, which are English `text/plain` (or empty), into the app's
/// Chinese error page, or for `/api/*` the documented [`ApiErrorBody`] (Open311 keeps its own
/// `[{code, description}]` shape). The status code stays as axum chose it. Handlers never
/// answer an error in plain text themselves, so a plain or empty 4xx can only come from there.
pub async fn framework_rejections(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let api = if path.starts_with("/api/") {
        Face::Api
    } else if path.starts_with("/open311/") {
        Face::Open311
    } else {
        Face::Page
    };
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !status.is_client_error() || !plain {
        return response;
    }
    let limit = response
        .extensions()
        .get::<BodyLimit>()
        .map_or(crate::FORM_BODY_LIMIT, |l| l.0);
    let allow = response.headers().get(header::ALLOW).cloned();
    // axum's explanations are a line or two; anything longer is not one of them.
    let detail = axum::body::to_bytes(response.into_body(), 16 * 1024)
        .await
        .unwrap_or_default();
    let message = rejection_message(status, &String::from_utf8_lossy(&detail), api, limit);
    let mut out = match api {
        Face::Api => (
            status,
            Json(ApiErrorBody {
                error: message,
                rows: vec![],
                request_id: None,
            }),
        )
            .into_response(),
        Face::Open311 => (
            status,
            Json(serde_json::json!([{ "code": status.as_u16(), "description": message }])),
        )
            .into_response(),
        Face::Page => error_page(status, message, vec![]),
    };
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}

/// Who reads an error: a person at a page, or a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Face {
    Page,
    Api,
    Open311,
}

/// A Chinese message for one of axum's refusals, from its status and English explanation. A
/// program (API) is told which field is wrong, by the name it sent; a person is told what to do.
fn rejection_message(status: StatusCode, detail: &str, face: Face, limit: usize) -> String {
    let program = face != Face::Page;
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            let advice = if program {
                "请减小请求体"
            } else {
                "请删减内容（图片请压缩，名单请分批导入）后重试"
            };
            format!(
                "提交的内容超过了 {} 的上限，未能处理。{advice}",
                mb(limit as u64)
            )
        }
        StatusCode::NOT_FOUND => {
            if program {
                "接口不存在，请核对网址（接口说明见 /api/docs/）".into()
            } else {
                "页面不存在，请从导航菜单进入".into()
            }
        }
        StatusCode::METHOD_NOT_ALLOWED => "此网址不支持这种请求方式".into(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            if program {
                "请求体的类型不对：请以 JSON 提交，并设置 Content-Type: application/json".into()
            } else {
                "提交方式不对，请从页面上的表单提交".into()
            }
        }
        _ if detail.contains("query string")
            || detail.starts_with("Failed to deserialize form:") =>
        {
            if program {
                format!("查询参数有误{}", field_hint(detail))
            } else {
                "网址中的参数有误（例如编号应为数字、日期应写成 2026-01-01），请从页面上的链接进入"
                    .into()
            }
        }
        _ if detail.starts_with("Invalid URL") || detail.contains("path argument") => {
            "网址有误：其中的编号应为数字".into()
        }
        _ if detail.contains("as JSON") => "请求体不是有效的 JSON".into(),
        _ if detail.contains("JSON") => format!("请求数据与接口说明不符{}", field_hint(detail)),
        _ if detail.contains("form body") || detail.contains("Form requests") => {
            if program {
                format!("表单数据有误{}", field_hint(detail))
            } else {
                "表单内容不完整或格式有误，请刷新页面后重新填写".into()
            }
        }
        _ if detail.contains("multipart") => "上传的表单格式有误，请刷新页面后重试".into(),
        _ => "请求无效，请检查后重试".into(),
    }
}

/// Which field serde objected to, in the words of an API caller.
fn field_hint(detail: &str) -> String {
    let between = |start: &str| {
        let from = detail.find(start)? + start.len();
        let len = detail[from..].find('`')?;
        Some(&detail[from..from + len])
    };
    if let Some(field) = between("missing field `") {
        return format!("：缺少字段「{field}」");
    }
    if let Some(field) = between("unknown field `") {
        return format!("：不认识的字段「{field}」");
    }
    // serde_path_to_error puts the path first: "…: present[0]: invalid type: …".
    let path = detail
        .split(": ")
        .nth(1)
        .filter(|p| !p.is_empty() && *p != "." && !p.contains(' '));
    match path {
        Some(path) => format!("：字段「{path}」的值类型或格式不对"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database that cannot be reached (here a port nothing listens on, as a Citus worker or
    /// a PostgreSQL server that is down) gives a Chinese "try again later" page with 503, fast,
    /// not an internal error and not a hang.
    #[tokio::test]
    async fn an_unreachable_database_is_said_to_be_unavailable() {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(std::time::Duration::from_secs(3))
            .connect_lazy("postgres://postgres@127.0.0.1:9/nowhere")
            .unwrap();
        let started = std::time::Instant::now();
        let failed = store::Db::Postgres(pool).org_root_ids().await.unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(failed.is_unavailable(), "{failed:?}");
        let page = PageError(AppError::from(failed)).into_response();
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(page.into_body(), 1 << 20)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains("数据库暂时无法连接"), "{body}");
        let refused = store::StoreError::Invalid("x".into());
        assert!(!refused.is_unavailable());
    }
    use axum::extract::{FromRequest, FromRequestParts, Json as JsonX, Query};
    use axum::http::Request as HttpRequest;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Input {
        org_id: i64,
        name: String,
    }

    /// The messages are built from axum's own wording, so they are checked against it.
    #[tokio::test]
    async fn axum_s_refusals_get_chinese_messages() {
        let json = |body: &'static str, content_type: &'static str| {
            HttpRequest::post("/api/v1/x")
                .header(header::CONTENT_TYPE, content_type)
                .body(axum::body::Body::from(body))
                .unwrap()
        };
        let refusal = |r: axum::extract::rejection::JsonRejection| (r.status(), r.body_text());

        let (status, text) = refusal(
            JsonX::<Input>::from_request(json("{", "application/json"), &())
                .await
                .unwrap_err(),
        );
        assert_eq!(
            rejection_message(status, &text, Face::Api, 0),
            "请求体不是有效的 JSON"
        );
        let (status, text) = refusal(
            JsonX::<Input>::from_request(json(r#"{"org_id": 1}"#, "application/json"), &())
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            rejection_message(status, &text, Face::Api, 0),
            "请求数据与接口说明不符：缺少字段「name」"
        );
        let (status, text) = refusal(
            JsonX::<Input>::from_request(
                json(r#"{"org_id": "x", "name": ""}"#, "application/json"),
                &(),
            )
            .await
            .unwrap_err(),
        );
        assert!(
            rejection_message(status, &text, Face::Api, 0).contains("「org_id」"),
            "{text}"
        );
        let (status, text) = refusal(
            JsonX::<Input>::from_request(json("{}", "text/plain"), &())
                .await
                .unwrap_err(),
        );
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(rejection_message(status, &text, Face::Api, 0).contains("application/json"));

        let (mut parts, ()) = HttpRequest::get("/members?org_id=abc")
            .body(())
            .unwrap()
            .into_parts();
        let r = Query::<Input>::from_request_parts(&mut parts, &())
            .await
            .unwrap_err();
        let page = rejection_message(r.status(), &r.body_text(), Face::Page, 0);
        assert!(page.contains("网址中的参数有误"), "{page}");
        assert!(!page.contains("org_id"), "pages name no fields");

        let form = HttpRequest::post("/members")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from("org_id=1"))
            .unwrap();
        let r = axum::Form::<Input>::from_request(form, &())
            .await
            .unwrap_err();
        assert_eq!(
            rejection_message(r.status(), &r.body_text(), Face::Page, 0),
            "表单内容不完整或格式有误，请刷新页面后重新填写"
        );
        assert!(
            rejection_message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Failed to buffer the request body: length limit exceeded",
                Face::Page,
                256 * 1024
            )
            .contains("256 KB")
        );
    }
}
