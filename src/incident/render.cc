#include "incident/render.h"

#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

namespace secbudget::incident {

namespace {

namespace mstch = kainjow::mustache;

mstch::data ToData(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      mstch::data d{mstch::data::type::object};
      for (const auto& [k, v] : j.items()) d.set(k, ToData(v));
      return d;
    }
    case nlohmann::json::value_t::array: {
      mstch::data d{mstch::data::type::list};
      for (const auto& v : j) d.push_back(ToData(v));
      return d;
    }
    case nlohmann::json::value_t::string: return mstch::data{j.get<std::string>()};
    case nlohmann::json::value_t::boolean:
      return j.get<bool>() ? mstch::data{mstch::data::type::bool_true} : mstch::data{mstch::data::type::bool_false};
    case nlohmann::json::value_t::null: return mstch::data{mstch::data::type::bool_false};
    default: return mstch::data{j.dump()};
  }
}

}  // namespace

Status CheckTemplate(const std::string& text, const std::string& name) {
  mstch::mustache t{text};
  if (!t.is_valid()) return Status::ParseError("invalid template: " + t.error_message()).WithFile(name);
  return Status::OK();
}

Result<std::string> RenderTemplate(const std::string& text, const nlohmann::json& context, const std::string& name) {
  mstch::mustache t{text};
  if (!t.is_valid()) return Status::ParseError("invalid template: " + t.error_message()).WithFile(name);
  t.set_custom_escape([](const std::string& s) { return s; });
  return t.render(ToData(context));
}

}  // namespace secbudget::incident
