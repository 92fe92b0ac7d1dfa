-- SPDX-License-Identifier: MIT
-- The duplicate check, run in the database, set-based over indexed live
-- records.

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

-- Recomputes the duplicate and invalid-ID problems of the given records
-- and of every live record that shares an ID number or (name, gender,
-- birth date) with one of them, on both sides of each pair. Problems that
-- no longer hold are resolved as 'cleared'; new ones are inserted.
-- Callers hold dedup_lock for the keys of the given records.
CREATE FUNCTION dedup_recheck(ids bigint[], OUT created integer,
                              OUT cleared integer)
LANGUAGE sql AS $$
WITH given AS (
    SELECT id, id_number, name, gender, birth_date
    FROM student WHERE id = ANY (ids)
),
scope AS (
    SELECT s.id FROM student s
    WHERE s.deleted_at IS NULL AND s.id_number <> ''
      AND s.id_number IN (SELECT id_number FROM given WHERE id_number <> '')
    UNION
    SELECT s.id FROM student s
    JOIN given g ON (s.name, s.gender, s.birth_date) =
                    (g.name, g.gender, g.birth_date)
    WHERE s.deleted_at IS NULL
    UNION
    SELECT id FROM given
),
live AS (
    SELECT s.id, s.school_id, o.parent_id AS county_id, s.id_type,
           s.id_number, s.name, s.gender, s.birth_date, s.id_fault
    FROM student s
    JOIN scope USING (id)
    JOIN organisation o ON o.id = s.school_id
    WHERE s.deleted_at IS NULL
),
want AS (
    SELECT a.id AS student_id,
           CASE WHEN a.school_id = b.school_id THEN 'id_dup_school'
                WHEN a.county_id = b.county_id THEN 'id_dup_county'
                ELSE 'id_dup_province' END AS kind,
           b.id AS counterpart_id, '' AS detail
    FROM live a JOIN live b ON a.id_number = b.id_number AND a.id <> b.id
    WHERE a.id_number <> ''
    UNION ALL
    -- Name, gender and birth date only identify a pair when at least one
    -- side has no resident ID number to tell them apart.
    SELECT a.id, 'ngb_dup', b.id, ''
    FROM live a JOIN live b
      ON (a.name, a.gender, a.birth_date) = (b.name, b.gender, b.birth_date)
     AND a.id <> b.id
    WHERE (a.id_type <> '1' OR a.id_number = '' OR
           b.id_type <> '1' OR b.id_number = '')
      AND NOT (a.id_number <> '' AND a.id_number = b.id_number)
    UNION ALL
    SELECT a.id, 'id_invalid', NULL, a.id_fault
    FROM live a WHERE a.id_fault <> ''
),
cleared AS (
    UPDATE problem p
    SET status = 'resolved', resolution = 'cleared', resolved_at = now(),
        updated_at = now()
    WHERE p.status <> 'resolved'
      AND p.kind IN ('id_dup_school', 'id_dup_county', 'id_dup_province',
                     'ngb_dup', 'id_invalid')
      AND p.student_id IN (SELECT id FROM scope)
      AND NOT EXISTS (
          SELECT 1 FROM want w
          WHERE w.student_id = p.student_id AND w.kind = p.kind
            AND w.counterpart_id IS NOT DISTINCT FROM p.counterpart_id)
    RETURNING p.id
),
inserted AS (
    INSERT INTO problem (student_id, kind, counterpart_id, detail)
    SELECT student_id, kind, counterpart_id, detail FROM want
    ON CONFLICT (student_id, kind, counterpart_id) WHERE status <> 'resolved'
    DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM inserted)::integer,
       (SELECT count(*) FROM cleared)::integer
$$;
