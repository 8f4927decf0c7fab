#include "node_writers.hpp"

#include "stategraph/constants.hpp"
#include "stategraph/errors.hpp"

namespace sg::detail {

ErasedWrite send_write(const Engine& e, Send s, const std::string& from) {
  if (s.node() == END) throw InvalidUpdate(ErrorId::update_invalid_send, from + " sent a Send to END; a Send must target a node");
  auto idx = e.find_node(s.node());
  if (!idx || *idx == kStartNode)
    throw InvalidUpdate(ErrorId::update_invalid_send, from + " sent a Send to unknown node \"" + s.node() + "\"");
  if (s.arg_type() != e.nodes[*idx].input.type)
    throw InvalidUpdate(ErrorId::update_invalid_send, from + " sent a Send to \"" + s.node() +
                                             "\" whose argument type is not that node's input type");
  return {e.tasks_channel, WriteKind::send, 0, std::make_shared<const Send>(std::move(s))};
}

std::vector<ErasedWrite> node_writes(const Engine& e, const LoopState& state, std::uint32_t n, NodeOutput out,
                                     RunContext& ctx, bool with_edges) {
  const NodeInfo& node = e.nodes[n];
  std::vector<ErasedWrite> writes = std::move(out.writes);
  if (with_edges)
    for (auto ch : node.edges) writes.push_back({ch, WriteKind::trigger, 0, nullptr});
  if (with_edges)
    for (const auto& [ch, pos] : node.joins) writes.push_back({ch, WriteKind::barrier, pos, nullptr});
  if (with_edges && !node.branches.empty()) {
    auto local = state.local_state(writes);
    for (auto b : node.branches) {
      const BranchInfo& branch = e.branches[b];
      RouteOutput route = branch.router(local.get(), ctx);
      for (const auto& key : route.keys) {
        std::string target = key;
        if (branch.path_map) {
          auto it = branch.path_map->find(key);
          if (it == branch.path_map->end())
            throw InvalidUpdate(ErrorId::update_router_unknown_target, "the router after \"" + node.name + "\" returned \"" + key +
                                                     "\", which is not a key of its path_map");
          target = it->second;
        }
        if (target == END) continue;
        auto idx = e.find_node(target);
        if (!idx || *idx == kStartNode)
          throw InvalidUpdate(ErrorId::update_router_unknown_target, "the router after \"" + node.name + "\" returned \"" + target +
                                                   "\", which is not a node of this graph");
        if (!e.nodes[*idx].takes_state)
          throw InvalidUpdate(ErrorId::update_invalid_send, "the router after \"" + node.name + "\" routed to \"" + target +
                                                   "\", which takes a Send argument; return sg::Send instead");
        writes.push_back({e.branch_channel[*idx], WriteKind::trigger, 0, nullptr});
      }
      for (auto& s : route.sends) writes.push_back(send_write(e, std::move(s), "the router after \"" + node.name + "\""));
    }
  }
  for (const auto& g : out.goto_) {
    if (g == END) continue;
    auto idx = e.find_node(g);
    if (!idx || *idx == kStartNode)
      throw InvalidUpdate(ErrorId::update_goto_unknown_node, "node \"" + node.name + "\" returned Command goto \"" + g +
                                               "\", which is not a node of this graph");
    writes.push_back({e.branch_channel[*idx], WriteKind::trigger, 0, nullptr});
  }
  for (auto& s : out.sends) writes.push_back(send_write(e, std::move(s), "node \"" + node.name + "\""));
  return writes;
}

}  // namespace sg::detail
