//! Times the compliance ledger (DOMAIN.md §2) for a year over many branches: the pure domain
//! computation that the ledger page and its roll-up run for every branch in scope.
//!
//! `ledger-bench --branches 1500` and `ledger-bench --branches 100000`

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use dangjian_bench::arg;
use domain::orglife::{
    BranchFacts, Held, Institution, compliance, compliance_rate_permille, default_branch_rules,
};

fn main() {
    let branches: usize = arg("--branches", "1500").parse().expect("--branches N");
    let year = 2026;
    let today = NaiveDate::from_ymd_opt(year, 11, 23).expect("date");
    let rules = default_branch_rules();
    // A believable year: most meetings held, some missed, a few branches founded mid-year.
    let inputs: Vec<(BranchFacts, Vec<Held>)> = (0..branches)
        .map(|b| {
            let founded_on = NaiveDate::from_ymd_opt(
                if b.is_multiple_of(50) { year } else { 2015 },
                1 + (b % 12) as u32,
                10,
            );
            let formal = 3 + (b % 20) as u32;
            let facts = BranchFacts {
                founded_on,
                dissolved_on: None,
                party_groups: if b.is_multiple_of(3) {
                    vec![domain::orglife::GroupLife::default()]
                } else {
                    Vec::new()
                },
                formal_members_by_month: (1..=12)
                    .filter_map(|m| NaiveDate::from_ymd_opt(year, m, 1))
                    .map(|d| (d, formal))
                    .collect(),
                exemptions: vec![],
            };
            let mut held = Vec::new();
            for month in 1..=11u32 {
                let first = NaiveDate::from_ymd_opt(year, month, 1).expect("date");
                for (i, institution) in [
                    Institution::ThemedPartyDay,
                    Institution::BranchCommitteeMeeting,
                    Institution::PartyGroupMeeting,
                ]
                .into_iter()
                .enumerate()
                {
                    if !(b + month as usize + i).is_multiple_of(7) {
                        held.push(Held {
                            institution,
                            on: first + Duration::days(4),
                        });
                    }
                }
                if month.is_multiple_of(3) {
                    held.push(Held {
                        institution: Institution::BranchGeneralMeeting,
                        on: first + Duration::days(10),
                    });
                    held.push(Held {
                        institution: Institution::PartyLecture,
                        on: first + Duration::days(12),
                    });
                }
            }
            (facts, held)
        })
        .collect();
    let started = Instant::now();
    let mut cells = 0usize;
    let mut met = 0u64;
    for (facts, held) in &inputs {
        let ledger = compliance(&rules, facts, held, year, today);
        cells += ledger.len();
        met += compliance_rate_permille(&ledger).unwrap_or(0) as u64;
    }
    let elapsed = started.elapsed();
    println!(
        "BENCH ledger branches={branches} cells={cells} total_ms={:.1} per_branch_us={:.1} mean_rate_permille={}",
        elapsed.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64() * 1e6 / branches as f64,
        met / branches as u64
    );
}
