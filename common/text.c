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

/* UTF-16 units of a value that text_normalize_to keeps on the stack.
 * Longer values go to allocated buffers. */
#define TEXT_STACK_UNITS 256

/* Decodes one UTF-8 sequence for text_utf8_decode and for the loops of
 * this file, where the compiler can inline it. */
static inline size_t
text_decode_sequence(const unsigned char *s, size_t len, uint32_t *code_point)
{
    size_t need;
    uint32_t cp;

    if (s[0] < 0x80) {
        if (code_point != NULL) {
            *code_point = s[0];
        }
        return 1;
    }

    /* Three bytes, as Chinese characters take, checked in one step. */
    if (s[0] >= 0xE0 && s[0] <= 0xEF && len >= 3
        && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        cp = (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6
             | (s[2] & 0x3F);
        if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        if (code_point != NULL) {
            *code_point = cp;
        }
        return 3;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
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
text_utf8_decode(const unsigned char *s, size_t len, uint32_t *code_point)
{
    return text_decode_sequence(s, len, code_point);
}

size_t
text_utf8_valid_length(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t offset = 0;

    while (offset < len) {
        uint64_t word;
        size_t n;

        /* Skip eight bytes at a time while none has its top bit set, which
         * makes them ASCII. */
        if (len - offset >= sizeof(word)) {
            memcpy(&word, p + offset, sizeof(word));
            if ((word & UINT64_C(0x8080808080808080)) == 0) {
                offset += sizeof(word);
                continue;
            }
        }
        if (p[offset] < 0x80) {
            offset++;
            continue;
        }
        n = text_decode_sequence(p + offset, len - offset, NULL);
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
static inline bool
text_is_invisible(UChar32 c)
{
    if (c < 0x20) {
        return c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r';
    }
    if (c < 0x7F) {
        return false;
    }
    if (c > 0x2069) {
        return c == 0xFEFF;
    }
    return (c >= 0x7F && c <= 0x9F) || c == 0x00AD
        || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E)
        || (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x2069);
}

/* ASCII whitespace, U+00A0, U+3000 and the other Unicode space separators. */
static inline bool
text_is_space(UChar32 c)
{
    /* U+0020 is the only ASCII character of type U_SPACE_SEPARATOR. */
    if (c < 0x80) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
    return u_charType(c) == U_SPACE_SEPARATOR;
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

static inline UChar32 text_map_char(UChar32 c, unsigned options,
                                    unsigned *changes);

/* Tells whether text_finish copies c unchanged and does not treat it as a
 * space. */
static inline bool
text_is_plain_char(UChar32 c, unsigned options)
{
    unsigned ignored = 0;

    return !text_is_space(c) && text_map_char(c, options, &ignored) == c;
}

/* Tells whether the len bytes at s are printable ASCII that text_normalize
 * returns unchanged: no character the options map, and single spaces only
 * between other characters (none at all in names). */
static bool
text_is_plain_ascii(const unsigned char *s, size_t len, unsigned options)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];

        if (c == ' ') {
            if (i == 0 || i + 1 == len || s[i + 1] == ' '
                || (options & TEXT_OPT_NAME)) {
                return false;
            }
        } else if (c < 0x21 || c > 0x7E
                   || !text_is_plain_char(c, options)) {
            return false;
        }
    }
    return true;
}

/* Decodes the len bytes at in into UTF-16 at out (room for len units)
 * without the invisible characters. Returns the number of units written, or
 * -1 when in is not valid UTF-8. Sets *ascii when every character written
 * is ASCII, and *plain when text_is_plain_char holds for each. */
static int32_t
text_decode_visible(const char *in, int32_t len, unsigned options, UChar *out,
                    bool *ascii, bool *plain, unsigned *changes)
{
    const unsigned char *s = (const unsigned char *)in;
    int32_t i = 0;
    int32_t n = 0;

    *ascii = true;
    *plain = true;
    while (i < len) {
        uint32_t c = s[i];
        size_t step = 1;

        if (c >= 0x80) {
            step = text_decode_sequence(s + i, (size_t)(len - i), &c);
            if (step == 0) {
                return -1;
            }
        }
        i += (int32_t)step;
        if (text_is_invisible((UChar32)c)) {
            *changes |= TEXT_CHANGE_INVISIBLE;
            continue;
        }
        *ascii = *ascii && c < 0x80;
        *plain = *plain && text_is_plain_char((UChar32)c, options);
        U16_APPEND_UNSAFE(out, n, c);
    }
    return n;
}

/* Stores in *out the NFC form of the len units at s, setting
 * TEXT_CHANGE_NFC when it differs from s. *out is s itself when s is
 * already in NFC, else buf (room for buf_units) or a new buffer stored in
 * *allocated for the caller to free. Returns the length of *out, or -1 when
 * ICU fails or memory runs out. */
static int32_t
text_compose(const UNormalizer2 *nfc, const UChar *s, int32_t len, bool ascii,
             UChar *buf, int32_t buf_units, const UChar **out,
             UChar **allocated, unsigned *changes)
{
    UErrorCode status = U_ZERO_ERROR;
    int32_t capacity = len * 3 + 1;
    UChar *composed = buf;
    int32_t composed_len;

    /* Text of ASCII characters only is in NFC, because no canonical
     * composition joins two ASCII characters. */
    if (ascii || unorm2_quickCheck(nfc, s, len, &status) == UNORM_YES) {
        *out = s;
        return len;
    }
    status = U_ZERO_ERROR;
    if (capacity > buf_units) {
        composed = malloc((size_t)capacity * sizeof(UChar));
        if (composed == NULL) {
            return -1;
        }
        *allocated = composed;
    }
    composed_len = unorm2_normalize(nfc, s, len, composed, capacity, &status);
    if (U_FAILURE(status)) {
        return -1;
    }
    if (composed_len != len
        || memcmp(composed, s, (size_t)len * sizeof(UChar)) != 0) {
        *changes |= TEXT_CHANGE_NFC;
    }
    *out = composed;
    return composed_len;
}

/* Maps one character according to the options. Spaces stay as they are. */
static inline UChar32
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

/* Maps characters, trims and folds spaces, and writes the result as UTF-8
 * with a terminating NUL to out, which has room for len * 3 + 1 bytes.
 * Returns the length written without the NUL. */
static size_t
text_finish(const UChar *s, int32_t len, unsigned options, char *out,
            unsigned *changes)
{
    size_t n = 0;
    int32_t i = 0;
    UChar32 prev = 0;   /* last character written, 0 at the start */

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
    return n;
}

bool
text_normalize_to(const char *in, size_t len, unsigned options, char *out,
                  size_t *out_len, unsigned *changes)
{
    UChar units_buf[TEXT_STACK_UNITS];
    UChar composed_buf[TEXT_STACK_UNITS * 3];
    UChar *units = units_buf;
    UChar *allocated_units = NULL;
    UChar *allocated_composed = NULL;
    const UChar *composed;
    const UNormalizer2 *nfc;
    UErrorCode status = U_ZERO_ERROR;
    unsigned found = 0;
    int32_t units_len;
    int32_t composed_len = -1;
    bool ascii;
    bool plain;

    if (changes != NULL) {
        *changes = 0;
    }
    if (in == NULL || len > INT32_MAX / 4) {
        return false;
    }
    if (text_is_plain_ascii((const unsigned char *)in, len, options)) {
        memcpy(out, in, len);
        out[len] = '\0';
        *out_len = len;
        return true;
    }
    nfc = unorm2_getNFCInstance(&status);
    if (U_FAILURE(status)) {
        return false;
    }
    if (len > TEXT_STACK_UNITS) {
        allocated_units = malloc(len * sizeof(UChar));
        if (allocated_units == NULL) {
            return false;
        }
        units = allocated_units;
    }
    units_len = text_decode_visible(in, (int32_t)len, options, units, &ascii,
                                    &plain, &found);
    if (units_len >= 0) {
        composed_len = text_compose(nfc, units, units_len, ascii, composed_buf,
                                    TEXT_STACK_UNITS * 3, &composed,
                                    &allocated_composed, &found);
    }

    /* With no character removed, composed or mapped, and no space, the
     * result is the input itself. */
    if (composed_len >= 0 && plain && found == 0) {
        memcpy(out, in, len);
        out[len] = '\0';
        *out_len = len;
    } else if (composed_len >= 0) {
        *out_len = text_finish(composed, composed_len, options, out, &found);
    }
    free(allocated_units);
    free(allocated_composed);
    if (composed_len < 0) {
        return false;
    }
    if (changes != NULL) {
        *changes = found;
    }
    return true;
}

char *
text_normalize(const char *in, unsigned options, unsigned *changes)
{
    size_t len;
    size_t out_len;
    char *out;

    if (changes != NULL) {
        *changes = 0;
    }
    if (in == NULL) {
        return NULL;
    }
    len = strlen(in);
    if (len > INT32_MAX / 4) {
        return NULL;
    }
    out = malloc(TEXT_NORMALIZE_SIZE(len));
    if (out == NULL) {
        return NULL;
    }
    if (!text_normalize_to(in, len, options, out, &out_len, changes)) {
        free(out);
        return NULL;
    }
    return out;
}

bool
text_is_blank(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        uint32_t c = p[i];
        size_t step = 1;

        if (c >= 0x80) {
            step = text_decode_sequence(p + i, len - i, &c);
            if (step == 0) {
                return false;
            }
        }
        if (!text_is_invisible((UChar32)c) && !text_is_space((UChar32)c)) {
            return false;
        }
        i += step;
    }
    return true;
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
