#include "history_decoder.hpp"

#include <algorithm>
#include <bit>

#include "stategraph/errors.hpp"

namespace sg::detail {

bool same_json(const nlohmann::json& a, const nlohmann::json& b) noexcept {
  using value_t = nlohmann::json::value_t;
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case value_t::object: {
      const auto& x = a.get_ref<const nlohmann::json::object_t&>();
      const auto& y = b.get_ref<const nlohmann::json::object_t&>();
      if (x.size() != y.size()) return false;
      for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j)
        if (i->first != j->first || !same_json(i->second, j->second)) return false;
      return true;
    }
    case value_t::array: {
      const auto& x = a.get_ref<const nlohmann::json::array_t&>();
      const auto& y = b.get_ref<const nlohmann::json::array_t&>();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!same_json(x[i], y[i])) return false;
      return true;
    }
    case value_t::number_float:  // bit for bit: -0.0 is not 0.0, a NaN is itself
      return std::bit_cast<std::uint64_t>(a.get<double>()) == std::bit_cast<std::uint64_t>(b.get<double>());
    default:
      return a == b;  // null, string, boolean, integers of one signedness, binary, discarded
  }
}

HistoryDecoder::HistoryDecoder(const Engine& engine) : e_(&engine), is_list_(engine.field_count(), 0) {
  for (std::uint32_t f = 0; f < engine.field_count(); ++f)
    if (engine.state->fields[f].tracked && engine.state->fields[f].decode_tail != nullptr) {
      lists_.push_back(f);
      is_list_[f] = 1;
    }
}

void HistoryDecoder::complete(Checkpoint& checkpoint) const {
  if (prev_ == nullptr) return;
  for (const auto& [name, version] : checkpoint.channel_versions) {
    if (checkpoint.channel_values.count(name) != 0 || checkpoint.channel_deltas.count(name) != 0) continue;
    const auto ch = e_->channel_index.find(name);
    if (ch != e_->channel_index.end() && ch->second < e_->field_count() && is_list_[ch->second] != 0) continue;
    const auto v = prev_->channel_versions.find(name);
    const auto value = prev_->channel_values.find(name);
    if (v != prev_->channel_versions.end() && v->second == version && value != prev_->channel_values.end())
      checkpoint.channel_values.emplace(name, value->second);
  }
}

std::optional<HistoryDecoder::Preset> HistoryDecoder::preset(const Checkpoint& checkpoint) const {
  if (!prev_state_ || prev_ == nullptr || lists_.empty()) return std::nullopt;
  Preset p{e_->state->copy(prev_state_.get()), std::vector<std::uint8_t>(e_->field_count(), 0)};
  for (const std::uint32_t f : lists_) {
    const FieldOps& ops = e_->state->fields[f];
    p.decoded[f] = 1;
    const auto prev_version = prev_->channel_versions.find(ops.name);
    const auto prev_json = prev_->channel_values.find(ops.name);
    const bool had = prev_version != prev_->channel_versions.end();
    const auto version = checkpoint.channel_versions.find(ops.name);
    if (version == checkpoint.channel_versions.end()) {
      // Not written at this checkpoint (a fork from before its first write): the default.
      if (had) ops.decode(p.state.get(), ops.encode(e_->state->make().get()));
      continue;
    }
    if (const auto json = checkpoint.channel_values.find(ops.name); json != checkpoint.channel_values.end()) {
      if (!had || prev_json == prev_->channel_values.end() || !json->second.is_array() || !prev_json->second.is_array()) {
        ops.decode(p.state.get(), json->second);
        continue;
      }
      // Only what differs from the previous checkpoint's list is decoded.
      const auto& now = json->second.get_ref<const nlohmann::json::array_t&>();
      const auto& before = prev_json->second.get_ref<const nlohmann::json::array_t&>();
      const std::size_t n = std::min(now.size(), before.size());
      std::size_t keep = 0;
      while (keep < n && same_json(now[keep], before[keep])) ++keep;
      ops.decode_tail(p.state.get(), keep,
                      nlohmann::json(nlohmann::json::array_t(now.begin() + static_cast<std::ptrdiff_t>(keep), now.end())));
      continue;
    }
    if (had && prev_version->second == version->second) continue;  // the same value
    const auto delta = checkpoint.channel_deltas.find(ops.name);
    if (!had || delta == checkpoint.channel_deltas.end() || delta->second.base != prev_version->second ||
        delta->second.keep > ops.size(p.state.get()))
      throw StateError(ErrorId::state_value_does_not_convert,
                       "stored value of channel \"" + ops.name + "\" at version \"" + version->second +
                           "\" is missing from the history the saver listed");
    ops.decode_tail(p.state.get(), delta->second.keep, delta->second.append);
  }
  return p;
}

void HistoryDecoder::loaded(const Checkpoint& checkpoint, std::shared_ptr<const void> state) {
  prev_state_ = std::move(state);
  prev_ = &checkpoint;
}

}  // namespace sg::detail
