-- SPDX-License-Identifier: MIT
-- Handling of problem registrations: evidence, cases and their review,
-- attested pairs, student numbers with their history, and the duplicate
-- check, which leaves attested pairs quiet.

-- Masks an ID number for display: the region code and the last character
-- stay, the rest become '*'. Matches idcard_mask() in the C code.
CREATE FUNCTION id_mask(id text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN id IS NULL OR id = '' THEN ''
                WHEN length(id) < 8 THEN repeat('*', length(id))
                ELSE left(id, 6) || repeat('*', length(id) - 7) || right(id, 1)
           END
$$;

-- ISO 7064 MOD 11-2 check character of 17 digits.
CREATE FUNCTION mod112_check(digits text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT substr('10X98765432',
                  (sum(substr(digits, i, 1)::int * ((1 << (18 - i)) % 11)) % 11)::int + 1,
                  1)
    FROM generate_series(1, 17) AS i
$$;

-- Evidence files, stored once per content (SHA-256).
CREATE TABLE evidence (
    id              bigserial PRIMARY KEY,
    sha256          bytea NOT NULL UNIQUE,
    size            integer NOT NULL CHECK (size > 0),
    detected_type   text NOT NULL,
    file_name       text NOT NULL,
    data            bytea NOT NULL,
    uploaded_by     bigint REFERENCES account (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Organisations that uploaded a file and so may attach it to a case.
CREATE TABLE evidence_owner (
    evidence_id     bigint NOT NULL REFERENCES evidence (id),
    org_id          bigint NOT NULL REFERENCES organisation (id),
    PRIMARY KEY (evidence_id, org_id)
);

-- A school's handling of one problem. Changes and attestations wait for
-- the county ('pending'); deletions take effect at once ('done').
CREATE TABLE handling_case (
    id              bigserial PRIMARY KEY,
    problem_id      bigint NOT NULL REFERENCES problem (id),
    student_id      bigint NOT NULL REFERENCES student (id),
    school_id       bigint NOT NULL REFERENCES organisation (id),
    county_id       bigint NOT NULL REFERENCES organisation (id),
    kind            text NOT NULL CHECK (kind IN ('change', 'delete', 'attest')),
    status          text NOT NULL CHECK (status IN (
                        'pending', 'approved', 'rejected', 'closed', 'done')),
    reason          text NOT NULL,
    proposed        jsonb,      -- change: the corrected controlled fields
    previous        jsonb,      -- change: the values replaced on approval
    opinion         text NOT NULL DEFAULT '',
    created_by      bigint NOT NULL REFERENCES account (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_by      bigint REFERENCES account (id),
    decided_at      timestamptz
);
CREATE INDEX handling_case_queue ON handling_case (county_id, id)
    WHERE status = 'pending';
CREATE INDEX handling_case_problem ON handling_case (problem_id);
CREATE UNIQUE INDEX handling_case_one_pending ON handling_case (problem_id)
    WHERE status = 'pending';

CREATE TABLE case_evidence (
    case_id         bigint NOT NULL REFERENCES handling_case (id),
    evidence_id     bigint NOT NULL REFERENCES evidence (id),
    PRIMARY KEY (case_id, evidence_id)
);

-- Problems the county accepted by approving an attestation. The duplicate
-- check leaves them quiet until either side's controlled fields change.
CREATE TABLE attested_pair (
    student_id      bigint NOT NULL REFERENCES student (id),
    kind            text NOT NULL,
    counterpart_id  bigint REFERENCES student (id),
    case_id         bigint REFERENCES handling_case (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX attested_pair_unique
    ON attested_pair (student_id, kind, counterpart_id) NULLS NOT DISTINCT;
CREATE INDEX attested_pair_counterpart ON attested_pair (counterpart_id);

-- A pending case closes when its problem stops holding (for example the
-- other school deleted its record), so reviewers never see stale cases.
CREATE FUNCTION handling_case_close_stale() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE handling_case SET status = 'closed', decided_at = now(),
           opinion = 'closed: the problem no longer holds'
    WHERE problem_id = NEW.id AND status = 'pending';
    RETURN NULL;
END;
$$;
CREATE TRIGGER problem_resolved_closes_cases
    AFTER UPDATE OF status ON problem
    FOR EACH ROW
    WHEN (OLD.status = 'pending_review' AND NEW.status = 'resolved')
    EXECUTE FUNCTION handling_case_close_stale();

-- Student numbers: G + resident ID number (formal), L + region code +
-- birth date + 4 random digits (provisional), J + region code + birth date
-- + 3-digit sequence + MOD 11-2 check character (no resident ID).
-- Uniqueness is checked at commit, so a writer can repair a rare random
-- collision inside its transaction; writers that could collide hold the
-- dedup_lock bucket of the number's prefix.
-- Student numbers are ASCII codes. The "C" collation orders them byte by
-- byte, so the unique index also serves the prefix ranges of the J
-- sequence in student_number_refresh.
ALTER TABLE student ADD COLUMN student_number text COLLATE "C";
ALTER TABLE student ADD CONSTRAINT student_number_unique
    UNIQUE (student_number) DEFERRABLE INITIALLY DEFERRED;

CREATE TABLE student_number_history (
    student_id      bigint NOT NULL REFERENCES student (id),
    student_number  text NOT NULL,
    assigned_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (student_id, student_number)
);

CREATE FUNCTION student_number_log_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO student_number_history (student_id, student_number)
    SELECT id, student_number FROM new_rows WHERE student_number IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER student_number_history_insert
    AFTER INSERT ON student REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION student_number_log_insert();

-- The history row of a changed number.
CREATE FUNCTION student_number_log_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
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
          AND NEW.student_number IS DISTINCT FROM OLD.student_number)
    EXECUTE FUNCTION student_number_log_change();


-- The 6-digit region code of a school: its county's code.
CREATE FUNCTION school_region(school bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT c.code FROM organisation s JOIN organisation c ON c.id = s.parent_id
    WHERE s.id = school
$$;

-- The lock key that serialises writers of numbers with one prefix.
CREATE FUNCTION student_number_key(school bigint, birth date) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT 'number|' || school_region(school) || to_char(birth, 'YYYYMMDD')
$$;

-- Gives the listed students the number they should hold now: J numbers to
-- students without a resident ID, L numbers to the others until they are
-- formal, and G numbers once the county has approved the record, the
-- resident ID number passes its check and no problem is unresolved. A
-- formal number is never taken back. Callers hold dedup_lock on
-- student_number_key of each student.
--
-- Every statement selects its rows with id = ANY ((SELECT $1)::bigint[]).
-- The sub-select hides the array's length from the planner, which then
-- reads the rows through the primary key instead of scanning student.
CREATE FUNCTION student_number_refresh(ids bigint[]) RETURNS void
LANGUAGE plpgsql
SET jit = off
AS $fn$
DECLARE
    need_formal boolean;
    need_provisional boolean;
    need_sequence boolean;
    full_prefix text;
    candidates bigint[];
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
    END LOOP;
END;
$fn$;

-- Numbers for the records that exist already.
SELECT student_number_refresh(array_agg(id)) FROM student;

-- The duplicate check is plpgsql running its query through EXECUTE ...
-- USING, so that PostgreSQL plans it for the real array of ids. A
-- LANGUAGE sql function with data-modifying CTEs is not inlined and is
-- planned with the array unknown, estimated at 10 rows, which turns the
-- pair joins into nested loops whose cost grows with the square of the
-- batch. The query reads student only through LATERAL subqueries with
-- OFFSET 0, which PostgreSQL cannot flatten, so each given record costs a
-- few index probes even before autovacuum has analyzed the table.

-- Recomputes the duplicate and invalid-ID problems of the given records.
-- The scope is the given records, every live record that shares an ID
-- number or (name, gender, birth date) with one of them, and every record
-- whose unresolved problem names one of them as its counterpart. Pairs
-- inside the scope are computed afresh. A problem is cleared when it no
-- longer applies and both of its records are in the scope, or when it
-- belongs to a given record, whose pairs are all in the scope. New
-- problems are inserted, and attested pairs stay quiet. Callers hold
-- dedup_lock for the keys of the given records, old and new.
CREATE FUNCTION dedup_recheck(ids bigint[], OUT created integer,
                              OUT cleared integer)
LANGUAGE plpgsql
-- The row estimates of the pair joins are loose upper bounds, which would
-- make PostgreSQL spend longer compiling the query with JIT than running it.
SET jit = off
AS $fn$
BEGIN
    EXECUTE $sql$
WITH given AS (
    SELECT s.id, s.id_number, s.name, s.gender, s.birth_date
    FROM (SELECT DISTINCT unnest($1::bigint[])) AS g (id)
    CROSS JOIN LATERAL (
        SELECT st.id, st.id_number, st.name, st.gender, st.birth_date
        FROM student st WHERE st.id = g.id OFFSET 0) s
),
scope AS (
    SELECT s.id FROM given g
    CROSS JOIN LATERAL (
        SELECT st.id FROM student st
        WHERE st.id_number = g.id_number
          AND st.deleted_at IS NULL AND st.id_number <> '' OFFSET 0) s
    WHERE g.id_number <> ''
    UNION
    SELECT s.id FROM given g
    CROSS JOIN LATERAL (
        SELECT st.id FROM student st
        WHERE st.name = g.name AND st.gender = g.gender
          AND st.birth_date = g.birth_date AND st.deleted_at IS NULL
        OFFSET 0) s
    UNION
    SELECT p.student_id FROM given g
    CROSS JOIN LATERAL (
        SELECT pr.student_id FROM problem pr
        WHERE pr.counterpart_id = g.id AND pr.status <> 'resolved'
        OFFSET 0) p
    UNION
    SELECT id FROM given
),
-- Materialized, so that the join with organisation below stays one hash
-- join instead of moving inside the loop of probes.
live_student AS MATERIALIZED (
    SELECT s.* FROM scope
    CROSS JOIN LATERAL (
        SELECT st.id, st.school_id, st.id_type, st.id_number, st.name,
               st.gender, st.birth_date, st.id_fault
        FROM student st
        WHERE st.id = scope.id AND st.deleted_at IS NULL OFFSET 0) s
),
live AS (
    SELECT s.id, s.school_id, o.parent_id AS county_id, s.id_type,
           s.id_number, s.name, s.gender, s.birth_date, s.id_fault
    FROM live_student s JOIN organisation o ON o.id = s.school_id
),
found AS (
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
want AS (
    SELECT f.* FROM found f
    WHERE NOT EXISTS (
        SELECT 1 FROM attested_pair ap
        WHERE ap.student_id = f.student_id AND ap.kind = f.kind
          AND ap.counterpart_id IS NOT DISTINCT FROM f.counterpart_id)
),
held AS (
    SELECT pr.id, pr.student_id, pr.kind, pr.counterpart_id, pr.status
    FROM scope
    CROSS JOIN LATERAL (
        SELECT p.id, p.student_id, p.kind, p.counterpart_id, p.status
        FROM problem p
        WHERE p.student_id = scope.id AND p.status <> 'resolved'
          AND p.kind IN ('id_dup_school', 'id_dup_county', 'id_dup_province',
                         'ngb_dup', 'id_invalid')
        OFFSET 0) pr
    WHERE pr.counterpart_id IS NULL
       OR pr.counterpart_id IN (SELECT id FROM scope)
       OR pr.student_id IN (SELECT id FROM given)
),
cleared AS (
    UPDATE problem p
    SET status = 'resolved', resolution = 'cleared', resolved_at = now(),
        updated_at = now()
    FROM held h
    WHERE p.id = h.id
      AND NOT EXISTS (
          SELECT 1 FROM want w
          WHERE w.student_id = h.student_id AND w.kind = h.kind
            AND w.counterpart_id IS NOT DISTINCT FROM h.counterpart_id)
    RETURNING p.id, p.student_id, p.kind, p.counterpart_id,
              h.status AS old_status
),
-- Each cleared problem is a transition of its record, audited under the
-- account whose request ran the check (see db_begin_as in the daemon).
audited AS (
    INSERT INTO audit_log (account_id, org_id, action, object_kind,
                           object_id, before, after)
    SELECT nullif(current_setting('xueji.account_id', true), '')::bigint,
           nullif(current_setting('xueji.org_id', true), '')::bigint,
           'clear_problem', 'student', c.student_id,
           jsonb_build_object('problem', c.id, 'kind', c.kind,
                              'counterpart', c.counterpart_id,
                              'status', c.old_status),
           jsonb_build_object('problem', c.id, 'status', 'resolved',
                              'resolution', 'cleared')
    FROM cleared c
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
$sql$
    INTO created, cleared
    USING ids;
END;
$fn$;
