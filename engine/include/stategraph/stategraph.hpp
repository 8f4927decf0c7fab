#pragma once
/// @file
/// Umbrella header of the stategraph engine: StateGraph, typed state, reducers, Send, Command,
/// the compiled graph and the in-memory checkpoint saver.

#include "stategraph/checkpoint/memory_saver.hpp"
#include "stategraph/checkpoint/saver.hpp"
#include "stategraph/command.hpp"
#include "stategraph/compile_options.hpp"
#include "stategraph/compiled_graph.hpp"
#include "stategraph/constants.hpp"
#include "stategraph/context_value.hpp"
#include "stategraph/errors.hpp"
#include "stategraph/executor.hpp"
#include "stategraph/path_map.hpp"
#include "stategraph/reducers.hpp"
#include "stategraph/retry_policy.hpp"
#include "stategraph/run_config.hpp"
#include "stategraph/run_context.hpp"
#include "stategraph/send.hpp"
#include "stategraph/state_graph.hpp"
#include "stategraph/state_json.hpp"
#include "stategraph/state_schema.hpp"
#include "stategraph/state_snapshot.hpp"
#include "stategraph/state_update.hpp"
#include "stategraph/stream.hpp"
#include "stategraph/subgraph.hpp"
#include "stategraph/update.hpp"
