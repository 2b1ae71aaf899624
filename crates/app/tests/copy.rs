//! Moving an instance up a level: a demo district copied from the embedded file (and from
//! PostgreSQL) into an empty PostgreSQL database, interrupted and resumed, and the result checked
//! as the command checks it — rows per table, every value, every foreign key, a recount of the
//! roll-ups — and then used: the logins work and new rows get fresh ids.
//!
//! Needs `DANGJIAN_TEST_PG`: the target of a copy is always PostgreSQL.

mod support;

use std::net::{IpAddr, Ipv4Addr};

use dangjian_app::App;
use dangjian_app::demo::DemoOptions;
use store::copy::{CopyOptions, INTERRUPTED};
use store::testing::{TestDb, test_dbs_until, test_postgres_empty, try_statement};
use store::{Author, Db, NewOrg, Scope, StoreError};

const PASSWORD: &str = "Copy2026pass";

/// The source's demo district, already in it ([`copy_sources`]).
async fn demo_source(db: &TestDb) -> App {
    App::new(db.db())
}

fn author() -> Author {
    Author {
        user_id: None,
        name: "测试".into(),
    }
}

/// A street under `parent`, or a top organisation without one.
fn new_org(parent: Option<i64>, name: &str) -> NewOrg {
    NewOrg {
        parent_id: parent,
        kind: if parent.is_some() {
            "street_committee"
        } else {
            "district_committee"
        }
        .into(),
        branch_kind: None,
        name: name.into(),
        territory_id: None,
        founded_on: None,
        dissolved_on: None,
        secretary: None,
        phone: None,
    }
}

fn small_batches(resume: bool, stop_after_batches: Option<usize>) -> CopyOptions {
    CopyOptions {
        resume,
        batch_rows: 300,
        source_label: "测试源库".into(),
        stop_after_batches,
    }
}

async fn copy(source: &Db, target: &Db, options: &CopyOptions) -> Result<u64, StoreError> {
    let mut batches = 0u64;
    let report = target
        .copy_from(source, options, &mut |_| batches += 1)
        .await?;
    assert!(
        report.differences.is_empty(),
        "{:?}",
        &report.differences[..report.differences.len().min(5)]
    );
    Ok(batches)
}

