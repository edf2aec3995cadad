/* tests/unit/test_readfile.c: bounded whole-file reads (common/readfile.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "readfile.h"

/* A pipe holding `n` bytes of 'x' and then end of file, for read_bounded(). */
static int pipe_of(size_t n) {
        int p[2];
        char *buf = malloc(n ? n : 1);

        cr_assert(buf && pipe(p) == 0);
        memset(buf, 'x', n);
        if (fork() == 0) { /* a writer, since n may pass a pipe's capacity */
                close(p[0]);
                _exit(write(p[1], buf, n) == (ssize_t) n ? 0 : 1);
        }
        close(p[1]);
        free(buf);
        return p[0];
}

Test(read_bounded, takes_exactly_max_bytes_and_refuses_one_more) {
        static const size_t sizes[] = { 0, 1, 16383, 16384, 16385, 100000 };
        for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
                size_t n = sizes[i], len = 0;
                char *buf = NULL;
                int fd = pipe_of(n);

                cr_assert_eq(read_bounded(fd, n, &buf, &len), 0, "%zu bytes, max %zu", n, n);
                cr_assert_eq(len, n);
                cr_assert_eq(buf[n], 0, "NUL-terminated");
                cr_assert(n == 0 || (buf[0] == 'x' && buf[n - 1] == 'x'));
                free(buf);
                close(fd);
                if (n == 0)
                        continue;
                fd = pipe_of(n);
                buf = NULL;
                cr_assert_eq(read_bounded(fd, n - 1, &buf, &len), -EFBIG, "%zu bytes, max %zu", n, n - 1);
                cr_assert_null(buf, "nothing handed out on failure");
                close(fd);
        }
}

Test(read_bounded, a_bad_descriptor_is_its_errno) {
        char *buf = NULL;
        size_t len;
        cr_assert_eq(read_bounded(-1, 10, &buf, &len), -EBADF);
}

Test(read_first_line, stops_at_the_newline_and_at_the_buffer) {
        char path[] = "/tmp/tock-test-line.XXXXXX", buf[8];
        int fd = mkstemp(path);

        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, "abc\ndef\n", 8), 8);
        close(fd);
        cr_assert_eq(read_first_line(path, buf, sizeof buf), 0);
        cr_assert_str_eq(buf, "abc");
        fd = open(path, O_WRONLY | O_TRUNC);
        cr_assert_eq(write(fd, "0123456789", 10), 10);
        close(fd);
        cr_assert_eq(read_first_line(path, buf, sizeof buf), 0);
        cr_assert_str_eq(buf, "0123456", "at most size - 1 bytes");
        unlink(path);
        cr_assert_eq(read_first_line(path, buf, sizeof buf), -ENOENT);
        cr_assert_str_eq(buf, "");
}
