//! The roll-ups stay equal to a recount of the raw rows whatever the office does, on SQLite and
//! PostgreSQL: random sequences of registrations, moves, re-categorisations, dues bases and
//! payments, waivers, meetings and residents' calls are played through the app, and
//! `rollups_verify` must then find no difference.

mod support;

use chrono::{Datelike, Duration};
use dangjian_app::calls::{ActionInput, CallInput};
use dangjian_app::demo::DemoOptions;
use dangjian_app::dues::{PaymentInput, QuoteInput, SetBaseInput, WaiverInput};
use dangjian_app::members::{MemberInput, input_from_member, today};
use dangjian_app::orglife::MeetingInput;
use dangjian_app::{Actor, App};
use domain::dues_ledger::Month;
use domain::{Gender, OrgKind};
use proptest::prelude::*;
use store::testing::TestDb;
use store::{MemberFilter, Scope};

#[derive(Debug, Clone)]
enum Op {
    Register {
        branch: usize,
        seq: u16,
    },
    Move {
        member: usize,
        branch: usize,
        days_back: i64,
    },
    Recategorise {
        member: usize,
        category: usize,
        lost: bool,
    },
    Base {
        member: usize,
        yuan: u32,
    },
    Pay {
        member: usize,
        months_back: u32,
    },
    Waive {
        member: usize,
    },
    Meeting {
        branch: usize,
        institution: usize,
    },
    Call {
        acknowledge: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<usize>(), 1u16..999).prop_map(|(branch, seq)| Op::Register { branch, seq }),
        (any::<usize>(), any::<usize>(), 0i64..700).prop_map(|(member, branch, days_back)| {
            Op::Move {
                member,
                branch,
                days_back,
            }
        }),
        (any::<usize>(), 0usize..8, any::<bool>()).prop_map(|(member, category, lost)| {
            Op::Recategorise {
                member,
                category,
                lost,
            }
        }),
        (any::<usize>(), 1000u32..20000).prop_map(|(member, yuan)| Op::Base { member, yuan }),
        (any::<usize>(), 0u32..5).prop_map(|(member, months_back)| Op::Pay {
            member,
            months_back
        }),
        any::<usize>().prop_map(|member| Op::Waive { member }),
        (any::<usize>(), 0usize..8).prop_map(|(branch, institution)| Op::Meeting {
            branch,
            institution
        }),
        any::<bool>().prop_map(|acknowledge| Op::Call { acknowledge }),
    ]
}

struct World {
    app: App,
    admin: Actor,
    community_admin: Actor,
    root: i64,
    branches: Vec<i64>,
    _db: TestDb,
}

async fn worlds() -> Vec<World> {
    let mut out = Vec::new();
    let options = DemoOptions {
        members: 150,
        seed: 11,
        password: Some("Test2026pass".into()),
        ..Default::default()
    };
    for db in support::demo_dbs(&options).await {
        let app = App::new(db.db());
        let admin = app.actor_by_username("admin").await.unwrap();
        let community_admin = app.actor_by_username("community_admin").await.unwrap();
        let root = admin.org_id;
        // The community admin's branches, so that calls and moves stay in one street.
        let branches = app
            .db
            .org_list_kind(
                Scope::Subtree(community_admin.org_id),
                OrgKind::Branch.code(),
            )
            .await
            .unwrap()
            .iter()
            .map(|b| b.id)
            .collect();
        out.push(World {
            app,
            admin,
            community_admin,
            root,
            branches,
            _db: db,
        });
    }
    out
}

async fn members(w: &World) -> Vec<store::MemberRow> {
    w.app
        .db
        .member_search(Scope::Subtree(w.root), &MemberFilter::default(), 10_000, 0)
        .await
        .unwrap()
}

