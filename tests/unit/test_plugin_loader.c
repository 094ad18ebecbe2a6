/* Plugin loader: the ABI checks (other major, newer minor, older minor, too-small struct_size), a
 * missing entry symbol, a failing init, duplicate components, a file that is not a shared object, a
 * broken param schema — each rejected with its reason while good plugins beside them still load — plus
 * the host table, stage creation with schema-checked params, the search path and `hemovk plugins`.
 * Fixture plugins: tests/fixtures/plugins/fixture_plugin.c, built by cmake/TestPlugins.cmake. */
#include "hvtest.h"

#include "hemovk/config.h"
#include "hemovk/frame.h"
#include "hemovk/log.h"
#include "plugin/registry.h"
#include "plugin/stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURES HEMOVK_BINARY_DIR "/test-plugins"

static const char *fixture_dir(const char *name) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", FIXTURES, name);
    return buf;
}

/* Load one fixture folder into a fresh registry. */
static hv_registry *load_case(const char *name) {
    hv_registry *reg = NULL;
    ck_assert_int_eq(hv_registry_create(&reg), HV_OK);
    ck_assert_int_eq(hv_registry_load_dir(reg, fixture_dir(name)), HV_OK);
    return reg;
}

/* Assert that `reg` rejected exactly one file, ending in `file`, with `status` and a reason containing `why`. */
static void assert_one_rejection(const hv_registry *reg, const char *file, hv_status status, const char *why) {
    size_t n = 0;
    const hv_plugin_rejection *r = hv_plugin_rejections(reg, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_msg(strstr(r[0].path, file), "rejected path %s does not name %s", r[0].path, file);
    ck_assert_msg(strstr(r[0].reason, why), "reason '%s' does not contain '%s'", r[0].reason, why);
    ck_assert_int_eq(r[0].status, status);
}

START_TEST(good_plugin_loads_and_gets_the_host) {
    hv_registry *reg = load_case("good");
    size_t n_rej = 0;
    hv_plugin_rejections(reg, &n_rej);
    ck_assert_uint_eq(n_rej, 0);
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 1);
    const hv_plugin_info *p = hv_registry_plugin(reg, 0);
    ck_assert_str_eq(p->name, "good");
    ck_assert_str_eq(p->version, "1.2.3");
    ck_assert_uint_eq(p->abi_major, HV_ABI_MAJOR);
    ck_assert_uint_eq(p->n_components, 2);
    ck_assert_ptr_nonnull(strstr(p->path, "/test-plugins/good/hemovk-good.so"));

    const hv_component *echo = hv_registry_find(reg, HV_COMPONENT_STAGE, "test.echo");
    ck_assert_ptr_nonnull(echo);
    ck_assert_ptr_nonnull(echo->schema);
    ck_assert_ptr_eq(echo->plugin, p);
    ck_assert_ptr_nonnull(hv_registry_find(reg, HV_COMPONENT_BACKBONE, "test.backbone"));
    /* names are per kind */
    ck_assert_ptr_null(hv_registry_find(reg, HV_COMPONENT_STAGE, "test.backbone"));
    const hv_component *c = NULL;
    ck_assert_int_eq(hv_registry_lookup(reg, HV_COMPONENT_STAGE, "nope", &c), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "loaded: test.echo"));

    /* create through the host path: defaults filled from the schema, init state and host table passed,
     * another component looked up through the host table */
    hv_stage *stage = NULL;
    ck_assert_int_eq(hv_stage_create(reg, HV_COMPONENT_STAGE, "test.echo", "say", NULL, &stage), HV_OK);
    hv_frame f;
    ck_assert_int_eq(hv_frame_init(&f, 7, "frame 7.png"), HV_OK);
    hv_frame *batch[] = {&f};
    ck_assert_int_eq(hv_stage_process(stage, batch, 1), HV_OK);
    ck_assert_str_eq(hv_frame_get_meta(&f, "echo"), "hello x1");
    ck_assert_str_eq(hv_frame_get_meta(&f, "init_called"), "1");
    char abi[16];
    snprintf(abi, sizeof abi, "%d.%d", HV_ABI_MAJOR, HV_ABI_MINOR);
    ck_assert_str_eq(hv_frame_get_meta(&f, "host_abi"), abi);
    ck_assert_str_eq(hv_frame_get_meta(&f, "backbone_from"), "good");
    ck_assert_int_eq(hv_stage_flush(stage), HV_OK); /* no flush in the vtable: a no-op */
    hv_stage_destroy(stage);
    hv_frame_clear(&f);
    hv_registry_free(reg);
}
END_TEST

