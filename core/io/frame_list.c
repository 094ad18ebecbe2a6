/* Lists the frames of an exam from a folder, a glob pattern, a list file or one image, with each
 * frame's key (its path relative to the input root, normalised: see hemovk/image.h). Folders are
 * walked once each, by device and inode, so links back up the tree cannot loop; links that loop or
 * dangle and special files (FIFOs, devices) are reported and skipped, never opened. */
#include "hemovk/image.h"
#include "hemovk/log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct fl_entry {
    char *path;
    char *key;
} fl_entry;

typedef struct fl_dir_id {
    dev_t dev;
    ino_t ino;
} fl_dir_id;

struct hv_frame_list {
    fl_entry *items;
    size_t count, cap;
    char *root;          /* folder keys are relative to ("" for the current folder) */
    fl_dir_id *visited;  /* folders listed so far */
    size_t n_visited, cap_visited;
};

static int has_image_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    static const char *exts[] = {".png", ".jpg", ".jpeg"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(dot, exts[i])) return 1;
    return 0;
}

static int has_list_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".txt") || !strcasecmp(dot, ".lst"));
}

/* The key of `path`: relative to the root when under it, else the normalised path without a leading '/'. */
static char *make_key(const hv_frame_list *l, const char *path) {
    char *norm = strdup(path);
    if (!norm) return NULL;
    hv_path_normalize(norm);
    size_t rl = strlen(l->root);
    const char *rel = norm;
    if (rl && !strncmp(norm, l->root, rl) && norm[rl] == '/') rel = norm + rl + 1;
    else if (!rl && norm[0] != '/') rel = norm;
    while (*rel == '/') rel++;
    char *key = strdup(rel);
    free(norm);
    return key;
}

static hv_status push(hv_frame_list *l, const char *path) {
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        fl_entry *p = realloc(l->items, cap * sizeof *p);
        if (!p) return hv_error(HV_ERR_OUT_OF_MEMORY, "frame list: out of memory at %zu frames", l->count);
        l->items = p;
        l->cap = cap;
    }
    fl_entry *e = &l->items[l->count];
    e->path = strdup(path);
    e->key = make_key(l, path);
    if (!e->path || !e->key) {
        free(e->path);
        free(e->key);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "frame list: out of memory");
    }
    l->count++;
    return HV_OK;
}

