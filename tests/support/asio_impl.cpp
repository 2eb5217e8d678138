// Compiles Asio (and its SSL support) once for every test executable that links
// webhookd_test_support (ASIO_SEPARATE_COMPILATION is a PUBLIC definition).
#include <asio/impl/src.hpp>
#include <asio/ssl/impl/src.hpp>
