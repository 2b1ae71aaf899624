//! 组织关系转接 and 失联排查 through the API and the pages: a member moved to another branch with
//! their history, each end recording its own steps, an expired letter refused as 422, a letter
//! from outside making a member, and a 摸查 whose decisions set and clear the 失联 flag.

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use store::MemberFilter;
use support::fixtures;

async fn step(f: &support::Fixture, user: &str, id: i64, body: Value) -> (StatusCode, Value) {
    f.api(
        user,
        "POST",
        &format!("/api/v1/transfers/{id}/steps"),
        Some(body),
    )
    .await
}

fn days_ago(days: i64) -> String {
    (app::members::today() - chrono::Duration::days(days)).to_string()
}

async fn a_member_moves_to_another_branch_and_each_end_records_its_own_steps(f: &support::Fixture) {
    {
        let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
        let community = f.app.actor_by_username("community_admin").await.unwrap();
        let receiving = f
            .app
            .db
            .org_list_kind(community.scope(), "branch")
            .await
            .unwrap()
            .into_iter()
            .find(|b| b.id != secretary.org_id)
            .unwrap()
            .id;
        let mover = f
            .app
            .db
            .member_search(secretary.scope(), &MemberFilter::default(), 10, 0)
            .await
            .unwrap()
            .pop()
            .unwrap();

        let (status, created) = f
            .api(
                "branch_secretary",
                "POST",
                "/api/v1/transfers",
                Some(
                    json!({"direction": "区内转接", "member_id": mover.id, "to_org_id": receiving,
                    "reason": "居住地变动", "requested_on": days_ago(6)}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();
        // The sending branch issues; it may not receive for the other end.
        let (status, body) = step(
            f,
            "branch_secretary",
            id,
            json!({"step": "issue", "on": days_ago(5), "letter_number": "演〔2026〕1号"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "issued");
        assert_eq!(
            body["next"],
            json!(["withdraw"]),
            "receiving is the other end's"
        );
        let (status, _) = step(f, "branch_secretary", id, json!({"step": "receive"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A receipt before the member is received breaks the rules: 422 in Chinese.
        let (status, body) = step(f, "branch_secretary", id, json!({"step": "receipt"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"].as_str().unwrap().contains("接收"), "{body}");

        let (status, body) = step(
            f,
            "community_admin",
            id,
            json!({"step": "receive", "on": days_ago(2)}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let moved = f
            .app
            .db
            .member_get(community.scope(), mover.id)
            .await
            .unwrap();
        assert_eq!(moved.branch_id, receiving);
        let history = f
            .app
            .db
            .member_history(community.scope(), mover.id)
            .await
            .unwrap();
        assert_eq!(history.last().unwrap().branch_id, receiving);
        assert_eq!(history[history.len() - 2].branch_id, secretary.org_id);
        // The member is the receiving branch's now; the sending branch still sees the transfer
        // and records the 回执.
        assert!(
            f.app
                .db
                .member_get(secretary.scope(), mover.id)
                .await
                .is_err()
        );
        let (status, body) = step(f, "branch_secretary", id, json!({"step": "receipt"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["state"], "closed");

        // The pages show it from both ends; a member login is refused.
        let (status, page) = f
            .page("branch_secretary", &format!("/transfers/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("已回执") && page.contains("接收并编入党支部"),
            "{page}"
        );
        let (status, _) = f.page("member", "/transfers").await;
        assert!(support::refused(status));
        let (status, _) = f
            .api("member", "GET", &format!("/api/v1/transfers/{id}"), None)
            .await;
        assert!(support::refused(status));
    }
}

async fn an_expired_letter_is_refused_flags_the_member_and_can_be_issued_again(
    f: &support::Fixture,
) {
    {
        let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
        let mover = f
            .app
            .db
            .member_search(secretary.scope(), &MemberFilter::default(), 10, 0)
            .await
            .unwrap()
            .pop()
            .unwrap();
        let (status, page) = f
            .form(
                "branch_secretary",
                "/transfers",
                &[
                    ("direction", "out"),
                    ("member_id", &mover.id.to_string()),
                    ("to_text", "外地某街道党工委"),
                    ("reach", "within_city"),
                    ("reason", "工作调动"),
                    ("requested_on", &days_ago(30)),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let id = f
            .app
            .db
            .transfers(secretary.scope(), &Default::default())
            .await
            .unwrap()[0]
            .id;
        let (status, _) = f
            .form(
                "branch_secretary",
                &format!("/transfers/{id}/steps"),
                &[("step", "issue"), ("on", &days_ago(25))],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, page) = f
            .form(
                "branch_secretary",
                &format!("/transfers/{id}/steps"),
                &[("step", "receive")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("过期"), "{page}");
        f.app
            .sweep(chrono::Utc::now().naive_utc() + chrono::Duration::hours(8))
            .await
            .unwrap();
        assert!(
            f.app
                .db
                .member_get(secretary.scope(), mover.id)
                .await
                .unwrap()
                .pocket
        );
        let (status, _) = f
            .form(
                "branch_secretary",
                &format!("/transfers/{id}/steps"),
                &[("step", "reissue")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            !f.app
                .db
                .member_get(secretary.scope(), mover.id)
                .await
                .unwrap()
                .pocket
        );
        // Received outside: the member leaves the branch's roll, history kept.
        let (status, _) = f
            .form(
                "branch_secretary",
                &format!("/transfers/{id}/steps"),
                &[("step", "receive")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let gone = f
            .app
            .db
            .member_get(secretary.scope(), mover.id)
            .await
            .unwrap();
        assert!(gone.left_on.is_some());
        let listed = f
            .app
            .db
            .member_search(secretary.scope(), &MemberFilter::default(), 500, 0)
            .await
            .unwrap();
        assert!(listed.iter().all(|m| m.id != mover.id));
    }
}

async fn a_letter_from_outside_makes_a_member_of_the_branch_when_received(f: &support::Fixture) {
    {
        let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
        let first17 = "32010219860309123";
        let id_number = format!("{first17}{}", domain::idcard::check_char(first17).unwrap());
        let letter = json!({"direction": "in", "to_org_id": secretary.org_id,
            "from_text": "中共南京市某区某街道工作委员会", "reach": "outside_city", "reason": "工作调动",
            "name": "韩雪", "id_number": id_number, "category": "在职", "status": "正式党员",
            "admitted_on": "2010-07-01", "full_on": "2011-07-01",
            "issued_on": days_ago(3), "valid_until": days_ago(-26)});
        let (status, created) = f
            .api(
                "branch_secretary",
                "POST",
                "/api/v1/transfers",
                Some(letter.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();
        // A letter valid for more than three months is refused.
        let mut long = letter.clone();
        long["valid_until"] = json!(days_ago(-120));
        let (status, _) = f
            .api("branch_secretary", "POST", "/api/v1/transfers", Some(long))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        let (status, body) = step(f, "branch_secretary", id, json!({"step": "receive"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let member_id = body["member_id"].as_i64().unwrap();
        let member = f
            .app
            .db
            .member_get(secretary.scope(), member_id)
            .await
            .unwrap();
        assert_eq!(
            (member.name.as_str(), member.branch_id),
            ("韩雪", secretary.org_id)
        );
        let (status, body) = step(f, "branch_secretary", id, json!({"step": "receipt"})).await;
        assert_eq!(
            (status, body["state"].as_str()),
            (StatusCode::OK, Some("closed"))
        );
        // The same person cannot be registered twice.
        let (status, _) = f
            .api(
                "branch_secretary",
                "POST",
                "/api/v1/transfers",
                Some(letter),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
    }
}

async fn a_search_sets_the_lost_contact_flag_and_finding_the_member_clears_it(
    f: &support::Fixture,
) {
    {
        let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
        let (status, page) = f
            .form(
                "branch_secretary",
                "/lost-contact",
                &[
                    ("org_id", &secretary.org_id.to_string()),
                    ("title", "支部排查"),
                    ("quiet_months", "1"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
        let campaign = f.app.campaigns(&secretary).await.unwrap()[0].id;
        let view = f.app.campaign(&secretary, campaign).await.unwrap();
        let case = view
            .cases
            .iter()
            .find(|c| c.case.state == "searching")
            .expect("a quiet member in the demo branch")
            .case
            .clone();
        let uri = format!("/lost-contact/cases/{}", case.id);
        // Not confirmed without an attempt.
        let (status, page) = f
            .form(
                "branch_secretary",
                &format!("{uri}/decisions"),
                &[("decision", "lost"), ("cause", "moved")],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("至少记录一次"), "{page}");
        let (status, _) = f
            .form(
                "branch_secretary",
                &format!("{uri}/attempts"),
                &[("method", "visit"), ("note", "无人应门")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _) = f
            .form(
                "branch_secretary",
                &format!("{uri}/decisions"),
                &[("decision", "lost"), ("cause", "moved")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            f.app
                .db
                .member_get(secretary.scope(), case.member_id)
                .await
                .unwrap()
                .lost_contact
        );
        let (status, page) = f.page("branch_secretary", &uri).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("确认失联") && page.contains("居住地改变"),
            "{page}"
        );
        let (status, _) = f
            .form(
                "branch_secretary",
                &format!("{uri}/decisions"),
                &[("decision", "found")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(
            !f.app
                .db
                .member_get(secretary.scope(), case.member_id)
                .await
                .unwrap()
                .lost_contact
        );
        // A member login does not see the search.
        let (status, _) = f.page("member", &uri).await;
        assert!(support::refused(status));
    }
}

// Each test shares one demo (on each engine) between two flows that touch different members,
// to keep CI's time: a fixture is a whole demo district.
#[tokio::test]
async fn transfers_by_api_within_the_district_and_from_outside() {
    for f in fixtures().await {
        a_member_moves_to_another_branch_and_each_end_records_its_own_steps(&f).await;
        a_letter_from_outside_makes_a_member_of_the_branch_when_received(&f).await;
    }
}

#[tokio::test]
async fn transfers_out_by_the_pages_and_a_search_for_lost_members() {
    for f in fixtures().await {
        an_expired_letter_is_refused_flags_the_member_and_can_be_issued_again(&f).await;
        a_search_sets_the_lost_contact_flag_and_finding_the_member_clears_it(&f).await;
    }
}
