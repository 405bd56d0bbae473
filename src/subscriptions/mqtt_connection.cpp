// libmosquitto driven by the delivery's event loop (its external-loop API):
// the client's socket is watched with Asio (readable: mosquitto_loop_read;
// writable while libmosquitto has bytes to write: mosquitto_loop_write; every
// second: mosquitto_loop_misc for keep-alive). libmosquitto's callbacks
// therefore run on the event loop too; what they decide that could free the
// client (a failure) is deferred with a post, never done inside them.
#include "subscriptions/mqtt_connection.h"

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>

#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/url/parse.hpp>
#include <mosquitto.h>

namespace allmende::subscriptions {

namespace asio = boost::asio;

std::string MqttTarget::connectionKey() const {
  return std::string(mqtt5 ? "5 " : "3 ") + (tls ? "mqtts://" : "mqtt://") + user + ":" + password + "@" + host + ":" +
         std::to_string(port);
}

std::string MqttTarget::label() const { return (tls ? "mqtts://" : "mqtt://") + host + ":" + std::to_string(port); }

bool parseMqttTarget(const std::string& uri, bool mqtt5, MqttTarget& t, std::string& error) {
  auto parsed = boost::urls::parse_uri(uri);
  if (!parsed || (parsed->scheme() != "mqtt" && parsed->scheme() != "mqtts")) {
    error = "not an mqtt:// or mqtts:// URI";
    return false;
  }
  t.tls = parsed->scheme() == "mqtts";
  t.mqtt5 = mqtt5;
  t.host = std::string(parsed->host());
  t.port = parsed->has_port() ? std::atoi(std::string(parsed->port()).c_str()) : t.tls ? 8883 : 1883;
  t.user = std::string(parsed->user());
  t.password = std::string(parsed->password());
  t.topic = std::string(parsed->path());
  if (!t.topic.empty() && t.topic.front() == '/') t.topic.erase(0, 1);
  if (t.topic.empty()) {
    error = "the MQTT endpoint names no topic";
    return false;
  }
  return true;
}

namespace {

std::string mosquittoError(int rc) {
  return rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno)) : std::string(mosquitto_strerror(rc));
}

}  // namespace

