//! 一呼百应 (volunteer service) through the use cases on both engines, with real logins: who
//! must report and who is told they need not, the community confirming, reports, the members
//! who have not reported, needs posted, claimed, checked in and out and confirmed by the posting
//! community (with the points that gives, once), the refusals of a claim, what a member may
//! see, 微心愿 with the contact shown only to the claimer and the lapse of an uncontacted claim,
//! the figures, and that a recount finds nothing the writes left wrong.
//!
//! The tree: 甲街道 holds 甲一社区 with its own branch; 乙街道 holds a unit (机关) branch under
//! no community, whose in-service members must report where they live; 丙街道 is a subtree
//! that has nothing to do with either.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use dangjian_app::members::today;
use dangjian_app::orglife::MeetingInput;
use dangjian_app::service::{NeedInput, RegistrationInput, WishInput, china_now};
use dangjian_app::{Actor, App, AppError};
use domain::Gender;
use domain::service::ClaimAction;
use store::testing::{TestDb, test_dbs, try_statement};
use store::{Author, MemberFields, NewOrg, NewUser, Scope};

fn author() -> Author {
    Author {
        user_id: None,
        name: "测试".into(),
    }
}

fn org(parent: Option<i64>, kind: &str, branch_kind: Option<&str>, name: &str) -> NewOrg {
    NewOrg {
        parent_id: parent,
        kind: kind.into(),
        branch_kind: branch_kind.map(Into::into),
        name: name.into(),
        territory_id: None,
        founded_on: NaiveDate::from_ymd_opt(2018, 3, 1),
        dissolved_on: None,
        secretary: None,
        phone: None,
    }
}

fn member_fields(branch: i64, name: &str, category: &str, seq: u16) -> MemberFields {
    let birth = NaiveDate::from_ymd_opt(1985, 6, 1).unwrap();
    MemberFields {
        branch_id: branch,
        name: name.into(),
        name_pinyin: format!("member{seq}"),
        name_initials: format!("m{seq}"),
        gender: "male".into(),
        id_number: domain::idcard::make_id_number("110105", birth, seq * 2 + 1, Gender::Male),
        birth_date: birth,
        phone: Some("13800138000".into()),
        category: category.into(),
        management_mode: "direct".into(),
        status: "full".into(),
        admitted_on: NaiveDate::from_ymd_opt(2010, 7, 1).unwrap(),
        full_on: NaiveDate::from_ymd_opt(2011, 7, 1),
        lost_contact: false,
        pocket: false,
        work_unit: None,
        registered_community_id: None,
        registered_on: None,
        ethnicity: None,
        education: None,
        native_place: None,
        party_post: None,
        party_post_org_id: None,
        work_started_on: None,
    }
}

struct World {
    app: App,
    db: TestDb,
    root: i64,
    community: i64,
    unit_branch: i64,
    /// 甲一社区's org admin.
    community_admin: Actor,
    /// The same community's staff login of the member 张三 (an officer who also serves).
    community_zhang: Actor,
    /// The unit branch's officer.
    officer: Actor,
    /// An org admin of 丙街道.
    stranger: Actor,
    /// In-service members of the unit branch, with logins.
    zhang: Actor,
    li: Actor,
    /// An in-service member of the unit branch without a login, who never registers.
    zhao: i64,
    /// A member of the community's own branch.
    wang: Actor,
    /// A mobile member of the unit branch.
    qian: Actor,
}

impl World {
    fn member(actor: &Actor) -> i64 {
        actor.member_id.unwrap()
    }
}

