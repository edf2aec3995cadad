/* common/mem.c: see mem.h. */
#include <stdint.h>
#include <sys/mman.h>

#include "mem.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; musl's headers may not have it */
#endif

#define PAGE 4096u /* the smallest page size: pages outside p[0..n) are never populated */

void mem_populate(void *p, size_t n) {
        uintptr_t start = ((uintptr_t) p + PAGE - 1) & ~(uintptr_t) (PAGE - 1);
        uintptr_t end = ((uintptr_t) p + n) & ~(uintptr_t) (PAGE - 1);

        if (end > start)
                (void) madvise((void *) start, end - start, MADV_POPULATE_WRITE);
}
