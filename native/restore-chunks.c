/*
 * gas's native restore (N-API; native-addon.ts and native-restore.ts drive it).
 *
 * restoreChunks(outFd, entries, locs, status, from, to, outOffset, spanBytes, stop): on the libuv
 * pool, writes chunks [from, to) of a manifest (entries: id [32] | length u32 BE each) into outFd
 * from their packs (locs: [fd, entry offset, crc32] each; fd < 0 not there): pack spans read with one
 * read into a reused buffer (from the page cache where it holds them, else with O_DIRECT: read_span);
 * each entry's header checked (a raw chunk, the manifest's length and
 * id) and its crc32 against the index's (the bytes were hashed to their id when stored; the crc32
 * says they did not change since); the chunks written with one pwritev per run, headers skipped.
 * status: 0 written; 1 left (not placed, stored compressed); 2 left, did not check out (the caller
 * reads it through the store, which names the damage or finds a good copy). stop[0] != 0: another
 * part failed, this one ends (ECANCELED).
 *
 * why hand-written: the same loop in JavaScript cost ~0.4 CPU s per GiB around the copy (lookups,
 * headers, a crc32 call and a batch per 64 KiB chunk), and copy_file_range per chunk 0.45 CPU s
 * per GiB where pread of large spans and pwritev cost 0.28.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#define ENTRY_HEADER 42
#define MAX_IOVS 256
#define DIRECT_ALIGN 4096
/* the packs of one job read with O_DIRECT: a few (a restore reads from one pack or a handful) */
#define MAX_DIRECT 8

uint32_t gas_crc32 (const unsigned char *p, size_t n);
void gas_crc32_init (void);
int gas_crc32_level (void);

/* why kept: fresh memory costs a page fault per 4 KiB (on this VM more); a few span buffers are reused */
#define MAX_SPARES 4
static uv_mutex_t spares_lock;
static struct { unsigned char *bytes; size_t size; } spares[MAX_SPARES];

/*
 * why a lock around one file's writes: the filesystem takes the file's lock for each write anyway,
 * and a thread waiting there spins (a quarter of the CPU time with two parts at once); here it
 * sleeps. Files share these locks by descriptor: two on one lock only take turns.
 */
#define WRITE_LOCKS 16
static uv_mutex_t write_locks[WRITE_LOCKS];

static unsigned char *take_buffer (size_t size, size_t *got) {
  unsigned char *b = NULL;
  *got = size;
  uv_mutex_lock(&spares_lock);
  for (int i = 0; i < MAX_SPARES && b == NULL; i++) {
    if (spares[i].bytes != NULL && spares[i].size >= size) {
      b = spares[i].bytes;
      *got = spares[i].size;
      spares[i].bytes = NULL;
    }
  }
  uv_mutex_unlock(&spares_lock);
  if (b != NULL) return b;
  /* aligned and a block longer at each end: a span read with O_DIRECT starts and ends on block boundaries (read_span) */
  void *fresh = NULL;
  return posix_memalign(&fresh, DIRECT_ALIGN, size + 2 * DIRECT_ALIGN) == 0 ? fresh : NULL;
}

static void give_buffer (unsigned char *bytes, size_t size) {
  uv_mutex_lock(&spares_lock);
  for (int i = 0; i < MAX_SPARES && bytes != NULL; i++) {
    if (spares[i].bytes == NULL) {
      spares[i].bytes = bytes;
      spares[i].size = size;
      bytes = NULL;
    }
  }
  uv_mutex_unlock(&spares_lock);
  free(bytes);
}

