// yoda_affinity: CPU affinity of processes and threads (sched_{get,set}affinity) for Node via N-API.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
#include <node_api.h>

// Masks start at 1024 CPUs and double while the kernel says the buffer is too small.
#define START_CPUS 1024
// Highest CPU id accepted from JavaScript (the kernel's NR_CPUS limit is 8192 today).
#define MAX_CPU_ID (1 << 20)
// A process that keeps creating threads forever would otherwise keep us looping.
#define MAX_PASSES 1000

static const char *errno_code(int err) {
  switch (err) {
    case ESRCH: return "ESRCH";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case ENOMEM: return "ENOMEM";
    case ENOENT: return "ENOENT";
    default: return "EUNKNOWN";
  }
}

// Throws an Error whose message carries the errno text and whose `code` is the errno name.
static void throw_errno(napi_env env, int err, const char *what, long id) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s(%ld): %s", what, id, strerror(err));
  napi_throw_error(env, errno_code(err), msg);
}

static int get_pid_arg(napi_env env, napi_value v, pid_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 2147483647.0 || d != (double)(long)d) {
    napi_throw_type_error(env, "EINVAL", "pid must be a non-negative integer");
    return 0;
  }
  *out = (pid_t)d;
  return 1;
}

// Builds a CPU_ALLOC'd mask from a JS array of CPU ids; returns NULL after throwing.
static cpu_set_t *get_mask_arg(napi_env env, napi_value arr, size_t *size_out) {
  bool is_array = false;
  uint32_t len = 0;
  napi_is_array(env, arr, &is_array);
  if (!is_array || napi_get_array_length(env, arr, &len) != napi_ok || len == 0) {
    napi_throw_type_error(env, "EINVAL", "cpus must be a non-empty array of CPU ids");
    return NULL;
  }
  int *ids = malloc(sizeof(int) * len);
  int max_id = 0;
  for (uint32_t i = 0; i < len; i++) {
    napi_value el;
    double d = -1;
    napi_get_element(env, arr, i, &el);
    if (napi_get_value_double(env, el, &d) != napi_ok || d < 0 || d >= MAX_CPU_ID || d != (double)(int)d) {
      free(ids);
      napi_throw_range_error(env, "EINVAL", "cpus must hold integer CPU ids in [0, 1048576)");
      return NULL;
    }
    ids[i] = (int)d;
    if (ids[i] > max_id) max_id = ids[i];
  }
  int ncpus = max_id + 1 > START_CPUS ? max_id + 1 : START_CPUS;
  cpu_set_t *mask = CPU_ALLOC(ncpus);
  size_t size = CPU_ALLOC_SIZE(ncpus);
  CPU_ZERO_S(size, mask);
  for (uint32_t i = 0; i < len; i++) CPU_SET_S(ids[i], size, mask);
  free(ids);
  *size_out = size;
  return mask;
}

// getAffinity(pidOrTid): number[] — 0 means the calling thread.
static napi_value get_affinity(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  pid_t pid;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_pid_arg(env, argv[0], &pid)) return NULL;
  for (int ncpus = START_CPUS; ncpus <= MAX_CPU_ID; ncpus *= 2) {
    cpu_set_t *mask = CPU_ALLOC(ncpus);
    size_t size = CPU_ALLOC_SIZE(ncpus);
    CPU_ZERO_S(size, mask);
    if (sched_getaffinity(pid, size, mask) == 0) {
      uint32_t n = 0;
      napi_create_array(env, &result);
      for (int c = 0; c < ncpus; c++) {
        if (!CPU_ISSET_S(c, size, mask)) continue;
        napi_value v;
        napi_create_int32(env, c, &v);
        napi_set_element(env, result, n++, v);
      }
      CPU_FREE(mask);
      return result;
    }
    int err = errno;
    CPU_FREE(mask);
    if (err != EINVAL) {
      throw_errno(env, err, "sched_getaffinity", pid);
      return NULL;
    }
  }
  throw_errno(env, EINVAL, "sched_getaffinity", pid);
  return NULL;
}

