//! On a Citus coordinator (`DANGJIAN_TEST_CITUS`), as `dangjian migrate` leaves it: the roll-ups
//! and the per-tree rule tables distributed by the top organisation's id. A demo district is
//! generated, its figures recounted and read the way the dashboard, the figures pages and a
//! report read them, through sessions that refuse any statement touching more than one shard.
//! So the hot paths that reach distributed tables are each routed to the district's one shard.
//! The audit log and the outbox are distributed too: every change the demo makes writes its
//! audit row, the sweep queues and delivers its messages, and the pages read both, one shard
//! each.
//!
//! Without `DANGJIAN_TEST_CITUS` the test says so and passes: `bash bench/citus.sh` starts a
//! two-worker cluster and runs it.

use dangjian_app::App;
use dangjian_app::demo::DemoOptions;
use store::citus::DISTRIBUTED_BY_ROOT;
use store::testing::try_statement;

#[tokio::test]
async fn the_figures_a_district_reads_are_each_routed_to_one_shard() {
    let Some(db) = store::testing::test_citus().await else {
        eprintln!("DANGJIAN_TEST_CITUS is not set: the Citus test is skipped");
        return;
    };
    // The guard itself: a count over every tree's figures needs every shard and is refused.
    assert!(!try_statement(&db, "SELECT count(*) FROM rollups").await);
    assert!(try_statement(&db, "SELECT count(*) FROM rollups WHERE root_org_id = 1").await);
    let app = App::new(db.db());
    let options = DemoOptions {
        members: 120,
        seed: 11,
        password: Some("Citus2026pass".into()),
        ..Default::default()
    };
    app.generate_demo(&options, &|_| {}).await.unwrap();

    // `migrate` again finds the tables distributed and leaves them so.
    let placements = db.citus_distribute().await.unwrap();
    let distributed: Vec<&str> = placements
        .iter()
        .filter(|p| p.kind == "distributed")
        .map(|p| p.table.as_str())
        .collect();
    let mut expected = DISTRIBUTED_BY_ROOT.to_vec();
    expected.sort_unstable();
    assert_eq!(distributed, expected);
    assert!(placements.iter().all(|p| !p.newly));

    let admin = app.actor_by_username("admin").await.unwrap();
    let root = app.org_root_of(&admin).await.unwrap();
    assert!(app.rollups_verify(root).await.unwrap().is_empty());
    // The hourly sweep goes through every tree, one root at a time; a rebuild replaces one
    // tree's figures.
    app.sweep(dangjian_app::service::china_now()).await.unwrap();
    app.rollups_rebuild(root).await.unwrap();
    assert!(app.rollups_verify(root).await.unwrap().is_empty());
    app.overview(&admin, None).await.unwrap();
    let year = chrono::Datelike::year(&dangjian_app::members::today());
    app.service_report(&admin, None, year).await.unwrap();
    app.service_rules(root).await.unwrap();
    let report = app
        .report_make(&admin, None, "monthly", None)
        .await
        .unwrap();
    assert!(report > 0);

    // Every change above wrote its audit row into the district's shard in its own transaction;
    // the log and a member's history are read from that shard alone.
    assert!(!try_statement(&db, "SELECT count(*) FROM audit_log").await);
    let log = app.audit_log(&admin, None, 50, 0).await.unwrap();
    assert_eq!(log.len(), 50);
    let member = store::testing::member_placements(&db, root).await[0].0;
    app.member_history(&admin, member).await.unwrap();
    app.audit_log(&admin, Some("meeting"), 10, 20)
        .await
        .unwrap();

    // The sweep above queued and delivered its reminders through the outbox, distributed the
    // same way; an inbox is read from its tree's shard.
    assert!(!try_statement(&db, "SELECT count(*) FROM outbox").await);
    app.inbox(&admin).await.unwrap();
    app.inbox_unread(&admin).await.unwrap();
}
