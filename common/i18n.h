/* SPDX-License-Identifier: MIT */
/* gettext macros for client-facing text. Server logs stay in English. */
#ifndef XUEJI_I18N_H
#define XUEJI_I18N_H

#include <libintl.h>
#include <locale.h>

#define _(msgid) gettext(msgid)
#define N_(msgid) (msgid)

#endif
