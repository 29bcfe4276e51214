import ConformCertificates
import ConformRuntime
import Foundation

/// Development TLS material for the benchmark: a CA, a server and a client, in one folder.
/// Made on first use; private keys are written owner-readable only.
struct BenchTLS {
    let server: ServiceTLS
    let client: ServiceTLS

    static func loadOrCreate(in directory: URL) throws -> BenchTLS {
        let files = FileManager.default
        let names = ["ca.pem", "server.pem", "server-key.pem", "client.pem", "client-key.pem"]
        if !names.allSatisfy({ files.fileExists(atPath: directory.appendingPathComponent($0).path) }) {
            try files.createDirectory(at: directory, withIntermediateDirectories: true)
            let authority = try DevelopmentCA(commonName: "Conform Bench CA")
            let server = try authority.issue(
                commonName: "conform-bench-server",
                dnsNames: ["localhost"],
                ipAddresses: ["127.0.0.1"],
                usage: .service
            )
            let client = try authority.issue(commonName: "conform-bench-client", usage: .client)
            try Self.write(try authority.certificatePEM, to: directory.appendingPathComponent("ca.pem"), secret: false)
            try Self.write(try server.certificatePEM, to: directory.appendingPathComponent("server.pem"), secret: false)
            try Self.write(server.privateKeyPEM, to: directory.appendingPathComponent("server-key.pem"), secret: true)
            try Self.write(try client.certificatePEM, to: directory.appendingPathComponent("client.pem"), secret: false)
            try Self.write(client.privateKeyPEM, to: directory.appendingPathComponent("client-key.pem"), secret: true)
        }
        func read(_ name: String) throws -> String {
            try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        }
        let ca = try read("ca.pem")
        return BenchTLS(
            server: ServiceTLS(certificateChainPEM: try read("server.pem"), privateKeyPEM: try read("server-key.pem"), trustRootsPEM: ca),
            client: ServiceTLS(certificateChainPEM: try read("client.pem"), privateKeyPEM: try read("client-key.pem"), trustRootsPEM: ca)
        )
    }

    private static func write(_ text: String, to url: URL, secret: Bool) throws {
        try Data(text.utf8).write(to: url)
        if secret {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        }
    }
}
