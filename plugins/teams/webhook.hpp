// Incoming-webhook mode: a connection of auth type `custom` holds the channel's webhook URL
// (https://<tenant>.webhook.office.com/webhookb2/...). The URL is the credential, so it never
// appears in a result, an error or a log line written here.
#pragma once

#include <plugboard/sdk.hpp>

#include <string>

namespace teams {

namespace json = boost::json;

// The connection's webhook_url, or "" when it is a Graph (oauth2 or bearer) connection.
std::string webhook_url(const plugboard::Context& ctx);

// Posts `payload` to the webhook. Teams answers HTTP 200 with the body "1" (Power Automate
// workflow webhooks: 202 with an empty body); anything else throws PROVIDER_ERROR.
void post_to_webhook(const plugboard::Context& ctx, const std::string& url, const json::value& payload);

// The host[:port] of a URL, for messages that must not show the URL's secret path.
std::string url_host(const std::string& url);

}  // namespace teams
