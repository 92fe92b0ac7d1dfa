/* SPDX-License-Identifier: MIT */
/*
 * Normalisation of cell and request text with ICU (NFC, character classes,
 * East Asian width) and display widths for terminal tables. What counts as a
 * valid value of a field is left to the validators that call this file.
 */
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

size_t
text_utf8_decode(const unsigned char *s, size_t len, uint32_t *code_point)
{
    size_t need;
    uint32_t cp;

    if (s[0] < 0x80) {
        if (code_point != NULL) {
            *code_point = s[0];
        }
        return 1;
    } else if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        need = 2;
        cp = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        need = 3;
        cp = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        need = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len < need) {
        return 0;
    }
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000)
        || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    if (code_point != NULL) {
        *code_point = cp;
    }
    return need;
}

size_t
text_utf8_valid_length(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t offset = 0;

    while (offset < len) {
        size_t n = text_utf8_decode(p + offset, len - offset, NULL);

        if (n == 0) {
            break;
        }
        offset += n;
    }
    return offset;
}

bool
text_is_utf8(const char *s, size_t len)
{
    return text_utf8_valid_length(s, len) == len;
}

/* Zero-width, bidirectional and control characters that Excel, web pages
 * and input methods leave in cells. ASCII whitespace is not among them. */
static bool
text_is_invisible(UChar32 c)
{
    if (c < 0x20) {
        return c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r';
    }
    return (c >= 0x7F && c <= 0x9F) || c == 0x00AD
        || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E)
        || (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x2069)
        || c == 0xFEFF;
}

/* ASCII whitespace, U+00A0, U+3000 and the other Unicode space separators. */
static bool
text_is_space(UChar32 c)
{
    return c == ' ' || (c >= '\t' && c <= '\r')
        || u_charType(c) == U_SPACE_SEPARATOR;
}

static bool
text_is_dot_variant(UChar32 c)
{
    return c == '.' || c == 0x2022 || c == 0x30FB || c == 0xFF0E
        || c == 0x2027 || c == 0x2219 || c == 0xFF65 || c == 0x0387;
}

/* Tells whether a space next to c may separate words of a name: letters of
 * alphabetic scripts do, CJK characters and the middle dot do not. */
static bool
text_is_word_letter(UChar32 c)
{
    UErrorCode status = U_ZERO_ERROR;
    UScriptCode script;

    if (!u_isalpha(c)) {
        return false;
    }
    script = uscript_getScript(c, &status);
    return U_SUCCESS(status) && script != USCRIPT_HAN
        && script != USCRIPT_HIRAGANA && script != USCRIPT_KATAKANA
        && script != USCRIPT_HANGUL && script != USCRIPT_BOPOMOFO
        && script != USCRIPT_YI;
}

/* Decodes valid UTF-8 into UTF-16 without the invisible characters. */
static UChar *
text_strip_invisible(const char *in, int32_t *out_len, unsigned *changes)
{
    int32_t len = (int32_t)strlen(in);
    UChar *out = malloc(((size_t)len + 1) * sizeof(UChar));
    int32_t i = 0;
    int32_t n = 0;

    if (out == NULL) {
        return NULL;
    }
    while (i < len) {
        UChar32 c;

        U8_NEXT(in, i, len, c);
        if (text_is_invisible(c)) {
            *changes |= TEXT_CHANGE_INVISIBLE;
            continue;
        }
        U16_APPEND_UNSAFE(out, n, c);
    }
    *out_len = n;
    return out;
}

/* Returns the NFC form of s as a new buffer, setting TEXT_CHANGE_NFC when it
 * differs from s. */
static UChar *
text_compose(const UChar *s, int32_t len, int32_t *out_len, unsigned *changes)
{
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&status);
    int32_t capacity = len * 3 + 1;
    UChar *out;

    if (U_FAILURE(status)) {
        return NULL;
    }
    out = malloc((size_t)capacity * sizeof(UChar));
    if (out == NULL) {
        return NULL;
    }
    *out_len = unorm2_normalize(nfc, s, len, out, capacity, &status);
    if (U_FAILURE(status)) {
        free(out);
        return NULL;
    }
    if (*out_len != len || memcmp(out, s, (size_t)len * sizeof(UChar)) != 0) {
        *changes |= TEXT_CHANGE_NFC;
    }
    return out;
}

