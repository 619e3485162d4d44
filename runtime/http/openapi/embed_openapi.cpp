// Build step: reads the OpenAPI document as written (YAML, for review) and writes a C++ source
// holding it as compact JSON, so the server serves what is versioned with no file at run time.
// A plain YAML scalar becomes null, a boolean or a number when it reads as one (as in YAML 1.2's
// core schema); a quoted scalar always stays a string.
#include <yaml-cpp/yaml.h>
#include <boost/json.hpp>

#include <charconv>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>

namespace {

namespace json = boost::json;

json::value scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return json::value(text);  // quoted
  if (text == "~" || text == "null" || text.empty()) return nullptr;
  if (text == "true") return true;
  if (text == "false") return false;
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(text, kInt)) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data() + (text[0] == '+' ? 1 : 0), text.data() + text.size(), v);
    if (ec == std::errc{} && end == text.data() + text.size()) return v;
  }
  if (std::regex_match(text, kFloat)) return std::stod(text);
  return json::value(text);
}

json::value convert(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : node) {
        const auto key = kv.first.as<std::string>();
        if (o.contains(key))
          throw std::runtime_error("line " + std::to_string(kv.first.Mark().line + 1) + ": duplicate key " +
                                   key);
        o[key] = convert(kv.second);
      }
      return o;
    }
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& item : node) a.push_back(convert(item));
      return a;
    }
    case YAML::NodeType::Scalar:
      return scalar(node);
    default:
      return nullptr;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: embed_openapi <openapi.yaml> <out.cpp>\n";
    return 2;
  }
  try {
    const std::string text = json::serialize(convert(YAML::LoadFile(argv[1])));
    const std::string delimiter = "pbdoc";  // a raw-string delimiter has at most 16 characters
    if (text.find(")" + delimiter + "\"") != std::string::npos)
      throw std::runtime_error("the document contains the raw-string delimiter )" + delimiter + "\"");
    std::ofstream out(argv[2], std::ios::trunc);
    out << "// Generated from " << argv[1] << " by embed_openapi. Do not edit.\n"
        << "#include \"http/openapi_document.hpp\"\n\n"
        << "namespace plugboard::http {\n\n"
        << "std::string_view openapi_json() {\n"
        << "  static constexpr std::string_view kDocument = R\"" << delimiter << "(" << text << ")"
        << delimiter << "\";\n"
        << "  return kDocument;\n"
        << "}\n\n"
        << "}  // namespace plugboard::http\n";
    if (!out) throw std::runtime_error(std::string("cannot write ") + argv[2]);
  } catch (const std::exception& e) {
    std::cerr << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
