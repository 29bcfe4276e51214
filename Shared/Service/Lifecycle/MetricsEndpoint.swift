public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
public import Prometheus
public import ServiceLifecycle

/// Serves the Prometheus text format at `GET /metrics` over plain HTTP, for scrapers on
/// the operations network. Anything else gets 404.
public struct MetricsEndpoint: Service {
    private let host: String
    private let port: Int
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let onBound: @Sendable (Int) -> Void

    public init(host: String, port: Int, registry: PrometheusCollectorRegistry, logger: Logger, onBound: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.registry = registry
        self.logger = logger
        self.onBound = onBound
    }

    public func run() async throws {
        let registry = self.registry
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(registry: registry))
                }
            }
            .bind(host: self.host, port: self.port)
            .get()
        let bound = channel.localAddress?.port ?? self.port
        self.logger.info("metrics endpoint listening", metadata: ["address": "http://\(self.host):\(bound)/metrics"])
        self.onBound(bound)
        try? await gracefulShutdown()
        try await channel.close()
    }
}

/// Answers each request with the registry's current text, or 404.
private final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var head: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            let found = head.method == .GET && (head.uri == "/metrics" || head.uri.hasPrefix("/metrics?"))
            let body = found ? self.registry.emitToBuffer() : Array("not found; metrics are at /metrics\n".utf8)
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
            headers.add(name: "content-length", value: "\(body.count)")
            let response = HTTPResponseHead(version: head.version, status: found ? .ok : .notFound, headers: headers)
            context.write(self.wrapOutboundOut(.head(response)), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            let keepAlive = head.isKeepAlive
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { channel.close(promise: nil) }
            }
        }
    }
}