static uint32_t be32 (const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/*
 * why 64 KiB per write call, not a run's megabyte: the page cache gives a write folios sized after
 * it (ext4's large folios, Linux 6.16+), and a VM whose free memory goes back to its host (virtio
 * free page reporting: blocks of 2 MiB and more) pays a host fault on every page of the large free
 * blocks those come from, where 64 KiB folios come from memory freed lately. Measured here (1 GiB
 * into a new file): 1 MiB writes 1.4-4 s of system time, 64 KiB 0.36-2 s, as `cp` (copy_file_range
 * moves 64 KiB at a time); the calls cost ~16 000 per GiB, a few milliseconds.
 */
#define WRITE_PIECE (64 * 1024)

static int write_all (int fd, struct iovec *iov, int count, int64_t at) {
  int error = 0;
  uv_mutex_lock(&write_locks[fd % WRITE_LOCKS]);
  struct iovec piece[MAX_IOVS];
  while (count > 0) {
    /* at most WRITE_PIECE bytes per call (see there): the first iovecs, the last one cut */
    int used = 0;
    size_t room = WRITE_PIECE;
    for (; used < count && room > 0; used++) {
      piece[used] = iov[used];
      if (piece[used].iov_len > room) piece[used].iov_len = room;
      room -= piece[used].iov_len;
    }
    ssize_t n = pwritev(fd, piece, used, at);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    at += n;
    /* a short write goes on from where it stopped */
    for (; count > 0 && (size_t)n >= iov->iov_len; iov++, count--) n -= (ssize_t)iov->iov_len;
    if (count > 0) {
      iov->iov_base = (char *)iov->iov_base + n;
      iov->iov_len -= (size_t)n;
    }
  }
  uv_mutex_unlock(&write_locks[fd % WRITE_LOCKS]);
  return error;
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[4];
  int out_fd;
  const unsigned char *entries;
  const double *locs;
  unsigned char *status;
  volatile int32_t *stop;
  size_t from, to, span_bytes;
  int64_t out_offset, written;
  int error;
} Job;

#define LENGTH(job, i) ((size_t)be32((job)->entries + (i) * 36 + 32))

/*
 * The job's packs as read so far: each one's descriptor opened again with O_DIRECT (through
 * /proc/self/fd, so the caller still hands in one descriptor per pack; -1 where the file system
 * refuses it, as tmpfs does: then the page cache is read, as before; -2 not opened yet), and
 * whether a span of it was found not cached.
 */
typedef struct { int fd[MAX_DIRECT], direct[MAX_DIRECT], cold[MAX_DIRECT], count; } DirectFds;

/* the slot of fd, made on first sight; -1 when the table is full (that pack is read through the page cache) */
static int slot_of (DirectFds *d, int fd) {
  for (int i = 0; i < d->count; i++) if (d->fd[i] == fd) return i;
  if (d->count == MAX_DIRECT) return -1;
  d->fd[d->count] = fd;
  d->direct[d->count] = -2;
  d->cold[d->count] = 0;
  return d->count++;
}

static int direct_fd (DirectFds *d, int slot) {
  if (d->direct[slot] == -2) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", d->fd[slot]);
    d->direct[slot] = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
  }
  return d->direct[slot];
}

static void close_direct (DirectFds *d) {
  for (int i = 0; i < d->count; i++) if (d->direct[i] >= 0) close(d->direct[i]);
  d->count = 0;
}

/* reads [start, start + length) of fd into buffer at `into`, until the end of the file; returns the bytes read or -errno */
static ssize_t read_at (int fd, unsigned char *into, size_t length, int64_t start) {
  size_t filled = 0;
  while (filled < length) {
    ssize_t n = pread(fd, into + filled, length - filled, start + (int64_t)filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) break;
    filled += (size_t)n;
  }
  return (ssize_t)filled;
}

/*
 * One span of a pack into `buffer` (aligned, DIRECT_ALIGN longer at each end than the span):
 * from the page cache when it holds all of it (preadv2 RWF_NOWAIT, which never waits for the
 * disk), else with O_DIRECT, whole blocks around the span. Sets *base to where the span's first
 * byte landed; returns its bytes read (short at the end of the file) or -errno.
 *
 * why: a restore reads each byte of a pack once, and a pack written by a sync or `gas add` is
 * written with O_DIRECT, so it is rarely cached: read through the page cache, 1 GiB of pages
 * was filled and copied out for nothing (on this VM, into fresh memory: the copy out of those
 * pages, _copy_to_iter, was 58 % of the restore's samples in perf). The serve reads uncached pack windows the same way (read-ahead.ts).
 */
