/* writer.report checked as a person sees it: the page opened in headless Chromium.
 *   - an exam: WCEBleedGen test set 2 (515 consecutive frames of one patient) through the demo's
 *     classifier (hemovk's own trained EfficientNet, TTA) and test.redbox (the pixel-made segmenter of the
 *     pipeline tests: the Mask R-CNN pair would take ~10 minutes on the 2-core CI machine), with
 *     writer.jsonl, writer.events and writer.report. Chromium's screenshot is not blank and its timeline and
 *     gallery regions (placed by the page, read from the dumped DOM) are drawn; the dumped DOM lists every
 *     event of events.json and every frame results.jsonl flags bleeding; the console shows nothing (no
 *     error, no warning) and the script ran to its end (body data-ready="1").
 *   - names a reader's exam can have: spaces, quotes, '<', '&', "</script>", Unicode: the page still loads
 *     and shows each name exactly, and nothing in the embedded JSON closes its <script>.
 * No Chromium (Debian's `chromium`, scripts/install-deps.sh): skipped (exit 77), never passed. */
#include "ptest.h"

#include <sys/stat.h>
#include <unistd.h>

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_image.h>

#define EXAM HEMOVK_SHARED_DIR "/data/wcebleedgen/test/Test Dataset 2"

static char g_chromium[512];

static int find_chromium(void) {
    const char *names[] = {"chromium", "chromium-browser", "google-chrome"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "command -v %s > /dev/null 2>&1", names[i]);
        if (system(cmd) == 0) {
            snprintf(g_chromium, sizeof g_chromium, "%s", names[i]);
            return 1;
        }
    }
    return 0;
}

/* Open <dir>/index.html in headless Chromium: the DOM after the scripts ran (dom.html), the console
 * (console.txt: Chromium's log, whose page console lines read "CONSOLE(line)") and a screenshot. */
static void open_in_chromium(const char *work, const char *report_dir, int width, int height) {
    char common[2048];
    snprintf(common, sizeof common,
             "'%s' --headless=new --no-sandbox --disable-gpu --no-first-run --disable-extensions --hide-scrollbars "
             "--user-data-dir='%s/profile' --window-size=%d,%d",
             g_chromium, work, width, height);
    int rc = ptest_sh("%s --enable-logging=stderr --v=0 --dump-dom 'file://%s/index.html' > '%s/dom.html' 2> '%s/console.txt'",
                      common, report_dir, work, work);
    ck_assert_msg(rc == 0, "chromium --dump-dom exit %d (see %s/console.txt)", rc, work);
    rc = ptest_sh("%s --screenshot='%s/shot.png' 'file://%s/index.html' > /dev/null 2> '%s/shot-log.txt'", common, work,
                  report_dir, work);
    ck_assert_msg(rc == 0, "chromium --screenshot exit %d", rc);
}

/* Undo the HTML serialiser's escapes of an attribute value (&amp; &quot; &lt; &gt; &#39; &nbsp;). */
static void unescape_attr(char *s) {
    static const char *ent[][2] = {{"&amp;", "&"}, {"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#39;", "'"}, {"&nbsp;", "\xC2\xA0"}};
    char *o = s;
    for (const char *p = s; *p;) {
        int hit = 0;
        for (size_t k = 0; k < sizeof ent / sizeof ent[0] && !hit; k++) {
            size_t n = strlen(ent[k][0]);
            if (!strncmp(p, ent[k][0], n)) {
                size_t m = strlen(ent[k][1]);
                memmove(o, ent[k][1], m);
                o += m;
                p += n;
                hit = 1;
            }
        }
        if (!hit) *o++ = *p++;
    }
    *o = '\0';
}

/* The value of attribute `name` of the first element whose text starts at or after `from` (malloc'ed). */
static char *attr_after(const char *from, const char *name) {
    char pat[128];
    snprintf(pat, sizeof pat, " %s=\"", name);
    const char *a = strstr(from, pat);
    if (!a) return NULL;
    a += strlen(pat);
    const char *b = strchr(a, '"');
    if (!b) return NULL;
    char *v = strndup(a, (size_t)(b - a));
    unescape_attr(v);
    return v;
}

/* The chip (flagged-frame index entry) of exam index i, or NULL. */
static const char *chip_of(const char *dom, long i) {
    char pat[96];
    snprintf(pat, sizeof pat, "class=\"chip\" data-i=\"%ld\"", i);
    return strstr(dom, pat);
}

