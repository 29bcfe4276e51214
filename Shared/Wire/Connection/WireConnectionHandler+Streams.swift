import ConformWireFrames
import GRPCCore
import NIOCore

/// Stream-level frames: opening, messages, half-close, trailers, reset and credit.
extension WireConnectionHandler {
    // MARK: Server side

    func receiveRequestHeaders(_ frame: Frame, peerSettings: PeerSettings) throws {
        guard case .server(let accepted) = self.role else { return }
        let id = frame.streamID
        guard id > self.lastStreamID else {
            throw WireProtocolError(.protocolError, "stream id \(id) is not above the last one opened (\(self.lastStreamID)); ids must increase")
        }
        self.lastStreamID = id
        if self.state == .draining {
            self.writeReset(id, code: .unavailable, "the server is shutting down and did not process this call; retry on a new connection")
            return
        }
        // Open streams count against the advertised limit, which is what a client can see.
        // Handlers still running for streams that already ended (reset, past their deadline,
        // or just answered) count against a hard cap of twice that, so RESET cannot be used
        // to start unbounded work.
        guard self.streams.count < self.config.maxConcurrentStreams,
            self.runningHandlers < 2 * self.config.maxConcurrentStreams
        else {
            self.writeReset(id, code: .resourceExhausted, "this server allows at most \(self.config.maxConcurrentStreams) concurrent calls per connection")
            return
        }
        let headers = try Conform_Wire_V1_RequestHeaders(serializedBytes: Array(frame.payload.readableBytesView))
        let metadata = try Metadata(wireEntries: headers.metadata)
        guard let descriptor = Self.methodDescriptor(headers.method) else {
            self.writeReset(id, code: .unimplemented, "'\(headers.method.prefix(200))' is not a method path of the form /package.Service/Method")
            return
        }

        let (parts, continuation) = AsyncThrowingStream.makeStream(of: RPCRequestPart<WireBytes>.self)
        let flow = OutboundFlow(window: peerSettings.initialStreamWindow, writable: self.context?.channel.isWritable ?? true)
        let stream = WireStream(inbound: .server(continuation), flow: flow, receiveWindow: self.config.initialStreamWindow)
        stream.id = id
        stream.method = headers.method
        self.streams[id] = stream
        self.updateIdleTimer()
        continuation.yield(.metadata(metadata))

        if headers.timeoutMicros > 0, let loopBound = self.loopBound {
            let timeout = Duration.microseconds(Int64(clamping: headers.timeoutMicros))
            stream.deadlineTimer = loopBound.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                loopBound.value.deadlineExpired(stream, timeout: timeout)
            }
        }

