// yoda-exec: starts a payload process so that it cannot outlive its Droid.
//
//   yoda-exec -p <droid pid> [-c <cpu list>] [-r <rusage file>] -- <program> [args...]
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
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

int main(int argc, char **argv) {
  pid_t parent = 0;
  const char *cpus = NULL, *rusage_file = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "+p:c:r:")) != -1) {
    switch (opt) {
      case 'p': parent = (pid_t)atol(optarg); break;
      case 'c': cpus = optarg; break;
      case 'r': rusage_file = optarg; break;
      default: die(126, "usage: yoda-exec -p <pid> [-c <cpus>] [-r <file>] -- <program> [args...]", NULL);
    }
  }
  if (optind >= argc) die(126, "no program given", NULL);
  tie_to_parent(parent);
  if (cpus) {
    int ncpus = 1 << 16;
    cpu_set_t *mask = CPU_ALLOC(ncpus);
    size_t size = CPU_ALLOC_SIZE(ncpus);
    if (parse_cpus(cpus, mask, size, ncpus) != 0) die(126, "bad CPU list", cpus);
    if (sched_setaffinity(0, size, mask) != 0) die(126, "sched_setaffinity", strerror(errno));
    CPU_FREE(mask);
  }
  if (!rusage_file) exec_payload(argv + optind);

  // Ignored before the fork, so a drain's SIGTERM can never catch the helper between fork and wait (the payload would
  // then die of its parent-death signal and its CPU time be lost); the payload gets the default handlers back.
  static const int drain_signals[] = {SIGTERM, SIGINT, SIGUSR1, SIGHUP};
  for (size_t k = 0; k < sizeof drain_signals / sizeof drain_signals[0]; k++) signal(drain_signals[k], SIG_IGN);
  pid_t self = getpid();
  pid_t child = fork();
  if (child < 0) die(126, "fork", strerror(errno));
  if (child == 0) {
    for (size_t k = 0; k < sizeof drain_signals / sizeof drain_signals[0]; k++) signal(drain_signals[k], SIG_DFL);
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