/* Console: no message of the page at all (the page logs nothing when it works). */
static void check_console(const char *work) {
    char path[4400];
    snprintf(path, sizeof path, "%s/console.txt", work);
    char *log = ptest_read(path);
    ck_assert_ptr_nonnull(log);
    const char *c = strstr(log, "CONSOLE");
    const char *u = strstr(log, "Uncaught");
    ck_assert_msg(!c && !u, "the page wrote to the console: %s", c ? c : u);
    free(log);
}

typedef struct region_stats {
    double mean, sd;
    size_t n, blue, dark;
} region_stats;

/* Luminance mean and spread of a rectangle of the screenshot, and how many pixels are the timeline's blue
 * (#1f5f99) or dark (a capsule frame's black border). */
static region_stats region(const unsigned char *px, int W, int H, int x, int y, int w, int h) {
    region_stats r = {0};
    double s = 0, s2 = 0;
    for (int v = y; v < y + h && v < H; v++)
        for (int u = x; u < x + w && u < W; u++) {
            if (u < 0 || v < 0) continue;
            const unsigned char *p = px + ((size_t)v * W + u) * 4;
            double l = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            s += l;
            s2 += l * l;
            r.n++;
            r.blue += abs(p[0] - 0x1f) < 40 && abs(p[1] - 0x5f) < 40 && abs(p[2] - 0x99) < 40;
            r.dark += l < 40;
        }
    if (r.n) {
        r.mean = s / (double)r.n;
        r.sd = sqrt(fmax(0, s2 / (double)r.n - r.mean * r.mean));
    }
    return r;
}

static void rect_of(const char *dom, const char *attr, int v[4]) {
    char *s = attr_after(strstr(dom, "<body"), attr);
    ck_assert_msg(s != NULL, "no %s on <body>", attr);
    ck_assert_int_eq(sscanf(s, "%d %d %d %d", &v[0], &v[1], &v[2], &v[3]), 4);
    free(s);
}

static void write_pipeline(const char *yaml, const char *stages, const char *report_params) {
    char text[4096];
    snprintf(text, sizeof text,
             "version: 1\nname: report-test\nbatch: 8\nsource: {fps: 2}\nstages:\n%s"
             "outputs:\n"
             "  - {id: jsonl, component: writer.jsonl, path: results.jsonl}\n"
             "  - {id: events, component: writer.events, path: events, params: {fsync: false}}\n"
             "  - {id: report, component: writer.report, path: report, params: {fsync: false%s}}\n",
             stages, report_params);
    ptest_write(yaml, text);
}

static int run_hemovk(const char *dir, const char *yaml, const char *input, const char *out) {
    return ptest_sh("'%s' run '%s' --input '%s' --output '%s' --progress none 2>>'%s/err.txt'", HEMOVK_CLI, yaml, input, out, dir);
}

/* results.jsonl: the classifier's label of a row is "bleeding" */
static int is_bleeding(const cJSON *row) {
    const char *label = ptest_str(cJSON_GetObjectItemCaseSensitive(row, "classification"), "label");
    return label && !strcmp(label, "bleeding");
}

