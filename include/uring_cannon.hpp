#pragma once
// uring_cannon: C++20 coroutines over io_uring. This header includes every public header.

#include <uring_cannon/version.hpp>

// core runtime
#include <uring_cannon/io_result.hpp>
#include <uring_cannon/or_error.hpp>
#include <uring_cannon/ring.hpp>
#include <uring_cannon/task.hpp>
#include <uring_cannon/op_table.hpp>
#include <uring_cannon/buffer_ring.hpp>
#include <uring_cannon/scheduler.hpp>
#include <uring_cannon/ops.hpp>
#include <uring_cannon/recv_stream.hpp>
#include <uring_cannon/accept_stream.hpp>

// networking
#include <uring_cannon/endpoint.hpp>
#include <uring_cannon/tcp_stream.hpp>
#include <uring_cannon/listener.hpp>
#include <uring_cannon/echo.hpp>

// protocols
#include <uring_cannon/url.hpp>
#include <uring_cannon/http_request.hpp>
#include <uring_cannon/http_response_parser.hpp>
#include <uring_cannon/http_request_parser.hpp>
#include <uring_cannon/websocket_handshake.hpp>
#include <uring_cannon/websocket_frame.hpp>
#include <uring_cannon/websocket.hpp>

// the bundled test server's serving logic
#include <uring_cannon/http_test_server.hpp>

// metrics
#include <uring_cannon/latency_histogram.hpp>
#include <uring_cannon/log_linear_histogram.hpp>

// load generation
#include <uring_cannon/load_config.hpp>
#include <uring_cannon/rate_curve.hpp>
#include <uring_cannon/load_engine.hpp>
#include <uring_cannon/cli_options.hpp>
#include <uring_cannon/load_text_report.hpp>
#include <uring_cannon/load_json_report.hpp>
#include <uring_cannon/load_thresholds.hpp>
#include <uring_cannon/load_html_report.hpp>
#include <uring_cannon/load_tui.hpp>
#include <uring_cannon/run_history.hpp>
#include <uring_cannon/run_file.hpp>
#include <uring_cannon/latency_export.hpp>
