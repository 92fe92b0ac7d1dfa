-- SPDX-License-Identifier: MIT
-- The import path that copies a batch before it takes the duplicate-check
-- locks: no history row per imported record, the pre-check that picks the
-- records of a batch for the full checks, and a bound on new draws of L
-- numbers.
--
-- dedup_lock (002) is unchanged, but an import now holds its locks from
-- before its duplicate check until commit rather than from before its
-- writes. A second writer's check, which runs after it gets the locks,
-- still reads the first writer's committed rows. So the COPY of one batch
-- can run while the previous batch is checked.

-- Imported records keep their first number on the record alone.
DROP TRIGGER student_number_history_insert ON student;
DROP FUNCTION student_number_log_insert();
DROP TRIGGER student_number_history_update ON student;

-- The numbers of a record from its first change of number on: the number
-- it was imported with, assigned when the record was created, and each
-- later one. A record whose number never changed has no rows here; its
-- only number is the one on the record, so an import writes no history.
-- Numbers given inside the importing transaction (J numbers, and the new
-- draw of a colliding L number) are the record's first number too.
CREATE OR REPLACE FUNCTION student_number_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.student_number IS NOT NULL THEN
        INSERT INTO student_number_history (student_id, student_number,
                                            assigned_at)
        VALUES (OLD.id, OLD.student_number, OLD.created_at)
        ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO student_number_history (student_id, student_number)
    VALUES (NEW.id, NEW.student_number)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER student_number_history_update
    AFTER UPDATE OF student_number ON student
    FOR EACH ROW
    WHEN (NEW.student_number IS NOT NULL
          AND NEW.student_number IS DISTINCT FROM OLD.student_number
          AND OLD.created_at < now())
    EXECUTE FUNCTION student_number_log_change();

-- student_number_refresh of 003, whose new draws of colliding L numbers
-- now stop with SQLSTATE XJ001 when a county and birth date have nearly
-- no L number left.
CREATE OR REPLACE FUNCTION student_number_refresh(ids bigint[]) RETURNS void
LANGUAGE plpgsql
SET jit = off
AS $fn$
DECLARE
    need_formal boolean;
    need_provisional boolean;
    need_sequence boolean;
    full_prefix text;
    candidates bigint[];
    rounds integer := 0;
    region text;
    birth text;
BEGIN
    -- One pass finds which of the updates below have rows to change, so
    -- that an import batch, whose rows already carry L numbers, skips the
    -- updates that would change none of them.
    EXECUTE $sql$
SELECT coalesce(bool_or(s.deleted_at IS NULL AND s.state = 'approved'
                        AND s.id_type = '1' AND s.id_fault = ''
                        AND s.id_number <> ''
                        AND coalesce(left(s.student_number, 1), '') <> 'G'),
                false),
       coalesce(bool_or(s.student_number IS NULL AND s.id_type = '1'), false),
       coalesce(bool_or(s.id_type <> '1'
                        AND coalesce(left(s.student_number, 1), '') <> 'J'),
                false)
FROM student s WHERE s.id = ANY ((SELECT $1::bigint[])::bigint[])
$sql$ INTO need_formal, need_provisional, need_sequence USING ids;

    IF need_formal THEN
        EXECUTE $sql$
UPDATE student s
SET student_number = 'G' || s.id_number
WHERE s.id = ANY ((SELECT $1::bigint[])::bigint[]) AND s.deleted_at IS NULL
  AND s.state = 'approved' AND s.id_type = '1' AND s.id_fault = ''
  AND s.id_number <> '' AND coalesce(left(s.student_number, 1), '') <> 'G'
  AND NOT EXISTS (SELECT 1 FROM problem p
                  WHERE p.student_id = s.id AND p.status <> 'resolved')
  AND NOT EXISTS (SELECT 1 FROM student x
                  WHERE x.student_number = 'G' || s.id_number)
$sql$ USING ids;
    END IF;

    IF need_provisional THEN
        EXECUTE $sql$
UPDATE student s
SET student_number = 'L' || county.code || to_char(s.birth_date, 'YYYYMMDD')
                     || lpad(floor(random() * 10000)::int::text, 4, '0')
FROM organisation school JOIN organisation county
  ON county.id = school.parent_id
WHERE s.id = ANY ((SELECT $1::bigint[])::bigint[]) AND school.id = s.school_id
  AND s.student_number IS NULL AND s.id_type = '1'
$sql$ USING ids;
    END IF;

    -- The next sequence of a prefix follows the highest J number that
    -- starts with it: in the "C" collation every 'J' || prefix || digits
    -- sorts below 'J' || prefix || ':'.
    IF need_sequence THEN
        EXECUTE $sql$
