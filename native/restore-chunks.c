/*
 * restoreChunks(outFd, entries, locs, status, from, to, outOffset, spanBytes, stop) → Promise<bytes written>
 *
 * Writes chunks [from, to) of a file manifest from their packs into the file `outFd`, on the libuv
 * thread pool: pack spans of up to spanBytes read with one pread(2) into a reused buffer, each entry's
 * header checked (a raw chunk, the manifest's length and id) and its crc32 against the one its pack's
 * index holds (the bytes were verified against the id when stored; the crc says they did not change
 * since), then the chunks' bytes written with one pwritev(2) per run of adjacent chunks, skipping the
 * entry headers.
 *
 *   entries   the manifest's chunk list: id [32] | length u32 BE per chunk (file-manifest.ts)
 *   locs      Float64Array, per chunk [pack fd, entry offset, crc32]; fd < 0: not here (loose, an open
 *             pack, no crc in its index)
 *   status    Uint8Array, per chunk, set for [from, to): 0 written, 1 left to the caller (not located,
 *             stored compressed), 2 left to the caller because it did not check out (header or crc32
 *             mismatch, or the pack ended before it): the caller reads it through the store, which
 *             names the damage (E_CORRUPT_OBJECT / E_CORRUPT_PACK) or finds a good copy
 *   stop      Int32Array [1]: another part failed; this one stops at its next span
 *
 * why hand-written: the per-chunk JavaScript of the same loop (index lookups, header parsing, a
 * crc32 call and a write batch per 64 KiB chunk) cost ~0.4 CPU s per GiB, more than the copy; and a
 * copy_file_range per chunk cost 0.45 CPU s per GiB where pread of large spans and pwritev cost 0.28.
 * crc32: crc32.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

#define ENTRY_HEADER 42
#define CHUNK_TYPE 0
#define MAX_IOVS 256

/* crc32.c */
uint32_t gas_crc32 (const unsigned char *p, size_t n);
void gas_crc32_init (void);

/* spare span buffers: fresh memory costs a page fault per 4 KiB (and on this VM more); a few are reused */
#define MAX_SPARES 4
static uv_mutex_t spares_lock;
static struct { unsigned char *bytes; size_t size; } spares[MAX_SPARES];

static unsigned char *take_buffer (size_t size, size_t *got) {
  uv_mutex_lock(&spares_lock);
  for (int i = 0; i < MAX_SPARES; i++) {
    if (spares[i].bytes != NULL && spares[i].size >= size) {
      unsigned char *b = spares[i].bytes;
      *got = spares[i].size;
      spares[i].bytes = NULL;
      uv_mutex_unlock(&spares_lock);
      return b;
    }
  }
  uv_mutex_unlock(&spares_lock);
  *got = size;
  return malloc(size);
}

static void give_buffer (unsigned char *bytes, size_t size) {
  uv_mutex_lock(&spares_lock);
  for (int i = 0; i < MAX_SPARES; i++) {
    if (spares[i].bytes == NULL) {
      spares[i].bytes = bytes;
      spares[i].size = size;
      uv_mutex_unlock(&spares_lock);
      return;
    }
  }
  uv_mutex_unlock(&spares_lock);
  free(bytes);
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
  size_t from, to;
  int64_t out_offset;
  size_t span_bytes;
  int64_t written;
  int error;
} RestoreJob;

