//! Who is asking: the session cookie for pages (with a CSRF token per session), and either a
//! bearer token or the session for the API.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};

use crate::error::{ApiError, PageError};
use app::{Actor, App, AppError};

pub const SESSION_COOKIE: &str = "dj_session";
pub const LOGIN_CSRF_COOKIE: &str = "dj_login_csrf";

pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A cookie only the server reads, sent back on same-site navigation only, and only over
/// HTTPS when the instance is served over HTTPS (`--secure-cookies`).
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// A logged-in page visitor.
pub struct Session {
    pub actor: Actor,
    pub csrf: String,
    pub token: String,
    /// The database's generation when the request came in (`app::freshness`), read once for the
    /// session and the page.
    pub generation: u64,
}

impl Session {
    /// Every state-changing form carries the session's token; a forged cross-site form cannot.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), PageError> {
        if !submitted.is_empty() && constant_time_eq(submitted.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(PageError(AppError::Invalid(
                "表单已过期或来源不明，请刷新页面后重试".into(),
            )))
        }
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<App> for Session {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = cookie(parts, SESSION_COOKIE)
            .ok_or(PageError(AppError::Unauthenticated))?
            .to_string();
        let generation = app.changes.generation().await;
        let (actor, csrf) = app
            .session_actor_in(&token, generation)
            .await
            .map_err(PageError)?
            .ok_or(PageError(AppError::Unauthenticated))?;
        crate::request_log::note_user(parts, actor.user_id);
        Ok(Session {
            actor,
            csrf,
            token,
            generation,
        })
    }
}

/// An API caller: `Authorization: Bearer dj_…`, or a browser session that sends the session's
/// CSRF token in `X-CSRF-Token` on anything but GET.
pub struct ApiActor(pub Actor);

impl FromRequestParts<App> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or(ApiError(AppError::Unauthenticated))?;
            let actor = app
                .token_actor(token.trim())
                .await
                .map_err(ApiError)?
                .ok_or(ApiError(AppError::Unauthenticated))?;
            crate::request_log::note_user(parts, actor.user_id);
            return Ok(ApiActor(actor));
        }
        let token = cookie(parts, SESSION_COOKIE).ok_or(ApiError(AppError::Unauthenticated))?;
        let (actor, csrf) = app
            .session_actor(token)
            .await
            .map_err(ApiError)?
            .ok_or(ApiError(AppError::Unauthenticated))?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), csrf.as_bytes()) {
                return Err(ApiError(AppError::Forbidden));
            }
        }
        crate::request_log::note_user(parts, actor.user_id);
        Ok(ApiActor(actor))
    }
}
