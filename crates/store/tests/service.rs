//! 一呼百应 (volunteer service) store functions against SQLite and, when `DANGJIAN_TEST_PG` is
//! set, PostgreSQL: registrations (one live per member, optimistic state changes, reports once a
//! day), who may read a registration or a need, the need list, claims (the last place taken
//! once, the cap on open claims, check-in → check-out → confirmation), 微心愿, the members who
//! have not reported, that the figures every write moves equal a recount of the rows, and that
//! writes meeting at the same moment move each figure once.
//!
//! The tree: a district with three streets. 甲街道 holds 甲一社区 (its own community branches);
//! 乙街道 holds 乙一社区 and a unit (机关) branch that lies under no community; 丙街道 holds one
//! more unit branch, a subtree that has nothing to do with the others.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime};
use dangjian_store as store;
use domain::Gender;
use domain::rollups::{NOW, Totals};
use store::member_effects::MemberEffect;
use store::service::{
    ClaimChange, NeedFilter, NewNeed, NewRegistration, NewWish, ReportingContext, WishStep,
};
use store::testing::test_dbs;
use store::{Author, Db, MemberFields, NewOrg, Scope, StoreError};

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

struct Tree {
    district: i64,
    street_a: i64,
    street_b: i64,
    street_c: i64,
    community_a: i64,
    community_b: i64,
    /// A community branch of 甲一社区.
    branch_a: i64,
    /// A community branch of 乙一社区.
    branch_b2: i64,
    /// A unit branch under 乙街道, in no community.
    branch_b: i64,
    /// A unit branch under 丙街道.
    branch_c: i64,
}

async fn tree(db: &Db) -> Tree {
    let district = db
        .org_create(
            Scope::Nothing,
            &org(None, "district_committee", None, "中共测试区委员会"),
            &author(),
        )
        .await
        .unwrap()
        .id;
    let whole = Scope::Subtree(district);
    let add = |parent: i64, kind: &'static str, branch_kind: Option<&'static str>, name| async move {
        db.org_create(
            whole,
            &org(Some(parent), kind, branch_kind, name),
            &author(),
        )
        .await
        .unwrap()
        .id
    };
    let street_a = add(district, "street_committee", None, "甲街道党工委").await;
    let street_b = add(district, "street_committee", None, "乙街道党工委").await;
    let street_c = add(district, "street_committee", None, "丙街道党工委").await;
    let community_a = add(street_a, "community_committee", None, "甲一社区党委").await;
    let community_b = add(street_b, "community_committee", None, "乙一社区党委").await;
    let branch_a = add(
        community_a,
        "branch",
        Some("community"),
        "甲一社区第一党支部",
    )
    .await;
    let branch_b2 = add(
        community_b,
        "branch",
        Some("community"),
        "乙一社区第一党支部",
    )
    .await;
    let branch_b = add(street_b, "branch", Some("organ"), "乙街道机关党支部").await;
    let branch_c = add(street_c, "branch", Some("organ"), "丙街道机关党支部").await;
    Tree {
        district,
        street_a,
        street_b,
        street_c,
        community_a,
        community_b,
        branch_a,
        branch_b2,
        branch_b,
        branch_c,
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

async fn member(db: &Db, t: &Tree, branch: i64, name: &str, seq: u16) -> i64 {
    member_of(db, t, branch, name, "in_service", seq).await
}

async fn member_of(db: &Db, t: &Tree, branch: i64, name: &str, category: &str, seq: u16) -> i64 {
    db.member_create(
        Scope::Subtree(t.district),
        &member_fields(branch, name, category, seq),
        &author(),
    )
    .await
    .unwrap()
    .id
}

fn registration(member_id: i64, branch: i64, community: i64, on: NaiveDate) -> NewRegistration {
    NewRegistration {
        member_id,
        branch_id: branch,
        community_id: community,
        grid_id: None,
        skills: "理发".into(),
        availability: "周末".into(),
        phone: "13800138000".into(),
        registered_on: on,
    }
}

/// A registration made on `on` and confirmed by its community today.
async fn confirmed_registration(
    db: &Db,
    member_id: i64,
    branch: i64,
    community: i64,
    on: NaiveDate,
) -> store::service::Registration {
    let r = db
        .service_registration_create(&registration(member_id, branch, community, on), &author())
        .await
        .unwrap();
    db.service_registration_set_state(
        r.id,
        "pending",
        "confirmed",
        store::today(),
        &reporting(),
        &author(),
    )
    .await
    .unwrap()
}

fn reporting() -> ReportingContext {
    ReportingContext {
        today: store::today(),
        every_months: 6,
    }
}

fn this_period() -> domain::service::ReportPeriod {
    domain::service::report_period(store::today(), 6)
}

fn at(day: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    day.and_hms_opt(h, m, 0).unwrap()
}

/// A day well clear of the test's own clock: the store checks no times itself.
fn service_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()
}

fn need(
    root: i64,
    org_id: i64,
    community_id: i64,
    title: &str,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    people_needed: i64,
) -> NewNeed {
    NewNeed {
        root_org_id: root,
        org_id,
        community_id,
        poster_unit: String::new(),
        title: title.into(),
        detail: "说明".into(),
        place: "社区活动室".into(),
        station: "红色驿站".into(),
        starts_at,
        ends_at,
        people_needed,
        skills: String::new(),
        call_id: None,
    }
}

fn wish(root: i64, community: i64, title: &str) -> NewWish {
    NewWish {
        root_org_id: root,
        community_id: community,
        title: title.into(),
        story: "独居多年".into(),
        wisher: "独居老人王阿姨".into(),
        contact: "13900139000".into(),
        posted_on: store::today(),
    }
}

/// One stored figure (0 when absent).
async fn fig(db: &Db, root: i64, org: i64, period: &str, metric: &str) -> i64 {
    db.rollup_read_metrics(root, &[org], &[period.to_string()], &[metric])
        .await
        .unwrap()
        .iter()
        .filter(|r| r.org_id == org && r.period == period && r.metric == metric)
        .map(|r| r.value)
        .sum()
}

fn service_only(totals: Totals) -> BTreeMap<(i64, String, String), i64> {
    totals
        .into_iter()
        .filter(|((_, _, metric), v)| {
            *v != 0 && (metric.starts_with("service.") || metric.starts_with("wishes."))
        })
        .collect()
}

/// What the writes moved equals a recount of the service rows, per (org, period, metric).
async fn assert_recount(db: &Db, root: i64) -> usize {
    let facts = db.service_facts(root, &reporting()).await.unwrap();
    let ancestors = db.org_ancestors(root).await.unwrap();
    let mut recounted = Totals::new();
    store::rollups::sum_up_tree(facts.contributions, &ancestors, &mut recounted);
    let recounted = service_only(recounted);
    let stored = service_only(db.rollup_all(root).await.unwrap());
    assert_eq!(stored, recounted, "{}", db.engine());
    facts.rows
}

fn conflict_message<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Conflict(m)) => {
            assert!(!m.is_ascii(), "a Chinese message: {m}");
            m
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
}

