// yoda-exec: starts a payload process so that it cannot outlive its Droid.
//
//   yoda-exec -p <droid pid> [-c <cpu list>] [-r <rusage file>] -- <program> [args...]
//   yoda-exec -p <droid pid> [-c <cpu list>] -s          (serve mode: the launcher of a command-mode slot)
//
// Between fork and exec (the Droid forked this helper; the helper execs the payload in place, same pid):
//  - PR_SET_PDEATHSIG = SIGKILL: the kernel kills the payload when the Droid's thread that forked it dies
//    (kill -9 of `yoda run`, no step cgroup to clean up);
//  - getppid() is compared with -p afterwards: a Droid that died before prctl took effect is caught here;
//  - -c pins the process to a CPU list ("0-3,8") before exec, so every thread and child inherits it.
// With -r (command mode) the helper forks the payload instead of becoming it, waits for it with wait4(),
// writes {"cpu":<user+system s>,"maxRssKB":<n>} to the file, and exits as the payload did (same code or
// signal). The child gets its own PDEATHSIG on the helper; the helper ignores SIGTERM/SIGINT/SIGUSR1, which
// the drain sends to the whole process group for the payload, so it lives to report the CPU time.
// Exit codes of its own: 125 the Droid is already gone, 126 bad arguments or CPU list, 127 cannot exec.
//
// Serve mode (-s): one long-lived helper per command-mode slot, tied to the Droid and pinned once, starts the
// payload of every range (by vfork) so that the Droid (a large Node process, slow to fork) never forks per range.
// Requests come on stdin, one at a time; replies go to stdout; stderr is the slot log, which the payloads get as
// stdout and stderr (stdin is /dev/null).
//   request: "R <argc> <envc> <bytes>\n" then <bytes> bytes: argc arguments, then envc "NAME=value" entries set
//            on top of the helper's own environment, each NUL-terminated.
//   replies: "P <pid>\n" once the payload is forked and leads its own process group (the Droid may signal it);
//            "E <pid> x <code> <cpu s> <maxrss KB>\n" or "E <pid> s <signal> <cpu s> <maxrss KB>\n" when it ended
//            (cpu: user+system of wait4), or "F <why>\n" when it could not be forked.
// The payload gets default signal handlers, an empty signal mask and PR_SET_PDEATHSIG on the helper; a payload
// that cannot be exec'd exits 127, as above. The helper blocks the drain signals (SIGTERM, SIGINT, SIGUSR1,
// SIGHUP: a scheduler's SIGTERM to every process of the job must not take it away from a draining payload), and
// exits when stdin closes (killing the running payload's group first) or, through its own parent-death signal,
// when the Droid dies.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(int code, const char *what, const char *detail) {
  fprintf(stderr, "yoda-exec: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  _exit(code);
}

// Parses "0-3,8,10-11" into a CPU mask of `ncpus` CPUs; returns 0 on success.
static int parse_cpus(const char *text, cpu_set_t *mask, size_t size, int ncpus) {
  CPU_ZERO_S(size, mask);
  const char *p = text;
  int any = 0;
  while (*p) {
    char *end;
    long a = strtol(p, &end, 10), b;
    if (end == p || a < 0 || a >= ncpus) return -1;
    b = a;
    if (*end == '-') {
      p = end + 1;
      b = strtol(p, &end, 10);
      if (end == p || b < a || b >= ncpus) return -1;
    }
    for (long c = a; c <= b; c++) CPU_SET_S((int)c, size, mask);
    any = 1;
    if (*end == ',') end++;
    else if (*end != '\0') return -1;
    p = end;
  }
  return any ? 0 : -1;
}

// Dies with SIGKILL when our parent dies, and checks it is still the expected one.
static void tie_to_parent(pid_t parent) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die(126, "prctl(PR_SET_PDEATHSIG)", strerror(errno));
  if (parent > 0 && getppid() != parent) die(125, "the Droid is gone", NULL);
}

static void exec_payload(char **argv) {
  execvp(argv[0], argv);
  die(127, argv[0], strerror(errno));
}

static const int drain_signals[] = {SIGTERM, SIGINT, SIGUSR1, SIGHUP};
#define NDRAIN (sizeof drain_signals / sizeof drain_signals[0])

// Serve mode: requests buffered from stdin.
static char *in_buf = NULL;
static size_t in_len = 0, in_cap = 0;
static int in_eof = 0;

// Reads what stdin has (blocks until there is some); returns -1 on EOF or error, else the bytes read.
static ssize_t fill_input(void) {
  if (in_cap - in_len < 65536) {
    size_t cap = in_cap ? in_cap * 2 : 131072;
    char *b = realloc(in_buf, cap);
    if (!b) die(126, "out of memory", NULL);
    in_buf = b;
    in_cap = cap;
  }
  for (;;) {
    ssize_t n = read(0, in_buf + in_len, in_cap - in_len);
    if (n > 0) {
      in_len += (size_t)n;
      return n;
    }
    if (n < 0 && errno == EINTR) continue;
    in_eof = 1;
    return -1;
  }
}

