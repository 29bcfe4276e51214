import Foundation
import Testing

/// The service executables as an operator starts them: settings, failing fast, log format.
@Suite("Service executables", .timeLimit(.minutes(5)))
struct ServiceExecutableTests {
    static let binaries = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/debug").path

    @Test("a missing setting stops the service at once, naming the flag and the variable")
    func missingSetting() async throws {
        let result = try await ProcessRunner.run("\(Self.binaries)/conform-requirement", [], environment: ["CONFORM_TLS_DIR": ""])
        #expect(result.status != 0)
        #expect(result.output.contains("missing setting: pass --tls-dir or set CONFORM_TLS_DIR"))
    }

    @Test("with no database to reach it logs why as JSON and exits instead of hanging")
    func unreachableDatabaseJSONLog() async throws {
        let tls = try CLITests.tlsFolder()
        defer { try? FileManager.default.removeItem(atPath: tls) }
        let pki = try ServicePKI.shared()
        try pki.service.certificateChainPEM.write(toFile: "\(tls)/requirement.pem", atomically: true, encoding: .utf8)
        try pki.service.privateKeyPEM.write(toFile: "\(tls)/requirement-key.pem", atomically: true, encoding: .utf8)
        let result = try await ProcessRunner.run(
            "\(Self.binaries)/conform-requirement",
            ["--wire-port", "0", "--grpc-port", "0", "--metrics-port", "0"],
            environment: [
                "CONFORM_TLS_DIR": tls,
                "CONFORM_DB_PORT": "1",
                "CONFORM_DB_PASSWORD": "unused",
                "CONFORM_DB_CONNECT_TIMEOUT_MS": "500",
                "CONFORM_LOG_FORMAT": "json",
            ]
        )
        #expect(result.status != 0)
        let lines = result.output.split(separator: "\n").compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
        }
        let failure = lines.first { $0["message"] == "cannot prepare the schema" }
        #expect(failure?["level"] == "critical")
        #expect(failure?["error"]?.contains("no database connection to 127.0.0.1:1") == true)
        #expect(failure?["time"]?.hasSuffix("Z") == true)
    }

    @Test("a service's help says what it serves, which services it asks and how it is configured")
    func helpSaysWhatItServes() async throws {
        let batch = try await ProcessRunner.run("\(Self.binaries)/conform-batch", ["--help"])
        #expect(batch.status == 0)
        #expect(batch.output.contains("API: conform.batch.v1.BatchService"))
        #expect(batch.output.contains("CONFORM_EVIDENCE_ADDRESS"))
        #expect(batch.output.contains("--db-password-file"))
        let reporting = try await ProcessRunner.run("\(Self.binaries)/conform-reporting", ["--help"])
        #expect(reporting.output.contains("API: conform.reporting.v1.ReportingService"))
        #expect(reporting.output.contains("CONFORM_SUPPLIER_ADDRESS"))
    }
}