static ssize_t read_span (DirectFds *d, int fd, unsigned char *buffer, int64_t start, size_t length, const unsigned char **base) {
  *base = buffer + DIRECT_ALIGN;
  int slot = slot_of(d, fd);
  if (slot < 0) return read_at(fd, buffer + DIRECT_ALIGN, length, start);
  if (!d->cold[slot]) {
    /*
     * why a block first: a RWF_NOWAIT read that misses still starts the kernel's read-ahead into
     * the page cache, sized after the read (a 1 MiB miss pulled in 8 MiB), the cost this avoids;
     * a block's miss starts a few blocks' worth. Once missed, the pack is not asked again.
     */
    size_t probe = length < DIRECT_ALIGN ? length : DIRECT_ALIGN;
    struct iovec first = { buffer + DIRECT_ALIGN, probe }, rest = { buffer + DIRECT_ALIGN + probe, length - probe };
    ssize_t n, m = 0;
    do n = preadv2(fd, &first, 1, start, RWF_NOWAIT); while (n < 0 && errno == EINTR);
    if (n == (ssize_t)probe && rest.iov_len > 0) {
      do m = preadv2(fd, &rest, 1, start + (int64_t)probe, RWF_NOWAIT); while (m < 0 && errno == EINTR);
    }
    if (n == (ssize_t)probe && (rest.iov_len == 0 || m == (ssize_t)rest.iov_len)) return (ssize_t)length;
    d->cold[slot] = 1;
  }
  int direct = direct_fd(d, slot);
  if (direct >= 0) {
    int64_t aligned = start & ~(int64_t)(DIRECT_ALIGN - 1);
    size_t pad = (size_t)(start - aligned);
    size_t whole = (pad + length + DIRECT_ALIGN - 1) & ~(size_t)(DIRECT_ALIGN - 1);
    ssize_t n = read_at(direct, buffer, whole, aligned);
    if (n != -EINVAL) {
      *base = buffer + pad;
      if (n < 0) return n;
      return (size_t)n <= pad ? 0 : (ssize_t)((size_t)n - pad < length ? (size_t)n - pad : length);
    }
    /* refused after all (an odd file system): the page cache from now on */
    close(direct);
    d->direct[slot] = -1;
  }
  return read_at(fd, buffer + DIRECT_ALIGN, length, start);
}

static void restore_execute (napi_env env, void *data) {
  (void)env;
  Job *job = data;
  size_t capacity = job->span_bytes, got;
  for (size_t i = job->from; i < job->to; i++) if (LENGTH(job, i) + ENTRY_HEADER > capacity) capacity = LENGTH(job, i) + ENTRY_HEADER;
  unsigned char *buffer = take_buffer(capacity, &got);
  if (buffer == NULL) {
    job->error = ENOMEM;
    return;
  }
  struct iovec iov[MAX_IOVS];
  DirectFds direct = { .count = 0 };
  int64_t at = job->out_offset;
  size_t i = job->from;
  while (i < job->to && job->error == 0) {
    if (*job->stop != 0) {
      job->error = ECANCELED;
      break;
    }
    const double *loc = job->locs + 3 * i;
    if (loc[0] < 0) {
      at += (int64_t)LENGTH(job, i);
      job->status[i++] = 1;
      continue;
    }
    /* a span: entries of one pack, each after the last, within the buffer */
    int fd = (int)loc[0];
    int64_t start = (int64_t)loc[1], end = start + ENTRY_HEADER + (int64_t)LENGTH(job, i);
    size_t last = i + 1;
    for (; last < job->to; last++) {
      const double *next = job->locs + 3 * last;
      int64_t next_end = (int64_t)next[1] + ENTRY_HEADER + (int64_t)LENGTH(job, last);
      if (next[0] < 0 || (int)next[0] != fd || (int64_t)next[1] < end || next_end - start > (int64_t)capacity) break;
      end = next_end;
    }
    const unsigned char *base;
    ssize_t read = read_span(&direct, fd, buffer, start, (size_t)(end - start), &base);
    if (read < 0) job->error = (int)-read;
    /* short: the pack ends early; its entries are left to the caller, which names the damage */
    size_t filled = read < 0 ? 0 : (size_t)read;
    int count = 0;
    int64_t run_at = at;
    for (; i < last && job->error == 0; i++) {
      const unsigned char *entry = job->entries + i * 36;
      size_t length = LENGTH(job, i);
      size_t offset = (size_t)((int64_t)job->locs[3 * i + 1] - start);
      const unsigned char *h = base + offset;
      unsigned char outcome = 0;
      if (offset + ENTRY_HEADER + length > filled) outcome = 2;
      else if (h[1] != 0) outcome = h[1] == 1 ? 1 : 2; /* stored compressed: the caller decodes it */
      else if (h[0] != 0 /* chunk */ || be32(h + 2) != length || be32(h + 6) != length || memcmp(h + 10, entry, 32) != 0) outcome = 2;
      else if (gas_crc32(h, ENTRY_HEADER + length) != (uint32_t)job->locs[3 * i + 2]) outcome = 2;
      job->status[i] = outcome;
      if ((outcome != 0 || count == MAX_IOVS) && count > 0) {
        job->error = write_all(job->out_fd, iov, count, run_at);
        count = 0;
      }
      if (outcome == 0) {
        if (count == 0) run_at = at;
        iov[count].iov_base = (void *)(h + ENTRY_HEADER);
        iov[count++].iov_len = length;
        job->written += (int64_t)length;
      }
      at += (int64_t)length;
    }
    if (job->error == 0 && count > 0) job->error = write_all(job->out_fd, iov, count, run_at);
  }
  close_direct(&direct);
  give_buffer(buffer, got);
}

