#include "stategraph/nodes/chat_model.hpp"

#include <set>

#include "stategraph/errors.hpp"
#include "stategraph/nodes/errors.hpp"
#include "util.hpp"

namespace sg {

namespace {

void check_cancelled(const ChatOptions& options, const ChatModel& model) {
  if (options.cancelled && options.cancelled())
    throw Cancelled("the call to chat model \"" + model.name() + "\" was cancelled");
}

void check_reply(const Message& reply, const ChatModel& model) {
  if (reply.type != MessageType::ai)
    throw ModelError(ErrorId::nodes_malformed_reply, "chat model \"" + model.name() + "\" replied with a " + to_string(reply.type) +
                                         " message; a model must reply with an ai message");
}

}  // namespace

Message ChatModel::invoke(const Messages& messages, const ChatOptions& options) const {
  check_cancelled(options, *this);
  Message reply = do_invoke(messages, options);
  check_reply(reply, *this);
  if (reply.id.empty()) reply.id = "run-" + nodes_detail::uuid4();
  return reply;
}

Message ChatModel::stream(const Messages& messages, const ChatOptions& options, const ChunkCallback& on_chunk) const {
  check_cancelled(options, *this);
  const std::string id = "run-" + nodes_detail::uuid4();
  std::string reply_id;  // the id the chunks carry
  const ChunkCallback forward = [&](const MessageChunk& chunk) {
    check_cancelled(options, *this);
    if (reply_id.empty()) reply_id = chunk.id.empty() ? id : chunk.id;
    if (!on_chunk) return;
    if (chunk.id == reply_id) {
      on_chunk(chunk);
    } else {
      MessageChunk stamped = chunk;
      stamped.id = reply_id;
      on_chunk(stamped);
    }
  };
  Message reply = do_stream(messages, options, forward);
  check_reply(reply, *this);
  if (reply.id.empty()) reply.id = reply_id.empty() ? id : reply_id;
  return reply;
}

std::unique_ptr<ChatModel> ChatModel::bind_tools(std::vector<ToolSpec> tools) const {
  std::set<std::string> names;
  for (const auto& t : tools) {
    if (t.name.empty()) throw UsageError(ErrorId::nodes_invalid_tools, "bind_tools: a tool has an empty name");
    if (!names.insert(t.name).second)
      throw UsageError(ErrorId::nodes_invalid_tools, "bind_tools: two tools are named \"" + t.name + "\"");
  }
  auto copy = clone();
  copy->tools_ = std::move(tools);
  return copy;
}

Message ChatModel::do_stream(const Messages& messages, const ChatOptions& options, const ChunkCallback& on_chunk) const {
  Message reply = do_invoke(messages, options);
  if (on_chunk)
    for (const auto& chunk : split_into_chunks(reply)) on_chunk(chunk);
  return reply;
}

Message stream_chat(const ChatModel& model, const Messages& messages, RunContext& ctx, ChatOptions options) {
  if (!options.cancelled) options.cancelled = [&ctx] { return ctx.cancelled(); };
  if (!ctx.streams(StreamMode::messages)) return model.invoke(messages, options);
  const nlohmann::json metadata{{"node", ctx.node()},
                                {"step", ctx.step()},
                                {"thread_id", ctx.thread_id()},
                                {"checkpoint_ns", ctx.checkpoint_ns()},
                                {"task_id", ctx.task_id()},
                                {"model", model.name()}};
  return model.stream(messages, options, [&](const MessageChunk& chunk) {
    ctx.emit(StreamMode::messages, nlohmann::json{{"chunk", chunk}, {"metadata", metadata}});
  });
}

}  // namespace sg