WITH need AS (
    SELECT s.id, county.code || to_char(s.birth_date, 'YYYYMMDD') AS prefix
    FROM student s
    JOIN organisation school ON school.id = s.school_id
    JOIN organisation county ON county.id = school.parent_id
    WHERE s.id = ANY ((SELECT $1::bigint[])::bigint[]) AND s.id_type <> '1'
      AND coalesce(left(s.student_number, 1), '') <> 'J'
),
last AS (
    SELECT p.prefix,
           coalesce((SELECT substr(max(x.student_number), 16, 3)::int
                     FROM student x
                     WHERE x.student_number >= 'J' || p.prefix
                       AND x.student_number < 'J' || p.prefix || ':'), 0)
               AS sequence
    FROM (SELECT DISTINCT prefix FROM need) p
),
numbered AS (
    SELECT n.id, n.prefix, l.sequence + row_number() OVER (
               PARTITION BY n.prefix ORDER BY n.id) AS sequence
    FROM need n JOIN last l USING (prefix)
),
digits AS (
    SELECT id, prefix || lpad(sequence::text, 3, '0') AS digits
    FROM numbered WHERE sequence <= 999
),
numbered_students AS (
    UPDATE student s
    SET student_number = 'J' || d.digits || mod112_check(d.digits)
    FROM digits d WHERE s.id = d.id
    RETURNING s.id
)
SELECT min(prefix) FROM numbered WHERE sequence > 999
$sql$ INTO full_prefix USING ids;
        -- The form has three digits for the sequence, so a county has
        -- 999 J numbers per birth date. lpad would cut a fourth digit
        -- and repeat an earlier number.
        IF full_prefix IS NOT NULL THEN
            RAISE EXCEPTION 'no J student number is left for county % and birth date %',
                left(full_prefix, 6), right(full_prefix, 8)
                USING ERRCODE = 'XJ001',
                      DETAIL = 'All 999 sequence numbers of that county and date are taken.',
                      HINT = 'Give these students their resident ID numbers, or ask the operator.';
        END IF;
    END IF;

    -- Random L numbers collide rarely. Of two equal numbers a candidate
    -- draws again, and of two candidates the later one. The candidates
    -- are the listed records at first, then the records that drew again,
    -- so a new draw that meets any other number draws once more.
    candidates := ids;
    LOOP
        EXECUTE $sql$
WITH redrawn AS (
    UPDATE student s
    SET student_number = left(s.student_number, 15)
                         || lpad(floor(random() * 10000)::int::text, 4, '0')
    WHERE s.id = ANY ((SELECT $1::bigint[])::bigint[])
      AND left(s.student_number, 1) = 'L'
      AND EXISTS (SELECT 1 FROM student x
                  WHERE x.student_number = s.student_number AND x.id <> s.id
                    AND (x.id < s.id OR NOT x.id = ANY ($1)))
    RETURNING s.id
)
SELECT array_agg(id) FROM redrawn
$sql$ INTO candidates USING candidates;
        EXIT WHEN candidates IS NULL;
        -- A prefix has 10,000 L numbers. Once nearly all are taken, random
        -- draws would go on for ever while the caller holds its locks.
        rounds := rounds + 1;
        IF rounds >= 1000 THEN
            SELECT substr(s.student_number, 2, 6), substr(s.student_number, 8, 8)
            INTO region, birth FROM student s WHERE s.id = candidates[1];
            RAISE EXCEPTION 'no L student number is left for county % and birth date %',
                region, birth
                USING ERRCODE = 'XJ001',
                      DETAIL = 'Nearly all 10,000 provisional numbers of that county and date are taken.',
                      HINT = 'Import these students later, or ask the operator.';
        END IF;
    END LOOP;
END;
$fn$;

-- The records of an import batch that need more than their COPY, so that
-- the importer runs the full checks over those only.
-- dup: the duplicate check may find a problem for the record. Its ID
-- number failed a check, or another live record has its ID number, or
-- another live record has its name, gender and birth date and one of the
-- two has no resident ID.
-- renumber: the record has no resident ID and so needs a J number, or
-- another record already has its L number (returned as student_number),
-- which the importer draws again. A new record is nobody's counterpart yet, so
-- dedup_recheck over the other records of the batch would change nothing.
-- Each record costs three or four index probes.
CREATE FUNCTION import_candidates(ids bigint[])
RETURNS TABLE (student_id bigint, dup boolean, renumber boolean,
               student_number text)
LANGUAGE plpgsql
SET jit = off
AS $fn$
BEGIN
    RETURN QUERY EXECUTE $sql$
SELECT c.id, c.dup, c.renumber, c.student_number FROM (
    SELECT s.id, s.student_number,
           s.id_fault <> ''
           OR (s.id_number <> '' AND EXISTS (
                   SELECT 1 FROM student st
                   WHERE st.id_number = s.id_number AND st.deleted_at IS NULL
                     AND st.id_number <> '' AND st.id <> s.id))
           OR EXISTS (
                   SELECT 1 FROM student st
                   WHERE st.name = s.name AND st.gender = s.gender
                     AND st.birth_date = s.birth_date
                     AND st.deleted_at IS NULL AND st.id <> s.id
                     AND (s.id_type <> '1' OR s.id_number = ''
                          OR st.id_type <> '1' OR st.id_number = ''))
               AS dup,
           s.id_type <> '1'
           OR EXISTS (SELECT 1 FROM student x
                      WHERE x.student_number = s.student_number
                        AND x.id <> s.id) AS renumber
    FROM unnest($1::bigint[]) AS g (id)
    CROSS JOIN LATERAL (
        SELECT st.id, st.id_number, st.name, st.gender, st.birth_date,
               st.id_type, st.id_fault, st.student_number
        FROM student st WHERE st.id = g.id OFFSET 0) s
    OFFSET 0) c
WHERE c.dup OR c.renumber
$sql$ USING ids;
END;
$fn$;