START_TEST(stage_params_are_checked_against_the_schema) {
    hv_registry *reg = load_case("good");
    hv_stage *stage = NULL;
    hv_config_node *params = NULL;
    const char *yaml = "greeting: hi\ntimes: 3\n";
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "p.yaml", &params), HV_OK);
    ck_assert_int_eq(hv_stage_create(reg, HV_COMPONENT_STAGE, "test.echo", "say", params, &stage), HV_OK);
    hv_frame f;
    hv_frame_init(&f, 0, NULL);
    hv_frame *batch[] = {&f};
    ck_assert_int_eq(hv_stage_process(stage, batch, 1), HV_OK);
    ck_assert_str_eq(hv_frame_get_meta(&f, "echo"), "hi x3");
    /* a dropped frame never reaches the stage */
    hv_frame g;
    hv_frame_init(&g, 1, NULL);
    hv_frame_drop(&g, "before", "test");
    batch[0] = &g;
    ck_assert_int_eq(hv_stage_process(stage, batch, 1), HV_OK);
    ck_assert_ptr_null(hv_frame_get_meta(&g, "echo"));
    hv_stage_destroy(stage);
    hv_frame_clear(&f);
    hv_frame_clear(&g);
    hv_config_free(params);

    /* out of range: the schema error names the file, line and column and the stage */
    yaml = "greeting: hi\ntimes: 0\n";
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "p.yaml", &params), HV_OK);
    ck_assert_int_eq(hv_stage_create(reg, HV_COMPONENT_STAGE, "test.echo", "say", params, &stage), HV_ERR_SCHEMA);
    ck_assert_ptr_null(stage);
    ck_assert_msg(strstr(hv_last_error(), "p.yaml:2:8") && strstr(hv_last_error(), "stage 'say'"), "%s", hv_last_error());
    hv_config_free(params);

    /* unknown key */
    yaml = "greting: hi\n";
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "p.yaml", &params), HV_OK);
    ck_assert_int_eq(hv_stage_create(reg, HV_COMPONENT_STAGE, "test.echo", "say", params, &stage), HV_ERR_SCHEMA);
    ck_assert_msg(strstr(hv_last_error(), "greting"), "%s", hv_last_error());
    hv_config_free(params);

    /* the component's own create failing: its message, prefixed with the stage */
    yaml = "times: 13\n";
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "p.yaml", &params), HV_OK);
    ck_assert_int_eq(hv_stage_create(reg, HV_COMPONENT_STAGE, "test.echo", "say", params, &stage), HV_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(hv_last_error(), "stage 'say'") && strstr(hv_last_error(), "13 is unlucky"), "%s", hv_last_error());
    hv_config_free(params);

    /* a backbone is not a stage */
    ck_assert_int_eq(hv_stage_create(reg, HV_COMPONENT_BACKBONE, "test.backbone", "b", NULL, &stage), HV_ERR_INVALID_ARGUMENT);
    hv_registry_free(reg);
}
END_TEST

START_TEST(older_minor_v1_0_plugin_loads) {
    hv_registry *reg = load_case("oldminor");
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 1);
    ck_assert_uint_eq(hv_registry_plugin(reg, 0)->abi_minor, 0);
    const hv_component *c = hv_registry_find(reg, HV_COMPONENT_STAGE, "test.old");
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->desc.struct_size, sizeof(hv_component_desc)); /* normalised to the host's size */
    ck_assert_ptr_null(c->schema);
    hv_registry_free(reg);
}
END_TEST

