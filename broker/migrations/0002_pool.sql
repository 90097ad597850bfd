-- Pre-minted keys (state 'pooled'): which broker process holds the key's secret (in memory
-- only, never in the database). A pooled row whose owner is gone is revoked by the reaper.
ALTER TABLE leases ADD COLUMN owner TEXT;
