// One connection to an MQTT broker for notifications (clause 7.2; endpoints
// mqtt://[user[:password]@]host[:port]/topic, mqtts:// with TLS verified
// against /etc/ssl/certs), publishing without blocking: libmosquitto runs the
// connection on a thread of its own, and its callbacks are handed to the
// delivery's event loop, where every method here runs and every callback
// is called. A publish is done when the broker acknowledged it (QoS 1 and 2)
// or it was written (QoS 0), and fails after the timeout; a connection that
// failed or timed out is dropped and the next publish opens a new one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

struct mosquitto;

namespace allmende::subscriptions {

// The parts of an MQTT endpoint URI.
struct MqttTarget {
  bool tls = false;
  bool mqtt5 = false;  // notifierInfo MQTT-Version mqtt5.0 (else 3.1.1)
  std::string host, user, password, topic;
  int port = 1883;
  // What one connection serves: protocol version, scheme, user, password, host and port (not the topic).
  std::string connectionKey() const;
  // scheme://host:port, for logs and metrics.
  std::string label() const;
};

// False (with `error`) unless uri is an mqtt:// or mqtts:// URI naming a topic.
bool parseMqttTarget(const std::string& uri, bool mqtt5, MqttTarget& target, std::string& error);

class MqttConnection {
 public:
  using Callback = std::function<void(bool ok, std::string error)>;

  MqttConnection(boost::asio::any_io_executor executor, MqttTarget target,
                 std::chrono::milliseconds timeout);
  ~MqttConnection();  // disconnects; callbacks still due are not called
  MqttConnection(const MqttConnection&) = delete;
  MqttConnection& operator=(const MqttConnection&) = delete;

  void publish(const std::string& topic, std::string payload, int qos, Callback done);
  // Disconnects if nothing is in flight.
  void closeIfIdle();

  struct State;  // defined in mqtt_connection.cpp

 private:
  std::shared_ptr<State> state_;
};

}  // namespace allmende::subscriptions