static void restore_complete (napi_env env, napi_status status, void *data) {
  Job *job = data;
  napi_value result, code, message;
  if (status == napi_ok && job->error == 0) {
    napi_create_double(env, (double)job->written, &result);
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    int e = job->error != 0 ? job->error : ECANCELED;
    napi_create_string_utf8(env, uv_err_name(-e), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(e), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &result);
    napi_reject_deferred(env, job->deferred, result);
  }
  for (int i = 0; i < 4; i++) napi_delete_reference(env, job->refs[i]);
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value fail (napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static void *typed (napi_env env, napi_value value, napi_typedarray_type want, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &data, NULL, NULL) != napi_ok || type != want) return NULL;
  /* an empty array may have no memory at all: one that is never read or written stands in */
  static double empty[1];
  return data != NULL || *length != 0 ? data : (void *)empty;
}

/* whole, >= 0, below 2^53: anything else is a caller's bug, refused before the kernel sees it */
static int whole (napi_env env, napi_value value, int64_t *out) {
  double v;
  if (napi_get_value_double(env, value, &v) != napi_ok || !(v >= 0 && v <= 9007199254740991.0) || v != (double)(int64_t)v) return 0;
  *out = (int64_t)v;
  return 1;
}

static napi_value restore_chunks (napi_env env, napi_callback_info info) {
  size_t argc = 9, entries_length = 0, locs_length = 0, status_length = 0, stop_length = 0;
  napi_value argv[9];
  int64_t out_fd, from, to, out_offset, span;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 9) return fail(env, "restoreChunks needs nine arguments");
  const unsigned char *entries = typed(env, argv[1], napi_uint8_array, &entries_length);
  const double *locs = typed(env, argv[2], napi_float64_array, &locs_length);
  unsigned char *status = typed(env, argv[3], napi_uint8_array, &status_length);
  int32_t *stop = typed(env, argv[8], napi_int32_array, &stop_length);
  size_t count = entries_length / 36;
  if (!whole(env, argv[0], &out_fd) || out_fd > INT_MAX || !whole(env, argv[4], &from) || !whole(env, argv[5], &to) || !whole(env, argv[6], &out_offset) || !whole(env, argv[7], &span) || span < 4096 || span > (1 << 30) ||
      entries == NULL || locs == NULL || status == NULL || stop == NULL || stop_length < 1 || from > to || (size_t)to > count || locs_length < count * 3 || status_length < count) {
    return fail(env, "restoreChunks(outFd, entries, locs, status, from, to, outOffset, spanBytes, stop): see restore-chunks.c");
  }
  for (int64_t i = from; i < to; i++) {
    const double *loc = locs + 3 * i;
    if (loc[0] >= 0 && (loc[0] > INT_MAX || loc[0] != (double)(int)loc[0] || !(loc[1] >= 0 && loc[1] <= 9007199254740991.0) || !(loc[2] >= 0 && loc[2] <= 4294967295.0))) return fail(env, "restoreChunks: each loc must be [fd, offset, crc32]");
  }
  Job *job = calloc(1, sizeof(Job));
  if (job == NULL) return fail(env, "restoreChunks: out of memory");
  job->out_fd = (int)out_fd;
  job->entries = entries;
  job->locs = locs;
  job->status = status;
  job->stop = stop;
  job->from = (size_t)from;
  job->to = (size_t)to;
  job->out_offset = out_offset;
  job->span_bytes = (size_t)span;
  /* the arrays (and their memory) stay alive until the pool thread is done with them */
  for (int i = 0; i < 4; i++) napi_create_reference(env, argv[i == 3 ? 8 : i + 1], 1, &job->refs[i]);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "gas:restoreChunks", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, restore_execute, restore_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

/*
 * locateChunks(entries, fanout, ids, offsets, crcs, fd, locs) → how many placed: each chunk not yet
 * placed that one pack's index tables hold (pack-index.ts) gets [fd, offset, crc32]. why: the same
 * binary searches in JavaScript (Buffer.compare per step, a BigInt per offset) cost ~40 ms per GiB.
 */
