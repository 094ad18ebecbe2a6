/* Path normalisation for frame keys (hemovk/image.h, hv_path_normalize): the same frame spelt "exam/a.png",
 * "exam//a.png" or "./exam/a.png" must have one key, or --resume redoes it and COCO gives it two ids. */
#include "hemovk/image.h"

#include <string.h>

char *hv_path_normalize(char *path) {
    if (!path || !*path) return path; /* "" stays "": writing "." would overrun a 1-byte buffer */
    int absolute = path[0] == '/';
    char *out = path + absolute; /* write position; reading runs ahead of it */
    const char *r = path + absolute;
    size_t kept_dotdot = 0;       /* leading ".." segments of a relative path that cannot be resolved */
    char *start = out;
    while (*r) {
        while (*r == '/') r++;
        if (!*r) break;
        const char *seg = r;
        while (*r && *r != '/') r++;
        size_t len = (size_t)(r - seg);
        if (len == 1 && seg[0] == '.') continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            /* drop the last kept segment unless it is itself a leading ".." (or we are at the root) */
            size_t used = (size_t)(out - start);
            if (used > kept_dotdot * 3) {
                char *cut = out;
                if (cut > start && cut[-1] == '/') cut--;
                while (cut > start && cut[-1] != '/') cut--;
                out = cut;
                continue;
            }
            if (absolute) continue; /* "/.." is "/" */
            kept_dotdot++;
        }
        if (out != start && out[-1] != '/') *out++ = '/';
        memmove(out, seg, len);
        out += len;
    }
    if (out > start && out[-1] == '/') out--;
    *out = '\0';
    if (!absolute && !*path) strcpy(path, ".");
    return path;
}
