public import ConformRuntime
import ConformSecurity
public import ConformStorage
import Crypto
import Foundation
import SwiftASN1
import X509

/// Signs the audit chain's checkpoints with the service's own TLS key: the key a database
/// superuser does not hold.
public struct CheckpointSigner: CheckpointSigning {
    public let certificatePEM: String
    /// The key as PEM, read into a key for each signature (every few seconds at most).
    private let keyPEM: String

    public init(tls: ServiceTLS) throws {
        guard let leaf = try Certificate.pemChain(tls.certificateChainPEM).first else {
            throw CheckpointKeyError("the service's certificate chain is empty")
        }
        do {
            _ = try P256.Signing.PrivateKey(pemRepresentation: tls.privateKeyPEM)
            self.keyPEM = tls.privateKeyPEM
        } catch {
            throw CheckpointKeyError("the service's private key is not a P-256 key, which audit checkpoints are signed with: \(error)")
        }
        self.certificatePEM = try leaf.serializeAsPEM().pemString
    }

    public func sign(_ statement: [UInt8]) throws -> [UInt8] {
        Array(try P256.Signing.PrivateKey(pemRepresentation: self.keyPEM).signature(for: statement).derRepresentation)
    }
}

/// Checks a checkpoint: signed by a certificate that the deployment's CA issued to this
/// service (`CN=<service>`, role service), whose key signed the statement. Checked this way
/// rather than against today's certificate, so checkpoints outlive a certificate's renewal.
public struct CheckpointChecker: CheckpointChecking {
    private let service: String
    private let roots: [Certificate]

    public init(service: String, tls: ServiceTLS) throws {
        self.service = service
        self.roots = try Certificate.pemChain(tls.trustRootsPEM)
    }

    public func problem(with checkpoint: AuditCheckpoint, statement: [UInt8]) -> String? {
        guard let certificate = try? Certificate(pemEncoded: checkpoint.certificatePEM) else {
            return "its certificate cannot be read"
        }
        guard self.roots.contains(where: { $0.subject == certificate.issuer && $0.publicKey.isValidSignature(certificate.signature, for: certificate) }) else {
            return "its certificate (\(certificate.subject)) was not issued by the deployment's CA"
        }
        guard let principal = try? Principal(certificate: certificate), principal.name == self.service, principal.roles.contains(.service) else {
            return "its certificate (\(certificate.subject)) is not the \(self.service) service's"
        }
        guard let key = P256.Signing.PublicKey(certificate.publicKey),
              let signature = try? P256.Signing.ECDSASignature(derRepresentation: checkpoint.signature),
              key.isValidSignature(signature, for: statement)
        else {
            return "its signature does not match what it says (size \(checkpoint.size), head \(checkpoint.headHash))"
        }
        return nil
    }
}

/// Why the service's keys cannot sign or check checkpoints.
public struct CheckpointKeyError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension Certificate {
    /// Every certificate in a PEM bundle, in order.
    static func pemChain(_ pem: String) throws -> [Certificate] {
        try PEMDocument.parseMultiple(pemString: pem).filter { $0.discriminator == "CERTIFICATE" }.map { try Certificate(pemDocument: $0) }
    }
}