/// Plays one operation; refusals (a move dated before the last one, a month already paid…) are
/// part of the game: they must leave the figures as they were.
async fn play(w: &World, op: &Op) {
    let app = &w.app;
    let admin = &w.admin;
    let all = members(w).await;
    let pick = |i: usize| &all[i % all.len()];
    let branch = |i: usize| w.branches[i % w.branches.len()];
    let this_month = Month::of(today());
    match op {
        Op::Register { branch: b, seq } => {
            let birth = today() - Duration::days(365 * 40);
            let input = MemberInput {
                branch_id: branch(*b),
                name: "测试党员".into(),
                id_number: domain::idcard::make_id_number("110107", birth, *seq, Gender::Female),
                category: "在职".into(),
                status: "正式党员".into(),
                admitted_on: (today() - Duration::days(365 * 10)).to_string(),
                full_on: if seq % 3 == 0 {
                    String::new()
                } else {
                    (today() - Duration::days(365 * 9)).to_string()
                },
                ..Default::default()
            };
            let _ = app.create_member(admin, &input).await;
        }
        Op::Move {
            member,
            branch: b,
            days_back,
        } => {
            let m = app.member_for_edit(admin, pick(*member).id).await.unwrap();
            let mut input = input_from_member(&m);
            input.branch_id = branch(*b);
            input.moved_on = (today() - Duration::days(*days_back)).to_string();
            input.move_reason = if days_back % 5 == 0 {
                "correction"
            } else {
                "transfer"
            }
            .into();
            let _ = app.update_member(admin, m.id, &input).await;
        }
        Op::Recategorise {
            member,
            category,
            lost,
        } => {
            let m = app.member_for_edit(admin, pick(*member).id).await.unwrap();
            let mut input = input_from_member(&m);
            input.category = domain::MemberCategory::ALL
                [category % domain::MemberCategory::ALL.len()]
            .code()
            .into();
            input.lost_contact = *lost;
            let _ = app.update_member(admin, m.id, &input).await;
        }
        Op::Base { member, yuan } => {
            let input = SetBaseInput {
                quote: QuoteInput {
                    category: "retired".into(),
                    base: yuan.to_string(),
                    ..Default::default()
                },
                effective_month: format!("{}-01", this_month.year),
            };
            let _ = app.set_dues_base(admin, pick(*member).id, &input).await;
        }
        Op::Pay {
            member,
            months_back,
        } => {
            // A month can only be paid at an amount on record: set one if the member has none.
            let base = SetBaseInput {
                quote: QuoteInput {
                    category: "retired".into(),
                    base: "4000".into(),
                    ..Default::default()
                },
                effective_month: format!("{}-01", this_month.year),
            };
            let id = pick(*member).id;
            if app
                .member_dues(admin, id, this_month)
                .await
                .unwrap()
                .current
                .is_none()
            {
                app.set_dues_base(admin, id, &base).await.unwrap();
            }
            let month = this_month.plus(-(*months_back as i32));
            let input = PaymentInput {
                from_month: month.to_string(),
                paid_on: today().to_string(),
                ..Default::default()
            };
            let _ = app
                .record_dues_payment(admin, pick(*member).id, &input)
                .await;
        }
        Op::Waive { member } => {
            let input = WaiverInput {
                from_month: this_month.plus(-2).to_string(),
                to_month: this_month.to_string(),
                reason: "重病住院".into(),
                approved_by: "街道党工委".into(),
                approval_ref: "测试〔2026〕1号".into(),
                approved_on: today().to_string(),
            };
            let _ = app.add_dues_waiver(admin, pick(*member).id, &input).await;
        }
        Op::Meeting {
            branch: b,
            institution,
        } => {
            let input = MeetingInput {
                institution: domain::orglife::Institution::ALL
                    [institution % domain::orglife::Institution::ALL.len()]
                .code()
                .into(),
                held_on: today().to_string(),
                place: "党员活动室".into(),
                chair: "书记".into(),
                recorder: "组织委员".into(),
                ..Default::default()
            };
            let _ = app.record_meeting(admin, branch(*b), &input).await;
        }
        Op::Call { acknowledge } => {
            let community = app
                .db
                .org_get(Scope::Subtree(w.root), w.community_admin.org_id)
                .await
                .unwrap();
            let items = app.db.call_items(w.root).await.unwrap();
            let input = CallInput {
                item_code: items[0].code.clone(),
                territory_id: community.territory_id,
                description: "楼道灯坏了".into(),
                phone: "13800138000".into(),
                ..Default::default()
            };
            if let Ok((id, _)) = app
                .submit_call(w.root, &input, &[], "phone", Some(&w.community_admin))
                .await
                && *acknowledge
            {
                let action = ActionInput {
                    action: "acknowledge".into(),
                    ..Default::default()
                };
                let _ = app.act_on_call(&w.community_admin, id, &action).await;
            }
        }
    }
}

