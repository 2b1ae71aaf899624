use super::*;
use crate::workcal::china_2026;
use proptest::prelude::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn member(id: i64) -> Sponsor {
    Sponsor {
        member_id: id,
        full_member: true,
        restricted: false,
    }
}

const STREET: Approver = Approver {
    kind: OrgKind::StreetCommittee,
    granted: false,
};

fn passed_vote() -> Vote {
    Vote {
        expected: 20,
        present: 16,
        yes: 15,
        written_yes: 0,
    }
}

/// Every step of a 2014 file that ends 正式党员, from an application on 2023-01-10: the vote on
/// 2024-03-15 admits the member, so the term ends 2025-03-15.
fn whole_path() -> Vec<Action> {
    vec![
        Action::Talk {
            on: d(2023, 1, 25),
            by: PartyPost::Secretary,
        },
        Action::NameActivist {
            on: d(2023, 2, 20),
            recommended: Recommendation::Members,
            contacts: vec![member(1), member(2)],
        },
        Action::FileActivist { on: d(2023, 2, 25) },
        Action::Training {
            on: d(2023, 9, 1),
            days: 3,
            hours: 0,
        },
        Action::NameDevObject { on: d(2024, 2, 20) },
        Action::FileDevObject { on: d(2024, 2, 22) },
        Action::Introducers {
            on: d(2024, 2, 23),
            sponsors: vec![member(1), member(3)],
        },
        Action::PoliticalReview {
            on: d(2024, 2, 26),
            passed: true,
        },
        Action::CommitteeReview { on: d(2024, 2, 28) },
        Action::PreReview {
            on: d(2024, 3, 5),
            by: STREET,
            leaving_within_three_months: false,
        },
        Action::Pledge {
            on: d(2024, 3, 8),
            number: "2024-0153".into(),
        },
        Action::BranchVote {
            on: d(2024, 3, 15),
            vote: passed_vote(),
        },
        Action::Interview {
            on: d(2024, 4, 2),
            by: Interviewer::Organiser,
        },
        Action::Approve {
            on: d(2024, 4, 20),
            by: STREET,
            special: false,
        },
        Action::Assign { on: d(2024, 4, 21) },
        Action::Oath { on: d(2024, 7, 1) },
        Action::ApplyConversion { on: d(2025, 2, 20) },
        Action::ConversionVote {
            on: d(2025, 3, 20),
            vote: passed_vote(),
            decision: Conversion::Convert,
        },
        Action::ConversionApprove {
            on: d(2025, 4, 10),
            by: STREET,
        },
    ]
}

fn opened() -> File {
    open(RuleVersion::Rules2014, d(2023, 1, 10), d(1998, 5, 1)).unwrap()
}

/// Applies `actions` in turn, stopping at the first refusal.
fn run(file: File, actions: &[Action]) -> Result<File, Refusal> {
    let calendar = china_2026();
    actions
        .iter()
        .try_fold(file, |f, a| apply(&f, a, &calendar))
}

/// Applies `actions`, passing over the ones refused, as an officer who keeps trying would.
fn run_lenient(file: File, actions: &[Action]) -> File {
    let calendar = china_2026();
    actions
        .iter()
        .fold(file, |f, a| apply(&f, a, &calendar).unwrap_or(f))
}

/// The file just before `action` is applied on the whole path, and the action.
fn before(step: Step) -> (File, Action) {
    let path = whole_path();
    let at = path.iter().position(|a| a.step() == Some(step)).unwrap();
    (run(opened(), &path[..at]).unwrap(), path[at].clone())
}

fn refused(file: &File, action: &Action) -> Refusal {
    apply(file, action, &china_2026()).unwrap_err()
}

#[test]
fn the_whole_path_ends_a_full_member_with_every_step_on_file() {
    let file = run(opened(), &whole_path()).unwrap();
    assert_eq!(file.stage, Stage::Full);
    assert_eq!(admitted_on(&file), Some(d(2024, 3, 15)));
    assert_eq!(file.probation_ends_on, Some(d(2025, 3, 15)));
    // 党龄 from the end of the term, not from the approval.
    assert_eq!(file.full_on, Some(d(2025, 3, 15)));
    let file = apply(&file, &Action::Archive { on: d(2025, 5, 1) }, &china_2026()).unwrap();
    for step in Step::ALL {
        if !matches!(
            step,
            Step::Cultivate | Step::ContinueCultivation | Step::RecordAbove
        ) {
            assert!(file.steps.contains(step), "{step:?}");
        }
    }
    assert_eq!(Step::Archive.number(), 25);
    assert_eq!(Step::Apply.number(), 1);
    assert_eq!(Step::BranchVote.phase_label(), "预备党员的接收");
}

