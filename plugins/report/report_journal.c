/* The exam frame journal and records of writer.events, compiled into this plugin as well (see
 * exam_journal.h): the report keeps, resumes and reads frames by exactly the rules writer.events does. */
#include "../events/exam_journal.c"
