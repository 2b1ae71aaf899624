//! Store functions against SQLite and, when `DANGJIAN_TEST_PG` is set, PostgreSQL. Each test
//! builds a small tree: a district with two streets, each with a community and branches, so that
//! scope boundaries are exercised on every read and write.

use chrono::NaiveDate;
use dangjian_store as store;
use store::testing::test_dbs;
use store::{Author, Db, MemberFields, MemberFilter, NewOrg, NewUser, Param, Scope, StoreError};

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
    branch_a: i64,
    branch_a2: i64,
    branch_b: i64,
}

async fn tree(db: &Db) -> Tree {
    let all = Scope::Nothing;
    let district = db
        .org_create(
            all,
            &org(None, "district_committee", None, "中共测试区委员会"),
            &author(),
        )
        .await
        .unwrap()
        .id;
    let whole = Scope::Subtree(district);
    let street_a = db
        .org_create(
            whole,
            &org(Some(district), "street_committee", None, "甲街道党工委"),
            &author(),
        )
        .await
        .unwrap()
        .id;
    let street_b = db
        .org_create(
            whole,
            &org(Some(district), "street_committee", None, "乙街道党工委"),
            &author(),
        )
        .await
        .unwrap()
        .id;
    let community_a = db
        .org_create(
            whole,
            &org(
                Some(street_a),
                "community_committee",
                None,
                "甲一社区大党委",
            ),
            &author(),
        )
        .await
        .unwrap()
        .id;
    let branch_a = db
        .org_create(
            whole,
            &org(
                Some(community_a),
                "branch",
                Some("community"),
                "甲一社区第一党支部",
            ),
            &author(),
        )
        .await
        .unwrap()
        .id;
    let branch_a2 = db
        .org_create(
            whole,
            &org(
                Some(community_a),
                "branch",
                Some("grid"),
                "甲一社区第1网格党支部",
            ),
            &author(),
        )
        .await
        .unwrap()
        .id;
    let branch_b = db
        .org_create(
            whole,
            &org(Some(street_b), "branch", Some("organ"), "乙街道机关党支部"),
            &author(),
        )
        .await
        .unwrap()
        .id;
    Tree {
        district,
        street_a,
        street_b,
        branch_a,
        branch_a2,
        branch_b,
    }
}

fn transfer_today() -> store::BranchMove {
    store::BranchMove {
        on: store::today(),
        reason: domain::membership::MembershipReason::Transfer,
    }
}

fn member(branch: i64, name: &str, pinyin: &str, initials: &str, id_number: &str) -> MemberFields {
    MemberFields {
        branch_id: branch,
        name: name.into(),
        name_pinyin: pinyin.into(),
        name_initials: initials.into(),
        gender: "male".into(),
        id_number: id_number.into(),
        birth_date: NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
        phone: Some("13800138000".into()),
        category: "retired".into(),
        management_mode: "direct".into(),
        status: "full".into(),
        admitted_on: NaiveDate::from_ymd_opt(1995, 7, 1).unwrap(),
        full_on: NaiveDate::from_ymd_opt(1996, 7, 1),
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

#[tokio::test]
async fn the_closure_table_scopes_org_reads() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let a = Scope::Subtree(t.street_a);
        assert_eq!(
            db.org_get(a, t.branch_a).await.unwrap().name,
            "甲一社区第一党支部"
        );
        assert!(
            matches!(db.org_get(a, t.branch_b).await, Err(StoreError::NotFound)),
            "{}",
            db.engine()
        );
        assert!(matches!(
            db.org_get(a, t.district).await,
            Err(StoreError::NotFound)
        ));

        let children = db
            .org_children(Scope::Subtree(t.district), t.district)
            .await
            .unwrap();
        assert_eq!(
            children.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![t.street_a, t.street_b]
        );
        assert_eq!(children[0].child_count, 1);
        // A street admin asking for the district's children sees only their own street.
        let seen = db.org_children(a, t.district).await.unwrap();
        assert_eq!(
            seen.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![t.street_a]
        );

        let path = db.org_path(a, t.branch_a).await.unwrap();
        assert_eq!(
            path.first().unwrap().id,
            t.street_a,
            "path stops at the scope's top"
        );
        assert_eq!(path.last().unwrap().id, t.branch_a);

        let branches = db.org_list_kind(a, "branch").await.unwrap();
        assert_eq!(branches.len(), 2);
        assert_eq!(
            db.org_find_by_name(a, "乙街道机关党支部")
                .await
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            db.org_find_by_name(Scope::Subtree(t.district), "乙街道机关党支部")
                .await
                .unwrap()
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn a_district_linked_under_a_province_keeps_its_own_root_and_scope() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let other = db
            .org_create(
                Scope::Nothing,
                &org(None, "district_committee", None, "中共邻区委员会"),
                &author(),
            )
            .await
            .unwrap()
            .id;
        let other_branch = db
            .org_create(
                Scope::Subtree(other),
                &org(Some(other), "branch", Some("organ"), "邻区机关党支部"),
                &author(),
            )
            .await
            .unwrap()
            .id;
        let province = db
            .org_create(
                Scope::Nothing,
                &org(None, "provincial_committee", None, "中共测试省委员会"),
                &author(),
            )
            .await
            .unwrap()
            .id;
        // Only whole districts, and only under a province.
        let refused = |r: Result<(), StoreError>| matches!(r, Err(StoreError::Invalid(_)));
        assert!(refused(
            db.org_link_root(t.district, other, &author()).await
        ));
        assert!(refused(
            db.org_link_root(province, t.street_a, &author()).await
        ));
        assert!(refused(
            db.org_link_root(province, province, &author()).await
        ));
        assert!(matches!(
            db.org_link_root(province, 999_999, &author()).await,
            Err(StoreError::NotFound)
        ));
        for district in [t.district, other] {
            db.org_link_root(province, district, &author())
                .await
                .unwrap();
        }
        // Linking again changes nothing; linking under a second province is refused.
        db.org_link_root(province, other, &author()).await.unwrap();
        let second = db
            .org_create(
                Scope::Nothing,
                &org(None, "provincial_committee", None, "中共另一省委员会"),
                &author(),
            )
            .await
            .unwrap()
            .id;
        assert!(refused(db.org_link_root(second, other, &author()).await));

        let whole = Scope::Subtree(province);
        let branch = db.org_get(whole, t.branch_b).await.unwrap();
        assert_eq!(branch.root_org_id, t.district, "{}", db.engine());
        assert_eq!(
            db.org_get(whole, other_branch).await.unwrap().root_org_id,
            other
        );
        let path = db.org_path(whole, other_branch).await.unwrap();
        assert_eq!(
            path.iter().map(|o| o.id).collect::<Vec<_>>(),
            vec![province, other, other_branch]
        );
        assert_eq!(
            db.org_children(whole, province)
                .await
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>(),
            vec![t.district, other]
        );
        // A district stays closed to the other.
        assert!(matches!(
            db.org_get(Scope::Subtree(other), t.branch_a).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.org_get(Scope::Subtree(t.district), province).await,
            Err(StoreError::NotFound)
        ));
        // The sweeps run for each district, not for the provinces.
        assert_eq!(db.org_root_ids().await.unwrap(), vec![t.district, other]);
        let log = db.audit_list(whole, Some("org"), 50, 0).await.unwrap();
        assert_eq!(
            log.iter()
                .filter(|row| row.summary.contains("接入省级党委"))
                .count(),
            2,
            "{}",
            db.engine()
        );
        // The province's log is read one tree at a time and merged: paging through it gives
        // the whole log once, newest first, with rows of both districts.
        let mut trees = vec![t.district, other, province];
        trees.sort();
        assert_eq!(db.roots_within(whole).await.unwrap(), trees);
        assert_eq!(
            db.roots_within(Scope::Subtree(t.street_a)).await.unwrap(),
            vec![t.district]
        );
        let all = db.audit_list(whole, None, 10_000, 0).await.unwrap();
        assert!(all.iter().any(|row| row.org_id == other_branch));
        assert!(all.iter().any(|row| row.org_id == t.branch_b));
        assert!(
            all.windows(2)
                .all(|w| (&w[0].at, w[0].id) > (&w[1].at, w[1].id))
        );
        let mut paged = Vec::new();
        for page in 0.. {
            let rows = db.audit_list(whole, None, 3, page * 3).await.unwrap();
            if rows.is_empty() {
                break;
            }
            paged.extend(rows.into_iter().map(|row| row.id));
        }
        assert_eq!(
            paged,
            all.iter().map(|row| row.id).collect::<Vec<_>>(),
            "{}",
            db.engine()
        );
        let history = db
            .audit_for_entity(whole, "org", other_branch, 10)
            .await
            .unwrap();
        assert!(!history.is_empty());
        assert!(
            db.audit_for_entity(Scope::Subtree(t.district), "org", other_branch, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn org_create_and_update_refuse_parents_outside_the_scope_and_are_audited() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let a = Scope::Subtree(t.street_a);
        let refused = db
            .org_create(
                a,
                &org(Some(t.street_b), "branch", Some("joint"), "越权支部"),
                &author(),
            )
            .await;
        assert!(matches!(refused, Err(StoreError::NotFound)));

        let mut change = org(
            None,
            "branch",
            Some("grid"),
            "甲一社区第1网格党支部（更名）",
        );
        change.secretary = Some("李书记".into());
        let updated = db
            .org_update(a, t.branch_a2, &change, &author())
            .await
            .unwrap();
        assert_eq!(updated.secretary.as_deref(), Some("李书记"));
        assert!(matches!(
            db.org_update(a, t.branch_b, &change, &author()).await,
            Err(StoreError::NotFound)
        ));

        let log = db.audit_list(a, Some("org"), 50, 0).await.unwrap();
        let rename = log
            .iter()
            .find(|r| r.action == "update")
            .expect("update audited");
        assert!(rename.changes.contains("李书记"), "{}", rename.changes);
        // The district's own creation row is outside street A's view.
        assert!(log.iter().all(|r| r.org_id != t.district));
    }
}

/// Issue 9: the import's summary audit row was written after the members' transaction, so a
/// failure there left an import in the register that the audit log did not show.
#[tokio::test]
async fn an_import_and_its_summary_row_are_written_together_or_not_at_all() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        let rows = vec![
            member(t.branch_a, "钱一", "qianyi", "qy", "110105194912310021"),
            member(t.branch_b, "孙二", "suner", "se", "110105194912310048"),
        ];
        // An org that does not exist cannot carry the summary row: nothing may be written.
        let failed = db
            .member_import(
                whole,
                &rows,
                &author(),
                999_999,
                "从「a.xlsx」导入 2 名党员",
            )
            .await;
        assert!(failed.is_err());
        assert_eq!(
            db.member_count(whole, &MemberFilter::default())
                .await
                .unwrap(),
            0
        );

        let ids = db
            .member_import(
                whole,
                &rows,
                &author(),
                t.district,
                "从「a.xlsx」导入 2 名党员",
            )
            .await
            .unwrap()
            .ids;
        assert_eq!(ids.len(), 2);
        let log = db.audit_list(whole, Some("member"), 10, 0).await.unwrap();
        let summary: Vec<_> = log.iter().filter(|r| r.action == "import").collect();
        assert_eq!(summary.len(), 1);
        assert_eq!(summary[0].summary, "从「a.xlsx」导入 2 名党员");
        assert_eq!(summary[0].org_id, t.district);
        assert_eq!(log.iter().filter(|r| r.action == "create").count(), 2);
    }
}

#[tokio::test]
async fn members_are_found_by_name_pinyin_or_initials_within_scope_only() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        let rows = vec![
            member(t.branch_a, "张三", "zhangsan", "zs", "110105194912310021"),
            member(
                t.branch_a2,
                "张珊珊",
                "zhangshanshan",
                "zss",
                "110105194912310048",
            ),
            member(t.branch_b, "赵四", "zhaosi", "zs", "110105194912310064"),
        ];
        let ids = db
            .member_insert_many(whole, &rows, &author())
            .await
            .unwrap();
        assert_eq!(ids.len(), 3);

        let search = |q: &str| MemberFilter {
            query: Some(q.into()),
            ..Default::default()
        };
        let names =
            |rows: Vec<store::MemberRow>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(
                db.member_search(whole, &search("zhang"), 50, 0)
                    .await
                    .unwrap()
            ),
            vec!["张三", "张珊珊"]
        );
        assert_eq!(
            names(db.member_search(whole, &search("zs"), 50, 0).await.unwrap()),
            vec!["张三", "张珊珊", "赵四"]
        );
        assert_eq!(
            names(
                db.member_search(whole, &search("张珊"), 50, 0)
                    .await
                    .unwrap()
            ),
            vec!["张珊珊"]
        );
        let a = Scope::Subtree(t.street_a);
        assert_eq!(
            names(db.member_search(a, &search("zs"), 50, 0).await.unwrap()),
            vec!["张三", "张珊珊"]
        );
        assert_eq!(
            db.member_count(a, &MemberFilter::default()).await.unwrap(),
            2
        );

        let in_branch = MemberFilter {
            org_id: Some(t.branch_a2),
            ..Default::default()
        };
        assert_eq!(
            names(db.member_search(whole, &in_branch, 50, 0).await.unwrap()),
            vec!["张珊珊"]
        );
        // Filtering by an org outside the scope yields nothing rather than that org's members.
        let foreign = MemberFilter {
            org_id: Some(t.branch_b),
            ..Default::default()
        };
        assert!(
            db.member_search(a, &foreign, 50, 0)
                .await
                .unwrap()
                .is_empty()
        );

        assert!(matches!(
            db.member_get(a, ids[2]).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            db.member_get(Scope::SelfOnly(ids[2]), ids[2])
                .await
                .unwrap()
                .name,
            "赵四"
        );
        assert!(matches!(
            db.member_get(Scope::SelfOnly(ids[2]), ids[0]).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.member_get(Scope::Nothing, ids[0]).await,
            Err(StoreError::NotFound)
        ));

        let page1 = db
            .member_export_page(whole, &MemberFilter::default(), 0, 2)
            .await
            .unwrap();
        let page2 = db
            .member_export_page(whole, &MemberFilter::default(), page1[1].id, 2)
            .await
            .unwrap();
        assert_eq!(page1.len() + page2.len(), 3);
    }
}

