/* SPDX-License-Identifier: MIT */
/*
 * Import of student rows into the logged-in school. A batch is one
 * transaction on a database thread, so the event loop only unpacks and
 * replies:
 *
 *   1. the rows are checked (rowcheck_student), and their provisional L
 *      numbers drawn apart from those of other unfinished batches;
 *   2. the rows get ids from the student sequence and go into student
 *      with one COPY. An import key stored already makes the COPY fail
 *      on the school's unique key. The batch then takes the per-school
 *      lock, looks the keys up and copies only the new rows, so that an
 *      import run again stores nothing twice;
 *   3. the duplicate-check keys of the new rows are locked (dedup_lock);
 *   4. import_candidates picks the few new rows that can have a problem
 *      or need another number. Those with a possible problem go through
 *      dedup_recheck. An L number that a stored record already has is
 *      drawn again like the first, and student_number_refresh gives the
 *      J numbers. Then the audit row is written.
 *
 * The COPY comes before the locks, so a connection runs up to
 * IMPORT_PIPELINE batches at once: the next batch's COPY uses the second
 * core while the previous one is checked. Replies leave in request order.
 * A batch that meets a deadlock, or the rare L number that another
 * daemon's batch drew at the same time, is run again from the start.
 */
#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "frame.h"
#include "handlers.h"
#include "idcard.h"
#include "log.h"
#include "provisional.h"
#include "rowcheck.h"
#include "server.h"
#include "text.h"

/* SQLSTATE of a rejection raised by the schema's own functions. */
#define IMPORT_REJECTION_SQLSTATE "XJ001"
#define IMPORT_UNIQUE_SQLSTATE "23505"

/* The unique key whose violation means a row is stored already, and the
 * one whose violation at commit means two transactions drew one L
 * number. */
#define IMPORT_KEY_CONSTRAINT "student_school_id_import_key_key"
#define IMPORT_NUMBER_CONSTRAINT "student_number_unique"

/* Namespace of the per-school import lock; dedup_lock uses 7001. */
#define IMPORT_LOCK_SPACE "7002"

/* Transactions one batch may take: a deadlock or a clash of L numbers
 * with another daemon rolls it back and it runs again. */
#define IMPORT_ATTEMPTS 3

/* Rounds of new draws for L numbers that committed records hold, before
 * student_number_refresh draws the rest. Where a county and birth date
 * have n of their 10,000 numbers taken, a record is still colliding after
 * all rounds with odds of (n / 10,000) to the power of the rounds. */
#define IMPORT_REDRAW_ROUNDS 32

/* Batches of one connection on database threads at once. */
#define IMPORT_PIPELINE 2

#define IMPORT_COPY_SQL                                                       \
    "COPY student (id, school_id, birth_date, student_number, import_key,"    \
    " name, gender, id_type, id_number, nationality, ethnicity, grade,"       \
    " class_name, enrol_month, overseas_status, health, household_type,"      \
    " attendance, entry_mode, address, telephone, class_number, id_fault)"    \
    " FROM STDIN"

/* A row that passed the checks, with what the COPY adds to it. */
struct import_row {
    const Xueji__V1__StudentRow *row;
    const char *id_fault;
    bool stored;                    /* its import key is in student already */
};

/* The kind of failure of one statement of the batch. */
enum import_failure {
    IMPORT_FAILURE_NONE,
    IMPORT_FAILURE_KEY,             /* an import key is stored already */
    IMPORT_FAILURE_RETRY,           /* deadlock or L number clash: run again */
    IMPORT_FAILURE_REJECTED,        /* the schema rejected the rows */
    IMPORT_FAILURE_ERROR,
};

struct import_job {
    struct db_job job;
    struct conn *conn;
    struct provisional_set *provisional;
    struct import_job *next;        /* the connection's next batch */
    bool finished;                  /* ran; its reply waits for earlier ones */
    wire_envelope *env;
    uint64_t request_id;
    int64_t school_id;
    int64_t account_id;
    char school_code[16];
    char ids[160];                  /* the connection's ids for log lines */
    char region[8];                 /* the school's county code */
    const char *invalid_field;      /* set when rejected before the database */
    bool failed;                    /* database error: nothing stored */
    enum import_failure failure;    /* of the last failed statement */
    char sqlstate[6];
    char rejection[256];            /* why the schema rejected the rows */
    char rejection_hint[256];
    unsigned accepted;
    unsigned created;
    unsigned problems_created;
    struct import_row *rows;        /* the accepted rows, in batch order */
    uint64_t *numbers;              /* their L numbers' digits, or 0 */
    bool *numbers_in_set;           /* numbers[i] is in the provisional set */
    uint64_t *redrawn;              /* L numbers drawn again, and whether */
    bool *redrawn_in_set;           /* each is in the provisional set */
    size_t redrawn_count;
    size_t redrawn_capacity;
    Xueji__V1__RowError **rejected;
    size_t rejected_count;
};

/* Writes a log line of a database thread with the ids of the batch's
 * connection, which that thread must not read from the connection. */
static void import_log(const struct import_job *import, enum log_level level,
                       const char *fmt, ...) XJ_PRINTF(3, 4);

