// Compiles Asio (and its SSL support) once for every test executable that links
// webhookd_test_support (ASIO_SEPARATE_COMPILATION is a PUBLIC definition).

// A standard header first: Asio's config detects aligned_alloc through libstdc++'s
// _GLIBCXX_HAVE_ALIGNED_ALLOC, which only exists once a standard header was included.
// Without it this TU would free recycled handler memory with operator delete while
// the other TUs (which include standard headers before Asio) allocate it with
// aligned_alloc: an ODR violation that AddressSanitizer reports as
// alloc-dealloc-mismatch.
#include <cstddef>

#include <asio/impl/src.hpp>
#include <asio/ssl/impl/src.hpp>