async fn assert_figures_match(w: &World, after: &str) {
    let differences = w.app.rollups_verify(w.root).await.unwrap();
    assert!(
        differences.is_empty(),
        "{} after {after}: {} differences, e.g. {:?}",
        w.app.db.engine(),
        differences.len(),
        &differences[..differences.len().min(5)]
    );
    // The yearly publication reads the figures; each month must equal that month's notice,
    // which counts the raw rows, for the district and for a community.
    let year = today().year();
    for (actor, org) in [
        (&w.admin, w.root),
        (&w.community_admin, w.community_admin.org_id),
    ] {
        let (_, months, _) = w.app.dues_year(actor, org, year).await.unwrap();
        for row in months {
            let notice = w
                .app
                .dues_notice(actor, org, &row.name)
                .await
                .unwrap()
                .total;
            assert_eq!(
                (row.owed, row.paid, row.waived, row.due_fen, row.paid_fen),
                (
                    notice.owed,
                    notice.paid,
                    notice.waived,
                    notice.due_fen,
                    notice.paid_fen
                ),
                "{} after {after}: {} of org {org}",
                w.app.db.engine(),
                row.name
            );
        }
    }
}

#[tokio::test]
async fn a_fresh_demo_s_figures_equal_a_recount() {
    for w in worlds().await {
        assert_figures_match(&w, "the demo").await;
        let meta = w.app.db.rollup_meta(w.root).await.unwrap().unwrap();
        assert_eq!(meta.month, Month::of(today()).to_string());
        let rows = w
            .app
            .db
            .rollup_read(w.root, &[w.root], &["now".to_string()])
            .await
            .unwrap();
        let members = rows.iter().find(|r| r.metric == "members").unwrap().value;
        // 150 seeded, and whoever the demo's 发展党员 files admitted.
        let counted = w
            .app
            .db
            .member_count(store::Scope::Subtree(w.root), &Default::default())
            .await
            .unwrap();
        assert_eq!(members, counted, "{}", w.app.db.engine());
        assert!((150..160).contains(&members), "{members}");
        assert!(today().year() > 2000);
    }
}

/// The demo is generated once per engine; each case plays on from where the last one left off,
/// so the writes meet an ever busier register.
#[test]
fn every_write_keeps_the_figures_equal_to_a_recount() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let worlds = runtime.block_on(worlds());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 6,
        ..ProptestConfig::default()
    });
    runner
        .run(&proptest::collection::vec(op(), 1..14), |ops| {
            runtime.block_on(async {
                for w in &worlds {
                    for (i, op) in ops.iter().enumerate() {
                        play(w, op).await;
                        if i + 1 == ops.len() || i % 4 == 3 {
                            assert_figures_match(w, &format!("{:?}", &ops[..=i])).await;
                        }
                    }
                }
            });
            Ok(())
        })
        .unwrap();
}

/// An import into many branches at once sums the tree before writing (`apply_rollups!`): the
/// figures must still equal a recount.
#[tokio::test]
async fn an_import_into_many_branches_keeps_the_figures_equal_to_a_recount() {
    for w in worlds().await {
        let all = Scope::Subtree(w.root);
        let branches = w
            .app
            .db
            .org_list_kind(all, OrgKind::Branch.code())
            .await
            .unwrap();
        assert!(branches.len() > store::rollups::SUM_HERE_FROM_LEAVES * 2);
        let first = w
            .app
            .db
            .member_search(all, &MemberFilter::default(), 1, 0)
            .await
            .unwrap()
            .remove(0);
        let template = w.app.db.member_get(all, first.id).await.unwrap();
        let rows: Vec<store::MemberFields> = branches
            .iter()
            .take(store::rollups::SUM_HERE_FROM_LEAVES * 2)
            .enumerate()
            .map(|(i, b)| {
                let mut f = store::MemberFields::from(&template);
                f.branch_id = b.id;
                f.id_number = domain::idcard::make_id_number(
                    "659001",
                    chrono::NaiveDate::from_ymd_opt(1961, 3, 3).unwrap(),
                    100 + 2 * i as u16,
                    Gender::Female,
                );
                f.birth_date = chrono::NaiveDate::from_ymd_opt(1961, 3, 3).unwrap();
                f.gender = "female".into();
                f
            })
            .collect();
        let author = store::Author {
            user_id: None,
            name: "测试导入".into(),
        };
        w.app
            .db
            .member_insert_many(all, &rows, &author)
            .await
            .unwrap();
        assert_figures_match(&w, "an import into many branches").await;
    }
}
