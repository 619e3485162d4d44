// One request/response pair as the handlers see it: path parameters, the request id, a
// size-limited body, the authenticated principal, and the two ways of answering (API.md's
// error shape, or a JSON body).
#pragma once

#include "auth/principal.hpp"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <boost/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace plugboard::http {

// The body was larger than the server accepts.
struct BodyTooLarge : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Exchange {
 public:
  Exchange(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp, std::string request_id,
           std::size_t max_body)
      : req_(req), resp_(resp), request_id_(std::move(request_id)), max_body_(max_body) {}

  Poco::Net::HTTPServerRequest& request() { return req_; }
  const std::string& method() const { return req_.getMethod(); }
  const std::string& request_id() const { return request_id_; }
  std::string header(const std::string& name) const { return req_.get(name, ""); }

  // Path parameters captured by the router ({id} -> value), URL-decoded.
  std::map<std::string, std::string>& params() { return params_; }
  const std::string& param(const std::string& name) const { return params_.at(name); }
  // Query parameter, URL-decoded; nullopt when absent.
  std::optional<std::string> query(const std::string& name) const;

  // The raw body, read once. Throws BodyTooLarge.
  const std::string& body();
  // The body as a JSON object; nullopt (with `error` set) when it is not one. The raw text is
  // released once parsed (body() is empty afterwards; body_size() keeps its length).
  std::optional<boost::json::object> json_body(std::string& error);
  std::size_t body_size() const { return body_size_; }
  // `done` runs once the whole request has arrived: at once when there is no body, otherwise
  // when the body has been read or drained (the server's request deadline stops there).
  void on_request_read(std::function<void()> done);

  std::shared_ptr<const auth::Principal> principal;

  void send_json(int status, const boost::json::value& body);
  void send_text(int status, const std::string& content_type, const std::string& body);
  // API.md's error shape: {"errors":[{"code","message","field"?}],"request_id"}.
  void send_error(int status, const std::string& code, const std::string& message,
                  const std::string& field = {});
  void set_header(const std::string& name, const std::string& value) { resp_.set(name, value); }
  bool sent() const { return resp_.sent(); }

 private:
  Poco::Net::HTTPServerRequest& req_;
  Poco::Net::HTTPServerResponse& resp_;
  std::string request_id_;
  std::size_t max_body_;
  std::map<std::string, std::string> params_;
  mutable std::optional<std::map<std::string, std::string>> query_;
  std::optional<std::string> body_;
  bool body_overflowed_ = false;
  std::size_t body_size_ = 0;
  std::function<void()> request_read_;

  bool has_body() const;
  void request_read();

  // Before answering: a body the handler never read must not be parsed as the next request
  // on this connection. Drain it when it is small enough, otherwise close after answering.
  void settle_body();
  void settle_unread_body();
};

// Status for each error code of API.md.
int status_for(const std::string& code);

}  // namespace plugboard::http
