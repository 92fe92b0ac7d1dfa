/* SPDX-License-Identifier: MIT */
/* Files compiled into a binary by embed.cmake (SQL migrations, data). */
#ifndef XUEJI_EMBED_H
#define XUEJI_EMBED_H

#include <stddef.h>

struct embed_file {
    const char *name;   /* base name of the source file */
    const char *data;   /* contents followed by a NUL byte */
    size_t length;      /* length without the NUL byte */
};

#endif
