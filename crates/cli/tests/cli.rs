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
        "基本工资=6000,交通补贴=300,个人所得税=95",
    ]);
    assert!(
        text(&out).contains("交通补贴") && text(&out).contains("5905.00"),
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
    let exported = std::fs::read(&csv).unwrap();
    assert!(exported.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");

    // Importing the same people again is refused row by row, and nothing is written.
    let out = dangjian(&["import", "members", csv.to_str().unwrap(), "--db", &db]);
    assert!(!out.status.success());
    assert!(text(&out).contains("已登记"), "{}", text(&out));

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
    assert!(text(&out).contains("已导出 300 名党员"), "{}", text(&out));
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
