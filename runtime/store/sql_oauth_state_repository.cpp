#include "store/sql_oauth_state_repository.hpp"

#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kSelect =
    "SELECT id, payload, expires_at, consumed_at, created_at FROM oauth_states WHERE id = ?";

OAuthState read_state(const RecordSet& rs, std::size_t row) {
  OAuthState s;
  s.id = text(rs, "id", row);
  s.payload = text(rs, "payload", row);
  s.expires_at = text(rs, "expires_at", row);
  s.consumed_at = optional_text(rs, "consumed_at", row);
  s.created_at = text(rs, "created_at", row);
  return s;
}

}  // namespace

void SqlOAuthStateRepository::create(const OAuthState& st) {
  db_.run("creating OAuth state", [&](Session& s) {
    Poco::Nullable<std::string> consumed_at = to_nullable(st.consumed_at);
    s << db_.sql(
        "INSERT INTO oauth_states (id, payload, expires_at, consumed_at, created_at) VALUES (?, ?, ?, ?, ?)"),
        useRef(st.id), useRef(st.payload), useRef(st.expires_at), use(consumed_at), useRef(st.created_at),
        now;
  });
}

std::optional<OAuthState> SqlOAuthStateRepository::take(const std::string& id, const std::string& at) {
  return db_.run("taking OAuth state", [&](Session& s) -> std::optional<OAuthState> {
    // One conditional UPDATE decides the winner; the read in the same transaction cannot
    // see a prune in between.
    Transaction tx(db_, s);
    std::optional<OAuthState> taken;
    {
      Statement update(s);
      update << db_.sql(
          "UPDATE oauth_states SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL AND expires_at "
          "> ?"),
          useRef(at), useRef(id), useRef(at);
      if (update.execute() == 1) {
        Statement select(s);
        select << db_.sql(kSelect), useRef(id);
        taken = select_one(select, read_state);
      }
    }
    tx.commit();
    return taken;
  });
}

std::optional<OAuthState> SqlOAuthStateRepository::get(const std::string& id) {
  return db_.run("reading OAuth state", [&](Session& s) {
    Statement st(s);
    st << db_.sql(kSelect), useRef(id);
    return select_one(st, read_state);
  });
}

std::int64_t SqlOAuthStateRepository::prune(const std::string& cutoff) {
  return db_.run("pruning OAuth states", [&](Session& s) {
    Statement st(s);
    st << db_.sql("DELETE FROM oauth_states WHERE expires_at < ?"), useRef(cutoff);
    return static_cast<std::int64_t>(st.execute());
  });
}

}  // namespace plugboard::store
