// SPDX-License-Identifier: MIT
// The request body and Content-Type for an endpoint's content type.
#ifndef WEBHOOKD_ENCODING_BODY_HPP
#define WEBHOOKD_ENCODING_BODY_HPP

#include <webhookd/detail/config.hpp>
#include <webhookd/encoding/cloudevents.hpp>
#include <webhookd/encoding/default_body.hpp>
#include <webhookd/model/endpoint.hpp>
#include <webhookd/model/event.hpp>

#include <string>
#include <string_view>

namespace webhookd::encoding {

/// The `Content-Type` header for `content_type`: `application/json` or
/// `application/cloudevents+json`.
inline constexpr std::string_view media_type(model::endpoint_content_type content_type) noexcept {
  return content_type == model::endpoint_content_type::cloud_events ? cloudevents_media_type
                                                                    : json_media_type;
}

/** Encodes the body an endpoint of `content_type` receives for `e`
    (`encode_default_body` or `encode_cloudevent`). Adds one to `bodies_encoded`.

    The delivery path does not call this per endpoint: it goes through `encoded_event`,
    which encodes once per content type and shares the result.

    @par Thread safety
    Safe to call concurrently on distinct or shared (unmodified) events.
*/
inline std::string encode_body(const model::event& e, model::endpoint_content_type content_type,
                               const cloudevents_options& options = {}) {
  return content_type == model::endpoint_content_type::cloud_events ? encode_cloudevent(e, options)
                                                                    : encode_default_body(e);
}

} // namespace webhookd::encoding

#endif // WEBHOOKD_ENCODING_BODY_HPP
