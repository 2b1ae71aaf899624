-- API tokens expire (issue 9). Tokens issued before this migration get 90 days from now, so
-- that integrations keep working while their owners issue tokens with an expiry of their own.
-- SQLite cannot add a NOT NULL column without a default; the program always sets it, and a
-- token without one is refused as expired.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '+90 days');
CREATE INDEX api_tokens_user ON api_tokens(user_id);