fn invalid(r: Result<u64, StoreError>) -> String {
    match r {
        Err(StoreError::Invalid(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The engines a copy starts from, each holding a small demo district: the file and PostgreSQL.
/// Not a Citus test schema, whose sessions refuse the whole-table reads a copy makes; moving
/// down from Citus is not what `dangjian copy` is for.
async fn copy_sources() -> Vec<TestDb> {
    let options = DemoOptions {
        members: 60,
        seed: 5,
        password: Some(PASSWORD.into()),
        ..Default::default()
    };
    let mut sources = Vec::new();
    for db in support::demo_dbs(&options).await {
        if db.citus_version().await.unwrap().is_none() {
            sources.push(db);
        }
    }
    sources
}

#[tokio::test]
async fn a_district_moves_up_whole_and_resumes_after_an_interruption() {
    for source in copy_sources().await {
        let Some(target) = test_postgres_empty().await else {
            eprintln!("DANGJIAN_TEST_PG not set: the copy's target is PostgreSQL, skipped");
            return;
        };
        let engine = source.engine();
        let app = demo_source(&source).await;
        let root = app.actor_by_username("admin").await.unwrap().org_id;

        // An extension may keep views beside the tables (Citus does, in public): not copied.
        assert!(
            try_statement(
                &target,
                "CREATE VIEW kept_by_an_extension AS SELECT 'pg_catalog'::regnamespace AS schema_name",
            )
            .await
        );

        // Interrupted after a few batches: what was written stays, and a plain second run is
        // refused rather than mixing two copies.
        let stopped = copy(&source, &target, &small_batches(false, Some(4))).await;
        assert!(
            matches!(&stopped, Err(StoreError::Conflict(m)) if m == INTERRUPTED),
            "{engine}: {stopped:?}"
        );
        let m = invalid(copy(&source, &target, &small_batches(false, None)).await);
        assert!(m.contains("--resume"), "{engine}: {m}");

        // Resumed, it finishes, and the target holds the same values row for row.
        copy(&source, &target, &small_batches(true, None))
            .await
            .unwrap();
        assert_eq!(
            target.tables_differing_from(&source).await.unwrap(),
            Vec::<String>::new(),
            "{engine}"
        );
        let moved = App::new(target.db());
        let differences = moved.rollups_verify(root).await.unwrap();
        assert!(
            differences.is_empty(),
            "{engine}: {:?}",
            &differences[..differences.len().min(5)]
        );

        // A finished copy is only checked again, and never copied over.
        let report = target
            .copy_from(&source, &small_batches(true, None), &mut |_| {})
            .await
            .unwrap();
        assert!(
            report.already_finished && report.differences.is_empty(),
            "{engine}"
        );
        let m = invalid(copy(&source, &target, &small_batches(false, None)).await);
        assert!(m.contains("--resume"), "{engine}: {m}");
        // The moved instance works: a login, and a new org after the copied ones.
        let client = IpAddr::V4(Ipv4Addr::LOCALHOST);
        moved
            .login("community_admin", PASSWORD, client)
            .await
            .unwrap();
        let max_before = target.max_id("orgs").await.unwrap();
        let org = target
            .org_create(
                Scope::Subtree(root),
                &new_org(Some(root), "复制后新建街道"),
                &author(),
            )
            .await
            .unwrap();
        assert!(
            org.id > max_before,
            "{engine}: {} after {max_before}",
            org.id
        );
    }
}

#[tokio::test]
async fn the_copy_refuses_a_target_or_source_it_must_not_touch() {
    for source in copy_sources().await {
        let Some(target) = test_postgres_empty().await else {
            eprintln!("DANGJIAN_TEST_PG not set: the copy's target is PostgreSQL, skipped");
            return;
        };
        let engine = source.engine();
        let app = demo_source(&source).await;

        // An SQLite target, or a database holding someone else's tables.
        let sqlite_target = store::testing::test_sqlite().await;
        let m = invalid(copy(&source, &sqlite_target, &small_batches(false, None)).await);
        assert!(m.contains("PostgreSQL"), "{engine}: {m}");
        let other = test_postgres_empty().await.unwrap();
        assert!(try_statement(&other, "CREATE TABLE payroll (id BIGINT PRIMARY KEY)").await);
        let m = invalid(copy(&source, &other, &small_batches(false, None)).await);
        assert!(m.contains("payroll"), "{engine}: {m}");

        // A target the program already uses (one that was started and has its top org).
        let used = test_postgres_empty().await.unwrap();
        used.migrate().await.unwrap();
        used.org_create(
            Scope::Nothing,
            &new_org(None, "中共某某区委员会"),
            &author(),
        )
        .await
        .unwrap();
        let m = invalid(copy(&source, &used, &small_batches(false, None)).await);
        assert!(m.contains("不是空库"), "{engine}: {m}");

        // A source changed after the copy began cannot be resumed into the same target.
        let stopped = copy(&source, &target, &small_batches(false, Some(2))).await;
        assert!(matches!(stopped, Err(StoreError::Conflict(_))), "{engine}");
        let admin = app.actor_by_username("admin").await.unwrap();
        app.db
            .org_create(
                Scope::Subtree(admin.org_id),
                &new_org(Some(admin.org_id), "复制中途新建"),
                &author(),
            )
            .await
            .unwrap();
        let m = invalid(copy(&source, &target, &small_batches(true, None)).await);
        assert!(m.contains("有改动"), "{engine}: {m}");
    }
}

#[tokio::test]
async fn an_older_source_is_refused_and_left_as_it_was() {
    for source in test_dbs_until(20261129000011).await {
        let Some(target) = test_postgres_empty().await else {
            eprintln!("DANGJIAN_TEST_PG not set: the copy's target is PostgreSQL, skipped");
            return;
        };
        let before = source.schema_version().await.unwrap();
        let m = invalid(copy(&source, &target, &small_batches(false, None)).await);
        assert!(m.contains("dangjian migrate"), "{m}");
        assert_eq!(source.schema_version().await.unwrap(), before);
    }
}