START_TEST(other_major_is_rejected) {
    unsigned warnings = hv_log_warning_count();
    hv_registry *reg = load_case("major");
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 0);
    char why[64];
    snprintf(why, sizeof why, "built for ABI %d.%d, but this hemovk has ABI %d.%d", HV_ABI_MAJOR + 1, HV_ABI_MINOR,
             HV_ABI_MAJOR, HV_ABI_MINOR);
    assert_one_rejection(reg, "hemovk-major.so", HV_ERR_ABI, why);
    ck_assert_uint_eq(hv_log_warning_count(), warnings + 1); /* reported, not silent */
    hv_registry_free(reg);
}
END_TEST

START_TEST(newer_minor_is_rejected) {
    hv_registry *reg = load_case("newminor");
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 0);
    assert_one_rejection(reg, "hemovk-newminor.so", HV_ERR_ABI, "newer than this hemovk's ABI");
    hv_registry_free(reg);
}
END_TEST

START_TEST(too_small_struct_size_is_rejected) {
    hv_registry *reg = load_case("small");
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 0);
    assert_one_rejection(reg, "hemovk-small.so", HV_ERR_ABI, "smaller than the ABI 1.0 descriptor");
    hv_registry_free(reg);
}
END_TEST

START_TEST(missing_entry_symbol_is_rejected) {
    hv_registry *reg = load_case("noentry");
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 0);
    assert_one_rejection(reg, "hemovk-noentry.so", HV_ERR_ABI, "no entry symbol hemovk_plugin_entry");
    hv_registry_free(reg);
}
END_TEST

START_TEST(init_failure_keeps_the_plugins_message) {
    hv_registry *reg = load_case("initfail");
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 0);
    ck_assert_uint_eq(hv_registry_component_count(reg), 0);
    assert_one_rejection(reg, "hemovk-initfail.so", HV_ERR_IO,
                         "init failed (HV_ERR_IO): cannot open model file /nonexistent/fixture.bin");
    hv_registry_free(reg);
}
END_TEST

START_TEST(broken_param_schema_is_rejected) {
    hv_registry *reg = load_case("badschema");
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 0);
    assert_one_rejection(reg, "hemovk-badschema.so", HV_ERR_SCHEMA, "component 'test.badschema' has an invalid param_schema");
    size_t n;
    ck_assert_ptr_nonnull(strstr(hv_plugin_rejections(reg, &n)[0].reason, "minimun"));
    hv_registry_free(reg);
}
END_TEST

START_TEST(duplicate_component_first_wins) {
    hv_registry *reg = load_case("good");
    ck_assert_int_eq(hv_registry_load_dir(reg, fixture_dir("dup")), HV_OK);
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 2); /* dup still loads its other component */
    const hv_component *echo = hv_registry_find(reg, HV_COMPONENT_STAGE, "test.echo");
    ck_assert_str_eq(echo->plugin->name, "good");
    ck_assert_ptr_nonnull(hv_registry_find(reg, HV_COMPONENT_STAGE, "test.dup_only"));
    ck_assert_uint_eq(hv_registry_plugin(reg, 1)->n_components, 1);
    assert_one_rejection(reg, "hemovk-dup.so", HV_ERR_INVALID_ARGUMENT,
                         "component stage 'test.echo' is already provided by plugin 'good'");
    /* loading the same folder again is a no-op, not a duplicate */
    ck_assert_int_eq(hv_registry_load_dir(reg, fixture_dir("good")), HV_OK);
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 2);
    hv_registry_free(reg);
}
END_TEST

START_TEST(second_copy_of_a_plugin_is_shadowed) {
    /* the same plugin under another path (an installed copy beside the build's): the first wins, the
     * copy is listed as ignored without a warning, and nothing of it is used after it is unloaded */
    const char *dir = hvtest_tmpdir("plugins-copy");
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cp '%s/good/hemovk-good.so' '%.4000s/hemovk-good-copy.so'", FIXTURES, dir);
    ck_assert_int_eq(system(cmd), 0);
    hv_registry *reg = load_case("good");
    unsigned warnings = hv_log_warning_count();
    ck_assert_int_eq(hv_registry_load_dir(reg, dir), HV_OK);
    ck_assert_uint_eq(hv_log_warning_count(), warnings);
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 1);
    assert_one_rejection(reg, "hemovk-good-copy.so", HV_OK, "plugin 'good' is already loaded from");
    ck_assert_ptr_nonnull(strstr(hv_plugin_rejections(reg, NULL)[0].reason, "/test-plugins/good/hemovk-good.so"));
    hv_registry_free(reg);
}
END_TEST

