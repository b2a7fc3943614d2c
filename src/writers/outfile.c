/* The files of one `qpsim run -o DIR`: temporary files in DIR, renamed into place all at once,
 * and the manifest that lets the next run remove the files of this one. */
#define _GNU_SOURCE /* fopencookie: a stream whose write and close failures we see */
#include "writers/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *tmp, *final; /* DIR/.NAME.PID.K.tmp and DIR/NAME */
    int fd;            /* the temporary file while it is written, else -1 */
    FILE *stream;      /* qp_outdir_stream's, until its fclose */
    int err;           /* errno of the stream's first failed write */
    int renamed;
    qp_outdir *owner;
} entry;

struct qp_outdir {
    const char *dir;
    entry **e; /* pointers: a stream's cookie must not move when the array grows */
    size_t n, cap;
    unsigned serial;
    int failed;
    char *err;
    char *warn; /* the first stale file that could not be removed */
};

/* The list of the files a run wrote into DIR: the next run into DIR removes those of them it
 * does not write again (and nothing else), so runs never mix. */
#define MANIFEST ".qpsim-manifest"
#define MANIFEST_HEAD "# qpsim: the files the last `qpsim run -o` wrote into this folder; " \
                      "the next run here removes those it does not write again\n"

/* Keeps the first failure: "cannot write 'PATH': WHY". */
static void fail(qp_outdir *o, const char *path, const char *why)
{
    if (o->failed) {
        return;
    }
    o->failed = 1;
    size_t n = strlen(path) + strlen(why) + 32;
    o->err = malloc(n);
    if (o->err) {
        snprintf(o->err, n, "cannot write '%s': %s", path, why);
    }
}

static int write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return w < 0 ? errno : EIO;
        }
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Syncs and closes the temporary file: its data must be on disk before the rename makes it the
 * file the user sees. 0 or an errno. */
static int finish(entry *e)
{
    int r = fsync(e->fd) != 0 && errno != EINVAL ? errno : 0; /* EINVAL: a file system without sync */
    if (close(e->fd) != 0 && r == 0 && errno != EINTR) {
        r = errno;
    }
    e->fd = -1;
    return r;
}

qp_outdir *qp_outdir_open(const char *dir)
{
    qp_outdir *o = calloc(1, sizeof *o);
    if (o) {
        o->dir = dir;
    }
    return o;
}

/* A new entry with its temporary file open, or NULL with the failure recorded. */
static entry *add(qp_outdir *o, const char *name)
{
    if (o->failed) {
        return NULL;
    }
    size_t len = strlen(o->dir) + strlen(name) + 64;
    entry *e = calloc(1, sizeof *e);
    if (e) {
        e->fd = -1;
        e->owner = o;
        e->final = malloc(len);
        e->tmp = malloc(len);
    }
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 16;
        entry **grown = realloc(o->e, cap * sizeof *grown);
        if (grown) {
            o->e = grown;
            o->cap = cap;
        }
    }
    if (!e || !e->final || !e->tmp || o->n == o->cap) {
        if (e) {
            free(e->final);
            free(e->tmp);
        }
        free(e);
        fail(o, name, "out of memory");
        return NULL;
    }
    o->e[o->n++] = e;
    snprintf(e->final, len, "%s/%s", o->dir, name);
    /* O_EXCL refuses any existing name, a planted symlink included: another name is tried */
    for (int tries = 0; tries < 100; tries++) {
        snprintf(e->tmp, len, "%s/.%s.%ld.%u.tmp", o->dir, name, (long)getpid(), o->serial++);
        e->fd = open(e->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (e->fd >= 0 || errno != EEXIST) {
            break;
        }
    }
    if (e->fd < 0) {
        int en = errno;
        e->renamed = 1; /* nothing to remove */
        fail(o, e->final, strerror(en));
        return NULL;
    }
    return e;
}

int qp_outdir_text(qp_outdir *o, const char *name, const char *text)
{
    entry *e = add(o, name);
    if (!e) {
        return -1;
    }
    int r = write_all(e->fd, text, strlen(text));
    int r2 = finish(e);
    if (r || r2) {
        fail(o, e->final, strerror(r ? r : r2));
        return -1;
    }
    return 0;
}

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
    entry *e = cookie;
    if (e->err == 0) {
        e->err = write_all(e->fd, buf, n);
    }
    return e->err ? 0 : (ssize_t)n; /* 0: a failed write, as fopencookie wants */
}

static int sink_close(void *cookie)
{
    entry *e = cookie;
    int r = finish(e);
    e->stream = NULL;
    if (e->err || r) {
        fail(e->owner, e->final, strerror(e->err ? e->err : r));
        return -1;
    }
    return 0;
}

FILE *qp_outdir_stream(qp_outdir *o, const char *name)
{
    entry *e = add(o, name);
    if (!e) {
        return NULL;
    }
    cookie_io_functions_t io = {NULL, sink_write, NULL, sink_close};
    e->stream = fopencookie(e, "w", io);
    if (!e->stream) {
        finish(e);
        fail(o, e->final, "out of memory");
    }
    return e->stream;
}

