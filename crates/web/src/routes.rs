//! The route table. Every route the server answers is declared once, in a table that both builds
//! the router and lists the routes, so that the suite can walk every route (scope by role, CSRF)
//! and a route added without a case there fails the suite instead of going untested.

use axum::routing::MethodFilter;

/// Who reaches a route at all, before any scope check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Anyone: static files, the login form, the residents' call form and tracking page.
    Public,
    /// A logged-in browser session; a state-changing request also needs the form's CSRF token.
    Session,
    /// A bearer token, or a browser session with the `X-CSRF-Token` header.
    Api,
    /// Open311: readable without a key, with a key for details and for posting.
    Open311,
}

/// One path of the router with the methods it answers.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub path: &'static str,
    /// Upper-case HTTP method names.
    pub methods: &'static [&'static str],
    pub reach: Reach,
}

impl Route {
    /// Whether `method` changes state, so that a browser session needs a CSRF token for it.
    pub fn changes_state(method: &str) -> bool {
        !matches!(method, "GET" | "HEAD" | "OPTIONS")
    }
}

/// Maps the method names used in the tables to axum's filters.
pub(crate) const fn method_filter(method: &str) -> MethodFilter {
    match method.as_bytes() {
        b"GET" => MethodFilter::GET,
        b"POST" => MethodFilter::POST,
        b"PUT" => MethodFilter::PUT,
        b"DELETE" => MethodFilter::DELETE,
        b"PATCH" => MethodFilter::PATCH,
        _ => panic!("a route table names a method it does not know"),
    }
}

/// Declares a route table: a `const` listing the routes and a function building their router.
///
/// ```text
/// route_table! { pub ROUTES, fn router;
///     "/path", Session => GET(handler).POST(other);
///     "/upload", Session => POST(upload), limit BYTES;
/// }
/// ```
macro_rules! route_table {
    (
        $vis:vis $routes:ident, fn $router:ident;
        $( $path:literal, $reach:ident => $( $method:ident ( $handler:expr ) ).+ $(, limit $limit:expr)? ; )*
    ) => {
        $vis const $routes: &[$crate::routes::Route] = &[$(
            $crate::routes::Route {
                path: $path,
                methods: &[$(stringify!($method)),+],
                reach: $crate::routes::Reach::$reach,
            }
        ),*];

        fn $router() -> axum::Router<app::App> {
            let router = axum::Router::new();
            $(
                let route = axum::routing::MethodRouter::new()
                    $( .on(const { $crate::routes::method_filter(stringify!($method)) }, $handler) )+;
                $( let route = $crate::limited(route, $limit); )?
                let router = router.route($path, route);
            )*
            router
        }
    };
}

pub(crate) use route_table;

/// Every route of the server, pages, API and Open311 together (Swagger UI's own files under
/// `/api/docs/` and `/api/openapi.json` aside: they are public and read-only).
pub fn all() -> impl Iterator<Item = &'static Route> {
    crate::ROUTES
        .iter()
        .chain(crate::api::ROUTES)
        .chain(crate::open311::ROUTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_is_declared_once_with_known_methods() {
        let mut seen = std::collections::HashSet::new();
        for route in all() {
            assert!(seen.insert(route.path), "{} declared twice", route.path);
            assert!(!route.methods.is_empty());
            for method in route.methods {
                method_filter(method);
            }
        }
        assert!(seen.contains("/login") && seen.contains("/api/v1/me"));
    }
}
