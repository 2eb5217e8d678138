// Links two translation units that both include <webhookd/webhookd.hpp>: a function
// defined non-inline in a header would fail to link here with a duplicate symbol.
#include <cstdio>
#include <string>

std::string first_translation_unit();
std::string second_translation_unit();

int main() {
  const bool same = first_translation_unit() == second_translation_unit();
  std::puts(same ? "ok" : "mismatch");
  return same ? 0 : 1;
}
