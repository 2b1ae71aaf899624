//! What the application tests share.
#![allow(dead_code)]

use dangjian_app::demo::DemoOptions;
use store::testing::TestDb;

/// The demo `options` make, on every engine under test, generated once per binary.
pub async fn demo_dbs(options: &DemoOptions) -> Vec<TestDb> {
    dangjian_app::demo::testing::demo_dbs(
        options,
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
    )
    .await
}
