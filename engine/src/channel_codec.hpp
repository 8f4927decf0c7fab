#pragma once
// ChannelCodec: the engine's channel values and writes as the JSON a checkpoint stores, and back —
// the input channel's writes, the Send topic, a join's barrier, a pending write of any kind, and
// the {field: value} form stream mode updates shows. Pure functions of the compiled graph: the
// channel names and special spellings come from stategraph/checkpoint/format.hpp, the value
// conversions from the state schema (StateOps) and each node's input type (InputOps).
// (LangGraph: the channels' checkpoint()/from_checkpoint() and serde/jsonplus.py.)
//
// Thread-safety: immutable; every member may be called from any thread.

#include <cstdint>
#include <string>
#include <vector>

#include "engine_impl.hpp"

namespace sg::detail {

class ChannelCodec {
 public:
  explicit ChannelCodec(const Engine& engine) : e_(&engine) {}

  /// The input channel's value: [{"channel": field, "value": write}, ...].
  [[nodiscard]] nlohmann::json encode_start(const std::vector<ErasedWrite>& writes) const;
  /// @throws StateError (sg.state.501/502), nlohmann::json::exception on a malformed value.
  [[nodiscard]] std::vector<ErasedWrite> decode_start(const nlohmann::json& j) const;
  /// The Send topic's value: [{"node", "arg"}, ...] in Send order.
  [[nodiscard]] nlohmann::json encode_sends(const std::vector<Send>& sends) const;
  /// @throws StateError (sg.state.502) for a Send to a node the graph does not have.
  [[nodiscard]] std::vector<Send> decode_sends(const nlohmann::json& j) const;
  /// A join's value: {"seen": [source names in declared order], "finished": bool}.
  [[nodiscard]] nlohmann::json encode_join(std::uint32_t channel, const std::vector<bool>& seen, bool finished) const;
  /// Sets `seen` (by source position) and `finished` from a join's value; unknown names are ignored.
  void decode_join(std::uint32_t channel, const nlohmann::json& j, std::vector<bool>& seen, bool& finished) const;

  /// A write as a pending write of task `task_id`.
  [[nodiscard]] PendingWrite encode_write(const std::string& task_id, const ErasedWrite& w) const;
  /// A saved pending write (not a special one) as a write.
  /// @throws StateError (sg.state.501 a value that does not convert, sg.state.502 an unknown
  /// channel or one tasks cannot write).
  [[nodiscard]] ErasedWrite decode_write(const PendingWrite& w) const;
  /// {field: value} of the field writes (several writes to one field: a JSON array of them).
  [[nodiscard]] nlohmann::json updates_json(const std::vector<ErasedWrite>& writes) const;

 private:
  static nlohmann::json encode_send(const Send& s);
  [[nodiscard]] Send decode_send(const nlohmann::json& j) const;

  const Engine* e_;
};

}  // namespace sg::detail