#[tokio::test]
async fn member_writes_stay_in_scope_reject_duplicates_and_write_audit_rows() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let a = Scope::Subtree(t.street_a);
        let created = db
            .member_create(
                a,
                &member(t.branch_a, "王五", "wangwu", "ww", "110105194912310080"),
                &author(),
            )
            .await
            .unwrap();
        assert_eq!(created.root_org_id, t.district);

        let outside = db
            .member_create(
                a,
                &member(t.branch_b, "钱六", "qianliu", "ql", "110105194912310101"),
                &author(),
            )
            .await;
        assert!(matches!(outside, Err(StoreError::NotFound)));

        let duplicate = db
            .member_create(
                a,
                &member(t.branch_a2, "王五", "wangwu", "ww", "110105194912310080"),
                &author(),
            )
            .await;
        assert!(
            matches!(duplicate, Err(StoreError::IdNumberTaken)),
            "{duplicate:?}"
        );
        assert_eq!(
            db.member_existing_id_numbers(&["110105194912310080".into(), "x".into()])
                .await
                .unwrap(),
            vec!["110105194912310080"]
        );

        // A batch with one bad row writes nothing.
        let batch = vec![
            member(t.branch_a, "孙七", "sunqi", "sq", "110105194912310128"),
            member(t.branch_b, "周八", "zhouba", "zb", "110105194912310144"),
        ];
        assert!(db.member_insert_many(a, &batch, &author()).await.is_err());
        assert_eq!(
            db.member_count(Scope::Subtree(t.district), &MemberFilter::default())
                .await
                .unwrap(),
            1
        );

        let mut moved = MemberFields::from(&created);
        moved.branch_id = t.branch_a2;
        moved.phone = Some("13900139000".into());
        assert!(
            matches!(
                db.member_update(a, created.id, &moved, None, &author())
                    .await,
                Err(StoreError::Invalid(_))
            ),
            "a move says when and why"
        );
        let updated = db
            .member_update(a, created.id, &moved, Some(transfer_today()), &author())
            .await
            .unwrap();
        assert_eq!(updated.branch_id, t.branch_a2);
        let mut escape = moved.clone();
        escape.branch_id = t.branch_b;
        assert!(
            db.member_update(a, created.id, &escape, Some(transfer_today()), &author())
                .await
                .is_err()
        );
        let b = Scope::Subtree(t.street_b);
        assert!(matches!(
            db.member_update(b, created.id, &moved, None, &author())
                .await,
            Err(StoreError::NotFound)
        ));

        let history = db
            .audit_for_entity(a, "member", created.id, 10)
            .await
            .unwrap();
        assert_eq!(history.len(), 2);
        assert!(history[0].changes.contains("branch_id"));
        assert!(
            history[0].changes.contains("139****9000"),
            "phone masked in audit: {}",
            history[0].changes
        );
        assert!(
            db.audit_for_entity(b, "member", created.id, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn users_sessions_and_tokens() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let a = Scope::Subtree(t.street_a);
        let new = NewUser {
            username: "jia_admin".into(),
            display_name: "甲街道管理员".into(),
            password_hash: "hash".into(),
            role: "org_admin".into(),
            org_id: t.street_a,
            member_id: None,
        };
        let user = db.user_create(a, &new, &author()).await.unwrap();
        assert!(matches!(
            db.user_create(a, &new, &author()).await,
            Err(StoreError::Conflict(_))
        ));
        let foreign = NewUser {
            username: "yi_admin".into(),
            org_id: t.street_b,
            ..new.clone()
        };
        assert!(matches!(
            db.user_create(a, &foreign, &author()).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            db.user_by_username("jia_admin").await.unwrap().unwrap().id,
            user.id
        );
        assert_eq!(db.user_list(a).await.unwrap().len(), 1);
        assert!(
            db.user_list(Scope::Subtree(t.street_b))
                .await
                .unwrap()
                .is_empty()
        );

        let later = chrono::Utc::now() + chrono::Duration::hours(1);
        db.session_create("h1", user.id, "csrf1", later)
            .await
            .unwrap();
        db.session_create(
            "h2",
            user.id,
            "csrf2",
            chrono::Utc::now() - chrono::Duration::hours(1),
        )
        .await
        .unwrap();
        assert_eq!(
            db.session_get("h1").await.unwrap().unwrap().csrf_token,
            "csrf1"
        );
        assert!(
            db.session_get("h2").await.unwrap().is_none(),
            "expired session is not returned"
        );
        assert_eq!(db.session_purge_expired().await.unwrap(), 1);

        let week = chrono::Utc::now() + chrono::Duration::days(7);
        let first = db
            .api_token_create(user.id, "对接", "tokenhash", week)
            .await
            .unwrap();
        assert_eq!(
            db.user_by_api_token("tokenhash").await.unwrap().unwrap().id,
            user.id
        );
        assert!(db.user_by_api_token("other").await.unwrap().is_none());
        let past = chrono::Utc::now() - chrono::Duration::seconds(1);
        db.api_token_create(user.id, "过期的", "oldhash", past)
            .await
            .unwrap();
        assert!(
            db.user_by_api_token("oldhash").await.unwrap().is_none(),
            "an expired token is refused"
        );
        let tokens = db.api_token_list(user.id).await.unwrap();
        assert_eq!(tokens.len(), 2);
        let used = tokens.iter().find(|t| t.id == first).unwrap();
        assert_eq!(used.name, "对接");
        assert!(used.last_used_at.is_some(), "use is recorded");
        assert_eq!(used.expires_at.timestamp(), week.timestamp());
        assert!(db.api_token_list(user.id + 1000).await.unwrap().is_empty());

        // Revoking: only the owner's token, once, with an audit row.
        assert!(matches!(
            db.api_token_revoke(user.id + 1000, first, &author()).await,
            Err(StoreError::NotFound)
        ));
        db.api_token_revoke(user.id, first, &author())
            .await
            .unwrap();
        assert!(db.user_by_api_token("tokenhash").await.unwrap().is_none());
        assert!(matches!(
            db.api_token_revoke(user.id, first, &author()).await,
            Err(StoreError::NotFound)
        ));
        let log = db.audit_list(a, Some("api_token"), 10, 0).await.unwrap();
        assert!(log[0].summary.contains("对接"), "{}", log[0].summary);

        // A reset ends every session but the one kept, and revokes every token.
        db.session_create("h3", user.id, "c", later).await.unwrap();
        db.api_token_create(user.id, "另一个", "tokenhash2", week)
            .await
            .unwrap();
        db.user_set_password(a, user.id, "hash2", Some("h3"), &author())
            .await
            .unwrap();
        assert!(
            db.session_get("h1").await.unwrap().is_none(),
            "a password reset ends sessions"
        );
        assert!(
            db.session_get("h3").await.unwrap().is_some(),
            "but the kept one"
        );
        assert!(db.user_by_api_token("tokenhash2").await.unwrap().is_none());
        assert!(db.api_token_list(user.id).await.unwrap().is_empty());
        db.user_set_password(a, user.id, "hash3", None, &author())
            .await
            .unwrap();
        assert!(db.session_get("h3").await.unwrap().is_none());
        assert!(matches!(
            db.user_set_password(Scope::Subtree(t.street_b), user.id, "x", None, &author())
                .await,
            Err(StoreError::NotFound)
        ));

        db.session_create("h4", user.id, "c", later).await.unwrap();
        db.session_delete("h4").await.unwrap();
        assert!(db.session_get("h4").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn territory_tree_links_and_scopes() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let district = db
            .territory_create(None, None, "district", "测试区", t.district, &author())
            .await
            .unwrap();
        let street = db
            .territory_create(
                None,
                Some(district.id),
                "street",
                "甲街道",
                t.district,
                &author(),
            )
            .await
            .unwrap();
        let other = db
            .territory_create(
                None,
                Some(district.id),
                "street",
                "乙街道",
                t.district,
                &author(),
            )
            .await
            .unwrap();
        let grid = db
            .territory_create(
                Some(street.id),
                Some(street.id),
                "community",
                "甲一社区",
                t.district,
                &author(),
            )
            .await
            .unwrap();
        assert_eq!(grid.root_id, district.id);
        assert!(matches!(
            db.territory_create(
                Some(street.id),
                Some(other.id),
                "community",
                "越界",
                t.district,
                &author()
            )
            .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.territory_get(Some(street.id), other.id).await,
            Err(StoreError::NotFound)
        ));
        let roots = db.territory_children(None, None).await.unwrap();
        assert_eq!(roots.len(), 1);
        assert_eq!(roots[0].1, 2);
        assert_eq!(
            db.territory_children(Some(street.id), Some(district.id))
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            db.territory_list_level(None, "community")
                .await
                .unwrap()
                .len(),
            1
        );

        let mut change = org(None, "street_committee", None, "甲街道党工委");
        change.territory_id = Some(street.id);
        db.org_update(Scope::Subtree(t.district), t.street_a, &change, &author())
            .await
            .unwrap();
        assert_eq!(
            db.territory_scope_for_org(t.street_a).await.unwrap(),
            Some(street.id)
        );
        // A branch below serves no territory of its own, and inherits none.
        assert_eq!(db.territory_scope_for_org(t.branch_a).await.unwrap(), None);
        assert_eq!(db.territory_scope_for_org(t.branch_b).await.unwrap(), None);
        assert_eq!(
            db.orgs_serving_territory(street.id).await.unwrap()[0].0,
            t.street_a
        );
    }
}

#[tokio::test]
async fn counts_concurrent_members_bulk_load_and_backup() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        let mut probationary = member(t.branch_b, "吴九", "wujiu", "wj", "110105194912310160");
        probationary.status = "probationary".into();
        probationary.full_on = None;
        probationary.lost_contact = true;
        db.member_insert_many(
            whole,
            &[
                member(t.branch_a, "郑十", "zhengshi", "zs", "110105194912310187"),
                probationary,
            ],
            &author(),
        )
        .await
        .unwrap();
        let counts = db.counts(whole).await.unwrap();
        assert_eq!(
            (
                counts.orgs,
                counts.branches,
                counts.members,
                counts.probationary,
                counts.lost_contact
            ),
            (7, 3, 2, 1, 1)
        );
        assert_eq!(
            db.counts(Scope::Subtree(t.street_a)).await.unwrap().members,
            1
        );
        let by_child = db.member_counts_by_child(whole, t.district).await.unwrap();
        assert_eq!(by_child.iter().map(|c| c.2).collect::<Vec<_>>(), vec![1, 1]);

        let community = db.org_children(whole, t.street_a).await.unwrap()[0].id;
        db.concurrent_member_add(whole, community, "陈医生", "区医院", "兼职委员", &author())
            .await
            .unwrap();
        assert_eq!(
            db.concurrent_members(Scope::Subtree(t.street_a), community)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            db.concurrent_members(Scope::Subtree(t.street_b), community)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            db.concurrent_member_add(
                Scope::Subtree(t.street_b),
                community,
                "x",
                "y",
                "z",
                &author()
            )
            .await
            .is_err()
        );

        let next = db.max_id("territories").await.unwrap() + 1;
        db.bulk_insert(
            "territories",
            &["id", "parent_id", "root_id", "level", "name", "created_at"],
            &[vec![
                Param::I64(next),
                Param::NullI64,
                Param::I64(next),
                Param::Text("district".into()),
                Param::Text("批量区".into()),
                Param::Time(chrono::Utc::now()),
            ]],
        )
        .await
        .unwrap();
        db.reset_id_sequences().await.unwrap();
        let created = db
            .territory_create(None, None, "district", "序列之后", t.district, &author())
            .await
            .unwrap();
        assert!(
            created.id > next,
            "identity continues after bulk ids on {}",
            db.engine()
        );
        assert!(!db.is_empty().await.unwrap());
        db.analyze().await.unwrap();

        match &*db {
            Db::Sqlite(_) => {
                let out = std::env::temp_dir().join(format!(
                    "dangjian-backup-{}-{}.db",
                    std::process::id(),
                    next
                ));
                let _ = std::fs::remove_file(&out);
                db.backup_sqlite(&out.to_string_lossy()).await.unwrap();
                let copy = Db::open(&format!("sqlite://{}", out.display()))
                    .await
                    .unwrap();
                assert_eq!(copy.counts(whole).await.unwrap().members, 2);
                let _ = std::fs::remove_file(&out);
            }
            Db::Postgres(_) => assert!(db.backup_sqlite("/tmp/never.db").await.is_err()),
        }
    }
}

#[tokio::test]
async fn large_scopes_search_through_the_name_indexes_with_the_same_results() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        // More orgs than a small scope has, so searches take the name-index path.
        let mut branches = Vec::new();
        for i in 0..45 {
            let name = format!("甲街道第{i}非公党支部");
            branches.push(
                db.org_create(
                    whole,
                    &org(Some(t.street_a), "branch", Some("non_public"), &name),
                    &author(),
                )
                .await
                .unwrap()
                .id,
            );
        }
        let people = [
            ("张三", "zhangsan", "zs"),
            ("张珊", "zhangshan", "zs"),
            ("赵森", "zhaosen", "zs"),
            ("郑爽", "zhengshuang", "zs"),
            ("周舟", "zhouzhou", "zz"),
            ("王五", "wangwu", "ww"),
            ("张伟", "zhangwei", "zw"),
        ];
        let rows: Vec<MemberFields> = people
            .iter()
            .enumerate()
            .map(|(i, (n, p, s))| {
                member(
                    branches[i % branches.len()],
                    n,
                    p,
                    s,
                    &format!("11010519491231{i:04}"),
                )
            })
            .collect();
        db.member_insert_many(whole, &rows, &author())
            .await
            .unwrap();
        // One member outside street A, to be excluded.
        db.member_create(
            whole,
            &member(t.branch_b, "张外", "zhangwai", "zw", "110105194912319999"),
            &author(),
        )
        .await
        .unwrap();

        let a = Scope::Subtree(t.street_a);
        let names =
            |rows: Vec<store::MemberRow>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
        let search = |q: &str| MemberFilter {
            query: Some(q.into()),
            ..Default::default()
        };
        assert_eq!(
            names(db.member_search(a, &search("zs"), 50, 0).await.unwrap()),
            vec!["张三", "张珊", "赵森", "郑爽"],
            "initials on {}",
            db.engine()
        );
        assert_eq!(
            names(db.member_search(a, &search("zh"), 50, 0).await.unwrap()),
            vec!["张三", "张珊", "张伟", "赵森", "郑爽", "周舟"]
        );
        assert_eq!(
            names(db.member_search(a, &search("zh"), 2, 2).await.unwrap()),
            vec!["张伟", "赵森"],
            "paging through the union"
        );
        assert_eq!(
            names(db.member_search(a, &search("z"), 3, 0).await.unwrap()),
            vec!["张三", "张珊", "张伟"]
        );
        let zhang = names(db.member_search(a, &search("张"), 50, 0).await.unwrap());
        assert_eq!(zhang.len(), 3);
        assert!(!zhang.contains(&"张外".to_string()));
        assert_eq!(
            db.member_search(a, &MemberFilter::default(), 50, 0)
                .await
                .unwrap()
                .len(),
            7
        );
        assert_eq!(
            db.member_count_capped(a, &search("zs"), 3).await.unwrap(),
            (3, true)
        );
        assert_eq!(
            db.member_count_capped(a, &search("zs"), 10).await.unwrap(),
            (4, false)
        );
        assert_eq!(
            db.member_count_capped(whole, &search("zw"), 10)
                .await
                .unwrap(),
            (2, false)
        );
        let in_one = MemberFilter {
            query: Some("zs".into()),
            org_id: Some(branches[0]),
            ..Default::default()
        };
        assert_eq!(
            names(db.member_search(a, &in_one, 50, 0).await.unwrap()),
            vec!["张三"]
        );
    }
}

#[tokio::test]
async fn dues_bases_payments_waivers_and_month_facts() {
    use store::{NewDuesBase, NewPayment, NewWaiver};
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        let a = Scope::Subtree(t.street_a);
        let b = Scope::Subtree(t.street_b);
        let ids = db
            .member_insert_many(
                whole,
                &[
                    member(t.branch_a, "张三", "zhangsan", "zs", "110105194912310021"),
                    member(t.branch_a2, "李四", "lisi", "ls", "110105194912310048"),
                    member(t.branch_b, "王五", "wangwu", "ww", "110105194912310064"),
                ],
                &author(),
            )
            .await
            .unwrap();
        let base = |month: &str, fen: i64| NewDuesBase {
            effective_month: month.into(),
            category: "retired".into(),
            base_fen: Some(fen * 200),
            monthly_fen: fen,
            working: "4000.00 × 0.5% = 20.00".into(),
            rule_version: "dues-2017.1".into(),
        };
        db.dues_base_set(a, ids[0], &base("2026-01", 2000), &author())
            .await
            .unwrap();
        db.dues_base_set(a, ids[0], &base("2026-01", 2100), &author())
            .await
            .unwrap();
        db.dues_base_set(a, ids[1], &base("2026-03", 1500), &author())
            .await
            .unwrap();
        assert!(matches!(
            db.dues_base_set(b, ids[0], &base("2026-01", 1), &author())
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.dues_base_set(
                Scope::SelfOnly(ids[0]),
                ids[0],
                &base("2026-01", 1),
                &author()
            )
            .await,
            Err(StoreError::NotFound)
        ));

        let pay = |months: &[(&str, i64)]| NewPayment {
            months: months.iter().map(|(m, f)| (m.to_string(), *f)).collect(),
            paid_on: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
            method: "monthly".into(),
            proxy_name: None,
        };
        db.dues_pay(
            a,
            ids[0],
            &pay(&[("2026-02", 2100), ("2026-03", 2100)]),
            &author(),
        )
        .await
        .unwrap();
        let again = db
            .dues_pay(
                a,
                ids[0],
                &pay(&[("2026-04", 2100), ("2026-03", 2100)]),
                &author(),
            )
            .await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        assert!(matches!(
            db.dues_pay(b, ids[0], &pay(&[("2026-05", 1)]), &author())
                .await,
            Err(StoreError::NotFound)
        ));
        let waiver = NewWaiver {
            from_month: "2026-03".into(),
            to_month: "2026-12".into(),
            reason: "重病".into(),
            approved_by: "甲街道党工委".into(),
            approval_ref: "甲党〔2026〕3号".into(),
            approved_on: NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
        };
        db.dues_waive(a, ids[1], &waiver, &author()).await.unwrap();

        let record = db
            .dues_record(Scope::SelfOnly(ids[0]), ids[0])
            .await
            .unwrap();
        assert_eq!(record.bases.len(), 1, "same month replaces");
        assert_eq!(record.bases[0].monthly_fen, 2100);
        assert_eq!(
            record
                .payments
                .iter()
                .map(|p| p.month.as_str())
                .collect::<Vec<_>>(),
            vec!["2026-02", "2026-03"],
            "the refused payment left nothing"
        );
        assert!(matches!(
            db.dues_record(b, ids[0]).await,
            Err(StoreError::NotFound)
        ));
        // Many records at once: the same as one by one, for the members the scope holds.
        let many = db
            .dues_records(a, &[ids[0], ids[1], 999_999])
            .await
            .unwrap();
        assert_eq!(many.len(), 2, "an unknown id is left out");
        let (_, first) = &many[&ids[0]];
        assert_eq!(first.bases.len(), record.bases.len());
        assert_eq!(first.payments.len(), 2);
        assert_eq!(many[&ids[1]].1.waivers.len(), 1);
        assert_eq!(first.bases[0].assessed_from, record.bases[0].assessed_from);
        assert!(
            db.dues_records(b, &[ids[0], ids[1]])
                .await
                .unwrap()
                .is_empty(),
            "another subtree reads none"
        );

        let facts = db
            .dues_month_facts(whole, t.street_a, "2026-03")
            .await
            .unwrap();
        assert_eq!(facts.members.len(), 2);
        let community = db.org_children(whole, t.street_a).await.unwrap()[0].id;
        assert!(
            facts.members.iter().all(|m| m.4 == community),
            "rolled up to the street's child"
        );
        assert_eq!(facts.bases.len(), 2);
        assert_eq!(facts.payments, vec![(ids[0], 2100)]);
        assert_eq!(facts.waivers.len(), 1);
        let branch_facts = db
            .dues_month_facts(whole, t.branch_a, "2026-01")
            .await
            .unwrap();
        assert_eq!(branch_facts.members.len(), 1);
        assert_eq!(branch_facts.members[0].4, t.branch_a);
        assert!(branch_facts.payments.is_empty());
        // Another street's admin asking for street A's notice sees nobody.
        assert!(
            db.dues_month_facts(b, t.street_a, "2026-03")
                .await
                .unwrap()
                .members
                .is_empty()
        );
        // Someone admitted in June is not on March's notice (DOMAIN.md §1.3).
        let mut late = member(
            t.branch_a,
            "新党员",
            "xindangyuan",
            "xdy",
            "110105200001010011",
        );
        late.admitted_on = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        db.member_create(a, &late, &author()).await.unwrap();
        assert_eq!(
            db.dues_month_facts(whole, t.street_a, "2026-03")
                .await
                .unwrap()
                .members
                .len(),
            2
        );
        assert_eq!(
            db.dues_month_facts(whole, t.street_a, "2026-06")
                .await
                .unwrap()
                .members
                .len(),
            3
        );
        assert!(
            db.dues_month_facts(whole, t.street_a, "2026-13")
                .await
                .is_err()
        );

        let spend = store::NewExpense {
            spent_on: NaiveDate::from_ymd_opt(2026, 4, 2).unwrap(),
            amount_fen: 3550,
            purpose: "订阅党刊".into(),
            approved_by: "支委会".into(),
        };
        db.dues_expense_add(a, t.branch_a, &spend, &author())
            .await
            .unwrap();
        assert!(matches!(
            db.dues_expense_add(b, t.branch_a, &spend, &author()).await,
            Err(StoreError::NotFound)
        ));
        let year = |y: i32| {
            (
                NaiveDate::from_ymd_opt(y, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(y, 12, 31).unwrap(),
            )
        };
        let (from, to) = year(2026);
        let spent = db.dues_expenses(whole, t.street_a, from, to).await.unwrap();
        assert_eq!(spent.len(), 1);
        assert_eq!(spent[0].org_name, "甲一社区第一党支部");
        assert!(
            db.dues_expenses(whole, t.street_b, from, to)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            db.dues_expenses(b, t.street_a, from, to)
                .await
                .unwrap()
                .is_empty()
        );
        let (from, to) = year(2025);
        assert!(
            db.dues_expenses(whole, t.street_a, from, to)
                .await
                .unwrap()
                .is_empty()
        );

        let log = db.audit_list(a, None, 50, 0).await.unwrap();
        assert!(log.iter().any(|r| r.entity == "dues_payment"));
        assert!(log.iter().any(|r| r.entity == "dues_expense"));
        assert!(
            log.iter()
                .any(|r| r.entity == "dues_waiver" && r.summary.contains("甲党〔2026〕3号"))
        );
    }
}

