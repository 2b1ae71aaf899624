//! Political birthdays (政治生日, DOMAIN.md §9): the anniversary of admission, listed for today
//! and the month so that branches can greet their members.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::members::mask_row_always;
use crate::{Actor, App, Result};
use store::MemberRow;

#[derive(Debug, Clone, Serialize)]
pub struct Birthday {
    pub member: MemberRow,
    /// Completed years of membership on this year's anniversary.
    pub years: u32,
    pub on: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Birthdays {
    pub today: Vec<Birthday>,
    pub this_month: Vec<Birthday>,
}

impl App {
    /// Today's and this month's political birthdays in the actor's scope.
    pub async fn political_birthdays(&self, actor: &Actor, today: NaiveDate) -> Result<Birthdays> {
        actor.require_staff()?;
        let rows = self
            .db
            .member_admitted_in_month(actor.scope(), today.month())
            .await?;
        // A 29 February admission is in February's list and is greeted on 28 February in other
        // years: `is_anniversary` clamps it (DOMAIN.md §9).
        let mut today_list = Vec::new();
        let mut month_list = Vec::new();
        for mut member in rows {
            // Admitted this year: the first anniversary is next year.
            if member.admitted_on.year() >= today.year() {
                continue;
            }
            mask_row_always(&mut member);
            let on = domain::dates::anniversary_in_year(member.admitted_on, today.year());
            let birthday = Birthday {
                years: domain::dates::years_since(member.admitted_on, on),
                on,
                member,
            };
            if domain::dates::is_anniversary(birthday.member.admitted_on, today) {
                today_list.push(birthday.clone());
            }
            month_list.push(birthday);
        }
        Ok(Birthdays {
            today: today_list,
            this_month: month_list,
        })
    }
}