static void
import_log(const struct import_job *import, enum log_level level,
           const char *fmt, ...)
{
    char message[1024];
    va_list ap;

    if (!log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    log_write(level, "%s school=%s request_id=%llu %s", message,
              import->school_code, (unsigned long long)import->request_id,
              import->ids);
}

/* Text built in a local block and moved into out one block at a time,
 * because an evbuffer_add per field was a tenth of the daemon's time in
 * an import. */
struct import_text {
    struct evbuffer *out;
    size_t len;
    char block[8192];
};

static void
import_text_flush(struct import_text *text)
{
    evbuffer_add(text->out, text->block, text->len);
    text->len = 0;
}

static void
import_text_add(struct import_text *text, const char *s, size_t n)
{
    if (text->len + n > sizeof(text->block)) {
        import_text_flush(text);
        if (n > sizeof(text->block)) {
            evbuffer_add(text->out, s, n);
            return;
        }
    }
    memcpy(text->block + text->len, s, n);
    text->len += n;
}

static void
import_text_char(struct import_text *text, char c)
{
    import_text_add(text, &c, 1);
}

/* Appends s with a backslash before each character of special. */
static void
import_text_escaped(struct import_text *text, const char *s,
                    const char *special)
{
    size_t run;

    while (*s != '\0') {
        run = strcspn(s, special);
        import_text_add(text, s, run);
        s += run;
        if (*s != '\0') {
            import_text_char(text, '\\');
            import_text_char(text, *s++);
        }
    }
}

/* Appends accepted row i of IMPORT_COPY_SQL with its id and, for a
 * resident ID, its L number. Rowcheck has rejected control characters,
 * so only the backslash needs escaping. */
static void
import_copy_row(struct import_text *text, const struct import_job *import,
                unsigned i, const char *id)
{
    const struct import_row *accepted = &import->rows[i];
    const Xueji__V1__StudentRow *row = accepted->row;
    const char *fields[] = {
        row->import_key, row->name, row->gender, row->id_type,
        row->id_number, row->nationality, row->ethnicity, row->grade,
        row->class_name, row->enrol_month, row->overseas_status, row->health,
        row->household_type, row->attendance, row->entry_mode, row->address,
        row->telephone, row->class_number, accepted->id_fault,
    };
    size_t count = sizeof(fields) / sizeof(fields[0]);
    char head[128];
    int len;

    len = snprintf(head, sizeof(head), "%s\t%lld\t", id,
                   (long long)import->school_id);
    import_text_add(text, head, (size_t)len);
    import_text_escaped(text, row->birth_date, "\\");
    if (import->numbers[i] != 0) {
        len = snprintf(head, sizeof(head), "\tL%0*llu\t", PROVISIONAL_DIGITS,
                       (unsigned long long)import->numbers[i]);
        import_text_add(text, head, (size_t)len);
    } else {
        import_text_add(text, "\t\\N\t", 4);
    }
    for (size_t f = 0; f < count; f++) {
        import_text_escaped(text, fields[f], "\\");
        import_text_char(text, f + 1 < count ? '\t' : '\n');
    }
}

static int
import_reject(struct import_job *import, const Xueji__V1__StudentRow *row,
              const struct xj_error *err)
{
    Xueji__V1__RowError *error = calloc(1, sizeof(*error));

    if (error == NULL) {
        return XJ_ERR_NOMEM;
    }
    xueji__v1__row_error__init(error);
    error->row_number = row->row_number;
    error->field = strdup(err->field);
    error->message = strdup(err->message);
    error->hint = strdup(err->hint);
    import->rejected[import->rejected_count++] = error;
    if (error->field == NULL || error->message == NULL || error->hint == NULL) {
        return XJ_ERR_NOMEM;
    }
    return 0;
}

/* Checks every row, collecting the accepted ones in import->rows and the
 * rejected ones with their errors. */
static int
import_check_rows(struct import_job *import)
{
    Xueji__V1__ImportBatch *batch = import->env->import_batch;
    char today[9];

    rowcheck_today(today);
    import->rejected = calloc(batch->n_rows + 1, sizeof(*import->rejected));
    import->rows = calloc(batch->n_rows + 1, sizeof(*import->rows));
    import->numbers = calloc(batch->n_rows + 1, sizeof(*import->numbers));
    import->numbers_in_set = calloc(batch->n_rows + 1,
                                    sizeof(*import->numbers_in_set));
    if (import->rejected == NULL || import->rows == NULL ||
        import->numbers == NULL || import->numbers_in_set == NULL) {
        return XJ_ERR_NOMEM;
    }
    for (size_t i = 0; i < batch->n_rows; i++) {
        const Xueji__V1__StudentRow *row = batch->rows[i];
        const char *id_fault = "";
        struct xj_error err;

        xj_error_clear(&err);
        if (rowcheck_student(row, today, &id_fault, &err) < 0) {
            if (import_reject(import, row, &err) < 0) {
                return XJ_ERR_NOMEM;
            }
            continue;
        }
        import->rows[import->accepted].row = row;
        import->rows[import->accepted].id_fault = id_fault;
        import->accepted++;
    }
    return 0;
}

static int
import_compare_keys(const void *a, const void *b)
{
    const struct import_row *left = *(const struct import_row *const *)a;
    const struct import_row *right = *(const struct import_row *const *)b;

    return strcmp(left->row->import_key, right->row->import_key);
}

/* Appends s as one quoted element of a text[] literal. */
static void
import_array_element(struct import_text *text, const char *s, bool first)
{
    if (!first) {
        import_text_char(text, ',');
    }
    import_text_char(text, '"');
    import_text_escaped(text, s, "\"\\");
    import_text_char(text, '"');
}

/* Appends value to the array literal in array, which starts with "{",
 * after a comma unless it is the first element. */
static void
import_array_add(struct evbuffer *array, const char *value)
{
    if (evbuffer_get_length(array) > 1) {
        evbuffer_add(array, ",", 1);
    }
    evbuffer_add(array, value, strlen(value));
}

/* Returns a field of a failed result, or "" when it has none. */
static const char *
import_error_field(const PGresult *res, int field)
{
    const char *value = PQresultErrorField(res, field);

    return value != NULL ? value : "";
}

/* Says whether res succeeded. A failure is classified in import and,
 * unless the batch handles it (a stored import key, a conflict to run
 * again, a rejection for the registrar), logged as an error. */
static bool
import_result_ok(struct import_job *import, PGconn *pg, const PGresult *res,
                 const char *context)
{
    ExecStatusType status = res != NULL ? PQresultStatus(res)
                                        : PGRES_FATAL_ERROR;
    const char *constraint;

    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ||
        status == PGRES_COPY_IN) {
        return true;
    }
    snprintf(import->sqlstate, sizeof(import->sqlstate), "%s",
             res != NULL ? import_error_field(res, PG_DIAG_SQLSTATE) : "");
    constraint = res != NULL ? import_error_field(res, PG_DIAG_CONSTRAINT_NAME)
                             : "";
    if (strcmp(import->sqlstate, IMPORT_UNIQUE_SQLSTATE) == 0 &&
        strcmp(constraint, IMPORT_KEY_CONSTRAINT) == 0) {
        import->failure = IMPORT_FAILURE_KEY;
    } else if (strcmp(import->sqlstate, "40P01") == 0 ||
               strcmp(import->sqlstate, "40001") == 0 ||
               (strcmp(import->sqlstate, IMPORT_UNIQUE_SQLSTATE) == 0 &&
                strcmp(constraint, IMPORT_NUMBER_CONSTRAINT) == 0)) {
        import->failure = IMPORT_FAILURE_RETRY;
    } else if (strcmp(import->sqlstate, IMPORT_REJECTION_SQLSTATE) == 0) {
        import->failure = IMPORT_FAILURE_REJECTED;
        snprintf(import->rejection, sizeof(import->rejection), "%s",
                 import_error_field(res, PG_DIAG_MESSAGE_PRIMARY));
        snprintf(import->rejection_hint, sizeof(import->rejection_hint), "%s",
                 import_error_field(res, PG_DIAG_MESSAGE_HINT));
    } else {
        import->failure = IMPORT_FAILURE_ERROR;
        import_log(import, LOG_LEVEL_ERROR, "import statement failed "
                   "context=\"%s\" sqlstate=%s", context, import->sqlstate);
        (void)db_result_ok(pg, res, context);
    }
    return false;
}

