//! The web face of dangjian: server-rendered Chinese pages (askama + htmx), the JSON API under
//! `/api/v1` with its OpenAPI document, sessions and CSRF.
//!
//! Handlers stay thin: extract, call one `app` use case, render. Scope checks live in `app` and
//! in the store's SQL, never here.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};

pub mod api;
pub mod audit;
pub mod auth;
pub mod birthdays;
pub mod calls;
pub mod client;
pub mod dashboard;
pub mod dues;
pub mod error;
pub mod headers;
pub mod import_export;
pub mod inbox;
pub mod login;
pub mod me;
pub mod meetings;
pub mod members;
pub mod open311;
pub mod orglife;
pub mod orglife_rules;
pub mod orgs;
pub mod pages;
pub mod reports;
pub mod restrictions;
pub mod territory;
pub mod users;
pub mod view;

pub use app::App;

/// What an ordinary form or JSON body may carry. The longest field anywhere outside a meeting
/// record is a few thousand characters, and a Chinese character takes up to 9 bytes
/// percent-encoded.
pub const FORM_BODY_LIMIT: usize = 256 * 1024;
/// A meeting record: its minutes may run to 20,000 characters.
pub const MEETING_BODY_LIMIT: usize = 1024 * 1024;
/// Room for a multipart form's fields and boundaries around its files.
const FORM_SLACK: usize = 1024 * 1024;
/// The member import: the largest file an import reads.
pub const IMPORT_BODY_LIMIT: usize = app::tabular::LIMITS.file_bytes + FORM_SLACK;
/// One meeting attachment.
pub const ATTACHMENT_BODY_LIMIT: usize = app::meeting_extras::MAX_ATTACHMENT_BYTES + FORM_SLACK;
/// A resident's call with its photos.
pub const CALL_BODY_LIMIT: usize =
    app::calls::MAX_PHOTOS * app::calls::MAX_PHOTO_BYTES + FORM_SLACK;

/// A route that takes a larger body than [`FORM_BODY_LIMIT`]. The limit also travels on the
/// route's responses, so that a refusal can say how much was allowed.
fn limited(route: MethodRouter<App>, bytes: usize) -> MethodRouter<App> {
    route
        .layer::<_, std::convert::Infallible>(axum::middleware::map_response(
            move |mut response: Response| async move {
                response.extensions_mut().insert(error::BodyLimit(bytes));
                response
            },
        ))
        .layer(DefaultBodyLimit::max(bytes))
}

pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/static/htmx.min.js", get(htmx_js))
        .route("/static/app.js", get(app_js))
        .route("/static/app.css", get(app_css))
        .route("/static/dashboard.js", get(dashboard_js))
        .route("/static/vendor/echarts.min.js", get(echarts_js))
        .route("/favicon.ico", get(favicon))
        .route("/login", get(login::login_form).post(login::login_submit))
        .route("/logout", post(login::logout))
        .route("/", get(dashboard::dashboard))
        .route("/dashboard/export", get(dashboard::dashboard_export))
        .route("/reports", get(reports::reports).post(reports::report_make))
        .route("/reports/{id}", get(reports::report))
        .route("/reports/{id}/xlsx", get(reports::report_xlsx))
        .route("/orgs", get(orgs::orgs_root).post(orgs::org_create))
        .route("/orgs/{id}", get(orgs::org_page).post(orgs::org_update))
        .route("/orgs/{id}/concurrent", post(orgs::concurrent_add))
        .route(
            "/territory",
            get(territory::territory_root).post(territory::territory_create),
        )
        .route("/territory/{id}", get(territory::territory_page))
        .route(
            "/members",
            get(members::members).post(members::member_create),
        )
        .route("/members/new", get(members::member_new))
        .route("/members/quality", get(members::member_quality))
        .route(
            "/members/import",
            limited(
                get(import_export::import_page).post(import_export::import_submit),
                IMPORT_BODY_LIMIT,
            ),
        )
        .route(
            "/members/template.xlsx",
            get(import_export::template_download),
        )
        .route("/members/export", get(import_export::export_download))
        .route(
            "/members/{id}",
            get(members::member_page).post(members::member_update),
        )
        .route("/members/{id}/edit", get(members::member_edit))
        .route("/members/{id}/dues/base", post(dues::dues_base))
        .route("/members/{id}/dues/payments", post(dues::dues_payment))
        .route("/members/{id}/dues/waivers", post(dues::dues_waiver))
        .route(
            "/members/{id}/restrictions",
            post(restrictions::restriction_create),
        )
        .route(
            "/members/{id}/restrictions/{restriction}/end",
            post(restrictions::restriction_end),
        )
        .route("/birthdays", get(birthdays::birthdays))
        .route("/orglife", get(orglife::orglife))
        .route("/orglife/new", get(meetings::meeting_new))
        .route("/orglife/export", get(orglife::orglife_export))
        .route(
            "/orglife/meetings",
            limited(post(meetings::meeting_create), MEETING_BODY_LIMIT),
        )
        .route(
            "/orglife/meetings/{id}",
            limited(
                get(meetings::meeting_page).post(meetings::meeting_amend),
                MEETING_BODY_LIMIT,
            ),
        )
        .route("/orglife/meetings/{id}/edit", get(meetings::meeting_edit))
        .route("/orglife/meetings/{id}/votes", post(meetings::vote_create))
        .route(
            "/orglife/meetings/{id}/attachments",
            limited(post(meetings::attachment_upload), ATTACHMENT_BODY_LIMIT),
        )
        .route("/orglife/meetings/{id}/signin", post(me::sign_in))
        .route(
            "/orglife/attachments/{id}",
            get(meetings::attachment_download),
        )
        .route(
            "/orglife/rules",
            get(orglife_rules::rules).post(orglife_rules::rules_save),
        )
        .route("/orglife/exemptions", post(orglife_rules::exemption_create))
        .route(
            "/orglife/exemptions/{id}/delete",
            post(orglife_rules::exemption_delete),
        )
        .route("/public/calls/new", get(calls::public_new))
        .route(
            "/public/calls",
            limited(post(calls::public_submit), CALL_BODY_LIMIT),
        )
        .route("/public/calls/places", get(calls::public_places))
        .route(
            "/public/calls/track",
            get(calls::public_track).post(calls::public_track_check),
        )
        .route("/public/calls/rate", post(calls::public_rate))
        .route(
            "/calls",
            limited(get(calls::calls).post(calls::staff_submit), CALL_BODY_LIMIT),
        )
        .route("/calls/new", get(calls::staff_new))
        .route("/calls/figures", get(calls::figures))
        .route("/calls/figures/export", get(calls::figures_export))
        .route(
            "/calls/calendar",
            get(calls::calendar).post(calls::calendar_save),
        )
        .route(
            "/calls/catalogue",
            get(calls::catalogue).post(calls::catalogue_save),
        )
        .route("/calls/photos/{id}", get(calls::call_photo))
        .route("/calls/{id}", get(calls::call))
        .route("/calls/{id}/act", post(calls::call_act))
        .route("/inbox", get(inbox::inbox))
        .route("/inbox/{id}/read", post(inbox::inbox_read))
        .route("/dues", get(dues::dues_notice))
        .route("/dues/export", get(dues::dues_notice_export))
        .route("/dues/year", get(dues::dues_year))
        .route("/dues/items", get(dues::dues_items))
        .route("/dues/expenses", post(dues::dues_expense))
        .route("/me", get(me::me))
        .route("/users", get(users::users).post(users::user_create))
        .route("/users/{id}/password", post(users::user_password))
        .route("/users/{id}/unlock", post(users::user_unlock))
        .route("/users/{id}/tokens", get(users::user_tokens))
        .route(
            "/users/{id}/tokens/{token}/revoke",
            post(users::user_token_revoke),
        )
        .route("/tokens", get(users::tokens).post(users::token_create))
        .route("/tokens/{id}/revoke", post(users::token_revoke))
        .route("/audit", get(audit::audit))
        .merge(api::router())
        .merge(open311::router())
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(axum::middleware::from_fn(error::framework_rejections))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            headers::security_headers,
        ))
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

/// What the pages do in the browser beyond htmx, kept out of the HTML so that the
/// Content-Security-Policy can forbid inline script.
async fn app_js() -> Response {
    static_asset(
        include_str!("../static/app.js"),
        "application/javascript; charset=utf-8",
    )
}

async fn dashboard_js() -> Response {
    static_asset(
        include_str!("../static/dashboard.js"),
        "application/javascript; charset=utf-8",
    )
}

/// Apache ECharts 5.6.0, vendored (its licence and notice beside it in static/vendor): charts
/// load from this server, never from a CDN. Sent gzipped to browsers that accept it.
async fn echarts_js(headers: axum::http::HeaderMap) -> Response {
    static GZ: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    const JS: &str = include_str!("../static/vendor/echarts-5.6.0.min.js");
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    if !accepts_gzip {
        return static_asset(JS, "application/javascript; charset=utf-8");
    }
    let body = GZ.get_or_init(|| {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let _ = encoder.write_all(JS.as_bytes());
        encoder.finish().unwrap_or_default()
    });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/javascript; charset=utf-8"),
            ),
            (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
            (header::VARY, HeaderValue::from_static("Accept-Encoding")),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=604800, immutable"),
            ),
        ],
        body.as_slice(),
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=604800"),
            ),
        ],
        include_str!("../static/favicon.svg"),
    )
        .into_response()
}

async fn app_css() -> Response {
    static_asset(include_str!("../static/app.css"), "text/css; charset=utf-8")
}

/// Serves until Ctrl-C (or SIGTERM), finishing requests in flight.
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
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
