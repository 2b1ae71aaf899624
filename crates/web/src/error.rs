//! Errors as the user meets them: a Chinese page for browsers, JSON for the API. Unexpected
//! errors get a request id that is also logged, so a user can quote it to whoever runs the
//! server.

use askama::Template;
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

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
        AppError::ImportRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The message a user sees; internal errors are replaced by a reference to the log.
fn public_message(e: &AppError) -> (String, Option<String>) {
    match e {
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
        let title = match status {
            StatusCode::FORBIDDEN => "无权访问",
            StatusCode::NOT_FOUND => "未找到",
            StatusCode::INTERNAL_SERVER_ERROR => "系统错误",
            _ => "操作未完成",
        };
        let rows = match self.0 {
            AppError::ImportRejected(rows) => rows,
            _ => vec![],
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
