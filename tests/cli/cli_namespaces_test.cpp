// sg-checkpoints on a thread whose graph ran subgraphs (child namespaces, written through the
// saver API as the engine will write them: tests/checkpoint/subgraph_thread.hpp), SQLite and
// Postgres alike: history places each child namespace's checkpoints under the parent checkpoint
// they ran from, --ns reads one of them, a bad --ns is a usage error with its stable id.

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <sstream>

#include <stategraph/checkpoint/format.hpp>

#include "cli_runner.hpp"
#include "databases.hpp"
#include "subgraph_thread.hpp"

namespace {

using nlohmann::json;
using sgtest::run_cli;
using sgtest::SubgraphThread;

std::vector<std::string> with(std::vector<std::string> base, std::initializer_list<std::string> more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The checkpoint ids of JSON history rows, in order.
std::vector<std::string> ids(const json& rows) {
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(row.at("checkpoint_id").get<std::string>());
  return out;
}

// Where `part` starts in `text` (npos fails the check).
std::size_t at(const std::string& text, const std::string& part) {
  const std::size_t p = text.find(part);
  CHECK_MESSAGE(p != std::string::npos, "no \"" << part << "\" in\n" << text);
  return p;
}

}  // namespace

#define CLI_NS_TEST(name) TEST_CASE_TEMPLATE("cli " name, Db, SqliteDb, PostgresDb)

CLI_NS_TEST("history shows each child namespace under the checkpoint it ran from") {
  Db db;
  const SubgraphThread s(*db.saver, "t");
  const auto r = run_cli(with(db.args(), {"history", "t", "--json"}));
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.err.empty());
  const json rows = r.json();
  // The root's own checkpoints at the top level, newest first, each with its namespace.
  CHECK(ids(rows) == std::vector<std::string>{s.root.id(3), s.root.id(2), s.root.id(1), s.root.id(0)});
  for (const auto& row : rows) CHECK(row["checkpoint_ns"] == "");
  CHECK(rows[0]["children"] == json::array());
  CHECK(rows[3]["children"] == json::array());
  // r2: memory's second checkpoint (the newest group first), then research:T2's run.
  const json& r2 = rows[1]["children"];
  CHECK(ids(r2) == std::vector<std::string>{s.memory.id(1), s.research2.id(1), s.research2.id(0)});
  CHECK(r2[0]["checkpoint_ns"] == s.memory.ns());
  CHECK(r2[1]["checkpoint_ns"] == s.research2.ns());
  CHECK(r2[2]["source"] == "input");
  CHECK(r2[2]["step"] == -1);
  CHECK(r2[2]["parent_checkpoint_id"].is_null());
  CHECK(r2[1]["parent_checkpoint_id"] == s.research2.id(0));
  CHECK(r2[1]["changed"] == json::array({"notes"}));
  // r1: memory's first checkpoint, then research:T1's run, whose c1 holds the nested search run.
  const json& r1 = rows[2]["children"];
  CHECK(ids(r1) == std::vector<std::string>{s.memory.id(0), s.research1.id(2), s.research1.id(1), s.research1.id(0)});
  CHECK(r1[1]["checkpoint_ns"] == s.research1.ns());
  CHECK(r1[1]["changed"] == json::array({"notes"}));  // the delta-grown list
  CHECK(r1[1]["pending_writes"] == 1);
  CHECK(r1[1]["children"] == json::array());
  const json& c1 = r1[2]["children"];
  CHECK(ids(c1) == std::vector<std::string>{s.search.id(1), s.search.id(0)});
  CHECK(c1[0]["checkpoint_ns"] == s.search.ns());
  CHECK(c1[0]["children"] == json::array());
  for (const json* row : {&r1[0], &r1[1], &r2[0], &c1[1]}) CHECK((*row)["bytes"].get<std::uint64_t>() > 0);

  // --limit counts the namespace's own checkpoints; their children come along.
  const json limited = run_cli(with(db.args(), {"history", "t", "--limit", "2", "--json"})).json();
  CHECK(ids(limited) == std::vector<std::string>{s.root.id(3), s.root.id(2)});
  CHECK(limited[1]["children"].size() == 3);

