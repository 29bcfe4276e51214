import ConformDomain
import Crypto
import Foundation
import Testing

/// `conform certs` on the folder `dev/start.sh` makes: it holds signers' public keys beside the
/// certificates, it is found through CONFORM_TLS_DIR like every other command's, and a
/// customer's auditor gets a certificate that ends with the audit.
@Suite("conform certs", .timeLimit(.minutes(5)))
struct CLICertsTests {
    @Test("list reads a folder holding public keys too, finds it through CONFORM_TLS_DIR, and issue --valid-until ends a certificate on a day")
    func certsFolder() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("conform-certs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let made = try await ProcessRunner.run(CLITests.binary, ["certs", "init", "--dir", folder])
        #expect(made.status == 0, "\(made.output)")
        // A signer's public key, as 'conform signatory keygen' leaves it.
        let publicKey = P256.Signing.PrivateKey().publicKey.pemRepresentation
        #expect(FileManager.default.createFile(atPath: "\(folder)/quality-manager-signing-public.pem", contents: Data(publicKey.utf8)))

        let listed = try await ProcessRunner.run(CLITests.binary, ["certs", "list"], environment: ["CONFORM_TLS_DIR": folder])
        #expect(listed.status == 0, "\(listed.output)")
        #expect(listed.output.contains("quality-manager"))
        #expect(!listed.output.contains("signing-public"))

        let lastDay = Day.today.adding(days: 10)
        let issued = try await ProcessRunner.run(
            CLITests.binary,
            ["certs", "issue", "--name", "acme-auditor", "--role", "customer-auditor", "--customer", "A", "--valid-until", lastDay.description],
            environment: ["CONFORM_TLS_DIR": folder]
        )
        #expect(issued.status == 0, "\(issued.output)")
        #expect(issued.output.contains("valid until \(lastDay.adding(days: 1).description)T00:00:00Z"), "\(issued.output)")
        #expect(FileManager.default.fileExists(atPath: "\(folder)/acme-auditor.pem"))

        let past = try await ProcessRunner.run(
            CLITests.binary, ["certs", "issue", "--name", "late", "--role", "auditor", "--valid-until", "2020-01-01", "--dir", folder]
        )
        #expect(past.status != 0)
        #expect(past.output.contains("--valid-until 2020-01-01 has passed"))
    }
}
