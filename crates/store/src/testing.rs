//! Databases for tests: every test gets a fresh SQLite file and, when `DANGJIAN_TEST_PG` names a
//! server, a fresh PostgreSQL schema, so each store function is exercised on both engines. Each
//! is removed again when the test drops it: the file (with its WAL and shared-memory files) is
//! deleted and the schema dropped.

use std::ops::Deref;
use std::path::PathBuf;

use crate::Db;

/// A database that exists for one test. Derefs to [`Db`]; clone the `Db` out of it to hand to
/// an `App`, and keep the guard alive until the test is done with the database.
pub struct TestDb {
    db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Schema { url: String, schema: String },
}

impl Deref for TestDb {
    type Target = Db;
    fn deref(&self) -> &Db {
        &self.db
    }
}

impl TestDb {
    pub fn db(&self) -> Db {
        self.db.clone()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut name = path.clone().into_os_string();
                    name.push(suffix);
                    let _ = std::fs::remove_file(name);
                }
            }
            Cleanup::Schema { url, schema } => {
                // Drop runs inside the test's runtime, which cannot be awaited here; a thread
                // with a runtime of its own can, and the test waits for it. The test's own
                // sessions are ended first: one may be idle in a transaction whose rollback
                // would need the very runtime this drop is blocking.
                let (url, schema) = (url.clone(), schema.clone());
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        use sqlx::Connection;
                        let mut conn = sqlx::PgConnection::connect(&url).await.ok()?;
                        sqlx::query(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                             WHERE application_name = $1 AND pid <> pg_backend_pid()",
                        )
                        .bind(&schema)
                        .execute(&mut conn)
                        .await
                        .ok()?;
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                        )))
                        .execute(&mut conn)
                        .await
                        .ok()?;
                        conn.close().await.ok()
                    })
                })
                .join();
                if !matches!(dropped, Ok(Some(()))) {
                    eprintln!(
                        "warning: test schema {} was not dropped",
                        self.schema_name()
                    );
                }
            }
        }
    }
}

impl TestDb {
    fn schema_name(&self) -> &str {
        match &self.cleanup {
            Cleanup::Schema { schema, .. } => schema,
            Cleanup::File(_) => "",
        }
    }
}

/// One empty, migrated database per available engine, and a distributed one on Citus when
/// `DANGJIAN_TEST_CITUS` names a coordinator ([`test_citus`]). Under CI (`CI` set) a missing
/// `DANGJIAN_TEST_PG` is an error rather than a silent SQLite-only run.
pub async fn test_dbs() -> Vec<TestDb> {
    test_dbs_at(None).await
}

/// Like [`test_dbs`], with the schema only up to migration `version` (upgrade tests).
pub async fn test_dbs_until(version: i64) -> Vec<TestDb> {
    test_dbs_at(Some(version)).await
}

async fn test_dbs_at(version: Option<i64>) -> Vec<TestDb> {
    let mut dbs = vec![test_sqlite_at(version).await];
    if let Some(pg) = test_postgres_empty().await {
        migrate(&pg, version).await;
        dbs.push(pg);
    }
    // Citus joins only for the schema as it is now: an upgrade from an older one is PostgreSQL's.
    if version.is_none()
        && let Some(citus) = test_citus().await
    {
        dbs.push(citus);
    }
    dbs
}

/// A fresh PostgreSQL schema with no tables, as a newly created database is (the target of a
/// copy, and what [`test_dbs`] migrates). `None` without `DANGJIAN_TEST_PG`, which is an error
/// under CI (`CI` set) rather than a silent SQLite-only run.
pub async fn test_postgres_empty() -> Option<TestDb> {
    match std::env::var("DANGJIAN_TEST_PG") {
        Ok(url) if !url.is_empty() => {
            let schema = format!("t_{}", uuid_like());
            let db = Db::connect_postgres_schema(&url, &schema)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at DANGJIAN_TEST_PG unusable: {e}"));
            Some(TestDb {
                db,
                cleanup: Cleanup::Schema { url, schema },
            })
        }
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI must set DANGJIAN_TEST_PG so that store tests also run on PostgreSQL")
        }
        _ => None,
    }
}

