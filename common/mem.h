/* common/mem.h: memory about to be written, faulted in ahead of the writes.
 *
 * Loading a million entries writes some 140 MB of fresh memory. One page fault per 4 KiB page
 * costs more than the parsing itself on a virtual machine (measured: about half of tockd's load
 * CPU); faulting the pages in with one madvise(MADV_POPULATE_WRITE) per run of pages costs a
 * fraction of that. Only performance changes: the contents are what they were. */
#pragma once

#include <stddef.h>

/* Faults in the whole pages of p[0..n) for writing, in one system call (Linux 5.14 and later;
 * elsewhere, and on any error, nothing happens and the writes fault as usual). Only for memory
 * the caller is about to write anyway: populated pages count in the resident size at once. */
void mem_populate(void *p, size_t n);

/* How far ahead a growing array is populated: each call populates this much (or less at the
 * end of its capacity), so that at most this much is resident before it is used. */
#define MEM_POPULATE_AHEAD (256u << 10)

/* For an array written from the start on, `*done` bytes of it already populated: populates
 * ahead so that at least `need` bytes are, without going past `cap`. */
static inline void mem_populate_ahead(void *base, size_t *done, size_t need, size_t cap) {
        if (need <= *done)
                return;
        size_t to = need + MEM_POPULATE_AHEAD < cap ? need + MEM_POPULATE_AHEAD : cap;
        mem_populate((char *) base + *done, to - *done);
        *done = to;
}
