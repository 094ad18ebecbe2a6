/* Issue 12, "nothing lost, nothing mixed", end to end through the `hemovk` program:
 *  - WCEBleedGen's colliding names (every bleeding/Images name is also in non-bleeding/images): a run
 *    over both class folders writes every overlay and gives every frame its own COCO id and key;
 *  - one run per output folder (a held lock: exit 7 naming the holder);
 *  - two outputs with one path, or a path outside --output: invalid for `validate` and `run`;
 *  - a file-size limit hit mid-run (EFBIG, as a full disk): exit 6, a clear message, no truncated PNG
 *    under its name, summary.json written;
 *  - --resume refuses a changed pipeline and says what changed;
 *  - SIGTERM: the batch in hand is finished, summary written, exit 143, --resume completes the run;
 *  - kill -9 at random points (several seeds) then --resume: JSONL, CSV and COCO files byte-identical
 *    to an uninterrupted run's. */
#include "ptest.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WCE HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen"

static int run_cli(const char *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int run_cli(const char *log, const char *fmt, ...) {
    char args[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return ptest_sh("'%s' run %s --progress none 2>'%s'", HEMOVK_CLI, args, log);
}

static void assert_file_has(const char *path, const char *needle) {
    char *t = ptest_read(path);
    ck_assert_msg(t && strstr(t, needle), "'%s' not in %s:\n%s", needle, path, t ? t : "(missing)");
    free(t);
}

START_TEST(colliding_names_all_written) {
    const char *dir = hvtest_tmpdir("out-collide");
    char yaml[4200], out[4200], log[4200], path[8400];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    ptest_write(yaml, "version: 1\nbatch: 4\nstages:\n  - {id: quality, component: filter.quality}\n"
                      "outputs:\n  - {component: writer.jsonl}\n  - {component: writer.coco}\n"
                      "  - {component: writer.overlay, params: {include_dropped: true}}\n");
    int rc = run_cli(log, "'%s' --input '%s/*/[Ii]mages/img- ([1-3]).png' --output '%s'", yaml, WCE, out);
    ck_assert_msg(rc == 0, "exit %d", rc);
    const char *folders[2] = {"bleeding/Images", "non-bleeding/images"};
    for (int c = 0; c < 2; c++)
        for (int i = 1; i <= 3; i++) {
            snprintf(path, sizeof path, "%s/overlays/%s/img- (%d).png", out, folders[c], i);
            hv_image img;
            ck_assert_msg(hv_image_load(path, &img) == HV_OK, "overlay %s: %s", path, hv_last_error());
            hv_image_free(&img);
        }
    snprintf(path, sizeof path, "%s/results.images.json", out);
    char *text = ptest_read(path);
    cJSON *images = cJSON_Parse(text);
    free(text);
    ck_assert_int_eq(cJSON_GetArraySize(images), 6);
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < i; j++) {
            const cJSON *a = cJSON_GetArrayItem(images, i), *b = cJSON_GetArrayItem(images, j);
            ck_assert(ptest_num(a, "id") != ptest_num(b, "id"));
            ck_assert_str_ne(ptest_str(a, "file_name"), ptest_str(b, "file_name"));
        }
    ck_assert_str_eq(ptest_str(cJSON_GetArrayItem(images, 3), "file_name"), "non-bleeding/images/img- (1).png");
    cJSON_Delete(images);
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(path);
    ck_assert_uint_eq(j.n, 6);
    ck_assert_str_eq(ptest_str(j.rows[0], "key"), "bleeding/Images/img- (1).png");
    ck_assert_ptr_nonnull(strstr(ptest_str(j.rows[0], "path"), WCE));
    ck_assert_ptr_null(ptest_meta(j.rows[0], HV_FRAME_KEY_META)); /* the key is not repeated in meta */
    ptest_free_jsonl(&j);
}
END_TEST

START_TEST(one_run_per_output_folder) {
    const char *dir = hvtest_tmpdir("out-lock");
    char yaml[4200], out[4200], log[4200], lock[4400];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    snprintf(lock, sizeof lock, "%s/.hemovk.lock", out);
    ptest_write(yaml, "version: 1\nstages:\n  - {id: quality, component: filter.quality}\noutputs:\n  - {component: writer.jsonl}\n");
    ck_assert_int_eq(hv_mkdirs(out), HV_OK);
    int fd = open(lock, O_RDWR | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    ck_assert_int_gt(write(fd, "pid 4242 on host testhost, started now\n", 39), 0);
    int rc = run_cli(log, "'%s' --input '%s' --output '%s' --limit 2", yaml, PTEST_FRAMES, out);
    ck_assert_int_eq(rc, 7);
    assert_file_has(log, "in use by another hemovk run (pid 4242 on host testhost");
    char path[4400];
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    ck_assert_int_ne(access(path, F_OK), 0); /* nothing written */
    close(fd); /* released: the next run goes */
    rc = run_cli(log, "'%s' --input '%s' --output '%s' --limit 2", yaml, PTEST_FRAMES, out);
    ck_assert_int_eq(rc, 0);
    assert_file_has(lock, "pid ");
}
END_TEST

START_TEST(output_paths_checked) {
    const char *dir = hvtest_tmpdir("out-paths");
    char yaml[4200], log[4200], out[4200];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    ptest_write(yaml, "version: 1\nstages:\n  - {id: quality, component: filter.quality}\noutputs:\n"
                      "  - {id: a, component: writer.jsonl}\n  - {id: b, component: writer.jsonl, path: ./results.jsonl}\n");
    ck_assert_int_eq(ptest_sh("'%s' validate '%s' 2>'%s' >/dev/null", HEMOVK_CLI, yaml, log), 3);
    assert_file_has(log, "outputs 'b' and 'a'");
    assert_file_has(log, "both write to 'results.jsonl'");
    ck_assert_int_eq(run_cli(log, "'%s' --input '%s' --output '%s'", yaml, PTEST_FRAMES, out), 3);
    assert_file_has(log, "both write to");
    ptest_write(yaml, "version: 1\nstages:\n  - {id: quality, component: filter.quality}\noutputs:\n"
                      "  - {id: a, component: writer.jsonl, path: ../escaped.jsonl}\n");
    ck_assert_int_eq(ptest_sh("'%s' validate '%s' 2>'%s' >/dev/null", HEMOVK_CLI, yaml, log), 3);
    assert_file_has(log, "outside the output folder");
    ck_assert_int_eq(ptest_sh("'%s' validate --allow-outside-output '%s' 2>'%s' >/dev/null", HEMOVK_CLI, yaml, log), 0);
    ck_assert_int_eq(run_cli(log, "'%s' --input '%s' --output '%s' --limit 1", yaml, PTEST_FRAMES, out), 3);
    ck_assert_int_eq(run_cli(log, "'%s' --input '%s' --output '%s' --limit 1 --allow-outside-output", yaml, PTEST_FRAMES, out), 0);
    char path[4400];
    snprintf(path, sizeof path, "%s/escaped.jsonl", dir);
    ck_assert_int_eq(access(path, F_OK), 0);
}
END_TEST

/* Every PNG under `dir` (recursively) decodes whole; returns how many. */
static int check_pngs(const char *dir) {
    char cmd[9000], list[4400];
    snprintf(list, sizeof list, "%.4000s.list", dir);
    snprintf(cmd, sizeof cmd, "find '%s' -type f > '%s' 2>/dev/null", dir, list);
    ptest_sh("%s", cmd);
    char *t = ptest_read(list);
    int n = 0;
    for (char *l = t ? strtok(t, "\n") : NULL; l; l = strtok(NULL, "\n")) {
        ck_assert_msg(strstr(l, ".tmp") == NULL, "temporary file left: %s", l);
        hv_image img;
        ck_assert_msg(hv_image_load(l, &img) == HV_OK, "%s does not decode: %s", l, hv_last_error());
        hv_image_free(&img);
        n++;
    }
    free(t);
    return n;
}

/* RLIMIT_FSIZE (ulimit -f) with SIGXFSZ ignored makes write() fail with EFBIG past the limit: what a
 * full disk does to the writers, without mounting anything. */
START_TEST(full_disk_stops_with_exit_6) {
    const char *dir = hvtest_tmpdir("out-full");
    char yaml[4200], out[4200], log[4200], path[4400];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    ptest_write(yaml, "version: 1\nbatch: 2\nstages:\n  - {id: quality, component: filter.quality}\noutputs:\n"
                      "  - {component: writer.jsonl}\n  - {component: writer.csv}\n"
                      "  - {component: writer.overlay, params: {include_dropped: true}}\n");
    /* 64 blocks of 512 bytes: the small files fit, a 224x224 overlay PNG does not */
    int rc = ptest_sh("sh -c \"trap '' XFSZ; ulimit -f 64; exec '%s' run '%s' --input '%s' --output '%s' --limit 6 "
                      "--progress none\" 2>'%s'", HEMOVK_CLI, yaml, PTEST_FRAMES, out, log);
    ck_assert_msg(rc == 6, "exit %d", rc);
    assert_file_has(log, "cannot write");
    assert_file_has(log, "larger than the system allows");
    snprintf(path, sizeof path, "%s/overlays", out);
    check_pngs(path);
    snprintf(path, sizeof path, "%s/summary.json", out);
    assert_file_has(path, "\"interrupted\":\ttrue");
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(path);
    for (size_t i = 0; i < j.n; i++) ck_assert(j.rows[i] != NULL);
    ck_assert_uint_eq(j.n, 0); /* the journal goes last: the failing batch never reached it */
    ptest_free_jsonl(&j);
}
END_TEST

START_TEST(resume_refuses_a_changed_pipeline) {
    const char *dir = hvtest_tmpdir("out-fp");
    char yaml[4200], out[4200], log[4200];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(log, sizeof log, "%s/log", dir);
    ptest_write(yaml, "version: 1\nstages:\n  - {id: quality, component: filter.quality, params: {min_luminance: 20}}\n"
                      "outputs:\n  - {component: writer.jsonl}\n");
    ck_assert_int_eq(run_cli(log, "'%s' --input '%s' --output '%s' --limit 3", yaml, PTEST_FRAMES, out), 0);
    char fp[4400];
    snprintf(fp, sizeof fp, "%s/.hemovk-run.json", out);
    assert_file_has(fp, "stages[0].params.min_luminance = 20");
    /* the same pipeline resumes (and the input spelt with a trailing slash is the same frames) */
    ck_assert_int_eq(run_cli(log, "'%s' --input '%s/' --output '%s' --limit 4 --resume", yaml, PTEST_FRAMES, out), 0);
    char path[4400];
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(path);
    ck_assert_uint_eq(j.n, 4);
    ptest_free_jsonl(&j);
    ptest_write(yaml, "version: 1\nstages:\n  - {id: quality, component: filter.quality, params: {min_luminance: 25}}\n"
                      "outputs:\n  - {component: writer.jsonl}\n");
    ck_assert_int_eq(run_cli(log, "'%s' --input '%s' --output '%s' --limit 5 --resume", yaml, PTEST_FRAMES, out), 3);
    assert_file_has(log, "was written by a different run");
    assert_file_has(log, "was  stages[0].params.min_luminance = 20");
    assert_file_has(log, "now  stages[0].params.min_luminance = 25");
}
END_TEST

/* The kill tests' pipeline: a slow stage so a kill lands mid-run, batches of 2, every durable writer. */
static void write_kill_pipeline(const char *yaml) {
    ptest_write(yaml, "version: 1\nbatch: 2\nstages:\n  - {id: delay, component: test.slow, params: {ms: 25}}\n"
                      "  - {id: quality, component: filter.quality}\noutputs:\n"
                      "  - {component: writer.csv}\n  - {component: writer.coco}\n  - {component: writer.jsonl}\n");
}

enum { NK = 16 };

static pid_t spawn(const char *yaml, const char *out, int resume) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr)) _exit(126);
        char limit[16];
        snprintf(limit, sizeof limit, "%d", NK);
        execl(HEMOVK_CLI, HEMOVK_CLI, "run", yaml, "--input", PTEST_FRAMES, "--output", out, "--limit", limit, "--progress",
              "none", resume ? "--resume" : (char *)NULL, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int wait_exit(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static void assert_same_files(const char *a, const char *b) {
    const char *names[] = {"results.jsonl", "results.csv", "results.bbox.json", "results.segm.json", "results.images.json"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char pa[4400], pb[4400];
        snprintf(pa, sizeof pa, "%s/%s", a, names[i]);
        snprintf(pb, sizeof pb, "%s/%s", b, names[i]);
        char *x = ptest_read(pa), *y = ptest_read(pb);
        ck_assert_msg(x && y, "missing %s or %s", pa, pb);
        ck_assert_msg(!strcmp(x, y), "%s differs from the uninterrupted run's", pb);
        free(x);
        free(y);
    }
}

START_TEST(kill9_then_resume_is_byte_identical) {
    const char *dir = hvtest_tmpdir("out-kill9");
    char yaml[4200], ref[4200];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(ref, sizeof ref, "%s/ref", dir);
    write_kill_pipeline(yaml);
    ck_assert_int_eq(wait_exit(spawn(yaml, ref, 0)), 0);
    const unsigned seeds[] = {1, 7, 42, 1234};
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        srand(seeds[k]);
        char out[4200];
        snprintf(out, sizeof out, "%s/killed-%u", dir, seeds[k]);
        int kills = 0;
        /* up to three kills per seed, each after a random 30-400 ms, then a resume that finishes */
        for (int round = 0; round < 3; round++) {
            pid_t pid = spawn(yaml, out, round > 0);
            struct timespec t = {0, (long)(30 + rand() % 370) * 1000000L};
            nanosleep(&t, NULL);
            kill(pid, SIGKILL);
            int rc = wait_exit(pid);
            if (rc == 1000 + SIGKILL) kills++;
            else ck_assert_msg(rc == 0, "seed %u round %d: exit %d", seeds[k], round, rc);
        }
        ck_assert_int_eq(wait_exit(spawn(yaml, out, 1)), 0);
        assert_same_files(ref, out);
        (void)kills;
    }
}
END_TEST

/* --resume of a run that finished (nothing left to do) changes no result: the COCO writer rebuilds its
 * files from its journal. It once rewrote them empty, losing every result. */
START_TEST(resume_of_a_finished_run_keeps_every_result) {
    const char *dir = hvtest_tmpdir("out-refinish");
    char yaml[4200], ref[4200], out[4200];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(ref, sizeof ref, "%s/ref", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    write_kill_pipeline(yaml);
    ck_assert_int_eq(wait_exit(spawn(yaml, ref, 0)), 0);
    ck_assert_int_eq(wait_exit(spawn(yaml, out, 0)), 0);
    for (int again = 0; again < 2; again++) {
        ck_assert_int_eq(wait_exit(spawn(yaml, out, 1)), 0);
        assert_same_files(ref, out);
    }
    char path[4400];
    snprintf(path, sizeof path, "%s/results.images.json", out);
    char *images = ptest_read(path);
    ck_assert_ptr_nonnull(images);
    ck_assert_uint_eq(ptest_count(images, "\"file_name\""), NK);
    free(images);
}
END_TEST

START_TEST(sigterm_finishes_batch_and_resumes) {
    const char *dir = hvtest_tmpdir("out-term");
    char yaml[4200], ref[4200], out[4200], path[4400];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(ref, sizeof ref, "%s/ref", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    write_kill_pipeline(yaml);
    ck_assert_int_eq(wait_exit(spawn(yaml, ref, 0)), 0);
    pid_t pid = spawn(yaml, out, 0);
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    struct timespec t = {0, 10 * 1000000L};
    for (int waited = 0; waited < 3000; waited++) { /* until the run is under way: 2 frames written */
        char *text = ptest_read(path);
        size_t lines = text ? ptest_count(text, "\n") : 0;
        free(text);
        if (lines >= 2) break;
        nanosleep(&t, NULL);
    }
    kill(pid, SIGTERM);
    ck_assert_int_eq(wait_exit(pid), 143);
    snprintf(path, sizeof path, "%s/summary.json", out);
    char *text = ptest_read(path);
    cJSON *s = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(s);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(s, "interrupted")));
    int done = (int)ptest_num(s, "frames_done");
    ck_assert_msg(done > 0 && done < NK && done % 2 == 0, "frames_done %d: whole batches of 2", done);
    cJSON_Delete(s);
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(path);
    ck_assert_uint_eq(j.n, (size_t)done);
    ptest_free_jsonl(&j);
    snprintf(path, sizeof path, "%s/results.partial", out);
    ck_assert_int_eq(access(path, F_OK), 0); /* COCO not finalised: --resume continues it */
    ck_assert_int_eq(wait_exit(spawn(yaml, out, 1)), 0);
    assert_same_files(ref, out);
}
END_TEST

int main(void) {
    ptest_env();
    Suite *s = suite_create("pipeline.outputs");
    TCase *tc = tcase_create("outputs");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, colliding_names_all_written);
    tcase_add_test(tc, one_run_per_output_folder);
    tcase_add_test(tc, output_paths_checked);
    tcase_add_test(tc, full_disk_stops_with_exit_6);
    tcase_add_test(tc, resume_refuses_a_changed_pipeline);
    tcase_add_test(tc, kill9_then_resume_is_byte_identical);
    tcase_add_test(tc, resume_of_a_finished_run_keeps_every_result);
    tcase_add_test(tc, sigterm_finishes_batch_and_resumes);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