#[test]
fn an_applicant_is_eighteen_on_the_day() {
    assert!(open(RuleVersion::Rules2014, d(2026, 2, 28), d(2008, 3, 1)).is_err());
    assert!(open(RuleVersion::Rules2014, d(2026, 3, 1), d(2008, 3, 1)).is_ok());
}

#[test]
fn the_talk_is_within_a_month_counted_to_the_end_of_a_short_month() {
    let file = open(RuleVersion::Rules2014, d(2024, 1, 31), d(1990, 1, 1)).unwrap();
    let talk = |on| Action::Talk {
        on,
        by: PartyPost::OrganisationMember,
    };
    // 2024 is a leap year: a month after 31 January is 29 February.
    assert!(apply(&file, &talk(d(2024, 2, 29)), &china_2026()).is_ok());
    let late = refused(&file, &talk(d(2024, 3, 1)));
    assert!(late.reason.contains("一个月内"), "{late}");
    assert!(late.to_string().contains("发展党员工作细则"));
    let file = open(RuleVersion::Rules2014, d(2025, 1, 31), d(1990, 1, 1)).unwrap();
    assert!(apply(&file, &talk(d(2025, 2, 28)), &china_2026()).is_ok());
    assert!(apply(&file, &talk(d(2025, 3, 1)), &china_2026()).is_err());
    // Only the 书记, 副书记 or 组织委员 talk.
    let by_member = Action::Talk {
        on: d(2025, 2, 1),
        by: PartyPost::PublicityMember,
    };
    assert!(apply(&file, &by_member, &china_2026()).is_err());
}

#[test]
fn an_activist_has_one_or_two_full_members_as_contacts() {
    let (file, _) = before(Step::NameActivist);
    let name = |contacts| Action::NameActivist {
        on: d(2023, 2, 20),
        recommended: Recommendation::MassOrganisation,
        contacts,
    };
    assert!(apply(&file, &name(vec![]), &china_2026()).is_err());
    assert!(
        apply(
            &file,
            &name(vec![member(1), member(2), member(3)]),
            &china_2026()
        )
        .is_err()
    );
    let probationary = Sponsor {
        full_member: false,
        ..member(4)
    };
    assert!(apply(&file, &name(vec![probationary]), &china_2026()).is_err());
    assert!(apply(&file, &name(vec![member(1)]), &china_2026()).is_ok());
}

#[test]
fn a_development_object_has_a_year_and_more_as_an_activist() {
    let mut file = opened();
    file = run(file, &whole_path()[..3]).unwrap();
    let activist_on = file.activist_on.unwrap();
    assert_eq!(activist_on, d(2023, 2, 20));
    let early = refused(&file, &Action::NameDevObject { on: d(2024, 2, 19) });
    assert!(early.reason.contains("2024-02-20"), "{early}");
    assert!(
        apply(
            &file,
            &Action::NameDevObject { on: d(2024, 2, 20) },
            &china_2026()
        )
        .is_ok()
    );
    // From 29 February, a year on is 28 February.
    let mut leap = file.clone();
    leap.activist_on = Some(d(2024, 2, 29));
    assert!(
        apply(
            &leap,
            &Action::NameDevObject { on: d(2025, 2, 27) },
            &china_2026()
        )
        .is_err()
    );
    assert!(
        apply(
            &leap,
            &Action::NameDevObject { on: d(2025, 2, 28) },
            &china_2026()
        )
        .is_ok()
    );
    // Not before the 上级 has the activist on file.
    let unfiled = run(opened(), &whole_path()[..2]).unwrap();
    assert!(
        apply(
            &unfiled,
            &Action::NameDevObject { on: d(2024, 3, 1) },
            &china_2026()
        )
        .is_err()
    );
}

#[test]
fn two_distinct_introducers_who_are_full_members_not_under_discipline() {
    let (file, _) = before(Step::Introducers);
    let with = |sponsors| Action::Introducers {
        on: d(2024, 2, 23),
        sponsors,
    };
    assert!(apply(&file, &with(vec![member(1)]), &china_2026()).is_err());
    assert!(apply(&file, &with(vec![member(1), member(1)]), &china_2026()).is_err());
    let on_probation = Sponsor {
        restricted: true,
        ..member(5)
    };
    let r = refused(&file, &with(vec![member(1), on_probation]));
    assert!(r.reason.contains("留党察看"), "{r}");
    let probationary = Sponsor {
        full_member: false,
        ..member(6)
    };
    assert!(apply(&file, &with(vec![member(1), probationary]), &china_2026()).is_err());
}

