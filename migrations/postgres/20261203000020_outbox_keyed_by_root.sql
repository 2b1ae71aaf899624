-- A message's dedupe key is unique within its top organisation rather than across the whole
-- database: the keys name the org, member or meeting they are about, which belong to one tree,
-- so nothing that was sent once can be sent twice. On Citus every unique key of a distributed
-- table must hold the distribution column (docs/SCALE.md, "What has to change", step 1), and
-- the outbox is distributed by root_org_id.
ALTER TABLE outbox DROP CONSTRAINT outbox_dedupe_key_key;
CREATE UNIQUE INDEX outbox_dedupe ON outbox(root_org_id, dedupe_key);
