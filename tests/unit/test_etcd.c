/* tests/unit/test_etcd.c: the base64 of etcd's JSON gateway (daemon/etcd.c), against RFC 4648's
 * test vectors; built only with the fleet (FLEET=1). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "etcd.h"

static const struct {
        const char *plain, *b64;
} vectors[] = { /* RFC 4648, section 10 */
        { "", "" },          { "f", "Zg==" },         { "fo", "Zm8=" },        { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
};

Test(etcd_b64, encodes_and_decodes_rfc4648_vectors) {
        for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
                char *e = etcd_b64(vectors[i].plain, strlen(vectors[i].plain));
                size_t n;
                char *d = etcd_unb64(vectors[i].b64, &n);

                cr_assert_str_eq(e, vectors[i].b64);
                cr_assert_not_null(d);
                cr_assert_eq(n, strlen(vectors[i].plain));
                cr_assert_str_eq(d, vectors[i].plain);
                free(e);
                free(d);
        }
}

Test(etcd_b64, a_key_with_slashes_and_high_bytes_comes_back_whole) {
        const char key[] = "/tock/prod/claims/00ff\xff\x80/12/1796291833";
        char *e = etcd_b64(key, sizeof key - 1);
        size_t n;
        char *d = etcd_unb64(e, &n);

        cr_assert_eq(n, sizeof key - 1);
        cr_assert_eq(memcmp(d, key, n), 0);
        free(e);
        free(d);
}

Test(etcd_b64, what_is_not_base64_is_refused) {
        cr_assert_null(etcd_unb64("Zm9v!", NULL));
        cr_assert_null(etcd_unb64("Zm 9v", NULL));
}
