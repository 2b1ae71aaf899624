//! Databases for tests: every test gets a fresh SQLite file and, when `DANGJIAN_TEST_PG` names a
//! server, a fresh PostgreSQL schema, so each store function is exercised on both engines.

use crate::Db;

/// One empty, migrated database per available engine. Under CI (`CI` set) a missing
/// `DANGJIAN_TEST_PG` is an error rather than a silent SQLite-only run.
pub async fn test_dbs() -> Vec<Db> {
    let mut dbs = vec![test_sqlite().await];
    match std::env::var("DANGJIAN_TEST_PG") {
        Ok(url) if !url.is_empty() => {
            let schema = format!("t_{}", uuid_like());
            dbs.push(
                Db::open_postgres_schema(&url, &schema)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at DANGJIAN_TEST_PG unusable: {e}")),
            );
        }
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI must set DANGJIAN_TEST_PG so that store tests also run on PostgreSQL")
        }
        _ => {}
    }
    dbs
}

pub async fn test_sqlite() -> Db {
    let path = std::env::temp_dir().join(format!("dangjian-test-{}.db", uuid_like()));
    Db::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("open test sqlite")
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
