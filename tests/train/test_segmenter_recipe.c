/* The segmenter training recipe (tools/train/train_maskrcnn.py) end to end, small: its smoke script trains
 * a tiny ConvNeXt Mask R-CNN on 4 WCEBleedGen frames (and a tiny InternImage one), and checks that the
 * augmentations keep masks and boxes together, that the loss falls, that a run SIGKILLed after its first
 * checkpoint and resumed ends bit-identical to an uninterrupted one, that the SWA export carries the
 * model's MMDetection names and shapes, and — with --hemovk — that hemovk's segmenter stage loads both
 * exports and detects what PyTorch detects (box IoU >= 0.99). Skips (77) without Debian's PyTorch. */
/* CTEST_PROPERTIES SKIP_RETURN_CODE 77 */
#include "hvtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

START_TEST(recipe_trains_resumes_and_exports_what_hemovk_runs) {
    const char *dir = hvtest_tmpdir("train-segmenter");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s '%s/tools/train/smoke_test.py' --hemovk '%s' --keep '%s/run' > '%s/smoke.log' 2>&1",
             HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, HEMOVK_CLI, dir, dir);
    int rc = system(cmd);
    snprintf(cmd, sizeof cmd, "cat '%s/smoke.log'", dir);
    if (system(cmd) != 0) printf("(no log)\n");
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "segmenter recipe smoke failed (status %d): see %s/smoke.log",
                  rc, dir);
}
END_TEST

int main(void) {
    if (system(HEMOVK_PYTHON " -c 'import torch, torchvision, PIL' > /dev/null 2>&1") != 0) {
        printf("SKIP: Debian's PyTorch (python3-torch, python3-torchvision, python3-pil) is not importable from " HEMOVK_PYTHON "\n");
        return 77;
    }
    Suite *su = suite_create("train.segmenter_recipe");
    TCase *tc = tcase_create("recipe");
    tcase_set_timeout(tc, 500);
    tcase_add_test(tc, recipe_trains_resumes_and_exports_what_hemovk_runs);
    suite_add_tcase(su, tc);
    return hvtest_run(su);
}
