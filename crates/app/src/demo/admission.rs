//! The demo's 发展党员 files: in the demo logins' branch one at every stage from a new application
//! to 正式党员, and a few more across the district, some of them overdue. They are recorded
//! through the same use cases as an officer's, so the rules have passed on every step and an
//! approved applicant has become a member.

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use super::tree::random_name;
use crate::admission::{ApplicantInput, StepInput};
use crate::{Actor, App, Result};
use domain::Gender;
use domain::idcard::make_id_number;

/// The steps of a file that ends 正式党员, each with its day counted from the application.
fn path(sponsors: &[i64]) -> Vec<(i64, StepInput)> {
    let step = |code: &str| StepInput {
        step: code.into(),
        ..Default::default()
    };
    let vote = |code: &str, expected: u32| StepInput {
        expected: Some(expected),
        present: Some(expected * 4 / 5),
        yes: Some(expected * 3 / 4),
        decision: "convert".into(),
        ..step(code)
    };
    vec![
        (
            14,
            StepInput {
                post: "secretary".into(),
                handled_by: "党支部书记".into(),
                document: "谈话记录".into(),
                ..step("talk")
            },
        ),
        (
            40,
            StepInput {
                member_ids: sponsors[..2].to_vec(),
                handled_by: "支委会".into(),
                ..step("name_activist")
            },
        ),
        (
            46,
            StepInput {
                document: "街道党工委备案".into(),
                ..step("file_activist")
            },
        ),
        (190, step("review")),
        (
            200,
            StepInput {
                days: Some(3),
                hours: Some(24),
                document: "街道党校入党积极分子培训班".into(),
                ..step("training")
            },
        ),
        (
            420,
            StepInput {
                handled_by: "支委会".into(),
                ..step("name_dev_object")
            },
        ),
        (370, step("review")),
        (425, step("file_dev_object")),
        (
            428,
            StepInput {
                member_ids: vec![sponsors[0], sponsors[2]],
                ..step("introducers")
            },
        ),
        (
            440,
            StepInput {
                passed: true,
                document: "政治审查综合报告".into(),
                ..step("political_review")
            },
        ),
        (446, step("committee_review")),
        (455, step("pre_review")),
        (
            460,
            StepInput {
                number: "志愿书编号待填".into(),
                ..step("pledge")
            },
        ),
        (470, vote("branch_vote", 20)),
        (
            490,
            StepInput {
                interviewer: "organiser".into(),
                ..step("interview")
            },
        ),
        (505, step("approve")),
        (507, step("assign")),
        (530, step("oath")),
        (680, step("review")),
        (815, step("apply_conversion")),
        (840, vote("conversion_vote", 20)),
        (855, step("conversion_approve")),
    ]
}

/// Files of the demo: (the last step done, or "" for a new application; days since it).
const FILES: &[(&str, i64)] = &[
    ("", 10),
    ("", 40),
    ("talk", 60),
    ("file_activist", 100),
    ("training", 150),
    ("name_dev_object", 20),
    ("committee_review", 5),
    ("pre_review", 3),
    ("branch_vote", 20),
    ("branch_vote", 100),
    ("approve", 60),
    ("review", 100),
    ("conversion_approve", 200),
];

impl App {
    /// Writes the demo's files in `branches` (the logins' branch first). Returns how many.
    pub(super) async fn demo_admission(
        &self,
        rng: &mut StdRng,
        admin: &Actor,
        branches: &[i64],
        today: NaiveDate,
    ) -> Result<usize> {
        let mut written = 0;
        for (i, branch) in branches.iter().enumerate() {
            // Every stage in the first branch; two files in each of the others.
            let files: Vec<(&str, i64)> = if i == 0 {
                FILES.to_vec()
            } else {
                vec![
                    FILES[rng.random_range(0..FILES.len())],
                    FILES[rng.random_range(0..FILES.len())],
                ]
            };
            for (last, since) in files {
                if self
                    .demo_file(rng, admin, *branch, last, since, today)
                    .await?
                {
                    written += 1;
                }
            }
        }
        Ok(written)
    }

    /// One file with the path's steps up to `last` (its last occurrence), done `since` days
    /// ago. `false` when the branch has too few full members to name contacts and introducers.
    async fn demo_file(
        &self,
        rng: &mut StdRng,
        admin: &Actor,
        branch: i64,
        last: &str,
        since: i64,
        today: NaiveDate,
    ) -> Result<bool> {
        let probe = path(&[0, 0, 0]);
        let done = probe
            .iter()
            .rposition(|(_, s)| s.step == last)
            .map_or(0, |i| i + 1);
        let last_day = if done == 0 { 0 } else { probe[done - 1].0 };
        let applied_on = today - Duration::days(last_day + since);
        let birth = applied_on - Duration::days(rng.random_range(20 * 365..35 * 365));
        let gender = if rng.random_bool(0.5) {
            Gender::Male
        } else {
            Gender::Female
        };
        let id_number = loop {
            let candidate = make_id_number("500103", birth, rng.random_range(0..1000), gender);
            if !self.db.applicant_id_number_taken(&candidate).await? {
                break candidate;
            }
        };
        let input = ApplicantInput {
            branch_id: branch,
            name: random_name(rng),
            id_number,
            category: "in_service".into(),
            applied_on: applied_on.to_string(),
            work_unit: "区属事业单位".into(),
            ..Default::default()
        };
        // Contacts and introducers: full members, with their rights, on the days they are named.
        let candidates = self
            .db
            .member_search(
                admin.scope(),
                &store::MemberFilter {
                    org_id: Some(branch),
                    status: Some("full".into()),
                    full_before: Some(applied_on),
                    ..Default::default()
                },
                20,
                0,
            )
            .await?;
        let mut sponsors = Vec::new();
        for candidate in candidates {
            let mut fit = true;
            for day in [40, 428] {
                let on = applied_on + Duration::days(day);
                fit &= self
                    .sponsors(admin, &[candidate.id], on)
                    .await?
                    .iter()
                    .all(|s| s.full_member && !s.restricted);
            }
            if fit {
                sponsors.push(candidate.id);
            }
            if sponsors.len() == 3 {
                break;
            }
        }
        if sponsors.len() < 3 {
            return Ok(false);
        }
        let id = self.open_applicant(admin, &input).await?;
        for (day, mut step) in path(&sponsors).into_iter().take(done) {
            step.on = (applied_on + Duration::days(day)).to_string();
            if step.step == "pledge" {
                step.number = format!("{}-{id:04}", applied_on.format("%Y"));
            }
            self.record_applicant_step(admin, id, &step).await?;
        }
        Ok(true)
    }
}
