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