#[tokio::test]
async fn a_member_has_one_live_registration_whose_confirmation_and_end_move_the_figures() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let root = t.district;
        let ctx = reporting();
        let period = this_period();
        let zhang = member(&db, &t, t.branch_b, "张三", 1).await;
        let li = member(&db, &t, t.branch_b, "李四", 2).await;
        let registered = |org: i64| fig(&db, root, org, NOW, "service.registered");
        let reported = |org: i64| fig(&db, root, org, NOW, "service.reported");
        let unit_registered = |org: i64| fig(&db, root, org, NOW, "service.unit_registered");
        let unit_reported = |org: i64| fig(&db, root, org, NOW, "service.unit_reported");

        let r = db
            .service_registration_create(
                &registration(zhang, t.branch_b, t.community_a, period.from),
                &author(),
            )
            .await
            .unwrap();
        assert_eq!(
            (r.state.as_str(), r.member_id, r.root_org_id),
            ("pending", zhang, root)
        );
        assert_eq!(
            (r.community_name.as_str(), r.branch_name.as_str()),
            ("甲一社区党委", "乙街道机关党支部")
        );
        assert_eq!(
            (r.confirmed_on, r.last_reported_on, r.grid_name.clone()),
            (None, None, None)
        );
        assert_eq!(
            db.service_registration_of_member(zhang)
                .await
                .unwrap()
                .map(|r| r.id),
            Some(r.id)
        );
        // One live registration per member, even with another community.
        let m = conflict_message(
            db.service_registration_create(
                &registration(zhang, t.branch_b, t.community_b, period.from),
                &author(),
            )
            .await,
        );
        assert!(m.contains("已在一个社区报到"), "{m}");
        // Pending counts nowhere; a report before the confirmation is refused.
        assert_eq!(registered(t.community_a).await, 0);
        assert!(matches!(
            db.service_report_add(r.id, period.from, "定期报到", &ctx, &author())
                .await,
            Err(StoreError::Invalid(_))
        ));
        // A stale `from` is a conflict, and moves nothing.
        conflict_message(
            db.service_registration_set_state(
                r.id,
                "confirmed",
                "ended",
                store::today(),
                &ctx,
                &author(),
            )
            .await,
        );

        let confirmed = db
            .service_registration_set_state(
                r.id,
                "pending",
                "confirmed",
                store::today(),
                &ctx,
                &author(),
            )
            .await
            .unwrap();
        assert_eq!(confirmed.state, "confirmed");
        assert_eq!(confirmed.confirmed_on, Some(store::today()));
        assert_eq!(confirmed.confirmed_by.as_deref(), Some("测试"));
        // The confirmation is the first report, on the day of registration.
        assert_eq!(confirmed.last_reported_on, Some(period.from));
        assert_eq!(
            db.service_reports_of(&[r.id]).await.unwrap(),
            vec![(r.id, period.from)]
        );
        for org in [t.community_a, t.street_a, t.district] {
            assert_eq!(registered(org).await, 1, "{} org {org}", db.engine());
            assert_eq!(reported(org).await, 1, "{} org {org}", db.engine());
        }
        for org in [t.branch_b, t.street_b, t.district] {
            assert_eq!(unit_registered(org).await, 1, "{} org {org}", db.engine());
            assert_eq!(unit_reported(org).await, 1, "{} org {org}", db.engine());
        }
        // The community's figures are not the unit's, and the other street has neither.
        assert_eq!(unit_registered(t.community_a).await, 0);
        assert_eq!(registered(t.branch_b).await, 0);
        assert_eq!(registered(t.street_b).await, 0);
        conflict_message(
            db.service_registration_set_state(
                r.id,
                "pending",
                "confirmed",
                store::today(),
                &ctx,
                &author(),
            )
            .await,
        );
        assert_eq!(registered(t.community_a).await, 1);

        // Reports: once a day.
        let later = period.until;
        let after = db
            .service_report_add(r.id, later, "定期报到", &ctx, &author())
            .await
            .unwrap();
        assert_eq!(after.last_reported_on, Some(later));
        let m = conflict_message(
            db.service_report_add(r.id, later, "又一次", &ctx, &author())
                .await,
        );
        assert!(m.contains("已经登记过"), "{m}");
        assert_eq!(db.service_reports_of(&[r.id]).await.unwrap().len(), 2);
        // Reporting again within the period changes no figure.
        assert_eq!(reported(t.community_a).await, 1);

        // A member who registered in the last period counts as registered but not reported,
        // until they report in this one.
        let before_period = period.from.pred_opt().unwrap();
        let r2 = confirmed_registration(&db, li, t.branch_b, t.community_a, before_period).await;
        assert_eq!(registered(t.community_a).await, 2);
        assert_eq!(reported(t.community_a).await, 1);
        assert_eq!(unit_registered(t.branch_b).await, 2);
        assert_eq!(unit_reported(t.branch_b).await, 1);
        db.service_report_add(r2.id, store::today(), "定期报到", &ctx, &author())
            .await
            .unwrap();
        assert_eq!(reported(t.community_a).await, 2);
        assert_eq!(unit_reported(t.branch_b).await, 2);
        assert_eq!(assert_recount(&db, root).await, 2);

        // Ending removes its figures; the member may then register again.
        let ended = db
            .service_registration_set_state(
                r.id,
                "confirmed",
                "ended",
                store::today(),
                &ctx,
                &author(),
            )
            .await
            .unwrap();
        assert_eq!(
            (ended.state.as_str(), ended.ended_on),
            ("ended", Some(store::today()))
        );
        for org in [t.community_a, t.street_a, t.district] {
            assert_eq!(registered(org).await, 1);
            assert_eq!(reported(org).await, 1);
        }
        assert_eq!(unit_registered(t.branch_b).await, 1);
        assert_eq!(unit_reported(t.branch_b).await, 1);
        assert!(matches!(
            db.service_report_add(r.id, store::today(), "定期报到", &ctx, &author())
                .await,
            Err(StoreError::Invalid(_))
        ));
        conflict_message(
            db.service_registration_set_state(
                r.id,
                "confirmed",
                "ended",
                store::today(),
                &ctx,
                &author(),
            )
            .await,
        );
        assert_eq!(
            db.service_registration_of_member(zhang).await.unwrap(),
            None
        );
        let again = db
            .service_registration_create(
                &registration(zhang, t.branch_b, t.community_b, store::today()),
                &author(),
            )
            .await
            .unwrap();
        assert_ne!(again.id, r.id);
        assert_eq!(again.community_id, t.community_b);

        // The lists: by community, by the members' unit, live ones unless a state is named.
        let ids = |rows: Vec<store::service::Registration>| -> Vec<i64> {
            rows.iter().map(|r| r.id).collect()
        };
        assert_eq!(
            ids(db
                .service_registrations(t.street_a, true, None, 10)
                .await
                .unwrap()),
            vec![r2.id]
        );
        assert_eq!(
            ids(db
                .service_registrations(t.community_b, true, Some("pending"), 10)
                .await
                .unwrap()),
            vec![again.id]
        );
        let mut by_unit = ids(db
            .service_registrations(t.branch_b, false, None, 10)
            .await
            .unwrap());
        by_unit.sort();
        assert_eq!(by_unit, vec![r2.id, again.id]);
        assert_eq!(
            ids(db
                .service_registrations(t.street_a, true, Some("ended"), 10)
                .await
                .unwrap()),
            vec![r.id]
        );
        assert!(
            db.service_registrations(t.street_c, false, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_recount(&db, root).await;
    }
}

