#include "alert/delivery.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>

#include "common/hash.h"
#include "common/strings.h"

namespace secbudget {

namespace {

// Key order follows the receivers' documentation, so bodies read like theirs.
using Json = nlohmann::ordered_json;

constexpr std::array<std::string_view, 4> kReceiverKinds = {"webhook", "slack", "pagerduty", "jsonl"};

// Alertmanager writes Go's zero time as the end of a firing alert.
constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";
constexpr std::string_view kClientName = "secbudget";

// Receivers' documented limits (bytes here, which never exceed characters).
constexpr std::size_t kPagerDutySummaryMax = 1024;
constexpr std::size_t kPagerDutyDedupKeyMax = 255;
constexpr std::size_t kSlackHeaderMax = 150;
constexpr std::size_t kSlackSectionMax = 3000;
// Slack allows 50 blocks; a page of sections is what a human reads anyway.
constexpr std::size_t kSlackAlertSections = 10;
// How much of a refusing receiver's response body goes into last_error.
constexpr std::size_t kErrorBodyMax = 200;
// Ellipsize appends "…" (3 bytes) after the cut.
constexpr std::size_t kEllipsisBytes = 3;

// Labels delivery adds to each alert's own when absent, and the annotation.
constexpr std::array<std::string_view, 3> kDerivedLabels = {"alertname", "source", "urgency"};
constexpr std::string_view kSummaryAnnotation = "summary";

// Invalid UTF-8 in a label must not stop a page: it becomes U+FFFD.
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string Limit(std::string_view s, std::size_t max) {
  return s.size() <= max ? std::string(s) : Ellipsize(s, max - kEllipsisBytes);
}

std::string EndsAt(TimePoint t) { return t == 0 ? std::string(kZeroTime) : FormatTime(t); }

// A notification as the receivers see it: the alerts with their derived
// labels, the ones shown (max_alerts) and the common label sets.
struct View {
  std::vector<Labels> labels;
  std::vector<Labels> annotations;
  std::size_t shown = 0;
  std::size_t truncated = 0;  // left out by the engine and by max_alerts
  std::size_t firing = 0;
  Labels common_labels;
  Labels common_annotations;
  std::string status;  // "firing" or "resolved"
};

Labels AlertLabels(const NotifiedAlert& a) {
  Labels l = a.labels;
  if (!a.name.empty()) l.emplace("alertname", a.name);
  if (!a.source.empty()) l.emplace("source", a.source);
  l.emplace("urgency", std::string(Name(a.urgency)));
  return l;
}

Labels AlertAnnotations(const NotifiedAlert& a) {
  Labels l = a.annotations;
  if (!a.summary.empty()) l.emplace(kSummaryAnnotation, a.summary);
  return l;
}

// Adds `key` to `common` when every alert has it with one value.
void AddIfCommon(std::string_view key, const std::vector<Labels>& per_alert, Labels* common) {
  if (per_alert.empty() || common->find(key) != common->end()) return;
  const auto first = per_alert.front().find(key);
  if (first == per_alert.front().end()) return;
  for (const Labels& l : per_alert) {
    const auto it = l.find(key);
    if (it == l.end() || it->second != first->second) return;
  }
  common->emplace(first->first, first->second);
}

View MakeView(const Notification& n, const Receiver& r) {
  View v;
  for (const NotifiedAlert& a : n.alerts) {
    v.labels.push_back(AlertLabels(a));
    v.annotations.push_back(AlertAnnotations(a));
    if (!a.resolved) ++v.firing;
  }
  v.shown = n.alerts.size();
  if (r.max_alerts != 0 && v.shown > r.max_alerts) v.shown = r.max_alerts;
  v.truncated = n.truncated + (n.alerts.size() - v.shown);
  v.common_labels = n.common_labels;
  for (std::string_view key : kDerivedLabels) AddIfCommon(key, v.labels, &v.common_labels);
  v.common_annotations = n.common_annotations;
  AddIfCommon(kSummaryAnnotation, v.annotations, &v.common_annotations);
  v.status = n.resolved ? "resolved" : "firing";
  return v;
}

// Alertmanager's default title:
//   [FIRING:<n>] <group label values> (<other common label values>)
std::string Title(const Notification& n, const View& v) {
  std::string title = n.resolved ? "[RESOLVED]" : fmt::format("[FIRING:{}]", v.firing);
  for (const auto& [key, value] : n.group_labels) title.append(" ").append(value);
  std::vector<std::string> rest;
  for (const auto& [key, value] : v.common_labels) {
    if (n.group_labels.find(key) == n.group_labels.end()) rest.emplace_back(value);
  }
  if (!rest.empty()) title += " (" + Join(rest, " ") + ")";
  return title;
}

Json WebhookJson(const Notification& n, const Receiver& r, const View& v, const std::string& external_url) {
  Json alerts = Json::array();
  for (std::size_t i = 0; i < v.shown; ++i) {
    const NotifiedAlert& a = n.alerts[i];
    alerts.push_back(Json{{"status", a.resolved ? "resolved" : "firing"},
                          {"labels", Json(v.labels[i])},
                          {"annotations", Json(v.annotations[i])},
                          {"startsAt", FormatTime(a.starts_at)},
                          {"endsAt", EndsAt(a.ends_at)},
                          {"generatorURL", external_url},
                          {"fingerprint", a.dedup_key}});
  }
  return Json{{"version", "4"},
              {"groupKey", n.group_key},
              {"truncatedAlerts", v.truncated},
              {"status", v.status},
              {"receiver", r.name},
              {"groupLabels", Json(n.group_labels)},
              {"commonLabels", Json(v.common_labels)},
              {"commonAnnotations", Json(v.common_annotations)},
              {"externalURL", external_url},
              {"alerts", std::move(alerts)}};
}

// Slack's mrkdwn control characters.
std::string SlackEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

Json SlackContext(std::string text) {
  return Json{{"type", "context"}, {"elements", Json::array({Json{{"type", "mrkdwn"}, {"text", std::move(text)}}})}};
}

Json SlackJson(const Notification& n, const View& v, const std::string& external_url) {
  const std::string title = Title(n, v);
  Json blocks = Json::array();
  blocks.push_back(
      Json{{"type", "header"}, {"text", Json{{"type", "plain_text"}, {"text", Limit(title, kSlackHeaderMax)}}}});
  const std::size_t listed = std::min(v.shown, kSlackAlertSections);
  for (std::size_t i = 0; i < listed; ++i) {
    const NotifiedAlert& a = n.alerts[i];
    std::string text =
        fmt::format("*{}* ({}, {})", SlackEscape(a.name), Name(a.urgency), a.resolved ? "resolved" : "firing");
    if (!a.summary.empty()) text += "\n" + SlackEscape(a.summary);
    blocks.push_back(
        Json{{"type", "section"}, {"text", Json{{"type", "mrkdwn"}, {"text", Limit(text, kSlackSectionMax)}}}});
  }
  const std::size_t more = (v.shown - listed) + v.truncated;
  if (more > 0) blocks.push_back(SlackContext(fmt::format("and {} more", more)));
  if (!external_url.empty())
    blocks.push_back(SlackContext(fmt::format("<{}|{}>", SlackEscape(external_url), kClientName)));
  return Json{{"text", SlackEscape(title)}, {"blocks", std::move(blocks)}};
}

// PagerDuty caps dedup_key at 255 characters; longer group keys are hashed
// (the same way for the trigger and every later action).
std::string PagerDutyDedupKey(const std::string& key) {
  return key.size() <= kPagerDutyDedupKeyMax ? key : ContentId(key);
}

std::string PagerDutySeverity(const Notification& n) {
  const auto label = n.common_labels.find("severity");
  if (label != n.common_labels.end()) {
    std::string s = ToLower(label->second);
    if (s == "critical" || s == "error" || s == "warning" || s == "info") return s;
  }
  switch (n.urgency) {
    case Urgency::kPage: return "critical";
    case Urgency::kTicket: return "warning";
    case Urgency::kDigest: return "info";
  }
  return "warning";
}

std::string CommonValue(const Labels& common, std::string_view key) {
  const auto it = common.find(key);
  return it == common.end() ? std::string() : std::string(it->second);
}

Json PagerDutyJson(const Notification& n, const Receiver& r, const View& v, const std::string& external_url) {
  Json details_alerts = Json::array();
  for (std::size_t i = 0; i < v.shown; ++i) {
    const NotifiedAlert& a = n.alerts[i];
    details_alerts.push_back(Json{{"status", a.resolved ? "resolved" : "firing"},
                                  {"labels", Json(v.labels[i])},
                                  {"annotations", Json(v.annotations[i])},
                                  {"startsAt", FormatTime(a.starts_at)},
                                  {"endsAt", EndsAt(a.ends_at)},
                                  {"fingerprint", a.dedup_key}});
  }
  const std::string service = CommonValue(n.common_labels, "service");
  Json payload{{"summary", Limit(Title(n, v), kPagerDutySummaryMax)},
               {"source", service.empty() ? std::string(kClientName) : service},
               {"severity", PagerDutySeverity(n)},
               {"timestamp", FormatTime(n.at)}};
  const std::string component = CommonValue(v.common_labels, "source");
  if (!component.empty()) payload["component"] = component;
  if (!n.team.empty()) payload["group"] = n.team;
  const std::string alert_class = CommonValue(v.common_labels, "alertname");
  if (!alert_class.empty()) payload["class"] = alert_class;
  payload["custom_details"] = Json{{"num_firing", v.firing},
                                   {"num_resolved", n.alerts.size() - v.firing},
                                   {"truncated_alerts", v.truncated},
                                   {"alerts", std::move(details_alerts)}};
  Json event{{"routing_key", r.routing_key},
             {"event_action", n.resolved ? "resolve" : "trigger"},
             {"dedup_key", PagerDutyDedupKey(n.group_key)},
             {"payload", std::move(payload)}};
  if (!external_url.empty()) {
    event["client"] = kClientName;
    event["client_url"] = external_url;
  }
  return event;
}

OutboxEntry NewEntry(const Receiver& r, std::string idempotency_key, std::string target, std::string body,
                     TimePoint now) {
  OutboxEntry e;
  e.idempotency_key = std::move(idempotency_key);
  e.receiver = r.name;
  e.kind = std::string(Name(r.kind));
  e.target = std::move(target);
  e.body = std::move(body);
  e.created_at = now;
  e.state = OutboxState::kPending;
  e.next_attempt_at = now;
  return e;
}

std::string PagerDutyUrl(const Receiver& r) { return r.url.empty() ? std::string(kPagerDutyEventsUrl) : r.url; }

// --- transport ---

SendResult Failure(bool retryable, int http_status, std::string error) {
  SendResult res;
  res.retryable = retryable;
  res.http_status = http_status;
  res.error = std::move(error);
  return res;
}

SendResult Success(int http_status) {
  SendResult res;
  res.ok = true;
  res.http_status = http_status;
  return res;
}

struct Url {
  std::string origin;  // scheme://host[:port], as httplib::Client takes it
  std::string path;    // with the query, "/" when empty
};

std::optional<Url> SplitUrl(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const std::string scheme = ToLower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  const std::size_t host_begin = scheme_end + 3;
  const std::size_t host_end = url.find_first_of("/?#", host_begin);
  const std::string_view authority = url.substr(host_begin, host_end - host_begin);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  Url u;
  u.origin = scheme + "://" + std::string(authority);
  u.path = host_end == std::string_view::npos ? "/" : std::string(url.substr(host_end));
  if (u.path.front() != '/') u.path.insert(0, "/");
  const std::size_t fragment = u.path.find('#');
  if (fragment != std::string::npos) u.path.resize(fragment);
  return u;
}

// Headers we set ourselves; a receiver's extra headers do not replace them.
bool ReservedHeader(std::string_view name) {
  return IEquals(name, "Idempotency-Key") || IEquals(name, "Content-Type") || IEquals(name, "Content-Length") ||
         IEquals(name, "Host");
}

std::string TransportErrorText(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection: return "could not connect";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::Read: return "no complete response (reset or timed out)";
    case httplib::Error::Write: return "sending the request failed";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLServerVerification: return "TLS certificate verification failed";
    default: return httplib::to_string(error);
  }
}

SendResult PostJson(const OutboxEntry& entry, const Receiver& receiver) {
  const std::optional<Url> url = SplitUrl(entry.target);
  if (!url) return Failure(false, 0, "not an http(s) URL without credentials");
  httplib::Client client(url->origin);
  if (!client.is_valid()) return Failure(false, 0, "the URL's host or port is invalid");
  const auto timeout = static_cast<time_t>(std::max<Duration>(receiver.timeout, 1));
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  httplib::Headers headers;
  for (const auto& [name, value] : receiver.headers) {
    if (!ReservedHeader(name)) headers.emplace(name, value);
  }
  headers.emplace("Idempotency-Key", entry.idempotency_key);
  if (headers.find("User-Agent") == headers.end()) headers.emplace("User-Agent", std::string(kClientName));
  const httplib::Result res = client.Post(url->path, headers, entry.body, "application/json");
  if (!res) return Failure(true, 0, "request failed: " + TransportErrorText(res.error()));
  const int status = res->status;
  if (status >= 200 && status < 300) return Success(status);
  const bool retryable = status == 408 || status == 429 || status >= 500;
  std::string error = fmt::format("HTTP {}", status);
  const std::string body(Trim(SanitizeForTerminal(res->body)));
  if (!body.empty()) error += ": " + Limit(body, kErrorBodyMax);
  return Failure(retryable, status, std::move(error));
}

std::string ErrnoText() { return std::error_code(errno, std::generic_category()).message(); }

SendResult AppendLine(const std::string& target, const std::string& body) {
  const std::string line = body + '\n';
  if (target == "-") {
    const bool written = std::fwrite(line.data(), 1, line.size(), stdout) == line.size();
    if (!written || std::fflush(stdout) != 0) return Failure(true, 0, "writing to stdout failed");
    return Success(0);
  }
  const int fd = ::open(target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Failure(true, 0, fmt::format("open {}: {}", target, ErrnoText()));
  std::size_t done = 0;
  std::string error;
  while (done < line.size()) {
    const ssize_t n = ::write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = fmt::format("write {}: {}", target, n < 0 ? ErrnoText() : "no progress");
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && error.empty()) error = fmt::format("close {}: {}", target, ErrnoText());
  if (!error.empty()) return Failure(true, 0, std::move(error));
  return Success(0);
}

class RealTransport final : public Transport {
 public:
  SendResult Send(const OutboxEntry& entry, const Receiver& receiver) override {
    try {
      if (entry.kind == Name(ReceiverKind::kJsonl)) return AppendLine(entry.target, entry.body);
      return PostJson(entry, receiver);
    } catch (const std::exception& e) {
      return Failure(true, 0, std::string("send failed: ") + e.what());
    }
  }
};

}  // namespace

std::string_view Name(ReceiverKind k) { return kReceiverKinds[static_cast<std::size_t>(k)]; }

std::optional<ReceiverKind> ParseReceiverKind(std::string_view s) {
  for (std::size_t i = 0; i < kReceiverKinds.size(); ++i) {
    if (kReceiverKinds[i] == s) return static_cast<ReceiverKind>(i);
  }
  return std::nullopt;
}

std::vector<OutboxEntry> RenderNotification(const Notification& n, const Receiver& r, TimePoint now,
                                            const std::string& external_url) {
  if (n.resolved && !r.send_resolved) return {};
  const View v = MakeView(n, r);
  std::string key = n.id + "/" + r.name;
  std::vector<OutboxEntry> out;
  switch (r.kind) {
    case ReceiverKind::kWebhook:
      out.push_back(NewEntry(r, std::move(key), r.url, Dump(WebhookJson(n, r, v, external_url)), now));
      break;
    case ReceiverKind::kSlack:
      out.push_back(NewEntry(r, std::move(key), r.url, Dump(SlackJson(n, v, external_url)), now));
      break;
    case ReceiverKind::kPagerDuty:
      out.push_back(NewEntry(r, std::move(key), PagerDutyUrl(r), Dump(PagerDutyJson(n, r, v, external_url)), now));
      break;
    case ReceiverKind::kJsonl:
      out.push_back(
          NewEntry(r, std::move(key), r.path.empty() ? "-" : r.path, Dump(WebhookJson(n, r, v, external_url)), now));
      break;
  }
  return out;
}

OutboxEntry RenderPagerDutyAction(const Receiver& r, const std::string& dedup_key, std::string_view action,
                                  TimePoint now) {
  const std::string key = PagerDutyDedupKey(dedup_key);
  const Json event{{"routing_key", r.routing_key}, {"event_action", action}, {"dedup_key", key}};
  return NewEntry(r, fmt::format("{}/{}@{}/{}", key, action, now, r.name), PagerDutyUrl(r), Dump(event), now);
}

std::unique_ptr<Transport> MakeTransport() { return std::make_unique<RealTransport>(); }

Duration Backoff(const RetryPolicy& policy, int attempts) {
  if (attempts <= 0 || policy.initial_backoff <= 0) return 0;
  Duration delay = policy.initial_backoff;
  for (int i = 1; i < attempts && delay < policy.max_backoff; ++i) {
    delay = delay > policy.max_backoff / 2 ? policy.max_backoff : delay * 2;
  }
  return std::min(delay, policy.max_backoff);
}

Result<DeliveryReport> DeliverDue(AlertStore& store, Transport& transport,
                                  const std::map<std::string, Receiver>& receivers, const RetryPolicy& policy,
                                  TimePoint now) {
  // Every pending entry, not only the due ones: an entry waiting out its
  // backoff holds the later entries of its receiver even when they are due.
  std::vector<OutboxEntry> pending;
  SB_RETURN_IF_ERROR(store.ListOutbox(OutboxState::kPending, &pending));
  DeliveryReport report;
  std::set<std::string, std::less<>> held;
  std::map<std::string, TimePoint, std::less<>> next_by_receiver;  // its first entry left pending
  const auto wait = [&](const OutboxEntry& e) {
    ++report.waiting;
    next_by_receiver.emplace(e.receiver, e.next_attempt_at);
  };
  for (OutboxEntry& e : pending) {
    if (held.count(e.receiver) != 0) {
      wait(e);
      continue;
    }
    if (e.next_attempt_at > now) {
      held.insert(e.receiver);
      wait(e);
      continue;
    }
    const auto receiver = receivers.find(e.receiver);
    if (receiver == receivers.end()) {
      e.state = OutboxState::kDead;
      e.last_error = fmt::format("unknown receiver \"{}\"", e.receiver);
      ++report.dead;
      SB_RETURN_IF_ERROR(store.UpdateOutbox(e));
      continue;
    }
    const SendResult res = transport.Send(e, receiver->second);
    ++e.attempts;
    if (res.ok) {
      e.state = OutboxState::kDelivered;
      e.delivered_at = now;
      e.last_error.clear();
      ++report.sent;
    } else if (!res.retryable) {
      e.state = OutboxState::kDead;
      e.last_error = res.error;
      ++report.dead;
    } else if (now - e.created_at >= policy.give_up_after) {
      e.state = OutboxState::kDead;
      e.last_error = fmt::format("gave up after {}: {}", FormatDuration(now - e.created_at), res.error);
      ++report.dead;
      held.insert(e.receiver);
    } else {
      e.next_attempt_at = now + Backoff(policy, e.attempts);
      e.last_error = res.error;
      ++report.failed;
      held.insert(e.receiver);
      wait(e);
    }
    SB_RETURN_IF_ERROR(store.UpdateOutbox(e));
  }
  for (const auto& [name, at] : next_by_receiver) {
    if (!report.next_attempt || at < *report.next_attempt) report.next_attempt = at;
  }
  return report;
}

}  // namespace secbudget
