#include "delta_policy.hpp"

#include <algorithm>

namespace sg::detail {

void DeltaPolicy::loaded(std::uint32_t field, const std::string& version, std::size_t size) {
  auto& d = tracks_[field];
  d.base = version;
  d.stable = size;
}

void DeltaPolicy::applied(std::uint32_t field, std::size_t stable) {
  auto& d = tracks_[field];
  d.stable = std::min(d.stable, stable);
}

void DeltaPolicy::forget_bases() {
  for (auto& d : tracks_) d.base.clear();
}

std::optional<DeltaPolicy::Delta> DeltaPolicy::store(std::uint32_t field, const std::string& version, std::size_t size) {
  // A list field: store what changed since its last stored version, unless a full value is
  // due. Full values are spaced geometrically: one is due when the elements stored in deltas
  // since the last full value reach kDeltaSpan times its size (at least 16), or when that many
  // deltas were stored (deltas that only remove elements append nothing). So a list that grows
  // by one element a step stores each element about 1 + (kDeltaSpan + 1) / kDeltaSpan times
  // (2.33 with 3) whatever its length, and a read applies deltas holding at most kDeltaSpan /
  // (kDeltaSpan + 1) of the value's elements to one full value. A fixed cap on the chain would
  // store a full value every N steps: quadratic in the conversation (8.3 KB per turn at 2,000
  // turns of sg-bench chat with 256, against 4.8 KB at 500).
  constexpr std::size_t kDeltaSpan = 3;
  auto& d = tracks_[field];
  const std::size_t tail = size - std::min(d.stable, size);
  const std::size_t span = kDeltaSpan * std::max<std::size_t>(d.full_size, 16);
  const bool delta_ok =
      !d.base.empty() && d.base != version && d.stable > 0 && d.chain < span && d.appended + tail < span;
  std::optional<Delta> out;
  if (delta_ok) {
    out = Delta{d.base, d.stable};
    ++d.chain;
    d.appended += tail;
  } else {
    d.chain = 0;
    d.full_size = size;
    d.appended = 0;
  }
  d.base = version;
  d.stable = size;
  return out;
}

nlohmann::json DeltaPolicy::chains() const {
  nlohmann::json j;  // becomes an object with the first chain
  for (std::uint32_t f = 0; f < tracks_.size(); ++f)
    if (state_->fields[f].tracked && !tracks_[f].base.empty())
      j[state_->fields[f].name] = nlohmann::json::array({tracks_[f].chain, tracks_[f].full_size, tracks_[f].appended});
  return j;
}

void DeltaPolicy::load_chains(const nlohmann::json& chains) {
  if (!chains.is_object()) return;
  for (std::uint32_t f = 0; f < tracks_.size(); ++f) {
    auto e = chains.find(state_->fields[f].name);
    if (e == chains.end()) continue;
    auto& d = tracks_[f];
    if (e->is_array() && e->size() == 3 && (*e)[0].is_number_unsigned() && (*e)[1].is_number_unsigned() &&
        (*e)[2].is_number_unsigned()) {
      d.chain = (*e)[0].get<std::size_t>();
      d.full_size = (*e)[1].get<std::size_t>();
      d.appended = (*e)[2].get<std::size_t>();
    } else if (e->is_object()) {  // the form earlier releases wrote
      d.chain = e->value("chain", std::size_t{0});
      d.full_size = e->value("full_size", std::size_t{0});
      d.appended = e->value("appended", std::size_t{0});
    }
  }
}

}  // namespace sg::detail
