/* Replays fuzz inputs without libFuzzer: `fuzz-replay-<target> FILE|FOLDER...` feeds every file (a
 * folder's files in name order) to the target's LLVMFuzzerTestOneInput, so the plain and the ASan+UBSan
 * test suites run every seed and every input a fuzzer once crashed on (CTest fuzz.replay_<target>).
 * A crash, a sanitizer report or a leak fails the test; a target that returns non-zero does too. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return 1;
    }
    /* an exact-size copy, so ASan sees a read past the input as the fuzzer would */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) return free(buf), 1;
    memcpy(exact, buf, n);
    free(buf);
    int rc = LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    if (rc) fprintf(stderr, "replay: %s: the target returned %d\n", path, rc);
    return rc != 0;
}

int main(int argc, char **argv) {
    int failed = 0;
    size_t count = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|FOLDER...\n", argv[0]);
        return 2;
    }
    for (int a = 1; a < argc; a++) {
        struct stat sb;
        if (stat(argv[a], &sb) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[a], strerror(errno));
            return 2;
        }
        if (!S_ISDIR(sb.st_mode)) {
            failed |= replay_file(argv[a]);
            count++;
            continue;
        }
        DIR *d = opendir(argv[a]);
        if (!d) return 2;
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.') continue;
            if (n == cap) {
                char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *nn);
                if (!nn) return 2;
                names = nn;
            }
            size_t len = strlen(argv[a]) + strlen(e->d_name) + 2;
            if (!(names[n] = malloc(len))) return 2;
            snprintf(names[n++], len, "%s/%s", argv[a], e->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, cmp);
        for (size_t i = 0; i < n; i++) {
            failed |= replay_file(names[i]);
            count++;
            free(names[i]);
        }
        free(names);
    }
    printf("replayed %zu input%s%s\n", count, count == 1 ? "" : "s", failed ? ", some failed" : "");
    if (!count) {
        fprintf(stderr, "replay: no inputs found: an empty corpus tests nothing\n");
        return 1;
    }
    return failed;
}
