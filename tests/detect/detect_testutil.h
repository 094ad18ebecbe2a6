/* Helpers of the detect tests: run tools/ref/detect_ref.py on a JSON request and read its JSON answer. */
#ifndef DETECT_TESTUTIL_H
#define DETECT_TESTUTIL_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "hvtest.h"

/** JSON array of n floats (as doubles: float32 values round-trip exactly). */
static inline cJSON *dt_floats(const float *v, size_t n) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; ++i) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
    return a;
}

/** Run `detect_ref.py cmd` on `req` (consumed). Returns the parsed answer, or NULL when the script says a
 *  module is missing (exit 3: marked skipped with hvtest_skip; the caller returns). Any other failure fails the test. */
static inline cJSON *dt_python(const char *cmd, cJSON *req, const char *tag) {
    const char *dir = hvtest_tmpdir(tag);
    char in[1024], out[1024], line[4096];
    snprintf(in, sizeof in, "%s/in.json", dir);
    snprintf(out, sizeof out, "%s/out.json", dir);
    char *text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    FILE *f = fopen(in, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    free(text);
    snprintf(line, sizeof line, "'%s' '%s/tools/ref/detect_ref.py' %s '%s' '%s'", HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, cmd,
             in, out);
    int rc = system(line);
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 3) {
        hvtest_skip("%s: reference module missing for detect_ref.py %s", tag, cmd);
        return NULL;
    }
    ck_assert_msg(rc == 0, "reference script failed (rc %d): %s", rc, line);
    f = fopen(out, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_int_eq((long)fread(buf, 1, (size_t)n, f), n);
    buf[n] = 0;
    fclose(f);
    cJSON *ans = cJSON_Parse(buf);
    free(buf);
    ck_assert_ptr_nonnull(ans);
    return ans;
}

#endif
