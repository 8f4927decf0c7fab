// sg::add_messages — LangGraph's graph/message.py `add_messages`, step by step (see the header).
#include "stategraph/nodes/add_messages.hpp"

#include <algorithm>
#include <stdexcept>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "util.hpp"

namespace sg {

std::size_t AddMessages::merge(Messages& current, Messages&& update) {
  const std::size_t old_size = current.size();
  std::size_t changed = old_size;

  // 2. ids for messages that have none, on both sides
  for (std::size_t i = 0; i < current.size(); ++i) {
    if (current[i].id.empty()) {
      current[i].id = nodes_detail::uuid4();
      changed = std::min(changed, i);
    }
  }
  // A message that got a fresh id here cannot match anything: it needs no lookup.
  std::vector<bool> fresh(update.size(), false);
  std::optional<std::size_t> remove_all;
  for (std::size_t i = 0; i < update.size(); ++i) {
    Message& m = update[i];
    if (m.id.empty()) {
      m.id = nodes_detail::uuid4();
      fresh[i] = true;
    }
    if (m.type == MessageType::remove && m.id == REMOVE_ALL_MESSAGES) remove_all = i;
  }

  // 3. remove-all: only what follows the last marker, as is
  if (remove_all) {
    Messages rest(std::make_move_iterator(update.begin() + static_cast<std::ptrdiff_t>(*remove_all) + 1),
                  std::make_move_iterator(update.end()));
    current = std::move(rest);
    return 0;
  }

  // 4. merge by id. A step adds one or two messages that carry ids (a model's reply, a tool
  // result): each is looked up by scanning the ids from the end, which costs a compare of eight
  // bytes per message and no allocation. Only an update with many such messages builds an index
  // (the cost of hashing the whole conversation pays off from a handful of lookups on).
  std::size_t lookups = 0;
  for (std::size_t i = 0; i < update.size(); ++i) lookups += fresh[i] ? 0 : 1;
  const bool use_index = lookups > 8;
  std::unordered_map<std::string, std::size_t> index;
  bool indexed = false;
  auto find = [&](const std::string& id) -> std::optional<std::size_t> {
    if (!use_index) {
      // The last message with this id (as the index below: the last one wins, as in Python).
      for (std::size_t i = current.size(); i-- > 0;)
        if (nodes_detail::same_id(current[i].id, id)) return i;
      return std::nullopt;
    }
    if (!indexed) {
      index.reserve(current.size() + update.size());
      for (std::size_t i = 0; i < current.size(); ++i) index[current[i].id] = i;  // last wins, as in Python
      indexed = true;
    }
    auto it = index.find(id);
    if (it == index.end()) return std::nullopt;
    return it->second;
  };
  // Room for the appended messages, growing geometrically: reserving exactly size + k on every
  // step would move the whole conversation each time.
  if (current.capacity() < current.size() + update.size())
    current.reserve(std::max(current.size() + update.size(), 2 * current.capacity()));

  std::unordered_set<std::string> to_remove;
  for (std::size_t i = 0; i < update.size(); ++i) {
    Message& m = update[i];
    std::optional<std::size_t> existing = fresh[i] ? std::nullopt : find(m.id);
    if (existing) {
      if (m.type == MessageType::remove) {
        to_remove.insert(m.id);
      } else {
        to_remove.erase(m.id);
        if (!(current[*existing] == m)) {
          current[*existing] = std::move(m);
          changed = std::min(changed, *existing);
        }
      }
    } else {
      if (m.type == MessageType::remove)
        throw std::invalid_argument("Attempting to delete a message with an ID that doesn't exist ('" + m.id + "')");
      current.push_back(std::move(m));
      if (indexed) index.emplace(current.back().id, current.size() - 1);
    }
  }

  // 5. marked ids removed at the end
  if (!to_remove.empty()) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < current.size(); ++i) {
      if (to_remove.count(current[i].id) != 0) {
        changed = std::min(changed, i);
        continue;
      }
      if (out != i) current[out] = std::move(current[i]);
      ++out;
    }
    current.resize(out);
  }
  return changed;
}

}  // namespace sg
