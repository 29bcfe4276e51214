import BatchService
import ConformProtos
import ConformService
import ConformWire
import ConformDomain
import Crypto
import EvidenceService
import Foundation
import Synchronization
import GRPCCore
import ReportingService
import RequirementService
import SupplierService

typealias BatchClient = Conform_Batch_V1_BatchService.Client<ConformWireClientTransport>
typealias EvidenceClient = Conform_Evidence_V1_EvidenceService.Client<ConformWireClientTransport>
typealias SupplierClient = Conform_Supplier_V1_SupplierService.Client<ConformWireClientTransport>

/// The requirement, batch, evidence and supplier services running together in this process,
/// each with its own certificate and database, calling each other over the wire.
struct ServiceStack: Sendable {
    let requirement: RunningService
    let batch: RunningService
    let evidence: RunningService
    let supplier: RunningService
    /// Running only when the stack was asked for it.
    let reporting: RunningService?

    func suppliers<Result: Sendable>(as name: String = "quality-manager", _ body: (SupplierClient) async throws -> Result) async throws -> Result {
        try await self.supplier.withClient(tls: try ServicePKI.shared().principal(name).wireClient()) { client in
            try await body(SupplierClient(wrapping: client))
        }
    }

    func batches<Result: Sendable>(as name: String = "operator", _ body: (BatchClient) async throws -> Result) async throws -> Result {
        try await self.batch.withClient(tls: try ServicePKI.shared().principal(name).wireClient()) { client in
            try await body(BatchClient(wrapping: client))
        }
    }

    func evidence<Result: Sendable>(as name: String = "operator", _ body: (EvidenceClient) async throws -> Result) async throws -> Result {
        try await self.evidence.withClient(tls: try ServicePKI.shared().principal(name).wireClient()) { client in
            try await body(EvidenceClient(wrapping: client))
        }
    }
}

/// Runs the four services for `body`, then drains them. Their ports are chosen before they
/// start, since each must know the others'; if another process takes one first, the stack
/// starts again on others.
func withServiceStack<Result: Sendable>(
    suite: String,
    reporting: Bool = false,
    reportingSettings: [String: String] = [:],
    batchSettings: [String: String] = [:],
    evidenceSettings: [String: String] = [:],
    _ body: (ServiceStack) async throws -> Result
) async throws -> Result {
    var attempt = 1
    while true {
        do {
            return try await startServiceStack(suite: "\(suite)\(attempt > 1 ? "_\(attempt)" : "")", reporting: reporting, reportingSettings: reportingSettings, batchSettings: batchSettings, evidenceSettings: evidenceSettings, body)
        } catch let error as PortTaken where attempt < 3 {
            FileHandle.standardError.write(Data("stack \(suite): \(error), starting again\n".utf8))
            attempt += 1
        }
    }
}

/// A service could not listen on its pre-chosen port.
struct PortTaken: Error, CustomStringConvertible {
    let description: String
}

