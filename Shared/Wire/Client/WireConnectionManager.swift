import GRPCCore
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// Keeps one connection to the server open for a client: connects, replaces it when it
/// goes away, backs off between failed attempts, and hands it to calls.
///
/// A call that finds no connection waits for the attempt under way; if that attempt fails
/// it fails fast with UNAVAILABLE, unless it asked to wait for ready, in which case it
/// waits until a connection succeeds, the call's deadline passes, or the client shuts down.
final class WireConnectionManager: Sendable {
    private enum Phase {
        case idle
        case connecting
        case ready(WireClientConnection)
        case backingOff(RPCError)
        case shutdown
    }

    private struct Waiter {
        let waitForReady: Bool
        let continuation: CheckedContinuation<WireClientConnection, any Error>
    }

    private struct State {
        var phase: Phase = .idle
        var waiters: [Int: Waiter] = [:]
        var nextWaiterID = 0
        var sleeper: CheckedContinuation<Void, Never>?
        var current: WireClientConnection?
    }

    private let host: String
    private let port: Int
    private let serverHostname: String?
    private let sslContext: NIOSSLContext
    private let config: WireClientConfig
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State())

    init(host: String, port: Int, serverHostname: String?, sslContext: NIOSSLContext, config: WireClientConfig, group: any EventLoopGroup, logger: Logger) {
        self.host = host
        self.port = port
        self.serverHostname = serverHostname
        self.sslContext = sslContext
        self.config = config
        self.group = group
        self.logger = logger
    }

    private var target: String { "\(self.host):\(self.port)" }

    /// A connection for a new call.
    func connection(waitForReady: Bool) async throws -> WireClientConnection {
        enum Immediate {
            case connection(WireClientConnection)
            case failure(RPCError)
        }
        let immediate: Immediate? = self.state.withLock { state in
            switch state.phase {
            case .ready(let connection) where connection.isUsable: return .connection(connection)
            case .shutdown: return .failure(RPCError(code: .unavailable, message: "the client is shutting down; no new calls to \(self.target)"))
            case .backingOff(let error) where !waitForReady: return .failure(error)
            case .idle, .connecting, .backingOff, .ready: return nil
            }
        }
        switch immediate {
        case .connection(let connection): return connection
        case .failure(let error): throw error
        case .none: break
        }

        let id = self.state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outcome: Result<WireClientConnection, any Error>? = self.state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    switch state.phase {
                    case .ready(let connection) where connection.isUsable: return .success(connection)
                    case .shutdown: return .failure(RPCError(code: .unavailable, message: "the client is shutting down"))
                    case .backingOff(let error) where !waitForReady: return .failure(error)
                    case .idle, .connecting, .backingOff, .ready:
                        state.waiters[id] = Waiter(waitForReady: waitForReady, continuation: continuation)
                        return nil
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Runs until `shutdown()`: connects, reconnects, backs off.
    func run() async {
        var failedAttempts = 0
        while true {
            let proceed = self.state.withLock { state -> Bool in
                if case .shutdown = state.phase { return false }
                state.phase = .connecting
                return true
            }
            guard proceed else { break }

            do {
                let connection = try await WireClientConnection.establish(
                    host: self.host,
                    port: self.port,
                    sslContext: self.sslContext,
                    serverHostname: self.serverHostname,
                    config: self.config,
                    group: self.group,
                    logger: self.logger
                )
                let waiters: [Waiter]? = self.state.withLock { state in
                    if case .shutdown = state.phase { return nil }
                    state.phase = .ready(connection)
                    state.current = connection
                    defer { state.waiters.removeAll() }
                    return Array(state.waiters.values)
                }
                guard let waiters else {
                    connection.handle.execute { $0.drain(reason: "the client is shutting down") }
                    break
                }
                self.logger.debug("connected", metadata: ["target": "\(self.target)"])
                for waiter in waiters { waiter.continuation.resume(returning: connection) }
                try? await connection.unusable.get()
                self.state.withLock { state in
                    if case .ready(let current) = state.phase, current === connection {
                        state.phase = .connecting
                    }
                }
                // A server that accepts and then drops us at once must not be hammered with
                // handshakes: only a connection that lived a while resets the backoff.
                if ContinuousClock.now - connection.establishedAt < .seconds(2) {
                    failedAttempts += 1
                    await self.sleep(for: self.config.backoff.delay(forAttempt: failedAttempts))
                } else {
                    failedAttempts = 0
                }
            } catch {
                failedAttempts += 1
                let failure = RPCError(
                    code: .unavailable,
                    message: "cannot connect to the Conform service at \(self.target): \(WireConnectionHandler.explain(error))",
                    cause: error
                )
                let failFast: [Waiter] = self.state.withLock { state in
                    if case .shutdown = state.phase { return [] }
                    state.phase = .backingOff(failure)
                    let failing = state.waiters.filter { !$0.value.waitForReady }
                    for id in failing.keys { state.waiters.removeValue(forKey: id) }
                    return Array(failing.values)
                }
                for waiter in failFast { waiter.continuation.resume(throwing: failure) }
                let delay = self.config.backoff.delay(forAttempt: failedAttempts)
                self.logger.debug("connect failed; backing off", metadata: ["target": "\(self.target)", "error": "\(error)", "retry_in": "\(delay)"])
                await self.sleep(for: delay)
            }
        }

        // Shut down: let the last connection finish its calls.
        let last = self.state.withLock { $0.current }
        if let last {
            last.handle.execute { $0.drain(reason: "the client is shutting down") }
            try? await last.channel.closeFuture.get()
        }
    }

    /// Stops connecting; the current connection drains and closes; waiting calls fail.
    func shutdown() {
        let (waiters, sleeper, current): ([Waiter], CheckedContinuation<Void, Never>?, WireClientConnection?) = self.state.withLock { state in
            state.phase = .shutdown
            defer {
                state.waiters.removeAll()
                state.sleeper = nil
            }
            return (Array(state.waiters.values), state.sleeper, state.current)
        }
        let error = RPCError(code: .unavailable, message: "the client is shutting down")
        for waiter in waiters { waiter.continuation.resume(throwing: error) }
        sleeper?.resume()
        current?.handle.execute { $0.drain(reason: "the client is shutting down") }
    }

    private func sleep(for delay: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = self.state.withLock { state -> Bool in
                if case .shutdown = state.phase { return true }
                state.sleeper = continuation
                return false
            }
            if resumeNow {
                continuation.resume()
                return
            }
            self.group.any().scheduleTask(in: TimeAmount(delay)) {
                let sleeper = self.state.withLock { state in
                    defer { state.sleeper = nil }
                    return state.sleeper
                }
                sleeper?.resume()
            }
        }
    }
}
