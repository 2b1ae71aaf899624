//! Several districts in one database under a provincial committee (docs/SCALE.md, "Several
//! districts"), on SQLite and PostgreSQL: each district stays a top organisation of its own,
//! the province reads the sum of its districts from their roll-ups, a write in a district moves
//! the province's figures at once, and no district sees another's rows.

use chrono::Duration;
use dangjian_app::demo::DemoOptions;
use dangjian_app::members::{MemberInput, today};
use dangjian_app::{App, AppError};
use domain::{Gender, OrgKind};
use store::testing::{TestDb, test_dbs};
use store::{MemberFilter, Scope};

#[tokio::test(flavor = "multi_thread")]
async fn a_province_sees_the_sum_of_its_districts_and_no_district_sees_another() {
    // Each engine on its own task: generating two districts' trees is most of the time.
    let mut engines = tokio::task::JoinSet::new();
    for db in test_dbs().await {
        engines.spawn(province_on(db));
    }
    while let Some(done) = engines.join_next().await {
        done.unwrap();
    }
}

async fn province_on(db: TestDb) {
    {
        let app = App::new(db.db());
        let options = DemoOptions {
            members: 120,
            seed: 5,
            password: Some("Test2026pass".into()),
            districts: 2,
        };
        let summary = app.generate_demo(&options, &|_| {}).await.unwrap();
        assert_eq!(summary.members, 120);
        let province = app.actor_by_username("province_admin").await.unwrap();
        let first = app.actor_by_username("admin").await.unwrap();
        let second = app.actor_by_username("admin2").await.unwrap();
        assert_ne!(first.org_id, second.org_id);

        let whole = app.overview(&province, None).await.unwrap();
        let a = app.overview(&first, None).await.unwrap();
        let b = app.overview(&second, None).await.unwrap();
        assert!(
            a.members.total >= 60 && b.members.total >= 60,
            "{}",
            db.engine()
        );
        assert_eq!(whole.members.total, a.members.total + b.members.total);
        assert_eq!(whole.orglife.met, a.orglife.met + b.orglife.met);
        assert_eq!(whole.orglife.settled, a.orglife.settled + b.orglife.settled);
        assert_eq!(
            whole.dues.this_month.collected_fen,
            a.dues.this_month.collected_fen + b.dues.this_month.collected_fen
        );
        assert_eq!(
            whole.calls.year.received,
            a.calls.year.received + b.calls.year.received
        );
        assert_eq!(
            whole
                .children
                .iter()
                .map(|c| (c.org_id, c.members))
                .collect::<Vec<_>>(),
            vec![
                (first.org_id, a.members.total),
                (second.org_id, b.members.total)
            ]
        );

        // A member registered in the second district counts towards the province at once.
        let branch = app
            .db
            .org_list_kind(Scope::Subtree(second.org_id), OrgKind::Branch.code())
            .await
            .unwrap()[0]
            .id;
        let birth = today() - Duration::days(365 * 35);
        let input = MemberInput {
            branch_id: branch,
            name: "省内新党员".into(),
            id_number: domain::idcard::make_id_number("110107", birth, 901, Gender::Female),
            category: "在职".into(),
            status: "正式党员".into(),
            admitted_on: (today() - Duration::days(365 * 5)).to_string(),
            full_on: (today() - Duration::days(365 * 4)).to_string(),
            ..Default::default()
        };
        app.create_member(&second, &input).await.unwrap();
        let after = app.overview(&province, None).await.unwrap();
        assert_eq!(after.members.total, whole.members.total + 1);
        assert_eq!(
            after.children[1].members,
            b.members.total + 1,
            "{}",
            db.engine()
        );
        // The sweeps run for each district, and each district's figures agree with its rows.
        let roots = app.db.org_root_ids().await.unwrap();
        assert_eq!(roots, vec![first.org_id, second.org_id]);
        for root in roots {
            assert_eq!(app.rollups_verify(root).await.unwrap(), vec![]);
        }

        // Neither district sees the other, nor the province above it.
        assert!(matches!(
            app.overview(&second, Some(first.org_id)).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.overview(&first, Some(province.org_id)).await,
            Err(AppError::NotFound)
        ));
        let seen = app
            .db
            .member_search(second.scope(), &MemberFilter::default(), 10_000, 0)
            .await
            .unwrap();
        assert_eq!(seen.len() as i64, b.members.total + 1);
        // Each district administrator sees their own district's territory, and works with their
        // own district's calls, catalogue and calendar.
        let places = app.territory_children(&second, None).await.unwrap();
        assert_eq!(places.len(), 1);
        assert_eq!(places[0].0.name, "长宁区");
        assert_eq!(app.root_of(&second).await.unwrap(), second.org_id);
        assert_eq!(app.root_of(&first).await.unwrap(), first.org_id);
        // A resident's call goes to the district whose community they chose, and only that
        // district's staff see it.
        let communities = app.public_communities().await.unwrap();
        assert!(
            communities
                .iter()
                .any(|(_, label)| label.starts_with("新华区 · "))
        );
        let (unit, _) = communities
            .iter()
            .find(|(_, label)| label.starts_with("长宁区 · "))
            .unwrap();
        let root = app.public_root_of(unit.territory_id).await.unwrap();
        assert_eq!(root, second.org_id, "{}", db.engine());
        let items = app.call_catalogue(root).await.unwrap();
        let input = dangjian_app::calls::CallInput {
            item_code: items[0].code.clone(),
            territory_id: unit.territory_id,
            description: "小区路灯不亮".into(),
            phone: "13800138000".into(),
            ..Default::default()
        };
        let (call, _) = app
            .submit_public_call(root, &input, &[], "10.0.0.9")
            .await
            .unwrap();
        assert!(app.call(&second, call).await.is_ok());
        assert!(matches!(
            app.call(&first, call).await,
            Err(AppError::NotFound)
        ));
        // Every child row carries its parent's top organisation, in both districts.
        assert_eq!(app.db.misplaced_child_rows().await.unwrap(), vec![]);
        // The province sees both districts' territories.
        assert_eq!(
            app.territory_children(&province, None).await.unwrap().len(),
            2
        );
    }
}
