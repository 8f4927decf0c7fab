#include "stategraph/nodes/tool.hpp"

#include "stategraph/nodes/errors.hpp"

namespace sg {

namespace {

using nlohmann::json;

bool has_type(const json& v, const std::string& type) {
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer") return v.is_number_integer();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return true;  // unknown type names are not checked
}

bool matches_type(const json& v, const json& type) {
  if (type.is_string()) return has_type(v, type.get<std::string>());
  if (type.is_array()) {
    for (const auto& t : type)
      if (t.is_string() && has_type(v, t.get<std::string>())) return true;
    return false;
  }
  return true;
}

}  // namespace

nlohmann::json to_openai_json(const ToolSpec& spec) {
  return json{{"type", "function"},
              {"function", {{"name", spec.name}, {"description", spec.description}, {"parameters", spec.parameters}}}};
}

void to_json(nlohmann::json& j, const ToolSpec& spec) {
  j = json{{"name", spec.name}, {"description", spec.description}, {"parameters", spec.parameters}};
}

void from_json(const nlohmann::json& j, ToolSpec& spec) {
  const json& f = j.contains("function") ? j.at("function") : j;  // OpenAI form too
  if (!f.is_object() || !f.contains("name") || !f.at("name").is_string())
    throw UsageError(ErrorId::nodes_invalid_tools, "a tool spec needs a string \"name\", got " + j.dump());
  spec.name = f.at("name").get<std::string>();
  spec.description = f.value("description", "");
  spec.parameters = f.contains("parameters") ? f.at("parameters") : ToolSpec{}.parameters;
}

std::optional<std::string> validate_tool_args(const nlohmann::json& schema, const nlohmann::json& args) {
  if (!args.is_object()) return "arguments must be a JSON object, got " + args.dump();
  if (!schema.is_object()) return std::nullopt;
  if (auto req = schema.find("required"); req != schema.end() && req->is_array()) {
    for (const auto& name : *req)
      if (name.is_string() && !args.contains(name.get<std::string>()))
        return "missing required argument \"" + name.get<std::string>() + "\"";
  }
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object()) return std::nullopt;
  for (const auto& [key, value] : args.items()) {
    auto p = props->find(key);
    if (p == props->end() || !p->is_object()) continue;
    if (auto t = p->find("type"); t != p->end() && !matches_type(value, *t))
      return "argument \"" + key + "\" must be of type " + t->dump() + ", got " + value.dump();
    if (auto e = p->find("enum"); e != p->end() && e->is_array()) {
      bool found = false;
      for (const auto& allowed : *e) found = found || allowed == value;
      if (!found) return "argument \"" + key + "\" must be one of " + e->dump() + ", got " + value.dump();
    }
  }
  return std::nullopt;
}

}  // namespace sg
