#pragma once
// The saver conformance suite's shared pieces (LangGraph's checkpoint-conformance scenarios,
// semantics reference §9.2): every SAVER_TEST runs once per factory in SG_SAVER_FACTORIES; a
// saver backend joins the suite by adding a factory type whose make() returns a fresh, empty
// saver (and whose destructor cleans up whatever storage it created). The cases live in
// saver_conformance_*.cpp, one file per group of operations.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "helpers.hpp"
#include "saver_factories.hpp"
#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/memory_saver.hpp"

namespace sgconf {

using nlohmann::json;
using sgtest::Run;

// One saver per test, made by factory F.
template <class F>
struct Fixture {
  F factory;
  std::unique_ptr<sg::BaseCheckpointSaver> owned = factory.make();
  sg::BaseCheckpointSaver& saver = *owned;

  // Stored value count where the saver exposes it (InMemorySaver); nullopt otherwise.
  std::optional<std::size_t> value_count() const {
    if (const auto* m = dynamic_cast<const sg::InMemorySaver*>(owned.get())) return m->value_count();
    return std::nullopt;
  }
};

inline sg::CheckpointConfig cfg(std::string thread, std::string ns = "",
                         std::optional<std::string> id = std::nullopt) {
  return {std::move(thread), std::move(ns), std::move(id)};
}

inline std::vector<sg::PendingWrite> writes(std::initializer_list<std::pair<const char*, json>> list) {
  std::vector<sg::PendingWrite> out;
  for (const auto& [channel, value] : list) out.push_back({"", channel, value});
  return out;
}

// Puts a standalone checkpoint (all channels new) and returns it.
inline sg::Checkpoint put_plain(sg::BaseCheckpointSaver& saver, const sg::CheckpointConfig& config,
                         const std::map<std::string, json>& values,
                         const json& meta = sgtest::metadata("loop", 0)) {
  auto c = sgtest::checkpoint(values);
  saver.put(config, c, meta, sgtest::all_versions(c));
  return c;
}

}  // namespace sgconf

TYPE_TO_STRING(MemoryFactory);

#define SAVER_TEST(name) TEST_CASE_TEMPLATE("saver " name, F, SG_SAVER_FACTORIES)
