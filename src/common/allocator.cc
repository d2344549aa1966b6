#include "common/allocator.h"

#include <fmt/format.h>

#include <cstdlib>
#include <memory>

#ifdef SECBUDGET_MIMALLOC
#include <mimalloc.h>
#endif

namespace secbudget {

bool MimallocInEffect() {
#ifdef SECBUDGET_MIMALLOC
  // A block from malloc (calloc) lies in mimalloc's heap exactly when mimalloc
  // replaced malloc; operator new (through libstdc++) is checked too.
  void* p = std::calloc(1, 48);  // zeroed: the check only takes its address
  const bool from_malloc = mi_is_in_heap_region(p);
  std::free(p);
  const auto q = std::make_unique<char[]>(48);  // value-initialised
  return from_malloc && mi_is_in_heap_region(q.get());
#else
  return false;
#endif
}

std::string AllocatorName() {
#ifdef SECBUDGET_MIMALLOC
  const int v = mi_version();
  if (MimallocInEffect()) return fmt::format("mimalloc {}.{}.{}", v / 100, v / 10 % 10, v % 10);
  return "system malloc (mimalloc linked but not in effect)";
#else
  return "system malloc";
#endif
}

}  // namespace secbudget
