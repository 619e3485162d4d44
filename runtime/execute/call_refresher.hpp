// Refreshes an OAuth token the provider rejected in the middle of a call (see pb_call).
#pragma once

#include "execute/call.hpp"
#include "execute/execute_error.hpp"
#include "execute/token_manager.hpp"

#include <memory>
#include <optional>

namespace plugboard::execute {

// Gets a new token after the provider rejected the current one and repoints the call at it.
class CallRefresher final : public CredentialRefresher {
 public:
  CallRefresher(TokenManager& tokens, pb_call& call, std::shared_ptr<const ResolvedConnection> conn)
      : tokens_(tokens), call_(call), conn_(std::move(conn)) {}
  bool refresh() override {
    if (!conn_->credentials) return false;
    const auto* at = conn_->credentials->if_contains("access_token");
    if (at == nullptr || !at->is_string()) return false;
    try {
      auto fresh =
          tokens_.after_rejection(conn_->record.id, std::string(at->get_string()), call_.remaining());
      if (!fresh || !fresh->credentials || !fresh->injected || fresh == conn_) return false;
      conn_ = std::move(fresh);
      call_.credentials = &*conn_->credentials;
      call_.injected = &*conn_->injected;
      return true;
    } catch (const TokenRefreshFailure& f) {
      failure = f.error;
      return false;
    }
  }
  std::optional<ExecuteError> failure;

 private:
  TokenManager& tokens_;
  pb_call& call_;
  std::shared_ptr<const ResolvedConnection> conn_;  // keeps what the call points at alive
};

}  // namespace plugboard::execute