// Writes all of `text` to stdout; the Droid gone (EPIPE) or any error: -1.
static int reply(const char *text, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, text, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    text += w;
    n -= (size_t)w;
  }
  return 0;
}

#define MAX_REQUEST (64u << 20)

// The next request from stdin, parsed in place: argv and env (NULL-terminated) point into a fresh copy of it.
// Returns 0 on EOF, 1 with a request, and exits 126 on a malformed one.
static int next_request(char ***argv_out, char ***env_out, char **mem_out) {
  for (;;) {
    char *nl = in_len ? memchr(in_buf, '\n', in_len) : NULL;
    if (nl) {
      unsigned long argc, envc, bytes;
      *nl = '\0';
      if (sscanf(in_buf, "R %lu %lu %lu", &argc, &envc, &bytes) != 3 || argc < 1 || bytes > MAX_REQUEST ||
          argc + envc > bytes)
        die(126, "bad request", in_buf);
      *nl = '\n';
      size_t head = (size_t)(nl - in_buf) + 1;
      while (in_len < head + bytes) {
        if (fill_input() < 0) return 0;
      }
      char *mem = malloc(bytes + 1);
      char **vec = malloc((argc + envc + 2) * sizeof(char *));
      if (!mem || !vec) die(126, "out of memory", NULL);
      memcpy(mem, in_buf + head, bytes);
      mem[bytes] = '\0';
      memmove(in_buf, in_buf + head + bytes, in_len - head - bytes);
      in_len -= head + bytes;
      size_t at = 0, k = 0;
      for (; k < argc + envc; k++) {
        if (at >= bytes) die(126, "bad request", "fewer strings than announced");
        char *end = memchr(mem + at, '\0', bytes - at);
        if (!end) die(126, "bad request", "a string without its NUL");
        vec[k + (k >= argc ? 1 : 0)] = mem + at;
        at = (size_t)(end - mem) + 1;
      }
      vec[argc] = NULL;
      vec[argc + envc + 1] = NULL;
      *argv_out = vec;
      *env_out = vec + argc + 1;
      *mem_out = mem;
      return 1;
    }
    if (in_len > MAX_REQUEST) die(126, "bad request", "no header line");
    if (fill_input() < 0) return 0;
  }
}

// True when two "NAME=value" entries set the same variable.
static int same_name(const char *a, const char *b) {
  size_t la = strcspn(a, "="), lb = strcspn(b, "=");
  return la == lb && memcmp(a, b, la) == 0;
}

// The environment of a payload: the helper's own with the request's "NAME=value" entries set on top (the last of
// two with one name wins). Built before vfork, since the child shares the helper's memory; the caller frees it.
static char **payload_env(char **extra) {
  size_t n = 0, m = 0;
  while (environ[n]) n++;
  while (extra[m]) m++;
  char **out = malloc((n + m + 1) * sizeof(char *));
  if (!out) die(126, "out of memory", NULL);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    int replaced = 0;
    for (size_t j = 0; j < m && !replaced; j++) replaced = same_name(environ[i], extra[j]);
    if (!replaced) out[k++] = environ[i];
  }
  for (size_t j = 0; j < m; j++) {
    int later = 0;
    for (size_t j2 = j + 1; j2 < m && !later; j2++) later = same_name(extra[j], extra[j2]);
    if (!later) out[k++] = extra[j];
  }
  out[k] = NULL;
  return out;
}

// Reports a failure of the vfork child and ends it: write(2) and _exit only (it shares the helper's memory, so no
// stdio and no exit handlers).
static void child_fail(int code, const char *what, int err) {
  const char *why = strerror(err);
  const char *parts[] = {"yoda-exec: ", what, ": ", why, "\n"};
  for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
    if (write(2, parts[k], strlen(parts[k])) < 0) break;
  _exit(code);
}

// The payload of one request, in the vfork child (between vfork and exec it only makes system calls on its own
// state: signal mask and dispositions, process group, parent-death signal, descriptors): never returns.
static void start_payload(pid_t self, int devnull, char **argv, char **envp) {
  signal(SIGPIPE, SIG_DFL);
  // A drain signal sent since the fork is pending: it is delivered here, with the default action.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  setpgid(0, 0);
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(126, "prctl(PR_SET_PDEATHSIG)", errno);
  if (getppid() != self) child_fail(125, "the Droid is gone", ESRCH);
  if (dup2(devnull, 0) < 0 || dup2(2, 1) < 0) child_fail(127, "dup2", errno);
  execvpe(argv[0], argv, envp);
  child_fail(127, argv[0], errno);
}

