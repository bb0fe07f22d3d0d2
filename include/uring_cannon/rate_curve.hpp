#pragma once
// The open-loop rate over time: --rate N holds N requests per second; --ramp and rate schedules
// (--rate 1000:20000:30s, --rate 1000@10s,2000@10s,4000) move it linearly or in steps first.

#include <uring_cannon/load_config.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace uring_cannon {

/// Open loop: when the g-th request of the whole run (counting from 0) is meant to go, measured
/// from the start of the schedule. The rate runs through `steps` in order (each linear from its
/// `from` to its `to`), then holds at `rate`; g requests are due once the area under the rate
/// curve reaches g.
class rate_curve {
 public:
  rate_curve() = default;
  rate_curve(double rate, std::vector<rate_step> steps) : rate_(rate) {
    for (const auto& step : steps) {
      const double length = std::chrono::duration<double>(step.length).count();
      pieces_.push_back({step.from, step.to, length, (step.from + step.to) / 2 * length});
    }
  }

  /// The requests due in the first `t` seconds (the area under the curve).
  double requests_by(double t) const noexcept {
    double total = 0;
    for (const piece& p : pieces_) {
      if (t < p.length) return total + p.from * t + (p.to - p.from) / (2 * p.length) * t * t;
      total += p.area;
      t -= p.length;
    }
    return total + rate_ * t;
  }

  /// Seconds from the start at which request `g` is due.
  double time_of(double g) const noexcept {
    double start = 0;
    for (const piece& p : pieces_) {
      if (g < p.area) {
        // rate(t) = from + (to - from) t / length, so the area is from t + a t^2 with
        // a = (to - from) / (2 length): t = 2g / (from + sqrt(from^2 + 4 a g)), stable for a of
        // either sign and for from = 0.
        const double a = (p.to - p.from) / (2 * p.length);
        const double root = std::sqrt(std::max(0.0, p.from * p.from + 4 * a * g));
        return start + (p.from + root > 0 ? 2 * g / (p.from + root) : 0);
      }
      g -= p.area;
      start += p.length;
    }
    return start + g / rate_;
  }

 private:
  struct piece {
    double from, to, length, area;
  };
  double rate_ = 0;
  std::vector<piece> pieces_;
};

/// The rate curve a configuration asks for (prepare_load() has turned an open-loop --ramp into
/// the schedule's first piece).
inline rate_curve make_rate_curve(const load_config& c) { return rate_curve(c.rate, c.rate_schedule); }

}  // namespace uring_cannon