/* Runs sql with text parameters; returns its result, or NULL with the
 * failure classified. */
static PGresult *
import_query(struct import_job *import, PGconn *pg, const char *context,
             const char *sql, int count, const char *const *params)
{
    PGresult *res = PQexecParams(pg, sql, count, NULL, params, NULL, NULL, 0);

    if (!import_result_ok(import, pg, res, context)) {
        PQclear(res);
        return NULL;
    }
    return res;
}

static bool
import_exec(struct import_job *import, PGconn *pg, const char *context,
            const char *sql)
{
    PGresult *res = import_query(import, pg, context, sql, 0, NULL);

    PQclear(res);
    return res != NULL;
}

/* Closes the array literal in buf and runs sql with it as $2 and the
 * school as $1. */
static PGresult *
import_query_array(struct import_job *import, PGconn *pg, const char *context,
                   const char *sql, struct evbuffer *buf)
{
    char school[24];
    const char *params[2] = {school, NULL};

    evbuffer_add(buf, "}", 2);      /* with the NUL */
    params[1] = (const char *)evbuffer_pullup(buf, -1);
    snprintf(school, sizeof(school), "%lld", (long long)import->school_id);
    return import_query(import, pg, context, sql, 2, params);
}

/* Reads the school's county code, and draws count ids from the student
 * sequence into *ids, whose rows the caller frees with PQclear. */
static bool
import_prepare(struct import_job *import, PGconn *pg, long count,
               PGresult **ids)
{
    char school[24], number[24];
    const char *params[2] = {school, number};
    PGresult *res;

    snprintf(school, sizeof(school), "%lld", (long long)import->school_id);
    snprintf(number, sizeof(number), "%ld", count);
    res = import_query(import, pg, "import ids",
                       "SELECT nextval('student_id_seq'),"
                       " (SELECT coalesce(school_region($1::bigint), ''))"
                       " FROM generate_series(1, $2::int)", 2, params);
    if (res == NULL) {
        return false;
    }
    if (PQntuples(res) != count) {
        import_log(import, LOG_LEVEL_ERROR, "import ids missing wanted=%ld",
                   count);
        import->failure = IMPORT_FAILURE_ERROR;
        PQclear(res);
        return false;
    }
    snprintf(import->region, sizeof(import->region), "%s",
             PQgetvalue(res, 0, 1));
    *ids = res;
    return true;
}

/* Draws the L numbers of the rows with a resident ID: region code, birth
 * date, 4 random digits, kept apart from those of other unfinished
 * batches. Returns false when the school has no county code. */
