import ArgumentParser
import ConformProtos
import ConformRuntime
import ConformWire
import Foundation
import GRPCCore
import Histogram

/// Times the reporting service's heaviest reads over the wire on what `reporting-seed` wrote:
/// the 90-day audit evidence report (with its HTML) and the dashboards.
struct ReportingBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reporting",
        abstract: "Time the 90-day audit report and the dashboards against dev/start.sh's system, after reporting-seed.",
        discussion: """
            Each figure is the whole call as a client sees it: request, the service's queries, \
            rendering, and every part of the answer received. Customers rotate so that each run \
            reads a different customer's data.
            """
    )

    @Option(help: "Runs of each measurement.") var runs = 20
    @Option(help: "Customers seeded (BENCH-01 … BENCH-NN).") var customers = 50
    @Option(help: "The report's period in days, ending today.") var days: UInt32 = 90
    @Option(help: "The TLS folder with the principals' certificates.") var tlsDir = ".conform/tls"
    @Option(help: "The host the services listen on.") var host = "127.0.0.1"

    func run() async throws {
        let tls = try BenchIdentity.load("quality-manager", from: self.tlsDir)
        let transport = try ConformWireClientTransport(host: self.host, port: 7105, tls: try tls.wireClient())
        try await withGRPCClient(transport: transport) { client in
            let reporting = Conform_Reporting_V1_ReportingService.Client(wrapping: client)
            var options = CallOptions.defaults
            options.timeout = .seconds(120)
            let customers = (1...self.customers).map { "BENCH-" + ($0 < 10 ? "0" : "") + "\($0)" }

            var sizes: (batches: UInt32, items: UInt32, html: Int) = (0, 0, 0)
            let report = try await self.measure("audit report, \(self.days) days, with HTML") { run in
                let customer = customers[run % customers.count]
                sizes = try await reporting.getAuditReport(
                    .with { $0.customer = customer; $0.days = self.days; $0.sampleSize = 10; $0.seed = 1; $0.html = true }, options: options
                ) { response in
                    var summary = Conform_Reporting_V1_AuditReportSummary()
                    var html = 0
                    for try await part in response.messages {
                        if case .summary(let value)? = part.part { summary = value }
                        if case .html(let chunk)? = part.part { html += chunk.count }
                    }
                    return (summary.totalBatches, summary.archiveItems, html)
                }
            }
            print("  each report: \(sizes.batches) batches, \(sizes.items) archived items, \(sizes.html / 1024) KiB of HTML")
            let structured = try await self.measure("audit report, \(self.days) days, structured only") { run in
                let customer = customers[(run + 7) % customers.count]
                _ = try await reporting.getAuditReport(
                    .with { $0.customer = customer; $0.days = self.days; $0.sampleSize = 10; $0.seed = 1 }, options: options
                ) { response in
                    for try await _ in response.messages {}
                }
            }
            var active: UInt32 = 0
            let dashboard = try await self.measure("customer dashboard") { run in
                let customer = customers[(run + 13) % customers.count]
                active = try await reporting.getDashboard(.with { $0.customer = customer }, options: options).activeBatches
            }
            print("  each customer dashboard: \(active) active batches")
            let product = try await self.measure("product dashboard") { run in
                let code = "BP-" + String(format: "%03d", run % 200)
                active = try await reporting.getDashboard(.with { $0.product = code }, options: options).activeBatches
            }
            print("  each product dashboard: \(active) active batches")
            print("")
            print("Target: under 1 s each. p95: report \(report) ms, structured \(structured) ms, customer dashboard \(dashboard) ms, product dashboard \(product) ms")
        }
    }

    /// Runs `body` `runs` times after one warm-up run, prints the percentiles, returns p95 in ms.
    private func measure(_ name: String, _ body: (Int) async throws -> Void) async throws -> String {
        try await body(-1 + self.runs)
        var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        for run in 0..<self.runs {
            let started = ContinuousClock.now
            try await body(run)
            let elapsed = ContinuousClock.now - started
            histogram.record(UInt64(elapsed.components.seconds) * 1_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000_000))
        }
        func ms(_ micros: UInt64) -> String { String(format: "%.0f", Double(micros) / 1000) }
        print("\(name): p50 \(ms(histogram.valueAtPercentile(50))) ms, p95 \(ms(histogram.valueAtPercentile(95))) ms, max \(ms(histogram.max)) ms (\(self.runs) runs)")
        return ms(histogram.valueAtPercentile(95))
    }
}

/// A principal's identity from the TLS folder dev/start.sh makes.
enum BenchIdentity {
    static func load(_ principal: String, from folder: String) throws -> ServiceTLS {
        func read(_ name: String) throws -> String {
            do {
                return try String(contentsOfFile: (folder as NSString).appendingPathComponent(name), encoding: .utf8)
            } catch {
                throw ValidationError("cannot read \(name) in \(folder); run dev/start.sh first")
            }
        }
        return ServiceTLS(certificateChainPEM: try read("\(principal).pem"), privateKeyPEM: try read("\(principal)-key.pem"), trustRootsPEM: try read("ca.pem"))
    }
}
