// Counting every heap allocation of a unit-test binary, to prove that a
// wrapper's hot path allocates nothing. Linking this library replaces the
// global operator new and delete of the whole binary.
#ifndef CONFORMANCE_UNIT_COUNTING_NEW_H_
#define CONFORMANCE_UNIT_COUNTING_NEW_H_

namespace ipcproof::unit {

// Heap allocations made by this process so far.
long AllocationCount();

// Runs `round` `rounds` times and returns how many heap allocations they
// made between them.
template <typename Round>
long AllocationsIn(int rounds, Round round) {
  const long before = AllocationCount();
  for (int i = 0; i < rounds; ++i) round();
  return AllocationCount() - before;
}

}  // namespace ipcproof::unit

#endif  // CONFORMANCE_UNIT_COUNTING_NEW_H_
