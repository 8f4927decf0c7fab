#include "saved_writes.hpp"

#include <algorithm>

#include "stategraph/checkpoint/format.hpp"

namespace sg::detail {

SavedWrites::SavedWrites(const std::vector<PendingWrite>& writes) {
  for (const auto& w : writes) {
    if (w.task_id == format::kNullTaskId) {
      if (w.channel == format::kResumeWrite) {
        null_resume_ = w.value;
      } else if (w.channel == format::kInterruptWrite) {
        null_interrupts_ = interrupts_from_json(w.value);
      } else if (!format::is_control_write(w.channel)) {
        null_writes_.push_back(w);
      }
      continue;
    }
    SavedTask& t = tasks_[w.task_id];
    if (w.channel == format::kErrorWrite) {
      t.error = w.value.is_object() ? w.value.value("message", std::string("failed")) : std::string("failed");
    } else if (w.channel == format::kInterruptWrite) {
      t.interrupts = interrupts_from_json(w.value);
    } else if (w.channel == format::kResumeWrite) {
      t.resume.clear();
      if (w.value.is_array()) {
        for (const auto& v : w.value) t.resume.push_back(v);
      } else {
        t.resume.push_back(w.value);
      }
    } else if (w.channel == format::kNoWritesWrite) {
      t.finished = true;
    } else if (!format::is_control_write(w.channel)) {
      t.finished = true;
      t.writes.push_back(w);
    }
  }
}

const SavedTask* SavedWrites::task(const std::string& task_id) const {
  auto it = tasks_.find(task_id);
  return it == tasks_.end() ? nullptr : &it->second;
}

std::vector<std::uint32_t> SavedWrites::apply_null_writes(LoopState& state) const {
  // One write at a time: the writes of several Commands given at one checkpoint accumulate here,
  // and a later Command's value for a last-value field replaces an earlier one (one Command
  // writing a field twice was refused when it was given, sg.update.201).
  std::vector<std::uint32_t> updated;
  for (const auto& w : null_writes_) {
    const std::vector<ErasedWrite> one{state.decode_write(w)};
    for (auto c : state.apply_external(one))
      if (std::find(updated.begin(), updated.end(), c) == updated.end()) updated.push_back(c);
  }
  return updated;
}

void SavedWrites::attach(std::vector<Task>& tasks, const LoopState& state, Use use) const {
  if (tasks_.empty()) return;
  for (auto& t : tasks) {
    const SavedTask* s = task(t.id);
    if (s == nullptr) continue;
    t.has_result = s->finished;
    t.writes.clear();
    for (const auto& w : s->writes) t.writes.push_back(state.decode_write(w));
    const bool outcomes = !s->finished || use == Use::show;
    t.error_text = outcomes ? s->error : std::nullopt;
    t.interrupts = outcomes ? s->interrupts : std::vector<Interrupt>{};
    t.resume = s->resume;
  }
}

std::vector<Interrupt> SavedWrites::pending_interrupts() const {
  std::vector<Interrupt> out = null_interrupts_;
  for (const auto& [id, t] : tasks_)
    if (!t.finished) out.insert(out.end(), t.interrupts.begin(), t.interrupts.end());
  return out;
}

nlohmann::json SavedWrites::interrupts_json(const std::vector<Interrupt>& interrupts) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& i : interrupts) a.push_back({{"id", i.id}, {"value", i.value}, {"node", i.node}, {"when", i.when}});
  return a;
}

std::vector<Interrupt> SavedWrites::interrupts_from_json(const nlohmann::json& j) {
  std::vector<Interrupt> out;
  if (!j.is_array()) return out;
  for (const auto& i : j) {
    if (!i.is_object()) continue;
    out.push_back({i.value("id", ""), i.value("value", nlohmann::json()), i.value("node", ""), i.value("when", "during")});
  }
  return out;
}

}  // namespace sg::detail