// setAffinity(pidOrTid, cpus): void — throws Error{code} on failure.
static napi_value set_affinity(napi_env env, napi_callback_info info) {
  size_t argc = 2, size = 0;
  napi_value argv[2];
  pid_t pid;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) {
    napi_throw_type_error(env, "EINVAL", "setAffinity(pid, cpus) takes two arguments");
    return NULL;
  }
  if (!get_pid_arg(env, argv[0], &pid)) return NULL;
  cpu_set_t *mask = get_mask_arg(env, argv[1], &size);
  if (!mask) return NULL;
  int rc = sched_setaffinity(pid, size, mask);
  int err = errno;
  CPU_FREE(mask);
  if (rc != 0) throw_errno(env, err, "sched_setaffinity", pid);
  return NULL;
}

static int seen_has(const pid_t *seen, size_t n, pid_t tid) {
  for (size_t i = 0; i < n; i++)
    if (seen[i] == tid) return 1;
  return 0;
}

// setAffinityAllThreads(pid, cpus): number — pins every thread in /proc/<pid>/task, rescanning
// until a pass finds no thread it has not seen (threads created meanwhile inherit the new mask
// from their pinned creator, or are caught by the next pass). Returns how many threads it pinned.
static napi_value set_affinity_all(napi_env env, napi_callback_info info) {
  size_t argc = 2, size = 0, nseen = 0, cap = 64;
  napi_value argv[2], result;
  pid_t pid;
  char dir_path[64];
  int pinned = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) {
    napi_throw_type_error(env, "EINVAL", "setAffinityAllThreads(pid, cpus) takes two arguments");
    return NULL;
  }
  if (!get_pid_arg(env, argv[0], &pid)) return NULL;
  cpu_set_t *mask = get_mask_arg(env, argv[1], &size);
  if (!mask) return NULL;
  if (pid == 0) pid = getpid();
  snprintf(dir_path, sizeof dir_path, "/proc/%d/task", (int)pid);
  pid_t *seen = malloc(sizeof(pid_t) * cap);
  for (int pass = 0; pass < MAX_PASSES; pass++) {
    DIR *dir = opendir(dir_path);
    if (!dir) {
      int err = errno == ENOENT ? ESRCH : errno;
      free(seen);
      CPU_FREE(mask);
      throw_errno(env, err, "opendir /proc/<pid>/task", pid);
      return NULL;
    }
    int found_new = 0;
    struct dirent *ent;
    while ((ent = readdir(dir)) != NULL) {
      if (ent->d_name[0] < '0' || ent->d_name[0] > '9') continue;
      pid_t tid = (pid_t)atol(ent->d_name);
      if (seen_has(seen, nseen, tid)) continue;
      if (nseen == cap) seen = realloc(seen, sizeof(pid_t) * (cap *= 2));
      seen[nseen++] = tid;
      found_new = 1;
      if (sched_setaffinity(tid, size, mask) == 0) {
        pinned++;
      } else if (errno != ESRCH) {  // ESRCH: the thread exited between readdir and now
        int err = errno;
        closedir(dir);
        free(seen);
        CPU_FREE(mask);
        throw_errno(env, err, "sched_setaffinity", tid);
        return NULL;
      }
    }
    closedir(dir);
    if (!found_new) break;
  }
  free(seen);
  CPU_FREE(mask);
  if (pinned == 0) {
    throw_errno(env, ESRCH, "setAffinityAllThreads", pid);
    return NULL;
  }
  napi_create_int32(env, pinned, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"getAffinity", NULL, get_affinity, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setAffinity", NULL, set_affinity, NULL, NULL, NULL, napi_enumerable, NULL},
    {"setAffinityAllThreads", NULL, set_affinity_all, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
