//! 发展党员 through the API and the pages: a file from the application to 正式党员, the
//! committee's steps kept to the committee, refusals under the rules as 422, and scope.

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use store::{MemberFilter, Scope};
use support::fixtures;

/// A valid identity number for someone born on `born` (YYYYMMDD), the check digit computed.
fn id_number_born(born: &str, serial: u32) -> String {
    let first17 = format!("110101{born}{serial:03}");
    let check = domain::idcard::check_char(&first17).unwrap();
    format!("{first17}{check}")
}

fn id_number(serial: u32) -> String {
    id_number_born("19950501", serial)
}

async fn step(f: &support::Fixture, user: &str, id: i64, body: Value) -> (StatusCode, Value) {
    f.api(
        user,
        "POST",
        &format!("/api/v1/applicants/{id}/steps"),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn an_applicant_becomes_a_full_member_step_by_step() {
    for f in fixtures().await {
        let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
        let branch = secretary.org_id;
        let full = f
            .app
            .db
            .member_search(
                secretary.scope(),
                &MemberFilter {
                    status: Some("full".into()),
                    ..Default::default()
                },
                3,
                0,
            )
            .await
            .unwrap();
        assert_eq!(full.len(), 3, "the demo branch has full members");
        let (a, b, c) = (full[0].id, full[1].id, full[2].id);

        let (status, created) = f
            .api(
                "branch_secretary",
                "POST",
                "/api/v1/applicants",
                Some(
                    json!({"branch_id": branch, "name": "林晓", "id_number": id_number(1),
                    "category": "在职", "applied_on": "2023-01-10", "work_unit": "区图书馆"}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();

        // The same number again is a conflict; a branch outside the scope is not found.
        let (status, _) = f
            .api(
                "branch_secretary",
                "POST",
                "/api/v1/applicants",
                Some(
                    json!({"branch_id": branch, "name": "林晓", "id_number": id_number(1),
                    "category": "在职", "applied_on": "2023-01-10"}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, _) = f
            .api(
                "branch_secretary",
                "POST",
                "/api/v1/applicants",
                Some(json!({"branch_id": f.foreign_branch, "name": "王五",
                    "id_number": id_number(2), "category": "在职", "applied_on": "2023-01-10"})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // A late talk breaks a rule: 422, with the rule and its source in Chinese.
        let (status, refused) = step(
            &f,
            "branch_secretary",
            id,
            json!({"step": "talk", "on": "2023-02-11", "post": "书记", "handled_by": "张书记"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        let message = refused["error"].as_str().unwrap();
        assert!(message.contains("一个月内"), "{message}");
        assert!(message.contains("发展党员工作细则"), "{message}");

        let branch_steps = [
            json!({"step": "talk", "on": "2023-01-25", "post": "书记", "handled_by": "张书记",
                "document": "谈话记录"}),
            json!({"step": "name_activist", "on": "2023-02-20", "member_ids": [a, b],
                "handled_by": "支委会"}),
        ];
        for body in branch_steps {
            let (status, v) = step(&f, "branch_secretary", id, body).await;
            assert_eq!(status, StatusCode::OK, "{v}");
        }
        // 备案 is the committee's: the branch may not record it.
        let (status, _) = step(
            &f,
            "branch_secretary",
            id,
            json!({"step": "file_activist", "on": "2023-02-25"}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let rest = [
            (
                "street_admin",
                json!({"step": "file_activist", "on": "2023-02-25"}),
            ),
            (
                "branch_secretary",
                json!({"step": "training", "on": "2023-09-01", "days": 3}),
            ),
            (
                "branch_secretary",
                json!({"step": "name_dev_object", "on": "2024-02-20"}),
            ),
            (
                "street_admin",
                json!({"step": "file_dev_object", "on": "2024-02-22"}),
            ),
            (
                "branch_secretary",
                json!({"step": "introducers", "on": "2024-02-23", "member_ids": [a, c]}),
            ),
            (
                "branch_secretary",
                json!({"step": "political_review", "on": "2024-02-26", "passed": true}),
            ),
            (
                "branch_secretary",
                json!({"step": "committee_review", "on": "2024-02-28"}),
            ),
            (
                "street_admin",
                json!({"step": "pre_review", "on": "2024-03-05"}),
            ),
            (
                "branch_secretary",
                json!({"step": "pledge", "on": "2024-03-08", "number": "2024-0153"}),
            ),
            (
                "branch_secretary",
                json!({"step": "branch_vote", "on": "2024-03-15",
                "expected": 20, "present": 16, "yes": 15}),
            ),
            (
                "street_admin",
                json!({"step": "interview", "on": "2024-04-02", "interviewer": "organiser"}),
            ),
            (
                "street_admin",
                json!({"step": "approve", "on": "2024-04-20"}),
            ),
        ];
        let mut last = Value::Null;
        for (user, body) in rest {
            let (status, v) = step(&f, user, id, body.clone()).await;
            assert_eq!(status, StatusCode::OK, "{body} → {v}");
            last = v;
        }
        assert_eq!(last["stage"], "probationary");
        assert_eq!(last["admitted_on"], "2024-03-15");
        assert_eq!(last["probation_ends_on"], "2025-03-15");
        let member_id = last["member_id"]
            .as_i64()
            .expect("a member record at approval");
        let member = f
            .app
            .db
            .member_get(Scope::Subtree(branch), member_id)
            .await
            .unwrap();
        assert_eq!(member.status, "probationary");
        assert_eq!(member.admitted_on.to_string(), "2024-03-15");

        let conversion = [
            (
                "branch_secretary",
                json!({"step": "assign", "on": "2024-04-21"}),
            ),
            (
                "branch_secretary",
                json!({"step": "oath", "on": "2024-07-01"}),
            ),
            (
                "branch_secretary",
                json!({"step": "apply_conversion", "on": "2025-02-20"}),
            ),
            (
                "branch_secretary",
                json!({"step": "conversion_vote", "on": "2025-03-20",
                "expected": 20, "present": 15, "yes": 14, "decision": "convert"}),
            ),
            (
                "street_admin",
                json!({"step": "conversion_approve", "on": "2025-04-10"}),
            ),
        ];
        for (user, body) in conversion {
            let (status, v) = step(&f, user, id, body.clone()).await;
            assert_eq!(status, StatusCode::OK, "{body} → {v}");
            last = v;
        }
        assert_eq!(last["stage"], "full");
        assert_eq!(last["full_on"], "2025-03-15");
        let member = f
            .app
            .db
            .member_get(Scope::Subtree(branch), member_id)
            .await
            .unwrap();
        assert_eq!(member.status, "full");
        assert_eq!(
            member.full_on.map(|d| d.to_string()).as_deref(),
            Some("2025-03-15")
        );

        // The page shows the file and its steps in words.
        let (status, page) = f
            .page("branch_secretary", &format!("/admission/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("林晓"));
        assert!(page.contains("上级党委审批转正"));
        assert!(page.contains("2024-0153"));
        let (status, list) = f.page("street_admin", "/admission").await;
        assert_eq!(status, StatusCode::OK);
        assert!(list.contains("林晓"));

        // Outside the scope: the member role sees nothing; a file elsewhere is not found.
        let (status, _) = f
            .api("member", "GET", &format!("/api/v1/applicants/{id}"), None)
            .await;
        assert!(support::refused(status), "{status}");
        let (status, _) = f.page("member", &format!("/admission/{id}")).await;
        assert!(support::refused(status), "{status}");
    }
}

#[tokio::test]
async fn a_file_in_another_subtree_is_not_found_by_api_or_page() {
    for f in fixtures().await {
        let (status, created) = f
            .api(
                "admin",
                "POST",
                "/api/v1/applicants",
                Some(json!({"branch_id": f.foreign_branch, "name": "赵六",
                    "id_number": id_number(3), "category": "学生", "applied_on": "2026-11-01"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();
        for user in ["street_admin", "community_admin", "branch_secretary"] {
            let (status, _) = f
                .api(user, "GET", &format!("/api/v1/applicants/{id}"), None)
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{user}");
            let (status, _) = step(
                &f,
                user,
                id,
                json!({"step": "talk", "on": "2026-11-10", "post": "书记"}),
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{user}");
            let (status, _) = f.page(user, &format!("/admission/{id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{user}");
            let (status, list) = f.api(user, "GET", "/api/v1/applicants", None).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!list.to_string().contains("赵六"), "{user}");
        }
        // A look-ahead beyond ten years (or before today) is a slip, not an overflow.
        for days in ["-1", "3651", "-9223372036854775808"] {
            let (status, refused) = f
                .api(
                    "admin",
                    "GET",
                    &format!("/api/v1/applicants?due_within={days}"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{days}: {refused}");
        }
        // Under eighteen on the day: refused under the Party Constitution.
        let (status, refused) = f
            .api(
                "admin",
                "POST",
                "/api/v1/applicants",
                Some(json!({"branch_id": f.foreign_branch, "name": "少年",
                    "id_number": id_number_born("20100501", 4), "category": "学生",
                    "applied_on": "2026-11-01"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert!(
            refused["error"].as_str().unwrap().contains("十八岁"),
            "{refused}"
        );
    }
}

#[tokio::test]
async fn the_sweep_reminds_the_branch_of_an_overdue_talk_once() {
    for f in fixtures().await {
        let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
        let applied = app::members::today() - chrono::Duration::days(40);
        let (status, created) = f
            .api(
                "branch_secretary",
                "POST",
                "/api/v1/applicants",
                Some(json!({"branch_id": secretary.org_id, "name": "钱七",
                    "id_number": id_number(5), "category": "在职",
                    "applied_on": applied.to_string()})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_i64().unwrap();
        let now = app::calls::local_now();
        let first = f.app.sweep(now).await.unwrap();
        assert!(first.admission_reminders >= 1, "{first:?}");
        let again = f.app.sweep(now).await.unwrap();
        assert_eq!(again.admission_reminders, 0, "each reminder goes out once");
        let inbox = f.app.inbox(&secretary).await.unwrap();
        let message = inbox
            .iter()
            .find(|m| m.link == format!("/admission/{id}"))
            .expect("the branch secretary is told");
        assert!(message.title.contains("钱七"), "{}", message.title);
        assert!(message.title.contains("派人谈话"), "{}", message.title);
        assert!(message.title.contains("已逾期"), "{}", message.title);
    }
}

async fn a_cancelled_probation_takes_the_member_off_the_roll_with_the_history_kept(
    f: &support::Fixture,
) {
    {
        let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
        let file = f
            .app
            .applicants(&secretary, None, "probationary", None)
            .await
            .unwrap()
            .into_iter()
            .find(|l| l.applicant.member_id.is_some())
            .expect("the demo branch has a 预备党员 admitted through a file");
        let member_id = file.applicant.member_id.unwrap();
        let today = app::members::today().to_string();
        let (status, body) = step(
            f,
            "branch_secretary",
            file.applicant.id,
            json!({"step": "conversion_vote", "on": today, "expected": 20, "present": 15,
                "yes": 14, "decision": "cancel"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The 支部大会's decision takes effect when the committee approves it.
        let (status, body) = step(
            f,
            "street_admin",
            file.applicant.id,
            json!({"step": "conversion_approve", "on": today}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["stage"], "cancelled");
        let member = f
            .app
            .db
            .member_get(secretary.scope(), member_id)
            .await
            .unwrap();
        assert_eq!(member.left_on.map(|d| d.to_string()), Some(today));
        let listed = f
            .app
            .db
            .member_search(secretary.scope(), &MemberFilter::default(), 500, 0)
            .await
            .unwrap();
        assert!(listed.iter().all(|m| m.id != member_id));
        let (status, page) = f
            .page("branch_secretary", &format!("/members/{member_id}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("已不在本区党员名册"), "{page}");
    }
}

async fn a_committee_sets_its_plan_and_a_granted_community_committee_may_approve(
    f: &support::Fixture,
) {
    {
        let community = f.app.actor_by_username("community_admin").await.unwrap();
        let year = chrono::Datelike::year(&app::members::today()).to_string();
        let (status, _) = f
            .form(
                "street_admin",
                "/admission/plan",
                &[
                    ("org_id", &community.org_id.to_string()),
                    ("year", &year),
                    ("activists", "8"),
                    ("dev_objects", "4"),
                    ("probationary", "2"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, page) = f
            .page(
                "street_admin",
                &format!("/admission/plan?org_id={}&year={year}", community.org_id),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("确定入党积极分子") && page.contains(">8<"),
            "{page}"
        );
        let (status, page) = f
            .form(
                "street_admin",
                "/admission/plan",
                &[
                    ("org_id", &community.org_id.to_string()),
                    ("year", &year),
                    ("activists", "-1"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("应为 0 至 100000 的整数"), "{page}");
        // A branch officer reads the plan but does not set it.
        let (status, _) = f
            .form(
                "branch_secretary",
                "/admission/plan",
                &[
                    ("org_id", &community.org_id.to_string()),
                    ("year", &year),
                    ("activists", "1"),
                ],
            )
            .await;
        assert!(support::refused(status));

        // The community committee approves only once granted the power.
        let secretary = f.app.actor_by_username("branch_secretary").await.unwrap();
        let file = f
            .app
            .applicants(&secretary, None, "prob_pending", None)
            .await
            .unwrap()
            .into_iter()
            .find(|l| l.due.as_ref().is_some_and(|d| !d.overdue))
            .expect("a demo file voted on by the branch, still within the approval's time");
        let id = file.applicant.id;
        let today = app::members::today().to_string();
        let own = json!(community.org_id);
        let (status, body) = step(f, "community_admin", id,
            json!({"step": "interview", "on": today, "interviewer": "organiser", "approver_org_id": own})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let approve = json!({"step": "approve", "on": today, "approver_org_id": own});
        let (status, body) = step(f, "community_admin", id, approve.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("不能审批"),
            "{body}"
        );
        // Not by itself: the grant comes from above.
        let (status, _) = f
            .form(
                "community_admin",
                "/admission/grants",
                &[("org_id", &community.org_id.to_string()), ("document", "x")],
            )
            .await;
        assert!(support::refused(status));
        let (status, _) = f
            .form(
                "street_admin",
                "/admission/grants",
                &[
                    ("org_id", &community.org_id.to_string()),
                    ("document", "区委组织部〔2026〕5号"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, body) = step(f, "community_admin", id, approve).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["stage"], "probationary");
        let (_, page) = f
            .page(
                "street_admin",
                &format!("/admission/plan?org_id={}&year={year}", community.org_id),
            )
            .await;
        assert!(page.contains("区委组织部〔2026〕5号"), "{page}");
    }
}

// One demo (on each engine) for both flows, which touch different files, to keep CI's time.
#[tokio::test]
async fn a_cancelled_probation_and_a_granted_community_committee() {
    for f in fixtures().await {
        a_cancelled_probation_takes_the_member_off_the_roll_with_the_history_kept(&f).await;
        a_committee_sets_its_plan_and_a_granted_community_committee_may_approve(&f).await;
    }
}
