//! Pages and API routes end to end through the router, on a small generated district, on both
//! engines. The scope tests send an actor from one street at another street's data through every
//! route and expect a refusal.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use dangjian_web as web;
use store::{MemberFilter, Scope};
use support::*;
use tower::ServiceExt;

#[tokio::test]
async fn an_actor_from_another_subtree_is_refused_on_every_route() {
    for f in fixtures().await {
        let org = f.foreign_org.to_string();
        let member = f.foreign_member.to_string();
        let branch = f.foreign_branch.to_string();
        let territory = f.foreign_territory.to_string();
        let who = "street_admin";
        let district_admin = f.app.actor_by_username("admin").await.unwrap();
        let foreign_report = f
            .app
            .report_make(&district_admin, Some(f.foreign_org), "monthly", None)
            .await
            .unwrap();
        let pages = [
            format!("/orgs/{org}"),
            format!("/territory/{territory}"),
            format!("/members/{member}"),
            format!("/members/{member}/edit"),
            format!("/members?org_id={org}"),
            format!("/members/export?org_id={org}"),
            format!("/dues?org_id={org}"),
            format!("/dues/export?org_id={org}"),
            format!("/dues/year?org_id={org}"),
            format!("/orglife?org_id={org}"),
            format!("/orglife/export?org_id={org}"),
            format!("/orglife/new?org_id={branch}"),
            format!("/?org_id={org}"),
            format!("/dashboard/export?org_id={org}"),
            format!("/reports?org_id={org}"),
            format!("/reports/{foreign_report}"),
            format!("/reports/{foreign_report}/xlsx"),
        ];
        for uri in &pages {
            let (status, _) = f.page(who, uri).await;
            assert!(refused(status), "GET {uri} gave {status}");
        }
        let admin = f.app.actor_by_username("admin").await.unwrap();
        let meeting = app::orglife::MeetingInput {
            institution: "主题党日".into(),
            held_on: app::members::today().to_string(),
            place: "某地".into(),
            chair: "某".into(),
            recorder: "某".into(),
            ..Default::default()
        };
        let foreign_meeting = f
            .app
            .record_meeting(&admin, f.foreign_branch, &meeting)
            .await
            .unwrap();
        let (status, _) = f
            .page(who, &format!("/orglife/meetings/{foreign_meeting}"))
            .await;
        assert!(refused(status), "a meeting of another street");
        let (status, _) = f
            .page(who, &format!("/orglife/meetings/{foreign_meeting}/edit"))
            .await;
        assert!(refused(status), "editing a meeting of another street");
        let (status, _) = f
            .form(
                who,
                &format!("/orglife/meetings/{foreign_meeting}"),
                &[
                    ("institution", "themed_party_day"),
                    ("held_on", "2026-11-01"),
                    ("place", "改"),
                    ("chair", "改"),
                    ("recorder", "改"),
                ],
            )
            .await;
        assert!(refused(status), "amending a meeting of another street");
        let valid_id = domain::idcard::make_id_number(
            "110105",
            chrono::NaiveDate::from_ymd_opt(1949, 12, 31).unwrap(),
            2,
            domain::Gender::Female,
        );
        let foreign_restriction = f
            .app
            .add_restriction(&admin, f.foreign_member, &suspension("2026-01-05"))
            .await
            .unwrap();
        let member_form = [
            ("branch_id", branch.as_str()),
            ("name", "越权"),
            ("id_number", valid_id.as_str()),
            ("category", "在职"),
            ("status", "正式党员"),
            ("admitted_on", "2000-07-01"),
        ];
        let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
            (format!("/orgs/{org}"), vec![("name", "改名")]),
            (
                "/orgs".into(),
                vec![
                    ("parent_id", org.as_str()),
                    ("kind", "branch"),
                    ("branch_kind", "joint"),
                    ("name", "越权支部"),
                ],
            ),
            (
                format!("/orgs/{org}/concurrent"),
                vec![("name", "某"), ("unit", "某单位")],
            ),
            (
                "/territory".into(),
                vec![("parent_id", territory.as_str()), ("name", "越权社区")],
            ),
            (format!("/members/{member}"), member_form.to_vec()),
            ("/members".into(), member_form.to_vec()),
            (
                format!("/members/{member}/restrictions"),
                vec![
                    ("kind", "rights_suspended"),
                    ("from", "2026-01-05"),
                    ("reason", "越权"),
                    ("approval", "无"),
                ],
            ),
            (
                format!("/members/{member}/restrictions/{foreign_restriction}/end"),
                vec![("ended_on", "2026-02-01"), ("end_approval", "无")],
            ),
            (
                format!("/users/{}/password", f.admin_user),
                vec![("password", "abcd12345")],
            ),
            (
                "/reports".into(),
                vec![("org_id", org.as_str()), ("period", "weekly:")],
            ),
            (
                "/users".into(),
                vec![
                    ("username", "intruder"),
                    ("display_name", "某"),
                    ("password", "abcd12345"),
                    ("role", "org_admin"),
                    ("org_id", org.as_str()),
                ],
            ),
        ];
        for (uri, fields) in &posts {
            let (status, body) = f.form(who, uri, fields).await;
            assert!(
                refused(status),
                "POST {uri} gave {status}: {}",
                &body[..body.len().min(300)]
            );
        }
        let member_json = json!({"branch_id": f.foreign_branch, "name": "越权", "id_number": valid_id,
            "category": "在职", "status": "正式党员", "admitted_on": "2000-07-01"});
        let api_calls: Vec<(&str, String, Option<Value>)> = vec![
            ("GET", format!("/api/v1/orgs/{org}"), None),
            ("GET", format!("/api/v1/orgs/{org}/children"), None),
            (
                "PUT",
                format!("/api/v1/orgs/{org}"),
                Some(json!({"kind": "street_committee", "name": "改名"})),
            ),
            (
                "POST",
                "/api/v1/orgs".into(),
                Some(
                    json!({"parent_id": f.foreign_org, "kind": "branch", "branch_kind": "joint", "name": "越权"}),
                ),
            ),
            ("GET", format!("/api/v1/members/{member}"), None),
            (
                "PUT",
                format!("/api/v1/members/{member}"),
                Some(member_json.clone()),
            ),
            ("POST", "/api/v1/members".into(), Some(member_json.clone())),
            (
                "GET",
                format!("/api/v1/members/{member}/restrictions"),
                None,
            ),
            (
                "POST",
                format!("/api/v1/members/{member}/restrictions"),
                Some(
                    json!({"kind": "rights_suspended", "from": "2026-01-06", "reason": "越权", "approval": "无"}),
                ),
            ),
            (
                "POST",
                format!("/api/v1/members/{member}/restrictions/{foreign_restriction}/end"),
                Some(json!({"ended_on": "2026-02-01", "end_approval": "无"})),
            ),
            ("GET", format!("/api/v1/members?org_id={org}"), None),
            ("GET", format!("/api/v1/stats/overview?org_id={org}"), None),
            ("GET", format!("/api/v1/reports?org_id={org}"), None),
            ("GET", format!("/api/v1/reports/{foreign_report}"), None),
            (
                "GET",
                format!("/api/v1/dues/notice?org_id={org}&month=2026-11"),
                None,
            ),
            (
                "POST",
                "/api/v1/users".into(),
                Some(
                    json!({"username": "intruder", "display_name": "某", "password": "abcd12345", "role": "org_admin", "org_id": f.foreign_org}),
                ),
            ),
        ];
        for (method, uri, body) in api_calls {
            let (status, body) = f.api(who, method, &uri, body).await;
            assert!(refused(status), "{method} {uri} gave {status}: {body}");
            assert!(
                body["error"].is_string(),
                "{method} {uri}: error body {body}"
            );
        }
        // Nothing was changed by any of the refused calls.
        let admin = f.app.actor_by_username("admin").await.unwrap();
        let restrictions = f
            .app
            .member_restrictions(&admin, f.foreign_member)
            .await
            .unwrap();
        assert_eq!(restrictions.len(), 1);
        assert!(restrictions[0].ended_on.is_none());
        let foreign = f.app.org(&admin, f.foreign_org).await.unwrap();
        assert!(!foreign.name.contains("改名"), "{}", foreign.name);
        assert!(
            f.app
                .db
                .user_by_username("intruder")
                .await
                .unwrap()
                .is_none()
        );
    }
}

/// A 停止党员权利 from `from` on, as the API and the app take it.
fn suspension(from: &str) -> app::restrictions::RestrictionInput {
    app::restrictions::RestrictionInput {
        kind: "停止党员权利".into(),
        from: from.into(),
        term_months: None,
        reason: "被依法留置".into(),
        approval: "区纪委通知".into(),
    }
}