#[test]
fn no_committee_review_without_a_passed_political_review_or_enough_training() {
    let path = whole_path();
    let at = |step| path.iter().position(|a| a.step() == Some(step)).unwrap();
    let without = |step: Step| -> Vec<Action> {
        let skip = at(step);
        path[..at(Step::CommitteeReview)]
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, a)| a.clone())
            .collect()
    };
    let review = Action::CommitteeReview { on: d(2024, 2, 28) };
    for missing in [Step::PoliticalReview, Step::Training, Step::Introducers] {
        let file = run(opened(), &without(missing)).unwrap();
        assert!(apply(&file, &review, &china_2026()).is_err(), "{missing:?}");
    }
    // A failed 政审 is on file but does not count.
    let (mut file, _) = before(Step::CommitteeReview);
    file = apply(
        &file,
        &Action::PoliticalReview {
            on: d(2024, 2, 27),
            passed: false,
        },
        &china_2026(),
    )
    .unwrap();
    assert!(apply(&file, &review, &china_2026()).is_err());
}

#[test]
fn training_is_three_days_or_twenty_four_hours() {
    assert!(!training_enough(2, 23));
    assert!(training_enough(3, 0));
    assert!(training_enough(0, 24));
    assert!(training_enough(1, 24));
}

#[test]
fn pre_review_is_by_a_committee_that_may_approve_and_not_for_a_leaver() {
    let (file, _) = before(Step::PreReview);
    let by = |kind, granted, leaving| Action::PreReview {
        on: d(2024, 3, 5),
        by: Approver { kind, granted },
        leaving_within_three_months: leaving,
    };
    assert!(
        apply(
            &file,
            &by(OrgKind::GeneralBranch, false, false),
            &china_2026()
        )
        .is_err()
    );
    assert!(
        apply(
            &file,
            &by(OrgKind::CommunityCommittee, false, false),
            &china_2026()
        )
        .is_err()
    );
    assert!(
        apply(
            &file,
            &by(OrgKind::CommunityCommittee, true, false),
            &china_2026()
        )
        .is_ok()
    );
    let leaver = refused(&file, &by(OrgKind::StreetCommittee, false, true));
    assert!(leaver.reason.contains("三个月内"), "{leaver}");
}

#[test]
fn the_branch_vote_needs_the_quorum_and_more_than_half_of_those_expected() {
    let (file, _) = before(Step::BranchVote);
    let vote = |present, yes, written_yes| Action::BranchVote {
        on: d(2024, 3, 15),
        vote: Vote {
            expected: 20,
            present,
            yes,
            written_yes,
        },
    };
    // Exactly half present is no quorum: voted down, back to 发展对象.
    let down = apply(&file, &vote(10, 10, 0), &china_2026()).unwrap();
    assert_eq!(down.stage, Stage::DevObject);
    assert_eq!(down.failed_vote_on, Some(d(2024, 3, 15)));
    // 11 present, 10 for, 1 written opinion for: 11 of 20 expected, passes.
    let up = apply(&file, &vote(11, 10, 1), &china_2026()).unwrap();
    assert_eq!(up.stage, Stage::ProbPending);
    // Counts that cannot be are refused, not voted.
    assert!(apply(&file, &vote(21, 10, 0), &china_2026()).is_err());
    // Voted down: review and 预审 again, and not within six months.
    let review = Action::CommitteeReview { on: d(2024, 4, 1) };
    let down = apply(&down, &review, &china_2026()).unwrap();
    let pre = |on| Action::PreReview {
        on,
        by: STREET,
        leaving_within_three_months: false,
    };
    assert!(apply(&down, &pre(d(2024, 9, 14)), &china_2026()).is_err());
    assert!(apply(&down, &pre(d(2024, 9, 15)), &china_2026()).is_ok());
}

