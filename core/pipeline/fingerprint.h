/* The run fingerprint: what must be the same for `--resume` to continue a run rather than mix two
 * different ones into one set of results — the pipeline after defaults (its config tree serialised
 * canonically, one "path = value" line per scalar, mapping keys sorted), the sha256 of every weight
 * file the stages opened, and the hemovk version. Stored as OUT/.hemovk-run.json. */
#ifndef HEMOVK_PIPELINE_FINGERPRINT_H
#define HEMOVK_PIPELINE_FINGERPRINT_H

#include "pipeline/pipeline_internal.h"

/* Fresh run: write the fingerprint into `out_dir`. Resume: compare it with the one stored there and
 * refuse (HV_ERR_INVALID_ARGUMENT) with a message listing what changed; a folder from a run without a
 * fingerprint is resumed with a warning; then write the current one. */
hv_status pl_fingerprint_apply(hv_pipeline *p, const char *out_dir, int resume);

/* The canonical lines of a config tree, each "path = value\n" (malloc'ed; free()). */
char *pl_config_canonical(const hv_config_node *root);

#endif
