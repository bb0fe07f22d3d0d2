#pragma once
// WebSocket (RFC 6455): the opening handshake and the frame layer.

#include <uring_cannon/websocket_frame.hpp>
#include <uring_cannon/websocket_handshake.hpp>
