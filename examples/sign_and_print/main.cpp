// sign_and_print: the life of one webhook up to the wire, without a network.
//
// Creates a webhook endpoint from a JSON request (as the REST API would receive it),
// encodes one sample event in both content types, signs each body with the Lucca
// scheme, prints the exact HTTP requests webhookd would send, and checks them the way
// a receiver does.
#include <webhookd/webhookd.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

namespace model = webhookd::model;
namespace signing = webhookd::signing;
namespace encoding = webhookd::encoding;

namespace {

void heading(const char* title) { std::printf("\n=== %s\n\n", title); }

// What a client would POST to /lucca-api/webhook-endpoints (seed 002's request body,
// read-only fields included: they are ignored).
constexpr const char* create_request = R"({
  "id": "456789412",
  "type": "webhook-endpoint",
  "apiVersion": "2024-11-01",
  "webhookUrl": "https://i-am-aweso.me/lucca-webhooks/123",
  "topics": ["employee.created", "employee.updated", "employee.deleted"],
  "status": "active",
  "contentType": "default",
  "links": null
})";

constexpr const char* bad_request = R"({
  "webhookUrl": "http://user:pw@i-am-aweso.me/hooks",
  "topics": ["employee.created", "Employee Created", "employee.created"],
  "contentType": "xml",
  "status": "suspended",
  "colour": "blue"
})";

model::event sample_event(webhookd::id_generator& ids, webhookd::timestamp now) {
  model::event e;
  e.id = ids.next(now);
  e.url = "https://example.ilucca.net/lucca-api/events/" + e.id;
  e.topic = "employee.updated";
  e.occurred_at = now;
  e.source = "https://example.ilucca.net";
  e.business_establishment = model::reference{
      "12", "business-establishment",
      "https://example.ilucca.net/lucca-api/business-establishments/12"};
  e.data = {{"id", "416"},
            {"type", "employee"},
            {"url", "https://example.ilucca.net/lucca-api/employees/416"},
            {"givenName", "Edward"},
            {"familyName", "Atkinson"},
            {"email", "eatkinson@acme.corp"}};
  e.previous_attributes = nlohmann::json{{"givenName", "Ed"}};
  return e;
}

} // namespace

int main() {
  const webhookd::clock& clock = webhookd::default_clock();
  webhookd::id_generator ids;

  heading("1. A client asks for an endpoint (invalid request first)");
  auto rejected = model::parse_endpoint_create(nlohmann::json::parse(bad_request));
  std::printf("POST /lucca-api/webhook-endpoints %s\n-> 400, every broken rule named:\n", bad_request);
  for (const auto& e : rejected.error()) std::printf("   %s\n", e.message().c_str());

  auto request = model::parse_endpoint_create(nlohmann::json::parse(create_request));
  if (!request) {
    std::cerr << "unexpected: the sample request was refused\n";
    return 1;
  }
  model::webhook_endpoint endpoint;
  const auto now = clock.now();
  endpoint.id = ids.next(now);
  endpoint.url = "https://example.ilucca.net/lucca-api/webhook-endpoints/" + endpoint.id;
  endpoint.api_version = request->api_version;
  endpoint.webhook_url = request->webhook_url;
  endpoint.topics = request->topics;
  endpoint.content_type = request->content_type;
  endpoint.status = model::endpoint_status::inactive; // until the activation challenge passes
  endpoint.secret = signing::generate_secret();
  endpoint.created_at = endpoint.last_updated_at = now;
  std::printf("\nThe valid request -> 201, the secret shown this once:\n%s\n",
              model::to_json_with_secret(endpoint).dump(2).c_str());

  heading("2. The host publishes an event; it is encoded once per content type");
  auto event = sample_event(ids, clock.now());
  if (auto valid = model::validate_event(event); !valid) {
    for (const auto& e : valid.error()) std::cerr << e.message() << '\n';
    return 1;
  }
  std::printf("event %s, topic %s, from %s\n", event.id.c_str(), event.topic.c_str(),
              event.source.c_str());
  const auto encoded = std::make_shared<encoding::encoded_event>(std::move(event));

  const signing::lucca_signer signer(endpoint.secret);
  const auto target = webhookd::parse_url(endpoint.webhook_url);
  bool all_verified = true;
  for (auto content_type : {model::endpoint_content_type::default_,
                            model::endpoint_content_type::cloud_events}) {
    heading(content_type == model::endpoint_content_type::default_
                ? "3. The request to a `default` endpoint"
                : "4. The request to a `cloudEvents` endpoint");
    const std::shared_ptr<const std::string> body = encoded->body(content_type);
    const std::string timestamp = webhookd::format_rfc3339_seconds(clock.now());
    const std::string signature = signer.sign(timestamp, *body);

    webhookd::http::request req("POST", *target, body);
    req.set("Content-Type", encoding::media_type(content_type));
    req.set("Api-Version", webhookd::format_date(endpoint.api_version));
    req.set(signing::lucca_timestamp_header, timestamp);
    req.set(signing::lucca_signature_header, signature);
    req.seal();
    std::cout << req.head() << *body << "\n";

    // What the receiver does: recompute, compare in constant time, check the clock.
    signing::verification_failure why;
    const auto verified =
        signing::verify_lucca(endpoint.secret, timestamp, signature, *body, clock.now(),
                              signing::default_tolerance, &why);
    std::printf("\nreceiver check: %s\n", verified ? "signature valid, timestamp fresh"
                                                     : why.reason.c_str());
    all_verified = all_verified && verified.has_value();

    const std::string tampered = *body + " ";
    const auto forged = signing::verify_lucca(endpoint.secret, timestamp, signature, tampered,
                                              clock.now(), signing::default_tolerance, &why);
    std::printf("receiver check of the same request with one byte added: %s\n",
                forged ? "ACCEPTED (wrong!)" : why.reason.c_str());
    all_verified = all_verified && !forged;
  }

  std::printf("\nbodies encoded in all: %llu (one per content type, shared by every delivery)\n",
              static_cast<unsigned long long>(encoding::bodies_encoded.load()));
  return all_verified ? 0 : 1;
}
