// A program that uses webhookd as a consumer would: one include, one target.
#include <webhookd/webhookd.hpp>

#include <cstdio>
#include <string>

int main() {
  // Lucca scheme test vector (SPEC.md Part 1 §1).
  const webhookd::signing::lucca_signer signer("b3YGydKxao0CYEg4-2LM81rviT-vl2JzKyf_zlewRn0cpoHzh4mRLj5_Ty5neQta");
  const std::string signature =
      signer.sign("2025-01-01T08:34:23Z", R"({"id":"123","type":"event","topic":"employee.created"})");
  std::printf("webhookd %s: %s\n", webhookd::version_string, signature.c_str());
  return signature == "neHJizYcpdPyD+yroKYvvvpHdWbzzRSlRIb68z1t1Po=" ? 0 : 1;
}
