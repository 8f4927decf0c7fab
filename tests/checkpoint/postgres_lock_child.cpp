// Helper process for the lock_thread tests (postgres_processes.cpp): takes
// PostgresSaver::lock_thread in a process of its own.
//
//   postgres_lock_child URI SCHEMA THREAD hold WAIT_MS   lock, print "locked", hold the lock
//                                                        until stdin reaches EOF, exit 0
//   postgres_lock_child URI SCHEMA THREAD try WAIT_MS    lock, print "locked", exit 0
//
// Exit status: 0 locked; 4 the thread stayed busy (sg.saver.404); 1 any other error; 2 usage.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include <stategraph/checkpoint/error.hpp>
#include <stategraph/checkpoint/postgres_saver.hpp>

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: postgres_lock_child URI SCHEMA THREAD hold|try WAIT_MS\n";
    return 2;
  }
  const std::string mode = argv[4];
  try {
    sg::PostgresSaverOptions options;
    options.schema = argv[2];
    sg::PostgresSaver saver(argv[1], options);
    const auto lock = saver.lock_thread(argv[3], std::chrono::milliseconds(std::stol(argv[5])));
    std::cout << "locked" << std::endl;
    if (mode == "hold") {
      std::string ignored;
      while (std::getline(std::cin, ignored)) {
      }
    }
    return 0;
  } catch (const sg::SaverError& e) {
    std::cout << e.id() << std::endl;
    std::cerr << "postgres_lock_child: " << e.what() << '\n';
    return e.id() == "sg.saver.404" ? 4 : 1;
  } catch (const std::exception& e) {
    std::cerr << "postgres_lock_child: " << e.what() << '\n';
    return 1;
  }
}
