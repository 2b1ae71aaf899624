//! Membership history end to end, on SQLite and PostgreSQL: a database made by the release of
//! 2026-11-23 keeps every member in their branch after the upgrade, with the same past ledgers,
//! and a member moved through the app never changes a month that began before the move.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use dangjian_app::members::{input_from_member, today};
use dangjian_app::orglife::Ledger;
use dangjian_app::{Actor, App};
use domain::dues_ledger::Month;
use domain::orglife::{BranchFacts, GroupLife, Held, Institution, compliance, rules_in_force};
use domain::{BranchKind, OrgKind};
use proptest::prelude::*;
use store::Scope;
use store::testing::{TestDb, load_script, member_placements, test_dbs_until};

/// The last migration of the 2026-11-23 release.
const RELEASE: i64 = 20261123000006;
/// One street of that release's demo (see fixtures/make_release_fixture.py).
const FIXTURE: &str = include_str!("../../store/tests/fixtures/release-2026-11-23.sql");
const STREET: i64 = 102;

/// Databases with the release's schema and data, not yet upgraded.
async fn release_dbs() -> Vec<TestDb> {
    let mut out = Vec::new();
    for db in test_dbs_until(RELEASE).await {
        load_script(&db, FIXTURE).await;
        db.reset_id_sequences().await.unwrap();
        out.push(db);
    }
    out
}

/// Every member of the street with their branch, status and 转正日期, as any release stores them.
async fn members_of(db: &store::Db) -> Vec<Placement> {
    member_placements(db, STREET)
        .await
        .into_iter()
        .map(|(id, branch_id, admitted_on, full_on)| Placement {
            id,
            branch_id,
            admitted_on,
            full_on,
        })
        .collect()
}

/// A member's branch and 转正日期, as every release stores them.
struct Placement {
    id: i64,
    branch_id: i64,
    admitted_on: NaiveDate,
    full_on: Option<NaiveDate>,
}

/// The release's count of 正式党员 per branch at the start of each month: members by their
/// (then only) branch, 正式 from their 转正日期.
fn release_formal_counts(members: &[Placement], year: i32) -> HashMap<i64, [u32; 12]> {
    let mut counts: HashMap<i64, [u32; 12]> = HashMap::new();
    for m in members {
        let Some(full_on) = m.full_on else { continue };
        for (k, slot) in counts
            .entry(m.branch_id)
            .or_insert([0; 12])
            .iter_mut()
            .enumerate()
        {
            if full_on <= Month::new(year, k as u32 + 1).unwrap().first_day() {
                *slot += 1;
            }
        }
    }
    counts.retain(|_, c| c.iter().any(|n| *n > 0));
    counts
}