#[tokio::test]
async fn restrictions_are_kept_on_the_member_page_and_the_api_and_take_the_vote() {
    for f in fixtures().await {
        let officer = f.app.actor_by_username("branch_secretary").await.unwrap();
        let me = f.app.actor_by_username("member").await.unwrap();
        let roster = f
            .app
            .meeting_roster(&officer, officer.org_id)
            .await
            .unwrap();
        let full: Vec<i64> = roster
            .iter()
            .filter(|m| m.status == "full" && Some(m.id) != me.member_id)
            .map(|m| m.id)
            .collect();
        let probationary = roster
            .iter()
            .find(|m| m.status == "probationary")
            .unwrap()
            .id;
        let today = app::members::today();
        let meeting = f
            .app
            .record_meeting(
                &officer,
                officer.org_id,
                &app::orglife::MeetingInput {
                    institution: "支部党员大会".into(),
                    held_on: today.to_string(),
                    place: "党员活动室".into(),
                    chair: "书记".into(),
                    recorder: "组织委员".into(),
                    present: roster.iter().map(|m| m.id).collect(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let voters = || async {
            f.app
                .vote_electorate(&officer, meeting)
                .await
                .unwrap()
                .counts
                .listed
                .voters
        };
        let before = voters().await;

        let mut unrestricted = Vec::new();
        for id in &full {
            // The demo already has one member under 留党察看 here.
            if f.app
                .member_restrictions(&officer, *id)
                .await
                .unwrap()
                .is_empty()
            {
                unrestricted.push(*id);
            }
        }
        let (target, other) = (unrestricted[0], unrestricted[1]);

        // Through the page: a suspension in force on the meeting day takes the vote away.
        let uri = format!("/members/{target}/restrictions");
        let today_text = today.to_string();
        let from = (today - chrono::Duration::days(10)).to_string();
        let (status, _) = f
            .form(
                "branch_secretary",
                &uri,
                &[
                    ("kind", "rights_suspended"),
                    ("from", &from),
                    ("term_months", ""),
                    ("reason", "被依法留置"),
                    ("approval", "区纪委通知"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(voters().await, before - 1);
        let (status, page) = f
            .page("branch_secretary", &format!("/members/{target}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("停止党员权利") && page.contains("生效中，没有表决权"));
        // A second one over the same days is refused, saying why, and keeps what was typed.
        let (status, page) = f
            .form(
                "branch_secretary",
                &uri,
                &[
                    ("kind", "rights_suspended"),
                    ("from", &today_text),
                    ("reason", "重复登记"),
                    ("approval", "某号"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("时间重叠") && page.contains("重复登记"));
        // 留党察看 is not for a 预备党员.
        let (status, page) = f
            .form(
                "branch_secretary",
                &format!("/members/{probationary}/restrictions"),
                &[
                    ("kind", "party_probation"),
                    ("from", &today_text),
                    ("term_months", "12"),
                    ("reason", "违纪"),
                    ("approval", "某号"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("预备党员不适用留党察看"));
        // A member may not record one, even about themself.
        let own = me.member_id.unwrap();
        let (status, _) = f
            .form(
                "member",
                &format!("/members/{own}/restrictions"),
                &[
                    ("kind", "rights_suspended"),
                    ("from", &today_text),
                    ("reason", "x"),
                    ("approval", "x"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Ending it: not on a day to come; then from today, which gives the vote back, and the
        // record stays with the day rights came back.
        let id = f.app.member_restrictions(&officer, target).await.unwrap()[0].id;
        let end_uri = format!("/members/{target}/restrictions/{id}/end");
        let tomorrow = (today + chrono::Duration::days(1)).to_string();
        let (status, page) = f
            .form(
                "branch_secretary",
                &end_uri,
                &[("ended_on", &tomorrow), ("end_approval", "区纪委通知")],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "not a day in the future");
        assert!(page.contains("恢复日期不能晚于今天"));
        let (status, _) = f
            .form(
                "branch_secretary",
                &end_uri,
                &[
                    ("ended_on", &today_text),
                    ("end_approval", "区纪委解除留置通知"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(voters().await, before);
        let (_, page) = f
            .page("branch_secretary", &format!("/members/{target}"))
            .await;
        assert!(page.contains(&format!(
            "{today_text} 起恢复党员权利（区纪委解除留置通知）"
        )));

        // The API: list, record and end, with the same checks.
        let (status, list) = f
            .api(
                "branch_secretary",
                "GET",
                &format!("/api/v1/members/{target}/restrictions"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list[0]["kind"], "rights_suspended");
        let (status, created) = f
            .api(
                "branch_secretary",
                "POST",
                &format!("/api/v1/members/{other}/restrictions"),
                Some(
                    json!({"kind": "party_probation", "from": "2025-03-10", "term_months": 24,
                    "reason": "违反组织纪律", "approval": "街道党工委〔2025〕9号"}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["term_months"], 24);
        let (status, too_long) = f
            .api(
                "branch_secretary",
                "POST",
                &format!("/api/v1/members/{other}/restrictions"),
                Some(json!({"kind": "rights_suspended", "from": "2025-03-10",
                    "reason": "长".repeat(501), "approval": "街道党工委〔2025〕9号"})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{too_long}");
        assert!(
            too_long["error"].as_str().unwrap().contains("原因过长"),
            "{too_long}"
        );
        let rid = created["id"].as_i64().unwrap();
        let (status, ended) = f
            .api(
                "branch_secretary",
                "POST",
                &format!("/api/v1/members/{other}/restrictions/{rid}/end"),
                Some(json!({"ended_on": "2026-01-10", "end_approval": "支部党员大会决定"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{ended}");
        assert_eq!(ended["ended_on"], "2026-01-10");
        assert_eq!(ended["from_date"], "2025-03-10");
        let (status, again) = f
            .api(
                "branch_secretary",
                "POST",
                &format!("/api/v1/members/{other}/restrictions/{rid}/end"),
                Some(json!({"ended_on": "2026-02-10", "end_approval": "再次"})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            again["error"]
                .as_str()
                .unwrap()
                .contains("已于 2026-01-10 结束")
        );
        // A member reads their own, and nobody else's.
        let (status, mine) = f
            .api(
                "member",
                "GET",
                &format!("/api/v1/members/{own}/restrictions"),
                None,
            )
            .await;
        assert_eq!((status, mine), (StatusCode::OK, json!([])));
        let (status, _) = f
            .api(
                "member",
                "GET",
                &format!("/api/v1/members/{other}/restrictions"),
                None,
            )
            .await;
        assert!(refused(status));
        let (status, _) = f
            .api(
                "member",
                "POST",
                &format!("/api/v1/members/{own}/restrictions"),
                Some(json!(suspension(&today_text))),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Both writes are in the member's history.
        let log = f
            .app
            .db
            .audit_for_entity(officer.scope(), "member_restriction", other, 10)
            .await
            .unwrap();
        assert_eq!(log.len(), 2);
    }
}

#[tokio::test]
async fn management_modes_default_by_category_and_a_chosen_one_is_kept() {
    for f in fixtures().await {
        let branch = f
            .app
            .actor_by_username("branch_secretary")
            .await
            .unwrap()
            .org_id;
        let person = |n: u16, category: &str, mode: &str| {
            json!({"branch_id": branch, "name": format!("管理方式{n}"),
                "id_number": domain::idcard::make_id_number("650102", chrono::NaiveDate::from_ymd_opt(1950, 2, 3).unwrap(), n * 2 + 1, domain::Gender::Male),
                "category": category, "management_mode": mode, "status": "正式党员", "admitted_on": "1980-07-01"})
        };
        let mut created = Vec::new();
        for (n, category, mode) in [
            (11, "离退休", ""),
            (12, "流动", ""),
            (13, "农民", ""),
            (14, "在职", ""),
            (15, "离退休", "直接管理"),
        ] {
            let (status, body) = f
                .api(
                    "branch_secretary",
                    "POST",
                    "/api/v1/members",
                    Some(person(n, category, mode)),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            created.push(body);
        }
        let modes: Vec<&str> = created
            .iter()
            .map(|m| m["management_mode"].as_str().unwrap())
            .collect();
        assert_eq!(
            modes,
            ["continued", "referenced", "direct", "dual", "direct"]
        );
        // A chosen mode stays, and the page says what the category usually gets.
        let chosen = created[4]["id"].as_i64().unwrap();
        let (_, page) = f
            .page("branch_secretary", &format!("/members/{chosen}"))
            .await;
        assert!(
            page.contains("离退休党员一般为延续管理"),
            "the usual mode is noted"
        );
        let usual = created[0]["id"].as_i64().unwrap();
        let (_, page) = f
            .page("branch_secretary", &format!("/members/{usual}"))
            .await;
        assert!(!page.contains("usual-mode"));
        let (_, form) = f.page("branch_secretary", "/members/new").await;
        assert!(form.contains("离退休：延续管理") && form.contains("流动：参照管理"));
    }
}

#[tokio::test]
async fn members_and_department_handlers_reach_only_what_their_role_allows() {
    for f in fixtures().await {
        // A member sees their own page and nothing else.
        let me = f.app.actor_by_username("member").await.unwrap();
        let own = me.member_id.unwrap();
        let (status, body) = f.page("member", &format!("/members/{own}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("political-birthday"));
        let (status, _) = f
            .page("member", &format!("/members/{}", f.own_member))
            .await;
        if f.own_member != own {
            assert!(refused(status));
        }
        let (status, _) = f.api("member", "GET", "/api/v1/members", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = f.page("member", "/audit").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = f.page("branch_secretary", "/users").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = f.page("branch_secretary", "/members/import").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn api_reads_and_writes_with_masking_and_snapshots() {
    for f in fixtures().await {
        let (status, me) = f.api("street_admin", "GET", "/api/v1/me", None).await;
        assert_eq!(status, StatusCode::OK);
        let mut me = me;
        me["user_id"] = json!("[id]");
        me["org_id"] = json!("[id]");
        insta::assert_json_snapshot!("me_street_admin", me);

        let (status, page) = f
            .api("street_admin", "GET", "/api/v1/members?q=zhang", None)
            .await;
        assert_eq!(status, StatusCode::OK);
        for row in page["rows"].as_array().unwrap() {
            assert!(row["name"].as_str().unwrap().starts_with('张'), "{row}");
            assert!(
                row["id_number"].as_str().unwrap().contains("********"),
                "lists are masked: {row}"
            );
        }

        let branch = f
            .app
            .db
            .member_get(Scope::Subtree(1), f.own_member)
            .await
            .unwrap()
            .branch_id;
        let new = json!({"branch_id": branch, "name": "测试党员", "id_number": domain::idcard::make_id_number("110108", chrono::NaiveDate::from_ymd_opt(1990, 2, 3).unwrap(), 5, domain::Gender::Female),
            "phone": "13912345678", "category": "在职", "status": "预备党员", "admitted_on": "2026-01-10"});
        let (status, created) = f
            .api("street_admin", "POST", "/api/v1/members", Some(new.clone()))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["name_pinyin"], "ceshidangyuan");
        assert_eq!(created["gender"], "female");
        assert_eq!(
            created["phone"], "13912345678",
            "an org admin sees the full number"
        );
        let id = created["id"].as_i64().unwrap();
        let (status, again) = f
            .api("street_admin", "POST", "/api/v1/members", Some(new.clone()))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");

        let mut bad = new.clone();
        let valid = new["id_number"].as_str().unwrap();
        let wrong_check = if valid.ends_with('0') { "1" } else { "0" };
        bad["id_number"] = json!(format!("{}{wrong_check}", &valid[..17]));
        bad["admitted_on"] = json!("明天");
        let (status, err) = f
            .api("street_admin", "POST", "/api/v1/members", Some(bad))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let message = err["error"].as_str().unwrap();
        assert!(
            message.contains("校验") && message.contains("入党日期"),
            "{message}"
        );

        let mut change = new.clone();
        change["work_unit"] = json!("区图书馆");
        let (status, updated) = f
            .api(
                "street_admin",
                "PUT",
                &format!("/api/v1/members/{id}"),
                Some(change),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(updated["work_unit"], "区图书馆");

        let (status, users) = f.api("street_admin", "GET", "/api/v1/users", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            users
                .as_array()
                .unwrap()
                .iter()
                .all(|u| u.get("password_hash").is_none())
        );

        let (status, _) = f
            .api("street_admin", "GET", "/api/v1/orgs/999999", None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = f
            .call(Request::get("/api/v1/me").body(Body::empty()).unwrap())
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn openapi_and_swagger_are_served_locally() {
    let f = fixture().await;
    let (status, body) = f
        .call(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&body).unwrap();
    let mut paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    paths.sort();
    insta::assert_json_snapshot!("openapi_paths", paths);
    let (status, html) = f
        .call(Request::get("/api/docs/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("unpkg") && !html.contains("cdn"),
        "Swagger UI must not load from the internet"
    );
    let (status, _) = f
        .call(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn login_needs_the_form_token_and_throttles_guessing() {
    let f = fixture().await;
    let (status, _) = f.call(Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "anonymous visitors go to the login page"
    );

    let response = f
        .router
        .clone()
        .oneshot(Request::get("/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let set_cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    let token = set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string();
    let login = |csrf: &str, password: &str| {
        Request::post("/login")
            .header(header::COOKIE, format!("dj_login_csrf={token}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "username=admin&password={password}&csrf={csrf}"
            )))
            .unwrap()
    };
    let (status, body) = f.call(login("forged", PASSWORD)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("已过期"));
    let response = f
        .router
        .clone()
        .oneshot(login(&token, PASSWORD))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("HttpOnly")
    );

    for _ in 0..app::auth::MAX_FAILURES {
        let (status, body) = f.call(login(&token, "wrong-password1")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("用户名或密码错误"));
    }
    let (status, body) = f.call(login(&token, PASSWORD)).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(body.contains("分钟后再试"));

    // A state-changing form without the session's token is refused and changes nothing.
    let (cookie, _) = &f.sessions["street_admin"];
    let request = Request::post(format!("/members/{}", f.own_member))
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=x&csrf=forged"))
        .unwrap();
    let (status, _) = f.call(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pages_render_in_chinese_for_each_role() {
    let f = fixture().await;
    for (user, uri, expect) in [
        ("admin", "/".to_string(), "党员类别"),
        ("street_admin", "/reports".to_string(), "生成报告"),
        ("admin", "/orgs/1".to_string(), "下级组织"),
        ("admin", "/territory".to_string(), "区域网格"),
        ("street_admin", "/members?q=zs".to_string(), "member-total"),
        ("street_admin", "/members/new".to_string(), "登记党员"),
        (
            "street_admin",
            "/members/import".to_string(),
            "下载导入模板",
        ),
        ("street_admin", "/users".to_string(), "新建用户"),
        ("street_admin", "/audit".to_string(), "审计日志"),
        (
            "street_admin",
            format!("/members/{}", f.own_member),
            "political-birthday",
        ),
        ("branch_secretary", "/tokens".to_string(), "API 令牌"),
    ] {
        let (status, body) = f.page(user, &uri).await;
        assert_eq!(status, StatusCode::OK, "{user} {uri}");
        assert!(body.contains(expect), "{user} {uri} lacks {expect}");
    }
    // The dashboard's figures as JSON: the caller's own scope when no org is given.
    let (status, overview) = f
        .api("street_admin", "GET", "/api/v1/stats/overview", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{overview}");
    let street = f.app.actor_by_username("street_admin").await.unwrap();
    assert_eq!(overview["org_id"], street.org_id);
    let in_scope = f
        .app
        .db
        .member_count(Scope::Subtree(street.org_id), &MemberFilter::default())
        .await
        .unwrap();
    assert_eq!(overview["members_total"], in_scope);
    let by_status: i64 = overview["by_status"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(by_status, in_scope);
    let (status, reports) = f.api("street_admin", "GET", "/api/v1/reports", None).await;
    assert_eq!(status, StatusCode::OK);
    let first = reports[0]["id"].as_i64().unwrap();
    let (status, report) = f
        .api(
            "street_admin",
            "GET",
            &format!("/api/v1/reports/{first}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["figures"]["members"]["total"], in_scope);
    let (status, _) = f.page("street_admin", &format!("/reports/{first}")).await;
    assert_eq!(status, StatusCode::OK);

    // htmx asks for just the results.
    let (cookie, _) = &f.sessions["street_admin"];
    let request = Request::get("/members?q=zhang")
        .header(header::COOKIE, cookie)
        .header("hx-request", "true")
        .body(Body::empty())
        .unwrap();
    let (status, body) = f.call(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("<div id=\"member-results\">"));

    // An org admin sees full numbers on a member's page; a list never shows them.
    let full = f
        .app
        .db
        .member_get(Scope::Subtree(1), f.own_member)
        .await
        .unwrap()
        .id_number;
    let (_, page) = f
        .page("street_admin", &format!("/members/{}", f.own_member))
        .await;
    assert!(page.contains(&full));
    let (_, list) = f.page("street_admin", "/members").await;
    assert!(!list.contains(&full));
}

#[tokio::test]
async fn import_rejects_a_bad_file_whole_and_accepts_a_good_one() {
    let f = fixture().await;
    let actor = f.app.actor_by_username("community_admin").await.unwrap();
    let branch = f.app.branches(&actor).await.unwrap()[0].name.clone();
    let id1 = domain::idcard::make_id_number(
        "440103",
        chrono::NaiveDate::from_ymd_opt(1960, 4, 5).unwrap(),
        77,
        domain::Gender::Male,
    );
    let id2 = domain::idcard::make_id_number(
        "440103",
        chrono::NaiveDate::from_ymd_opt(1961, 4, 5).unwrap(),
        78,
        domain::Gender::Female,
    );
    let header = app::import::HEADERS.join(",");
    let good = format!(
        "{header}\n导入甲,{id1},,{branch},离退休,,正式党员,1985-07-01,1986-07-01,,否,否,,\n导入乙,{id2},13700000000,{branch},离退休,,正式党员,1986-07-01,1987-07-01,,否,否,,\n"
    );
    let bad = good.replace("1986-07-01,1987", "1986-13-01,1987");
    let before = f
        .app
        .db
        .member_count(actor.scope(), &MemberFilter::default())
        .await
        .unwrap();

    let upload = |content: &str, name: &str| {
        let (cookie, csrf) = &f.sessions["community_admin"];
        let boundary = "XBOUNDARYX";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
        );
        Request::post("/members/import")
            .header(header::COOKIE, cookie)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    let (status, body) = f.call(upload(&bad, "党员.csv")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("import-errors") && body.contains("入党日期"),
        "{body}"
    );
    assert_eq!(
        f.app
            .db
            .member_count(actor.scope(), &MemberFilter::default())
            .await
            .unwrap(),
        before
    );

    let (status, body) = f.call(upload(&good, "党员.csv")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("导入成功：共 2 名党员"));
    assert_eq!(
        f.app
            .db
            .member_count(actor.scope(), &MemberFilter::default())
            .await
            .unwrap(),
        before + 2
    );

    // Template and export download, the export audited.
    let (status, _) = f.page("community_admin", "/members/template.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    // The template's example row passes every check once its mark is taken off, and with the
    // mark it is left out: a template uploaded as it is has no members in it.
    let template = f.app.member_template(&actor).await.unwrap();
    let mut sheet = app::tabular::read_sheet("模板.xlsx", &template).unwrap();
    let mut example: Vec<app::tabular::Cell> = (0..app::import::HEADERS.len())
        .map(|i| sheet.rows[1].get(i).cloned().unwrap_or_default())
        .collect();
    assert!(
        example[0].text.starts_with(app::import::EXAMPLE_MARK),
        "{}",
        example[0].text
    );
    let branches = f.app.branches(&actor).await.unwrap();
    let branch_map = branches
        .iter()
        .map(|b| (b.name.clone(), vec![b.id]))
        .collect();
    let marked = app::import::check_sheet(
        &sheet,
        &branch_map,
        &Default::default(),
        &Default::default(),
        &Default::default(),
        app::members::today(),
    );
    assert!(marked.is_err_and(|e| e[0].message.contains("没有数据行")));
    example[0].text = "张三".into();
    sheet.rows[1] = app::tabular::Row::from_cells(example);
    let unmarked = app::import::check_sheet(
        &sheet,
        &branch_map,
        &Default::default(),
        &Default::default(),
        &Default::default(),
        app::members::today(),
    )
    .unwrap();
    assert_eq!(unmarked[0].ethnicity.as_deref(), Some("汉族"));
    let (status, csv) = f
        .page("community_admin", "/members/export?format=csv&q=daoru")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.contains("导入甲") && csv.contains(&id1),
        "org admins export full numbers"
    );
    let log = f
        .app
        .audit_log(&actor, Some("member"), 10, 0)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|r| r.action == "export" && r.summary.contains("2 人")),
        "{log:?}"
    );
}

#[tokio::test]
async fn dues_base_payment_and_notice_through_the_pages_and_api() {
    for f in fixtures().await {
        let officer = f.app.actor_by_username("branch_secretary").await.unwrap();
        let this_month = domain::dues_ledger::Month::of(app::members::today());
        let month = this_month.to_string();
        // The demo has this year's payments: take a member of some years' standing (not one the
        // demo has just admitted) who has not paid this month.
        let mut member = None;
        for candidate in f
            .app
            .db
            .member_search(officer.scope(), &MemberFilter::default(), 50, 0)
            .await
            .unwrap()
        {
            if domain::dues_ledger::Month::of(candidate.admitted_on) > this_month.plus(-24) {
                continue;
            }
            let record = f
                .app
                .db
                .dues_record(officer.scope(), candidate.id)
                .await
                .unwrap();
            if !record.payments.iter().any(|p| p.month == month) {
                member = Some(candidate);
                break;
            }
        }
        let member = member.expect("a member who has not paid this month");
        let street = f.app.actor_by_username("street_admin").await.unwrap();
        let street_before = f
            .app
            .dues_notice(&street, street.org_id, &month)
            .await
            .unwrap()
            .total;
        let uri = format!("/members/{}", member.id);

        // A bad base is shown again with the reason and what was typed.
        let (status, body) = f
            .form(
                "branch_secretary",
                &format!("{uri}/dues/base"),
                &[
                    ("category", "retired"),
                    ("base", "四千"),
                    ("effective_month", &format!("{}-01", this_month.year)),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body.contains("计算基数") && body.contains("四千"),
            "{}",
            &body[..body.len().min(500)]
        );

        let (status, _) = f
            .form(
                "branch_secretary",
                &format!("{uri}/dues/base"),
                &[
                    ("category", "retired"),
                    ("base", "5000.01"),
                    ("effective_month", &format!("{}-01", this_month.year)),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = f.page("branch_secretary", &uri).await;
        assert!(
            page.contains("50.00 元"),
            "§1.5 vector 14: 5000.01 retired → 50.00"
        );

        let (status, body) = f
            .form(
                "branch_secretary",
                &format!("{uri}/dues/payments"),
                &[
                    ("from_month", "2020-01"),
                    ("paid_on", &app::members::today().to_string()),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "back pay beyond 6 months");
        assert!(body.contains("6 个月"));
        assert!(
            body.contains("历史补录"),
            "the refusal says how to enter old records"
        );
        // 历史补录 is an org admin's: a branch officer is refused, the street enters it. A month
        // after the member's admission, paid nine months late.
        let old_month = domain::dues_ledger::Month::of(member.admitted_on)
            .plus(1)
            .max(this_month.plus(-24));
        assert!(
            old_month <= this_month.plus(-10),
            "the demo member joined long ago"
        );
        let old = old_month.to_string();
        let paid_late = old_month.plus(9).first_day().to_string();
        let history = [
            ("from_month", old.as_str()),
            ("paid_on", paid_late.as_str()),
            ("method", "history"),
        ];
        let (status, body) = f
            .form(
                "branch_secretary",
                &format!("{uri}/dues/payments"),
                &history,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body.contains("组织管理员"),
            "{}",
            &body[..body.len().min(300)]
        );
        let (status, _) = f
            .form(
                "street_admin",
                &format!("{uri}/dues/base"),
                &[
                    ("category", "retired"),
                    ("base", "3000.00"),
                    ("effective_month", &old),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, body) = f
            .form("street_admin", &format!("{uri}/dues/payments"), &history)
            .await;
        let alert = body
            .split("role=\"alert\">")
            .nth(1)
            .unwrap_or("")
            .split('<')
            .next()
            .unwrap_or("");
        assert_eq!(status, StatusCode::SEE_OTHER, "{alert}");
        let record = f
            .app
            .db
            .dues_record(officer.scope(), member.id)
            .await
            .unwrap();
        assert!(
            record
                .payments
                .iter()
                .any(|p| p.month == old && p.method == "history"),
            "kept as history"
        );
        let (status, _) = f
            .form(
                "branch_secretary",
                &format!("{uri}/dues/payments"),
                &[
                    ("from_month", &month),
                    ("paid_on", &app::members::today().to_string()),
                    ("method", "monthly"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, body) = f
            .form(
                "branch_secretary",
                &format!("{uri}/dues/payments"),
                &[
                    ("from_month", &month),
                    ("paid_on", &app::members::today().to_string()),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("已经缴纳"));

        // The branch's notice lists the member as paid; the street's rolls it up.
        let (status, notice) = f
            .page(
                "branch_secretary",
                &format!("/dues?org_id={}&month={month}", member.branch_id),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            notice.contains(&member.name) && notice.contains("已缴") && notice.contains("50.00")
        );
        let (status, api_notice) = f
            .api(
                "street_admin",
                "GET",
                &format!("/api/v1/dues/notice?org_id={}&month={month}", street.org_id),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(api_notice["per_member"], false);
        assert_eq!(api_notice["total"]["paid"], street_before.paid + 1);
        assert_eq!(
            api_notice["total"]["paid_fen"],
            street_before.paid_fen + 5000
        );
        let (status, _) = f
            .page(
                "branch_secretary",
                &format!("/dues/export?org_id={}&month={month}", member.branch_id),
            )
            .await;
        assert_eq!(status, StatusCode::OK);

        // A member with a base since January and nothing paid shows up in arrears on the branch
        // notice, flagged from six months on — for the branch to examine, nothing more.
        let other = f
            .app
            .create_member(
                &officer,
                &app::members::MemberInput {
                    branch_id: member.branch_id,
                    name: "欠费党员".into(),
                    id_number: domain::idcard::make_id_number(
                        "500103",
                        chrono::NaiveDate::from_ymd_opt(1960, 1, 2).unwrap(),
                        9,
                        domain::Gender::Male,
                    ),
                    category: "离退休".into(),
                    status: "正式党员".into(),
                    admitted_on: "1990-07-01".into(),
                    full_on: "1991-07-01".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        {
            let january = format!("{}-01", this_month.year);
            let (status, _) = f
                .form(
                    "branch_secretary",
                    &format!("/members/{}/dues/base", other.id),
                    &[
                        ("category", "retired"),
                        ("base", "3000"),
                        ("effective_month", &january),
                    ],
                )
                .await;
            assert_eq!(status, StatusCode::SEE_OTHER);
            let (_, branch_notice) = f
                .api(
                    "branch_secretary",
                    "GET",
                    &format!(
                        "/api/v1/dues/notice?org_id={}&month={month}",
                        member.branch_id
                    ),
                    None,
                )
                .await;
            let rows = branch_notice["rows"].as_array().unwrap();
            let row_of = |id: i64| rows.iter().find(|r| r["id"] == id).unwrap().clone();
            assert_eq!(row_of(member.id)["unpaid_run"], 0);
            // Set this month and dated back to January: the months before it were 未核定 (no
            // amount on record), so only this month is in arrears, as on the notice's own cells.
            assert_eq!(row_of(other.id)["unpaid_run"], 1);
            let (_, html) = f
                .page(
                    "branch_secretary",
                    &format!("/dues?org_id={}&month={month}", member.branch_id),
                )
                .await;
            assert!(
                !html.contains("疑似自行脱党"),
                "late data entry does not make a member look lapsed"
            );
        }

        // The member sees their own bills.
        let me = f.app.actor_by_username("member").await.unwrap();
        let (status, own) = f
            .page("member", &format!("/members/{}", me.member_id.unwrap()))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(own.contains("dues-bills") && !own.contains("登记缴纳"));

        let (status, quote) = f
            .api(
                "member",
                "POST",
                "/api/v1/dues/quote",
                Some(json!({"category": "in_service", "base": "7305.00"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(quote["monthly"], "109.58");
        let (status, _) = f
            .api(
                "member",
                "POST",
                "/api/v1/dues/quote",
                Some(json!({"category": "farmer_x", "base": "1"})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

/// The base form reads a pay slip item by item (DOMAIN.md §1.1). An item the table does not know
/// stops the save and comes back with a choice; 试算 shows the working without saving; once every
/// item is classified the base is saved with a working that gives each item's class and rule.
#[tokio::test]
async fn the_base_form_asks_for_unrecognised_pay_slip_items() {
    for f in fixtures().await {
        let officer = f.app.actor_by_username("branch_secretary").await.unwrap();
        let member = f
            .app
            .db
            .member_search(officer.scope(), &MemberFilter::default(), 1, 0)
            .await
            .unwrap()[0]
            .clone();
        let this_month = domain::dues_ledger::Month::of(app::members::today());
        let january = format!("{}-01", this_month.year);
        let uri = format!("/members/{}/dues/base", member.id);
        let bases = || async {
            f.app
                .member_dues(&officer, member.id, this_month)
                .await
                .unwrap()
                .record
                .bases
                .len()
        };
        let before = bases().await;
        let slip = "基本工资=6000\n高温津贴=300\n单位缴纳养老保险=960\n个人所得税=95\n养老保险=480\n食堂餐费=200\n值班费=200";
        let fields = |extra: &[(&'static str, &'static str)]| {
            let mut v = vec![
                ("category", "in_service"),
                ("components", slip),
                ("effective_month", january.as_str()),
            ];
            v.extend_from_slice(extra);
            v
        };

        let (status, page) = f.form("branch_secretary", &uri, &fields(&[])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            page.contains("以下工资项目未识别")
                && page.contains("name=\"class:值班费\"")
                && page.contains("请选择")
                && page.contains("不计入也不扣除")
                && page.contains("改革性补贴：防暑降温")
                && page.contains("按对照表（不计入）"),
            "{page}"
        );
        assert_eq!(bases().await, before, "nothing is saved");

        let (status, page) = f
            .form(
                "branch_secretary",
                &uri,
                &fields(&[("class:值班费", "不计入"), ("preview", "1")]),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("试算结果：每月 81.38 元")
                && page.contains("「值班费」200.00 元，录入人注明不计入基数"),
            "{page}"
        );
        assert_eq!(bases().await, before, "a trial saves nothing");

        let (status, _) = f
            .form(
                "branch_secretary",
                &uri,
                &fields(&[("class:值班费", "不计入")]),
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let record = f
            .app
            .member_dues(&officer, member.id, this_month)
            .await
            .unwrap()
            .record;
        let saved = record.bases.last().unwrap();
        // 6000 − 95 − 480 = 5425.00 → 1.5% → 81.375 → 81.38
        assert_eq!(saved.base_fen, Some(542_500));
        for line in [
            "「高温津贴」300.00 元，属“改革性补贴：防暑降温”，不计入基数。依据：防暑降温费",
            "「食堂餐费」200.00 元，属“其他扣款”，不扣除也不计入。",
            "「值班费」200.00 元，录入人注明不计入基数",
            "计算基数 = 6000.00 − 575.00 = 5425.00 元",
        ] {
            assert!(saved.working.contains(line), "{line}: {}", saved.working);
        }
        assert!(!saved.working.contains("DOMAIN") && !saved.working.contains('§'));
        assert!(saved.working.contains("组电明字〔2017〕5号"));

        // The API reads the same slip the same way; an item is classified by a suffix or by name.
        let (status, body) = f
            .api(
                "member",
                "POST",
                "/api/v1/dues/quote",
                Some(json!({"category": "in_service", "components": "基本工资=6000,值班费=200"})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"].as_str().unwrap().contains("「值班费」"),
            "{body}"
        );
        for request in [
            json!({"category": "in_service", "components": "基本工资=6000,值班费=200:不计入"}),
            json!({"category": "in_service", "components": "基本工资=6000,值班费=200",
                   "classes": {"值班费": "不计入"}}),
        ] {
            let (status, quote) = f
                .api("member", "POST", "/api/v1/dues/quote", Some(request))
                .await;
            assert_eq!(status, StatusCode::OK, "{quote}");
            assert_eq!(quote["base"], "6000.00");
            assert_eq!(quote["items"][1]["class"], "不计入");
            assert_eq!(quote["items"][1]["chosen"], true);
            assert_eq!(quote["items"][0]["rule"], "固定、经常性的工资");
        }
    }
}

/// The classification table is readable by staff and refused to a member.
#[tokio::test]
async fn the_pay_slip_table_is_shown_to_staff() {
    let f = fixture().await;
    for user in ["admin", "street_admin", "branch_secretary"] {
        let (status, page) = f.page(user, "/dues/items").await;
        assert_eq!(status, StatusCode::OK, "{user}");
        for text in [
            "工资项目对照表",
            "含“高温”",
            "单位缴纳的五险一金和年金",
            "基本离退休费、基本养老金",
            "须由录入人注明",
            "组电明字〔2017〕5号",
        ] {
            assert!(page.contains(text), "{user}: {text}");
        }
        assert!(!page.contains("DOMAIN") && !page.contains('§'));
    }
    let (status, _) = f.page("member", "/dues/items").await;
    assert!(refused(status), "{status}");
    let (status, _) = f
        .call(Request::get("/dues/items").body(Body::empty()).unwrap())
        .await;
    assert!(status.is_redirection() || status == StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn political_birthdays_list_only_the_scope() {
    let f = fixture().await;
    let today = app::members::today();
    let street = f.app.actor_by_username("street_admin").await.unwrap();
    let admin = f.app.actor_by_username("admin").await.unwrap();
    let theirs = f.app.political_birthdays(&street, today).await.unwrap();
    let all = f.app.political_birthdays(&admin, today).await.unwrap();
    assert!(
        all.this_month.len() > theirs.this_month.len(),
        "a street sees fewer than the district"
    );
    let foreign = f
        .app
        .db
        .member_get(Scope::Subtree(1), f.foreign_member)
        .await
        .unwrap();
    assert!(theirs.this_month.iter().all(|b| b.member.id != foreign.id));
    assert!(
        all.today
            .iter()
            .all(|b| domain::dates::is_anniversary(b.member.admitted_on, today))
    );
    let (status, body) = f.page("street_admin", "/birthdays").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("政治生日") && body.contains("birthdays-today"));
    let (status, _) = f.page("member", "/birthdays").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_recorded_themed_party_day_turns_its_ledger_cell_green() {
    for f in fixtures().await {
        let officer = f.app.actor_by_username("branch_secretary").await.unwrap();
        let roster = f
            .app
            .meeting_roster(&officer, officer.org_id)
            .await
            .unwrap();
        let today = app::members::today();
        let this_month =
            domain::orglife::Period::containing(domain::orglife::Frequency::Monthly, today).label();
        let branch = officer.org_id.to_string();
        let (status, ledger) = f
            .page("branch_secretary", &format!("/orglife?org_id={branch}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        let cell = |html: &str| {
            let row = html
                .split("data-institution=\"themed_party_day\"")
                .nth(1)
                .unwrap_or("")
                .to_string();
            let at = row.find(&format!("{this_month} ")).unwrap_or(0);
            row[row[..at].rfind("class=\"cell").unwrap_or(0)..at].to_string()
        };
        assert!(cell(&ledger).contains("st-pending"), "{}", cell(&ledger));

        // Too late to back-fill, and an absentee without a reason, are both refused, and the
        // form comes back with what was typed.
        let form = |held_on: String, with_reasons: bool| {
            let mut pairs: Vec<(String, String)> = [
                ("org_id", branch.clone()),
                ("institution", "themed_party_day".to_string()),
                ("held_on", held_on),
                ("place", "党群服务中心".to_string()),
                ("chair", "书记".to_string()),
                ("recorder", "组织委员".to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            for (i, p) in roster.iter().enumerate() {
                if i == 0 {
                    pairs.push(("present".into(), p.id.to_string()));
                } else {
                    let reason = if with_reasons { "出差" } else { "" };
                    pairs.push((format!("reason_{}", p.id), reason.into()));
                }
            }
            pairs
        };
        let (status, body) = f
            .form_owned(
                "branch_secretary",
                "/orglife/meetings",
                form((today - chrono::Duration::days(40)).to_string(), true),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body.contains("补录期限") && body.contains("党群服务中心"),
            "what was typed is kept"
        );
        if roster.len() > 1 {
            let (status, body) = f
                .form_owned(
                    "branch_secretary",
                    "/orglife/meetings",
                    form(today.to_string(), false),
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert!(body.contains("缺席原因"));
        }
        let (status, body) = f
            .form_owned(
                "branch_secretary",
                "/orglife/meetings",
                form(today.to_string(), true),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "{}",
            &body[..body.len().min(400)]
        );

        let (_, ledger) = f
            .page("branch_secretary", &format!("/orglife?org_id={branch}"))
            .await;
        assert!(cell(&ledger).contains("st-met"), "{}", cell(&ledger));
        let meetings = f
            .app
            .db
            .meetings_between(officer.scope(), officer.org_id, today, today)
            .await
            .unwrap();
        assert_eq!(meetings.len(), 1);
        let (status, page) = f
            .page(
                "branch_secretary",
                &format!("/orglife/meetings/{}", meetings[0].id),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&format!("应到 {} 人，实到 1 人", roster.len())));

        // An amendment keeps the first version.
        let mut amended = form(today.to_string(), true);
        amended.retain(|(k, _)| k != "place");
        amended.push(("place".into(), "社区会议室".into()));
        let (status, _) = f
            .form_owned(
                "branch_secretary",
                &format!("/orglife/meetings/{}", meetings[0].id),
                amended,
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = f
            .page(
                "branch_secretary",
                &format!("/orglife/meetings/{}", meetings[0].id),
            )
            .await;
        assert!(
            page.contains("社区会议室") && page.contains("第 2 版") && page.contains("修改记录")
        );
        let (status, edit) = f
            .page(
                "branch_secretary",
                &format!("/orglife/meetings/{}/edit", meetings[0].id),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(edit.contains("修改会议记录") && edit.contains("社区会议室"));
        // The district's roll-up counts the branch.
        let (status, xlsx) = f
            .page(
                "branch_secretary",
                &format!("/orglife/export?org_id={branch}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(xlsx.starts_with("PK"), "an xlsx file");
        let exported = f
            .app
            .audit_log(
                &f.app.actor_by_username("street_admin").await.unwrap(),
                Some("ledger"),
                5,
                0,
            )
            .await
            .unwrap();
        assert!(
            exported.iter().any(|r| r.action == "export"),
            "the export is audited"
        );
        let (status, _) = f.page("admin", "/orglife/export").await;
        assert_eq!(status, StatusCode::OK, "the district's roll-up exports too");
        let (status, rollup) = f.page("admin", "/orglife").await;
        assert_eq!(status, StatusCode::OK);
        assert!(rollup.contains("ledger-rollup"));
    }
}

/// Posts a multipart upload of one file as `user`, with the session's CSRF token.
async fn upload(
    f: &Fixture,
    user: &str,
    uri: &str,
    file_name: &str,
    bytes: &[u8],
) -> (StatusCode, String) {
    let (cookie, csrf) = &f.sessions[user];
    let (content_type, body) = multipart(&[("csrf", csrf)], &[("file", file_name, bytes)]);
    let request = Request::post(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    f.call(request).await
}

/// A real picture, for residents' photos (which are decoded and re-encoded on intake).
fn photo_png() -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::new(32, 24))
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

const TINY_PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
];

#[tokio::test]
async fn organisational_life_extras_refuse_another_subtree() {
    for f in fixtures().await {
        let admin = f.app.actor_by_username("admin").await.unwrap();
        let who = "street_admin";
        let meeting = app::orglife::MeetingInput {
            institution: "支部党员大会".into(),
            held_on: app::members::today().to_string(),
            place: "某地".into(),
            chair: "某".into(),
            recorder: "某".into(),
            ..Default::default()
        };
        let foreign_meeting = f
            .app
            .record_meeting(&admin, f.foreign_branch, &meeting)
            .await
            .unwrap();
        let foreign_file = f
            .app
            .attach_to_meeting(&admin, foreign_meeting, "a.png", TINY_PNG)
            .await
            .unwrap();
        let foreign_exemption = f
            .app
            .grant_exemption(
                &admin,
                f.foreign_branch,
                &app::orglife_rules::ExemptionInput {
                    institution: String::new(),
                    from: "2026-01-01".into(),
                    to: "2026-01-31".into(),
                    reason: "测试".into(),
                    approval: "区委".into(),
                },
            )
            .await
            .unwrap();
        let (status, _) = f
            .page(who, &format!("/orglife/attachments/{foreign_file}"))
            .await;
        assert!(refused(status), "an attachment of another street: {status}");
        let (status, _) = f.page(who, "/orglife/rules").await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "only the system admin keeps the rules"
        );
        let (status, _) = f
            .form(
                who,
                "/orglife/rules",
                &[("kind", "*"), ("effective_year", "2026")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let branch = f.foreign_branch.to_string();
        let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
            (
                format!("/orglife/meetings/{foreign_meeting}/votes"),
                vec![
                    ("decision", "ordinary"),
                    ("subject", "越权"),
                    ("expected", "3"),
                    ("present", "3"),
                    ("yes", "3"),
                ],
            ),
            (
                "/orglife/exemptions".into(),
                vec![
                    ("org_id", branch.as_str()),
                    ("from", "2026-02-01"),
                    ("to", "2026-02-28"),
                    ("reason", "越权"),
                    ("approval", "无"),
                ],
            ),
            (
                format!("/orglife/exemptions/{foreign_exemption}/delete"),
                vec![],
            ),
        ];
        for (uri, fields) in &posts {
            let (status, body) = f.form(who, uri, fields).await;
            assert!(
                refused(status),
                "POST {uri} gave {status}: {}",
                &body[..body.len().min(300)]
            );
        }
        let (status, _) = upload(
            &f,
            who,
            &format!("/orglife/meetings/{foreign_meeting}/attachments"),
            "x.png",
            TINY_PNG,
        )
        .await;
        assert!(refused(status), "uploading to another street's meeting");
        // A member of another branch cannot sign in to this meeting.
        let (status, _) = f
            .form(
                "member",
                &format!("/orglife/meetings/{foreign_meeting}/signin"),
                &[],
            )
            .await;
        assert!(refused(status), "signing in elsewhere gave {status}");
        // Nothing changed.
        assert!(
            f.app
                .meeting_votes(&admin, foreign_meeting)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            f.app
                .meeting_attachments(&admin, foreign_meeting)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            f.app
                .exemptions(&admin, f.foreign_branch)
                .await
                .unwrap()
                .len(),
            1
        );
        let (_, attendance) = f
            .app
            .db
            .meeting_get(admin.scope(), foreign_meeting)
            .await
            .unwrap();
        assert!(attendance.is_empty());

        // Someone else's message cannot be marked read.
        f.app.sweep(app::calls::local_now()).await.unwrap();
        let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
        let theirs = f.app.inbox(&secretary).await.unwrap();
        assert!(
            !theirs.is_empty(),
            "the sweep reminded the branch secretary"
        );
        let (status, _) = f
            .form(who, &format!("/inbox/{}/read", theirs[0].id), &[])
            .await;
        assert!(refused(status));
        assert!(f.app.inbox(&secretary).await.unwrap()[0].read_at.is_none());
    }
}

#[tokio::test]
async fn votes_attachments_exemptions_and_rules_through_the_pages() {
    for f in fixtures().await {
        let officer = f.app.actor_by_username("branch_secretary").await.unwrap();
        let branch = officer.org_id;
        let roster = f.app.meeting_roster(&officer, branch).await.unwrap();
        let input = app::orglife::MeetingInput {
            institution: "支部党员大会".into(),
            held_on: app::members::today().to_string(),
            place: "党员活动室".into(),
            chair: "书记".into(),
            recorder: "组织委员".into(),
            present: roster.iter().map(|m| m.id).collect(),
            ..Default::default()
        };
        let meeting = f
            .app
            .record_meeting(&officer, branch, &input)
            .await
            .unwrap();
        // An instance may allow a longer back-filling period than the default 30 days.
        let late = app::orglife::MeetingInput {
            held_on: (app::members::today() - chrono::Duration::days(40)).to_string(),
            ..input.clone()
        };
        assert!(f.app.record_meeting(&officer, branch, &late).await.is_err());
        let mut lenient = f.app.clone();
        lenient.backfill_days = 45;
        lenient
            .record_meeting(&officer, branch, &late)
            .await
            .unwrap();
        let uri = format!("/orglife/meetings/{meeting}/votes");
        // The demo's branch has 预备党员 (two seeded, two admitted through its 发展党员 files)
        // and a member under 留党察看: everyone is present, but only the 正式党员 without
        // restriction vote, and the form is prefilled with them.
        let electorate = f.app.vote_electorate(&officer, meeting).await.unwrap();
        let listed = electorate.counts.listed;
        assert_eq!(listed.total as usize, roster.len());
        assert_eq!((listed.probationary, listed.party_probation), (4, 1));
        let voters = listed.voters;
        assert_eq!(voters as usize, roster.len() - 5);
        let (_, page) = f
            .page("branch_secretary", &format!("/orglife/meetings/{meeting}"))
            .await;
        assert!(
            page.contains(&format!(r#"name="expected" value="{voters}""#)),
            "prefilled 应到会"
        );
        assert!(
            page.contains(&format!(r#"name="present" value="{voters}""#)),
            "prefilled 实到会"
        );
        assert!(
            page.contains(&format!(
                "出席 {} 人，其中有表决权 {voters} 人，预备党员 4 人、受留党察看处分 1 人不参加表决",
                roster.len()
            )),
            "the breakdown in words"
        );
        assert!(
            page.contains("预备党员，无表决权"),
            "noted on the sign-in list"
        );
        assert!(!page.contains("DOMAIN"), "no rule sections on pages");
        let typed = |expected: u32, present: u32, yes: u32, against: u32| {
            vec![
                ("decision".to_string(), "ordinary".to_string()),
                ("subject".into(), "讨论换届方案".into()),
                ("expected".into(), expected.to_string()),
                ("present".into(), present.to_string()),
                ("yes".into(), yes.to_string()),
                ("against".into(), against.to_string()),
            ]
        };
        // Everyone on the list typed as 应到会: refused, naming the numbers.
        let (status, body) = f
            .form_owned(
                "branch_secretary",
                &uri,
                typed(roster.len() as u32, voters, voters, 0),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body.contains(&format!("填写了 {} 人", roster.len()))
                && body.contains(&format!("有表决权的只有 {voters} 人")),
            "{}",
            &body[body.find("role=\"alert\"").unwrap_or(0)..][..400]
        );
        // No quorum: refused, and what was typed comes back.
        let (status, body) = f
            .form_owned(
                "branch_secretary",
                &uri,
                typed(voters, voters / 2, voters / 2, 0),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("会议不能作出决议") && body.contains("讨论换届方案"));
        let (status, _) = f
            .form_owned(
                "branch_secretary",
                &uri,
                typed(voters, voters, voters / 2, voters - voters / 2),
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = f
            .page("branch_secretary", &format!("/orglife/meetings/{meeting}"))
            .await;
        assert!(
            page.contains("未通过，不形成决议"),
            "half of those expected is not a majority"
        );
        // Admitting a 预备党员 is for the 支部党员大会 alone.
        let themed_day = f
            .app
            .record_meeting(
                &officer,
                branch,
                &app::orglife::MeetingInput {
                    institution: "主题党日".into(),
                    ..input.clone()
                },
            )
            .await
            .unwrap();
        let mut admission = typed(voters, voters, voters, 0);
        admission[0].1 = "admission".into();
        let (status, body) = f
            .form_owned(
                "branch_secretary",
                &format!("/orglife/meetings/{themed_day}/votes"),
                admission.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body.contains("须由支部党员大会讨论表决")
                && body.contains("《中国共产党发展党员工作细则》"),
            "the rule and the regulation are named"
        );
        let (status, _) = f.form_owned("branch_secretary", &uri, admission).await;
        assert_eq!(status, StatusCode::SEE_OTHER);

        // Attachments: a photo is kept and served back; anything else is refused.
        let upload_uri = format!("/orglife/meetings/{meeting}/attachments");
        let (status, body) =
            upload(&f, "branch_secretary", &upload_uri, "evil.exe", b"MZ\x90\0").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("只能上传照片"));
        let (status, _) = upload(&f, "branch_secretary", &upload_uri, "签到表.png", TINY_PNG).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let files = f.app.meeting_attachments(&officer, meeting).await.unwrap();
        assert_eq!(files.len(), 1);
        let response = f
            .router
            .clone()
            .oneshot(
                Request::get(format!("/orglife/attachments/{}", files[0].id))
                    .header(header::COOKIE, &f.sessions["branch_secretary"].0)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.headers()[header::CONTENT_TYPE], "image/png");
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );

        // Exemptions: a branch cannot excuse itself; its street admin can.
        let exemption = [
            ("org_id", branch.to_string()),
            ("institution", "themed_party_day".to_string()),
            ("from", "2026-02-01".to_string()),
            ("to", "2026-02-28".to_string()),
            ("reason", "春节走访慰问".to_string()),
            ("approval", "社区大党委批准".to_string()),
        ];
        let pairs: Vec<(String, String)> = exemption
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let (status, _) = f
            .form_owned("branch_secretary", "/orglife/exemptions", pairs.clone())
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = f
            .form_owned("street_admin", "/orglife/exemptions", pairs)
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, ledger) = f
            .page(
                "street_admin",
                &format!("/orglife?org_id={branch}&year=2026"),
            )
            .await;
        assert!(ledger.contains("春节走访慰问"));
        let row = ledger
            .split("data-institution=\"themed_party_day\"")
            .nth(1)
            .unwrap_or("");
        let february = row.find("title=\"2026年2月 ").unwrap();
        assert!(
            row[..february].ends_with("st-exempt\" "),
            "February is exempt: {}",
            &row[..february]
        );

        // Rules: the admin saves a lighter schedule for temporary branches from next year, and
        // a past year is refused.
        let year = app::orglife::this_year();
        let mut rules: Vec<(String, String)> = vec![
            ("kind".into(), "temporary".into()),
            ("effective_year".into(), (year - 1).to_string()),
        ];
        for code in ["branch_general_meeting", "themed_party_day"] {
            rules.push((format!("owed_{code}"), "1".into()));
            rules.push((format!("frequency_{code}"), "quarterly".into()));
            rules.push((format!("min_{code}"), "1".into()));
        }
        let (status, body) = f.form_owned("admin", "/orglife/rules", rules.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("往年的台账"));
        rules[1].1 = (year + 1).to_string();
        let (status, _) = f.form_owned("admin", "/orglife/rules", rules).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, page) = f.page("admin", "/orglife/rules?kind=temporary").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("第 1 版") && page.contains(&format!("自 {} 年起执行", year + 1)));
        let admin = f.app.actor_by_username("admin").await.unwrap();
        let kinds = f.app.rule_sets(&admin, year + 1).await.unwrap();
        let temporary = kinds.iter().find(|k| k.kind == "temporary").unwrap();
        assert_eq!(temporary.in_force.rules.len(), 2);
        let this_year = f.app.rule_sets(&admin, year).await.unwrap();
        assert_eq!(
            this_year
                .iter()
                .find(|k| k.kind == "temporary")
                .unwrap()
                .in_force,
            domain::orglife::default_branch_rules(),
            "this year's ledgers keep this year's rules"
        );
    }
}

#[tokio::test]
async fn members_sign_in_on_their_phone_and_the_sweep_fills_the_inboxes_once() {
    for f in fixtures().await {
        let officer = f.app.actor_by_username("branch_secretary").await.unwrap();
        let member = f.app.actor_by_username("member").await.unwrap();
        let roster = f
            .app
            .meeting_roster(&officer, officer.org_id)
            .await
            .unwrap();
        let today = app::members::today();
        // The officer opens today's themed party day for sign-in, ticking nobody but themself.
        let mut pairs: Vec<(String, String)> = [
            ("org_id", officer.org_id.to_string()),
            ("institution", "themed_party_day".to_string()),
            ("held_on", today.to_string()),
            ("place", "党群服务中心".to_string()),
            ("chair", "书记".to_string()),
            ("recorder", "组织委员".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for p in &roster {
            pairs.push((format!("reason_{}", p.id), String::new()));
        }
        let (status, body) = f
            .form_owned("branch_secretary", "/orglife/meetings", pairs.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "absentees need reasons unless sign-in is open"
        );
        assert!(body.contains("缺席原因"));
        pairs.push(("open_sign_in".into(), "1".into()));
        let (status, _) = f
            .form_owned("branch_secretary", "/orglife/meetings", pairs)
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let meeting = f
            .app
            .db
            .meetings_between(officer.scope(), officer.org_id, today, today)
            .await
            .unwrap()[0]
            .id;

        let (status, me) = f.page("member", "/me").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            me.contains("今天的会议") && me.contains(">签到</button>"),
            "{me}"
        );
        let (status, _) = f
            .form(
                "member",
                &format!("/orglife/meetings/{meeting}/signin"),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, me) = f.page("member", "/me?signed=1").await;
        assert!(me.contains("签到成功") && me.contains("已签到"));
        let (_, page) = f
            .page("branch_secretary", &format!("/orglife/meetings/{meeting}"))
            .await;
        assert!(page.contains("本人签到"));
        assert!(page.contains(&format!("应到 {} 人，实到 1 人", roster.len())));
        // Staff cannot sign in as a member.
        let (status, _) = f
            .form(
                "branch_secretary",
                &format!("/orglife/meetings/{meeting}/signin"),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The sweep reminds the secretary, once however often it runs.
        let now = app::calls::local_now();
        let first = f.app.sweep(now).await.unwrap();
        assert!(first.reminders_queued >= 1, "{first:?}");
        assert_eq!(
            first.delivered,
            first.reminders_queued + first.greetings_queued + first.admission_reminders
        );
        let again = f.app.sweep(now).await.unwrap();
        assert_eq!(
            (
                again.reminders_queued,
                again.greetings_queued,
                again.delivered
            ),
            (0, 0, 0)
        );
        let (status, inbox) = f.page("branch_secretary", "/inbox").await;
        assert_eq!(status, StatusCode::OK);
        assert!(inbox.contains("本期待开展"), "{inbox}");
        let message = f.app.inbox(&officer).await.unwrap()[0].id;
        let (status, _) = f
            .form("branch_secretary", &format!("/inbox/{message}/read"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(f.app.inbox(&officer).await.unwrap()[0].read_at.is_some());
        // The member's inbox holds no staff reminders.
        assert!(
            f.app
                .inbox(&member)
                .await
                .unwrap()
                .iter()
                .all(|m| m.kind == "political_birthday")
        );
    }
}

/// Logs in a user made during a test and keeps their session under `key`.
async fn add_session(f: &mut Fixture, key: &'static str, username: &str) {
    let (_, session) = f.app.login(username, PASSWORD, LOCAL).await.unwrap();
    f.sessions.insert(
        key,
        (format!("dj_session={}", session.token), session.csrf_token),
    );
}

/// A department handler login for the named department.
async fn department_handler(f: &mut Fixture, key: &'static str, department: &str) -> i64 {
    let admin = f.app.actor_by_username("admin").await.unwrap();
    let root = f.app.public_root().await.unwrap();
    let unit = f
        .app
        .call_units_of(root)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.name == department)
        .unwrap();
    f.app
        .create_user(
            &admin,
            &app::users::UserInput {
                username: key.into(),
                display_name: format!("{department}办理人"),
                password: PASSWORD.into(),
                role: "dept_handler".into(),
                org_id: admin.org_id,
                member_id: None,
                call_unit_id: Some(unit.id),
            },
        )
        .await
        .unwrap();
    add_session(f, key, key).await;
    unit.id
}

/// Submits a call through the public form; returns the tracking code.
async fn public_call(f: &Fixture, item: &str, territory: i64, photo: Option<&[u8]>) -> String {
    let territory = territory.to_string();
    let files: Vec<(&str, &str, &[u8])> = photo.map_or(vec![], |p| vec![("photos", "现场.png", p)]);
    let (content_type, body) = multipart(
        &[
            ("item_code", item),
            ("territory_id", territory.as_str()),
            ("address", "桃园小区 3 栋"),
            ("description", "小区门口车辆乱停，消防通道被堵"),
            ("resident_name", "王女士"),
            ("phone", "13912345678"),
        ],
        &files,
    );
    let response = f
        .router
        .clone()
        .oneshot(
            Request::post("/public/calls")
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string()
}

async fn public_post(f: &Fixture, uri: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    f.call(
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.join("&")))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_call_goes_from_the_public_form_through_community_street_and_departments_to_a_rating() {
    for mut f in fixtures().await {
        let root = f.app.public_root().await.unwrap();
        let community_admin = f.app.actor_by_username("community_admin").await.unwrap();
        let units = f.app.call_units_of(root).await.unwrap();
        let community = units
            .iter()
            .find(|u| u.org_id == Some(community_admin.org_id))
            .unwrap();
        let territory = community.territory_id.unwrap();
        let lead = department_handler(&mut f, "dept_lead", "区城市管理和综合执法局").await;
        // The demo's own calls may reach this department too: count from here.
        let lead_actor = f.app.actor_by_username("dept_lead").await.unwrap();
        let received_by_lead =
            |rows: Vec<app::calls::FigureRow>| rows.last().map_or(0, |r| r.figures.received);
        let lead_before = received_by_lead(
            f.app
                .call_figures(&lead_actor, app::orglife::this_year())
                .await
                .unwrap(),
        );
        let support = department_handler(&mut f, "dept_support", "公安分局").await;
        department_handler(&mut f, "dept_other", "区教育局").await;

        // A bad phone keeps what was typed; a good submission gets a tracking code.
        let (content_type, body) = multipart(
            &[
                ("item_code", "C05-01"),
                ("territory_id", &territory.to_string()),
                ("description", "小区门口车辆乱停，消防通道被堵"),
                ("phone", "12345"),
            ],
            &[],
        );
        let (status, page) = f
            .call(
                Request::post("/public/calls")
                    .header(header::CONTENT_TYPE, content_type)
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("联系电话") && page.contains("消防通道被堵"));
        let code = public_call(&f, "C05-01", territory, Some(&photo_png())).await;
        let (status, track) = f
            .page("member", &format!("/public/calls/track?code={code}&new=1"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(track.contains("待受理") && track.contains(&community.name));
        assert!(!track.contains("13912345678"), "the phone is never public");
        let (status, _) = public_post(
            &f,
            "/public/calls/rate",
            &[
                ("code", &code),
                ("phone_tail", "5678"),
                ("rating", "satisfied"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "nothing to rate yet");

        let call = f
            .app
            .calls(&community_admin, true)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.row.tracking_code == code)
            .unwrap();
        let id = call.row.id;
        let uri = format!("/calls/{id}");
        let act = format!("/calls/{id}/act");
        // The holding community hears of it in its inbox, and no one else does.
        let titled = |messages: Vec<store::Message>, what: &str| {
            messages
                .iter()
                .any(|m| m.title.contains(what) && m.title.contains(&code) && m.link == uri)
        };
        assert!(titled(
            f.app.inbox(&community_admin).await.unwrap(),
            "新的居民呼声待签收"
        ));
        let street_admin = f.app.actor_by_username("street_admin").await.unwrap();
        assert!(!titled(f.app.inbox(&street_admin).await.unwrap(), "待签收"));
        let (status, page) = f.page("community_admin", &uri).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("13912345678"), "the holder sees the phone");
        let (_, page) = f.page("street_admin", &uri).await;
        assert!(page.contains("139****5678"), "others see it masked");
        assert!(!page.contains("13912345678"));
        // The street may not act for the community.
        let (status, _) = f
            .form("street_admin", &act, &[("action", "acknowledge")])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A community cannot skip its street, and a street calls only departments in.
        let skip = lead.to_string();
        let (status, body) = f
            .form(
                "community_admin",
                &act,
                &[("action", "escalate"), ("unit_id", &skip), ("text", "越级")],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("只能上报到上一级单位"));
        for (action, text) in [
            ("acknowledge", ""),
            ("escalate", "涉及多个部门，社区无法协调"),
        ] {
            let (status, body) = f
                .form(
                    "community_admin",
                    &act,
                    &[("action", action), ("text", text)],
                )
                .await;
            assert_eq!(
                status,
                StatusCode::SEE_OTHER,
                "{action}: {}",
                &body[..body.len().min(300)]
            );
        }
        assert!(
            titled(f.app.inbox(&street_admin).await.unwrap(), "上报至本单位"),
            "the street hears of the escalation"
        );
        let lead_s = lead.to_string();
        let support_s = support.to_string();
        let community_s = community.id.to_string();
        let (status, body) = f
            .form(
                "street_admin",
                &act,
                &[
                    ("action", "whistle"),
                    ("unit_id", &community_s),
                    ("text", "叫社区报到"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("吹哨只能叫区级职能部门报到"));
        let (status, _) = f
            .form(
                "street_admin",
                &act,
                &[
                    ("action", "whistle"),
                    ("unit_id", &lead_s),
                    ("supporting", &support_s),
                    ("text", "消防通道长期被占，请城管牵头、公安配合"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        // The supporting department sees the call but does not hold it; another department
        // does not see it at all.
        let (status, _) = f.page("dept_support", &uri).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = f
            .form("dept_support", &act, &[("action", "acknowledge")])
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = f.page("dept_other", &uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        for (action, text) in [
            ("acknowledge", ""),
            ("resolve", "已清理占道车辆，设置隔离桩"),
        ] {
            let (status, _) = f
                .form("dept_lead", &act, &[("action", action), ("text", text)])
                .await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{action}");
        }
        // The resident: a wrong phone is refused, not satisfied reopens, satisfied closes.
        let (status, body) = public_post(
            &f,
            "/public/calls/rate",
            &[
                ("code", &code),
                ("phone_tail", "0000"),
                ("rating", "satisfied"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("手机号后四位不符"));
        let (status, _) = public_post(
            &f,
            "/public/calls/rate",
            &[
                ("code", &code),
                ("phone_tail", "5678"),
                ("rating", "not_satisfied"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, track) = f
            .page("member", &format!("/public/calls/track?code={code}"))
            .await;
        assert!(
            track.contains("办理中") && track.contains("重新办理"),
            "{track}"
        );
        let (status, _) = f
            .form(
                "dept_lead",
                &act,
                &[("action", "resolve"), ("text", "加装监控，每日巡查")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = public_post(
            &f,
            "/public/calls/rate",
            &[
                ("code", &code),
                ("phone_tail", "5678"),
                ("rating", "satisfied"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, track) = f
            .page("member", &format!("/public/calls/track?code={code}"))
            .await;
        assert!(track.contains("已关闭"));
        for step in ["已签收", "上报", "吹哨", "已办结", "不满意", "满意"] {
            assert!(track.contains(step), "history has {step}");
        }

        // Figures: the department closed one call, on time, to satisfaction.
        let (status, figures) = f.page("admin", "/calls/figures").await;
        assert_eq!(status, StatusCode::OK);
        assert!(figures.contains("区城市管理和综合执法局") && figures.contains("100.0%"));
        let (status, xlsx) = f.page("street_admin", "/calls/figures/export").await;
        assert_eq!(status, StatusCode::OK);
        assert!(xlsx.starts_with("PK"));
        // The department handler's figures cover only their own calls.
        let own = f
            .app
            .call_figures(&lead_actor, app::orglife::this_year())
            .await
            .unwrap();
        assert_eq!(received_by_lead(own), lead_before + 1);

        // A call nobody acknowledges is sent up by the sweep once its clock has run out.
        let late = public_call(&f, "C01-01", territory, None).await;
        let in_a_month = app::calls::local_now() + chrono::Duration::days(30);
        assert!(
            f.app
                .escalate_overdue_calls(root, in_a_month)
                .await
                .unwrap()
                >= 1
        );
        let (_, track) = f
            .page("member", &format!("/public/calls/track?code={late}"))
            .await;
        assert!(track.contains("超时未受理，自动上报街道"), "{track}");
        assert_eq!(
            f.app
                .escalate_overdue_calls(root, in_a_month)
                .await
                .unwrap(),
            0
        );
    }
}

/// Everything a sweep decides uses its one instant. A call received on 2 March 2026 at 09:00 has
/// long run out of time by the wall clock, yet a sweep as of 2 March (00:00) or 09:10 that day
/// leaves it alone; a sweep as of 3 March sends it up, and the new holder's clock starts then.
#[tokio::test]
async fn the_sweep_escalates_calls_as_of_its_own_instant() {
    let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    for f in fixtures().await {
        let root = f.app.public_root().await.unwrap();
        let community_admin = f.app.actor_by_username("community_admin").await.unwrap();
        let units = f.app.call_units_of(root).await.unwrap();
        let community = units
            .iter()
            .find(|u| u.org_id == Some(community_admin.org_id))
            .unwrap();
        // 生活垃圾清运不及时: the community acknowledges within 120 working minutes.
        let code = public_call(&f, "C01-01", community.territory_id.unwrap(), None).await;
        store::testing::backdate_call(&f.app.db, &code, at("2026-03-02 09:00")).await;

        for before in ["2026-03-02 00:00", "2026-03-02 09:10"] {
            f.app.sweep(at(before)).await.unwrap();
            let now = f.app.db.call_by_tracking_code(&code).await.unwrap();
            assert_eq!(
                (now.level.as_str(), now.holder_unit_id),
                ("community", community.id),
                "a sweep as of {before} is before the deadline"
            );
        }
        let report = f.app.sweep(at("2026-03-03 00:00")).await.unwrap();
        assert!(report.calls_escalated >= 1, "{report:?}");
        let after = f.app.db.call_by_tracking_code(&code).await.unwrap();
        assert_eq!(after.level, "street");
        assert_eq!(Some(after.holder_unit_id), community.parent_id);
        let case: domain::calls::Case = serde_json::from_str(&after.state).unwrap();
        assert_eq!(case.received_at, at("2026-03-03 00:00"));
    }
}

#[tokio::test]
async fn call_pages_refuse_another_subtree_and_other_roles() {
    for mut f in fixtures().await {
        let root = f.app.public_root().await.unwrap();
        let street_admin = f.app.actor_by_username("street_admin").await.unwrap();
        let units = f.app.call_units_of(root).await.unwrap();
        // A community outside street_admin's street.
        let foreign = units
            .iter()
            .find(|u| {
                u.level == "community"
                    && u.parent_id
                        != units
                            .iter()
                            .find(|s| s.org_id == Some(street_admin.org_id))
                            .map(|s| s.id)
            })
            .unwrap();
        department_handler(&mut f, "dept_x", "区民政局").await;
        let code = public_call(
            &f,
            "C01-01",
            foreign.territory_id.unwrap(),
            Some(&photo_png()),
        )
        .await;
        let admin = f.app.actor_by_username("admin").await.unwrap();
        let (call, _, photos) = {
            let id = f
                .app
                .calls(&admin, true)
                .await
                .unwrap()
                .into_iter()
                .find(|c| c.row.tracking_code == code)
                .unwrap()
                .row
                .id;
            f.app.call(&admin, id).await.unwrap()
        };
        let id = call.row.id;
        assert_eq!(photos.len(), 1);
        for who in ["street_admin", "dept_x"] {
            for uri in [
                format!("/calls/{id}"),
                format!("/calls/photos/{}", photos[0]),
            ] {
                let (status, _) = f.page(who, &uri).await;
                assert!(refused(status), "{who} GET {uri} gave {status}");
            }
            let (status, _) = f
                .form(
                    who,
                    &format!("/calls/{id}/act"),
                    &[("action", "acknowledge")],
                )
                .await;
            assert!(refused(status), "{who} acting gave {status}");
            let (_, list) = f.page(who, "/calls?all=1").await;
            assert!(!list.contains(&code), "{who} does not list it");
        }
        for who in ["branch_secretary", "member"] {
            for uri in ["/calls", "/calls/figures", "/calls/new", "/calls/calendar"] {
                let (status, _) = f.page(who, uri).await;
                assert!(refused(status), "{who} GET {uri} gave {status}");
            }
        }
        // Only the system admin keeps the work calendar.
        let (status, _) = f.page("street_admin", "/calls/calendar").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = f
            .form(
                "street_admin",
                "/calls/calendar",
                &[("year", "2027"), ("holidays", "2027-01-01")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = f
            .form(
                "admin",
                "/calls/calendar",
                &[("year", "2027"), ("holidays", "2027-13-01")],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("不是有效日期"));
        let (status, _) = f
            .form(
                "admin",
                "/calls/calendar",
                &[
                    ("year", "2027"),
                    ("holidays", "2027-01-01\n2027-02-06"),
                    ("makeup", ""),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, page) = f.page("admin", "/calls/calendar").await;
        assert!(page.contains("2027-02-06"));
        // The catalogue is the system admin's: a new item appears on the public form, limits
        // that shrink from acknowledging to resolving are refused.
        let (status, _) = f.page("street_admin", "/calls/catalogue").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = f
            .form(
                "street_admin",
                "/calls/catalogue",
                &[("new_code", "C12-04")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let new_item = |resolve: &'static str| {
            vec![
                ("new_code", "C12-04"),
                ("new_category_name", "矛盾纠纷"),
                ("new_name", "宠物扰民"),
                ("new_first_level", "community"),
                ("new_ack", "2 小时"),
                ("new_respond", "1 个工作日"),
                ("new_resolve", resolve),
            ]
        };
        let (status, body) = f
            .form("admin", "/calls/catalogue", &new_item("1 小时"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("答复不长于办结"), "{body}");
        let (status, body) = f.form("admin", "/calls/catalogue", &new_item("五天")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, _) = f
            .form("admin", "/calls/catalogue", &new_item("5 个工作日"))
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, catalogue) = f.page("admin", "/calls/catalogue").await;
        assert!(
            catalogue.contains("value=\"5 个工作日\""),
            "time limits read in working days"
        );
        let (_, form) = f.page("member", "/public/calls/new").await;
        assert!(form.contains("宠物扰民"));

        // The call's own community admin, by contrast, sees and may act.
        let (status, _) = f.page("admin", &format!("/calls/{id}")).await;
        assert_eq!(status, StatusCode::OK);
    }
}

// ---- Logins, accounts, API tokens and headers (issue 9) ----

/// Posts the login form as a browser at `ip` would (the form token is the one its cookie holds).
async fn login_from(f: &Fixture, ip: &str, username: &str, password: &str) -> (StatusCode, String) {
    let mut request = Request::post("/login")
        .header(header::COOKIE, "dj_login_csrf=formtoken")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username={}&password={}&csrf=formtoken",
            encode(username),
            encode(password)
        )))
        .unwrap();
    let peer: std::net::SocketAddr = format!("{ip}:50000").parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    f.call(request).await
}

fn user_id_of(body: &str, username: &str) -> i64 {
    // The users page links each row's actions by id; find the row of `username`.
    let row = body
        .split("<tr>")
        .find(|r| r.contains(&format!(">{username}<")))
        .unwrap_or_else(|| panic!("{username} not listed"));
    let start = row.find("/users/").unwrap() + "/users/".len();
    row[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_guesser_locks_only_their_own_client_and_an_admin_unlocks() {
    let f = fixture().await;
    for _ in 0..5 {
        let (status, body) =
            login_from(&f, "203.0.113.7", "branch_secretary", "wrong-password1").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("用户名或密码错误"));
    }
    let (status, body) = login_from(&f, "203.0.113.7", "branch_secretary", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser is locked"
    );
    assert!(body.contains("分钟后再试"));
    let (status, _) = login_from(&f, "198.51.100.20", "branch_secretary", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the user logs in from their own machine"
    );

    // An org admin over the user lifts the lock; others may not.
    let (_, users) = f.page("street_admin", "/users").await;
    let id = user_id_of(&users, "branch_secretary");
    let unlock = format!("/users/{id}/unlock");
    let (status, _) = f.form("branch_secretary", &unlock, &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, all) = f.page("admin", "/users").await;
    let foreign = user_id_of(&all, "street_admin");
    let (status, _) = f
        .form("community_admin", &format!("/users/{foreign}/unlock"), &[])
        .await;
    assert!(refused(status), "outside the subtree: {status}");
    let (status, body) = f.form("street_admin", &unlock, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("已解除"), "{body}");
    let (status, _) = login_from(&f, "203.0.113.7", "branch_secretary", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "unlocked");
}

#[tokio::test]
async fn one_client_spraying_names_is_throttled_and_long_names_are_refused_at_the_door() {
    let f = fixture().await;
    // A megabyte of name is over the form's body limit and never reaches the login at all.
    let huge = "n".repeat(1024 * 1024);
    let (status, body) = login_from(&f, "203.0.113.9", &huge, "whatever1").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.len() < 64 * 1024, "the name is not echoed back");
    // Within the body limit, a name longer than any user name is refused before any look-up.
    let long = "n".repeat(100_000);
    let (status, body) = login_from(&f, "203.0.113.9", &long, "whatever1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("用户名或密码错误"));
    assert!(body.len() < 64 * 1024, "the name is not echoed back");
    for i in 0..40 {
        let name = format!("{i}{}", "x".repeat(100_000));
        login_from(&f, "203.0.113.9", &name, "whatever1").await;
    }
    let (status, _) = login_from(&f, "203.0.113.9", "street_admin", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "a client that sprays names is stopped"
    );
    let (status, _) = login_from(&f, "198.51.100.21", "street_admin", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "other clients are not");
}

#[tokio::test]
async fn many_clients_guessing_one_name_meet_the_slower_global_back_off() {
    let f = fixture().await;
    let mut locked_at = None;
    'outer: for client in 0..40 {
        for _ in 0..5 {
            let (status, _) = login_from(
                &f,
                &format!("203.0.113.{}", 100 + client),
                "community_admin",
                "wrong-password1",
            )
            .await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                locked_at = Some(client);
                break 'outer;
            }
        }
    }
    let clients = locked_at.expect("the name is locked for everyone at last");
    assert!(clients >= 10, "but only after many clients ({clients})");
    let (status, _) = login_from(&f, "198.51.100.22", "community_admin", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (_, users) = f.page("admin", "/users").await;
    let id = user_id_of(&users, "community_admin");
    let (status, _) = f.form("admin", &format!("/users/{id}/unlock"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = login_from(&f, "198.51.100.22", "community_admin", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn only_the_system_admin_creates_department_handlers() {
    for f in fixtures().await {
        let root = f.app.public_root().await.unwrap();
        let department = f
            .app
            .call_units_of(root)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.kind == "department")
            .unwrap()
            .id
            .to_string();
        for who in ["street_admin", "community_admin"] {
            let org = f
                .app
                .actor_by_username(who)
                .await
                .unwrap()
                .org_id
                .to_string();
            let username = format!("{who}_dept");
            let (status, body) = f
                .form(
                    who,
                    "/users",
                    &[
                        ("username", &username),
                        ("display_name", "冒充的部门办理人"),
                        ("password", "Handler2026x"),
                        ("role", "dept_handler"),
                        ("org_id", &org),
                        ("call_unit_id", &department),
                    ],
                )
                .await;
            assert!(refused(status), "{who} form: {status} {body}");
            let (status, body) = f
                .api(
                    who,
                    "POST",
                    "/api/v1/users",
                    Some(json!({"username": username, "display_name": "冒充", "password": "Handler2026x",
                        "role": "部门办理人", "org_id": org.parse::<i64>().unwrap(), "call_unit_id": department.parse::<i64>().unwrap()})),
                )
                .await;
            assert!(refused(status), "{who} API: {status} {body}");
        }
        // The system admin binds a handler to the district, whatever org the form named, so
        // no street or community admin can take the login over by resetting its password.
        let street_admin = f.app.actor_by_username("street_admin").await.unwrap();
        let (status, body) = f
            .form(
                "admin",
                "/users",
                &[
                    ("username", "mz_handler"),
                    ("display_name", "民政办理人"),
                    ("password", "Handler2026x"),
                    ("role", "dept_handler"),
                    ("org_id", &street_admin.org_id.to_string()),
                    ("call_unit_id", &department),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let handler = f.app.actor_by_username("mz_handler").await.unwrap();
        assert_eq!(handler.org_id, root);
        let (status, _) = f
            .form(
                "street_admin",
                &format!("/users/{}/password", handler.user_id),
                &[("password", "Taken2026over")],
            )
            .await;
        assert!(refused(status), "reset by a street admin: {status}");
        let (_, list) = f.page("street_admin", "/users").await;
        assert!(!list.contains("mz_handler"));
    }
}

#[tokio::test]
async fn a_password_reset_ends_other_sessions_and_revokes_api_tokens() {
    for f in fixtures().await {
        let street_admin = f.app.actor_by_username("street_admin").await.unwrap();
        let (status, _) = f.api("street_admin", "GET", "/api/v1/me", None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = f
            .form(
                "admin",
                &format!("/users/{}/password", street_admin.user_id),
                &[("password", "Reset2026pass")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = f.api("street_admin", "GET", "/api/v1/me", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the token died");
        let (status, _) = f.page("street_admin", "/").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "the session ended");

        // An admin who resets their own password keeps the session they did it from.
        let (status, _) = f
            .form(
                "admin",
                &format!("/users/{}/password", f.admin_user),
                &[("password", "Admin2026new")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = f.page("admin", "/users").await;
        assert_eq!(status, StatusCode::OK, "this session stays");
        let (status, _) = f.api("admin", "GET", "/api/v1/me", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "but tokens are revoked");
    }
}

#[tokio::test]
async fn an_org_admin_cannot_take_over_a_peer_admin_s_login() {
    for f in fixtures().await {
        let admin = f.app.actor_by_username("admin").await.unwrap();
        let street_admin = f.app.actor_by_username("street_admin").await.unwrap();
        let community_admin = f.app.actor_by_username("community_admin").await.unwrap();
        let peer = f
            .app
            .create_user(
                &admin,
                &app::users::UserInput {
                    username: "street_admin_2".into(),
                    display_name: "同街道的另一位管理员".into(),
                    password: PASSWORD.into(),
                    role: "org_admin".into(),
                    org_id: street_admin.org_id,
                    member_id: None,
                    call_unit_id: None,
                },
            )
            .await
            .unwrap();
        let (status, _) = f
            .form(
                "street_admin",
                &format!("/users/{}/password", peer.id),
                &[("password", "Taken2026over")],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a peer's password");
        assert!(
            f.app.login("street_admin_2", PASSWORD, LOCAL).await.is_ok(),
            "the peer's password is unchanged"
        );
        // Below them, and by the level above, resets go through.
        let (status, _) = f
            .form(
                "street_admin",
                &format!("/users/{}/password", community_admin.user_id),
                &[("password", "Reset2026pass")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "a community admin below");
        let (status, _) = f
            .form(
                "admin",
                &format!("/users/{}/password", peer.id),
                &[("password", "Reset2026pass")],
            )
            .await;
        assert_eq!(
            status,
            StatusCode::SEE_OTHER,
            "the district resets the street's"
        );
    }
}

#[tokio::test]
async fn the_sweep_purges_expired_sessions() {
    for f in fixtures().await {
        let past = chrono::Utc::now() - chrono::Duration::hours(1);
        f.app
            .db
            .session_create("expired-hash", f.admin_user, "csrf", past)
            .await
            .unwrap();
        f.app.sweep(app::calls::local_now()).await.unwrap();
        assert_eq!(
            f.app.db.session_purge_expired().await.unwrap(),
            0,
            "the sweep already purged it"
        );
    }
}

/// The id of the token named `name` in a tokens page, read from its 撤销 form.
fn token_id_in(page: &str, name: &str) -> String {
    let row = page
        .split("<tr>")
        .find(|r| r.contains(&format!("<td>{name}</td>")))
        .unwrap_or_else(|| panic!("token {name} not listed"));
    let at = row.find("/revoke").unwrap();
    let start = row[..at].rfind('/').unwrap() + 1;
    row[start..at].to_string()
}

#[tokio::test]
async fn api_tokens_are_listed_with_their_use_and_expiry_and_revoked_by_owner_or_admin() {
    for f in fixtures().await {
        let (status, _) = f.api("branch_secretary", "GET", "/api/v1/me", None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, page) = f.page("branch_secretary", "/tokens").await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("<td>test</td>"), "{page}");
        assert!(
            !page.contains("从未使用"),
            "the fixture token was just used"
        );

        let (status, page) = f
            .form(
                "branch_secretary",
                "/tokens",
                &[("name", "报表对接"), ("days", "30")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("id=\"new-token\""));
        assert!(page.contains("从未使用"));
        let expiry = (chrono::Utc::now() + chrono::Duration::days(30))
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .format("%Y-%m-%d")
            .to_string();
        assert!(page.contains(&expiry), "expires in 30 days");
        let (status, _) = f
            .form(
                "branch_secretary",
                "/tokens",
                &[("name", "永久"), ("days", "36500")],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "no endless tokens");

        // The owner revokes their own token; another user cannot revoke it through their own
        // page, nor see it.
        let mine = token_id_in(&page, "test");
        let (status, _) = f
            .form("member", &format!("/tokens/{mine}/revoke"), &[])
            .await;
        assert!(refused(status), "someone else's token: {status}");
        let (status, _) = f
            .form("branch_secretary", &format!("/tokens/{mine}/revoke"), &[])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = f.api("branch_secretary", "GET", "/api/v1/me", None).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "a revoked token is refused"
        );

        // An org admin over the user lists and revokes their tokens; nobody else does.
        let street_admin = f.app.actor_by_username("street_admin").await.unwrap();
        let target = format!("/users/{}/tokens", street_admin.user_id);
        let (status, page) = f.page("admin", &target).await;
        assert_eq!(status, StatusCode::OK);
        let theirs = token_id_in(&page, "test");
        let revoke = format!("{target}/{theirs}/revoke");
        for who in ["community_admin", "branch_secretary", "member"] {
            let (status, _) = f.page(who, &target).await;
            assert!(refused(status), "{who} lists: {status}");
            let (status, _) = f.form(who, &revoke, &[]).await;
            assert!(refused(status), "{who} revokes: {status}");
        }
        let (status, _) = f
            .page("street_admin", &format!("/users/{}/tokens", f.admin_user))
            .await;
        assert!(
            refused(status),
            "the system admin's tokens are out of reach"
        );
        let (status, _) = f.api("street_admin", "GET", "/api/v1/me", None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = f.form("admin", &revoke, &[]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = f.api("street_admin", "GET", "/api/v1/me", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (_, log) = f.page("admin", "/audit").await;
        assert!(log.contains("撤销用户 street_admin 的 API 令牌「test」"));
    }
}

#[tokio::test]
async fn a_taken_id_number_is_refused_without_saying_where_and_the_admin_sees_the_attempt() {
    for f in fixtures().await {
        const UNAVAILABLE: &str = "该身份证号不可用，请联系上级组织核实";
        let admin = f.app.actor_by_username("admin").await.unwrap();
        let taken = f
            .app
            .db
            .member_get(admin.scope(), f.foreign_member)
            .await
            .unwrap()
            .id_number;
        let mine = f
            .app
            .db
            .member_get(admin.scope(), f.own_member)
            .await
            .unwrap();
        let new = json!({"branch_id": mine.branch_id, "name": "重号者", "id_number": taken,
            "category": "在职", "status": "预备党员", "admitted_on": "2026-01-10"});
        let (status, body) = f
            .api("street_admin", "POST", "/api/v1/members", Some(new))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"], UNAVAILABLE);
        let (status, body) = f
            .form(
                "street_admin",
                "/members",
                &[
                    ("branch_id", &mine.branch_id.to_string()),
                    ("name", "重号者"),
                    ("id_number", &taken),
                    ("category", "在职"),
                    ("status", "预备党员"),
                    ("admitted_on", "2026-01-10"),
                ],
            )
            .await;
        assert!(status.is_client_error(), "{status}");
        assert!(body.contains(UNAVAILABLE), "{body}");
        assert!(!body.contains("已登记"));
        let mut change = json!({"branch_id": mine.branch_id, "name": mine.name, "id_number": taken,
            "category": "在职", "status": "正式党员", "admitted_on": "2000-01-10", "full_on": "2001-01-10"});
        change["gender"] = json!(mine.gender);
        let (status, body) = f
            .api(
                "street_admin",
                "PUT",
                &format!("/api/v1/members/{}", f.own_member),
                Some(change),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"], UNAVAILABLE);

        let branch = f
            .app
            .db
            .org_get(admin.scope(), mine.branch_id)
            .await
            .unwrap()
            .name;
        let csv = format!(
            "\u{feff}姓名,身份证号,所在党支部,党员类别,党员状态,入党日期\n重号者,{taken},{branch},离退休,预备党员,2026-01-10\n"
        );
        let street_admin = f.app.actor_by_username("street_admin").await.unwrap();
        match f
            .app
            .import_members(&street_admin, "重号.csv", csv.as_bytes())
            .await
        {
            Err(app::AppError::ImportRejected(rows)) => {
                assert!(rows.iter().any(|r| r.message == UNAVAILABLE), "{rows:?}");
                assert!(rows.iter().all(|r| !r.message.contains("已登记")));
            }
            other => panic!("{:?}", other.map(|r| r.imported)),
        }

        // The system admin reads each attempt with the number masked; the street admin does not.
        let masked = domain::personal::mask_id_number(&taken);
        let (_, log) = f.page("admin", "/audit").await;
        assert!(
            log.matches(&masked).count() >= 3,
            "form, API, update and import attempts are logged"
        );
        assert!(!log.contains(&taken));
        let (_, log) = f.page("street_admin", "/audit").await;
        assert!(!log.contains(&masked));
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let f = fixture().await;
    for uri in [
        "/login",
        "/healthz",
        "/static/htmx.min.js",
        "/static/app.css",
        "/nowhere",
        "/api/openapi.json",
        "/public/calls/new",
        "/static/app.js",
        "/api/docs/",
    ] {
        let response = f
            .router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        let script = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap_or_else(|| panic!("{uri}: no script-src in {csp}"));
        assert!(!script.contains("unsafe-inline"), "{uri}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{uri}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "plain HTTP by default"
        );
    }
    let response = f
        .router
        .clone()
        .oneshot(Request::get("/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(
        !response.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Secure")
    );
}

#[tokio::test]
async fn templates_carry_no_inline_script() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let at = format!("{}:{}", path.display(), i + 1);
            assert!(!line.contains("javascript:"), "{at}: {line}");
            if let Some(pos) = line.find("<script") {
                let tag: String = line[pos..].chars().take_while(|c| *c != '>').collect();
                assert!(tag.contains(" src="), "{at}: inline script {line}");
            }
            assert!(
                !has_inline_handler(line),
                "{at}: inline event handler {line}"
            );
        }
    }
}

/// Whether a line has an inline event handler attribute (` onclick=`, ` onchange=` …).
fn has_inline_handler(line: &str) -> bool {
    line.match_indices(" on").any(|(i, _)| {
        let rest = &line[i + 3..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase())
            .collect();
        !name.is_empty() && rest[name.len()..].starts_with('=')
    })
}

#[tokio::test]
async fn behind_https_cookies_are_secure_and_hsts_is_sent() {
    let mut f = fixture().await;
    f.app.secure_cookies = true;
    f.router = web::router(f.app.clone());
    let response = f
        .router
        .clone()
        .oneshot(Request::get("/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let h = response.headers();
    assert!(h[header::SET_COOKIE].to_str().unwrap().contains("; Secure"));
    assert!(
        h["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    let mut request = Request::post("/login")
        .header(header::COOKIE, "dj_login_csrf=formtoken")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username=admin&password={PASSWORD}&csrf=formtoken"
        )))
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            50000,
        ))));
    let response = f.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("dj_session=") && cookie.contains("; Secure"));
}

#[tokio::test]
async fn an_org_admin_cannot_widen_their_territory_by_unlinking_their_org() {
    for f in fixtures().await {
        let admin = f.app.actor_by_username("admin").await.unwrap();
        let street_admin = f.app.actor_by_username("street_admin").await.unwrap();
        let street = f.app.org(&admin, street_admin.org_id).await.unwrap();
        let own_territory = street.territory_id.unwrap();
        let district_territory = f
            .app
            .org(&admin, admin.org_id)
            .await
            .unwrap()
            .territory_id
            .unwrap();
        let uri = format!("/orgs/{}", street.id);

        // Unlinking their own org, or linking it elsewhere, is refused; the page does not
        // offer it.
        for territory in [
            "",
            &district_territory.to_string(),
            &f.foreign_territory.to_string(),
        ] {
            let (status, _) = f
                .form(
                    "street_admin",
                    &uri,
                    &[("name", &street.name), ("territory_id", territory)],
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "territory {territory:?}");
        }
        assert_eq!(
            f.app.org(&admin, street.id).await.unwrap().territory_id,
            Some(own_territory)
        );
        let (status, page) = f.page("street_admin", &uri).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("服务区域由上级组织设置"), "{page}");
        // Other fields of their own org they may still change.
        let (status, _) = f
            .form(
                "street_admin",
                &uri,
                &[
                    ("name", &street.name),
                    ("territory_id", &own_territory.to_string()),
                    ("secretary", "新书记"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);

        // An org with no territory of its own sees none: not its parent's.
        let (status, _) = f
            .page("branch_secretary", &format!("/territory/{own_territory}"))
            .await;
        assert!(refused(status), "a branch inherits no territory: {status}");
        f.app
            .update_org(
                &admin,
                street.id,
                &app::orgs::OrgInput {
                    name: street.name.clone(),
                    territory_id: None,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        for uri in [
            format!("/territory/{district_territory}"),
            format!("/territory/{own_territory}"),
        ] {
            let (status, _) = f.page("street_admin", &uri).await;
            assert!(refused(status), "GET {uri} gave {status}");
        }
        let (status, page) = f.page("street_admin", "/territory").await;
        assert_eq!(status, StatusCode::OK);
        assert!(!page.contains(&format!("/territory/{district_territory}\"")));
        let (status, _) = f
            .form(
                "street_admin",
                "/territory",
                &[
                    ("parent_id", &district_territory.to_string()),
                    ("name", "越权街道"),
                ],
            )
            .await;
        assert!(refused(status), "creating under the district gave {status}");
    }
}

#[tokio::test]
async fn a_member_moved_with_a_date_keeps_the_old_branch_for_earlier_months() {
    for f in fixtures().await {
        let (_, edit) = f
            .page("admin", &format!("/members/{}/edit", f.own_member))
            .await;
        // Any other branch of the district will do.
        let other = edit
            .split("<option value=\"")
            .filter_map(|o| o.split('"').next())
            .filter_map(|v| v.parse::<i64>().ok())
            .find(|b| *b != f.foreign_branch && !edit.contains(&format!("value=\"{b}\" selected")))
            .unwrap();
        let m = f
            .app
            .member_for_edit(
                &f.app.actor_by_username("admin").await.unwrap(),
                f.own_member,
            )
            .await
            .unwrap();
        let input = app::members::input_from_member(&m);
        let branch = other.to_string();
        let fields = [
            ("name", input.name.as_str()),
            ("id_number", input.id_number.as_str()),
            ("phone", input.phone.as_str()),
            ("category", input.category.as_str()),
            ("status", input.status.as_str()),
            ("admitted_on", input.admitted_on.as_str()),
            ("full_on", input.full_on.as_str()),
            ("branch_id", branch.as_str()),
            ("move_reason", "transfer"),
            ("moved_on", "2026-02-10"),
        ];
        let (status, body) = f
            .form("admin", &format!("/members/{}", f.own_member), &fields)
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let (_, page) = f.page("admin", &format!("/members/{}", f.own_member)).await;
        assert!(
            page.contains("2026-02-09"),
            "the old span ends the day before"
        );
        assert!(page.contains("组织关系转接"));

        // The data-quality list is the staff's, each within their scope.
        let (status, _) = f.page("member", "/members/quality").await;
        assert!(refused(status), "{status}");
        let (status, body) = f.page("street_admin", "/members/quality").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("数据质量"));
    }
}

/// A refusal as a person meets it: the Chinese error page, never axum's English text.
fn chinese_page(status: StatusCode, body: &str, expected: StatusCode, words: &str) {
    assert_eq!(status, expected, "{body}");
    assert!(
        body.contains("<html") && body.contains(words),
        "{expected}: {body}"
    );
    for english in ["Failed", "length limit", "deserialize", "Invalid URL"] {
        assert!(!body.contains(english), "{body}");
    }
}

/// Issue 9, finding 13: one 64 MiB limit applied to every body, so a 12 MB `components` string
/// reached the dues calculator (6.3 s, 330 MB). Ordinary forms and JSON now stop at 256 KB with a
/// 413 in Chinese; only the upload routes keep room for files.
#[tokio::test]
async fn bodies_over_their_route_s_limit_get_413_in_chinese() {
    let f = fixture().await;
    let components = "基本工资=1,".repeat(30_000);
    let (status, body) = f
        .api(
            "admin",
            "POST",
            "/api/v1/dues/quote",
            Some(json!({ "category": "in_service", "components": components })),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("256 KB"), "{error}");

    let long = "张".repeat(100_000);
    let (status, body) = f.form("admin", "/members", &[("name", &long)]).await;
    chinese_page(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "256 KB");

    // A meeting attachment may be 10 MB; beyond its route's limit the page says how much.
    let big = vec![0u8; web::ATTACHMENT_BODY_LIMIT + 1];
    let (status, body) = upload(
        &f,
        "admin",
        "/orglife/meetings/1/attachments",
        "a.png",
        &big,
    )
    .await;
    chinese_page(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "11 MB");

    // The import route still takes files far beyond the form limit.
    let csv = format!(
        "{}\n{}",
        app::import::HEADERS.join(","),
        "x,".repeat(200_000)
    );
    let (status, body) = upload(&f, "admin", "/members/import", "a.csv", csv.as_bytes()).await;
    assert_ne!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body.contains("256 列"), "{body}");
}

/// Malformed requests that axum refuses before any handler runs come out as the app's Chinese
/// error page, or for the API as the documented JSON error body.
#[tokio::test]
async fn the_framework_s_own_refusals_come_out_in_chinese() {
    let f = fixture().await;
    let (status, body) = f.page("admin", "/members?org_id=abc").await;
    chinese_page(status, &body, StatusCode::BAD_REQUEST, "网址中的参数有误");
    let (status, body) = f.page("admin", "/members/abc").await;
    chinese_page(status, &body, StatusCode::BAD_REQUEST, "编号应为数字");
    let (status, body) = f.page("admin", "/no/such/page").await;
    chinese_page(status, &body, StatusCode::NOT_FOUND, "页面不存在");
    let (status, body) = f.form("admin", "/orgs/1/concurrent", &[]).await;
    chinese_page(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "表单内容不完整",
    );
    let (cookie, _) = &f.sessions["admin"];
    let (status, body) = f
        .call(
            Request::delete("/members")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    chinese_page(status, &body, StatusCode::METHOD_NOT_ALLOWED, "请求方式");

    let (status, body) = f
        .api("admin", "POST", "/api/v1/members", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["error"],
        "请求数据与接口说明不符：缺少字段「branch_id」"
    );
    let (status, body) = f
        .api("admin", "GET", "/api/v1/members?org_id=x", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().unwrap().contains("「org_id」"),
        "{body}"
    );
    let (status, body) = f.api("admin", "GET", "/api/v1/nothing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].as_str().unwrap().contains("接口不存在"));
    let raw = |content_type: &str, text: &'static str| {
        Request::post("/api/v1/members")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", f.tokens["admin"]),
            )
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(text))
            .unwrap()
    };
    let (status, body) = f.call(raw("application/json", "{")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "请求体不是有效的 JSON"
    );
    let (status, body) = f.call(raw("text/plain", "{}")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        serde_json::from_str::<Value>(&body).unwrap()["error"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
}

/// Issue 9, finding 1: this 2 KB workbook aborted the server when an org admin imported it.
#[tokio::test]
async fn a_workbook_declaring_all_of_excel_is_refused_and_the_server_carries_on() {
    let f = fixture().await;
    let data = format!(
        r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
        app::tabular::testing::text_cell("A1", "姓名"),
        app::tabular::testing::text_cell("XFD1048576", "x")
    );
    let bomb = app::tabular::testing::workbook(&[("Sheet1", Some("A1:XFD1048576"), &data)], None);
    let (status, body) = upload(&f, "community_admin", "/members/import", "a.xlsx", &bomb).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("超出导入上限"), "{body}");
    let (status, _) = f.page("community_admin", "/members/import").await;
    assert_eq!(status, StatusCode::OK);
}

/// Field limits live in the domain, so the API refuses what the CLI refuses, in the same words
/// (the CLI side is in crates/cli/tests/cli.rs).
#[tokio::test]
async fn text_fields_are_held_to_their_lengths_through_the_api() {
    let f = fixture().await;
    let components = "基本工资=1,".repeat(300);
    let (status, body) = f
        .api(
            "admin",
            "POST",
            "/api/v1/dues/quote",
            Some(json!({ "category": "in_service", "components": components })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"],
        "工资构成过长：最多 2000 个字，现在有 2100 个字，请删减后再提交"
    );
    let admin = f.app.actor_by_username("admin").await.unwrap();
    let branch = f.app.branches(&admin).await.unwrap()[0].id;
    let (status, body) = f
        .api(
            "admin",
            "POST",
            "/api/v1/members",
            Some(json!({
                "branch_id": branch, "name": "张三", "id_number": "110105194912310021",
                "category": "在职", "status": "正式党员", "admitted_on": "1990-07-01",
                "work_unit": "某".repeat(101)
            })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("工作单位过长"),
        "{body}"
    );
}

/// Issue 12: the rest of the record is entered in the form, shown on the member's page, found by
/// the list's filters and logged in words; a post cannot be put on another subtree's committee.
#[tokio::test]
async fn the_member_record_is_entered_shown_searched_and_logged_in_words() {
    for f in fixtures().await {
        let admin = f.app.actor_by_username("street_admin").await.unwrap();
        let mine = f
            .app
            .db
            .member_get(admin.scope(), f.own_member)
            .await
            .unwrap();
        let branch = mine.branch_id.to_string();
        let id_number = domain::idcard::make_id_number(
            "500103",
            chrono::NaiveDate::from_ymd_opt(1985, 6, 1).unwrap(),
            321,
            domain::Gender::Female,
        );
        let fields = |post: &'static str, post_org: String| {
            vec![
                ("branch_id".to_string(), branch.clone()),
                ("name".into(), "档案齐".into()),
                ("id_number".into(), id_number.clone()),
                ("category".into(), "在职".into()),
                ("status".into(), "正式党员".into()),
                ("admitted_on".into(), "2010-07-01".into()),
                ("full_on".into(), "2011-07-01".into()),
                ("ethnicity".into(), "回".into()),
                ("education".into(), "bachelor".into()),
                ("native_place".into(), "重庆市渝中区".into()),
                ("party_post".into(), post.into()),
                ("party_post_org_id".into(), post_org),
                ("work_started_on".into(), "2007-08-01".into()),
            ]
        };
        // A 党小组组长 must name the 党小组; the form comes back with what was typed.
        let (status, body) = f
            .form_owned(
                "street_admin",
                "/members",
                fields("group_leader", String::new()),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body.contains("党小组") && body.contains("重庆市渝中区"),
            "{body}"
        );
        // Another street's committee is not this admin's to name.
        let (status, _) = f
            .form_owned(
                "street_admin",
                "/members",
                fields("secretary", f.foreign_org.to_string()),
            )
            .await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{status}"
        );
        let (status, _) = f
            .form_owned(
                "street_admin",
                "/members",
                fields("secretary", String::new()),
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let created = f
            .app
            .db
            .member_search(
                admin.scope(),
                &store::MemberFilter {
                    query: Some("档案齐".into()),
                    ..Default::default()
                },
                5,
                0,
            )
            .await
            .unwrap()
            .remove(0);
        assert_eq!(created.party_post.as_deref(), Some("secretary"));
        let (_, page) = f
            .page(
                "street_admin",
                &format!("/members/{}?saved=member", created.id),
            )
            .await;
        assert!(
            page.contains("已保存：档案齐"),
            "a save is confirmed by name"
        );
        for shown in ["回族", "大学本科", "重庆市渝中区", "2007-08-01", "书记"] {
            assert!(page.contains(shown), "{shown}");
        }
        let (_, list) = f
            .page(
                "street_admin",
                "/members?education=bachelor&party_post=any&ethnicity=回族",
            )
            .await;
        assert!(list.contains("档案齐"), "{list}");
        let (_, list) = f
            .page("street_admin", "/members?education=postgraduate&q=daq")
            .await;
        assert!(!list.contains("档案齐"));
        // Asked for, the total is exact however many match.
        let exact = app::members::MemberQuery {
            exact: "1".into(),
            ..Default::default()
        };
        let page = f.app.search_members(&admin, &exact).await.unwrap();
        assert!(!page.more);
        assert_eq!(
            page.total,
            f.app
                .db
                .member_count(admin.scope(), &MemberFilter::default())
                .await
                .unwrap()
        );

        // The change log reads in words, with the branch by name.
        let mut edit = fields("secretary", String::new());
        edit.retain(|(k, _)| k != "education");
        edit.push(("education".into(), "研究生".into()));
        let (status, _) = f
            .form_owned("street_admin", &format!("/members/{}", created.id), edit)
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, audit) = f.page("street_admin", "/audit").await;
        assert!(audit.contains("学历：大学本科 → 研究生"), "{audit}");
        let (status, _) = f
            .page("street_admin", "/audit/export.xlsx?entity=member")
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = f.page("branch_secretary", "/audit/export.xlsx").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "the log is for org admins");
        let (_, page) = f
            .page("street_admin", &format!("/members/{}", created.id))
            .await;
        let history = page.split("变更记录").nth(1).unwrap();
        assert!(!history.contains("bachelor") && !history.contains("branch_id"));
    }
}

/// Issue 12: a member's own page shows their dues and this year's meetings with attendance.
#[tokio::test]
async fn a_member_sees_their_dues_and_meetings_on_their_own_page() {
    for f in fixtures().await {
        let (status, page) = f.page("member", "/me").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("我的党费") && page.contains("今年参加的组织生活"),
            "{page}"
        );
        let (_, own) = f
            .page("member", &format!("/members/{}", f.own_member))
            .await;
        assert!(!own.contains("编号 "), "the branch by name");
    }
}

/// Issue 12: the birthday list is chosen by month and day, and goes to Excel with its figures
/// as numbers; a month that does not exist is refused in Chinese.
#[tokio::test]
async fn birthdays_are_listed_by_month_and_day_and_exported_as_numbers() {
    for f in fixtures().await {
        let actor = f.app.actor_by_username("street_admin").await.unwrap();
        let today = app::members::today();
        // A month with birthdays in this street, and one day of it.
        let mut found = None;
        for month in 1..=12 {
            let b = f
                .app
                .political_birthdays_in(&actor, today, month, None)
                .await
                .unwrap();
            if let Some(first) = b.this_month.first() {
                found = Some((
                    month,
                    first.on,
                    first.member.name.clone(),
                    b.this_month.len(),
                ));
                break;
            }
        }
        let (month, on, name, in_month) = found.expect("the demo street has birthdays");
        let day = chrono::Datelike::day(&on);
        let (status, page) = f
            .page(
                "street_admin",
                &format!("/birthdays?month={month}&day={day}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains(&name) && page.contains("打印"), "{page}");
        let by_day = f
            .app
            .political_birthdays_in(&actor, today, month, Some(day))
            .await
            .unwrap();
        assert!(by_day.this_month.len() <= in_month);
        assert!(by_day.this_month.iter().all(|b| b.on == on));

        let (status, page) = f.page("street_admin", "/birthdays?month=13").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("1 至 12 月"), "{page}");

        let (bytes, file) = f
            .app
            .political_birthdays_xlsx(&actor, today, month, None)
            .await
            .unwrap();
        assert!(file.ends_with(".xlsx"));
        let sheet = app::tabular::read_sheet(&file, &bytes).unwrap();
        let first_row = sheet
            .rows
            .iter()
            .find(|r| r.get(1).is_some_and(|c| c.text == name));
        let years = first_row
            .and_then(|r| r.get(4))
            .expect("a row for the member");
        assert!(years.numeric, "入党周年 is a number in Excel");
        let (status, _) = f
            .page(
                "street_admin",
                &format!("/birthdays/export.xlsx?month={month}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
}

/// Issue 12: the call list filters by state, 大类, unit, dates and overdue, pages, and exports
/// what it shows; a bad date is refused in Chinese.
#[tokio::test]
async fn the_call_list_filters_pages_and_exports() {
    for f in fixtures().await {
        for query in [
            "",
            "?status=submitted",
            "?all=1&category=C05",
            "?overdue=1",
            "?from=2026-01-01&to=2026-12-31",
            "?all=1&page=2",
            // Found by Schemathesis: a page this far out once overflowed the offset.
            "?all=1&page=9223372036854775806",
        ] {
            let (status, page) = f.page("street_admin", &format!("/calls{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {page}");
        }
        for far in [
            "/members?page=9223372036854775807",
            "/audit?page=9223372036854775807",
        ] {
            let (status, _) = f.page("street_admin", far).await;
            assert_eq!(status, StatusCode::OK, "{far}");
        }
        let (status, page) = f.page("street_admin", "/calls?from=2026-13-40").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("起始日期"), "{page}");
        let admin = f.app.actor_by_username("admin").await.unwrap();
        let everything = app::calls::CallListQuery {
            all: "1".into(),
            ..Default::default()
        };
        let all = f.app.calls_filtered(&admin, &everything).await.unwrap();
        let Some(first) = all.calls.first() else {
            continue;
        };
        let same_status = app::calls::CallListQuery {
            status: first.row.status.clone(),
            ..Default::default()
        };
        let listed = f.app.calls_filtered(&admin, &same_status).await.unwrap();
        assert!(
            listed
                .calls
                .iter()
                .all(|c| c.row.status == first.row.status)
        );
        assert!(listed.calls.iter().any(|c| c.row.id == first.row.id));
        let bytes = f.app.calls_xlsx(&admin, &everything).await.unwrap();
        let sheet = app::tabular::read_sheet("calls.xlsx", &bytes).unwrap();
        assert!(
            sheet
                .rows
                .iter()
                .any(|r| r.get(0).is_some_and(|c| c.text == first.row.tracking_code))
        );
        let (status, _) = f
            .page("community_admin", "/calls/export.xlsx?overdue=1")
            .await;
        assert_eq!(status, StatusCode::OK);
    }
}

/// Issue 12: a branch enters a month's dues for many members on one page; members who owe
/// nothing that month cannot be ticked, and a refusal names who and why.
#[tokio::test]
async fn a_branch_records_a_month_s_dues_on_one_sheet() {
    for f in fixtures().await {
        let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
        let branch = secretary.org_id;
        let month = domain::dues_ledger::Month::of(app::members::today()).to_string();
        let notice = f.app.dues_notice(&secretary, branch, &month).await.unwrap();
        let (status, page) = f
            .page(
                "branch_secretary",
                &format!("/dues?org_id={branch}&month={month}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("id=\"dues-sheet\""),
            "a branch's notice is its sheet"
        );
        let unpaid: Vec<&app::dues::NoticeRow> = notice
            .rows
            .iter()
            .filter(|r| r.owed > 0 && r.paid == 0)
            .take(2)
            .collect();
        let paid = notice.rows.iter().find(|r| r.paid > 0);
        if unpaid.is_empty() {
            continue;
        }
        let mut fields = vec![
            ("org_id".to_string(), branch.to_string()),
            ("month".into(), month.clone()),
            ("paid_on".into(), app::members::today().to_string()),
        ];
        fields.extend(
            unpaid
                .iter()
                .map(|r| ("member".to_string(), r.id.to_string())),
        );
        let (status, _) = f
            .form_owned("branch_secretary", "/dues/sheet", fields.clone())
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let after = f.app.dues_notice(&secretary, branch, &month).await.unwrap();
        for r in &unpaid {
            let row = after.rows.iter().find(|x| x.id == r.id).unwrap();
            assert_eq!(row.paid, 1, "{} is recorded", r.name);
            assert_eq!(row.paid_fen, row.due_fen, "at the amount due");
        }
        // Ticked again, they are refused by name; nothing is recorded twice.
        let (status, page) = f
            .form_owned("branch_secretary", "/dues/sheet", fields)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            page.contains(&unpaid[0].name) && page.contains("未登记"),
            "{page}"
        );
        if let Some(paid) = paid {
            assert!(
                !page.contains(&format!("name=\"member\" value=\"{}\"", paid.id)),
                "a member who paid has no box"
            );
        }
        // A member of another street is not on this sheet.
        let (status, page) = f
            .form(
                "branch_secretary",
                "/dues/sheet",
                &[
                    ("org_id", &branch.to_string()),
                    ("month", &month),
                    ("paid_on", &app::members::today().to_string()),
                    ("member", &f.foreign_member.to_string()),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("不在本支部的名单中"), "{page}");
    }
}

/// Issue 12: residents' calls through the API: the list with the page's filters, one case with
/// its history and the phone as its holder sees it, an action, and the figures.
#[tokio::test]
async fn calls_are_listed_read_and_handled_through_the_api() {
    for f in fixtures().await {
        // A fresh call from the public form, held by the community.
        let community_admin = f.app.actor_by_username("community_admin").await.unwrap();
        let root = f.app.public_root().await.unwrap();
        let units = f.app.call_units_of(root).await.unwrap();
        let community = units
            .iter()
            .find(|u| u.org_id == Some(community_admin.org_id))
            .unwrap();
        let code = public_call(&f, "C05-01", community.territory_id.unwrap(), None).await;
        let (status, page) = f
            .api(
                "community_admin",
                "GET",
                "/api/v1/calls?status=submitted",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let calls = page["calls"].as_array().unwrap().clone();
        assert!(calls.iter().all(|c| c["status"] == "submitted"));
        let (status, body) = f
            .api(
                "community_admin",
                "GET",
                "/api/v1/calls?from=2026-13-01",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            body["error"].as_str().unwrap().contains("起始日期"),
            "{body}"
        );
        let (status, figures) = f
            .api("street_admin", "GET", "/api/v1/calls/figures", None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(figures.is_array(), "{figures}");
        let (status, _) = f.api("member", "GET", "/api/v1/calls", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let call = calls
            .iter()
            .find(|c| c["tracking_code"] == code.as_str())
            .expect("the new call is listed");
        let id = call["id"].as_i64().unwrap();
        let (status, detail) = f
            .api(
                "community_admin",
                "GET",
                &format!("/api/v1/calls/{id}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(detail["tracking_code"], call["tracking_code"]);
        assert!(
            !detail["phone"].as_str().unwrap().contains('*'),
            "the holder sees the phone"
        );
        assert!(!detail["events"].as_array().unwrap().is_empty());
        let (_, seen_above) = f
            .api("street_admin", "GET", &format!("/api/v1/calls/{id}"), None)
            .await;
        assert!(
            seen_above["phone"].as_str().unwrap().contains('*'),
            "others see it masked"
        );
        let (status, acted) = f
            .api(
                "community_admin",
                "POST",
                &format!("/api/v1/calls/{id}/actions"),
                Some(json!({"action": "acknowledge"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{acted}");
        assert_eq!(acted["status"], "in_progress");
        let (status, refused) = f
            .api(
                "street_admin",
                "POST",
                &format!("/api/v1/calls/{id}/actions"),
                Some(json!({"action": "respond", "text": "街道代答"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    }
}

/// Issue 12: organisational life through the API: a meeting recorded with its attendance, read
/// back, and counted in the branch's ledger; the roll-up above it.
#[tokio::test]
async fn organisational_life_is_recorded_and_read_through_the_api() {
    for f in fixtures().await {
        let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
        let branch = secretary.org_id;
        let members = f.app.meeting_roster(&secretary, branch).await.unwrap();
        let attendance: Vec<serde_json::Value> = members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                if i == 0 {
                    json!({"member_id": m.id, "present": false, "absence_reason": "出差"})
                } else {
                    json!({"member_id": m.id, "present": true})
                }
            })
            .collect();
        let today = app::members::today().to_string();
        let (status, created) = f
            .api(
                "branch_secretary",
                "POST",
                "/api/v1/orglife/meetings",
                // An id written as 12.0, as spreadsheets and JavaScript write numbers.
                Some(
                    json!({"org_id": branch as f64, "institution": "主题党日", "held_on": today,
                    "place": "党群服务中心", "chair": "书记", "recorder": "组织委员",
                    "attendance": attendance}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();
        let (status, meeting) = f
            .api(
                "branch_secretary",
                "GET",
                &format!("/api/v1/orglife/meetings/{id}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(meeting["institution"], "themed_party_day");
        let absent: Vec<&serde_json::Value> = meeting["attendance"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["present"] == false)
            .collect();
        assert_eq!(absent.len(), 1);
        assert_eq!(absent[0]["absence_reason"], "出差");

        let (status, ledger) = f
            .api(
                "branch_secretary",
                "GET",
                &format!("/api/v1/orglife/ledger?org_id={branch}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ledger["kind"], "branch");
        assert!(
            ledger["cells"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["institution"] == "themed_party_day" && c["held"].as_u64() >= Some(1)),
            "{ledger}"
        );
        let (status, rollup) = f
            .api("street_admin", "GET", "/api/v1/orglife/ledger", None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(rollup["kind"], "rollup");
        assert!(rollup["total"]["branches"].as_u64() > Some(0));
        // A year outside the ones kept is a slip, said as such (and as the document says).
        let (status, refused) = f
            .api(
                "street_admin",
                "GET",
                "/api/v1/orglife/ledger?year=1900",
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert!(
            refused["error"].as_str().unwrap().contains("1921 至 2100"),
            "{refused}"
        );

        // A fraction is no id.
        let (status, refused) = f
            .api(
                "branch_secretary",
                "POST",
                "/api/v1/orglife/meetings",
                Some(
                    json!({"org_id": branch as f64 + 0.5, "institution": "主题党日",
                    "held_on": today, "place": "党群服务中心", "chair": "书记",
                    "recorder": "组织委员"}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        // A meeting without a place is refused with the reason, in Chinese JSON.
        let (status, refused) = f
            .api(
                "branch_secretary",
                "POST",
                "/api/v1/orglife/meetings",
                Some(
                    json!({"org_id": branch, "institution": "主题党日", "held_on": today,
                    "place": "", "chair": "书记", "recorder": "组织委员"}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert!(refused["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
}

/// The number in `<b id="members-total">` on a dashboard.
fn dashboard_total(page: &str) -> i64 {
    let start = page.find("id=\"members-total\">").expect("a dashboard") + 19;
    page[start..]
        .split('<')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .expect("a count")
}

#[tokio::test]
async fn kept_dashboards_and_sessions_follow_every_committed_write() {
    use app::App;
    for f in fixtures().await {
        let total_now = || async {
            let (status, page) = f.page("street_admin", "/").await;
            assert_eq!(status, StatusCode::OK);
            let (status, json) = f.page("street_admin", "/api/v1/stats/overview").await;
            assert_eq!(status, StatusCode::OK);
            let json: Value = serde_json::from_str(&json).unwrap();
            let total = dashboard_total(&page);
            assert_eq!(json["members_total"], total, "the page and the API agree");
            total
        };
        let before = total_now().await;
        assert_eq!(total_now().await, before, "served again unchanged");
        assert!(!f.app.pages.is_empty(), "the dashboard was kept");

        // Another user's form: the street admin's kept page counts the new member at once.
        let street = f.app.actor_by_username("street_admin").await.unwrap();
        let branch = f
            .app
            .db
            .org_list_kind(street.scope(), "branch")
            .await
            .unwrap()[0]
            .id;
        let id_number = |serial| {
            domain::idcard::make_id_number(
                "500103",
                chrono::NaiveDate::from_ymd_opt(1975, 3, 4).unwrap(),
                serial,
                domain::Gender::Female,
            )
        };
        let (status, body) = f
            .form(
                "admin",
                "/members",
                &[
                    ("branch_id", &branch.to_string()),
                    ("name", "新登记"),
                    ("id_number", &id_number(801)),
                    ("category", "在职"),
                    ("status", "预备党员"),
                    ("admitted_on", "2026-01-10"),
                ],
            )
            .await;
        assert!(
            status.is_redirection() || status.is_success(),
            "{status} {body}"
        );
        assert_eq!(total_now().await, before + 1);

        // A write from outside this server (another process on the same database, here a
        // second app with no tie to the first): counted on the next load too.
        let elsewhere = App::new(f.app.db.clone());
        let admin = elsewhere.actor_by_username("admin").await.unwrap();
        elsewhere
            .create_member(
                &admin,
                &app::members::MemberInput {
                    branch_id: branch,
                    name: "另一进程".into(),
                    id_number: id_number(802),
                    category: "在职".into(),
                    status: "预备党员".into(),
                    admitted_on: "2026-01-10".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(total_now().await, before + 2);

        // A kept session ends with the logout, and with a password reset from elsewhere.
        let (status, _) = f.form("street_admin", "/logout", &[]).await;
        assert!(status.is_redirection(), "{status}");
        let (status, _) = f.page("street_admin", "/").await;
        assert!(refused(status) || status.is_redirection(), "{status}");
        let (status, _) = f.page("branch_secretary", "/").await;
        assert_eq!(status, StatusCode::OK);
        let secretary = elsewhere
            .actor_by_username("branch_secretary")
            .await
            .unwrap();
        elsewhere
            .reset_password(&admin, secretary.user_id, "Another2026pass", None)
            .await
            .unwrap();
        let (status, _) = f.page("branch_secretary", "/").await;
        assert!(refused(status) || status.is_redirection(), "{status}");
    }
}
