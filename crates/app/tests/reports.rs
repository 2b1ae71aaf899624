//! Weekly and monthly reports on both engines: a community set up by hand with members whose
//! figures are counted here by hand, the report's frozen figures and its comparison with the
//! previous report, the archive's finality, and scope (a street admin sees only their street).

mod support;

use chrono::{Duration, NaiveDate};
use dangjian_app::demo::DemoOptions;
use dangjian_app::members::{MemberInput, today};
use dangjian_app::orgs::OrgInput;
use dangjian_app::reports::reportable_periods;
use dangjian_app::{App, AppError};
use domain::Gender;
use domain::reports::ReportKind;

fn member(
    branch: i64,
    seq: u16,
    born: NaiveDate,
    gender: Gender,
    category: &str,
    status: &str,
) -> MemberInput {
    let admitted = today() - Duration::days(365 * 12);
    MemberInput {
        branch_id: branch,
        name: format!("报告测试{seq}"),
        id_number: domain::idcard::make_id_number("110107", born, seq, gender),
        category: category.into(),
        status: status.into(),
        admitted_on: if status == "预备党员" {
            (today() - Duration::days(100)).to_string()
        } else {
            admitted.to_string()
        },
        full_on: if status == "预备党员" {
            String::new()
        } else {
            (admitted + Duration::days(366)).to_string()
        },
        ..Default::default()
    }
}

