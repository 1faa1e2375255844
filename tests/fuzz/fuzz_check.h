// FUZZ_CHECK: the invariant check of the libFuzzer targets. A failed check prints what
// failed and aborts, which libFuzzer reports as a crash and saves the input as a reproducer.
// (A macro so the message names the file and line; used only by the fuzz targets.)
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition, what)                                                        \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "%s:%d: invariant failed: %s (%s)\n", __FILE__, __LINE__, what, \
                   #condition);                                                            \
      std::abort();                                                                        \
    }                                                                                      \
  } while (false)
