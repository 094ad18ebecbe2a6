/* The event grouping of writer.events, compiled into this plugin as well: the report marks exactly the
 * events that writer.events writes (same function, same parameters, same defaults). A plugin may call only
 * the SDK across shared objects, so the pure C file is built here a second time rather than exported. */
#include "../events/events_group.c"
