/* The output-folder lock (out_lock.h). */
#include "pipeline/out_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define LOCK_NAME ".hemovk.lock"

hv_status pl_lock_acquire(const char *dir, int *fd) {
    *fd = -1;
    char path[4200];
    int n = snprintf(path, sizeof path, "%s/%s", dir, LOCK_NAME);
    if (n < 0 || (size_t)n >= sizeof path) return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: output path too long", dir);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (f < 0) return hv_error(HV_ERR_OUTPUT, "cannot create the lock file %s: %s", path, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char who[512] = "";
        ssize_t r = pread(f, who, sizeof who - 1, 0);
        close(f);
        if (e != EWOULDBLOCK) return hv_error(HV_ERR_OUTPUT, "cannot lock %s: %s", path, strerror(e));
        who[r > 0 ? r : 0] = '\0';
        who[strcspn(who, "\n")] = '\0';
        return hv_error(HV_ERR_BUSY,
                        "output folder %s is in use by another hemovk run (%s): wait for it to finish, or write to "
                        "another --output folder",
                        dir, who[0] ? who : "holder unknown");
    }
    char host[256] = "?";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    char when[64] = "?";
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm)) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %z", &tm);
    char text[512];
    int len = snprintf(text, sizeof text, "pid %ld on host %s, started %s\n", (long)getpid(), host, when);
    /* Who holds it is information for the next run's message; failing to write it is not fatal. */
    if (ftruncate(f, 0) == 0 && len > 0 && pwrite(f, text, (size_t)len, 0) < 0) (void)0;
    *fd = f;
    return HV_OK;
}

void pl_lock_release(int fd) {
    if (fd >= 0) close(fd); /* closing drops the flock */
}
