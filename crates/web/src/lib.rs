//! The web face of dangjian: server-rendered Chinese pages (askama + htmx), the JSON API under
//! `/api/v1` with its OpenAPI document, sessions and CSRF.
//!
//! Handlers stay thin: extract, call one `app` use case, render. Scope checks live in `app` and
//! in the store's SQL, never here.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use routes::route_table;

pub mod admission;
pub mod api;
pub mod appraisal;
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
pub(crate) mod kept;
pub mod login;
pub mod lost_contact;
pub mod me;
pub mod meetings;
pub mod members;
pub mod open311;
pub mod orglife;
pub mod orglife_rules;
pub mod orgs;
pub mod pages;
pub mod points;
pub mod reports;
pub mod request_log;
pub mod restrictions;
pub mod routes;
pub mod service;
pub mod territory;
pub mod transfers;
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

route_table! { pub ROUTES, fn page_router;
    "/healthz", Public => GET(healthz);
    "/static/htmx.min.js", Public => GET(htmx_js);
    "/static/app.js", Public => GET(app_js);
    "/static/app.css", Public => GET(app_css);
    "/static/dashboard.js", Public => GET(dashboard_js);
    "/static/vendor/echarts.min.js", Public => GET(echarts_js);
    "/favicon.ico", Public => GET(favicon);
    "/login", Public => GET(login::login_form).POST(login::login_submit);
    "/logout", Session => POST(login::logout);
    "/", Session => GET(dashboard::dashboard);
    "/dashboard/export", Session => GET(dashboard::dashboard_export);
    "/reports", Session => GET(reports::reports).POST(reports::report_make);
    "/reports/{id}", Session => GET(reports::report);
    "/reports/{id}/xlsx", Session => GET(reports::report_xlsx);
    "/orgs", Session => GET(orgs::orgs_root).POST(orgs::org_create);
    "/orgs/{id}", Session => GET(orgs::org_page).POST(orgs::org_update);
    "/orgs/{id}/concurrent", Session => POST(orgs::concurrent_add);
    "/territory", Session => GET(territory::territory_root).POST(territory::territory_create);
    "/territory/{id}", Session => GET(territory::territory_page);
    "/members", Session => GET(members::members).POST(members::member_create);
    "/members/new", Session => GET(members::member_new);
    "/members/quality", Session => GET(members::member_quality);
    "/members/import", Session => GET(import_export::import_page).POST(import_export::import_submit),
        limit IMPORT_BODY_LIMIT;
    "/members/template.xlsx", Session => GET(import_export::template_download);
    "/members/export", Session => GET(import_export::export_download);
    "/members/{id}", Session => GET(members::member_page).POST(members::member_update);
    "/members/{id}/edit", Session => GET(members::member_edit);
    "/members/{id}/dues/base", Session => POST(dues::dues_base);
    "/members/{id}/dues/payments", Session => POST(dues::dues_payment);
    "/members/{id}/dues/waivers", Session => POST(dues::dues_waiver);
    "/members/{id}/restrictions", Session => POST(restrictions::restriction_create);
    "/members/{id}/restrictions/{restriction}/end", Session => POST(restrictions::restriction_end);
    "/admission", Session => GET(admission::applicants).POST(admission::applicant_create);
    "/admission/new", Session => GET(admission::applicant_new);
    "/admission/plan", Session => GET(admission::plan).POST(admission::plan_save);
    "/admission/grants", Session => POST(admission::grant_save);
    "/admission/{id}", Session => GET(admission::applicant_page);
    "/admission/{id}/steps", Session => POST(admission::applicant_step);
    "/transfers", Session => GET(transfers::transfers).POST(transfers::transfer_create);
    "/transfers/new", Session => GET(transfers::transfer_new);
    "/transfers/{id}", Session => GET(transfers::transfer_page);
    "/transfers/{id}/steps", Session => POST(transfers::transfer_step);
    "/lost-contact", Session => GET(lost_contact::campaigns).POST(lost_contact::campaign_create);
    "/lost-contact/{id}", Session => GET(lost_contact::campaign_page);
    "/lost-contact/cases/{id}", Session => GET(lost_contact::case_page);
    "/lost-contact/cases/{id}/attempts", Session => POST(lost_contact::attempt_create);
    "/lost-contact/cases/{id}/decisions", Session => POST(lost_contact::decision_create);
    "/birthdays", Session => GET(birthdays::birthdays);
    "/points", Session => GET(points::points);
    "/points/export", Session => GET(points::export);
    "/points/registers", Session => POST(points::confirm_month);
    "/points/entries", Session => POST(points::add_entry);
    "/points/entries/{id}/reverse", Session => POST(points::reverse_entry);
    "/points/members/{id}", Session => GET(points::member);
    "/points/schemes", Session => GET(points::scheme).POST(points::scheme_save);
    "/points/appraisal", Session => GET(appraisal::appraisal).POST(appraisal::open);
    "/points/appraisal/{id}/close", Session => POST(appraisal::close);
    "/points/appraisal/{id}/organisation", Session => POST(appraisal::organisation);
    "/points/appraisal/{id}/masses", Session => POST(appraisal::masses);
    "/points/appraisal/{id}/self", Session => POST(appraisal::self_review);
    "/points/appraisal/{id}/peers", Session => POST(appraisal::peers);
    "/points/reviews", Session => POST(appraisal::decide);
    "/points/publications", Session => POST(appraisal::publish);
    "/points/publications/{id}", Session => GET(appraisal::publication);
    "/service", Session => GET(service::home);
    "/service/registrations", Session => GET(service::registrations).POST(service::register);
    "/service/registrations/{id}/confirm", Session => POST(service::confirm_registration);
    "/service/registrations/{id}/report", Session => POST(service::report);
    "/service/registrations/{id}/end", Session => POST(service::end_registration);
    "/service/registrations/{id}/feedback", Session => POST(service::feedback);
    "/service/needs", Session => POST(service::post_need);
    "/service/needs/{id}", Session => GET(service::need);
    "/service/needs/{id}/claims", Session => POST(service::claim);
    "/service/needs/{id}/close", Session => POST(service::close_need);
    "/service/claims/{id}/checkin", Session => POST(service::check_in);
    "/service/claims/{id}/checkout", Session => POST(service::check_out);
    "/service/claims/{id}/withdraw", Session => POST(service::withdraw);
    "/service/claims/{id}/confirm", Session => POST(service::confirm);
    "/service/wishes", Session => GET(service::wishes).POST(service::post_wish);
    "/service/wishes/{id}/{step}", Session => POST(service::wish_step);
    "/service/figures", Session => GET(service::figures);
    "/service/figures/export", Session => GET(service::figures_export);
    "/service/certificate", Session => GET(service::certificate);
    "/service/rules", Session => GET(service::rules).POST(service::rules_save);
    "/birthdays/export.xlsx", Session => GET(birthdays::birthdays_export);
    "/orglife", Session => GET(orglife::orglife);
    "/orglife/new", Session => GET(meetings::meeting_new);
    "/orglife/export", Session => GET(orglife::orglife_export);
    "/orglife/meetings", Session => POST(meetings::meeting_create), limit MEETING_BODY_LIMIT;
    "/orglife/meetings/{id}", Session => GET(meetings::meeting_page).POST(meetings::meeting_amend),
        limit MEETING_BODY_LIMIT;
    "/orglife/meetings/{id}/edit", Session => GET(meetings::meeting_edit);
    "/orglife/meetings/{id}/votes", Session => POST(meetings::vote_create);
    "/orglife/meetings/{id}/attachments", Session => POST(meetings::attachment_upload),
        limit ATTACHMENT_BODY_LIMIT;
    "/orglife/meetings/{id}/signin", Session => POST(me::sign_in);
    "/orglife/attachments/{id}", Session => GET(meetings::attachment_download);
    "/orglife/rules", Session => GET(orglife_rules::rules).POST(orglife_rules::rules_save);
    "/orglife/exemptions", Session => POST(orglife_rules::exemption_create);
    "/orglife/exemptions/{id}/delete", Session => POST(orglife_rules::exemption_delete);
    "/public/calls/new", Public => GET(calls::public_new);
    "/public/calls", Public => POST(calls::public_submit), limit CALL_BODY_LIMIT;
    "/public/calls/places", Public => GET(calls::public_places);
    "/public/calls/track", Public => GET(calls::public_track).POST(calls::public_track_check);
    "/public/calls/rate", Public => POST(calls::public_rate);
    "/calls", Session => GET(calls::calls).POST(calls::staff_submit), limit CALL_BODY_LIMIT;
    "/calls/export.xlsx", Session => GET(calls::calls_export);
    "/calls/new", Session => GET(calls::staff_new);
    "/calls/figures", Session => GET(calls::figures);
    "/calls/figures/export", Session => GET(calls::figures_export);
    "/calls/calendar", Session => GET(calls::calendar).POST(calls::calendar_save);
    "/calls/catalogue", Session => GET(calls::catalogue).POST(calls::catalogue_save);
    "/calls/photos/{id}", Session => GET(calls::call_photo);
    "/calls/{id}", Session => GET(calls::call);
    "/calls/{id}/act", Session => POST(calls::call_act);
    "/inbox", Session => GET(inbox::inbox);
    "/inbox/{id}/read", Session => POST(inbox::inbox_read);
    "/dues", Session => GET(dues::dues_notice);
    "/dues/export", Session => GET(dues::dues_notice_export);
    "/dues/year", Session => GET(dues::dues_year);
    "/dues/sheet", Session => POST(dues::dues_sheet);
    "/dues/items", Session => GET(dues::dues_items);
    "/dues/expenses", Session => POST(dues::dues_expense);
    "/me", Session => GET(me::me);
    "/users", Session => GET(users::users).POST(users::user_create);
    "/users/{id}/password", Session => POST(users::user_password);
    "/users/{id}/unlock", Session => POST(users::user_unlock);
    "/users/{id}/tokens", Session => GET(users::user_tokens);
    "/users/{id}/tokens/{token}/revoke", Session => POST(users::user_token_revoke);
    "/tokens", Session => GET(users::tokens).POST(users::token_create);
    "/tokens/{id}/revoke", Session => POST(users::token_revoke);
    "/audit", Session => GET(audit::audit);
    "/audit/export.xlsx", Session => GET(audit::audit_export);
}

pub fn router(app: App) -> Router {
    page_router()
        .merge(api::router())
        .merge(open311::router())
        .layer(DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(axum::middleware::from_fn(error::framework_rejections))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            headers::security_headers,
        ))
        .layer(axum::middleware::from_fn(request_log::log_requests))
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
