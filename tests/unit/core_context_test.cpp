// Checks the embedded core context table against the standard's reference copy
// (../shared/contexts/ngsi-ld-core-context-v1.9.jsonld): same terms, same
// expanded IRIs, @type and @container, same @vocab. The reference lies outside
// the repository: where it is absent (a fresh clone) the test is skipped.
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "jsonld/core_context.h"

namespace json = boost::json;
using namespace allmende::jsonld;

namespace {

// The @context object of the reference document read from `in`.
json::object referenceContext(std::ifstream& in) {
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).at("@context").as_object();
}

std::string expandPrefixed(const json::object& ref, std::string_view v) {
  auto colon = v.find(':');
  if (colon != std::string_view::npos) {
    std::string prefix(v.substr(0, colon));
    if (auto* p = ref.if_contains(prefix); p && p->is_string())
      return std::string(p->get_string()) + std::string(v.substr(colon + 1));
  }
  return std::string(v);
}

}  // namespace

TEST(CoreContext, MappingsEqualTheReference) {
  std::ifstream in(ALLMENDE_REFERENCE_CORE_CONTEXT);
  if (!in.good())
    GTEST_SKIP() << "the reference core context is not at " << ALLMENDE_REFERENCE_CORE_CONTEXT
                 << " (it lives beside the repository, in ../shared; a fresh clone has none)";
  auto ref = referenceContext(in);
  const auto& core = *coreContext();
  size_t terms = 0;
  for (const auto& [term, def] : ref) {
    if (term.starts_with("@")) continue;
    ++terms;
    const auto* mine = core.find(term);
    ASSERT_NE(mine, nullptr) << "term missing: " << term;
    if (def.is_string()) {
      EXPECT_EQ(mine->iri, expandPrefixed(ref, def.get_string())) << term;
      EXPECT_TRUE(mine->type.empty()) << term;
      EXPECT_TRUE(mine->container.empty()) << term;
      continue;
    }
    const auto& o = def.as_object();
    EXPECT_EQ(mine->iri, expandPrefixed(ref, o.at("@id").as_string())) << term;
    std::string type = o.contains("@type") ? expandPrefixed(ref, o.at("@type").as_string()) : "";
    if (type == "DateTime") type = core.expand("DateTime");
    EXPECT_EQ(mine->type, type) << term;
    std::string container = o.contains("@container") ? std::string(o.at("@container").as_string()) : "";
    EXPECT_EQ(mine->container, container) << term;
  }
  EXPECT_EQ(core.terms().size(), terms) << "the embedded table has terms the reference lacks";
  EXPECT_EQ(core.vocab(), ref.at("@vocab").as_string());
}

TEST(CoreContext, RecognisesEveryCoreVersionUrl) {
  EXPECT_TRUE(isCoreContextUrl("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld"));
  EXPECT_TRUE(isCoreContextUrl("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld"));
  EXPECT_TRUE(isCoreContextUrl("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"));
  EXPECT_TRUE(isCoreContextUrl("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"));
  EXPECT_FALSE(isCoreContextUrl("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-non-existing.jsonld"));
  EXPECT_FALSE(isCoreContextUrl("http://example.org/ngsi-ld-core-context-v1.9.jsonld"));
}

TEST(CoreContext, ServesItsDocument) {
  const auto& doc = coreContextDocument();
  EXPECT_EQ(doc.at("@context").at("Property").as_string(), "ngsi-ld:Property");
  EXPECT_EQ(doc.at("@context").at("@vocab").as_string(), "https://uri.etsi.org/ngsi-ld/default-context/");
}
