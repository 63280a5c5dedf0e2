#include "conformance/kit/subreaper.h"

#include <sys/prctl.h>

#include <cerrno>

namespace ipcproof {

ScopedChildSubreaper::ScopedChildSubreaper() {
  if (::prctl(PR_GET_CHILD_SUBREAPER, &previous_) != 0 ||
      ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    error_ = errno;
  }
}

ScopedChildSubreaper::~ScopedChildSubreaper() {
  if (ok()) ::prctl(PR_SET_CHILD_SUBREAPER, previous_);
}

}  // namespace ipcproof