#[tokio::test]
async fn members_admitted_in_a_month_for_political_birthdays() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        let mut july = member(t.branch_a, "七一", "qiyi", "qy", "110105194912310021");
        july.admitted_on = NaiveDate::from_ymd_opt(1971, 7, 1).unwrap();
        let mut late_july = member(t.branch_a, "七末", "qimo", "qm", "110105194912310048");
        late_july.admitted_on = NaiveDate::from_ymd_opt(2001, 7, 31).unwrap();
        let mut other = member(t.branch_b, "七二", "qier", "qe", "110105194912310064");
        other.admitted_on = NaiveDate::from_ymd_opt(1980, 7, 2).unwrap();
        let mut leap = member(t.branch_a, "闰日", "runri", "rr", "110105194912310080");
        leap.admitted_on = NaiveDate::from_ymd_opt(2004, 2, 29).unwrap();
        db.member_insert_many(whole, &[july, late_july, other, leap], &author())
            .await
            .unwrap();
        let names =
            |rows: Vec<store::MemberRow>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names(db.member_admitted_in_month(whole, 7).await.unwrap()),
            vec!["七一", "七二", "七末"],
            "by day on {}",
            db.engine()
        );
        assert_eq!(
            names(
                db.member_admitted_in_month(Scope::Subtree(t.street_a), 7)
                    .await
                    .unwrap()
            ),
            vec!["七一", "七末"]
        );
        assert_eq!(
            names(db.member_admitted_in_month(whole, 2).await.unwrap()),
            vec!["闰日"]
        );
        assert!(
            db.member_admitted_in_month(whole, 3)
                .await
                .unwrap()
                .is_empty()
        );

        // Today's birthdays: the day of an earlier year, in scope, the first few and the count.
        let july_first = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        let mut second = member(t.branch_a, "七一乙", "qiyiyi", "qyy", "110105194912310102");
        second.admitted_on = NaiveDate::from_ymd_opt(1990, 7, 1).unwrap();
        let mut this_year = member(
            t.branch_b,
            "七一丙",
            "qiyibing",
            "qyb",
            "110105194912310129",
        );
        this_year.admitted_on = july_first;
        db.member_insert_many(whole, &[second, this_year], &author())
            .await
            .unwrap();
        let (rows, total) = db.member_birthdays_on(whole, july_first, 1).await.unwrap();
        assert_eq!(
            (names(rows), total),
            (vec!["七一".to_string()], 2),
            "{}",
            db.engine()
        );
        let (rows, total) = db
            .member_birthdays_on(Scope::Subtree(t.street_b), july_first, 5)
            .await
            .unwrap();
        assert!(
            rows.is_empty() && total == 0,
            "admitted today is no birthday yet"
        );
        let leap_day = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        assert_eq!(
            db.member_birthdays_on(whole, leap_day, 5).await.unwrap().1,
            1
        );
    }
}

#[tokio::test]
async fn meetings_with_attendance_and_kept_revisions() {
    use store::{AttendanceEntry, MeetingFields};
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        let a = Scope::Subtree(t.street_a);
        let ids = db
            .member_insert_many(
                whole,
                &[
                    member(t.branch_a, "张三", "zhangsan", "zs", "110105194912310021"),
                    member(t.branch_a, "李四", "lisi", "ls", "110105194912310048"),
                    member(t.branch_b, "王五", "wangwu", "ww", "110105194912310064"),
                ],
                &author(),
            )
            .await
            .unwrap();
        let fields = MeetingFields {
            institution: "themed_party_day".into(),
            held_on: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
            place: "社区党群服务中心".into(),
            chair: "张三".into(),
            recorder: "李四".into(),
            agenda: "学习".into(),
            minutes: "发言要点".into(),
            resolutions: "".into(),
        };
        let present = |id: i64| AttendanceEntry {
            member_id: id,
            present: true,
            absence_reason: None,
        };
        let absent = AttendanceEntry {
            member_id: ids[1],
            present: false,
            absence_reason: Some("出差".into()),
        };
        let id = db
            .meeting_create(
                a,
                t.branch_a,
                &fields,
                &[present(ids[0]), absent.clone()],
                &author(),
            )
            .await
            .unwrap();
        assert!(matches!(
            db.meeting_create(a, t.branch_b, &fields, &[], &author())
                .await,
            Err(StoreError::NotFound)
        ));
        let outsider = db
            .meeting_create(a, t.branch_a, &fields, &[present(ids[2])], &author())
            .await;
        assert!(
            matches!(outsider, Err(StoreError::Invalid(_))),
            "{outsider:?}"
        );

        let (meeting, attendance) = db.meeting_get(a, id).await.unwrap();
        assert_eq!(meeting.revision, 1);
        assert_eq!(attendance.len(), 2);
        assert_eq!(attendance.iter().filter(|x| x.present).count(), 1);
        assert_eq!(
            attendance
                .iter()
                .find(|x| !x.present)
                .unwrap()
                .absence_reason
                .as_deref(),
            Some("出差")
        );
        assert!(matches!(
            db.meeting_get(Scope::Subtree(t.street_b), id).await,
            Err(StoreError::NotFound)
        ));

        let amended = MeetingFields {
            minutes: "补充发言要点".into(),
            ..fields.clone()
        };
        db.meeting_update(
            a,
            id,
            &amended,
            &[present(ids[0]), present(ids[1])],
            &author(),
        )
        .await
        .unwrap();
        let (meeting, attendance) = db.meeting_get(a, id).await.unwrap();
        assert_eq!(
            (meeting.revision, meeting.minutes.as_str()),
            (2, "补充发言要点")
        );
        assert!(attendance.iter().all(|x| x.present));
        let revisions = db.meeting_revisions(a, id).await.unwrap();
        assert_eq!(revisions.len(), 1);
        assert!(
            revisions[0].snapshot.contains("发言要点") && revisions[0].snapshot.contains("出差")
        );
        assert!(
            db.meeting_update(Scope::Subtree(t.street_b), id, &amended, &[], &author())
                .await
                .is_err()
        );

        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let to = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        assert_eq!(
            db.meetings_between(whole, t.street_a, from, to)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            db.meetings_between(whole, t.street_b, from, to)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            db.meetings_between(Scope::Subtree(t.street_b), t.street_a, from, to)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            db.meeting_facts_between(whole, t.street_a, from, to)
                .await
                .unwrap(),
            vec![(
                t.branch_a,
                "themed_party_day".to_string(),
                NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()
            )]
        );
        assert!(
            db.meeting_facts_between(Scope::Subtree(t.street_b), t.street_a, from, to)
                .await
                .unwrap()
                .is_empty()
        );
        let log = db.audit_list(a, Some("meeting"), 10, 0).await.unwrap();
        assert_eq!(log.len(), 2);

        // Two more: full from 1 March 2026 (counted from March) and from 2 March (from April),
        // and one still probationary (never counted).
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let id = |seq| {
            domain::idcard::make_id_number("110105", d(1980, 1, 1), seq, domain::Gender::Male)
        };
        let later = |name: &str, seq, full_on: Option<NaiveDate>| MemberFields {
            status: if full_on.is_some() {
                "full"
            } else {
                "probationary"
            }
            .into(),
            full_on,
            ..member(t.branch_a, name, "x", "x", &id(seq))
        };
        db.member_insert_many(
            whole,
            &[
                later("赵一", 21, Some(d(2026, 3, 1))),
                later("赵二", 41, Some(d(2026, 3, 2))),
                later("赵三", 61, None),
            ],
            &author(),
        )
        .await
        .unwrap();
        let counts = db
            .member_formal_counts_by_month(whole, t.street_a, 2026)
            .await
            .unwrap();
        assert_eq!(
            counts,
            vec![(t.branch_a, [2, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4])],
            "{}",
            db.engine()
        );
        assert_eq!(
            db.member_formal_counts_by_month(whole, t.street_a, 1996)
                .await
                .unwrap(),
            vec![(t.branch_a, [0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2])],
            "full on 1 July 1996: counted at the start of July"
        );
        assert!(
            db.member_formal_counts_by_month(Scope::Subtree(t.street_b), t.street_a, 2026)
                .await
                .unwrap()
                .is_empty()
        );
        let founded = db.org_lifespans(whole, t.street_a).await.unwrap();
        assert_eq!(
            founded.len(),
            4,
            "the street, its community and two branches"
        );
        assert!(
            founded
                .iter()
                .all(|l| l.founded_on.is_some() && l.dissolved_on.is_none())
        );
        assert!(
            db.org_lifespans(Scope::Subtree(t.street_b), t.street_a)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// A meeting of street A's first branch with two members, one present, for the tests below.
async fn meeting_fixture(db: &Db, t: &Tree, held_on: NaiveDate) -> (i64, Vec<i64>) {
    use store::{AttendanceEntry, MeetingFields};
    let whole = Scope::Subtree(t.district);
    let ids = db
        .member_insert_many(
            whole,
            &[
                member(t.branch_a, "张三", "zhangsan", "zs", "110105194912310021"),
                member(t.branch_a, "李四", "lisi", "ls", "110105194912310048"),
                member(t.branch_b, "王五", "wangwu", "ww", "110105194912310064"),
            ],
            &author(),
        )
        .await
        .unwrap();
    let fields = MeetingFields {
        institution: "branch_general_meeting".into(),
        held_on,
        place: "社区党群服务中心".into(),
        chair: "张三".into(),
        recorder: "李四".into(),
        agenda: "".into(),
        minutes: "".into(),
        resolutions: "".into(),
    };
    let attendance = [
        AttendanceEntry {
            member_id: ids[0],
            present: true,
            absence_reason: None,
        },
        // Not yet here: free to sign in on their phone.
        AttendanceEntry {
            member_id: ids[1],
            present: false,
            absence_reason: None,
        },
    ];
    let id = db
        .meeting_create(
            Scope::Subtree(t.street_a),
            t.branch_a,
            &fields,
            &attendance,
            &author(),
        )
        .await
        .unwrap();
    (id, ids)
}

#[tokio::test]
async fn rule_set_versions_number_per_kind_and_are_audited() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        assert!(db.rule_set_versions(t.district).await.unwrap().is_empty());
        let v1 = db
            .rule_set_save(t.district, "*", 2026, "[]", &author())
            .await
            .unwrap();
        let v2 = db
            .rule_set_save(t.district, "*", 2027, "[1]", &author())
            .await
            .unwrap();
        let temp = db
            .rule_set_save(t.district, "temporary", 2026, "[2]", &author())
            .await
            .unwrap();
        assert_eq!((v1, v2, temp), (1, 2, 1), "{}", db.engine());
        let versions = db.rule_set_versions(t.district).await.unwrap();
        assert_eq!(versions.len(), 3);
        assert_eq!(
            versions
                .iter()
                .map(|v| (v.branch_kind.as_str(), v.version, v.effective_year))
                .collect::<Vec<_>>(),
            vec![("*", 2, 2027), ("*", 1, 2026), ("temporary", 1, 2026)]
        );
        assert!(
            db.rule_set_versions(t.street_a).await.unwrap().is_empty(),
            "another instance's root sees none"
        );
        let log = db
            .audit_list(Scope::Subtree(t.district), Some("orglife_rules"), 10, 0)
            .await
            .unwrap();
        assert_eq!(log.len(), 3);
        assert_eq!(db.org_root_ids().await.unwrap(), vec![t.district]);
    }
}

#[tokio::test]
async fn exemptions_stay_in_scope_and_their_withdrawal_is_audited() {
    use store::NewExemption;
    for db in test_dbs().await {
        let t = tree(&db).await;
        let a = Scope::Subtree(t.street_a);
        let b = Scope::Subtree(t.street_b);
        let new = NewExemption {
            institution: Some("themed_party_day".into()),
            from_date: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            to_date: NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
            reason: "春节期间集中走访".into(),
            approval: "甲街道党工委〔2026〕3号".into(),
        };
        let id = db
            .exemption_create(a, t.branch_a, &new, &author())
            .await
            .unwrap();
        assert!(matches!(
            db.exemption_create(b, t.branch_a, &new, &author()).await,
            Err(StoreError::NotFound)
        ));
        let rows = db.exemptions_under(a, t.street_a).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].org_name, "甲一社区第一党支部");
        assert_eq!(rows[0].to_date, new.to_date);
        assert!(db.exemptions_under(b, t.street_a).await.unwrap().is_empty());
        assert!(
            db.exemptions_under(a, t.branch_a2)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            db.exemption_delete(b, id, &author()).await,
            Err(StoreError::NotFound)
        ));
        db.exemption_delete(a, id, &author()).await.unwrap();
        assert!(db.exemptions_under(a, t.street_a).await.unwrap().is_empty());
        let log = db.audit_list(a, Some("exemption"), 10, 0).await.unwrap();
        assert_eq!(
            log.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
            vec!["delete", "create"]
        );
        assert!(log[0].changes.contains("春节期间集中走访"));
    }
}

