#include "stategraph/checkpoint/open_store.hpp"

#include <utility>

#include "run_store_backend.hpp"
#include "stategraph/checkpoint/memory_saver.hpp"

namespace sg {

std::unique_ptr<BaseCheckpointSaver> open_store(const StoreUri& uri, StoreOptions options) {
  switch (uri.kind) {
    case StoreUri::Kind::memory:
      return std::make_unique<InMemorySaver>();
    case StoreUri::Kind::sqlite:
      options.sqlite.read_only = options.read_only;
      return std::make_unique<SqliteSaver>(uri.target, std::move(options.sqlite));
    case StoreUri::Kind::postgres:
      break;
  }
  options.postgres.read_only = options.read_only;
  return std::make_unique<PostgresSaver>(uri.target, std::move(options.postgres));
}

std::unique_ptr<BaseCheckpointSaver> open_store(std::string_view uri, bool read_only) {
  StoreOptions options;
  options.read_only = read_only;
  return open_store(parse_store_uri(uri), std::move(options));
}

std::unique_ptr<RunStore> open_run_store(const StoreUri& uri, const StoreOptions& options) {
  switch (uri.kind) {
    case StoreUri::Kind::memory:
      return std::make_unique<RunStore>(run_store_detail::sqlite_run_store_backend({}, true));
    case StoreUri::Kind::sqlite:
      return std::make_unique<RunStore>(run_store_detail::sqlite_run_store_backend(uri.target, false));
    case StoreUri::Kind::postgres:
      break;
  }
  return std::make_unique<RunStore>(run_store_detail::postgres_run_store_backend(uri.target, options.postgres.schema));
}

}  // namespace sg
