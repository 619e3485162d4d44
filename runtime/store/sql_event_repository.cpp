#include "store/sql_event_repositories.hpp"
#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::RecordSet;
using Poco::Data::Session;
using Poco::Data::Statement;

namespace {

constexpr const char* kColumns =
    "SELECT seq, id, workspace_id, project_id, type, source, external_id, entity, data, occurred_at,"
    " created_at, dispatched FROM events ";

EventRecord read_event(const RecordSet& rs, std::size_t row) {
  EventRecord e;
  e.seq = integer(rs, "seq", row);
  e.id = text(rs, "id", row);
  e.workspace_id = text(rs, "workspace_id", row);
  e.project_id = text(rs, "project_id", row);
  e.type = text(rs, "type", row);
  e.source = text(rs, "source", row);
  e.external_id = text(rs, "external_id", row);
  e.entity_json = text(rs, "entity", row);
  e.data_json = text(rs, "data", row);
  e.occurred_at = text(rs, "occurred_at", row);
  e.created_at = text(rs, "created_at", row);
  e.dispatched = integer(rs, "dispatched", row) != 0;
  return e;
}

}  // namespace

void SqlEventRepository::append(const EventRecord& e) {
  db_.run("storing event", [&](Session& s) {
    s << db_.sql(
        "INSERT INTO events (id, workspace_id, project_id, type, source, external_id, entity, data,"
        " occurred_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        useRef(e.id), useRef(e.workspace_id), useRef(e.project_id), useRef(e.type), useRef(e.source),
        useRef(e.external_id), useRef(e.entity_json), useRef(e.data_json), useRef(e.occurred_at),
        useRef(e.created_at), now;
  });
}

std::optional<EventRecord> SqlEventRepository::get(const std::string& id) {
  return db_.run("reading event", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE id = ?"), useRef(id);
    return select_one(st, read_event);
  });
}

std::optional<EventRecord> SqlEventRepository::find_external(const std::string& workspace_id,
                                                             const std::string& source,
                                                             const std::string& external_id) {
  return db_.run("reading event by external id", [&](Session& s) {
    Statement st(s);
    st << db_.sql(std::string(kColumns) +
                  "WHERE workspace_id = ? AND source = ? AND external_id = ? AND external_id <> ''"),
        useRef(workspace_id), useRef(source), useRef(external_id);
    return select_one(st, read_event);
  });
}

std::vector<EventRecord> SqlEventRepository::undispatched(std::int64_t limit) {
  return db_.run("listing undispatched events", [&](Session& s) {
    Poco::Int64 n = std::max<std::int64_t>(limit, 0);
    Statement st(s);
    st << db_.sql(std::string(kColumns) + "WHERE dispatched = 0 ORDER BY seq LIMIT ?"), use(n);
    return select_rows(st, read_event);
  });
}

void SqlEventRepository::mark_dispatched(const std::vector<std::int64_t>& seqs) {
  if (seqs.empty()) return;
  db_.run("marking events dispatched", [&](Session& s) {
    Transaction tx(db_, s);
    for (const auto seq : seqs) {
      Poco::Int64 v = seq;
      s << db_.sql("UPDATE events SET dispatched = 1 WHERE seq = ?"), use(v), now;
    }
    tx.commit();
  });
}

std::int64_t SqlEventRepository::prune(const std::string& cutoff, std::int64_t limit) {
  return db_.run("pruning events", [&](Session& s) {
    Poco::Int64 n = std::max<std::int64_t>(limit, 0);
    Statement st(s);
    // seq follows created_at (both are set at append), so the oldest go first.
    // Events an automation run still waits for stay: the run reads the event when it runs.
    st << db_.sql(
        "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE dispatched = 1 AND created_at < ?"
        " AND NOT EXISTS (SELECT 1 FROM automation_runs r WHERE r.event_id = events.id"
        " AND r.status IN ('pending', 'retrying')) ORDER BY seq LIMIT ?)"),
        useRef(cutoff), use(n);
    return static_cast<std::int64_t>(st.execute());
  });
}

}  // namespace plugboard::store
