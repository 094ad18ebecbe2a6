/* SWA at load time: the equal-weight average of N checkpoints (MODEL_SPEC §6.3), with a selectable
 * policy for BatchNorm running statistics. See hemovk/weights.h for the policies and why. */
#include "weights/weights_internal.h"

#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SWA_CHUNK = 4096 };

static const char *policy_name(hv_swa_bn_policy p) {
    switch (p) {
    case HV_SWA_BN_AVERAGE: return "average";
    case HV_SWA_BN_KEEP_LAST: return "keep_last";
    case HV_SWA_BN_RECALIBRATE: return "recalibrate";
    }
    return "?";
}

static void shape_txt(const hv_wtensor *t, char *buf, size_t cap) {
    size_t off = (size_t)snprintf(buf, cap, "%s[", hv_weight_dtype_name(t->dtype));
    for (uint32_t i = 0; i < t->rank && off < cap; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
    if (off < cap) snprintf(buf + off, cap - off, "]");
}

/* Every file must hold exactly file 0's names with the same dtype and shape. */
static hv_status check_same_layout(hv_weights *const *in, size_t n) {
    const hv_weights *a = in[0];
    for (size_t k = 1; k < n; k++) {
        const hv_weights *b = in[k];
        for (size_t i = 0; i < b->count; i++) {
            const hv_wtensor *tb = &b->t[i];
            long j = hv_weights_index(a, tb->name);
            if (j < 0)
                return hv_error(HV_ERR_SCHEMA, "SWA: tensor '%s' is in %s but not in %s (checkpoints of different "
                                "models?)", tb->name, b->source, a->source);
            const hv_wtensor *ta = &a->t[j];
            int same = ta->dtype == tb->dtype && ta->rank == tb->rank;
            for (uint32_t d = 0; same && d < ta->rank; d++) same = ta->dims[d] == tb->dims[d];
            if (!same) {
                char sa[200], sb[200];
                shape_txt(ta, sa, sizeof sa);
                shape_txt(tb, sb, sizeof sb);
                return hv_error(HV_ERR_SCHEMA, "SWA: tensor '%s' is %s in %s but %s in %s (convert all checkpoints "
                                "with the same --dtype)", tb->name, sa, a->source, sb, b->source);
            }
        }
        if (b->count != a->count) { /* b ⊂ a strictly: name one that b lacks */
            for (size_t i = 0; i < a->count; i++)
                if (hv_weights_index(b, a->t[i].name) < 0)
                    return hv_error(HV_ERR_SCHEMA, "SWA: tensor '%s' is in %s but not in %s", a->t[i].name,
                                    a->source, b->source);
        }
    }
    return HV_OK;
}

/* mean over the n inputs of tensor `name`, element-wise, written in `out_dtype` into `dst`. */
static void average_tensor(hv_weights *const *in, size_t n, const char *name, hv_weight_dtype out_dtype,
                           uint8_t *dst, double *acc, float *tmp) {
    const hv_wtensor *t0 = &in[0]->t[hv_weights_index(in[0], name)];
    size_t numel = (size_t)t0->numel;
    size_t in_es = hv_weight_dtype_size(t0->dtype), out_es = hv_weight_dtype_size(out_dtype);
    for (size_t start = 0; start < numel; start += SWA_CHUNK) {
        size_t m = numel - start < SWA_CHUNK ? numel - start : SWA_CHUNK;
        for (size_t e = 0; e < m; e++) acc[e] = 0.0;
        for (size_t k = 0; k < n; k++) {
            const hv_wtensor *t = &in[k]->t[hv_weights_index(in[k], name)];
            hv_weights_convert_to_f32(t->dtype, t->data + start * in_es, m, tmp);
            for (size_t e = 0; e < m; e++) acc[e] += tmp[e];
        }
        for (size_t e = 0; e < m; e++) tmp[e] = (float)(acc[e] / (double)n);
        hv_weights_convert_from_f32(out_dtype, tmp, m, dst + start * out_es);
    }
}

static hv_status remember_bn_stat(hv_weights *w, const char *name) {
    char **list = realloc(w->bn_stats, (w->bn_stat_count + 1) * sizeof *list);
    if (!list) return hv_error(HV_ERR_OUT_OF_MEMORY, "SWA: out of memory");
    w->bn_stats = list;
    if (!(list[w->bn_stat_count] = strdup(name))) return hv_error(HV_ERR_OUT_OF_MEMORY, "SWA: out of memory");
    w->bn_stat_count++;
    return HV_OK;
}

static hv_status build_average(hv_weights *const *in, size_t n, const hv_swa_options *opt, hv_weights *out) {
    const hv_weights *first = in[0], *last = in[n - 1];
    double *acc = malloc(SWA_CHUNK * sizeof *acc);
    float *tmp = malloc(SWA_CHUNK * sizeof *tmp);
    hv_status st = HV_OK;
    if (!acc || !tmp) {
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "SWA: out of memory");
        goto done;
    }
    for (size_t i = 0; i < first->count && !st; i++) {
        const hv_wtensor *t = &first->t[i];
        int bn = hv_weights_is_bn_stat(t->name);
        if (!hv_weight_dtype_is_float(t->dtype) || (bn && opt->bn_policy == HV_SWA_BN_KEEP_LAST)) {
            const hv_wtensor *tl = &last->t[hv_weights_index(last, t->name)];
            st = hv_weights_add(out, t->name, tl->dtype, tl->rank, tl->dims, tl->data);
            continue;
        }
        hv_weight_dtype od = opt->output_f32 ? HV_WDT_F32 : t->dtype;
        if ((st = hv_weights_add(out, t->name, od, t->rank, t->dims, NULL))) break;
        hv_wtensor *o = &out->t[hv_weights_index(out, t->name)];
        average_tensor(in, n, t->name, od, o->owned, acc, tmp);
        if (bn && opt->bn_policy == HV_SWA_BN_RECALIBRATE) st = remember_bn_stat(out, t->name);
    }
    if (!st && opt->bn_policy == HV_SWA_BN_RECALIBRATE) out->needs_bn_recalibration = out->bn_stat_count > 0;
done:
    free(acc);
    free(tmp);
    return st;
}

