//! Logging in and out.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::{
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, Session, constant_time_eq, cookie, set_cookie,
};
use crate::client::ClientIp;
use crate::error::PageError;
use crate::pages::{render, render_status};
use app::{App, AppError};

type PageResult = Result<Response, PageError>;

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    csrf: String,
    error: String,
    username: String,
}

pub async fn login_form(State(app): State<App>) -> PageResult {
    let csrf = app::auth::random_token();
    let page = LoginPage {
        csrf: csrf.clone(),
        error: String::new(),
        username: String::new(),
    };
    let mut response = render(&page)?;
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        LOGIN_CSRF_COOKIE,
        &csrf,
        3600,
        app.secure_cookies,
    )) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

pub async fn login_submit(
    State(app): State<App>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> PageResult {
    let mut parts = axum::http::Request::new(()).into_parts().0;
    parts.headers = headers;
    let expected = cookie(&parts, LOGIN_CSRF_COOKIE).unwrap_or("");
    let retry = |status: StatusCode, error: String| -> PageResult {
        // An oversized name is not worth echoing back.
        let username = if form.username.len() <= app::auth::MAX_USERNAME_BYTES {
            form.username.clone()
        } else {
            String::new()
        };
        let page = LoginPage {
            csrf: expected.to_string(),
            error,
            username,
        };
        render_status(status, &page)
    };
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return retry(
            StatusCode::BAD_REQUEST,
            "登录页面已过期，请刷新后重新登录".into(),
        );
    }
    match app.login(&form.username, &form.password, client).await {
        Ok((_, session)) => {
            let mut response = Redirect::to("/").into_response();
            let max_age = app::auth::SESSION_HOURS * 3600;
            if let Ok(v) = HeaderValue::from_str(&set_cookie(
                SESSION_COOKIE,
                &session.token,
                max_age,
                app.secure_cookies,
            )) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(e @ (AppError::Invalid(_) | AppError::Throttled(_))) => {
            let status = crate::error::status_of(&e);
            retry(status, e.to_string())
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(app): State<App>,
    session: Session,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    session.check_csrf(&form.csrf)?;
    app.logout(&session.token).await?;
    let mut response = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0, app.secure_cookies)) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}