START_TEST(exam_report_in_chromium) {
    const char *dir = hvtest_tmpdir("report-exam");
    char yaml[4200], out[4200], path[4600], rdir[4300];
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    write_pipeline(yaml,
                   "  - id: classify\n"
                   "    component: classifier\n"
                   "    params:\n"
                   "      backbone: {component: efficientnet, params: {arch: b0, width: 0.5, depth: 0.5}}\n"
                   "      weights: {loader: safetensors, params: {path: " HEMOVK_SOURCE_DIR "/models/classifier/weights.safetensors}}\n"
                   "      preprocess: imagenet\n"
                   "      resize: stretch\n"
                   "      size: [112, 112]\n"
                   "      labels: [bleeding, non-bleeding]\n"
                   "      positive: bleeding\n"
                   "      threshold: 0.5\n"
                   "  - {id: segment, component: test.redbox, when: classify.bleeding}\n",
                   "");
    int rc = run_hemovk(dir, yaml, EXAM, out);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    char *err = ptest_read(path);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ck_assert_msg(strstr(err, "writer.report 'report': 515 frames"), "%s", err);
    free(err);

    /* what the page must show: events.json's events, results.jsonl's frames flagged bleeding */
    snprintf(path, sizeof path, "%s/events.json", out);
    char *text = ptest_read(path);
    cJSON *ev = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(ev);
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(ev, "events");
    int n_ev = cJSON_GetArraySize(events);
    snprintf(path, sizeof path, "%s/results.jsonl", out);
    ptest_jsonl j = ptest_read_jsonl(path);
    ck_assert_uint_eq(j.n, 515);
    size_t n_flagged = 0;
    for (size_t i = 0; i < j.n; i++) n_flagged += is_bleeding(j.rows[i]);
    ck_assert_msg(n_ev > 0 && n_flagged > 0 && n_flagged < 515, "%d events, %zu flagged: not an exam worth a report", n_ev, n_flagged);

    snprintf(rdir, sizeof rdir, "%s/report", out);
    open_in_chromium(dir, rdir, 1400, 1300);
    check_console(dir);
    snprintf(path, sizeof path, "%s/dom.html", dir);
    char *dom = ptest_read(path);
    ck_assert_ptr_nonnull(dom);
    ck_assert_msg(strstr(dom, "data-ready=\"1\""), "the page's script did not finish");
    /* every event, in order, with its first frame */
    ck_assert_uint_eq(ptest_count(dom, "class=\"ev-row"), (size_t)n_ev);
    for (int k = 0; k < n_ev; k++) {
        const cJSON *e = cJSON_GetArrayItem(events, k);
        long first = (long)cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "first"), "index")->valuedouble;
        long last = (long)cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "last"), "index")->valuedouble;
        char row[64], span[96];
        snprintf(row, sizeof row, "id=\"ev-%d\"", k + 1);
        const char *r = strstr(dom, row);
        ck_assert_msg(r != NULL, "event %d is not in the page", k + 1);
        if (first == last) snprintf(span, sizeof span, "<b>#%ld</b>", first);
        else snprintf(span, sizeof span, "<b>#%ld</b>–<b>#%ld</b>", first, last);
        const char *end = strstr(r, "</tr>");
        const char *s = strstr(r, span);
        ck_assert_msg(s && end && s < end, "event %d does not show frames %s", k + 1, span);
    }
    /* every flagged frame, by index and name */
    ck_assert_uint_eq(ptest_count(dom, "class=\"chip\""), n_flagged);
    for (size_t i = 0; i < j.n; i++) {
        if (!is_bleeding(j.rows[i])) continue;
        long id = (long)ptest_num(j.rows[i], "id");
        const char *c = chip_of(dom, id);
        ck_assert_msg(c != NULL, "flagged frame %ld (%s) is not in the page", id, ptest_str(j.rows[i], "key"));
        char *title = attr_after(c, "title");
        ck_assert_str_eq(title, ptest_str(j.rows[i], "key"));
        free(title);
        snprintf(path, sizeof path, "%s/frames/%06ld.jpg", rdir, id);
        ck_assert_msg(access(path, R_OK) == 0, "no %s", path);
    }
    /* the gallery's first page holds frames (the first flagged one among them) */
    ck_assert_msg(strstr(dom, "<figure class=\"card"), "the gallery is empty");

    /* the screenshot: not blank, the timeline drawn (its blue), the gallery drawn (frames' dark borders) */
    int tl[4], ga[4];
    rect_of(dom, "data-timeline-rect", tl);
    rect_of(dom, "data-gallery-rect", ga);
    snprintf(path, sizeof path, "%s/shot.png", dir);
    int W = 0, H = 0, comp = 0;
    unsigned char *px = stbi_load(path, &W, &H, &comp, 4);
    ck_assert_msg(px != NULL, "cannot decode %s", path);
    ck_assert_int_eq(W, 1400);
    region_stats all = region(px, W, H, 0, 0, W, H);
    ck_assert_msg(all.sd > 20, "the screenshot is blank (luminance sd %.1f)", all.sd);
    ck_assert_msg(tl[2] > 600 && tl[3] > 100 && tl[1] + tl[3] <= H, "timeline at %d %d %d %d", tl[0], tl[1], tl[2], tl[3]);
    region_stats t = region(px, W, H, tl[0], tl[1], tl[2], tl[3]);
    ck_assert_msg(t.sd > 10 && t.blue > 200, "timeline not drawn: sd %.1f, %zu blue pixels", t.sd, t.blue);
    ck_assert_msg(ga[1] + 150 < H, "the gallery starts below the window (%d)", ga[1]);
    region_stats g = region(px, W, H, ga[0], ga[1], ga[2], H - ga[1]);
    ck_assert_msg(g.sd > 25 && g.dark > 2000, "gallery not drawn: sd %.1f, %zu dark pixels", g.sd, g.dark);
    stbi_image_free(px);
    free(dom);
    ptest_free_jsonl(&j);
    cJSON_Delete(ev);
}
END_TEST