/* Record folder (dev, ino); 0 when it was listed already. */
static int first_visit(hv_frame_list *l, const struct stat *sb, hv_status *st) {
    for (size_t i = 0; i < l->n_visited; i++)
        if (l->visited[i].dev == sb->st_dev && l->visited[i].ino == sb->st_ino) return 0;
    if (l->n_visited == l->cap_visited) {
        size_t cap = l->cap_visited ? l->cap_visited * 2 : 16;
        fl_dir_id *v = realloc(l->visited, cap * sizeof *v);
        if (!v) {
            *st = hv_error(HV_ERR_OUT_OF_MEMORY, "frame list: out of memory");
            return 0;
        }
        l->visited = v;
        l->cap_visited = cap;
    }
    l->visited[l->n_visited++] = (fl_dir_id){sb->st_dev, sb->st_ino};
    return 1;
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

static int cmp_entries(const void *x, const void *y) {
    const fl_entry *a = x, *b = y;
    int c = hv_natural_compare(a->key, b->key);
    return c ? c : strcmp(a->path, b->path);
}

/* "dir/name" without doubling a slash the user's folder ends with ("exam/" + "a.png"). */
static int join(char *buf, size_t size, const char *dir, const char *name) {
    size_t n = strlen(dir);
    int r = snprintf(buf, size, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
    return r >= 0 && (size_t)r < size;
}

static hv_status add_folder(hv_frame_list *l, const char *dir, int recursive) {
    DIR *d = opendir(dir);
    if (!d) return hv_error(HV_ERR_IO, "%s: cannot open folder (%s)", dir, strerror(errno));
    hv_status st = HV_OK;
    struct dirent *e;
    char path[4096];
    while (!st && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (!join(path, sizeof path, dir, e->d_name)) {
            hv_log_warn("%s/%s: path too long, skipped", dir, e->d_name);
            continue;
        }
        struct stat sb, lsb;
        if (stat(path, &sb) != 0) {
            int err = errno;
            if (lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode))
                hv_log_warn("%s: %s, skipped", path,
                            err == ELOOP ? "symbolic link loop" : "dangling symbolic link (its target does not exist)");
            else
                hv_log_warn("%s: cannot stat (%s), skipped", path, strerror(err));
            continue;
        }
        if (S_ISDIR(sb.st_mode)) {
            if (!recursive) continue;
            if (first_visit(l, &sb, &st)) st = add_folder(l, path, recursive);
            else if (!st) hv_log_warn("%s: folder already listed (a symbolic link loop or a second link to it), skipped", path);
        } else if (has_image_ext(e->d_name)) {
            if (S_ISREG(sb.st_mode)) st = push(l, path);
            else hv_log_warn("%s: not a regular file (%s), skipped", path,
                             S_ISFIFO(sb.st_mode) ? "a FIFO" : S_ISSOCK(sb.st_mode) ? "a socket" : "a device");
        }
    }
    closedir(d);
    return st;
}

/* The folder part of `path` (without the trailing slash) into l->root. */
static hv_status set_root(hv_frame_list *l, const char *path, size_t len) {
    free(l->root);
    if (!(l->root = malloc(len + 1))) return hv_error(HV_ERR_OUT_OF_MEMORY, "frame list: out of memory");
    memcpy(l->root, path, len);
    l->root[len] = '\0';
    hv_path_normalize(l->root);
    if (!strcmp(l->root, ".")) l->root[0] = '\0';
    return HV_OK;
}

static hv_status root_of_file(hv_frame_list *l, const char *file) {
    const char *slash = strrchr(file, '/');
    return set_root(l, file, slash ? (size_t)(slash - file) + (slash == file) : 0);
}

/* A list file may name frames anywhere (absolute paths into a dataset): its root is the deepest folder
 * holding every entry, so keys stay short and keep what tells the entries apart
 * ("bleeding/Images/img- (1).png"), not the whole absolute path. */
static hv_status rekey_common_root(hv_frame_list *l) {
    if (!l->count) return HV_OK;
    char *common = strdup(l->items[0].path);
    if (!common) return hv_error(HV_ERR_OUT_OF_MEMORY, "frame list: out of memory");
    hv_path_normalize(common);
    char *slash = strrchr(common, '/');
    size_t len = slash ? (size_t)(slash - common) : 0; /* the folder of entry 0 */
    for (size_t i = 1; i < l->count && len; i++) {
        char *p = strdup(l->items[i].path);
        if (!p) {
            free(common);
            return hv_error(HV_ERR_OUT_OF_MEMORY, "frame list: out of memory");
        }
        hv_path_normalize(p);
        size_t k = 0;
        while (k < len && p[k] == common[k]) k++;
        /* back to a whole folder: common[0..k) must end at a '/' boundary of both */
        if (k < len || p[k] != '/') { /* not under common[0..len): back up to the folder above the mismatch */
            if (k > 0) k--;
            while (k > 0 && common[k] != '/') k--;
        }
        len = k;
        free(p);
    }
    hv_status st = set_root(l, common, len ? len : (common[0] == '/' ? 1 : 0));
    free(common);
    for (size_t i = 0; !st && i < l->count; i++) {
        char *key = make_key(l, l->items[i].path);
        if (!key) return hv_error(HV_ERR_OUT_OF_MEMORY, "frame list: out of memory");
        free(l->items[i].key);
        l->items[i].key = key;
    }
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
    hv_status st = root_of_file(l, file);
    char line[4096], path[8192];
    while (!st && fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') continue;
        if (*p == '/') snprintf(path, sizeof path, "%s", p);
        else snprintf(path, sizeof path, "%s%s", base, p);
        /* Entries are not opened here: a missing or special file fails that frame when it is decoded
         * (hv_image_read_file refuses FIFOs and devices without blocking). */
        st = push(l, path);
    }
    fclose(f);
    if (!st) st = rekey_common_root(l);
    return st;
}

/* A glob's root: the folders before the first segment holding a wildcard. */
static hv_status root_of_glob(hv_frame_list *l, const char *spec) {
    const char *wild = strpbrk(spec, "*?[");
    size_t end = wild ? (size_t)(wild - spec) : strlen(spec);
    while (end > 0 && spec[end - 1] != '/') end--;
    return set_root(l, spec, end ? end - (end > 1) : 0);
}

hv_status hv_frame_list_open(const char *spec, int recursive, hv_frame_list **out) {
    if (!spec || !*spec || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "frame list: no input given");
    *out = NULL;
    hv_frame_list *l = calloc(1, sizeof *l);
    if (!l || !(l->root = strdup(""))) {
        free(l);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "frame list: out of memory");
    }
    hv_status st = HV_OK;
    struct stat sb;
    int sorted = 1;
    if (stat(spec, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        st = set_root(l, spec, strlen(spec));
        if (!st && first_visit(l, &sb, &st)) st = add_folder(l, spec, recursive);
    } else if (stat(spec, &sb) == 0 && S_ISREG(sb.st_mode)) {
        if (has_list_ext(spec)) {
            st = add_list_file(l, spec);
            sorted = 0; /* a list file's order is the user's */
        } else if (!(st = root_of_file(l, spec))) {
            st = push(l, spec);
        }
    } else if (strpbrk(spec, "*?[")) {
        glob_t g;
        int rc = glob(spec, 0, NULL, &g);
        if (!(st = root_of_glob(l, spec)) && rc == 0) {
            for (size_t i = 0; !st && i < g.gl_pathc; i++) {
                if (stat(g.gl_pathv[i], &sb) != 0) hv_log_warn("%s: cannot stat (%s), skipped", g.gl_pathv[i], strerror(errno));
                else if (S_ISREG(sb.st_mode)) st = push(l, g.gl_pathv[i]);
                else if (!S_ISDIR(sb.st_mode)) hv_log_warn("%s: not a regular file, skipped", g.gl_pathv[i]);
            }
        } else if (!st && rc != GLOB_NOMATCH) {
            st = hv_error(HV_ERR_IO, "%s: glob failed", spec);
        }
        globfree(&g);
    } else if (stat(spec, &sb) == 0) {
        st = hv_error(HV_ERR_IO, "%s: not a regular file, folder or pattern (a FIFO or device?): refused", spec);
    } else {
        st = hv_error(HV_ERR_IO, "%s: no such file, folder or pattern", spec);
    }
    if (!st && l->count == 0)
        st = hv_error(HV_ERR_NOT_FOUND, "%s: no image files found (looked for .png .jpg .jpeg)", spec);
    if (st) {
        hv_frame_list_free(l);
        return st;
    }
    if (sorted) qsort(l->items, l->count, sizeof *l->items, cmp_entries);
    *out = l;
    return HV_OK;
}

size_t hv_frame_list_count(const hv_frame_list *list) { return list ? list->count : 0; }

const char *hv_frame_list_path(const hv_frame_list *list, size_t i) {
    return list && i < list->count ? list->items[i].path : NULL;
}

const char *hv_frame_list_key(const hv_frame_list *list, size_t i) {
    return list && i < list->count ? list->items[i].key : NULL;
}

void hv_frame_list_free(hv_frame_list *list) {
    if (!list) return;
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].path);
        free(list->items[i].key);
    }
    free(list->items);
    free(list->visited);
    free(list->root);
    free(list);
}
