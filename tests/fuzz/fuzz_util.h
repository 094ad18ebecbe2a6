/* Helpers shared by the fuzz targets (tests/fuzz/fuzz_*.c): a private scratch folder for readers that
 * take a path, and quiet logs. Header-only, so each target stays one file plus this. */
#ifndef HEMOVK_FUZZ_UTIL_H
#define HEMOVK_FUZZ_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The scratch folder: under $TMPDIR (scripts/fuzz.sh points it at a folder it removes), else /dev/shm
 * (tmpfs: the readers' file round trips cost microseconds), else /tmp. Made once per process and its
 * files removed at exit; a crashing input may leave it behind, which is why fuzz.sh owns $TMPDIR. */
static char fz_dir[512];
static char fz_names[16][64];
static int fz_n_names;

static inline void fz_cleanup(void) {
    char p[sizeof fz_dir + sizeof fz_names[0] + 2];
    for (int i = 0; i < fz_n_names; i++) {
        if (snprintf(p, sizeof p, "%s/%s", fz_dir, fz_names[i]) < (int)sizeof p) unlink(p);
    }
    if (fz_dir[0]) rmdir(fz_dir);
}

static inline const char *fz_tmpdir(void) {
    if (fz_dir[0]) return fz_dir;
    const char *base = getenv("TMPDIR");
    struct stat sb;
    if (!base || !*base) base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fz_dir, sizeof fz_dir, "%s/hemovk-fuzz-XXXXXX", base);
    if (!mkdtemp(fz_dir)) {
        fprintf(stderr, "fuzz: cannot make a scratch folder under %s: %s\n", base, strerror(errno));
        abort();
    }
    atexit(fz_cleanup);
    return fz_dir;
}

/* Path of scratch file `name` (a static buffer per name slot: at most 16 names per target). */
static inline const char *fz_path(const char *name) {
    static char paths[16][sizeof fz_dir + sizeof fz_names[0] + 2];
    int i = 0;
    for (; i < fz_n_names; i++)
        if (!strcmp(fz_names[i], name)) break;
    if (i == fz_n_names) {
        if (fz_n_names == 16) abort();
        snprintf(fz_names[fz_n_names++], sizeof fz_names[0], "%s", name);
    }
    if (snprintf(paths[i], sizeof paths[i], "%s/%s", fz_tmpdir(), name) >= (int)sizeof paths[i]) abort();
    return paths[i];
}

/* Write `data` as scratch file `name` (replacing it) and return its path. */
static inline const char *fz_write(const char *name, const void *data, size_t size) {
    const char *p = fz_path(name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "fuzz: cannot write %s: %s\n", p, strerror(errno));
        abort();
    }
    const uint8_t *b = data;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, b + done, size - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            fprintf(stderr, "fuzz: short write to %s: %s\n", p, strerror(errno));
            abort();
        }
        done += (size_t)w;
    }
    close(fd);
    return p;
}

/* Remove scratch file `name` if it is there. */
static inline void fz_remove(const char *name) { unlink(fz_path(name)); }

/* Once per process: warnings off (a reader warns about each bad line; at 10^4 inputs a second that is
 * all the fuzzer would do). Errors are returned, not logged, so nothing is lost. */
static inline void fz_init_common(void) { setenv("HEMOVK_LOG", "error", 0); }

#endif