#[tokio::test]
async fn a_registration_is_read_by_its_member_its_community_and_its_unit_only() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let zhang = member(&db, &t, t.branch_b, "张三", 1).await;
        let li = member(&db, &t, t.branch_b, "李四", 2).await;
        let r = db
            .service_registration_create(
                &registration(zhang, t.branch_b, t.community_a, store::today()),
                &author(),
            )
            .await
            .unwrap();
        for scope in [
            Scope::SelfOnly(zhang),
            Scope::Subtree(t.community_a),
            Scope::Subtree(t.street_a),
            Scope::Subtree(t.branch_b),
            Scope::Subtree(t.street_b),
            Scope::Subtree(t.district),
        ] {
            assert_eq!(
                db.service_registration_get(scope, r.id).await.unwrap().id,
                r.id,
                "{} {scope:?}",
                db.engine()
            );
        }
        for scope in [
            Scope::SelfOnly(li),
            // Inside the community, but neither the community nor the member's unit.
            Scope::Subtree(t.branch_a),
            Scope::Subtree(t.community_b),
            Scope::Subtree(t.street_c),
            Scope::Subtree(t.branch_c),
            Scope::Nothing,
        ] {
            not_found(db.service_registration_get(scope, r.id).await);
        }
        not_found(
            db.service_registration_get(Scope::Subtree(t.district), r.id + 1000)
                .await,
        );
        assert!(db.org_in_subtree(t.street_a, t.branch_a).await.unwrap());
        assert!(!db.org_in_subtree(t.branch_a, t.street_a).await.unwrap());
        assert_eq!(db.org_root(t.branch_c).await.unwrap(), t.district);
        let community = db
            .service_community_of(t.branch_a, &["community_committee", "village_committee"])
            .await
            .unwrap()
            .map(|c| c.id);
        assert_eq!(community, Some(t.community_a));
        assert!(
            db.service_community_of(t.branch_b, &["community_committee"])
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn needs_are_listed_by_subtree_and_open_time_and_read_within_their_tree() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let root = t.district;
        let other = db
            .org_create(
                Scope::Nothing,
                &org(None, "district_committee", None, "中共别区委员会"),
                &author(),
            )
            .await
            .unwrap()
            .id;
        let other_community = db
            .org_create(
                Scope::Subtree(other),
                &org(Some(other), "community_committee", None, "别区社区党委"),
                &author(),
            )
            .await
            .unwrap()
            .id;
        let zhang = member(&db, &t, t.branch_b, "张三", 1).await;
        let d = service_day();
        let next = |n: u64| d.checked_add_days(Days::new(n)).unwrap();
        let post = |new: NewNeed| {
            let db = &db;
            async move { db.service_need_create(&new, &author()).await.unwrap() }
        };
        let n1 = post(need(
            root,
            t.community_a,
            t.community_a,
            "义诊引导",
            at(next(1), 9, 0),
            at(next(1), 11, 0),
            3,
        ))
        .await;
        let n2 = post(need(
            root,
            t.community_b,
            t.community_b,
            "楼道清扫",
            at(d, 9, 0),
            at(d, 10, 0),
            2,
        ))
        .await;
        // A unit posts for the community it serves (a member unit of the 大党委).
        let n3 = post(NewNeed {
            poster_unit: "丙街道机关".into(),
            ..need(
                root,
                t.branch_c,
                t.community_b,
                "助老理发",
                at(next(2), 14, 0),
                at(next(2), 16, 0),
                1,
            )
        })
        .await;
        let n4 = post(need(
            root,
            t.community_a,
            t.community_a,
            "已截止的需求",
            at(next(3), 9, 0),
            at(next(3), 10, 0),
            1,
        ))
        .await;
        let n5 = post(need(
            root,
            t.community_a,
            t.community_a,
            "已过去的需求",
            at(d - Days::new(5), 9, 0),
            at(d - Days::new(5), 10, 0),
            1,
        ))
        .await;
        let n6 = post(need(
            other,
            other_community,
            other_community,
            "别区的需求",
            at(d, 9, 0),
            at(d, 10, 0),
            1,
        ))
        .await;
        assert_eq!(
            (n1.state.as_str(), n1.claims_active, n1.first_claimed_at),
            ("open", 0, None)
        );
        assert_eq!(
            (n3.org_name.as_str(), n3.community_name.as_str()),
            ("丙街道机关党支部", "乙一社区党委")
        );
        assert_eq!(n3.poster_unit, "丙街道机关");
        let closed = db
            .service_need_close(n4.id, "closed", &author())
            .await
            .unwrap();
        assert_eq!(closed.state, "closed");
        conflict_message(db.service_need_close(n4.id, "cancelled", &author()).await);

        let ids =
            |needs: Vec<store::service::Need>| -> Vec<i64> { needs.iter().map(|n| n.id).collect() };
        let list = |filter: NeedFilter| {
            let db = &db;
            async move { ids(db.service_needs(root, &filter).await.unwrap()) }
        };
        // Staff lists: posted or held in the subtree, latest first.
        assert_eq!(
            list(NeedFilter {
                within: Some(t.street_a),
                limit: 10,
                ..NeedFilter::default()
            })
            .await,
            vec![n4.id, n1.id, n5.id]
        );
        assert_eq!(
            list(NeedFilter {
                within: Some(t.street_c),
                limit: 10,
                ..NeedFilter::default()
            })
            .await,
            vec![n3.id]
        );
        assert_eq!(
            list(NeedFilter {
                within: Some(t.street_b),
                limit: 10,
                ..NeedFilter::default()
            })
            .await,
            vec![n3.id, n2.id]
        );
        // What a member browses: open and not over, soonest first, their community first.
        let open_at = at(d, 0, 0);
        assert_eq!(
            list(NeedFilter {
                open_at: Some(open_at),
                limit: 10,
                ..NeedFilter::default()
            })
            .await,
            vec![n2.id, n1.id, n3.id]
        );
        assert_eq!(
            list(NeedFilter {
                open_at: Some(open_at),
                community_first: Some(t.community_a),
                limit: 10,
                ..NeedFilter::default()
            })
            .await,
            vec![n1.id, n2.id, n3.id]
        );
        // A need is over once it ends; the end itself is not open.
        assert_eq!(
            list(NeedFilter {
                open_at: Some(at(d, 10, 0)),
                limit: 10,
                ..NeedFilter::default()
            })
            .await,
            vec![n1.id, n3.id]
        );
        assert_eq!(
            list(NeedFilter {
                open_at: Some(open_at),
                community_first: Some(t.community_a),
                limit: 1,
                ..NeedFilter::default()
            })
            .await,
            vec![n1.id]
        );
        assert_eq!(
            ids(db
                .service_needs(
                    other,
                    &NeedFilter {
                        limit: 10,
                        ..NeedFilter::default()
                    }
                )
                .await
                .unwrap()),
            vec![n6.id]
        );

        // Reading one: any member of the tree; staff of the posting org or of its community.
        for (scope, id) in [
            (Scope::SelfOnly(zhang), n1.id),
            (Scope::SelfOnly(zhang), n3.id),
            (Scope::Subtree(t.community_a), n1.id),
            (Scope::Subtree(t.street_a), n4.id),
            (Scope::Subtree(t.branch_c), n3.id),
            (Scope::Subtree(t.community_b), n3.id),
            (Scope::Subtree(t.district), n2.id),
        ] {
            assert_eq!(
                db.service_need_get(scope, root, id).await.unwrap().id,
                id,
                "{} {scope:?}",
                db.engine()
            );
        }
        for (scope, id) in [
            (Scope::Subtree(t.street_c), n1.id),
            (Scope::Subtree(t.branch_b), n1.id),
            (Scope::Subtree(t.community_a), n2.id),
            (Scope::Nothing, n1.id),
            // Another tree's need, whoever asks.
            (Scope::SelfOnly(zhang), n6.id),
            (Scope::Subtree(t.district), n6.id),
        ] {
            not_found(db.service_need_get(scope, root, id).await);
        }
        // Asked as of another tree, this tree's need does not exist.
        not_found(
            db.service_need_get(Scope::Subtree(other), other, n1.id)
                .await,
        );

        // A need withdrawn before anyone claimed it counts nowhere.
        let month = store::today().format("%Y-%m").to_string();
        assert_eq!(
            fig(&db, root, t.community_a, &month, "service.needs").await,
            3
        );
        db.service_need_close(n5.id, "cancelled", &author())
            .await
            .unwrap();
        assert_eq!(
            fig(&db, root, t.community_a, &month, "service.needs").await,
            2
        );
        assert_eq!(fig(&db, root, t.district, &month, "service.needs").await, 4);
        conflict_message(db.service_need_close(n5.id, "closed", &author()).await);
        assert_recount(&db, root).await;
        assert_recount(&db, other).await;
    }
}

