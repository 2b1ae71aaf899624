-- Today's political birthdays (the home page's to-do list) are found through the month and day
-- of the admission date, so the look-up reads the day's members, not the whole register.
CREATE INDEX members_admitted_md ON members ((EXTRACT(MONTH FROM admitted_on) * 100 + EXTRACT(DAY FROM admitted_on)), id);
