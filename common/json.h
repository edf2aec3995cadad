/* common/json.h: JSON string escaping, shared by tockctl's --json and tockd's --log-format json. */
#pragma once

#include <stddef.h>
#include <stdio.h>

/* Writes `n` bytes of `s` to `f` as a JSON string, quotes included: control characters escaped,
 * bytes that are not UTF-8 as U+FFFD, so that any job's output makes valid JSON. */
void json_escape(FILE *f, const char *s, size_t n);
