// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Conform",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ConformWire", targets: ["ConformWire"]),
        .executable(name: "conform-bench", targets: ["ConformBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
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
        .executableTarget(
            name: "ConformBench",
            dependencies: [
                "ConformWire",
                "ConformRuntime",
                "ConformWireProbe",
                "ConformProtos",
                "ConformCertificates",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
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
