#include <pthread.h>
#include "signals.h"

sigset_t signals_hold(void) {
  sigset_t block, saved;
  sigfillset(&block);
  sigdelset(&block, SIGSEGV);
  sigdelset(&block, SIGBUS);
  sigdelset(&block, SIGFPE);
  sigdelset(&block, SIGILL);
  sigdelset(&block, SIGTRAP);
  pthread_sigmask(SIG_BLOCK, &block, &saved);
  return saved;
}

void signals_release(sigset_t saved) { pthread_sigmask(SIG_SETMASK, &saved, NULL); }
