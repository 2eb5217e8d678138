// A program that uses the installed SQLite adapter: webhookd::sqlite brings SQLite.
#include <webhookd/core/clock.hpp>
#include <webhookd/store/sqlite_store.hpp>

#include <cstdio>
#include <filesystem>
#include <string>

int main() {
  const auto path = std::filesystem::temp_directory_path() / "webhookd-consumer.db";
  std::filesystem::remove(path);
  auto store = webhookd::store::sqlite_store::open(path.string());
  if (!store) {
    std::printf("sqlite_store: %s\n", store.error().message().c_str());
    return 1;
  }
  const auto stats = (*store)->stats(webhookd::default_clock().now());
  std::printf("sqlite_store opened: %lld endpoints\n", stats ? static_cast<long long>(stats->endpoints) : -1LL);
  store->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  return stats ? 0 : 1;
}
