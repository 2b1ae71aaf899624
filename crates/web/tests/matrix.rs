//! Every route of the router, walked from its route table (`web::routes::all`), for every demo
//! role on its own data and on another street's, and without a login; and every state-changing
//! route without its CSRF token. A route added to the table without a case here fails
//! `every_route_has_a_case`, so no route goes untested.
//!
//! What is asserted outright: another street's data is refused to every role but the district's
//! (403 or 404) and nothing there changes; a request without a login reaches nothing; a browser
//! session without the CSRF token changes nothing. Which role may use which route on its own
//! data is kept as a snapshot (`snapshots/matrix__own_scope.snap`), so that a change of
//! permission shows in review.

mod support;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Datelike;
use serde_json::{Value, json};

use app::Actor;
use dangjian_web as web;
use store::{MemberFilter, Scope};
use support::*;
use web::routes::{Reach, Route};

/// The demo logins, least trusted first: an accepted write can change what the next role sees
/// (a record ended, a token revoked), and the more trusted roles come after it.
const ROLES: [&str; 5] = [
    "member",
    "branch_secretary",
    "community_admin",
    "street_admin",
    "admin",
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    /// Data in the `member` login's branch, which every demo login's scope holds.
    Own,
    /// Data in another street, outside every login's scope but the district's.
    Foreign,
}

/// The standing objects on one side.
struct Objects {
    community: i64,
    branch: i64,
    member: i64,
    territory: i64,
    meeting: i64,
    attachment: i64,
    report: i64,
    call: i64,
    photo: i64,
    /// A login on this side that the user-management routes act on.
    user: i64,
    /// A 发展党员 file in the branch.
    applicant: i64,
    /// A letter from outside registered for the branch.
    transfer: i64,
    /// A 摸查 under the branch, and one of its cases.
    campaign: i64,
    case: i64,
}

enum Payload {
    None,
    Form(Vec<(String, String)>),
    Json(Value),
    Multipart(Vec<(String, String)>, Vec<(String, String, Vec<u8>)>),
}

/// One request of the walk.
struct Attempt {
    uri: String,
    payload: Payload,
}

/// What a route is for, as far as scope goes.
enum Case {
    /// Open to anyone (static files, the login form, the residents' forms, Open311's lists).
    Public,
    /// A scoped request: built for a side and a role (some objects are used up by an accepted
    /// write and are made afresh for each request).
    Scoped,
    /// Behind a login but naming nothing of another org: the caller's own account, lists of
    /// their own scope, the instance-wide settings. Walked for roles, logins and CSRF; there is
    /// no other street's object to send.
    Own,
}

