// The official OpenAI client (npm "openai", pinned in package.json) against a real
// `sg-chatbot serve --token openai-test-token` (run by run-with-server.sh, offline fake model):
// non-streaming and streaming completions, the thread continuing through "user" and X-Thread-Id,
// a new thread when none is named, errors as APIError with the sg.chatbot id, the model list.
import assert from "node:assert/strict";
import OpenAI from "openai";

const base = process.env.SG_CHATBOT_URL;
assert.ok(base, "SG_CHATBOT_URL is not set (run me through run-with-server.sh)");
const token = "openai-test-token";
const client = new OpenAI({ baseURL: base + "/v1", apiKey: token, maxRetries: 0, timeout: 30_000 });
const thread = "openai-" + process.pid;

function step(name) { console.log("openai client: " + name); }

// 1. Non-streaming; the model name is echoed; usage is reported by the fake model.
step("chat.completions.create (non-streaming)");
{
  const { data: completion, response } = await client.chat.completions
    .create({ model: "any-model-name", user: thread,
              messages: [{ role: "system", content: "ignored: the server has its own" }, { role: "user", content: "Hi! I'm Bob" }] })
    .withResponse();
  assert.equal(completion.object, "chat.completion");
  assert.match(completion.id, /^chatcmpl-[A-Za-z0-9]{24}$/);
  assert.equal(completion.model, "any-model-name");
  assert.equal(typeof completion.created, "number");
  assert.equal(completion.choices.length, 1);
  assert.equal(completion.choices[0].message.role, "assistant");
  assert.equal(completion.choices[0].message.content, "Hi Bob! How can I help you today?");
  assert.equal(completion.choices[0].finish_reason, "stop");
  assert.ok(completion.usage && completion.usage.total_tokens > 0, "usage: " + JSON.stringify(completion.usage));
  assert.equal(response.headers.get("x-thread-id"), thread);
}

// 2. Streaming on the same thread: the second request sees the name.
step("chat.completions.create (stream: true, include_usage)");
{
  const stream = await client.chat.completions.create({
    model: "any-model-name", user: thread, stream: true, stream_options: { include_usage: true },
    messages: [{ role: "user", content: "What's my name?" }],
  });
  let text = "";
  let chunks = 0;
  let finish = null;
  let usage = null;
  let role = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "chat.completion.chunk");
    assert.match(chunk.id, /^chatcmpl-/);
    assert.equal(chunk.model, "any-model-name");
    if (chunk.usage) usage = chunk.usage;
    if (chunk.choices.length === 0) continue;
    const delta = chunk.choices[0].delta;
    if (delta.role) role = delta.role;
    if (delta.content) { text += delta.content; chunks += 1; }
    if (chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;
  }
  assert.equal(role, "assistant");
  assert.equal(text, "Your name is Bob.");
  assert.ok(chunks >= 3, "streamed in pieces: " + chunks);
  assert.equal(finish, "stop");
  assert.ok(usage && usage.completion_tokens > 0, "usage chunk: " + JSON.stringify(usage));
}

// 3. X-Thread-Id names the thread too (and wins over "user").
step("X-Thread-Id header");
{
  const completion = await client.chat.completions.create(
    { model: "m", user: "some-other-thread", messages: [{ role: "user", content: "What's my name?" }] },
    { headers: { "X-Thread-Id": thread } });
  assert.equal(completion.choices[0].message.content, "Your name is Bob.");
}

// 4. No thread named: a new thread per request, named in the X-Thread-Id response header.
step("no thread named");
{
  const { data: completion, response } = await client.chat.completions
    .create({ model: "m", messages: [{ role: "user", content: "What's my name?" }] })
    .withResponse();
  assert.match(completion.choices[0].message.content, /^I don't know your name/);
  const created = response.headers.get("x-thread-id");
  assert.ok(created && created !== thread, "a new thread id: " + created);
  // ...which a client can continue.
  const next = await client.chat.completions.create({ model: "m", user: created,
                                                      messages: [{ role: "user", content: "I'm Carol" }] });
  assert.match(next.choices[0].message.content, /Carol/);
}

// 5. Errors arrive as the client's APIError, with the sg.chatbot id as the code.
step("errors");
{
  await assert.rejects(
    client.chat.completions.create({ model: "m", user: thread, messages: [{ role: "user", content: "  " }] }),
    (e) => e instanceof OpenAI.APIError && e.status === 400 && e.code === "sg.chatbot.801");
  await assert.rejects(
    client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" },
                                                            { role: "user", content: "c" }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.code === "sg.chatbot.807" && /X-Thread-Id/.test(e.message));
  const wrong = new OpenAI({ baseURL: base + "/v1", apiKey: "wrong", maxRetries: 0 });
  await assert.rejects(wrong.chat.completions.create({ model: "m", user: thread, messages: [{ role: "user", content: "hi" }] }),
                       (e) => e instanceof OpenAI.AuthenticationError && e.code === "sg.chatbot.809");
}

// 6. The model list, and the thread's history through the chat API: every turn landed.
step("models.list and the history");
{
  const models = [];
  for await (const m of client.models.list()) models.push(m.id);
  assert.deepEqual(models, ["offline-fake-chat-model"]);
  const response = await fetch(base + "/chat/" + encodeURIComponent(thread) + "/history",
                               { headers: { Authorization: "Bearer " + token } });
  assert.equal(response.status, 200);
  const history = await response.json();
  assert.equal(history.turn_count, 3);
  assert.deepEqual(history.messages.map((m) => m.role), ["human", "ai", "human", "ai", "human", "ai"]);
}

console.log("openai client: all checks passed");
