// Webhooks and deliveries as the API shows them (seed 000's shapes), and webhook request
// bodies as the service takes them. Header values and the secret never appear: headers are
// listed by name with "[REDACTED]", and the secret only in create's answer.
#pragma once

#include "events/webhook_service.hpp"

#include <boost/json.hpp>

namespace plugboard::http {

boost::json::object render_webhook(const store::WebhookRecord& w,
                                   const std::vector<std::string>& header_names);
boost::json::object render_delivery(const store::WebhookDelivery& d);
// For the audit log: the non-identity fields, header names only, and a fingerprint of the
// sealed secret (so a new secret shows as a change, redacted).
boost::json::object audit_webhook(const store::WebhookRecord& w,
                                  const std::vector<std::string>& header_names);

// Seed 000's create/update body, with seed 003's createCustom names (webhookUrl, secret) and
// the Zapier/Make subscription names (webhook_url, trigger_event) as aliases. Unknown fields
// are refused, naming the field. Throws ServiceError.
events::WebhookInput webhook_input(const boost::json::object& body, const std::string& workspace_id);

}  // namespace plugboard::http
