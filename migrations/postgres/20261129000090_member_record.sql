-- The rest of a member's record as the party roll keeps it: 民族, 学历, 籍贯, 党内职务 (with the
-- committee the member sits on) and 参加工作日期. All optional: existing members are filled in
-- over time, and the figures count a missing 学历 as 未填写.
ALTER TABLE members ADD COLUMN ethnicity TEXT;
ALTER TABLE members ADD COLUMN education TEXT;
ALTER TABLE members ADD COLUMN native_place TEXT;
ALTER TABLE members ADD COLUMN party_post TEXT;
ALTER TABLE members ADD COLUMN party_post_org_id BIGINT REFERENCES orgs(id);
ALTER TABLE members ADD COLUMN work_started_on DATE;
CREATE INDEX members_party_post_org ON members(party_post_org_id) WHERE party_post_org_id IS NOT NULL;