async fn world(db: TestDb) -> World {
    let app = App::new(db.db());
    let d = &app.db;
    let root = d
        .org_create(
            Scope::Nothing,
            &org(None, "district_committee", None, "中共测试区委员会"),
            &author(),
        )
        .await
        .unwrap()
        .id;
    let whole = Scope::Subtree(root);
    let add = |parent: i64, kind: &'static str, branch_kind: Option<&'static str>, name| async move {
        d.org_create(
            whole,
            &org(Some(parent), kind, branch_kind, name),
            &author(),
        )
        .await
        .unwrap()
        .id
    };
    let street_a = add(root, "street_committee", None, "甲街道党工委").await;
    let street_b = add(root, "street_committee", None, "乙街道党工委").await;
    let street_c = add(root, "street_committee", None, "丙街道党工委").await;
    let community = add(street_a, "community_committee", None, "甲一社区党委").await;
    let community_branch = add(community, "branch", Some("community"), "甲一社区第一党支部").await;
    let unit_branch = add(street_b, "branch", Some("organ"), "乙街道机关党支部").await;
    let member = |branch: i64, name: &'static str, category: &'static str, seq: u16| async move {
        d.member_create(
            whole,
            &member_fields(branch, name, category, seq),
            &author(),
        )
        .await
        .unwrap()
        .id
    };
    let zhang = member(unit_branch, "张三", "in_service", 1).await;
    let li = member(unit_branch, "李四", "in_service", 2).await;
    let zhao = member(unit_branch, "赵六", "in_service", 3).await;
    let qian = member(unit_branch, "钱七", "mobile", 4).await;
    let wang = member(community_branch, "王五", "in_service", 5).await;
    let login =
        |username: &'static str, role: &'static str, org_id: i64, member_id: Option<i64>| {
            let app = &app;
            async move {
                app.db
                    .user_create(
                        whole,
                        &NewUser {
                            username: username.into(),
                            display_name: format!("{username}用户"),
                            password_hash: "unused".into(),
                            role: role.into(),
                            org_id,
                            member_id,
                        },
                        &author(),
                    )
                    .await
                    .unwrap();
                app.actor_by_username(username).await.unwrap()
            }
        };
    let community_admin = login("community_admin", "org_admin", community, None).await;
    let community_zhang = login("community_zhang", "org_admin", community, Some(zhang)).await;
    let officer = login("unit_officer", "branch_officer", unit_branch, None).await;
    let stranger = login("stranger", "org_admin", street_c, None).await;
    let zhang = login("zhang", "member", unit_branch, Some(zhang)).await;
    let li = login("li", "member", unit_branch, Some(li)).await;
    let wang = login("wang", "member", community_branch, Some(wang)).await;
    let qian = login("qian", "member", unit_branch, Some(qian)).await;
    // The figures as they stand before any service is recorded.
    app.rollups_rebuild(root).await.unwrap();
    World {
        app,
        db,
        root,
        community,
        unit_branch,
        community_admin,
        community_zhang,
        officer,
        stranger,
        zhang,
        li,
        zhao,
        wang,
        qian,
    }
}

/// Registers a member with the community where they live, confirmed by it: the community's
/// needs and wishes are then theirs to see even though their unit lies in another street.
async fn registered(w: &World, member: &Actor) -> i64 {
    let input = RegistrationInput {
        community_id: w.community,
        ..RegistrationInput::default()
    };
    let r = w.app.register_for_service(member, &input).await.unwrap();
    w.app
        .confirm_registration(&w.community_admin, r.id)
        .await
        .unwrap()
        .id
}