static bool
import_draw_numbers(struct import_job *import)
{
    uint64_t *prefixes = calloc(import->accepted + 1, sizeof(*prefixes));
    uint64_t region;
    char *end;

    if (prefixes == NULL) {
        return false;
    }
    region = strtoull(import->region, &end, 10);
    if (strlen(import->region) != 6 || *end != '\0') {
        import_log(import, LOG_LEVEL_ERROR,
                   "import school has no county code");
        free(prefixes);
        return false;
    }
    for (unsigned i = 0; i < import->accepted; i++) {
        const Xueji__V1__StudentRow *row = import->rows[i].row;

        /* rowcheck has checked the birth date: 8 digits. */
        if (strcmp(row->id_type, "1") == 0) {
            prefixes[i] = region * 100000000u +
                          strtoull(row->birth_date, NULL, 10);
        }
    }
    provisional_draw(import->provisional, prefixes, import->numbers,
                     import->numbers_in_set, import->accepted);
    for (unsigned i = 0; i < import->accepted; i++) {
        if (prefixes[i] == 0) {
            import->numbers[i] = 0;
            import->numbers_in_set[i] = false;
        }
    }
    free(prefixes);
    return true;
}

static void
import_release_numbers(struct import_job *import)
{
    provisional_release(import->provisional, import->numbers,
                        import->numbers_in_set, import->accepted);
    memset(import->numbers_in_set, 0,
           sizeof(*import->numbers_in_set) * import->accepted);
    provisional_release(import->provisional, import->redrawn,
                        import->redrawn_in_set, import->redrawn_count);
    import->redrawn_count = 0;
}

/* Makes room for count more redrawn numbers; returns them, or NULL when
 * out of memory. */
static uint64_t *
import_redrawn_room(struct import_job *import, size_t count, bool **in_set)
{
    size_t need = import->redrawn_count + count;

    if (need > import->redrawn_capacity) {
        size_t capacity = need * 2;
        uint64_t *numbers = realloc(import->redrawn,
                                    capacity * sizeof(*numbers));
        bool *flags;

        if (numbers == NULL) {
            return NULL;
        }
        import->redrawn = numbers;
        flags = realloc(import->redrawn_in_set, capacity * sizeof(*flags));
        if (flags == NULL) {
            return NULL;
        }
        import->redrawn_in_set = flags;
        import->redrawn_capacity = capacity;
    }
    *in_set = import->redrawn_in_set + import->redrawn_count;
    return import->redrawn + import->redrawn_count;
}

/* A new record whose L number another record holds. */
struct import_collision {
    char id[24];
    char number[2 + PROVISIONAL_DIGITS];
};

/* Gives the records of list new L numbers of the same prefix, drawn apart
 * from those of unfinished batches, and leaves in list the records whose
 * new number is taken too. The SQL draw of student_number_refresh does not
 * know the numbers of unfinished batches, so two batches of this daemon
 * could take one number and then wait for each other at commit. */
static bool
import_redraw(struct import_job *import, PGconn *pg,
              struct import_collision *list, size_t *count)
{
    uint64_t *prefixes = calloc(*count + 1, sizeof(*prefixes));
    struct evbuffer *ids = evbuffer_new();
    struct evbuffer *numbers = evbuffer_new();
    uint64_t *drawn = NULL;
    bool *in_set = NULL;
    const char *params[2];
    PGresult *res;
    bool ok = prefixes != NULL && ids != NULL && numbers != NULL;

    if (ok) {
        drawn = import_redrawn_room(import, *count, &in_set);
        ok = drawn != NULL;
    }
    for (size_t i = 0; ok && i < *count; i++) {
        char prefix[15];

        /* An L number: the letter, 14 digits of prefix, 4 of suffix. */
        memcpy(prefix, list[i].number + 1, 14);
        prefix[14] = '\0';
        prefixes[i] = strtoull(prefix, NULL, 10);
    }
    if (!ok) {
        import_log(import, LOG_LEVEL_ERROR,
                   "out of memory drawing L numbers again records=%zu",
                   *count);
        import->failure = IMPORT_FAILURE_ERROR;
    } else {
        provisional_draw(import->provisional, prefixes, drawn, in_set, *count);
        import->redrawn_count += *count;
        evbuffer_add(ids, "{", 1);
        evbuffer_add(numbers, "{", 1);
        for (size_t i = 0; i < *count; i++) {
            char number[sizeof(list->number)];

            snprintf(number, sizeof(number), "L%0*llu", PROVISIONAL_DIGITS,
                     (unsigned long long)drawn[i]);
            import_array_add(ids, list[i].id);
            import_array_add(numbers, number);
        }
        evbuffer_add(ids, "}", 2);
        evbuffer_add(numbers, "}", 2);
        params[0] = (const char *)evbuffer_pullup(ids, -1);
        params[1] = (const char *)evbuffer_pullup(numbers, -1);
        res = import_query(import, pg, "import new L numbers",
                           "UPDATE student s SET student_number = v.number"
                           " FROM unnest($1::bigint[], $2::text[])"
                           " AS v (id, number) WHERE s.id = v.id",
                           2, params);
        ok = res != NULL;
        PQclear(res);
    }
    if (ok) {
        res = import_query(import, pg, "import L numbers taken",
                           "SELECT v.id, v.number"
                           " FROM unnest($1::bigint[], $2::text[])"
                           " AS v (id, number)"
                           " CROSS JOIN LATERAL (SELECT 1 FROM student x"
                           " WHERE x.student_number = v.number"
                           " AND x.id <> v.id LIMIT 1) taken",
                           2, params);
        ok = res != NULL;
        *count = ok ? (size_t)PQntuples(res) : 0;
        for (size_t i = 0; i < *count; i++) {
            snprintf(list[i].id, sizeof(list[i].id), "%s",
                     PQgetvalue(res, (int)i, 0));
            snprintf(list[i].number, sizeof(list[i].number), "%s",
                     PQgetvalue(res, (int)i, 1));
        }
        PQclear(res);
    }
    free(prefixes);
    if (ids != NULL) {
        evbuffer_free(ids);
    }
    if (numbers != NULL) {
        evbuffer_free(numbers);
    }
    return ok;
}

