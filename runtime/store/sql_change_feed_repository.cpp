#include "store/sql_multinode_repositories.hpp"
#include "store/sql_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::Data::Statement;

std::int64_t SqlChangeFeedRepository::append(const std::string& topic, const std::string& key,
                                             const std::string& now) {
  return db_.run("recording a change", [&](Session& s) {
    // Watchers read "seq > last seen", so a seq must never become visible after a higher one.
    // SQLite's write lock already orders the appends; on PostgreSQL, identity values are taken
    // at insert but commits may land in another order, so appends take the table's lock
    // (EXCLUSIVE still lets readers read) and commit in seq order.
    Transaction tx(db_, s);
    if (db_.dialect() == Dialect::postgresql)
      s << "LOCK TABLE change_feed IN EXCLUSIVE MODE", Poco::Data::Keywords::now;
    s << db_.sql("INSERT INTO change_feed (topic, key, created_at) VALUES (?, ?, ?)"), useRef(topic),
        useRef(key), useRef(now), Poco::Data::Keywords::now;
    Poco::Int64 seq = 0;
    s << "SELECT MAX(seq) FROM change_feed", into(seq), Poco::Data::Keywords::now;
    tx.commit();
    return static_cast<std::int64_t>(seq);
  });
}

std::int64_t SqlChangeFeedRepository::latest() {
  return db_.run("reading the change feed", [&](Session& s) {
    Poco::Nullable<Poco::Int64> seq;
    s << "SELECT MAX(seq) FROM change_feed", into(seq), now;
    return seq.isNull() ? std::int64_t{0} : static_cast<std::int64_t>(seq.value());
  });
}

std::vector<Change> SqlChangeFeedRepository::after(std::int64_t after, std::int64_t limit) {
  return db_.run("reading the change feed", [&](Session& s) {
    Poco::Int64 from = after;
    Poco::Int64 n = limit;
    Statement st(s);
    st << db_.sql("SELECT seq, topic, key FROM change_feed WHERE seq > ? ORDER BY seq LIMIT ?"), use(from),
        use(n);
    return select_rows(st, [](const Poco::Data::RecordSet& rs, std::size_t row) {
      return Change{integer(rs, "seq", row), text(rs, "topic", row), text(rs, "key", row)};
    });
  });
}

std::int64_t SqlChangeFeedRepository::prune(const std::string& cutoff) {
  return db_.run("pruning the change feed", [&](Session& s) {
    Statement st(s);
    st << db_.sql("DELETE FROM change_feed WHERE created_at < ?"), useRef(cutoff);
    return static_cast<std::int64_t>(st.execute());
  });
}

}  // namespace plugboard::store
