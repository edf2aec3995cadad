/* ctl/out.c: reading inputs and printing diagnostics for people. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

int read_input(const char *path, size_t max, char **ret_buf, size_t *ret_len) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;
        int in = STDIN_FILENO;

        if (!streq(path, "-")) {
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return -errno;
                in = fd;
        }
        for (;;) {
                if (len == cap) {
                        size_t ncap = cap ? cap * 2 : 65536;
                        char *n;
                        if (cap > max + 1)
                                return -EFBIG;
                        n = realloc(buf, ncap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = ncap;
                }
                ssize_t k = read(in, buf + len, cap - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        buf[len] = 0;
        *ret_buf = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

void print_diags(const struct diag_list *d, const char *file, const char *text, size_t len) {
        for (size_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *s = diag_format(&d->items[i], file, text, len);
                if (s)
                        fputs(s, stderr);
        }
        if (d->n_dropped)
                fprintf(stderr, "%s: %zu more messages not shown\n", file, d->n_dropped);
}

void usage_error(const char *cmd, const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "tockctl %s: ", cmd);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'tockctl help'.\n");
}
