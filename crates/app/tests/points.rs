//! Points (积分制) end to end on both engines: manual entries and their refusals, corrections
//! by reversal, the entries a meeting gives by itself (once, and corrected when the attendance
//! is amended), a member's view, the branch's table, the register, and scope.

mod support;

use chrono::Datelike;
use dangjian_app::demo::DemoOptions;
use dangjian_app::members::today;
use dangjian_app::orglife::MeetingInput;
use dangjian_app::points::ManualEntryInput;
use dangjian_app::{App, AppError};

fn award(member_id: i64, points: &str) -> ManualEntryInput {
    ManualEntryInput {
        member_id,
        item_code: "manual_award".into(),
        points: points.into(),
        reason: "带头参加社区防汛".into(),
        approver: "王书记".into(),
        on_date: String::new(),
    }
}

#[tokio::test]
async fn points_are_entered_corrected_and_earned_by_attending_within_scope() {
    let options = DemoOptions {
        members: 60,
        seed: 11,
        password: Some("Test2026pass".into()),
        ..Default::default()
    };
    for db in support::demo_dbs(&options).await {
        let app = App::new(db.db());
        let secretary = app.actor_by_username("branch_secretary").await.unwrap();
        let member_actor = app.actor_by_username("member").await.unwrap();
        let street_admin = app.actor_by_username("street_admin").await.unwrap();
        let branch = secretary.org_id;
        let roster = app.meeting_roster(&secretary, branch).await.unwrap();
        let me = member_actor.member_id.unwrap();
        let other = roster.iter().find(|m| m.id != me).unwrap().id;
        let year = today().year();
        let before = app.member_points(&secretary, other, year).await.unwrap();
        // The demo's own facts scored as they would have: its members' dues payments.
        let demo_dues = before
            .lines
            .iter()
            .filter(|l| l.source == "党费交纳")
            .count();
        assert!(demo_dues > 0, "{:?}", before.lines);
        assert!(
            before.lines.iter().any(|l| l.source == "手工登记"),
            "the demo's own awards"
        );

        // Refusals, each with its own message, and nothing written.
        let refused = |r: Result<i64, AppError>| match r {
            Err(AppError::Invalid(m) | AppError::Refused(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let no_reason = ManualEntryInput {
            reason: " ".into(),
            ..award(other, "2")
        };
        assert_eq!(
            refused(app.add_points_entry(&secretary, &no_reason).await),
            "请填写加减分事由"
        );
        let no_approver = ManualEntryInput {
            approver: String::new(),
            ..award(other, "2")
        };
        assert_eq!(
            refused(app.add_points_entry(&secretary, &no_approver).await),
            "请填写审核人"
        );
        assert!(
            refused(app.add_points_entry(&secretary, &award(other, "-2")).await).contains("加分项")
        );
        assert!(
            refused(app.add_points_entry(&secretary, &award(other, "abc")).await).contains("分值")
        );
        let unknown = ManualEntryInput {
            item_code: "no_such_item".into(),
            ..award(other, "2")
        };
        assert!(refused(app.add_points_entry(&secretary, &unknown).await).contains("没有这一项"));
        // A member cannot award themself, even one who is also an officer.
        let officer_member = dangjian_app::Actor {
            member_id: Some(other),
            ..secretary.clone()
        };
        assert!(
            refused(
                app.add_points_entry(&officer_member, &award(other, "2"))
                    .await
            )
            .contains("自己")
        );
        assert!(matches!(
            app.add_points_entry(&member_actor, &award(other, "2"))
                .await,
            Err(AppError::Forbidden)
        ));
        // Outside the scope: not found, as if it did not exist.
        let stranger = dangjian_app::Actor {
            org_id: street_admin.org_id + 1_000_000,
            ..secretary.clone()
        };
        assert!(matches!(
            app.add_points_entry(&stranger, &award(other, "2")).await,
            Err(AppError::NotFound)
        ));
        assert_eq!(
            app.member_points(&secretary, other, year)
                .await
                .unwrap()
                .lines
                .len(),
            before.lines.len()
        );

        // A capped item: the preset's manual award is capped per year; going over says what is left.
        let scheme = dangjian_app::points::DEFAULT_PRESET;
        let preset = domain::points::presets()
            .into_iter()
            .find(|(c, _)| *c == scheme)
            .unwrap()
            .1;
        let item = preset
            .item("manual_award")
            .expect("the default preset has a manual award");
        let first = app
            .add_points_entry(&secretary, &award(other, &item.points.to_string()))
            .await
            .unwrap();
        if let Some(cap) = item.cap_per_year {
            let over = (cap + domain::points::Points(100)).to_string();
            assert!(
                refused(app.add_points_entry(&secretary, &award(other, &over)).await)
                    .contains("每年最多")
            );
        }

        // A correction is a second line; the first stays, and it cannot be corrected twice.
        let reversal = app
            .reverse_points_entry(&secretary, first, "登记错人")
            .await
            .unwrap();
        assert!(matches!(
            app.reverse_points_entry(&secretary, first, "再冲一次")
                .await,
            Err(AppError::Refused(_) | AppError::Conflict(_))
        ));
        assert!(matches!(
            app.reverse_points_entry(&secretary, reversal, "冲正的冲正")
                .await,
            Err(AppError::Refused(_))
        ));
        let after = app.member_points(&secretary, other, year).await.unwrap();
        let line = after.lines.iter().find(|l| l.id == first).unwrap();
        assert_eq!(line.reversed_by, Some(reversal));
        assert_eq!(
            after.scoring.as_ref().map(|s| s.total),
            before.scoring.as_ref().map(|s| s.total)
        );

        // Attending a meeting earns points once; amending the record to an absence reverses them.
        let meeting = MeetingInput {
            institution: "themed_party_day".into(),
            held_on: today().to_string(),
            place: "党员活动室".into(),
            chair: "书记".into(),
            recorder: "组织委员".into(),
            present: vec![me],
            absent: roster
                .iter()
                .filter(|m| m.id != me)
                .map(|m| (m.id, "出差".to_string()))
                .collect(),
            ..Default::default()
        };
        let id = app
            .record_meeting(&secretary, branch, &meeting)
            .await
            .unwrap();
        let attended = preset.item("meeting_attended").unwrap().signed_points();
        let mine = app.member_points(&member_actor, me, year).await.unwrap();
        let from_meeting: Vec<_> = mine
            .lines
            .iter()
            .filter(|l| l.source == "组织生活" && l.reason.contains(&today().to_string()))
            .collect();
        assert_eq!(from_meeting.len(), 1, "{from_meeting:?}");
        assert_eq!(from_meeting[0].points, attended);
        // Recording the same attendance again (an amendment that changes nothing) adds nothing.
        app.amend_meeting(&secretary, id, &meeting).await.unwrap();
        let again = app.member_points(&member_actor, me, year).await.unwrap();
        assert_eq!(again.lines.len(), mine.lines.len());
        let absent = MeetingInput {
            present: vec![],
            absent: roster.iter().map(|m| (m.id, "出差".to_string())).collect(),
            ..meeting.clone()
        };
        app.amend_meeting(&secretary, id, &absent).await.unwrap();
        let corrected = app.member_points(&member_actor, me, year).await.unwrap();
        assert_eq!(corrected.lines.len(), mine.lines.len() + 1);
        let last = corrected.lines.last().unwrap();
        assert_eq!(last.points, -attended);
        assert_eq!(last.reverses, Some(from_meeting[0].id));
        // Back to present: a new entry, since the first one stays reversed.
        app.amend_meeting(&secretary, id, &meeting).await.unwrap();
        let back = app.member_points(&member_actor, me, year).await.unwrap();
        assert_eq!(back.lines.len(), corrected.lines.len() + 1);
        assert_eq!(back.lines.last().unwrap().points, attended);

        // The member sees their rank; only their own points.
        assert!(back.rank.is_some());
        assert!(matches!(
            app.member_points(&member_actor, other, year).await,
            Err(AppError::NotFound)
        ));

        // The branch's table ranks everyone it scores, and exports.
        let table = app
            .branch_points(&secretary, branch, &year.to_string())
            .await
            .unwrap();
        assert!(
            table
                .rows
                .iter()
                .any(|r| r.member_id == me && r.total.is_some())
        );
        let ranks: Vec<u32> = table.rows.iter().filter_map(|r| r.rank).collect();
        assert!(ranks.windows(2).all(|w| w[0] <= w[1]));
        let excellent = table
            .rows
            .iter()
            .filter(|r| r.grade == Some(domain::points::Grade::Excellent))
            .count();
        let scored = table.rows.iter().filter(|r| r.total.is_some()).count();
        assert!(
            excellent * 3 <= scored,
            "优秀 ≤ 1/3: {excellent} of {scored}"
        );
        let (bytes, name) = app
            .branch_points_xlsx(&secretary, branch, &year.to_string())
            .await
            .unwrap();
        assert!(bytes.starts_with(b"PK") && name.ends_with(".xlsx"));
        assert!(matches!(
            app.branch_points(&member_actor, branch, &year.to_string())
                .await,
            Err(AppError::Forbidden)
        ));
        assert!(matches!(
            app.branch_points(&stranger, branch, &year.to_string())
                .await,
            Err(AppError::NotFound)
        ));
        assert!(matches!(
            app.branch_points(&secretary, branch, "2026-13").await,
            Err(AppError::Invalid(_))
        ));

        // A month's dues paid in that month scores the on-time item once, in the payer's ledger.
        let this_month = format!("{}-{:02}", year, today().month());
        let payment = dangjian_app::dues::PaymentInput {
            from_month: this_month.clone(),
            paid_on: today().to_string(),
            ..Default::default()
        };
        let mut paid = None;
        for m in &roster {
            if app
                .record_dues_payment(&secretary, m.id, &payment)
                .await
                .is_ok()
            {
                paid = Some(m.id);
                break;
            }
        }
        let paid = paid.expect("someone in the branch owes this month's dues");
        let on_time = preset.item("dues_on_time").unwrap().signed_points();
        let dues_lines: Vec<_> = app
            .member_points(&secretary, paid, year)
            .await
            .unwrap()
            .lines
            .into_iter()
            .filter(|l| l.source == "党费交纳" && l.reason.contains(&this_month))
            .collect();
        assert_eq!(dues_lines.len(), 1, "{dues_lines:?}");
        assert_eq!(dues_lines[0].points, on_time);
        assert!(
            app.record_dues_payment(&secretary, paid, &payment)
                .await
                .is_err(),
            "paid twice"
        );

        // The register: a month that has ended can be confirmed; the current one cannot.
        let this_month = format!("{}-{:02}", year, today().month());
        assert!(matches!(
            app.confirm_points_month(&secretary, branch, &this_month)
                .await,
            Err(AppError::Refused(_))
        ));
        let last_month = today().with_day(1).unwrap().pred_opt().unwrap();
        let last_month = format!("{}-{:02}", last_month.year(), last_month.month());
        app.confirm_points_month(&secretary, branch, &last_month)
            .await
            .unwrap();
        let table = app
            .branch_points(&secretary, branch, &last_month[..4])
            .await
            .unwrap();
        assert!(table.registered.contains(&last_month));
    }
}
