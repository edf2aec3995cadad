/* common/util.h: scoped cleanup, ownership hand-over and small helpers shared by every directory. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

static inline void freep(void *p) {
        free(*(void **) p);
}
static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                (void) close(*fd);
                errno = saved;
        }
}
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hands a pointer (or fd) out of a cleanup-scoped variable, leaving NULL (or -1) behind. */
#define TAKE_PTR(p)                                 \
        ({                                          \
                __typeof__(p) _taken_ = (p);        \
                (p) = NULL;                         \
                _taken_;                            \
        })
#define TAKE_FD(fd)                                 \
        ({                                          \
                int _taken_ = (fd);                 \
                (fd) = -1;                          \
                _taken_;                            \
        })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* asprintf that leaves *ret NULL on failure, for messages where a missing text is acceptable */
#define xasprintf(ret, ...)                                 \
        do {                                                \
                if (asprintf((ret), __VA_ARGS__) < 0)       \
                        *(ret) = NULL;                      \
        } while (0)

static inline bool streq(const char *a, const char *b) {
        return a && b && __builtin_strcmp(a, b) == 0;
}
