// MQTT publishing with libmosquitto's synchronous calls and its network loop
// driven here (no thread of its own), so that each publish is bounded.
#include "subscriptions/mqtt_sender.h"

#include <mutex>

#include <boost/url/parse.hpp>
#include <mosquitto.h>

namespace allmende::subscriptions {

// The parts of an MQTT endpoint URI.
struct MqttEndpoint {
  bool tls = false;
  std::string host, user, password, topic;
  int port = 1883;
};

namespace {

bool parseEndpoint(const std::string& uri, MqttEndpoint& e, std::string& error) {
  auto parsed = boost::urls::parse_uri(uri);
  if (!parsed || (parsed->scheme() != "mqtt" && parsed->scheme() != "mqtts")) {
    error = "not an mqtt:// or mqtts:// URI";
    return false;
  }
  e.tls = parsed->scheme() == "mqtts";
  e.host = std::string(parsed->host());
  e.port = parsed->has_port() ? std::atoi(std::string(parsed->port()).c_str()) : e.tls ? 8883 : 1883;
  e.user = std::string(parsed->user());
  e.password = std::string(parsed->password());
  e.topic = std::string(parsed->path());
  if (!e.topic.empty() && e.topic.front() == '/') e.topic.erase(0, 1);
  if (e.topic.empty()) {
    error = "the MQTT endpoint names no topic";
    return false;
  }
  return true;
}

}  // namespace

MqttSender::MqttSender(std::chrono::milliseconds timeout) : timeout_(timeout) {
  static std::once_flag initialised;
  std::call_once(initialised, [] { mosquitto_lib_init(); });
}

MqttSender::~MqttSender() { disconnect(); }

void MqttSender::disconnect() {
  if (!client_) return;
  mosquitto_disconnect(client_);
  mosquitto_destroy(client_);
  client_ = nullptr;
  connectedTo_.clear();
}

template <class Done>
bool MqttSender::loopUntil(Done done, std::string& error) {
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (!done()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      error = "timed out";
      return false;
    }
    int rc = mosquitto_loop(client_, static_cast<int>(std::min<int64_t>(left.count(), 100)), 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      error = mosquitto_strerror(rc);
      return false;
    }
  }
  return true;
}

bool MqttSender::connect(const MqttEndpoint& e, bool mqtt5, std::string& error) {
  disconnect();
  client_ = mosquitto_new(nullptr, true, this);
  if (!client_) {
    error = "cannot create an MQTT client";
    return false;
  }
  mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION, mqtt5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(client_, [](::mosquitto*, void* self, int rc) {
    static_cast<MqttSender*>(self)->connackCode_ = rc;
  });
  mosquitto_publish_callback_set(client_, [](::mosquitto*, void* self, int mid) {
    static_cast<MqttSender*>(self)->lastPublished_ = mid;
  });
  if (!e.user.empty()) mosquitto_username_pw_set(client_, e.user.c_str(), e.password.empty() ? nullptr : e.password.c_str());
  if (e.tls && mosquitto_tls_set(client_, nullptr, "/etc/ssl/certs", nullptr, nullptr, nullptr) != MOSQ_ERR_SUCCESS) {
    error = "cannot set up TLS for MQTT";
    disconnect();
    return false;
  }
  connackCode_ = -1;
  int rc = mosquitto_connect_async(client_, e.host.c_str(), e.port, 60);  // the loop below bounds it
  if (rc != MOSQ_ERR_SUCCESS) {
    error = rc == MOSQ_ERR_ERRNO ? "cannot connect to the MQTT broker" : mosquitto_strerror(rc);
    disconnect();
    return false;
  }
  if (!loopUntil([this] { return connackCode_ >= 0; }, error) || connackCode_ != 0) {
    if (connackCode_ > 0) error = std::string("the MQTT broker refused the connection: ") + mosquitto_connack_string(connackCode_);
    disconnect();
    return false;
  }
  return true;
}

bool MqttSender::publish(const MqttMessage& message, std::string& error) {
  MqttEndpoint e;
  if (!parseEndpoint(message.endpoint, e, error)) return false;
  // One connection per broker, user and protocol version; topics may differ.
  std::string key = std::string(message.mqtt5 ? "5 " : "3 ") + (e.tls ? "mqtts://" : "mqtt://") + e.user + ":" +
                    e.password + "@" + e.host + ":" + std::to_string(e.port);
  bool reused = client_ && connectedTo_ == key;
  for (int attempt = 0; attempt < (reused ? 2 : 1); ++attempt) {
    if (!client_ || connectedTo_ != key) {
      if (!connect(e, message.mqtt5, error)) return false;
      connectedTo_ = key;
    }
    int mid = 0;
    lastPublished_ = -1;  // message ids are per client: never match an earlier client's
    int rc = mosquitto_publish(client_, &mid, e.topic.c_str(), static_cast<int>(message.payload.size()),
                               message.payload.data(), message.qos, false);
    if (rc == MOSQ_ERR_SUCCESS && loopUntil([this, mid] { return lastPublished_ == mid; }, error)) return true;
    if (rc != MOSQ_ERR_SUCCESS) error = mosquitto_strerror(rc);
    disconnect();  // a kept connection the broker dropped: once more on a new one
  }
  return false;
}

}  // namespace allmende::subscriptions
