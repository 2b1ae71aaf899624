//! What every page module shares: rendering, form helpers, uploads and downloads.

use askama::Template;
use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::error::PageError;
use app::AppError;

type PageResult = Result<Response, PageError>;

pub(crate) fn render(t: &impl Template) -> PageResult {
    Ok(Html(t.render()?).into_response())
}

/// A file a user uploaded earlier (a meeting attachment, a resident's photo), served to be shown
/// in the page. The type is the one sniffed at upload, and `nosniff` keeps a browser from
/// reading it as anything else; with a name, the browser offers that name when saving it.
pub(crate) fn stored_file(content_type: &str, file_name: Option<&str>, bytes: Vec<u8>) -> Response {
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type)
                    .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("private")),
        ],
        bytes,
    )
        .into_response();
    if let Some(name) = file_name {
        let inline = attachment(name, "attachment")
            .to_str()
            .map(|v| v.replacen("attachment", "inline", 1))
            .ok()
            .and_then(|v| HeaderValue::from_str(&v).ok())
            .unwrap_or_else(|| HeaderValue::from_static("inline"));
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, inline);
    }
    response
}

/// The first value of a field in a form read as pairs (forms with repeated or per-row fields),
/// or "" when it is missing.
pub(crate) fn form_field<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

/// A form page comes back with 400 when it carries an error, so that scripts and tests see
/// the refusal without reading the page.
/// A number typed in a form field or a query: `None` when left empty, a Chinese refusal naming
/// the field when it is not a number.
pub(crate) fn optional_number<T: std::str::FromStr>(
    text: &str,
    what: &str,
) -> Result<Option<T>, app::AppError> {
    match text.trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| {
            app::AppError::Invalid(format!("{what}「{}」无效", domain::text::echo(t)))
        }),
    }
}

pub(crate) fn form_status(error: &str) -> StatusCode {
    if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// A multipart upload that could not be read, as the user is told: beyond the route's body
/// `limit` it is 413, otherwise a broken upload (the library's English reason goes to the log).
pub(crate) fn upload_error(e: MultipartError, limit: usize) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(format!(
            "上传的内容超过了 {} 的上限，未能处理。请压缩图片或拆分文件后重试",
            app::tabular::mb(limit as u64)
        ))
    } else {
        tracing::info!(error = %e, "upload refused");
        AppError::Invalid("上传未完成或格式有误，请刷新页面后重试".into())
    }
}

/// Reads a one-file upload form sent to a route with body limit `limit`: its CSRF token and its
/// `file` field (name, bytes), if any.
pub(crate) async fn read_upload(
    mut multipart: Multipart,
    default_name: &str,
    limit: usize,
) -> Result<(String, Option<(String, Vec<u8>)>), PageError> {
    let mut csrf = String::new();
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| upload_error(e, limit))?
    {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|e| upload_error(e, limit))?,
            Some("file") => {
                let name = field.file_name().unwrap_or(default_name).to_string();
                let bytes = field.bytes().await.map_err(|e| upload_error(e, limit))?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    Ok((csrf, file))
}

pub(crate) fn render_status(status: StatusCode, t: &impl Template) -> PageResult {
    Ok((status, Html(t.render()?)).into_response())
}

pub(crate) fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// `Content-Disposition` for a download with a Chinese file name (RFC 6266 `filename*`).
pub(crate) fn attachment(file_name: &str, fallback: &str) -> HeaderValue {
    let encoded: String = file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

pub(crate) fn download(
    bytes: Vec<u8>,
    content_type: &'static str,
    file_name: &str,
    fallback: &str,
) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, attachment(file_name, fallback)),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A form that carries nothing but its CSRF token (a button that acts).
#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    pub(crate) csrf: String,
}
