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
    /// The month asked for (this month by default), or one day of it.
    pub this_month: Vec<Birthday>,
    pub month: u32,
    pub day: Option<u32>,
}

impl App {
    /// Today's and this month's political birthdays in the actor's scope.
    pub async fn political_birthdays(&self, actor: &Actor, today: NaiveDate) -> Result<Birthdays> {
        self.political_birthdays_in(actor, today, today.month(), None)
            .await
    }

    /// Today's political birthdays, and those of `month` this year (of its `day` alone when
    /// given) in the actor's scope. A month or day that does not exist is refused.
    pub async fn political_birthdays_in(
        &self,
        actor: &Actor,
        today: NaiveDate,
        month: u32,
        day: Option<u32>,
    ) -> Result<Birthdays> {
        actor.require_staff()?;
        if !(1..=12).contains(&month) || day.is_some_and(|d| !(1..=31).contains(&d)) {
            return Err(crate::AppError::Invalid(
                "请选择 1 至 12 月、1 至 31 日".into(),
            ));
        }
        let mut rows = self
            .db
            .member_admitted_in_month(actor.scope(), today.month())
            .await?;
        if month != today.month() {
            rows.extend(
                self.db
                    .member_admitted_in_month(actor.scope(), month)
                    .await?,
            );
        }
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
            if on.month() == month && day.is_none_or(|d| on.day() == d) {
                month_list.push(birthday);
            }
        }
        month_list.sort_by(|a, b| (a.on, &a.member.name).cmp(&(b.on, &b.member.name)));
        Ok(Birthdays {
            today: today_list,
            this_month: month_list,
            month,
            day,
        })
    }

    /// The list of [`App::political_birthdays_in`] as a workbook, numbers as numbers.
    pub async fn political_birthdays_xlsx(
        &self,
        actor: &Actor,
        today: NaiveDate,
        month: u32,
        day: Option<u32>,
    ) -> Result<(Vec<u8>, String)> {
        use crate::tabular::{Figure, FigureSheet, figures_xlsx};
        let b = self
            .political_birthdays_in(actor, today, month, day)
            .await?;
        let when = match day {
            Some(d) => format!("{}年{month}月{d}日", today.year()),
            None => format!("{}年{month}月", today.year()),
        };
        let rows = b
            .this_month
            .iter()
            .map(|x| {
                vec![
                    Figure::Text(x.on.to_string()),
                    Figure::Text(x.member.name.clone()),
                    Figure::Text(x.member.branch_name.clone()),
                    Figure::Text(x.member.admitted_on.to_string()),
                    Figure::Count(i64::from(x.years)),
                ]
            })
            .collect();
        let bytes = figures_xlsx(&[FigureSheet {
            name: "政治生日".into(),
            title: format!("{when}政治生日名单（{} 人）", b.this_month.len()),
            headers: ["日期", "姓名", "所在党支部", "入党日期", "入党周年"]
                .map(String::from)
                .to_vec(),
            rows,
        }])?;
        Ok((bytes, format!("政治生日-{when}.xlsx")))
    }
}
