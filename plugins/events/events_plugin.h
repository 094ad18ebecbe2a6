/* The "events" plugin (hemovk-events.so): writer.events, which groups the frames of an exam into
 * bleeding events (events_group.h holds the algorithm) and writes <path>.json and <path>.csv at the end
 * of the run. */
#ifndef HEMOVK_EVENTS_PLUGIN_H
#define HEMOVK_EVENTS_PLUGIN_H

#include "hemovk/plugin.h"

extern const hv_stage_vtable ev_writer_vtable;
extern const char ev_writer_schema[];

#endif