hv_status hv_weights_swa(const char *const *paths, size_t n, const hv_swa_options *options, hv_weights **out) {
    if (!paths || !out || n == 0)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "SWA: needs at least one checkpoint path");
    *out = NULL;
    hv_swa_options opt = options ? *options : (hv_swa_options){0};
    if (opt.bn_policy != HV_SWA_BN_AVERAGE && opt.bn_policy != HV_SWA_BN_KEEP_LAST &&
        opt.bn_policy != HV_SWA_BN_RECALIBRATE)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "SWA: unknown BatchNorm policy %d", (int)opt.bn_policy);
    for (size_t k = 0; k < n; k++)
        if (!paths[k]) return hv_error(HV_ERR_INVALID_ARGUMENT, "SWA: path %zu is NULL", k);
    if (n == 1) { /* an already-averaged checkpoint: load as is */
        hv_status st = hv_weights_open(paths[0], out);
        return st ? hv_error_context(st, "SWA input 1 of 1") : HV_OK;
    }
    hv_weights **in = calloc(n, sizeof *in);
    if (!in) return hv_error(HV_ERR_OUT_OF_MEMORY, "SWA: out of memory");
    hv_status st = HV_OK;
    for (size_t k = 0; k < n && !st; k++)
        if ((st = hv_weights_open(paths[k], &in[k]))) hv_error_context(st, "SWA input %zu of %zu", k + 1, n);
    if (!st) st = check_same_layout(in, n);
    hv_weights *w = NULL;
    if (!st) {
        char src[512];
        snprintf(src, sizeof src, "swa(%zu files: %s .. %s)", n, paths[0], paths[n - 1]);
        if (!(w = hv_weights_alloc(src))) st = hv_error(HV_ERR_OUT_OF_MEMORY, "SWA: out of memory");
    }
    if (!st) st = build_average(in, n, &opt, w);
    if (!st) {
        char count[32];
        snprintf(count, sizeof count, "%zu", n);
        st = hv_weights_set_metadata(w, "hemovk.swa.count", count);
        if (!st) st = hv_weights_set_metadata(w, "hemovk.swa.bn_policy", policy_name(opt.bn_policy));
    }
    for (size_t k = 0; k < n; k++) hv_weights_free(in[k]);
    free(in);
    if (st) {
        hv_weights_free(w);
        return st;
    }
    *out = w;
    return HV_OK;
}

/* Natural order: runs of digits compare as numbers ("epoch_9" < "epoch_10"), the rest byte-wise. */
static int natural_cmp(const char *a, const char *b) {
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0' && isdigit((unsigned char)a[1])) a++;
            while (*b == '0' && isdigit((unsigned char)b[1])) b++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)a[la])) la++;
            while (isdigit((unsigned char)b[lb])) lb++;
            if (la != lb) return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c) return c;
            a += la;
            b += lb;
        } else {
            if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int natural_qsort_cmp(const void *a, const void *b) {
    return natural_cmp(*(const char *const *)a, *(const char *const *)b);
}

hv_status hv_weights_swa_glob(const char *pattern, const hv_swa_options *options, hv_weights **out) {
    if (!pattern || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "SWA: NULL pattern");
    glob_t g;
    int rc = glob(pattern, GLOB_ERR | GLOB_NOSORT, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        globfree(&g);
        return hv_error(HV_ERR_NOT_FOUND, "SWA: no checkpoint matches '%s'", pattern);
    }
    if (rc != 0) {
        globfree(&g);
        return hv_error(rc == GLOB_NOSPACE ? HV_ERR_OUT_OF_MEMORY : HV_ERR_IO, "SWA: cannot expand '%s' (%s)",
                        pattern, rc == GLOB_NOSPACE ? "out of memory" : "read error");
    }
    qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, natural_qsort_cmp);
    hv_status st = hv_weights_swa((const char *const *)g.gl_pathv, g.gl_pathc, options, out);
    globfree(&g);
    return st;
}
