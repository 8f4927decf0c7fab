// Chat prompt templates: langchain_core/prompts/chat.py (ChatPromptTemplate.from_messages,
// MessagesPlaceholder) with the f-string format of prompts/string.py.
#include "stategraph/nodes/prompt_template.hpp"

#include <algorithm>

#include "stategraph/nodes/errors.hpp"

namespace sg {

namespace {

using Segment = PromptPart::Segment;

std::vector<Segment> parse_template(std::string_view t) {
  std::vector<Segment> out;
  std::string literal;
  auto fail = [&](std::size_t at, const std::string& why) {
    throw UsageError(ErrorId::nodes_bad_template, "prompt template \"" + std::string(t) + "\": " + why + " at offset " +
                                         std::to_string(at) + " (write {{ and }} for literal braces)");
  };
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (c == '{') {
      if (i + 1 < t.size() && t[i + 1] == '{') {
        literal.push_back('{');
        ++i;
        continue;
      }
      const std::size_t close = t.find('}', i + 1);
      if (close == std::string_view::npos) fail(i, "'{' is never closed");
      std::string name(t.substr(i + 1, close - i - 1));
      if (name.empty()) fail(i, "empty variable name {}");
      if (name.find('{') != std::string::npos) fail(i, "'{' inside a variable name");
      if (!literal.empty()) out.push_back({false, std::move(literal)});
      literal.clear();
      out.push_back({true, std::move(name)});
      i = close;
    } else if (c == '}') {
      if (i + 1 < t.size() && t[i + 1] == '}') {
        literal.push_back('}');
        ++i;
        continue;
      }
      fail(i, "single '}'");
    } else {
      literal.push_back(c);
    }
  }
  if (!literal.empty()) out.push_back({false, std::move(literal)});
  return out;
}

std::string given_names(const PromptVariables& vars, const PromptPlaceholders& ph) {
  std::string s;
  for (const auto& [k, v] : vars) s += (s.empty() ? "" : ", ") + k;
  for (const auto& [k, v] : ph) s += (s.empty() ? "" : ", ") + k;
  return s.empty() ? "(none)" : s;
}

std::string fill(const std::vector<Segment>& segments, const PromptVariables& vars, const PromptPlaceholders& ph,
                 std::string_view source, std::string_view where) {
  std::string out;
  for (const auto& s : segments) {
    if (!s.is_variable) {
      out += s.text;
      continue;
    }
    auto it = vars.find(s.text);
    if (it == vars.end())
      throw UsageError(ErrorId::nodes_missing_template_value, "prompt variable \"" + s.text + "\" is missing (" + std::string(where) +
                                           ": \"" + std::string(source) + "\"); given: " + given_names(vars, ph));
    out += it->second;
  }
  return out;
}

}  // namespace

PromptPart::PromptPart(std::string role, std::string template_text)
    : value_(parse(std::move(role), std::move(template_text))) {}

PromptPart::Value PromptPart::parse(std::string role, std::string template_text) {
  if (role == "placeholder") {
    // ("placeholder", "{messages}") is an optional MessagesPlaceholder in LangChain.
    auto segs = parse_template(template_text);
    if (segs.size() != 1 || !segs[0].is_variable)
      throw UsageError(ErrorId::nodes_bad_template, "a (\"placeholder\", template) entry must be exactly \"{name}\", got \"" +
                                           template_text + "\"");
    return MessagesPlaceholder(segs[0].text, true);
  }
  auto type = message_type_from_string(role);
  if (!type || *type == MessageType::tool || *type == MessageType::remove)
    throw UsageError(ErrorId::nodes_bad_template, "prompt template role \"" + role +
                                         "\" is not one of system, human, user, ai, assistant, placeholder");
  Templated t;
  t.type = *type;
  t.segments = parse_template(template_text);
  t.source = std::move(template_text);
  return t;
}

PromptPart::PromptPart(MessagesPlaceholder placeholder) : value_(std::move(placeholder)) {}

PromptPart::PromptPart(Message message) : value_(std::move(message)) {}

Messages ChatPromptTemplate::format_messages(const PromptVariables& variables,
                                             const PromptPlaceholders& placeholders) const {
  Messages out;
  std::size_t index = 0;
  for (const auto& part : parts_) {
    ++index;
    if (const auto* t = std::get_if<PromptPart::Templated>(&part.value())) {
      Message m;
      m.type = t->type;
      const std::string where = "message " + std::to_string(index) + " (" + to_string(t->type) + ")";
      m.content = fill(t->segments, variables, placeholders, t->source, where);
      out.push_back(std::move(m));
    } else if (const auto* p = std::get_if<MessagesPlaceholder>(&part.value())) {
      auto it = placeholders.find(p->variable_name);
      if (it == placeholders.end()) {
        if (p->optional) continue;
        throw UsageError(ErrorId::nodes_missing_template_value, "messages placeholder \"" + p->variable_name + "\" (message " +
                                             std::to_string(index) + ") has no messages; given: " +
                                             given_names(variables, placeholders));
      }
      out.insert(out.end(), it->second.begin(), it->second.end());
    } else {
      out.push_back(std::get<Message>(part.value()));
    }
  }
  return out;
}

Messages ChatPromptTemplate::invoke(const nlohmann::json& input) const {
  if (!input.is_object())
    throw UsageError(ErrorId::nodes_missing_template_value, "ChatPromptTemplate::invoke takes a JSON object of variables, got " + input.dump());
  PromptVariables vars;
  for (const auto& name : input_variables()) {
    auto it = input.find(name);
    if (it != input.end()) vars.emplace(name, it->is_string() ? it->get<std::string>() : it->dump());
  }
  std::vector<Messages> storage;
  const auto names = placeholder_names();
  storage.reserve(names.size());
  PromptPlaceholders ph;
  for (const auto& name : names) {
    auto it = input.find(name);
    if (it == input.end() || ph.count(name) != 0) continue;
    if (!it->is_array())
      throw UsageError(ErrorId::nodes_not_a_message, "placeholder \"" + name + "\" must be a list of messages, got " + it->dump());
    storage.push_back(it->get<Messages>());
    ph.emplace(name, std::span<const Message>(storage.back()));
  }
  return format_messages(vars, ph);
}

std::vector<std::string> ChatPromptTemplate::input_variables() const {
  std::vector<std::string> names;
  for (const auto& part : parts_)
    if (const auto* t = std::get_if<PromptPart::Templated>(&part.value()))
      for (const auto& s : t->segments)
        if (s.is_variable) names.push_back(s.text);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::vector<std::string> ChatPromptTemplate::placeholder_names() const {
  std::vector<std::string> names;
  for (const auto& part : parts_)
    if (const auto* p = std::get_if<MessagesPlaceholder>(&part.value())) names.push_back(p->variable_name);
  return names;
}

std::string format_template(std::string_view template_text, const PromptVariables& variables) {
  return fill(parse_template(template_text), variables, {}, template_text, "template");
}

}  // namespace sg
