//! 党员积分 through the router: the branch's table and its export, an award entered on the form
//! and refused without a reason, a correction, the member's own card and ledger, the API's
//! three routes, and what a member and another street are refused. Scope for every route is
//! also walked in `tests/matrix.rs`.

mod support;

use axum::http::StatusCode;
use chrono::Datelike;
use serde_json::json;
use support::*;

fn between<'a>(page: &'a str, start: &str, end: &str) -> &'a str {
    let from = page.find(start).map_or(0, |i| i + start.len());
    let to = page[from..].find(end).map_or(page.len(), |i| from + i);
    &page[from..to]
}

#[tokio::test]
async fn points_pages_enter_correct_and_show_points_within_scope() {
    let f = fixture().await;
    let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
    let member = f.app.actor_by_username("member").await.unwrap();
    let me = member.member_id.unwrap();
    let branch = secretary.org_id;
    let year = app::members::today().year();

    // The officer's table: every member of the branch, with the period in words.
    let (status, page) = f.page("branch_secretary", "/points").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"points-table\"") && page.contains(&format!("{year}年")));
    assert!(page.contains("最终等次由支部党员大会决定"));
    let (status, _) = f.page("branch_secretary", "/points?period=2026-13").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, xlsx) = f
        .page(
            "branch_secretary",
            &format!("/points/export?org_id={branch}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with("PK"));

    // An award without a reason is refused on the form, in Chinese, and nothing is written.
    let me_text = me.to_string();
    let (status, page) = f
        .form(
            "branch_secretary",
            "/points/entries",
            &[
                ("member_id", &me_text),
                ("item_code", "manual_award"),
                ("points", "2"),
                ("reason", ""),
                ("approver", "王书记"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("请填写加减分事由"),
        "{}",
        between(&page, "class=\"error\"", "</div>")
    );
    let (status, _) = f
        .form(
            "branch_secretary",
            "/points/entries",
            &[
                ("member_id", &me_text),
                ("item_code", "manual_award"),
                ("points", "1"),
                ("reason", "帮扶困难群众"),
                ("approver", "王书记"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // The member sees it on their own card and ledger, and cannot enter points.
    let (status, page) = f.page("member", "/me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"my-points\"") && page.contains("今年积分"));
    let (status, ledger) = f.page("member", &format!("/points/members/{me}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ledger.contains("帮扶困难群众") && ledger.contains("+1"));
    assert!(
        !ledger.contains("id=\"points-entry-form\""),
        "a member sees no entry form"
    );
    let (status, _) = f.page("member", "/points").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a member is sent to their own ledger"
    );
    let (status, _) = f
        .form(
            "member",
            "/points/entries",
            &[
                ("member_id", &me_text),
                ("item_code", "manual_award"),
                ("points", "1"),
                ("reason", "自评"),
                ("approver", "我"),
            ],
        )
        .await;
    assert!(refused(status));

    // The correction: the original stays, marked, beside its reversal.
    let entry = f
        .api(
            "branch_secretary",
            "GET",
            &format!("/api/v1/members/{me}/points?year={year}"),
            None,
        )
        .await
        .1["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["reason"] == "帮扶困难群众")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, _) = f
        .form(
            "branch_secretary",
            &format!("/points/entries/{entry}/reverse"),
            &[("member_id", &me_text), ("reason", "登记重复")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, ledger) = f
        .page("branch_secretary", &format!("/points/members/{me}"))
        .await;
    assert!(ledger.contains("已冲正") && ledger.contains("冲正：登记重复"));
    let (status, page) = f
        .form(
            "branch_secretary",
            &format!("/points/entries/{entry}/reverse"),
            &[("member_id", &me_text), ("reason", "再来一次")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("已经冲正过"));

    // The API: a member's year with its entries, the branch table, and a manual entry.
    let (status, body) = f
        .api(
            "member",
            "GET",
            &format!("/api/v1/members/{me}/points?year={year}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["total"].is_number() && body["grade"].is_string(),
        "{body}"
    );
    let reversal = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["reverses"] == entry)
        .unwrap();
    assert_eq!(reversal["points"], -1.0);
    assert!(reversal["at"].is_string() && reversal["source"] == "手工登记");
    let (status, table) = f
        .api(
            "branch_secretary",
            "GET",
            &format!("/api/v1/orgs/{branch}/points?period={year}-Q4"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        table["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["member_id"] == me)
    );
    let (status, created) = f
        .api(
            "branch_secretary",
            "POST",
            "/api/v1/points/entries",
            Some(json!({"member_id": me, "item_code": "manual_deduction", "points": "-0.5", "reason": "迟到", "approver": "王书记"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, body) = f
        .api("branch_secretary", "POST", "/api/v1/points/entries", Some(json!({"member_id": me, "item_code": "manual_deduction", "points": "-0.5", "reason": "迟到", "approver": ""})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "请填写审核人", "{body}");

    // Another street: its member and branch are as if they did not exist.
    let foreign = f.foreign_member;
    let (status, _) = f
        .api(
            "street_admin",
            "GET",
            &format!("/api/v1/members/{foreign}/points"),
            None,
        )
        .await;
    assert!(refused(status));
    let (status, _) = f
        .page("street_admin", &format!("/points/members/{foreign}"))
        .await;
    assert!(refused(status));
    let (status, _) = f
        .api(
            "street_admin",
            "GET",
            &format!("/api/v1/orgs/{}/points", f.foreign_branch),
            None,
        )
        .await;
    assert!(refused(status));
}

#[tokio::test]
async fn an_appraisal_runs_from_the_pages_and_stays_sealed_until_closed() {
    let f = fixture().await;
    let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
    let member = f.app.actor_by_username("member").await.unwrap();
    let branch = secretary.org_id.to_string();
    let year = app::members::today().year().to_string();

    let (status, page) = f.page("branch_secretary", "/points/appraisal").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"appraisal-open\""));
    let (status, page) = f
        .form(
            "branch_secretary",
            "/points/appraisal",
            &[("org_id", &branch), ("year", &year), ("weight_self", "50")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "weights must add up to 100"
    );
    assert!(page.contains("100"));
    let (status, _) = f
        .form(
            "branch_secretary",
            "/points/appraisal",
            &[
                ("org_id", &branch),
                ("year", &year),
                ("weight_self", "0"),
                ("weight_peers", "50"),
                ("weight_organisation", "30"),
                ("weight_masses", "20"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let campaign = f
        .app
        .db
        .appraisal_of(
            store::Scope::Subtree(secretary.org_id),
            secretary.org_id,
            year.parse().unwrap(),
        )
        .await
        .unwrap()
        .unwrap()
        .id;

    // The member is asked on their own page, and votes there.
    let (_, home) = f.page("member", "/me").await;
    assert!(home.contains("id=\"self-review-form\"") && home.contains("id=\"peer-form\""));
    let (status, _) = f
        .form(
            "member",
            &format!("/points/appraisal/{campaign}/self"),
            &[("grade", "qualified"), ("comment", "按时参加组织生活")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let others: Vec<i64> = f
        .app
        .my_appraisal(&member)
        .await
        .unwrap()
        .unwrap()
        .others
        .iter()
        .map(|m| m.id)
        .collect();
    let all_excellent: Vec<(String, String)> = others
        .iter()
        .map(|m| (format!("grade_{m}"), "excellent".to_string()))
        .collect();
    let (status, page) = f
        .form_owned(
            "member",
            &format!("/points/appraisal/{campaign}/peers"),
            all_excellent,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("优秀"), "the refusal says why");
    let fair: Vec<(String, String)> = others
        .iter()
        .map(|m| (format!("grade_{m}"), "qualified".to_string()))
        .collect();
    let (status, _) = f
        .form_owned(
            "member",
            &format!("/points/appraisal/{campaign}/peers"),
            fair,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, home) = f.page("member", "/me").await;
    assert!(home.contains("已完成个人自评") && home.contains("已完成党员互评"));

    // Sealed: the officer sees how many voted, not how.
    let (_, page) = f.page("branch_secretary", "/points/appraisal").await;
    assert!(page.contains("id=\"turnout\"") && !page.contains("id=\"appraisal-results\""));
    assert!(
        page.contains("个人自评 0%、党员互评 50%"),
        "the branch's own weights"
    );
    let (status, _) = f
        .form(
            "branch_secretary",
            &format!("/points/appraisal/{campaign}/close"),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = f.page("branch_secretary", "/points/appraisal").await;
    assert!(page.contains("id=\"appraisal-results\"") && page.contains("id=\"decision-form\""));
    let (status, page) = f
        .form(
            "member",
            &format!("/points/appraisal/{campaign}/self"),
            &[("grade", "excellent")],
        )
        .await;
    assert!(
        status == StatusCode::BAD_REQUEST || refused(status),
        "{status}: no ballot after close"
    );
    let _ = page;

    // The 公示: published from the table, read by the branch's members.
    let today = app::members::today();
    let quarter = format!("{}-Q{}", today.year(), (today.month() - 1) / 3 + 1);
    let (status, _) = f
        .form(
            "branch_secretary",
            "/points/publications",
            &[
                ("org_id", &branch),
                ("quarter", &quarter),
                ("from", &today.to_string()),
                ("until", &today.to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, home) = f.page("member", "/me").await;
    let link = between(
        &home,
        "id=\"points-publication\">支部积分公示：<a href=\"",
        "\"",
    )
    .to_string();
    let (status, publication) = f.page("member", &link).await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert!(publication.contains("id=\"publication\"") && !publication.contains("身份证"));
    let (status, _) = f.page("street_admin", &link).await;
    assert_eq!(status, StatusCode::OK, "staff over the branch read it too");
}

#[tokio::test]
async fn an_org_admin_saves_a_scheme_for_next_year_from_a_preset_and_bad_numbers_are_refused() {
    let f = fixture().await;
    let street = f.app.actor_by_username("street_admin").await.unwrap();
    let org = street.org_id.to_string();
    let next_year = (app::members::today().year() + 1).to_string();

    let (status, page) = f.page("street_admin", "/points/schemes?preset=unit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"scheme-form\"")
            && page.contains("其他贡献")
            && page.contains("有违法犯罪行为")
    );
    let form = |base: &str, cap: &str| -> Vec<(String, String)> {
        [
            ("org_id", org.as_str()),
            ("category", "retired"),
            ("name", "离退休党员积分"),
            ("base", base),
            ("ceiling", "100"),
            ("appraisal_weight", "20"),
            ("cut_excellent", "90"),
            ("cut_qualified", "80"),
            ("cut_basic", "60"),
            ("item_code_0", "meeting_attended"),
            ("item_name_0", "出席组织生活"),
            ("item_kind_0", "award"),
            ("item_points_0", "1"),
            ("item_cap_0", cap),
            ("item_name_1", "参加社区服务"),
            ("item_kind_1", "award"),
            ("item_points_1", "0.5"),
            ("vetoes", "受到党纪处分并被通报\n"),
            ("excluded_elderly_infirm", "on"),
            ("excluded_age_elderly_infirm", "75"),
            ("from_year", next_year.as_str()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    // A cap below one occurrence, and junk in a number: refused in Chinese, nothing saved.
    let (status, page) = f
        .form_owned("street_admin", "/points/schemes", form("70", "0.5"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("每年最多"),
        "{}",
        between(&page, "class=\"error\"", "</div>")
    );
    let (status, page) = f
        .form_owned("street_admin", "/points/schemes", form("七十", "10"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("基础分"));
    // A branch secretary reads the scheme but cannot save one.
    let (status, _) = f.page("branch_secretary", "/points/schemes").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = f
        .form_owned("branch_secretary", "/points/schemes", form("70", "10"))
        .await;
    assert!(refused(status));

    let (status, _) = f
        .form_owned("street_admin", "/points/schemes", form("70", "10"))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let year: i32 = next_year.parse().unwrap();
    let saved = f
        .app
        .scheme_editor(
            &street,
            street.org_id,
            Some(domain::MemberCategory::Retired),
            year,
            None,
        )
        .await
        .unwrap();
    assert_eq!(saved.scheme.name, "离退休党员积分");
    assert_eq!(saved.scheme.items.len(), 2);
    assert_eq!(saved.scheme.items[1].code, "custom_2");
    assert_eq!(
        saved.exclusion(domain::MemberCategory::ElderlyInfirm),
        Some(Some(75))
    );
    // This year is still scored by the scheme it had.
    let this_year = f
        .app
        .scheme_editor(
            &street,
            street.org_id,
            Some(domain::MemberCategory::Retired),
            year - 1,
            None,
        )
        .await
        .unwrap();
    assert_ne!(this_year.scheme.name, "离退休党员积分");
    // A year already begun cannot be given a new scheme after the fact.
    let mut last_year = form("70", "10");
    last_year.retain(|(k, _)| k != "from_year");
    last_year.push(("from_year".into(), (year - 2).to_string()));
    let (status, page) = f
        .form_owned("street_admin", "/points/schemes", last_year)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("不能更改"));
}