/// A fresh schema on the Citus coordinator named by `DANGJIAN_TEST_CITUS`, migrated and
/// distributed as `dangjian migrate` leaves it, whose sessions refuse any statement that would
/// touch more than one shard (`citus.multi_task_query_log_level = error`): a test that works
/// through it shows that what it did was routed to a single shard. `None` without the variable.
pub async fn test_citus() -> Option<TestDb> {
    let (url, schema) = citus_schema()?;
    let db = connect_single_shard(&url, &schema).await;
    db.migrate().await.expect("migrate on Citus");
    db.citus_distribute().await.expect("distribute on Citus");
    Some(TestDb {
        db,
        cleanup: Cleanup::Schema { url, schema },
    })
}

/// [`test_citus`] holding what the SQLite `template` holds: moved by the program's own copy
/// into ordinary tables, then distributed (which moves the rows into the shards), then opened
/// through sessions that refuse multi-shard statements. The copy itself counts and checks whole
/// tables, which only the loading session may.
pub async fn test_citus_copy_of(template: &std::path::Path) -> Option<TestDb> {
    let (url, schema) = citus_schema()?;
    // Made first, so that the schema is dropped however the loading ends.
    let strict = TestDb {
        db: connect_single_shard(&url, &schema).await,
        cleanup: Cleanup::Schema {
            url: url.clone(),
            schema: schema.clone(),
        },
    };
    let loading = Db::connect_postgres_schema(&url, &schema)
        .await
        .unwrap_or_else(|e| panic!("Citus at DANGJIAN_TEST_CITUS unusable: {e}"));
    copy_template_into(&loading, template).await;
    loading
        .citus_distribute()
        .await
        .expect("distribute on Citus");
    loading.close().await;
    Some(strict)
}

fn citus_schema() -> Option<(String, String)> {
    let url = std::env::var("DANGJIAN_TEST_CITUS")
        .ok()
        .filter(|u| !u.is_empty())?;
    Some((url, format!("t_{}", uuid_like())))
}

async fn connect_single_shard(url: &str, schema: &str) -> Db {
    let separator = if url.contains('?') { '&' } else { '?' };
    let strict = format!("{url}{separator}options=-c%20citus.multi_task_query_log_level%3Derror");
    Db::connect_postgres_schema(&strict, schema)
        .await
        .unwrap_or_else(|e| panic!("Citus at DANGJIAN_TEST_CITUS unusable: {e}"))
}

/// Makes a call look as if it had been made, and received by its current holder, at `at` (China's
/// time), so that a test can run the sweep as of instants around its deadlines. The change goes
/// through the ordinary transition, so the call's log shows it.
pub async fn backdate_call(
    db: &Db,
    tracking_code: &str,
    at: chrono::NaiveDateTime,
) -> crate::CallRow {
    let row = db.call_by_tracking_code(tracking_code).await.expect("call");
    let mut case: domain::calls::Case = serde_json::from_str(&row.state).expect("call state");
    case.submitted_at = at;
    case.received_at = at;
    case.last_event_at = at;
    let change = crate::CallChange {
        kind: "submit".into(),
        event: r#"{"kind":"submit"}"#.into(),
        public_note: format!("受理时间按 {}", at.format("%Y-%m-%d %H:%M")),
        status: row.status.clone(),
        level: row.level.clone(),
        holder_unit_id: row.holder_unit_id,
        state: serde_json::to_string(&case).expect("state"),
        supporting: vec![],
        rollup: vec![],
    };
    let author = crate::Author {
        user_id: None,
        name: "测试".into(),
    };
    db.call_transition(
        crate::CallScope::Orgs(row.root_org_id),
        row.id,
        &row.state,
        &change,
        &author,
    )
    .await
    .expect("backdate");
    db.call_by_tracking_code(tracking_code).await.expect("call")
}

