/* Asynchronous signals are held back while native code computes. oneDNN 2.6's JIT gemm corrupted the malloc heap
 * when a signal handler ran on its thread mid-product (reproduced in plain C with a no-op SIGPROF handler; Node
 * takes SIGINT, SIGCHLD and the profiler's ticks on the main thread). Every kernel that may start OpenMP threads
 * holds them too, so the pool's threads are born with the mask and never take a signal. Faults stay unblocked. */
#ifndef ELECTRA_NATIVE_SIGNALS_H
#define ELECTRA_NATIVE_SIGNALS_H
#include <signal.h>

sigset_t signals_hold(void);
void signals_release(sigset_t saved);
#endif
