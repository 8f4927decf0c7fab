#pragma once
// LoopState: the channels of one thread between supersteps — the state struct, channel versions,
// versions seen per node — and the three things the Pregel loop does with them: plan the next
// tasks, apply a step's writes, and turn the whole into a Checkpoint (LangGraph:
// pregel/_algo.py prepare_next_tasks / apply_writes, pregel/_checkpoint.py create_checkpoint).

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "channel_codec.hpp"
#include "delta_policy.hpp"
#include "engine_impl.hpp"
#include "ids.hpp"

namespace sg::detail {

struct Slot {
  Version version;
  bool finished = false;          // deferred channels: finish() happened
  std::vector<bool> seen_sources;  // join channels
};

/// One planned task and, after it ran (or its saved writes were found), its outcome.
struct Task {
  std::uint32_t node = 0;
  bool push = false;
  std::uint32_t push_index = 0;
  std::string id;
  std::vector<std::uint32_t> triggers;  // pull tasks
  std::shared_ptr<const void> input;    // push tasks: the Send argument
  // outcome
  bool has_result = false;             // ran (or found saved) successfully
  bool result_unsaved = false;         // ran in this run; its writes not handed to the saver yet (StepRunner)
  std::vector<ErasedWrite> writes;
  std::exception_ptr error;
  std::optional<std::string> error_text;
  std::vector<Interrupt> interrupts;
  std::vector<nlohmann::json> resume;  // resume values for RunContext::interrupt
};

class LoopState {
 public:
  explicit LoopState(const Engine& engine);

  /// Restores from a checkpoint (fields missing from it keep their defaults).
  /// @throws StateError when a stored value does not convert.
  void load(const Checkpoint& checkpoint);
  /// load() when the values of the fields marked in `decoded` (by field index) are already in
  /// `state`, a state of the graph's type that nothing else holds: those are not decoded again
  /// (get_state_history builds a list from the one before it). Others load as in load().
  /// @throws StateError when a stored value does not convert.
  void load(const Checkpoint& checkpoint, std::shared_ptr<void> state, const std::vector<std::uint8_t>& decoded);

  /// The tasks of the next superstep, pull tasks by node name then push tasks by Send index.
  /// `updated` limits candidate nodes to those subscribed to these channels (all when null).
  std::vector<Task> plan(const std::string& checkpoint_id, const std::string& ns, std::int64_t step,
                         const std::vector<std::uint32_t>* updated) const;

  /// Applies the tasks' writes (tasks in plan order) as one superstep: marks triggers seen,
  /// consumes them, folds writes through the reducers, clears ephemeral channels, calls finish
  /// when nothing else would run. `updated` receives the channels that got a new value (cleared
  /// first; pass the same vector every step and it is not allocated again).
  /// @throws InvalidUpdate (sg.update.201/202/205); the state is then unusable.
  void apply(const std::vector<Task*>& tasks, std::int64_t step, std::vector<std::uint32_t>& updated);

  /// Applies writes that come from outside a task (Command input): no triggers are consumed and
  /// no other channel is cleared.
  std::vector<std::uint32_t> apply_external(const std::vector<ErasedWrite>& writes);

  /// Sets the input channel (a new run's input); returns its channel.
  std::uint32_t set_input(std::vector<ErasedWrite> writes);

  /// Marks the triggers of `tasks` as seen without running them (a new input discards the
  /// unfinished tasks of the previous run), and clears ephemeral channels.
  void discard(const std::vector<Task>& tasks);

  /// The state with a task's own field writes applied on a copy (what its routers read).
  std::shared_ptr<const void> local_state(const std::vector<ErasedWrite>& writes) const;

  /// A checkpoint of the current channels with a new id. `new_versions` receives the channels
  /// changed since the last call of take_dirty (their values are the only ones encoded).
  Checkpoint checkpoint(ChannelVersions& new_versions);
  /// Marks every channel with a value dirty (the next checkpoint stores all values, in full).
  void mark_all_dirty();

  /// Delta bookkeeping of list fields, kept in Checkpoint::delta_chains so the next run
  /// continues it (DeltaPolicy::chains / load_chains).
  /// Sets checkpoint.delta_chains (DeltaPolicy::chains), or leaves its empty object when there are none.
  void put_delta_chains(Checkpoint& checkpoint) const {
    if (auto chains = delta_.chains(); !chains.is_null()) checkpoint.delta_chains = std::move(chains);
  }
  void load_delta_chains(const nlohmann::json& chains) { delta_.load_chains(chains); }

