#include "postgres_connection.hpp"

#include <cstdio>
#include <iostream>

#include "stategraph/checkpoint/redact_password.hpp"

namespace sg::pg {

namespace {

// libpq and libpqxx messages end in newlines and sometimes carry a "FATAL:  " / "ERROR:  "
// prefix; messages are one line here.
std::string tidy(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (const char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  for (const std::string_view prefix : {"FATAL: ", "ERROR: "}) {
    if (out.rfind(prefix, 0) == 0) out.erase(0, prefix.size());
  }
  return out;
}

bool is_uri(const std::string& s) { return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0; }

std::string percent_encode(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '_' ||
        u == '.' || u == '~') {
      out.push_back(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", u);
      out += buf;
    }
  }
  return out;
}

std::string conninfo_quote(std::string_view s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

}  // namespace

std::string build_conninfo(const std::string& uri, const PostgresSaverOptions& options) {
  std::vector<std::pair<std::string, std::string>> params;
  if (options.connect_timeout.count() > 0) {
    params.emplace_back("connect_timeout", std::to_string(options.connect_timeout.count()));
  }
  params.emplace_back("application_name", options.application_name);
  // statement_timeout 0 = none, which is also the server default; set it anyway so that a
  // server-side default does not apply to us unnoticed. JIT off: our statements are short index
  // probes, but the recursive walk's row estimates can push their cost over jit_above_cost, and
  // compiling then takes 10-40 ms for a statement that runs in 1.
  params.emplace_back("options", "-c statement_timeout=" + std::to_string(options.statement_timeout.count()) +
                                     " -c jit=off" +
                                     (options.read_only ? " -c default_transaction_read_only=on" : ""));

  std::string out = uri;
  if (is_uri(uri)) {
    char sep = uri.find('?') == std::string::npos ? '?' : '&';
    for (const auto& [key, value] : params) {
      out.push_back(sep);
      out += key + "=" + percent_encode(value);
      sep = '&';
    }
  } else {
    for (const auto& [key, value] : params) out += " " + key + "=" + conninfo_quote(value);
  }
  return out;
}

std::string quote_ident(std::string_view name) {
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

Failure classify_current_exception() {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    // libpqxx's own text is often about a symptom ("Could not obtain client encoding").
    return {FailureKind::broken, "08006", "the connection to the server was lost (" + tidy(e.what()) + ")"};
  } catch (const pqxx::in_doubt_error& e) {
    // The connection broke while committing. Every saver call is idempotent: retry it.
    return {FailureKind::broken, "08007", "the connection was lost while committing (" + tidy(e.what()) + ")"};
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    FailureKind kind = FailureKind::other;
    if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03") {
      kind = FailureKind::broken;  // connection exception; admin/crash shutdown; cannot connect now
    } else if (state == "40001" || state == "40P01") {
      kind = FailureKind::transient;
    } else if (state == "57014") {
      kind = FailureKind::timeout;
    }
    return {kind, state, tidy(e.what())};
  } catch (const pqxx::deadlock_detected& e) {
    return {FailureKind::transient, "40P01", tidy(e.what())};
  } catch (const pqxx::serialization_failure& e) {
    return {FailureKind::transient, "40001", tidy(e.what())};
  } catch (const pqxx::statement_completion_unknown& e) {
    return {FailureKind::broken, "40003", tidy(e.what())};
  } catch (const pqxx::transaction_rollback& e) {
    return {FailureKind::transient, "40000", tidy(e.what())};
  } catch (const std::exception& e) {
    return {FailureKind::other, "", tidy(e.what())};
  }
}

void throw_failure(std::string_view operation, const Failure& failure) {
  const std::string what = std::string("postgres saver: ") + std::string(operation);
  switch (failure.kind) {
    case FailureKind::broken:
    case FailureKind::transient:
      throw SaverUnavailable(what + " failed: " + failure.message + " (SQLSTATE " + failure.sqlstate +
                                 "); the call was not completed, try again",
                             failure.sqlstate);
    case FailureKind::timeout:
      throw SaverUnavailable(what + " exceeded statement_timeout: " + failure.message + " (SQLSTATE " +
                                 failure.sqlstate + ")",
                             failure.sqlstate);
    case FailureKind::other:
      break;
  }
  throw SaverError(ErrorId::saver_statement_rejected,
                   what + " was rejected by the server: " + failure.message +
                       (failure.sqlstate.empty() ? std::string() : " (SQLSTATE " + failure.sqlstate + ")"),
                   failure.sqlstate);
}

Pool::Pool(std::string uri, const PostgresSaverOptions& options, std::function<void(pqxx::connection&)> prepare,
           Counters& counters)
    : conninfo_(build_conninfo(uri, options)),
      target_(redact_password(uri)),
      retries_(options.retries < 0 ? 0 : options.retries),
      size_(options.pool_size),
      log_(options.log),
      prepare_(std::move(prepare)),
      counters_(counters) {}

Pool::~Pool() = default;

std::unique_ptr<pqxx::connection> Pool::connect() {
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(conninfo_);
  } catch (const pqxx::broken_connection& e) {
    throw SaverUnavailable("postgres saver: cannot connect to " + target_ + ": " + redact_password(tidy(e.what())), "08001");
  } catch (const pqxx::sql_error& e) {
    throw SaverUnavailable("postgres saver: cannot connect to " + target_ + ": " + redact_password(tidy(e.what())), e.sqlstate());
  } catch (const pqxx::pqxx_exception& e) {
    // e.g. an invalid connection string
    throw SaverUnavailable("postgres saver: cannot connect to " + target_ + ": " + redact_password(tidy(e.base().what())), "08001");
  }
  ++counters_.connections_opened;
  if (prepare_) prepare_(*conn);
  return conn;
}

Pool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->give_back(std::move(conn_));
}

void Pool::Lease::reconnect() {
  conn_.reset();
  conn_ = pool_->connect();
  ++pool_->counters_.reconnects;
}

Pool::Lease Pool::checkout() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  try {
    return Lease(*this, connect());
  } catch (...) {
    give_back(nullptr);
    throw;
  }
}

void Pool::give_back(std::unique_ptr<pqxx::connection> conn) {
  {
    const std::lock_guard lock(mutex_);
    if (conn) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  returned_.notify_one();
}

void Pool::note_retry(std::string_view operation, const Failure& failure, int attempt) {
  ++counters_.retries;
  std::string line = "postgres saver: ";
  line += failure.kind == FailureKind::broken ? "connection broken" : "transient failure";
  line += " during " + std::string(operation) + " (" + failure.message + ", SQLSTATE " + failure.sqlstate + "); ";
  line += failure.kind == FailureKind::broken ? "reconnecting and retrying" : "retrying";
  line += " (" + std::to_string(attempt) + " of " + std::to_string(retries_) + ")";
  if (log_) {
    log_(line);
  } else {
    std::cerr << line << '\n';
  }
}

}  // namespace sg::pg
