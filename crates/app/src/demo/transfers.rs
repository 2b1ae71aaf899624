//! The demo's 组织关系转接 in every state, and one 摸查 under way. Recorded through the same use
//! cases as an officer's, dated in the last two months, so the rules have passed on every step:
//! a received member has moved with their history, one sent out of the district has left the
//! roll, an expired letter has flagged its member 口袋党员, and the search has flagged one 失联.

use chrono::{Duration, NaiveDate};

use crate::lost_contact::{AttemptInput, CampaignInput, DecisionInput};
use crate::transfers::{TransferInput, TransferStepInput};
use crate::{Actor, App, Result};
use domain::Gender;
use domain::idcard::make_id_number;
use store::{MemberFilter, Scope};

/// What a demo transfer goes through: its steps, each `days` before today.
struct Scenario {
    direction: &'static str,
    /// The sending branch (by index into the demo's branches) and the receiving one.
    from: usize,
    to: usize,
    requested: i64,
    steps: &'static [(&'static str, i64)],
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        direction: "within",
        from: 0,
        to: 1,
        requested: 3,
        steps: &[],
    },
    Scenario {
        direction: "within",
        from: 0,
        to: 2,
        requested: 6,
        steps: &[("issue", 5)],
    },
    Scenario {
        direction: "within",
        from: 1,
        to: 2,
        requested: 42,
        steps: &[("issue", 40)],
    },
    Scenario {
        direction: "within",
        from: 1,
        to: 0,
        requested: 22,
        steps: &[("issue", 20), ("receive", 15)],
    },
    Scenario {
        direction: "within",
        from: 2,
        to: 0,
        requested: 33,
        steps: &[("issue", 30), ("receive", 25), ("receipt", 20)],
    },
    Scenario {
        direction: "out",
        from: 2,
        to: 0,
        requested: 62,
        steps: &[("issue", 60), ("receive", 40), ("receipt", 35)],
    },
    Scenario {
        direction: "out",
        from: 0,
        to: 0,
        requested: 10,
        steps: &[("withdraw", 8)],
    },
];

impl App {
    pub(super) async fn demo_transfers(
        &self,
        admin: &Actor,
        branches: &[i64],
        today: NaiveDate,
        district: usize,
    ) -> Result<usize> {
        if branches.len() < 3 {
            return Ok(0);
        }
        let ago = |days: i64| (today - Duration::days(days)).to_string();
        let mut used = std::collections::HashSet::new();
        let mut written = 0;
        for s in SCENARIOS {
            let Some(member) = self.demo_mover(branches[s.from], &mut used).await? else {
                continue;
            };
            let input = TransferInput {
                direction: s.direction.into(),
                member_id: Some(member),
                to_org_id: (s.direction == "within").then_some(branches[s.to]),
                to_text: "中共某市某区某街道工作委员会".into(),
                reach: "outside_city".into(),
                reason: if s.direction == "out" {
                    "工作调动到外地"
                } else {
                    "居住地变动"
                }
                .into(),
                requested_on: ago(s.requested),
                ..Default::default()
            };
            let id = self.open_transfer(admin, &input).await?;
            for (step, days) in s.steps {
                let step_input = TransferStepInput {
                    step: (*step).into(),
                    on: ago(*days),
                    handled_by: "党支部书记".into(),
                    document: if *step == "receipt" { "回执" } else { "" }.into(),
                    letter_number: if *step == "issue" {
                        format!("演示〔2026〕{id}号")
                    } else {
                        String::new()
                    },
                    ..Default::default()
                };
                self.record_transfer_step(admin, id, &step_input).await?;
            }
            written += 1;
        }
        // Two letters from outside: one waiting for the member to report, one received.
        for (k, (issued, received)) in [(4_i64, None), (12, Some(10_i64))].into_iter().enumerate() {
            let id_number = make_id_number(
                "320102",
                NaiveDate::from_ymd_opt(1986, 3, 9 + k as u32).unwrap_or(today),
                // Each district's two newcomers are different people.
                700 + 2 * (district as u16 - 1) + k as u16,
                Gender::Female,
            );
            let input = TransferInput {
                direction: "in".into(),
                to_org_id: Some(branches[k]),
                from_text: "中共南京市某区某街道工作委员会".into(),
                reach: "outside_city".into(),
                reason: "工作调动到本区".into(),
                requested_on: ago(issued - 1),
                name: ["韩雪梅", "罗晓燕"][k].into(),
                id_number,
                category: "在职".into(),
                status: "正式党员".into(),
                admitted_on: "2010-07-01".into(),
                full_on: "2011-07-01".into(),
                issued_on: ago(issued),
                valid_until: ago(issued - 29),
                letter_number: format!("宁〔2026〕{}号", 310 + k),
                ..Default::default()
            };
            let id = self.open_transfer(admin, &input).await?;
            if let Some(days) = received {
                let step = TransferStepInput {
                    step: "receive".into(),
                    on: ago(days),
                    handled_by: "党支部书记".into(),
                    ..Default::default()
                };
                self.record_transfer_step(admin, id, &step).await?;
            }
            written += 1;
        }
        self.sweep_transfers(today).await?;
        Ok(written)
    }

    /// A 正式党员 of `branch` not yet used by another scenario.
    async fn demo_mover(
        &self,
        branch: i64,
        used: &mut std::collections::HashSet<i64>,
    ) -> Result<Option<i64>> {
        let filter = MemberFilter {
            status: Some("full".into()),
            ..Default::default()
        };
        let members = self
            .db
            .member_search(Scope::Subtree(branch), &filter, 20, 0)
            .await?;
        Ok(members
            .into_iter()
            .map(|m| m.id)
            .find(|id| used.insert(*id)))
    }

    /// One 摸查 under `org`, begun today, with a few members already looked for: one found, one
    /// confirmed 失联, one still being searched for.
    pub(super) async fn demo_campaign(&self, admin: &Actor, org: i64) -> Result<usize> {
        let input = CampaignInput {
            org_id: org,
            title: "2026年失联党员和口袋党员集中排查".into(),
            quiet_months: "6".into(),
        };
        let id = self.start_campaign(admin, &input).await?;
        let cases = self.campaign(admin, id).await?.cases;
        let attempt = |method: &str, reached: bool, note: &str| AttemptInput {
            on: String::new(),
            method: method.into(),
            reached,
            note: note.into(),
        };
        let decide = |decision: &str, cause: &str| DecisionInput {
            decision: decision.into(),
            on: String::new(),
            cause: cause.into(),
            approved: false,
        };
        if let Some(c) = cases.first() {
            self.record_attempt(
                admin,
                c.case.id,
                &attempt("phone", true, "电话联系上，本人在外地照顾老人，已补交党费"),
            )
            .await?;
            self.decide_case(admin, c.case.id, &decide("found", ""))
                .await?;
        }
        if let Some(c) = cases.get(1) {
            self.record_attempt(admin, c.case.id, &attempt("phone", false, "电话停机"))
                .await?;
            self.record_attempt(
                admin,
                c.case.id,
                &attempt("visit", false, "登记住址已出租，房东不知去向"),
            )
            .await?;
            self.decide_case(admin, c.case.id, &decide("lost", "moved"))
                .await?;
        }
        if let Some(c) = cases.get(2) {
            self.record_attempt(
                admin,
                c.case.id,
                &attempt("family", false, "家属称其在外务工，答应转告"),
            )
            .await?;
        }
        Ok(cases.len())
    }
}
