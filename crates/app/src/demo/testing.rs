//! A generated demo on every engine under test, for the application and route tests: generated
//! once per test binary and set of options, then copied for each test. Generating a district
//! takes tens of seconds in a debug build, copying the file milliseconds and moving it into
//! PostgreSQL with the program's own `copy` about a second. `crates/app/tests/province.rs` and
//! `citus.rs` still generate on PostgreSQL and Citus, so the generator stays tested there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use store::testing::TestDb;

use super::DemoOptions;
use crate::App;

/// The demo `options` make, on every engine under test (SQLite, then PostgreSQL and Citus when
/// their variables are set). `scratch` is where the template file is kept: the caller's
/// `CARGO_TARGET_TMPDIR`, inside the build directory.
pub async fn demo_dbs(options: &DemoOptions, scratch: &Path) -> Vec<TestDb> {
    let template = demo_template(options, scratch).await;
    let mut out = vec![store::testing::test_sqlite_copy_of(&template).await];
    if let Some(pg) = store::testing::test_postgres_copy_of(&template).await {
        out.push(pg);
    }
    if let Some(citus) = store::testing::test_citus_copy_of(&template).await {
        out.push(citus);
    }
    out
}

/// The template file for `options`, named after the test binary and the options, replaced by
/// each run so that its dates are today's.
pub async fn demo_template(options: &DemoOptions, scratch: &Path) -> PathBuf {
    static TEMPLATES: tokio::sync::Mutex<Option<HashMap<String, PathBuf>>> =
        tokio::sync::Mutex::const_new(None);
    let key = format!(
        "{}-{}-{}-{}",
        options.members,
        options.seed,
        options.districts,
        options.password.as_deref().unwrap_or("random")
    );
    // Held while generating, so that two tests asking for the same demo generate it once.
    let mut templates = TEMPLATES.lock().await;
    if let Some(path) = templates.get_or_insert_with(HashMap::new).get(&key) {
        return path.clone();
    }
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "tests".into());
    let path = scratch.join(format!("demo-template-{binary}-{key}.db"));
    let db = store::testing::test_sqlite().await;
    App::new(db.db())
        .generate_demo(options, &|_| {})
        .await
        .expect("generate the demo template");
    store::testing::save_sqlite_template(&db, &path).await;
    db.close().await;
    templates
        .get_or_insert_with(HashMap::new)
        .insert(key, path.clone());
    path
}
