// Making the test process a child subreaper for a scope (prctl(2)
// PR_SET_CHILD_SUBREAPER), so the descendants a killed child leaves behind
// are re-parented to the test, which can reap them and see how they died,
// instead of to the runner or init.
#ifndef CONFORMANCE_KIT_SUBREAPER_H_
#define CONFORMANCE_KIT_SUBREAPER_H_

namespace ipcproof {

// Sets PR_SET_CHILD_SUBREAPER to 1 and, on scope exit, back to what
// PR_GET_CHILD_SUBREAPER read before (an enclosing scope, or the runner,
// may have set it already). Whether the set worked is for the caller to
// assert: ASSERT_TRUE(subreaper.ok()) << ErrnoName(subreaper.error()).
class ScopedChildSubreaper {
 public:
  ScopedChildSubreaper();
  ~ScopedChildSubreaper();
  ScopedChildSubreaper(const ScopedChildSubreaper&) = delete;
  ScopedChildSubreaper& operator=(const ScopedChildSubreaper&) = delete;

  bool ok() const { return error_ == 0; }
  // The errno of the failed prctl (PR_GET_ or PR_SET_CHILD_SUBREAPER); 0
  // when this process is now a subreaper.
  int error() const { return error_; }

 private:
  int previous_ = 0;
  int error_ = 0;
};

}  // namespace ipcproof

#endif  // CONFORMANCE_KIT_SUBREAPER_H_