/* Every bad case and a text file named like a plugin, in ONE folder with the good plugin. */
static const char *mixed_folder(void) {
    static const char *cases[] = {"good", "oldminor", "major", "newminor", "small", "noentry", "initfail", "badschema"};
    const char *dir = hvtest_tmpdir("plugins-mixed");
    ck_assert_ptr_nonnull(dir);
    static char keep[4096];
    snprintf(keep, sizeof keep, "%s", dir);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char src[8400], dst[4200];
        snprintf(src, sizeof src, "%s/%s/hemovk-%s.so", FIXTURES, cases[i], cases[i]);
        snprintf(dst, sizeof dst, "%.4000s/hemovk-%s.so", keep, cases[i]);
        ck_assert_int_eq(symlink(src, dst), 0);
    }
    char bogus[4200];
    snprintf(bogus, sizeof bogus, "%.4000s/hemovk-bogus.so", keep);
    FILE *f = fopen(bogus, "w");
    ck_assert_ptr_nonnull(f);
    fputs("this is not a shared object\n", f);
    fclose(f);
    snprintf(bogus, sizeof bogus, "%.4000s/notes.txt", keep); /* not hemovk-*.so: ignored */
    f = fopen(bogus, "w");
    fputs("ignored\n", f);
    fclose(f);
    return keep;
}

START_TEST(bad_plugins_beside_a_good_one) {
    const char *dir = mixed_folder();
    hv_registry *reg = NULL;
    ck_assert_int_eq(hv_registry_create(&reg), HV_OK);
    ck_assert_int_eq(hv_registry_load_dir(reg, dir), HV_OK);
    ck_assert_uint_eq(hv_registry_plugin_count(reg), 2);
    ck_assert_ptr_nonnull(hv_registry_find(reg, HV_COMPONENT_STAGE, "test.echo"));
    ck_assert_ptr_nonnull(hv_registry_find(reg, HV_COMPONENT_STAGE, "test.old"));
    size_t n = 0;
    const hv_plugin_rejection *r = hv_plugin_rejections(reg, &n);
    ck_assert_uint_eq(n, 7);
    /* name order: badschema, bogus, initfail, major, newminor, noentry, small */
    static const struct { const char *file, *why; } expect[] = {
        {"hemovk-badschema.so", "invalid param_schema"},
        {"hemovk-bogus.so", "not a loadable shared object"},
        {"hemovk-initfail.so", "cannot open model file"},
        {"hemovk-major.so", "the major version must match"},
        {"hemovk-newminor.so", "newer than this hemovk's ABI"},
        {"hemovk-noentry.so", "no entry symbol hemovk_plugin_entry"},
        {"hemovk-small.so", "smaller than the ABI 1.0 descriptor"},
    };
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(strstr(r[i].path, expect[i].file), "rejection %zu: %s", i, r[i].path);
        ck_assert_msg(strstr(r[i].reason, expect[i].why), "rejection %zu (%s): %s", i, r[i].path, r[i].reason);
    }
    hv_registry_free(reg);
}
END_TEST

/* The SDK's read-only view (hemovk/registry.h, what `hemovk plugins` uses) says what the internal lists
 * hold: plugins, their components (with the index of their plugin and their schema), the rejections in
 * order; an index out of range is an error, never a read past the end. */
