// Publishes notifications to MQTT brokers (clause 7.2 / 5.8.6 MQTT endpoints:
// mqtt://[user[:password]@]host[:port]/topic, mqtts:// with TLS), with
// libmosquitto, keeping the connection to the last broker open. Blocking and
// bounded by a timeout; not thread-safe: one per notifier lane.
#pragma once

#include <chrono>
#include <string>

struct mosquitto;

namespace allmende::subscriptions {

struct MqttEndpoint;

struct MqttMessage {
  std::string endpoint;  // the mqtt:// or mqtts:// URI
  std::string payload;
  int qos = 0;           // 0, 1 or 2 (notifierInfo MQTT-QoS)
  bool mqtt5 = false;    // notifierInfo MQTT-Version mqtt5.0 (else 3.1.1)
};

class MqttSender {
 public:
  explicit MqttSender(std::chrono::milliseconds timeout);
  ~MqttSender();
  MqttSender(const MqttSender&) = delete;
  MqttSender& operator=(const MqttSender&) = delete;

  // True once the broker has the message (for QoS 0: once it is written); else error says why.
  bool publish(const MqttMessage& message, std::string& error);

 private:
  bool connect(const MqttEndpoint& e, bool mqtt5, std::string& error);
  void disconnect();
  // Runs the client's network loop until done() or the timeout; false on timeout or error.
  template <class Done>
  bool loopUntil(Done done, std::string& error);

  std::chrono::milliseconds timeout_;
  ::mosquitto* client_ = nullptr;
  std::string connectedTo_;  // version, scheme, user, password, host and port of the open connection
  int connackCode_ = -1;     // -1 until the broker answered CONNECT
  int lastPublished_ = -1;   // message id of the last PUBACK/PUBCOMP (or QoS 0 write)
};

}  // namespace allmende::subscriptions
