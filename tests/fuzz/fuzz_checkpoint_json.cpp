// libFuzzer target: the checkpoint's JSON form (checkpoint/src/checkpoint.cpp: from_json /
// to_json of Checkpoint, ChannelDelta and PendingWrite, and upgrade_checkpoint of a format-1
// checkpoint's metadata), which the savers and sg-checkpoints import read. Input: JSON text
// {"checkpoint": ..., "metadata": ..., "delta": ..., "write": ...}. A form that reads must
// write back to the same checkpoint; anything but nlohmann's json::exception escaping is a bug.
#include <cstddef>
#include <cstdint>

#include "stategraph/checkpoint/checkpoint.hpp"

namespace {

using nlohmann::json;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const json input = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded() || !input.is_object()) return 0;
  if (const auto c = input.find("checkpoint"); c != input.end()) {
    try {
      sg::Checkpoint checkpoint = c->get<sg::Checkpoint>();
      const json written = checkpoint;
      require(written.get<sg::Checkpoint>() == checkpoint);
      json metadata = input.value("metadata", json::object());
      sg::upgrade_checkpoint(checkpoint, metadata);
      require(!metadata.is_object() || checkpoint.v >= 2 || !metadata.contains("delta_chain"));
    } catch (const json::exception&) {
    }
  }
  if (const auto d = input.find("delta"); d != input.end()) {
    try {
      const auto delta = d->get<sg::ChannelDelta>();
      require(json(delta).get<sg::ChannelDelta>() == delta);
    } catch (const json::exception&) {
    }
  }
  if (const auto w = input.find("write"); w != input.end()) {
    try {
      const auto write = w->get<sg::PendingWrite>();
      require(json(write).get<sg::PendingWrite>() == write);
    } catch (const json::exception&) {
    }
  }
  return 0;
}
