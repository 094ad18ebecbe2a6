/* hemovk plugins — what this hemovk can run: every loaded plugin (name, version, ABI, file), its
 * components and their parameters (from each component's parameter schema), the plugins that were
 * rejected and why, and the folders searched. */
#include "commands.h"

#include "hemovk/config.h"
#include "hemovk/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Print `node` as compact JSON (a value from the schema: default, enum, bound). */
static void print_json(const hv_config_node *node) {
    char *json = NULL;
    if (hv_config_to_json(node, &json) == HV_OK) {
        fputs(json, stdout);
        free(json);
    } else {
        fputs("?", stdout);
    }
}

static void print_type(const hv_config_node *type) {
    if (!type) {
        fputs("any", stdout);
    } else if (hv_config_kind_of(type) == HV_CONFIG_SEQ) {
        for (size_t i = 0; i < hv_config_size(type); i++) {
            const char *t = hv_config_text(hv_config_item(type, i));
            printf("%s%s", i ? "|" : "", t ? t : "?");
        }
    } else {
        const char *t = hv_config_text(type);
        fputs(t ? t : "?", stdout);
    }
}

static int is_required(const hv_config_node *schema, const char *key) {
    const hv_config_node *req = hv_config_get(schema, "required");
    for (size_t i = 0; req && i < hv_config_size(req); i++) {
        const char *t = hv_config_text(hv_config_item(req, i));
        if (t && !strcmp(t, key)) return 1;
    }
    return 0;
}

/* One line per property: name, type, required/default, allowed values or range; then its description. */
static void print_params(const hv_config_node *schema) {
    const hv_config_node *props = schema ? hv_config_get(schema, "properties") : NULL;
    if (!props || hv_config_size(props) == 0) {
        printf("      (no parameters)\n");
        return;
    }
    static const struct { const char *key, *label; } k_bounds[] = {
        {"minimum", ">="}, {"exclusiveMinimum", ">"}, {"maximum", "<="}, {"exclusiveMaximum", "<"},
        {"minItems", "items >="}, {"maxItems", "items <="}, {"minLength", "length >="}, {"maxLength", "length <="},
    };
    for (size_t i = 0; i < hv_config_size(props); i++) {
        const char *key = hv_config_key_at(props, i);
        const hv_config_node *p = hv_config_value_at(props, i);
        printf("      %-22s ", key);
        if (hv_config_get(p, "$ref")) {
            printf("see %s", hv_config_text(hv_config_get(p, "$ref")));
        } else {
            print_type(hv_config_get(p, "type"));
        }
        if (is_required(schema, key)) fputs(", required", stdout);
        const hv_config_node *v;
        if ((v = hv_config_get(p, "default"))) {
            fputs(", default ", stdout);
            print_json(v);
        }
        if ((v = hv_config_get(p, "enum"))) {
            fputs(", one of ", stdout);
            print_json(v);
        }
        if ((v = hv_config_get(p, "const"))) {
            fputs(", always ", stdout);
            print_json(v);
        }
        for (size_t b = 0; b < sizeof k_bounds / sizeof k_bounds[0]; b++) {
            if ((v = hv_config_get(p, k_bounds[b].key))) {
                printf(", %s ", k_bounds[b].label);
                print_json(v);
            }
        }
        putchar('\n');
        const char *desc = hv_config_text(hv_config_get(p, "description"));
        if (desc && *desc) printf("      %-22s   %s\n", "", desc);
    }
}

static void print_plugin(const hv_registry *reg, size_t index) {
    hv_plugin_about p;
    if (hv_registry_plugin_about(reg, index, &p)) return;
    printf("%s %s (ABI %u.%u)  %s\n", p.name, p.version, p.abi_major, p.abi_minor, p.path);
    if (*p.description) printf("  %s\n", p.description);
    for (size_t i = 0; i < hv_registry_component_count(reg); i++) {
        hv_component_about c;
        if (hv_registry_component_about(reg, i, &c) || c.plugin != index) continue;
        printf("  %s %s", hv_component_kind_name(c.kind), c.name);
        if (*c.description) printf(" — %s", c.description);
        putchar('\n');
        printf("    params:\n");
        print_params(c.schema);
    }
}

int hv_cmd_plugins(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: hemovk plugins\n\n"
                   "Lists the plugins found on the search path (HEMOVK_PLUGIN_PATH, then the build or install\n"
                   "folder), their components and parameters, and the plugin files that were rejected and why.\n");
            return HV_EXIT_OK;
        }
        fprintf(stderr, "hemovk plugins: unknown argument '%s' (try hemovk plugins --help)\n", argv[i]);
        return HV_EXIT_USAGE;
    }
    hv_registry *reg = NULL;
    hv_status st = hv_registry_create(&reg);
    if (!st) st = hv_registry_load_search_path(reg);
    if (st) {
        hv_registry_free(reg);
        return hv_cli_fail(st);
    }
    size_t n = hv_registry_plugin_count(reg);
    printf("plugins (%zu):\n", n);
    for (size_t i = 0; i < n; i++) {
        if (i) putchar('\n');
        print_plugin(reg, i);
    }
    size_t n_rej = hv_registry_rejection_count(reg);
    if (n_rej) {
        printf("\nnot loaded (%zu):\n", n_rej);
        for (size_t i = 0; i < n_rej; i++) {
            const char *path = "?", *reason = "?";
            hv_registry_rejection_about(reg, i, &path, &reason);
            printf("  %s: %s\n", path, reason);
        }
    }
    printf("\nsearch path:\n");
    for (size_t i = 0; i < hv_registry_search_dir_count(reg); i++) printf("  %s\n", hv_registry_search_dir(reg, i));
    fflush(stdout);
    hv_registry_free(reg);
    return HV_EXIT_OK;
}
