/* tests/unit/test_seed.c: the '~' seed recipe both binaries use (common/seed.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "crontab.h"
#include "seed.h"

Test(seed, a_table_path_is_resolved_and_an_unresolvable_one_is_taken_as_given) {
        cr_assert_eq(seed_table("abc", "/etc/../etc/passwd"), crontab_seed("abc", "/etc/passwd"));
        cr_assert_eq(seed_table("abc", "/no/such/dir/table"), crontab_seed("abc", "/no/such/dir/table"));
        cr_assert_eq(seed_table("abc", NULL), crontab_seed("abc", NULL));
        cr_assert_neq(seed_table("abc", "/etc/passwd"), seed_table("abd", "/etc/passwd"));
}

Test(seed, the_machine_id_is_one_line_without_its_newline) {
        char id[SEED_MACHINE_ID_MAX];

        memset(id, 'x', sizeof id);
        seed_machine_id(id);
        cr_assert_lt(strlen(id), SEED_MACHINE_ID_MAX);
        cr_assert_null(strchr(id, '\n'));
}