  // The table: children indented under their parent checkpoint, after a title line.
  const auto table = run_cli(with(db.args(), {"history", "t"}));
  REQUIRE_MESSAGE(table.code == 0, table.err);
  const std::string& out = table.out;
  CHECK(out.rfind("CHECKPOINT", 0) == 0);
  CHECK(std::count(out.begin(), out.end(), '\n') == 1 + 13 + 5);  // header, checkpoints, one title per run
  const std::size_t row_r2 = at(out, "\n" + s.root.id(2) + "  ");
  const std::size_t title_memory = at(out, "\n  namespace " + s.memory.ns() + "\n  " + s.memory.id(1) + "  ");
  const std::size_t title_research2 = at(out, "\n  namespace " + s.research2.ns() + "\n  " + s.research2.id(1) + "  ");
  const std::size_t row_r1 = at(out, "\n" + s.root.id(1) + "  ");
  const std::size_t row_c1 = at(out, "\n  " + s.research1.id(1) + "  ");
  const std::size_t title_search = at(out, "\n    namespace " + s.search.ns() + "\n    " + s.search.id(1) + "  ");
  const std::size_t row_c0 = at(out, "\n  " + s.research1.id(0) + "  ");
  const std::size_t row_r0 = at(out, "\n" + s.root.id(0) + "  ");
  CHECK(row_r2 < title_memory);
  CHECK(title_memory < title_research2);
  CHECK(title_research2 < row_r1);
  CHECK(row_r1 < row_c1);
  CHECK(row_c1 < title_search);
  CHECK(title_search < row_c0);
  CHECK(row_c0 < row_r0);

  // A child namespace's own history, with its nested child.
  const auto child = run_cli(with(db.args(), {"history", "t", "--ns", s.research1.ns(), "--json"}));
  REQUIRE_MESSAGE(child.code == 0, child.err);
  const json child_rows = child.json();
  CHECK(ids(child_rows) == std::vector<std::string>{s.research1.id(2), s.research1.id(1), s.research1.id(0)});
  CHECK(ids(child_rows[1]["children"]) == std::vector<std::string>{s.search.id(1), s.search.id(0)});
  const json nested = run_cli(with(db.args(), {"history", "t", "--ns", s.search.ns(), "--json"})).json();
  CHECK(ids(nested) == std::vector<std::string>{s.search.id(1), s.search.id(0)});
  CHECK(nested[0]["checkpoint_ns"] == s.search.ns());
  const auto child_table = run_cli(with(db.args(), {"history", "t", "--ns", s.research1.ns()}));
  CHECK(contains(child_table.out, "\n" + s.research1.id(1) + "  "));
  CHECK(contains(child_table.out, "\n  namespace " + s.search.ns() + "\n"));
}

