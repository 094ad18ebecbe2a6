/* Escaping for the report: file names are user data (spaces, quotes, '<', '&', any Unicode, even bytes
 * that are not UTF-8) and reach the page in three places, each with its own rules:
 *   HTML text and attribute values   & < > " ' as character references;
 *   JSON inside <script>             a JSON string whose '<', '>' and '&' are \u escapes, so no "</script>"
 *                                    or "<!--" can end or change the script element, and U+2028/U+2029 as
 *                                    \u escapes (old JavaScript parsers end a line there);
 *   href to a local file             percent-encoding of every byte but unreserved ones and '/'.
 * Bytes that are not valid UTF-8 become U+FFFD in all three, so the page is always valid UTF-8. */
#include "report_plugin.h"

#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there are not one. */
static size_t utf8_len(const unsigned char *s) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
    if (!n || (n == 3 && c >= 0xF0)) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (n == 3 && c == 0xE0 && s[1] < 0xA0) return 0;   /* overlong */
    if (n == 3 && c == 0xED && s[1] >= 0xA0) return 0;  /* surrogates */
    if (n == 4 && c == 0xF0 && s[1] < 0x90) return 0;   /* overlong */
    if (n == 4 && c == 0xF4 && s[1] >= 0x90) return 0;  /* past U+10FFFF */
    return n;
}

static const char k_replacement[] = "\xEF\xBF\xBD";

void rp_html(FILE *f, const char *s) {
    if (!s) return;
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        size_t n = utf8_len(u);
        if (!n) {
            fputs(k_replacement, f);
            u++;
            continue;
        }
        switch (*u) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (*u < 0x20 && *u != '\t') fputs("\xEF\xBF\xBD", f); /* control characters: not in names a reader types */
            else fwrite(u, 1, n, f);
        }
        u += n;
    }
}

void rp_json_str(FILE *f, const char *s) {
    fputc('"', f);
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    while (*u) {
        size_t n = utf8_len(u);
        if (!n) {
            fputs("\\ufffd", f);
            u++;
            continue;
        }
        unsigned c = *u;
        if (n == 3 && c == 0xE2 && u[1] == 0x80 && (u[2] == 0xA8 || u[2] == 0xA9)) {
            fputs(u[2] == 0xA8 ? "\\u2028" : "\\u2029", f);
        } else if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc((int)c, f);
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\'') {
            fprintf(f, "\\u%04x", c);
        } else {
            fwrite(u, 1, n, f);
        }
        u += n;
    }
    fputc('"', f);
}

void rp_url_path(FILE *f, const char *s) {
    if (!s) return;
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        unsigned c = *u;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/", (int)c))
            fputc((int)c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}
