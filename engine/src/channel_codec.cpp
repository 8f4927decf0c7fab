#include "channel_codec.hpp"

#include "stategraph/checkpoint/format.hpp"
#include "stategraph/errors.hpp"

namespace sg::detail {

// ---- channel values

nlohmann::json ChannelCodec::encode_start(const std::vector<ErasedWrite>& writes) const {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& w : writes)
    a.push_back({{"channel", e_->state->fields[w.channel].name}, {"value", e_->state->fields[w.channel].encode_write(w)}});
  return a;
}

std::vector<ErasedWrite> ChannelCodec::decode_start(const nlohmann::json& j) const {
  std::vector<ErasedWrite> out;
  for (const auto& w : j) out.push_back(decode_write({"", w.at("channel").get<std::string>(), w.at("value")}));
  return out;
}

nlohmann::json ChannelCodec::encode_send(const Send& s) { return {{"node", s.node()}, {"arg", s.arg_json()}}; }

nlohmann::json ChannelCodec::encode_sends(const std::vector<Send>& sends) const {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& s : sends) a.push_back(encode_send(s));
  return a;
}

Send ChannelCodec::decode_send(const nlohmann::json& j) const {
  const std::string node = j.at("node").get<std::string>();
  auto idx = e_->find_node(node);
  if (!idx || *idx == kStartNode)
    throw StateError("sg.state.502", "a stored Send targets unknown node \"" + node + "\"");
  const InputOps& in = e_->nodes[*idx].input;
  return Send::from_erased(node, in.decode(j.at("arg")), in.type, in.encode);
}

std::vector<Send> ChannelCodec::decode_sends(const nlohmann::json& j) const {
  std::vector<Send> out;
  for (const auto& s : j) out.push_back(decode_send(s));
  return out;
}

nlohmann::json ChannelCodec::encode_join(std::uint32_t ch, const std::vector<bool>& seen, bool finished) const {
  const ChannelInfo& info = e_->channels[ch];
  nlohmann::json a = nlohmann::json::array();
  for (std::size_t i = 0; i < info.sources.size(); ++i)
    if (seen[i]) a.push_back(e_->nodes[info.sources[i]].name);
  return {{"seen", a}, {"finished", finished}};
}

void ChannelCodec::decode_join(std::uint32_t ch, const nlohmann::json& j, std::vector<bool>& seen, bool& finished) const {
  const ChannelInfo& info = e_->channels[ch];
  for (const auto& name : j.at("seen")) {
    auto idx = e_->find_node(name.get<std::string>());
    for (std::size_t i = 0; i < info.sources.size(); ++i)
      if (idx && info.sources[i] == *idx) seen[i] = true;
  }
  finished = j.value("finished", false);
}

// ---- writes

PendingWrite ChannelCodec::encode_write(const std::string& tid, const ErasedWrite& w) const {
  switch (w.kind) {
    case WriteKind::value:
    case WriteKind::overwrite:
      return {tid, e_->state->fields[w.channel].name, e_->state->fields[w.channel].encode_write(w)};
    case WriteKind::trigger:
      return {tid, e_->channels[w.channel].name, nullptr};
    case WriteKind::barrier: {
      const ChannelInfo& info = e_->channels[w.channel];
      return {tid, info.name, e_->nodes[info.sources[w.aux]].name};
    }
    case WriteKind::send: {
      const auto& s = *static_cast<const Send*>(w.value.get());
      return {tid, std::string(format::kTasksChannel), encode_send(s)};
    }
  }
  return {};
}

ErasedWrite ChannelCodec::decode_write(const PendingWrite& pw) const {
  auto it = e_->channel_index.find(pw.channel);
  if (it == e_->channel_index.end())
    throw StateError("sg.state.502", "a saved write names unknown channel \"" + pw.channel +
                                         "\"; was the graph changed since it was saved?");
  const ChannelInfo& info = e_->channels[it->second];
  ErasedWrite w;
  w.channel = it->second;
  switch (info.kind) {
    case ChannelKind::field:
      return e_->state->fields[info.field].decode_write(info.field, pw.value);
    case ChannelKind::branch:
      w.kind = WriteKind::trigger;
      return w;
    case ChannelKind::join: {
      w.kind = WriteKind::barrier;
      auto idx = e_->find_node(pw.value.get<std::string>());
      for (std::uint32_t i = 0; i < info.sources.size(); ++i)
        if (idx && info.sources[i] == *idx) w.aux = i;
      return w;
    }
    case ChannelKind::tasks:
      w.kind = WriteKind::send;
      w.value = std::make_shared<const Send>(decode_send(pw.value));
      return w;
    case ChannelKind::start:
      break;
  }
  throw StateError("sg.state.502", "a saved write names channel \"" + pw.channel + "\", which tasks cannot write");
}

nlohmann::json ChannelCodec::updates_json(const std::vector<ErasedWrite>& writes) const {
  // {field: value}; several writes to one field become a JSON array of them.
  std::vector<std::vector<nlohmann::json>> per_field(e_->field_count());
  for (const auto& w : writes)
    if (w.kind == WriteKind::value || w.kind == WriteKind::overwrite)
      per_field[w.channel].push_back(e_->state->fields[w.channel].encode_write(w));
  nlohmann::json j = nlohmann::json::object();
  for (std::uint32_t f = 0; f < per_field.size(); ++f) {
    if (per_field[f].empty()) continue;
    const auto& name = e_->state->fields[f].name;
    j[name] = per_field[f].size() == 1 ? std::move(per_field[f][0]) : nlohmann::json(std::move(per_field[f]));
  }
  return j;
}

}  // namespace sg::detail
