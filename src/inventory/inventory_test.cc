#include "inventory/inventory.h"

#include <gtest/gtest.h>

#include "common/yaml.h"

namespace secbudget {
namespace {

Inventory Load(const std::string& text) {
  Inventory inv;
  auto docs = ParseYamlDocuments(text, "assets.yaml");
  EXPECT_TRUE(docs.ok()) << docs.status().ToString();
  for (const auto& d : *docs) {
    Status st = inv.AddDocument(d, "assets.yaml");
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  return inv;
}

constexpr const char* kAssets = R"(apiVersion: secbudget.dev/v1
kind: AssetInventory
spec:
  assets:
    - id: aws-prod
      service: platform
      team: cloud
      environment: prod
      layer: cloud
      internet_exposed: true
      criticality: critical
      match:
        - {provider: aws, account: "111122223333"}
    - id: exports-bucket
      service: payments
      team: payments
      match:
        - arn: "arn:aws:s3:::acme-payments-exports"
    - id: cluster
      service: platform
      team: k8s
      match:
        - cluster: prod-eks
    - id: payments-ns
      service: payments
      team: payments
      match:
        - {cluster: prod-eks, namespace: payments}
    - id: images
      service: any
      team: any
      match:
        - image: "ghcr.io/acme/*"
    - id: api
      service: api
      team: payments
      match:
        - image: "ghcr.io/acme/api"
)";

TEST(InventoryTest, TheMostSpecificSelectorWins) {
  const Inventory inv = Load(kAssets);
  ASSERT_EQ(inv.assets().size(), 6u);
  Locator bucket;
  bucket.provider = "aws";
  bucket.account = "111122223333";
  bucket.arn = "arn:aws:s3:::acme-payments-exports";
  EXPECT_EQ(inv.assets()[static_cast<std::size_t>(inv.Match(bucket))].id, "exports-bucket");
  bucket.arn = "arn:aws:s3:::other";
  EXPECT_EQ(inv.assets()[static_cast<std::size_t>(inv.Match(bucket))].id, "aws-prod");
  Locator pod;
  pod.cluster = "prod-eks";
  pod.k8s_namespace = "payments";
  EXPECT_EQ(inv.assets()[static_cast<std::size_t>(inv.Match(pod))].id, "payments-ns");
  pod.k8s_namespace = "jobs";
  EXPECT_EQ(inv.assets()[static_cast<std::size_t>(inv.Match(pod))].id, "cluster");
  Locator image;
  image.image = "ghcr.io/acme/api";
  EXPECT_EQ(inv.assets()[static_cast<std::size_t>(inv.Match(image))].id, "api");
  image.image = "ghcr.io/acme/web";
  EXPECT_EQ(inv.assets()[static_cast<std::size_t>(inv.Match(image))].id, "images");
  image.image = "docker.io/library/nginx";
  EXPECT_EQ(inv.Match(image), -1);  // unmatched: reported, never guessed
}

TEST(InventoryTest, ReadsEveryAttribute) {
  const Inventory inv = Load(kAssets);
  const Asset& a = inv.assets()[0];
  EXPECT_EQ(a.environment, Environment::kProd);
  EXPECT_EQ(a.layer, Layer::kCloud);
  EXPECT_EQ(a.internet_exposed, Tri::kYes);
  EXPECT_EQ(a.criticality, Criticality::kCritical);
  EXPECT_EQ(a.line, 5);
  EXPECT_EQ(inv.assets()[1].internet_exposed, Tri::kUnknown);
}

TEST(InventoryTest, ErrorsNameTheLine) {
  const auto error_of = [](const std::string& text) {
    auto docs = ParseYamlDocuments(text, "assets.yaml");
    EXPECT_TRUE(docs.ok());
    Inventory inv;
    return inv.AddDocument(docs->front(), "assets.yaml");
  };
  const std::string head =
      "apiVersion: secbudget.dev/v1\nkind: AssetInventory\nspec:\n  assets:\n    - id: a\n      service: s\n      "
      "team: t\n";
  Status st = error_of(head + "      match:\n        - {}\n");
  EXPECT_NE(st.message().find("empty selector"), std::string::npos) << st.ToString();
  st = error_of(head + "      criticality: extreme\n      match:\n        - image: x\n");
  EXPECT_NE(st.message().find("criticality \"extreme\""), std::string::npos);
  EXPECT_EQ(st.location().line, 8u);
  st = error_of(head + "      owner: me\n      match:\n        - image: x\n");
  EXPECT_NE(st.message().find("unknown key \"owner\""), std::string::npos);
  st = error_of(head);
  EXPECT_NE(st.message().find("missing required key \"match\""), std::string::npos);
  st = error_of("apiVersion: secbudget.dev/v1\nkind: AssetInventory\nspec:\n  assets: nope\n");
  EXPECT_NE(st.message().find("spec.assets must be a list"), std::string::npos);
}

}  // namespace
}  // namespace secbudget