/* Maps one character according to the options. Spaces stay as they are. */
static UChar32
text_map_char(UChar32 c, unsigned options, unsigned *changes)
{
    if ((options & TEXT_OPT_NAME) && text_is_dot_variant(c)) {
        *changes |= TEXT_CHANGE_DOT;
        return 0x00B7;
    }
    if ((options & TEXT_OPT_FOLD_WIDTH) && c >= 0xFF01 && c <= 0xFF5E) {
        *changes |= TEXT_CHANGE_FULLWIDTH;
        c -= 0xFEE0;
    }
    if ((options & TEXT_OPT_UPPER) && c >= 'a' && c <= 'z') {
        *changes |= TEXT_CHANGE_CASE;
        c -= 'a' - 'A';
    }
    return c;
}

/* Decides what a run of spaces between prev and next becomes: true keeps
 * one U+0020. Runs at either end never reach this function. */
static bool
text_keep_space(UChar32 prev, UChar32 next, unsigned options)
{
    if (!(options & TEXT_OPT_NAME)) {
        return true;
    }
    return text_is_word_letter(prev) && text_is_word_letter(next);
}

/* Writes c as UTF-8 at out + *n. out has room for 4 bytes per character. */
static void
text_put_utf8(char *out, size_t *n, UChar32 c)
{
    int32_t i = (int32_t)*n;

    U8_APPEND_UNSAFE(out, i, c);
    *n = (size_t)i;
}

/* Moves *i past a run of spaces that starts at *i; returns the number of
 * spaces and stores in *plain whether all of them were U+0020. */
static int32_t
text_skip_spaces(const UChar *s, int32_t *i, int32_t len, bool *plain)
{
    int32_t run = 0;

    *plain = true;
    while (*i < len) {
        int32_t at = *i;
        UChar32 c;

        U16_NEXT(s, *i, len, c);
        if (!text_is_space(c)) {
            *i = at;
            break;
        }
        *plain = *plain && c == ' ';
        run++;
    }
    return run;
}

/* Maps characters, trims and folds spaces, and encodes the result. */
static char *
text_finish(const UChar *s, int32_t len, unsigned options, unsigned *changes)
{
    char *out = malloc((size_t)len * 3 + 1);
    size_t n = 0;
    int32_t i = 0;
    UChar32 prev = 0;   /* last character written, 0 at the start */

    if (out == NULL) {
        return NULL;
    }
    while (i < len) {
        UChar32 c;
        UChar32 next;
        unsigned ignored = 0;
        bool plain;
        int32_t run = text_skip_spaces(s, &i, len, &plain);

        if (run > 0 && (prev == 0 || i >= len)) {
            *changes |= TEXT_CHANGE_TRIMMED;
            continue;
        }
        if (run > 0) {
            U16_GET(s, 0, i, len, next);
            next = text_map_char(next, options, &ignored);
            if (!text_keep_space(prev, next, options)) {
                *changes |= TEXT_CHANGE_SPACES;
                continue;
            }
            if (run > 1 || !plain) {
                *changes |= TEXT_CHANGE_SPACES;
            }
            out[n++] = ' ';
        }
        U16_NEXT(s, i, len, c);
        c = text_map_char(c, options, changes);
        text_put_utf8(out, &n, c);
        prev = c;
    }
    out[n] = '\0';
    return out;
}

char *
text_normalize(const char *in, unsigned options, unsigned *changes)
{
    unsigned found = 0;
    UChar *stripped;
    UChar *composed = NULL;
    int32_t stripped_len = 0;
    int32_t composed_len = 0;
    char *out = NULL;

    if (changes != NULL) {
        *changes = 0;
    }
    if (in == NULL || !text_is_utf8(in, strlen(in))
        || strlen(in) > INT32_MAX / 4) {
        return NULL;
    }
    stripped = text_strip_invisible(in, &stripped_len, &found);
    if (stripped == NULL) {
        return NULL;
    }
    composed = text_compose(stripped, stripped_len, &composed_len, &found);
    if (composed != NULL) {
        out = text_finish(composed, composed_len, options, &found);
    }
    free(stripped);
    free(composed);
    if (out != NULL && changes != NULL) {
        *changes = found;
    }
    return out;
}

size_t
text_display_width(const char *s)
{
    size_t width = 0;
    int32_t len;
    int32_t i = 0;

    if (s == NULL) {
        return 0;
    }
    len = (int32_t)strnlen(s, INT32_MAX);
    while (i < len) {
        UChar32 c;
        int8_t type;
        int eaw;

        U8_NEXT(s, i, len, c);
        if (c < 0) {
            width++;
            continue;
        }
        type = u_charType(c);
        eaw = u_getIntPropertyValue(c, UCHAR_EAST_ASIAN_WIDTH);
        if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK) {
            continue;
        }
        width += (eaw == U_EA_WIDE || eaw == U_EA_FULLWIDTH) ? 2 : 1;
    }
    return width;
}
