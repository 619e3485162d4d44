#include "http/exchange.hpp"

#include <Poco/URI.h>

#include <istream>
#include <utility>

namespace plugboard::http {

std::optional<std::string> Exchange::query(const std::string& name) const {
  if (!query_) {
    query_.emplace();
    try {
      for (auto& [k, v] : Poco::URI(req_.getURI()).getQueryParameters()) query_->emplace(k, v);
    } catch (const Poco::Exception&) {
      // A malformed query string reads as no parameters.
    }
  }
  auto it = query_->find(name);
  if (it == query_->end()) return std::nullopt;
  return it->second;
}

const std::string& Exchange::body() {
  if (body_) return *body_;
  if (req_.hasContentLength() && req_.getContentLength64() > static_cast<Poco::Int64>(max_body_)) {
    body_overflowed_ = true;
    throw BodyTooLarge("request body of " + std::to_string(req_.getContentLength64()) +
                       " bytes exceeds the limit of " + std::to_string(max_body_));
  }
  std::string s;
  if (req_.hasContentLength()) s.reserve(static_cast<std::size_t>(req_.getContentLength64()));
  std::istream& in = req_.stream();
  char buf[16384];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    s.append(buf, static_cast<std::size_t>(in.gcount()));
    if (s.size() > max_body_) {  // chunked bodies have no length to check up front
      body_overflowed_ = true;
      throw BodyTooLarge("request body exceeds the limit of " + std::to_string(max_body_) + " bytes");
    }
  }
  body_ = std::move(s);
  request_read();
  return *body_;
}

bool Exchange::has_body() const {
  return req_.getChunkedTransferEncoding() || (req_.hasContentLength() && req_.getContentLength64() > 0);
}

void Exchange::on_request_read(std::function<void()> done) {
  request_read_ = std::move(done);
  if (!has_body()) request_read();
}

void Exchange::request_read() {
  if (auto done = std::exchange(request_read_, nullptr)) done();
}

std::optional<boost::json::object> Exchange::json_body(std::string& error) {
  const std::string& b = body();
  if (b.empty()) {
    error = "request body is empty; a JSON object is expected";
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(b, ec);
  // The text is not needed once parsed: release it rather than hold a large body twice.
  body_size_ = b.size();
  body_->clear();
  body_->shrink_to_fit();
  if (ec) {
    error = "request body is not valid JSON: " + ec.message();
    return std::nullopt;
  }
  if (!v.is_object()) {
    error = "request body must be a JSON object";
    return std::nullopt;
  }
  return std::move(v.get_object());
}

void Exchange::settle_body() {
  settle_unread_body();
  request_read();  // read, drained, or left for the close: either way no longer arriving
}

void Exchange::settle_unread_body() {
  if (body_overflowed_) {
    resp_.setKeepAlive(false);
    return;
  }
  if (body_ || !has_body()) return;
  if (req_.hasContentLength() && req_.getContentLength64() > static_cast<Poco::Int64>(max_body_)) {
    resp_.setKeepAlive(false);
    return;
  }
  try {
    std::istream& in = req_.stream();
    char buf[16384];
    std::size_t total = 0;
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      total += static_cast<std::size_t>(in.gcount());
      if (total > max_body_) {
        resp_.setKeepAlive(false);
        return;
      }
    }
  } catch (const std::exception&) {
    resp_.setKeepAlive(false);
  }
}

void Exchange::send_text(int status, const std::string& content_type, const std::string& body) {
  settle_body();
  resp_.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  resp_.setContentType(content_type);
  resp_.setContentLength64(static_cast<Poco::Int64>(body.size()));
  resp_.set("X-Request-Id", request_id_);
  resp_.send().write(body.data(), static_cast<std::streamsize>(body.size()));
}

void Exchange::send_json(int status, const boost::json::value& body) {
  send_text(status, "application/json; charset=utf-8", boost::json::serialize(body));
}

void Exchange::send_error(int status, const std::string& code, const std::string& message,
                          const std::string& field) {
  boost::json::object e{{"code", code}, {"message", message}};
  if (!field.empty()) e["field"] = field;
  send_json(status,
            boost::json::object{{"errors", boost::json::array{std::move(e)}}, {"request_id", request_id_}});
}

int status_for(const std::string& code) {
  if (code == "validation_error") return 400;
  if (code == "unauthorized") return 401;
  if (code == "forbidden") return 403;
  if (code == "not_found") return 404;
  if (code == "method_not_allowed") return 405;
  if (code == "conflict") return 409;
  if (code == "payload_too_large") return 413;
  if (code == "rate_limited") return 429;
  if (code == "provider_error") return 502;
  return 500;
}

}  // namespace plugboard::http
