//! Pages drawn from the roll-ups, served again while the database has not changed
//! (`app::freshness`): a dashboard costs a few dozen statements to draw and one to serve again.

use std::future::Future;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::auth::Session;
use crate::error::{ApiError, PageError};
use app::{Actor, App};

/// The page at `address` for this session: the one kept, if nothing was committed since it was
/// drawn and it is recent, or a freshly drawn one. The key holds the session, so a page (with
/// its CSRF token and its user's scope) is only ever served back to the session it was drawn
/// for.
pub(crate) async fn kept_page<F, Fut>(
    app: &App,
    session: &Session,
    address: &str,
    draw: F,
) -> Result<Response, PageError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, PageError>>,
{
    let who = format!("{}\u{1f}{}", session.actor.user_id, session.csrf);
    kept(app, session.generation, &who, address, HTML, draw).await
}

/// An API answer at `address` for this user, kept as [`kept_page`] keeps a page. It carries no
/// session token, so one user's sessions and tokens share it.
pub(crate) async fn kept_json<F, Fut>(
    app: &App,
    actor: &Actor,
    address: &str,
    draw: F,
) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, ApiError>>,
{
    let who = format!("{}\u{1f}api", actor.user_id);
    // Read before drawing: a write committed while the page is drawn moves the generation past
    // the one the page is kept under.
    let generation = app.changes.generation().await;
    kept(app, generation, &who, address, JSON, draw).await
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

/// The key also holds the day, so that a page counting "today" is drawn again after midnight.
async fn kept<F, Fut, E>(
    app: &App,
    generation: u64,
    who: &str,
    address: &str,
    content_type: &'static str,
    draw: F,
) -> Result<Response, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, E>>,
{
    let key = format!("{who}\u{1f}{}\u{1f}{address}", app::members::today());
    let page = match app.pages.get(&key, generation) {
        Some(page) => page,
        None => app.pages.put(key, generation, draw().await?),
    };
    Ok(body(page, content_type))
}

/// The kept page as a body, without copying it.
fn body(page: Arc<String>, content_type: &'static str) -> Response {
    struct Shared(Arc<String>);
    impl AsRef<[u8]> for Shared {
        fn as_ref(&self) -> &[u8] {
            self.0.as_bytes()
        }
    }
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        Body::from(Bytes::from_owner(Shared(page))),
    )
        .into_response()
}
