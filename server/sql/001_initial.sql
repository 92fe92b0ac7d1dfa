-- SPDX-License-Identifier: MIT
-- Organisation tree, accounts, students, problem registrations and the
-- append-only audit log.

-- Province (2-digit code), city (4), county (6) come from the division
-- list; schools carry their 10-digit school identifier code.
CREATE TABLE organisation (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('province', 'city', 'county', 'school')),
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    parent_id   bigint REFERENCES organisation (id),
    telephone   text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'province') = (parent_id IS NULL))
);
CREATE INDEX organisation_parent ON organisation (parent_id);

CREATE TABLE account (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL UNIQUE,
    org_id          bigint NOT NULL REFERENCES organisation (id),
    role            text NOT NULL CHECK (role IN ('school', 'county', 'city', 'province')),
    password_hash   text NOT NULL,
    failed_logins   integer NOT NULL DEFAULT 0,
    last_failed_at  timestamptz,
    disabled        boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per student registration. import_key makes imports idempotent:
-- the client derives it from the row's key fields and its occurrence in
-- the file, so importing a file twice inserts nothing the second time.
CREATE TABLE student (
    id              bigserial PRIMARY KEY,
    school_id       bigint NOT NULL REFERENCES organisation (id),
    import_key      text NOT NULL,
    name            text NOT NULL,
    gender          text NOT NULL CHECK (gender IN ('1', '2')),
    birth_date      date NOT NULL,
    id_type         text NOT NULL,
    id_number       text NOT NULL DEFAULT '',
    nationality     text NOT NULL,
    ethnicity       text NOT NULL,
    grade           text NOT NULL,
    class_name      text NOT NULL,
    enrol_month     text NOT NULL,
    overseas_status text NOT NULL DEFAULT '',
    health          text NOT NULL DEFAULT '',
    household_type  text NOT NULL DEFAULT '',
    attendance      text NOT NULL DEFAULT '',
    entry_mode      text NOT NULL DEFAULT '',
    address         text NOT NULL DEFAULT '',
    telephone       text NOT NULL DEFAULT '',
    class_number    text NOT NULL DEFAULT '',
    id_fault        text NOT NULL DEFAULT '',   -- '' or the failed ID check
    state           text NOT NULL DEFAULT 'imported'
                    CHECK (state IN ('imported', 'submitted', 'approved', 'rejected')),
    deleted_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (school_id, import_key)
);

-- Duplicate checks look only at live records, so the indexes are partial.
CREATE INDEX student_live_id_number ON student (id_number)
    WHERE deleted_at IS NULL AND id_number <> '';
CREATE INDEX student_live_ngb ON student (name, gender, birth_date)
    WHERE deleted_at IS NULL;
CREATE INDEX student_school ON student (school_id, grade, class_name);

-- A problem registration of one student. Duplicate kinds name the other
-- record; ID kinds have no counterpart.
CREATE TABLE problem (
    id              bigserial PRIMARY KEY,
    student_id      bigint NOT NULL REFERENCES student (id),
    kind            text NOT NULL CHECK (kind IN (
                        'id_dup_school', 'id_dup_county', 'id_dup_province',
                        'id_dup_national', 'ngb_dup', 'id_invalid',
                        'id_not_found', 'id_name_mismatch')),
    counterpart_id  bigint REFERENCES student (id),
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'pending_review', 'rejected', 'resolved')),
    detail          text NOT NULL DEFAULT '',
    resolution      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz
);
-- At most one unresolved problem per student, kind and counterpart.
CREATE UNIQUE INDEX problem_unresolved ON problem (student_id, kind, counterpart_id)
    NULLS NOT DISTINCT WHERE status <> 'resolved';
CREATE INDEX problem_counterpart ON problem (counterpart_id)
    WHERE status <> 'resolved';

-- Every state change: who, when, what, before and after. Rows are never
-- updated or deleted; the trigger rejects both.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    account_id  bigint REFERENCES account (id),
    org_id      bigint REFERENCES organisation (id),
    action      text NOT NULL,
    object_kind text NOT NULL,
    object_id   bigint,
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id);

CREATE FUNCTION audit_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change();
