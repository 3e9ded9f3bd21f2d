/*
 * copyRanges(inFd, outFd, ranges: Float64Array [inOffset, outOffset, length, ...]) → Promise<bytes copied>
 *
 * Copies byte ranges between two open files inside the kernel with copy_file_range(2), on the
 * libuv thread pool (one async work per call, so a run of ~128 chunks costs one pool round trip).
 *
 * why hand-written: Node has no ranged copy_file_range (fs.copyFile copies whole files only), and
 * no npm package with prebuilt binaries offers one (copy-file-range, fs-ext, fs-native-extensions,
 * @reflink/reflink were checked: none fit). Restoring a chunk stored raw with read(2) + write(2)
 * copies every byte into user space and out again; the kernel copy does neither.
 *
 * A rejection carries `code` (the errno name, e.g. EXDEV when the files are on different
 * filesystems, ENOSYS where the kernel lacks the call; EOF when the input ended early) and `copied`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>
#include <uv.h>

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int in_fd;
  int out_fd;
  /* a private copy of the ranges: the JS array may be reused while the pool thread works */
  int64_t *ranges;
  size_t count;
  int64_t copied;
  int error; /* errno; -1: the input ended before a range was copied */
} CopyJob;

static void copy_execute (napi_env env, void *data) {
  (void)env;
  CopyJob *job = data;
#ifdef __linux__
  for (size_t i = 0; i < job->count; i++) {
    loff_t in_off = job->ranges[3 * i];
    loff_t out_off = job->ranges[3 * i + 1];
    int64_t left = job->ranges[3 * i + 2];
    /* the kernel may copy less than asked (a signal, a large range): go on from where it stopped */
    while (left > 0) {
      ssize_t n = copy_file_range(job->in_fd, &in_off, job->out_fd, &out_off, (size_t)left, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        job->error = errno;
        return;
      }
      if (n == 0) {
        job->error = -1;
        return;
      }
      left -= n;
      job->copied += n;
    }
  }
#else
  job->error = ENOSYS;
#endif
}

static void copy_complete (napi_env env, napi_status status, void *data) {
  CopyJob *job = data;
  napi_value copied;
  napi_create_double(env, (double)job->copied, &copied);
  if (status == napi_ok && job->error == 0) {
    napi_resolve_deferred(env, job->deferred, copied);
  } else {
    const char *code = job->error == -1 ? "EOF" : job->error != 0 ? uv_err_name(-job->error) : "ECANCELED";
    const char *why = job->error == -1 ? "the input file ended before the range" : job->error != 0 ? strerror(job->error) : "cancelled";
    napi_value code_value, message, err;
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
    napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code_value, message, &err);
    napi_set_named_property(env, err, "copied", copied);
    napi_reject_deferred(env, job->deferred, err);
  }
  napi_delete_async_work(env, job->work);
  free(job->ranges);
  free(job);
}

static napi_value throw_type (napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static napi_value copy_ranges (napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return throw_type(env, "copyRanges(inFd, outFd, ranges) needs three arguments");
  int32_t in_fd, out_fd;
  if (napi_get_value_int32(env, argv[0], &in_fd) != napi_ok || napi_get_value_int32(env, argv[1], &out_fd) != napi_ok || in_fd < 0 || out_fd < 0) return throw_type(env, "copyRanges: file descriptors must be numbers");
  bool is_typed;
  napi_typedarray_type type;
  size_t length;
  void *values;
  if (napi_is_typedarray(env, argv[2], &is_typed) != napi_ok || !is_typed) return throw_type(env, "copyRanges: ranges must be a Float64Array");
  napi_get_typedarray_info(env, argv[2], &type, &length, &values, NULL, NULL);
  if (type != napi_float64_array || length % 3 != 0) return throw_type(env, "copyRanges: ranges must be a Float64Array of [inOffset, outOffset, length] triples");
  const double *triples = values;
  CopyJob *job = calloc(1, sizeof(CopyJob));
  if (job != NULL) job->ranges = malloc(length == 0 ? 1 : length * sizeof(int64_t));
  if (job == NULL || job->ranges == NULL) {
    free(job);
    napi_throw_error(env, "ENOMEM", "copyRanges: out of memory");
    return NULL;
  }
  for (size_t i = 0; i < length; i++) {
    /* whole, non-negative, below 2^53: anything else is a caller's bug, refused before the kernel sees it */
    double v = triples[i];
    if (!(v >= 0 && v <= 9007199254740991.0) || v != (double)(int64_t)v) {
      free(job->ranges);
      free(job);
      return throw_type(env, "copyRanges: offsets and lengths must be whole numbers >= 0");
    }
    job->ranges[i] = (int64_t)v;
  }
  job->in_fd = in_fd;
  job->out_fd = out_fd;
  job->count = length / 3;
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "gas:copyRanges", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, copy_execute, copy_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

napi_value gas_restore_chunks (napi_env env, napi_callback_info info);
int gas_restore_chunks_init (void);
int gas_crc32_level (void);
napi_value gas_locate_chunks (napi_env env, napi_callback_info info);
napi_value gas_allocate (napi_env env, napi_callback_info info);

NAPI_MODULE_INIT () {
  napi_value fn;
  napi_create_function(env, "copyRanges", NAPI_AUTO_LENGTH, copy_ranges, NULL, &fn);
  napi_set_named_property(env, exports, "copyRanges", fn);
  /* restore-chunks.c */
  if (gas_restore_chunks_init()) {
    napi_create_function(env, "restoreChunks", NAPI_AUTO_LENGTH, gas_restore_chunks, NULL, &fn);
    napi_set_named_property(env, exports, "restoreChunks", fn);
    napi_create_function(env, "allocate", NAPI_AUTO_LENGTH, gas_allocate, NULL, &fn);
    napi_set_named_property(env, exports, "allocate", fn);
  }
  napi_create_function(env, "locateChunks", NAPI_AUTO_LENGTH, gas_locate_chunks, NULL, &fn);
  napi_set_named_property(env, exports, "locateChunks", fn);
  /* which crc32 restoreChunks uses: 0 the table, 1 PCLMULQDQ, 2 VPCLMULQDQ (tests, and a user's report) */
  napi_value level;
  napi_create_int32(env, gas_crc32_level(), &level);
  napi_set_named_property(env, exports, "crc32Level", level);
  return exports;
}
