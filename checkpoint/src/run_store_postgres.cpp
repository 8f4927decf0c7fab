// The run store's Postgres backend (run_store_backend.hpp): a small pool of its own connections
// to the saver's database, with search_path set to the saver's schema; each transaction is a
// pqxx::work, run again by the pool after a serialization failure, a deadlock or a broken
// connection (run_store.cpp's transactions have no effect outside the database).
#include <string>

#include "postgres_connection.hpp"
#include "run_store_backend.hpp"

namespace sg::run_store_detail {
namespace {

class PostgresTx final : public Tx {
 public:
  explicit PostgresTx(pqxx::work& work) : work_(work) {}

  std::vector<Row> query(std::string_view sql, std::initializer_list<Param> params) override {
    const pqxx::result result = run(sql, params);
    std::vector<Row> rows;
    rows.reserve(result.size());
    for (const auto& r : result) {
      Row row;
      row.reserve(r.size());
      for (const auto& field : r) row.emplace_back(field.c_str(), field.size());
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::size_t exec(std::string_view sql, std::initializer_list<Param> params) override {
    return static_cast<std::size_t>(run(sql, params).affected_rows());
  }

 private:
  pqxx::result run(std::string_view sql, std::initializer_list<Param> params) {
    std::vector<std::string> args;
    args.reserve(params.size());
    for (const auto& p : params) {
      if (const auto* text = std::get_if<std::string_view>(&p)) args.emplace_back(*text);
      else args.push_back(std::to_string(std::get<std::int64_t>(p)));
    }
    return work_.exec_params(fill_markers(sql, true), pqxx::prepare::make_dynamic_params(args));
  }

  pqxx::work& work_;
};

PostgresSaverOptions pool_options() {
  PostgresSaverOptions o;
  o.pool_size = 4;
  o.retries = 3;
  return o;
}

class PostgresBackend final : public Backend {
 public:
  PostgresBackend(const std::string& uri, const std::string& schema)
      : schema_(schema),
        pool_(uri, pool_options(),
              [schema](pqxx::connection& c) {
                pqxx::nontransaction(c).exec("SET search_path TO " + pg::quote_ident(schema));
              },
              counters_) {}

  void transact(bool /*write*/, const std::function<void(Tx&)>& fn) override {
    pool_.run("run store", [&](pqxx::connection& c) {
      pqxx::work work(c);
      PostgresTx tx(work);
      fn(tx);
      work.commit();
    });
  }

  [[nodiscard]] std::string_view name() const noexcept override { return "postgres"; }
  [[nodiscard]] std::vector<std::string> setup() const override {
    return {"CREATE SCHEMA IF NOT EXISTS " + pg::quote_ident(schema_)};
  }

 private:
  std::string schema_;
  pg::Counters counters_;
  pg::Pool pool_;
};

}  // namespace

std::unique_ptr<Backend> postgres_run_store_backend(const std::string& uri, const std::string& schema) {
  return std::make_unique<PostgresBackend>(uri, schema);
}

}  // namespace sg::run_store_detail
