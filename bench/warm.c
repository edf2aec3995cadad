/* bench/warm.c: `warm MIB`, run before daemons are measured (bench/lib.sh, warm_memory).
 *
 * Maps MIB MiB of anonymous memory in transparent huge pages (where the kernel has them),
 * faults all of it in, and gives it back. On a virtual machine the first use of guest memory
 * that the host has never backed costs the host's fault and zeroing, and the guest charges that
 * to the process that touches it first: at 1,000,000 entries it doubled tockd's load CPU in some
 * runs here and not in others (perf: clear_page_erms, 51% of the run instead of 5%). Once the
 * memory the daemons will get has been used, each pays what its own code costs. The same for
 * every daemon measured; bench/README.md says so. Exit status: 0, or 1 with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

int main(int argc, char **argv) {
        char *end;
        unsigned long mib = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
        size_t n;
        char *p;

        if (argc != 2 || *end || mib == 0 || mib > (1ul << 20)) {
                fprintf(stderr, "usage: warm MIB\n");
                return 1;
        }
        n = (size_t) mib << 20;
        p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
                perror("warm: mmap");
                return 1;
        }
        (void) madvise(p, n, MADV_HUGEPAGE);
        if (madvise(p, n, MADV_POPULATE_WRITE) < 0) /* before Linux 5.14: one write a page */
                for (size_t i = 0; i < n; i += 4096)
                        p[i] = 1;
        munmap(p, n);
        return 0;
}
