/* daemon/thp.c: a large tockd's memory in transparent huge pages, through glibc's malloc.
 *
 * What tockd holds is a few large arrays per table (entries, their text, jobs, the queue), all
 * written once when the table is loaded. On a virtual machine the first write to each fresh 4 KiB
 * page is what loading costs most: 140 MB of new memory took 450 ms to write here, 220 ms after
 * MADV_POPULATE_WRITE, and 16 ms in 2 MiB pages. glibc's malloc asks for huge pages for its heap
 * and its mmaps when the tunable glibc.malloc.hugetlb=1 is set, and only the dynamic loader reads
 * tunables, at exec: so tockd execs itself once, before anything else happens, with it added to
 * GLIBC_TUNABLES, and the new image puts the environment back as it was, so that jobs which
 * inherit it see the caller's. Huge pages round the heap up by up to 2 MiB, which a small tockd
 * would feel (about 6 bytes more per entry at 100,000 entries), so this is for large tables only:
 * when the files of the configured tables add up to THP_MIN_BYTES or more (about 350,000 lines).
 * The configuration is read quietly to find them; the new image (or this one, when it does not
 * exec) reads it again as usual.
 *
 * The new image also keeps its large arrays in the heap, out of mmap()s of their own: an mmap()
 * of a few hundred KiB is not aligned on 2 MiB and stays in small pages, and glibc maps every
 * array above 128 KiB until frees raise its threshold (M_MMAP_THRESHOLD 32 MiB instead), and the
 * heap grows by 16 MiB a step (M_TOP_PAD; untouched, it takes no memory). Measured at 1,000,000
 * entries (bench/mem.sh): 0.47 us of load CPU per entry in small pages, 0.28 to 0.52 with the
 * tunable alone (96 of 140 MB in huge pages at best), 0.22 to 0.25 with both settings.
 *
 * TOCK_HUGEPAGES=1 execs whatever the size, 0 never. Never either when the kernel's transparent
 * huge pages are "never", when the caller set glibc.malloc.hugetlb itself, under valgrind (whose
 * client would run outside it) or ASan (its own allocator), and with another libc (the static musl
 * build). The exec keeps the pid, the arguments, every open descriptor (socket activation's fd 3
 * included) and the rest of the environment. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tockd.h"
#include "util.h"

#define REEXEC_VAR "TOCK_THP_REEXEC"    /* set in the new image: put the environment back */
#define ORIGINAL_VAR "TOCK_THP_TUNABLES" /* the caller's GLIBC_TUNABLES, when it had one */

/* ASan has its own allocator: glibc's tunable would change nothing */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define TOCK_THP 1
#endif

static bool active;

bool thp_active(void) {
        return active;
}

#ifdef TOCK_THP
static bool thp_available(void) {
        char buf[128] = "";
        FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");

        if (!f)
                return false;
        bool ok = fgets(buf, sizeof buf, f) && !strstr(buf, "[never]");
        fclose(f);
        return ok;
}

static void restore_env(void) {
        const char *orig = getenv(ORIGINAL_VAR);

        if (orig)
                setenv("GLIBC_TUNABLES", orig, 1);
        else
                unsetenv("GLIBC_TUNABLES");
        unsetenv(ORIGINAL_VAR);
        unsetenv(REEXEC_VAR);
}

#define THP_MIN_BYTES (16u << 20)

/* The bytes of the regular file `path`, or of the regular files in the directory `path` */
static uint64_t table_bytes(const char *path) {
        struct stat st;
        uint64_t sum = 0;
        DIR *dp;
        struct dirent *de;

        if (!*path || stat(path, &st) < 0)
                return 0;
        if (S_ISREG(st.st_mode))
                return (uint64_t) st.st_size;
        if (!S_ISDIR(st.st_mode) || !(dp = opendir(path)))
                return 0;
        while ((de = readdir(dp)))
                if (de->d_name[0] != '.' && fstatat(dirfd(dp), de->d_name, &st, 0) == 0 && S_ISREG(st.st_mode))
                        sum += (uint64_t) st.st_size;
        closedir(dp);
        return sum;
}

/* Whether the configuration at `path` names THP_MIN_BYTES of tables or more; read with standard
 * error sent to /dev/null (whatever it has to say, the real reading says again) */
static bool tables_large(struct daemon *d, const char *path, bool explicit) {
        int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        struct config c;
        uint64_t sum = 0;
        int r;

        if (saved < 0 || null < 0 || dup2(null, 2) < 0) {
                if (saved >= 0)
                        close(saved);
                if (null >= 0)
                        close(null);
                return false;
        }
        r = daemon_load_config(d, &c, path, explicit);
        (void) dup2(saved, 2);
        close(saved);
        close(null);
        if (r >= 0) {
                const char *list = c.table;
                char *item;
                sum = table_bytes(c.crontab) + table_bytes(c.cron_d) + table_bytes(c.spool);
                while ((item = tables_item_next(&list))) {
                        sum += table_bytes(item);
                        free(item);
                }
        }
        config_done(&c);
        return sum >= THP_MIN_BYTES;
}
#endif

void thp_reexec(struct daemon *d, char **argv, const char *config_path, bool explicit) {
#ifdef TOCK_THP
        const char *want = getenv("TOCK_HUGEPAGES"), *tunables = getenv("GLIBC_TUNABLES"),
                   *preload = getenv("LD_PRELOAD");
        _cleanup_free_ char *with = NULL;
        char exe[PATH_MAX];
        ssize_t n;

        if (getenv(REEXEC_VAR)) {
                restore_env();
                (void) mallopt(M_MMAP_THRESHOLD, 32 << 20);
                (void) mallopt(M_TOP_PAD, 16 << 20);
                active = true;
                return;
        }
        if ((want && streq(want, "0")) || (tunables && strstr(tunables, "glibc.malloc.hugetlb")) ||
            (preload && strstr(preload, "vgpreload")) || !thp_available())
                return;
        if (!(want && streq(want, "1")) && !tables_large(d, config_path, explicit))
                return;
        n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
                return;
        exe[n] = 0;
        if (asprintf(&with, "%s%sglibc.malloc.hugetlb=1", tunables ? tunables : "", tunables && *tunables ? ":" : "") < 0) {
                with = NULL;
                return;
        }
        if ((tunables && setenv(ORIGINAL_VAR, tunables, 1) < 0) || setenv(REEXEC_VAR, "1", 1) < 0 ||
            setenv("GLIBC_TUNABLES", with, 1) < 0) {
                restore_env();
                return;
        }
        execv(exe, argv);
        restore_env(); /* no exec: go on as we are */
#else
        (void) d, (void) argv, (void) config_path, (void) explicit;
#endif
}