static napi_value locate_chunks (napi_env env, napi_callback_info info) {
  size_t argc = 7, entries_length = 0, fanout_length = 0, ids_length = 0, offsets_length = 0, crcs_length = 0, locs_length = 0;
  napi_value argv[7];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 7) return fail(env, "locateChunks needs seven arguments");
  const unsigned char *entries = typed(env, argv[0], napi_uint8_array, &entries_length);
  const uint32_t *fanout = typed(env, argv[1], napi_uint32_array, &fanout_length);
  const unsigned char *ids = typed(env, argv[2], napi_uint8_array, &ids_length);
  const unsigned char *offsets = typed(env, argv[3], napi_uint8_array, &offsets_length);
  const unsigned char *crcs = typed(env, argv[4], napi_uint8_array, &crcs_length);
  double *locs = typed(env, argv[6], napi_float64_array, &locs_length);
  size_t count = entries_length / 36, known = ids_length / 32;
  int rising = fanout != NULL && fanout_length == 256;
  for (int b = 1; b < 256 && rising; b++) rising = fanout[b] >= fanout[b - 1];
  if (entries == NULL || !rising || ids == NULL || offsets == NULL || crcs == NULL || locs == NULL || napi_get_value_int32(env, argv[5], &fd) != napi_ok || fd < 0 ||
      fanout[255] != known || offsets_length != known * 8 || crcs_length != known * 4 || locs_length < count * 3) {
    return fail(env, "locateChunks(entries, fanout, ids, offsets, crcs, fd, locs): one index's tables, a loc per entry");
  }
  uint32_t found = 0;
  for (size_t i = 0; i < count; i++) {
    if (locs[3 * i] >= 0) continue;
    const unsigned char *id = entries + i * 36;
    uint32_t lo = id[0] == 0 ? 0 : fanout[id[0] - 1], hi = fanout[id[0]];
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      int cmp = memcmp(id, ids + (size_t)mid * 32, 32);
      if (cmp < 0) hi = mid;
      else if (cmp > 0) lo = mid + 1;
      else {
        locs[3 * i] = fd;
        locs[3 * i + 1] = (double)be32(offsets + (size_t)mid * 8) * 4294967296.0 + (double)be32(offsets + (size_t)mid * 8 + 4);
        locs[3 * i + 2] = (double)be32(crcs + (size_t)mid * 4);
        found++;
        break;
      }
    }
  }
  napi_value result;
  napi_create_uint32(env, found, &result);
  return result;
}

/*
 * allocate(fd, length) → true, or false where the filesystem does not offer fallocate(2); throws
 * (errno as code) when it cannot, ENOSPC. why: a restore that cannot fit fails before writing, and
 * writes into reserved blocks skip ext4's per-page reservation (~0.06 CPU s less per GiB).
 */
static napi_value allocate (napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t fd, length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !whole(env, argv[0], &fd) || fd > INT_MAX || !whole(env, argv[1], &length)) return fail(env, "allocate(fd, length) needs two whole numbers");
  int result = 0, e = 0;
#ifdef __linux__
  do result = length > 0 ? fallocate((int)fd, 0, 0, length) : 0; while (result != 0 && (e = errno) == EINTR);
#else
  result = -1;
  e = EOPNOTSUPP;
#endif
  if (result != 0 && e != EOPNOTSUPP && e != ENOSYS && e != EINVAL) {
    napi_throw_error(env, uv_err_name(-e), strerror(e));
    return NULL;
  }
  napi_value done;
  napi_get_boolean(env, result == 0, &done);
  return done;
}

NAPI_MODULE_INIT () {
  /* once per process: a worker thread loading the addon again must not reset locks in use */
  static int ready = -1;
  if (ready < 0) {
    gas_crc32_init();
    ready = uv_mutex_init(&spares_lock) == 0;
    for (int i = 0; i < WRITE_LOCKS && ready; i++) ready = uv_mutex_init(&write_locks[i]) == 0;
  }
  if (!ready) return exports;
  const struct { const char *name; napi_callback fn; } fns[] = { { "restoreChunks", restore_chunks }, { "locateChunks", locate_chunks }, { "allocate", allocate } };
  napi_value value;
  for (size_t i = 0; i < 3; i++) {
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &value);
    napi_set_named_property(env, exports, fns[i].name, value);
  }
  /* which crc32: 0 the table, 1 PCLMULQDQ, 2 VPCLMULQDQ (tests, and a user's report) */
  napi_create_int32(env, gas_crc32_level(), &value);
  napi_set_named_property(env, exports, "crc32Level", value);
  return exports;
}