static uint32_t be32 (const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/*
 * why a lock around the writes of one file: the filesystem takes the file's own lock for each write
 * anyway, and a thread waiting for it there spins (measured: a quarter of the restore's CPU time in
 * rwsem_spin_on_owner with two parts at once); waiting here sleeps. Files share these few locks by
 * their descriptor: two files on one lock only take turns.
 */
#define WRITE_LOCKS 16
static uv_mutex_t write_locks[WRITE_LOCKS];

static int write_all (int fd, struct iovec *iov, int count, int64_t at) {
  uv_mutex_lock(&write_locks[fd % WRITE_LOCKS]);
  int error = 0;
  while (count > 0) {
    ssize_t n = pwritev(fd, iov, count, at);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    at += n;
    /* a short write: go on from where it stopped */
    while (count > 0 && (size_t)n >= iov->iov_len) {
      n -= (ssize_t)iov->iov_len;
      iov++;
      count--;
    }
    if (count > 0) {
      iov->iov_base = (char *)iov->iov_base + n;
      iov->iov_len -= (size_t)n;
    }
  }
  uv_mutex_unlock(&write_locks[fd % WRITE_LOCKS]);
  return error;
}

static void restore_execute (napi_env env, void *data) {
  (void)env;
  RestoreJob *job = data;
  size_t largest = 0;
  for (size_t i = job->from; i < job->to; i++) {
    size_t length = be32(job->entries + i * 36 + 32);
    if (length > largest) largest = length;
  }
  size_t capacity = job->span_bytes > largest + ENTRY_HEADER ? job->span_bytes : largest + ENTRY_HEADER;
  size_t got_capacity;
  unsigned char *buffer = take_buffer(capacity, &got_capacity);
  if (buffer == NULL) {
    job->error = ENOMEM;
    return;
  }
  struct iovec iov[MAX_IOVS];
  int64_t at = job->out_offset;
  size_t i = job->from;
  while (i < job->to && job->error == 0) {
    if (*job->stop != 0) {
      job->error = ECANCELED;
      break;
    }
    const double *loc = job->locs + 3 * i;
    size_t length = be32(job->entries + i * 36 + 32);
    if (loc[0] < 0) {
      job->status[i++] = 1;
      at += (int64_t)length;
      continue;
    }
    /* a span: entries of one pack, each after the last, within the buffer */
    int fd = (int)loc[0];
    int64_t start = (int64_t)loc[1];
    int64_t end = start + ENTRY_HEADER + (int64_t)length;
    size_t last = i + 1;
    while (last < job->to) {
      const double *next = job->locs + 3 * last;
      int64_t next_end = (int64_t)next[1] + ENTRY_HEADER + (int64_t)be32(job->entries + last * 36 + 32);
      if ((int)next[0] != fd || next[0] < 0 || (int64_t)next[1] < end || next_end - start > (int64_t)capacity) break;
      end = next_end;
      last++;
    }
    size_t filled = 0;
    while (filled < (size_t)(end - start)) {
      ssize_t n = pread(fd, buffer + filled, (size_t)(end - start) - filled, start + (int64_t)filled);
      if (n < 0) {
        if (errno == EINTR) continue;
        job->error = errno;
        break;
      }
      if (n == 0) break; /* the pack ends early: its entries are left to the caller, which names the damage */
      filled += (size_t)n;
    }
    if (job->error != 0) break;
    int count = 0;
    int64_t run_at = at;
    for (; i < last; i++) {
      const unsigned char *entry = job->entries + i * 36;
      length = be32(entry + 32);
      int64_t offset = (int64_t)job->locs[3 * i + 1] - start;
      const unsigned char *h = buffer + offset;
      unsigned char outcome = 0;
      if ((size_t)offset + ENTRY_HEADER + length > filled) outcome = 2;
      else if (h[1] != 0) outcome = h[1] == 1 ? 1 : 2; /* stored compressed: the caller decodes it */
      else if (h[0] != CHUNK_TYPE || be32(h + 2) != length || be32(h + 6) != length || memcmp(h + 10, entry, 32) != 0) outcome = 2;
      else if (gas_crc32(h, ENTRY_HEADER + length) != (uint32_t)job->locs[3 * i + 2]) outcome = 2;
      job->status[i] = outcome;
      if (outcome != 0 || count == MAX_IOVS) {
        if (count > 0 && (job->error = write_all(job->out_fd, iov, count, run_at)) != 0) break;
        count = 0;
        run_at = at + (outcome != 0 ? (int64_t)length : 0);
      }
      if (outcome == 0) {
        iov[count].iov_base = (void *)(h + ENTRY_HEADER);
        iov[count].iov_len = length;
        count++;
        job->written += (int64_t)length;
      }
      at += (int64_t)length;
    }
    if (job->error == 0 && count > 0) job->error = write_all(job->out_fd, iov, count, run_at);
  }
  give_buffer(buffer, got_capacity);
}

static void restore_complete (napi_env env, napi_status status, void *data) {
  RestoreJob *job = data;
  napi_value written;
  napi_create_double(env, (double)job->written, &written);
  if (status == napi_ok && job->error == 0) {
    napi_resolve_deferred(env, job->deferred, written);
  } else {
    int e = job->error != 0 ? job->error : ECANCELED;
    napi_value code, message, err;
    napi_create_string_utf8(env, uv_err_name(-e), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, strerror(e), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code, message, &err);
    napi_reject_deferred(env, job->deferred, err);
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
  return data;
}

static int whole (napi_env env, napi_value value, int64_t *out) {
  double v;
  if (napi_get_value_double(env, value, &v) != napi_ok || !(v >= 0 && v <= 9007199254740991.0) || v != (double)(int64_t)v) return 0;
  *out = (int64_t)v;
  return 1;
}

napi_value gas_restore_chunks (napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 9) return fail(env, "restoreChunks needs nine arguments");
  int64_t out_fd, from, to, out_offset, span;
  size_t entries_length, locs_length, status_length, stop_length;
  const unsigned char *entries = typed(env, argv[1], napi_uint8_array, &entries_length);
  const double *locs = typed(env, argv[2], napi_float64_array, &locs_length);
  unsigned char *status = typed(env, argv[3], napi_uint8_array, &status_length);
  int32_t *stop = typed(env, argv[8], napi_int32_array, &stop_length);
  if (!whole(env, argv[0], &out_fd) || out_fd > INT_MAX || !whole(env, argv[4], &from) || !whole(env, argv[5], &to) || !whole(env, argv[6], &out_offset) || !whole(env, argv[7], &span) || span < 4096 || span > (1 << 30)) return fail(env, "restoreChunks: fd, from, to, outOffset and spanBytes must be whole numbers");
  if (entries == NULL || locs == NULL || status == NULL || stop == NULL || stop_length < 1) return fail(env, "restoreChunks: entries, locs, status and stop must be a Uint8Array, Float64Array, Uint8Array and Int32Array");
  size_t count = entries_length / 36;
  if (from > to || (size_t)to > count || locs_length < count * 3 || status_length < count) return fail(env, "restoreChunks: from and to must lie within the entries, locs and status");
  for (int64_t i = from; i < to; i++) {
    const double *loc = locs + 3 * i;
    if (loc[0] < 0) continue;
    if (loc[0] > INT_MAX || loc[0] != (double)(int)loc[0] || !(loc[1] >= 0 && loc[1] <= 9007199254740991.0) || !(loc[2] >= 0 && loc[2] <= 4294967295.0)) return fail(env, "restoreChunks: each loc must be [fd, offset, crc32]");
  }
  RestoreJob *job = calloc(1, sizeof(RestoreJob));
  if (job == NULL) {
    napi_throw_error(env, "ENOMEM", "restoreChunks: out of memory");
    return NULL;
  }
  job->out_fd = (int)out_fd;
  job->entries = entries;
  job->locs = locs;
  job->status = status;
  job->stop = stop;
  job->from = (size_t)from;
  job->to = (size_t)to;
  job->out_offset = out_offset;
  job->span_bytes = (size_t)span;
  /* the arrays stay alive (and their memory in place) until the pool thread is done with them */
  for (int i = 0; i < 4; i++) napi_create_reference(env, argv[i == 3 ? 8 : i + 1], 1, &job->refs[i]);
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "gas:restoreChunks", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, restore_execute, restore_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

/*
 * allocate(fd, length): the file's blocks reserved at once (fallocate(2)), synchronously. why: a
 * restore that cannot fit fails before it writes (ENOSPC), and writes into reserved blocks skip the
 * filesystem's per-page reservation (measured ~0.05 CPU s less per GiB on ext4). Resolves false
 * where the filesystem does not offer it (the writes reserve as they go then).
 */
napi_value gas_allocate (napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int64_t fd, length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !whole(env, argv[0], &fd) || fd > INT_MAX || !whole(env, argv[1], &length)) return fail(env, "allocate(fd, length) needs two whole numbers");
  int result = 0;
#ifdef __linux__
  do result = length > 0 ? fallocate((int)fd, 0, 0, length) : 0; while (result != 0 && errno == EINTR);
#else
  errno = EOPNOTSUPP;
  result = -1;
#endif
  int e = errno;
  if (result != 0 && e != EOPNOTSUPP && e != ENOSYS && e != EINVAL) {
    napi_throw_error(env, uv_err_name(-e), strerror(e));
    return NULL;
  }
  napi_value done;
  napi_get_boolean(env, result == 0, &done);
  return done;
}

/* called once from the module's init: whether restoreChunks can run here */
int gas_restore_chunks_init (void) {
  static int ready = -1;
  if (ready < 0) {
    gas_crc32_init();
    ready = uv_mutex_init(&spares_lock) == 0;
    for (int i = 0; i < WRITE_LOCKS && ready; i++) ready = uv_mutex_init(&write_locks[i]) == 0;
  }
  return ready;
}
