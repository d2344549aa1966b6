// Which allocator serves this process's malloc and operator new.
//
// The programs (the CLI, the tests, the benchmarks) link mimalloc when the
// build has SECBUDGET_MIMALLOC (the default, except in sanitizer and fuzz
// builds, whose runtimes bring their own allocator). Linked as a shared
// library, mimalloc replaces malloc, free and the C++ allocation functions
// for the whole process, SQLite and simdjson included. The alert pipeline
// allocates a few small blocks per alert (label sets, decisions); see
// docs/performance.md for what the allocator changes there.
#pragma once

#include <string>

namespace secbudget {

// "mimalloc 2.0.9" when mimalloc serves malloc; otherwise "system malloc",
// with a note when mimalloc was linked but something else serves malloc
// (the replacement did not take).
std::string AllocatorName();

// Whether mimalloc serves malloc in this process.
bool MimallocInEffect();

}  // namespace secbudget