/* The name of entry e inside DIR. */
static const char *base(const qp_outdir *o, const entry *e)
{
    return e->final + strlen(o->dir) + 1;
}

/* Whether name is one a manifest may list: a plain file name of this folder, not hidden (the
 * manifest and the temporary files are), so a forged manifest reaches nothing else. */
static int plain_name(const char *name)
{
    return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL && strlen(name) < 256;
}

/* DIR/MANIFEST of the previous run, or NULL (none, or unreadable: nothing is removed). */
static char *read_manifest(const qp_outdir *o)
{
    size_t len = strlen(o->dir) + sizeof MANIFEST + 1;
    char *path = malloc(len);
    if (!path) {
        return NULL;
    }
    snprintf(path, len, "%s/%s", o->dir, MANIFEST);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    free(path);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > (1 << 20)) {
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    char *text = malloc((size_t)sb.st_size + 1);
    ssize_t got = text ? read(fd, text, (size_t)sb.st_size) : -1;
    close(fd);
    size_t head = sizeof MANIFEST_HEAD - 1;
    if (got < (ssize_t)head || memcmp(text, MANIFEST_HEAD, head) != 0) {
        free(text);
        return NULL; /* not ours: its names are not trusted */
    }
    text[got] = '\0';
    return text;
}

/* The new manifest, as one more file of the set: its head, then every name of the set. */
static int write_manifest(qp_outdir *o)
{
    size_t len = sizeof MANIFEST_HEAD;
    for (size_t i = 0; i < o->n; i++) {
        len += strlen(base(o, o->e[i])) + 1;
    }
    char *text = malloc(len);
    if (!text) {
        fail(o, MANIFEST, "out of memory");
        return -1;
    }
    size_t at = (size_t)snprintf(text, len, "%s", MANIFEST_HEAD);
    size_t n = o->n;
    for (size_t i = 0; i < n; i++) {
        at += (size_t)snprintf(text + at, len - at, "%s\n", base(o, o->e[i]));
    }
    int rc = qp_outdir_text(o, MANIFEST, text);
    free(text);
    return rc;
}

/* After the renames: removes every file the previous manifest lists that this run did not write
 * (regular files only: anything else at that name was not written by qpsim). A failure is kept
 * as a warning: the new files are in place. */
static void remove_stale(qp_outdir *o, char *old)
{
    char *save = NULL;
    strtok_r(old, "\n", &save); /* the head */
    for (char *name = strtok_r(NULL, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
        int again = 0;
        for (size_t i = 0; i < o->n && !again; i++) {
            again = strcmp(base(o, o->e[i]), name) == 0;
        }
        if (again || !plain_name(name)) {
            continue;
        }
        size_t len = strlen(o->dir) + strlen(name) + 2;
        char *path = malloc(len);
        struct stat sb;
        if (path) {
            snprintf(path, len, "%s/%s", o->dir, name);
        }
        if (path && lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && unlink(path) != 0 &&
            !o->warn) {
            int en = errno;
            size_t n = len + 128;
            o->warn = malloc(n);
            if (o->warn) {
                snprintf(o->warn, n, "cannot remove '%s' of the previous run: %s", path,
                         strerror(en));
            }
        }
        free(path);
    }
}

int qp_outdir_commit(qp_outdir *o)
{
    char *old = o->failed ? NULL : read_manifest(o);
    if (!o->failed && write_manifest(o) != 0) {
        free(old);
        return -1;
    }
    for (size_t i = 0; i < o->n && !o->failed; i++) {
        struct stat sb;
        if (o->e[i]->stream) {
            fail(o, o->e[i]->final, "the file was not finished");
        } else if (lstat(o->e[i]->final, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            fail(o, o->e[i]->final, "it is a directory");
        }
    }
    for (size_t i = 0; i < o->n && !o->failed; i++) {
        entry *e = o->e[i];
        if (rename(e->tmp, e->final) != 0) {
            fail(o, e->final, strerror(errno));
        } else {
            e->renamed = 1;
        }
    }
    if (o->failed) {
        free(old);
        return -1;
    }
    if (old) {
        remove_stale(o, old);
        free(old);
    }
    /* the renames themselves to disk (best effort: not every file system syncs a folder) */
    int fd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    return 0;
}

const char *qp_outdir_error(const qp_outdir *o)
{
    return o->err;
}

const char *qp_outdir_warning(const qp_outdir *o)
{
    return o->warn;
}

void qp_outdir_free(qp_outdir *o)
{
    if (!o) {
        return;
    }
    for (size_t i = 0; i < o->n; i++) {
        entry *e = o->e[i];
        if (e->stream) {
            fclose(e->stream); /* closes the file through sink_close */
        } else if (e->fd >= 0) {
            close(e->fd);
        }
        if (!e->renamed) {
            unlink(e->tmp);
        }
        free(e->tmp);
        free(e->final);
        free(e);
    }
    free(o->e);
    free(o->err);
    free(o->warn);
    free(o);
}
