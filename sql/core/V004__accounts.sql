-- core: accounts for people (username + argon2id password) beside the API
-- keys for machines, their sessions, and expiry of machine keys.
CREATE TABLE core.account (
  username text PRIMARY KEY CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  display_name text NOT NULL DEFAULT '',
  role text NOT NULL CHECK (role IN ('admin', 'city', 'bureau', 'enterprise', 'verifier', 'service')),
  scope text NOT NULL DEFAULT '',
  -- libsodium crypto_pwhash_str (argon2id, with its own salt and cost).
  password_hash text NOT NULL,
  -- Set when someone else chose the password: the first login must change it.
  must_change_password boolean NOT NULL DEFAULT true,
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  created_by text NOT NULL DEFAULT '',
  create_time timestamptz NOT NULL DEFAULT now(),
  password_time timestamptz NOT NULL DEFAULT now(),
  disable_time timestamptz
);

-- A signed-in person. The bearer token (cfs_...) is never stored, only its
-- SHA-256; a session ends at expire_time, after idle_minutes without a call,
-- or at logout.
CREATE TABLE core.account_session (
  token_sha256 text PRIMARY KEY,
  username text NOT NULL REFERENCES core.account (username),
  create_time timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz NOT NULL DEFAULT now(),
  expire_time timestamptz NOT NULL,
  idle_minutes integer NOT NULL DEFAULT 30,
  end_time timestamptz
);
CREATE INDEX account_session_username ON core.account_session (username);

-- Machine keys may expire (set at creation, or by a rotation that gives the
-- old key a grace period).
ALTER TABLE core.api_key ADD COLUMN expire_time timestamptz;
ALTER TABLE core.api_key ADD COLUMN rotated_to text;
