#include "loop_state.hpp"

#include <algorithm>
#include "stategraph/checkpoint/format.hpp"
#include "stategraph/constants.hpp"
#include "stategraph/errors.hpp"

namespace sg::detail {

// ---------------------------------------------------------------- LoopState

LoopState::LoopState(const Engine& engine)
    : engine_(&engine),
      state_(engine.state->make()),
      slots_(engine.channels.size()),
      seen_(engine.nodes.size()),
      live_pos_(engine.channels.size(), -1),
      is_dirty_(engine.channels.size(), 0),
      scratch_(engine.channels.size(), 0),
      delta_(*engine.state),
      codec_(engine) {
  for (std::uint32_t c = 0; c < engine.channels.size(); ++c)
    if (engine.channels[c].kind == ChannelKind::join)
      slots_[c].seen_sources.assign(engine.channels[c].sources.size(), false);
}

void* LoopState::mutable_state() {
  // Shared with a RunResult, a stream event or a snapshot: they keep the value they were given.
  if (state_.use_count() > 1) state_ = engine_->state->copy(state_.get());
  return state_.get();
}

bool LoopState::available(std::uint32_t ch) const {
  const Slot& s = slots_[ch];
  if (!s.version.has()) return false;
  const ChannelInfo& info = engine_->channels[ch];
  switch (info.kind) {
    case ChannelKind::join:
      if (!std::all_of(s.seen_sources.begin(), s.seen_sources.end(), [](bool b) { return b; })) return false;
      return !info.deferred || s.finished;
    case ChannelKind::branch:
      return !info.deferred || s.finished;
    default:
      return true;
  }
}

const Version* LoopState::seen(std::uint32_t node, std::uint32_t ch) const {
  for (const auto& [c, v] : seen_[node])
    if (c == ch) return &v;
  return nullptr;
}

void LoopState::set_seen(std::uint32_t node, std::uint32_t ch, const Version& v) {
  for (auto& [c, old] : seen_[node])
    if (c == ch) {
      old = v;
      return;
    }
  if (seen_[node].empty()) seen_nodes_.push_back(node);
  seen_[node].emplace_back(ch, v);
}

Version LoopState::next_version() const {
  Version v;
  v.n = max_n_ + 1;
  v.text = std::make_shared<const std::string>(format_version(v.n));
  return v;
}

void LoopState::mark_dirty(std::uint32_t ch) {
  if (is_dirty_[ch] == 0) {
    is_dirty_[ch] = 1;
    dirty_.push_back(ch);
  }
}

void LoopState::set_live(std::uint32_t ch, bool live) {
  if (engine_->channels[ch].kind == ChannelKind::field) return;
  if (live && live_pos_[ch] < 0) {
    live_pos_[ch] = static_cast<std::int32_t>(live_.size());
    live_.push_back(ch);
  } else if (!live && live_pos_[ch] >= 0) {
    const auto pos = static_cast<std::size_t>(live_pos_[ch]);
    live_pos_[live_.back()] = static_cast<std::int32_t>(pos);
    live_[pos] = live_.back();
    live_.pop_back();
    live_pos_[ch] = -1;
  }
}

void LoopState::bump(std::uint32_t ch, const Version& v, std::vector<std::uint32_t>& updated) {
  slots_[ch].version = v;
  mark_dirty(ch);
  set_live(ch, true);
  updated.push_back(ch);
}

void LoopState::clear(std::uint32_t ch) {
  Slot& s = slots_[ch];
  if (s.version.has()) cleared_.push_back(ch);
  s.version = Version{};
  s.finished = false;
  std::fill(s.seen_sources.begin(), s.seen_sources.end(), false);
  set_live(ch, false);
  const auto kind = engine_->channels[ch].kind;
  if (kind == ChannelKind::start) start_writes_.clear();
  if (kind == ChannelKind::tasks) sends_.clear();
}

void LoopState::prune_seen() {
  if (cleared_.empty()) return;
  auto stale = [&](const std::pair<std::uint32_t, Version>& e) { return !slots_[e.first].version.has(); };
  for (auto ch : cleared_) {
    if (slots_[ch].version.has()) continue;  // written again since
    for (auto n : engine_->trigger_to_nodes[ch]) {
      auto& s = seen_[n];
      s.erase(std::remove_if(s.begin(), s.end(), stale), s.end());
    }
  }
  std::erase_if(seen_nodes_, [&](std::uint32_t n) { return seen_[n].empty(); });
  interrupt_seen_.erase(std::remove_if(interrupt_seen_.begin(), interrupt_seen_.end(), stale),
                        interrupt_seen_.end());
  cleared_.clear();
}

// ---- channel values (the codec encodes; the slots say what is set)

nlohmann::json LoopState::encode_channel(std::uint32_t ch) const {
  const ChannelInfo& info = engine_->channels[ch];
  switch (info.kind) {
    case ChannelKind::field:
      return engine_->state->fields[info.field].encode(state_.get());
    case ChannelKind::start:
      return codec_.encode_start(start_writes_);
    case ChannelKind::tasks:
      return codec_.encode_sends(sends_);
    case ChannelKind::branch:
      return slots_[ch].finished;  // a bool: allocation-free, and only deferred nodes use it
    case ChannelKind::join:
      return codec_.encode_join(ch, slots_[ch].seen_sources, slots_[ch].finished);
  }
  return nullptr;
}

void LoopState::decode_channel(std::uint32_t ch, const nlohmann::json& j) {
  const ChannelInfo& info = engine_->channels[ch];
  try {
    switch (info.kind) {
      case ChannelKind::field:
        engine_->state->fields[info.field].decode(mutable_state(), j);
        break;
      case ChannelKind::start:
        start_writes_ = codec_.decode_start(j);
        break;
      case ChannelKind::tasks:
        sends_ = codec_.decode_sends(j);
        break;
      case ChannelKind::branch:
        slots_[ch].finished = j.is_boolean() && j.get<bool>();
        break;
      case ChannelKind::join:
        codec_.decode_join(ch, j, slots_[ch].seen_sources, slots_[ch].finished);
        break;
    }
  } catch (const sg::Error&) {
    throw;
  } catch (const std::exception& ex) {
    throw StateError(ErrorId::state_value_does_not_convert, "stored value of channel \"" + info.name + "\" does not load: " + ex.what());
  }
}

// ---- load / checkpoint

void LoopState::load(const Checkpoint& cp) { load_channels(cp, nullptr); }

void LoopState::load(const Checkpoint& cp, std::shared_ptr<void> state, const std::vector<std::uint8_t>& decoded) {
  state_ = std::move(state);
  load_channels(cp, &decoded);
}

void LoopState::load_channels(const Checkpoint& cp, const std::vector<std::uint8_t>* decoded) {
  for (const auto& [name, ver] : cp.channel_versions) {
    auto it = engine_->channel_index.find(name);
    if (it == engine_->channel_index.end()) continue;  // a channel of an older graph: ignored
    Version v = parse_version(ver);
    slots_[it->second].version = v;
    set_live(it->second, true);
    max_n_ = std::max(max_n_, v.n);
    const bool known = decoded != nullptr && it->second < decoded->size() && (*decoded)[it->second] != 0;
    if (auto val = cp.channel_values.find(name); val != cp.channel_values.end() && !known)
      decode_channel(it->second, val->second);
    if (it->second < engine_->field_count() && engine_->state->fields[it->second].tracked)
      delta_.loaded(it->second, ver, engine_->state->fields[it->second].size(state_.get()));
  }
  for (const auto& [node, chans] : cp.versions_seen) {
    std::vector<std::pair<std::uint32_t, Version>>* target = nullptr;
    if (node == format::kInterruptSeenKey) {
      target = &interrupt_seen_;
    } else if (auto idx = engine_->find_node(node)) {
      target = &seen_[*idx];
      if (target->empty() && !chans.empty()) seen_nodes_.push_back(*idx);
    } else {
      continue;
    }
    for (const auto& [ch, ver] : chans) {
      auto it = engine_->channel_index.find(ch);
      if (it == engine_->channel_index.end()) continue;
      Version v = parse_version(ver);
      max_n_ = std::max(max_n_, v.n);
      target->emplace_back(it->second, std::move(v));
    }
  }
  for (auto c : dirty_) is_dirty_[c] = 0;
  dirty_.clear();
}

Checkpoint LoopState::checkpoint(ChannelVersions& new_versions) {
  Checkpoint cp;
  cp.id = new_checkpoint_id();
  cp.ts = utc_now_iso8601();
  auto add = [&](std::uint32_t c) {
    if (slots_[c].version.has()) cp.channel_versions.emplace(engine_->channels[c].name, slots_[c].version.str());
  };
  for (std::uint32_t f = 0; f < engine_->field_count(); ++f) add(f);
  for (auto c : live_) add(c);
  for (auto c : dirty_) {
    is_dirty_[c] = 0;
    if (!slots_[c].version.has()) continue;
    const std::string& name = engine_->channels[c].name;
    new_versions.emplace(name, slots_[c].version.str());
    if (c < engine_->field_count() && engine_->state->fields[c].tracked) {
      // A list field: what changed since its last stored version, unless a full value is due.
      const auto& ops = engine_->state->fields[c];
      if (auto d = delta_.store(c, slots_[c].version.str(), ops.size(state_.get()))) {
        cp.channel_deltas.emplace(name, ChannelDelta{std::move(d->base), d->stable, ops.encode_tail(state_.get(), d->stable)});
      } else {
        cp.channel_values.emplace(name, encode_channel(c));
      }
      continue;
    }
    cp.channel_values.emplace(name, encode_channel(c));
  }
  dirty_.clear();
  for (auto n : seen_nodes_) {
    auto& m = cp.versions_seen[engine_->nodes[n].name];
    for (const auto& [c, v] : seen_[n]) m.emplace(engine_->channels[c].name, v.str());
  }
  if (!interrupt_seen_.empty()) {
    auto& m = cp.versions_seen[std::string(format::kInterruptSeenKey)];
    for (const auto& [c, v] : interrupt_seen_) m.emplace(engine_->channels[c].name, v.str());
  }
  return cp;
}

void LoopState::mark_all_dirty() {
  delta_.forget_bases();  // a copy is stored in full
  for (std::uint32_t f = 0; f < engine_->field_count(); ++f)
    if (slots_[f].version.has()) mark_dirty(f);
  for (auto c : live_) mark_dirty(c);
}

// ---- plan

std::vector<Task> LoopState::plan(const std::string& checkpoint_id, const std::string& ns, std::int64_t step,
                                  const std::vector<std::uint32_t>* updated) const {
  std::vector<Task> tasks;
  std::vector<std::uint32_t> candidates;
  if (updated != nullptr) {
    for (auto ch : *updated)
      for (auto n : engine_->trigger_to_nodes[ch]) candidates.push_back(n);
    std::sort(candidates.begin(), candidates.end(),
              [&](auto a, auto b) { return engine_->nodes[a].name < engine_->nodes[b].name; });
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  } else {
    candidates.push_back(kStartNode);
    candidates.insert(candidates.end(), engine_->nodes_by_name.begin(), engine_->nodes_by_name.end());
    std::sort(candidates.begin(), candidates.end(),
              [&](auto a, auto b) { return engine_->nodes[a].name < engine_->nodes[b].name; });
  }
  tasks.reserve(candidates.size() + sends_.size());
  for (auto n : candidates) {
    const NodeInfo& node = engine_->nodes[n];
    Task t;
    t.node = n;
    std::string trig_names;
    for (auto ch : node.triggers) {
      if (!available(ch)) continue;
      const Version* s = seen(n, ch);
      if (s != nullptr && s->n >= slots_[ch].version.n) continue;
      t.triggers.push_back(ch);
      if (!trig_names.empty()) trig_names += ',';
      trig_names += engine_->channels[ch].name;
    }
    if (t.triggers.empty()) continue;
    t.id = task_id(checkpoint_id, ns, step, node.name, false, trig_names);
    tasks.push_back(std::move(t));
  }
  if (available(engine_->tasks_channel)) {
    for (std::uint32_t i = 0; i < sends_.size(); ++i) {
      Task t;
      t.node = *engine_->find_node(sends_[i].node());
      t.push = true;
      t.push_index = i;
      t.input = sends_[i].arg_ptr();
      t.id = task_id(checkpoint_id, ns, step, sends_[i].node(), true, std::to_string(i));
      tasks.push_back(std::move(t));
    }
  }
  return tasks;
}

// ---- apply

std::uint32_t LoopState::set_input(std::vector<ErasedWrite> writes) {
  std::vector<std::uint32_t> updated;
  start_writes_ = std::move(writes);
  Version v = next_version();
  max_n_ = v.n;
  bump(engine_->start_channel, v, updated);
  return engine_->start_channel;
}

void LoopState::discard(const std::vector<Task>& tasks) {
  for (const auto& t : tasks) {
    if (t.push) continue;
    for (auto ch : t.triggers) set_seen(t.node, ch, slots_[ch].version);
    for (auto ch : t.triggers)
      if (engine_->channels[ch].kind == ChannelKind::join ||
          (engine_->channels[ch].kind == ChannelKind::branch && engine_->channels[ch].deferred))
        clear(ch);
  }
  const std::vector<std::uint32_t> live = live_;
  for (auto c : live) {
    const auto& info = engine_->channels[c];
    if ((info.kind == ChannelKind::branch && !info.deferred) || info.kind == ChannelKind::tasks ||
        info.kind == ChannelKind::start) {
      clear(c);
      mark_dirty(c);
    }
  }
  prune_seen();
}

std::shared_ptr<const void> LoopState::local_state(const std::vector<ErasedWrite>& writes) const {
  std::vector<std::vector<const ErasedWrite*>> per_field(engine_->field_count());
  bool any = false;
  for (const auto& w : writes)
    if (w.kind == WriteKind::value || w.kind == WriteKind::overwrite) {
      per_field[w.channel].push_back(&w);
      any = true;
    }
  if (!any) return std::shared_ptr<const void>(state_, state_.get());
  auto copy = engine_->state->copy(state_.get());
  for (std::uint32_t f = 0; f < per_field.size(); ++f)
    if (!per_field[f].empty()) engine_->state->fields[f].apply(copy.get(), per_field[f]);
  return copy;
}

namespace {
std::string names_of(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}
}  // namespace

void LoopState::apply(const std::vector<Task*>& tasks, std::int64_t step, std::vector<std::uint32_t>& updated) {
  const Engine& e = *engine_;
  updated.clear();
  const Version next = next_version();
  constexpr std::uint8_t kConsumed = 1;
  constexpr std::uint8_t kWritten = 2;
  // Per-step lists kept between steps (cleared, capacity kept): a step allocates none of them.
  auto& touched = apply_touched_;  // channels whose scratch_ flags are set
  touched.clear();

  // 1) versions seen, 2) consume triggers
  auto flag = [&](std::uint32_t c, std::uint8_t f) {
    if (scratch_[c] == 0) touched.push_back(c);
    scratch_[c] |= f;
  };
  for (const Task* t : tasks) {
    if (t->push) {
      flag(e.tasks_channel, kConsumed);
      continue;
    }
    for (auto ch : t->triggers) {
      set_seen(t->node, ch, slots_[ch].version);
      flag(ch, kConsumed);
    }
  }
  for (auto c : touched)
    if (e.channels[c].kind == ChannelKind::join || (e.channels[c].kind == ChannelKind::branch && e.channels[c].deferred))
      clear(c);

  // 3) group writes per channel, in task order
  const std::size_t nf = e.field_count();
  auto& written_fields = apply_fields_;
  auto& field_writes = apply_field_writes_;
  for (auto f : written_fields) field_writes[f].clear();  // left by a step that threw
  written_fields.clear();
  field_writes.resize(nf);
  std::vector<Send> new_sends;
  for (const Task* t : tasks) {
    for (const auto& w : t->writes) {
      switch (w.kind) {
        case WriteKind::value:
        case WriteKind::overwrite:
          if (field_writes[w.channel].empty()) written_fields.push_back(w.channel);
          field_writes[w.channel].push_back(&w);
          break;
        case WriteKind::trigger:
          flag(w.channel, kWritten);
          break;
        case WriteKind::barrier:
          flag(w.channel, kWritten);
          slots_[w.channel].seen_sources[w.aux] = true;
          break;
        case WriteKind::send:
          flag(e.tasks_channel, kWritten);
          new_sends.push_back(*static_cast<const Send*>(w.value.get()));
          break;
      }
    }
  }

  // 4) fields through their reducers, in field order
  std::sort(written_fields.begin(), written_fields.end());
  for (auto f : written_fields) {
    auto& ws = field_writes[f];
    const auto& ops = e.state->fields[f];
    auto writers = [&] {
      std::vector<std::string> names;
      for (const Task* t : tasks)
        for (const auto& w : t->writes)
          if ((w.kind == WriteKind::value || w.kind == WriteKind::overwrite) && w.channel == f)
            names.push_back(e.nodes[t->node].name);
      return names_of(names);
    };
    std::size_t overwrites = 0;
    for (const auto* w : ws) overwrites += w->kind == WriteKind::overwrite ? 1 : 0;
    if (overwrites > 1)
      throw InvalidUpdate(ErrorId::update_conflicting_overwrites, "field \"" + ops.name + "\" got " + std::to_string(overwrites) +
                                               " Overwrite writes in step " + std::to_string(step) + " (from " +
                                               writers() + "); at most one per step");
    if (ops.last_value && overwrites == 0 && ws.size() > 1)
      throw InvalidUpdate(ErrorId::update_conflicting_writes,
                          "field \"" + ops.name + "\" was written " + std::to_string(ws.size()) + " times in step " +
                              std::to_string(step) + " (by " + writers() +
                              ") but keeps only one value per step; give it a reducer in sg::state_schema "
                              "(e.g. sg::append) or write it from one node");
    try {
      delta_.applied(f, ops.apply(mutable_state(), ws));
    } catch (const sg::Error&) {
      throw;
    } catch (const std::exception& ex) {
      throw InvalidUpdate(ErrorId::update_reducer_failed, "the reducer of field \"" + ops.name + "\" threw in step " +
                                               std::to_string(step) + " (writes from " + writers() + "): " + ex.what());
    }
    bump(f, next, updated);  // field f is channel f
  }

  // 5) triggers: written ones get the new version; ephemeral ones not written are cleared
  for (auto c : touched) {
    if ((scratch_[c] & kWritten) == 0) continue;
    const ChannelInfo& info = e.channels[c];
    if (info.kind == ChannelKind::tasks) sends_ = std::move(new_sends);
    if (info.kind == ChannelKind::branch) slots_[c].finished = false;
    bump(c, next, updated);
  }
  auto& live = apply_live_;
  live.assign(live_.begin(), live_.end());
  for (auto c : live) {
    if ((scratch_[c] & kWritten) != 0) continue;
    const ChannelInfo& info = e.channels[c];
    if ((info.kind == ChannelKind::branch && !info.deferred) || info.kind == ChannelKind::tasks ||
        info.kind == ChannelKind::start) {
      clear(c);
      mark_dirty(c);
    }
  }
  for (auto c : touched) scratch_[c] = 0;

  // 6) finish: when nothing would run next, deferred nodes may. LangGraph tests "no updated
  // channel triggers a node"; we test "no updated channel is available to a subscriber", so a
  // write into a deferred node's own (not yet finished) trigger does not keep it waiting forever.
  bool triggers_any = false;
  for (auto c : updated)
    if ((c == e.tasks_channel && !sends_.empty()) || (!e.trigger_to_nodes[c].empty() && available(c)))
      triggers_any = true;
  if (!triggers_any) {
    auto& candidates = apply_live_;
    candidates.assign(live_.begin(), live_.end());
    for (auto c : candidates) {
      const ChannelInfo& info = e.channels[c];
      if (!info.deferred || slots_[c].finished) continue;
      if (info.kind == ChannelKind::join &&
          !std::all_of(slots_[c].seen_sources.begin(), slots_[c].seen_sources.end(), [](bool b) { return b; }))
        continue;
      slots_[c].finished = true;
      bump(c, next, updated);
    }
  }

  for (auto f : written_fields) field_writes[f].clear();
  if (!updated.empty()) max_n_ = next.n;
  prune_seen();
}

std::vector<std::uint32_t> LoopState::apply_external(const std::vector<ErasedWrite>& writes) {
  std::vector<std::uint32_t> updated;
  const Version next = next_version();
  std::vector<std::vector<const ErasedWrite*>> per_field(engine_->field_count());
  for (const auto& w : writes) {
    switch (w.kind) {
      case WriteKind::value:
      case WriteKind::overwrite:
        per_field[w.channel].push_back(&w);
        break;
      case WriteKind::trigger:
        bump(w.channel, next, updated);
        break;
      case WriteKind::barrier:
        slots_[w.channel].seen_sources[w.aux] = true;
        bump(w.channel, next, updated);
        break;
      case WriteKind::send:
        sends_.push_back(*static_cast<const Send*>(w.value.get()));
        bump(engine_->tasks_channel, next, updated);
        break;
    }
  }
  for (std::uint32_t f = 0; f < per_field.size(); ++f) {
    if (per_field[f].empty()) continue;
    const auto& ops = engine_->state->fields[f];
    if (ops.last_value && per_field[f].size() > 1)
      throw InvalidUpdate(ErrorId::update_conflicting_writes, "field \"" + ops.name + "\" was written " +
                                               std::to_string(per_field[f].size()) +
                                               " times by one Command update but keeps only one value");
    delta_.applied(f, ops.apply(mutable_state(), per_field[f]));
    bump(f, next, updated);
  }
  if (!updated.empty()) max_n_ = next.n;
  return updated;
}

void LoopState::mark_interrupts_seen() {
  interrupt_seen_.clear();
  for (std::uint32_t f = 0; f < engine_->field_count(); ++f)
    if (slots_[f].version.has()) interrupt_seen_.emplace_back(f, slots_[f].version);
  for (auto c : live_) interrupt_seen_.emplace_back(c, slots_[c].version);
}

bool LoopState::should_interrupt(const std::vector<bool>& marks, const std::vector<Task>& tasks) const {
  bool any_marked = false;
  for (const auto& t : tasks) any_marked = any_marked || marks[t.node];
  if (!any_marked) return false;
  auto newer = [&](std::uint32_t c) {
    if (!slots_[c].version.has()) return false;
    for (const auto& [ch, v] : interrupt_seen_)
      if (ch == c) return v.n < slots_[c].version.n;
    return true;
  };
  for (std::uint32_t f = 0; f < engine_->field_count(); ++f)
    if (newer(f)) return true;
  return std::any_of(live_.begin(), live_.end(), newer);
}

bool LoopState::any_field_changed(const std::vector<std::uint32_t>& updated) const {
  return std::any_of(updated.begin(), updated.end(),
                     [&](auto c) { return engine_->channels[c].kind == ChannelKind::field; });
}

}  // namespace sg::detail
