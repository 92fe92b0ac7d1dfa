/* SPDX-License-Identifier: MIT */
/*
 * Checks of Chinese resident ID numbers (GB 11643-1999): 18 characters,
 * 6-digit region code, 8-digit birth date, 3-digit sequence whose last digit
 * is odd for men and even for women, and an ISO 7064 MOD 11-2 check
 * character (0-9 or X). Also the masking used for every ID number in logs.
 */
#ifndef XUEJI_IDCARD_H
#define XUEJI_IDCARD_H

#include <stdbool.h>

#include "status.h"

#define IDCARD_LEN 18
/* Masked form: region code and check character kept, the rest '*'. */
#define IDCARD_MASK_SIZE 40

enum idcard_fault {
    IDCARD_OK = 0,
    IDCARD_EMPTY,
    IDCARD_SCIENTIFIC,      /* "4.10102E+17": Excel turned it into a number */
    IDCARD_LENGTH,
    IDCARD_CHARACTERS,      /* not 17 digits and a digit or X */
    IDCARD_PROVINCE,        /* first two digits are no province */
    IDCARD_BIRTH_DATE,      /* impossible date, or in the future */
    IDCARD_CHECK_DIGIT,
    IDCARD_ZEROS_LOST,      /* ends in 000 and the check digit is wrong */
    IDCARD_GENDER_MISMATCH, /* sequence digit disagrees with the gender */
    IDCARD_BIRTH_MISMATCH,  /* embedded date disagrees with the birth date */
};

/* Computes the MOD 11-2 check character ('0'-'9' or 'X') of the first 17
 * digits of id; returns 0 when those are not 17 digits. */
char idcard_check_char(const char *id);

/* Checks id (already normalised: ASCII, uppercase X) as a resident ID
 * number. gender is '1', '2' or 0 for "do not compare"; birth_date is
 * YYYYMMDD or NULL for "do not compare". today is YYYYMMDD, or NULL for
 * the current date. On failure fills err (field "id_number", masked value,
 * message and hint) and returns the fault. */
enum idcard_fault idcard_check(const char *id, char gender,
                               const char *birth_date, const char *today,
                               struct xj_error *err);

/* Returns a constant identifier of a fault, e.g. "check_digit". */
const char *idcard_fault_name(enum idcard_fault fault);

/* Tells whether the 6-digit region code at the start of id is a county-level
 * code in force in 2024 (abolished codes are still legal in old numbers). */
bool idcard_region_is_known(const char *id);

/* Writes a masked copy of id into out (IDCARD_MASK_SIZE bytes): the first
 * six and the last character are kept, the rest become '*'. Values shorter
 * than 8 characters are masked entirely. NULL or empty gives "". */
void idcard_mask(const char *id, char *out);

#endif
