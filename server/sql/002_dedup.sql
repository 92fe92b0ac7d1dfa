-- SPDX-License-Identifier: MIT
-- The locks of the duplicate check. The check itself, dedup_recheck, is in
-- 003_handling.sql, because it reads the attested pairs defined there.

-- Serialises writers that touch the same keys (ID numbers, or name, gender
-- and birth date). A writer takes these transaction-level advisory locks
-- before it inserts or changes records and holds them until commit, so a
-- second writer's check, which runs after it gets the locks, sees the
-- first writer's committed rows. Keys hash into 1024 buckets taken in
-- ascending order, which keeps the lock count per transaction bounded
-- (PostgreSQL's shared lock table holds max_locks_per_transaction x
-- max_connections entries) and rules out deadlocks between writers.
CREATE FUNCTION dedup_lock(keys text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    bucket integer;
BEGIN
    FOR bucket IN
        SELECT DISTINCT hashtext(k) & 1023 FROM unnest(keys) AS k
        WHERE k <> '' ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(7001, bucket);
    END LOOP;
END;
$$;

-- The lock keys of one record.
CREATE FUNCTION dedup_keys(id_number text, name text, gender text,
                           birth_date text) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY[id_number, name || '|' || gender || '|' || birth_date]
$$;