#[tokio::test]
async fn claims_take_the_last_place_once_respect_the_cap_and_move_on_optimistically() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let root = t.district;
        let zhang = member(&db, &t, t.branch_b, "张三", 1).await;
        let li = member(&db, &t, t.branch_b, "李四", 2).await;
        let wang = member(&db, &t, t.branch_c, "王五", 3).await;
        let d = service_day();
        let year = d.year().to_string();
        let month = store::today().format("%Y-%m").to_string();
        let post = |title: &str, day: u64, people: i64| {
            let db = &db;
            let new = need(
                root,
                t.community_a,
                t.community_a,
                title,
                at(d + Days::new(day), 9, 0),
                at(d + Days::new(day), 11, 0),
                people,
            );
            async move { db.service_need_create(&new, &author()).await.unwrap() }
        };
        let claim = |need_id: i64, member_id: i64, branch: i64, cap: i64| {
            let db = &db;
            async move {
                db.service_claim_create(need_id, member_id, branch, cap, &author())
                    .await
            }
        };

        // The last place is taken once.
        let one = post("送药上门", 0, 1).await;
        let first = claim(one.id, zhang, t.branch_b, 3).await.unwrap();
        assert_eq!(
            (first.state.as_str(), first.member_id, first.branch_id),
            ("claimed", zhang, t.branch_b)
        );
        assert_eq!(first.service_year, i64::from(d.year()));
        assert_eq!(first.need_title, "送药上门");
        let m = conflict_message(claim(one.id, li, t.branch_b, 3).await);
        assert!(m.contains("已满"), "{m}");
        let one_now = db
            .service_need_get(Scope::Subtree(root), root, one.id)
            .await
            .unwrap();
        assert_eq!(one_now.claims_active, 1);
        assert!(one_now.first_claimed_at.is_some());
        assert_eq!(
            fig(&db, root, t.community_a, &month, "service.needs_claimed").await,
            1
        );

        // A member claims a need once.
        let many = post("垃圾分类宣传", 1, 5).await;
        let zhang_on_many = claim(many.id, zhang, t.branch_b, 3).await.unwrap();
        let m = conflict_message(claim(many.id, zhang, t.branch_b, 3).await);
        assert!(m.contains("已认领过"), "{m}");
        assert_eq!(
            db.service_need_get(Scope::Subtree(root), root, many.id)
                .await
                .unwrap()
                .claims_active,
            1,
            "the refused claim took no place"
        );

        // The cap counts only claims still in `claimed`.
        let m = conflict_message(claim(post("第三项", 2, 5).await.id, zhang, t.branch_b, 2).await);
        assert!(m.contains("最多同时认领 2 项"), "{m}");
        let check_in = at(d, 9, 5);
        let checked_in = db
            .service_claim_transition(
                first.id,
                "claimed",
                &ClaimChange {
                    state: "claimed".into(),
                    checked_in_at: Some(check_in),
                    ..ClaimChange::default()
                },
                &author(),
            )
            .await
            .unwrap();
        assert_eq!(
            (checked_in.state.as_str(), checked_in.checked_in_at),
            ("claimed", Some(check_in))
        );
        let check_out = at(d, 10, 50);
        let done = db
            .service_claim_transition(
                first.id,
                "claimed",
                &ClaimChange {
                    state: "done".into(),
                    checked_out_at: Some(check_out),
                    travel_minutes: Some(10),
                    proposed_minutes: Some(90),
                    ..ClaimChange::default()
                },
                &author(),
            )
            .await
            .unwrap();
        assert_eq!(done.state, "done");
        assert_eq!(
            (
                done.checked_in_at,
                done.checked_out_at,
                done.travel_minutes,
                done.proposed_minutes
            ),
            (Some(check_in), Some(check_out), 10, Some(90))
        );
        // A stale `from` (a second tap on check-out) is a conflict.
        conflict_message(
            db.service_claim_transition(
                first.id,
                "claimed",
                &ClaimChange {
                    state: "done".into(),
                    ..ClaimChange::default()
                },
                &author(),
            )
            .await,
        );
        let third = post("第四项", 3, 5).await;
        claim(third.id, zhang, t.branch_b, 2).await.unwrap();
        assert_eq!(
            db.service_claims_to_confirm(t.street_a, 10)
                .await
                .unwrap()
                .iter()
                .map(|k| k.id)
                .collect::<Vec<_>>(),
            vec![first.id]
        );
        assert!(
            db.service_claims_to_confirm(t.street_b, 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Confirmation: the hours go into the figures for the year served, the need is fulfilled.
        assert_eq!(
            fig(&db, root, t.community_a, &year, "service.minutes").await,
            0
        );
        let confirmed = db
            .service_claim_transition(
                first.id,
                "done",
                &ClaimChange {
                    state: "confirmed".into(),
                    confirmed_minutes: Some(90),
                    ..ClaimChange::default()
                },
                &author(),
            )
            .await
            .unwrap();
        assert_eq!(confirmed.state, "confirmed");
        assert_eq!(confirmed.confirmed_minutes, Some(90));
        assert_eq!(confirmed.confirmed_by.as_deref(), Some("测试"));
        assert!(confirmed.confirmed_at.is_some());
        assert_eq!(confirmed.proposed_minutes, Some(90));
        conflict_message(
            db.service_claim_transition(
                first.id,
                "done",
                &ClaimChange {
                    state: "confirmed".into(),
                    confirmed_minutes: Some(90),
                    ..ClaimChange::default()
                },
                &author(),
            )
            .await,
        );
        let fulfilled = db
            .service_need_get(Scope::Subtree(root), root, one.id)
            .await
            .unwrap();
        assert!(fulfilled.fulfilled_at.is_some());
        for org in [t.community_a, t.street_a, t.district] {
            assert_eq!(fig(&db, root, org, &year, "service.minutes").await, 90);
            assert_eq!(fig(&db, root, org, &year, "service.services").await, 1);
        }
        for org in [t.branch_b, t.street_b, t.district] {
            assert_eq!(fig(&db, root, org, &year, "service.unit_minutes").await, 90);
            assert_eq!(fig(&db, root, org, &year, "service.unit_services").await, 1);
        }
        assert_eq!(
            fig(&db, root, t.street_b, &year, "service.minutes").await,
            0
        );
        assert_eq!(
            fig(&db, root, t.community_a, &month, "service.needs_fulfilled").await,
            1
        );
        assert_eq!(
            db.service_member_minutes(zhang, d.year()).await.unwrap(),
            90
        );
        assert_eq!(
            db.service_member_minutes(zhang, d.year() + 1)
                .await
                .unwrap(),
            0
        );
        assert_eq!(db.service_member_minutes(li, d.year()).await.unwrap(), 0);
        let stations = db
            .service_station_hours(t.street_a, d.year())
            .await
            .unwrap();
        assert_eq!(stations.len(), 1);
        assert_eq!(
            (
                stations[0].community_id,
                stations[0].station.as_str(),
                stations[0].services,
                stations[0].minutes
            ),
            (t.community_a, "红色驿站", 1, 90)
        );
        assert!(
            db.service_station_hours(t.street_b, d.year())
                .await
                .unwrap()
                .is_empty()
        );

        // Withdrawing frees the place; the need stays one that was claimed.
        let pair = post("助老陪诊", 4, 1).await;
        let wang_claim = claim(pair.id, wang, t.branch_c, 3).await.unwrap();
        conflict_message(claim(pair.id, li, t.branch_b, 3).await);
        let withdrawn = db
            .service_claim_transition(
                wang_claim.id,
                "claimed",
                &ClaimChange {
                    state: "withdrawn".into(),
                    ..ClaimChange::default()
                },
                &author(),
            )
            .await
            .unwrap();
        assert_eq!(withdrawn.state, "withdrawn");
        assert_eq!(
            db.service_need_get(Scope::Subtree(root), root, pair.id)
                .await
                .unwrap()
                .claims_active,
            0
        );
        conflict_message(
            db.service_claim_transition(
                wang_claim.id,
                "claimed",
                &ClaimChange {
                    state: "withdrawn".into(),
                    ..ClaimChange::default()
                },
                &author(),
            )
            .await,
        );
        let li_claim = claim(pair.id, li, t.branch_b, 3).await.unwrap();
        assert_eq!(
            db.service_need_get(Scope::Subtree(root), root, pair.id)
                .await
                .unwrap()
                .claims_active,
            1
        );
        // Cancelling is refused once anyone has claimed; closing is not.
        conflict_message(db.service_need_close(pair.id, "cancelled", &author()).await);
        db.service_need_close(pair.id, "closed", &author())
            .await
            .unwrap();
        // A closed need takes no claim.
        db.service_claim_transition(
            li_claim.id,
            "claimed",
            &ClaimChange {
                state: "withdrawn".into(),
                ..ClaimChange::default()
            },
            &author(),
        )
        .await
        .unwrap();
        conflict_message(claim(pair.id, wang, t.branch_c, 3).await);

        // Who reads a claim: its member, the posting org and its community; never another member.
        for scope in [
            Scope::SelfOnly(zhang),
            Scope::Subtree(t.community_a),
            Scope::Subtree(t.street_a),
        ] {
            assert_eq!(
                db.service_claim_get(scope, first.id).await.unwrap().id,
                first.id
            );
        }
        for scope in [
            Scope::SelfOnly(li),
            Scope::Subtree(t.branch_c),
            Scope::Subtree(t.street_c),
            Scope::Nothing,
        ] {
            not_found(db.service_claim_get(scope, first.id).await);
        }

        // The lists.
        let of_need: Vec<(i64, String)> = db
            .service_claims_of_need(pair.id)
            .await
            .unwrap()
            .into_iter()
            .map(|k| (k.member_id, k.state))
            .collect();
        assert_eq!(
            of_need,
            vec![(wang, "withdrawn".into()), (li, "withdrawn".into())]
        );
        let zhang_claims = db.service_claims_of_member(zhang, None).await.unwrap();
        assert_eq!(zhang_claims.len(), 3);
        assert!(
            zhang_claims
                .windows(2)
                .all(|w| w[0].starts_at >= w[1].starts_at)
        );
        assert_eq!(
            db.service_claims_of_member(zhang, Some(d.year() + 1))
                .await
                .unwrap()
                .len(),
            0
        );
        // Overlap: claimed or done claims in the window, half-open.
        let overlapping = db
            .service_claims_overlapping(
                zhang,
                at(d + Days::new(1), 10, 0),
                at(d + Days::new(1), 12, 0),
            )
            .await
            .unwrap();
        assert_eq!(
            overlapping.iter().map(|k| k.id).collect::<Vec<_>>(),
            vec![zhang_on_many.id]
        );
        assert!(
            db.service_claims_overlapping(
                zhang,
                at(d + Days::new(1), 11, 0),
                at(d + Days::new(1), 12, 0)
            )
            .await
            .unwrap()
            .is_empty()
        );
        // A confirmed claim no longer holds time.
        assert!(
            db.service_claims_overlapping(zhang, at(d, 0, 0), at(d, 23, 0))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(assert_recount(&db, root).await >= 5);
    }
}

#[tokio::test]
async fn wishes_are_claimed_once_contacted_by_their_claimer_and_lapse_back_to_the_wall() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let root = t.district;
        let zhang = member(&db, &t, t.branch_b, "张三", 1).await;
        let li = member(&db, &t, t.branch_b, "李四", 2).await;
        let day = store::today();
        let month = day.format("%Y-%m").to_string();
        let step = |id: i64, from: &'static str, to: &'static str, member: Option<i64>| {
            let db = &db;
            async move {
                db.service_wish_transition(
                    id,
                    &WishStep {
                        from,
                        to,
                        member,
                        day,
                        note: None,
                    },
                    &author(),
                )
                .await
            }
        };
        let w = db
            .service_wish_create(&wish(root, t.community_a, "一台收音机"), &author())
            .await
            .unwrap();
        assert_eq!(
            (w.state.as_str(), w.lapses, w.claimed_by, w.posted_on),
            ("posted", 0, None, day)
        );
        assert_eq!(w.community_name, "甲一社区党委");
        for org in [t.community_a, t.street_a, t.district] {
            assert_eq!(fig(&db, root, org, &month, "wishes.posted").await, 1);
        }

        let claimed = step(w.id, "posted", "claimed", Some(zhang)).await.unwrap();
        assert_eq!(claimed.state, "claimed");
        assert_eq!(claimed.claimed_by, Some(zhang));
        assert_eq!(claimed.claimer_name.as_deref(), Some("张三"));
        assert_eq!(claimed.claimed_on, Some(day));
        // Someone else claiming it after it was claimed, or recording contact for it.
        let m = conflict_message(step(w.id, "posted", "claimed", Some(li)).await);
        assert!(m.contains("心愿"), "{m}");
        conflict_message(
            db.service_wish_transition(
                w.id,
                &WishStep {
                    from: "claimed",
                    to: "contacted",
                    member: Some(li),
                    day,
                    note: Some("电话联系"),
                },
                &author(),
            )
            .await,
        );
        assert_eq!(
            db.service_wishes_of_member(zhang)
                .await
                .unwrap()
                .iter()
                .map(|w| w.id)
                .collect::<Vec<_>>(),
            vec![w.id]
        );

        // The claim lapses: back on the wall, counted as a lapse.
        let lapsed = step(w.id, "claimed", "posted", None).await.unwrap();
        assert_eq!(
            (
                lapsed.state.as_str(),
                lapsed.lapses,
                lapsed.claimed_by,
                lapsed.claimed_on
            ),
            ("posted", 1, None, None)
        );
        conflict_message(step(w.id, "claimed", "posted", None).await);
        assert!(db.service_wishes_of_member(zhang).await.unwrap().is_empty());

        // Claimed again, contacted and fulfilled by the new claimer.
        step(w.id, "posted", "claimed", Some(li)).await.unwrap();
        let contacted = db
            .service_wish_transition(
                w.id,
                &WishStep {
                    from: "claimed",
                    to: "contacted",
                    member: Some(li),
                    day,
                    note: Some("已电话联系王阿姨"),
                },
                &author(),
            )
            .await
            .unwrap();
        assert_eq!(contacted.state, "contacted");
        assert_eq!(contacted.contacted_on, Some(day));
        assert_eq!(contacted.contact_note.as_deref(), Some("已电话联系王阿姨"));
        conflict_message(step(w.id, "contacted", "fulfilled", Some(zhang)).await);
        assert_eq!(
            fig(&db, root, t.community_a, &month, "wishes.fulfilled").await,
            0
        );
        let fulfilled = step(w.id, "contacted", "fulfilled", Some(li))
            .await
            .unwrap();
        assert_eq!(
            (fulfilled.state.as_str(), fulfilled.fulfilled_on),
            ("fulfilled", Some(day))
        );
        // The note recorded at contact stays when fulfilling adds none.
        assert_eq!(fulfilled.contact_note.as_deref(), Some("已电话联系王阿姨"));
        assert_eq!(fulfilled.lapses, 1);
        for org in [t.community_a, t.street_a, t.district] {
            assert_eq!(fig(&db, root, org, &month, "wishes.fulfilled").await, 1);
        }

        // The community fulfils on the family's word; it withdraws a wish, which then counts nowhere.
        let w2 = db
            .service_wish_create(&wish(root, t.community_a, "一副老花镜"), &author())
            .await
            .unwrap();
        step(w2.id, "posted", "claimed", Some(zhang)).await.unwrap();
        db.service_wish_transition(
            w2.id,
            &WishStep {
                from: "claimed",
                to: "contacted",
                member: Some(zhang),
                day,
                note: Some("上门看望"),
            },
            &author(),
        )
        .await
        .unwrap();
        step(w2.id, "contacted", "fulfilled", None).await.unwrap();
        let w3 = db
            .service_wish_create(&wish(root, t.community_b, "一本字典"), &author())
            .await
            .unwrap();
        assert_eq!(fig(&db, root, t.district, &month, "wishes.posted").await, 3);
        let gone = step(w3.id, "posted", "withdrawn", None).await.unwrap();
        assert_eq!(gone.state, "withdrawn");
        assert_eq!(fig(&db, root, t.district, &month, "wishes.posted").await, 2);
        assert_eq!(
            fig(&db, root, t.community_b, &month, "wishes.posted").await,
            0
        );
        assert_eq!(
            fig(&db, root, t.district, &month, "wishes.fulfilled").await,
            2
        );
        assert!(matches!(
            step(w2.id, "fulfilled", "lost", None).await,
            Err(StoreError::Invalid(_))
        ));

        // Lists and reads.
        let ids = |ws: Vec<store::service::Wish>| -> Vec<i64> { ws.iter().map(|w| w.id).collect() };
        assert_eq!(
            ids(db.service_wishes(root, None, &[], 10).await.unwrap()),
            vec![w.id, w2.id, w3.id]
        );
        assert_eq!(
            ids(db
                .service_wishes(root, Some((t.street_a, None)), &["fulfilled"], 10)
                .await
                .unwrap()),
            vec![w.id, w2.id]
        );
        assert_eq!(
            ids(db
                .service_wishes(root, Some((t.street_b, None)), &[], 10)
                .await
                .unwrap()),
            vec![w3.id]
        );
        assert!(
            db.service_wishes(root, None, &["posted", "claimed"], 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(db.service_wish_get(root, w.id).await.unwrap().id, w.id);
        not_found(db.service_wish_get(root + 1000, w.id).await);
        assert_recount(&db, root).await;
    }
}

#[tokio::test]
async fn the_recount_equals_the_figures_every_kind_of_write_moved() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let root = t.district;
        let zhang = member(&db, &t, t.branch_b, "张三", 1).await;
        let li = member(&db, &t, t.branch_c, "李四", 2).await;
        assert_eq!(assert_recount(&db, root).await, 0);
        for (m, branch, community) in [
            (zhang, t.branch_b, t.community_a),
            (li, t.branch_c, t.community_b),
        ] {
            confirmed_registration(&db, m, branch, community, store::today()).await;
        }
        let d = service_day();
        let n = db
            .service_need_create(
                &need(
                    root,
                    t.branch_c,
                    t.community_b,
                    "义务植树",
                    at(d, 8, 0),
                    at(d, 12, 0),
                    2,
                ),
                &author(),
            )
            .await
            .unwrap();
        let cancelled = db
            .service_need_create(
                &need(
                    root,
                    t.community_a,
                    t.community_a,
                    "撤销的需求",
                    at(d, 8, 0),
                    at(d, 12, 0),
                    2,
                ),
                &author(),
            )
            .await
            .unwrap();
        db.service_need_close(cancelled.id, "cancelled", &author())
            .await
            .unwrap();
        for (m, branch, minutes) in [(zhang, t.branch_b, 240), (li, t.branch_c, 210)] {
            let k = db
                .service_claim_create(n.id, m, branch, 3, &author())
                .await
                .unwrap();
            for change in [
                ClaimChange {
                    state: "claimed".into(),
                    checked_in_at: Some(at(d, 8, 0)),
                    ..ClaimChange::default()
                },
                ClaimChange {
                    state: "done".into(),
                    checked_out_at: Some(at(d, 12, 0)),
                    proposed_minutes: Some(240),
                    ..ClaimChange::default()
                },
            ] {
                db.service_claim_transition(k.id, "claimed", &change, &author())
                    .await
                    .unwrap();
            }
            db.service_claim_transition(
                k.id,
                "done",
                &ClaimChange {
                    state: "confirmed".into(),
                    confirmed_minutes: Some(minutes),
                    ..ClaimChange::default()
                },
                &author(),
            )
            .await
            .unwrap();
        }
        let w = db
            .service_wish_create(&wish(root, t.community_b, "一台收音机"), &author())
            .await
            .unwrap();
        for (from, to, note) in [
            ("posted", "claimed", None),
            ("claimed", "contacted", Some("已联系")),
            ("contacted", "fulfilled", None),
        ] {
            db.service_wish_transition(
                w.id,
                &WishStep {
                    from,
                    to,
                    member: Some(zhang),
                    day: store::today(),
                    note,
                },
                &author(),
            )
            .await
            .unwrap();
        }
        // Registrations 2, needs 2, confirmed claims 2, wishes 1.
        assert_eq!(assert_recount(&db, root).await, 7);
        let year = d.year().to_string();
        assert_eq!(
            fig(&db, root, t.district, &year, "service.minutes").await,
            450
        );
        assert_eq!(
            fig(&db, root, t.district, &year, "service.unit_minutes").await,
            450
        );
        assert_eq!(
            fig(&db, root, t.branch_b, &year, "service.unit_minutes").await,
            240
        );
        assert_eq!(
            fig(&db, root, t.community_b, &year, "service.services").await,
            2
        );
        assert_eq!(
            fig(&db, root, t.district, NOW, "service.registered").await,
            2
        );
    }
}

