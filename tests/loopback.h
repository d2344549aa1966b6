// A real HTTP receiver on 127.0.0.1 for tests of delivery: it records every
// request, answers with the statuses a test sets, and can be stopped and
// started again on the same port.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace secbudget::testing {

// A real HTTP receiver on loopback. It can be stopped and started again on
// the same port; what it received survives restarts.
class Loopback {
 public:
  struct Request {
    std::string path, body, idempotency_key, content_type, authorization;
    int status = 0;
  };

  Loopback() = default;
  Loopback(const Loopback&) = delete;
  Loopback& operator=(const Loopback&) = delete;
  ~Loopback() { Stop(); }

  // Answers the n-th request (1-based, counted across restarts); 200 when unset.
  void SetStatuses(std::function<int(std::size_t)> status_for) { status_for_ = std::move(status_for); }
  // Stops listening from inside the handler once request `n` is answered.
  void StopAfter(std::size_t n) { stop_after_ = n; }

  // Listens on 127.0.0.1:`port` (0 = any free port).
  bool Start(int port = 0) {
    server_ = std::make_unique<httplib::Server>();
    stopped_ = false;
    server_->Post(".*", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    port_ = port == 0 ? server_->bind_to_any_port("127.0.0.1") : port;
    if (port_ <= 0 || (port != 0 && !server_->bind_to_port("127.0.0.1", port))) return false;
    thread_ = std::thread([server = server_.get()] { server->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return true;
  }

  void Stop() {
    if (server_ != nullptr && !stopped_.exchange(true)) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<Request> received() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    Request r;
    r.path = req.path;
    r.body = req.body;
    r.idempotency_key = req.get_header_value("Idempotency-Key");
    EXPECT_EQ(req.get_header_value_count("Idempotency-Key"), 1U);
    r.content_type = req.get_header_value("Content-Type");
    r.authorization = req.get_header_value("Authorization");
    r.status = status_for_ ? status_for_(received_.size() + 1) : 200;
    received_.push_back(r);
    res.status = r.status;
    res.set_content(r.status < 300 ? "{\"status\":\"success\"}" : "refused: bad payload", "text/plain");
    if (received_.size() == stop_after_ && !stopped_.exchange(true)) server_->stop();
  }

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> stopped_{false};
  std::function<int(std::size_t)> status_for_;
  std::size_t stop_after_ = 0;
  mutable std::mutex mu_;
  std::vector<Request> received_;
};

}  // namespace secbudget::testing