fn form(pairs: &[(&str, &str)]) -> Payload {
    Payload::Form(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The table of cases: every (method, path) of the router must be here.
fn case(method: &str, path: &str) -> Option<Case> {
    use Case::*;
    Some(match (method, path) {
        ("GET", "/healthz")
        | ("GET", "/static/htmx.min.js")
        | ("GET", "/static/app.js")
        | ("GET", "/static/app.css")
        | ("GET", "/static/dashboard.js")
        | ("GET", "/static/vendor/echarts.min.js")
        | ("GET", "/favicon.ico")
        | ("GET", "/login")
        | ("POST", "/login")
        | ("GET", "/public/calls/new")
        | ("POST", "/public/calls")
        | ("GET", "/public/calls/places")
        | ("GET", "/public/calls/track")
        | ("POST", "/public/calls/track")
        | ("POST", "/public/calls/rate")
        | ("GET", "/open311/v2/services.json")
        | ("GET", "/open311/v2/services/{file}")
        | ("GET", "/open311/v2/requests.json")
        | ("POST", "/open311/v2/requests.json")
        | ("GET", "/open311/v2/requests/{file}")
        | ("GET", "/open311/v2/locations.json")
        | ("GET", "/open311/v2/{file}")
        | ("POST", "/open311/v2/{file}") => Public,
        ("GET", "/")
        | ("GET", "/dashboard/export")
        | ("GET", "/reports")
        | ("POST", "/reports")
        | ("GET", "/reports/{id}")
        | ("GET", "/reports/{id}/xlsx")
        | ("POST", "/orgs")
        | ("GET", "/orgs/{id}")
        | ("POST", "/orgs/{id}")
        | ("POST", "/orgs/{id}/concurrent")
        | ("POST", "/territory")
        | ("GET", "/territory/{id}")
        | ("GET", "/members")
        | ("POST", "/members")
        | ("POST", "/members/import")
        | ("GET", "/members/export")
        | ("GET", "/members/{id}")
        | ("POST", "/members/{id}")
        | ("GET", "/members/{id}/edit")
        | ("POST", "/members/{id}/dues/base")
        | ("POST", "/members/{id}/dues/payments")
        | ("POST", "/members/{id}/dues/waivers")
        | ("POST", "/members/{id}/restrictions")
        | ("POST", "/members/{id}/restrictions/{restriction}/end")
        | ("GET", "/orglife")
        | ("GET", "/orglife/new")
        | ("GET", "/orglife/export")
        | ("POST", "/orglife/meetings")
        | ("GET", "/orglife/meetings/{id}")
        | ("POST", "/orglife/meetings/{id}")
        | ("GET", "/orglife/meetings/{id}/edit")
        | ("POST", "/orglife/meetings/{id}/votes")
        | ("POST", "/orglife/meetings/{id}/attachments")
        | ("POST", "/orglife/meetings/{id}/signin")
        | ("GET", "/orglife/attachments/{id}")
        | ("POST", "/orglife/exemptions")
        | ("POST", "/orglife/exemptions/{id}/delete")
        | ("POST", "/calls")
        | ("GET", "/calls/photos/{id}")
        | ("GET", "/calls/{id}")
        | ("POST", "/calls/{id}/act")
        | ("GET", "/api/v1/calls/{id}")
        | ("GET", "/api/v1/orglife/ledger")
        | ("POST", "/api/v1/orglife/meetings")
        | ("GET", "/api/v1/orglife/meetings/{id}")
        | ("POST", "/api/v1/calls/{id}/actions")
        | ("POST", "/inbox/{id}/read")
        | ("GET", "/dues")
        | ("GET", "/dues/export")
        | ("GET", "/dues/year")
        | ("POST", "/dues/expenses")
        | ("POST", "/dues/sheet")
        | ("POST", "/users")
        | ("POST", "/users/{id}/password")
        | ("POST", "/users/{id}/unlock")
        | ("GET", "/users/{id}/tokens")
        | ("POST", "/users/{id}/tokens/{token}/revoke")
        | ("POST", "/tokens/{id}/revoke")
        | ("POST", "/api/v1/orgs")
        | ("GET", "/api/v1/orgs/{id}")
        | ("PUT", "/api/v1/orgs/{id}")
        | ("GET", "/api/v1/orgs/{id}/children")
        | ("GET", "/api/v1/members")
        | ("POST", "/api/v1/members")
        | ("GET", "/api/v1/members/{id}")
        | ("PUT", "/api/v1/members/{id}")
        | ("GET", "/api/v1/members/{id}/restrictions")
        | ("POST", "/api/v1/members/{id}/restrictions")
        | ("POST", "/api/v1/members/{id}/restrictions/{restriction}/end")
        | ("POST", "/api/v1/users")
        | ("GET", "/api/v1/dues/notice")
        | ("GET", "/api/v1/stats/overview")
        | ("GET", "/api/v1/reports")
        | ("GET", "/api/v1/reports/{id}")
        | ("POST", "/admission")
        | ("GET", "/admission/{id}")
        | ("POST", "/admission/{id}/steps")
        | ("POST", "/api/v1/applicants")
        | ("GET", "/api/v1/applicants/{id}")
        | ("POST", "/api/v1/applicants/{id}/steps")
        | ("GET", "/admission/plan")
        | ("POST", "/admission/plan")
        | ("POST", "/admission/grants")
        | ("POST", "/transfers")
        | ("GET", "/transfers/new")
        | ("GET", "/transfers/{id}")
        | ("POST", "/transfers/{id}/steps")
        | ("POST", "/api/v1/transfers")
        | ("GET", "/api/v1/transfers/{id}")
        | ("POST", "/api/v1/transfers/{id}/steps")
        | ("POST", "/lost-contact")
        | ("GET", "/lost-contact/{id}")
        | ("GET", "/lost-contact/cases/{id}")
        | ("POST", "/lost-contact/cases/{id}/attempts")
        | ("POST", "/lost-contact/cases/{id}/decisions")
        | ("GET", "/points")
        | ("GET", "/points/export")
        | ("POST", "/points/registers")
        | ("POST", "/points/entries")
        | ("POST", "/points/entries/{id}/reverse")
        | ("GET", "/points/members/{id}")
        | ("GET", "/api/v1/members/{id}/points")
        | ("GET", "/api/v1/orgs/{id}/points")
        | ("POST", "/api/v1/points/entries")
        | ("GET", "/points/appraisal")
        | ("POST", "/points/appraisal")
        | ("POST", "/points/appraisal/{id}/close")
        | ("POST", "/points/appraisal/{id}/organisation")
        | ("POST", "/points/appraisal/{id}/masses")
        | ("POST", "/points/appraisal/{id}/self")
        | ("POST", "/points/appraisal/{id}/peers")
        | ("POST", "/points/reviews")
        | ("POST", "/points/publications")
        | ("GET", "/points/publications/{id}")
        | ("GET", "/points/schemes")
        | ("POST", "/points/schemes")
        | ("POST", "/service/registrations/{id}/confirm")
        | ("POST", "/service/registrations/{id}/report")
        | ("POST", "/service/registrations/{id}/end")
        | ("POST", "/service/registrations/{id}/feedback")
        | ("POST", "/service/needs")
        | ("GET", "/service/needs/{id}")
        | ("POST", "/service/needs/{id}/claims")
        | ("POST", "/service/needs/{id}/close")
        | ("POST", "/service/claims/{id}/checkin")
        | ("POST", "/service/claims/{id}/checkout")
        | ("POST", "/service/claims/{id}/withdraw")
        | ("POST", "/service/claims/{id}/confirm")
        | ("POST", "/service/wishes")
        | ("POST", "/service/wishes/{id}/{step}")
        | ("GET", "/service/figures")
        | ("GET", "/service/figures/export")
        | ("GET", "/service/certificate")
        | ("POST", "/api/v1/service/needs")
        | ("POST", "/api/v1/service/needs/{id}/claims")
        | ("GET", "/api/v1/members/{id}/service") => Scoped,
        ("POST", "/logout")
        | ("GET", "/orgs")
        | ("GET", "/territory")
        | ("GET", "/members/import")
        | ("GET", "/members/template.xlsx")
        | ("GET", "/calls")
        | ("GET", "/calls/export.xlsx")
        | ("GET", "/calls/new")
        | ("GET", "/calls/figures")
        | ("GET", "/calls/figures/export")
        | ("GET", "/calls/calendar")
        | ("POST", "/calls/calendar")
        | ("GET", "/calls/catalogue")
        | ("POST", "/calls/catalogue")
        | ("GET", "/orglife/rules")
        | ("POST", "/orglife/rules")
        | ("GET", "/inbox")
        | ("GET", "/dues/items")
        | ("GET", "/me")
        | ("GET", "/tokens")
        | ("POST", "/tokens")
        | ("GET", "/api/v1/me")
        | ("POST", "/api/v1/dues/quote")
        | ("GET", "/members/new")
        | ("GET", "/members/quality")
        | ("GET", "/birthdays")
        | ("GET", "/birthdays/export.xlsx")
        | ("GET", "/users")
        | ("GET", "/audit")
        | ("GET", "/audit/export.xlsx")
        | ("GET", "/api/v1/users")
        | ("GET", "/api/v1/calls")
        | ("GET", "/api/v1/calls/figures")
        | ("GET", "/admission")
        | ("GET", "/admission/new")
        | ("GET", "/api/v1/applicants")
        | ("GET", "/transfers")
        | ("GET", "/api/v1/transfers")
        | ("GET", "/lost-contact")
        | ("GET", "/service")
        | ("GET", "/service/registrations")
        | ("GET", "/service/wishes")
        | ("GET", "/service/rules")
        | ("POST", "/service/rules")
        | ("GET", "/api/v1/service/needs")
        // A member registers where they live, which may be any community of the district
        // (双报到): the form names a community, but no other street's data is read or changed
        // beyond the registration the member makes for themselves.
        | ("POST", "/service/registrations") => Own,
        _ => return None,
    })
}

#[test]
fn every_route_has_a_case() {
    let missing: Vec<String> = web::routes::all()
        .flat_map(|r| r.methods.iter().map(move |m| (*m, r.path)))
        .filter(|(m, p)| case(m, p).is_none())
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a scope case in tests/matrix.rs: {missing:?}"
    );
    let public_outside_public_reach: Vec<String> = web::routes::all()
        .flat_map(|r| r.methods.iter().map(move |m| (*m, r)))
        .filter(|(m, r)| {
            matches!(case(m, r.path), Some(Case::Public))
                && !matches!(r.reach, Reach::Public | Reach::Open311)
        })
        .map(|(m, r)| format!("{m} {}", r.path))
        .collect();
    assert!(
        public_outside_public_reach.is_empty(),
        "a route behind a login is listed as public: {public_outside_public_reach:?}"
    );
}

/// A 身份证号 not used before in this run, of someone born 1960–1981, so old enough for the 2001
/// 入党日期 the walk gives (birth day and sequence repeat together only after 72,000 serials).
fn fresh_id_number() -> String {
    let n = serial();
    domain::idcard::make_id_number(
        "110105",
        chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap()
            + chrono::Duration::days((n % 8000) as i64),
        (n % 900) as u16 + 1,
        domain::Gender::Female,
    )
}

/// A new 发展党员 file in `branch`, received today.
async fn open_applicant(f: &Fixture, admin: &Actor, branch: i64) -> i64 {
    f.app
        .open_applicant(
            admin,
            &app::admission::ApplicantInput {
                branch_id: branch,
                name: "走查申请人".into(),
                id_number: fresh_id_number(),
                category: "在职".into(),
                applied_on: app::members::today().to_string(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

/// A letter from outside for someone joining `branch`, registered today.
async fn register_letter(f: &Fixture, admin: &Actor, branch: i64) -> i64 {
    let today = app::members::today();
    f.app
        .open_transfer(admin, &letter_input(branch, &fresh_id_number(), today))
        .await
        .unwrap()
}

fn letter_input(
    branch: i64,
    id_number: &str,
    today: chrono::NaiveDate,
) -> app::transfers::TransferInput {
    app::transfers::TransferInput {
        direction: "in".into(),
        to_org_id: Some(branch),
        from_text: "外地某街道党工委".into(),
        reason: "工作调动".into(),
        name: "走查转入".into(),
        id_number: id_number.into(),
        category: "在职".into(),
        status: "正式党员".into(),
        admitted_on: "2001-07-01".into(),
        full_on: "2002-07-01".into(),
        issued_on: today.to_string(),
        valid_until: (today + chrono::Duration::days(29)).to_string(),
        ..Default::default()
    }
}

/// A unique suffix for names and numbers made by the walk.
fn serial() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

struct World {
    own: Objects,
    foreign: Objects,
    admin: Actor,
}

impl World {
    fn objects(&self, side: Side) -> &Objects {
        match side {
            Side::Own => &self.own,
            Side::Foreign => &self.foreign,
        }
    }
}

async fn objects(f: &Fixture, admin: &Actor, branch: i64, community: i64, tag: &str) -> Objects {
    let app = &f.app;
    let member = app
        .db
        .member_search(Scope::Subtree(branch), &MemberFilter::default(), 1, 0)
        .await
        .unwrap()[0]
        .id;
    // A member the data shows nowhere: no meeting, no dues, so the 摸查 lists them.
    f.app
        .create_member(
            admin,
            &app::members::MemberInput {
                branch_id: branch,
                name: "走查失联".into(),
                id_number: fresh_id_number(),
                category: "在职".into(),
                status: "正式党员".into(),
                admitted_on: "2001-07-01".into(),
                full_on: "2002-07-01".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let campaign = f
        .app
        .start_campaign(
            admin,
            &app::lost_contact::CampaignInput {
                org_id: branch,
                title: format!("走查排查{tag}"),
                quiet_months: "1".into(),
            },
        )
        .await
        .unwrap();
    let case = f.app.campaign(admin, campaign).await.unwrap().cases[0]
        .case
        .id;
    let community_org = app.org(admin, community).await.unwrap();
    let territory = community_org
        .territory_id
        .expect("a community has a territory");
    let meeting = app
        .record_meeting(
            admin,
            branch,
            &app::orglife::MeetingInput {
                institution: "支部党员大会".into(),
                held_on: app::members::today().to_string(),
                place: "党群服务中心".into(),
                chair: "某".into(),
                recorder: "某".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let attachment = app
        .attach_to_meeting(admin, meeting, "记录.png", &png())
        .await
        .unwrap();
    let report = app
        .report_make(admin, Some(branch), "monthly", None)
        .await
        .unwrap();
    let root = app.public_root().await.unwrap();
    let (call, _code) = app
        .submit_call(
            root,
            &app::calls::CallInput {
                item_code: "C05-01".into(),
                territory_id: Some(territory),
                address: "桃园小区 3 栋".into(),
                description: "楼道灯不亮".into(),
                resident_name: "王女士".into(),
                phone: "13912345678".into(),
            },
            &[("现场.png".into(), png())],
            "phone",
            None,
        )
        .await
        .unwrap();
    let photo = app.db.call_photo_ids(call).await.unwrap()[0];
    let user = app
        .create_user(
            admin,
            &app::users::UserInput {
                username: format!("target_{tag}"),
                display_name: "被操作的账号".into(),
                password: PASSWORD.into(),
                role: "branch_officer".into(),
                org_id: branch,
                member_id: None,
                call_unit_id: None,
            },
        )
        .await
        .unwrap()
        .id;
    let applicant = open_applicant(f, admin, branch).await;
    let transfer = register_letter(f, admin, branch).await;
    Objects {
        community,
        branch,
        member,
        territory,
        meeting,
        attachment,
        report,
        call,
        photo,
        user,
        applicant,
        transfer,
        campaign,
        case,
    }
}

fn png() -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::new(16, 12))
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn world(f: &Fixture) -> World {
    let admin = f.app.actor_by_username("admin").await.unwrap();
    let member = f.app.actor_by_username("member").await.unwrap();
    let community = f.app.actor_by_username("community_admin").await.unwrap();
    let own_branch = member.org_id;
    assert!(
        f.app.org(&community, own_branch).await.is_ok(),
        "the member login's branch is in the community admin's scope"
    );
    let foreign_branch = f
        .app
        .member(&admin, f.foreign_member)
        .await
        .unwrap()
        .branch_id;
    let mut foreign_community = foreign_branch;
    loop {
        let org = f.app.org(&admin, foreign_community).await.unwrap();
        if org.kind == "community_committee" {
            break;
        }
        foreign_community = org.parent_id.expect("a branch sits under a community");
    }
    World {
        own: objects(f, &admin, own_branch, community.org_id, "own").await,
        foreign: objects(f, &admin, foreign_branch, foreign_community, "foreign").await,
        admin,
    }
}

/// Builds the request of `method path` for `role` on `side`, making afresh what an accepted
/// write would use up.
async fn attempt(
    f: &Fixture,
    w: &World,
    side: Side,
    role: &str,
    method: &str,
    path: &str,
) -> Attempt {
    let o = w.objects(side);
    let app = &f.app;
    let n = serial();
    let id_number = fresh_id_number();
    let branch = o.branch.to_string();
    let member_form = vec![
        ("branch_id", branch.as_str()),
        ("name", "走查"),
        ("id_number", id_number.as_str()),
        ("category", "在职"),
        ("status", "正式党员"),
        ("admitted_on", "2000-07-01"),
    ];
    let member_json = json!({"branch_id": o.branch, "name": "走查", "id_number": id_number,
        "category": "在职", "status": "正式党员", "admitted_on": "2000-07-01"});
    let restriction_from = || free_restriction_day(f, w, o.member);
    let fresh_restriction = || async {
        let from = restriction_from().await;
        let id = app
            .add_restriction(
                &w.admin,
                o.member,
                &app::restrictions::RestrictionInput {
                    kind: "rights_suspended".into(),
                    from: from.to_string(),
                    reason: "走查".into(),
                    approval: "某党委".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        (id, (from + chrono::Duration::days(1)).to_string())
    };
    // The login whose own things (tokens, messages) the per-user routes act on.
    let acting = app.actor_by_username(role).await.unwrap();
    let owner = match side {
        Side::Own => (acting.user_id, role.to_string()),
        Side::Foreign => (o.user, "target_foreign".to_string()),
    };
    let org_query = format!("org_id={}", o.branch);
    let today = app::members::today().to_string();
    let applicant_id_number = fresh_id_number();
    let (uri, payload) = match (method, path) {
        ("GET", "/admission") => ("/admission?stage=open".into(), Payload::None),
        ("GET", "/admission/new") => ("/admission/new".into(), Payload::None),
        ("POST", "/admission") => (
            "/admission".into(),
            form(&[
                ("branch_id", &branch),
                ("name", "走查"),
                ("id_number", &applicant_id_number),
                ("category", "在职"),
                ("applied_on", &today),
            ]),
        ),
        ("GET", "/admission/{id}") => (format!("/admission/{}", o.applicant), Payload::None),
        ("POST", "/admission/{id}/steps") => {
            let id = open_applicant(f, &w.admin, o.branch).await;
            (
                format!("/admission/{id}/steps"),
                form(&[("step", "talk"), ("on", &today), ("post", "secretary")]),
            )
        }
        ("GET", "/api/v1/applicants") => ("/api/v1/applicants?stage=open".into(), Payload::None),
        ("POST", "/api/v1/applicants") => (
            "/api/v1/applicants".into(),
            Payload::Json(json!({"branch_id": o.branch, "name": "走查",
                "id_number": applicant_id_number, "category": "在职", "applied_on": today})),
        ),
        ("GET", "/api/v1/applicants/{id}") => {
            (format!("/api/v1/applicants/{}", o.applicant), Payload::None)
        }
        ("POST", "/api/v1/applicants/{id}/steps") => {
            let id = open_applicant(f, &w.admin, o.branch).await;
            (
                format!("/api/v1/applicants/{id}/steps"),
                Payload::Json(json!({"step": "talk", "on": today, "post": "secretary"})),
            )
        }
        ("GET", "/admission/plan") => (
            format!("/admission/plan?org_id={}", o.community),
            Payload::None,
        ),
        ("GET", "/points") => (format!("/points?org_id={}", o.branch), Payload::None),
        ("GET", "/points/export") => (format!("/points/export?org_id={}", o.branch), Payload::None),
        ("POST", "/points/registers") => {
            let last_month = app::members::today()
                .with_day(1)
                .unwrap()
                .pred_opt()
                .unwrap();
            (
                "/points/registers".into(),
                form(&[
                    ("org_id", &branch),
                    ("month", &last_month.format("%Y-%m").to_string()),
                ]),
            )
        }
        ("POST", "/points/entries") => (
            "/points/entries".into(),
            form(&[
                ("member_id", &o.member.to_string()),
                ("item_code", "manual_deduction"),
                ("points", "-1"),
                ("reason", "走查"),
                ("approver", "某书记"),
            ]),
        ),
        ("POST", "/points/entries/{id}/reverse") => {
            let entry = fresh_points_entry(f, w, o.member).await;
            (
                format!("/points/entries/{entry}/reverse"),
                form(&[("member_id", &o.member.to_string()), ("reason", "走查")]),
            )
        }
        ("GET", "/points/members/{id}") => (format!("/points/members/{}", o.member), Payload::None),
        ("GET", "/points/appraisal") => (
            format!("/points/appraisal?org_id={}", o.branch),
            Payload::None,
        ),
        ("GET", "/points/schemes") => (
            format!("/points/schemes?org_id={}", o.community),
            Payload::None,
        ),
        ("POST", "/points/schemes") => {
            let next_year = (app::members::today().year() + 1).to_string();
            (
                "/points/schemes".into(),
                form(&[
                    ("org_id", &o.community.to_string()),
                    ("name", "走查方案"),
                    ("base", "60"),
                    ("cut_excellent", "90"),
                    ("cut_qualified", "80"),
                    ("cut_basic", "60"),
                    ("item_code_0", "meeting_attended"),
                    ("item_name_0", "出席组织生活"),
                    ("item_kind_0", "award"),
                    ("item_points_0", "1"),
                    ("item_cap_0", "10"),
                    ("from_year", &next_year),
                ]),
            )
        }
        ("POST", "/points/appraisal") => (
            "/points/appraisal".into(),
            form(&[
                ("org_id", &branch),
                ("year", &app::members::today().year().to_string()),
            ]),
        ),
        ("POST", "/points/appraisal/{id}/close") => {
            let (id, _) = fresh_campaign(f, w, o.branch).await;
            (format!("/points/appraisal/{id}/close"), form(&[]))
        }
        ("POST", "/points/appraisal/{id}/organisation") => {
            let (id, members) = fresh_campaign(f, w, o.branch).await;
            let grades: Vec<(String, String)> = members
                .iter()
                .map(|m| (format!("grade_{m}"), "qualified".to_string()))
                .collect();
            (
                format!("/points/appraisal/{id}/organisation"),
                Payload::Form(grades),
            )
        }
        ("POST", "/points/appraisal/{id}/masses") => {
            let (id, _) = fresh_campaign(f, w, o.branch).await;
            (
                format!("/points/appraisal/{id}/masses"),
                form(&[
                    ("member_id", &o.member.to_string()),
                    ("excellent", "3"),
                    ("qualified", "2"),
                ]),
            )
        }
        ("POST", "/points/appraisal/{id}/self") => {
            let (id, _) = fresh_campaign(f, w, o.branch).await;
            (
                format!("/points/appraisal/{id}/self"),
                form(&[("grade", "qualified"), ("comment", "走查")]),
            )
        }
        ("POST", "/points/appraisal/{id}/peers") => {
            let (id, members) = fresh_campaign(f, w, o.branch).await;
            let grades: Vec<(String, String)> = members
                .iter()
                .filter(|m| Some(**m) != acting.member_id)
                .map(|m| (format!("grade_{m}"), "qualified".to_string()))
                .collect();
            (
                format!("/points/appraisal/{id}/peers"),
                Payload::Form(grades),
            )
        }
        ("POST", "/points/reviews") => {
            // A year without a campaign, so that every walk's decision stands on its own.
            let year = (1900 + serial() % 100).to_string();
            let members = f
                .app
                .db
                .points_members_of_branch(Scope::Subtree(o.branch), o.branch, 1900)
                .await
                .unwrap();
            let mut fields: Vec<(String, String)> = members
                .iter()
                .map(|m| (format!("grade_{}", m.id), "qualified".to_string()))
                .collect();
            fields.push(("org_id".into(), branch.clone()));
            fields.push(("year".into(), year));
            fields.push(("decided_on".into(), today.clone()));
            fields.push(("meeting".into(), "走查支部党员大会".into()));
            ("/points/reviews".into(), Payload::Form(fields))
        }
        ("POST", "/points/publications") => {
            let today_date = app::members::today();
            (
                "/points/publications".into(),
                form(&[
                    ("org_id", &branch),
                    (
                        "quarter",
                        &format!(
                            "{}-Q{}",
                            today_date.year(),
                            (today_date.month() - 1) / 3 + 1
                        ),
                    ),
                    ("from", &today),
                    ("until", &today),
                ]),
            )
        }
        ("GET", "/points/publications/{id}") => {
            let day = app::members::today();
            let id = f
                .app
                .db
                .points_publish(
                    Scope::Subtree(o.branch),
                    o.branch,
                    &format!("{}-Q1", 1000 + serial()),
                    day,
                    day,
                    "[]",
                    &w.admin.author(),
                )
                .await
                .unwrap();
            (format!("/points/publications/{id}"), Payload::None)
        }
        ("GET", "/api/v1/members/{id}/points") => (
            format!("/api/v1/members/{}/points?year=2026", o.member),
            Payload::None,
        ),
        ("GET", "/api/v1/orgs/{id}/points") => (
            format!("/api/v1/orgs/{}/points?period=2026-Q4", o.branch),
            Payload::None,
        ),
        ("POST", "/api/v1/points/entries") => (
            "/api/v1/points/entries".into(),
            Payload::Json(
                json!({"member_id": o.member, "item_code": "manual_deduction",
                "points": "-1", "reason": "走查", "approver": "某书记"}),
            ),
        ),
        ("POST", "/admission/plan") => (
            "/admission/plan".into(),
            form(&[
                ("org_id", &o.community.to_string()),
                ("year", "2026"),
                ("activists", "3"),
            ]),
        ),
        ("POST", "/admission/grants") => (
            "/admission/grants".into(),
            form(&[
                ("org_id", &o.community.to_string()),
                ("document", "走查〔2026〕1号"),
            ]),
        ),
        ("GET", "/transfers") => ("/transfers?state=all".into(), Payload::None),
        ("GET", "/transfers/new") => (format!("/transfers/new?member={}", o.member), Payload::None),
        ("POST", "/transfers") => {
            let input = letter_input(o.branch, &applicant_id_number, app::members::today());
            (
                "/transfers".into(),
                form(&[
                    ("direction", "in"),
                    ("to_org_id", &branch),
                    ("from_text", &input.from_text),
                    ("reason", &input.reason),
                    ("name", &input.name),
                    ("id_number", &input.id_number),
                    ("category", &input.category),
                    ("status", &input.status),
                    ("admitted_on", &input.admitted_on),
                    ("full_on", &input.full_on),
                    ("issued_on", &input.issued_on),
                    ("valid_until", &input.valid_until),
                ]),
            )
        }
        ("GET", "/transfers/{id}") => (format!("/transfers/{}", o.transfer), Payload::None),
        ("POST", "/transfers/{id}/steps") => {
            let id = register_letter(f, &w.admin, o.branch).await;
            (
                format!("/transfers/{id}/steps"),
                form(&[("step", "withdraw"), ("on", &today)]),
            )
        }
        ("GET", "/api/v1/transfers") => ("/api/v1/transfers?state=all".into(), Payload::None),
        ("POST", "/api/v1/transfers") => (
            "/api/v1/transfers".into(),
            Payload::Json(
                serde_json::to_value(letter_input(
                    o.branch,
                    &applicant_id_number,
                    app::members::today(),
                ))
                .unwrap(),
            ),
        ),
        ("GET", "/api/v1/transfers/{id}") => {
            (format!("/api/v1/transfers/{}", o.transfer), Payload::None)
        }
        ("POST", "/api/v1/transfers/{id}/steps") => {
            let id = register_letter(f, &w.admin, o.branch).await;
            (
                format!("/api/v1/transfers/{id}/steps"),
                Payload::Json(json!({"step": "withdraw", "on": today})),
            )
        }
        ("GET", "/lost-contact") => ("/lost-contact".into(), Payload::None),
        ("POST", "/lost-contact") => (
            "/lost-contact".into(),
            form(&[
                ("org_id", &branch),
                ("title", "走查排查"),
                ("quiet_months", "6"),
            ]),
        ),
        ("GET", "/lost-contact/{id}") => (format!("/lost-contact/{}", o.campaign), Payload::None),
        ("GET", "/lost-contact/cases/{id}") => {
            (format!("/lost-contact/cases/{}", o.case), Payload::None)
        }
        ("POST", "/lost-contact/cases/{id}/attempts") => (
            format!("/lost-contact/cases/{}/attempts", o.case),
            form(&[("on", &today), ("method", "phone"), ("note", "走查")]),
        ),
        ("POST", "/lost-contact/cases/{id}/decisions") => (
            format!("/lost-contact/cases/{}/decisions", o.case),
            form(&[("decision", "lost"), ("on", &today), ("cause", "moved")]),
        ),
        ("POST", "/logout") => ("/logout".into(), form(&[])),
        ("GET", "/") => (format!("/?{org_query}"), Payload::None),
        ("GET", "/dashboard/export") => (format!("/dashboard/export?{org_query}"), Payload::None),
        ("GET", "/reports") => (format!("/reports?{org_query}"), Payload::None),
        ("POST", "/reports") => (
            "/reports".into(),
            form(&[("org_id", &branch), ("period", "weekly:")]),
        ),
        ("GET", "/reports/{id}") => (format!("/reports/{}", o.report), Payload::None),
        ("GET", "/reports/{id}/xlsx") => (format!("/reports/{}/xlsx", o.report), Payload::None),
        ("GET", "/orgs") => ("/orgs".into(), Payload::None),
        ("POST", "/orgs") => (
            "/orgs".into(),
            form(&[
                ("parent_id", &o.community.to_string()),
                ("kind", "branch"),
                ("branch_kind", "joint"),
                ("name", &format!("走查支部{n}")),
            ]),
        ),
        ("GET", "/orgs/{id}") => (format!("/orgs/{}", o.branch), Payload::None),
        ("POST", "/orgs/{id}") => {
            let org = app.org(&w.admin, o.branch).await.unwrap();
            (format!("/orgs/{}", o.branch), form(&[("name", &org.name)]))
        }
        ("POST", "/orgs/{id}/concurrent") => (
            format!("/orgs/{}/concurrent", o.branch),
            form(&[("name", "某"), ("unit", "某单位")]),
        ),
        ("GET", "/territory") => ("/territory".into(), Payload::None),
        ("POST", "/territory") => (
            "/territory".into(),
            form(&[
                ("parent_id", &o.territory.to_string()),
                ("name", &format!("走查网格{n}")),
            ]),
        ),
        ("GET", "/territory/{id}") => (format!("/territory/{}", o.territory), Payload::None),
        ("GET", "/members") => (format!("/members?{org_query}"), Payload::None),
        ("POST", "/members") => ("/members".into(), form(&member_form)),
        ("GET", "/members/new") => (format!("/members/new?{org_query}"), Payload::None),
        ("GET", "/members/quality") => (format!("/members/quality?{org_query}"), Payload::None),
        ("GET", "/members/import") => ("/members/import".into(), Payload::None),
        ("POST", "/members/import") => {
            let org = app.org(&w.admin, o.branch).await.unwrap();
            let csv = format!(
                "姓名,身份证号,所在党支部,党员类别,党员状态,入党日期\n走查,{id_number},{},在职,正式党员,2000-07-01\n",
                org.name
            );
            (
                "/members/import".into(),
                Payload::Multipart(vec![], vec![("file".into(), "党员.csv".into(), csv.into())]),
            )
        }
        ("GET", "/members/template.xlsx") => ("/members/template.xlsx".into(), Payload::None),
        ("GET", "/members/export") => (format!("/members/export?{org_query}"), Payload::None),
        ("GET", "/members/{id}") => (format!("/members/{}", o.member), Payload::None),
        ("POST", "/members/{id}") => {
            let m = app.member(&w.admin, o.member).await.unwrap();
            (
                format!("/members/{}", o.member),
                form(&[
                    ("branch_id", &m.branch_id.to_string()),
                    ("name", &m.name),
                    ("id_number", &m.id_number),
                    ("category", &m.category),
                    ("status", &m.status),
                    ("admitted_on", &m.admitted_on.to_string()),
                ]),
            )
        }
        ("GET", "/members/{id}/edit") => (format!("/members/{}/edit", o.member), Payload::None),
        ("POST", "/members/{id}/dues/base") => (
            format!("/members/{}/dues/base", o.member),
            form(&[
                ("category", "retired"),
                ("base", "3000"),
                ("effective_month", "2026-01"),
            ]),
        ),
        ("POST", "/members/{id}/dues/payments") => (
            format!("/members/{}/dues/payments", o.member),
            form(&[
                ("from_month", "2026-01"),
                ("paid_on", &app::members::today().to_string()),
            ]),
        ),
        ("POST", "/members/{id}/dues/waivers") => (
            format!("/members/{}/dues/waivers", o.member),
            form(&[
                ("from_month", "2026-02"),
                ("to_month", "2026-02"),
                ("reason", "走查"),
                ("approved_by", "某党委"),
                ("approved_on", "2026-02-01"),
            ]),
        ),
        ("POST", "/members/{id}/restrictions") => (
            format!("/members/{}/restrictions", o.member),
            form(&[
                ("kind", "rights_suspended"),
                ("from", &restriction_from().await.to_string()),
                ("reason", "走查"),
                ("approval", "某党委"),
            ]),
        ),
        ("POST", "/members/{id}/restrictions/{restriction}/end") => {
            let (restriction, ended_on) = fresh_restriction().await;
            (
                format!("/members/{}/restrictions/{restriction}/end", o.member),
                form(&[("ended_on", &ended_on), ("end_approval", "某党委")]),
            )
        }
        ("GET", "/birthdays") => (format!("/birthdays?{org_query}"), Payload::None),
        ("GET", "/birthdays/export.xlsx") => ("/birthdays/export.xlsx".into(), Payload::None),
        ("GET", "/orglife") => (format!("/orglife?{org_query}"), Payload::None),
        ("GET", "/orglife/new") => (format!("/orglife/new?{org_query}"), Payload::None),
        ("GET", "/orglife/export") => (format!("/orglife/export?{org_query}"), Payload::None),
        ("POST", "/orglife/meetings") => (
            "/orglife/meetings".into(),
            form(&[
                ("org_id", &branch),
                ("institution", "themed_party_day"),
                ("held_on", &app::members::today().to_string()),
                ("place", "党群服务中心"),
                ("chair", "某"),
                ("recorder", "某"),
            ]),
        ),
        ("GET", "/orglife/meetings/{id}") => {
            (format!("/orglife/meetings/{}", o.meeting), Payload::None)
        }
        ("POST", "/orglife/meetings/{id}") => (
            format!("/orglife/meetings/{}", o.meeting),
            form(&[
                ("institution", "branch_general_meeting"),
                ("held_on", &app::members::today().to_string()),
                ("place", "党群服务中心"),
                ("chair", "某"),
                ("recorder", "某"),
            ]),
        ),
        ("GET", "/orglife/meetings/{id}/edit") => (
            format!("/orglife/meetings/{}/edit", o.meeting),
            Payload::None,
        ),
        ("POST", "/orglife/meetings/{id}/votes") => (
            format!("/orglife/meetings/{}/votes", o.meeting),
            form(&[
                ("decision", "ordinary"),
                ("subject", "走查"),
                ("expected", "3"),
                ("present", "3"),
                ("yes", "3"),
            ]),
        ),
        ("POST", "/orglife/meetings/{id}/attachments") => (
            format!("/orglife/meetings/{}/attachments", o.meeting),
            Payload::Multipart(vec![], vec![("file".into(), "x.png".into(), png())]),
        ),
        ("POST", "/orglife/meetings/{id}/signin") => {
            (format!("/orglife/meetings/{}/signin", o.meeting), form(&[]))
        }
        ("GET", "/orglife/attachments/{id}") => (
            format!("/orglife/attachments/{}", o.attachment),
            Payload::None,
        ),
        ("GET", "/orglife/rules") => ("/orglife/rules".into(), Payload::None),
        ("POST", "/orglife/rules") => (
            "/orglife/rules".into(),
            form(&[("kind", "*"), ("effective_year", "2031")]),
        ),
        ("POST", "/orglife/exemptions") => (
            "/orglife/exemptions".into(),
            form(&[
                ("org_id", &branch),
                ("from", "2026-02-01"),
                ("to", "2026-02-28"),
                ("reason", "走查"),
                ("approval", "某党委"),
            ]),
        ),
        ("POST", "/orglife/exemptions/{id}/delete") => {
            let exemption = app
                .grant_exemption(
                    &w.admin,
                    o.branch,
                    &app::orglife_rules::ExemptionInput {
                        institution: String::new(),
                        from: "2026-03-01".into(),
                        to: "2026-03-31".into(),
                        reason: "走查".into(),
                        approval: "某党委".into(),
                    },
                )
                .await
                .unwrap();
            (format!("/orglife/exemptions/{exemption}/delete"), form(&[]))
        }
        ("GET", "/calls") => ("/calls".into(), Payload::None),
        ("GET", "/calls/export.xlsx") => ("/calls/export.xlsx".into(), Payload::None),
        ("POST", "/calls") => (
            "/calls".into(),
            Payload::Multipart(
                vec![
                    ("item_code".into(), "C05-01".into()),
                    ("territory_id".into(), o.territory.to_string()),
                    ("address".into(), "桃园小区".into()),
                    ("description".into(), "楼道灯坏了一周没人修".into()),
                    ("phone".into(), "13912345678".into()),
                ],
                vec![],
            ),
        ),
        ("GET", "/calls/new") => ("/calls/new".into(), Payload::None),
        ("GET", "/calls/figures") => ("/calls/figures".into(), Payload::None),
        ("GET", "/calls/figures/export") => ("/calls/figures/export".into(), Payload::None),
        ("GET", "/calls/calendar") => ("/calls/calendar".into(), Payload::None),
        ("POST", "/calls/calendar") => (
            "/calls/calendar".into(),
            form(&[("year", "2031"), ("holidays", ""), ("makeup", "")]),
        ),
        ("GET", "/calls/catalogue") => ("/calls/catalogue".into(), Payload::None),
        ("POST", "/calls/catalogue") => ("/calls/catalogue".into(), form(&[])),
        ("GET", "/calls/photos/{id}") => (format!("/calls/photos/{}", o.photo), Payload::None),
        ("GET", "/calls/{id}") => (format!("/calls/{}", o.call), Payload::None),
        ("POST", "/calls/{id}/act") => (
            format!("/calls/{}/act", o.call),
            form(&[("action", "note"), ("text", "走查")]),
        ),
        ("GET", "/inbox") => ("/inbox".into(), Payload::None),
        ("POST", "/inbox/{id}/read") => {
            let key = format!("walk-{n}");
            app.db
                .outbox_enqueue(&store::NewMessage {
                    org_id: o.branch,
                    recipient_user_id: Some(owner.0),
                    recipient_member_id: None,
                    channel: "inbox".into(),
                    kind: "walk".into(),
                    dedupe_key: key.clone(),
                    title: "走查".into(),
                    body: String::new(),
                    link: "/".into(),
                })
                .await
                .unwrap();
            for queued in app.db.outbox_undelivered("inbox", 1000).await.unwrap() {
                app.db.outbox_mark_delivered(&queued).await.unwrap();
            }
            let recipient = store::Recipient {
                user_id: owner.0,
                member_id: None,
                org_id: o.branch,
            };
            let id = app.db.inbox(recipient, 1).await.unwrap()[0].id;
            (format!("/inbox/{id}/read"), form(&[]))
        }
        ("GET", "/dues") => (format!("/dues?{org_query}"), Payload::None),
        ("GET", "/dues/export") => (format!("/dues/export?{org_query}"), Payload::None),
        ("GET", "/dues/year") => (format!("/dues/year?{org_query}"), Payload::None),
        ("GET", "/dues/items") => ("/dues/items".into(), Payload::None),
        ("POST", "/dues/sheet") => (
            "/dues/sheet".into(),
            form(&[
                ("org_id", &branch),
                (
                    "month",
                    &domain::dues_ledger::Month::of(app::members::today()).to_string(),
                ),
                ("paid_on", &app::members::today().to_string()),
                ("member", &o.member.to_string()),
            ]),
        ),
        ("POST", "/dues/expenses") => (
            "/dues/expenses".into(),
            form(&[
                ("org_id", &branch),
                ("spent_on", "2026-03-01"),
                ("amount", "10.00"),
                ("purpose", "走查"),
            ]),
        ),
        ("GET", "/me") => ("/me".into(), Payload::None),
        ("GET", "/users") => (format!("/users?{org_query}"), Payload::None),
        ("POST", "/users") => (
            "/users".into(),
            form(&[
                ("username", &format!("walk{n}")),
                ("display_name", "某"),
                ("password", "abcd12345"),
                ("role", "branch_officer"),
                ("org_id", &branch),
            ]),
        ),
        ("POST", "/users/{id}/password") => (
            format!("/users/{}/password", o.user),
            form(&[("password", "abcd12345")]),
        ),
        ("POST", "/users/{id}/unlock") => (format!("/users/{}/unlock", o.user), form(&[])),
        ("GET", "/users/{id}/tokens") => (format!("/users/{}/tokens", o.user), Payload::None),
        ("POST", "/users/{id}/tokens/{token}/revoke") => {
            let target = match side {
                Side::Own => "target_own",
                Side::Foreign => "target_foreign",
            };
            let token = token_of(f, target).await;
            (
                format!("/users/{}/tokens/{token}/revoke", o.user),
                form(&[]),
            )
        }
        ("GET", "/tokens") => ("/tokens".into(), Payload::None),
        ("POST", "/tokens") => ("/tokens".into(), form(&[("name", "走查")])),
        ("POST", "/tokens/{id}/revoke") => {
            let token = token_of(f, &owner.1).await;
            (format!("/tokens/{token}/revoke"), form(&[]))
        }
        ("GET", "/audit") => (format!("/audit?{org_query}"), Payload::None),
        ("GET", "/audit/export.xlsx") => ("/audit/export.xlsx".into(), Payload::None),
        ("GET", "/api/v1/me") => ("/api/v1/me".into(), Payload::None),
        ("POST", "/api/v1/orgs") => (
            "/api/v1/orgs".into(),
            Payload::Json(json!({"parent_id": o.community, "kind": "branch",
                "branch_kind": "joint", "name": format!("走查支部{n}")})),
        ),
        ("GET", "/api/v1/orgs/{id}") => (format!("/api/v1/orgs/{}", o.branch), Payload::None),
        ("PUT", "/api/v1/orgs/{id}") => {
            let org = app.org(&w.admin, o.branch).await.unwrap();
            (
                format!("/api/v1/orgs/{}", o.branch),
                Payload::Json(json!({"kind": "branch", "branch_kind": org.branch_kind,
                    "name": org.name})),
            )
        }
        ("GET", "/api/v1/orgs/{id}/children") => (
            format!("/api/v1/orgs/{}/children", o.community),
            Payload::None,
        ),
        ("GET", "/api/v1/members") => (format!("/api/v1/members?{org_query}"), Payload::None),
        ("POST", "/api/v1/members") => ("/api/v1/members".into(), Payload::Json(member_json)),
        ("GET", "/api/v1/members/{id}") => (format!("/api/v1/members/{}", o.member), Payload::None),
        ("PUT", "/api/v1/members/{id}") => {
            let m = app.member(&w.admin, o.member).await.unwrap();
            (
                format!("/api/v1/members/{}", o.member),
                Payload::Json(json!({"branch_id": m.branch_id, "name": m.name,
                    "id_number": m.id_number, "category": m.category, "status": m.status,
                    "admitted_on": m.admitted_on.to_string()})),
            )
        }
        ("GET", "/api/v1/members/{id}/restrictions") => (
            format!("/api/v1/members/{}/restrictions", o.member),
            Payload::None,
        ),
        ("POST", "/api/v1/members/{id}/restrictions") => (
            format!("/api/v1/members/{}/restrictions", o.member),
            Payload::Json(json!({"kind": "rights_suspended",
                "from": restriction_from().await.to_string(),
                "reason": "走查", "approval": "某党委"})),
        ),
        ("POST", "/api/v1/members/{id}/restrictions/{restriction}/end") => {
            let (restriction, ended_on) = fresh_restriction().await;
            (
                format!(
                    "/api/v1/members/{}/restrictions/{restriction}/end",
                    o.member
                ),
                Payload::Json(json!({"ended_on": ended_on, "end_approval": "某党委"})),
            )
        }
        ("GET", "/api/v1/users") => (format!("/api/v1/users?{org_query}"), Payload::None),
        ("POST", "/api/v1/users") => (
            "/api/v1/users".into(),
            Payload::Json(json!({"username": format!("walk{n}"), "display_name": "某",
                "password": "abcd12345", "role": "branch_officer", "org_id": o.branch})),
        ),
        ("POST", "/api/v1/dues/quote") => (
            "/api/v1/dues/quote".into(),
            Payload::Json(json!({"category": "retired", "base": "3000"})),
        ),
        ("GET", "/api/v1/dues/notice") => (
            format!("/api/v1/dues/notice?{org_query}&month=2026-11"),
            Payload::None,
        ),
        ("GET", "/api/v1/stats/overview") => {
            (format!("/api/v1/stats/overview?{org_query}"), Payload::None)
        }
        ("GET", "/api/v1/reports") => (format!("/api/v1/reports?{org_query}"), Payload::None),
        ("GET", "/api/v1/reports/{id}") => (format!("/api/v1/reports/{}", o.report), Payload::None),
        ("GET", "/api/v1/calls") => ("/api/v1/calls?all=1".into(), Payload::None),
        ("GET", "/api/v1/calls/figures") => ("/api/v1/calls/figures".into(), Payload::None),
        ("GET", "/api/v1/orglife/ledger") => {
            (format!("/api/v1/orglife/ledger?{org_query}"), Payload::None)
        }
        ("POST", "/api/v1/orglife/meetings") => (
            "/api/v1/orglife/meetings".into(),
            Payload::Json(
                json!({"org_id": o.branch, "institution": "themed_party_day",
                "held_on": app::members::today().to_string(), "place": "党群服务中心",
                "chair": "某", "recorder": "某"}),
            ),
        ),
        ("GET", "/api/v1/orglife/meetings/{id}") => (
            format!("/api/v1/orglife/meetings/{}", o.meeting),
            Payload::None,
        ),
        ("GET", "/api/v1/calls/{id}") => (format!("/api/v1/calls/{}", o.call), Payload::None),
        ("POST", "/api/v1/calls/{id}/actions") => (
            format!("/api/v1/calls/{}/actions", o.call),
            Payload::Json(json!({"action": "note", "text": "走查"})),
        ),
        ("GET", "/service") => ("/service".into(), Payload::None),
        ("GET", "/service/registrations") => {
            ("/service/registrations?view=unit".into(), Payload::None)
        }
        ("POST", "/service/registrations") => (
            "/service/registrations".into(),
            form(&[
                ("community_id", &o.community.to_string()),
                ("skills", "走查"),
            ]),
        ),
        ("POST", "/service/registrations/{id}/confirm") => {
            let id = fresh_registration(f, w, o, false).await;
            (format!("/service/registrations/{id}/confirm"), form(&[]))
        }
        ("POST", "/service/registrations/{id}/report") => {
            let id = fresh_registration(f, w, o, true).await;
            (format!("/service/registrations/{id}/report"), form(&[]))
        }
        ("POST", "/service/registrations/{id}/end") => {
            let id = fresh_registration(f, w, o, true).await;
            (format!("/service/registrations/{id}/end"), form(&[]))
        }
        ("POST", "/service/registrations/{id}/feedback") => {
            let id = fresh_registration(f, w, o, true).await;
            (
                format!("/service/registrations/{id}/feedback"),
                form(&[("rating", "良好"), ("comment", "走查")]),
            )
        }
        ("POST", "/service/needs") => {
            let (starts, ends) = need_times(0);
            (
                "/service/needs".into(),
                form(&[
                    ("title", "走查需求"),
                    ("place", "党群服务中心"),
                    ("starts_at", &starts),
                    ("ends_at", &ends),
                    ("people_needed", "3"),
                    ("community_id", &o.community.to_string()),
                ]),
            )
        }
        ("GET", "/service/needs/{id}") => {
            let id = fresh_need(f, w, o, 0).await;
            (format!("/service/needs/{id}"), Payload::None)
        }
        ("POST", "/service/needs/{id}/claims") => {
            let id = fresh_need(f, w, o, n as i64 * 3).await;
            (format!("/service/needs/{id}/claims"), form(&[]))
        }
        ("POST", "/api/v1/service/needs/{id}/claims") => {
            let id = fresh_need(f, w, o, n as i64 * 3).await;
            (
                format!("/api/v1/service/needs/{id}/claims"),
                Payload::Json(json!({})),
            )
        }
        ("POST", "/service/needs/{id}/close") => {
            let id = fresh_need(f, w, o, 0).await;
            (format!("/service/needs/{id}/close"), form(&[]))
        }
        ("POST", "/service/claims/{id}/checkin") => {
            let id = fresh_claim(f, w, o, side, &acting, false).await;
            (format!("/service/claims/{id}/checkin"), form(&[]))
        }
        ("POST", "/service/claims/{id}/checkout") => {
            let id = fresh_claim(f, w, o, side, &acting, false).await;
            (
                format!("/service/claims/{id}/checkout"),
                form(&[("travel_minutes", "5")]),
            )
        }
        ("POST", "/service/claims/{id}/withdraw") => {
            let id = fresh_claim(f, w, o, side, &acting, false).await;
            (format!("/service/claims/{id}/withdraw"), form(&[]))
        }
        ("POST", "/service/claims/{id}/confirm") => {
            let id = fresh_claim(f, w, o, side, &acting, true).await;
            (
                format!("/service/claims/{id}/confirm"),
                form(&[("hours", "1")]),
            )
        }
        ("GET", "/service/wishes") => ("/service/wishes".into(), Payload::None),
        ("POST", "/service/wishes") => (
            "/service/wishes".into(),
            form(&[
                ("community_id", &o.community.to_string()),
                ("title", "走查心愿"),
                ("wisher", "某阿姨"),
                ("contact", "13912345678"),
                ("consent", "1"),
            ]),
        ),
        ("POST", "/service/wishes/{id}/{step}") => {
            let id = f
                .app
                .post_wish(
                    &w.admin,
                    &app::service::WishInput {
                        community_id: Some(o.community),
                        title: "走查心愿".into(),
                        story: String::new(),
                        wisher: "某阿姨".into(),
                        contact: "13912345678".into(),
                        consent: true,
                    },
                )
                .await
                .unwrap()
                .id;
            (format!("/service/wishes/{id}/claim"), form(&[]))
        }
        ("GET", "/service/figures") => (
            format!("/service/figures?org_id={}", o.community),
            Payload::None,
        ),
        ("GET", "/service/figures/export") => (
            format!("/service/figures/export?org_id={}", o.community),
            Payload::None,
        ),
        ("GET", "/service/certificate") => (
            format!("/service/certificate?member_id={}", o.member),
            Payload::None,
        ),
        ("GET", "/service/rules") => ("/service/rules".into(), Payload::None),
        ("POST", "/service/rules") => (
            "/service/rules".into(),
            form(&[
                ("report_every_months", "6"),
                ("categories", "in_service"),
                ("open_claim_cap", "3"),
                ("hour_unit_minutes", "30"),
                ("wish_contact_days", "7"),
                ("wish_round_months", "1"),
            ]),
        ),
        ("GET", "/api/v1/service/needs") => ("/api/v1/service/needs".into(), Payload::None),
        ("POST", "/api/v1/service/needs") => {
            let (starts, ends) = need_times(0);
            (
                "/api/v1/service/needs".into(),
                Payload::Json(json!({"title": "走查需求", "place": "党群服务中心",
                    "starts_at": starts, "ends_at": ends, "people_needed": 3,
                    "community_id": o.community})),
            )
        }
        ("GET", "/api/v1/members/{id}/service") => (
            format!("/api/v1/members/{}/service", o.member),
            Payload::None,
        ),
        _ => panic!("no request is built for {method} {path}"),
    };
    Attempt { uri, payload }
}

/// A need's start and end, `hours_ahead` hours from now (each walk claim gets a slot of its
/// own, so that no claim clashes with the member's earlier ones).
fn need_times(hours_ahead: i64) -> (String, String) {
    let start = app::service::china_now() + chrono::Duration::hours(hours_ahead)
        - chrono::Duration::minutes(10);
    let end = start + chrono::Duration::hours(2);
    (
        start.format("%Y-%m-%dT%H:%M").to_string(),
        end.format("%Y-%m-%dT%H:%M").to_string(),
    )
}

/// A need in the side's community, posted by the district admin.
async fn fresh_need(f: &Fixture, w: &World, o: &Objects, hours_ahead: i64) -> i64 {
    let (starts_at, ends_at) = need_times(hours_ahead);
    f.app
        .post_need(
            &w.admin,
            &app::service::NeedInput {
                title: "走查需求".into(),
                place: "党群服务中心".into(),
                starts_at,
                ends_at,
                people_needed: 50,
                community_id: Some(o.community),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
}

/// A claim on a fresh need: the member login's own at home, the side's member on the other
/// street; checked in and out when `done`, so that it waits for confirmation.
async fn fresh_claim(
    f: &Fixture,
    w: &World,
    o: &Objects,
    side: Side,
    acting: &Actor,
    done: bool,
) -> i64 {
    let need = fresh_need(f, w, o, 0).await;
    let member = match side {
        Side::Own => acting.member_id.unwrap_or(o.member),
        Side::Foreign => o.member,
    };
    let branch = f.app.member(&w.admin, member).await.unwrap().branch_id;
    let claim = f
        .app
        .db
        .service_claim_create(need, member, branch, 1_000, &w.admin.author())
        .await
        .unwrap();
    if done {
        let now = app::service::china_now();
        f.app
            .db
            .service_claim_transition(
                claim.id,
                "claimed",
                &store::service::ClaimChange {
                    state: "done".into(),
                    checked_in_at: Some(now - chrono::Duration::hours(2)),
                    checked_out_at: Some(now),
                    proposed_minutes: Some(120),
                    ..Default::default()
                },
                &w.admin.author(),
            )
            .await
            .unwrap();
    }
    claim.id
}

/// A registration of the side's member with the side's community, replacing any live one.
async fn fresh_registration(f: &Fixture, w: &World, o: &Objects, confirmed: bool) -> i64 {
    let db = &f.app.db;
    let ctx = store::service::ReportingContext {
        today: app::members::today(),
        every_months: 6,
    };
    if let Some(live) = db.service_registration_of_member(o.member).await.unwrap() {
        db.service_registration_set_state(
            live.id,
            &live.state,
            "ended",
            ctx.today,
            &ctx,
            &w.admin.author(),
        )
        .await
        .unwrap();
    }
    let r = db
        .service_registration_create(
            &store::service::NewRegistration {
                member_id: o.member,
                branch_id: o.branch,
                community_id: o.community,
                grid_id: None,
                skills: "走查".into(),
                availability: String::new(),
                phone: String::new(),
                registered_on: ctx.today,
            },
            &w.admin.author(),
        )
        .await
        .unwrap();
    if confirmed {
        db.service_registration_set_state(
            r.id,
            "pending",
            "confirmed",
            ctx.today,
            &ctx,
            &w.admin.author(),
        )
        .await
        .unwrap();
    }
    r.id
}

/// An open appraisal campaign in a branch, under a year of its own so that each walk request
/// gets a fresh one, with the members it appraises. Opened as the district admin, whose
/// set-up the foreign street's audit check leaves aside. The years count up from 1, by a
/// counter of their own: the walk's shared serial runs into the thousands, so years drawn from
/// it reached the demo's own 2025, and folded below 1921 they repeated.
async fn fresh_campaign(f: &Fixture, w: &World, branch: i64) -> (i64, Vec<i64>) {
    static NEXT_YEAR: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(1);
    let year = NEXT_YEAR.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    assert!(
        year < 1921,
        "more walk campaigns than years before the demo's"
    );
    let author = w.admin.author();
    let id = f
        .app
        .db
        .appraisal_open(Scope::Subtree(branch), branch, year, "{}", "{}", &author)
        .await
        .unwrap();
    let members = f
        .app
        .db
        .points_members_of_branch(Scope::Subtree(branch), branch, year)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    (id, members)
}

/// A manual entry on a member, made by the district admin, for a correction to reverse.
async fn fresh_points_entry(f: &Fixture, w: &World, member: i64) -> i64 {
    let input = app::points::ManualEntryInput {
        member_id: member,
        item_code: "manual_deduction".into(),
        points: "-1".into(),
        reason: "走查".into(),
        approver: "某书记".into(),
        on_date: String::new(),
    };
    f.app.add_points_entry(&w.admin, &input).await.unwrap()
}

/// A day from which a new restriction of `member` overlaps none before it: any still open is
/// ended first (an accepted request of the walk may have left one).
async fn free_restriction_day(f: &Fixture, w: &World, member: i64) -> chrono::NaiveDate {
    let day = chrono::Duration::days(1);
    let mut latest = f.app.member(&w.admin, member).await.unwrap().admitted_on;
    for r in f.app.member_restrictions(&w.admin, member).await.unwrap() {
        let end = match r.ended_on {
            Some(end) => end,
            None => {
                let end = r.from_date + day;
                f.app
                    .end_restriction(
                        &w.admin,
                        member,
                        r.id,
                        &app::restrictions::RestrictionEndInput {
                            ended_on: end.to_string(),
                            end_approval: "某党委".into(),
                        },
                    )
                    .await
                    .unwrap();
                end
            }
        };
        latest = latest.max(end);
    }
    latest + day
}

/// The id of a fresh API token of `user`.
async fn token_of(f: &Fixture, username: &str) -> i64 {
    let owner = f.app.actor_by_username(username).await.unwrap();
    f.app
        .create_api_token(&owner, &format!("走查{}", serial()), 30)
        .await
        .unwrap();
    f.app.db.api_token_list(owner.user_id).await.unwrap()[0].id
}

/// How a request is authenticated.
enum Auth<'a> {
    Anonymous,
    /// A browser session: cookie and CSRF token, or `None` to leave the token out.
    Session(&'a str, Option<&'a str>),
    Bearer(&'a str),
}

async fn send(
    f: &Fixture,
    method: &str,
    reach: Reach,
    attempt: &Attempt,
    auth: Auth<'_>,
) -> (StatusCode, String) {
    let mut builder = Request::builder().method(method).uri(&attempt.uri);
    let mut csrf_field = None;
    match auth {
        Auth::Anonymous => {}
        Auth::Session(cookie, csrf) => {
            builder = builder.header(header::COOKIE, cookie);
            if let Some(csrf) = csrf {
                if reach == Reach::Api {
                    builder = builder.header("x-csrf-token", csrf);
                } else {
                    csrf_field = Some(csrf.to_string());
                }
            }
        }
        Auth::Bearer(token) => {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
    }
    let body = match &attempt.payload {
        Payload::None if Route::changes_state(method) => {
            builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(
                csrf_field
                    .map(|c| format!("csrf={}", encode(&c)))
                    .unwrap_or_default(),
            )
        }
        Payload::None => Body::empty(),
        Payload::Form(pairs) => {
            builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            let mut fields: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect();
            if let Some(csrf) = csrf_field {
                fields.push(format!("csrf={}", encode(&csrf)));
            }
            Body::from(fields.join("&"))
        }
        Payload::Json(value) => {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
            Body::from(value.to_string())
        }
        Payload::Multipart(fields, files) => {
            let mut fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            if let Some(csrf) = &csrf_field {
                fields.push(("csrf", csrf.as_str()));
            }
            let files: Vec<(&str, &str, &[u8])> = files
                .iter()
                .map(|(k, name, bytes)| (k.as_str(), name.as_str(), bytes.as_slice()))
                .collect();
            let (content_type, body) = multipart(&fields, &files);
            builder = builder.header(header::CONTENT_TYPE, content_type);
            Body::from(body)
        }
    };
    f.call(builder.body(body).unwrap()).await
}

/// The scoped (method, route) pairs of the router.
fn scoped_routes() -> Vec<(&'static str, &'static Route)> {
    web::routes::all()
        .flat_map(|r| r.methods.iter().map(move |m| (*m, r)))
        .filter(|(m, r)| matches!(case(m, r.path), Some(Case::Scoped)))
        .collect()
}

/// Every (method, route) behind a login: the scoped ones and those of the caller's own.
fn login_routes() -> Vec<(&'static str, &'static Route)> {
    web::routes::all()
        .flat_map(|r| r.methods.iter().map(move |m| (*m, r)))
        .filter(|(m, r)| matches!(case(m, r.path), Some(Case::Scoped | Case::Own)))
        .collect()
}

/// A fresh session of `role`, for requests that would end the shared one.
async fn own_session(f: &Fixture, role: &str) -> (String, String) {
    let (_, session) = f.app.login(role, PASSWORD, LOCAL).await.unwrap();
    (format!("dj_session={}", session.token), session.csrf_token)
}

/// Sends the attempt as `role`, with a session or the role's API token as the route takes.
async fn as_role(
    f: &Fixture,
    role: &str,
    method: &str,
    route: &Route,
    attempt: &Attempt,
) -> (StatusCode, String) {
    if route.reach == Reach::Api {
        return send(
            f,
            method,
            route.reach,
            attempt,
            Auth::Bearer(&f.tokens[role]),
        )
        .await;
    }
    let (cookie, csrf) = if route.path == "/logout" {
        own_session(f, role).await
    } else {
        f.sessions[role].clone()
    };
    send(
        f,
        method,
        route.reach,
        attempt,
        Auth::Session(&cookie, Some(&csrf)),
    )
    .await
}

/// The newest audit row in the foreign street written by anyone but the district admin (who
/// sets up what the walk uses up) or the foreign login whose tokens the walk makes, to see that refused requests left nothing there.
async fn newest_audit(f: &Fixture, w: &World) -> Option<i64> {
    f.app
        .db
        .audit_list(Scope::Subtree(f.foreign_org), None, 10_000, 0)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| {
            row.actor_user_id != Some(w.admin.user_id) && row.actor_user_id != Some(w.foreign.user)
        })
        .map(|row| row.id)
        .max()
}

#[tokio::test]
async fn every_route_refuses_another_street_and_records_who_may_use_it_at_home() {
    for f in fixtures().await {
        let w = world(&f).await;
        let routes = scoped_routes();
        let before = newest_audit(&f, &w).await;
        let mut leaks = Vec::new();
        for role in ROLES.iter().filter(|r| **r != "admin") {
            for (method, route) in &routes {
                let attempt = attempt(&f, &w, Side::Foreign, role, method, route.path).await;
                let (status, body) = as_role(&f, role, method, route, &attempt).await;
                let sent_away = *method == "GET" && status == StatusCode::SEE_OTHER;
                // An import names its branches inside the file: a row naming another street's
                // branch refuses the whole file, saying why.
                let file_refused = status.is_client_error() && body.contains("不在您的管理范围内");
                if !(refused(status) || sent_away || file_refused) {
                    leaks.push(format!(
                        "{role} {method} {} gave {status}: {}",
                        attempt.uri,
                        page_text(&body)
                    ));
                }
            }
        }
        assert!(
            leaks.is_empty(),
            "answered on another street:\n{}",
            leaks.join("\n")
        );
        assert_eq!(
            newest_audit(&f, &w).await,
            before,
            "a refused request changed another street"
        );

        // Who may use what on their own data: answered, or refused (403/404).
        let mut matrix: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for role in ROLES {
            for (method, route) in &login_routes() {
                let attempt = attempt(&f, &w, Side::Own, role, method, route.path).await;
                let (status, body) = as_role(&f, role, method, route, &attempt).await;
                assert!(
                    !status.is_server_error(),
                    "{role} {method} {} gave {status}: {}",
                    attempt.uri,
                    &body[..body.len().min(300)]
                );
                let row = matrix
                    .entry(format!("{method:4} {}", route.path))
                    .or_default();
                row.push(if refused(status) {
                    "—".into()
                } else if *method == "GET" && status == StatusCode::SEE_OTHER {
                    // Sent elsewhere (a member's home page is their own page).
                    "→".into()
                } else {
                    "✓".into()
                });
            }
        }
        let mut table = format!("{:55} {}\n", "", ROLES.join(" | "));
        for (route, cells) in &matrix {
            table.push_str(&format!("{route:55} {}\n", cells.join(" | ")));
        }
        insta::assert_snapshot!("own_scope", table);
    }
}

#[tokio::test]
async fn no_route_behind_a_login_answers_without_one() {
    for f in fixtures().await {
        let w = world(&f).await;
        for (method, route) in login_routes() {
            let attempt = attempt(&f, &w, Side::Own, "admin", method, route.path).await;
            let (status, body) = send(&f, method, route.reach, &attempt, Auth::Anonymous).await;
            let to_login = status == StatusCode::SEE_OTHER && body.is_empty();
            assert!(
                status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN || to_login,
                "{method} {} without a login gave {status}",
                attempt.uri
            );
        }
    }
}

#[tokio::test]
async fn every_state_changing_route_needs_the_csrf_token() {
    for f in fixtures().await {
        let w = world(&f).await;
        for (method, route) in login_routes() {
            if !Route::changes_state(method) {
                continue;
            }
            // Signing in to a meeting and voting on one's branch are a member's own acts;
            // everything else the admin may do.
            let role = if route.path.ends_with("/signin")
                || route.path.ends_with("/self")
                || route.path.ends_with("/peers")
                || route.path.ends_with("/claims")
                || route.path.ends_with("/checkin")
                || route.path.ends_with("/checkout")
                || route.path.ends_with("/withdraw")
                || route.path == "/service/wishes/{id}/{step}"
                || route.path == "/service/registrations"
            {
                "member"
            } else {
                "admin"
            };
            let attempt = attempt(&f, &w, Side::Own, role, method, route.path).await;
            let (cookie, csrf) = own_session(&f, role).await;
            let before = newest_audit_anywhere(&f, &w).await;
            for sent in [None, Some("forged"), Some("")] {
                let (status, body) = send(
                    &f,
                    method,
                    route.reach,
                    &attempt,
                    Auth::Session(&cookie, sent),
                )
                .await;
                // Pages answer 400 with the form's own message; the API answers 403.
                // Pages answer 400 with the form's own message, or 422 when a form that
                // requires the field cannot even be read without it; the API answers 403.
                let refused = match route.reach {
                    Reach::Api => status == StatusCode::FORBIDDEN,
                    _ if sent.is_none() && status == StatusCode::UNPROCESSABLE_ENTITY => true,
                    _ => status == StatusCode::BAD_REQUEST && body.contains("表单已过期或来源不明"),
                };
                assert!(
                    refused,
                    "{method} {} with CSRF token {sent:?} gave {status}",
                    attempt.uri
                );
            }
            assert_eq!(
                newest_audit_anywhere(&f, &w).await,
                before,
                "{method} {} without its token changed something",
                attempt.uri
            );
            // The same session with its token is let through, so the refusals above were the
            // token's doing.
            let (status, _) = send(
                &f,
                method,
                route.reach,
                &attempt,
                Auth::Session(&cookie, Some(&csrf)),
            )
            .await;
            assert_ne!(status, StatusCode::FORBIDDEN, "{method} {}", attempt.uri);
        }
    }
}

async fn newest_audit_anywhere(f: &Fixture, w: &World) -> Option<i64> {
    f.app
        .db
        .audit_list(Scope::Subtree(w.admin.org_id), None, 1, 0)
        .await
        .unwrap()
        .first()
        .map(|row| row.id)
}

/// The words of a page without its markup and navigation, to quote in a failure.
fn page_text(body: &str) -> String {
    let main = body.split("<main").nth(1).unwrap_or(body);
    let mut text = String::new();
    let mut in_tag = false;
    for c in main.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect()
}