fn refused<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
    match r {
        Err(AppError::Refused(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn moment(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M").to_string()
}

fn need_input(title: &str, starts: NaiveDateTime, ends: NaiveDateTime, people: i64) -> NeedInput {
    NeedInput {
        title: title.into(),
        detail: "请准时到场".into(),
        place: "社区党群服务中心".into(),
        station: "红色驿站".into(),
        starts_at: moment(starts),
        ends_at: moment(ends),
        people_needed: people,
        ..NeedInput::default()
    }
}

/// Moves a check-in back in time, as if the member had arrived `minutes` ago: check-out counts
/// the time since, and no use case stamps a check-in other than now.
async fn arrived_ago(db: &TestDb, claim_id: i64, minutes: i64) {
    let then = china_now() - Duration::minutes(minutes);
    assert!(
        try_statement(
            db,
            &format!(
                "UPDATE service_claims SET checked_in_at = '{}' WHERE id = {claim_id}",
                then.format("%Y-%m-%d %H:%M:%S")
            ),
        )
        .await
    );
}

async fn service_points(w: &World, member_id: i64) -> Vec<store::points::PointsEntry> {
    w.app
        .db
        .points_entries_of_member(Scope::Subtree(w.root), member_id, today().year())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.source == "service")
        .collect()
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
}

#[tokio::test]
async fn in_service_members_register_and_report_where_they_live() {
    for db in test_dbs().await {
        let w = world(db).await;
        let app = &w.app;
        let engine = app.db.engine();
        let input = RegistrationInput {
            community_id: w.community,
            skills: "理发".into(),
            availability: "周末".into(),
            phone: "13800138000".into(),
            ..RegistrationInput::default()
        };
        // The obliged member registers, pending the community's confirmation.
        let r = app.register_for_service(&w.zhang, &input).await.unwrap();
        assert_eq!(
            (
                r.state.as_str(),
                r.member_id,
                r.community_id,
                r.branch_id,
                r.registered_on
            ),
            (
                "pending",
                World::member(&w.zhang),
                w.community,
                w.unit_branch,
                today()
            )
        );
        assert!(matches!(
            app.register_for_service(&w.zhang, &input).await,
            Err(AppError::Conflict(_))
        ));
        // A member whose branch is the community's own, and a mobile member, are told they need not.
        let m = refused(app.register_for_service(&w.wang, &input).await);
        assert!(m.contains("组织关系已在社区"), "{m}");
        let m = refused(app.register_for_service(&w.qian, &input).await);
        assert!(m.contains("流动党员"), "{m}");
        // Only a community can be chosen; staff have no member to register.
        let elsewhere = RegistrationInput {
            community_id: w.unit_branch,
            ..input.clone()
        };
        assert!(matches!(
            app.register_for_service(&w.li, &elsewhere).await,
            Err(AppError::Invalid(_))
        ));
        assert!(matches!(
            app.register_for_service(&w.officer, &input).await,
            Err(AppError::Forbidden)
        ));

        // The community confirms; staff of the member's unit and strangers cannot.
        assert!(matches!(
            app.confirm_registration(&w.stranger, r.id).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.confirm_registration(&w.officer, r.id).await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            app.confirm_registration(&w.zhang, r.id).await,
            Err(AppError::Forbidden)
        ));
        let confirmed = app
            .confirm_registration(&w.community_admin, r.id)
            .await
            .unwrap();
        assert_eq!(confirmed.state, "confirmed");
        assert_eq!(confirmed.last_reported_on, Some(today()));
        assert!(matches!(
            app.confirm_registration(&w.community_admin, r.id).await,
            Err(AppError::Conflict(_))
        ));
        // The confirmation was today's report.
        assert!(matches!(
            app.report_for_service(&w.zhang, r.id).await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            app.report_for_service(&w.li, r.id).await,
            Err(AppError::NotFound)
        ));

        // 李四 registered in the last period: confirmed, but not reported in this one.
        let r2 = app.register_for_service(&w.li, &input).await.unwrap();
        let period = domain::service::report_period(today(), 6);
        let last_period = period.from.pred_opt().unwrap();
        assert!(
            try_statement(
                &w.db,
                &format!(
                    "UPDATE service_registrations SET registered_on = '{last_period}' WHERE id = {}",
                    r2.id
                ),
            )
            .await
        );
        let r2 = app
            .confirm_registration(&w.community_admin, r2.id)
            .await
            .unwrap();
        assert_eq!(r2.last_reported_on, Some(last_period));

        // Who has not reported: 李四 (last period only) and 赵六 (never registered); not 张三,
        // not the mobile member.
        let (shown_period, overdue) = app.overdue_reports(&w.officer, 50).await.unwrap();
        assert_eq!(shown_period, period);
        let mut names: Vec<&str> = overdue.iter().map(|o| o.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["李四", "赵六"], "{engine}");
        let zhao = overdue.iter().find(|o| o.member_id == w.zhao).unwrap();
        assert_eq!(
            (
                zhao.registered_with.as_deref(),
                zhao.last_reported_on,
                zhao.branch.as_str()
            ),
            (None, None, "乙街道机关党支部")
        );
        let li = overdue
            .iter()
            .find(|o| o.member_id == World::member(&w.li))
            .unwrap();
        assert_eq!(li.registered_with.as_deref(), Some("甲一社区党委"));
        assert_eq!(li.last_reported_on, Some(last_period));
        assert!(matches!(
            app.overdue_reports(&w.li, 50).await,
            Err(AppError::Forbidden)
        ));
        // The community's own members are never on a unit's list.
        let (_, from_community) = app.overdue_reports(&w.community_admin, 50).await.unwrap();
        assert!(from_community.is_empty(), "{from_community:?}");

        // 李四 reports for this period and leaves the list.
        let reported = app.report_for_service(&w.li, r2.id).await.unwrap();
        assert_eq!(reported.last_reported_on, Some(today()));
        let (_, overdue) = app.overdue_reports(&w.officer, 50).await.unwrap();
        assert_eq!(
            overdue.iter().map(|o| o.member_id).collect::<Vec<_>>(),
            vec![w.zhao]
        );

        // The figures: two registered with the community, both reported, of three obliged.
        let year = today().year();
        let community = app
            .service_report(&w.community_admin, None, year)
            .await
            .unwrap()
            .total;
        assert_eq!(
            (community.registered, community.obliged),
            (2, 0),
            "{engine}"
        );
        let unit = app
            .service_report(&w.officer, None, year)
            .await
            .unwrap()
            .total;
        assert_eq!(
            (
                unit.unit_registered,
                unit.unit_reported,
                unit.obliged,
                unit.reporting_rate_permille
            ),
            (2, 2, 3, Some(667)),
            "{engine}"
        );
        assert_figures_match(&w, "registrations").await;

        // The member ends their registration (moved house); the community's figure drops.
        app.end_registration(&w.zhang, r.id).await.unwrap();
        assert!(matches!(
            app.end_registration(&w.stranger, r2.id).await,
            Err(AppError::NotFound)
        ));
        let community = app
            .service_report(&w.community_admin, None, year)
            .await
            .unwrap()
            .total;
        assert_eq!(community.registered, 1);
        assert_figures_match(&w, "an ended registration").await;
    }
}

#[tokio::test]
async fn needs_are_claimed_served_and_confirmed_by_the_posting_community() {
    for db in test_dbs().await {
        let w = world(db).await;
        let app = &w.app;
        let engine = app.db.engine();
        let (zhang, li) = (World::member(&w.zhang), World::member(&w.li));
        let now = china_now();
        let day = |n: i64, h: u32, m: u32| -> NaiveDateTime {
            (now + Duration::days(n))
                .date()
                .and_hms_opt(h, m, 0)
                .unwrap()
        };

        // Staff post; members cannot, and a need already over is refused.
        let soon = app
            .post_need(
                &w.community_admin,
                &need_input(
                    "社区义诊引导",
                    now + Duration::minutes(30),
                    now + Duration::hours(3),
                    2,
                ),
            )
            .await
            .unwrap();
        assert_eq!(
            (
                soon.community_id,
                soon.places_left,
                soon.state.as_str(),
                soon.state_label.as_str()
            ),
            (w.community, 2, "open", "招募中")
        );
        assert!(matches!(
            app.post_need(&w.zhang, &need_input("x", day(1, 9, 0), day(1, 10, 0), 1))
                .await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            app.post_need(
                &w.community_admin,
                &need_input(
                    "已过去",
                    now - Duration::hours(3),
                    now - Duration::hours(1),
                    1
                )
            )
            .await,
            Err(AppError::Invalid(_))
        ));
        // A unit under no community must say which community the need is for.
        assert!(matches!(
            app.post_need(&w.officer, &need_input("x", day(1, 9, 0), day(1, 10, 0), 1))
                .await,
            Err(AppError::Invalid(_))
        ));

        // A member of another street who did not register with the community is not offered
        // its needs.
        assert!(matches!(
            app.claim_need(&w.qian, soon.id).await,
            Err(AppError::NotFound)
        ));
        registered(&w, &w.zhang).await;
        registered(&w, &w.li).await;

        // Both members claim; each steps only their own claim.
        let k1 = app.claim_need(&w.zhang, soon.id).await.unwrap();
        let k2 = app.claim_need(&w.li, soon.id).await.unwrap();
        assert_eq!((k1.state.as_str(), k1.member_id), ("claimed", zhang));
        assert!(matches!(
            app.claim_step(&w.zhang, k2.id, ClaimAction::CheckIn, 0)
                .await,
            Err(AppError::NotFound)
        ));
        let m = refused(app.claim_need(&w.zhang, soon.id).await);
        assert!(m.contains("已认领"), "{m}");
        let m = refused(
            app.claim_step(&w.zhang, k1.id, ClaimAction::CheckOut, 0)
                .await,
        );
        assert!(m.contains("尚未签到"), "{m}");

        // What a member sees of the need: only their own claim. The posting community sees both.
        let (view, claims, poster) = app.need_detail(&w.li, soon.id).await.unwrap();
        assert_eq!(view.my_claim_id, Some(k2.id));
        assert_eq!(view.places_left, 0);
        assert_eq!(view.state_label, "人数已满");
        assert!(!poster);
        assert_eq!(
            claims.iter().map(|k| k.id).collect::<Vec<_>>(),
            vec![k2.id],
            "{engine}"
        );
        let (_, claims, poster) = app.need_detail(&w.community_admin, soon.id).await.unwrap();
        assert!(poster);
        assert_eq!(
            claims.iter().map(|k| k.id).collect::<Vec<_>>(),
            vec![k1.id, k2.id]
        );
        assert!(matches!(
            app.need_detail(&w.stranger, soon.id).await,
            Err(AppError::NotFound)
        ));

        // Check in (the need starts within two hours), then out with 10 minutes' travel.
        for (actor, claim) in [(&w.zhang, k1.id), (&w.li, k2.id)] {
            let checked_in = app
                .claim_step(actor, claim, ClaimAction::CheckIn, 0)
                .await
                .unwrap();
            assert_eq!(checked_in.state, "claimed");
            assert!(checked_in.checked_in_at.is_some());
            let m = refused(app.claim_step(actor, claim, ClaimAction::CheckIn, 0).await);
            assert!(m.contains("已签到"), "{m}");
            let m = refused(app.claim_step(actor, claim, ClaimAction::Withdraw, 0).await);
            assert!(m.contains("已签到"), "{m}");
            // As if the member arrived two hours and a quarter ago.
            arrived_ago(&w.db, claim, 135).await;
            let done = app
                .claim_step(actor, claim, ClaimAction::CheckOut, 10)
                .await
                .unwrap();
            assert_eq!(done.state, "done");
            assert_eq!(done.travel_minutes, 10);
            // 135 minutes on site less 10 of travel, rounded down to half hours.
            assert_eq!(done.proposed_minutes, Some(120), "{engine}");
            assert_eq!(done.hours_label, "申报 2 小时");
        }
        let desk = app.service_desk(&w.community_admin).await.unwrap();
        assert_eq!(
            desk.to_confirm.iter().map(|k| k.id).collect::<Vec<_>>(),
            vec![k1.id, k2.id]
        );

        // Only the posting community confirms, never the claimer.
        assert!(matches!(
            app.confirm_claim(&w.zhang, k1.id, None).await,
            Err(AppError::Forbidden)
        ));
        let m = refused(app.confirm_claim(&w.community_zhang, k1.id, None).await);
        assert_eq!(m, "不能确认自己认领的服务");
        assert!(matches!(
            app.confirm_claim(&w.officer, k1.id, None).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.confirm_claim(&w.stranger, k1.id, None).await,
            Err(AppError::NotFound)
        ));
        assert!(service_points(&w, zhang).await.is_empty());
        // No hours given: what the member proposed.
        let c1 = app
            .confirm_claim(&w.community_admin, k1.id, None)
            .await
            .unwrap();
        assert_eq!(
            (
                c1.state.as_str(),
                c1.confirmed_minutes,
                c1.hours_label.as_str()
            ),
            ("confirmed", Some(120), "2 小时")
        );
        assert!(c1.confirmed_by.is_some());
        // Hours given: those, in whole units.
        let c2 = app
            .confirm_claim(&w.community_admin, k2.id, Some("1.5"))
            .await
            .unwrap();
        assert_eq!(c2.confirmed_minutes, Some(90));
        assert!(!refused(app.confirm_claim(&w.community_admin, k1.id, None).await).is_empty());
        assert!(
            !refused(
                app.claim_step(&w.zhang, k1.id, ClaimAction::Withdraw, 0)
                    .await
            )
            .is_empty()
        );
        // Confirmed service scores the scheme's service item once per claim.
        for (member, claim) in [(zhang, k1.id), (li, k2.id)] {
            let entries = service_points(&w, member).await;
            assert_eq!(entries.len(), 1, "{engine}: {entries:?}");
            assert_eq!(entries[0].item_code, "service_done");
            assert_eq!(entries[0].source_id, Some(claim));
            assert!(entries[0].points > 0);
        }

        // A member's year: themselves and their unit's staff; not another member.
        let year = c1.year as i32;
        let mine = app
            .member_service_year(&w.zhang, zhang, year)
            .await
            .unwrap();
        assert_eq!(
            (
                mine.minutes_confirmed,
                mine.services_confirmed,
                mine.hours_confirmed.as_str()
            ),
            (120, 1, "2")
        );
        assert_eq!(mine.target_state, "未设目标");
        let by_officer = app.member_service_year(&w.officer, li, year).await.unwrap();
        assert_eq!(
            (
                by_officer.minutes_confirmed,
                by_officer.hours_confirmed.as_str()
            ),
            (90, "1.5")
        );
        assert!(matches!(
            app.member_service_year(&w.zhang, li, year).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.member_service_year(&w.stranger, zhang, year).await,
            Err(AppError::NotFound)
        ));
        // A year outside the kept ones is a slip, refused rather than answered with nothing.
        for slip in [-460, 1920, 2101] {
            assert!(matches!(
                app.member_service_year(&w.zhang, zhang, slip).await,
                Err(AppError::Invalid(_))
            ));
        }

        // The last place is taken once.
        let sweep = app
            .post_need(
                &w.community_admin,
                &need_input("楼道清扫", day(1, 9, 0), day(1, 10, 0), 1),
            )
            .await
            .unwrap();
        let zhang_sweep = app.claim_need(&w.zhang, sweep.id).await.unwrap();
        assert_eq!(
            refused(app.claim_need(&w.li, sweep.id).await),
            "该需求认领人数已满"
        );
        let m = refused(
            app.claim_step(&w.zhang, zhang_sweep.id, ClaimAction::CheckIn, 0)
                .await,
        );
        assert!(m.contains("两小时"), "{m}");
        // A need at the same time clashes, and the refusal names the other claim.
        let visit = app
            .post_need(
                &w.community_admin,
                &need_input("敬老院慰问", day(1, 9, 30), day(1, 11, 0), 3),
            )
            .await
            .unwrap();
        let m = refused(app.claim_need(&w.zhang, visit.id).await);
        assert!(m.contains("时间冲突") && m.contains("楼道清扫"), "{m}");
        // Withdrawing frees the place.
        let withdrawn = app
            .claim_step(&w.zhang, zhang_sweep.id, ClaimAction::Withdraw, 0)
            .await
            .unwrap();
        assert_eq!(withdrawn.state, "withdrawn");
        app.claim_need(&w.zhang, visit.id).await.unwrap();
        app.claim_need(&w.li, sweep.id).await.unwrap();
        // Cancelling is refused once claimed.
        assert!(matches!(
            app.close_need(&w.community_admin, sweep.id, true).await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            app.close_need(&w.officer, sweep.id, false).await,
            Err(AppError::NotFound)
        ));

        // At most three open claims at once (the default).
        let mut extra = Vec::new();
        for n in 2..=4 {
            extra.push(
                app.post_need(
                    &w.community_admin,
                    &need_input(&format!("第{n}天的需求"), day(n, 9, 0), day(n, 10, 0), 5),
                )
                .await
                .unwrap(),
            );
        }
        app.claim_need(&w.li, extra[0].id).await.unwrap();
        app.claim_need(&w.li, extra[1].id).await.unwrap();
        let m = refused(app.claim_need(&w.li, extra[2].id).await);
        assert!(m.contains("最多 3 项"), "{m}");

        // A cancelled or closed need takes no claim.
        let cancelled = app
            .post_need(
                &w.community_admin,
                &need_input("撤销的需求", day(5, 9, 0), day(5, 10, 0), 2),
            )
            .await
            .unwrap();
        let cancelled = app
            .close_need(&w.community_admin, cancelled.id, true)
            .await
            .unwrap();
        assert_eq!(
            (cancelled.state.as_str(), cancelled.state_label.as_str()),
            ("cancelled", "已撤销")
        );
        let closed = app
            .post_need(
                &w.community_admin,
                &need_input("截止的需求", day(6, 9, 0), day(6, 10, 0), 2),
            )
            .await
            .unwrap();
        app.close_need(&w.community_admin, closed.id, false)
            .await
            .unwrap();
        for id in [cancelled.id, closed.id] {
            assert_eq!(
                refused(app.claim_need(&w.zhang, id).await),
                "该需求已关闭或已取消"
            );
        }

        // The lists: a member browses the open needs; staff see those of their subtree.
        let browsed: Vec<i64> = app
            .list_needs(&w.zhang, true)
            .await
            .unwrap()
            .iter()
            .map(|n| n.id)
            .collect();
        assert!(browsed.contains(&visit.id) && browsed.contains(&extra[2].id));
        assert!(!browsed.contains(&cancelled.id) && !browsed.contains(&closed.id));
        assert_eq!(
            app.list_needs(&w.community_admin, false)
                .await
                .unwrap()
                .len(),
            8
        );
        assert!(app.list_needs(&w.stranger, false).await.unwrap().is_empty());
        let my = app.my_service(&w.zhang, None).await.unwrap();
        assert_eq!(my.claims.len(), 3);
        assert_eq!(
            my.minutes_confirmed,
            if year == today().year() { 120 } else { 0 }
        );

        // The figures after all of it, for the community and for the members' unit.
        let report = app
            .service_report(&w.community_admin, None, year)
            .await
            .unwrap();
        let t = &report.total;
        assert_eq!(
            (t.services, t.minutes, t.needs_fulfilled),
            (2, 210, 1),
            "{engine}"
        );
        // Posted this month: everything but the need cancelled before anyone claimed it.
        if year == today().year() {
            assert_eq!((t.needs, t.needs_claimed), (7, 5), "{engine}");
            assert_eq!(t.fulfil_rate_permille, Some(143));
        }
        assert_eq!(report.stations.len(), 1);
        assert_eq!(
            (report.stations[0].services, report.stations[0].minutes),
            (2, 210)
        );
        let unit = app
            .service_report(&w.officer, None, year)
            .await
            .unwrap()
            .total;
        assert_eq!(
            (unit.unit_services, unit.unit_minutes, unit.minutes),
            (2, 210, 0)
        );
        assert!(matches!(
            app.service_report(&w.zhang, None, year).await,
            Err(AppError::Forbidden)
        ));
        assert_figures_match(&w, "claims").await;
        app.rollups_rebuild(w.root).await.unwrap();
        assert_figures_match(&w, "a rebuild").await;
        let again = app
            .service_report(&w.community_admin, None, year)
            .await
            .unwrap()
            .total;
        assert_eq!(
            (
                again.services,
                again.minutes,
                again.needs,
                again.needs_claimed
            ),
            (t.services, t.minutes, t.needs, t.needs_claimed)
        );
    }
}

#[tokio::test]
async fn a_branch_meeting_today_blocks_only_the_hours_before_it_was_recorded() {
    for db in test_dbs().await {
        let w = world(db).await;
        let app = &w.app;
        let engine = app.db.engine();
        registered(&w, &w.zhang).await;
        let now = china_now();
        let underway = app
            .post_need(
                &w.community_admin,
                &need_input(
                    "上午开始的巡逻",
                    now - Duration::hours(2),
                    now + Duration::hours(1),
                    3,
                ),
            )
            .await
            .unwrap();
        let later = app
            .post_need(
                &w.community_admin,
                &need_input(
                    "稍后的宣讲",
                    now + Duration::minutes(30),
                    now + Duration::hours(2),
                    3,
                ),
            )
            .await
            .unwrap();
        let members = [World::member(&w.zhang), World::member(&w.li), w.zhao];
        let meeting = MeetingInput {
            institution: "themed_party_day".into(),
            held_on: today().to_string(),
            place: "党员活动室".into(),
            chair: "书记".into(),
            recorder: "组织委员".into(),
            present: members.to_vec(),
            ..Default::default()
        };
        app.record_meeting(&w.officer, w.unit_branch, &meeting)
            .await
            .unwrap();
        // The meeting was held before it was recorded, so it clashes with what was already under
        // way, and the rest of the day is free.
        let m = refused(app.claim_need(&w.zhang, underway.id).await);
        assert!(
            m.contains("时间冲突") && m.contains("本支部"),
            "{engine}: {m}"
        );
        let claimed = app.claim_need(&w.zhang, later.id).await.unwrap();
        assert_eq!(claimed.state, "claimed", "{engine}");
        assert_figures_match(&w, "a claim beside a meeting").await;
    }
}

/// Moves a registration and every report under it into the past, as if the member had
/// registered on `registered_on` and last reported on `reported_on`.
async fn backdate_registration(
    w: &World,
    registration: i64,
    registered_on: &str,
    reported_on: &str,
) {
    for sql in [
        format!(
            "UPDATE service_registrations SET registered_on = '{registered_on}' WHERE id = {registration}"
        ),
        format!(
            "UPDATE service_reports SET reported_on = '{reported_on}' WHERE registration_id = {registration}"
        ),
    ] {
        assert!(try_statement(&w.app.db, &sql).await, "{sql}");
    }
}

#[tokio::test]
async fn a_member_who_missed_a_community_report_is_proposed_no_better_than_basic() {
    for db in test_dbs().await {
        let w = world(db).await;
        let app = &w.app;
        let engine = app.db.engine();
        let last_year = today().year() - 1;
        // 张三 registered in March and reported in April, then not again in the second half: the
        // case of DOMAIN.md §10.7 vector 1. 李四 came in July and reported in September. 赵六
        // never registered. 钱七 is a mobile member, who reports elsewhere.
        let zhang = registered(&w, &w.zhang).await;
        backdate_registration(
            &w,
            zhang,
            &format!("{last_year}-03-01"),
            &format!("{last_year}-04-15"),
        )
        .await;
        let li = registered(&w, &w.li).await;
        backdate_registration(
            &w,
            li,
            &format!("{last_year}-07-01"),
            &format!("{last_year}-09-10"),
        )
        .await;

        // Each earns the year's full award on every item of the enterprise scheme the unit
        // branch has, 80 points: 合格 by points alone.
        for member in [
            World::member(&w.zhang),
            World::member(&w.li),
            w.zhao,
            World::member(&w.qian),
        ] {
            for (item, points) in [
                ("meeting_attended", 800),
                ("dues_on_time", 500),
                ("service_done", 400),
                ("manual_award", 300),
            ] {
                let entry = store::points::NewPointsEntry {
                    member_id: member,
                    branch_id: None,
                    on_date: NaiveDate::from_ymd_opt(last_year, 10, 1).unwrap(),
                    item_code: item.into(),
                    points,
                    source: "manual".into(),
                    source_key: None,
                    source_id: None,
                    reason: "全年".into(),
                    approver: Some("支委会".into()),
                    reverses: None,
                };
                app.db
                    .points_entry_add(Scope::Subtree(w.root), &entry, &author())
                    .await
                    .unwrap();
            }
        }
        let table = app
            .branch_points(&w.officer, w.unit_branch, &last_year.to_string())
            .await
            .unwrap();
        let row = |id: i64| table.rows.iter().find(|r| r.member_id == id).unwrap();
        let (zhang_row, li_row) = (row(World::member(&w.zhang)), row(World::member(&w.li)));
        let (zhao_row, qian_row) = (row(w.zhao), row(World::member(&w.qian)));
        // The note comes only where the cap lowered what the points alone would give.
        for r in [zhang_row, zhao_row] {
            assert_eq!(
                r.grade,
                Some(domain::points::Grade::Basic),
                "{engine}: {}",
                r.name
            );
            assert_eq!(
                r.note.map(|n| n.label()),
                Some("未按要求到居住地社区报到，等次最高为基本合格"),
                "{engine}: {}",
                r.name
            );
        }
        for r in [li_row, qian_row] {
            assert_eq!(
                r.grade,
                Some(domain::points::Grade::Qualified),
                "{engine}: {}",
                r.name
            );
            assert_eq!(r.note, None, "{engine}: {}", r.name);
        }
        // A month's table is not the 民主评议 proposal: no cap there.
        let december = app
            .branch_points(&w.officer, w.unit_branch, &format!("{last_year}-12"))
            .await
            .unwrap();
        assert!(december.rows.iter().all(|r| r.note.is_none()), "{engine}");
        // This year's first half ended before 张三 registered again today; nothing is missed yet.
        backdate_registration(&w, zhang, &today().to_string(), &today().to_string()).await;
        let this_year = app
            .branch_points(&w.officer, w.unit_branch, &today().year().to_string())
            .await
            .unwrap();
        let zhang_now = this_year
            .rows
            .iter()
            .find(|r| r.member_id == World::member(&w.zhang))
            .unwrap();
        assert_eq!(zhang_now.note, None, "{engine}");
    }
}

#[tokio::test]
async fn wishes_show_their_contact_to_the_claimer_only_and_lapse_without_contact() {
    for db in test_dbs().await {
        let w = world(db).await;
        let app = &w.app;
        let input = WishInput {
            title: "一台收音机".into(),
            story: "独居多年，想听戏".into(),
            wisher: "独居老人王阿姨".into(),
            contact: "13900139000".into(),
            consent: false,
            ..WishInput::default()
        };
        // The resident's consent first; a unit under no community posts for one it holds only.
        assert!(matches!(
            app.post_wish(&w.community_admin, &input).await,
            Err(AppError::Invalid(_))
        ));
        let input = WishInput {
            consent: true,
            ..input
        };
        assert!(matches!(
            app.post_wish(
                &w.officer,
                &WishInput {
                    community_id: Some(w.community),
                    ..input.clone()
                }
            )
            .await,
            Err(AppError::Forbidden | AppError::NotFound)
        ));
        assert!(matches!(
            app.post_wish(&w.zhang, &input).await,
            Err(AppError::Forbidden)
        ));
        let radio = app.post_wish(&w.community_admin, &input).await.unwrap();
        let glasses = app
            .post_wish(
                &w.community_admin,
                &WishInput {
                    title: "一副老花镜".into(),
                    ..input.clone()
                },
            )
            .await
            .unwrap();

        registered(&w, &w.zhang).await;
        registered(&w, &w.li).await;

        // On the wall nobody sees the contact.
        let wall = app.wish_wall(&w.li).await.unwrap();
        assert_eq!(
            wall.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![radio.id, glasses.id]
        );
        assert!(wall.iter().all(|c| c.contact.is_none() && !c.mine));
        assert_eq!(wall[0].wisher, "独居老人王阿姨");

        // 张三 claims: now he sees it, and it leaves the wall.
        let card = app
            .wish_step(&w.zhang, radio.id, "claimed", "")
            .await
            .unwrap();
        assert_eq!(card.state, "claimed");
        assert!(card.mine);
        assert_eq!(card.contact.as_deref(), Some("13900139000"));
        assert_eq!(card.contact_due, Some(today() + Duration::days(7)));
        let wall = app.wish_wall(&w.li).await.unwrap();
        assert_eq!(
            wall.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![glasses.id]
        );
        // Someone else cannot claim it too, nor record contact for it.
        assert!(matches!(
            app.wish_step(&w.li, radio.id, "claimed", "").await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            app.wish_step(&w.li, radio.id, "contacted", "打过电话")
                .await,
            Err(AppError::Forbidden)
        ));
        // Contact before fulfilment, with a note.
        let m = refused(app.wish_step(&w.zhang, radio.id, "fulfilled", "").await);
        assert!(m.contains("联系"), "{m}");
        assert!(matches!(
            app.wish_step(&w.zhang, radio.id, "contacted", " ").await,
            Err(AppError::Invalid(_))
        ));
        let card = app
            .wish_step(&w.zhang, radio.id, "contacted", "已电话联系王阿姨")
            .await
            .unwrap();
        assert_eq!(
            (card.state.as_str(), card.contacted_on),
            ("contacted", Some(today()))
        );
        let card = app
            .wish_step(&w.zhang, radio.id, "fulfilled", "已送到")
            .await
            .unwrap();
        assert_eq!(
            (card.state.as_str(), card.fulfilled_on),
            ("fulfilled", Some(today()))
        );
        assert_eq!(
            app.my_service(&w.zhang, None)
                .await
                .unwrap()
                .wishes
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>(),
            vec![radio.id]
        );

        // 李四 claims the glasses and never calls: after seven days the claim lapses.
        app.wish_step(&w.li, glasses.id, "claimed", "")
            .await
            .unwrap();
        assert_eq!(app.release_lapsed_wishes(w.root).await.unwrap(), 0);
        let eight_days_ago = today() - Duration::days(8);
        assert!(
            try_statement(
                &w.db,
                &format!(
                    "UPDATE service_wishes SET claimed_on = '{eight_days_ago}' WHERE id = {}",
                    glasses.id
                ),
            )
            .await
        );
        assert_eq!(app.release_lapsed_wishes(w.root).await.unwrap(), 1);
        let back = app.db.service_wish_get(w.root, glasses.id).await.unwrap();
        assert_eq!(
            (back.state.as_str(), back.lapses, back.claimed_by),
            ("posted", 1, None)
        );
        let wall = app.wish_wall(&w.zhang).await.unwrap();
        assert_eq!(
            wall.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![glasses.id]
        );
        assert!(wall[0].contact.is_none());
        // The community takes a wish down.
        assert!(matches!(
            app.wish_step(&w.zhang, glasses.id, "withdrawn", "").await,
            Err(AppError::Forbidden)
        ));
        let third = app
            .post_wish(
                &w.community_admin,
                &WishInput {
                    title: "一本字典".into(),
                    ..input.clone()
                },
            )
            .await
            .unwrap();
        app.wish_step(&w.community_admin, third.id, "withdrawn", "")
            .await
            .unwrap();
        let desk = app.service_desk(&w.community_admin).await.unwrap();
        let on_desk: Vec<_> = desk.wishes.iter().map(|c| c.id).collect();
        assert_eq!(on_desk, vec![glasses.id]);
        assert!(desk.wishes[0].contact.is_some());

        let report = app
            .service_report(&w.community_admin, None, today().year())
            .await
            .unwrap();
        assert_eq!(
            (report.total.wishes_posted, report.total.wishes_fulfilled),
            (2, 1)
        );
        assert_figures_match(&w, "wishes").await;
    }
}