/* A grey 32x24 frame, red where red != 0 (test.redclass reads the left half: red frames are flagged). */
static void write_frame(const char *path, int red) {
    hv_image img;
    ck_assert_int_eq(hv_image_alloc(32, 24, &img), HV_OK);
    for (int y = 0; y < 24; y++)
        for (int x = 0; x < 32; x++) {
            uint8_t *p = img.rgb + ((size_t)y * 32 + x) * 3;
            int r = red && x > 2 && x < 20 && y > 3 && y < 20;
            p[0] = r ? 200 : 90;
            p[1] = r ? 30 : 100;
            p[2] = r ? 30 : 100;
        }
    ck_assert_int_eq(hv_image_save_png(path, &img), HV_OK);
    hv_image_free(&img);
}

START_TEST(names_are_escaped) {
    const char *dir = hvtest_tmpdir("report-names");
    /* natural order of the keys decides the exam order; all five are red: one event of five frames */
    static const char *names[] = {"a b (1).png", "b \"quote\" 'single'.png", "c <x> & y.png", "d \xC3\x9Cn\xC3\xAF c\xC3\xB8" "d\xC3\xA9 \xE5\x87\xBA\xE8\xA1\x80.png",
                                  "e <!-- x.png"};
    char path[4600], exam[4200], yaml[4200], out[4200], rdir[4300];
    snprintf(exam, sizeof exam, "%s/exam", dir);
    ck_assert_int_eq(hv_mkdirs(exam), HV_OK);
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", exam, names[i]);
        write_frame(path, 1);
    }
    snprintf(yaml, sizeof yaml, "%s/p.yaml", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    write_pipeline(yaml, "  - {id: classify, component: test.redclass, params: {labels: [non-bleeding, bleeding], threshold: 0.5}}\n"
                         "  - {id: segment, component: test.redbox, when: classify.bleeding}\n",
                   /* the exam's name: in the title, the header and the JSON */
                   ", exam: 'x</script><!--&\"'''");
    int rc = run_hemovk(dir, yaml, exam, out);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    char *err = ptest_read(path);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    free(err);
    snprintf(rdir, sizeof rdir, "%s/report", out);
    snprintf(path, sizeof path, "%s/index.html", rdir);
    char *html = ptest_read(path);
    ck_assert_ptr_nonnull(html);
    /* the only "</script" in the file are the two script elements' own ends */
    ck_assert_uint_eq(ptest_count(html, "</script"), 2);
    ck_assert_msg(strstr(html, "\"x\\u003c/script\\u003e\\u003c!--\\u0026\\\"\\u0027\""), "the JSON does not escape the exam's name");
    ck_assert_msg(strstr(html, "<title>Bleeding review — x&lt;/script&gt;&lt;!--&amp;&quot;&#39;</title>"), "the title is not escaped");
    ck_assert_msg(strstr(html, "\"e \\u003c!-- x.png\""), "the JSON does not escape '<!--' in a name");
    ck_assert_msg(strstr(html, "\"c \\u003cx\\u003e \\u0026 y.png\""), "the JSON does not escape '<', '>', '&' in a name");
    /* the event table names the event's first frame, escaped as HTML text */
    ck_assert_msg(strstr(html, "<div class=\"key\">a b (1).png</div>"), "event's first frame not in the table");
    free(html);

    open_in_chromium(dir, rdir, 1200, 900);
    check_console(dir);
    snprintf(path, sizeof path, "%s/dom.html", dir);
    char *dom = ptest_read(path);
    ck_assert_ptr_nonnull(dom);
    ck_assert_msg(strstr(dom, "data-ready=\"1\""), "the page's script did not finish: names broke it");
    ck_assert_uint_eq(ptest_count(dom, "class=\"chip\""), 5);
    for (long i = 0; i < 5; i++) {
        const char *c = chip_of(dom, i);
        ck_assert_msg(c != NULL, "frame %ld is not in the index", i);
        char *title = attr_after(c, "title");
        ck_assert_str_eq(title, names[i]);
        free(title);
    }
    ck_assert_uint_eq(ptest_count(dom, "class=\"ev-row"), 1);
    free(dom);
}
END_TEST

int main(void) {
    if (!find_chromium()) return hvtest_skip("no chromium to open the report in (apt-get install chromium)");
    ptest_env();
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, names_are_escaped);
    tcase_add_test(tc, exam_report_in_chromium);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