#[tokio::test]
async fn overdue_members_are_obliged_unit_members_who_have_not_reported_this_period() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let ctx = reporting();
        let period = this_period();
        let reported = member(&db, &t, t.branch_b, "甲已报到", 1).await;
        let never = member(&db, &t, t.branch_b, "乙未报到", 2).await;
        let pending = member(&db, &t, t.branch_b, "丙待确认", 3).await;
        let stale = member(&db, &t, t.branch_b, "丁上期报到", 4).await;
        // A community's own member and a retired member are never listed.
        let own = member(&db, &t, t.branch_a, "戊社区党员", 5).await;
        let _own_b = member(&db, &t, t.branch_b2, "己社区党员", 6).await;
        let _retired = member_of(&db, &t, t.branch_b, "庚离退休", "retired", 7).await;
        let far = member(&db, &t, t.branch_c, "辛外街道", 8).await;
        let mut confirm = Vec::new();
        for (m, on) in [
            (reported, store::today()),
            (pending, store::today()),
            (stale, period.from.pred_opt().unwrap()),
        ] {
            let r = db
                .service_registration_create(
                    &registration(m, t.branch_b, t.community_a, on),
                    &author(),
                )
                .await
                .unwrap();
            if m != pending {
                confirm.push(r.id);
            }
        }
        for id in confirm {
            db.service_registration_set_state(
                id,
                "pending",
                "confirmed",
                store::today(),
                &ctx,
                &author(),
            )
            .await
            .unwrap();
        }
        let from = period.from;
        let overdue = |org: i64, categories: &'static [&'static str]| {
            let db = &db;
            async move {
                db.service_overdue_members(org, categories, from, 50)
                    .await
                    .unwrap()
            }
        };
        let rows = overdue(t.district, &["in_service"]).await;
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        assert!(ids.contains(&never), "{} {rows:?}", db.engine());
        assert!(ids.contains(&pending), "{rows:?}");
        assert!(ids.contains(&stale), "{rows:?}");
        assert!(ids.contains(&far), "{rows:?}");
        assert!(!ids.contains(&reported), "{rows:?}");
        assert!(!ids.contains(&own), "{rows:?}");
        assert_eq!(ids.len(), 4, "{rows:?}");
        let row = |id: i64| rows.iter().find(|r| r.0 == id).unwrap().clone();
        assert_eq!(
            row(never),
            (
                never,
                "乙未报到".into(),
                "乙街道机关党支部".into(),
                None,
                None
            )
        );
        assert_eq!(
            row(stale),
            (
                stale,
                "丁上期报到".into(),
                "乙街道机关党支部".into(),
                Some("甲一社区党委".into()),
                Some(period.from.pred_opt().unwrap())
            )
        );
        assert_eq!(row(pending).4, None);
        // By branch (in the database's order of names), so each branch's members come together.
        let branches: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        let mut grouped = branches.clone();
        grouped.dedup();
        assert_eq!(grouped.len(), 2, "{branches:?}");
        // Within a subtree only; no categories, no one.
        let in_b: Vec<i64> = overdue(t.street_b, &["in_service"])
            .await
            .iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(in_b.len(), 3, "{in_b:?}");
        assert!(!in_b.contains(&far));
        assert!(overdue(t.street_a, &["in_service"]).await.is_empty());
        assert!(overdue(t.district, &[]).await.is_empty());
        let retired_too = overdue(t.branch_b, &["in_service", "retired"]).await;
        assert_eq!(retired_too.len(), 4, "{retired_too:?}");
        // Reporting this period takes the member off the list.
        let r = db
            .service_registration_of_member(stale)
            .await
            .unwrap()
            .unwrap();
        db.service_report_add(r.id, store::today(), "定期报到", &ctx, &author())
            .await
            .unwrap();
        let after: Vec<i64> = overdue(t.street_b, &["in_service"])
            .await
            .iter()
            .map(|r| r.0)
            .collect();
        assert!(!after.contains(&stale), "{after:?}");
        assert_recount(&db, t.district).await;
    }
}