START_TEST(sdk_view_matches_the_registry) {
    const char *dir = mixed_folder();
    hv_registry *reg = NULL;
    ck_assert_int_eq(hv_registry_create(&reg), HV_OK);
    ck_assert_int_eq(hv_registry_load_dir(reg, dir), HV_OK);
    size_t np = hv_registry_plugin_count(reg);
    ck_assert_uint_eq(np, 2);
    for (size_t i = 0; i < np; i++) {
        const hv_plugin_info *in = hv_registry_plugin(reg, i);
        hv_plugin_about p;
        ck_assert_int_eq(hv_registry_plugin_about(reg, i, &p), HV_OK);
        ck_assert_str_eq(p.name, in->name);
        ck_assert_str_eq(p.path, in->path);
        ck_assert_str_eq(p.version, in->version);
        ck_assert_uint_eq(p.abi_major, in->abi_major);
        ck_assert_uint_eq(p.n_components, in->n_components);
    }
    hv_plugin_about p;
    ck_assert_int_eq(hv_registry_plugin_about(reg, np, &p), HV_ERR_INVALID_ARGUMENT);
    size_t nc = hv_registry_component_count(reg);
    ck_assert_uint_ge(nc, 2);
    for (size_t i = 0; i < nc; i++) {
        const hv_component *in = hv_registry_component(reg, i);
        hv_component_about c;
        ck_assert_int_eq(hv_registry_component_about(reg, i, &c), HV_OK);
        ck_assert_str_eq(c.name, in->desc.name);
        ck_assert_int_eq((int)c.kind, (int)in->desc.kind);
        ck_assert_ptr_eq(c.schema, in->schema);
        ck_assert_ptr_eq(hv_registry_plugin(reg, c.plugin), in->plugin);
    }
    hv_component_about c;
    ck_assert_int_eq(hv_registry_component_about(reg, nc, &c), HV_ERR_INVALID_ARGUMENT);
    size_t nr = 0;
    const hv_plugin_rejection *r = hv_plugin_rejections(reg, &nr);
    ck_assert_uint_eq(hv_registry_rejection_count(reg), nr);
    for (size_t i = 0; i < nr; i++) {
        const char *path = NULL, *reason = NULL;
        ck_assert_int_eq(hv_registry_rejection_about(reg, i, &path, &reason), HV_OK);
        ck_assert_str_eq(path, r[i].path);
        ck_assert_str_eq(reason, r[i].reason);
    }
    ck_assert_int_eq(hv_registry_rejection_about(reg, nr, NULL, NULL), HV_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(hv_component_kind_name(HV_COMPONENT_WRITER), "writer");
    hv_registry_free(reg);
}
END_TEST

START_TEST(descriptor_rules_for_other_host_versions) {
    hv_plugin_descriptor d, out;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.abi_major = 1;
    /* a host at 1.2 accepts minors 0..2 */
    for (uint16_t minor = 0; minor <= 2; minor++) {
        d.abi_minor = minor;
        ck_assert_int_eq(hv_plugin_check_descriptor(&d, 1, 2, &out), HV_OK);
        ck_assert_uint_eq(out.abi_minor, minor);
    }
    d.abi_minor = 3;
    ck_assert_int_eq(hv_plugin_check_descriptor(&d, 1, 2, &out), HV_ERR_ABI);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "ABI 1.3, newer than this hemovk's ABI 1.2"));
    d.abi_minor = 0;
    ck_assert_int_eq(hv_plugin_check_descriptor(&d, 2, 0, &out), HV_ERR_ABI);
    ck_assert_int_eq(hv_plugin_check_descriptor(NULL, 1, 0, &out), HV_ERR_ABI);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "returned NULL"));
    d.struct_size = 4; /* cannot even hold the version */
    ck_assert_int_eq(hv_plugin_check_descriptor(&d, 1, 0, &out), HV_ERR_ABI);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "too small to hold an ABI version"));

    /* only struct_size bytes are read: a descriptor followed by bytes the host must not copy */
    struct {
        hv_plugin_descriptor d;
        unsigned char tail[64];
    } big;
    memset(&big, 0xAB, sizeof big);
    memcpy(&big.d, &d, sizeof d);
    big.d.struct_size = sizeof big; /* a (hypothetical) larger descriptor of a newer layout, same minor */
    memset(&out, 0x11, sizeof out);
    ck_assert_int_eq(hv_plugin_check_descriptor(&big.d, 1, 0, &out), HV_OK);
    ck_assert_int_eq(memcmp(&out, &big.d, sizeof out), 0);
}
END_TEST