CLI_NS_TEST("show diff and writes read a child namespace with --ns") {
  Db db;
  const SubgraphThread s(*db.saver, "t");
  const std::string ns = s.research1.ns();
  const auto shown = run_cli(with(db.args(), {"show", "t", "--ns", ns, "--json"}));
  REQUIRE_MESSAGE(shown.code == 0, shown.err);
  const json j = shown.json();
  CHECK(j["checkpoint_ns"] == ns);
  CHECK(j["checkpoint_id"] == s.research1.id(2));  // the latest of the namespace
  CHECK(j["values"]["notes"] == json::array({"rayleigh", "blue light scatters more"}));
  CHECK(j["metadata"][std::string(sg::format::kParentsKey)] == json{{"", s.root.id(1)}});
  // An older one by id prefix; the text names the namespace and the parent checkpoint.
  const auto older = run_cli(with(db.args(), {"show", "t", s.search.id(0).substr(0, 33), "--ns", s.search.ns()}));
  REQUIRE_MESSAGE(older.code == 0, older.err);
  CHECK(contains(older.out, "namespace " + s.search.ns()));
  CHECK(contains(older.out, "checkpoint  " + s.search.id(0)));
  CHECK(contains(older.out, "ran from    " + s.root.id(1) + " (root namespace)"));
  CHECK(contains(older.out, "ran from    " + s.research1.id(1) + " (namespace " + ns + ")"));
  CHECK(contains(older.out, "query: \"rayleigh scattering\""));

  const auto diff = run_cli(with(db.args(), {"diff", "t", s.research1.id(0), s.research1.id(2), "--ns", ns, "--json"}));
  REQUIRE_MESSAGE(diff.code == 0, diff.err);
  CHECK(diff.json()["checkpoint_ns"] == ns);
  CHECK(diff.json()["channels"] ==
        json::array({{{"channel", "notes"}, {"change", "added"}, {"after", json::array({"rayleigh", "blue light scatters more"})}}}));
  const auto diff_text = run_cli(with(db.args(), {"diff", "t", s.research1.id(1), s.research1.id(2), "--ns", ns}));
  CHECK(contains(diff_text.out, "namespace " + ns));
  CHECK(contains(diff_text.out, "~ notes: [\"rayleigh\"] -> [\"rayleigh\",\"blue light scatters more\"]"));

  const auto writes = run_cli(with(db.args(), {"writes", "t", s.research1.id(2), "--ns", ns, "--json"}));
  REQUIRE_MESSAGE(writes.code == 0, writes.err);
  CHECK(writes.json() == json::array({{{"task_id", "task-r1"}, {"channel", "summary"}, {"value", "short"}}}));

  // Without --ns a child's checkpoint is not found; the message says where it is.
  const auto elsewhere = run_cli(with(db.args(), {"show", "t", s.research1.id(2)}));
  CHECK(elsewhere.code == 1);
  CHECK(sgtest::one_line(elsewhere.err));
  CHECK(contains(elsewhere.err, "[sg.cli.705]"));
  CHECK(contains(elsewhere.err, "it is in namespace \"" + ns + "\": add --ns '" + ns + "'"));
  // A namespace the thread does not have: not found, with the ones it has.
  const auto unknown = run_cli(with(db.args(), {"history", "t", "--ns", sg::format::child_namespace("", "research", "nope")}));
  CHECK(unknown.code == 1);
  CHECK(contains(unknown.err, "[sg.cli.705]"));
  CHECK(contains(unknown.err, "its namespaces: \"\", \"" + s.memory.ns() + "\""));
  CHECK(run_cli(with(db.args(), {"show", "t", "--ns", "nope"})).code == 1);
}

CLI_NS_TEST("a bad --ns is a usage error with a stable id") {
  Db db;
  const SubgraphThread s(*db.saver, "t");
  const std::string bar(1, sg::format::kNamespaceSeparator);
  const std::string colon(1, sg::format::kNamespaceTaskSeparator);
  const std::string good = s.research1.ns();
  const std::vector<std::string> bad = {"research" + colon,              // a separator without task id
                                        bar + good,                       // an empty first level
                                        good + bar,                       // an empty last level
                                        "a" + bar + bar + "b",            // an empty level between
                                        colon + "task",                   // no node
                                        "a" + colon + "1" + colon + "2"};  // two task separators in a level
  const std::string id = s.root.id(0);
  for (const auto& ns : bad) {
    for (const auto& cmd : std::vector<std::vector<std::string>>{
             {"history", "t"}, {"show", "t"}, {"diff", "t", id, id}, {"writes", "t", id}}) {
      CAPTURE(ns);
      CAPTURE(cmd[0]);
      std::vector<std::string> args = db.args();
      args.insert(args.end(), cmd.begin(), cmd.end());
      args.insert(args.end(), {"--ns", ns});
      const auto r = run_cli(args);
      CHECK(r.code == 2);
      CHECK(sgtest::one_line(r.err));
      CHECK(r.err.rfind("sg-checkpoints: [sg.cli.713] --ns \"" + ns + "\" is not a checkpoint namespace", 0) == 0);
      CHECK(r.out.empty());
    }
  }
  // Checked before the database is opened: the same error on a database that is not there.
  const auto early = run_cli({"--db", "sqlite:/nonexistent/x.db", "history", "t", "--ns", bad.front()});
  CHECK(early.code == 2);
  CHECK(contains(early.err, "[sg.cli.713]"));
  // The root given explicitly is the default.
  const auto root = run_cli(with(db.args(), {"history", "t", "--ns", "", "--json"}));
  REQUIRE_MESSAGE(root.code == 0, root.err);
  CHECK(root.json().size() == 4);
}

