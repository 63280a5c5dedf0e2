#include "tools/verify/claim_selection.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/verify/verify_error.h"

namespace ipcproof::verify {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::ThrowsMessage;

claims::Registry SmallRegistry() {
  claims::Registry registry;
  registry.areas = {{"pipe", "Pipes"}, {"fifo", "FIFOs"}, {"mq", "Queues"}};
  for (const char* id : {"pipe.blocks", "pipe.two-kinds", "fifo.is-a-file",
                         "mq.size-limited", "pipe.beyond.atomic"}) {
    claims::Claim claim;
    claim.id = id;
    claim.area = std::string(id).substr(0, std::string(id).find('.'));
    registry.claims.push_back(claim);
  }
  return registry;
}

TEST(SelectClaimsTest, NothingAskedIsEveryClaim) {
  EXPECT_THAT(SelectClaims(SmallRegistry(), {}, {}), IsEmpty());
}

TEST(SelectClaimsTest, GlobsIdsAndAreasUniteInRegistryOrder) {
  EXPECT_THAT(
      SelectClaims(SmallRegistry(), {"mq.size-limited", "pipe.b*"}, {"fifo"}),
      ElementsAre("pipe.blocks", "fifo.is-a-file", "mq.size-limited",
                  "pipe.beyond.atomic"));
  EXPECT_THAT(
      SelectClaims(SmallRegistry(), {"pipe.*", "pipe.blocks"}, {}),
      ElementsAre("pipe.blocks", "pipe.two-kinds", "pipe.beyond.atomic"));
}

TEST(SelectClaimsTest, WhatMatchesNothingIsAUsageError) {
  EXPECT_THAT([] { SelectClaims(SmallRegistry(), {"pipe.nope"}, {}); },
              ThrowsMessage<UsageError>(
                  HasSubstr("no claim of the registry matches \"pipe.nope\"")));
  EXPECT_THAT([] { SelectClaims(SmallRegistry(), {}, {"shm"}); },
              ThrowsMessage<UsageError>(HasSubstr(
                  "no area \"shm\" (the registry has pipe, fifo, mq)")));
}

TEST(GtestFilterForClaimsTest, JoinsTheDeclaringTestsOnce) {
  claims::ClaimIndex index;
  index.declarations = {
      {"pipe.blocks", "PipeTest.ReadBlocks", "conformance/pipe/p.cc", 10},
      {"pipe.two-kinds", "PipeTest.ReadBlocks", "conformance/pipe/p.cc", 10},
      {"fifo.is-a-file", "FifoTest.Exists", "conformance/pipe/f.cc", 3},
      {"mq.size-limited", "MqTest.Limit", "conformance/mq/m.cc", 7},
  };
  const std::string filter = GtestFilterForClaims(
      index, {"pipe.blocks", "pipe.two-kinds", "fifo.is-a-file"});
  EXPECT_EQ(filter, claims::GtestFilterFor(index.declarations[0]) + ":" +
                        claims::GtestFilterFor(index.declarations[2]));
  EXPECT_THAT(filter, HasSubstr("PipeTest.ReadBlocks"));
  EXPECT_THAT(filter, Not(HasSubstr("MqTest")));
  EXPECT_EQ(GtestFilterForClaims(index, {"pipe.beyond.atomic"}), "");
}

}  // namespace
}  // namespace ipcproof::verify
