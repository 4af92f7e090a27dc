# Builds native/build/Release/yoda_affinity.node (Linux only: sched_setaffinity, /proc/<pid>/task).
{
  "targets": [
    {
      "target_name": "yoda_affinity",
      "sources": ["affinity.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