CLI_NS_TEST("threads counts namespaces and delete copy and prune cover all of them") {
  Db db;
  const SubgraphThread s(*db.saver, "t");
  sgtest::Run plain(*db.saver, "plain");
  plain.step({{"n", 1}});
  const json threads = run_cli(with(db.args(), {"threads", "--json"})).json();
  REQUIRE(threads.size() == 2);
  CHECK(threads[1]["thread_id"] == "t");
  CHECK(threads[1]["checkpoints"] == 13);
  CHECK(threads[1]["namespaces"].size() == 5);
  const auto table = run_cli(with(db.args(), {"threads"}));
  CHECK(table.out.rfind("THREAD  CHECKPOINTS  NAMESPACES  LAST STEP", 0) == 0);
  auto cells = [&](const std::string& thread) {  // the first three cells of a thread's row
    std::istringstream lines(table.out);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream words(line);
      std::vector<std::string> row(3);
      words >> row[0] >> row[1] >> row[2];
      if (row[0] == thread) return row;
    }
    return std::vector<std::string>{};
  };
  CHECK(cells("t") == std::vector<std::string>{"t", "13", "5"});
  CHECK(cells("plain") == std::vector<std::string>{"plain", "1", "1"});

  CHECK(contains(run_cli(with(db.args(), {"delete", "t", "--dry-run"})).out,
                 "would delete thread \"t\" (13 checkpoints in 5 namespaces"));
  const auto copied = run_cli(with(db.args(), {"copy", "t", "t2"}));
  REQUIRE_MESSAGE(copied.code == 0, copied.err);
  CHECK(contains(copied.out, "(13 checkpoints in 5 namespaces)"));
  // The copy's history is the same tree.
  auto history = [&](const std::string& thread) {
    json rows = run_cli(with(db.args(), {"history", thread, "--json"})).json();
    std::function<void(json&)> strip = [&](json& list) {
      for (auto& row : list) {
        row.erase("bytes");  // Postgres may lay the copy out differently
        strip(row["children"]);
      }
    };
    strip(rows);
    return rows;
  };
  CHECK(history("t2") == history("t"));
  // So is an exported and imported one's.
  sgtest::TempDir dir;
  const std::string file = (dir.path() / "t.jsonl").string();
  REQUIRE(run_cli(with(db.args(), {"export", "t", "-o", file})).code == 0);
  const auto imported = run_cli(with(db.args(), {"import", file, "--thread", "t3"}));
  REQUIRE_MESSAGE(imported.code == 0, imported.err);
  CHECK(history("t3") == history("t"));

  // Pruned to the newest of each namespace, the children whose parent checkpoint went follow
  // the root's row, titled so (newest group first).
  const auto pruned = run_cli(with(db.args(), {"prune", "t", "--keep-last", "1", "--yes", "--json"}));
  REQUIRE_MESSAGE(pruned.code == 0, pruned.err);
  CHECK(pruned.json()["checkpoints"] == 8);
  const json rows = run_cli(with(db.args(), {"history", "t", "--json"})).json();
  CHECK(ids(rows) == std::vector<std::string>{s.root.id(3), s.memory.id(1), s.research2.id(1), s.research1.id(2), s.search.id(1)});
  CHECK(rows[1]["checkpoint_ns"] == s.memory.ns());
  CHECK(rows[4]["checkpoint_ns"] == s.search.ns());
  const auto text = run_cli(with(db.args(), {"history", "t"}));
  CHECK(contains(text.out, "\nnamespace " + s.memory.ns() + " (its parent checkpoint is not in the thread)\n" + s.memory.id(1)));
  CHECK(std::count(text.out.begin(), text.out.end(), '\n') == 1 + 5 + 4);

  const auto deleted = run_cli(with(db.args(), {"delete", "t", "--yes"}));
  REQUIRE_MESSAGE(deleted.code == 0, deleted.err);
  for (const sgtest::NsRun* run : s.runs()) CHECK(db.saver->list({"t", run->ns(), std::nullopt}).empty());
  CHECK(history("t2").size() == 4);
}
