/* Lists the frames of an exam from a folder, a glob pattern, a list file or one image. */
#include "hemovk/image.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct hv_frame_list {
    char **paths;
    size_t count, cap;
};

static int has_image_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    static const char *exts[] = {".png", ".jpg", ".jpeg", ".bmp", ".tga"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(dot, exts[i])) return 1;
    return 0;
}

static int has_list_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".txt") || !strcasecmp(dot, ".lst"));
}

static hv_status push(hv_frame_list *l, const char *path) {
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        char **p = realloc(l->paths, cap * sizeof *p);
        if (!p) return hv_error(HV_ERR_OUT_OF_MEMORY, "frame list: out of memory at %zu frames", l->count);
        l->paths = p;
        l->cap = cap;
    }
    l->paths[l->count] = strdup(path);
    if (!l->paths[l->count]) return hv_error(HV_ERR_OUT_OF_MEMORY, "frame list: out of memory");
    l->count++;
    return HV_OK;
}

int hv_natural_compare(const char *a, const char *b) {
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0') a++;
            while (*b == '0') b++;
            size_t na = 0, nb = 0;
            while (isdigit((unsigned char)a[na])) na++;
            while (isdigit((unsigned char)b[nb])) nb++;
            if (na != nb) return na < nb ? -1 : 1;
            int c = strncmp(a, b, na);
            if (c) return c;
            a += na;
            b += nb;
        } else {
            if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int cmp_paths(const void *x, const void *y) {
    return hv_natural_compare(*(const char *const *)x, *(const char *const *)y);
}

static hv_status add_folder(hv_frame_list *l, const char *dir, int recursive) {
    DIR *d = opendir(dir);
    if (!d) return hv_error(HV_ERR_IO, "%s: cannot open folder (%s)", dir, strerror(errno));
    hv_status st = HV_OK;
    struct dirent *e;
    char path[4096];
    while (!st && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (n < 0 || (size_t)n >= sizeof path) continue;
        struct stat sb;
        if (stat(path, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) {
            if (recursive) st = add_folder(l, path, recursive);
        } else if (S_ISREG(sb.st_mode) && has_image_ext(e->d_name)) {
            st = push(l, path);
        }
    }
    closedir(d);
    return st;
}

static hv_status add_list_file(hv_frame_list *l, const char *file) {
    FILE *f = fopen(file, "r");
    if (!f) return hv_error(HV_ERR_IO, "%s: cannot open list file (%s)", file, strerror(errno));
    char base[4096];
    snprintf(base, sizeof base, "%s", file);
    char *slash = strrchr(base, '/');
    if (slash) slash[1] = '\0';
    else base[0] = '\0';
    char line[4096], path[8192];
    hv_status st = HV_OK;
    while (!st && fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') continue;
        if (*p == '/') snprintf(path, sizeof path, "%s", p);
        else snprintf(path, sizeof path, "%s%s", base, p);
        st = push(l, path);
    }
    fclose(f);
    return st;
}

hv_status hv_frame_list_open(const char *spec, int recursive, hv_frame_list **out) {
    if (!spec || !*spec || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "frame list: no input given");
    *out = NULL;
    hv_frame_list *l = calloc(1, sizeof *l);
    if (!l) return hv_error(HV_ERR_OUT_OF_MEMORY, "frame list: out of memory");
    hv_status st = HV_OK;
    struct stat sb;
    int sorted = 1;
    if (stat(spec, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        st = add_folder(l, spec, recursive);
    } else if (stat(spec, &sb) == 0 && S_ISREG(sb.st_mode)) {
        if (has_list_ext(spec)) {
            st = add_list_file(l, spec);
            sorted = 0; /* a list file's order is the user's */
        } else {
            st = push(l, spec);
        }
    } else if (strpbrk(spec, "*?[")) {
        glob_t g;
        int rc = glob(spec, 0, NULL, &g);
        if (rc == 0) {
            for (size_t i = 0; !st && i < g.gl_pathc; i++)
                if (stat(g.gl_pathv[i], &sb) == 0 && S_ISREG(sb.st_mode)) st = push(l, g.gl_pathv[i]);
        } else if (rc != GLOB_NOMATCH) {
            st = hv_error(HV_ERR_IO, "%s: glob failed", spec);
        }
        globfree(&g);
    } else {
        st = hv_error(HV_ERR_IO, "%s: no such file, folder or pattern", spec);
    }
    if (!st && l->count == 0)
        st = hv_error(HV_ERR_NOT_FOUND, "%s: no image files found (looked for .png .jpg .jpeg .bmp .tga)", spec);
    if (st) {
        hv_frame_list_free(l);
        return st;
    }
    if (sorted) qsort(l->paths, l->count, sizeof *l->paths, cmp_paths);
    *out = l;
    return HV_OK;
}

size_t hv_frame_list_count(const hv_frame_list *list) { return list ? list->count : 0; }

const char *hv_frame_list_path(const hv_frame_list *list, size_t i) {
    return list && i < list->count ? list->paths[i] : NULL;
}

void hv_frame_list_free(hv_frame_list *list) {
    if (!list) return;
    for (size_t i = 0; i < list->count; i++) free(list->paths[i]);
    free(list->paths);
    free(list);
}
