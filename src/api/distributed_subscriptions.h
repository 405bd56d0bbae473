// Distributed subscriptions in the api layer (clause 5.8.1.4, 5.8.5.4, 5.8.6;
// docs/federation.md). A subscription made here gets a registration
// subscription (listed at /csourceSubscriptions) that tells this broker, at
// /ngsi-ld/ex/registration-notify, which registrations may hold what it
// watches; each that allows createSubscription gets a reduced copy of it
// (federation/remote_subscriptions.h) that notifies /ngsi-ld/ex/remote-notify.
// A PATCH goes on to the copies, a delete deletes them. A copy's notification
// reaches the subscriber under the local subscription's id, each entity
// checked against the subscription again (with splitEntities completed first
// by the other sources' parts and the local entity). The requests to the sources never hold up the client.
#pragma once

#include "api/call.h"
#include "subscriptions/subscription.h"

namespace allmende::api {

// Where sources notify this broker: the registration subscriptions (what
// sources may hold what a subscription watches) and the copies. With
// authentication on, notifications there carry the broker's notification key
// (receiverInfo Authorization; auth/authenticator.h), and nothing else passes.
inline constexpr std::string_view kRegistrationNotify = "/ngsi-ld/ex/registration-notify";
inline constexpr std::string_view kRemoteNotify = "/ngsi-ld/ex/remote-notify";

// After a subscription was created (nothing for a localOnly one, or when the
// request passed this broker already).
void distributeSubscription(Call& call, const subscriptions::Subscription& s);
// After a subscription was updated: its copies and its registration subscription follow.
void updateDistributed(Call& call, const subscriptions::Subscription& s);
// After a subscription was deleted: its copies and its registration subscription go.
void stopDistributing(Call& call, const subscriptions::Subscription& s);

}  // namespace allmende::api
