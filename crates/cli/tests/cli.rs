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
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dangjian-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn dues_quote_prints_the_amount_and_its_working() {
    let out = dangjian(&["dues", "quote", "--category", "in_service", "--base", "7305.00"]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(printed.contains("每月应交党费：109.58 元"), "{printed}");
    assert!(printed.contains("1.5%"));

    let out = dangjian(&["dues", "quote", "--category", "in_service", "--components", "基本工资=6000,交通补贴=300,个人所得税=95"]);
    assert!(text(&out).contains("交通补贴") && text(&out).contains("5905.00"), "{}", text(&out));

    let out = dangjian(&["dues", "quote", "--category", "cadre", "--base", "1"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("类别"));
}

#[test]
fn demo_export_import_and_backup_round_trip() {
    let dir = temp("roundtrip");
    let db = format!("sqlite://{}", dir.join("demo.db").display());
    let out = dangjian(&["demo", "--members", "300", "--db", &db, "--no-serve", "--password", "Cli2026pass"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("300 名党员"));

    let csv = dir.join("members.csv");
    let out = dangjian(&["export", "members", "--out", csv.to_str().unwrap(), "--db", &db]);
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
    let out = dangjian(&["export", "members", "--out", dir.join("again.csv").to_str().unwrap(), "--db", &copy]);
    assert!(text(&out).contains("已导出 300 名党员"), "{}", text(&out));
    let out = dangjian(&["backup", "--db", &db, "--out", backup.to_str().unwrap()]);
    assert!(!out.status.success(), "an existing backup is never overwritten");
    let _ = std::fs::remove_dir_all(&dir);
}
