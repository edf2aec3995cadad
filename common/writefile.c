/* common/writefile.c: see writefile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "writefile.h"

/* Writes `text` to `path` atomically: a temp file in the same directory, owned (uid/gid -1: as
 * tockd) and moded as asked, fsync, rename, fsync of the directory. */
int write_atomic(const char *path, const char *text, size_t len, uid_t uid, gid_t gid, mode_t mode) {
        _cleanup_free_ char *tmp = NULL, *dir = strdup(path);
        _cleanup_close_ int fd = -1, dfd = -1;
        char *slash = dir ? strrchr(dir, '/') : NULL;
        size_t off = 0;

        if (!dir || asprintf(&tmp, "%s.tock-XXXXXX", path) < 0)
                return -ENOMEM;
        if (slash)
                *slash = 0;
        /* the temp name starts with the target's name plus '.', which cron.d and the spool skip */
        {
                char *base = strrchr(tmp, '/');
                if (base) {
                        _cleanup_free_ char *t2 = NULL;
                        if (asprintf(&t2, "%s/.%s", dir, base + 1) < 0)
                                return -ENOMEM;
                        free(tmp);
                        tmp = TAKE_PTR(t2);
                }
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* tockd as an ordinary user owns what it writes, and that is the user it runs jobs for */
        if ((geteuid() == 0 && fchown(fd, uid, gid) < 0) || fchmod(fd, mode) < 0)
                goto fail;
        while (off < len) {
                ssize_t k = write(fd, text + off, len - off);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        goto fail;
                off += (size_t) k;
        }
        if (fsync(fd) < 0 || rename(tmp, path) < 0)
                goto fail;
        dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                (void) fsync(dfd);
        return 0;
fail:;
        int r = -errno;
        (void) unlink(tmp);
        return r ? r : -EIO;
}