#[tokio::test]
async fn a_tree_s_rules_are_saved_once_and_replaced() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        assert_eq!(db.service_rules_get(t.district).await.unwrap(), None);
        db.service_rules_save(t.district, r#"{"open_claim_cap":2}"#, &author())
            .await
            .unwrap();
        db.service_rules_save(t.district, r#"{"open_claim_cap":5}"#, &author())
            .await
            .unwrap();
        assert_eq!(
            db.service_rules_get(t.district).await.unwrap().as_deref(),
            Some(r#"{"open_claim_cap":5}"#)
        );
        assert_eq!(db.service_rules_get(t.street_a).await.unwrap(), None);
    }
}

/// Writes that meet (two members taking places at once, two confirmations on one need, two
/// reports in one period, one member claiming twice at once) move each figure once, and the cap
/// on open claims holds.
#[tokio::test]
async fn concurrent_writes_move_each_figure_once_and_keep_the_cap() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let root = t.district;
        let ctx = reporting();
        let who = author();
        let zhang = member(&db, &t, t.branch_b, "张三", 1).await;
        let li = member(&db, &t, t.branch_b, "李四", 2).await;
        let d = service_day();
        let month = store::today().format("%Y-%m").to_string();
        let post = |title: &'static str, hour: u32| {
            let db = &db;
            let new = need(
                root,
                t.community_a,
                t.community_a,
                title,
                at(d, hour, 0),
                at(d, hour + 1, 0),
                2,
            );
            async move { db.service_need_create(&new, &author()).await.unwrap() }
        };
        let n = post("义务植树", 8).await;
        let (a, b) = tokio::join!(
            db.service_claim_create(n.id, zhang, t.branch_b, 3, &who),
            db.service_claim_create(n.id, li, t.branch_b, 3, &who),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(
            fig(&db, root, t.community_a, &month, "service.needs_claimed").await,
            1,
            "{}",
            db.engine()
        );
        for k in [&a, &b] {
            for change in [
                ClaimChange {
                    state: "claimed".into(),
                    checked_in_at: Some(at(d, 8, 0)),
                    ..ClaimChange::default()
                },
                ClaimChange {
                    state: "done".into(),
                    checked_out_at: Some(at(d, 9, 0)),
                    proposed_minutes: Some(60),
                    ..ClaimChange::default()
                },
            ] {
                db.service_claim_transition(k.id, "claimed", &change, &who)
                    .await
                    .unwrap();
            }
        }
        let confirm = ClaimChange {
            state: "confirmed".into(),
            confirmed_minutes: Some(60),
            ..ClaimChange::default()
        };
        let (x, y) = tokio::join!(
            db.service_claim_transition(a.id, "done", &confirm, &who),
            db.service_claim_transition(b.id, "done", &confirm, &who),
        );
        x.unwrap();
        y.unwrap();
        assert_eq!(
            fig(&db, root, t.community_a, &month, "service.needs_fulfilled").await,
            1,
            "{}",
            db.engine()
        );
        assert_eq!(
            fig(
                &db,
                root,
                t.community_a,
                &d.year().to_string(),
                "service.minutes"
            )
            .await,
            120
        );

        // One member, two needs at once, a cap of one: one claim only.
        let (m1, m2) = (post("一", 10).await, post("二", 12).await);
        let (x, y) = tokio::join!(
            db.service_claim_create(m1.id, zhang, t.branch_b, 1, &who),
            db.service_claim_create(m2.id, zhang, t.branch_b, 1, &who),
        );
        assert_eq!(
            u8::from(x.is_ok()) + u8::from(y.is_ok()),
            1,
            "{}: {x:?} {y:?}",
            db.engine()
        );

        // Two reports in one period at once: reported once.
        let period = this_period();
        let r = db
            .service_registration_create(
                &registration(
                    li,
                    t.branch_b,
                    t.community_a,
                    period.from.pred_opt().unwrap(),
                ),
                &who,
            )
            .await
            .unwrap();
        db.service_registration_set_state(r.id, "pending", "confirmed", store::today(), &ctx, &who)
            .await
            .unwrap();
        assert_eq!(
            fig(&db, root, t.community_a, NOW, "service.reported").await,
            0
        );
        let (x, y) = tokio::join!(
            db.service_report_add(r.id, period.from, "定期报到", &ctx, &who),
            db.service_report_add(r.id, period.until, "定期报到", &ctx, &who),
        );
        x.unwrap();
        y.unwrap();
        assert_eq!(
            fig(&db, root, t.community_a, NOW, "service.reported").await,
            1,
            "{}",
            db.engine()
        );
        assert_recount(&db, root).await;
    }
}