#[test]
fn approval_follows_an_interview_within_three_months_or_six_when_special() {
    let (file, _) = before(Step::Approve);
    let approve = |on, special| Action::Approve {
        on,
        by: STREET,
        special,
    };
    assert!(apply(&file, &approve(d(2024, 6, 15), false), &china_2026()).is_ok());
    let late = refused(&file, &approve(d(2024, 6, 16), false));
    assert!(late.reason.contains("3个月内"), "{late}");
    assert!(apply(&file, &approve(d(2024, 9, 15), true), &china_2026()).is_ok());
    assert!(apply(&file, &approve(d(2024, 9, 16), true), &china_2026()).is_err());
    // No interview yet (or one after the approval): refused.
    let (no_interview, _) = before(Step::Interview);
    assert!(
        apply(
            &no_interview,
            &approve(d(2024, 4, 20), false),
            &china_2026()
        )
        .is_err()
    );
    assert!(apply(&file, &approve(d(2024, 4, 1), false), &china_2026()).is_err());
    // A 党总支 does not approve.
    let by_general_branch = Action::Approve {
        on: d(2024, 4, 20),
        by: Approver {
            kind: OrgKind::GeneralBranch,
            granted: true,
        },
        special: false,
    };
    assert!(apply(&file, &by_general_branch, &china_2026()).is_err());
}

#[test]
fn probation_is_a_year_from_the_branch_vote_and_ends_on_a_short_month_end() {
    let (mut file, approve) = before(Step::Approve);
    file.branch_vote_on = Some(d(2024, 2, 29));
    file.interview_on = Some(d(2024, 3, 1));
    let approve = match approve {
        Action::Approve { by, special, .. } => Action::Approve {
            on: d(2024, 3, 20),
            by,
            special,
        },
        other => other,
    };
    let file = apply(&file, &approve, &china_2026()).unwrap();
    assert_eq!(file.probation_ends_on, Some(d(2025, 2, 28)));
}

#[test]
fn the_term_is_extended_once_by_six_to_twelve_months() {
    let (file, _) = before(Step::ConversionVote);
    let decide = |on, decision| Action::ConversionVote {
        on,
        vote: passed_vote(),
        decision,
    };
    // Not before the term ends (a cancellation may come earlier).
    assert!(
        apply(
            &file,
            &decide(d(2025, 3, 14), Conversion::Convert),
            &china_2026()
        )
        .is_err()
    );
    assert!(
        apply(
            &file,
            &decide(d(2025, 3, 14), Conversion::Extend { months: 6 }),
            &china_2026()
        )
        .is_err()
    );
    assert!(
        apply(
            &file,
            &decide(d(2025, 1, 10), Conversion::Cancel),
            &china_2026()
        )
        .is_ok()
    );
    for months in [5, 13] {
        assert!(
            apply(
                &file,
                &decide(d(2025, 3, 20), Conversion::Extend { months }),
                &china_2026()
            )
            .is_err(),
            "{months}"
        );
    }
    let extended = run(
        file,
        &[
            decide(d(2025, 3, 20), Conversion::Extend { months: 6 }),
            Action::ConversionApprove {
                on: d(2025, 4, 1),
                by: STREET,
            },
        ],
    )
    .unwrap();
    assert_eq!(extended.stage, Stage::Extended);
    assert_eq!(extended.probation_ends_on, Some(d(2025, 9, 15)));
    let again = refused(
        &extended,
        &decide(d(2025, 9, 20), Conversion::Extend { months: 6 }),
    );
    assert!(again.reason.contains("一次"), "{again}");
    // After the extension: a new application, then conversion dates from the extended end.
    let full = run(
        extended,
        &[
            Action::ApplyConversion { on: d(2025, 9, 1) },
            decide(d(2025, 9, 20), Conversion::Convert),
            Action::ConversionApprove {
                on: d(2025, 10, 9),
                by: STREET,
            },
        ],
    )
    .unwrap();
    assert_eq!(full.stage, Stage::Full);
    assert_eq!(full.full_on, Some(d(2025, 9, 15)));
}

#[test]
fn the_conversion_is_approved_within_three_months() {
    let (file, _) = before(Step::ConversionApprove);
    let approve = |on| Action::ConversionApprove { on, by: STREET };
    assert!(apply(&file, &approve(d(2025, 6, 20)), &china_2026()).is_ok());
    assert!(apply(&file, &approve(d(2025, 6, 21)), &china_2026()).is_err());
}

#[test]
fn a_file_closes_only_before_probation_and_archives_only_at_the_end() {
    let (pending, _) = before(Step::Approve);
    let close = Action::Close { on: d(2024, 4, 5) };
    assert_eq!(
        apply(&pending, &close, &china_2026()).unwrap().stage,
        Stage::Closed
    );
    let (probationary, _) = before(Step::Assign);
    assert!(apply(&probationary, &close, &china_2026()).is_err());
    assert!(
        apply(
            &probationary,
            &Action::Archive { on: d(2024, 5, 1) },
            &china_2026()
        )
        .is_err()
    );
}