/* Marks the rows whose import key appears earlier in the batch, or is
 * stored already when stored is a result of keys in byte order. Returns
 * the number of new rows. */
static long
import_mark(struct import_job *import, const PGresult *stored)
{
    struct import_row **sorted = calloc(import->accepted + 1, sizeof(*sorted));
    int found = stored != NULL ? PQntuples(stored) : 0;
    int next = 0;
    long fresh = 0;

    if (sorted == NULL) {
        return -1;
    }
    for (unsigned i = 0; i < import->accepted; i++) {
        sorted[i] = &import->rows[i];
    }
    /* Both lists are in byte order, so one merge pass marks the stored
     * rows and the repeats inside the batch. */
    qsort(sorted, import->accepted, sizeof(*sorted), import_compare_keys);
    for (unsigned i = 0; i < import->accepted; i++) {
        const char *key = sorted[i]->row->import_key;
        bool seen = i > 0 && strcmp(key, sorted[i - 1]->row->import_key) == 0;

        while (next < found && strcmp(PQgetvalue(stored, next, 0), key) < 0) {
            next++;
        }
        if (next < found && strcmp(PQgetvalue(stored, next, 0), key) == 0) {
            seen = true;
        }
        sorted[i]->stored = seen;
        fresh += seen ? 0 : 1;
    }
    free(sorted);
    return fresh;
}

/* Takes the school's import lock and marks the rows whose import key is
 * stored already. Returns the number of new rows, or -1 on a database
 * error. */
static long
import_mark_stored(struct import_job *import, PGconn *pg,
                   struct evbuffer *buf)
{
    char school[24];
    const char *params[1] = {school};
    PGresult *res;
    long fresh;

    snprintf(school, sizeof(school), "%lld", (long long)import->school_id);
    res = import_query(import, pg, "import school lock",
                       "SELECT pg_advisory_xact_lock(" IMPORT_LOCK_SPACE ","
                       " $1::int)", 1, params);
    if (res == NULL) {
        return -1;
    }
    PQclear(res);
    evbuffer_add(buf, "{", 1);
    for (unsigned i = 0; i < import->accepted; i++) {
        import_array_add(buf, import->rows[i].row->import_key);
    }
    res = import_query_array(import, pg, "import stored keys",
                             "SELECT import_key FROM student"
                             " WHERE school_id = $1::bigint"
                             " AND import_key = ANY ($2::text[])"
                             " ORDER BY import_key COLLATE \"C\"",
                             buf);
    if (res == NULL) {
        return -1;
    }
    fresh = import_mark(import, res);
    PQclear(res);
    return fresh;
}

/* Locks the duplicate-check keys and the student-number prefix of every
 * new row: the keys of dedup_keys() and student_number_key(). */
static bool
import_lock_keys(struct import_job *import, PGconn *pg, struct evbuffer *buf)
{
    struct import_text text = {.out = buf};
    char key[512];
    bool first = true;
    PGresult *res;

    import_text_char(&text, '{');
    for (unsigned i = 0; i < import->accepted; i++) {
        const Xueji__V1__StudentRow *row = import->rows[i].row;

        if (import->rows[i].stored) {
            continue;
        }
        if (row->id_number[0] != '\0') {
            import_array_element(&text, row->id_number, first);
            first = false;
        }
        snprintf(key, sizeof(key), "%s|%s|%s", row->name, row->gender,
                 row->birth_date);
        import_array_element(&text, key, first);
        snprintf(key, sizeof(key), "number|%s%s", import->region,
                 row->birth_date);
        import_array_element(&text, key, false);
        first = false;
    }
    import_text_flush(&text);
    res = import_query_array(import, pg, "import lock",
                             "SELECT dedup_lock($2::text[]), $1", buf);
    PQclear(res);
    return res != NULL;
}

/* Copies the rows not marked stored into student through buf, giving them
 * the ids of the first rows of ids, and writes the list of those ids into
 * *list as a bigint[] literal. */
static bool
import_copy_new(struct import_job *import, PGconn *pg, const PGresult *ids,
                struct evbuffer *buf, struct evbuffer *list)
{
    struct import_text *copy = malloc(sizeof(*copy));
    struct import_text *listed = malloc(sizeof(*listed));
    PGresult *res;
    int next = 0;
    bool ok;

    if (copy == NULL || listed == NULL) {
        import_log(import, LOG_LEVEL_ERROR, "out of memory for an import batch");
        import->failure = IMPORT_FAILURE_ERROR;
        free(copy);
        free(listed);
        return false;
    }
    copy->out = buf;
    copy->len = 0;
    listed->out = list;
    listed->len = 0;
    evbuffer_drain(list, evbuffer_get_length(list));
    import_text_char(listed, '{');
    for (unsigned i = 0; i < import->accepted; i++) {
        const char *id;

        if (import->rows[i].stored) {
            continue;
        }
        id = PQgetvalue(ids, next++, 0);
        import_copy_row(copy, import, i, id);
        if (next > 1) {
            import_text_char(listed, ',');
        }
        import_text_add(listed, id, strlen(id));
    }
    import_text_add(listed, "}", 2);        /* with the NUL */
    import_text_flush(copy);
    import_text_flush(listed);
    free(copy);
    free(listed);

