//! Headers every response carries: no type sniffing, no framing by other sites, a
//! Content-Security-Policy that allows no inline script, and HSTS when the instance is served
//! over HTTPS.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use app::App;

/// Pages load script only from `/static/` (htmx, app.js); the behaviour that used to sit in
/// inline `on…=` handlers lives in app.js. Inline styles stay allowed: the dashboard's bars are
/// sized by a `style` attribute, and htmx adds its own style element; styles cannot run code.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// Swagger UI under `/api/docs/` is compiled in and loads its scripts from there too; it needs
/// `data:` images (its icons) and fetches the OpenAPI document and the API from this origin.
/// Its "Try it out" sends requests with `fetch`, which `connect-src 'self'` keeps here.
pub const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// A year, the usual value; only sent when the operator said browsers come over HTTPS.
const HSTS: &str = "max-age=31536000";

pub async fn security_headers(State(app): State<App>, request: Request, next: Next) -> Response {
    let docs = request.uri().path().starts_with("/api/docs");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if docs { DOCS_CSP } else { PAGE_CSP }),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if app.secure_cookies {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}
