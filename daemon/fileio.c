/* daemon/fileio.c: what tells a file's versions apart (write_atomic() is common/writefile.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tockd.h"
#include "util.h"

/* What tells a file's versions apart: a new inode (a rename), another size or times. */
void file_sig_of(const struct stat *st, struct file_sig *ret) {
        *ret = (struct file_sig) {
                .dev = st->st_dev,
                .ino = st->st_ino,
                .size = st->st_size,
                .mtime_ns = st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec,
                .ctime_ns = st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec,
        };
}

bool file_sig_eq(const struct file_sig *a, const struct file_sig *b) {
        return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns &&
               a->ctime_ns == b->ctime_ns;
}