#[test]
fn the_2026_rules_want_five_working_days_of_publicity_and_the_higher_committees_consent() {
    let file = open(RuleVersion::Rules2026, d(2025, 6, 1), d(1995, 1, 1)).unwrap();
    let file = run(
        file,
        &[
            Action::Talk {
                on: d(2025, 6, 10),
                by: PartyPost::Secretary,
            },
            Action::NameActivist {
                on: d(2025, 7, 1),
                recommended: Recommendation::Members,
                contacts: vec![member(1)],
            },
            Action::FileActivist { on: d(2025, 7, 3) },
        ],
    )
    .unwrap();
    let name = Action::NameDevObject {
        on: d(2026, 10, 12),
    };
    let no_publicity = refused(&file, &name);
    assert!(no_publicity.reason.contains("公示"), "{no_publicity}");
    // 29 September to 9 October 2026 spans the National Day holiday: 4 working days.
    let short = run(
        file.clone(),
        &[
            Action::Publicity {
                from: d(2026, 9, 29),
                to: d(2026, 10, 9),
            },
            Action::HigherConsent {
                on: d(2026, 10, 10),
            },
        ],
    )
    .unwrap();
    assert!(refused(&short, &name).reason.contains("5个工作日"));
    // To Saturday 10 October, a make-up working day: 5.
    let enough = apply(
        &file,
        &Action::Publicity {
            from: d(2026, 9, 29),
            to: d(2026, 10, 10),
        },
        &china_2026(),
    )
    .unwrap();
    assert!(refused(&enough, &name).reason.contains("同意"));
    let agreed = apply(
        &enough,
        &Action::HigherConsent {
            on: d(2026, 10, 11),
        },
        &china_2026(),
    )
    .unwrap();
    assert_eq!(
        apply(&agreed, &name, &china_2026()).unwrap().stage,
        Stage::DevObject
    );
    // The 2014 rules have neither step.
    let (old, _) = before(Step::NameDevObject);
    assert!(
        apply(
            &old,
            &Action::HigherConsent { on: d(2024, 1, 1) },
            &china_2026()
        )
        .is_err()
    );
}

#[test]
fn deadlines_follow_the_stage() {
    let file = opened();
    assert_eq!(
        deadlines(&file),
        vec![Due {
            what: "派人谈话",
            on: d(2023, 2, 10),
            basis: RULES_2014,
            limit: true,
        }]
    );
    let (activist, _) = before(Step::Training);
    let due = deadlines(&activist);
    assert!(
        due.iter()
            .any(|d_| d_.what == "可确定为发展对象" && d_.on == d(2024, 2, 20))
    );
    assert!(
        due.iter()
            .any(|d_| d_.what == "半年一次的考察" && d_.on == d(2023, 8, 20))
    );
    let (pending, _) = before(Step::Interview);
    assert!(
        deadlines(&pending)
            .iter()
            .any(|d_| d_.what == "上级党委审批" && d_.on == d(2024, 6, 15))
    );
    let (probationary, _) = before(Step::ApplyConversion);
    assert!(
        deadlines(&probationary)
            .iter()
            .any(|d_| d_.what == "预备期满，讨论转正" && d_.on == d(2025, 3, 15))
    );
    let full = run(opened(), &whole_path()).unwrap();
    assert!(deadlines(&full).is_empty());
}

/// The steps a file cannot reach 正式党员 without (the half-yearly reviews and the report one
/// level up are kept but guard nothing).
fn required(action: &Action) -> bool {
    !matches!(
        action,
        Action::Review { .. } | Action::RecordAbove { .. } | Action::Training { .. }
    )
}