pub async fn test_sqlite() -> TestDb {
    test_sqlite_at(None).await
}

async fn test_sqlite_at(version: Option<i64>) -> TestDb {
    let path = std::env::temp_dir().join(format!("dangjian-test-{}.db", uuid_like()));
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open test sqlite");
    migrate(&db, version).await;
    TestDb {
        db,
        cleanup: Cleanup::File(path),
    }
}

/// A fresh SQLite file that starts as a copy of `template` (a file no one writes to any more),
/// for tests that each need the same generated data: copying it takes milliseconds where
/// generating it again takes seconds.
pub async fn test_sqlite_copy_of(template: &std::path::Path) -> TestDb {
    let path = std::env::temp_dir().join(format!("dangjian-test-{}.db", uuid_like()));
    std::fs::copy(template, &path).expect("copy the template database");
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open test sqlite");
    TestDb {
        db,
        cleanup: Cleanup::File(path),
    }
}

/// A fresh PostgreSQL schema holding what the SQLite `template` holds, moved by the program's own
/// copy (`dangjian copy`); `None` without `DANGJIAN_TEST_PG`, as for [`test_postgres_empty`].
pub async fn test_postgres_copy_of(template: &std::path::Path) -> Option<TestDb> {
    let target = test_postgres_empty().await?;
    copy_template_into(&target, template).await;
    Some(target)
}

async fn copy_template_into(target: &Db, template: &std::path::Path) {
    let source = Db::connect_read_only(&format!("sqlite://{}", template.display()))
        .await
        .expect("open the template database");
    let options = crate::copy::CopyOptions {
        source_label: "测试模板".into(),
        ..Default::default()
    };
    let report = target
        .copy_from(&source, &options, &mut |_| {})
        .await
        .expect("copy the template into PostgreSQL");
    assert!(
        report.differences.is_empty(),
        "the template's copy differs: {:?}",
        report.differences
    );
    source.close().await;
}

/// Writes a test database's whole content into one self-contained file at `path` (replacing
/// whatever is there), to serve as a template for [`test_sqlite_copy_of`].
pub async fn save_sqlite_template(db: &Db, path: &std::path::Path) {
    let Db::Sqlite(pool) = db else {
        panic!("a template is written from an SQLite test database");
    };
    let partial = path.with_extension(format!("{}.partial", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "VACUUM INTO '{}'",
        partial.display().to_string().replace('\'', "''")
    )))
    .execute(pool)
    .await
    .expect("write the template");
    // Renamed into place whole, so that another run of the same tests never copies half a file.
    std::fs::rename(&partial, path).expect("put the template in place");
}

/// Runs a file of SQL statements (a fixture) on a test database.
pub async fn load_script(db: &Db, sql: &str) {
    crate::on_db!(db, pool => {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(pool).await.expect("load fixture");
    });
}

/// Runs one statement and says whether the database accepted it: a test that checks what the
/// schema itself refuses (the points ledger's append-only triggers) needs to try it.
pub async fn try_statement(db: &Db, sql: &str) -> bool {
    crate::on_db!(db, pool => {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(pool).await.is_ok()
    })
}

/// Where each member below `org` is, with their 入党日期 and 转正日期, by id: read with only the columns
/// every release has had, so that a test can compare a database before and after an upgrade.
pub async fn member_placements(
    db: &Db,
    org: i64,
) -> Vec<(i64, i64, chrono::NaiveDate, Option<chrono::NaiveDate>)> {
    crate::on_db!(db, pool => {
        sqlx::query_as(
            "SELECT m.id, m.branch_id, m.admitted_on, m.full_on FROM members m \
             JOIN org_closure c ON c.descendant_id = m.branch_id WHERE c.ancestor_id = $1 ORDER BY m.id",
        )
        .bind(org)
        .fetch_all(pool)
        .await
        .expect("read members")
    })
}

async fn migrate(db: &Db, version: Option<i64>) {
    match version {
        Some(v) => db.migrate_until(v).await,
        None => db.migrate().await,
    }
    .expect("migrate test database");
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}
