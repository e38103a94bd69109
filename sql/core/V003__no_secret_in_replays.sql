-- Issue 13: a replay of CreateApiKey by request_id returns the key's record
-- but never its secret, so the stored response no longer holds it. Responses
-- stored before this migration did: they are dropped (a retry of such an old
-- request_id creates a new key instead of replaying).
DELETE FROM core.idempotency WHERE method = 'CreateApiKey';