private func startServiceStack<Result: Sendable>(
    suite: String,
    reporting withReporting: Bool,
    reportingSettings: [String: String],
    batchSettings: [String: String],
    evidenceSettings: [String: String],
    _ body: (ServiceStack) async throws -> Result
) async throws -> Result {
    let pki = try ServicePKI.shared()
    let ports = try FreePorts.take(5)
    let addresses: [PeerService: PeerAddress] = [
        .requirement: PeerAddress(host: "127.0.0.1", port: ports[0]),
        .batch: PeerAddress(host: "127.0.0.1", port: ports[1]),
        .evidence: PeerAddress(host: "127.0.0.1", port: ports[2]),
        .supplier: PeerAddress(host: "127.0.0.1", port: ports[3]),
    ]
    var started = false
    do {
        return try await withRequirementService(suite: suite, wirePort: ports[0], tls: pki.services["requirement"]) { requirement in
            try await withRequirementService(
                suite: suite, definition: .batch, wirePort: ports[1], peerAddresses: addresses, tls: pki.services["batch"],
                environment: batchSettings
            ) { batch in
                try await withRequirementService(
                    suite: suite, definition: .evidence, wirePort: ports[2], peerAddresses: addresses, tls: pki.services["evidence"],
                    environment: evidenceSettings
                ) { evidence in
                    try await withRequirementService(
                        suite: suite, definition: .supplier, wirePort: ports[3], peerAddresses: addresses, tls: pki.services["supplier"]
                    ) { supplier in
                        guard withReporting else {
                            started = true
                            return try await body(ServiceStack(requirement: requirement, batch: batch, evidence: evidence, supplier: supplier, reporting: nil))
                        }
                        return try await withRequirementService(
                            suite: suite, definition: .reporting, wirePort: ports[4], peerAddresses: addresses, tls: pki.services["reporting"],
                            environment: reportingSettings
                        ) { reporting in
                            started = true
                            return try await body(
                                ServiceStack(requirement: requirement, batch: batch, evidence: evidence, supplier: supplier, reporting: reporting)
                            )
                        }
                    }
                }
            }
        }
    } catch where !started && "\(error)".contains("cannot listen") {
        throw PortTaken(description: "a port of \(ports) was taken: \(error)")
    }
}

/// Ports that are free now, chosen below the kernel's ephemeral range (32768 and up), where
/// neither outgoing connections nor other services' port-0 listeners land.
enum FreePorts {
    /// Every port handed out in this test process: a suite that stops a service and starts it
    /// again on its port must not find another suite's service there.
    private static let handedOut = Mutex(Set<Int>())

    static func take(_ count: Int) throws -> [Int] {
        var ports: [Int] = []
        while ports.count < count {
            let port = Int.random(in: 20_000..<32_000)
            guard !ports.contains(port), Self.isFree(port) else { continue }
            if Self.handedOut.withLock({ $0.insert(port).inserted }) { ports.append(port) }
        }
        return ports
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// A signer's own P-256 key, as `conform signatory keygen` makes one.
struct SigningKey: Sendable {
    private let raw: Data
    let publicKeyPEM: String

    init() {
        let key = P256.Signing.PrivateKey()
        self.raw = key.rawRepresentation
        self.publicKeyPEM = key.publicKey.pemRepresentation
    }

    /// The manifest for `target` with `digest`, signed now.
    func sign(
        target: String, digest: String, meaning: SignatureMeaning, signer: String, printedName: String,
        at micros: Int64 = Int64(Date().timeIntervalSince1970 * 1_000_000)
    ) throws -> (manifest: String, signature: Data) {
        let manifest = SignatureManifest(target: target, digest: digest, meaning: meaning, signer: signer, printedName: printedName, signedAtMicros: micros)
        let signature = try P256.Signing.PrivateKey(rawRepresentation: self.raw).signature(for: Data(manifest.text.utf8))
        return (manifest.text, signature.derRepresentation)
    }
}

extension ServiceStack {
    /// Runs the `conform` CLI against these services, as the principals in `tls`.
    func conform(tls: String, _ arguments: String...) async throws -> ProcessRunner.Result {
        try await ProcessRunner.run(
            CLITests.binary,
            arguments,
            environment: [
                "CONFORM_TLS_DIR": tls,
                "CONFORM_REQUIREMENT_ADDRESS": "127.0.0.1:\(self.requirement.wirePort)",
                "CONFORM_BATCH_ADDRESS": "127.0.0.1:\(self.batch.wirePort)",
                "CONFORM_EVIDENCE_ADDRESS": "127.0.0.1:\(self.evidence.wirePort)",
                "CONFORM_SUPPLIER_ADDRESS": "127.0.0.1:\(self.supplier.wirePort)",
                "CONFORM_REPORTING_ADDRESS": "127.0.0.1:\(self.reporting?.wirePort ?? 1)",
            ]
        )
    }
}
