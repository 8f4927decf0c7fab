#pragma once
// DeltaPolicy: when a list field (one whose reducer reports what it changed: sg::append,
// sg::add_messages) is stored in a checkpoint as a delta — what changed since its last stored
// value — and when in full. Full values are spaced geometrically, so a conversation's storage
// grows linearly with its length and a read applies one full value and a bounded run of deltas
// (DESIGN §5). The bookkeeping travels with the thread's checkpoints (chains / load_chains).
//
// Thread-safety: none; one DeltaPolicy belongs to one LoopState.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/detail/state_ops.hpp"

namespace sg::detail {

class DeltaPolicy {
 public:
  /// A policy for the fields of `state` (only the tracked ones are ever stored as deltas).
  explicit DeltaPolicy(const StateOps& state) : state_(&state), tracks_(state.fields.size()) {}

  /// Field `field` was loaded from a checkpoint at `version` with `size` elements: the next
  /// delta may be based on that version.
  void loaded(std::uint32_t field, const std::string& version, std::size_t size);
  /// A step's writes left the first `stable` elements of field `field` unchanged.
  void applied(std::uint32_t field, std::size_t stable);
  /// The next checkpoint stores every field in full (a copy of a checkpoint, a fork).
  void forget_bases();

  /// What the next checkpoint stores of field `field`, now at `version` with `size` elements.
  struct Delta {
    std::string base;    ///< the version the delta applies to
    std::size_t stable;  ///< elements of the base kept; the delta holds the elements from there on
  };
  /// A Delta when the field may be stored as one, nullopt for a full value; records the choice.
  std::optional<Delta> store(std::uint32_t field, const std::string& version, std::size_t size);

  /// The bookkeeping the thread's next run continues from, stored as Checkpoint::delta_chains:
  /// {field: [chain, full_size, appended]} (an array, not an object: it is in every checkpoint);
  /// null (no allocation) while no field has a chain: the checkpoint then keeps its empty object.
  [[nodiscard]] nlohmann::json chains() const;
  /// Reads chains() as stored (and the object form of earlier releases); anything else is ignored.
  void load_chains(const nlohmann::json& chains);

 private:
  struct Track {
    std::string base;           // version of the field's last stored value ("" = none known)
    std::size_t stable = 0;     // elements unchanged since then
    std::size_t chain = 0;      // deltas stored since the last full value
    std::size_t full_size = 0;  // elements of that full value
    std::size_t appended = 0;   // elements stored in deltas since then
  };
  const StateOps* state_;
  std::vector<Track> tracks_;  // by field index
};

}  // namespace sg::detail