        let handle = self.handle
        let inbound = InboundParts(
            parts: parts,
            creditThreshold: max(1, self.config.initialStreamWindow / 2),
            returnCredit: { bytes in handle.execute { $0.returnCredit(stream, bytes) } }
        )
        let writer = WireServerStreamWriter(stream: stream, connection: handle, maxMessageSize: peerSettings.maxFrameSize)
        let delivery = accepted.yield(
            AcceptedStream(
                stream: RPCStream(
                    descriptor: descriptor,
                    inbound: RPCAsyncSequence(wrapping: inbound),
                    outbound: RPCWriter.Closable(wrapping: writer)
                ),
                wireStream: stream,
                remotePeer: self.remotePeer,
                localPeer: self.localPeer,
                peer: WirePeerContext(peerCertificate: self.peerCertificate)
            )
        )
        if case .enqueued = delivery {
            self.runningHandlers += 1
        } else {
            // The listener is gone (its task was cancelled): nobody will run this call.
            let error = RPCError(code: .unavailable, message: "the server is not accepting calls on this connection")
            self.writeReset(id, code: .unavailable, error.message)
            self.endStream(stream, inboundError: error, serverCancelled: false)
        }
    }

    /// The handler task for `stream` has returned.
    func handlerFinished(_ stream: WireStream) {
        self.runningHandlers -= 1
        self.finishServerStream(stream, error: nil)
    }

    /// Links the handler's cancellation handle to the stream, which may have been
    /// cancelled already while the call was being scheduled.
    func attachCancellation(_ stream: WireStream, _ handle: ServerContext.RPCCancellationHandle) {
        if stream.cancelRequested {
            handle.cancel()
        } else {
            stream.cancellation = handle
        }
    }

    private func deadlineExpired(_ stream: WireStream, timeout: Duration) {
        stream.deadlineTimer = nil
        guard self.isOpen(stream), !stream.localClosed else { return }
        let message = "the call's deadline of \(timeout) passed before the server finished it"
        self.writeTrailers(stream.id, status: Status(code: .deadlineExceeded, message: message), metadata: [:])
        stream.localClosed = true
        self.endStream(stream, inboundError: RPCError(code: .deadlineExceeded, message: message), serverCancelled: true)
    }

    func sendResponseHeaders(_ stream: WireStream, _ metadata: Metadata) {
        guard self.isOpen(stream), !stream.localClosed else { return }
        var headers = Conform_Wire_V1_ResponseHeaders()
        headers.metadata = metadata.wireEntries
        if !self.writeControl(.headers, streamID: stream.id, headers) {
            self.refuseOversizeMetadata(stream, what: "response headers")
        }
    }

    func sendTrailers(_ stream: WireStream, _ status: Status, _ metadata: Metadata) {
        guard self.isOpen(stream), !stream.localClosed else { return }
        guard self.writeTrailers(stream.id, status: status, metadata: metadata) else {
            self.refuseOversizeMetadata(stream, what: "trailers")
            return
        }
        stream.localClosed = true
        self.endStream(stream, inboundError: nil, serverCancelled: false)
    }

    /// Metadata larger than the client accepts in a frame ends the call, not the connection.
    private func refuseOversizeMetadata(_ stream: WireStream, what: String) {
        let limit = self.peerSettings?.maxFrameSize ?? 0
        let error = RPCError(code: .internalError, message: "the server's \(what) exceed the client's maximum frame size of \(limit) bytes")
        self.logger.warning("oversize metadata", metadata: ["method": "\(stream.method)", "what": "\(what)"])
        self.writeReset(stream.id, code: error.code, error.message)
        self.endStream(stream, inboundError: error, serverCancelled: true)
    }

    /// The handler is done with the stream. Normally trailers went out already; if not,
    /// the client must not wait forever, so it gets a RESET saying why.
    func finishServerStream(_ stream: WireStream, error: (any Error)?) {
        guard self.isOpen(stream) else { return }
        let rpcError = (error as? RPCError) ?? RPCError(code: .internalError, message: "the server ended the call without a status")
        self.writeReset(stream.id, code: rpcError.code, rpcError.message)
        self.endStream(stream, inboundError: rpcError, serverCancelled: true)
    }

    @discardableResult
    private func writeTrailers(_ id: UInt32, status: Status, metadata: Metadata) -> Bool {
        var trailers = Conform_Wire_V1_Trailers()
        trailers.code = Int32(status.code.rawValue)
        trailers.message = status.message.truncatedForWire
        trailers.metadata = metadata.wireEntries
        return self.writeControl(.trailers, streamID: id, trailers)
    }

    // MARK: Client side

    /// Opens a client stream on the wire. Fails it at once if the connection stopped
    /// taking calls after the caller picked it.
    func openClientStream(_ stream: WireStream, headers: ByteBuffer) {
        guard stream.id == 0, !stream.ended else { return }
        guard self.state == .active else {
            let reason = self.closeReason ?? "it is closing"
            self.endUnopened(stream, RPCError(code: .unavailable, message: "the connection to \(self.remotePeer) stopped taking new calls (\(reason)); retry"))
            return
        }
        guard self.lastStreamID < UInt32(Int32.max) else {
            self.drain(reason: "stream ids exhausted on this connection")
            self.endUnopened(stream, RPCError(code: .unavailable, message: "this connection has used all its stream ids; retry on a new one"))
            return
        }
        if let limit = self.peerSettings?.maxConcurrentStreams, self.streams.count >= limit {
            // Waits its turn here; its writer waits too, as its flow is not open yet.
            stream.queuedHeaders = headers
            self.queuedStreams.append(stream)
            return
        }
        self.putOnWire(stream, headers: headers)
    }

    private func putOnWire(_ stream: WireStream, headers: ByteBuffer) {
        self.lastStreamID += 1
        stream.id = self.lastStreamID
        stream.queuedHeaders = nil
        self.streams[stream.id] = stream
        self.writeFrame(.headers, streamID: stream.id, payload: headers)
        stream.flow.markOpen()
        if stream.halfCloseWhenOpened {
            self.halfClose(stream)
        }
    }

    /// Client: opens queued streams while the server's limit allows.
    private func openQueuedStreams() {
        guard self.state == .active else { return }
        let limit = self.peerSettings?.maxConcurrentStreams ?? Int.max
        while self.streams.count < limit, let next = self.queuedStreams.popFirst() {
            guard let headers = next.queuedHeaders else { continue }
            self.putOnWire(next, headers: headers)
        }
    }

    /// Client: queued streams cannot open on this connection any more.
    func failQueuedStreams(_ error: RPCError) {
        while let stream = self.queuedStreams.popFirst() {
            stream.queuedHeaders = nil
            self.endUnopened(stream, error)
        }
    }

    func halfClose(_ stream: WireStream) {
        if stream.id == 0, stream.queuedHeaders != nil {
            stream.halfCloseWhenOpened = true
            return
        }
        guard self.isOpen(stream), !stream.localClosed else { return }
        stream.localClosed = true
        self.writeFrame(.halfClose, streamID: stream.id, payload: ByteBuffer())
    }

    /// The caller is done with the call. If the server has not finished it, cancel it
    /// there; the caller's reader sees `error` (the reason the caller gave up) if given.
    func abandonClientStream(_ stream: WireStream, reason: String, error: RPCError? = nil) {
        let localError = error ?? RPCError(code: .cancelled, message: reason)
        if stream.id == 0 {
            if stream.queuedHeaders != nil {
                stream.queuedHeaders = nil
                if let index = self.queuedStreams.firstIndex(where: { $0 === stream }) {
                    self.queuedStreams.remove(at: index)
                }
            }
            self.endUnopened(stream, localError)
            return
        }
        guard self.isOpen(stream) else { return }
        self.writeReset(stream.id, code: .cancelled, reason)
        self.endStream(stream, inboundError: localError, serverCancelled: false)
    }

    private func endUnopened(_ stream: WireStream, _ error: RPCError) {
        stream.ended = true
        stream.finishInbound(throwing: error)
        stream.flow.fail(error)
    }

    // MARK: Either side

    func sendMessage(_ stream: WireStream, _ payload: ByteBuffer) {
        guard self.isOpen(stream), !stream.localClosed else { return }
        self.writeFrame(.message, streamID: stream.id, payload: payload)
    }

    func returnCredit(_ stream: WireStream, _ bytes: Int) {
        guard self.isOpen(stream), !stream.remoteClosed else { return }
        stream.receiveWindow += bytes
        var update = Conform_Wire_V1_WindowUpdate()
        update.increment = UInt32(clamping: bytes)
        self.writeControl(.windowUpdate, streamID: stream.id, update)
    }

    func receiveResponseHeaders(_ frame: Frame) throws {
        guard let stream = self.streams[frame.streamID] else { return try self.checkClosedStream(frame) }
        let headers = try Conform_Wire_V1_ResponseHeaders(serializedBytes: Array(frame.payload.readableBytesView))
        if case .client(let continuation) = stream.inbound {
            continuation.yield(.metadata(try Metadata(wireEntries: headers.metadata)))
        }
    }

    func receiveMessage(_ frame: Frame) throws {
        guard let stream = self.streams[frame.streamID] else { return try self.checkClosedStream(frame) }
        guard !stream.remoteClosed else {
            throw WireProtocolError(.protocolError, "MESSAGE on stream \(frame.streamID) after the peer ended its side")
        }
        guard stream.receiveWindow > 0 else {
            throw WireProtocolError(.flowControlError, "MESSAGE on stream \(frame.streamID) while its window was exhausted (\(stream.receiveWindow) bytes)")
        }
        stream.receiveWindow -= frame.payload.readableBytes
        let bytes = WireBytes(frame.payload)
        switch stream.inbound {
        case .server(let continuation): continuation.yield(.message(bytes))
        case .client(let continuation): continuation.yield(.message(bytes))
        }
    }

    func receiveHalfClose(_ frame: Frame) throws {
        guard self.isServer else {
            throw WireProtocolError(.protocolError, "HALF_CLOSE is sent by clients only")
        }
        guard let stream = self.streams[frame.streamID] else { return try self.checkClosedStream(frame) }
        stream.remoteClosed = true
        stream.finishInbound()
    }

    func receiveTrailers(_ frame: Frame) throws {
        guard !self.isServer else {
            throw WireProtocolError(.protocolError, "TRAILERS are sent by servers only")
        }
        guard let stream = self.streams[frame.streamID] else { return try self.checkClosedStream(frame) }
        let trailers = try Conform_Wire_V1_Trailers(serializedBytes: Array(frame.payload.readableBytesView))
        let code = Status.Code(rawValue: Int(trailers.code)) ?? .unknown
        let metadata = try Metadata(wireEntries: trailers.metadata)
        if case .client(let continuation) = stream.inbound {
            continuation.yield(.status(Status(code: code, message: trailers.message), metadata))
        }
        stream.remoteClosed = true
        self.endStream(stream, inboundError: nil, serverCancelled: false)
    }

    func receiveReset(_ frame: Frame) throws {
        guard let stream = self.streams[frame.streamID] else { return try self.checkClosedStream(frame) }
        let reset = try Conform_Wire_V1_Reset(serializedBytes: Array(frame.payload.readableBytesView))
        let code = Status.Code(rawValue: Int(reset.code)).flatMap { RPCError.Code($0) } ?? .unknown
        let who = self.isServer ? "client" : "server"
        let message = reset.message.isEmpty ? "the \(who) cancelled the call" : reset.message
        self.endStream(stream, inboundError: RPCError(code: code, message: message), serverCancelled: true)
    }

    func receiveWindowUpdate(_ frame: Frame) throws {
        let update = try Conform_Wire_V1_WindowUpdate(serializedBytes: Array(frame.payload.readableBytesView))
        guard update.increment > 0 else {
            throw WireProtocolError(.protocolError, "WINDOW_UPDATE on stream \(frame.streamID) grants nothing")
        }
        guard let stream = self.streams[frame.streamID] else { return try self.checkClosedStream(frame) }
        guard stream.flow.grant(Int(update.increment)) else {
            throw WireProtocolError(.flowControlError, "WINDOW_UPDATE on stream \(frame.streamID) takes its window past \(OutboundFlow.maximumWindow) bytes")
        }
    }

    /// Frames for a stream that already ended are expected (they crossed our RESET or
    /// TRAILERS); frames for one that never existed are a protocol error.
    private func checkClosedStream(_ frame: Frame) throws {
        guard frame.streamID <= self.lastStreamID else {
            throw WireProtocolError(.protocolError, "\(frame.type) for stream \(frame.streamID), which was never opened")
        }
    }

    func isOpen(_ stream: WireStream) -> Bool {
        stream.id != 0 && self.streams[stream.id] === stream
    }

    func writeReset(_ id: UInt32, code: RPCError.Code, _ message: String) {
        var reset = Conform_Wire_V1_Reset()
        reset.code = Int32(Status.Code(code).rawValue)
        reset.message = message.truncatedForWire
        self.writeControl(.reset, streamID: id, reset)
    }

    /// Forgets a stream: ends what its reader sees, fails its writer, and on the server
    /// optionally cancels the handler still running for it.
    func endStream(_ stream: WireStream, inboundError: (any Error)?, serverCancelled: Bool) {
        stream.ended = true
        if stream.id != 0, self.streams[stream.id] === stream {
            self.streams.removeValue(forKey: stream.id)
        }
        stream.deadlineTimer?.cancel()
        stream.deadlineTimer = nil
        stream.finishInbound(throwing: inboundError)
        stream.flow.fail(inboundError ?? RPCError(code: .failedPrecondition, message: "the call has already finished"))
        if serverCancelled {
            if let cancellation = stream.cancellation {
                cancellation.cancel()
            } else {
                stream.cancelRequested = true
            }
        }
        if !self.isServer {
            self.openQueuedStreams()
        }
        self.updateIdleTimer()
        self.closeIfDrained()
    }

    static func methodDescriptor(_ path: String) -> MethodDescriptor? {
        guard path.first == "/" else { return nil }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return MethodDescriptor(fullyQualifiedService: String(parts[0]), method: String(parts[1]))
    }
}
