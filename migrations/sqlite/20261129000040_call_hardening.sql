-- Hardening of residents' calls (issue 9).

-- Wrong phone tails typed for a call on the public tracking page. After a few, the online check
-- of that call is locked; the count lives here so that a restart does not reopen the guessing.
ALTER TABLE calls ADD COLUMN tail_failures INTEGER NOT NULL DEFAULT 0;

-- The daily cap on photos from the public form sums today's uploads: a range read on this.
CREATE INDEX call_photos_uploaded ON call_photos(uploaded_at, call_id, size_bytes);
