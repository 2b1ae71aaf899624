//! Open311 GeoReport v2 end to end through the router, on a small generated district, on both
//! engines.

use std::collections::HashSet;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use app::App;
use app::demo::DemoOptions;
use dangjian_web as web;

const PHONE: &str = "13812345678";

struct Fixture {
    app: App,
    router: Router,
    token: String,
    root: i64,
    /// Last, so the database is removed after the app that uses it is gone.
    _db: store::testing::TestDb,
}

async fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    let options = DemoOptions {
        // Under 100 members the demo makes no calls of its own (one per 100 members), so
        // every call listed here is one this test made.
        members: 99,
        seed: 7,
        password: Some("Test2026pass".into()),
        ..Default::default()
    };
    let scratch = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    for db in app::demo::testing::demo_dbs(&options, scratch).await {
        let app = App::new(db.db());
        let admin = app.actor_by_username("admin").await.unwrap();
        let token = app.create_api_token(&admin, "open311", 90).await.unwrap();
        let root = app.public_root().await.unwrap();
        out.push(Fixture {
            router: web::router(app.clone()),
            app,
            token,
            root,
            _db: db,
        });
    }
    out
}

impl Fixture {
    async fn send(&self, request: Request<Body>) -> (StatusCode, String, Value) {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        (status, text, value)
    }

