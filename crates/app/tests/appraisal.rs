//! 民主评议党员 end to end on both engines: a campaign opened, ballots cast by members and
//! entered by the officer, sealed until close (nobody, the district admin included, reads a
//! result before), the results feeding the year's points, the 支部党员大会's decision held to the
//! 优秀 share, a year decided no longer rescored by a new scheme, and the quarterly 公示.

mod support;

use chrono::Datelike;
use dangjian_app::demo::DemoOptions;
use dangjian_app::members::today;
use dangjian_app::{Actor, App, AppError};
use domain::points::Grade;

#[tokio::test]
async fn an_appraisal_is_sealed_until_close_feeds_the_points_and_is_decided_within_the_share() {
    let options = DemoOptions {
        members: 60,
        seed: 13,
        password: Some("Test2026pass".into()),
        ..Default::default()
    };
    for db in support::demo_dbs(&options).await {
        let app = App::new(db.db());
        let secretary = app.actor_by_username("branch_secretary").await.unwrap();
        let member = app.actor_by_username("member").await.unwrap();
        let admin = app.actor_by_username("admin").await.unwrap();
        let branch = secretary.org_id;
        let year = today().year();
        let me = member.member_id.unwrap();

        assert!(app.my_appraisal(&member).await.unwrap().is_none());
        // The demo's last year: closed in every branch, its scores readable.
        let last = app.appraisal(&secretary, branch, year - 1).await.unwrap();
        assert_eq!(last.state.map(|s| s.code()), Some("closed"));
        assert!(
            last.lines.iter().any(|l| l.score.is_some()),
            "{:?}",
            last.lines
        );
        let id = app.open_appraisal(&secretary, branch, year).await.unwrap();
        assert!(matches!(
            app.open_appraisal(&secretary, branch, year).await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            app.open_appraisal(&member, branch, year).await,
            Err(AppError::Forbidden)
        ));
        let mine = app
            .my_appraisal(&member)
            .await
            .unwrap()
            .expect("the member is asked to vote");
        assert_eq!(mine.campaign_id, id);
        let everyone: Vec<i64> = app
            .appraisal(&secretary, branch, year)
            .await
            .unwrap()
            .members
            .iter()
            .map(|m| m.id)
            .collect();
        let n = everyone.len();
        let limit = n / 3;

        // The member's own ballots: a self-review, then every other member graded.
        app.cast_self_review(&member, id, "excellent", "认真履行党员义务")
            .await
            .unwrap();
        assert!(matches!(
            app.cast_self_review(&member, id, "qualified", "").await,
            Err(AppError::Conflict(_))
        ));
        let grades = |excellent: usize, except: Option<i64>| -> Vec<(i64, String)> {
            everyone
                .iter()
                .filter(|m| Some(**m) != except)
                .enumerate()
                .map(|(k, m)| {
                    (
                        *m,
                        if k < excellent {
                            "excellent"
                        } else {
                            "qualified"
                        }
                        .to_string(),
                    )
                })
                .collect()
        };
        let too_many = app
            .cast_peer_ballot(&member, id, &grades(limit + 1, Some(me)))
            .await;
        assert!(
            matches!(too_many, Err(AppError::Refused(ref m)) if m.contains("优秀")),
            "{too_many:?}"
        );
        let partial: Vec<(i64, String)> = grades(0, Some(me)).into_iter().skip(1).collect();
        assert!(matches!(
            app.cast_peer_ballot(&member, id, &partial).await,
            Err(AppError::Invalid(_))
        ));
        assert!(
            app.cast_peer_ballot(&member, id, &grades(0, None))
                .await
                .is_err(),
            "a peer ballot never rates oneself"
        );
        app.cast_peer_ballot(&member, id, &grades(limit, Some(me)))
            .await
            .unwrap();
        assert!(matches!(
            app.cast_peer_ballot(&member, id, &grades(0, Some(me)))
                .await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            app.cast_peer_ballot(&secretary, id, &grades(0, Some(me)))
                .await,
            Err(AppError::Forbidden)
        ));
        // The committee's grades and the masses' paper count, entered by the officer.
        app.record_organisation_ballot(&secretary, id, &grades(limit, None))
            .await
            .unwrap();
        app.record_masses(&secretary, id, me, ["12", "3", "", "0"])
            .await
            .unwrap();
        assert!(matches!(
            app.record_masses(&secretary, id, me, ["x", "", "", ""])
                .await,
            Err(AppError::Invalid(_))
        ));

        // Sealed: only the turnout, for everybody, the district admin included.
        for actor in [&secretary, &admin] {
            let v = app.appraisal(actor, branch, year).await.unwrap();
            assert!(v.lines.is_empty());
            assert_eq!(
                (
                    v.turnout.self_reviews,
                    v.turnout.peer_raters,
                    v.turnout.organisation
                ),
                (1, 1, true)
            );
        }
        let before = app.member_points(&member, me, year).await.unwrap();
        assert!(before.appraisal_working.is_empty());

        app.close_appraisal(&secretary, id).await.unwrap();
        assert!(matches!(
            app.close_appraisal(&secretary, id).await,
            Err(AppError::Refused(_))
        ));
        assert!(app.my_appraisal(&member).await.unwrap().is_none());
        assert!(matches!(
            app.record_masses(&secretary, id, me, ["1", "", "", ""])
                .await,
            Err(AppError::Refused(_) | AppError::Conflict(_))
        ));
        let v = app.appraisal(&secretary, branch, year).await.unwrap();
        let line = v.lines.iter().find(|l| l.member_id == me).unwrap();
        let score = line.score.expect("the member was appraised");
        assert!(score > domain::points::Points::ZERO);
        // The appraisal now counts in the year's total, with its working shown.
        let after = app.member_points(&member, me, year).await.unwrap();
        assert!(!after.appraisal_working.is_empty());
        let with = after.scoring.unwrap();
        assert!(
            with.appraisal.as_ref().and_then(|a| a.score) == Some(score),
            "{:?}",
            with.appraisal
        );

        // The decision: more 优秀 than the share is refused; within it, recorded and final.
        let scored: Vec<i64> = v
            .lines
            .iter()
            .filter(|l| l.total.is_some())
            .map(|l| l.member_id)
            .collect();
        let decide = |excellent: usize| -> Vec<(i64, String)> {
            scored
                .iter()
                .enumerate()
                .map(|(k, m)| (*m, if k < excellent { "优秀" } else { "合格" }.to_string()))
                .collect()
        };
        let over = app
            .decide_year(
                &secretary,
                branch,
                year,
                &decide(scored.len() / 3 + 1),
                &today().to_string(),
                "支部党员大会",
            )
            .await;
        assert!(matches!(over, Err(AppError::Refused(_))), "{over:?}");
        assert!(matches!(
            app.decide_year(
                &secretary,
                branch,
                year,
                &decide(1),
                &today().to_string(),
                " "
            )
            .await,
            Err(AppError::Invalid(_))
        ));
        app.decide_year(
            &secretary,
            branch,
            year,
            &decide(scored.len() / 3),
            &today().to_string(),
            "支部党员大会",
        )
        .await
        .unwrap();
        let v = app.appraisal(&secretary, branch, year).await.unwrap();
        assert_eq!(v.state.map(|s| s.code()), Some("decided"));
        assert!(
            v.lines
                .iter()
                .filter(|l| l.total.is_some())
                .all(|l| l.decided.is_some())
        );
        let first = v.lines.iter().find(|l| l.member_id == scored[0]).unwrap();
        assert_eq!(first.decided, Some(Grade::Excellent));
        // Rolled up the tree: the district sees the decided grades per street, and in all.
        let d = app
            .grade_distribution(&admin, admin.org_id, year)
            .await
            .unwrap();
        assert_eq!(d.total.total, scored.len() as i64);
        assert_eq!(d.total.counts[0], (scored.len() / 3) as i64, "优秀");
        assert_eq!(d.rows.iter().map(|r| r.total).sum::<i64>(), d.total.total);
        assert!(matches!(
            app.grade_distribution(&member, admin.org_id, year).await,
            Err(AppError::Forbidden)
        ));
        // A decided year is never rescored by a new scheme.
        let scheme = domain::points::city_organs();
        let refused = app
            .save_points_scheme(
                &admin,
                admin.org_id,
                None,
                year,
                Some("city_organs"),
                &scheme,
            )
            .await;
        assert!(
            matches!(refused, Err(AppError::Refused(ref m)) if m.contains("不能再按新方案重算")),
            "{refused:?}"
        );
        app.save_points_scheme(
            &admin,
            admin.org_id,
            None,
            year + 1,
            Some("city_organs"),
            &scheme,
        )
        .await
        .unwrap();

        // The 公示: the branch's members read it; nobody outside the branch does.
        let quarter = format!("{year}-Q{}", (today().month() - 1) / 3 + 1);
        let until = today() + chrono::Duration::days(7);
        let p = app
            .publish_points(
                &secretary,
                branch,
                &quarter,
                &today().to_string(),
                &until.to_string(),
            )
            .await
            .unwrap();
        assert!(matches!(
            app.publish_points(
                &secretary,
                branch,
                &quarter,
                &today().to_string(),
                &until.to_string()
            )
            .await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            app.publish_points(
                &secretary,
                branch,
                &format!("{year}-07"),
                &today().to_string(),
                &until.to_string()
            )
            .await,
            Err(AppError::Invalid(_))
        ));
        let shown = app.points_publication(&member, p).await.unwrap();
        assert!(!shown.standings.is_empty());
        let json = serde_json::to_string(&shown.standings).unwrap();
        assert!(
            !json.contains("id_number") && !json.contains("phone"),
            "a 公示 carries names and totals only"
        );
        let stranger_member = app
            .db
            .member_search(
                store::Scope::Subtree(admin.org_id),
                &store::MemberFilter::default(),
                500,
                0,
            )
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.branch_id != branch)
            .unwrap();
        let stranger = Actor {
            member_id: Some(stranger_member.id),
            ..member.clone()
        };
        assert!(matches!(
            app.points_publication(&stranger, p).await,
            Err(AppError::NotFound)
        ));
    }
}
