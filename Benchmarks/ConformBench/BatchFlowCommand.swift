import ArgumentParser
import ConformDomain
import ConformProtos
import ConformRuntime
import ConformWire
import Crypto
import Foundation
import GRPCCore
import Histogram
import Synchronization

/// End to end through the running system (dev/start.sh): batches created, evidence attached,
/// signed and released per second; then one large upload's throughput and the evidence
/// service's memory growth.
struct BatchFlowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batches",
        abstract: "Measure batches created, evidence attached and released per second, and a large upload, against dev/start.sh's system.",
        discussion: """
            Needs the demo data (customer D orders ABC; inspector and quality-manager registered as signatories with \
            signing keys in the TLS folder), which 'dev/start.sh' loads. Each flow: create a batch for D, attach a \
            PDF, the certified inspector signs the record, the quality manager releases it (signed).
            """
    )

    @Option(help: "Batch flows to run.") var batches = 200
    @Option(help: "Flows in flight at once.") var concurrency = 8
    @Option(help: "Size of the large upload in MiB (0 to skip).") var uploadMib = 200
    @Option(help: "The TLS folder with the principals' certificates and signing keys.") var tlsDir = ".conform/tls"
    @Option(help: "The evidence service's pid file, to read its memory.") var evidencePidFile = ".conform/run/evidence.pid"
    @Option(help: "The host the services listen on.") var host = "127.0.0.1"

    func run() async throws {
        let run = String(UInt32.random(in: 0 ... .max), radix: 36).uppercased()
        let operatorTLS = try self.identity("operator")
        let inspectorTLS = try self.identity("inspector")
        let managerTLS = try self.identity("quality-manager")
        let inspectorKey = try self.signingKey("inspector")
        let managerKey = try self.signingKey("quality-manager")
        print("Batch flows: \(self.batches) with \(self.concurrency) in flight (run \(run))")
        let stages = ["create", "attach", "sign", "release"]
        let histograms = StageTimes(stages)
        let pdf = Data("%PDF-1.4\n% Conform benchmark inspection record\n%%EOF\n".utf8)
        let started = ContinuousClock.now
        try await self.withClients(operatorTLS, inspectorTLS, managerTLS) { batch, evidence, inspectorEvidence, managerBatch in
            let inspector = try await evidence.getSignatory(.with { $0.principal = "inspector" })
            let manager = try await evidence.getSignatory(.with { $0.principal = "quality-manager" })
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = 0
                let flow: @Sendable (Int) async throws -> Void = { index in
                    let number = "BENCH-\(run)-\(index)"
                    func timed<T>(_ stage: String, _ body: () async throws -> T) async throws -> T {
                        let start = ContinuousClock.now
                        let result = try await body()
                        histograms.record(stage, ContinuousClock.now - start)
                        return result
                    }
                    let created = try await timed("create") {
                        try await batch.createBatch(.with {
                            $0.number = number; $0.product = "ABC"; $0.customer = "D"; $0.manufactureDate = "2025-03-10"; $0.quantity = 10
                        })
                    }
                    _ = try await timed("attach") {
                        try await evidence.upload { writer in
                            try await writer.write(.with {
                                $0.header = .with { $0.batch = number; $0.kind = .document; $0.type = "inspection-record"; $0.mediaType = "application/pdf" }
                            })
                            try await writer.write(.with { $0.chunk = pdf })
                        }
                    }
                    _ = try await timed("sign") {
                        let (manifest, signature) = try Self.sign(inspectorKey, target: "batch:\(number)", digest: created.recordDigest, meaning: .approved, signatory: inspector)
                        return try await inspectorEvidence.sign(.with { $0.manifest = manifest; $0.signature = signature })
                    }
                    _ = try await timed("release") {
                        let (manifest, signature) = try Self.sign(managerKey, target: "batch:\(number)", digest: created.recordDigest, meaning: .approved, signatory: manager)
                        return try await managerBatch.release(.with { $0.number = number; $0.manifest = manifest; $0.signature = signature })
                    }
                }
                while next < min(self.concurrency, self.batches) {
                    let index = next
                    group.addTask { try await flow(index) }
                    next += 1
                }
                while try await group.next() != nil {
                    if next < self.batches {
                        let index = next
                        group.addTask { try await flow(index) }
                        next += 1
                    }
                }
            }
        }
        let elapsed = Self.seconds(ContinuousClock.now - started)
        print(String(format: "  %.1f batch flows/s (each: created, evidence attached, signed, released) in %.1f s", Double(self.batches) / elapsed, elapsed))
        for stage in stages {
            let (p50, p99) = histograms.percentiles(stage)
            print("  \(stage.padding(toLength: 8, withPad: " ", startingAt: 0)) p50 \(String(format: "%6.1f", p50)) ms  p99 \(String(format: "%6.1f", p99)) ms")
        }
        if self.uploadMib > 0 { try await self.largeUpload(run: run, tls: operatorTLS) }
    }

    /// One large upload: throughput, and how much the evidence service's memory grew.
    private func largeUpload(run: String, tls: ServiceTLS) async throws {
        let number = "BENCH-\(run)-UPLOAD"
        let pid = (try? String(contentsOfFile: self.evidencePidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let chunk = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var first = Data("%PDF-1.7\n".utf8)
        first.append(chunk.prefix(chunk.count - first.count))
        let head = first
        let chunks = self.uploadMib
        let rssBefore = pid.flatMap(Self.residentKiB)
        let sampler = Task {
            var peak = rssBefore ?? 0
            while !Task.isCancelled {
                if let now = pid.flatMap(Self.residentKiB) { peak = max(peak, now) }
                try? await Task.sleep(for: .milliseconds(100))
            }
            return peak
        }
        let start = ContinuousClock.now
        try await self.withClients(tls, tls, tls) { batch, evidence, _, _ in
            _ = try await batch.createBatch(.with { $0.number = number; $0.product = "ABC"; $0.customer = "D"; $0.manufactureDate = "2025-03-10"; $0.quantity = 1 })
            var options = CallOptions.defaults
            options.timeout = .seconds(600)
            _ = try await evidence.upload(options: options) { writer in
                try await writer.write(.with {
                    $0.header = .with { $0.batch = number; $0.kind = .document; $0.type = "inspection-record"; $0.mediaType = "application/pdf"; $0.fileName = "large.pdf" }
                })
                for index in 0..<chunks { try await writer.write(.with { $0.chunk = index == 0 ? head : chunk }) }
            }
        }
        let elapsed = Self.seconds(ContinuousClock.now - start)
        sampler.cancel()
        let peak = await sampler.value
        print(String(format: "Upload of %d MiB: %.1f s, %.1f MiB/s", chunks, elapsed, Double(chunks) / elapsed))
        if let before = rssBefore {
            print("  evidence service resident memory: \(before / 1024) MiB before, peak \(peak / 1024) MiB (+\((peak - before) / 1024) MiB)")
        } else {
            print("  (no evidence pid file at \(self.evidencePidFile): memory not measured)")
        }
    }

    private static func sign(
        _ key: Data, target: String, digest: String, meaning: SignatureMeaning, signatory: Conform_Evidence_V1_Signatory
    ) throws -> (String, Data) {
        let manifest = SignatureManifest(
            target: target, digest: digest, meaning: meaning, signer: signatory.principal, printedName: signatory.printedName,
            signedAtMicros: Int64(Date().timeIntervalSince1970 * 1_000_000)
        )
        let signer = try P256.Signing.PrivateKey(rawRepresentation: key)
        return (manifest.text, try signer.signature(for: Data(manifest.text.utf8)).derRepresentation)
    }

    private func withClients(
        _ operatorTLS: ServiceTLS, _ inspectorTLS: ServiceTLS, _ managerTLS: ServiceTLS,
        _ body: (
            Conform_Batch_V1_BatchService.Client<ConformWireClientTransport>,
            Conform_Evidence_V1_EvidenceService.Client<ConformWireClientTransport>,
            Conform_Evidence_V1_EvidenceService.Client<ConformWireClientTransport>,
            Conform_Batch_V1_BatchService.Client<ConformWireClientTransport>
        ) async throws -> Void
    ) async throws {
        let batchTransport = try ConformWireClientTransport(host: self.host, port: 7102, tls: try operatorTLS.wireClient())
        let evidenceTransport = try ConformWireClientTransport(host: self.host, port: 7103, tls: try operatorTLS.wireClient())
        let inspectorTransport = try ConformWireClientTransport(host: self.host, port: 7103, tls: try inspectorTLS.wireClient())
        let managerTransport = try ConformWireClientTransport(host: self.host, port: 7102, tls: try managerTLS.wireClient())
        try await withGRPCClient(transport: batchTransport) { batch in
            try await withGRPCClient(transport: evidenceTransport) { evidence in
                try await withGRPCClient(transport: inspectorTransport) { inspector in
                    try await withGRPCClient(transport: managerTransport) { manager in
                        try await body(.init(wrapping: batch), .init(wrapping: evidence), .init(wrapping: inspector), .init(wrapping: manager))
                    }
                }
            }
        }
    }

    private func identity(_ principal: String) throws -> ServiceTLS {
        func read(_ name: String) throws -> String {
            do {
                return try String(contentsOfFile: (self.tlsDir as NSString).appendingPathComponent(name), encoding: .utf8)
            } catch {
                throw ValidationError("cannot read \(name) in \(self.tlsDir); run dev/start.sh first")
            }
        }
        return ServiceTLS(certificateChainPEM: try read("\(principal).pem"), privateKeyPEM: try read("\(principal)-key.pem"), trustRootsPEM: try read("ca.pem"))
    }

    /// The principal's signing key, as raw bytes (the key type is not Sendable).
    private func signingKey(_ principal: String) throws -> Data {
        let path = (self.tlsDir as NSString).appendingPathComponent("\(principal)-signing-key.pem")
        guard let pem = try? String(contentsOfFile: path, encoding: .utf8), let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) else {
            throw ValidationError("no signing key at \(path); dev/start.sh's demo makes it")
        }
        return key.rawRepresentation
    }

    private static func residentKiB(_ pid: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Latency of each stage of the flow, in microseconds.
final class StageTimes: Sendable {
    private let histograms: Mutex<[String: Histogram<UInt64>]>

    init(_ stages: [String]) {
        self.histograms = Mutex(Dictionary(uniqueKeysWithValues: stages.map {
            ($0, Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three))
        }))
    }

    func record(_ stage: String, _ duration: Duration) {
        let micros = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        self.histograms.withLock { _ = $0[stage]?.record(UInt64(max(0, micros))) }
    }

    /// p50 and p99 in milliseconds.
    func percentiles(_ stage: String) -> (Double, Double) {
        self.histograms.withLock { all in
            guard let histogram = all[stage] else { return (0, 0) }
            return (Double(histogram.valueAtPercentile(50)) / 1000, Double(histogram.valueAtPercentile(99)) / 1000)
        }
    }
}