#[tokio::test]
async fn votes_and_attachments_belong_to_a_meeting_in_scope() {
    use store::NewVote;
    for db in test_dbs().await {
        let t = tree(&db).await;
        let a = Scope::Subtree(t.street_a);
        let b = Scope::Subtree(t.street_b);
        let (meeting, _) =
            meeting_fixture(&db, &t, NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()).await;
        let vote = NewVote {
            decision: "admission".into(),
            subject: "接收李四为预备党员".into(),
            expected: 2,
            present: 2,
            yes: 2,
            against: 0,
            abstain: 0,
            written_yes: 0,
            passed: true,
            rule_version: "orglife-2018.1".into(),
        };
        db.meeting_vote_add(a, meeting, &vote, &author())
            .await
            .unwrap();
        assert!(matches!(
            db.meeting_vote_add(b, meeting, &vote, &author()).await,
            Err(StoreError::NotFound)
        ));
        let votes = db.meeting_votes(a, meeting).await.unwrap();
        assert_eq!(votes.len(), 1);
        assert!(votes[0].passed && votes[0].subject == "接收李四为预备党员");
        assert!(db.meeting_votes(b, meeting).await.is_err());

        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        let file = db
            .meeting_attachment_add(a, meeting, "签到表.jpg", "image/jpeg", &jpeg, &author())
            .await
            .unwrap();
        assert!(
            db.meeting_attachment_add(b, meeting, "x.jpg", "image/jpeg", &jpeg, &author())
                .await
                .is_err()
        );
        let list = db.meeting_attachments(a, meeting).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].size_bytes, list[0].file_name.as_str()),
            (7, "签到表.jpg")
        );
        let (meta, bytes) = db.meeting_attachment_get(a, file).await.unwrap();
        assert_eq!(
            (meta.content_type.as_str(), bytes),
            ("image/jpeg", jpeg.to_vec())
        );
        assert!(matches!(
            db.meeting_attachment_get(b, file).await,
            Err(StoreError::NotFound)
        ));
        let log = db.audit_list(a, None, 20, 0).await.unwrap();
        assert!(log.iter().any(|r| r.entity == "meeting_vote"));
        assert!(log.iter().any(|r| r.entity == "meeting_attachment"));
    }
}

#[tokio::test]
async fn members_sign_in_only_to_their_own_meetings_on_the_day_and_amendments_keep_it() {
    use store::{AttendanceEntry, MeetingFields};
    for db in test_dbs().await {
        let t = tree(&db).await;
        let a = Scope::Subtree(t.street_a);
        let day = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        let (meeting, ids) = meeting_fixture(&db, &t, day).await;
        let open = db.meetings_to_sign_in(ids[1], day).await.unwrap();
        assert_eq!(open.len(), 1);
        assert!(open[0].signed_in_at.is_none());
        assert!(
            db.meetings_to_sign_in(ids[2], day)
                .await
                .unwrap()
                .is_empty(),
            "a member of another branch"
        );
        assert!(
            db.meetings_to_sign_in(ids[1], day.succ_opt().unwrap())
                .await
                .unwrap()
                .is_empty(),
            "another day"
        );
        assert!(matches!(
            db.meeting_sign_in(ids[2], meeting, day, &author()).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.meeting_sign_in(ids[1], meeting, day.succ_opt().unwrap(), &author())
                .await,
            Err(StoreError::NotFound)
        ));
        db.meeting_sign_in(ids[1], meeting, day, &author())
            .await
            .unwrap();
        // Signing in twice changes nothing.
        db.meeting_sign_in(ids[1], meeting, day, &author())
            .await
            .unwrap();
        // Someone the recorder already ticked present keeps the recorder's entry.
        db.meeting_sign_in(ids[0], meeting, day, &author())
            .await
            .unwrap();
        let (_, attendance) = db.meeting_get(a, meeting).await.unwrap();
        assert!(
            attendance
                .iter()
                .find(|x| x.member_id == ids[0])
                .unwrap()
                .signed_in_at
                .is_none()
        );
        let signed = attendance.iter().find(|x| x.member_id == ids[1]).unwrap();
        assert!(signed.present && signed.signed_in_at.is_some());
        let first_time = signed.signed_in_at;

        // The recorder amends the record; the member's own sign-in time stays.
        let fields = MeetingFields {
            institution: "branch_general_meeting".into(),
            held_on: day,
            place: "改在会议室".into(),
            chair: "张三".into(),
            recorder: "李四".into(),
            agenda: "".into(),
            minutes: "".into(),
            resolutions: "".into(),
        };
        let all_present: Vec<AttendanceEntry> = ids[..2]
            .iter()
            .map(|&member_id| AttendanceEntry {
                member_id,
                present: true,
                absence_reason: None,
            })
            .collect();
        db.meeting_update(a, meeting, &fields, &all_present, &author())
            .await
            .unwrap();
        let (_, attendance) = db.meeting_get(a, meeting).await.unwrap();
        assert_eq!(
            attendance
                .iter()
                .find(|x| x.member_id == ids[1])
                .unwrap()
                .signed_in_at,
            first_time
        );
        assert!(
            attendance
                .iter()
                .find(|x| x.member_id == ids[0])
                .unwrap()
                .signed_in_at
                .is_none(),
            "ticked by the recorder"
        );
    }
}

#[tokio::test]
async fn the_outbox_queues_each_key_once_and_inboxes_are_private() {
    use store::{NewMessage, Recipient};
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        let ids = db
            .member_insert_many(
                whole,
                &[member(
                    t.branch_a,
                    "张三",
                    "zhangsan",
                    "zs",
                    "110105194912310021",
                )],
                &author(),
            )
            .await
            .unwrap();
        let officer = db
            .user_create(
                whole,
                &NewUser {
                    username: "secretary".into(),
                    display_name: "书记".into(),
                    password_hash: "x".into(),
                    role: "branch_officer".into(),
                    org_id: t.branch_a,
                    member_id: None,
                },
                &author(),
            )
            .await
            .unwrap();
        let other = db
            .user_create(
                whole,
                &NewUser {
                    username: "other".into(),
                    display_name: "别人".into(),
                    password_hash: "x".into(),
                    role: "branch_officer".into(),
                    org_id: t.branch_b,
                    member_id: None,
                },
                &author(),
            )
            .await
            .unwrap();
        let to_officer = NewMessage {
            org_id: t.branch_a,
            recipient_user_id: Some(officer.id),
            recipient_member_id: None,
            channel: "inbox".into(),
            kind: "orglife_due".into(),
            dedupe_key: "due:1".into(),
            title: "本月待开展".into(),
            body: "主题党日".into(),
            link: "/orglife".into(),
        };
        assert!(db.outbox_enqueue(&to_officer).await.unwrap());
        assert!(!db.outbox_enqueue(&to_officer).await.unwrap(), "same key");
        // Keys are unique within a top organisation: another district's own "due:1" is a
        // message of its own, kept in that district's tree.
        let elsewhere = db
            .org_create(
                Scope::Nothing,
                &org(None, "district_committee", None, "中共邻区委员会"),
                &author(),
            )
            .await
            .unwrap()
            .id;
        let other_tree = NewMessage {
            org_id: elsewhere,
            ..to_officer.clone()
        };
        assert!(db.outbox_enqueue(&other_tree).await.unwrap());
        assert!(!db.outbox_enqueue(&other_tree).await.unwrap());
        let greeting = NewMessage {
            recipient_user_id: None,
            recipient_member_id: Some(ids[0]),
            kind: "political_birthday".into(),
            dedupe_key: "birthday:1".into(),
            ..to_officer.clone()
        };
        assert!(db.outbox_enqueue(&greeting).await.unwrap());
        let nobody = NewMessage {
            recipient_user_id: None,
            dedupe_key: "nobody".into(),
            ..to_officer.clone()
        };
        assert!(matches!(
            db.outbox_enqueue(&nobody).await,
            Err(StoreError::Invalid(_))
        ));

        let me = Recipient {
            user_id: officer.id,
            member_id: None,
            org_id: t.branch_a,
        };
        assert!(
            db.inbox(me, 10).await.unwrap().is_empty(),
            "not delivered yet"
        );
        let pending = db.outbox_undelivered("inbox", 10).await.unwrap();
        assert_eq!(pending.len(), 3);
        assert_eq!(
            pending.iter().map(|m| m.root_org_id).collect::<Vec<_>>(),
            vec![t.district, elsewhere, t.district]
        );
        assert_eq!(db.outbox_undelivered("inbox", 2).await.unwrap().len(), 2);
        db.outbox_mark_failed(&pending[0], "网关超时")
            .await
            .unwrap();
        let retry = db.outbox_undelivered("inbox", 10).await.unwrap();
        assert_eq!(retry[0].attempts, 1);
        assert_eq!(retry[0].last_error.as_deref(), Some("网关超时"));
        for m in &retry {
            db.outbox_mark_delivered(m).await.unwrap();
        }
        assert!(db.outbox_undelivered("inbox", 10).await.unwrap().is_empty());

        let inbox = db.inbox(me, 10).await.unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(db.inbox_unread_count(me).await.unwrap(), 1);
        let stranger = Recipient {
            user_id: other.id,
            member_id: None,
            org_id: t.branch_b,
        };
        assert!(db.inbox(stranger, 10).await.unwrap().is_empty());
        assert!(matches!(
            db.inbox_mark_read(stranger, inbox[0].id).await,
            Err(StoreError::NotFound)
        ));
        db.inbox_mark_read(me, inbox[0].id).await.unwrap();
        assert_eq!(db.inbox_unread_count(me).await.unwrap(), 0);
        // The member's greeting reaches whichever login carries their member id.
        let member_login = Recipient {
            user_id: other.id,
            member_id: Some(ids[0]),
            org_id: t.branch_b,
        };
        assert_eq!(
            db.inbox(member_login, 10).await.unwrap()[0].kind,
            "political_birthday"
        );
    }
}

fn call_unit(level: &str, kind: &str, name: &str, org_id: Option<i64>) -> store::NewCallUnit {
    store::NewCallUnit {
        level: level.into(),
        kind: kind.into(),
        name: name.into(),
        org_id,
        territory_id: None,
        parent_id: None,
    }
}

fn new_call(root: i64, code: &str, org_id: i64, unit: i64) -> store::NewCall {
    store::NewCall {
        root_org_id: root,
        tracking_code: code.into(),
        item_code: "A01".into(),
        item_name: "路灯不亮".into(),
        territory_id: None,
        community_unit_id: unit,
        org_id,
        address: "甲一小区3号楼".into(),
        description: "楼下路灯坏了".into(),
        resident_name: "王五".into(),
        phone: "13900139000".into(),
        channel: "phone".into(),
        status: "submitted".into(),
        level: "community".into(),
        holder_unit_id: unit,
        state: "s0".into(),
        sla: "{}".into(),
    }
}

fn call_change(status: &str, level: &str, holder: i64, state: &str) -> store::CallChange {
    store::CallChange {
        kind: status.into(),
        event: "{}".into(),
        public_note: format!("状态：{status}"),
        status: status.into(),
        level: level.into(),
        holder_unit_id: holder,
        state: state.into(),
        supporting: vec![],
        rollup: vec![],
    }
}

