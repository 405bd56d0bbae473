// EndpointQueue: order per subscription, one in flight per subscription,
// turns between subscriptions, coalescing when behind, retries in front, bounds.
#include "subscriptions/endpoint_queue.h"

#include <gtest/gtest.h>

using namespace allmende::subscriptions;

namespace {

Pending item(const std::string& sub, const std::string& entity) {
  Pending p;
  p.tenant = "t";
  p.subscriptionId = sub;
  p.request.entities = "\"" + entity + "\"";
  p.request.count = 1;
  p.bytes = p.request.bytes();
  return p;
}

std::string take(EndpointQueue& q, size_t& coalesced) {
  auto p = q.take(coalesced);
  return p ? p->subscriptionId + ":" + p->request.entities : "none";
}

}  // namespace

TEST(EndpointQueue, OneInFlightPerSubscriptionAndTurnsBetweenThem) {
  EndpointQueue q({});
  q.push(item("a", "1"));
  q.push(item("a", "2"));
  q.push(item("b", "1"));
  size_t c = 0;
  auto first = q.take(c);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->request.entities, "\"1\"");
  EXPECT_EQ(take(q, c), "b:\"1\"");  // a is in flight: b's turn
  EXPECT_EQ(take(q, c), "none");
  q.finish(std::move(*first), false);
  EXPECT_EQ(take(q, c), "a:\"2\"");
  EXPECT_EQ(q.queued(), 0u);
}

TEST(EndpointQueue, ARetryGoesBackInFrontOfItsSubscription) {
  EndpointQueue q({});
  q.push(item("a", "1"));
  q.push(item("a", "2"));
  size_t c = 0;
  auto p = q.take(c);
  q.finish(std::move(*p), true);
  EXPECT_EQ(q.queued(), 2u);
  EXPECT_EQ(take(q, c), "a:\"1\"");
}

TEST(EndpointQueue, ASubscriptionThatFellBehindIsSentTogetherInOrder) {
  QueueLimits limits;
  limits.coalesceAt = 3;
  limits.maxEntities = 4;
  EndpointQueue q(limits);
  q.push(item("a", "1"));
  q.push(item("a", "2"));
  size_t c = 0;
  auto p = q.take(c);  // two waiting: below the threshold, sent alone
  EXPECT_EQ(c, 0u);
  for (int i = 3; i <= 8; ++i) q.push(item("a", std::to_string(i)));
  q.finish(std::move(*p), false);
  p = q.take(c);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->request.entities, "\"2\",\"3\",\"4\",\"5\"");  // at most maxEntities
  EXPECT_EQ(p->request.count, 4u);
  EXPECT_EQ(p->notifications, 4u);
  EXPECT_EQ(c, 3u);
  EXPECT_EQ(q.queued(), 3u);
}

TEST(EndpointQueue, TheByteBoundRefusesMore) {
  QueueLimits limits;
  auto one = item("a", "1").bytes;
  limits.maxBytes = one * 2;
  EndpointQueue q(limits);
  EXPECT_TRUE(q.push(item("a", "1")));
  EXPECT_TRUE(q.push(item("b", "1")));
  EXPECT_FALSE(q.push(item("a", "2")));
  EXPECT_EQ(q.bytes(), one * 2);
  EXPECT_EQ(q.drain().size(), 2u);
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(NotificationRequest, TheBodyCarriesTheAppendedEntities) {
  NotificationRequest r;
  r.id = "urn:ngsi-ld:Notification:1";
  r.subscriptionId = "urn:s";
  r.entities = R"({"id":"urn:a"})";
  r.count = 1;
  NotificationRequest later = r;
  later.entities = R"({"id":"urn:b"})";
  r.append(later);
  auto body = boost::json::parse(r.body(0)).as_object();
  EXPECT_EQ(body.at("data").as_array().size(), 2u);
  EXPECT_EQ(body.at("data").as_array()[1].at("id"), "urn:b");
  EXPECT_EQ(body.at("notifiedAt"), "1970-01-01T00:00:00.000Z");
  r.geoContext = R"("https://example.org/ctx")";
  body = boost::json::parse(r.body(0)).as_object();
  EXPECT_EQ(body.at("data").at("type"), "FeatureCollection");
  EXPECT_EQ(body.at("data").at("features").as_array().size(), 2u);
  EXPECT_EQ(body.at("data").at("@context"), "https://example.org/ctx");
}

TEST(EndpointQueue, ForgettingASubscriptionDropsWhatWaitsAndItsRetry) {
  EndpointQueue q({});
  q.push(item("a", "1"));
  q.push(item("a", "2"));
  q.push(item("b", "1"));
  auto registrations = item("a", "r");  // a registration subscription with the same id
  registrations.request.kind = SubscriptionKind::Registrations;
  q.push(std::move(registrations));
  size_t c = 0;
  auto inFlight = q.take(c);
  ASSERT_TRUE(inFlight);
  auto dropped = q.forget("t", "a", SubscriptionKind::Entities);
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].request.entities, "\"2\"");
  EXPECT_EQ(q.queued(), 2u);
  EXPECT_FALSE(q.finish(std::move(*inFlight), true)) << "not retried";
  EXPECT_EQ(take(q, c), "b:\"1\"");
  EXPECT_EQ(take(q, c), "a:\"r\"");
  EXPECT_EQ(take(q, c), "none");
  // one that waits for its turn is forgotten too, and a new one with its id is sent
  q.push(item("c", "1"));
  EXPECT_EQ(q.forget("t", "c", SubscriptionKind::Entities).size(), 1u);
  EXPECT_EQ(take(q, c), "none");
  q.push(item("c", "2"));
  EXPECT_EQ(take(q, c), "c:\"2\"");
}

TEST(EndpointQueue, NotificationsWithDifferentTriggerReasonsAreNotMerged) {
  EndpointQueue q({.coalesceAt = 2});
  for (auto reason : {"newlyMatching", "newlyMatching", "updated"}) {
    auto p = item("a", reason);
    p.request.triggerReason = reason;
    q.push(std::move(p));
  }
  size_t c = 0;
  auto first = q.take(c);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->request.count, 2u);
  EXPECT_EQ(c, 1u);
  q.finish(std::move(*first), false);
  EXPECT_EQ(take(q, c), "a:\"updated\"");
}