async fn formal_counts(db: &store::Db, year: i32) -> HashMap<i64, [u32; 12]> {
    db.member_formal_counts_by_month(Scope::Subtree(STREET), STREET, year)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

#[tokio::test]
async fn an_upgraded_release_database_keeps_every_member_in_their_branch_and_its_past_ledgers() {
    for db in release_dbs().await {
        let engine = db.engine();
        let before = members_of(&db).await;
        assert!(before.len() > 20, "{engine}: the fixture loaded");
        let old_counts: Vec<_> = [2025, 2026]
            .into_iter()
            .map(|y| release_formal_counts(&before, y))
            .collect();

        db.migrate().await.unwrap();
        // The release's attendance rows took their meetings' top organisation on the way.
        assert_eq!(db.misplaced_child_rows().await.unwrap(), vec![], "{engine}");

        let app = App::new(db.db());
        let admin = app.actor_by_username("admin").await.unwrap();
        let after = members_of(&db).await;
        assert_eq!(after.len(), before.len(), "{engine}");
        for (old, new) in before.iter().zip(&after) {
            assert_eq!((old.id, old.branch_id), (new.id, new.branch_id), "{engine}");
            let spans = app.member_memberships(&admin, new.id).await.unwrap();
            assert_eq!(spans.len(), 1, "{engine}: one span per member");
            assert_eq!(spans[0].branch_id, old.branch_id);
            assert_eq!(spans[0].from_on, old.admitted_on, "from the admission date");
            assert_eq!(spans[0].until_on, None);
            assert_eq!(spans[0].reason, "admission");
        }
        for (year, old) in [2025, 2026].into_iter().zip(&old_counts) {
            assert_eq!(&formal_counts(&db, year).await, old, "{engine} {year}");
        }
        assert_past_ledgers_unchanged(&app, &admin, &old_counts[1], 2026).await;
    }
}

/// Each branch's 2026 ledger, month by month up to last month, is the one the release computed:
/// its rules, its founding date, its meetings and the release's counts. 党小组会 is compared only
/// where every 党小组 existed all year, since the release ignored when a group was set up.
async fn assert_past_ledgers_unchanged(
    app: &App,
    admin: &Actor,
    old_counts: &HashMap<i64, [u32; 12]>,
    year: i32,
) {
    let scope = Scope::Subtree(STREET);
    let lifespans = app.db.org_lifespans(scope, STREET).await.unwrap();
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
    let meetings = app
        .db
        .meeting_facts_between(scope, STREET, from, to)
        .await
        .unwrap();
    let this_month = Month::of(today());
    let mut compared = 0;
    for branch in lifespans
        .iter()
        .filter(|l| OrgKind::from_code(&l.kind) == Some(OrgKind::Branch))
    {
        let groups: Vec<_> = lifespans
            .iter()
            .filter(|g| g.parent_id == Some(branch.id))
            .collect();
        let facts = BranchFacts {
            founded_on: branch.founded_on,
            dissolved_on: None,
            party_groups: if groups.is_empty() {
                vec![]
            } else {
                vec![GroupLife::default()]
            },
            formal_members_by_month: (1..=12)
                .map(|m| {
                    let n = old_counts.get(&branch.id).map_or(0, |c| c[m as usize - 1]);
                    (Month::new(year, m).unwrap().first_day(), n)
                })
                .collect(),
            exemptions: vec![],
        };
        let held: Vec<Held> = meetings
            .iter()
            .filter(|(org, _, _)| *org == branch.id)
            .map(|(_, code, on)| Held {
                institution: Institution::from_code(code).unwrap(),
                on: *on,
            })
            .collect();
        let org = app.db.org_get(scope, branch.id).await.unwrap();
        let kind = org.branch_kind.as_deref().and_then(BranchKind::from_code);
        let expected = compliance(
            &rules_in_force(kind, year, &[]),
            &facts,
            &held,
            year,
            today(),
        );
        let Ledger::Branch(ledger) = app.ledger(admin, branch.id, year).await.unwrap() else {
            panic!("a branch has a branch ledger")
        };
        let groups_all_year = groups
            .iter()
            .all(|g| g.founded_on.is_none_or(|f| f.year() < year));
        for (old, new) in expected.iter().zip(&ledger.cells) {
            let past = Month::of(old.period.end()) < this_month;
            if past && (old.institution != Institution::PartyGroupMeeting || groups_all_year) {
                assert_eq!(old, new, "branch {} {}", org.name, old.period);
                compared += 1;
            }
        }
    }
    assert!(compared > 1000, "compared {compared} cells");
}

/// What a move through the app's edit does to the spans: the form's branch and date.
async fn move_member(app: &App, admin: &Actor, member: i64, to: i64, on: NaiveDate) -> bool {
    let m = app.member_for_edit(admin, member).await.unwrap();
    let mut input = input_from_member(&m);
    input.branch_id = to;
    input.moved_on = on.to_string();
    input.move_reason = "transfer".into();
    app.update_member(admin, member, &input).await.is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// A random sequence of transfers, each dated after the member's last change, never changes
    /// a branch's count of 正式党员 for a month that began before the transfer.
    #[test]
    fn transfers_never_change_a_month_before_them(
        moves in proptest::collection::vec((0usize..29, 0usize..148, 1i64..500), 1..6)
    ) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            for db in release_dbs().await {
                db.migrate().await.unwrap();
                let app = App::new(db.db());
                let admin = app.actor_by_username("admin").await.unwrap();
                let members = members_of(&db).await;
                let branches: Vec<i64> = app
                    .db
                    .org_list_kind(Scope::Subtree(STREET), OrgKind::Branch.code())
                    .await
                    .unwrap()
                    .iter()
                    .map(|b| b.id)
                    .collect();
                for &(who, whither, days_back) in &moves {
                    let member = &members[who % members.len()];
                    let spans = app.member_memberships(&admin, member.id).await.unwrap();
                    let last_change = spans.last().unwrap().from_on;
                    let on = (today() - chrono::Duration::days(days_back)).max(last_change + chrono::Duration::days(1));
                    let to = branches[whither % branches.len()];
                    let before = counts_by_year(&db).await;
                    let moved = on <= today() && to != spans.last().unwrap().branch_id
                        && move_member(&app, &admin, member.id, to, on).await;
                    let after = counts_by_year(&db).await;
                    for (year, (old, new)) in [2025, 2026].into_iter().zip(before.iter().zip(&after)) {
                        for k in 0..12 {
                            let month = Month::new(year, k as u32 + 1).unwrap();
                            if !moved || month.first_day() < on {
                                let branches_seen: std::collections::BTreeSet<i64> =
                                    old.keys().chain(new.keys()).copied().collect();
                                for b in branches_seen {
                                    let o = old.get(&b).map_or(0, |c| c[k]);
                                    let n = new.get(&b).map_or(0, |c| c[k]);
                                    assert_eq!(o, n, "{}: branch {b} {month} after a move on {on}", db.engine());
                                }
                            }
                        }
                    }
                }
            }
        });
    }
}

async fn counts_by_year(db: &store::Db) -> Vec<HashMap<i64, [u32; 12]>> {
    vec![formal_counts(db, 2025).await, formal_counts(db, 2026).await]
}