#[tokio::test]
async fn call_units_catalogue_and_work_calendar_are_kept_per_instance() {
    use store::CallItem;
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        let street = db
            .call_unit_insert(
                t.district,
                &call_unit("street", "committee", "甲街道党工委", Some(t.street_a)),
                &author(),
            )
            .await
            .unwrap();
        let mut dept = call_unit("district", "department", "区城管局", None);
        dept.parent_id = Some(street);
        let dept = db
            .call_unit_insert(t.district, &dept, &author())
            .await
            .unwrap();
        let units = db.call_units(t.district).await.unwrap();
        assert_eq!(
            units.iter().map(|u| u.id).collect::<Vec<_>>(),
            vec![street, dept],
            "{}",
            db.engine()
        );
        let got = db.call_unit_get(dept).await.unwrap();
        assert_eq!(got.name, "区城管局");
        assert_eq!(got.kind, "department");
        assert_eq!(got.level, "district");
        assert_eq!(got.root_org_id, t.district);
        assert_eq!(got.parent_id, Some(street));
        assert_eq!(got.org_id, None);
        assert_eq!(
            db.call_unit_get(street).await.unwrap().org_id,
            Some(t.street_a)
        );
        assert!(matches!(
            db.call_unit_get(dept + 1000).await,
            Err(StoreError::NotFound)
        ));
        assert!(db.call_units(t.street_b).await.unwrap().is_empty());
        let log = db
            .audit_list(whole, Some("call_unit"), 10, 0)
            .await
            .unwrap();
        assert_eq!(log.len(), 2);
        assert!(log.iter().all(|r| r.action == "create"));

        // A department handler's login is bound to their unit.
        let handler = db
            .user_create(
                whole,
                &NewUser {
                    username: "chengguan".into(),
                    display_name: "城管办理人".into(),
                    password_hash: "x".into(),
                    role: "call_handler".into(),
                    org_id: t.district,
                    member_id: None,
                },
                &author(),
            )
            .await
            .unwrap();
        assert_eq!(handler.call_unit_id, None);
        db.user_set_call_unit(handler.id, Some(dept), &author())
            .await
            .unwrap();
        assert_eq!(
            db.user_by_id(handler.id)
                .await
                .unwrap()
                .unwrap()
                .call_unit_id,
            Some(dept)
        );
        db.user_set_call_unit(handler.id, None, &author())
            .await
            .unwrap();
        assert_eq!(
            db.user_by_id(handler.id)
                .await
                .unwrap()
                .unwrap()
                .call_unit_id,
            None
        );
        assert!(matches!(
            db.user_set_call_unit(handler.id + 1000, Some(dept), &author())
                .await,
            Err(StoreError::NotFound)
        ));
        let user_log = db.audit_list(whole, Some("user"), 10, 0).await.unwrap();
        assert!(
            user_log
                .iter()
                .filter(|r| r.entity_id == Some(handler.id) && r.action == "update")
                .count()
                >= 2
        );

        // The catalogue: saving the same code again replaces the item.
        let lamp = CallItem {
            code: "A01".into(),
            category_code: "A".into(),
            category_name: "市政设施".into(),
            name: "路灯不亮".into(),
            first_level: "community".into(),
            acknowledge_minutes: 30,
            respond_minutes: 120,
            resolve_minutes: 1440,
            active: true,
        };
        let water = CallItem {
            code: "B01".into(),
            category_code: "B".into(),
            category_name: "供水".into(),
            name: "停水".into(),
            first_level: "street".into(),
            acknowledge_minutes: 15,
            respond_minutes: 60,
            resolve_minutes: 480,
            active: true,
        };
        db.call_items_save(t.district, &[water.clone(), lamp.clone()], &author())
            .await
            .unwrap();
        assert_eq!(
            db.call_items(t.district).await.unwrap(),
            vec![lamp.clone(), water.clone()],
            "ordered by code"
        );
        let lamp2 = CallItem {
            name: "路灯损坏".into(),
            resolve_minutes: 2880,
            active: false,
            ..lamp.clone()
        };
        db.call_items_save(t.district, std::slice::from_ref(&lamp2), &author())
            .await
            .unwrap();
        assert_eq!(
            db.call_items(t.district).await.unwrap(),
            vec![lamp2, water],
            "updated, not duplicated"
        );
        assert!(db.call_items(t.street_a).await.unwrap().is_empty());
        assert_eq!(
            db.audit_list(whole, Some("call_items"), 10, 0)
                .await
                .unwrap()
                .len(),
            2
        );

        // The work calendar: one row per year, the newer content wins.
        db.work_calendar_save(t.district, 2026, r#"["2026-10-01"]"#, "[]", &author())
            .await
            .unwrap();
        db.work_calendar_save(t.district, 2025, "[]", "[]", &author())
            .await
            .unwrap();
        let editor = Author {
            user_id: None,
            name: "第二人".into(),
        };
        db.work_calendar_save(
            t.district,
            2026,
            r#"["2026-10-01","2026-10-02"]"#,
            r#"["2026-09-27"]"#,
            &editor,
        )
        .await
        .unwrap();
        let years = db.work_calendar_years(t.district).await.unwrap();
        assert_eq!(
            years.iter().map(|y| y.year).collect::<Vec<_>>(),
            vec![2025, 2026]
        );
        assert_eq!(years[1].holidays, r#"["2026-10-01","2026-10-02"]"#);
        assert_eq!(years[1].makeup_workdays, r#"["2026-09-27"]"#);
        assert_eq!(years[1].updated_by, "第二人");
        assert!(db.work_calendar_years(t.street_a).await.unwrap().is_empty());
        assert_eq!(
            db.audit_list(whole, Some("work_calendar"), 10, 0)
                .await
                .unwrap()
                .len(),
            3
        );
    }
}

#[tokio::test]
async fn calls_are_scoped_transitions_are_optimistic_and_audited() {
    use store::CallScope;
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        let community_a = db
            .org_list_kind(Scope::Subtree(t.street_a), "community_committee")
            .await
            .unwrap()[0]
            .id;
        let community_b = db
            .org_create(
                whole,
                &org(
                    Some(t.street_b),
                    "community_committee",
                    None,
                    "乙一社区大党委",
                ),
                &author(),
            )
            .await
            .unwrap()
            .id;
        let unit = |level: &'static str, kind: &'static str, name: &'static str, o| {
            let db = db.clone();
            async move {
                db.call_unit_insert(t.district, &call_unit(level, kind, name, o), &author())
                    .await
                    .unwrap()
            }
        };
        let unit_ca = unit("community", "committee", "甲一社区", Some(community_a)).await;
        let unit_cb = unit("community", "committee", "乙一社区", Some(community_b)).await;
        let unit_sa = unit("street", "committee", "甲街道", Some(t.street_a)).await;
        let dept1 = unit("district", "department", "区城管局", None).await;
        let dept2 = unit("district", "department", "区水务局", None).await;

        let first = call_change("submitted", "community", unit_ca, "s0");
        let call_a = db
            .call_create(
                &new_call(t.district, "HJ-A", community_a, unit_ca),
                &first,
                &[
                    ("image/jpeg".into(), vec![1, 2, 3]),
                    ("image/png".into(), vec![4, 5]),
                ],
                &author(),
            )
            .await
            .unwrap();
        let call_b = db
            .call_create(
                &new_call(t.district, "HJ-B", community_b, unit_cb),
                &call_change("submitted", "community", unit_cb, "s0"),
                &[],
                &author(),
            )
            .await
            .unwrap();

        // Scope by org: a street sees its communities' calls only.
        let in_a = CallScope::Orgs(t.street_a);
        let got = db.call_get(in_a, call_a).await.unwrap();
        assert_eq!(got.tracking_code, "HJ-A", "{}", db.engine());
        assert_eq!(got.holder_name, "甲一社区");
        assert_eq!(got.org_id, community_a);
        assert_eq!(got.status, "submitted");
        assert_eq!(got.state, "s0");
        assert_eq!(got.sla, "{}");
        assert!(matches!(
            db.call_get(in_a, call_b).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.call_get(CallScope::Orgs(t.street_b), call_a).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            db.call_get(CallScope::Orgs(t.street_b), call_b)
                .await
                .unwrap()
                .id,
            call_b
        );
        assert_eq!(
            db.call_get(CallScope::Orgs(community_a), call_a)
                .await
                .unwrap()
                .id,
            call_a
        );
        assert!(matches!(
            db.call_get(CallScope::Nothing, call_a).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            db.calls_list(in_a, false, 10, 0)
                .await
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>(),
            vec![call_a]
        );
        assert!(
            db.calls_list(CallScope::Nothing, false, 10, 0)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(db.call_by_tracking_code("HJ-B").await.unwrap().id, call_b);
        assert!(matches!(
            db.call_by_tracking_code("HJ-X").await,
            Err(StoreError::NotFound)
        ));

        // The first event, the photos and the audit row came with the call.
        let events = db.call_events(call_a).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].status_after, "submitted");
        assert_eq!(events[0].holder_unit_id, unit_ca);
        assert_eq!(events[0].actor, "测试");
        let photos = db.call_photo_ids(call_a).await.unwrap();
        assert_eq!(photos.len(), 2);
        assert!(db.call_photo_ids(call_b).await.unwrap().is_empty());
        assert_eq!(
            db.call_photo_get(in_a, photos[0]).await.unwrap(),
            ("image/jpeg".to_string(), vec![1, 2, 3])
        );
        assert_eq!(
            db.call_photo_get(in_a, photos[1]).await.unwrap(),
            ("image/png".to_string(), vec![4, 5])
        );
        assert!(matches!(
            db.call_photo_get(CallScope::Orgs(t.street_b), photos[0])
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.call_photo_get(CallScope::Nothing, photos[0]).await,
            Err(StoreError::NotFound)
        ));
        // Photo bytes per channel and day, for the cap on public uploads.
        let hour = chrono::Duration::hours(1);
        let since = chrono::Utc::now() - hour;
        assert_eq!(
            db.call_photo_bytes_since(t.district, "phone", since)
                .await
                .unwrap(),
            5
        );
        assert_eq!(
            db.call_photo_bytes_since(t.district, "web", since)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            db.call_photo_bytes_since(t.district, "phone", since + hour * 2)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            db.call_photo_bytes_since(t.street_a, "phone", since)
                .await
                .unwrap(),
            0
        );

        // Phone-tail attempts: at most `max` per call, given back when the tail was right.
        assert_eq!(got.tail_failures, 0);
        assert_eq!(db.call_tail_attempt(call_b, 2).await.unwrap(), Some(1));
        db.call_tail_refund(call_b).await.unwrap();
        assert_eq!(db.call_tail_attempt(call_b, 2).await.unwrap(), Some(1));
        assert_eq!(db.call_tail_attempt(call_b, 2).await.unwrap(), Some(2));
        assert_eq!(db.call_tail_attempt(call_b, 2).await.unwrap(), None);
        assert_eq!(
            db.call_by_tracking_code("HJ-B")
                .await
                .unwrap()
                .tail_failures,
            2
        );
        assert_eq!(
            db.call_tail_attempt(call_a, 2).await.unwrap(),
            Some(1),
            "per call"
        );
        db.call_tail_refund(call_a).await.unwrap();
        db.call_tail_refund(call_a).await.unwrap();
        assert_eq!(
            db.call_by_tracking_code("HJ-A")
                .await
                .unwrap()
                .tail_failures,
            0
        );

        let log = db.audit_list(whole, Some("call"), 10, 0).await.unwrap();
        assert_eq!(log.len(), 2);
        let log_a = db
            .audit_list(Scope::Subtree(t.street_a), Some("call"), 10, 0)
            .await
            .unwrap();
        assert_eq!(log_a.len(), 1);
        assert_eq!(log_a[0].action, "create");
        assert_eq!(log_a[0].entity_id, Some(call_a));
        assert_eq!(log_a[0].org_id, community_a);

        // Scope by unit: the holder sees it, a department does not, yet.
        let ca = CallScope::Unit(unit_ca);
        assert_eq!(db.call_get(ca, call_a).await.unwrap().id, call_a);
        assert!(matches!(
            db.call_get(ca, call_b).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.call_get(CallScope::Unit(dept1), call_a).await,
            Err(StoreError::NotFound)
        ));

        // A 吹哨: the street takes the call and calls in a department as support.
        let mut whistle = call_change("whistled", "street", unit_sa, "s1");
        whistle.supporting = vec![dept1];
        db.call_transition(in_a, call_a, "s0", &whistle, &author())
            .await
            .unwrap();
        let got = db.call_get(in_a, call_a).await.unwrap();
        assert_eq!(got.status, "whistled");
        assert_eq!(got.level, "street");
        assert_eq!(got.holder_unit_id, unit_sa);
        assert_eq!(got.holder_name, "甲街道");
        assert_eq!(got.state, "s1");
        assert!(got.updated_at >= got.submitted_at);
        let d1 = CallScope::Unit(dept1);
        assert_eq!(db.call_get(d1, call_a).await.unwrap().id, call_a);
        assert_eq!(
            db.calls_list(d1, false, 10, 0)
                .await
                .unwrap()
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>(),
            vec![call_a]
        );
        assert_eq!(
            db.call_photo_get(d1, photos[0]).await.unwrap().1,
            vec![1, 2, 3]
        );
        assert!(matches!(
            db.call_get(d1, call_b).await,
            Err(StoreError::NotFound)
        ));
        assert!(
            db.calls_list(CallScope::Unit(dept2), false, 10, 0)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            db.call_photo_get(CallScope::Unit(dept2), photos[0]).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            db.call_get(CallScope::Unit(unit_sa), call_a)
                .await
                .unwrap()
                .id,
            call_a
        );
        // The community no longer holds it.
        assert!(matches!(
            db.call_get(ca, call_a).await,
            Err(StoreError::NotFound)
        ));
        let events = db.call_events(call_a).await.unwrap();
        assert_eq!(
            events
                .iter()
                .map(|e| (e.status_after.as_str(), e.holder_unit_id))
                .collect::<Vec<_>>(),
            vec![("submitted", unit_ca), ("whistled", unit_sa)]
        );
        assert_eq!(events[1].kind, "whistled");
        assert_eq!(events[1].public_note, "状态：whistled");
        let log_a = db
            .audit_list(Scope::Subtree(t.street_a), Some("call"), 10, 0)
            .await
            .unwrap();
        assert_eq!(log_a.len(), 2);
        assert_eq!(log_a[0].action, "update");
        assert_eq!(log_a[0].entity_id, Some(call_a));

        // A transition computed from a stale state is refused and writes nothing.
        let mut stale = call_change("closed", "street", unit_sa, "s9");
        stale.supporting = vec![dept2];
        assert!(matches!(
            db.call_transition(in_a, call_a, "s0", &stale, &author())
                .await,
            Err(StoreError::Conflict(_))
        ));
        let got = db.call_get(in_a, call_a).await.unwrap();
        assert_eq!(got.status, "whistled");
        assert_eq!(got.state, "s1");
        assert_eq!(db.call_events(call_a).await.unwrap().len(), 2);
        assert!(matches!(
            db.call_get(CallScope::Unit(dept2), call_a).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            db.audit_list(whole, Some("call"), 10, 0)
                .await
                .unwrap()
                .len(),
            3
        );
        // Out of scope: not found, also nothing written.
        assert!(matches!(
            db.call_transition(CallScope::Orgs(t.street_b), call_a, "s1", &stale, &author())
                .await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(db.call_get(in_a, call_a).await.unwrap().state, "s1");

        // Closed and merged calls leave the open lists.
        let call_c = db
            .call_create(
                &new_call(t.district, "HJ-C", community_a, unit_ca),
                &call_change("submitted", "community", unit_ca, "s0"),
                &[],
                &author(),
            )
            .await
            .unwrap();
        let call_d = db
            .call_create(
                &new_call(t.district, "HJ-D", community_a, unit_ca),
                &call_change("submitted", "community", unit_ca, "s0"),
                &[],
                &author(),
            )
            .await
            .unwrap();
        db.call_transition(
            CallScope::Orgs(t.street_b),
            call_b,
            "s0",
            &call_change("closed", "community", unit_cb, "s2"),
            &author(),
        )
        .await
        .unwrap();
        db.call_transition(
            ca,
            call_c,
            "s0",
            &call_change("merged", "community", unit_ca, "s3"),
            &author(),
        )
        .await
        .unwrap();
        let ids = |rows: Vec<store::CallRow>| rows.iter().map(|c| c.id).collect::<Vec<_>>();
        let all = CallScope::Orgs(t.district);
        assert_eq!(
            ids(db.calls_list(all, false, 10, 0).await.unwrap()),
            vec![call_d, call_c, call_b, call_a],
            "newest first"
        );
        assert_eq!(
            ids(db.calls_list(all, true, 10, 0).await.unwrap()),
            vec![call_d, call_a]
        );
        assert_eq!(
            ids(db.calls_list(all, false, 2, 0).await.unwrap()),
            vec![call_d, call_c]
        );
        assert_eq!(
            ids(db.calls_list(all, false, 2, 2).await.unwrap()),
            vec![call_b, call_a]
        );
        assert_eq!(
            ids(db.calls_list(all, true, 1, 1).await.unwrap()),
            vec![call_a]
        );
        assert!(
            db.calls_list(CallScope::Orgs(t.street_b), true, 10, 0)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            ids(db.calls_list(ca, true, 10, 0).await.unwrap()),
            vec![call_d]
        );
        assert_eq!(
            ids(db.calls_open(t.district).await.unwrap()),
            vec![call_a, call_d]
        );
        assert!(db.calls_open(t.street_a).await.unwrap().is_empty());

        // The list's filters: a state, a unit, a 大类 and a submission window.
        let search = |filter: store::CallFilter| {
            let db = db.clone();
            async move { ids(db.calls_search(all, &filter, 10, 0).await.unwrap()) }
        };
        assert_eq!(
            search(store::CallFilter {
                status: Some("merged".into()),
                ..Default::default()
            })
            .await,
            vec![call_c]
        );
        assert_eq!(
            search(store::CallFilter {
                open: true,
                holder_unit_id: Some(unit_ca),
                ..Default::default()
            })
            .await,
            vec![call_d]
        );
        let category = db.call_get(all, call_a).await.unwrap().item_code[..3].to_string();
        assert_eq!(
            search(store::CallFilter {
                category: Some(category),
                ..Default::default()
            })
            .await
            .len(),
            4
        );
        assert!(
            search(store::CallFilter {
                category: Some("C99".into()),
                ..Default::default()
            })
            .await
            .is_empty()
        );
        let now = chrono::Utc::now();
        assert_eq!(
            search(store::CallFilter {
                submitted_from: Some(now - chrono::Duration::days(1)),
                submitted_before: Some(now + chrono::Duration::days(1)),
                ..Default::default()
            })
            .await
            .len(),
            4
        );
        assert!(
            search(store::CallFilter {
                submitted_before: Some(now - chrono::Duration::days(1)),
                ..Default::default()
            })
            .await
            .is_empty()
        );
    }
}

#[tokio::test]
async fn territory_community_of_finds_the_enclosing_community() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let mut parent = None;
        let mut ids = Vec::new();
        for (level, name) in [
            ("district", "测试区"),
            ("street", "甲街道"),
            ("community", "甲一社区"),
            ("grid", "第1网格"),
            ("building", "3号楼"),
        ] {
            let id = db
                .territory_create(None, parent, level, name, t.district, &author())
                .await
                .unwrap()
                .id;
            ids.push(id);
            parent = Some(id);
        }
        let [district, street, community, grid, building] = ids[..] else {
            unreachable!()
        };
        assert_eq!(
            db.territory_community_of(building).await.unwrap(),
            Some(community),
            "{}",
            db.engine()
        );
        assert_eq!(
            db.territory_community_of(grid).await.unwrap(),
            Some(community)
        );
        assert_eq!(
            db.territory_community_of(community).await.unwrap(),
            Some(community)
        );
        assert_eq!(db.territory_community_of(street).await.unwrap(), None);
        assert_eq!(db.territory_community_of(district).await.unwrap(), None);
        assert_eq!(
            db.territory_community_of(building + 1000).await.unwrap(),
            None
        );
    }
}

/// Two offices saving members at the same moment: every save lands, none fails with "database
/// is locked" (each writer takes SQLite's write lock before its scope check reads).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_wait_for_each_other_instead_of_failing() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let scope = Scope::Subtree(t.district);
        let mut ids = Vec::new();
        for (i, id_number) in ["110105194912310080", "110105194912310101"]
            .into_iter()
            .enumerate()
        {
            let created = db
                .member_create(
                    scope,
                    &member(t.branch_a, &format!("并发{i}"), "bingfa", "bf", id_number),
                    &author(),
                )
                .await
                .unwrap();
            ids.push(created.id);
        }
        let mut writers = tokio::task::JoinSet::new();
        for writer in 0..8 {
            let db = db.clone();
            let id = ids[writer % 2];
            let original = db.member_get(scope, id).await.unwrap();
            writers.spawn(async move {
                let mut failures = Vec::new();
                for round in 0..10 {
                    let mut fields = MemberFields::from(&original);
                    fields.phone = Some(format!("1380013{writer:02}{round:02}"));
                    fields.branch_id = if round % 2 == 0 {
                        t.branch_a
                    } else {
                        t.branch_a2
                    };
                    // A correction of the whole record may be repeated on the same day.
                    let correction = store::BranchMove {
                        on: original.admitted_on,
                        reason: domain::membership::MembershipReason::Correction,
                    };
                    if let Err(e) = db
                        .member_update(scope, id, &fields, Some(correction), &author())
                        .await
                    {
                        failures.push(e.to_string());
                    }
                }
                failures
            });
        }
        let mut failures = Vec::new();
        while let Some(done) = writers.join_next().await {
            failures.extend(done.unwrap());
        }
        assert!(failures.is_empty(), "{}: {failures:?}", db.engine());
        let audited = db
            .audit_list(scope, Some("member"), 1000, 0)
            .await
            .unwrap()
            .iter()
            .filter(|row| row.action == "update")
            .count();
        assert_eq!(
            audited,
            80,
            "{}: every save wrote its audit row",
            db.engine()
        );
    }
}

