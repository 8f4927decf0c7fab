// draw_mermaid / to_dot / graph_json: the compiled graph as a picture or as data (LangGraph: pregel/_draw.py,
// langchain-core Graph.draw_mermaid). Solid edges are static, dashed ones conditional
// (labelled with the router's key when it differs from the node name).

#include <algorithm>
#include <set>
#include <sstream>

#include "engine_impl.hpp"
#include "stategraph/constants.hpp"

namespace sg::detail {

namespace {

struct DrawEdge {
  std::string from, to, label;
  bool conditional = false;
};

std::vector<DrawEdge> edges_of(const Engine& e) {
  std::vector<DrawEdge> out;
  std::set<std::tuple<std::string, std::string, bool>> seen;
  auto add = [&](DrawEdge d) {
    if (seen.emplace(d.from, d.to, d.conditional).second) out.push_back(std::move(d));
  };
  for (const auto& [from, to] : e.static_edges) add({from, to, "", false});
  for (std::size_t b = 0; b < e.branches.size(); ++b) {
    const auto& source = e.branch_targets[b].first;
    if (e.branches[b].path_map) {
      for (const auto& [key, node] : *e.branches[b].path_map) add({source, node, key == node ? "" : key, true});
    } else {
      for (std::size_t i = 1; i < e.nodes.size(); ++i) add({source, e.nodes[i].name, "", true});
      add({source, END, "", true});
    }
  }
  for (std::size_t i = 1; i < e.nodes.size(); ++i) {
    for (const auto& d : e.nodes[i].destinations) add({e.nodes[i].name, d, "", true});
    bool has_out = !e.nodes[i].edges.empty() || !e.nodes[i].joins.empty() || !e.nodes[i].branches.empty() ||
                   !e.nodes[i].destinations.empty();
    for (const auto& [from, to] : e.static_edges) has_out = has_out || from == e.nodes[i].name;
    if (!has_out) add({e.nodes[i].name, END, "", false});
  }
  return out;
}

std::string mermaid_id(const std::string& n) {
  std::string s;
  for (char c : n) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  return s;
}

}  // namespace

namespace {

/// A node with a subgraph drawn inside it (xray).
const Engine* xray_child(const Engine& e, const std::string& node, bool xray) {
  if (!xray) return nullptr;
  auto idx = e.find_node(node);
  return idx ? e.nodes[*idx].subgraph.get() : nullptr;
}

/// Where an edge into (`into`) or out of node `node` of `e` attaches when subgraphs are drawn
/// inside their nodes: the node itself, or the first nodes of its subgraph (those START leads
/// to) for an edge into it, its last nodes (those leading to END) for an edge out, prefixed
/// "node:", recursively.
void attach_points(const Engine& e, const std::string& prefix, const std::string& node, bool xray, bool into,
                   std::vector<std::string>& out) {
  const Engine* child = xray_child(e, node, xray);
  if (child == nullptr) {
    out.push_back(prefix + node);
    return;
  }
  for (const auto& d : edges_of(*child)) {
    if (into && d.from == START && d.to != END) attach_points(*child, prefix + node + ":", d.to, xray, into, out);
    if (!into && d.to == END && d.from != START) attach_points(*child, prefix + node + ":", d.from, xray, into, out);
  }
}

void mermaid_graph(const Engine& e, const std::string& prefix, bool xray, std::ostream& o,
                   std::vector<DrawEdge>& edges) {
  const std::string indent(1 + std::count(prefix.begin(), prefix.end(), ':'), '\t');
  for (std::size_t i = 1; i < e.nodes.size(); ++i) {
    const std::string& name = e.nodes[i].name;
    if (const Engine* child = xray_child(e, name, xray)) {
      o << indent << "subgraph " << mermaid_id(prefix + name) << "[" << name << "]\n";
      mermaid_graph(*child, prefix + name + ":", xray, o, edges);
      o << indent << "end\n";
    } else {
      o << indent << mermaid_id(prefix + name) << "(" << name << ")\n";
    }
  }
  const bool root = prefix.empty();
  for (const auto& d : edges_of(e)) {
    // A subgraph's START and END edges are drawn by its parent, as edges into and out of it.
    if (!root && (d.from == START || d.to == END)) continue;
    std::vector<std::string> from, to;
    if (d.from == START) from.push_back(START);
    else attach_points(e, prefix, d.from, xray, false, from);
    if (d.to == END) to.push_back(END);
    else attach_points(e, prefix, d.to, xray, true, to);
    for (const auto& f : from)
      for (const auto& t : to) edges.push_back({f, t, d.label, d.conditional});
  }
}

}  // namespace

std::string draw_mermaid(const Engine& e, bool xray) {
  std::ostringstream o;
  o << "---\nconfig:\n  flowchart:\n    curve: linear\n---\ngraph TD;\n";
  o << "\t" << START << "([<p>" << START << "</p>]):::first\n";
  std::vector<DrawEdge> edges;
  mermaid_graph(e, "", xray, o, edges);
  o << "\t" << END << "([<p>" << END << "</p>]):::last\n";
  for (const auto& d : edges) {
    o << "\t" << mermaid_id(d.from);
    if (d.conditional)
      o << (d.label.empty() ? " -.-> " : " -. &nbsp;" + d.label + "&nbsp; .-> ");
    else
      o << " --> ";
    o << mermaid_id(d.to) << ";\n";
  }
  o << "\tclassDef default fill:#f2f0ff,line-height:1.2\n"
       "\tclassDef first fill-opacity:0\n"
       "\tclassDef last fill:#bfb6fc\n";
  return o.str();
}

nlohmann::json graph_json(const Engine& e, bool xray) {
  // The nodes and edges mermaid_graph draws, as langchain-core's Graph.to_json() lists them.
  std::ostringstream ignored;
  std::vector<DrawEdge> edges;
  mermaid_graph(e, "", xray, ignored, edges);
  nlohmann::json nodes = nlohmann::json::array();
  auto add_node = [&nodes](const std::string& id, const char* type) {
    nodes.push_back({{"id", id}, {"type", type}, {"data", id}});
  };
  add_node(START, "schema");
  std::set<std::string> seen{START, END};
  for (std::size_t i = 1; i < e.nodes.size(); ++i) {
    std::vector<std::string> points;
    attach_points(e, "", e.nodes[i].name, xray, true, points);
    attach_points(e, "", e.nodes[i].name, xray, false, points);
    for (const auto& id : points)
      if (seen.insert(id).second) add_node(id, "runnable");
  }
  for (const auto& d : edges)
    for (const auto* id : {&d.from, &d.to})
      if (seen.insert(*id).second) add_node(*id, "runnable");
  add_node(END, "schema");
  nlohmann::json out_edges = nlohmann::json::array();
  for (const auto& d : edges) {
    nlohmann::json edge{{"source", d.from}, {"target", d.to}, {"conditional", d.conditional}};
    if (!d.label.empty()) edge["data"] = d.label;
    out_edges.push_back(std::move(edge));
  }
  return {{"nodes", std::move(nodes)}, {"edges", std::move(out_edges)}};
}

std::string to_dot(const Engine& e) {
  std::ostringstream o;
  o << "digraph \"" << e.name << "\" {\n  rankdir=TB;\n";
  o << "  \"" << START << "\" [shape=oval];\n";
  for (std::size_t i = 1; i < e.nodes.size(); ++i) o << "  \"" << e.nodes[i].name << "\" [shape=box];\n";
  o << "  \"" << END << "\" [shape=oval];\n";
  for (const auto& d : edges_of(e)) {
    o << "  \"" << d.from << "\" -> \"" << d.to << "\"";
    if (d.conditional) {
      o << " [style=dashed";
      if (!d.label.empty()) o << ", label=\"" << d.label << "\"";
      o << "]";
    }
    o << ";\n";
  }
  o << "}\n";
  return o.str();
}

}  // namespace sg::detail
