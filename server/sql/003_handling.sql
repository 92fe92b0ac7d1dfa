-- SPDX-License-Identifier: MIT
-- Handling of problem registrations: evidence, cases and their review,
-- attested pairs, and student numbers with their history.

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
ALTER TABLE student ADD COLUMN student_number text;
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

CREATE FUNCTION student_number_log_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO student_number_history (student_id, student_number)
    SELECT n.id, n.student_number
    FROM new_rows n JOIN old_rows o USING (id)
    WHERE n.student_number IS NOT NULL
      AND n.student_number IS DISTINCT FROM o.student_number
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER student_number_history_update
    AFTER UPDATE ON student
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION student_number_log_update();

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
CREATE FUNCTION student_number_refresh(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    repaired integer;
BEGIN
    UPDATE student s
    SET student_number = 'G' || s.id_number
    WHERE s.id = ANY (ids) AND s.deleted_at IS NULL AND s.state = 'approved'
      AND s.id_type = '1' AND s.id_fault = '' AND s.id_number <> ''
      AND coalesce(left(s.student_number, 1), '') <> 'G'
      AND NOT EXISTS (SELECT 1 FROM problem p
                      WHERE p.student_id = s.id AND p.status <> 'resolved')
      AND NOT EXISTS (SELECT 1 FROM student x
                      WHERE x.student_number = 'G' || s.id_number);

    UPDATE student s
    SET student_number = 'L' || school_region(s.school_id)
                         || to_char(s.birth_date, 'YYYYMMDD')
                         || lpad(floor(random() * 10000)::int::text, 4, '0')
    WHERE s.id = ANY (ids) AND s.student_number IS NULL AND s.id_type = '1';

    WITH need AS (
        SELECT s.id,
               school_region(s.school_id) || to_char(s.birth_date, 'YYYYMMDD')
                   AS prefix
        FROM student s
        WHERE s.id = ANY (ids) AND s.id_type <> '1'
          AND coalesce(left(s.student_number, 1), '') <> 'J'
    ),
    numbered AS (
        SELECT n.id, n.prefix || lpad((
                   coalesce((SELECT max(substr(x.student_number, 16, 3)::int)
                             FROM student x
                             WHERE x.student_number LIKE 'J' || n.prefix || '___'
                               || '_'), 0)
                   + row_number() OVER (PARTITION BY n.prefix ORDER BY n.id)
               )::text, 3, '0') AS digits
        FROM need n
    )
    UPDATE student s SET student_number = 'J' || d.digits || mod112_check(d.digits)
    FROM numbered d WHERE s.id = d.id;

    -- Random L numbers collide rarely; draw again until none does.
    LOOP
        UPDATE student s
        SET student_number = left(s.student_number, 15)
                             || lpad(floor(random() * 10000)::int::text, 4, '0')
        FROM (SELECT id, row_number() OVER (PARTITION BY student_number
                                            ORDER BY id) AS rank
              FROM student
              WHERE student_number IN (SELECT student_number FROM student
                                       WHERE id = ANY (ids)
                                         AND left(student_number, 1) = 'L')
             ) dup
        WHERE s.id = dup.id AND dup.rank > 1 AND s.id = ANY (ids);
        GET DIAGNOSTICS repaired = ROW_COUNT;
        EXIT WHEN repaired = 0;
    END LOOP;
END;
$$;

-- Numbers for the records that exist already.
SELECT student_number_refresh(array_agg(id)) FROM student;

-- The duplicate check, now leaving attested pairs quiet.
CREATE OR REPLACE FUNCTION dedup_recheck(ids bigint[], OUT created integer,
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