#[tokio::test]
async fn member_restrictions_are_scoped_kept_with_their_end_and_audited() {
    use store::{NewRestriction, RestrictionEnd};
    for db in test_dbs().await {
        let t = tree(&db).await;
        let a = Scope::Subtree(t.street_a);
        let b = Scope::Subtree(t.street_b);
        let m = db
            .member_create(
                a,
                &member(t.branch_a, "张三", "zhangsan", "zs", "110105194912310021"),
                &author(),
            )
            .await
            .unwrap();
        let new = NewRestriction {
            kind: "party_probation".into(),
            from_date: NaiveDate::from_ymd_opt(2026, 3, 10).unwrap(),
            term_months: Some(12),
            reason: "违反组织纪律".into(),
            approval: "甲街道党工委〔2026〕5号".into(),
        };
        let accept = || -> store::RestrictionCheck<'static> { Box::new(|_, _| Ok(())) };
        // Another street's admin finds no such member, and nothing is written.
        assert!(matches!(
            db.member_restriction_add(b, m.id, &new, &author(), accept())
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.member_restrictions(b, m.id).await,
            Err(StoreError::NotFound)
        ));
        assert!(db.member_restrictions(a, m.id).await.unwrap().is_empty());
        // The check sees the locked member and what is already recorded; its refusal writes
        // nothing.
        let refused = db
            .member_restriction_add(
                a,
                m.id,
                &new,
                &author(),
                Box::new(|member, existing| {
                    assert_eq!(member.name, "张三");
                    assert!(existing.is_empty());
                    Err("不行".into())
                }),
            )
            .await;
        assert!(
            matches!(&refused, Err(StoreError::Invalid(msg)) if msg == "不行"),
            "{refused:?}"
        );
        let id = db
            .member_restriction_add(a, m.id, &new, &author(), accept())
            .await
            .unwrap();
        let suspension = NewRestriction {
            kind: "rights_suspended".into(),
            from_date: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            term_months: None,
            reason: "被依法留置".into(),
            approval: "区纪委通知".into(),
        };
        db.member_restriction_add(
            a,
            m.id,
            &suspension,
            &author(),
            Box::new(|_, existing| {
                assert_eq!(existing.len(), 1, "the check sees the first one");
                Ok(())
            }),
        )
        .await
        .unwrap();
        let list = db.member_restrictions(a, m.id).await.unwrap();
        assert_eq!(
            list.iter()
                .map(|r| (r.kind.as_str(), r.term_months, r.ended_on))
                .collect::<Vec<_>>(),
            vec![
                ("party_probation", Some(12), None),
                ("rights_suspended", None, None)
            ],
            "{}",
            db.engine()
        );
        // The member sees their own restrictions.
        assert_eq!(
            db.member_restrictions(Scope::SelfOnly(m.id), m.id)
                .await
                .unwrap()
                .len(),
            2
        );

        let end = RestrictionEnd {
            ended_on: NaiveDate::from_ymd_opt(2027, 3, 10).unwrap(),
            end_approval: "支部党员大会决定恢复党员权利".into(),
        };
        let accept_end = || -> store::EndCheck<'static> { Box::new(|_| Ok(())) };
        assert!(matches!(
            db.member_restriction_end(b, m.id, id, &end, &author(), accept_end())
                .await,
            Err(StoreError::NotFound)
        ));
        // The restriction must belong to the member named in the path.
        let other = db
            .member_create(
                a,
                &member(t.branch_a, "李四", "lisi", "ls", "110105194912310048"),
                &author(),
            )
            .await
            .unwrap();
        assert!(matches!(
            db.member_restriction_end(a, other.id, id, &end, &author(), accept_end())
                .await,
            Err(StoreError::NotFound)
        ));
        db.member_restriction_end(a, m.id, id, &end, &author(), accept_end())
            .await
            .unwrap();
        let ended = &db.member_restrictions(a, m.id).await.unwrap()[0];
        assert_eq!(ended.ended_on, Some(end.ended_on));
        assert_eq!(
            ended.end_approval.as_deref(),
            Some("支部党员大会决定恢复党员权利")
        );
        assert_eq!(ended.from_date, new.from_date, "the start is kept");
        assert!(ended.ended_by.is_some() && ended.ended_at.is_some());
        // The end check sees the ended row and may refuse a second end.
        let again = db
            .member_restriction_end(
                a,
                m.id,
                id,
                &end,
                &author(),
                Box::new(|r| match r.ended_on {
                    Some(_) => Err("已结束".into()),
                    None => Ok(()),
                }),
            )
            .await;
        assert!(matches!(again, Err(StoreError::Invalid(_))));

        let log = db
            .audit_for_entity(a, "member_restriction", m.id, 10)
            .await
            .unwrap();
        assert_eq!(
            log.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
            vec!["update", "create", "create"]
        );
        assert!(
            log[0].summary.contains("恢复党员权利"),
            "{}",
            log[0].summary
        );
        assert!(log[2].summary.contains("留党察看"), "{}", log[2].summary);
        assert!(
            db.audit_for_entity(b, "member_restriction", m.id, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_meetings_voter_facts_list_its_attendance_with_their_restrictions() {
    use store::NewRestriction;
    for db in test_dbs().await {
        let t = tree(&db).await;
        let a = Scope::Subtree(t.street_a);
        let (meeting, ids) =
            meeting_fixture(&db, &t, NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()).await;
        let mut probationary = MemberFields::from(&db.member_get(a, ids[1]).await.unwrap());
        probationary.status = "probationary".into();
        probationary.full_on = None;
        db.member_update(a, ids[1], &probationary, None, &author())
            .await
            .unwrap();
        let restriction = NewRestriction {
            kind: "party_probation".into(),
            from_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            term_months: Some(24),
            reason: "违纪".into(),
            approval: "某号".into(),
        };
        db.member_restriction_add(a, ids[0], &restriction, &author(), Box::new(|_, _| Ok(())))
            .await
            .unwrap();
        // Not on the list: their restriction is no business of this meeting.
        db.member_restriction_add(
            Scope::Subtree(t.district),
            ids[2],
            &restriction,
            &author(),
            Box::new(|_, _| Ok(())),
        )
        .await
        .unwrap();
        let (attendees, restrictions) = db.meeting_voter_facts(a, meeting).await.unwrap();
        assert_eq!(
            attendees
                .iter()
                .map(|f| (
                    f.member_id,
                    f.present,
                    f.status.as_str(),
                    f.full_on.is_some()
                ))
                .collect::<Vec<_>>(),
            vec![
                (ids[0], true, "full", true),
                (ids[1], false, "probationary", false)
            ],
            "{}",
            db.engine()
        );
        assert_eq!(restrictions.len(), 1);
        assert_eq!(restrictions[0].member_id, ids[0]);
        assert_eq!(restrictions[0].term_months, Some(24));
        assert!(matches!(
            db.meeting_voter_facts(Scope::Subtree(t.street_b), meeting)
                .await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn membership_history_follows_moves_and_corrections_within_scope() {
    use domain::membership::MembershipReason;
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    for db in test_dbs().await {
        let t = tree(&db).await;
        let a = Scope::Subtree(t.street_a);
        let created = db
            .member_create(
                a,
                &member(t.branch_a, "王五", "wangwu", "ww", "110105194912310080"),
                &author(),
            )
            .await
            .unwrap();
        let spans = db.member_history(a, created.id).await.unwrap();
        assert_eq!(spans.len(), 1);
        assert_eq!(
            (spans[0].branch_id, spans[0].from_on),
            (t.branch_a, created.admitted_on)
        );

        let mut moved = MemberFields::from(&created);
        moved.branch_id = t.branch_a2;
        let transfer = store::BranchMove {
            on: d(2024, 3, 15),
            reason: MembershipReason::Transfer,
        };
        db.member_update(a, created.id, &moved, Some(transfer), &author())
            .await
            .unwrap();
        let spans = db.member_history(a, created.id).await.unwrap();
        assert_eq!(spans.len(), 2, "{}", db.engine());
        assert_eq!(spans[0].until_on, Some(d(2024, 3, 15)));
        assert_eq!(spans[1].branch_name, "甲一社区第1网格党支部");
        assert_eq!(spans[1].reason, "transfer");
        // March 2024 still counts for the first branch; April for the second.
        let counts = db
            .member_formal_counts_by_month(a, t.street_a, 2024)
            .await
            .unwrap();
        assert_eq!(
            counts,
            vec![
                (t.branch_a, [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                (t.branch_a2, [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
            ]
        );

        // A transfer dated before the last change would rewrite the past: refused.
        let mut back = moved.clone();
        back.branch_id = t.branch_a;
        let earlier = store::BranchMove {
            on: d(2023, 1, 1),
            reason: MembershipReason::Transfer,
        };
        assert!(matches!(
            db.member_update(a, created.id, &back, Some(earlier), &author())
                .await,
            Err(StoreError::Invalid(_))
        ));
        // The move in fact happened in January: a correction from then, kept in the audit log.
        let correction = store::BranchMove {
            on: d(2024, 1, 10),
            reason: MembershipReason::Correction,
        };
        db.member_update(a, created.id, &moved, Some(correction), &author())
            .await
            .unwrap();
        let spans = db.member_history(a, created.id).await.unwrap();
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[1].from_on, d(2024, 1, 10));
        assert_eq!(spans[1].reason, "correction");
        let log = db
            .audit_for_entity(a, "member", created.id, 10)
            .await
            .unwrap();
        assert!(log[0].changes.contains("membership"), "{}", log[0].changes);

        // Another street sees neither the member nor their history.
        assert!(matches!(
            db.member_history(Scope::Subtree(t.street_b), created.id)
                .await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn the_data_quality_list_names_incomplete_records_in_scope() {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        let mut no_date = member(t.branch_a, "缺日期", "que", "q", "110105194912310080");
        no_date.full_on = None;
        let mut overdue = member(t.branch_a2, "超期预备", "chao", "c", "110105194912310101");
        overdue.status = "probationary".into();
        overdue.full_on = None;
        overdue.admitted_on = d(2024, 5, 1);
        let fine = member(t.branch_b, "完整", "wanzheng", "wz", "110105194912310128");
        db.member_insert_many(whole, &[no_date, overdue, fine], &author())
            .await
            .unwrap();
        let problems = db
            .member_data_problems(whole, d(2025, 11, 29), 100)
            .await
            .unwrap();
        let found: Vec<(&str, &str)> = problems
            .iter()
            .map(|p| (p.member.name.as_str(), p.problem.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("超期预备", "probation_overdue"),
                ("缺日期", "missing_full_on")
            ],
            "{}",
            db.engine()
        );
        assert!(
            db.member_data_problems(Scope::Subtree(t.street_b), d(2025, 11, 29), 100)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn reports_are_archived_in_scope_and_final_once_their_period_is_over() {
    use store::reports::{NewReport, is_final};
    for db in test_dbs().await {
        let t = tree(&db).await;
        let report = |as_of: &str, figures: &str| NewReport {
            org_id: t.street_a,
            kind: "monthly".into(),
            period: "2026-10".into(),
            period_start: "2026-10-01".into(),
            period_end: "2026-10-31".into(),
            as_of: as_of.into(),
            figures: figures.into(),
            made_by: "测试".into(),
        };
        // Made mid-period, then again after the end: the later one replaces it.
        let (id, saved) = db
            .report_save(&report("2026-10-15", "{\"v\":1}"))
            .await
            .unwrap();
        assert!(saved);
        let (again, saved) = db
            .report_save(&report("2026-11-01", "{\"v\":2}"))
            .await
            .unwrap();
        assert!(saved);
        assert_eq!(id, again);
        // Once final, nothing replaces it.
        let (kept, saved) = db
            .report_save(&report("2026-11-20", "{\"v\":3}"))
            .await
            .unwrap();
        assert!(!saved);
        assert_eq!(kept, id);
        let stored = db.report_get(Scope::Subtree(t.street_a), id).await.unwrap();
        assert_eq!(stored.figures, "{\"v\":2}");
        assert_eq!(stored.entry.org_name, "甲街道党工委");
        assert!(is_final(&stored.entry));
        assert_eq!(
            db.report_final_orgs(t.district, "monthly", "2026-10")
                .await
                .unwrap(),
            vec![t.street_a]
        );

        // Another street sees neither the report nor the list.
        assert!(matches!(
            db.report_get(Scope::Subtree(t.street_b), id).await,
            Err(StoreError::NotFound)
        ));
        assert!(
            db.report_list(Scope::Subtree(t.street_b), t.street_a, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            db.report_list(Scope::Subtree(t.district), t.street_a, Some("monthly"), 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert!(
            db.report_list(Scope::Subtree(t.district), t.street_a, Some("weekly"), 10)
                .await
                .unwrap()
                .is_empty()
        );

        // The next month compares itself with October.
        let previous = db
            .report_previous(t.street_a, "monthly", "2026-11-01")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(previous.entry.id, id);
        assert!(
            db.report_previous(t.street_a, "monthly", "2026-10-01")
                .await
                .unwrap()
                .is_none()
        );
        let mut bad = report("2026-11-01", "{}");
        bad.kind = "daily".into();
        assert!(matches!(
            db.report_save(&bad).await,
            Err(StoreError::Invalid(_))
        ));
    }
}

#[tokio::test]
async fn figures_are_read_by_metric_and_branches_found_by_a_figure_within_scope() {
    use domain::rollups::Contribution;
    for db in test_dbs().await {
        let t = tree(&db).await;
        let c = |org_id: i64, period: &str, metric: &str, value: i64| Contribution {
            org_id,
            period: period.into(),
            metric: metric.into(),
            value,
        };
        db.rollup_apply(
            t.district,
            &[
                c(t.branch_a, "2026", "orglife.red", 1),
                c(t.branch_a, "now", "members", 3),
                c(t.branch_a2, "2026", "orglife.red", 1),
                c(t.branch_b, "2026", "orglife.red", 1),
                c(t.branch_b, "2026", "orglife.green", 1),
            ],
        )
        .await
        .unwrap();
        // A branch that was red and no longer is keeps a zero row; it is not listed.
        db.rollup_apply(t.district, &[c(t.branch_a2, "2026", "orglife.red", -1)])
            .await
            .unwrap();
        let red = db
            .rollup_branches_with(t.district, t.street_a, "2026", "orglife.red", 10)
            .await
            .unwrap();
        assert_eq!(red, vec![(t.branch_a, "甲一社区第一党支部".to_string())]);
        let district = db
            .rollup_branches_with(t.district, t.district, "2026", "orglife.red", 10)
            .await
            .unwrap();
        assert_eq!(district.len(), 2);
        let first = db
            .rollup_branches_with(t.district, t.district, "2026", "orglife.red", 1)
            .await
            .unwrap();
        assert_eq!(first.len(), 1);

        // Contributions are summed up the tree; a metric filter returns only what it names.
        let rows = db
            .rollup_read_metrics(
                t.district,
                &[t.street_a, t.street_b],
                &["2026".into(), "now".into()],
                &["orglife.red", "members"],
            )
            .await
            .unwrap();
        let get = |org: i64, metric: &str| {
            rows.iter()
                .find(|r| r.org_id == org && r.metric == metric)
                .map(|r| r.value)
        };
        assert_eq!(get(t.street_a, "orglife.red"), Some(1));
        assert_eq!(get(t.street_a, "members"), Some(3));
        assert_eq!(get(t.street_b, "orglife.red"), Some(1));
        assert_eq!(get(t.street_b, "orglife.green"), None, "not asked for");
        let all = db
            .rollup_read(t.district, &[t.street_b], &["2026".into()])
            .await
            .unwrap();
        assert_eq!(all.len(), 2, "{all:?}");
    }
}

/// Issue 12: the rest of the record (民族, 学历, 籍贯, 党内职务, 参加工作日期) is stored, found by
/// the list's filters and counted in the composition figures, and an edit moves the count.
#[tokio::test]
async fn the_member_record_is_stored_searched_and_counted() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let whole = Scope::Subtree(t.district);
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let secretary = MemberFields {
            ethnicity: Some("回族".into()),
            education: Some("bachelor".into()),
            native_place: Some("重庆市渝中区".into()),
            party_post: Some("secretary".into()),
            party_post_org_id: Some(t.branch_a),
            work_started_on: Some(d(1992, 8, 1)),
            ..member(t.branch_a, "张三", "zhangsan", "zs", "110105194912310021")
        };
        let plain = member(t.branch_a, "李四", "lisi", "ls", "110105194912310048");
        let ids = db
            .member_insert_many(whole, &[secretary.clone(), plain], &author())
            .await
            .unwrap();
        let stored = db.member_get(whole, ids[0]).await.unwrap();
        assert_eq!(MemberFields::from(&stored), secretary, "{}", db.engine());
        let branch = "甲一社区第一党支部".to_string();
        assert_eq!(
            db.member_org_names(&stored).await.unwrap(),
            (branch.clone(), Some(branch))
        );

        let names =
            |rows: Vec<store::MemberRow>| rows.into_iter().map(|r| r.name).collect::<Vec<_>>();
        let find = |filter: MemberFilter| {
            let db = db.clone();
            async move { names(db.member_search(whole, &filter, 50, 0).await.unwrap()) }
        };
        assert_eq!(
            find(MemberFilter {
                education: Some("bachelor".into()),
                ..Default::default()
            })
            .await,
            vec!["张三"]
        );
        assert_eq!(
            find(MemberFilter {
                education: Some("unknown".into()),
                ..Default::default()
            })
            .await,
            vec!["李四"]
        );
        assert_eq!(
            find(MemberFilter {
                ethnicity: Some("回族".into()),
                ..Default::default()
            })
            .await,
            vec!["张三"]
        );
        assert_eq!(
            find(MemberFilter {
                party_post: Some("any".into()),
                ..Default::default()
            })
            .await,
            vec!["张三"]
        );
        let rows = db
            .member_search(whole, &MemberFilter::default(), 50, 0)
            .await
            .unwrap();
        let row = rows.iter().find(|r| r.name == "张三").unwrap();
        assert_eq!(row.party_post_org.as_deref(), Some("甲一社区第一党支部"));
        assert_eq!(row.work_started_on, Some(d(1992, 8, 1)));

        let education = |metric: &'static str| {
            let db = db.clone();
            async move {
                db.rollup_read_metrics(t.district, &[t.district], &["now".into()], &[metric])
                    .await
                    .unwrap()
                    .first()
                    .map_or(0, |r| r.value)
            }
        };
        assert_eq!(education("education.bachelor").await, 1);
        assert_eq!(education("education.unknown").await, 1);
        let graduate = MemberFields {
            education: Some("postgraduate".into()),
            ..secretary
        };
        db.member_update(whole, ids[0], &graduate, None, &author())
            .await
            .unwrap();
        assert_eq!(education("education.bachelor").await, 0);
        assert_eq!(education("education.postgraduate").await, 1);
    }
}

#[tokio::test]
async fn names_of_finds_orgs_territories_and_skips_unknown_ids() {
    use store::audit::Named;
    for db in test_dbs().await {
        let t = tree(&db).await;
        let mut names = db
            .names_of(Named::Org, &[t.branch_a, t.street_a, 999_999])
            .await
            .unwrap();
        names.sort();
        let mut expected = vec![
            (t.branch_a, "甲一社区第一党支部".to_string()),
            (
                t.street_a,
                db.org_get(Scope::Subtree(t.district), t.street_a)
                    .await
                    .unwrap()
                    .name,
            ),
        ];
        expected.sort();
        assert_eq!(names, expected, "{}", db.engine());
        assert!(db.names_of(Named::Territory, &[]).await.unwrap().is_empty());
        assert!(
            db.names_of(Named::CallUnit, &[999_999])
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// Issue 12: a member's own page lists the year's meetings of their branch with attendance.
#[tokio::test]
async fn a_member_s_meetings_are_their_branch_s_with_their_attendance() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let day = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        let (meeting, ids) = meeting_fixture(&db, &t, day).await;
        let january = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let december = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let present = db.member_meetings(ids[0], january, december).await.unwrap();
        assert_eq!(present.len(), 1, "{}", db.engine());
        assert_eq!(
            (present[0].meeting.id, present[0].present),
            (meeting, Some(true))
        );
        let absent = db.member_meetings(ids[1], january, december).await.unwrap();
        assert_eq!(absent[0].present, Some(false));
        assert!(
            db.member_meetings(ids[2], january, december)
                .await
                .unwrap()
                .is_empty(),
            "a member of another branch"
        );
        assert!(
            db.member_meetings(ids[0], december, december)
                .await
                .unwrap()
                .is_empty(),
            "outside the period"
        );
    }
}

fn applicant(
    branch: i64,
    name: &str,
    id_number: &str,
    due: Option<NaiveDate>,
) -> store::NewApplicant {
    store::NewApplicant {
        branch_id: branch,
        name: name.into(),
        id_number: id_number.into(),
        phone: None,
        work_unit: None,
        category: "in_service".into(),
        rule_version: "rules_2014".into(),
        stage: "applicant".into(),
        applied_on: NaiveDate::from_ymd_opt(2026, 10, 8).unwrap(),
        next_due_on: due,
        next_due_what: due.map(|_| "派人谈话".into()),
        file: "{}".into(),
    }
}

fn step_record(stage: &str) -> store::StepRecord {
    store::StepRecord {
        action: "talk".into(),
        on_date: NaiveDate::from_ymd_opt(2026, 10, 20).unwrap(),
        handled_by: "张书记".into(),
        document: "谈话记录".into(),
        detail: "{}".into(),
        summary: "党组织派人谈话（2026-10-20）".into(),
        stage: stage.into(),
        next_due_on: None,
        next_due_what: None,
        file: "{\"stage\":\"talked\"}".into(),
    }
}

#[tokio::test]
async fn applicant_files_are_kept_in_their_branch_and_steps_append_under_a_version() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let (a, b) = (Scope::Subtree(t.street_a), Scope::Subtree(t.street_b));
        let early = NaiveDate::from_ymd_opt(2026, 11, 8);
        let late = NaiveDate::from_ymd_opt(2026, 12, 8);
        let first = db
            .applicant_create(
                a,
                &applicant(t.branch_a, "林一", "110101199505010011", late),
                &author(),
            )
            .await
            .unwrap();
        let second = db
            .applicant_create(
                a,
                &applicant(t.branch_a2, "林二", "110101199505010029", early),
                &author(),
            )
            .await
            .unwrap();
        // A branch outside the scope, or an org that is no branch, takes no file.
        assert!(matches!(
            db.applicant_create(
                a,
                &applicant(t.branch_b, "林三", "110101199505010037", None),
                &author()
            )
            .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.applicant_create(
                a,
                &applicant(t.street_a, "林三", "110101199505010037", None),
                &author()
            )
            .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.applicant_get(b, first).await,
            Err(StoreError::NotFound)
        ));
        assert!(
            db.applicants(b, &Default::default())
                .await
                .unwrap()
                .is_empty()
        );

        // Due first; filtered by org, stage and due day.
        let all = db.applicants(a, &Default::default()).await.unwrap();
        assert_eq!(
            all.iter().map(|x| x.id).collect::<Vec<_>>(),
            vec![second, first]
        );
        let only_a2 = store::ApplicantFilter {
            org_id: Some(t.branch_a2),
            ..Default::default()
        };
        assert_eq!(db.applicants(a, &only_a2).await.unwrap().len(), 1);
        let due_soon = store::ApplicantFilter {
            due_by: NaiveDate::from_ymd_opt(2026, 11, 30),
            stages: vec!["applicant".into()],
            ..Default::default()
        };
        let soon = db.applicants(a, &due_soon).await.unwrap();
        assert_eq!(soon.iter().map(|x| x.id).collect::<Vec<_>>(), vec![second]);

        // A step moves the version on; a step on the old version is a conflict.
        let file = db.applicant_get(a, first).await.unwrap();
        db.applicant_record_step(a, first, file.version, &step_record("talked"), &author())
            .await
            .unwrap();
        assert!(matches!(
            db.applicant_record_step(a, first, file.version, &step_record("talked"), &author())
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            db.applicant_record_step(
                b,
                first,
                file.version + 1,
                &step_record("talked"),
                &author()
            )
            .await,
            Err(StoreError::NotFound)
        ));
        let after = db.applicant_get(a, first).await.unwrap();
        assert_eq!(after.stage, "talked");
        assert_eq!(after.version, file.version + 1);
        assert_eq!(after.next_due_on, None);
        let steps = db.applicant_steps(a, first).await.unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].handled_by, "张书记");
        assert!(matches!(
            db.applicant_steps(b, first).await,
            Err(StoreError::NotFound)
        ));

        // The number is taken while the file is open, and by a member.
        assert!(
            db.applicant_id_number_taken("110101199505010011")
                .await
                .unwrap()
        );
        assert!(
            !db.applicant_id_number_taken("110101199505010037")
                .await
                .unwrap()
        );
        let m = db
            .member_create(
                a,
                &member(t.branch_a, "林一", "linyi", "ly", "110101199505010011"),
                &author(),
            )
            .await
            .unwrap();
        db.applicant_link_member(a, first, m.id).await.unwrap();
        assert_eq!(
            db.applicant_get(a, first).await.unwrap().member_id,
            Some(m.id)
        );
        assert!(matches!(
            db.applicant_link_member(b, first, m.id).await,
            Err(StoreError::NotFound)
        ));
    }
}

fn transfer_request(
    member: &store::Member,
    to: Option<i64>,
    direction: &str,
) -> store::NewTransfer {
    store::NewTransfer {
        direction: direction.into(),
        member_id: Some(member.id),
        name: member.name.clone(),
        id_number: member.id_number.clone(),
        from_org_id: Some(member.branch_id),
        from_text: None,
        to_org_id: to,
        to_text: to.is_none().then(|| "外地某党委".to_string()),
        reach: "within_district".into(),
        state: "requested".into(),
        reason: "居住地变动".into(),
        requested_on: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        issued_on: None,
        valid_until: None,
        letter_number: None,
        incoming: None,
    }
}

fn transfer_step(
    action: &str,
    on: NaiveDate,
    state: &str,
    effect: Option<store::MemberEffect>,
) -> store::TransferStepRecord {
    store::TransferStepRecord {
        action: action.into(),
        on_date: on,
        handled_by: "书记".into(),
        document: String::new(),
        letter_number: None,
        summary: action.into(),
        facts: store::TransferFacts {
            state: state.into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 10, 2),
            valid_until: NaiveDate::from_ymd_opt(2026, 10, 11),
            reissued: 0,
            received_on: (state == "received").then_some(on),
            receipt_on: None,
            withdrawn_on: None,
        },
        member_effect: effect,
        link_member: None,
    }
}

#[tokio::test]
async fn a_transfer_is_seen_from_both_ends_and_receiving_moves_the_member_with_history() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let (a, b) = (Scope::Subtree(t.street_a), Scope::Subtree(t.street_b));
        let m = db
            .member_create(
                a,
                &member(t.branch_a, "迁一", "qianyi", "qy", "110105194912310080"),
                &author(),
            )
            .await
            .unwrap();
        // Requested by the sending street for a branch of the other street.
        let id = db
            .transfer_create(
                a,
                m.branch_id,
                &transfer_request(&m, Some(t.branch_b), "within"),
                &author(),
            )
            .await
            .unwrap();
        assert!(matches!(
            db.transfer_create(
                a,
                m.branch_id,
                &transfer_request(&m, Some(t.branch_b), "within"),
                &author()
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            db.transfer_create(
                b,
                m.branch_id,
                &transfer_request(&m, Some(t.branch_b), "within"),
                &author()
            )
            .await,
            Err(StoreError::NotFound)
        ));
        // Both ends see it; a scope with neither end does not.
        assert_eq!(db.transfer_get(b, id).await.unwrap().state, "requested");
        assert_eq!(db.transfers(a, &Default::default()).await.unwrap().len(), 1);
        assert!(matches!(
            db.transfer_get(Scope::Subtree(t.branch_a2), id).await,
            Err(StoreError::NotFound)
        ));
        let issued_on = NaiveDate::from_ymd_opt(2026, 10, 2).unwrap();
        let v = db.transfer_get(a, id).await.unwrap().version;
        db.transfer_record_step(
            a,
            id,
            v,
            &transfer_step("issue", issued_on, "issued", None),
            &author(),
        )
        .await
        .unwrap();
        assert!(matches!(
            db.transfer_record_step(
                a,
                id,
                v,
                &transfer_step("issue", issued_on, "issued", None),
                &author()
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        // The receiving end receives; the member moves, keeping the sending branch's months.
        let received = NaiveDate::from_ymd_opt(2026, 10, 5).unwrap();
        let v = db.transfer_get(b, id).await.unwrap().version;
        db.transfer_record_step(
            b,
            id,
            v,
            &transfer_step(
                "receive",
                received,
                "received",
                Some(store::MemberEffect::MoveTo {
                    branch_id: t.branch_b,
                    on: received,
                }),
            ),
            &author(),
        )
        .await
        .unwrap();
        let moved = db.member_get(b, m.id).await.unwrap();
        assert_eq!(moved.branch_id, t.branch_b);
        let spans = db.member_history(b, m.id).await.unwrap();
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].branch_id, t.branch_a);
        assert_eq!(spans[0].until_on, Some(received));
        let steps = db.transfer_steps(b, id).await.unwrap();
        assert_eq!(
            steps.iter().map(|s| s.action.as_str()).collect::<Vec<_>>(),
            ["issue", "receive"]
        );

        // A letter to an organisation outside that nobody received expires and flags the member;
        // received there, the member leaves the roll.
        let other = db
            .member_create(
                a,
                &member(t.branch_a, "迁二", "qianer", "qe", "110105195001010012"),
                &author(),
            )
            .await
            .unwrap();
        let out = db
            .transfer_create(
                a,
                other.branch_id,
                &transfer_request(&other, None, "out"),
                &author(),
            )
            .await
            .unwrap();
        let v = db.transfer_get(a, out).await.unwrap().version;
        db.transfer_record_step(
            a,
            out,
            v,
            &transfer_step("issue", issued_on, "issued", None),
            &author(),
        )
        .await
        .unwrap();
        assert_eq!(
            db.transfers_expire(NaiveDate::from_ymd_opt(2026, 10, 12).unwrap(), &author())
                .await
                .unwrap(),
            1
        );
        assert!(db.member_get(a, other.id).await.unwrap().pocket);
        assert_eq!(db.transfer_get(a, out).await.unwrap().state, "expired");
        let left_on = NaiveDate::from_ymd_opt(2026, 10, 20).unwrap();
        let v = db.transfer_get(a, out).await.unwrap().version;
        db.transfer_record_step(
            a,
            out,
            v,
            &transfer_step(
                "receive",
                left_on,
                "received",
                Some(store::MemberEffect::Leave { on: left_on }),
            ),
            &author(),
        )
        .await
        .unwrap();
        let gone = db.member_get(a, other.id).await.unwrap();
        assert_eq!(gone.left_on, Some(left_on));
        assert!(!gone.pocket);
        let listed = db
            .member_search(a, &MemberFilter::default(), 50, 0)
            .await
            .unwrap();
        assert!(listed.iter().all(|r| r.id != other.id), "off the roll");
    }
}

#[tokio::test]
async fn a_campaign_lists_quiet_members_and_its_cases_carry_the_lost_contact_flag() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let (a, b) = (Scope::Subtree(t.street_a), Scope::Subtree(t.street_b));
        let m = db
            .member_create(
                a,
                &member(t.branch_a, "寻一", "xunyi", "xy", "110105194912310080"),
                &author(),
            )
            .await
            .unwrap();
        let activity = db.lost_contact_activity(a, t.street_a).await.unwrap();
        assert_eq!(activity.len(), 1);
        assert_eq!(activity[0].last_meeting, None);
        assert!(matches!(
            db.lost_contact_activity(b, t.street_a).await,
            Err(StoreError::NotFound)
        ));
        let started = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let suspects = [store::lost_contact::Suspect {
            member_id: m.id,
            branch_id: m.branch_id,
            why: "quiet".into(),
            last_activity: None,
        }];
        let id = db
            .lost_contact_campaign_create(a, t.street_a, "排查", started, 6, &suspects, &author())
            .await
            .unwrap();
        assert_eq!(db.lost_contact_campaigns(a).await.unwrap()[0].cases, 1);
        assert!(db.lost_contact_campaigns(b).await.unwrap().is_empty());
        let case = db.lost_contact_cases(a, id).await.unwrap().remove(0);
        assert!(matches!(
            db.lost_contact_case(b, case.id).await,
            Err(StoreError::NotFound)
        ));
        // A member in an open case is not listed again.
        assert!(
            db.lost_contact_activity(a, t.street_a)
                .await
                .unwrap()
                .is_empty()
        );
        db.lost_contact_attempt_add(a, case.id, started, "phone", false, "停机", &author())
            .await
            .unwrap();
        assert_eq!(db.lost_contact_attempts(a, case.id).await.unwrap().len(), 1);
        let decision = store::lost_contact::CaseDecision {
            state: "lost".into(),
            cause: Some("moved".into()),
            found_on: None,
            lost_on: Some(started),
            suspended_on: None,
            removed_on: None,
            summary: "确认失联".into(),
            member_effects: vec![store::MemberEffect::LostContact(true)],
        };
        db.lost_contact_decide(a, case.id, case.version, &decision, &author())
            .await
            .unwrap();
        assert!(db.member_get(a, m.id).await.unwrap().lost_contact);
        let case = db.lost_contact_case(a, case.id).await.unwrap();
        assert_eq!((case.state.as_str(), case.attempts), ("lost", 1));
        assert!(matches!(
            db.lost_contact_decide(a, case.id, case.version - 1, &decision, &author())
                .await,
            Err(StoreError::Conflict(_))
        ));
    }
}

#[tokio::test]
async fn a_plan_is_kept_per_committee_and_year_and_progress_is_counted_from_the_steps() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let (a, b) = (Scope::Subtree(t.street_a), Scope::Subtree(t.street_b));
        let quotas = store::admission_plans::Quotas {
            activists: 10,
            dev_objects: 5,
            probationary: 3,
        };
        assert_eq!(db.admission_plan(a, t.street_a, 2026).await.unwrap(), None);
        db.admission_plan_save(a, t.street_a, 2026, quotas, &author())
            .await
            .unwrap();
        db.admission_plan_save(
            a,
            t.street_a,
            2026,
            store::admission_plans::Quotas {
                activists: 12,
                ..quotas
            },
            &author(),
        )
        .await
        .unwrap();
        let plan = db
            .admission_plan(a, t.street_a, 2026)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(plan.quotas.activists, 12);
        assert_eq!(db.admission_plan(a, t.street_a, 2025).await.unwrap(), None);
        assert!(matches!(
            db.admission_plan_save(b, t.street_a, 2026, quotas, &author())
                .await,
            Err(StoreError::NotFound)
        ));
        // A step of 2026 in a branch below counts; one of 2025 does not.
        let file = db
            .applicant_create(
                a,
                &applicant(t.branch_a, "林一", "110101199505010011", None),
                &author(),
            )
            .await
            .unwrap();
        for on in [(2025, 12, 31), (2026, 1, 1)] {
            let version = db.applicant_get(a, file).await.unwrap().version;
            let step = store::StepRecord {
                action: "name_activist".into(),
                on_date: NaiveDate::from_ymd_opt(on.0, on.1, on.2).unwrap(),
                handled_by: String::new(),
                document: String::new(),
                detail: "{}".into(),
                summary: "确定入党积极分子".into(),
                stage: "activist".into(),
                next_due_on: None,
                next_due_what: None,
                file: "{}".into(),
            };
            db.applicant_record_step(a, file, version, &step, &author())
                .await
                .unwrap();
        }
        let done = db.admission_done(a, t.street_a, 2026).await.unwrap();
        assert_eq!((done.activists, done.dev_objects), (1, 0));
        assert_eq!(
            db.admission_done(a, t.street_a, 2025)
                .await
                .unwrap()
                .activists,
            1
        );
        assert_eq!(
            db.admission_done(a, t.branch_a2, 2026)
                .await
                .unwrap()
                .activists,
            0
        );

        // Grants: given with the document, withdrawn, and only in the scope.
        db.admission_grant_set(a, t.street_a, Some("组织部〔2026〕5号"), &author())
            .await
            .unwrap();
        assert_eq!(
            db.admission_grants(&[t.street_a, t.street_b])
                .await
                .unwrap(),
            vec![(t.street_a, "组织部〔2026〕5号".to_string())]
        );
        db.admission_grant_set(a, t.street_a, None, &author())
            .await
            .unwrap();
        assert!(db.admission_grants(&[t.street_a]).await.unwrap().is_empty());
        assert!(matches!(
            db.admission_grant_set(b, t.street_a, Some("x"), &author())
                .await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn the_commit_marker_moves_with_every_write_and_only_then() {
    use store::commits::CommitWatch;
    for db in test_dbs().await {
        // On PostgreSQL the snapshot also moves with the writes of the tests running beside this
        // one on the same server (a miss, never a stale page, see store::commits), so that it
        // stays put is checked on SQLite only; that it moves, on both.
        let alone = matches!(*db, store::Db::Sqlite(_));
        let unchanged = |now: &str, before: &str| {
            if alone {
                assert_eq!(now, before);
            }
        };
        let watch = CommitWatch::new(db.db());
        let first = watch.marker().await.unwrap();
        // Reading does not move it: not a read through the pool, nor the marker's own.
        db.org_list_kind(Scope::Nothing, "branch").await.unwrap();
        unchanged(&watch.marker().await.unwrap(), &first);
        let t = tree(&db).await;
        let after_write = watch.marker().await.unwrap();
        assert_ne!(after_write, first, "{}", db.engine());
        // Nor does a read that scope refuses.
        assert!(
            db.org_get(Scope::Subtree(t.street_a), t.branch_b)
                .await
                .is_err()
        );
        unchanged(&watch.marker().await.unwrap(), &after_write);
        // A second watcher, opened before the next write, sees it as the first does.
        let other = CommitWatch::new(db.db());
        let other_before = other.marker().await.unwrap();
        db.org_create(
            Scope::Subtree(t.street_a),
            &org(
                Some(t.street_a),
                "branch",
                Some("community"),
                "标记测试支部",
            ),
            &author(),
        )
        .await
        .unwrap();
        assert_ne!(
            watch.marker().await.unwrap(),
            after_write,
            "{}",
            db.engine()
        );
        assert_ne!(
            other.marker().await.unwrap(),
            other_before,
            "{}",
            db.engine()
        );
    }
}

fn points_entry(member_id: i64, on: (i32, u32, u32), points: i64) -> store::points::NewPointsEntry {
    store::points::NewPointsEntry {
        member_id,
        branch_id: None,
        on_date: NaiveDate::from_ymd_opt(on.0, on.1, on.2).unwrap(),
        item_code: "manual_award".into(),
        points,
        source: "manual".into(),
        source_key: None,
        source_id: None,
        reason: "带头参加防汛".into(),
        approver: Some("王书记".into()),
        reverses: None,
    }
}

#[tokio::test]
async fn the_points_ledger_only_grows_records_each_fact_once_and_stays_in_scope() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let (a, b) = (Scope::Subtree(t.street_a), Scope::Subtree(t.street_b));
        let m = db
            .member_create(
                a,
                &member(t.branch_a, "钱一", "qianyi", "qy", "110105194912310021"),
                &author(),
            )
            .await
            .unwrap();
        let first = db
            .points_entry_add(a, &points_entry(m.id, (2026, 3, 5), 300), &author())
            .await
            .unwrap()
            .unwrap();
        // A correction is a second entry that points back at the first.
        let reversal = store::points::NewPointsEntry {
            points: -300,
            reverses: Some(first),
            reason: "登记错误".into(),
            ..points_entry(m.id, (2026, 3, 6), 0)
        };
        db.points_entry_add(a, &reversal, &author())
            .await
            .unwrap()
            .unwrap();
        assert!(
            db.points_entry_add(a, &reversal, &author()).await.is_err(),
            "reversed twice"
        );
        // An automatic entry is recorded once however often its source reports it.
        let attended = store::points::NewPointsEntry {
            item_code: "meeting_attended".into(),
            source: "meeting".into(),
            source_key: Some("meeting:7:0".into()),
            source_id: Some(7),
            approver: None,
            ..points_entry(m.id, (2026, 4, 1), 100)
        };
        assert!(
            db.points_entry_add(a, &attended, &author())
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            db.points_entry_add(a, &attended, &author()).await.unwrap(),
            None
        );
        // Another year's entry is that year's.
        db.points_entry_add(a, &points_entry(m.id, (2025, 12, 31), 100), &author())
            .await
            .unwrap();

        let entries = db.points_entries_of_member(a, m.id, 2026).await.unwrap();
        assert_eq!(
            entries.iter().map(|e| e.points).collect::<Vec<_>>(),
            [300, -300, 100]
        );
        assert_eq!(entries[1].reverses, Some(first));
        assert_eq!(entries[0].branch_id, t.branch_a);
        let march = db
            .points_entries_of_branch(
                a,
                t.branch_a,
                NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(march.len(), 2);
        // The member sees their own ledger; another street sees nothing of it.
        assert_eq!(
            db.points_entries_of_member(Scope::SelfOnly(m.id), m.id, 2026)
                .await
                .unwrap()
                .len(),
            3
        );
        assert!(matches!(
            db.points_entries_of_member(b, m.id, 2026).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.points_entry_add(b, &points_entry(m.id, (2026, 5, 1), 100), &author())
                .await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.points_entry_get(b, first).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(db.points_entry_get(a, first).await.unwrap().points, 300);
        // The database itself refuses to change or remove an entry.
        assert!(!store::testing::try_statement(&db, "UPDATE points_entries SET points = 0").await);
        assert!(!store::testing::try_statement(&db, "DELETE FROM points_entries").await);
        assert!(store::testing::try_statement(&db, "SELECT COUNT(*) FROM points_entries").await);
        assert_eq!(
            db.points_entries_of_member(a, m.id, 2026)
                .await
                .unwrap()
                .len(),
            3
        );
        let scored = db
            .points_members_of_branch(a, t.branch_a, 2026)
            .await
            .unwrap();
        assert_eq!(scored.iter().map(|m| m.id).collect::<Vec<_>>(), [m.id]);
        assert!(
            db.points_members_of_branch(a, t.branch_a2, 2026)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            db.points_members_of_branch(b, t.branch_a, 2026).await,
            Err(StoreError::NotFound)
        ));
        let log = db.audit_list(a, Some("points_entry"), 10, 0).await.unwrap();
        assert_eq!(log.len(), 3, "manual entries and corrections are audited");
    }
}

#[tokio::test]
async fn points_schemes_are_versioned_by_year_and_read_nearest_org_first() {
    for db in test_dbs().await {
        let t = tree(&db).await;
        let (whole, a, b) = (
            Scope::Subtree(t.district),
            Scope::Subtree(t.street_a),
            Scope::Subtree(t.street_b),
        );
        db.points_scheme_save(
            whole,
            t.district,
            None,
            2025,
            Some("company"),
            "{\"v\":1}",
            "区积分方案",
            &author(),
        )
        .await
        .unwrap();
        db.points_scheme_save(
            a,
            t.branch_a,
            Some("retired"),
            2026,
            None,
            "{\"v\":2}",
            "离退休方案",
            &author(),
        )
        .await
        .unwrap();
        // Saving the same version again replaces it rather than adding one.
        db.points_scheme_save(
            a,
            t.branch_a,
            Some("retired"),
            2026,
            None,
            "{\"v\":3}",
            "离退休方案",
            &author(),
        )
        .await
        .unwrap();
        let over = db.points_schemes_over(a, t.branch_a).await.unwrap();
        assert_eq!(
            over.iter()
                .map(|s| (s.org_id, s.body.as_str()))
                .collect::<Vec<_>>(),
            [(t.branch_a, "{\"v\":3}"), (t.district, "{\"v\":1}")]
        );
        assert!(matches!(
            db.points_schemes_over(b, t.branch_a).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            db.points_scheme_save(b, t.branch_a, None, 2026, None, "{}", "x", &author())
                .await,
            Err(StoreError::NotFound)
        ));
        db.points_register_confirm(a, t.branch_a, "2026-03", 4, &author())
            .await
            .unwrap();
        db.points_register_confirm(a, t.branch_a, "2026-03", 5, &author())
            .await
            .unwrap();
        let registers = db.points_registers(a, t.branch_a, 2026).await.unwrap();
        assert_eq!(registers.len(), 1);
        assert_eq!(registers[0].entries, 5);
        assert!(
            db.points_registers(a, t.branch_a, 2025)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            db.points_register_confirm(b, t.branch_a, "2026-04", 1, &author())
                .await,
            Err(StoreError::NotFound)
        ));
    }
}

#[tokio::test]
async fn appraisal_ballots_are_sealed_until_close_and_cast_once() {
    use store::appraisal::{BallotLine, ReviewLine};
    for db in test_dbs().await {
        let t = tree(&db).await;
        let (a, b) = (Scope::Subtree(t.street_a), Scope::Subtree(t.street_b));
        let m1 = db
            .member_create(
                a,
                &member(t.branch_a, "钱一", "qianyi", "qy", "110105194912310021"),
                &author(),
            )
            .await
            .unwrap();
        let m2 = db
            .member_create(
                a,
                &member(t.branch_a, "孙二", "suner", "se", "110105194912310048"),
                &author(),
            )
            .await
            .unwrap();
        let id = db
            .appraisal_open(a, t.branch_a, 2026, "{}", "{}", &author())
            .await
            .unwrap();
        assert!(matches!(
            db.appraisal_open(a, t.branch_a, 2026, "{}", "{}", &author())
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            db.appraisal_open(b, t.branch_a, 2025, "{}", "{}", &author())
                .await,
            Err(StoreError::NotFound)
        ));
        let line = |m: i64, g: &str| BallotLine {
            subject_member_id: m,
            grade: g.into(),
            comment: None,
        };
        db.appraisal_cast(
            id,
            "self",
            &format!("member:{}", m1.id),
            &[line(m1.id, "excellent")],
        )
        .await
        .unwrap();
        db.appraisal_cast(
            id,
            "peers",
            &format!("member:{}", m1.id),
            &[line(m2.id, "qualified")],
        )
        .await
        .unwrap();
        assert!(matches!(
            db.appraisal_cast(
                id,
                "peers",
                &format!("member:{}", m1.id),
                &[line(m2.id, "excellent")]
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        db.appraisal_masses_record(id, m2.id, [3, 5, 1, 0], &author())
            .await
            .unwrap();
        db.appraisal_masses_record(id, m2.id, [4, 5, 1, 0], &author())
            .await
            .unwrap();
        assert!(
            db.appraisal_has_voted(id, "peers", &format!("member:{}", m1.id))
                .await
                .unwrap()
        );
        assert!(
            !db.appraisal_has_voted(id, "peers", &format!("member:{}", m2.id))
                .await
                .unwrap()
        );
        // While open only the turnout can be read, by anyone.
        let turnout = db.appraisal_turnout(id).await.unwrap();
        assert_eq!(
            (
                turnout.self_reviews,
                turnout.peer_raters,
                turnout.organisation,
                turnout.masses_members
            ),
            (1, 1, false, 1)
        );
        assert!(matches!(
            db.appraisal_tallies(id).await,
            Err(StoreError::Conflict(_))
        ));
        db.appraisal_set_state(a, id, "open", "closed", &author())
            .await
            .unwrap();
        assert!(matches!(
            db.appraisal_set_state(a, id, "open", "closed", &author())
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            db.appraisal_cast(
                id,
                "peers",
                &format!("member:{}", m2.id),
                &[line(m1.id, "excellent")]
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        assert!(
            db.appraisal_masses_record(id, m1.id, [1, 0, 0, 0], &author())
                .await
                .is_err()
        );
        let mut tallies: Vec<(i64, String, String, i64)> = db
            .appraisal_tallies(id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.subject_member_id, t.grp, t.grade, t.count))
            .collect();
        tallies.sort();
        let mut expected = vec![
            (m1.id, "self".to_string(), "excellent".to_string(), 1),
            (m2.id, "peers".into(), "qualified".into(), 1),
            (m2.id, "masses".into(), "excellent".into(), 4),
            (m2.id, "masses".into(), "qualified".into(), 5),
            (m2.id, "masses".into(), "basic".into(), 1),
        ];
        expected.sort();
        assert_eq!(tallies, expected);
        // A member reaches their own branch's campaign; another street does not.
        assert_eq!(
            db.appraisal_get(Scope::SelfOnly(m1.id), id)
                .await
                .unwrap()
                .state,
            "closed"
        );
        assert!(matches!(
            db.appraisal_get(b, id).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            db.appraisal_of(a, t.branch_a, 2026)
                .await
                .unwrap()
                .unwrap()
                .id,
            id
        );

        // The decision, and the 公示.
        let lines = vec![
            ReviewLine {
                member_id: m1.id,
                total: Some(9_000),
                proposed: Some("excellent".into()),
                decided: "excellent".into(),
            },
            ReviewLine {
                member_id: m2.id,
                total: Some(8_000),
                proposed: Some("qualified".into()),
                decided: "qualified".into(),
            },
        ];
        let on = NaiveDate::from_ymd_opt(2026, 12, 20).unwrap();
        assert!(
            !db.points_year_reviewed_under(t.district, 2026)
                .await
                .unwrap()
        );
        db.points_review_record(
            a,
            t.branch_a,
            2026,
            &lines,
            on,
            "2026年12月支部党员大会",
            &author(),
        )
        .await
        .unwrap();
        db.points_review_record(
            a,
            t.branch_a,
            2026,
            &lines,
            on,
            "2026年12月支部党员大会",
            &author(),
        )
        .await
        .unwrap();
        assert_eq!(
            db.points_reviews(a, t.branch_a, 2026).await.unwrap().len(),
            2
        );
        assert!(
            db.points_year_reviewed_under(t.district, 2026)
                .await
                .unwrap()
        );
        assert!(
            !db.points_year_reviewed_under(t.street_b, 2026)
                .await
                .unwrap()
        );
        assert!(matches!(
            db.points_reviews(b, t.branch_a, 2026).await,
            Err(StoreError::NotFound)
        ));
        let q3 = (
            NaiveDate::from_ymd_opt(2026, 10, 8).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 14).unwrap(),
        );
        let p = db
            .points_publish(a, t.branch_a, "2026-Q3", q3.0, q3.1, "[]", &author())
            .await
            .unwrap();
        assert!(matches!(
            db.points_publish(a, t.branch_a, "2026-Q3", q3.0, q3.1, "[]", &author())
                .await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(
            db.points_publication(Scope::SelfOnly(m2.id), p)
                .await
                .unwrap()
                .period,
            "2026-Q3"
        );
        assert!(matches!(
            db.points_publication(b, p).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(
            db.points_publications(a, t.branch_a).await.unwrap().len(),
            1
        );
        assert!(matches!(
            db.points_publications(b, t.branch_a).await,
            Err(StoreError::NotFound)
        ));
    }
}
