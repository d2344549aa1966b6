#include "common/allocator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <thread>

namespace secbudget {
namespace {

#ifdef SECBUDGET_MIMALLOC
// The build links mimalloc: it must really serve malloc and operator new
// (a link order or --as-needed mistake would leave glibc's malloc in place,
// and this fails).
TEST(AllocatorTest, MimallocServesMallocWhenLinked) {
  EXPECT_TRUE(MimallocInEffect());
  EXPECT_EQ(AllocatorName().rfind("mimalloc 2.", 0), 0u) << AllocatorName();
}

// Blocks cross threads (the delivery workers free what the engine made):
// mimalloc frees a block from another thread into its owner's heap.
TEST(AllocatorTest, BlocksFreedOnAnotherThread) {
  std::string* s = new std::string(1000, 'x');
  std::thread([s] { delete s; }).join();
  void* p = nullptr;
  std::thread([&p] { p = std::malloc(1 << 20); }).join();
  ASSERT_NE(p, nullptr);
  static_cast<char*>(p)[(1 << 20) - 1] = 1;
  std::free(p);
  EXPECT_TRUE(MimallocInEffect());
}
#else
TEST(AllocatorTest, SystemMallocWithoutMimalloc) {
  EXPECT_FALSE(MimallocInEffect());
  EXPECT_EQ(AllocatorName(), "system malloc");
}
#endif

}  // namespace
}  // namespace secbudget