    res = PQexec(pg, IMPORT_COPY_SQL);
    ok = import_result_ok(import, pg, res, "import copy start");
    PQclear(res);
    if (!ok) {
        return false;
    }
    ok = PQputCopyData(pg, (const char *)evbuffer_pullup(buf, -1),
                       (int)evbuffer_get_length(buf)) == 1;
    ok = PQputCopyEnd(pg, ok ? NULL : "client failed") == 1 && ok;
    res = PQgetResult(pg);
    ok = import_result_ok(import, pg, res, "import copy") && ok;
    PQclear(res);
    while ((res = PQgetResult(pg)) != NULL) {
        PQclear(res);
    }
    return ok;
}

/* Runs the duplicate check and the student numbers over the new rows that
 * import_candidates picks; ids is the bigint[] literal of the new rows. */
static bool
import_check_new(struct import_job *import, PGconn *pg, const char *ids)
{
    const char *params[1] = {ids};
    struct evbuffer *dup = evbuffer_new();
    struct evbuffer *renumber = evbuffer_new();
    struct import_collision *collisions = NULL;
    size_t collided = 0;
    PGresult *res = NULL;
    bool ok = dup != NULL && renumber != NULL;

    if (ok) {
        res = import_query(import, pg, "import candidates",
                           "SELECT student_id, dup, renumber, student_number"
                           " FROM import_candidates($1::bigint[])", 1, params);
        ok = res != NULL;
    }
    if (ok) {
        collisions = calloc((size_t)PQntuples(res) + 1, sizeof(*collisions));
        ok = collisions != NULL;
    }
    if (ok) {
        evbuffer_add(dup, "{", 1);
        evbuffer_add(renumber, "{", 1);
        for (int i = 0; i < PQntuples(res); i++) {
            const char *id = PQgetvalue(res, i, 0);
            const char *number = PQgetvalue(res, i, 3);

            if (PQgetvalue(res, i, 1)[0] == 't') {
                import_array_add(dup, id);
            }
            /* Taken L numbers are drawn again here, and the refresh gives
             * the records without a resident ID their J numbers. */
            if (PQgetvalue(res, i, 2)[0] != 't') {
                continue;
            }
            if (number[0] == 'L' && strlen(number) == 1 + PROVISIONAL_DIGITS) {
                snprintf(collisions[collided].id, sizeof(collisions->id), "%s",
                         id);
                snprintf(collisions[collided].number,
                         sizeof(collisions->number), "%s", number);
                collided++;
            } else {
                import_array_add(renumber, id);
            }
        }
    }
    PQclear(res);
    res = NULL;
    for (int round = 0; ok && collided > 0 && round < IMPORT_REDRAW_ROUNDS;
         round++) {
        ok = import_redraw(import, pg, collisions, &collided);
    }
    /* Numbers still taken after the rounds are left to the refresh. */
    for (size_t i = 0; ok && i < collided; i++) {
        import_array_add(renumber, collisions[i].id);
    }
    free(collisions);
    if (ok && evbuffer_get_length(dup) > 1) {
        evbuffer_add(dup, "}", 2);
        params[0] = (const char *)evbuffer_pullup(dup, -1);
        res = import_query(import, pg, "import duplicate check",
                           "SELECT created FROM dedup_recheck($1::bigint[])",
                           1, params);
        ok = res != NULL;
        if (ok) {
            import->problems_created = (unsigned)atol(PQgetvalue(res, 0, 0));
        }
        PQclear(res);
    }
    /* J numbers, and new draws for the rare colliding L number. The
     * refresh raises SQLSTATE XJ001 when a county has no J number left for
     * a birth date: a fault of the rows, whose message goes to the
     * registrar. */
    if (ok && evbuffer_get_length(renumber) > 1) {
        evbuffer_add(renumber, "}", 2);
        params[0] = (const char *)evbuffer_pullup(renumber, -1);
        res = import_query(import, pg, "import student numbers",
                           "SELECT student_number_refresh($1::bigint[])", 1,
                           params);
        ok = res != NULL;
        PQclear(res);
    }
    if (dup != NULL) {
        evbuffer_free(dup);
    }
    if (renumber != NULL) {
        evbuffer_free(renumber);
    }
    return ok;
}

static bool
import_audit(struct import_job *import, PGconn *pg)
{
    char school[24], account[24], received[16], created[16], problems[16];
    const char *params[6] = {school, account,
                             import->env->import_batch->file_name,
                             received, created, problems};
    PGresult *res;

    snprintf(school, sizeof(school), "%lld", (long long)import->school_id);
    snprintf(account, sizeof(account), "%lld", (long long)import->account_id);
    snprintf(received, sizeof(received), "%zu",
             import->env->import_batch->n_rows);
    snprintf(created, sizeof(created), "%u", import->created);
    snprintf(problems, sizeof(problems), "%u", import->problems_created);
    res = import_query(import, pg, "import audit",
                       "INSERT INTO audit_log (account_id, org_id, action,"
                       " object_kind, object_id, after) VALUES ($2, $1,"
                       " 'import', 'school', $1, jsonb_build_object('file',"
                       " $3::text, 'received', $4::int, 'created', $5::int,"
                       " 'problems_created', $6::int))",
                       6, params);
    PQclear(res);
    return res != NULL;
}

