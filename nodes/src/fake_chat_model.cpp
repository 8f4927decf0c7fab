#include "stategraph/nodes/fake_chat_model.hpp"

#include <map>
#include <mutex>
#include <thread>

#include "stategraph/nodes/errors.hpp"
#include "stategraph/nodes/token_counter.hpp"

namespace sg {

struct FakeChatModel::Shared {
  std::string name;
  Responder responder;
  std::vector<Message> replies;
  bool cycle = false;

  mutable std::mutex mutex;
  std::size_t next = 0;   // next scripted reply
  std::size_t calls = 0;  // calls so far
  std::vector<Messages> received;
  bool keep_received = true;
  std::map<std::size_t, std::exception_ptr> faults;
  std::chrono::milliseconds delay{0};
};

FakeChatModel::FakeChatModel(std::string name, Responder responder) : shared_(std::make_shared<Shared>()) {
  shared_->name = std::move(name);
  shared_->responder = std::move(responder);
}

FakeChatModel::FakeChatModel(std::string name, std::vector<Message> replies, bool cycle)
    : shared_(std::make_shared<Shared>()) {
  shared_->name = std::move(name);
  shared_->replies = std::move(replies);
  shared_->cycle = cycle;
}

std::size_t FakeChatModel::calls() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->calls;
}

std::vector<Messages> FakeChatModel::received() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->received;
}

void FakeChatModel::fail_on_call(std::size_t call, std::exception_ptr error) {
  std::lock_guard lock(shared_->mutex);
  shared_->faults[call] = std::move(error);
}

void FakeChatModel::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(shared_->mutex);
  shared_->delay = delay;
}

std::string FakeChatModel::do_name() const { return shared_->name; }

void FakeChatModel::keep_received(bool keep) {
  std::lock_guard lock(shared_->mutex);
  shared_->keep_received = keep;
  if (!keep) shared_->received.clear();
}

Message FakeChatModel::next_reply(const Messages& messages) const {
  Message reply;
  Responder responder;
  {
    std::lock_guard lock(shared_->mutex);
    const std::size_t call = ++shared_->calls;
    if (shared_->keep_received) shared_->received.push_back(messages);
    if (auto f = shared_->faults.find(call); f != shared_->faults.end()) {
      if (f->second) std::rethrow_exception(f->second);
      throw ModelError(ErrorId::nodes_injected_fault, "fault injected into " + shared_->name + " on call " + std::to_string(call));
    }
    if (shared_->responder) {
      responder = shared_->responder;
    } else {
      if (shared_->next >= shared_->replies.size()) {
        if (!shared_->cycle || shared_->replies.empty())
          throw ModelError(ErrorId::nodes_fake_model_exhausted, shared_->name + " has no scripted reply left for call " + std::to_string(call) +
                                               " (it was given " + std::to_string(shared_->replies.size()) + ")");
        shared_->next = 0;
      }
      reply = shared_->replies[shared_->next++];
    }
  }
  if (responder) reply = responder(messages);  // outside the lock: it may be slow or re-enter
  if (!reply.usage) {
    UsageMetadata u;
    u.input_tokens = count_tokens_approximately(messages);
    u.output_tokens = count_tokens_approximately(Messages{reply});
    u.total_tokens = u.input_tokens + u.output_tokens;
    reply.usage = u;
  }
  if (!reply.response_metadata.is_object()) reply.response_metadata = nlohmann::json::object();
  reply.response_metadata["model_name"] = shared_->name;
  reply.response_metadata["fake"] = true;
  if (!reply.response_metadata.contains("finish_reason"))
    reply.response_metadata["finish_reason"] = reply.tool_calls.empty() ? "stop" : "tool_calls";
  return reply;
}

Message FakeChatModel::do_invoke(const Messages& messages, const ChatOptions& options) const {
  (void)options;
  Message reply = next_reply(messages);
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(shared_->mutex);
    delay = shared_->delay;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  return reply;
}

Message FakeChatModel::do_stream(const Messages& messages, const ChatOptions& options,
                                 const ChunkCallback& on_chunk) const {
  (void)options;
  const Message reply = next_reply(messages);
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(shared_->mutex);
    delay = shared_->delay;
  }
  ChunkAggregator agg;
  for (const auto& chunk : split_into_chunks(reply)) {
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (on_chunk) on_chunk(chunk);
    agg.add(chunk);
  }
  Message out = agg.message();
  out.name = reply.name;
  return out;
}

ScriptedFakeChatModel::ScriptedFakeChatModel(std::vector<Message> replies, bool cycle)
    : FakeChatModel("scripted-fake-chat-model", std::move(replies), cycle) {}

ScriptedFakeChatModel::ScriptedFakeChatModel(Responder responder)
    : FakeChatModel("scripted-fake-chat-model", std::move(responder)) {}

std::unique_ptr<ChatModel> ScriptedFakeChatModel::clone() const {
  return std::make_unique<ScriptedFakeChatModel>(*this);
}

EchoFakeChatModel::EchoFakeChatModel()
    : FakeChatModel("echo-fake-chat-model", [](const Messages& messages) {
        return AIMessage(messages.empty() ? std::string() : messages.back().text());
      }) {}

std::unique_ptr<ChatModel> EchoFakeChatModel::clone() const { return std::make_unique<EchoFakeChatModel>(*this); }

}  // namespace sg