/// A registration follows the member's 组织关系: a transfer moves it, and its unit figures, to
/// the receiving branch; leaving the roll ends it. The recount agrees after each.
#[tokio::test]
async fn a_registration_follows_its_member_to_a_new_branch_and_ends_when_they_leave() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let root = t.district;
        let zhang = member(&db, &t, t.branch_b, "张三", 1).await;
        let unit_registered = |org: i64| fig(&db, root, org, NOW, "service.unit_registered");
        let unit_reported = |org: i64| fig(&db, root, org, NOW, "service.unit_reported");
        let r =
            confirmed_registration(&db, zhang, t.branch_b, t.community_a, this_period().from).await;
        assert_eq!(
            (
                unit_registered(t.branch_b).await,
                unit_reported(t.branch_b).await
            ),
            (1, 1),
            "{}",
            db.engine()
        );

        let whole = Scope::Subtree(root);
        let moved = MemberEffect::MoveTo {
            branch_id: t.branch_c,
            on: store::today() - Days::new(1),
        };
        db.member_apply_effect(whole, zhang, moved, &author())
            .await
            .unwrap();
        let after = db.service_registration_get(whole, r.id).await.unwrap();
        assert_eq!(
            (
                after.branch_id,
                after.branch_name.as_str(),
                after.state.as_str()
            ),
            (t.branch_c, "丙街道机关党支部", "confirmed")
        );
        assert_eq!(
            (
                unit_registered(t.branch_b).await,
                unit_registered(t.branch_c).await,
                unit_reported(t.branch_c).await,
                fig(&db, root, t.community_a, NOW, "service.registered").await
            ),
            (0, 1, 1, 1),
            "{}",
            db.engine()
        );
        assert_recount(&db, root).await;

        db.member_apply_effect(
            whole,
            zhang,
            MemberEffect::Leave { on: store::today() },
            &author(),
        )
        .await
        .unwrap();
        let ended = db.service_registration_get(whole, r.id).await.unwrap();
        assert_eq!(
            (ended.state.as_str(), ended.ended_on),
            ("ended", Some(store::today()))
        );
        assert_eq!(
            (
                unit_registered(t.branch_c).await,
                fig(&db, root, t.community_a, NOW, "service.registered").await
            ),
            (0, 0),
            "{}",
            db.engine()
        );
        assert_recount(&db, root).await;
    }
}