START_TEST(search_path_order) {
    const char *tmp = hvtest_tmpdir("plugins-path");
    char a[4200], b[4200], env[13000];
    snprintf(a, sizeof a, "%.4000s/a", tmp);
    snprintf(b, sizeof b, "%.4000s/b", tmp);
    ck_assert_int_eq(mkdir(a, 0755), 0);
    snprintf(env, sizeof env, "%s::%s:%s/.", a, b, a); /* an empty entry and a duplicate of a */
    setenv("HEMOVK_PLUGIN_PATH", env, 1);
    hv_registry *reg = NULL;
    ck_assert_int_eq(hv_registry_create(&reg), HV_OK);
    ck_assert_uint_eq(hv_registry_search_dir_count(reg), 4);
    ck_assert_ptr_nonnull(strstr(hv_registry_search_dir(reg, 0), "plugins-path"));
    ck_assert_str_eq(hv_registry_search_dir(reg, 0) + strlen(hv_registry_search_dir(reg, 0)) - 2, "/a");
    ck_assert_str_eq(hv_registry_search_dir(reg, 1), b); /* missing: kept by name, skipped when loading */
    ck_assert_ptr_nonnull(strstr(hv_registry_search_dir(reg, 2), "/plugins")); /* this build tree's */
    ck_assert_ptr_nonnull(strstr(hv_registry_search_dir(reg, 3), "hemovk/plugins")); /* the install folder */
    ck_assert_ptr_null(hv_registry_search_dir(reg, 4));
    /* the host table sees the same list */
    const hv_host_api *host = hv_registry_host(reg);
    ck_assert_uint_eq(host->plugin_path_count(host), 4);
    ck_assert_str_eq(host->plugin_path(host, 1), b);
    ck_assert_ptr_null(host->device(host));
    /* loading the search path finds the build's own plugins (the core plugin) */
    ck_assert_int_eq(hv_registry_load_search_path(reg), HV_OK);
    ck_assert_ptr_nonnull(hv_registry_find(reg, HV_COMPONENT_STAGE, "filter.quality"));
    hv_registry_free(reg);
}
END_TEST

/* Run the CLI with a plugin path and return its stdout (malloc'ed) and exit status. */
static char *run_cli(const char *plugin_path, int *status) {
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "HEMOVK_PLUGIN_PATH='%s' HEMOVK_LOG=error '%s' plugins", plugin_path, HEMOVK_CLI);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    for (size_t got; (got = fread(out + len, 1, cap - 1 - len, p)) > 0;) len += got;
    out[len] = '\0';
    *status = pclose(p);
    return out;
}

