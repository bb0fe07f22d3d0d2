#pragma once
// uring_cannon: C++20 coroutines over io_uring. This header includes every public header.

#include <uring_cannon/version.hpp>

// core runtime
#include <uring_cannon/io_result.hpp>
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

// metrics
#include <uring_cannon/latency_histogram.hpp>
#include <uring_cannon/log_linear_histogram.hpp>
