import ConformRuntime
import ConformStorage
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A service executable from `.build/debug` running as its own process, as an operator starts
/// it: for what only a separate process shows, such as its memory.
struct ServiceProcess: Sendable {
    let child: ChildProcess.Running
    let wirePort: Int
    let grpcPort: Int
    let metricsPort: Int

    /// Starts `conform-requirement` against a database of its own, runs `body`, then stops it
    /// with SIGTERM, as an operator would.
    static func withRequirement<Result: Sendable>(
        suite: String, environment: [String: String] = [:], _ body: (ServiceProcess) async throws -> Result
    ) async throws -> Result {
        let database = try await TestPostgres.fromEnvironment().makeServiceDatabase(suite: suite)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("conform-process-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pki = try ServicePKI.shared()
        try pki.caPEM.write(toFile: "\(folder)/ca.pem", atomically: true, encoding: .utf8)
        try pki.service.certificateChainPEM.write(toFile: "\(folder)/requirement.pem", atomically: true, encoding: .utf8)
        try pki.service.privateKeyPEM.write(toFile: "\(folder)/requirement-key.pem", atomically: true, encoding: .utf8)
        let log = "\(folder)/service.log"
        let child = try ChildProcess.start(
            "\(ServiceExecutableTests.binaries)/conform-requirement",
            arguments: ["--wire-port", "0", "--grpc-port", "0", "--metrics-port", "0"],
            environment: [
                "PATH": "/usr/bin:/bin",
                "CONFORM_TLS_DIR": folder,
                "CONFORM_DB_HOST": database.host,
                "CONFORM_DB_PORT": "\(database.port)",
                "CONFORM_DB_NAME": database.database,
                "CONFORM_DB_USER": database.username,
                "CONFORM_DB_PASSWORD": database.password ?? "",
                "CONFORM_DB_SCHEMA": database.schema,
                "CONFORM_LOG_FORMAT": "json",
            ].merging(environment) { _, new in new },
            output: log, errors: nil
        )
        let ended = Task { try await child.ending() }
        do {
            let ports = try await Self.servingPorts(log: log)
            let service = ServiceProcess(child: child, wirePort: ports.wire, grpcPort: ports.grpc, metricsPort: ports.metrics)
            let result = try await body(service)
            child.signal(SIGTERM)
            // A stop that hangs is a failure, not a test that never ends.
            let killer = Task {
                try await Task.sleep(for: .seconds(60))
                child.signal(SIGKILL)
            }
            defer { killer.cancel() }
            let ending = try await ended.value
            #expect(ending == .exited(0), "the service did not stop within 60 s of SIGTERM, or not cleanly: \(ending); its log: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            return result
        } catch {
            child.signal(SIGKILL)
            _ = try? await ended.value
            throw error
        }
    }

    /// The ports of the service's "serving" log line, once it is written.
    private static func servingPorts(log: String) async throws -> (wire: Int, grpc: Int, metrics: Int) {
        // A service that cannot start logs why at level critical and exits.
        let text = try await eventually(timeout: .seconds(120)) {
            (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        } until: { text in
            Self.serving(text) != nil || text.contains("\"critical\"")
        }
        guard let ports = Self.serving(text) else {
            throw TestSetupError("conform-requirement did not start serving; its log: \(text)")
        }
        return ports
    }

    private static func serving(_ log: String) -> (wire: Int, grpc: Int, metrics: Int)? {
        for line in log.split(separator: "\n") {
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], entry["message"] == "serving",
                  let wire = entry["wire"].flatMap(Self.port), let grpc = entry["grpc"].flatMap(Self.port),
                  let metrics = entry["metrics"].flatMap({ Self.port($0.replacingOccurrences(of: "/metrics", with: "")) })
            else { continue }
            return (wire, grpc, metrics)
        }
        return nil
    }

    private static func port(_ address: String) -> Int? {
        address.split(separator: ":").last.flatMap { Int($0) }
    }

    /// The process's resident memory now (VmRSS), in bytes.
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(self.child.pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { throw TestSetupError("no VmRSS in /proc/\(self.child.pid)/status") }
        return kilobytes * 1024
    }

    /// The value of a metric without labels other than `labels`, from the service's metrics endpoint.
    func metric(_ name: String, labels: String) async throws -> Double? {
        let (data, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(self.metricsPort)/metrics")!)
        let prefix = "\(name){\(labels)} "
        return String(decoding: data, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix(prefix) }
            .flatMap { Double($0.dropFirst(prefix.count)) }
    }
}
