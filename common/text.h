/* SPDX-License-Identifier: MIT */
/*
 * Normalisation of names and free text from templates and requests:
 * Unicode NFC, removal of invisible characters, surrounding and repeated
 * spaces, full-width ASCII forms, and the middle dot in names of ethnic
 * minorities. Also display widths for aligned terminal output.
 */
#ifndef XUEJI_TEXT_H
#define XUEJI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of UTF-8 the registry stores in one free-text field of a record
 * (name, grade, class, address, telephone, class number): about 66
 * Chinese characters. The client and the daemon check the same limit. */
#define TEXT_FIELD_MAX_BYTES 200

/* What text_normalize changed, as flags. */
enum text_change {
    TEXT_CHANGE_TRIMMED = 1 << 0,    /* spaces removed at either end */
    TEXT_CHANGE_INVISIBLE = 1 << 1,  /* zero-width or control characters removed */
    TEXT_CHANGE_FULLWIDTH = 1 << 2,  /* full-width ASCII turned into ASCII */
    TEXT_CHANGE_SPACES = 1 << 3,     /* inner runs of spaces folded to one */
    TEXT_CHANGE_NFC = 1 << 4,        /* Unicode composition changed */
    TEXT_CHANGE_DOT = 1 << 5,        /* a dot variant in a name became U+00B7 */
    TEXT_CHANGE_CASE = 1 << 6,       /* lowercase letters made uppercase */
};

/* Options of text_normalize. */
enum text_option {
    TEXT_OPT_FOLD_WIDTH = 1 << 0,    /* full-width ASCII (U+FF01-U+FF5E) to ASCII */
    /* Dot variants to U+00B7; inner spaces removed, except one space
     * between two letters of alphabetic scripts ("Ayşe Kaya"). */
    TEXT_OPT_NAME = 1 << 1,
    TEXT_OPT_UPPER = 1 << 2,         /* ASCII letters to uppercase (ID numbers) */
};

/* Returns a newly allocated normalised copy of in (valid UTF-8), or NULL
 * when in is not valid UTF-8 or memory runs out. ASCII whitespace, U+00A0,
 * U+3000 and the other Unicode space separators all count as spaces.
 * *changes, when not NULL, receives the enum text_change flags. The caller
 * frees the result. */
char *text_normalize(const char *in, unsigned options, unsigned *changes);

/* Bytes that text_normalize_to may write for len bytes of input, with the
 * terminating NUL. Each input byte decodes to at most one UTF-16 unit, NFC
 * gets room for three units per unit (the call fails if it needs more), and
 * each unit encodes as at most three bytes of UTF-8. */
#define TEXT_NORMALIZE_SIZE(len) ((len) * 9 + 1)

/* Normalises the len bytes at in as text_normalize does and writes the
 * result with a terminating NUL to out, which has room for
 * TEXT_NORMALIZE_SIZE(len) bytes. in needs no terminating NUL, and a NUL
 * byte in it counts as a control character. Stores the length of the result
 * without the NUL in *out_len and the enum text_change flags in *changes
 * (when not NULL). Returns false, with *changes 0, when in is NULL, is not
 * valid UTF-8 or is longer than INT32_MAX / 4 bytes, or memory runs out. */
bool text_normalize_to(const char *in, size_t len, unsigned options,
                       char *out, size_t *out_len, unsigned *changes);

/* Tells whether the len bytes at s are valid UTF-8 made only of spaces and
 * invisible characters, which is when text_normalize returns "" for them. */
bool text_is_blank(const char *s, size_t len);

/* Returns the length of the well-formed UTF-8 sequence at s (at most len
 * bytes, len > 0) and stores its code point in *code_point when that is not
 * NULL; returns 0 for a malformed or overlong sequence, a surrogate or a
 * value past U+10FFFF. */
size_t text_utf8_decode(const unsigned char *s, size_t len,
                        uint32_t *code_point);

/* Tells whether the len bytes at s are well-formed UTF-8. */
bool text_is_utf8(const char *s, size_t len);

/* Returns the length of the longest well-formed UTF-8 prefix of the len
 * bytes at s, which is the offset of the first invalid byte when the result
 * is less than len. */
size_t text_utf8_valid_length(const char *s, size_t len);

/* Returns the number of terminal columns s (UTF-8) takes: 2 for East Asian
 * wide and full-width characters, 0 for combining marks, 1 otherwise. */
size_t text_display_width(const char *s);

#endif