struct MqttConnection::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor ex, MqttTarget t, std::chrono::milliseconds timeout)
      : executor(std::move(ex)), target(std::move(t)), timeout(timeout), misc(executor) {}

  struct Publish {
    std::string topic, payload;
    int qos = 0;
    Callback done;
    int mid = -1;  // -1 until handed to libmosquitto
    std::unique_ptr<asio::steady_timer> timer;
  };

  asio::any_io_executor executor;
  MqttTarget target;
  std::chrono::milliseconds timeout;
  ::mosquitto* client = nullptr;
  std::unique_ptr<asio::posix::stream_descriptor> socket;  // a duplicate of the client's socket, for waiting
  asio::steady_timer misc;
  bool connected = false, reading = false, writing = false;
  uint64_t generation = 0;  // of the client; handlers of an earlier one are ignored
  uint64_t nextTicket = 0;
  std::map<uint64_t, Publish> publishes;
  std::set<int> acked;  // message ids acknowledged before publish() knew them (QoS 0 written at once)

  void publish(const std::string& topic, std::string payload, int qos, Callback done) {
    auto ticket = nextTicket++;
    auto& p = publishes[ticket];
    p.topic = topic;
    p.payload = std::move(payload);
    p.qos = qos;
    p.done = std::move(done);
    p.timer = std::make_unique<asio::steady_timer>(executor, timeout);
    p.timer->async_wait([self = shared_from_this(), ticket](boost::system::error_code ec) {
      if (!ec && self->publishes.contains(ticket)) self->teardown("timed out");
    });
    if (!client) return connect();
    if (connected) send(ticket);
  }

  void connect() {
    static std::once_flag initialised;
    std::call_once(initialised, [] { mosquitto_lib_init(); });
    client = mosquitto_new(nullptr, true, this);
    ++generation;
    if (!client) return later("cannot create an MQTT client");
    mosquitto_int_option(client, MOSQ_OPT_PROTOCOL_VERSION, target.mqtt5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(client, [](::mosquitto*, void* self, int rc) {
      static_cast<State*>(self)->onConnect(rc);
    });
    mosquitto_publish_callback_set(client, [](::mosquitto*, void* self, int mid) {
      static_cast<State*>(self)->onPublished(mid);
    });
    mosquitto_disconnect_callback_set(client, [](::mosquitto*, void* self, int) {
      static_cast<State*>(self)->later("the MQTT broker closed the connection");
    });
    if (!target.user.empty())
      mosquitto_username_pw_set(client, target.user.c_str(), target.password.empty() ? nullptr : target.password.c_str());
    if (target.tls && mosquitto_tls_set(client, nullptr, "/etc/ssl/certs", nullptr, nullptr, nullptr) != MOSQ_ERR_SUCCESS)
      return later("cannot set up TLS for MQTT");
    int rc = mosquitto_connect_async(client, target.host.c_str(), target.port, 60);
    if (rc != MOSQ_ERR_SUCCESS) return later("cannot connect to the MQTT broker: " + mosquittoError(rc));
    socket =
        std::make_unique<asio::posix::stream_descriptor>(executor, ::dup(mosquitto_socket(client)));
    watch();
    tick();
  }

  // Waits for what libmosquitto needs next: always input, output while it has some.
  void watch() {
    if (!client) return;
    auto self = shared_from_this();
    auto gen = generation;
    if (!reading) {
      reading = true;
      socket->async_wait(asio::posix::stream_descriptor::wait_read, [self, gen](boost::system::error_code ec) {
        if (gen != self->generation) return;
        self->reading = false;
        if (ec) return;
        int rc = mosquitto_loop_read(self->client, 1);
        if (rc != MOSQ_ERR_SUCCESS) return self->teardown("MQTT connection lost: " + mosquittoError(rc));
        self->watch();
      });
    }
    if (!writing && mosquitto_want_write(client)) {
      writing = true;
      socket->async_wait(asio::posix::stream_descriptor::wait_write, [self, gen](boost::system::error_code ec) {
        if (gen != self->generation) return;
        self->writing = false;
        if (ec) return;
        int rc = mosquitto_loop_write(self->client, 1);
        if (rc != MOSQ_ERR_SUCCESS) return self->teardown("cannot reach the MQTT broker: " + mosquittoError(rc));
        self->watch();
      });
    }
  }

  void tick() {
    misc.expires_after(std::chrono::seconds(1));
    misc.async_wait([self = shared_from_this(), gen = generation](boost::system::error_code ec) {
      if (ec || gen != self->generation || !self->client) return;
      mosquitto_loop_misc(self->client);
      self->watch();
      self->tick();
    });
  }

  void onConnect(int rc) {
    if (rc != 0) return later(std::string("the MQTT broker refused the connection: ") + mosquitto_connack_string(rc));
    connected = true;
    for (auto& [ticket, p] : publishes)
      if (p.mid < 0) send(ticket);
  }

  void send(uint64_t ticket) {
    auto& p = publishes.at(ticket);
    acked.clear();
    int mid = 0;
    int rc = mosquitto_publish(client, &mid, p.topic.c_str(), static_cast<int>(p.payload.size()), p.payload.data(),
                               p.qos, false);
    if (rc != MOSQ_ERR_SUCCESS) return later("cannot publish: " + mosquittoError(rc));
    p.mid = mid;
    if (acked.erase(mid)) return complete(ticket, true, {});
    watch();
  }

  void onPublished(int mid) {
    for (auto& [ticket, p] : publishes)
      if (p.mid == mid) return complete(ticket, true, {});
    acked.insert(mid);
  }

  // Calls back (later, on the loop) and forgets the publish.
  void complete(uint64_t ticket, bool ok, std::string error) {
    auto it = publishes.find(ticket);
    if (it == publishes.end()) return;
    it->second.timer->cancel();
    asio::post(executor, [done = std::move(it->second.done), ok, error = std::move(error)] {
      done(ok, error);
    });
    publishes.erase(it);
  }

  // A failure found inside a libmosquitto call: the client is freed after it returned.
  void later(std::string why) {
    asio::post(executor, [self = shared_from_this(), gen = generation, why = std::move(why)] {
      if (gen == self->generation) self->teardown(why);
    });
  }

  // Fails what is under way and frees the client; the next publish connects anew.
  void teardown(const std::string& why) {
    std::vector<uint64_t> tickets;
    for (const auto& [ticket, p] : publishes) tickets.push_back(ticket);
    for (auto ticket : tickets) complete(ticket, false, why);
    close();
  }

  void close() {
    misc.cancel();
    if (socket) {
      boost::system::error_code ignored;
      socket->close(ignored);
      socket.reset();
    }
    if (client) {
      mosquitto_destroy(client);
      client = nullptr;
    }
    ++generation;  // after the client is gone: nothing it still called back can reach the next one
    connected = reading = writing = false;
  }
};

MqttConnection::MqttConnection(asio::any_io_executor executor, MqttTarget target,
                               std::chrono::milliseconds timeout)
    : state_(std::make_shared<State>(std::move(executor), std::move(target), timeout)) {}

MqttConnection::~MqttConnection() {
  for (auto& [ticket, p] : state_->publishes) p.timer->cancel();
  state_->publishes.clear();
  state_->close();
}

void MqttConnection::publish(const std::string& topic, std::string payload, int qos, Callback done) {
  state_->publish(topic, std::move(payload), qos, std::move(done));
}

void MqttConnection::closeIfIdle() {
  if (state_->publishes.empty()) state_->close();
}

}  // namespace allmende::subscriptions
