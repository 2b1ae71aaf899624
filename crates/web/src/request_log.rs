//! One log line per request for the operator: method, route, status, time taken and the login's
//! user id. No personal data: the route is the router's pattern (`/members/{id}`), never the
//! path with its query, so names searched for and codes looked up stay out of the log. Failures
//! are logged with their cause where they happen (`error::public_message`).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Where the login extractors leave the user id for the log line (0 while anonymous).
#[derive(Clone, Default)]
pub struct RequestUser(Arc<AtomicI64>);

impl RequestUser {
    pub fn set(&self, user_id: i64) {
        self.0.store(user_id, Ordering::Relaxed);
    }

    fn get(&self) -> Option<i64> {
        Some(self.0.load(Ordering::Relaxed)).filter(|id| *id != 0)
    }
}

/// Notes who made the request, for the log line (called by the login extractors).
pub(crate) fn note_user(parts: &axum::http::request::Parts, user_id: i64) {
    if let Some(slot) = parts.extensions.get::<RequestUser>() {
        slot.set(user_id);
    }
}

pub async fn log_requests(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "（无此路径）".to_string(), |p| p.as_str().to_string());
    let user = RequestUser::default();
    request.extensions_mut().insert(user.clone());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match user.get() {
        Some(user_id) => {
            tracing::info!(target: "dangjian::request", %method, %route, status, ms = format!("{ms:.1}"), user_id)
        }
        None => {
            tracing::info!(target: "dangjian::request", %method, %route, status, ms = format!("{ms:.1}"))
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use std::sync::Mutex;
    use tower::ServiceExt;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_request_is_logged_by_route_status_and_user_without_its_query() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let router: Router = Router::new()
            .route(
                "/members/{id}",
                get(|request: Request| async move {
                    let (parts, _) = request.into_parts();
                    note_user(&parts, 42);
                    "ok"
                }),
            )
            .layer(axum::middleware::from_fn(log_requests));
        let response = router
            .oneshot(
                Request::get("/members/7?q=%E5%BC%A0%E4%B8%89")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let line = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(line.contains("method=GET"), "{line}");
        assert!(line.contains("route=/members/{id}"), "{line}");
        assert!(
            line.contains("status=200") && line.contains("user_id=42"),
            "{line}"
        );
        assert!(
            !line.contains("q=") && !line.contains("/members/7"),
            "{line}"
        );
    }
}