START_TEST(cli_lists_plugins_components_params_and_rejections) {
    char path[8192];
    snprintf(path, sizeof path, "%s/good:%s/major", FIXTURES, FIXTURES);
    int status = -1;
    char *out = run_cli(path, &status);
    ck_assert_int_eq(status, 0);
    char good[64], major[64];
    snprintf(good, sizeof good, "good 1.2.3 (ABI %d.%d)", HV_ABI_MAJOR, HV_ABI_MINOR);
    snprintf(major, sizeof major, "hemovk-major.so: built for ABI %d.%d", HV_ABI_MAJOR + 1, HV_ABI_MINOR);
    const char *expect[] = {
        good, "stage test.echo", "backbone test.backbone", "greeting", "string, default \"hello\"",
        "times", "integer, default 1, >= 1, <= 100", "core ", "stage filter.quality", "min_luminance",
        "not loaded (1):", major, "search path:",
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        ck_assert_msg(strstr(out, expect[i]), "'%s' missing from:\n%s", expect[i], out);
    free(out);
}
END_TEST

START_TEST(frame_helpers_own_what_they_store) {
    hv_frame f;
    ck_assert_int_eq(hv_frame_init(&f, 3, "img- (3).png"), HV_OK);
    ck_assert_uint_eq(f.struct_size, sizeof f);
    ck_assert_str_eq(f.path, "img- (3).png");
    float probs[2] = {0.25f, 0.75f};
    ck_assert_int_eq(hv_frame_set_class(&f, 1, 0.75f, "bleeding", probs, 2), HV_OK);
    probs[1] = 0; /* copied */
    ck_assert(f.cls.valid && f.cls.probs[1] == 0.75f);
    ck_assert_str_eq(f.cls.label_name, "bleeding");
    for (int i = 0; i < 20; i++) { /* grows past the first allocation */
        hv_detection d;
        memset(&d, 0, sizeof d);
        d.x2 = (float)i;
        d.mask.format = HV_MASK_BITMAP;
        d.mask.width = d.mask.height = 2;
        d.mask.bitmap = calloc(4, 1);
        snprintf(d.model, sizeof d.model, "m%d", i);
        ck_assert_int_eq(hv_frame_add_detection(&f, &d, NULL), HV_OK);
        ck_assert_ptr_null(d.mask.bitmap); /* moved */
    }
    ck_assert_uint_eq(f.n_detections, 20);
    ck_assert_str_eq(f.detections[19].model, "m19");
    ck_assert_int_eq(hv_frame_set_meta(&f, "a", "%d", 1), HV_OK);
    ck_assert_int_eq(hv_frame_set_meta(&f, "a", "%s", "two"), HV_OK);
    char longv[3000];
    memset(longv, 'x', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    ck_assert_int_eq(hv_frame_set_meta(&f, "long", "%s", longv), HV_OK);
    ck_assert_uint_eq(f.n_meta, 2);
    ck_assert_str_eq(hv_frame_get_meta(&f, "a"), "two");
    ck_assert_str_eq(hv_frame_get_meta(&f, "long"), longv);
    hv_frame_drop(&f, "quality", "too dark: %d", 5);
    hv_frame_drop(&f, "other", "second reason");
    ck_assert(f.dropped);
    ck_assert_str_eq(f.drop_reason, "too dark: 5");
    ck_assert_str_eq(f.drop_stage, "quality");
    hv_frame_set_heatmap(&f, 2, 2, calloc(4, sizeof(float)));
    hv_frame_clear(&f);
    ck_assert_ptr_null(f.path);
    ck_assert_uint_eq(f.n_detections, 0);
    ck_assert_uint_eq(f.struct_size, sizeof f);

    ck_assert_int_eq(hv_frame_init(&f, 4, NULL), HV_OK);
    ck_assert_int_eq(hv_frame_fail(&f, "decode", "cannot decode %s", "x.png"), HV_OK);
    ck_assert(f.dropped);
    ck_assert_str_eq(f.error, "cannot decode x.png");
    ck_assert_str_eq(f.drop_reason, "error: cannot decode x.png");
    hv_frame_clear(&f);
}
END_TEST

int main(void) {
    Suite *s = suite_create("plugin_loader");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, good_plugin_loads_and_gets_the_host);
    tcase_add_test(tc, stage_params_are_checked_against_the_schema);
    tcase_add_test(tc, older_minor_v1_0_plugin_loads);
    tcase_add_test(tc, other_major_is_rejected);
    tcase_add_test(tc, newer_minor_is_rejected);
    tcase_add_test(tc, too_small_struct_size_is_rejected);
    tcase_add_test(tc, missing_entry_symbol_is_rejected);
    tcase_add_test(tc, init_failure_keeps_the_plugins_message);
    tcase_add_test(tc, broken_param_schema_is_rejected);
    tcase_add_test(tc, duplicate_component_first_wins);
    tcase_add_test(tc, second_copy_of_a_plugin_is_shadowed);
    tcase_add_test(tc, bad_plugins_beside_a_good_one);
    tcase_add_test(tc, sdk_view_matches_the_registry);
    tcase_add_test(tc, descriptor_rules_for_other_host_versions);
    tcase_add_test(tc, search_path_order);
    tcase_add_test(tc, cli_lists_plugins_components_params_and_rejections);
    tcase_add_test(tc, frame_helpers_own_what_they_store);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