    async fn get(&self, uri: &str) -> (StatusCode, String, Value) {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    async fn post_form(&self, fields: &[(&str, &str)]) -> (StatusCode, String, Value) {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Request::post("/open311/v2/requests.json")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }
}

/// Percent-encodes every byte outside the unreserved set.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An Open311 error: an array of one `{code, description}` with the HTTP status as code.
fn assert_error(status: StatusCode, body: &Value, expected: StatusCode) -> String {
    assert_eq!(status, expected, "{body}");
    let errors = body.as_array().expect("an array of errors");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["code"], json!(expected.as_u16()), "{body}");
    errors[0]["description"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn open311_georeport_v2() {
    for f in fixtures().await {
        // The catalogue as services.
        let (status, _, services) = f.get("/open311/v2/services.json").await;
        assert_eq!(status, StatusCode::OK);
        let services = services.as_array().unwrap().clone();
        assert_eq!(services.len(), 42);
        let groups: HashSet<&str> = services
            .iter()
            .map(|s| s["group"].as_str().unwrap())
            .collect();
        assert_eq!(groups.len(), 12);
        for s in &services {
            assert_eq!(s["metadata"], json!(false));
            assert_eq!(s["type"], json!("realtime"));
            assert_eq!(s["keywords"], json!(""));
            let (group, name) = (s["group"].as_str().unwrap(), s["service_name"].as_str());
            assert_eq!(
                s["description"].as_str().unwrap(),
                format!("{group} · {}", name.unwrap())
            );
        }
        let code = services[0]["service_code"].as_str().unwrap().to_string();

        // Service definitions.
        let (status, _, definition) = f.get(&format!("/open311/v2/services/{code}.json")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(definition, json!({"service_code": code, "attributes": []}));
        let (status, _, body) = f.get("/open311/v2/services/Z99-99.json").await;
        assert!(assert_error(status, &body, StatusCode::NOT_FOUND).contains("Z99-99"));
        let (status, _, body) = f.get(&format!("/open311/v2/services/{code}.xml")).await;
        assert!(assert_error(status, &body, StatusCode::NOT_FOUND).contains("JSON"));
        let (status, _, body) = f.get("/open311/v2/services.xml").await;
        assert_error(status, &body, StatusCode::NOT_FOUND);

        // Locations: the communities.
        let (status, _, locations) = f.get("/open311/v2/locations.json").await;
        assert_eq!(status, StatusCode::OK);
        let locations = locations.as_array().unwrap().clone();
        let communities = f.app.call_communities(f.root).await.unwrap();
        assert!(!locations.is_empty());
        assert_eq!(locations.len(), communities.len());
        for l in &locations {
            let (unit, street) = communities
                .iter()
                .find(|(u, _)| u.territory_id == l["address_id"].as_i64())
                .expect("a community");
            assert_eq!(l["name"], json!(unit.name));
            assert_eq!(l["street"], json!(street));
            assert!(!street.is_empty());
        }
        let address_id = locations[0]["address_id"].as_i64().unwrap().to_string();

        let description = "小区门口路灯不亮已经一周，晚上出行不便";
        let good: Vec<(&str, &str)> = vec![
            ("api_key", f.token.as_str()),
            ("service_code", code.as_str()),
            ("description", description),
            ("phone", PHONE),
            ("first_name", "三"),
            ("last_name", "张"),
            ("address_string", "幸福里 3 号楼门口"),
            ("address_id", address_id.as_str()),
        ];
        let without = |name: &str| -> Vec<(&str, &str)> {
            good.iter().copied().filter(|(k, _)| *k != name).collect()
        };
        let with = |name: &'static str, value: &'static str| -> Vec<(&str, &str)> {
            let mut fields = without(name);
            fields.push((name, value));
            fields
        };

        // Refused submissions: no key, a wrong key, a bad phone, no location.
        let (status, _, body) = f.post_form(&without("api_key")).await;
        assert!(assert_error(status, &body, StatusCode::UNAUTHORIZED).contains("api_key"));
        let (status, _, body) = f.post_form(&with("api_key", "dj_not-a-token")).await;
        assert_error(status, &body, StatusCode::FORBIDDEN);
        let (status, _, body) = f.post_form(&with("phone", "1381234")).await;
        let message = assert_error(status, &body, StatusCode::BAD_REQUEST);
        assert_eq!(message, "联系电话：手机号应为11位");
        let mut by_coordinates = without("address_id");
        by_coordinates.extend([("lat", "39.9"), ("long", "116.4")]);
        let (status, _, body) = f.post_form(&by_coordinates).await;
        let message = assert_error(status, &body, StatusCode::BAD_REQUEST);
        assert!(message.contains("address_id") && message.contains("locations.json"));
        let (status, _, body) = f.post_form(&with("service_code", "Z99-99")).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);
        let (status, _, body) = f.post_form(&with("jurisdiction_id", "999999")).await;
        assert_error(status, &body, StatusCode::NOT_FOUND);
        let refused = f
            .app
            .db
            .calls_list(store::CallScope::Orgs(f.root), false, 100, 0)
            .await
            .unwrap();
        assert!(refused.is_empty(), "nothing recorded by refused posts");

        // A good submission.
        let root_text = f.root.to_string();
        let mut fields = good.clone();
        fields.push(("jurisdiction_id", &root_text));
        let (status, _, created) = f.post_form(&fields).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let created = created.as_array().unwrap();
        assert_eq!(created.len(), 1);
        assert_eq!(created[0]["account_id"], Value::Null);
        let tracking = created[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(domain::calls::check_tracking_code(&tracking).is_ok());
        let row = f.app.db.call_by_tracking_code(&tracking).await.unwrap();
        assert_eq!(row.channel, "open311");
        assert_eq!(row.resident_name, "张三");
        assert_eq!(row.phone, PHONE);
        assert!(
            created[0]["service_notice"]
                .as_str()
                .unwrap()
                .contains(&row.holder_name)
        );

        // JSON bodies are taken too, with numbers for numbers.
        let (status, _, body) = f
            .send(
                Request::post("/open311/v2/requests.json")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(
                        json!({
                            "api_key": f.token,
                            "service_code": code,
                            "description": "楼道里堆放杂物，请 13900001111 联系物业",
                            "phone": "13900001111",
                            "address_id": address_id.parse::<i64>().unwrap(),
                        })
                        .to_string(),
                    ))
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let second = body[0]["service_request_id"].as_str().unwrap().to_string();

        // The public list and the single request: no phone, no name, the holder as agency.
        let check = |request: &Value, text: &str| {
            assert_eq!(request["service_request_id"], json!(tracking));
            assert_eq!(request["status"], json!("open"));
            assert_eq!(request["service_code"], json!(code));
            assert_eq!(request["service_name"], services[0]["service_name"]);
            assert_eq!(request["description"], json!(description), "with the key");
            assert_eq!(request["agency_responsible"], json!(row.holder_name));
            assert_eq!(request["address"], json!("幸福里 3 号楼门口"));
            assert_eq!(request["address_id"], json!(row.territory_id));
            assert!(
                request["status_notes"]
                    .as_str()
                    .unwrap()
                    .contains(&row.holder_name)
            );
            for key in ["requested_datetime", "updated_datetime"] {
                let at = request[key].as_str().unwrap();
                assert!(at.ends_with("+08:00"), "{at}");
                assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok());
            }
            assert!(!text.contains(PHONE), "{text}");
            assert!(!text.contains("张三"), "{text}");
            assert!(!text.contains("13900001111"), "{text}");
        };
        // Without a key, whoever holds a 查询码 learns how the call is going, but not what the
        // resident wrote or where.
        let (status, text, list) = f
            .get(&format!(
                "/open311/v2/requests.json?service_request_id={tracking}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1);
        for field in ["description", "address", "address_id"] {
            assert!(list[0].get(field).is_none(), "{field}: {text}");
        }
        assert_eq!(list[0]["status"], json!("open"));
        assert!(
            !text.contains("幸福里") && !text.contains("路灯不亮已经一周"),
            "{text}"
        );
        assert_eq!(list[0]["agency_responsible"], json!(row.holder_name));
        let (status, _, _) = f
            .get(&format!(
                "/open311/v2/requests.json?service_request_id={tracking}&api_key=wrong"
            ))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let key = format!("&api_key={}", f.token);
        let (status, text, list) = f
            .get(&format!(
                "/open311/v2/requests.json?service_request_id={tracking}{key}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 1);
        check(&list[0], &text);

        let (status, text, list) = f
            .get(&format!(
                "/open311/v2/requests.json?service_request_id={tracking},{second}{key}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list.as_array().unwrap().len(), 2);
        assert!(!text.contains("13900001111"), "masked in the description");
        assert!(text.contains("139****1111"), "{text}");

        let (status, text, list) = f
            .get(&format!("/open311/v2/requests.json?status=open{key}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let found = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["service_request_id"] == json!(tracking))
            .expect("the new call in the open list");
        check(found, &text);
        assert_eq!(list.as_array().unwrap().len(), 2);

        // Without a key the list omits every request, so it hands out no 查询码.
        let (status, text, list) = f.get("/open311/v2/requests.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list, json!([]), "{text}");
        let (_, _, list) = f.get("/open311/v2/requests.json?status=open").await;
        assert_eq!(list, json!([]));

        let (_, _, list) = f.get(&format!("/open311/v2/requests.json?{key}")).await;
        assert_eq!(list.as_array().unwrap().len(), 2);
        let (_, _, list) = f
            .get(&format!("/open311/v2/requests.json?status=closed{key}"))
            .await;
        assert_eq!(list, json!([]));
        let (_, _, list) = f
            .get(&format!(
                "/open311/v2/requests.json?service_code={code}{key}"
            ))
            .await;
        assert_eq!(list.as_array().unwrap().len(), 2);
        let other = services[1]["service_code"].as_str().unwrap();
        let (_, _, list) = f
            .get(&format!(
                "/open311/v2/requests.json?service_code={other}{key}"
            ))
            .await;
        assert_eq!(list, json!([]));
        let (_, _, list) = f
            .get(&format!("/open311/v2/requests.json?start_date=2020-01-01T00:00:00%2B08:00&end_date=2020-02-01T00:00:00Z{key}"))
            .await;
        assert_eq!(list, json!([]));
        let (_, _, list) = f
            .get(&format!(
                "/open311/v2/requests.json?start_date=2020-01-01T00:00:00+08:00{key}"
            ))
            .await;
        assert_eq!(list.as_array().unwrap().len(), 2, "an unencoded + is read");
        let (status, _, body) = f
            .get(&format!(
                "/open311/v2/requests.json?start_date=yesterday{key}"
            ))
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);
        let (status, _, body) = f
            .get(&format!("/open311/v2/requests.json?status=pending{key}"))
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST);

        let (status, text, one) = f
            .get(&format!(
                "/open311/v2/requests/{tracking}.json?api_key={}",
                f.token
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one.as_array().unwrap().len(), 1);
        check(&one[0], &text);
        let (status, _, body) = f.get("/open311/v2/requests/HY123.json").await;
        assert_error(status, &body, StatusCode::NOT_FOUND);
        let unknown = (1..)
            .map(|n| {
                domain::calls::tracking_code(
                    chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                    n,
                )
            })
            .find(|c| *c != tracking && *c != second)
            .unwrap();
        let (status, _, body) = f.get(&format!("/open311/v2/requests/{unknown}.json")).await;
        assert_error(status, &body, StatusCode::NOT_FOUND);

        // Jurisdiction: this instance's top org or nothing.
        let (status, _, _) = f
            .get(&format!(
                "/open311/v2/services.json?jurisdiction_id={}",
                f.root
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        for uri in [
            "/open311/v2/services.json?jurisdiction_id=999999",
            "/open311/v2/requests.json?jurisdiction_id=999999",
            "/open311/v2/locations.json?jurisdiction_id=999999",
        ] {
            let (status, _, body) = f.get(uri).await;
            assert_error(status, &body, StatusCode::NOT_FOUND);
        }
    }
}

/// Posts a call with `token` for the community whose territory is `address_id`.
async fn post_call(f: &Fixture, token: &str, address_id: i64) -> (StatusCode, String, Value) {
    let address_id = address_id.to_string();
    f.post_form(&[
        ("api_key", token),
        ("service_code", "C01-01"),
        ("description", "楼道灯坏了，请打 13700001111 找我"),
        ("phone", PHONE),
        ("address_string", "幸福里 5 号楼"),
        ("address_id", &address_id),
    ])
    .await
}

#[tokio::test]
async fn open311_details_and_submissions_follow_the_tokens_scope() {
    for f in fixtures().await {
        let token = |user: &'static str| {
            let app = f.app.clone();
            async move {
                let actor = app.actor_by_username(user).await.unwrap();
                app.create_api_token(&actor, "open311", 90).await.unwrap()
            }
        };
        let street_token = token("street_admin").await;
        let member_token = token("member").await;
        let branch_token = token("branch_secretary").await;
        // A department handler's token.
        let admin = f.app.actor_by_username("admin").await.unwrap();
        let units = f.app.call_units_of(f.root).await.unwrap();
        let department = units.iter().find(|u| u.kind == "department").unwrap();
        f.app
            .create_user(
                &admin,
                &app::users::UserInput {
                    username: "dept".into(),
                    display_name: "部门办理人".into(),
                    password: "Test2026pass".into(),
                    role: "dept_handler".into(),
                    org_id: admin.org_id,
                    member_id: None,
                    call_unit_id: Some(department.id),
                },
            )
            .await
            .unwrap();
        let dept_token = token("dept").await;

        // A community in the street admin's street, and one in another street.
        let street = f.app.actor_by_username("street_admin").await.unwrap();
        let street_unit = units
            .iter()
            .find(|u| u.org_id == Some(street.org_id))
            .unwrap();
        let communities = f.app.call_communities(f.root).await.unwrap();
        let own = communities
            .iter()
            .find(|(u, _)| u.parent_id == Some(street_unit.id))
            .unwrap()
            .0
            .territory_id
            .unwrap();
        let foreign = communities
            .iter()
            .find(|(u, _)| u.parent_id != Some(street_unit.id))
            .unwrap()
            .0
            .territory_id
            .unwrap();

        // Submitting: only an org admin's token, only for communities in its subtree.
        for (who, token) in [
            ("member", &member_token),
            ("branch", &branch_token),
            ("dept", &dept_token),
        ] {
            let (status, _, body) = post_call(&f, token, own).await;
            let message = assert_error(status, &body, StatusCode::FORBIDDEN);
            assert!(message.contains("api_key"), "{who}: {message}");
        }
        let (status, _, body) = post_call(&f, &street_token, foreign).await;
        let message = assert_error(status, &body, StatusCode::FORBIDDEN);
        assert!(message.contains("address_id"), "{message}");
        let (status, _, created) = post_call(&f, &street_token, own).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let own_code = created[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, _, created) = post_call(&f, &f.token, foreign).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let foreign_code = created[0]["service_request_id"]
            .as_str()
            .unwrap()
            .to_string();

        // Reading: a token without call scope is refused, not served the details.
        for token in [&member_token, &branch_token] {
            for uri in [
                format!("/open311/v2/requests.json?api_key={token}"),
                format!("/open311/v2/requests/{own_code}.json?api_key={token}"),
            ] {
                let (status, text, body) = f.get(&uri).await;
                assert_error(status, &body, StatusCode::FORBIDDEN);
                assert!(!text.contains("楼道灯坏了"), "{text}");
            }
        }
        // The street's token lists its street's calls with details, and nothing else.
        let (status, text, list) = f
            .get(&format!("/open311/v2/requests.json?api_key={street_token}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let codes: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap())
            .collect();
        assert!(codes.contains(&own_code.as_str()), "{text}");
        assert!(!codes.contains(&foreign_code.as_str()), "{text}");
        let mine = list
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["service_request_id"] == json!(own_code))
            .unwrap();
        assert_eq!(
            mine["description"],
            json!("楼道灯坏了，请打 137****1111 找我")
        );
        assert_eq!(mine["address"], json!("幸福里 5 号楼"));
        // Outside its scope, even with the code, only what any code holder sees.
        let (status, text, one) = f
            .get(&format!(
                "/open311/v2/requests/{foreign_code}.json?api_key={street_token}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(one[0].get("description").is_none(), "{text}");
        assert!(!text.contains("幸福里"), "{text}");
        // A department handler's token sees the calls its unit holds: none of these.
        let (status, _, list) = f
            .get(&format!("/open311/v2/requests.json?api_key={dept_token}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|r| r["service_request_id"] != json!(own_code)
                    && r["service_request_id"] != json!(foreign_code))
        );
    }
}

/// An instance holding two districts under a province serves both: the locations name their
/// district, a submission without `jurisdiction_id` goes to the district its place lies in, and
/// a 查询码 is answered from its own district.
#[tokio::test]
async fn open311_serves_every_district_of_a_province() {
    let options = DemoOptions {
        members: 120,
        districts: 2,
        seed: 7,
        password: Some("Test2026pass".into()),
    };
    let scratch = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    for db in app::demo::testing::demo_dbs(&options, scratch).await {
        let app = App::new(db.db());
        let districts = app.db.org_root_ids().await.unwrap();
        assert_eq!(districts.len(), 2);
        let second_admin = app.actor_by_username("admin2").await.unwrap();
        let f = Fixture {
            router: web::router(app.clone()),
            token: app
                .create_api_token(&second_admin, "open311", 90)
                .await
                .unwrap(),
            root: districts[1],
            app,
            _db: db,
        };

        let (status, _, all) = f.get("/open311/v2/locations.json").await;
        assert_eq!(status, StatusCode::OK);
        let all = all.as_array().unwrap();
        let of = |root: i64| {
            all.iter()
                .filter(|l| l["jurisdiction_id"] == json!(root))
                .count()
        };
        assert!(of(districts[0]) > 0 && of(districts[1]) > 0, "{all:?}");
        assert_eq!(of(districts[0]) + of(districts[1]), all.len());
        let (status, _, second) = f
            .get(&format!(
                "/open311/v2/locations.json?jurisdiction_id={}",
                districts[1]
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(second.as_array().unwrap().len(), of(districts[1]));
        let (status, _, body) = f
            .get("/open311/v2/locations.json?jurisdiction_id=abc")
            .await;
        let message = assert_error(status, &body, StatusCode::NOT_FOUND);
        assert!(message.contains(&districts[1].to_string()), "{message}");

        let place = all
            .iter()
            .find(|l| l["jurisdiction_id"] == json!(districts[1]))
            .unwrap()["address_id"]
            .as_i64()
            .unwrap();
        // Named for the first district, a place in the second is refused and nothing recorded.
        let recorded = || async {
            let mut n = 0;
            for root in &districts {
                n += f
                    .app
                    .db
                    .calls_list(store::CallScope::Orgs(*root), false, 1000, 0)
                    .await
                    .unwrap()
                    .len();
            }
            n
        };
        let before = recorded().await;
        let address = place.to_string();
        let first_text = districts[0].to_string();
        let (status, _, _) = f
            .post_form(&[
                ("api_key", f.token.as_str()),
                ("service_code", "C01-01"),
                ("description", "楼道灯坏了"),
                ("phone", PHONE),
                ("address_id", &address),
                ("jurisdiction_id", &first_text),
            ])
            .await;
        assert_ne!(status, StatusCode::CREATED);
        assert_eq!(recorded().await, before);
        // Unnamed, the call goes to the place's district.
        let (status, _, created) = post_call(&f, &f.token, place).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let code = created[0]["service_request_id"].as_str().unwrap();
        let call = f.app.db.call_by_tracking_code(code).await.unwrap();
        assert_eq!(call.root_org_id, districts[1]);
        assert_eq!(recorded().await, before + 1);

        // Its 查询码 is answered without a jurisdiction or with its own, not with the other.
        let (status, _, found) = f.get(&format!("/open311/v2/requests/{code}.json")).await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(found[0]["service_code"], "C01-01");
        let (status, _, _) = f
            .get(&format!(
                "/open311/v2/requests/{code}.json?jurisdiction_id={}",
                districts[1]
            ))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, _) = f
            .get(&format!(
                "/open311/v2/requests/{code}.json?jurisdiction_id={}",
                districts[0]
            ))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The second district's key lists it; restricted to the first district, it is not there.
        let listed = |query: String| {
            let f = &f;
            async move {
                let (status, _, list) = f
                    .get(&format!(
                        "/open311/v2/requests.json?api_key={}{query}",
                        f.token
                    ))
                    .await;
                assert_eq!(status, StatusCode::OK, "{list}");
                list.as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["service_request_id"] == json!(code))
            }
        };
        assert!(listed(String::new()).await);
        assert!(!listed(format!("&jurisdiction_id={}", districts[0])).await);
    }
}
