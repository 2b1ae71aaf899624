-- API tokens expire (issue 9). Tokens issued before this migration get 90 days from now, so
-- that integrations keep working while their owners issue tokens with an expiry of their own.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
UPDATE api_tokens SET expires_at = now() + interval '90 days';
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;
CREATE INDEX api_tokens_user ON api_tokens(user_id);
