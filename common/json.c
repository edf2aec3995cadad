/* common/json.c: JSON string escaping (RFC 8259), with RFC 3629's UTF-8 checked byte by byte. */
#include <stdint.h>

#include "json.h"

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlong forms, no surrogates, nothing
 * past U+10FFFF), or 0 when the bytes there are not one. */
static size_t utf8_valid(const unsigned char *p, size_t n) {
        size_t len;
        uint32_t cp;

        if (p[0] < 0x80)
                return 1;
        if (p[0] >= 0xc2 && p[0] <= 0xdf)
                len = 2, cp = p[0] & 0x1fu;
        else if (p[0] >= 0xe0 && p[0] <= 0xef)
                len = 3, cp = p[0] & 0x0fu;
        else if (p[0] >= 0xf0 && p[0] <= 0xf4)
                len = 4, cp = p[0] & 0x07u;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (p[i] & 0x3fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

void json_escape(FILE *f, const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s, *end = p + n;

        fputc('"', f);
        while (p < end) {
                size_t k;

                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7f) {
                                fprintf(f, "\\u%04x", *p);
                                break;
                        }
                        k = utf8_valid(p, (size_t) (end - p));
                        if (k == 0) {
                                fputs("\\ufffd", f);
                                break;
                        }
                        fwrite(p, 1, k, f);
                        p += k;
                        continue;
                }
                p++;
        }
        fputc('"', f);
}

