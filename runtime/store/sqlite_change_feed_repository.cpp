#include "store/sqlite_multinode_repositories.hpp"
#include "store/sqlite_rows.hpp"

namespace plugboard::store {

using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::Data::Statement;

std::int64_t SqliteChangeFeedRepository::append(const std::string& topic, const std::string& key,
                                                const std::string& now) {
  return db_.run("recording a change", [&](Session& s) {
    // One transaction, so the seq read back is this insert's even with other writers about
    // (PostgreSQL: INSERT ... RETURNING seq).
    SqliteTransaction tx(s);
    s << "INSERT INTO change_feed (topic, key, created_at) VALUES (?, ?, ?)", useRef(topic), useRef(key),
        useRef(now), Poco::Data::Keywords::now;
    Poco::Int64 seq = 0;
    s << "SELECT MAX(seq) FROM change_feed", into(seq), Poco::Data::Keywords::now;
    tx.commit();
    return static_cast<std::int64_t>(seq);
  });
}

std::int64_t SqliteChangeFeedRepository::latest() {
  return db_.run("reading the change feed", [&](Session& s) {
    Poco::Nullable<Poco::Int64> seq;
    s << "SELECT MAX(seq) FROM change_feed", into(seq), now;
    return seq.isNull() ? std::int64_t{0} : static_cast<std::int64_t>(seq.value());
  });
}

std::vector<Change> SqliteChangeFeedRepository::after(std::int64_t after, std::int64_t limit) {
  return db_.run("reading the change feed", [&](Session& s) {
    Poco::Int64 from = after;
    Poco::Int64 n = limit;
    Statement st(s);
    st << "SELECT seq, topic, key FROM change_feed WHERE seq > ? ORDER BY seq LIMIT ?", use(from), use(n);
    return select_rows(st, [](const Poco::Data::RecordSet& rs, std::size_t row) {
      return Change{integer(rs, "seq", row), text(rs, "topic", row), text(rs, "key", row)};
    });
  });
}

std::int64_t SqliteChangeFeedRepository::prune(const std::string& cutoff) {
  return db_.run("pruning the change feed", [&](Session& s) {
    Statement st(s);
    st << "DELETE FROM change_feed WHERE created_at < ?", useRef(cutoff);
    return static_cast<std::int64_t>(st.execute());
  });
}

}  // namespace plugboard::store
