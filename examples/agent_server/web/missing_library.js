// This library was not found when sg-agent-server was built (see examples/agent_server/CMakeLists.txt): the
// page shows messages as escaped plain text (marked, DOMPurify) or code without colours (highlight.js).
