-- Every row of a district's tables carries its top organisation (docs/SCALE.md, "What has to
-- change", step 2): the child tables that reached it only through their parent get the column,
-- filled from the parent, and the program writes it with every new row. On Citus it is the
-- distribution key these tables will be sharded by, beside their parents.

ALTER TABLE meeting_attendance ADD COLUMN root_org_id BIGINT;
UPDATE meeting_attendance SET root_org_id = p.root_org_id FROM meetings p WHERE p.id = meeting_attendance.meeting_id;
ALTER TABLE meeting_attendance ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE meeting_revisions ADD COLUMN root_org_id BIGINT;
UPDATE meeting_revisions SET root_org_id = p.root_org_id FROM meetings p WHERE p.id = meeting_revisions.meeting_id;
ALTER TABLE meeting_revisions ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE meeting_votes ADD COLUMN root_org_id BIGINT;
UPDATE meeting_votes SET root_org_id = p.root_org_id FROM meetings p WHERE p.id = meeting_votes.meeting_id;
ALTER TABLE meeting_votes ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE meeting_attachments ADD COLUMN root_org_id BIGINT;
UPDATE meeting_attachments SET root_org_id = p.root_org_id FROM meetings p WHERE p.id = meeting_attachments.meeting_id;
ALTER TABLE meeting_attachments ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE call_supporting_units ADD COLUMN root_org_id BIGINT;
UPDATE call_supporting_units SET root_org_id = p.root_org_id FROM calls p WHERE p.id = call_supporting_units.call_id;
ALTER TABLE call_supporting_units ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE call_events ADD COLUMN root_org_id BIGINT;
UPDATE call_events SET root_org_id = p.root_org_id FROM calls p WHERE p.id = call_events.call_id;
ALTER TABLE call_events ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE call_photos ADD COLUMN root_org_id BIGINT;
UPDATE call_photos SET root_org_id = p.root_org_id FROM calls p WHERE p.id = call_photos.call_id;
ALTER TABLE call_photos ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE applicant_steps ADD COLUMN root_org_id BIGINT;
UPDATE applicant_steps SET root_org_id = p.root_org_id FROM applicants p WHERE p.id = applicant_steps.applicant_id;
ALTER TABLE applicant_steps ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE transfer_steps ADD COLUMN root_org_id BIGINT;
UPDATE transfer_steps SET root_org_id = p.root_org_id FROM transfers p WHERE p.id = transfer_steps.transfer_id;
ALTER TABLE transfer_steps ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE lost_contact_cases ADD COLUMN root_org_id BIGINT;
UPDATE lost_contact_cases SET root_org_id = p.root_org_id FROM lost_contact_campaigns p WHERE p.id = lost_contact_cases.campaign_id;
ALTER TABLE lost_contact_cases ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE lost_contact_attempts ADD COLUMN root_org_id BIGINT;
UPDATE lost_contact_attempts SET root_org_id = p.root_org_id FROM lost_contact_cases p WHERE p.id = lost_contact_attempts.case_id;
ALTER TABLE lost_contact_attempts ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE admission_grants ADD COLUMN root_org_id BIGINT;
UPDATE admission_grants SET root_org_id = p.root_org_id FROM orgs p WHERE p.id = admission_grants.org_id;
ALTER TABLE admission_grants ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE appraisal_ballots ADD COLUMN root_org_id BIGINT;
UPDATE appraisal_ballots SET root_org_id = p.root_org_id FROM appraisal_campaigns p WHERE p.id = appraisal_ballots.campaign_id;
ALTER TABLE appraisal_ballots ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE appraisal_masses ADD COLUMN root_org_id BIGINT;
UPDATE appraisal_masses SET root_org_id = p.root_org_id FROM appraisal_campaigns p WHERE p.id = appraisal_masses.campaign_id;
ALTER TABLE appraisal_masses ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE service_reports ADD COLUMN root_org_id BIGINT;
UPDATE service_reports SET root_org_id = p.root_org_id FROM service_registrations p WHERE p.id = service_reports.registration_id;
ALTER TABLE service_reports ALTER COLUMN root_org_id SET NOT NULL;

ALTER TABLE service_feedback ADD COLUMN root_org_id BIGINT;
UPDATE service_feedback SET root_org_id = p.root_org_id FROM service_registrations p WHERE p.id = service_feedback.registration_id;
ALTER TABLE service_feedback ALTER COLUMN root_org_id SET NOT NULL;