static int serve(void) {
  pid_t self = getpid();
  signal(SIGPIPE, SIG_IGN);
  // The drain signals are blocked, not ignored: one that reaches a payload between fork and its unblocking stays
  // pending there and takes effect (an ignored one would be lost). SIGCHLD is read from a signalfd.
  sigset_t blocked, chld;
  sigemptyset(&blocked);
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigaddset(&blocked, SIGCHLD);
  for (size_t k = 0; k < NDRAIN; k++) {
    signal(drain_signals[k], SIG_DFL);
    sigaddset(&blocked, drain_signals[k]);
  }
  if (sigprocmask(SIG_BLOCK, &blocked, NULL) != 0) die(126, "sigprocmask", strerror(errno));
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) die(126, "signalfd", strerror(errno));
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) die(126, "/dev/null", strerror(errno));
  char line[256];
  for (;;) {
    char **argv, **env, *mem;
    if (!next_request(&argv, &env, &mem)) return 0;
    char **envp = payload_env(env);
    // vfork, not fork: no copy of the page tables and no copy-on-write faults. Starting a short shell script costs
    // a third less CPU (6.6 -> 4.4 ms per range on a 2-core VM); the helper waits until the child has exec'd.
    pid_t child = vfork();
    if (child < 0) {
      int n = snprintf(line, sizeof line, "F fork: %s\n", strerror(errno));
      free(envp);
      free(argv);
      free(mem);
      if (reply(line, (size_t)n) < 0) return 0;
      continue;
    }
    if (child == 0) start_payload(self, devnull, argv, envp);
    free(envp);
    free(argv);
    free(mem);
    // The child made its own group before its exec (vfork resumes the helper only after it): a guard, should the
    // child ever run second.
    setpgid(child, child);
    int n = snprintf(line, sizeof line, "P %d\n", (int)child);
    int gone = reply(line, (size_t)n) < 0;
    int status = 0;
    struct rusage ru;
    for (;;) {
      if (gone || in_eof) {
        // The Droid closed the pipe (or is gone): the payload's group goes, then the helper.
        kill(-child, SIGKILL);
        kill(child, SIGKILL);
      }
      memset(&ru, 0, sizeof ru);
      pid_t got = wait4(child, &status, gone || in_eof ? 0 : WNOHANG, &ru);
      if (got == child) break;
      if (got < 0 && errno != EINTR) die(126, "wait4", strerror(errno));
      if (got != 0) continue;
      struct pollfd fds[2] = {{.fd = sfd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
      if (poll(fds, 2, -1) < 0 && errno != EINTR) die(126, "poll", strerror(errno));
      if (fds[0].revents) {
        struct signalfd_siginfo info;
        while (read(sfd, &info, sizeof info) > 0) {
        }
      }
      if (fds[1].revents) fill_input();
    }
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    if (WIFSIGNALED(status))
      n = snprintf(line, sizeof line, "E %d s %d %.6f %ld\n", (int)child, WTERMSIG(status), cpu, ru.ru_maxrss);
    else
      n = snprintf(line, sizeof line, "E %d x %d %.6f %ld\n", (int)child, WEXITSTATUS(status), cpu, ru.ru_maxrss);
    if (gone || in_eof || reply(line, (size_t)n) < 0) return 0;
  }
}

int main(int argc, char **argv) {
  pid_t parent = 0;
  const char *cpus = NULL, *rusage_file = NULL;
  int opt, serving = 0;
  while ((opt = getopt(argc, argv, "+p:c:r:s")) != -1) {
    switch (opt) {
      case 'p': parent = (pid_t)atol(optarg); break;
      case 'c': cpus = optarg; break;
      case 'r': rusage_file = optarg; break;
      case 's': serving = 1; break;
      default: die(126, "usage: yoda-exec -p <pid> [-c <cpus>] [-r <file>] -- <program> [args...] | -s", NULL);
    }
  }
  if (optind >= argc && !serving) die(126, "no program given", NULL);
  tie_to_parent(parent);
  if (cpus) {
    int ncpus = 1 << 16;
    cpu_set_t *mask = CPU_ALLOC(ncpus);
    size_t size = CPU_ALLOC_SIZE(ncpus);
    if (parse_cpus(cpus, mask, size, ncpus) != 0) die(126, "bad CPU list", cpus);
    if (sched_setaffinity(0, size, mask) != 0) die(126, "sched_setaffinity", strerror(errno));
    CPU_FREE(mask);
  }
  if (serving) return serve();
  if (!rusage_file) exec_payload(argv + optind);

  // Ignored before the fork, so a drain's SIGTERM can never catch the helper between fork and wait (the payload would
  // then die of its parent-death signal and its CPU time be lost); the payload gets the default handlers back.
  for (size_t k = 0; k < NDRAIN; k++) signal(drain_signals[k], SIG_IGN);
  pid_t self = getpid();
  pid_t child = fork();
  if (child < 0) die(126, "fork", strerror(errno));
  if (child == 0) {
    for (size_t k = 0; k < NDRAIN; k++) signal(drain_signals[k], SIG_DFL);
    tie_to_parent(self);
    exec_payload(argv + optind);
  }
  int status = 0;
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  while (wait4(child, &status, 0, &ru) < 0) {
    if (errno != EINTR) die(126, "wait4", strerror(errno));
  }
  FILE *f = fopen(rusage_file, "w");
  if (f) {
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    fprintf(f, "{\"cpu\":%.6f,\"maxRssKB\":%ld}\n", cpu, ru.ru_maxrss);
    fclose(f);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    kill(self, sig);
  }
  return 128;
}
