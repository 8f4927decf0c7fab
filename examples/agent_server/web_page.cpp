// The web page of sg::AgentServer (web_page.hpp): the files of web/ and Debian's marked, DOMPurify
// and highlight.js, embedded by CMakeLists.txt as generated headers.
#include "agent_server/web_page.hpp"

#include <array>

#include "agent_server/agent_routes.hpp"
#include "agent_server/url.hpp"
#include "web_api_js.hpp"
#include "web_app_css.hpp"
#include "web_app_js.hpp"
#include "web_chat_js.hpp"
#include "web_graph_svg_js.hpp"
#include "web_history_tree_js.hpp"
#include "web_index_html.hpp"
#include "web_render_js.hpp"
#include "web_studio_js.hpp"
#include "web_vendor_dompurify_js.hpp"
#include "web_vendor_highlight_js.hpp"
#include "web_vendor_marked_js.hpp"

namespace sg::server {
namespace {

struct WebFile {
  std::string_view path;
  std::string_view content_type;
  std::string_view (*body)() noexcept;
};

constexpr std::string_view html = "text/html; charset=utf-8";
constexpr std::string_view js = "text/javascript; charset=utf-8";
constexpr std::string_view css = "text/css; charset=utf-8";

constexpr std::array files{
    WebFile{"/", html, web::web_index_html},
    WebFile{"/index.html", html, web::web_index_html},
    WebFile{"/ui/app.css", css, web::web_app_css},
    WebFile{"/ui/api.js", js, web::web_api_js},
    WebFile{"/ui/render.js", js, web::web_render_js},
    WebFile{"/ui/chat.js", js, web::web_chat_js},
    WebFile{"/ui/graph_svg.js", js, web::web_graph_svg_js},
    WebFile{"/ui/history_tree.js", js, web::web_history_tree_js},
    WebFile{"/ui/studio.js", js, web::web_studio_js},
    WebFile{"/ui/app.js", js, web::web_app_js},
    WebFile{"/ui/vendor/marked.min.js", js, web::web_vendor_marked_js},
    WebFile{"/ui/vendor/purify.min.js", js, web::web_vendor_dompurify_js},
    WebFile{"/ui/vendor/highlight.min.js", js, web::web_vendor_highlight_js},
};

/// Scripts, styles, images and connections: this server only; no inline script or style, no
/// plugin, no framing, no form posting elsewhere.
constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

HttpHeaders page_headers() {
  return {{"Cache-Control", "no-cache"},
          {"Content-Security-Policy", std::string(content_security_policy)},
          {"X-Content-Type-Options", "nosniff"},
          {"Referrer-Policy", "no-referrer"}};
}

}  // namespace

std::optional<HttpResponse> web_page_response(std::string_view method, std::string_view target) {
  const std::string_view path = path_of(target);
  const bool ui = path.rfind("/ui/", 0) == 0;
  if (!ui && path != "/" && path != "/index.html") return std::nullopt;
  if (method != "GET") {
    HttpResponse r = agent_error(AgentServerErrorId::not_found, "the page's files answer GET only");
    r.status = 405;
    r.headers.emplace_back("Allow", "GET");
    return r;
  }
  for (const WebFile& file : files) {
    if (file.path != path) continue;
    HttpResponse r;
    r.content_type = std::string(file.content_type);
    r.body = std::string(file.body());
    r.headers = page_headers();
    return r;
  }
  HttpResponse r = agent_error(AgentServerErrorId::not_found, "no file " + std::string(path) + " in the page");
  r.headers = page_headers();
  return r;
}

}  // namespace sg::server
