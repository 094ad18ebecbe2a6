/* Kill a run, then --resume: every frame ends up in the JSONL (and the CSV) exactly once. A slow
 * test-only stage and batches of 2 make sure the kill lands mid-run; a torn last line (what a kill in
 * the middle of a write leaves) is appended on purpose and must be cut and its frame redone. */
#include "ptest.h"

#include <signal.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { N = 24 };

static size_t count_lines(const char *path) {
    char *t = ptest_read(path);
    size_t n = t ? ptest_count(t, "\n") : 0;
    free(t);
    return n;
}

static pid_t spawn_run(const char *yaml, const char *out, int resume) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stderr);
        char limit[16];
        snprintf(limit, sizeof limit, "%d", N);
        if (resume)
            execl(HEMOVK_CLI, HEMOVK_CLI, "run", yaml, "--input", PTEST_FRAMES, "--output", out, "--limit", limit,
                  "--resume", (char *)NULL);
        else
            execl(HEMOVK_CLI, HEMOVK_CLI, "run", yaml, "--input", PTEST_FRAMES, "--output", out, "--limit", limit,
                  (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void check_exactly_once(const char *out) {
    char path[4400];
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(path);
    ck_assert_uint_eq(j.n, N);
    int seen[N] = {0};
    for (size_t i = 0; i < j.n; i++) {
        ck_assert_msg(j.rows[i] != NULL, "line %zu of the JSONL does not parse", i + 1);
        int id = (int)ptest_num(j.rows[i], "id");
        ck_assert(id >= 0 && id < N);
        seen[id]++;
        ck_assert_ptr_nonnull(ptest_meta(j.rows[i], "slow.ran"));
    }
    for (int i = 0; i < N; i++) ck_assert_msg(seen[i] == 1, "frame %d is in the JSONL %d times", i, seen[i]);
    ptest_free_jsonl(&j);
    /* the CSV too: header + N rows, each frame once */
    snprintf(path, sizeof path, "%s/results.csv", out);
    char *csv = ptest_read(path);
    ck_assert_ptr_nonnull(csv);
    ck_assert_uint_eq(ptest_count(csv, "\n"), N + 1);
    for (int i = 0; i < N; i++) {
        char name[64];
        snprintf(name, sizeof name, "\n%d,", i); /* rows start with the frame id */
        ck_assert_msg(ptest_count(csv, name) == 1, "frame %d is in the CSV %zu times", i, ptest_count(csv, name));
    }
    free(csv);
}

START_TEST(test_kill_then_resume) {
    const char *dir = hvtest_tmpdir("resume-kill");
    char yaml[4200], out[4200], jsonl[4400];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(jsonl, sizeof jsonl, "%s/results.jsonl", out);
    /* the mark stage "slow" sets "slow.ran" on frames that went through the delay */
    ptest_write(yaml,
                "version: 1\n"
                "batch: 2\n"
                "stages:\n"
                "  - {id: delay, component: test.slow, params: {ms: 60}}\n"
                "  - {id: slow, component: test.mark}\n"
                "outputs:\n"
                "  - {component: writer.csv}\n"
                "  - {component: writer.jsonl}\n");
    pid_t pid = spawn_run(yaml, out, 0);
    struct timespec tick = {0, 20 * 1000000L};
    for (int waited = 0; count_lines(jsonl) < 6 && waited < 1500; waited++) nanosleep(&tick, NULL);
    size_t before = count_lines(jsonl);
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFSIGNALED(status), "the run ended before it was killed (%zu lines)", before);
    size_t kept = count_lines(jsonl);
    ck_assert_msg(kept >= 6 && kept < N, "kill landed at %zu lines", kept);
    FILE *f;
    /* The CSV (written before the JSONL in each batch) may hold a frame the JSONL lacks: make sure it
     * does, so the resumed CSV writer must skip it rather than list it twice. */
    hv_frame_list *list = NULL;
    ck_assert_int_eq(hv_frame_list_open(PTEST_FRAMES, 0, &list), HV_OK);
    char csv_path[4400];
    snprintf(csv_path, sizeof csv_path, "%s/results.csv", out);
    char *csv = ptest_read(csv_path);
    char row[64];
    snprintf(row, sizeof row, "\n%zu,", kept);
    if (!strstr(csv, row)) {
        f = fopen(csv_path, "ab");
        fprintf(f, "%zu,%s,%s,,,0,,0,,\n", kept, hv_frame_list_path(list, kept), hv_frame_list_key(list, kept));
        fclose(f);
    }
    free(csv);
    hv_frame_list_free(list);
    /* a torn last line, as a kill in the middle of a write leaves */
    f = fopen(jsonl, "ab");
    fputs("{\"id\":23,\"path\":\"/half/writ", f);
    fclose(f);

    pid = spawn_run(yaml, out, 1);
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "resume exit status %d", status);
    char path[4400];
    snprintf(path, sizeof path, "%s/summary.json", out);
    char *text = ptest_read(path);
    cJSON *s = cJSON_Parse(text);
    free(text);
    ck_assert_int_eq((int)ptest_num(s, "frames_in"), N);
    ck_assert_int_eq((int)ptest_num(s, "skipped_resume"), (int)kept);
    ck_assert_int_eq((int)ptest_num(s, "frames_done"), N - (int)kept);
    cJSON_Delete(s);
    check_exactly_once(out);

    /* A second --resume finds nothing to do and writes nothing twice. */
    pid = spawn_run(yaml, out, 1);
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check_exactly_once(out);
}
END_TEST

int main(void) {
    ptest_env();
    Suite *s = suite_create("pipeline.resume");
    TCase *tc = tcase_create("resume");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_kill_then_resume);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
