//! The web face of dangjian: server-rendered Chinese pages (askama + htmx), the JSON API under
//! `/api/v1` with its OpenAPI document, sessions and CSRF.
//!
//! Handlers stay thin: extract, call one `app` use case, render. Scope checks live in `app` and
//! in the store's SQL, never here.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub mod api;
pub mod auth;
pub mod calls_pages;
pub mod error;
pub mod open311;
pub mod orglife_pages;
pub mod pages;
pub mod view;

pub use app::App;

/// Uploads (imports) may be large spreadsheets; 64 MiB holds well over 100,000 member rows.
const MAX_UPLOAD: usize = 64 * 1024 * 1024;

pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/static/htmx.min.js", get(htmx_js))
        .route("/static/app.css", get(app_css))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/", get(pages::dashboard))
        .route("/orgs", get(pages::orgs_root).post(pages::org_create))
        .route("/orgs/{id}", get(pages::org_page).post(pages::org_update))
        .route("/orgs/{id}/concurrent", post(pages::concurrent_add))
        .route(
            "/territory",
            get(pages::territory_root).post(pages::territory_create),
        )
        .route("/territory/{id}", get(pages::territory_page))
        .route("/members", get(pages::members).post(pages::member_create))
        .route("/members/new", get(pages::member_new))
        .route(
            "/members/import",
            get(pages::import_page).post(pages::import_submit),
        )
        .route("/members/template.xlsx", get(pages::template_download))
        .route("/members/export", get(pages::export_download))
        .route(
            "/members/{id}",
            get(pages::member_page).post(pages::member_update),
        )
        .route("/members/{id}/edit", get(pages::member_edit))
        .route("/members/{id}/dues/base", post(pages::dues_base))
        .route("/members/{id}/dues/payments", post(pages::dues_payment))
        .route("/members/{id}/dues/waivers", post(pages::dues_waiver))
        .route("/birthdays", get(pages::birthdays))
        .route("/orglife", get(pages::orglife))
        .route("/orglife/new", get(pages::meeting_new))
        .route("/orglife/export", get(pages::orglife_export))
        .route("/orglife/meetings", post(pages::meeting_create))
        .route(
            "/orglife/meetings/{id}",
            get(pages::meeting_page).post(pages::meeting_amend),
        )
        .route("/orglife/meetings/{id}/edit", get(pages::meeting_edit))
        .route(
            "/orglife/meetings/{id}/votes",
            post(orglife_pages::vote_create),
        )
        .route(
            "/orglife/meetings/{id}/attachments",
            post(orglife_pages::attachment_upload),
        )
        .route(
            "/orglife/meetings/{id}/signin",
            post(orglife_pages::sign_in),
        )
        .route(
            "/orglife/attachments/{id}",
            get(orglife_pages::attachment_download),
        )
        .route(
            "/orglife/rules",
            get(orglife_pages::rules).post(orglife_pages::rules_save),
        )
        .route("/orglife/exemptions", post(orglife_pages::exemption_create))
        .route(
            "/orglife/exemptions/{id}/delete",
            post(orglife_pages::exemption_delete),
        )
        .route("/public/calls/new", get(calls_pages::public_new))
        .route("/public/calls", post(calls_pages::public_submit))
        .route("/public/calls/places", get(calls_pages::public_places))
        .route("/public/calls/track", get(calls_pages::public_track))
        .route("/public/calls/rate", post(calls_pages::public_rate))
        .route(
            "/calls",
            get(calls_pages::calls).post(calls_pages::staff_submit),
        )
        .route("/calls/new", get(calls_pages::staff_new))
        .route("/calls/figures", get(calls_pages::figures))
        .route("/calls/figures/export", get(calls_pages::figures_export))
        .route(
            "/calls/calendar",
            get(calls_pages::calendar).post(calls_pages::calendar_save),
        )
        .route(
            "/calls/catalogue",
            get(calls_pages::catalogue).post(calls_pages::catalogue_save),
        )
        .route("/calls/photos/{id}", get(calls_pages::call_photo))
        .route("/calls/{id}", get(calls_pages::call))
        .route("/calls/{id}/act", post(calls_pages::call_act))
        .route("/inbox", get(orglife_pages::inbox))
        .route("/inbox/{id}/read", post(orglife_pages::inbox_read))
        .route("/dues", get(pages::dues_notice))
        .route("/dues/export", get(pages::dues_notice_export))
        .route("/dues/year", get(pages::dues_year))
        .route("/dues/expenses", post(pages::dues_expense))
        .route("/me", get(orglife_pages::me))
        .route("/users", get(pages::users).post(pages::user_create))
        .route("/users/{id}/password", post(pages::user_password))
        .route("/tokens", get(pages::tokens).post(pages::token_create))
        .route("/audit", get(pages::audit))
        .merge(api::router())
        .merge(open311::router())
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
        .with_state(app)
}

async fn healthz() -> &'static str {
    "ok"
}

fn static_asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        body,
    )
        .into_response()
}

async fn htmx_js() -> Response {
    static_asset(
        include_str!("../static/htmx.min.js"),
        "application/javascript; charset=utf-8",
    )
}

async fn app_css() -> Response {
    static_asset(include_str!("../static/app.css"), "text/css; charset=utf-8")
}

/// Serves until Ctrl-C (or SIGTERM), finishing requests in flight.
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