/* Runs the statements of one batch inside its transaction; returns false
 * on the first failure, leaving the rollback to the caller. */
static bool
import_store(struct import_job *import, PGconn *pg, struct evbuffer *buf,
             struct evbuffer *list)
{
    PGresult *ids = NULL;
    long fresh = import_mark(import, NULL);
    bool ok = fresh > 0;

    /* Every row counts as new until its COPY fails on a stored key. */
    ok = ok && import_prepare(import, pg, fresh, &ids) &&
         import_draw_numbers(import) &&
         import_exec(import, pg, "import savepoint", "SAVEPOINT import_rows");
    if (ok && !import_copy_new(import, pg, ids, buf, list)) {
        ok = import->failure == IMPORT_FAILURE_KEY &&
             import_exec(import, pg, "import rollback to savepoint",
                         "ROLLBACK TO SAVEPOINT import_rows");
        evbuffer_drain(buf, evbuffer_get_length(buf));
        fresh = ok ? import_mark_stored(import, pg, buf) : -1;
        ok = fresh >= 0;
        evbuffer_drain(buf, evbuffer_get_length(buf));
        if (ok && fresh > 0) {
            import->failure = IMPORT_FAILURE_NONE;
            ok = import_copy_new(import, pg, ids, buf, list);
            /* Another import of the same rows stored one of them since
             * the look-up: the next attempt finds it. */
            if (!ok && import->failure == IMPORT_FAILURE_KEY) {
                import->failure = IMPORT_FAILURE_RETRY;
            }
        }
    }
    PQclear(ids);
    if (ok && fresh > 0) {
        evbuffer_drain(buf, evbuffer_get_length(buf));
        ok = import_lock_keys(import, pg, buf) &&
             import_check_new(import, pg,
                              (const char *)evbuffer_pullup(list, -1));
        import->created = ok ? (unsigned)fresh : 0;
        /* A batch whose rows were all stored before changes nothing, so
         * it leaves no audit row; importing a file again is a no-op. */
        ok = ok && import_audit(import, pg);
    }
    return ok;
}

/* Runs one transaction of the batch. */
static bool
import_attempt(struct import_job *import, PGconn *pg)
{
    struct evbuffer *buf = evbuffer_new();
    struct evbuffer *list = evbuffer_new();
    bool ok = buf != NULL && list != NULL;

    import->failure = IMPORT_FAILURE_NONE;
    import->created = 0;
    import->problems_created = 0;
    if (ok && db_begin_as(pg, "import begin", import->account_id,
                          import->school_id)) {
        ok = import_store(import, pg, buf, list) &&
             import_exec(import, pg, "import commit", "COMMIT");
    } else {
        import->failure = IMPORT_FAILURE_ERROR;
        ok = false;
    }
    if (!ok) {
        db_rollback(pg);
        import->created = 0;
        import->problems_created = 0;
    }
    import_release_numbers(import);
    if (buf != NULL) {
        evbuffer_free(buf);
    }
    if (list != NULL) {
        evbuffer_free(list);
    }
    return ok;
}

static void
import_run(struct db_job *job, struct db_session *session)
{
    struct import_job *import = (struct import_job *)job;

    if (import_check_rows(import) < 0) {
        import->failed = true;
        return;
    }
    if (import->accepted == 0) {
        return;
    }
    for (int attempt = 1; attempt <= IMPORT_ATTEMPTS; attempt++) {
        if (import_attempt(import, session->pg)) {
            return;
        }
        if (import->failure != IMPORT_FAILURE_RETRY) {
            break;
        }
        import_log(import, LOG_LEVEL_WARN, "import batch conflict "
                   "sqlstate=%s attempt=%d of %d", import->sqlstate, attempt,
                   IMPORT_ATTEMPTS);
    }
    import->failed = true;
}

static void
import_free(struct import_job *import)
{
    for (size_t i = 0; i < import->rejected_count; i++) {
        free(import->rejected[i]->field);
        free(import->rejected[i]->message);
        free(import->rejected[i]->hint);
        free(import->rejected[i]);
    }
    free(import->rejected);
    free(import->rows);
    free(import->numbers);
    free(import->numbers_in_set);
    free(import->redrawn);
    free(import->redrawn_in_set);
    wire_free(import->env);
    free(import);
}

