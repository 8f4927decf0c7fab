#pragma once
/// @file
/// Umbrella header of the chat layer (stategraph::nodes): messages, add_messages and
/// MessagesState, trim/filter/merge utilities, prompt templates, the ChatModel interface with
/// token streaming, fake models, the OpenAI-compatible client (sg::OpenAIChatModel; its libcurl
/// stays out of the headers), tools, ToolNode and tools_condition.

#include "stategraph/nodes/add_messages.hpp"
#include "stategraph/nodes/chat_model.hpp"
#include "stategraph/nodes/errors.hpp"
#include "stategraph/nodes/fake_chat_model.hpp"
#include "stategraph/nodes/filter_messages.hpp"
#include "stategraph/nodes/merge_message_runs.hpp"
#include "stategraph/nodes/message.hpp"
#include "stategraph/nodes/message_chunk.hpp"
#include "stategraph/nodes/openai_chat_model.hpp"
#include "stategraph/nodes/prompt_template.hpp"
#include "stategraph/nodes/token_counter.hpp"
#include "stategraph/nodes/tool.hpp"
#include "stategraph/nodes/tool_node.hpp"
#include "stategraph/nodes/trim_messages.hpp"