  /// The graph's codec of channel values and writes (see ChannelCodec).
  [[nodiscard]] const ChannelCodec& codec() const noexcept { return codec_; }
  /// Pending-write JSON of a write, and back (ChannelCodec::encode_write / decode_write).
  [[nodiscard]] PendingWrite encode_write(const std::string& task_id, const ErasedWrite& w) const {
    return codec_.encode_write(task_id, w);
  }
  /// @throws StateError (sg.state.501/502).
  [[nodiscard]] ErasedWrite decode_write(const PendingWrite& w) const { return codec_.decode_write(w); }
  /// {field: value} of the field writes (for stream mode updates).
  [[nodiscard]] nlohmann::json updates_json(const std::vector<ErasedWrite>& writes) const {
    return codec_.updates_json(writes);
  }

  /// Sets versions_seen[format::kInterruptSeenKey] to the current versions (a resumed run does not pause
  /// again on the interrupt it resumes from).
  void mark_interrupts_seen();
  /// LangGraph's should_interrupt: some channel changed since the last interrupt and a task's
  /// node is marked.
  [[nodiscard]] bool should_interrupt(const std::vector<bool>& marks, const std::vector<Task>& tasks) const;

  [[nodiscard]] const void* state() const noexcept { return state_.get(); }
  /// The writes held by the input channel (what the START task applies).
  [[nodiscard]] const std::vector<ErasedWrite>& start_writes() const noexcept { return start_writes_; }
  /// The state as it is now, shared: O(1). The LoopState copies it before it next changes it
  /// while someone else still holds it (copy on write), so the holder's value never changes.
  [[nodiscard]] std::shared_ptr<const void> share_state() const { return state_; }
  /// The state itself; the LoopState must not be used afterwards.
  [[nodiscard]] std::shared_ptr<void> take_state() && { return std::move(state_); }
  [[nodiscard]] bool any_field_changed(const std::vector<std::uint32_t>& updated) const;

 private:
  [[nodiscard]] bool available(std::uint32_t ch) const;
  [[nodiscard]] const Version* seen(std::uint32_t node, std::uint32_t ch) const;
  void set_seen(std::uint32_t node, std::uint32_t ch, const Version& v);
  [[nodiscard]] nlohmann::json encode_channel(std::uint32_t ch) const;
  void decode_channel(std::uint32_t ch, const nlohmann::json& j);
  void load_channels(const Checkpoint& checkpoint, const std::vector<std::uint8_t>* decoded);
  void bump(std::uint32_t ch, const Version& v, std::vector<std::uint32_t>& updated);
  void clear(std::uint32_t ch);
  [[nodiscard]] Version next_version() const;
  /// Drops versions_seen entries of channels cleared since the last call.
  void prune_seen();
  void mark_dirty(std::uint32_t ch);
  void set_live(std::uint32_t ch, bool live);

  /// The state, to be changed: copied first when it is shared (see share_state).
  void* mutable_state();

  const Engine* engine_;
  std::shared_ptr<void> state_;
  std::vector<Slot> slots_;
  std::vector<std::vector<std::pair<std::uint32_t, Version>>> seen_;  // node → (channel, version)
  std::vector<std::uint32_t> seen_nodes_;  // nodes whose seen_ list is not empty
  std::vector<std::pair<std::uint32_t, Version>> interrupt_seen_;
  std::vector<ErasedWrite> start_writes_;
  std::vector<Send> sends_;
  std::uint64_t max_n_ = 0;
  // Every pass over channels walks only these lists, so a step costs what it touches, not the
  // size of the graph (a chain of 1,000 nodes has 1,000 branch channels, two of them live).
  std::vector<std::uint32_t> live_;      // non-field channels that have a value
  std::vector<std::int32_t> live_pos_;   // channel → index in live_, or -1
  std::vector<std::uint32_t> dirty_;     // channels changed since the last checkpoint
  std::vector<std::uint8_t> is_dirty_;
  std::vector<std::uint32_t> cleared_;   // channels cleared since the last prune_seen
  std::vector<std::uint8_t> scratch_;    // per-channel flags for apply(), all 0 between calls
  // apply()'s per-step lists, kept for their capacity (contents meaningless between calls).
  std::vector<std::uint32_t> apply_touched_;
  std::vector<std::uint32_t> apply_fields_;
  std::vector<std::vector<const ErasedWrite*>> apply_field_writes_;  // by field; empty between calls
  std::vector<std::uint32_t> apply_live_;

  DeltaPolicy delta_;  // what the next checkpoint stores of each list field
  ChannelCodec codec_;
};

}  // namespace sg::detail