proptest! {
    /// Leave out any one required step of the whole path, try everything else in order (the
    /// refused ones passed over): the file never becomes 正式党员.
    #[test]
    fn no_sequence_skipping_a_required_step_reaches_full(skip in 0usize..19) {
        let path = whole_path();
        prop_assume!(required(&path[skip]));
        let rest: Vec<Action> = path
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, a)| a.clone())
            .collect();
        let file = run_lenient(opened(), &rest);
        prop_assert_ne!(file.stage, Stage::Full);
    }

    /// The path with its days moved later step by step (so its order holds), and steps
    /// repeated or brought in at random days (the refused ones passed over): whatever the file
    /// reaches, a 正式党员 has every required step on file, a year of cultivation before being
    /// named 发展对象, enough training and a full year of probation.
    #[test]
    fn whatever_the_order_a_full_member_has_every_required_step(
        delays in proptest::collection::vec(0i64..4, 19),
        extras in proptest::collection::vec((0usize..19, 0usize..19, -400i64..400), 0..12),
    ) {
        let mut actions = delayed(&delays);
        let path = whole_path();
        for (at, which, shift) in &extras {
            actions.insert((*at).min(actions.len()), shifted(&path[*which], *shift));
        }
        let file = run_lenient(opened(), &actions);
        if file.stage == Stage::Full {
            for step in [
                Step::Talk, Step::NameActivist, Step::FileActivist, Step::NameDevObject,
                Step::FileDevObject, Step::Introducers, Step::PoliticalReview,
                Step::CommitteeReview, Step::PreReview, Step::Pledge, Step::BranchVote,
                Step::Interview, Step::Approve, Step::Assign, Step::Oath,
                Step::ApplyConversion, Step::ConversionVote, Step::ConversionApprove,
            ] {
                prop_assert!(file.steps.contains(&step), "{:?}", step);
            }
            prop_assert!(training_enough(file.training_days, file.training_hours));
            prop_assert!(file.talked_on.unwrap() <= months_after(file.applied_on, 1));
            prop_assert!(file.dev_object_on.unwrap() >= months_after(file.activist_on.unwrap(), 12));
            prop_assert!(file.full_on.unwrap() >= months_after(file.branch_vote_on.unwrap(), 12));
            prop_assert!(file.approved_on.unwrap() <= months_after(file.branch_vote_on.unwrap(), 3));
        }
    }
}

/// The whole path with each step `delays[i]` days later than the one before it was moved.
fn delayed(delays: &[i64]) -> Vec<Action> {
    let mut total = 0;
    whole_path()
        .iter()
        .zip(delays)
        .map(|(a, delay)| {
            total += delay;
            shifted(a, total)
        })
        .collect()
}

/// The generator above reaches 正式党员 when nothing extra is brought in, so its property is
/// tested on full members and not only on files that stopped early.
#[test]
fn the_delayed_path_still_ends_full() {
    assert_eq!(run_lenient(opened(), &delayed(&[3; 19])).stage, Stage::Full);
}

/// `action` with its day moved by `days` (a publicity keeps its length).
fn shifted(action: &Action, days: i64) -> Action {
    let by = |on: &NaiveDate| *on + chrono::Duration::days(days);
    let mut a = action.clone();
    match &mut a {
        Action::Talk { on, .. }
        | Action::NameActivist { on, .. }
        | Action::FileActivist { on }
        | Action::Review { on }
        | Action::HigherConsent { on }
        | Action::NameDevObject { on }
        | Action::FileDevObject { on }
        | Action::Introducers { on, .. }
        | Action::PoliticalReview { on, .. }
        | Action::Training { on, .. }
        | Action::CommitteeReview { on }
        | Action::PreReview { on, .. }
        | Action::Pledge { on, .. }
        | Action::BranchVote { on, .. }
        | Action::Interview { on, .. }
        | Action::Approve { on, .. }
        | Action::RecordAbove { on }
        | Action::Assign { on }
        | Action::Oath { on }
        | Action::ApplyConversion { on }
        | Action::ConversionVote { on, .. }
        | Action::ConversionApprove { on, .. }
        | Action::Archive { on }
        | Action::Close { on } => *on = by(on),
        Action::Publicity { from, to } => {
            *from = by(from);
            *to = by(to);
        }
    }
    a
}

#[test]
fn a_plan_shows_whole_percent_rounded_down_and_may_be_exceeded() {
    assert_eq!(plan_progress(30, 0), Some(0));
    assert_eq!(plan_progress(3, 2), Some(66));
    assert_eq!(plan_progress(250, 249), Some(99), "not shown as done");
    assert_eq!(plan_progress(10, 12), Some(120));
    assert_eq!(plan_progress(0, 5), None);
}

proptest::proptest! {
    /// Done only when the count reaches the quota.
    #[test]
    fn a_plan_is_done_exactly_when_the_quota_is_reached(quota in 1i64..10_000, done in 0i64..20_000) {
        proptest::prop_assert_eq!(plan_progress(quota, done).unwrap() >= 100, done >= quota);
    }
}
