//! The `dangjian` binary as an office worker runs it from a terminal.

use std::path::PathBuf;
use std::process::{Command, Output};

fn dangjian(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dangjian"))
        .args(args)
        .output()
        .expect("run dangjian")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dangjian-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn dues_quote_prints_the_amount_and_its_working() {
    let out = dangjian(&[
        "dues",
        "quote",
        "--category",
        "in_service",
        "--base",
        "7305.00",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(printed.contains("每月应交党费：109.58 元"), "{printed}");
    assert!(printed.contains("1.5%"));

    let out = dangjian(&[
        "dues",
        "quote",
        "--category",
        "in_service",
        "--components",
        "基本工资=6000,交通补贴=300,单位缴纳养老保险=960,工会会费=30,个人所得税=95",
    ]);
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains("「交通补贴」300.00 元，属“改革性补贴：交通、公车”，不计入基数")
            && printed.contains(
                "「单位缴纳养老保险」960.00 元，属“单位缴纳的五险一金和年金”，不计入也不扣除"
            )
            && printed.contains("计算基数 = 6000.00 − 95.00 = 5905.00 元"),
        "{printed}"
    );

    // An item the table does not know stops the quote and says how to classify it.
    let out = dangjian(&[
        "dues",
        "quote",
        "--category",
        "in_service",
        "--components",
        "基本工资=6000,值班费=200",
    ]);
    let printed = text(&out);
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains("「值班费」200.00 元，未识别")
            && printed.contains("值班费=金额:不计入")
            && !printed.contains("每月应交党费"),
        "{printed}"
    );
    let out = dangjian(&[
        "dues",
        "quote",
        "--category",
        "in_service",
        "--components",
        "基本工资=6000,值班费=200:计入",
    ]);
    assert!(
        text(&out).contains("计算基数 = 6200.00 − 0.00 = 6200.00 元"),
        "{}",
        text(&out)
    );

    // A retiree's base is the basic pension itself.
    let out = dangjian(&[
        "dues",
        "quote",
        "--category",
        "retired",
        "--components",
        "基本养老金=4000,生活补贴=1500,医疗保险=80",
    ]);
    assert!(
        text(&out).contains("每月应交党费：20.00 元"),
        "{}",
        text(&out)
    );

    let out = dangjian(&["dues", "quote", "--category", "cadre", "--base", "1"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("类别"));
}

/// The same field limit as the API's (crates/web/tests/routes.rs), in the same words.
#[test]
fn dues_quote_refuses_an_overlong_pay_slip_like_the_api() {
    let components = "基本工资=1,".repeat(300);
    let out = dangjian(&[
        "dues",
        "quote",
        "--category",
        "in_service",
        "--components",
        &components,
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("工资构成过长：最多 2000 个字，现在有 2100 个字"),
        "{}",
        text(&out)
    );
}

/// Issue 9, finding 1: `dangjian import members` aborted on a 2 KB workbook declaring every
/// cell of Excel.
#[test]
fn importing_a_workbook_bomb_is_refused_with_a_message() {
    let dir = temp("bomb");
    let db = format!("sqlite://{}", dir.join("bomb.db").display());
    let out = dangjian(&["demo", "--members", "50", "--db", &db, "--no-serve"]);
    assert!(out.status.success(), "{}", text(&out));
    let data = format!(
        r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
        app::tabular::testing::text_cell("A1", "姓名"),
        app::tabular::testing::text_cell("XFD1048576", "x")
    );
    let bomb = dir.join("bomb.xlsx");
    std::fs::write(
        &bomb,
        app::tabular::testing::workbook(&[("Sheet1", Some("A1:XFD1048576"), &data)], None),
    )
    .unwrap();
    let out = dangjian(&["import", "members", bomb.to_str().unwrap(), "--db", &db]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("超出导入上限"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn demo_export_import_and_backup_round_trip() {
    let dir = temp("roundtrip");
    let db = format!("sqlite://{}", dir.join("demo.db").display());
    let out = dangjian(&[
        "demo",
        "--members",
        "300",
        "--db",
        &db,
        "--no-serve",
        "--password",
        "Cli2026pass",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("300 名党员"));

    let csv = dir.join("members.csv");
    let out = dangjian(&[
        "export",
        "members",
        "--out",
        csv.to_str().unwrap(),
        "--db",
        &db,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    // 300 seeded, and whoever the demo's 发展党员 files admitted.
    let exported_line = text(&out);
    assert!(exported_line.contains("已导出 30"), "{exported_line}");
    let exported = std::fs::read(&csv).unwrap();
    assert!(exported.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");

    // Importing the same people again is refused row by row, and nothing is written.
    let out = dangjian(&["import", "members", csv.to_str().unwrap(), "--db", &db]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("该身份证号不可用，请联系上级组织核实"),
        "{}",
        text(&out)
    );

    let backup = dir.join("copy.db");
    let out = dangjian(&["backup", "--db", &db, "--out", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let copy = format!("sqlite://{}", backup.display());
    let out = dangjian(&[
        "export",
        "members",
        "--out",
        dir.join("again.csv").to_str().unwrap(),
        "--db",
        &copy,
    ]);
    assert_eq!(
        text(&out).trim().split('到').next(),
        exported_line.trim().split('到').next()
    );
    let out = dangjian(&["backup", "--db", &db, "--out", backup.to_str().unwrap()]);
    assert!(
        !out.status.success(),
        "an existing backup is never overwritten"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_on_an_empty_database_creates_the_first_admin_and_answers() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = temp("serve");
    let db = format!("sqlite://{}", dir.join("fresh.db").display());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let mut child = Command::new(env!("CARGO_BIN_EXE_dangjian"))
        .args([
            "serve",
            "--db",
            &db,
            "--listen",
            &addr,
            "--org-name",
            "中共测试区委员会",
            "--public-upload-mb-per-day",
            "50",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        seen.push(line.clone());
        if line.contains("已启动") {
            break;
        }
    }
    let printed = seen.join("\n");
    let mut health = String::new();
    if let Ok(mut stream) = std::net::TcpStream::connect(&addr) {
        let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let _ = stream.read_to_string(&mut health);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        printed.contains("中共测试区委员会") && printed.contains("管理员账号：admin"),
        "{printed}"
    );
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `dangjian sweep` decides call escalation as of its own instant: `--date D` is D at 00:00 and
/// `--at` a given moment, whatever the wall clock says; a future instant is refused.
#[tokio::test(flavor = "multi_thread")]
async fn sweep_escalates_as_of_the_date_or_instant_given() {
    let dir = temp("sweep");
    let db = format!("sqlite://{}", dir.join("sweep.db").display());
    let out = dangjian(&[
        "demo",
        "--members",
        "200",
        "--db",
        &db,
        "--no-serve",
        "--password",
        "Cli2026pass",
    ]);
    assert!(out.status.success(), "{}", text(&out));

    // A call received on Monday 2 March 2026 at 09:00; the community must acknowledge it within
    // 120 working minutes.
    let code = {
        let app = app::App::new(store::Db::open(&db).await.unwrap());
        let root = app.public_root().await.unwrap();
        let units = app.call_units_of(root).await.unwrap();
        let community = units
            .iter()
            .find(|u| u.level == "community" && u.territory_id.is_some())
            .unwrap();
        let input = app::calls::CallInput {
            item_code: "C01-01".into(),
            territory_id: community.territory_id,
            description: "垃圾三天没有清运".into(),
            phone: "13912345678".into(),
            ..Default::default()
        };
        let (_, code) = app
            .submit_call(root, &input, &[], "web", None)
            .await
            .unwrap();
        store::testing::backdate_call(&app.db, &code, at("2026-03-02 09:00")).await;
        code
    };
    let level = || async {
        let db = store::Db::open(&db).await.unwrap();
        db.call_by_tracking_code(&code).await.unwrap().level
    };

    let out = dangjian(&["sweep", "--db", &db, "--date", "2026-03-02"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("按 2026-03-02 00:00"), "{}", text(&out));
    assert_eq!(level().await, "community", "before the deadline");
    let out = dangjian(&["sweep", "--db", &db, "--at", "2026-03-02 10:30"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(level().await, "community", "still before the deadline");
    let out = dangjian(&["sweep", "--db", &db, "--at", "2026-03-02 11:30"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(level().await, "street", "after the deadline");

    let tomorrow = (chrono::Utc::now() + chrono::Duration::hours(8 + 24)).date_naive();
    let out = dangjian(&["sweep", "--db", &db, "--date", &tomorrow.to_string()]);
    assert!(!out.status.success());
    assert!(text(&out).contains("晚于现在"), "{}", text(&out));
    let out = dangjian(&["sweep", "--db", &db, "--at", "3月2日"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("YYYY-MM-DD HH:MM"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

fn at(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

#[test]
fn a_busy_port_is_reported_in_chinese_before_any_work() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let dir = temp("busy-port");
    let db = dir.join("dangjian.db");
    let url = format!("sqlite://{}", db.display());
    let started = std::time::Instant::now();
    let out = dangjian(&[
        "demo",
        "--members",
        "2000",
        "--db",
        &url,
        "--listen",
        &listen,
    ]);
    assert!(!out.status.success());
    let said = text(&out);
    assert!(
        said.contains("端口已被占用") && said.contains("--listen"),
        "{said}"
    );
    assert!(
        !said.contains("演示数据已生成"),
        "no demo was generated first: {said}"
    );
    assert!(!db.exists(), "nothing was written");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    let out = dangjian(&["serve", "--db", &url, "--listen", &listen]);
    assert!(!out.status.success());
    assert!(text(&out).contains("端口已被占用"));
    assert!(!db.exists(), "serve did not create the database either");
    drop(taken);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `dangjian copy` killed with SIGKILL in the middle resumes with `--resume` and ends with its
/// checks passing; a second plain run is refused rather than mixing two copies. Needs
/// `DANGJIAN_TEST_PG` (the target of a copy is PostgreSQL); each run uses a database of its own.
#[tokio::test(flavor = "multi_thread")]
async fn a_copy_killed_midway_resumes_and_checks_out() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let Ok(server) = std::env::var("DANGJIAN_TEST_PG") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set DANGJIAN_TEST_PG"
        );
        eprintln!("DANGJIAN_TEST_PG not set: skipped");
        return;
    };
    let dir = temp("copy");
    let source = format!("sqlite://{}", dir.join("office.db").display());
    let out = dangjian(&[
        "demo",
        "--members",
        "300",
        "--db",
        &source,
        "--no-serve",
        "--password",
        "Cli2026pass",
    ]);
    assert!(out.status.success(), "{}", text(&out));

    let name = format!("dangjian_copy_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&server).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&admin)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    let (base, _) = server.rsplit_once('/').unwrap();
    let target = format!("{base}/{name}");

    // Small batches, so that the copy is still running when it is killed.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dangjian"))
        .args([
            "copy",
            "--from",
            &source,
            "--to",
            &target,
            "--batch-rows",
            "10",
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut progress = BufReader::new(child.stderr.take().unwrap()).lines();
    for _ in 0..3 {
        let line = progress.next().unwrap().unwrap();
        assert!(line.contains('%'), "{line}");
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let again = dangjian(&["copy", "--from", &source, "--to", &target]);
    assert!(!again.status.success());
    assert!(text(&again).contains("--resume"), "{}", text(&again));
    let resumed = dangjian(&[
        "copy",
        "--from",
        &source,
        "--to",
        &target,
        "--resume",
        "--check-values",
    ]);
    let printed = text(&resumed);
    assert!(resumed.status.success(), "{printed}");
    assert!(
        printed.contains("核对无误") && !printed.contains("此前已经完成"),
        "{printed}"
    );
    // The copied tables leave with planner statistics, not waiting for autovacuum.
    let copied = sqlx::PgPool::connect(&target).await.unwrap();
    let (analysed,): (bool,) = sqlx::query_as(
        "SELECT last_analyze IS NOT NULL AND last_vacuum IS NOT NULL FROM pg_stat_user_tables \
         WHERE relname = 'members'",
    )
    .fetch_one(&copied)
    .await
    .unwrap();
    copied.close().await;
    assert!(analysed, "{printed}");

    admin.close().await;
    let admin = sqlx::PgPool::connect(&server).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&admin)
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn migrate_with_citus_is_refused_where_there_is_no_citus() {
    let dir = temp("citus");
    let file = dir.join("office.db");
    let url = format!("sqlite://{}", file.display());
    // The embedded file migrates as always; asked for Citus, it says how to get there.
    let out = dangjian(&["migrate", "--db", &url]);
    assert!(out.status.success(), "{}", text(&out));
    let out = dangjian(&["migrate", "--citus", "--db", &url]);
    assert!(!out.status.success());
    assert!(text(&out).contains("dangjian copy"), "{}", text(&out));
    // A PostgreSQL server without the extension names it.
    if let Ok(pg) = std::env::var("DANGJIAN_TEST_PG")
        && !pg.is_empty()
    {
        let out = dangjian(&["migrate", "--citus", "--db", &pg]);
        assert!(!out.status.success());
        assert!(text(&out).contains("未安装 Citus 扩展"), "{}", text(&out));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
