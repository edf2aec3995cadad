/* tests/fuzz/run-corpus.c: replays saved fuzz inputs without libFuzzer.
 *
 *     run-corpus PATH...
 *
 * Feeds every regular file named, and every regular file directly inside each directory named
 * (hidden files skipped, in name order), to the target's LLVMFuzzerTestOneInput(). Linked with a
 * target built without -fsanitize=fuzzer, it lets `make check` run the corpus as a plain test,
 * under ASan/UBSan and valgrind like the unit tests. A target signals a failure by crashing or
 * aborting; this program exits 0 when every input went through, 1 when a path cannot be read.
 * The shape follows systemd's src/fuzz/fuzz-main.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INPUT_MAX (16u << 20) /* no saved input comes near this */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads the whole file at dir_fd/name into a new buffer. Returns 0, or negative errno. */
static int read_input(int dir_fd, const char *name, uint8_t **ret_buf, size_t *ret_len) {
        int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
        uint8_t *buf = NULL;
        size_t len = 0, cap = 0;
        ssize_t k;

        if (fd < 0)
                return -errno;
        do {
                if (len == cap) {
                        uint8_t *b;
                        cap = cap ? cap * 2 : 4096;
                        if (cap > INPUT_MAX + 1 || !(b = realloc(buf, cap))) {
                                free(buf);
                                close(fd);
                                return cap > INPUT_MAX + 1 ? -EFBIG : -ENOMEM;
                        }
                        buf = b;
                }
                k = read(fd, buf + len, cap - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int r = -errno;
                        free(buf);
                        close(fd);
                        return r;
                }
                len += (size_t) k;
        } while (k > 0);
        close(fd);
        *ret_buf = buf;
        *ret_len = len;
        return 0;
}

static int run_one(int dir_fd, const char *name, const char *shown) {
        uint8_t *buf = NULL;
        size_t len = 0;
        int r = read_input(dir_fd, name, &buf, &len);

        if (r < 0) {
                fprintf(stderr, "run-corpus: %s: %s\n", shown, strerror(-r));
                return r;
        }
        fprintf(stderr, "run-corpus: %s (%zu bytes)\n", shown, len);
        (void) LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        return 0;
}

static int skip_hidden(const struct dirent *d) {
        return d->d_name[0] != '.';
}

/* Runs every regular file directly inside `path`. Returns the number run, or negative errno. */
static int run_dir(const char *path) {
        struct dirent **names = NULL;
        int dir_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), n, count = 0, r = 0;

        if (dir_fd < 0)
                return -errno;
        n = scandir(path, &names, skip_hidden, alphasort);
        if (n < 0) {
                r = -errno;
                close(dir_fd);
                return r;
        }
        for (int i = 0; i < n; i++) {
                struct stat st;
                char shown[4096];

                snprintf(shown, sizeof shown, "%s/%s", path, names[i]->d_name);
                if (r >= 0 && fstatat(dir_fd, names[i]->d_name, &st, 0) == 0 && S_ISREG(st.st_mode)) {
                        r = run_one(dir_fd, names[i]->d_name, shown);
                        count += r >= 0;
                }
                free(names[i]);
        }
        free(names);
        close(dir_fd);
        return r < 0 ? r : count;
}

int main(int argc, char **argv) {
        int total = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "run-corpus: %s: %s\n", argv[i], strerror(errno));
                        return 1;
                }
                if (S_ISDIR(st.st_mode)) {
                        r = run_dir(argv[i]);
                        if (r < 0) {
                                fprintf(stderr, "run-corpus: %s: %s\n", argv[i], strerror(-r));
                                return 1;
                        }
                        total += r;
                } else {
                        if (run_one(AT_FDCWD, argv[i], argv[i]) < 0)
                                return 1;
                        total++;
                }
        }
        printf("run-corpus: %d inputs passed\n", total);
        return 0;
}
