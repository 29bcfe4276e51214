// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// What every service's own target (handlers, domain, store) builds on.
let serviceDependencies: [Target.Dependency] = [
    "ConformService",
    "ConformStorage",
    "ConformSecurity",
    "ConformDomain",
    "ConformProtos",
    .product(name: "GRPCCore", package: "grpc-swift-2"),
    .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
    .product(name: "PostgresNIO", package: "postgres-nio"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "SwiftProtobuf", package: "swift-protobuf"),
    .product(name: "Crypto", package: "swift-crypto"),
    .product(name: "NIOCore", package: "swift-nio"),
]

let package = Package(
    name: "Conform",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ConformWire", targets: ["ConformWire"]),
        .executable(name: "conform-bench", targets: ["ConformBench"]),
        .executable(name: "conform", targets: ["ConformCLI"]),
        .executable(name: "conform-requirement", targets: ["RequirementServer"]),
        .executable(name: "conform-batch", targets: ["BatchServer"]),
        .executable(name: "conform-evidence", targets: ["EvidenceServer"]),
        .executable(name: "conform-supplier", targets: ["SupplierServer"]),
        .executable(name: "conform-reporting", targets: ["ReportingServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // OTLP over gRPC only: the HTTP exporter would bring async-http-client for nothing.
        .package(url: "https://github.com/swift-otel/swift-otel.git", exact: "1.6.0", traits: ["OTLPGRPC"]),
    ],
    targets: [
        // Generated from Protos/conform/wire/v1/frames.proto: the wire's own control messages.
        .target(
            name: "ConformWireFrames",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Shared/Generated/ConformWireFrames",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Generated from every other file in Protos/: messages, service protocols and clients.
        .target(
            name: "ConformProtos",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ],
            path: "Shared/Generated/ConformProtos",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The Conform wire transport: GRPCCore client and server transports on SwiftNIO + NIOSSL.
        .target(
            name: "ConformWire",
            dependencies: [
                "ConformWireFrames",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Shared/Wire",
            swiftSettings: swiftSettings
        ),
        // Development certificate authority: issues CA, service and principal certificates.
        .target(
            name: "ConformCertificates",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Shared/Certificates",
            swiftSettings: swiftSettings
        ),
        // Serving one set of GRPCCore services over both the Conform wire and gRPC HTTP/2.
        .target(
            name: "ConformRuntime",
            dependencies: [
                "ConformWire",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Shared/Runtime",
            swiftSettings: swiftSettings
        ),
        // The conform.wire.v1 probe service: a domain-free service that exercises every call shape.
        .target(
            name: "ConformWireProbe",
            dependencies: [
                "ConformProtos",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
            ],
            path: "Shared/WireProbe",
            swiftSettings: swiftSettings
        ),
        // Domain errors, field rules and the shared vocabulary (days, evidence rules, signature manifests) of every service's domain code (no I/O).
        .target(
            name: "ConformDomain",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            path: "Shared/Domain",
            swiftSettings: swiftSettings
        ),
        // Principals, roles and customer scope from certificates; access policies.
        .target(
            name: "ConformSecurity",
            dependencies: [.product(name: "X509", package: "swift-certificates")],
            path: "Shared/Security",
            swiftSettings: swiftSettings
        ),
        // PostgreSQL: pool with bounded waits, migrations, audit trail, outbox, idempotency, provisioning.
        .target(
            name: "ConformStorage",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Shared/Storage",
            swiftSettings: swiftSettings
        ),
        // The service runtime every service runs on: configuration, interceptors, shared services, lifecycle.
        .target(
            name: "ConformService",
            dependencies: [
                "ConformRuntime",
                "ConformWire",
                "ConformSecurity",
                "ConformStorage",
                "ConformDomain",
                "ConformProtos",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Shared/Service",
            swiftSettings: swiftSettings
        ),
        // The requirement service: handlers, domain rules, store, migrations.
        .target(
            name: "RequirementService",
            dependencies: serviceDependencies,
            path: "Services/Requirement/Service",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RequirementServer",
            dependencies: ["RequirementService", "ConformService", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Services/Requirement/Main",
            swiftSettings: swiftSettings
        ),
        // The batch service: orders, batches, snapshots, compliance and release.
        .target(
            name: "BatchService",
            dependencies: serviceDependencies,
            path: "Services/Batch/Service",
            swiftSettings: swiftSettings
        ),
        // The supplier service: the ASL, supplier audits, the receiving gate and exceptions.
        .target(
            name: "SupplierService",
            dependencies: serviceDependencies,
            path: "Services/Supplier/Service",
            swiftSettings: swiftSettings
        ),
        // The reporting service: the read model fed from the other services' feeds.
        .target(
            name: "ReportingService",
            dependencies: serviceDependencies + [
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Services/Reporting/Service",
            swiftSettings: swiftSettings
        ),
        // The evidence service: items and content, signatories, e-signatures.
        .target(
            name: "EvidenceService",
            dependencies: serviceDependencies,
            path: "Services/Evidence/Service",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BatchServer",
            dependencies: ["BatchService", "ConformService", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Services/Batch/Main",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "EvidenceServer",
            dependencies: ["EvidenceService", "ConformService", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Services/Evidence/Main",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "SupplierServer",
            dependencies: ["SupplierService", "ConformService", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Services/Supplier/Main",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ReportingServer",
            dependencies: ["ReportingService", "ConformService", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Services/Reporting/Main",
            swiftSettings: swiftSettings
        ),
        // `conform`: the command-line client for people and scripts.
        .executableTarget(
            name: "ConformCLI",
            dependencies: [
                "ConformWire",
                "ConformRuntime",
                "ConformService",
                "ConformSecurity",
                "ConformStorage",
                "ConformCertificates",
                "ConformProtos",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                "ConformDomain",
            ],
            path: "Services/CLI",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ConformBench",
            dependencies: [
                "ConformWire",
                "ConformRuntime",
                "ConformWireProbe",
                "ConformProtos",
                "ConformCertificates",
                "ConformDomain",
                "ConformStorage",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Benchmarks/ConformBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConformWireTests",
            dependencies: [
                "ConformWire",
                "ConformWireFrames",
                "ConformRuntime",
                "ConformWireProbe",
                "ConformProtos",
                "ConformCertificates",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ConformWireTests",
            swiftSettings: swiftSettings
        ),
        // The runtime, storage, security and the requirement service against a real PostgreSQL
        // (dev/test.sh starts one) over real TLS sockets.
        .testTarget(
            name: "ConformServiceTests",
            dependencies: [
                "ConformService",
                "ConformStorage",
                "ConformSecurity",
                "ConformDomain",
                "ConformRuntime",
                "ConformWire",
                "ConformWireFrames",
                "ConformCertificates",
                "ConformProtos",
                "RequirementService",
                "BatchService",
                "EvidenceService",
                "SupplierService",
                "ReportingService",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/ConformServiceTests",
            swiftSettings: swiftSettings
        ),
    ]
)

// libFuzzer targets have no main (libFuzzer supplies it), so they join the package only
// for a fuzzing build: CONFORM_FUZZ=1 swift build --sanitize=fuzzer ... (README, development).
if Context.environment["CONFORM_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "FrameDecoderFuzzer",
            dependencies: [
                "ConformWire",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/Fuzz/FrameDecoderFuzzer",
            swiftSettings: swiftSettings
        )
    )
    package.products.append(.executable(name: "FrameDecoderFuzzer", targets: ["FrameDecoderFuzzer"]))
}
