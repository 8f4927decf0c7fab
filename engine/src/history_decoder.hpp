#pragma once
// HistoryDecoder: decodes the list fields (sg::add_messages, sg::append) of a thread's
// checkpoints, oldest first, from the one decoded before: the elements a checkpoint's stored
// list shares with the previous checkpoint's (its longest common prefix, compared as JSON, type
// for type) are copied from that decoded state, and only the rest is decoded. A history of a
// 1,000-message conversation then decodes each message about once instead of once per checkpoint
// that holds it (each snapshot still owns a full copy of its state: StateSnapshot::values).
//
// Thread-safety: none; one HistoryDecoder serves one get_state_history call.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/checkpoint.hpp"

#include "engine_impl.hpp"

namespace sg::detail {

class HistoryDecoder {
 public:
  explicit HistoryDecoder(const Engine& engine);

  /// What LoopState::load(checkpoint, state, decoded) takes instead of decoding every field.
  struct Preset {
    std::shared_ptr<void> state;        ///< a fresh state (nothing else holds it)
    std::vector<std::uint8_t> decoded;  ///< by field index: 1 = its value is already in `state`
  };

  /// Gives `checkpoint` (listed with ListOptions::deltas) the values of the channels other than
  /// the lists that the saver left out because they equal those of the checkpoint loaded before.
  void complete(Checkpoint& checkpoint) const;

  /// The preset for `checkpoint` (the next one, oldest first): each list field from its value in
  /// channel_values (compared with the one before: only what differs is decoded), from its delta
  /// on the previous checkpoint's version, or as the previous checkpoint's when the version is
  /// the same. nullopt for the first checkpoint (decoded in full).
  /// @throws StateError [sg.state.501] when an element does not convert or a list is missing or
  ///         its delta does not apply to the previous checkpoint's.
  std::optional<Preset> preset(const Checkpoint& checkpoint) const;

  /// Records `checkpoint` as loaded into `state` (its values as stored, before pending writes):
  /// the base of the next call. `checkpoint` must outlive the next call of preset().
  void loaded(const Checkpoint& checkpoint, std::shared_ptr<const void> state);

  /// True when some field can be decoded this way (a tracked field with decode_tail).
  [[nodiscard]] bool useful() const noexcept { return !lists_.empty(); }

 private:
  const Engine* e_;
  std::vector<std::uint32_t> lists_;        // tracked fields with decode_tail
  std::vector<std::uint8_t> is_list_;       // by field index
  std::shared_ptr<const void> prev_state_;  // the previous checkpoint's decoded values
  const Checkpoint* prev_ = nullptr;        // the previous checkpoint
};

/// True when `a` and `b` are the same JSON value with the same types throughout (1 and 1.0 and
/// 1u differ; nlohmann's == says they are equal, and they decode to different values).
bool same_json(const nlohmann::json& a, const nlohmann::json& b) noexcept;

}  // namespace sg::detail
