-- Leases: one row per key the broker minted or is minting. The row is written (state
-- 'minting') before the key is asked for, so a crash between the two leaves a trace the
-- reaper can follow (the key's name carries the lease id).
CREATE TABLE leases (
    id              TEXT PRIMARY KEY,
    state           TEXT NOT NULL,
    rule            TEXT NOT NULL,
    service_account TEXT NOT NULL,
    subject         TEXT NOT NULL,
    key_name        TEXT NOT NULL,
    key_id          TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    ended_at        BIGINT,
    end_reason      TEXT,
    claims          TEXT NOT NULL
);
CREATE INDEX leases_state ON leases (state, expires_at);

-- Tokens already used to mint (replay refusal), kept until they expire.
CREATE TABLE used_tokens (
    id         TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- One row per mint and revoke, with the claims that allowed it.
CREATE TABLE audit (
    id       TEXT PRIMARY KEY,
    at       BIGINT NOT NULL,
    event    TEXT NOT NULL,
    lease_id TEXT NOT NULL,
    rule     TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_at ON audit (at);
