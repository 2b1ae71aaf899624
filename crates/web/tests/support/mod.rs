//! What the route tests share: a small generated district on each engine with a session and an
//! API token per demo login, and helpers to send pages, forms and API calls through the router.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use app::App;
use app::demo::DemoOptions;
use dangjian_web as web;
use store::{MemberFilter, Scope};

pub const PASSWORD: &str = "Test2026pass";
/// Where in-process requests come from (the router sees no socket).
pub const LOCAL: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

pub struct Fixture {
    pub app: App,
    pub router: Router,
    /// Bearer tokens per demo login.
    pub tokens: std::collections::HashMap<&'static str, String>,
    /// (cookie header, csrf) per demo login.
    pub sessions: std::collections::HashMap<&'static str, (String, String)>,
    pub own_member: i64,
    pub foreign_org: i64,
    pub foreign_branch: i64,
    pub foreign_member: i64,
    pub foreign_territory: i64,
    pub admin_user: i64,
    /// Last, so the database is removed after the app that uses it is gone.
    pub _db: store::testing::TestDb,
}

/// The district on every engine under test.
pub async fn fixtures() -> Vec<Fixture> {
    let template = demo_template().await;
    let mut out = vec![fixture_on(store::testing::test_sqlite_copy_of(template).await).await];
    if let Some(pg) = store::testing::test_postgres_copy_of(template).await {
        out.push(fixture_on(pg).await);
    }
    if let Some(citus) = store::testing::test_citus_copy_of(template).await {
        out.push(fixture_on(citus).await);
    }
    out
}

/// The district on SQLite only, for what the web layer does the same on any engine (a page's
/// markup, a header, a throttle): half the set-up of [`fixtures`].
pub async fn fixture() -> Fixture {
    fixture_on(store::testing::test_sqlite_copy_of(demo_template().await).await).await
}

/// The demo district, generated once per test binary and copied for each test
/// (`app::demo::testing`).
async fn demo_template() -> &'static std::path::Path {
    static TEMPLATE: tokio::sync::OnceCell<std::path::PathBuf> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let options = DemoOptions {
                members: 400,
                seed: 7,
                password: Some(PASSWORD.into()),
                ..Default::default()
            };
            app::demo::testing::demo_template(
                &options,
                std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
            )
            .await
        })
        .await
}

async fn fixture_on(db: store::testing::TestDb) -> Fixture {
    let app = App::new(db.db());
    let mut tokens = std::collections::HashMap::new();
    let mut sessions = std::collections::HashMap::new();
    for user in [
        "admin",
        "street_admin",
        "community_admin",
        "branch_secretary",
        "member",
    ] {
        let actor = app.actor_by_username(user).await.unwrap();
        tokens.insert(
            user,
            app.create_api_token(&actor, "test", 90).await.unwrap(),
        );
        let (_, session) = app.login(user, PASSWORD, LOCAL).await.unwrap();
        sessions.insert(
            user,
            (format!("dj_session={}", session.token), session.csrf_token),
        );
    }
    let admin = app.actor_by_username("admin").await.unwrap();
    let street_admin = app.actor_by_username("street_admin").await.unwrap();
    let whole = admin.scope();
    let streets = app.db.org_children(whole, admin.org_id).await.unwrap();
    let foreign_street = streets
        .iter()
        .find(|s| s.kind == "street_committee" && s.id != street_admin.org_id)
        .unwrap();
    let foreign_branch = app
        .db
        .org_list_kind(Scope::Subtree(foreign_street.id), "branch")
        .await
        .unwrap()[0]
        .id;
    let foreign_member = app
        .db
        .member_search(
            Scope::Subtree(foreign_street.id),
            &MemberFilter::default(),
            1,
            0,
        )
        .await
        .unwrap()[0]
        .id;
    let own_member = app
        .db
        .member_search(street_admin.scope(), &MemberFilter::default(), 1, 0)
        .await
        .unwrap()[0]
        .id;
    let foreign_territory = foreign_street.territory_id.unwrap();
    Fixture {
        router: web::router(app.clone()),
        app,
        tokens,
        sessions,
        own_member,
        foreign_org: foreign_street.id,
        foreign_branch,
        foreign_member,
        foreign_territory,
        admin_user: admin.user_id,
        _db: db,
    }
}

impl Fixture {
    pub async fn call(&self, request: Request<Body>) -> (StatusCode, String) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).to_string())
    }

    pub async fn api(
        &self,
        user: &str,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut builder = Request::builder().method(method).uri(uri).header(
            header::AUTHORIZATION,
            format!("Bearer {}", self.tokens[user]),
        );
        let body = match body {
            Some(v) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let (status, text) = self.call(builder.body(body).unwrap()).await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn page(&self, user: &str, uri: &str) -> (StatusCode, String) {
        let (cookie, _) = &self.sessions[user];
        self.call(
            Request::get(uri)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn form_owned(
        &self,
        user: &str,
        uri: &str,
        pairs: Vec<(String, String)>,
    ) -> (StatusCode, String) {
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.form(user, uri, &refs).await
    }

    /// Posts a form as `user`, adding the session's CSRF token.
    pub async fn form(
        &self,
        user: &str,
        uri: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let (cookie, csrf) = &self.sessions[user];
        let mut pairs: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        pairs.push(format!("csrf={}", encode(csrf)));
        let request = Request::post(uri)
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(pairs.join("&")))
            .unwrap();
        self.call(request).await
    }
}

pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn refused(status: StatusCode) -> bool {
    status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN
}

/// A multipart/form-data body: (content type, bytes).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----dangjian-test-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
