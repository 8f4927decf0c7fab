// compile_engine: validates a GraphSpec (every problem at once) and builds the Engine's tables:
// one channel per state field, the input channel, the Send topic, a branch channel per node and a
// join channel per join, named by stategraph/checkpoint/format.hpp (LangGraph: graph/state.py
// attach_edge / attach_branch).

#include <algorithm>
#include <set>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>

#include "engine_impl.hpp"
#include "loop_state.hpp"
#include "stategraph/checkpoint/format.hpp"
#include "stategraph/constants.hpp"
#include "stategraph/errors.hpp"

namespace sg::detail {

namespace {

using Digraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;

std::string q(const std::string& s) { return "\"" + s + "\""; }

std::string join_name(const std::vector<std::string>& sources, const std::string& target) {
  return format::join_channel(sources, target);
}

std::vector<bool> reachable(const Digraph& g, std::size_t from) {
  std::vector<boost::default_color_type> color(boost::num_vertices(g));
  boost::breadth_first_search(
      g, boost::vertex(from, g),
      boost::color_map(boost::make_iterator_property_map(color.begin(), boost::get(boost::vertex_index, g))));
  std::vector<bool> out(color.size());
  for (std::size_t i = 0; i < color.size(); ++i) out[i] = color[i] != boost::white_color;
  return out;
}

std::vector<bool> reaches(const Digraph& g, std::size_t to) {
  auto rg = boost::make_reverse_graph(g);
  std::vector<boost::default_color_type> color(boost::num_vertices(g));
  boost::breadth_first_search(
      rg, boost::vertex(to, g),
      boost::color_map(boost::make_iterator_property_map(color.begin(), boost::get(boost::vertex_index, g))));
  std::vector<bool> out(color.size());
  for (std::size_t i = 0; i < color.size(); ++i) out[i] = color[i] != boost::white_color;
  return out;
}

}  // namespace

std::vector<bool> Engine::node_marks(const std::vector<std::string>& names,
                                     std::vector<std::string>* unknown) const {
  std::vector<bool> marks(nodes.size(), false);
  for (const auto& n : names) {
    if (n == "*") {
      for (std::size_t i = 1; i < nodes.size(); ++i) marks[i] = true;
    } else if (auto idx = find_node(n); idx && *idx != kStartNode) {
      marks[*idx] = true;
    } else if (unknown != nullptr) {
      unknown->push_back(n);
    }
  }
  return marks;
}

std::shared_ptr<const Engine> compile_engine(GraphSpec spec, CompileOptions options) {
  auto e = std::make_shared<Engine>();
  std::vector<std::string> problems = std::move(spec.problems);
  e->name = options.name;
  e->state = spec.state;

  // ---- nodes
  NodeInfo start;
  start.name = START;
  start.input.type = spec.state->type;
  e->nodes.push_back(std::move(start));
  e->node_index.emplace(START, kStartNode);
  for (auto& n : spec.nodes) {
    if (n.name == START || n.name == END || n.name == AS_INPUT || n.name == AS_COPY || n.name.empty()) {
      problems.push_back(error_tag(ErrorId::compile_reserved_node_name) + "node name " + q(n.name) +
                         " is reserved or empty; choose another name");
      continue;
    }
    if (n.name.find_first_of("|:") != std::string::npos) {
      problems.push_back(error_tag(ErrorId::compile_reserved_node_name) + "node name " + q(n.name) +
                         " contains '|' or ':', which are reserved for namespaces");
      continue;
    }
    if (e->node_index.count(n.name) != 0) {
      problems.push_back(error_tag(ErrorId::compile_duplicate_node) + "node " + q(n.name) + " is added twice; node names must be unique");
      continue;
    }
    NodeInfo info;
    info.name = n.name;
    info.fn = std::move(n.fn);
    info.input = n.input;
    info.takes_state = n.input.type == spec.state->type;
    info.retry = std::move(n.retry);
    info.defer = n.defer;
    info.destinations = std::move(n.destinations);
    info.subgraph = std::move(n.subgraph);
    e->node_index.emplace(info.name, static_cast<std::uint32_t>(e->nodes.size()));
    e->nodes.push_back(std::move(info));
  }
  for (std::uint32_t i = 1; i < e->nodes.size(); ++i) e->nodes_by_name.push_back(i);
  std::sort(e->nodes_by_name.begin(), e->nodes_by_name.end(),
            [&](auto a, auto b) { return e->nodes[a].name < e->nodes[b].name; });

  // ---- channels
  auto add_channel = [&](ChannelInfo c) {
    auto idx = static_cast<std::uint32_t>(e->channels.size());
    e->channel_index.emplace(c.name, idx);
    e->channels.push_back(std::move(c));
    return idx;
  };
  for (std::uint32_t f = 0; f < spec.state->fields.size(); ++f)
    add_channel({spec.state->fields[f].name, ChannelKind::field, f, 0, {}, false});
  e->start_channel = add_channel({std::string(format::kStartChannel), ChannelKind::start, 0, kStartNode, {}, false});
  e->tasks_channel = add_channel({std::string(format::kTasksChannel), ChannelKind::tasks, 0, 0, {}, false});
  e->branch_channel.assign(e->nodes.size(), 0);
  for (std::uint32_t i = 1; i < e->nodes.size(); ++i)
    e->branch_channel[i] =
        add_channel({format::branch_channel(e->nodes[i].name), ChannelKind::branch, 0, i, {}, e->nodes[i].defer});
  e->nodes[kStartNode].triggers.push_back(e->start_channel);

  // ---- graph for validation: vertices = nodes, then END
  const std::size_t end_vertex = e->nodes.size();
  Digraph g(e->nodes.size() + 1);
  auto vertex_of = [&](const std::string& n) -> std::optional<std::size_t> {
    if (n == END) return end_vertex;
    return e->find_node(n);
  };
  auto check_state_input = [&](std::uint32_t node, const std::string& via) {
    if (!e->nodes[node].takes_state)
      problems.push_back(error_tag(ErrorId::compile_input_type_mismatch) + "node " + q(e->nodes[node].name) + " is fed by " + via +
                         " but takes another input type than the state; reach it with sg::Send");
  };

  for (const auto& [from, to] : spec.edges) {
    if (from == END) {
      problems.push_back(error_tag(ErrorId::compile_edge_from_end_or_to_start) + "edge " + q(from) + "->" + q(to) + ": END has no outgoing edges");
      continue;
    }
    if (to == START) {
      problems.push_back(error_tag(ErrorId::compile_edge_from_end_or_to_start) + "edge " + q(from) + "->" + q(to) + ": START cannot be a target");
      continue;
    }
    auto f = vertex_of(from);
    auto t = vertex_of(to);
    if (!f) problems.push_back(error_tag(ErrorId::compile_unknown_node) + "edge " + q(from) + "->" + q(to) + ": unknown node " + q(from));
    if (!t) problems.push_back(error_tag(ErrorId::compile_unknown_node) + "edge " + q(from) + "->" + q(to) + ": unknown node " + q(to));
    if (!f || !t) continue;
    boost::add_edge(*f, *t, g);
    e->static_edges.emplace_back(from, to);
    if (*t == end_vertex) continue;
    check_state_input(static_cast<std::uint32_t>(*t), "an edge from " + q(from));
    e->nodes[*f].edges.push_back(e->branch_channel[*t]);
  }

  for (const auto& [sources, target] : spec.joins) {
    std::string jn = join_name(sources, target);
    bool ok = true;
    for (const auto& s : sources)
      if (s == START || s == END || !e->find_node(s)) {
        problems.push_back(error_tag(ErrorId::compile_unknown_node) + "join " + q(jn) + ": unknown source node " + q(s));
        ok = false;
      }
    auto t = e->find_node(target);
    if (!t || *t == kStartNode) {
      problems.push_back(error_tag(ErrorId::compile_unknown_node) + "join " + q(jn) + ": unknown target node " + q(target));
      ok = false;
    }
    if (!ok) continue;
    check_state_input(*t, "join " + q(jn));
    ChannelInfo c{jn, ChannelKind::join, 0, *t, {}, e->nodes[*t].defer};
    for (const auto& s : sources) c.sources.push_back(*e->find_node(s));
    auto ch = add_channel(std::move(c));
    for (std::uint32_t pos = 0; pos < sources.size(); ++pos) {
      auto src = *e->find_node(sources[pos]);
      e->nodes[src].joins.emplace_back(ch, pos);
      boost::add_edge(src, *t, g);
      e->static_edges.emplace_back(sources[pos], target);
    }
    e->nodes[*t].triggers.push_back(ch);
  }

  for (auto& b : spec.branches) {
    auto src = b.source == START ? std::optional<std::uint32_t>(kStartNode) : e->find_node(b.source);
    if (!src) {
      problems.push_back(error_tag(ErrorId::compile_unknown_node) + "conditional edges from unknown node " + q(b.source));
      continue;
    }
    std::vector<std::string> targets;
    if (b.path_map) {
      for (const auto& [key, node] : *b.path_map) {
        auto t = vertex_of(node);
        if (!t || node == START) {
          problems.push_back(error_tag(ErrorId::compile_unknown_node) + "conditional edges from " + q(b.source) + ": path_map key " +
                             q(key) + " names unknown node " + q(node));
          continue;
        }
        boost::add_edge(*src, *t, g);
        targets.push_back(node);
      }
    } else {
      // Without a path_map any node (or END) may follow.
      for (std::size_t i = 1; i <= e->nodes.size(); ++i) boost::add_edge(*src, i == e->nodes.size() ? end_vertex : i, g);
    }
    e->nodes[*src].branches.push_back(static_cast<std::uint32_t>(e->branches.size()));
    e->branches.push_back({std::move(b.router), std::move(b.path_map)});
    e->branch_targets.emplace_back(b.source, std::move(targets));
  }

  for (std::uint32_t i = 1; i < e->nodes.size(); ++i) {
    for (const auto& d : e->nodes[i].destinations) {
      auto t = vertex_of(d);
      if (!t || d == START) {
        problems.push_back(error_tag(ErrorId::compile_unknown_node) + "node " + q(e->nodes[i].name) + ": destination " + q(d) +
                           " is not a node");
        continue;
      }
      boost::add_edge(i, *t, g);
    }
    // A node with no way out ends the run when it finishes: an implicit edge to END.
    if (boost::out_degree(i, g) == 0) boost::add_edge(i, end_vertex, g);
    auto& trig = e->nodes[i].triggers;
    trig.push_back(e->branch_channel[i]);
    std::sort(trig.begin(), trig.end(), [&](auto a, auto b) { return e->channels[a].name < e->channels[b].name; });
  }

  if (boost::out_degree(kStartNode, g) == 0)
    problems.push_back(error_tag(ErrorId::compile_no_entry_edge) + "no edge leaves START; add add_edge(sg::START, \"<first node>\")");
  else {
    auto from_start = reachable(g, kStartNode);
    auto to_end = reaches(g, end_vertex);
    for (std::size_t i = 1; i < e->nodes.size(); ++i) {
      if (!from_start[i])
        problems.push_back(error_tag(ErrorId::compile_unreachable_node) + "node " + q(e->nodes[i].name) +
                           " cannot be reached from START; add an edge into it or remove it");
      else if (!to_end[i])
        problems.push_back(error_tag(ErrorId::compile_cannot_reach_end) + "node " + q(e->nodes[i].name) +
                           " can never reach END (it is caught in a cycle without exit); add a conditional edge out");
    }
  }

  std::vector<std::string> unknown;
  e->interrupt_before = e->node_marks(options.interrupt_before, &unknown);
  e->interrupt_after = e->node_marks(options.interrupt_after, &unknown);
  for (const auto& n : unknown)
    problems.push_back(error_tag(ErrorId::compile_unknown_interrupt_node) + "interrupt_before/after names unknown node " + q(n));

  if (!problems.empty()) throw CompileError(std::move(problems));

  // ---- trigger index
  e->trigger_to_nodes.assign(e->channels.size(), {});
  for (std::uint32_t i = 0; i < e->nodes.size(); ++i)
    for (auto c : e->nodes[i].triggers) e->trigger_to_nodes[c].push_back(i);

  e->saver = std::move(options.checkpointer);
  e->default_retry = std::move(options.retry_policy);
  e->max_tasks = options.threads;
  e->executor = options.executor ? std::move(options.executor) : default_executor();
  e->cache = std::make_unique<StateCache>(e->saver ? options.state_cache : 0);
  e->keep_applied_writes = options.keep_applied_writes;
  e->subgraph_checkpoints = options.subgraph_checkpoints;
  return e;
}

const std::shared_ptr<BaseCheckpointSaver>& checkpointer(const Engine& engine) { return engine.saver; }

std::optional<CachedState> StateCache::take(const std::string& key, const std::string& checkpoint_id) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  auto node = it->second;
  index_.erase(it);
  CachedState entry = std::move(node->second);
  lru_.erase(node);
  if (entry.checkpoint_id != checkpoint_id) return std::nullopt;  // someone else wrote since
  return entry;
}

std::unique_ptr<LoopState> StateCache::peek(const std::string& key, const std::string& checkpoint_id) {
  std::lock_guard lock(mutex_);  // a run may take the entry and change its LoopState: copy it first
  auto it = index_.find(key);
  if (it == index_.end() || it->second->second.checkpoint_id != checkpoint_id) return nullptr;
  return std::make_unique<LoopState>(*it->second->second.state);
}

void StateCache::put(const std::string& key, CachedState entry) {
  if (capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.emplace_front(key, std::move(entry));
  index_.emplace(key, lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

}  // namespace sg::detail
