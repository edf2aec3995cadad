/* common/writefile.h: the one way tock replaces a file (tockd's tables, kept versions, state and
 * metrics; tockctl's offline install into the spool). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Writes `text` to `path` atomically: a temp file in the same directory (".NAME.tock-XXXXXX",
 * a name cron.d and the spool skip), owned (as root; uid/gid -1: as the caller) and moded as
 * asked, fsync, rename, fsync of the directory. 0 or -errno. */
int write_atomic(const char *path, const char *text, size_t len, uid_t uid, gid_t gid, mode_t mode);
