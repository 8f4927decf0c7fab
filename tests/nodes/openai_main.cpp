// doctest main of test_nodes_openai. The tests talk HTTP to servers on 127.0.0.1 only, so a proxy
// configured in the environment (http_proxy, ...) must not be used for them: libcurl skips the
// hosts listed in NO_PROXY.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  ::setenv("no_proxy", "127.0.0.1,localhost", 1);
  doctest::Context context(argc, argv);
  return context.run();
}