static void
import_send_reply(struct import_job *import)
{
    struct conn *conn = import->conn;
    wire_envelope reply = XUEJI__V1__ENVELOPE__INIT;
    Xueji__V1__ImportReply body = XUEJI__V1__IMPORT_REPLY__INIT;
    Xueji__V1__ImportBatch *batch = import->env->import_batch;

    if (import->invalid_field != NULL) {
        clog_info(conn, "import batch rejected request_id=%llu field=%s "
                  "reason=\"%s\"", (unsigned long long)import->request_id,
                  import->invalid_field, import->rejection);
        conn_send_error(conn, import->request_id,
                        XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST,
                        import->invalid_field, import->rejection_hint, "%s",
                        import->rejection);
        return;
    }
    if (import->failed && import->failure == IMPORT_FAILURE_REJECTED) {
        clog_info(conn, "import batch rejected school=%s request_id=%llu "
                  "rows=%zu reason=\"%s\"", import->school_code,
                  (unsigned long long)import->request_id, batch->n_rows,
                  import->rejection);
        conn_send_error(conn, import->request_id,
                        XUEJI__V1__ERROR_CODE__ERROR_CODE_BAD_REQUEST, NULL,
                        import->rejection_hint, "nothing of this batch was "
                        "stored: %s", import->rejection);
        return;
    }
    if (import->failed) {
        clog_error(conn, "import batch failed school=%s request_id=%llu "
                   "rows=%zu sqlstate=%s", import->school_code,
                   (unsigned long long)import->request_id, batch->n_rows,
                   import->sqlstate);
        conn_send_error(conn, import->request_id,
                        XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL, NULL,
                        "nothing of this batch was stored; run the same "
                        "import again, and call the operator if it keeps "
                        "failing", "the server could not store the batch");
        return;
    }
    clog_info(conn, "import batch stored school=%s request_id=%llu "
              "received=%zu created=%u rejected=%zu problems_created=%u",
              import->school_code, (unsigned long long)import->request_id,
              batch->n_rows, import->created, import->rejected_count,
              import->problems_created);
    body.received = (uint32_t)batch->n_rows;
    body.created = import->created;
    body.existing = import->accepted - import->created;
    body.rejected = import->rejected;
    body.n_rejected = import->rejected_count;
    body.problems_created = import->problems_created;
    reply.request_id = import->request_id;
    reply.body_case = XUEJI__V1__ENVELOPE__BODY_IMPORT_REPLY;
    reply.import_reply = &body;
    /* A client that sends rows its own checks should have held back can
     * get more row errors than fit in one frame. The reply then lists
     * only the first ones. */
    while (body.n_rejected > 0 &&
           xueji__v1__envelope__get_packed_size(&reply) + FRAME_HEADER_LEN >
               (size_t)conn->worker->server->config.max_frame_size) {
        body.n_rejected /= 2;
    }
    body.rejected_unlisted = (uint32_t)(import->rejected_count -
                                        body.n_rejected);
    if (body.rejected_unlisted > 0) {
        clog_info(conn, "import reply lists only some rejected rows "
                  "request_id=%llu listed=%zu unlisted=%u",
                  (unsigned long long)import->request_id, body.n_rejected,
                  body.rejected_unlisted);
    }
    (void)conn_send(conn, &reply);
}

/* Sends the replies of the connection's finished batches that no earlier
 * batch holds up, so that they leave in request order. */
static void
import_flush(struct conn *conn)
{
    while (conn->imports != NULL && conn->imports->finished) {
        struct import_job *head = conn->imports;

        conn->imports = head->next;
        conn->imports_in_flight--;
        if (!conn->closing) {
            import_send_reply(head);
        }
        import_free(head);
    }
    conn_imports_settled(conn);
}

static void
import_done(struct db_job *job)
{
    struct import_job *import = (struct import_job *)job;

    import->finished = true;
    import_flush(import->conn);
}

/* Queues import as the connection's latest batch. */
static void
import_enqueue(struct conn *conn, struct import_job *import)
{
    struct import_job **tail = &conn->imports;

    while (*tail != NULL) {
        tail = &(*tail)->next;
    }
    *tail = import;
    conn->imports_in_flight++;
    conn->job_in_flight = true;
}

/* Rejects a batch before it reaches the database; the error follows
 * the replies of the batches in flight. */
static void
import_reject_batch(struct conn *conn, struct import_job *import,
              const char *field, const char *hint, const char *message)
{
    import->invalid_field = field;
    snprintf(import->rejection, sizeof(import->rejection), "%s", message);
    snprintf(import->rejection_hint, sizeof(import->rejection_hint), "%s",
             hint);
    import->finished = true;
    import_enqueue(conn, import);
    import_flush(conn);
}

void
handle_import_batch(struct conn *conn, wire_envelope *env)
{
    struct server *server = conn->worker->server;
    Xueji__V1__ImportBatch *batch = env->import_batch;
    struct import_job *import = calloc(1, sizeof(*import));
    char message[128];

    if (import == NULL) {
        uint64_t id = env->request_id;

        wire_free(env);
        clog_error(conn, "out of memory for an import batch");
        handler_error(conn, id, XUEJI__V1__ERROR_CODE__ERROR_CODE_INTERNAL,
                      NULL, NULL, "out of memory");
        return;
    }
    import->conn = conn;
    import->env = env;
    import->request_id = env->request_id;
    import->school_id = conn->org_id;
    import->account_id = conn->account_id;
    import->provisional = server->provisional;
    snprintf(import->school_code, sizeof(import->school_code), "%s",
             conn->org_code);
    snprintf(import->ids, sizeof(import->ids), "conn=%llu peer=%s user=%s",
             (unsigned long long)conn->id, conn->peer, conn->username);
    if (batch->n_rows == 0 ||
        batch->n_rows > (size_t)server->config.max_batch_rows) {
        snprintf(message, sizeof(message), "a batch must have 1 to %ld rows",
                 server->config.max_batch_rows);
        import_reject_batch(conn, import, "rows",
                      "send between 1 and max_batch_rows rows", message);
        return;
    }
    if (strlen(batch->file_name) > 255 ||
        !text_is_utf8(batch->file_name, strlen(batch->file_name))) {
        import_reject_batch(conn, import, "file_name",
                      "send the base name of the file, in UTF-8",
                      "file name is not UTF-8 or longer than 255 bytes");
        return;
    }
    import->job.run = import_run;
    import->job.done = import_done;
    import->job.owner = conn->worker;
    import_enqueue(conn, import);
    db_pool_submit(server->db, &import->job);
    /* Room for another batch: read the next request now. */
    if (conn->imports_in_flight < IMPORT_PIPELINE) {
        conn->waiting = false;
    }
}