#[tokio::test]
async fn a_report_freezes_hand_counted_figures_and_says_what_changed() {
    let options = DemoOptions {
        members: 120,
        seed: 5,
        password: Some("Test2026pass".into()),
        ..Default::default()
    };
    for db in support::demo_dbs(&options).await {
        let app = App::new(db.db());
        let admin = app.actor_by_username("admin").await.unwrap();
        let street_admin = app.actor_by_username("street_admin").await.unwrap();
        let street = street_admin.org_id;

        // The demo's first sweep made last week's and last month's reports for every committee.
        let archive = app.reports(&admin, None, None).await.unwrap();
        assert_eq!(archive.len(), 2, "{archive:?}");
        assert!(archive.iter().all(|r| r.is_final));

        // A new community with one branch and five members counted by hand.
        let org = |parent: i64, kind: &str, name: &str| OrgInput {
            parent_id: Some(parent),
            kind: kind.into(),
            branch_kind: if kind == "branch" {
                "community".into()
            } else {
                String::new()
            },
            name: name.into(),
            territory_id: None,
            founded_on: (today() - Duration::days(30)).to_string(),
            dissolved_on: String::new(),
            secretary: String::new(),
            phone: String::new(),
        };
        let community = app
            .create_org(
                &admin,
                &org(street, "community_committee", "报告测试社区党委"),
            )
            .await
            .unwrap()
            .id;
        let branch = app
            .create_org(&admin, &org(community, "branch", "报告测试社区第一党支部"))
            .await
            .unwrap()
            .id;
        let year = |y: i64| today() - Duration::days(365 * y + 40);
        let fixture = [
            (year(70), Gender::Male, "离退休", "正式党员"),
            (year(66), Gender::Female, "离退休", "正式党员"),
            (year(40), Gender::Female, "在职", "正式党员"),
            (year(30), Gender::Male, "在职", "正式党员"),
            (year(25), Gender::Female, "在职", "预备党员"),
        ];
        for (seq, (born, gender, category, status)) in fixture.iter().enumerate() {
            app.create_member(
                &admin,
                &member(branch, 600 + seq as u16, *born, *gender, category, status),
            )
            .await
            .unwrap();
        }

        let this_month = reportable_periods(ReportKind::Monthly, today())[1];
        let id = app
            .report_make(&admin, Some(community), "monthly", Some(&this_month.key()))
            .await
            .unwrap();
        let report = app.report(&admin, id).await.unwrap();
        assert!(!report.is_final, "a month still running is reported so far");
        assert_eq!(report.previous_period, None, "the community's first report");
        let m = &report.figures.members;
        let part = |parts: &[dangjian_app::dashboard::Part], code: &str| {
            parts.iter().find(|p| p.code == code).map_or(0, |p| p.value)
        };
        assert_eq!(m.total, 5);
        assert_eq!(part(&m.by_status, "full"), 4);
        assert_eq!(part(&m.by_status, "probationary"), 1);
        assert_eq!(part(&m.by_category, "retired"), 2);
        assert_eq!(part(&m.by_category, "in_service"), 3);
        assert_eq!(part(&m.by_gender, "male"), 2);
        assert_eq!(part(&m.by_gender, "female"), 3);
        assert_eq!(m.by_age.iter().map(|p| p.value).sum::<i64>(), 5);
        assert_eq!(report.figures.calls.year.received, 0);

        // The street's monthly report of last month is the one this month's compares with.
        let street_report = app
            .report_make(&street_admin, None, "monthly", Some(&this_month.key()))
            .await
            .unwrap();
        let street_report = app.report(&street_admin, street_report).await.unwrap();
        let last_month = reportable_periods(ReportKind::Monthly, today())[0];
        assert_eq!(street_report.previous_period, Some(last_month.label()));
        assert_eq!(
            street_report.changes[0], "新增党员 5 人",
            "{:?}",
            street_report.changes
        );

        // Made again mid-period it is replaced; the finished month's report stays as it was.
        app.create_member(
            &admin,
            &member(branch, 700, year(50), Gender::Male, "在职", "正式党员"),
        )
        .await
        .unwrap();
        let again = app
            .report_make(&admin, Some(community), "monthly", Some(&this_month.key()))
            .await
            .unwrap();
        assert_eq!(again, id);
        assert_eq!(
            app.report(&admin, id).await.unwrap().figures.members.total,
            6
        );
        let final_id = archive.iter().find(|r| r.kind == "monthly").unwrap().id;
        let frozen = app.report(&admin, final_id).await.unwrap();
        let remade = app
            .report_make(&admin, None, "monthly", Some(&last_month.key()))
            .await
            .unwrap();
        assert_eq!(remade, final_id);
        assert_eq!(
            app.report(&admin, final_id)
                .await
                .unwrap()
                .figures
                .members
                .total,
            frozen.figures.members.total,
            "a final report does not move"
        );

        // Periods other than the current and the last finished are refused in words.
        let old = app
            .report_make(&admin, None, "monthly", Some("2020-01"))
            .await;
        assert!(
            matches!(old, Err(AppError::Invalid(ref m)) if m.contains("只能生成")),
            "{old:?}"
        );
        assert!(matches!(
            app.report_make(&admin, None, "daily", None).await,
            Err(AppError::Invalid(_))
        ));

        // Scope: the street admin reads their street's reports, not the district's, nor
        // another street's, and cannot make one for an org outside their street.
        let district_report = archive[0].id;
        assert!(matches!(
            app.report(&street_admin, district_report).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.reports(&street_admin, Some(admin.org_id), None).await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.report_make(&street_admin, Some(admin.org_id), "weekly", None)
                .await,
            Err(AppError::NotFound)
        ));
        let overview = app.overview(&street_admin, None).await.unwrap();
        assert_eq!(overview.org_id, street);
        assert!(matches!(
            app.overview(&street_admin, Some(admin.org_id)).await,
            Err(AppError::NotFound)
        ));

        // The workbook opens with the heading sheet and carries the figures as numbers.
        let (bytes, name) = app.report_xlsx(&admin, id).await.unwrap();
        assert!(name.ends_with(".xlsx") && name.contains("月报"));
        assert!(bytes.starts_with(b"PK"));
    }
}

#[tokio::test]
async fn the_sweep_makes_each_report_once() {
    let options = DemoOptions {
        members: 60,
        seed: 9,
        password: Some("Test2026pass".into()),
        ..Default::default()
    };
    for db in support::demo_dbs(&options).await {
        let app = App::new(db.db());
        let admin = app.actor_by_username("admin").await.unwrap();
        // The demo made them; the sweep finds nothing left to make.
        let report = app.sweep(dangjian_app::calls::local_now()).await.unwrap();
        assert_eq!(report.reports_made, 0);
        let committees = app.reports_due(admin.org_id, today()).await.unwrap();
        assert_eq!(committees, 0);
        assert!(
            !app.reports(&admin, None, Some("weekly"))
                .await
                .unwrap()
                .is_empty()
        );
    }
}
